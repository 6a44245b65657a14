//! `manifest-guard fix` (issue 14) with the real binary, on copies of fixtures in temporary
//! directories: each fix round-trips (the fixed tree passes `check` for its rule, the diff is a
//! snapshot, a second `fix` changes nothing), every byte of every file a fix does not name is
//! left as it was, `--diff` writes nothing, and the demo ends with only the finding a person must
//! settle. With `MANIFEST_GUARD_CORPUS`, a real corpus folder is fixed the same way.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{json, root, run_in};

/// Every regular file below `dir`, by path relative to it, with its bytes.
fn snapshot_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read_dir") {
            let path = entry.expect("entry").path();
            let meta = std::fs::symlink_metadata(&path).expect("metadata");
            if meta.is_dir() {
                stack.push(path);
            } else if meta.is_file() {
                let rel = path
                    .strip_prefix(dir)
                    .expect("inside")
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read(&path).expect("read"));
            }
        }
    }
    out
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let meta = std::fs::symlink_metadata(entry.path()).expect("metadata");
        let target = to.join(entry.file_name());
        if meta.is_dir() {
            copy_tree(&entry.path(), &target);
        } else if meta.is_file() {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

/// The files `fix --diff` names (`+++ b/x` and `--- a/x`), relative to the directory it ran in.
fn files_in_diff(diff: &str) -> Vec<String> {
    let mut out: Vec<String> = diff
        .lines()
        .filter_map(|l| {
            l.strip_prefix("+++ b/")
                .or_else(|| l.strip_prefix("--- a/"))
                .map(str::to_string)
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Asserts that every file of `before` that `changed` does not name is still there, byte for
/// byte, and that no file appeared that `changed` does not name.
fn assert_untouched(
    before: &BTreeMap<String, Vec<u8>>,
    after: &BTreeMap<String, Vec<u8>>,
    changed: &[String],
) {
    for (rel, bytes) in before {
        if changed.contains(rel) {
            continue;
        }
        assert_eq!(
            after.get(rel),
            Some(bytes),
            "`{rel}` was not named by a fix but changed"
        );
    }
    for rel in after.keys() {
        assert!(
            before.contains_key(rel) || changed.contains(rel),
            "`{rel}` appeared without a fix naming it"
        );
    }
}

fn rules_of(report: &serde_json::Value) -> Vec<String> {
    report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| d["rule"].as_str().expect("rule").to_string())
        .collect()
}

/// The whole cycle on one tree: `--diff` (exit 1, writes nothing), `fix`, the rule silent, only
/// the files the diff named changed, and a second `fix --diff` with nothing to do. Returns the
/// diff.
fn round_trip(dir: &Path, rule: &str) -> String {
    let before = snapshot_tree(dir);
    let diff = run_in(dir, &["fix", ".", "--diff", "--select", rule]);
    assert_eq!(diff.code, 1, "{}\n{}", diff.stdout, diff.stderr);
    assert_eq!(snapshot_tree(dir), before, "--diff wrote something");
    let changed = files_in_diff(&diff.stdout);
    assert!(!changed.is_empty(), "{}", diff.stdout);

    let fixed = run_in(dir, &["fix", ".", "--select", rule]);
    assert!(fixed.code == 0 || fixed.code == 1, "{}", fixed.stderr);
    assert!(fixed.stdout.contains("Fixed"), "{}", fixed.stdout);
    assert_untouched(&before, &snapshot_tree(dir), &changed);

    let check = run_in(dir, &["check", ".", "--select", rule, "--format", "json"]);
    assert_eq!(
        rules_of(&json(&check)),
        Vec::<String>::new(),
        "{}",
        check.stdout
    );

    let again = run_in(dir, &["fix", ".", "--diff", "--select", rule]);
    assert_eq!(again.code, 0, "not idempotent:\n{}", again.stdout);
    assert_eq!(again.stdout, "", "not idempotent");
    diff.stdout
}

#[test]
fn one_object_per_file_splits_the_bad_fixture() {
    let tmp = tempfile::tempdir().expect("tempdir");
    copy_tree(&root().join("fixtures/one-object-per-file/bad"), tmp.path());
    let diff = round_trip(tmp.path(), "one-object-per-file");
    insta::assert_snapshot!("one-object-per-file-bad", diff);
    let mut names: Vec<String> = snapshot_tree(tmp.path()).into_keys().collect();
    names.sort();
    assert_eq!(
        names,
        [
            "application-kafka.yaml",
            "application-payments.yaml",
            "application-storage.yaml",
            "configmap-kafka-acls.yaml",
            "configmap-kafka-topics.yaml",
            "deployment-payments.yaml",
            "service-payments.yaml",
        ]
    );
}

/// The demo as a new user meets it: `fix --diff` shows the split of the app-of-apps file,
/// `fix` applies it, and `check` then reports only the duplicate Application name, which needs
/// a person (which of the two is meant). The two `storage` definitions are numbered so that
/// Argo CD, which reads a directory's files in name order and keeps the later definition, keeps
/// the same one as before the split (Argo CD `reposerver/repository/repository.go`,
/// `getPotentiallyValidManifests` walks the directory with `filepath.Walk`, which is in lexical
/// order).
#[test]
fn the_demo_is_split_and_only_the_duplicate_name_remains() {
    let tmp = tempfile::tempdir().expect("tempdir");
    copy_tree(&root().join("fixtures/demo"), tmp.path());
    let before = snapshot_tree(tmp.path());

    let check = run_in(tmp.path(), &["check", ".", "--format", "json"]);
    let fixable: Vec<(String, String)> = json(&check)["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().expect("rule").to_string(),
                d["fixable"].as_str().expect("fixable").to_string(),
            )
        })
        .collect();
    assert_eq!(
        fixable,
        [
            ("one-object-per-file".to_string(), "safe".to_string()),
            ("duplicate-application".to_string(), "no".to_string()),
        ]
    );
    // `merge` keeps what a report says of each finding.
    let reports = tempfile::tempdir().expect("tempdir");
    std::fs::write(reports.path().join("demo.json"), &check.stdout).expect("write");
    let merged = run_in(reports.path(), &["merge", "demo.json", "demo.json"]);
    assert_eq!(
        json(&merged)["diagnostics"][0]["fixable"],
        "safe",
        "{}",
        merged.stdout
    );

    let diff = run_in(tmp.path(), &["fix", "--diff", "."]);
    assert_eq!(diff.code, 1, "{}", diff.stderr);
    assert_eq!(
        files_in_diff(&diff.stdout),
        [
            "apps/application-monitoring.yaml",
            "apps/application-storage-1.yaml",
            "apps/application-storage-2.yaml",
            "apps/apps.yaml",
        ]
    );
    assert!(
        diff.stdout
            .contains("--- a/apps/apps.yaml\n+++ /dev/null\n")
    );
    assert_eq!(snapshot_tree(tmp.path()), before, "--diff wrote something");

    let fixed = run_in(tmp.path(), &["fix", "."]);
    assert_eq!(fixed.code, 1, "the duplicate name is an error that remains");
    assert!(
        fixed.stdout.contains("split `apps/apps.yaml` into 3 files"),
        "{}",
        fixed.stdout
    );
    let after = run_in(tmp.path(), &["check", ".", "--format", "json"]);
    let report = json(&after);
    assert_eq!(rules_of(&report), ["duplicate-application"]);
    // The load-test copy still wins, as it did when it came later in one file.
    let message = report["diagnostics"][0]["message"]
        .as_str()
        .expect("message");
    assert!(
        message.contains("from namespace `storage` to `storage-loadtest`"),
        "{message}"
    );
    assert_eq!(
        report["diagnostics"][0]["file"],
        "apps/application-storage-2.yaml"
    );
}

/// A file with a byte-order mark and CRLF line endings: every new file has both.
#[test]
fn crlf_and_bom_are_kept_in_every_new_file() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let text = "\u{feff}# two maps\r\napiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n  name: a\r\ndata:\r\n  k: \"é\"\r\n---\r\napiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n  name: b\r\n";
    write(tmp.path(), "maps.yaml", text);
    round_trip(tmp.path(), "one-object-per-file");
    let a = std::fs::read_to_string(tmp.path().join("configmap-a.yaml")).expect("a");
    let b = std::fs::read_to_string(tmp.path().join("configmap-b.yaml")).expect("b");
    assert_eq!(
        a,
        "\u{feff}# two maps\r\napiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n  name: a\r\ndata:\r\n  k: \"é\"\r\n"
    );
    assert_eq!(
        b,
        "\u{feff}apiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n  name: b\r\n"
    );
    assert!(!tmp.path().join("maps.yaml").exists());
}

