//! The places users meet manifest-guard, checked by the real tools: SARIF against the official
//! 2.1.0 schema, `action.yml` against GitHub's action schema, the example workflow with
//! actionlint, the action's shell with shellcheck, and the pre-commit hooks run by pre-commit.
//!
//! The tools come from `scripts/install-test-tools` (into `.tools/`). Without them a test is
//! skipped with its reason, except in CI (`CI=true`), where a missing tool is a failure.

// A skipped test says why on stderr.
#![allow(clippy::print_stderr)]

mod common;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{git, missing, readme_block, required_tool, root};

struct Ran {
    ok: bool,
    output: String,
}

fn run_tool(program: &Path, args: &[&str], dir: &Path, env: &[(&str, OsString)]) -> Ran {
    let mut cmd = Command::new(program);
    cmd.args(args).current_dir(dir);
    for (key, _) in std::env::vars_os() {
        let k = key.to_string_lossy();
        if k == "NO_COLOR" || k.starts_with("GITHUB_") || k == "CLICOLOR_FORCE" {
            cmd.env_remove(&key);
        }
    }
    cmd.envs(env.iter().map(|(k, v)| (k, v)));
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{} does not run: {e}", program.display()));
    Ran {
        ok: out.status.success(),
        output: format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

fn manifest_guard(args: &[&str]) -> String {
    let out = common::run(args);
    assert!(out.code == 0 || out.code == 1, "{}", out.stderr);
    out.stdout
}

// --- SARIF -------------------------------------------------------------------------------------

fn sarif_schema() -> Option<PathBuf> {
    let schema = root().join(".tools/share/sarif-2.1.0.json");
    if schema.is_file() {
        Some(schema)
    } else {
        missing("the SARIF 2.1.0 schema (.tools/share/sarif-2.1.0.json)");
        None
    }
}

#[test]
fn sarif_output_is_valid_sarif_2_1_0() {
    let (Some(cjs), Some(schema)) = (required_tool("check-jsonschema"), sarif_schema()) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    // The incident, every rule's bad fixture at once, and a tree without findings.
    let cases = [
        ("demo.sarif", "fixtures/demo"),
        ("all.sarif", "fixtures"),
        ("healthy.sarif", "fixtures/healthy"),
    ];
    let mut files = Vec::new();
    for (name, path) in cases {
        let sarif = manifest_guard(&["check", path, "--format", "sarif"]);
        let file = dir.path().join(name);
        std::fs::write(&file, sarif).expect("write");
        files.push(file.to_string_lossy().into_owned());
    }
    let all: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("all.sarif")).expect("read"))
            .expect("json");
    assert!(
        all["runs"][0]["results"].as_array().map_or(0, Vec::len) > 10,
        "the fixtures produce many results"
    );
    let schema = schema.to_string_lossy().into_owned();
    let mut args = vec!["--schemafile", schema.as_str()];
    args.extend(files.iter().map(String::as_str));
    let ran = run_tool(&cjs, &args, dir.path(), &[]);
    assert!(ran.ok, "{}", ran.output);

    // The validator does reject what the schema forbids.
    let bad = dir.path().join("bad.sarif");
    let text = std::fs::read_to_string(dir.path().join("demo.sarif")).expect("read");
    std::fs::write(
        &bad,
        text.replacen("\"level\": \"error\"", "\"level\": \"fatal\"", 1),
    )
    .expect("write");
    let ran = run_tool(
        &cjs,
        &["--schemafile", &schema, &bad.to_string_lossy()],
        dir.path(),
        &[],
    );
    assert!(!ran.ok, "a bad level must fail validation: {}", ran.output);
}

// --- GitHub Action -----------------------------------------------------------------------------

#[test]
fn action_yml_matches_the_github_action_schema() {
    let Some(cjs) = required_tool("check-jsonschema") else {
        return;
    };
    let ran = run_tool(
        &cjs,
        &["--builtin-schema", "vendor.github-actions", "action.yml"],
        &root(),
        &[],
    );
    assert!(ran.ok, "{}", ran.output);
}

#[test]
fn example_workflow_passes_actionlint_and_the_workflow_schema() {
    let (Some(actionlint), Some(cjs)) = (
        required_tool("actionlint"),
        required_tool("check-jsonschema"),
    ) else {
        return;
    };
    let example = "examples/github-workflow.yml";
    let ran = run_tool(&actionlint, &[example], &root(), &[]);
    assert!(ran.ok, "{}", ran.output);
    let ran = run_tool(
        &cjs,
        &["--builtin-schema", "vendor.github-workflows", example],
        &root(),
        &[],
    );
    assert!(ran.ok, "{}", ran.output);
}

