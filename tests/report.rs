//! The formats users meet outside a terminal: SARIF (code scanning), GitHub annotations (the
//! Actions log) and Markdown (a pull request comment, the job summary), run on the real binary.
//! Schema validation and the real linters are in `integrations.rs`.

mod common;

use std::path::Path;
use std::process::Command;

use common::{Output, root, run, run_in, write};
use serde_json::Value;

/// Like `common::run_in`, with some variables set after the environment is cleared.
fn run_with_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_manifest-guard"));
    cmd.args(args).current_dir(dir);
    for (key, _) in std::env::vars_os() {
        let k = key.to_string_lossy();
        if k == "NO_COLOR" || k == "CI" || k.starts_with("GITHUB_") || k == "CLICOLOR_FORCE" {
            cmd.env_remove(&key);
        }
    }
    cmd.env_remove("MANIFEST_GUARD_SHA");
    cmd.envs(env.iter().copied());
    let out = cmd.output().expect("the binary runs");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn sarif(out: &Output) -> Value {
    serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("SARIF output ({e}):\n{}\n{}", out.stdout, out.stderr))
}

fn results(log: &Value) -> &Vec<Value> {
    log["runs"][0]["results"].as_array().expect("results")
}

fn result_of<'a>(log: &'a Value, rule: &str) -> &'a Value {
    results(log)
        .iter()
        .find(|r| r["ruleId"] == rule)
        .unwrap_or_else(|| panic!("no {rule} result in {log:#}"))
}

/// Copies a directory tree (fixtures into a scratch repository).
fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

// --- SARIF -------------------------------------------------------------------------------------

