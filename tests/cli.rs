//! The command-line contract: exit statuses, formats, configuration errors, `rules` and
//! `explain`, and the demo repository the README runs.

mod common;

use common::{json, positions, rules_and_messages, run, run_in, write};

#[test]
fn demo_reports_the_incident_on_the_second_name() {
    let out = run(&["check", "fixtures/demo", "--format", "json"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let v = json(&out);
    let dup = v["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .find(|d| d["rule"] == "duplicate-application")
        .expect("duplicate-application on Application storage");
    // The second `name: storage` (line 45, column 9), with the first as related location.
    assert_eq!(
        (
            dup["file"].as_str(),
            dup["line"].as_u64(),
            dup["column"].as_u64()
        ),
        (Some("fixtures/demo/apps/apps.yaml"), Some(45), Some(9))
    );
    assert_eq!(dup["related"][0]["line"], 23);
    assert_eq!(dup["related"][0]["message"], "first defined here");
    // It says what changes and what would be deleted from which cluster.
    let message = dup["message"].as_str().unwrap_or("");
    assert!(
        message.contains("moves it from namespace `storage` to `storage-loadtest`")
            && message.contains(
                "prunes from `central-eu-cluster` what only the earlier definition deployed"
            )
            && message.contains("StatefulSet `storage/storage`"),
        "{message}"
    );
    assert_eq!(v["summary"]["applications"], 4);
}

#[test]
fn demo_human_output() {
    let out = run(&["check", "fixtures/demo"]);
    assert_eq!(out.code, 1);
    insta::assert_snapshot!("demo-human", out.stdout);
}

#[test]
fn demo_json_output() {
    let out = run(&["check", "fixtures/demo", "--format", "json"]);
    insta::assert_snapshot!("demo-json", out.stdout);
}

#[test]
fn fail_on_sets_the_exit_status() {
    let warn_only = [
        "check",
        "fixtures/one-object-per-file/bad",
        "--select",
        "one-object-per-file",
    ];
    assert_eq!(run(&warn_only).code, 0, "warnings do not fail by default");
    let mut strict = warn_only.to_vec();
    strict.extend(["--fail-on", "warning"]);
    assert_eq!(run(&strict).code, 1);
    assert_eq!(
        run(&["check", "fixtures/demo", "--fail-on", "never"]).code,
        0
    );
}

#[test]
fn select_and_ignore() {
    let only = json(&run(&[
        "check",
        "fixtures/demo",
        "--select",
        "one-object-per-file",
        "--format",
        "json",
    ]));
    assert!(
        positions(&only)
            .iter()
            .all(|(r, ..)| r == "one-object-per-file")
    );
    let ignored = json(&run(&[
        "check",
        "fixtures/demo",
        "--ignore",
        "duplicate-resource",
        "--format",
        "json",
    ]));
    assert!(
        positions(&ignored)
            .iter()
            .all(|(r, ..)| r != "duplicate-resource")
    );
}

#[test]
fn usage_errors_exit_2() {
    let missing = run(&["check", "does/not/exist"]);
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("does/not/exist"),
        "{}",
        missing.stderr
    );

    let unknown = run(&["check", "fixtures/demo", "--select", "duplicate-resorce"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("did you mean `duplicate-resource`"),
        "{}",
        unknown.stderr
    );

    let explain = run(&["explain", "no-such-rule"]);
    assert_eq!(explain.code, 2);
    assert_eq!(run(&["check", "--format", "xml"]).code, 2);
}

const CONFIGMAP: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n";

#[test]
fn config_errors_point_at_the_config_span() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "cm.yaml", CONFIGMAP);
    write(
        dir.path(),
        ".manifest-guard.yaml",
        "rules:\n  one-object-per-fil: off\n",
    );
    let out = run_in(dir.path(), &["check"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("unknown rule `one-object-per-fil`"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(".manifest-guard.yaml:2:3"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("did you mean `one-object-per-file`"),
        "{}",
        out.stderr
    );

    write(
        dir.path(),
        ".manifest-guard.yaml",
        "exclude: vendor\nseverity: high\n",
    );
    let out = run_in(dir.path(), &["check"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("must be a list"), "{}", out.stderr);
}

// A duplicated key in the config is a config error, not "the last one wins": the earlier
// setting (a rule turned off, a protected cluster) would be dropped without a word.
#[test]
fn duplicate_config_keys_are_config_errors_at_the_second_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "cm.yaml", CONFIGMAP);
    for (config, line_col, key) in [
        (
            "rules:\n  one-object-per-file: off\nexclude: [vendor]\nrules:\n  duplicate-resource: warning\n",
            "4:1",
            "rules",
        ),
        (
            "rules:\n  one-object-per-file: off\n  duplicate-resource: warning\n  one-object-per-file: error\n",
            "4:3",
            "one-object-per-file",
        ),
        (
            "clusters:\n  - name: prod\n    server: https://a\n    protected: true\n    protected: false\n",
            "5:5",
            "protected",
        ),
    ] {
        write(dir.path(), ".manifest-guard.yaml", config);
        let out = run_in(dir.path(), &["check"]);
        assert_eq!(out.code, 2, "{config}\n{}", out.stderr);
        assert!(
            out.stderr
                .contains(&format!("key `{key}` is defined twice")),
            "{}",
            out.stderr
        );
        assert!(
            out.stderr
                .contains(&format!(".manifest-guard.yaml:{line_col}")),
            "{config}\n{}",
            out.stderr
        );
    }
}

#[test]
fn config_turns_rules_off_changes_severity_and_excludes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let two = format!(
        "{CONFIGMAP}---\n{}",
        CONFIGMAP.replace("name: a", "name: b")
    );
    write(dir.path(), "two.yaml", &two);
    write(dir.path(), "vendor/broken.yaml", "a: \"unclosed\n");
    let findings =
        |dir: &std::path::Path| positions(&json(&run_in(dir, &["check", "--format", "json"])));
    let rules: Vec<String> = findings(dir.path()).into_iter().map(|f| f.0).collect();
    assert_eq!(rules, ["one-object-per-file", "yaml-syntax"]);

    write(
        dir.path(),
        ".manifest-guard.yaml",
        "rules:\n  one-object-per-file:\n    severity: error\nexclude: [vendor]\n",
    );
    let out = run_in(dir.path(), &["check", "--format", "json"]);
    let v = json(&out);
    assert_eq!(positions(&v).len(), 1);
    assert_eq!(v["diagnostics"][0]["severity"], "error");
    assert_eq!(out.code, 1);

    write(
        dir.path(),
        ".manifest-guard.yaml",
        "rules:\n  one-object-per-file: off\nexclude: [vendor]\n",
    );
    assert!(findings(dir.path()).is_empty());
}

#[test]
fn suppression_by_comment_and_annotation() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "a.yaml", CONFIGMAP);
    write(
        dir.path(),
        "b.yaml",
        format!("{CONFIGMAP}  # manifest-guard: ignore[duplicate-resource]\n"),
    );
    let v = json(&run_in(dir.path(), &["check", "--format", "json"]));
    // The comment sits below `name: a` of b.yaml, so it covers the line after it, not the name:
    // the finding stays. Moving it above the name suppresses it.
    assert_eq!(positions(&v).len(), 1);
    write(
        dir.path(),
        "b.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  # manifest-guard: ignore[duplicate-resource]\n  name: a\n",
    );
    let v = json(&run_in(dir.path(), &["check", "--format", "json"]));
    assert!(positions(&v).is_empty());
    // Silenced, never invisible: the summary counts what suppressions hid, by rule.
    assert_eq!(v["summary"]["suppressed"]["duplicate-resource"], 1, "{v}");
    let human = run_in(dir.path(), &["check", "--color", "never"]);
    assert!(
        human
            .stdout
            .contains("1 finding suppressed by comments or annotations (1 duplicate-resource)"),
        "{}",
        human.stdout
    );
    write(
        dir.path(),
        "b.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations:\n    manifest-guard.dev/ignore: one-object-per-file, duplicate-resource\n",
    );
    assert!(positions(&json(&run_in(dir.path(), &["check", "--format", "json"]))).is_empty());
}