/// Empty documents, a leading and a trailing `---`, a `...` end marker and comments between
/// markers: each object keeps the comments written between its `---` and itself; the comments
/// of an empty document go with the next object.
#[test]
fn markers_empty_documents_and_comments() {
    let tmp = tempfile::tempdir().expect("tempdir");
    write(
        tmp.path(),
        "all.yaml",
        "---\n# about the first\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a # inline\n...\n---\n\n---\n# the second\napiVersion: v1\nkind: Secret\nmetadata:\n  name: b\n---\n",
    );
    round_trip(tmp.path(), "one-object-per-file");
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("configmap-a.yaml")).expect("a"),
        "# about the first\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a # inline\n"
    );
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("secret-b.yaml")).expect("b"),
        "# the second\napiVersion: v1\nkind: Secret\nmetadata:\n  name: b\n"
    );
}

/// New names do not take a name the directory already has (a file or a directory), and objects
/// of one kind and name are numbered in their order.
#[test]
fn new_names_are_collision_free() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let cm = |name: &str, ns: &str| {
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {ns}\n")
    };
    write(
        tmp.path(),
        "x/all.yaml",
        &format!(
            "{}---\n{}---\n{}",
            cm("a", "one"),
            cm("a", "two"),
            cm("b", "one")
        ),
    );
    write(tmp.path(), "x/configmap-b.yaml.keep", "kept\n");
    std::fs::create_dir_all(tmp.path().join("x/configmap-b.yaml")).expect("mkdir");
    round_trip(tmp.path(), "one-object-per-file");
    let names: Vec<String> = snapshot_tree(&tmp.path().join("x")).into_keys().collect();
    assert_eq!(
        names,
        [
            "configmap-a-1.yaml",
            "configmap-a-2.yaml",
            "configmap-b-2.yaml",
            "configmap-b.yaml.keep"
        ]
    );
}