/// actionlint checks a workflow's `with:` against a local action's inputs: the example, pointed
/// at this checkout's action.yml, must use only inputs the action declares.
#[test]
fn example_workflow_uses_only_the_actions_inputs() {
    let Some(actionlint) = required_tool("actionlint") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join(".github/workflows")).expect("mkdir");
    std::fs::create_dir(dir.path().join(".git")).expect("mkdir .git");
    std::fs::copy(root().join("action.yml"), dir.path().join("action.yml")).expect("copy");
    let example =
        std::fs::read_to_string(root().join("examples/github-workflow.yml")).expect("read");
    let remote = "uses: manifest-guard/manifest-guard@main";
    assert!(
        example.contains(remote),
        "the example uses the published action"
    );
    let local = example.replace(remote, "uses: ./");
    let workflow = dir.path().join(".github/workflows/manifest-guard.yml");
    std::fs::write(&workflow, &local).expect("write");
    let ran = run_tool(&actionlint, &[], dir.path(), &[]);
    assert!(ran.ok, "{}", ran.output);

    // And it would notice an input the action does not have.
    std::fs::write(
        &workflow,
        local.replace(
            "          fail-on: error\n",
            "          fail-on: error\n          failon: error\n",
        ),
    )
    .expect("write");
    let ran = run_tool(&actionlint, &[], dir.path(), &[]);
    assert!(
        !ran.ok && ran.output.contains("\"failon\" is not defined"),
        "{}",
        ran.output
    );
}

/// The composite action's shell steps: no `${{ }}` inside scripts (inputs go through `env:`, so
/// a hostile value cannot become code), and shellcheck-clean.
#[test]
fn action_scripts_pass_shellcheck() {
    let Some(shellcheck) = required_tool("shellcheck") else {
        return;
    };
    let text = std::fs::read_to_string(root().join("action.yml")).expect("read");
    let parsed = manifest_guard::load::yaml::parse(&text, Default::default());
    assert!(parsed.error.is_none(), "{:?}", parsed.error);
    let action = parsed.documents[0].root.as_ref().expect("a document");
    let steps = action.path(&["runs", "steps"]).expect("runs.steps").items();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut scripts = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let name = step.get("name").and_then(|n| n.as_str()).unwrap_or("?");
        if let Some(uses) = step.get("uses").and_then(|u| u.as_str()) {
            assert!(uses.contains('@'), "step `{name}` pins {uses}");
        }
        let Some(script) = step.get("run").and_then(|r| r.as_str()) else {
            continue;
        };
        assert_eq!(
            step.get("shell").and_then(|s| s.as_str()),
            Some("bash"),
            "step `{name}`"
        );
        assert!(
            !script.contains("${{"),
            "step `{name}` expands an expression in its script"
        );
        let file = dir.path().join(format!("step-{i}.sh"));
        std::fs::write(&file, format!("#!/usr/bin/env bash\n{script}")).expect("write");
        scripts.push(file.to_string_lossy().into_owned());
    }
    assert!(scripts.len() >= 4, "{scripts:?}");
    let mut args = vec!["--shell=bash", "--severity=style"];
    args.extend(scripts.iter().map(String::as_str));
    let ran = run_tool(&shellcheck, &args, dir.path(), &[]);
    assert!(ran.ok, "{}", ran.output);
}

// --- pre-commit --------------------------------------------------------------------------------

#[test]
fn pre_commit_hooks_manifest_is_valid() {
    let Some(pre_commit) = required_tool("pre-commit") else {
        return;
    };
    let ran = run_tool(
        &pre_commit,
        &["validate-manifest", ".pre-commit-hooks.yaml"],
        &root(),
        &[],
    );
    assert!(ran.ok, "{}", ran.output);
    let hooks = std::fs::read_to_string(root().join(".pre-commit-hooks.yaml")).expect("read");
    for needed in [
        "- id: manifest-guard\n",
        "- id: manifest-guard-system\n",
        "- id: manifest-guard-fix\n",
        "- id: manifest-guard-fix-system\n",
        "args: [fix, --exit-non-zero-on-fix]",
        "language: rust",
        "language: system",
        "pass_filenames: false",
        "args: [check]",
        "files: \\.ya?ml$",
    ] {
        assert!(hooks.contains(needed), "{needed}");
    }
}

/// A git repository holding exactly `files`, committed.
fn repository(dir: &Path, files: &[(&str, &str)]) {
    std::fs::create_dir_all(dir).expect("mkdir");
    git(dir, &["init", "-q"]);
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    git(dir, &["add", "--all"]);
    git(dir, &["commit", "-q", "-m", "files"]);
}

const APP: &str = "apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: storage
  namespace: argocd