/// Issue 6's "done when": code scanning shows the incident's alert on the second `name: storage`.
#[test]
fn sarif_puts_the_incident_on_the_exact_name_region() {
    let out = run(&["check", "fixtures/demo", "--format", "sarif"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let log = sarif(&out);
    assert_eq!(log["version"], "2.1.0");
    let dup = result_of(&log, "duplicate-application");
    assert_eq!(dup["level"], "error");
    let loc = &dup["locations"][0]["physicalLocation"];
    assert_eq!(
        loc["artifactLocation"]["uri"],
        "fixtures/demo/apps/apps.yaml"
    );
    assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    // `storage` in `  name: storage`: columns 9 to 15, SARIF's end column is the one after.
    let region = &loc["region"];
    assert_eq!(
        (
            &region["startLine"],
            &region["startColumn"],
            &region["endLine"],
            &region["endColumn"]
        ),
        (&45.into(), &9.into(), &45.into(), &16.into()),
        "{region:#}"
    );
    assert_eq!(region["snippet"]["text"], "storage");
    let first = &dup["relatedLocations"][0];
    assert_eq!(first["id"], 1);
    assert_eq!(first["message"]["text"], "first defined here");
    assert_eq!(first["physicalLocation"]["region"]["startLine"], 23);
    assert_eq!(first["physicalLocation"]["region"]["startColumn"], 9);
    // Code scanning shows related locations through links in the message.
    let text = dup["message"]["text"].as_str().expect("message");
    assert!(text.contains("[first defined here](1)"), "{text}");
    // The ruleIndex points at the rule's descriptor.
    let index = dup["ruleIndex"].as_u64().expect("ruleIndex") as usize;
    assert_eq!(
        log["runs"][0]["tool"]["driver"]["rules"][index]["id"],
        "duplicate-application"
    );
}

#[test]
fn sarif_rules_are_the_catalogue_with_their_documents() {
    let log = sarif(&run(&["check", "fixtures/demo", "--format", "sarif"]));
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules");
    let ids: Vec<&str> = rules.iter().filter_map(|r| r["id"].as_str()).collect();
    assert_eq!(ids, common::rule_ids());
    let catalogue = common::json(&run(&["rules", "--format", "json"]));
    for (rule, meta) in rules
        .iter()
        .zip(catalogue["rules"].as_array().expect("rules"))
    {
        let id = rule["id"].as_str().expect("id");
        let document = run(&["explain", id]).stdout;
        assert_eq!(rule["help"]["markdown"], document.as_str(), "{id}");
        assert_eq!(rule["help"]["text"], document.as_str(), "{id}");
        assert_eq!(
            rule["helpUri"],
            format!("https://github.com/manifest-guard/manifest-guard/blob/main/rules/{id}.md")
        );
        assert_eq!(rule["defaultConfiguration"]["level"], meta["severity"]);
        let short = rule["shortDescription"]["text"].as_str().expect("short");
        let full = rule["fullDescription"]["text"].as_str().expect("full");
        // From the document; a document still being written falls back to the catalogue summary.
        match document.split("\n## What it catches\n").nth(1) {
            Some(catches) => {
                let opening: Vec<&str> = short.split(' ').take(4).collect();
                assert!(document.contains(&opening.join(" ")), "{id}: {short}");
                assert!(
                    catches
                        .trim_start()
                        .starts_with(full.lines().next().unwrap_or("-")),
                    "{id}"
                );
                assert!(!full.contains("## Why it matters"), "{id}");
            }
            None => {
                assert_eq!(short, meta["summary"], "{id}");
                assert_eq!(full, meta["summary"], "{id}");
            }
        }
        // The rule's own document exists at the help URI's path.
        assert!(root().join(format!("rules/{id}.md")).is_file(), "{id}");
    }
}

/// The demo's SARIF. Left out: the machine's path, the version, and the catalogue but for the
/// rule of the incident (every descriptor is checked against its document above), so that adding
/// a rule does not change this snapshot.
#[test]
fn sarif_demo_snapshot() {
    let mut log = sarif(&run(&["check", "fixtures/demo", "--format", "sarif"]));
    let run0 = &mut log["runs"][0];
    run0["originalUriBaseIds"]["%SRCROOT%"]["uri"] = "file:///[ROOT]/".into();
    run0["tool"]["driver"]["semanticVersion"] = "[VERSION]".into();
    let rules = run0["tool"]["driver"]["rules"]
        .as_array_mut()
        .expect("rules");
    rules.retain(|r| r["id"] == "duplicate-application");
    rules[0]["fullDescription"] = "[rules/duplicate-application.md: What it catches]".into();
    rules[0]["help"] = "[rules/duplicate-application.md]".into();
    for result in run0["results"].as_array_mut().expect("results") {
        result["ruleIndex"] = "[index of ruleId]".into();
    }
    insta::assert_snapshot!(
        "demo-sarif",
        serde_json::to_string_pretty(&log).expect("json")
    );
}

#[test]
fn sarif_of_a_clean_tree_has_no_results() {
    let out = run(&["check", "fixtures/healthy", "--format", "sarif"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(results(&sarif(&out)).len(), 0);
}

/// Inserting lines above a finding and editing another file must not change its fingerprint:
/// code scanning would close the alert and open a new one.
#[test]
fn sarif_fingerprints_survive_unrelated_edits() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_tree(&root().join("fixtures/demo"), dir.path());
    let fingerprint = |log: &Value, rule: &str| {
        let r = result_of(log, rule);
        (
            r["partialFingerprints"]["manifestGuard/v1"]
                .as_str()
                .expect("fingerprint")
                .to_string(),
            r["locations"][0]["physicalLocation"]["region"]["startLine"]
                .as_u64()
                .expect("line"),
        )
    };
    let before = sarif(&run_in(dir.path(), &["check", "--format", "sarif"]));
    let apps = dir.path().join("apps/apps.yaml");
    let text = std::fs::read_to_string(&apps).expect("read");
    std::fs::write(&apps, format!("# platform team\n# reviewed weekly\n{text}")).expect("write");
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n  namespace: storage\n";
    write(dir.path(), "storage/extra.yaml", cm);
    let after = sarif(&run_in(dir.path(), &["check", "--format", "sarif"]));
    for rule in ["duplicate-application", "one-object-per-file"] {
        let (fp_before, line_before) = fingerprint(&before, rule);
        let (fp_after, line_after) = fingerprint(&after, rule);
        assert_eq!(line_after, line_before + 2, "{rule} moved down two lines");
        assert_eq!(fp_after, fp_before, "{rule}");
    }
    // Different findings get different fingerprints.
    let all: std::collections::BTreeSet<&str> = results(&after)
        .iter()
        .filter_map(|r| r["partialFingerprints"]["manifestGuard/v1"].as_str())
        .collect();
    assert_eq!(all.len(), results(&after).len());
}

/// Two identical findings (same rule, file, object and node text) still get two fingerprints.
#[test]
fn sarif_fingerprints_of_repeated_findings_are_told_apart() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: 1\n  k: 2\n  k: 3\n",
    );
    let log = sarif(&run_in(
        dir.path(),
        &[
            "check",
            "--format",
            "sarif",
            "--select",
            "duplicate-yaml-key",
        ],
    ));
    let fps: Vec<&str> = results(&log)
        .iter()
        .filter_map(|r| r["partialFingerprints"]["manifestGuard/v1"].as_str())
        .collect();
    assert_eq!(fps.len(), 2, "{log:#}");
    assert_ne!(fps[0], fps[1]);
    assert!(fps[0].ends_with(":1") && fps[1].ends_with(":2"), "{fps:?}");
}

/// Paths are relative to the repository root, wherever the tool runs from.
#[test]
fn sarif_paths_are_relative_to_the_repository_root() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join(".git")).expect("mkdir .git");
    write(
        dir.path(),
        "deploy/my apps/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: 1\n  k: 2\n",
    );
    let log = sarif(&run_in(
        &dir.path().join("deploy"),
        &["check", "--format", "sarif"],
    ));
    let r = result_of(&log, "duplicate-yaml-key");
    assert_eq!(
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "deploy/my%20apps/cm.yaml"
    );
    let base = log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .expect("base");
    assert!(
        base.starts_with("file:///") && base.ends_with('/'),
        "{base}"
    );
    let annotations = run_in(&dir.path().join("deploy"), &["check", "--format", "github"]);
    assert!(
        annotations
            .stdout
            .contains("::error file=deploy/my apps/cm.yaml,line=7,col=3,endLine=7,endColumn=3,title=duplicate-yaml-key::"),
        "{}",
        annotations.stdout
    );
}

