//! The git checkout around the scanned root: which Applications are this repository, wherever
//! the check starts. Argo CD resolves a source's `path` from the repository's top level, so a
//! check of a subdirectory, or of a `git worktree` checkout (whose `.git` is a file naming the
//! real git directory), must find the same Applications and findings as a check of the top level.

mod common;

use std::path::Path;

use common::{git, json, run_in, write};

const ORIGIN: &str = "https://git.example.com/platform/gitops.git";
/// The origin in its scp-like ssh form: the same repository.
const ORIGIN_SSH: &str = "git@git.example.com:platform/gitops.git";
const OTHER: &str = "https://git.example.com/platform/other.git";

fn application(name: &str, repo: &str, path: &str, namespace: &str) -> String {
    format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {name}\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: {repo}\n    path: {path}\n  destination:\n    name: in-cluster\n    namespace: {namespace}\n"
    )
}

/// A repository whose GitOps tree is in `gitops/`: an app-of-apps (`root`, its `path` written
/// from the repository's top level) renders `storage` (this repository) and `vendored` (another
/// repository, whose path happens to exist here too); `storage` deploys into `kube-system`;
/// an ApplicationSet's git generator lists `gitops/storage*`.
fn repository(top: &Path) {
    write(
        top,
        "README.md",
        "Not a manifest: the GitOps tree is in gitops/.\n",
    );
    write(
        top,
        "gitops/root.yaml",
        application("root", ORIGIN_SSH, "gitops/apps", "argocd"),
    );
    write(
        top,
        "gitops/apps/storage.yaml",
        application("storage", ORIGIN, "gitops/storage", "storage"),
    );
    write(
        top,
        "gitops/apps/vendored.yaml",
        application("vendored", OTHER, "gitops/storage", "vendored"),
    );
    write(
        top,
        "gitops/storage/settings.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: kube-system\n",
    );
    write(
        top,
        "gitops/appsets/storage-copies.yaml",
        format!(
            "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: copies\n  namespace: argocd\nspec:\n  goTemplate: true\n  generators:\n    - git:\n        repoURL: {ORIGIN}\n        revision: HEAD\n        directories:\n          - path: gitops/storage*\n  template:\n    metadata:\n      name: 'copy-{{{{.path.basename}}}}'\n    spec:\n      project: default\n      source:\n        repoURL: {ORIGIN}\n        path: '{{{{.path.path}}}}'\n      destination:\n        name: in-cluster\n        namespace: copies\n"
        ),
    );
    git(top, &["init", "--quiet", "--initial-branch=main"]);
    git(top, &["remote", "add", "origin", ORIGIN]);
    git(top, &["add", "--all"]);
    git(top, &["commit", "--quiet", "--message", "gitops tree"]);
}

type Finding = (String, String, u64, u64, String);

/// `check ARG --format json` run in `cwd`: every finding in `gitops/`, and every Application the
/// inventory holds.
fn check(cwd: &Path, arg: &str) -> (Vec<Finding>, u64) {
    let out = run_in(cwd, &["check", arg, "--format", "json"]);
    assert!(out.code == 0 || out.code == 1, "{}", out.stderr);
    let v = json(&out);
    let findings = v["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["file"].as_str().is_some_and(|f| f.starts_with("gitops/")))
        .map(|d| {
            (
                d["rule"].as_str().unwrap_or("").to_string(),
                d["file"].as_str().unwrap_or("").to_string(),
                d["line"].as_u64().unwrap_or(0),
                d["column"].as_u64().unwrap_or(0),
                d["message"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    (findings, v["summary"]["applications"].as_u64().unwrap_or(0))
}

/// The note a subdirectory's check adds on an ApplicationSet whose git generator sees only the
/// part of the repository inside the scanned directory.
fn partial_view(findings: &[Finding]) -> (Vec<Finding>, Vec<Finding>) {
    findings
        .iter()
        .cloned()
        .partition(|f| f.4.contains("sees only `gitops/`"))
}

#[test]
fn a_subdirectory_and_a_worktree_find_what_the_top_level_finds() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let top = tmp.path().join("repo");
    repository(&top);
    let (whole, apps) = check(&top, ".");
    // root, storage, vendored, and the ApplicationSet's `copy-storage`.
    assert_eq!(apps, 4, "{whole:#?}");
    let rules: Vec<(&str, &str)> = whole.iter().map(|f| (f.0.as_str(), f.1.as_str())).collect();
    assert!(
        rules.contains(&("cross-namespace-target", "gitops/storage/settings.yaml")),
        "{whole:#?}"
    );
    assert!(
        whole.iter().any(|f| f.0 == "not-rendered"
            && f.1 == "gitops/apps/vendored.yaml"
            && f.4.contains("is not available offline")),
        "{whole:#?}"
    );

    // `check gitops` from the top: the same, plus one note on what the generator cannot see.
    let (sub, sub_apps) = check(&top, "gitops");
    let (notes, rest) = partial_view(&sub);
    assert_eq!(rest, whole);
    assert_eq!(sub_apps, apps);
    assert_eq!(notes.len(), 1, "{sub:#?}");
    assert_eq!(notes[0].1, "gitops/appsets/storage-copies.yaml");

    // A `git worktree add` checkout: `.git` is a file, the remote is in the common git dir.
    let worktree = tmp.path().join("worktree");
    git(
        &top,
        &[
            "worktree",
            "add",
            "--quiet",
            worktree.to_str().expect("utf-8 path"),
        ],
    );
    assert!(worktree.join(".git").is_file());
    assert_eq!(check(&worktree, "."), (whole.clone(), apps));
    let (sub, _) = check(&worktree, "gitops");
    assert_eq!(partial_view(&sub).1, whole);
}

// What the scanned directory does not hold is not read: an Application whose path (from the
// repository's top level) is outside it is a `not-rendered` note, as a repository that is not
// here is.
#[test]
fn a_source_outside_the_scanned_directory_is_a_note_and_not_read() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let top = tmp.path().join("repo");
    repository(&top);
    let out = run_in(&top, &["check", "gitops/apps", "--format", "json"]);
    let v = json(&out);
    let storage: Vec<(String, String)> = v["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["file"] == "gitops/apps/storage.yaml" && d["rule"] == "not-rendered")
        .map(|d| {
            (
                d["rule"].as_str().unwrap_or("").to_string(),
                d["message"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        storage,
        [(
            "not-rendered".to_string(),
            "Application `storage`: path `gitops/storage` is outside the scanned directory `gitops/apps`; not read".to_string()
        )],
        "{}",
        out.stdout
    );
    // Nothing from gitops/storage was read.
    assert!(!out.stdout.contains("settings.yaml"), "{}", out.stdout);
}