spec:
  project: default
  source: {repoURL: https://git.example.com/gitops.git, path: storage}
  destination: {name: in-cluster, namespace: storage}
";

const CONFIGMAP: &str =
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: storage\n";

/// Runs `pre-commit try-repo <hooks> <hook> --all-files` in a repository holding `files`, with
/// the built binary first on PATH.
fn try_hook(pre_commit: &Path, hook: &str, files: &[(&str, &str)]) -> Ran {
    let scratch = tempfile::tempdir().expect("tempdir");
    // try-repo uses the hook repository's commits (uncommitted new files are not seen), so the
    // current .pre-commit-hooks.yaml is committed into a repository of its own.
    let hooks = scratch.path().join("hooks");
    let manifest = std::fs::read_to_string(root().join(".pre-commit-hooks.yaml")).expect("read");
    repository(&hooks, &[(".pre-commit-hooks.yaml", manifest.as_str())]);
    let work = scratch.path().join("work");
    repository(&work, files);
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_manifest-guard"));
    let mut path = vec![binary.parent().expect("bin dir").to_path_buf()];
    path.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    let env = [
        ("PATH", std::env::join_paths(path).expect("PATH")),
        (
            "PRE_COMMIT_HOME",
            scratch.path().join("pre-commit-home").into_os_string(),
        ),
    ];
    let hooks = hooks.to_string_lossy().into_owned();
    run_tool(
        pre_commit,
        &["try-repo", &hooks, hook, "--all-files"],
        &work,
        &env,
    )
}

#[test]
fn pre_commit_system_hook_fails_on_a_bad_manifest_and_names_the_rule() {
    let Some(pre_commit) = required_tool("pre-commit") else {
        return;
    };
    let twice = format!(
        "{APP}---\n{}",
        APP.replace("namespace: storage}", "namespace: other}")
    );
    let ran = try_hook(
        &pre_commit,
        "manifest-guard-system",
        &[("apps/apps.yaml", &twice)],
    );
    assert!(!ran.ok, "{}", ran.output);
    assert!(
        ran.output.contains("manifest-guard (installed)"),
        "{}",
        ran.output
    );
    assert!(ran.output.contains("Failed"), "{}", ran.output);
    assert!(
        ran.output.contains("duplicate-application"),
        "{}",
        ran.output
    );
    assert!(ran.output.contains("apps/apps.yaml:14:9"), "{}", ran.output);
}

/// The fix hook splits the app-of-apps file and fails, because it changed files (pre-commit's
/// convention, and ruff's fix hook's): the person commits the split after reading it. Run again
/// on the fixed tree it has nothing to change.
#[test]
fn pre_commit_fix_hook_splits_and_fails_when_it_changed_files() {
    let Some(pre_commit) = required_tool("pre-commit") else {
        return;
    };
    let two = format!(
        "{APP}---\n{}",
        APP.replace("name: storage\n", "name: storage-copy\n")
    );
    let ran = try_hook(
        &pre_commit,
        "manifest-guard-fix-system",
        &[("apps/apps.yaml", &two)],
    );
    assert!(!ran.ok, "{}", ran.output);
    assert!(
        ran.output.contains("manifest-guard fix (installed)"),
        "{}",
        ran.output
    );
    assert!(ran.output.contains("Failed"), "{}", ran.output);
    assert!(
        ran.output.contains("split `apps/apps.yaml` into 2 files"),
        "{}",
        ran.output
    );
    assert!(
        ran.output.contains("files were modified by this hook"),
        "{}",
        ran.output
    );
    let clean = try_hook(
        &pre_commit,
        "manifest-guard-fix-system",
        &[
            ("apps/storage.yaml", APP),
            ("storage/settings.yaml", CONFIGMAP),
        ],
    );
    assert!(clean.ok, "{}", clean.output);
    assert!(clean.output.contains("Passed"), "{}", clean.output);
}

#[test]
fn pre_commit_system_hook_passes_a_good_repository() {
    let Some(pre_commit) = required_tool("pre-commit") else {
        return;
    };
    let ran = try_hook(
        &pre_commit,
        "manifest-guard-system",
        &[
            ("apps/storage.yaml", APP),
            ("storage/settings.yaml", CONFIGMAP),
        ],
    );
    assert!(ran.ok, "{}", ran.output);
    assert!(ran.output.contains("Passed"), "{}", ran.output);
}

/// The `language: rust` hook: pre-commit builds manifest-guard from a commit of this repository
/// with `cargo install` (a release build, minutes), then runs it. Run it with
/// `cargo test --test integrations -- --ignored`.
#[test]
#[ignore = "builds manifest-guard in release mode through pre-commit (minutes)"]
fn pre_commit_rust_hook_builds_and_runs() {
    let Some(pre_commit) = required_tool("pre-commit") else {
        return;
    };
    let scratch = tempfile::tempdir().expect("tempdir");
    let hooks = scratch.path().join("hooks");
    let mut files: Vec<(String, String)> = Vec::new();
    for name in [
        "Cargo.toml",
        "Cargo.lock",
        "README.md",
        ".pre-commit-hooks.yaml",
    ] {
        files.push((
            name.to_string(),
            std::fs::read_to_string(root().join(name)).expect("read"),
        ));
    }
    for dir in ["src", "rules"] {
        for entry in walk(&root().join(dir)) {
            let rel = entry
                .strip_prefix(root())
                .expect("inside")
                .to_string_lossy()
                .into_owned();
            files.push((rel, std::fs::read_to_string(&entry).expect("read")));
        }
    }
    let borrowed: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    repository(&hooks, &borrowed);
    let work = scratch.path().join("work");
    let twice = format!(
        "{APP}---\n{}",
        APP.replace("namespace: storage}", "namespace: other}")
    );
    repository(&work, &[("apps/apps.yaml", &twice)]);
    let hooks = hooks.to_string_lossy().into_owned();
    let env = [(
        "PRE_COMMIT_HOME",
        scratch.path().join("pre-commit-home").into_os_string(),
    )];
    let ran = run_tool(
        &pre_commit,
        &["try-repo", &hooks, "manifest-guard", "--all-files"],
        &work,
        &env,
    );
    assert!(!ran.ok, "{}", ran.output);
    assert!(
        ran.output.contains("duplicate-application"),
        "{}",
        ran.output
    );
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read_dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

// --- the action's steps, run the way the runner runs them --------------------------------------

/// The `run:` script of the action step named `name`.
fn action_step(name: &str) -> String {
    let text = std::fs::read_to_string(root().join("action.yml")).expect("read");
    let parsed = manifest_guard::load::yaml::parse(&text, Default::default());
    let action = parsed.documents[0].root.as_ref().expect("a document");
    let steps = action.path(&["runs", "steps"]).expect("runs.steps").items();
    steps
        .iter()
        .find(|s| s.get("name").and_then(|n| n.as_str()) == Some(name))
        .and_then(|s| s.get("run"))
        .and_then(|r| r.as_str())
        .unwrap_or_else(|| panic!("no step `{name}` with a script"))
        .to_string()
}

/// A scratch runner: the files GitHub hands a step, and PATH with the built binary first.
struct Runner {
    dir: tempfile::TempDir,
}

impl Runner {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("bin")).expect("mkdir");
        for f in ["output", "summary", "path"] {
            std::fs::write(dir.path().join(f), "").expect("write");
        }
        Runner { dir }
    }

    fn file(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(name)).expect("read")
    }

    /// Runs one step's script with bash in the repository root, like `shell: bash`.
    fn step(&self, name: &str, env: &[(&str, &str)]) -> (i32, String) {
        let script = self.dir.path().join("step.sh");
        std::fs::write(&script, action_step(name)).expect("write");
        let binary = PathBuf::from(env!("CARGO_BIN_EXE_manifest-guard"));
        let mut path = vec![
            self.dir.path().join("bin"),
            binary.parent().expect("bin dir").to_path_buf(),
        ];
        path.extend(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        ));
        let mut cmd = Command::new("bash");
        cmd.arg("-e").arg(&script).current_dir(root());
        for (key, _) in std::env::vars_os() {
            let k = key.to_string_lossy();
            if k == "NO_COLOR" || k == "CI" || k.starts_with("GITHUB_") || k.starts_with("MG_") {
                cmd.env_remove(&key);
            }
        }
        cmd.env("PATH", std::env::join_paths(path).expect("PATH"))
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_ACTION_PATH", root())
            .env("GITHUB_OUTPUT", self.dir.path().join("output"))
            .env("GITHUB_STEP_SUMMARY", self.dir.path().join("summary"))
            .env("GITHUB_PATH", self.dir.path().join("path"))
            .env("GITHUB_SERVER_URL", "https://github.com")
            .env("GITHUB_REPOSITORY", "acme/gitops")
            .env("GITHUB_RUN_ID", "42")
            .env("RUNNER_TEMP", self.dir.path())
            .env("RUNNER_TOOL_CACHE", self.dir.path().join("toolcache"))
            .env("NO_COLOR", "1")
            .envs(env.iter().copied());
        let out = cmd.output().expect("bash runs");
        (
            out.status.code().unwrap_or(-1),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    }
}

