//! Running the real binary the way a user does, with the environment that changes output removed.

#![allow(dead_code, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `manifest-guard args...` in `dir`.
pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_manifest-guard"));
    cmd.args(args).current_dir(dir).env("PATH", tool_path());
    for (key, _) in std::env::vars_os() {
        let k = key.to_string_lossy();
        if k == "NO_COLOR" || k == "CI" || k.starts_with("GITHUB_") || k == "CLICOLOR_FORCE" {
            cmd.env_remove(&key);
        }
    }
    let out = cmd.output().expect("the binary runs");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `manifest-guard args...` from the repository root.
pub fn run(args: &[&str]) -> Output {
    run_in(&root(), args)
}

pub fn json(out: &Output) -> serde_json::Value {
    serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("JSON output ({e}):\n{}\n{}", out.stdout, out.stderr))
}

/// `(rule, file, line, column)` of every diagnostic in JSON output.
pub fn positions(v: &serde_json::Value) -> Vec<(String, String, u64, u64)> {
    v["diagnostics"]
        .as_array()
        .map(|ds| {
            ds.iter()
                .map(|d| {
                    (
                        d["rule"].as_str().unwrap_or("").to_string(),
                        d["file"].as_str().unwrap_or("").to_string(),
                        d["line"].as_u64().unwrap_or(0),
                        d["column"].as_u64().unwrap_or(0),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The rule ids the binary knows, from `rules --format json`.
pub fn rule_ids() -> Vec<String> {
    let out = run(&["rules", "--format", "json"]);
    json(&out)["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_string())
        .collect()
}

/// The ids of the rules that read a change set (`diff`) rather than one inventory.
pub fn change_rule_ids() -> Vec<String> {
    let out = run(&["rules", "--format", "json"]);
    json(&out)["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .filter(|r| r["reads"] == "changes")
        .map(|r| r["id"].as_str().expect("id").to_string())
        .collect()
}

/// The arguments that check a fixture directory with the command its rule needs: `check DIR`,
/// or `diff --base-dir DIR/base --head-dir DIR/head` for a rule about changes.
pub fn fixture_args(dir: &str, change_rule: bool) -> Vec<String> {
    if change_rule {
        vec![
            "diff".into(),
            "--base-dir".into(),
            format!("{dir}/base"),
            "--head-dir".into(),
            format!("{dir}/head"),
        ]
    } else {
        vec!["check".into(), dir.into()]
    }
}

/// PATH with the test tools (`.tools/bin`, installed by scripts/install-test-tools) first.
pub fn tool_path() -> std::ffi::OsString {
    let mut paths = vec![root().join(".tools/bin")];
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(paths).unwrap_or_default()
}

/// A tool found on [`tool_path`].
pub fn find_tool(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&tool_path())
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// Whether helm and kubectl are there for render tests. In CI a missing tool fails the test;
/// elsewhere the test is skipped with a printed reason.
pub fn render_tools() -> bool {
    if find_tool("helm").is_some() && find_tool("kubectl").is_some() {
        return true;
    }
    assert!(
        std::env::var("CI").is_err(),
        "helm and kubectl are required in CI (scripts/install-test-tools installs them)"
    );
    eprintln!("skipped: helm or kubectl not found; run scripts/test to install them");
    false
}

/// Render flags that name the test tools explicitly (the library does not read PATH changes).
pub fn render_flags() -> manifest_guard::RenderFlags {
    manifest_guard::RenderFlags {
        helm: find_tool("helm"),
        kustomize: find_tool("kubectl"),
        ..Default::default()
    }
}

/// Writes `dir/rel`, making its directories.
pub fn write(dir: &Path, rel: &str, contents: impl AsRef<[u8]>) {
    let path = dir.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(path, contents).expect("write");
}

/// Runs git in `dir`, isolated from the machine's git configuration; its stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=manifest-guard tests",
            "-c",
            "user.email=tests@example.com",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
