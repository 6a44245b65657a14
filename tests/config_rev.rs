//! Issue 11 §2, "the change under review never chooses the rules that judge it": `check
//! --config-rev REV` reads `.manifest-guard.yaml` as REV has it, through the real binary, in
//! throw-away git repositories holding the 2021 incident (`fixtures/demo`); what the working
//! tree's file loosens is a `config-loosened` finding at its key; the repository's config may
//! lower the run's bounds but never raise them.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{Output, json, positions, run_in, write};

/// A git repository holding `fixtures/demo` committed as the base, with no configuration.
struct Repo {
    dir: tempfile::TempDir,
}

impl Repo {
    fn demo() -> Repo {
        let dir = tempfile::tempdir().expect("tempdir");
        let repo = dir.path().join("repo");
        let copied = Command::new("cp")
            .arg("-R")
            .arg(common::root().join("fixtures/demo"))
            .arg(&repo)
            .status()
            .expect("cp runs");
        assert!(copied.success());
        let r = Repo { dir };
        r.git(&["init", "--quiet", "--initial-branch=main"]);
        r.commit("base: the demo, no configuration");
        r
    }

    fn path(&self) -> PathBuf {
        self.dir.path().join("repo")
    }

    fn git(&self, args: &[&str]) -> String {
        common::git(&self.path(), args)
    }

    fn write(&self, rel: &str, text: &str) {
        write(&self.path(), rel, text);
    }

    fn commit(&self, message: &str) {
        self.git(&["add", "--all"]);
        self.git(&["commit", "--quiet", "--message", message]);
    }

    fn run(&self, args: &[&str]) -> Output {
        run_in(&self.path(), args)
    }
}

/// The severity of the first finding of `rule` whose message contains `message`.
fn severity_of_in(out: &Output, rule: &str, message: &str) -> Option<String> {
    json(out)["diagnostics"]
        .as_array()?
        .iter()
        .find(|d| d["rule"] == rule && d["message"].as_str().unwrap_or("").contains(message))
        .map(|d| d["severity"].as_str().unwrap_or("").to_string())
}

fn rules(out: &Output) -> Vec<(String, String, u64)> {
    positions(&json(out))
        .into_iter()
        .map(|(rule, file, line, _)| (rule, file, line))
        .collect()
}

/// The demo's own configuration (7 lines: its repository mapping and its protected cluster).
fn demo_config() -> String {
    std::fs::read_to_string(common::root().join("fixtures/demo/.manifest-guard.yaml"))
        .expect("the demo's config")
}

/// The pull request of the 2021 incident, as an attacker writes it: the duplicate Application is
/// already in the demo, and the change's configuration turns the rule off (line 9) and hides
/// every file (line 11).
fn loosening() -> String {
    format!(
        "{}rules:\n  duplicate-application: off\nexclude:\n  - \"**\"\n",
        demo_config()
    )
}