const INPUTS: [(&str, &str); 8] = [
    ("MG_PATH", "fixtures/demo"),
    ("MG_BASE", ""),
    ("MG_PR_BASE", ""),
    ("MG_MODE", "check"),
    ("MG_FAIL_ON", "error"),
    ("MG_CONFIG", ""),
    ("MG_CONFIG_FROM_BASE", "true"),
    ("MG_SARIF", "true"),
];

fn with(overrides: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut env: Vec<_> = INPUTS
        .iter()
        .copied()
        .filter(|(k, _)| !overrides.iter().any(|(o, _)| o == k))
        .collect();
    env.extend_from_slice(overrides);
    env
}

#[test]
fn action_setup_step_checks_inputs_and_keys_the_cache() {
    let runner = Runner::new();
    let good = [
        ("MG_MODE", "both"),
        ("MG_FAIL_ON", "warning"),
        ("MG_SARIF", "true"),
        ("MG_COMMENT", "false"),
        ("MG_CONFIG_FROM_BASE", "true"),
        ("MG_VERSION", ""),
    ];
    let (code, out) = runner.step("Check inputs and find the cache key", &good);
    assert_eq!(code, 0, "{out}");
    let outputs = runner.file("output");
    assert!(outputs.contains("key=src-"), "{outputs}");
    assert!(
        outputs.contains("/toolcache/manifest-guard/install\n"),
        "{outputs}"
    );
    let mut bad = good;
    bad[0] = ("MG_MODE", "sync");
    let (code, out) = runner.step("Check inputs and find the cache key", &bad);
    assert_eq!(code, 2);
    assert!(
        out.contains("::error title=manifest-guard::mode must be check, diff or both"),
        "{out}"
    );
    let mut bad = good;
    bad[4] = ("MG_CONFIG_FROM_BASE", "yes");
    let (code, out) = runner.step("Check inputs and find the cache key", &bad);
    assert_eq!(code, 2);
    assert!(
        out.contains("::error title=manifest-guard::config-from-base must be true or false"),
        "{out}"
    );
}