#[test]
fn rules_and_explain() {
    let out = run(&["rules"]);
    assert_eq!(out.code, 0);
    assert!(out.stdout.contains("duplicate-resource"));
    let v = json(&run(&["rules", "--format", "json"]));
    assert_eq!(v["version"], 1);
    // What a rule reads is its `Meta.reads`, shown with the commands that run it.
    let rule = |id: &str| {
        v["rules"]
            .as_array()
            .and_then(|rs| rs.iter().find(|r| r["id"] == id))
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(rule("config-loosened")["reads"], "changes");
    assert_eq!(
        rule("config-loosened")["commands"],
        serde_json::json!(["check", "diff"])
    );
    assert_eq!(
        rule("stateful-delete")["commands"],
        serde_json::json!(["diff"])
    );
    assert_eq!(rule("duplicate-resource")["reads"], "inventory");
    assert_eq!(
        rule("duplicate-resource")["commands"],
        serde_json::json!(["check"])
    );
    let explain = run(&["explain", "duplicate-resource"]);
    assert!(explain.stdout.starts_with("# duplicate-resource\n"));
}

/// Every fixture of the project at once (hundreds of findings from every rule, rendered charts
/// and kustomizations among them): the same report whatever the number of jobs. The corpus
/// sweep (tests/corpus.rs) checks the same over each real-world repository.
#[test]
fn output_is_deterministic() {
    let a = run(&["check", "fixtures", "--format", "json"]);
    assert!(
        json(&a)["diagnostics"]
            .as_array()
            .is_some_and(|d| d.len() > 50),
        "{}",
        a.stdout
    );
    for jobs in ["1", "2", "7"] {
        let b = run(&["check", "fixtures", "--format", "json", "--jobs", jobs]);
        assert_eq!(a.stdout, b.stdout);
    }
}

/// Flux's documented layout, `clusters/<cluster>/`: the same object in two clusters' directories
/// is two objects, not a duplicate. Each directory of plain manifests is a unit of its own;
/// `units` in the config joins a directory with its subdirectories (`clusters/*` by default).
#[test]
fn plain_manifests_of_each_cluster_directory_are_a_unit_of_their_own() {
    let dir = tempfile::tempdir().expect("tempdir");
    let svc = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: apps\nspec:\n  ports:\n    - port: 80\n";
    for rel in [
        "clusters/production/web.yaml",
        "clusters/staging/web.yaml",
        "envs/a/web.yaml",
        "envs/a/extra/web.yaml",
    ] {
        write(dir.path(), rel, svc);
    }
    let duplicates = |out: &common::Output| -> Vec<(String, String)> {
        json(out)["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .map(|d| {
                (
                    d["file"].as_str().unwrap_or("").to_string(),
                    d["message"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    };
    let args = [
        "check",
        ".",
        "--select",
        "duplicate-resource",
        "--format",
        "json",
    ];
    // By default every directory is a unit: `envs/a` and `envs/a/extra` are two.
    assert_eq!(duplicates(&run_in(dir.path(), &args)), vec![]);

    // `envs/*` joins `envs/a` with everything below it.
    write(
        dir.path(),
        ".manifest-guard.yaml",
        "units: [clusters/*, envs/*]\n",
    );
    let found = duplicates(&run_in(dir.path(), &args));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "envs/a/web.yaml");
    assert!(
        found[0]
            .1
            .contains("defined twice in the directory `envs/a` (with its subdirectories)"),
        "{found:?}"
    );

    // Within one unit directory a duplicate is still one.
    write(dir.path(), "clusters/production/web-again.yaml", svc);
    let found = duplicates(&run_in(dir.path(), &args));
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found[0]
            .1
            .contains("defined twice in the directory `clusters/production`"),
        "{found:?}"
    );

    // `units: []` joins nothing: each directory stays a unit of its own.
    write(dir.path(), ".manifest-guard.yaml", "units: []\n");
    assert_eq!(duplicates(&run_in(dir.path(), &args)).len(), 1);
}

/// `--output FORMAT=PATH` writes, in the same run, exactly what `--format FORMAT` prints; stdout
/// keeps the `--format` report and the exit status keeps following `--fail-on`.
#[test]
fn output_files_hold_what_format_prints() {
    let formats = ["human", "concise", "json", "sarif", "github", "markdown"];
    let diff = [
        "diff",
        "--base-dir",
        "fixtures/stateful-delete/bad/base",
        "--head-dir",
        "fixtures/stateful-delete/bad/head",
    ];
    for command in [&["check", "fixtures/demo"][..], &diff[..]] {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut args: Vec<String> = command.iter().map(|s| s.to_string()).collect();
        for f in formats {
            args.push("--output".into());
            args.push(format!("{f}={}", dir.path().join(f).display()));
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(&args);
        assert_eq!(out.code, 1, "{command:?}: {}", out.stderr);
        assert_eq!(
            out.stdout,
            run(command).stdout,
            "{command:?}: stdout is --format's"
        );
        for f in formats {
            let mut alone = command.to_vec();
            alone.extend(["--format", f]);
            let expected = run(&alone).stdout;
            let written = std::fs::read_to_string(dir.path().join(f)).expect("written");
            assert!(!written.is_empty(), "{command:?} {f}");
            assert_eq!(written, expected, "{command:?} {f}");
        }
        let mut never = args.clone();
        never.extend(["--fail-on", "never", "--format", "json"]);
        let out = run(&never);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(
            out.stdout.starts_with("{\n  \"version\": 1"),
            "{}",
            out.stdout
        );
    }
}

#[test]
fn an_output_that_cannot_be_written_is_exit_2_before_the_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("no/such/dir/report.sarif");
    let flag = format!("sarif={}", missing.display());
    let out = run(&["check", "fixtures/demo", "--output", &flag]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stdout.is_empty(), "no report: {}", out.stdout);
    assert!(
        out.stderr
            .contains(&format!("cannot write --output {flag}")),
        "{}",
        out.stderr
    );
    // A directory is not a file either, for diff as for check.
    let flag = format!("markdown={}", dir.path().display());
    let out = run(&[
        "diff",
        "--base-dir",
        "fixtures/stateful-delete/bad/base",
        "--head-dir",
        "fixtures/stateful-delete/bad/head",
        "--output",
        &flag,
    ]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("cannot write --output markdown="),
        "{}",
        out.stderr
    );
    // Two reports into one file, an unknown format, a missing `=`: usage errors.
    let same = format!("{}", dir.path().join("r").display());
    let twice = run(&[
        "check",
        "fixtures/demo",
        "--output",
        &format!("json={same}"),
        "--output",
        &format!("sarif={same}"),
    ]);
    assert_eq!(twice.code, 2);
    assert!(twice.stderr.contains("twice"), "{}", twice.stderr);
    for bad in ["xml=out.xml", "out.json", "json="] {
        let out = run(&["check", "fixtures/demo", "--output", bad]);
        assert_eq!(out.code, 2, "{bad}: {}", out.stderr);
        assert!(
            out.stderr.contains("FORMAT=PATH") || out.stderr.contains("unknown format"),
            "{}",
            out.stderr
        );
    }
}

#[test]
fn help_documents_output() {
    for command in ["check", "diff"] {
        let help = run(&[command, "--help"]).stdout;
        assert!(help.contains("--output <FORMAT=PATH>"), "{help}");
    }
    let help = run(&["--help"]).stdout;
    assert!(help.contains("--output sarif="), "{help}");
}

/// An ApplicationSet defined twice: Argo CD keeps the last definition, so only what that one
/// generates exists. The clash is one finding, on the ApplicationSet; what the replaced
/// definition alone would generate is not checked as if it were deployed.
#[test]
fn what_a_replaced_applicationset_generates_does_not_exist() {
    let dir = tempfile::tempdir().expect("tempdir");
    let appset = |elements: &[(&str, &str)]| {
        let list: String = elements
            .iter()
            .map(|(name, project)| {
                format!("          - name: {name}\n            project: {project}\n")
            })
            .collect();
        format!(
            "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: teams\n  namespace: argocd\nspec:\n  generators:\n    - list:\n        elements:\n{list}  template:\n    metadata:\n      name: '{{{{name}}}}'\n    spec:\n      project: '{{{{project}}}}'\n      source:\n        repoURL: https://git.example.com/x.git\n        path: teams\n      destination:\n        name: in-cluster\n        namespace: teams\n"
        )
    };
    write(
        dir.path(),
        "a-first.yaml",
        appset(&[("alpha", "default"), ("beta", "no-such-project")]),
    );
    write(dir.path(), "b-second.yaml", appset(&[("alpha", "default")]));
    let out = run_in(dir.path(), &["check", ".", "--format", "json"]);
    let v = json(&out);
    let found = rules_and_messages(&v);
    let duplicates: Vec<&(String, String)> = found
        .iter()
        .filter(|(rule, _)| rule == "duplicate-application")
        .collect();
    assert_eq!(duplicates.len(), 1, "{found:#?}");
    assert!(
        duplicates[0].1.starts_with("ApplicationSet `teams`"),
        "{found:#?}"
    );
    assert!(
        !found.iter().any(|(rule, _)| rule == "unknown-project"),
        "`beta` is never created: {found:#?}"
    );

    let rendered = json(&run_in(dir.path(), &["render", ".", "--format", "json"]));
    let beta = rendered["applications"]
        .as_array()
        .expect("applications")
        .iter()
        .find(|a| a["name"] == "beta")
        .expect("beta is listed");
    assert_eq!(beta["origin"]["applicationSetReplaced"], true, "{beta}");
}

// --- concise and statistics ---------------------------------------------------------------------

// One line a finding, `file:line:col: severity[rule] message`, in the run's order (file, line,
// column, rule: the JSON report's), then the human summary lines.
#[test]
fn demo_concise_output() {
    let out = run(&["check", "fixtures/demo", "--format", "concise"]);
    assert_eq!(out.code, 1);
    insta::assert_snapshot!("demo-concise", out.stdout);
    let v = json(&run(&["check", "fixtures/demo", "--format", "json"]));
    let expected: Vec<String> = v["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            format!(
                "{}:{}:{}: {}[{}] ",
                d["file"].as_str().unwrap_or(""),
                d["line"],
                d["column"],
                d["severity"].as_str().unwrap_or(""),
                d["rule"].as_str().unwrap_or("")
            )
        })
        .collect();
    let lines: Vec<&str> = out.stdout.lines().take(expected.len()).collect();
    for (line, start) in lines.iter().zip(&expected) {
        assert!(line.starts_with(start.as_str()), "{line} / {start}");
    }
    assert_eq!(out.stdout.lines().nth(expected.len()), Some(""));
    assert!(
        out.stdout
            .ends_with("1 error, 1 warning, 0 notes in 7 files (11 objects, 4 Applications)\nApplications: 4 found, 4 rendered\n"),
        "{}",
        out.stdout
    );
}