/// A kustomization that lists the file gets the new files in its place, in the same order, with
/// its comments, quoting and the other entries as they were; the render is the same.
#[test]
fn the_kustomization_lists_the_new_files() {
    let tmp = tempfile::tempdir().expect("tempdir");
    write(
        tmp.path(),
        "app/kustomization.yaml",
        "# the app\nresources:\n  - namespace.yaml\n  - \"./workload.yaml\" # both of them\n  - config.yaml\nnamespace: shop\n",
    );
    write(
        tmp.path(),
        "app/namespace.yaml",
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n",
    );
    write(
        tmp.path(),
        "app/config.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n",
    );
    write(
        tmp.path(),
        "app/workload.yaml",
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n    - port: 80\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: web\n",
    );
    let render = |dir: &Path| {
        let out = run_in(dir, &["render", ".", "--format", "json"]);
        let mut ids: Vec<String> = json(&out)["objects"]
            .as_array()
            .expect("objects")
            .iter()
            .map(|o| format!("{}/{}/{}", o["kind"], o["namespace"], o["name"]))
            .collect();
        ids.sort();
        ids
    };
    let rendered_before = render(tmp.path());
    round_trip(tmp.path(), "one-object-per-file");
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("app/kustomization.yaml")).expect("read"),
        "# the app\nresources:\n  - namespace.yaml\n  - \"./service-web.yaml\" # both of them\n  - \"./serviceaccount-web.yaml\"\n  - config.yaml\nnamespace: shop\n"
    );
    assert_eq!(render(tmp.path()), rendered_before);
}

/// An Application whose `directory.include` names the file would stop deploying its objects
/// once they are in new files: the fix is unsafe, says why, and waits for `--unsafe`. Argo CD
/// matches `include`/`exclude` against each file's path in the source directory
/// (`reposerver/repository/repository.go`, `findManifests` → `getPotentiallyValidManifests`
/// with `directory.Include` and `directory.Exclude`).
#[test]
fn an_include_that_names_the_file_makes_the_split_unsafe() {
    let tmp = tempfile::tempdir().expect("tempdir");
    write(
        tmp.path(),
        "root.yaml",
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: https://git.example.com/x.git\n    path: web\n    directory:\n      include: web.yaml\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: web\n",
    );
    write(
        tmp.path(),
        "web/web.yaml",
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: web\n",
    );
    let before = snapshot_tree(tmp.path());
    let check = run_in(
        tmp.path(),
        &[
            "check",
            ".",
            "--select",
            "one-object-per-file",
            "--format",
            "json",
        ],
    );
    assert_eq!(json(&check)["diagnostics"][0]["fixable"], "unsafe");

    let safe_only = run_in(tmp.path(), &["fix", ".", "--select", "one-object-per-file"]);
    assert_eq!(
        snapshot_tree(tmp.path()),
        before,
        "an unsafe fix was applied"
    );
    assert!(
        safe_only.stdout.contains("available with `--unsafe`"),
        "{}",
        safe_only.stdout
    );
    assert!(
        safe_only
            .stdout
            .contains("Application `web` deploys `web.yaml` through `directory.include: web.yaml`"),
        "{}",
        safe_only.stdout
    );
    let diff = run_in(tmp.path(), &["fix", ".", "--diff"]);
    assert_eq!(diff.code, 0, "--diff shows only what fix would apply");

    let with_unsafe = run_in(
        tmp.path(),
        &["fix", ".", "--unsafe", "--select", "one-object-per-file"],
    );
    assert!(
        with_unsafe.stdout.contains("Fixed 1 finding"),
        "{}",
        with_unsafe.stdout
    );
    assert!(tmp.path().join("web/service-web.yaml").is_file());
}