// Issue 11 §2: on a pull request the action's default mode, `check`, read the pull request's own
// `.manifest-guard.yaml`. With a base (the pull request's, or input `base`) it now passes
// `--config-rev BASE` (with an explicit `config` too: a file of the repository is then read as the
// base has it); `config-from-base: false` or no base (a push) keep the checked-out file. On `pull_request` the checkout is the merge commit (GitHub docs, "Events
// that trigger workflows", pull_request: GITHUB_SHA is the last merge commit of
// refs/pull/N/merge), whose `.manifest-guard.yaml` is the pull request's; the base commit is
// `github.event.pull_request.base.sha`, which the step already reads as MG_PR_BASE.
#[test]
fn action_check_reads_the_configuration_as_the_base_has_it() {
    let runner = Runner::new();
    runner.log_invocations();
    let (code, out) = runner.step(RUN_STEP, &with(&[("MG_PR_BASE", "HEAD")]));
    assert_eq!(code, 0, "{out}");
    let runs = runner.runs();
    assert_eq!(runs.len(), 1, "{runs:#?}");
    assert!(
        runs[0].starts_with("check fixtures/demo --config-rev HEAD --fail-on error"),
        "{runs:#?}"
    );
    let (code, out) = runner.step(RUN_STEP, &with(&[("MG_BASE", "HEAD")]));
    assert_eq!(code, 0, "{out}");
    assert!(runner.runs()[0].contains(" --config-rev HEAD "));
    // `both`: check with the base's configuration, diff (which always reads the base's).
    let (code, out) = runner.step(
        RUN_STEP,
        &with(&[("MG_MODE", "both"), ("MG_PR_BASE", "HEAD")]),
    );
    assert_eq!(code, 0, "{out}");
    let runs = runner.runs();
    assert_eq!(runs.len(), 2, "{runs:#?}");
    assert!(runs[0].contains(" --config-rev HEAD "), "{runs:#?}");
    assert!(runs[1].starts_with("diff --base HEAD "), "{runs:#?}");
    assert!(!runs[1].contains("--config-rev"), "{runs:#?}");
    // An explicit config of the repository: read as the base has it.
    let (code, out) = runner.step(
        RUN_STEP,
        &with(&[
            ("MG_PR_BASE", "HEAD"),
            ("MG_CONFIG", "fixtures/demo/.manifest-guard.yaml"),
        ]),
    );
    assert_eq!(code, 0, "{out}");
    let runs = runner.runs();
    assert!(
        runs[0].contains(" --config fixtures/demo/.manifest-guard.yaml --config-rev HEAD "),
        "{runs:#?}"
    );
    // Opted out, or no base: the checked-out file.
    for overrides in [
        &[("MG_PR_BASE", "HEAD"), ("MG_CONFIG_FROM_BASE", "false")][..],
        &[][..],
    ] {
        let (code, out) = runner.step(RUN_STEP, &with(overrides));
        assert_eq!(code, 0, "{overrides:?}: {out}");
        let runs = runner.runs();
        assert!(
            !runs[0].contains("--config-rev"),
            "{overrides:?}: {runs:#?}"
        );
    }
    // A base that is not a commit of the clone (and not a SHA to fetch) stops the step.
    let (code, out) = runner.step(RUN_STEP, &with(&[("MG_BASE", "no-such-revision")]));
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("revision `no-such-revision` does not exist"),
        "{out}"
    );
}