#[test]
fn the_working_trees_config_does_not_judge_a_check_with_config_rev() {
    let repo = Repo::demo();
    repo.write(".manifest-guard.yaml", &loosening());
    // Without --config-rev the working tree's file is read: the incident passes (what the issue
    // reports, and what `check` on a developer's machine still does).
    let out = repo.run(&["check", "--format", "json"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(rules(&out).is_empty());

    // With the base's configuration (none: the defaults), the duplicate is an error, and the
    // change's file is reported at the keys that loosen it.
    let out = repo.run(&["check", "--config-rev", "HEAD", "--format", "json"]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let found = rules(&out);
    assert!(
        found.contains(&("duplicate-application".into(), "apps/apps.yaml".into(), 45)),
        "{found:#?}"
    );
    let v = json(&out);
    let loosened: Vec<(&str, &str, u64)> = v["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["rule"] == "config-loosened")
        .map(|d| {
            (
                d["severity"].as_str().unwrap_or(""),
                d["message"].as_str().unwrap_or(""),
                d["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        loosened,
        vec![
            (
                "warning",
                "turns off rule `duplicate-application` (error in the base)",
                9
            ),
            (
                "note",
                "adds exclude `**`: the files it matches are not checked (7 of the 7 files this run checks)",
                11
            ),
        ],
        "{}",
        out.stdout
    );
    assert!(
        v["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .filter(|d| d["rule"] == "config-loosened")
            .all(|d| d["file"] == ".manifest-guard.yaml")
    );

    // The human report shows the key, with its line.
    let out = repo.run(&["check", "--config-rev", "HEAD", "--color", "never"]);
    assert!(
        out.stdout.contains(
            "[.manifest-guard.yaml:9:3]\n  8 │ rules:\n  9 │   duplicate-application: off"
        ),
        "{}",
        out.stdout
    );
}

#[test]
fn the_revisions_config_is_used_and_a_same_file_reports_nothing() {
    let repo = Repo::demo();
    repo.write(
        ".manifest-guard.yaml",
        &format!(
            "{}rules:\n  duplicate-application: warning\n",
            demo_config()
        ),
    );
    repo.commit("the maintainers lower the rule");
    // The working tree turns it off entirely: the revision's `warning` applies, and the change
    // from warning to off is a note.
    repo.write(".manifest-guard.yaml", &loosening());
    let out = repo.run(&["check", "--config-rev", "HEAD", "--format", "json"]);
    assert_eq!(out.code, 0, "a warning does not fail: {}", out.stderr);
    let v = json(&out);
    let severity_of = |rule: &str, message: &str| {
        v["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .find(|d| d["rule"] == rule && d["message"].as_str().unwrap_or("").contains(message))
            .map(|d| d["severity"].as_str().unwrap_or("").to_string())
    };
    assert_eq!(
        severity_of("duplicate-application", "").as_deref(),
        Some("warning")
    );
    assert_eq!(
        severity_of(
            "config-loosened",
            "turns off rule `duplicate-application` (warning in the base)"
        )
        .as_deref(),
        Some("note"),
        "{}",
        out.stdout
    );
    // The same file on both sides: nothing to report.
    repo.git(&["checkout", "--quiet", "--", ".manifest-guard.yaml"]);
    let out = repo.run(&["check", "--config-rev", "HEAD", "--format", "json"]);
    assert!(
        !rules(&out).iter().any(|(r, ..)| r == "config-loosened"),
        "{}",
        out.stdout
    );
    // A revision without the file: the defaults, and deleting the file is no loosening of them.
    std::fs::remove_file(repo.path().join(".manifest-guard.yaml")).expect("rm");
    // Deleted in the working tree: the revision's file still judges, and what the deletion gives
    // up (the protected cluster above all) is said.
    let out = repo.run(&["check", "--config-rev", "HEAD", "--format", "json"]);
    assert_eq!(
        severity_of_in(
            &out,
            "config-loosened",
            "deleting the file removes protected cluster `central-eu-cluster`"
        )
        .as_deref(),
        Some("warning"),
        "{}",
        out.stdout
    );
    repo.commit("no configuration");
    let out = repo.run(&["check", "--config-rev", "HEAD", "--format", "json"]);
    assert_eq!(out.code, 1, "the defaults make the duplicate an error");
    assert!(!rules(&out).iter().any(|(r, ..)| r == "config-loosened"));
}

#[test]
fn a_subdirectory_reads_the_config_at_its_place_in_the_revision() {
    let dir = tempfile::tempdir().expect("tempdir");
    let top = dir.path().join("top");
    std::fs::create_dir_all(&top).expect("mkdir");
    let copied = Command::new("cp")
        .arg("-R")
        .arg(common::root().join("fixtures/demo"))
        .arg(top.join("gitops"))
        .status()
        .expect("cp");
    assert!(copied.success());
    write(
        &top,
        "gitops/.manifest-guard.yaml",
        "rules:\n  duplicate-application: off\n",
    );
    common::git(&top, &["init", "--quiet", "--initial-branch=main"]);
    common::git(&top, &["add", "--all"]);
    common::git(&top, &["commit", "--quiet", "--message", "base"]);
    write(
        &top,
        "gitops/.manifest-guard.yaml",
        "rules:\n  duplicate-application: error\n",
    );
    // From the top, for the subdirectory: `HEAD:gitops/.manifest-guard.yaml` turns the rule off.
    let out = run_in(
        &top,
        &[
            "check",
            "gitops",
            "--config-rev",
            "HEAD",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        !rules(&out)
            .iter()
            .any(|(r, ..)| r == "duplicate-application"),
        "{}",
        out.stdout
    );
    // Without it, the working tree's `error` applies.
    let out = run_in(&top, &["check", "gitops", "--format", "json"]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
}

#[test]
fn hostile_and_missing_revisions_are_exit_2() {
    let repo = Repo::demo();
    repo.write(".manifest-guard.yaml", &loosening());
    for rev in [
        "--output=owned",
        "-c",
        "--upload-pack=touch owned",
        "HEAD:apps",
        "HEAD:.manifest-guard.yaml",
        "/etc",
        "no-such-branch",
        "",
    ] {
        let out = repo.run(&["check", &format!("--config-rev={rev}")]);
        assert_eq!(out.code, 2, "{rev:?}: {}{}", out.stdout, out.stderr);
        assert!(out.stdout.is_empty(), "{rev:?}: nothing is checked");
    }
    assert!(!repo.path().join("owned").exists());
    // The same flag with a real revision runs (and finds the incident).
    let out = repo.run(&["check", "--config-rev=HEAD"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    // A revision whose config file is a link is refused: it is read from git, never followed.
    std::os::unix::fs::symlink("/etc/hostname", repo.path().join("link.yaml")).expect("link");
    std::fs::remove_file(repo.path().join(".manifest-guard.yaml")).expect("rm");
    std::os::unix::fs::symlink("link.yaml", repo.path().join(".manifest-guard.yaml"))
        .expect("link");
    repo.commit("a linked config");
    let out = repo.run(&["check", "--config-rev", "HEAD"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("is not a regular file"),
        "{}",
        out.stderr
    );
    // Outside a git repository there is no revision to read.
    let plain = tempfile::tempdir().expect("tempdir");
    let out = run_in(plain.path(), &["check", "--config-rev", "HEAD"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("not a git repository"),
        "{}",
        out.stderr
    );
}

/// `check --config ci/config.yaml --config-rev HEAD --format json` in `repo`.
fn check_with_repository_config(repo: &Repo) -> Output {
    repo.run(&[
        "check",
        "--config",
        "ci/config.yaml",
        "--config-rev",
        "HEAD",
        "--format",
        "json",
    ])
}

/// `--config FILE --config-rev REV`: a file of the repository is read as REV has it (the pull
/// request edited the working tree's, which would hide the incident), and what the working tree's
/// version loosens is reported at its line; an operator's file outside the repository is read
/// from disk — its raised bounds apply — while suppressions are still judged against REV.
#[test]
fn config_with_config_rev_reads_a_repository_file_as_the_revision_has_it() {
    let repo = Repo::demo();
    repo.write("ci/config.yaml", "rules: {}\n");
    repo.commit("a config file under ci/");
    repo.write("ci/config.yaml", "rules:\n  duplicate-application: off\n");
    let out = check_with_repository_config(&repo);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let found = rules(&out);
    assert!(
        found.contains(&("duplicate-application".into(), "apps/apps.yaml".into(), 45)),
        "{found:#?}"
    );
    assert!(
        found.contains(&("config-loosened".into(), "ci/config.yaml".into(), 2)),
        "{found:#?}"
    );
    let out = repo.run(&[
        "render",
        "--config",
        "ci/config.yaml",
        "--config-rev",
        "HEAD",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);

    // The operator's file: from disk, whatever REV holds.
    let operator = tempfile::tempdir().expect("tempdir");
    let file = operator.path().join("manifest-guard.yaml");
    std::fs::write(&file, "limits:\n  render-timeout: 600\n").expect("write");
    let out = repo.run(&[
        "check",
        "--config",
        &file.to_string_lossy(),
        "--config-rev",
        "HEAD",
        "--format",
        "json",
    ]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(!rules(&out).iter().any(|(r, ..)| r == "config-loosened"));
}

/// `--config FILE --config-rev REV` naming a file of the repository that the working tree
/// reaches through a link it makes (a directory above the file turned into a link, to another
/// directory of the repository or out of it) is still read as REV has it at the path named.
/// (Before, the directory link was followed: to another directory, REV's file there judged the
/// change (or the defaults, where REV has none); out of the repository, the file there was read from disk as the
/// operator's. Either way the incident passed.)
#[test]
fn config_with_config_rev_is_not_redirected_by_a_directory_link() {
    let repo = Repo::demo();
    repo.write("ci/config.yaml", "rules:\n  duplicate-application: error\n");
    // A sample beside it that turns the rule off: what the link points the reviewed path at.
    repo.write("ci2/config.yaml", "rules:\n  duplicate-application: off\n");
    repo.commit("a config file under ci/, a sample under ci2/");
    let outside = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        outside.path().join("config.yaml"),
        "rules:\n  duplicate-application: off\n",
    )
    .expect("write");
    std::fs::remove_dir_all(repo.path().join("ci")).expect("remove");
    for target in [PathBuf::from("ci2"), outside.path().to_path_buf()] {
        let link = repo.path().join("ci");
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&target, &link).expect("link");
        let out = check_with_repository_config(&repo);
        assert_eq!(out.code, 1, "{target:?}: {}{}", out.stdout, out.stderr);
        let found = rules(&out);
        assert!(
            found.contains(&("duplicate-application".into(), "apps/apps.yaml".into(), 45)),
            "{target:?}: {found:#?}"
        );
    }
}

#[test]
fn render_reads_the_revisions_config_too() {
    let repo = Repo::demo();
    // The working tree hides everything; the revision (none: the defaults) does not.
    repo.write(".manifest-guard.yaml", &loosening());
    let applications = |out: &Output| json(out)["applications"].as_array().map_or(0, Vec::len);
    let out = repo.run(&["render", "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(applications(&out), 0);
    let out = repo.run(&["render", "--config-rev", "HEAD", "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(applications(&out) > 0, "{}", out.stdout);
}

// Issue 11 §2: `render.timeout: 4294967295` in the repository's config was accepted. It is a
// config error (exit 2) at the value; an operator's config outside the repository may raise it.
#[test]
fn the_repositorys_config_cannot_raise_the_render_timeout() {
    let repo = Repo::demo();
    repo.write(".manifest-guard.yaml", "render:\n  timeout: 4294967295\n");
    let out = repo.run(&["check", "--color", "never"]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr
            .contains("`render.timeout` may only lower the bound (60 s) in a config file inside the scanned repository"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("[.manifest-guard.yaml:2:12]\n 1 │ render:\n 2 │   timeout: 4294967295"),
        "{}",
        out.stderr
    );
    // The same file given with --config from inside the repository is still the repository's.
    repo.write("ci/config.yaml", "render:\n  timeout: 4294967295\n");
    let out = repo.run(&["check", "--config", "ci/config.yaml"]);
    assert_eq!(out.code, 2, "{}", out.stderr);

    // The operator's file, outside the checkout, may raise it.
    let operator = tempfile::tempdir().expect("tempdir");
    let file = operator.path().join("manifest-guard.yaml");
    std::fs::write(&file, "render:\n  timeout: 4294967295\n").expect("write");
    let out = repo.run(&[
        "check",
        "--config",
        &file.to_string_lossy(),
        "--format",
        "json",
    ]);
    assert_eq!(out.code, 1, "the incident is found: {}", out.stderr);
    assert!(
        rules(&out)
            .iter()
            .any(|(r, ..)| r == "duplicate-application")
    );
    // In the revision read by --config-rev it is the repository's too.
    repo.commit("a raised timeout");
    let out = repo.run(&["check", "--config-rev", "HEAD"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("HEAD:.manifest-guard.yaml"),
        "{}",
        out.stderr
    );
}

// `diff` already read the base's configuration; now it also says what the head's file loosens,
// at the head's key (here: the working tree, against `HEAD`).
#[test]
fn diff_reports_what_the_heads_config_loosens() {
    let repo = Repo::demo();
    repo.write(".manifest-guard.yaml", &loosening());
    let out = repo.run(&["diff", "--base", "HEAD", "--format", "json"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let found = rules(&out);
    assert!(
        found.contains(&("config-loosened".into(), ".manifest-guard.yaml".into(), 9)),
        "{found:#?}"
    );
    assert!(
        found.contains(&("config-loosened".into(), ".manifest-guard.yaml".into(), 11)),
        "{found:#?}"
    );
    // Committed as the head revision, the file is named by it.
    repo.commit("loosen");
    let out = repo.run(&[
        "diff", "--base", "HEAD~1", "--head", "HEAD", "--format", "json",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        rules(&out).contains(&(
            "config-loosened".into(),
            "HEAD:.manifest-guard.yaml".into(),
            9
        )),
        "{}",
        out.stdout
    );
}

/// The attacker's other lever: instead of the config file, a suppression comment or annotation
/// on the incident's own line. Reviewed against the base (`--config-rev`), a suppression the
/// change adds does not silence the finding: it is a warning naming the directive, for the
/// reviewer to accept (src/diagnostic/suppression.rs). A suppression the base already has
/// silences, and is counted in the summary.
#[test]
fn a_suppression_the_change_adds_does_not_silence_its_finding() {
    let repo = Repo::demo();
    let apps = std::fs::read_to_string(repo.path().join("apps/apps.yaml")).expect("apps");
    // The second `name: storage` is the duplicate the pull request adds: the comment goes above it.
    let second = apps.rfind("  name: storage\n").expect("the duplicate");
    let commented_second = format!(
        "{}  # manifest-guard: ignore[duplicate-application]\n{}",
        &apps[..second],
        &apps[second..]
    );
    repo.write("apps/apps.yaml", &commented_second);

    // Without a base the working tree's suppression is honoured (a developer's own choice).
    let out = repo.run(&["check", "--format", "json"]);
    let v = json(&out);
    assert!(
        !rules(&out)
            .iter()
            .any(|(r, _, _)| r == "duplicate-application"),
        "{}",
        out.stdout
    );
    assert_eq!(
        v["summary"]["suppressed"]["duplicate-application"], 1,
        "{v}"
    );

    // Against the base, it is the change's own choice: shown, as a warning, with the directive.
    let out = repo.run(&["check", "--config-rev", "HEAD", "--format", "json"]);
    assert_eq!(
        severity_of_in(&out, "duplicate-application", "that this change adds"),
        Some("warning".to_string()),
        "{}",
        out.stdout
    );
    let v = json(&out);
    assert!(
        v["summary"]["suppressed"]
            .as_object()
            .is_some_and(|m| m.is_empty()),
        "{v}"
    );

    // Merged, it is the base's: it silences.
    repo.commit("the suppression is merged");
    let out = repo.run(&["check", "--config-rev", "HEAD", "--format", "json"]);
    assert!(
        !rules(&out)
            .iter()
            .any(|(r, _, _)| r == "duplicate-application"),
        "{}",
        out.stdout
    );
    assert_eq!(
        json(&out)["summary"]["suppressed"]["duplicate-application"],
        1
    );
}