/// `--exit-non-zero-on-fix` (the pre-commit hook's): 1 when a file was changed, then 0; a path
/// that does not exist is 2, as for `check`.
#[test]
fn exit_status_and_exit_non_zero_on_fix() {
    let tmp = tempfile::tempdir().expect("tempdir");
    write(
        tmp.path(),
        "two.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n",
    );
    let out = run_in(tmp.path(), &["fix", ".", "--exit-non-zero-on-fix"]);
    assert_eq!(out.code, 1, "a file changed: {}", out.stdout);
    let out = run_in(tmp.path(), &["fix", ".", "--exit-non-zero-on-fix"]);
    assert_eq!(out.code, 0, "nothing changed: {}", out.stdout);
    let out = run_in(tmp.path(), &["fix", "missing-dir"]);
    assert_eq!(out.code, 2);
}

/// A real repository (MANIFEST_GUARD_CORPUS): `kubernetes/examples`, which holds multi-object
/// files, copied and fixed. Every finding of another rule is still there, the split files' own
/// findings are gone but for the unsafe ones (objects defined again in a sibling file), every
/// file no fix named is byte for byte the same, and a second run has nothing to do.
#[test]
fn a_corpus_folder_round_trips() {
    if common::skip_without_corpus() {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir: PathBuf = tmp.path().join("examples");
    copy_tree(&common::corpus("kubernetes__examples"), &dir);
    let before = snapshot_tree(&dir);
    let count = |report: &serde_json::Value| {
        let mut by: BTreeMap<(String, String), usize> = BTreeMap::new();
        for d in report["diagnostics"].as_array().expect("diagnostics") {
            *by.entry((
                d["rule"].as_str().expect("rule").to_string(),
                d["fixable"].as_str().expect("fixable").to_string(),
            ))
            .or_default() += 1;
        }
        by
    };
    let checked = count(&json(&run_in(&dir, &["check", ".", "--format", "json"])));
    let diff = run_in(&dir, &["fix", ".", "--diff"]);
    assert_eq!(diff.code, 1, "{}", diff.stderr);
    let changed = files_in_diff(&diff.stdout);
    let fixed = run_in(&dir, &["fix", "."]);
    assert!(fixed.code == 0 || fixed.code == 1, "{}", fixed.stderr);
    assert_untouched(&before, &snapshot_tree(&dir), &changed);
    let after = count(&json(&run_in(&dir, &["check", ".", "--format", "json"])));
    let mut expected = checked.clone();
    expected.remove(&("one-object-per-file".to_string(), "safe".to_string()));
    assert_eq!(after, expected);
    let again = run_in(&dir, &["fix", ".", "--diff"]);
    assert_eq!(again.code, 0, "{}", again.stdout);
}

/// A file with a YAML error is not split: the fix would cut a text the parser did not read
/// whole. `fix` says why, and writes nothing.
#[test]
fn a_file_with_a_yaml_error_is_not_split() {
    let tmp = tempfile::tempdir().expect("tempdir");
    write(
        tmp.path(),
        "all.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n---\nkey: [unclosed\n",
    );
    let before = snapshot_tree(tmp.path());
    let out = run_in(tmp.path(), &["fix", "."]);
    assert_eq!(snapshot_tree(tmp.path()), before);
    assert!(
        out.stdout
            .contains("one-object-per-file at all.yaml:7: `all.yaml` has a YAML error"),
        "{}",
        out.stdout
    );
    let json_out = run_in(tmp.path(), &["check", ".", "--format", "json"]);
    let report = json(&json_out);
    let split = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .find(|d| d["rule"] == "one-object-per-file")
        .expect("the finding");
    assert_eq!(split["fixable"], "no");
}

/// `Kustomization` (the name without an extension, which the walk does not parse) is edited like
/// `kustomization.yaml`, here in flow style.
#[test]
fn kustomization_without_extension() {
    let two = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n";
    let tmp = tempfile::tempdir().expect("tempdir");
    write(tmp.path(), "k/Kustomization", "resources: [maps.yaml]\n");
    write(tmp.path(), "k/maps.yaml", two);
    round_trip(tmp.path(), "one-object-per-file");
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("k/Kustomization")).expect("read"),
        "resources: [configmap-a.yaml, configmap-b.yaml]\n"
    );
}