// --- GitHub annotations ------------------------------------------------------------------------

#[test]
fn github_demo_snapshot() {
    let out = run(&["check", "fixtures/demo", "--format", "github"]);
    assert_eq!(out.code, 1);
    insta::assert_snapshot!("demo-github", out.stdout);
}

#[test]
fn github_annotation_for_the_incident() {
    let out = run(&["check", "fixtures/demo", "--format", "github"]);
    let line = out
        .stdout
        .lines()
        .find(|l| l.contains("title=duplicate-application"))
        .unwrap_or_else(|| panic!("{}", out.stdout));
    assert!(
        line.starts_with(
            "::error file=fixtures/demo/apps/apps.yaml,line=45,col=9,endLine=45,endColumn=15,title=duplicate-application::"
        ),
        "{line}"
    );
    assert!(
        line.contains("%0Afirst defined here: fixtures/demo/apps/apps.yaml:23:9"),
        "{line}"
    );
}

/// Text from the repository (paths, keys) reaches the workflow command escaped.
#[test]
fn github_annotations_escape_hostile_paths_and_messages() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "a,b:c.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  \"100%,x:y\": 1\n  \"100%,x:y\": 2\n",
    );
    let out = run_in(dir.path(), &["check", "--format", "github"]);
    let line = out
        .stdout
        .lines()
        .find(|l| l.contains("title=duplicate-yaml-key"))
        .unwrap_or_else(|| panic!("{}", out.stdout));
    assert!(
        line.starts_with("::error file=a%2Cb%3Ac.yaml,line=7,"),
        "{line}"
    );
    let (_, message) = line
        .split_once(",title=duplicate-yaml-key::")
        .expect("message");
    assert!(message.contains("100%25,x:y"), "{message}");
    assert!(
        !message.contains('\r') && message.contains("%0A"),
        "{message}"
    );
    assert_eq!(out.stdout.lines().count(), 1, "{}", out.stdout);
}

#[test]
fn github_actions_gets_human_output_and_annotations() {
    let demo = root().join("fixtures/demo");
    let out = run_with_env(&demo, &["check"], &[("GITHUB_ACTIONS", "true")]);
    assert_eq!(out.code, 1);
    let human = run_in(&demo, &["check"]).stdout;
    let annotations = run_in(&demo, &["check", "--format", "github"]).stdout;
    // The human report echoes the repository: the runner reads no command in it.
    let (stop, rest) = out.stdout.split_once('\n').expect("lines");
    let token = stop
        .strip_prefix("::stop-commands::")
        .expect("stop-commands");
    assert_eq!(rest, format!("{human}::{token}::\n{annotations}"));
    // A chosen format is printed alone; human still with commands stopped.
    let chosen = run_with_env(
        &demo,
        &["check", "--format", "human"],
        &[("GITHUB_ACTIONS", "true")],
    );
    let (stop, rest) = chosen.stdout.split_once('\n').expect("lines");
    let token = stop
        .strip_prefix("::stop-commands::")
        .expect("stop-commands");
    assert_eq!(rest, format!("{human}::{token}::\n"));
    let json = run_with_env(
        &demo,
        &["check", "--format", "json"],
        &[("GITHUB_ACTIONS", "true")],
    );
    assert!(!json.stdout.contains("::error"), "{}", json.stdout);
    assert!(json.stdout.starts_with('{'));
}

