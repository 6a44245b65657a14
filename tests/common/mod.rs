//! Running the real binary the way a user does, with the environment that changes output removed.

#![allow(dead_code)]

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
    cmd.args(args).current_dir(dir);
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
