//! YAML read as Argo CD and the API server read it (issue 11 §1, §3): merge keys, YAML 1.1
//! booleans in Argo CD fields, node budgets, UTF-16 files, `...` terminators and JSON manifests.
//! Each case ends in the finding a maintainer expects, at its file and line.

mod common;

use std::path::Path;

use common::{json, run_in, write};

/// `(rule, file, line, column, message)` of every finding of `check` over `dir`.
fn findings(dir: &Path, extra: &[&str]) -> Vec<(String, String, u64, u64, String)> {
    let mut args = vec!["check", ".", "--format", "json"];
    args.extend_from_slice(extra);
    let out = run_in(dir, &args);
    assert!(
        out.code == 0 || out.code == 1,
        "exit {}: {}",
        out.code,
        out.stderr
    );
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    json(&out)["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().unwrap_or("").into(),
                d["file"].as_str().unwrap_or("").into(),
                d["line"].as_u64().unwrap_or(0),
                d["column"].as_u64().unwrap_or(0),
                d["message"].as_str().unwrap_or("").into(),
            )
        })
        .collect()
}

/// A document whose `apiVersion`, `kind` and `metadata` come from a merge key is an object, as
/// go-yaml v2 (sigs.k8s.io/yaml, which Argo CD's repo-server and kubectl decode with) resolves
/// `<<` (`decode.go`, `(*decoder).merge`). Before merge keys were resolved, the second document
/// was no object at all and the duplicate `kube-system` ConfigMap passed with exit 0.
#[test]
fn an_object_built_from_merge_keys_is_checked() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "a.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: coredns\n  namespace: kube-system\n",
    );
    write(
        dir.path(),
        "b.yaml",
        "x-meta: &meta\n  name: coredns\n  namespace: kube-system\n---\n<<: &cm\n  apiVersion: v1\n  kind: ConfigMap\nmetadata:\n  <<: {name: coredns, namespace: kube-system}\n  labels: {a: b}\ndata:\n  <<: {k: v}\n  k: override\n",
    );
    let found = findings(dir.path(), &[]);
    let dup: Vec<_> = found
        .iter()
        .filter(|f| f.0 == "duplicate-resource")
        .collect();
    assert!(!dup.is_empty(), "{found:#?}");
    // Overriding a merged key is the documented way to override it, not a duplicate key.
    assert!(
        found.iter().all(|f| f.0 != "duplicate-yaml-key"),
        "{found:#?}"
    );
}