#[test]
fn action_install_step_uses_a_cached_binary() {
    let runner = Runner::new();
    let install = runner.dir.path().join("install");
    std::fs::create_dir_all(install.join("bin")).expect("mkdir");
    std::fs::copy(
        env!("CARGO_BIN_EXE_manifest-guard"),
        install.join("bin/manifest-guard"),
    )
    .expect("copy");
    std::fs::write(install.join("key"), "src-test\n").expect("write");
    let root_dir = install.to_string_lossy().into_owned();
    let (code, out) = runner.step(
        "Install manifest-guard",
        &[
            ("MG_VERSION", ""),
            ("MG_KEY", "src-test"),
            ("MG_ROOT", &root_dir),
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("found in the cache (src-test)"), "{out}");
    assert!(out.contains("manifest-guard 0."), "{out}");
    assert_eq!(runner.file("path"), format!("{root_dir}/bin\n"));
}

const RUN_STEP: &str = "Run manifest-guard (annotations, SARIF, job summary)";
const FAIL_STEP: &str = "Fail on findings at or above fail-on";

impl Runner {
    /// Puts a `manifest-guard` first on PATH that logs its arguments, then runs the real one.
    fn log_invocations(&self) {
        let wrapper = self.dir.path().join("bin/manifest-guard");
        std::fs::write(
            &wrapper,
            format!(
                "#!/usr/bin/env bash\nprintf '%s\\n' \"$*\" >> '{}'\nexec '{}' \"$@\"\n",
                self.dir.path().join("invocations").display(),
                env!("CARGO_BIN_EXE_manifest-guard")
            ),
        )
        .expect("write");
        let mut perms = std::fs::metadata(&wrapper).expect("meta").permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
        std::fs::set_permissions(&wrapper, perms).expect("chmod");
    }

    /// The `check` and `diff` runs (not `--help`) since the last call.
    fn runs(&self) -> Vec<String> {
        let path = self.dir.path().join("invocations");
        let log = std::fs::read_to_string(&path).unwrap_or_default();
        std::fs::write(&path, "").expect("write");
        log.lines()
            .filter(|l| !l.ends_with("--help"))
            .map(str::to_string)
            .collect()
    }
}

#[test]
fn action_run_step_writes_sarif_and_the_job_summary_in_one_run() {
    let Some(cjs) = required_tool("check-jsonschema") else {
        return;
    };
    let runner = Runner::new();
    runner.log_invocations();
    let (code, out) = runner.step(RUN_STEP, &with(&[]));
    assert_eq!(code, 0, "findings do not fail this step: {out}");
    let runs = runner.runs();
    assert_eq!(runs.len(), 1, "{runs:#?}");
    assert!(
        runs[0].starts_with("check fixtures/demo --fail-on error"),
        "{runs:#?}"
    );
    let outputs = runner.file("output");
    let sarif = runner.dir.path().join("manifest-guard.sarif");
    assert!(
        outputs.contains(&format!("sarif-file={}\n", sarif.display())),
        "{outputs}"
    );
    assert!(outputs.contains("markdown-file="), "{outputs}");
    assert!(outputs.contains("status=1\n"), "{outputs}");
    let log: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).expect("sarif")).expect("json");
    assert!(
        log["runs"][0]["results"]
            .as_array()
            .expect("results")
            .iter()
            .any(|r| r["ruleId"] == "duplicate-application")
    );
    if let Some(schema) = sarif_schema() {
        let ran = run_tool(
            &cjs,
            &[
                "--schemafile",
                &schema.to_string_lossy(),
                &sarif.to_string_lossy(),
            ],
            &root(),
            &[],
        );
        assert!(ran.ok, "{}", ran.output);
    }
    let summary = runner.file("summary");
    assert!(
        summary.starts_with("<!-- manifest-guard -->\n## manifest-guard check\n"),
        "{summary}"
    );
    assert!(
        summary.contains("**❌ Fails** (`--fail-on error`)"),
        "{summary}"
    );
    assert!(
        summary.contains("fixtures/demo/apps/apps.yaml:45:9"),
        "{summary}"
    );
    // The same run annotates the log, with the human report fenced off from the runner.
    assert!(
        out.contains(
            "::error file=fixtures/demo/apps/apps.yaml,line=45,col=9,endLine=45,endColumn=15,title=duplicate-application::"
        ),
        "{out}"
    );
    assert!(out.starts_with("::stop-commands::"), "{out}");

    // Without SARIF, no SARIF file and no output naming one.
    let runner = Runner::new();
    let (code, out) = runner.step(RUN_STEP, &with(&[("MG_SARIF", "false")]));
    assert_eq!(code, 0, "{out}");
    assert!(!runner.file("output").contains("sarif-file="));
    assert!(!runner.dir.path().join("manifest-guard.sarif").exists());

    // `both` adds the diff against the base; without a base revision the step says so.
    let runner = Runner::new();
    runner.log_invocations();
    let (code, out) = runner.step(RUN_STEP, &with(&[("MG_MODE", "both")]));
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("needs a base revision"), "{out}");
    assert!(runner.runs().is_empty(), "nothing runs without a base");
    let (code, out) = runner.step(
        RUN_STEP,
        &with(&[("MG_MODE", "both"), ("MG_PR_BASE", "HEAD")]),
    );
    assert_eq!(code, 0, "{out}");
    let runs = runner.runs();
    assert_eq!(runs.len(), 2, "one check, one diff: {runs:#?}");
    assert!(runs[0].starts_with("check "), "{runs:#?}");
    assert!(runs[1].starts_with("diff --base HEAD "), "{runs:#?}");
    let summary = runner.file("summary");
    assert!(summary.contains("## manifest-guard check"), "{summary}");
    assert!(summary.contains("Blast radius"), "{summary}");
    assert!(
        summary.find("## manifest-guard check") < summary.find("## manifest-guard diff"),
        "{summary}"
    );

    // The tool failing to run fails the step.
    let (code, _) = runner.step(RUN_STEP, &with(&[("MG_PATH", "does/not/exist")]));
    assert_eq!(code, 2);
    let (code, _) = runner.step(RUN_STEP, &with(&[("MG_CONFIG", "does/not/exist.yaml")]));
    assert_eq!(code, 2, "a config that does not exist is exit status 2");
}

