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

use common::root;

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Skips the calling test (or fails it in CI) when something it needs is missing.
fn missing(what: &str) {
    let reason = format!("{what} is missing; run scripts/install-test-tools (or scripts/test)");
    assert!(!in_ci(), "{reason}");
    eprintln!("SKIPPED: {reason}");
}

/// A tool from `.tools/bin`, else from PATH.
fn tool(name: &str) -> Option<PathBuf> {
    let local = root().join(".tools/bin").join(name);
    if local.is_file() {
        return Some(local);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file());
    if found.is_none() {
        missing(name);
    }
    found
}

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
    let (Some(cjs), Some(schema)) = (tool("check-jsonschema"), sarif_schema()) else {
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
    let Some(cjs) = tool("check-jsonschema") else {
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
    let (Some(actionlint), Some(cjs)) = (tool("actionlint"), tool("check-jsonschema")) else {
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
    let Some(actionlint) = tool("actionlint") else {
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
    let Some(shellcheck) = tool("shellcheck") else {
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
    let Some(pre_commit) = tool("pre-commit") else {
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
        "language: rust",
        "language: system",
        "pass_filenames: false",
        "args: [check]",
        "files: \\.ya?ml$",
    ] {
        assert!(hooks.contains(needed), "{needed}");
    }
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=manifest-guard tests",
            "-c",
            "user.email=tests@invalid",
        ])
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
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
    let Some(pre_commit) = tool("pre-commit") else {
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

#[test]
fn pre_commit_system_hook_passes_a_good_repository() {
    let Some(pre_commit) = tool("pre-commit") else {
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
    let Some(pre_commit) = tool("pre-commit") else {
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