// A name from the repository cannot break a finding's line: control characters are escaped as
// in the other formats, and a finding with related places is still one line.
#[test]
fn concise_findings_are_one_line_each_whatever_the_names() {
    let dir = tempfile::tempdir().expect("tempdir");
    let doc = |name: &str| {
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \"{name}\"\n  namespace: x\n")
    };
    write(dir.path(), "a.yaml", doc("evil\\n::error::x\\u001b[31m"));
    write(dir.path(), "b.yaml", doc("evil\\n::error::x\\u001b[31m"));
    let out = run_in(
        dir.path(),
        &["check", ".", "--format", "concise", "--fail-on", "never"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let findings: Vec<&str> = out.stdout.lines().take_while(|l| !l.is_empty()).collect();
    let v = json(&run_in(dir.path(), &["check", ".", "--format", "json"]));
    let all = v["diagnostics"].as_array().expect("diagnostics");
    assert!(
        all.iter()
            .any(|d| d["related"].as_array().is_some_and(|r| !r.is_empty())),
        "{v}"
    );
    assert_eq!(findings.len(), all.len(), "{}", out.stdout);
    assert!(
        out.stdout.contains("evil\\n::error::x\\u{1b}[31m"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains('\u{1b}'), "{}", out.stdout);
    assert!(
        !out.stdout.lines().any(|l| l.starts_with("::")),
        "{}",
        out.stdout
    );
}

// `--output concise=FILE` writes what `--format concise` prints.
#[test]
fn concise_is_an_output_format() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("report.txt");
    let flag = format!("concise={}", file.display());
    let out = run(&[
        "check",
        "fixtures/demo",
        "--format",
        "json",
        "--output",
        &flag,
    ]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let written = std::fs::read_to_string(&file).expect("written");
    assert_eq!(
        written,
        run(&["check", "fixtures/demo", "--format", "concise"]).stdout
    );
}

// A count per rule and severity after the findings (human and concise), a `statistics` array
// after the summary in JSON; none of it without the flag.
#[test]
fn statistics_in_human_concise_and_json() {
    let args = ["check", "fixtures/demo", "--statistics"];
    let table = "Findings by rule:\n  1  error    duplicate-application\n  1  warning  one-object-per-file\n\n1 error, 1 warning";
    for format in ["human", "concise"] {
        let out = run(&[&args[..], &["--format", format]].concat());
        assert_eq!(out.code, 1, "{}", out.stderr);
        assert!(out.stdout.contains(table), "{format}:\n{}", out.stdout);
        let plain = run(&["check", "fixtures/demo", "--format", format]);
        assert!(
            !plain.stdout.contains("Findings by rule"),
            "{}",
            plain.stdout
        );
    }
    let v = json(&run(&[&args[..], &["--format", "json"]].concat()));
    let keys: Vec<&String> = v.as_object().expect("an object").keys().collect();
    assert_eq!(keys, ["version", "summary", "statistics", "diagnostics"]);
    assert_eq!(
        v["statistics"],
        serde_json::json!([
            {"rule": "duplicate-application", "severity": "error", "count": 1},
            {"rule": "one-object-per-file", "severity": "warning", "count": 1}
        ])
    );
    let plain = json(&run(&["check", "fixtures/demo", "--format", "json"]));
    assert!(plain.get("statistics").is_none());
}

// The hint that concise output exists is for a terminal only: a long report in a pipe (as the
// tests read it) does not end with it. The decision itself is `report::long_report_hint`'s,
// tested in its module.
#[test]
fn a_long_report_in_a_pipe_has_no_hint() {
    let dir = tempfile::tempdir().expect("tempdir");
    for i in 0..40 {
        write(
            dir.path(),
            &format!("m{i}.yaml"),
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n",
        );
    }
    let out = run_in(dir.path(), &["check", ".", "--fail-on", "never"]);
    assert!(
        out.stdout.lines().count() > manifest_guard::report::LONG_REPORT_LINES,
        "{}",
        out.stdout.lines().count()
    );
    assert!(!out.stdout.contains("--format concise"), "{}", out.stdout);
}