/// `suggest-fixes: true` (issue 14): the report gains what `fix` would change, as a patch in a
/// fence no line of the diff can close; nothing is written, and the status is still the
/// check's (a fix to suggest is no failure).
#[test]
fn action_suggests_fixes_in_the_report() {
    let runner = Runner::new();
    runner.log_invocations();
    let before = std::fs::read(root().join("fixtures/demo/apps/apps.yaml")).expect("read");
    let (code, out) = runner.step(RUN_STEP, &with(&[("MG_SUGGEST_FIXES", "true")]));
    assert_eq!(code, 0, "{out}");
    let runs = runner.runs();
    assert_eq!(runs.len(), 2, "{runs:#?}");
    assert!(
        runs[1].starts_with("fix --diff --format markdown fixtures/demo"),
        "{runs:#?}"
    );
    assert!(runner.file("output").contains("status=1\n"));
    let summary = runner.file("summary");
    assert!(
        summary.find("## manifest-guard check") < summary.find("## manifest-guard fix"),
        "{summary}"
    );
    assert!(
        summary.contains("would apply 1 fix to 4 files"),
        "{summary}"
    );
    assert!(
        summary.contains(
            "```diff\n--- /dev/null\n+++ b/fixtures/demo/apps/application-monitoring.yaml\n"
        ),
        "{summary}"
    );
    assert_eq!(
        std::fs::read(root().join("fixtures/demo/apps/apps.yaml")).expect("read"),
        before,
        "suggesting writes nothing"
    );
    assert!(
        !root()
            .join("fixtures/demo/apps/application-monitoring.yaml")
            .exists()
    );

    // Off by default, and checked like the other switches.
    let runner = Runner::new();
    runner.log_invocations();
    let (code, out) = runner.step(RUN_STEP, &with(&[]));
    assert_eq!(code, 0, "{out}");
    assert_eq!(runner.runs().len(), 1);
    let (code, out) = runner.step(
        "Check inputs and find the cache key",
        &[
            ("MG_MODE", "check"),
            ("MG_FAIL_ON", "error"),
            ("MG_SARIF", "true"),
            ("MG_COMMENT", "false"),
            ("MG_CONFIG_FROM_BASE", "true"),
            ("MG_SUGGEST_FIXES", "yes"),
            ("MG_VERSION", ""),
        ],
    );
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("suggest-fixes must be true or false"), "{out}");
}

#[test]
fn action_fails_per_fail_on_in_its_last_step() {
    let runner = Runner::new();
    let (code, out) = runner.step(RUN_STEP, &with(&[("MG_FAIL_ON", "never")]));
    assert_eq!(code, 0, "{out}");
    assert!(runner.file("output").contains("status=0\n"));
    for (status, expected) in [("0", 0), ("1", 1), ("", 2)] {
        let (code, out) = runner.step(FAIL_STEP, &[("MG_STATUS", status)]);
        assert_eq!(code, expected, "status {status:?}: {out}");
    }
}