/// An object of the file defined again in a sibling file: which definition Argo CD keeps
/// depends on the order of the file names, which the split changes, so the fix is unsafe.
#[test]
fn a_twin_in_a_sibling_file_makes_the_split_unsafe() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let cm = |name: &str, v: &str| {
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  v: \"{v}\"\n")
    };
    write(
        tmp.path(),
        "a.yaml",
        &format!("{}---\n{}", cm("x", "1"), cm("y", "1")),
    );
    write(tmp.path(), "b.yaml", &cm("x", "2"));
    let out = run_in(tmp.path(), &["fix", ".", "--select", "one-object-per-file"]);
    assert!(
        out.stdout.contains(
            "ConfigMap `x` (also in `b.yaml`) defined in another file of the directory too"
        ),
        "{}",
        out.stdout
    );
    assert!(tmp.path().join("a.yaml").is_file());
}

/// Twins (one kind and name, twice in the file) keep their order when a numbered name is taken:
/// the later definition, the one Argo CD keeps, still sorts last (it was `-3` then `-2`).
#[test]
fn twins_keep_their_order_past_a_taken_name() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let cm = |v: &str| {
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  v: {v}\n")
    };
    write(
        tmp.path(),
        "all.yaml",
        &format!("{}---\n{}", cm("first"), cm("second")),
    );
    write(
        tmp.path(),
        "configmap-a-1.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\n",
    );
    let fixed = run_in(tmp.path(), &["fix", ".", "--select", "one-object-per-file"]);
    assert!(fixed.stdout.contains("Fixed"), "{}", fixed.stdout);
    let files = snapshot_tree(tmp.path());
    let names: Vec<&String> = files.keys().collect();
    assert_eq!(
        names,
        [
            "configmap-a-1.yaml",
            "configmap-a-3.yaml",
            "configmap-a-4.yaml"
        ]
    );
    assert_eq!(files["configmap-a-3.yaml"], cm("first").into_bytes());
    assert_eq!(files["configmap-a-4.yaml"], cm("second").into_bytes());
}

/// A split never changes an object: a `|+` scalar keeps the blank lines after it only in its
/// own document, and an alias needs its anchor in the same file, so those are refused; a block
/// scalar on the last line of a file without a line ending stays without one (`tail`, not
/// `tail\n`).
#[test]
fn a_split_that_would_change_an_object_is_refused() {
    for (text, refused) in [
        (
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  x: |+\n    kept\n\n\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n",
            true,
        ),
        (
            "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: a\n      labels: &l\n        app: x\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: b\n      labels: *l\n",
            true,
        ),
        (
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\ndata:\n  y: |\n    tail",
            false,
        ),
    ] {
        let tmp = tempfile::tempdir().expect("tempdir");
        write(tmp.path(), "all.yaml", text);
        let before = snapshot_tree(tmp.path());
        let fixed = run_in(tmp.path(), &["fix", ".", "--select", "one-object-per-file"]);
        if refused {
            assert!(
                fixed.stdout.contains("would not read back the same"),
                "{}",
                fixed.stdout
            );
            assert_eq!(snapshot_tree(tmp.path()), before);
        } else {
            assert!(fixed.stdout.contains("Fixed"), "{}", fixed.stdout);
            assert_eq!(
                std::fs::read_to_string(tmp.path().join("configmap-b.yaml")).expect("read"),
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\ndata:\n  y: |\n    tail"
            );
        }
    }
}