// --- Markdown ----------------------------------------------------------------------------------

#[test]
fn markdown_demo_snapshot() {
    let out = run(&["check", "fixtures/demo", "--format", "markdown"]);
    assert_eq!(out.code, 1);
    insta::assert_snapshot!("demo-markdown", out.stdout);
}

#[test]
fn markdown_verdict_follows_fail_on_and_links_lines_on_github() {
    let env = [
        ("GITHUB_SERVER_URL", "https://github.com"),
        ("GITHUB_REPOSITORY", "acme/gitops"),
        ("GITHUB_SHA", "0123abc"),
    ];
    let out = run_with_env(
        &root(),
        &[
            "check",
            "fixtures/demo",
            "--format",
            "markdown",
            "--fail-on",
            "never",
        ],
        &env,
    );
    assert_eq!(out.code, 0);
    assert!(
        out.stdout.contains("**✅ Passes** (`--fail-on never`)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(
            "[fixtures/demo/apps/apps.yaml:45:9](https://github.com/acme/gitops/blob/0123abc/fixtures/demo/apps/apps.yaml#L45)"
        ),
        "{}",
        out.stdout
    );
    // The pull request's head commit wins over the merge commit.
    let mut env = env.to_vec();
    env.push(("MANIFEST_GUARD_SHA", "fedcba9"));
    let head = run_with_env(
        &root(),
        &["check", "fixtures/demo", "--format", "markdown"],
        &env,
    );
    assert!(head.stdout.contains("/blob/fedcba9/"), "{}", head.stdout);
}

#[test]
fn markdown_of_a_clean_tree() {
    let out = run(&["check", "fixtures/healthy", "--format", "markdown"]);
    assert_eq!(out.code, 0);
    assert!(
        out.stdout
            .starts_with("<!-- manifest-guard -->\n## manifest-guard check\n")
    );
    assert!(
        out.stdout
            .contains("**✅ Passes** (`--fail-on error`): no findings in "),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("### Findings"));
}

/// Thousands of findings still fit in one GitHub comment, with a count of what was left out.
#[test]
fn markdown_stays_under_the_comment_limit() {
    let dir = tempfile::tempdir().expect("tempdir");
    for i in 0..1500 {
        write(
            dir.path(),
            &format!("cm/{i:04}.yaml"),
            format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\ndata:\n  k: 1\n  k: 2\n"
            ),
        );
    }
    let out = run_in(dir.path(), &["check", "--format", "markdown"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let chars = out.stdout.chars().count();
    assert!(chars <= 65_536, "{chars} characters");
    assert!(chars > 60_000, "the limit is used, not wasted: {chars}");
    let shown = out.stdout.matches("| ❌ error |").count();
    assert!(shown > 100, "{shown}");
    assert!(
        out.stdout.contains(&format!(
            "**… and {} more findings not shown**",
            1500 - shown
        )),
        "{}",
        &out.stdout[out.stdout.len().saturating_sub(400)..]
    );
}

/// Under GitHub Actions the log gets the fenced human report and the annotations; files written
/// with `--output` get their format only, never the log's stop-commands lines.
#[test]
fn output_files_under_github_actions_hold_their_format_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let md = dir.path().join("report.md");
    let sarif = dir.path().join("report.sarif");
    let env = [("GITHUB_ACTIONS", "true")];
    let out = run_with_env(
        &root(),
        &[
            "check",
            "fixtures/demo",
            "--output",
            &format!("markdown={}", md.display()),
            "--output",
            &format!("sarif={}", sarif.display()),
        ],
        &env,
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stdout.starts_with("::stop-commands::"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("\n::error file="), "{}", out.stdout);
    let written = std::fs::read_to_string(&md).expect("markdown");
    let alone = run_with_env(
        &root(),
        &["check", "fixtures/demo", "--format", "markdown"],
        &env,
    );
    assert_eq!(written, alone.stdout);
    assert!(!written.contains("::"), "{written}");
    let log: Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).expect("sarif")).expect("JSON");
    assert_eq!(log["version"], "2.1.0");
}