/// The comment step against a stand-in `gh` that records its calls: it updates the comment it
/// finds by the marker, creates one otherwise, and cuts a report too long for a comment.
#[test]
fn action_comment_step_updates_one_comment() {
    let runner = Runner::new();
    let calls = runner.dir.path().join("gh-calls");
    let existing = runner.dir.path().join("gh-existing");
    let gh = format!(
        "#!/usr/bin/env bash\nprintf '%s\\n' \"$*\" >> '{calls}'\n\
         if [[ \"$*\" == *--paginate* ]]; then cat '{existing}'; fi\n",
        calls = calls.display(),
        existing = existing.display()
    );
    let gh_path = runner.dir.path().join("bin/gh");
    std::fs::write(&gh_path, gh).expect("write");
    let mut perms = std::fs::metadata(&gh_path).expect("meta").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&gh_path, perms).expect("chmod");
    let markdown = runner.dir.path().join("report.md");
    let report = common::run(&["check", "fixtures/demo", "--format", "markdown"]).stdout;
    std::fs::write(&markdown, &report).expect("write");
    let markdown_s = markdown.to_string_lossy().into_owned();
    let env = [
        ("GH_TOKEN", "t"),
        ("MG_PR", "7"),
        ("MG_MARKDOWN", markdown_s.as_str()),
    ];
    let body = runner.dir.path().join("manifest-guard-comment.md");

    std::fs::write(&existing, "1111\n2222\n").expect("write");
    let (code, out) = runner.step("Comment on the pull request", &env);
    assert_eq!(code, 0, "{out}");
    let log = std::fs::read_to_string(&calls).expect("calls");
    assert!(
        log.contains("api --paginate repos/acme/gitops/issues/7/comments --jq"),
        "{log}"
    );
    assert!(
        log.contains(&format!(
            "api --method PATCH repos/acme/gitops/issues/comments/1111 -F body=@{}",
            body.display()
        )),
        "{log}"
    );
    let sent = std::fs::read_to_string(&body).expect("body");
    assert_eq!(sent, format!("<!-- manifest-guard -->\n{report}"));

    std::fs::write(&existing, "").expect("write");
    std::fs::write(&calls, "").expect("write");
    let (code, out) = runner.step("Comment on the pull request", &env);
    assert_eq!(code, 0, "{out}");
    let log = std::fs::read_to_string(&calls).expect("calls");
    assert!(
        log.contains("api --method POST repos/acme/gitops/issues/7/comments -F body=@"),
        "{log}"
    );

    // Two reports together can pass the limit: the comment is cut at a line and says where the rest is.
    let long: String = (0..3000)
        .map(|i| format!("| row {i} | padding padding padding |\n"))
        .collect();
    std::fs::write(&markdown, &long).expect("write");
    let (code, out) = runner.step("Comment on the pull request", &env);
    assert_eq!(code, 0, "{out}");
    let sent = std::fs::read_to_string(&body).expect("body");
    assert!(sent.len() <= 65_536, "{}", sent.len());
    assert!(sent.contains("**Cut to fit a comment.**"), "{sent}");
    assert!(sent.contains("https://github.com/acme/gitops/actions/runs/42"));
    let before_note = sent.split("\n\n**Cut").next().expect("body");
    assert!(before_note.ends_with("padding |"), "cut at a line end");
}

// --- the README's snippets ---------------------------------------------------------------------

/// What a newcomer copies from the README is a workflow actionlint accepts, using only inputs
/// the action has.
#[test]
fn readme_workflow_snippet_passes_actionlint() {
    let Some(actionlint) = required_tool("actionlint") else {
        return;
    };
    let snippet = readme_block("## In a pull request: the GitHub Action", "yaml");
    assert!(
        snippet.contains("uses: manifest-guard/manifest-guard@main"),
        "{snippet}"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join(".github/workflows")).expect("mkdir");
    std::fs::create_dir(dir.path().join(".git")).expect("mkdir .git");
    std::fs::copy(root().join("action.yml"), dir.path().join("action.yml")).expect("copy");
    for (name, text) in [
        ("published.yml", snippet.clone()),
        (
            "local.yml",
            snippet.replace("manifest-guard/manifest-guard@main", "./"),
        ),
    ] {
        std::fs::write(dir.path().join(".github/workflows").join(name), text).expect("write");
    }
    let ran = run_tool(&actionlint, &[], dir.path(), &[]);
    assert!(ran.ok, "{}", ran.output);
}

/// The README's "Scaling out" matrix (issue 12 §3) is a workflow actionlint accepts (with
/// shellcheck over its scripts when it is installed), and it runs what `merge` takes.
#[test]
fn readme_scaling_out_workflow_passes_actionlint() {
    let snippet = readme_block("### Scaling out", "yaml");
    assert!(
        snippet.contains("--format json")
            && snippet.contains("manifest-guard merge reports/*.json"),
        "{snippet}"
    );
    let Some(actionlint) = required_tool("actionlint") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join(".github/workflows")).expect("mkdir");
    std::fs::create_dir(dir.path().join(".git")).expect("mkdir .git");
    std::fs::write(dir.path().join(".github/workflows/parts.yml"), snippet).expect("write");
    let ran = run_tool(&actionlint, &[], dir.path(), &[]);
    assert!(ran.ok, "{}", ran.output);
}

/// The README's pre-commit configuration is valid and names a hook this repository defines.
#[test]
fn readme_pre_commit_snippet_is_valid() {
    let Some(pre_commit) = required_tool("pre-commit") else {
        return;
    };
    let snippet = readme_block("## On commit: pre-commit", "yaml");
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join(".pre-commit-config.yaml");
    std::fs::write(&config, &snippet).expect("write");
    let ran = run_tool(
        &pre_commit,
        &["validate-config", &config.to_string_lossy()],
        dir.path(),
        &[],
    );
    assert!(ran.ok, "{}", ran.output);
    let hooks = std::fs::read_to_string(root().join(".pre-commit-hooks.yaml")).expect("read");
    assert!(snippet.contains("- id: manifest-guard\n"), "{snippet}");
    assert!(hooks.contains("- id: manifest-guard\n"));
}