/// A `resources:` entry the edit cannot replace exactly — written on the line after its `-`, or
/// anchored and aliased elsewhere — is refused, not turned into one scalar naming two files or
/// an alias to nothing.
#[test]
fn a_kustomization_entry_that_would_not_read_back_is_refused() {
    for kustomization in [
        "resources:\n  -\n    all.yaml\n  - c.yaml\n",
        "resources:\n  - &x all.yaml\n  - c.yaml\nnameSuffix: *x\n",
    ] {
        let tmp = tempfile::tempdir().expect("tempdir");
        write(tmp.path(), "kustomization.yaml", kustomization);
        write(
            tmp.path(),
            "all.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n",
        );
        write(
            tmp.path(),
            "c.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n",
        );
        let before = snapshot_tree(tmp.path());
        let fixed = run_in(tmp.path(), &["fix", ".", "--select", "one-object-per-file"]);
        assert!(
            fixed
                .stdout
                .contains("would not read back with the new files"),
            "{}",
            fixed.stdout
        );
        assert_eq!(snapshot_tree(tmp.path()), before);
    }
}

/// `fix` on a subdirectory or on the file itself does not read the kustomization above that
/// lists the file: the split would remove a file it still names, and its build would fail. It is
/// refused; run on the kustomization's directory, the split lists the new files in it.
#[test]
fn a_kustomization_above_the_checked_path_is_not_broken() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // The repository's top: the search for kustomizations above stops here.
    std::fs::create_dir_all(tmp.path().join(".git")).expect("mkdir");
    write(
        tmp.path(),
        "base/configs/all.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: y\n",
    );
    write(
        tmp.path(),
        "base/kustomization.yaml",
        "resources:\n- configs/all.yaml\n",
    );
    let before = snapshot_tree(tmp.path());
    for path in ["base/configs", "base/configs/all.yaml"] {
        let out = run_in(tmp.path(), &["fix", path]);
        assert!(
            out.stdout.contains("is not among the files checked"),
            "{path}: {}\n{}",
            out.stdout,
            out.stderr
        );
        assert_eq!(snapshot_tree(tmp.path()), before, "{path}");
    }
    let out = run_in(tmp.path(), &["fix", "base"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("base/kustomization.yaml")).expect("read"),
        "resources:\n- configs/configmap-x.yaml\n- configs/configmap-y.yaml\n"
    );
}

/// The search for kustomizations above the checked path stays in the repository: without a
/// `.git` above, nothing above the scanned root is read (a kustomization there lists the file,
/// and reading it refused the split), and a kustomization that is a link is not followed (the
/// split is refused, as whether it lists the file cannot be told; the link's target, outside
/// the repository, does not list it, and following it let the split go on).
#[test]
fn the_kustomizations_above_are_read_only_inside_the_repository() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let two = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: y\n";
    write(
        tmp.path(),
        "kustomization.yaml",
        "resources:\n- plain/a/all.yaml\n",
    );
    write(tmp.path(), "plain/a/all.yaml", two);
    let out = run_in(&tmp.path().join("plain"), &["fix", "a"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("removed  a/all.yaml"), "{}", out.stdout);

    let repo = tmp.path().join("repo");
    std::fs::create_dir_all(repo.join(".git")).expect("mkdir");
    write(&repo, "b/all.yaml", two);
    write(tmp.path(), "elsewhere.yaml", "resources: []\n");
    std::os::unix::fs::symlink(
        tmp.path().join("elsewhere.yaml"),
        repo.join("kustomization.yaml"),
    )
    .expect("link");
    let before = snapshot_tree(&repo.join("b"));
    let out = run_in(&repo, &["fix", "b"]);
    assert!(
        out.stdout.contains("is not among the files checked"),
        "{}\n{}",
        out.stdout,
        out.stderr
    );
    assert_eq!(snapshot_tree(&repo.join("b")), before);
}

/// A file given to `fix` and split is followed by its new files: the next check reads them
/// (it failed with "path does not exist", exit 2, and the split was not reported).
#[test]
fn a_file_given_to_fix_is_followed_by_its_new_files() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(tmp.path().join(".git")).expect("mkdir");
    write(
        tmp.path(),
        "a/all.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: y\n",
    );
    let out = run_in(tmp.path(), &["fix", "a/all.yaml"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("removed  a/all.yaml"), "{}", out.stdout);
    assert!(
        out.stdout.contains("no findings in 2 files"),
        "{}",
        out.stdout
    );
    let names: Vec<String> = snapshot_tree(&tmp.path().join("a")).into_keys().collect();
    assert_eq!(names, ["configmap-x.yaml", "configmap-y.yaml"]);
}
