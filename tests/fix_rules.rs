//! The fixes of the stateful and availability rules (issue 14), each round-tripped on its rule's
//! `bad` fixture: planned from a `check` of a copy, applied, and checked again with the real
//! binary. The finding must be gone, no other finding may appear, every file the fix does not
//! name must keep every byte, and the whole change (every file that differs from the copy) is a
//! reviewed snapshot. With `MANIFEST_GUARD_CORPUS`, the same on a real-corpus copy where the
//! corpus has a finding of the rule (`tests/corpus/*.txt` says where).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use manifest_guard::fix::{self, FileChange, Fixable};

use common::{
    corpus_dir, json, render_flags, root, rules_and_messages, run_in, skip_without_corpus,
};

/// Every file below `dir`, by `/`-separated path, with its bytes.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.expect("walk");
        if entry.file_type().is_file() {
            let rel = entry
                .path()
                .strip_prefix(dir)
                .expect("below")
                .to_string_lossy()
                .replace('\\', "/");
            out.insert(rel, std::fs::read(entry.path()).expect("read"));
        }
    }
    out
}

fn copy(from: &Path, to: &Path) {
    for (rel, bytes) in tree(from) {
        let path = to.join(&rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, bytes).expect("write");
    }
}

/// `(rule, message)` of every finding of `check .` in `dir`, with the binary.
fn findings(dir: &Path) -> Vec<(String, String)> {
    let out = run_in(dir, &["check", ".", "--format", "json"]);
    assert!(out.code == 0 || out.code == 1, "{}", out.stderr);
    let v = json(&out);
    let mut found = rules_and_messages(&v);
    found.sort();
    found
}

/// Fixes every finding of `rule` under `dir` as the driver does: in rounds, a fix per file per
/// round, each planned from a fresh check, until none is left. Returns the fixes' safety.
fn fix_all(dir: &Path, rule: &str) -> BTreeSet<Fixable> {
    let plan = fix::planner(rule).expect("the rule has a fix");
    let mut safety = BTreeSet::new();
    for _round in 0..5 {
        let run = manifest_guard::check(&manifest_guard::CheckOptions {
            paths: vec![dir.to_path_buf()],
            render: render_flags(),
            ..Default::default()
        })
        .expect("check runs");
        let mine: Vec<_> = run.diagnostics.iter().filter(|d| d.rule == rule).collect();
        if mine.is_empty() {
            return safety;
        }
        let mut touched: BTreeSet<PathBuf> = BTreeSet::new();
        for d in mine {
            let fix = plan(&run.inventory, d)
                .unwrap_or_else(|no| panic!("no fix for `{}`: {}", d.message, no.reason));
            assert_eq!(fix.rule, rule);
            assert_eq!(fix::fixable(&run.inventory, d), fix.safety);
            safety.insert(fix.safety);
            if fix.changes.iter().any(|c| touched.contains(&c.path)) {
                continue;
            }
            for change in &fix.changes {
                apply(change);
                touched.insert(change.path.clone());
            }
        }
    }
    panic!("`{rule}` still fires after 5 rounds of fixes");
}

fn apply(change: &FileChange) {
    let on_disk = std::fs::read_to_string(&change.path).ok();
    // Planned from the text the run read, which is what is on disk.
    assert_eq!(
        on_disk.as_deref(),
        change.before.as_deref(),
        "{}",
        change.display
    );
    match &change.after {
        Some(text) => std::fs::write(&change.path, text).expect("write"),
        None => std::fs::remove_file(&change.path).expect("remove"),
    }
}

/// The unified diff of every file that differs between two trees.
fn diff(before: &BTreeMap<String, Vec<u8>>, after: &BTreeMap<String, Vec<u8>>) -> String {
    let names: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    let mut out = String::new();
    for name in names {
        let a = before.get(name);
        let b = after.get(name);
        if a == b {
            continue;
        }
        let text = |v: Option<&Vec<u8>>| {
            v.map(|v| String::from_utf8(v.clone()).expect("utf-8"))
                .unwrap_or_default()
        };
        let (a_text, b_text) = (text(a), text(b));
        let header = (
            if a.is_some() {
                format!("a/{name}")
            } else {
                "/dev/null".into()
            },
            format!("b/{name}"),
        );
        out.push_str(
            &similar::TextDiff::from_lines(&a_text, &b_text)
                .unified_diff()
                .header(&header.0, &header.1)
                .to_string(),
        );
    }
    out
}

/// Every line the change removes from a file it edits is one `allowed` accepts (the line of the
/// value the fix rewrites): the rest of each file, and every other file, is kept byte for byte.
fn only_lines_removed(
    before: &BTreeMap<String, Vec<u8>>,
    after: &BTreeMap<String, Vec<u8>>,
    allowed: &dyn Fn(&str) -> bool,
) {
    for (name, old) in before {
        let Some(new) = after.get(name) else {
            panic!("{name} was removed");
        };
        if old == new {
            continue;
        }
        let (old, new) = (
            String::from_utf8_lossy(old).into_owned(),
            String::from_utf8_lossy(new).into_owned(),
        );
        for change in similar::TextDiff::from_lines(&old, &new).iter_all_changes() {
            if change.tag() == similar::ChangeTag::Delete {
                assert!(
                    allowed(change.value()),
                    "{name}: the fix rewrote a line it does not own: {:?}",
                    change.value()
                );
            }
        }
    }
}

/// Fixes `rule` on a copy of `source` and checks the round trip; returns the change's diff.
fn round_trip(source: &Path, rule: &str, allowed: &dyn Fn(&str) -> bool) -> (String, Fixable) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    copy(source, dir);
    let before_tree = tree(dir);
    let before = findings(dir);
    assert!(
        before.iter().any(|(r, _)| r == rule),
        "the copy has no `{rule}` finding to fix"
    );
    let safety = fix_all(dir, rule);
    let after = findings(dir);
    assert!(
        !after.iter().any(|(r, _)| r == rule),
        "`{rule}` still fires: {after:#?}"
    );
    // Nothing new: every finding after the fix was there before it.
    let mut left: Vec<&(String, String)> = before.iter().filter(|(r, _)| r != rule).collect();
    for f in &after {
        let i = left
            .iter()
            .position(|l| *l == f)
            .unwrap_or_else(|| panic!("the fix brought a new finding: {f:?}"));
        left.remove(i);
    }
    let after_tree = tree(dir);
    only_lines_removed(&before_tree, &after_tree, allowed);
    // A second `fix` has nothing to do: no finding is left to plan from (checked above), and
    // a plan on the fixed tree changes nothing.
    assert_eq!(fix_all(dir, rule), BTreeSet::new());
    assert_eq!(tree(dir), after_tree);
    assert_eq!(safety.len(), 1, "{safety:?}");
    let safety = safety.into_iter().next().expect("one");
    (diff(&before_tree, &after_tree), safety)
}

fn fixture(rule: &str) -> PathBuf {
    root().join("fixtures").join(rule).join("bad")
}

/// gitops-engine reads the annotation as comma-separated items, each trimmed
/// (`pkg/sync/resource/annotations.go`, `GetAnnotationCSVs`, compared whole by
/// `HasAnnotationOption`; argo-cd's sync skips a prune or a deletion when the object's
/// `common.AnnotationSyncOptions` holds `Prune=false` / `Delete=false`): the PVC that had
/// `Prune=false` gets `,Delete=false` after it, the StatefulSet without the annotation gets it.
#[test]
fn stateful_deletion_unprotected() {
    let (diff, safety) = round_trip(
        &fixture("stateful-deletion-unprotected"),
        "stateful-deletion-unprotected",
        &|line| line.contains("argocd.argoproj.io/sync-options"),
    );
    assert_eq!(safety, Fixable::Safe);
    insta::assert_snapshot!("stateful-deletion-unprotected", diff);
}

/// The budget keeps ⌊n/2⌋+1 of the selected StatefulSet's n members: a percentage or a
/// `maxUnavailable` becomes an integer `minAvailable`, written where the old key was.
#[test]
fn pdb_quorum_unsafe() {
    let (diff, safety) = round_trip(
        &fixture("pdb-quorum-unsafe"),
        "pdb-quorum-unsafe",
        &|line| line.contains("minAvailable:") || line.contains("maxUnavailable:"),
    );
    assert_eq!(safety, Fixable::Safe);
    insta::assert_snapshot!("pdb-quorum-unsafe", diff);
}

/// A new `pdb-<name>.yaml` beside each quorum StatefulSet; no existing file changes.
#[test]
fn quorum_pdb_missing() {
    let (diff, safety) = round_trip(
        &fixture("quorum-pdb-missing"),
        "quorum-pdb-missing",
        &|_| false,
    );
    assert_eq!(safety, Fixable::Unsafe);
    insta::assert_snapshot!("quorum-pdb-missing", diff);
}

/// Checked against argo-cd's docs "Diffing Customization" (an Application's `ignoreDifferences`
/// entry: `group`, `kind`, `name`, `namespace`, `jsonPointers`) and "Sync Options" ("Respect
/// ignore difference configs"), and the source: `controller/sync.go` `SyncAppState` normalizes
/// the target with the live ignored fields only when
/// `syncOp.SyncOptions.HasOption("RespectIgnoreDifferences=true")` (the whole string), and
/// `util/argo/normalizers/diff_normalizer.go` matches an entry by group, kind, name, namespace.
/// `api` had the entry and lacked the option; `web` lacked both. Only additions: no line of
/// either Application is rewritten.
#[test]
fn hpa_replicas_conflict() {
    let (diff, safety) = round_trip(
        &fixture("hpa-replicas-conflict"),
        "hpa-replicas-conflict",
        &|_| false,
    );
    assert_eq!(safety, Fixable::Unsafe);
    insta::assert_snapshot!("hpa-replicas-conflict", diff);
}

/// A CRLF file with a byte-order mark and non-ASCII comments stays so: the new annotation
/// lines end in CRLF, and every other byte is kept.
#[test]
fn stateful_fix_keeps_crlf_bom_and_non_ascii() {
    let tmp = tempfile::tempdir().expect("tempdir");
    copy(&fixture("stateful-deletion-unprotected"), tmp.path());
    let cache = tmp.path().join("ci/cache.yaml");
    let text = std::fs::read_to_string(&cache).expect("read");
    let crlf = format!("\u{feff}# Caché des builds — données perdues si supprimé\n{text}")
        .replace('\n', "\r\n");
    std::fs::write(&cache, &crlf).expect("write");
    fix_all(tmp.path(), "stateful-deletion-unprotected");
    let fixed = std::fs::read_to_string(&cache).expect("read");
    assert!(fixed.starts_with("\u{feff}# Caché des builds — données perdues si supprimé\r\n"));
    assert_eq!(fixed.matches('\n').count(), fixed.matches("\r\n").count());
    assert!(
        fixed.contains(
            "  name: build-cache\r\n  annotations:\r\n    argocd.argoproj.io/sync-options: Prune=false\r\n"
        ),
        "{fixed}"
    );
    let removed: String = fixed.replace(
        "  annotations:\r\n    argocd.argoproj.io/sync-options: Prune=false\r\n",
        "",
    );
    assert_eq!(removed, crlf);
    let after = findings(tmp.path());
    assert!(
        !after
            .iter()
            .any(|(r, _)| r == "stateful-deletion-unprotected")
    );
}

/// A StatefulSet read by Kustomize is fixed where it is written: the budget goes beside its
/// resource file, written as that file writes the StatefulSet (no namespace: the
/// kustomization's `namespace:` sets it on both), and is appended to the kustomization's
/// `resources:` in its layout, its comments kept.
#[test]
fn quorum_pdb_joins_the_kustomization() {
    if !common::render_tools() {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("zk");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let sts = std::fs::read_to_string(
        fixture("quorum-pdb-missing").join("kafka/zookeeper-statefulset.yaml"),
    )
    .expect("read")
    .replace("  namespace: kafka\n", "");
    std::fs::write(dir.join("zookeeper.yaml"), &sts).expect("write");
    let kustomization = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n# The ZooKeeper ensemble of Kafka.\nnamespace: kafka\nresources:\n  - zookeeper.yaml # members\nlabels:\n  - pairs:\n      team: data\n";
    std::fs::write(dir.join("kustomization.yaml"), kustomization).expect("write");
    let before = tree(tmp.path());
    assert!(
        findings(tmp.path())
            .iter()
            .any(|(r, _)| r == "quorum-pdb-missing")
    );
    assert_eq!(
        fix_all(tmp.path(), "quorum-pdb-missing"),
        BTreeSet::from([Fixable::Unsafe])
    );
    let after = findings(tmp.path());
    assert!(
        !after.iter().any(|(r, _)| r == "quorum-pdb-missing"),
        "{after:?}"
    );
    only_lines_removed(&before, &tree(tmp.path()), &|_| false);
    insta::assert_snapshot!(
        "quorum-pdb-missing-kustomization",
        diff(&before, &tree(tmp.path()))
    );
}

/// A budget counts every pod its selector matches in the namespace: when the StatefulSet's
/// labels also match another workload's pods (found on the corpus: MinIO's standalone
/// Deployment beside its distributed StatefulSet), `minAvailable` is every matched pod but the
/// members the quorum can spare (2 + 3 pods, 1 spare: 4), or `pdb-quorum-unsafe` would fire on
/// the new budget; the caution names the other workload.
#[test]
fn quorum_pdb_counts_the_other_pods_its_selector_matches() {
    let tmp = tempfile::tempdir().expect("tempdir");
    copy(&fixture("quorum-pdb-missing"), tmp.path());
    std::fs::write(
        tmp.path().join("kafka/zookeeper-tools.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: zookeeper-tools\n  namespace: kafka\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: zookeeper\n  template:\n    metadata:\n      labels:\n        app: zookeeper\n    spec:\n      containers:\n        - name: tools\n          image: registry.example.com/zk-tools:1.0.0\n",
    )
    .expect("write");
    let run = manifest_guard::check(&manifest_guard::CheckOptions {
        paths: vec![tmp.path().to_path_buf()],
        render: render_flags(),
        ..Default::default()
    })
    .expect("check runs");
    let d = run
        .diagnostics
        .iter()
        .find(|d| d.rule == "quorum-pdb-missing" && d.message.contains("`zookeeper`"))
        .expect("zookeeper has no budget");
    let fix = fix::planner(d.rule).expect("planner")(&run.inventory, d).expect("a fix");
    let text = fix.changes[0].after.as_deref().expect("a new file");
    assert!(text.contains("  minAvailable: 4\n"), "{text}");
    let caution = fix.caution.as_deref().unwrap_or_default();
    assert!(
        caution.contains("Deployment `kafka/zookeeper-tools`"),
        "{caution}"
    );
    fix_all(tmp.path(), "quorum-pdb-missing");
    let after = findings(tmp.path());
    assert!(
        !after
            .iter()
            .any(|(r, _)| r == "quorum-pdb-missing" || r == "pdb-quorum-unsafe"),
        "{after:?}"
    );
}

/// A fix is never written into a tool's output: a Helm-rendered StatefulSet's finding has no
/// fix, and the reason names the template to change.
#[test]
fn rendered_output_is_refused_with_its_source() {
    if !common::render_tools() {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let write = |rel: &str, text: &str| {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    };
    write(
        "apps/db.yaml",
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: db\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: https://git.example.com/gitops.git\n    targetRevision: main\n    path: chart\n  destination:\n    name: in-cluster\n    namespace: db\n  syncPolicy:\n    automated:\n      prune: true\n",
    );
    write(
        "chart/Chart.yaml",
        "apiVersion: v2\nname: db\nversion: 1.0.0\n",
    );
    write(
        "chart/templates/pvc.yaml",
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: {{ .Release.Name }}-data\nspec:\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n      storage: 1Gi\n",
    );
    let run = manifest_guard::check(&manifest_guard::CheckOptions {
        paths: vec![dir.to_path_buf()],
        render: render_flags(),
        ..Default::default()
    })
    .expect("check runs");
    let d = run
        .diagnostics
        .iter()
        .find(|d| d.rule == "stateful-deletion-unprotected")
        .expect("the rendered claim is unprotected");
    let plan = fix::planner(d.rule).expect("a planner");
    let no = plan(&run.inventory, d).expect_err("rendered output has no fix");
    assert!(no.reason.contains("rendered output"), "{}", no.reason);
    assert!(
        no.reason.contains("chart/templates/pvc.yaml"),
        "{}",
        no.reason
    );
    assert_eq!(fix::fixable(&run.inventory, d), Fixable::No);
}

/// A generated Application's spec is its ApplicationSet's template: no fix, and the reason
/// names the ApplicationSet and where its template is.
#[test]
fn generated_application_is_refused_naming_its_applicationset() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    copy(&fixture("hpa-replicas-conflict"), dir);
    std::fs::remove_file(dir.join("apps/web.yaml")).expect("rm");
    std::fs::write(
        dir.join("apps/web.yaml"),
        "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: shop\n  namespace: argocd\nspec:\n  generators:\n    - list:\n        elements:\n          - name: web\n  template:\n    metadata:\n      name: '{{name}}'\n    spec:\n      project: shop\n      source:\n        repoURL: https://git.example.com/shop/gitops.git\n        targetRevision: main\n        path: '{{name}}'\n      destination:\n        name: in-cluster\n        namespace: '{{name}}'\n      syncPolicy:\n        automated:\n          selfHeal: true\n",
    )
    .expect("write");
    let run = manifest_guard::check(&manifest_guard::CheckOptions {
        paths: vec![dir.to_path_buf()],
        render: render_flags(),
        ..Default::default()
    })
    .expect("check runs");
    let d = run
        .diagnostics
        .iter()
        .find(|d| d.rule == "hpa-replicas-conflict" && d.message.contains("`web`"))
        .expect("the generated Application's workload conflicts");
    let no = fix::planner(d.rule).expect("a planner")(&run.inventory, d)
        .expect_err("a generated Application has no fix");
    assert!(no.reason.contains("ApplicationSet `shop`"), "{}", no.reason);
    assert!(no.reason.contains("apps/web.yaml:"), "{}", no.reason);
}

/// The real-corpus copy: `kubernetes/examples` has two quorum StatefulSets without a budget
/// (tests/corpus/kubernetes__examples.txt: MinIO and Cassandra). The other three fixes'
/// rules have no finding in the corpus (grep of tests/corpus/*.txt), so there is nothing of
/// theirs to round-trip.
#[test]
fn corpus_quorum_pdb_missing() {
    if skip_without_corpus() {
        return;
    }
    let corpus = corpus_dir().expect("corpus").join("kubernetes__examples");
    let (diff, _) = round_trip(&corpus, "quorum-pdb-missing", &|_| false);
    assert!(
        diff.contains("b/databases/cassandra/pdb-cassandra.yaml"),
        "{diff}"
    );
    assert!(diff.contains("+  minAvailable: 2"), "{diff}");
    insta::assert_snapshot!("corpus-quorum-pdb-missing", diff);
    for rule in [
        "stateful-deletion-unprotected",
        "pdb-quorum-unsafe",
        "hpa-replicas-conflict",
    ] {
        let expected = std::fs::read_dir(root().join("tests/corpus"))
            .expect("tests/corpus")
            .filter_map(Result::ok)
            .any(|e| {
                std::fs::read_to_string(e.path())
                    .is_ok_and(|t| t.lines().any(|l| l.split_whitespace().nth(1) == Some(rule)))
            });
        if expected {
            panic!("the corpus now has a `{rule}` finding: round-trip it here");
        }
        let line = format!("skipped: the corpus has no `{rule}` finding to round-trip\n");
        let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
    }
}

/// Over every fixture of the tree, each finding of these four rules plans to a fix whose every
/// new text parses as YAML, or to a refusal with a reason; never a panic.
#[test]
fn every_fixture_plans_a_parseable_fix_or_a_reason() {
    const RULES: &[&str] = &[
        "hpa-replicas-conflict",
        "pdb-quorum-unsafe",
        "quorum-pdb-missing",
        "stateful-deletion-unprotected",
    ];
    let mut planned = 0;
    let mut fired: BTreeSet<(PathBuf, &str)> = BTreeSet::new();
    let mut dirs: Vec<PathBuf> = Vec::new();
    for rule in std::fs::read_dir(root().join("fixtures")).expect("fixtures") {
        let rule = rule.expect("entry").path();
        for case in std::fs::read_dir(&rule).into_iter().flatten().flatten() {
            if case.path().is_dir() {
                dirs.push(case.path());
            }
        }
    }
    dirs.sort();
    for dir in dirs {
        let Ok(run) = manifest_guard::check(&manifest_guard::CheckOptions {
            paths: vec![dir.clone()],
            render: render_flags(),
            ..Default::default()
        }) else {
            continue;
        };
        for d in run.diagnostics.iter().filter(|d| RULES.contains(&d.rule)) {
            let plan = fix::planner(d.rule).expect("a planner");
            match plan(&run.inventory, d) {
                Ok(fix) => {
                    planned += 1;
                    fired.insert((dir.clone(), d.rule));
                    for change in &fix.changes {
                        let Some(text) = &change.after else { continue };
                        let parsed = manifest_guard::load::yaml::parse(
                            text,
                            manifest_guard::load::yaml::Limits::default(),
                        );
                        assert_eq!(parsed.error, None, "{}: {text}", change.display);
                    }
                }
                Err(no) => assert!(!no.reason.is_empty(), "{}", dir.display()),
            }
        }
    }
    assert!(
        planned >= 10,
        "only {planned} fixes planned over the fixtures"
    );
    // And every fixture where one of them fires round-trips: fixed, nothing new.
    assert!(fired.len() >= 6, "{fired:?}");
    for (dir, rule) in fired {
        let allowed = |line: &str| match rule {
            "stateful-deletion-unprotected" => line.contains("argocd.argoproj.io/sync-options"),
            "pdb-quorum-unsafe" => {
                line.contains("minAvailable:") || line.contains("maxUnavailable:")
            }
            _ => false,
        };
        round_trip(&dir, rule, &allowed);
    }
}

/// A budget of the namespace that selects nothing (`pdb-selects-nothing`'s bad fixture: a typo
/// in its selector) may be the one meant for the StatefulSet: the new budget's caution says so.
#[test]
fn quorum_pdb_names_a_stray_budget_of_the_namespace() {
    let run = manifest_guard::check(&manifest_guard::CheckOptions {
        paths: vec![root().join("fixtures/pdb-selects-nothing/bad")],
        render: render_flags(),
        ..Default::default()
    })
    .expect("check runs");
    let d = run
        .diagnostics
        .iter()
        .find(|d| d.rule == "quorum-pdb-missing")
        .expect("zookeeper has no budget that selects it");
    let fix = fix::planner(d.rule).expect("planner")(&run.inventory, d).expect("a fix");
    let caution = fix.caution.unwrap_or_default();
    assert!(caution.contains("selects no pod"), "{caution}");
    assert!(
        caution.contains("correct its selector instead"),
        "{caution}"
    );
    // That budget is named `zookeeper`: the new one takes another name, or the two would be one
    // object defined twice (`duplicate-resource`); the round trip checks no finding appears.
    let text = fix.changes[0].after.as_deref().unwrap_or_default();
    assert!(text.contains("  name: zookeeper-quorum\n"), "{text}");
    round_trip(
        &root().join("fixtures/pdb-selects-nothing/bad"),
        "quorum-pdb-missing",
        &|_| false,
    );
}

/// An object Kustomize reads from a file of the tree is fixed in that file (the resource, not
/// the build output), and refused when the document it came from is a `kind: List` holding it
/// (the edit would land on the List) or when a patch of the kustomization sets the value.
#[test]
fn kustomize_resources_are_fixed_where_written() {
    if !common::render_tools() {
        return;
    }
    let app = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: db\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: https://git.example.com/gitops.git\n    targetRevision: main\n    path: db\n  destination:\n    name: in-cluster\n    namespace: db\n  syncPolicy:\n    automated:\n      prune: true\n";
    let pvc = "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data # the database\nspec:\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n      storage: 1Gi\n";
    let list = "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: PersistentVolumeClaim\n    metadata:\n      name: data\n    spec:\n      accessModes: [ReadWriteOnce]\n      resources:\n        requests:\n          storage: 1Gi\n";
    let patched = "  - patch: |-\n      - op: add\n        path: /metadata/annotations\n        value: {argocd.argoproj.io/sync-options: ServerSideApply=true}\n    target:\n      kind: PersistentVolumeClaim\n";
    for (claims, patches, fixed) in [(pvc, "", true), (list, "", false), (pvc, patched, false)] {
        let tmp = tempfile::tempdir().expect("tempdir");
        let write = |rel: &str, text: &str| {
            let path = tmp.path().join(rel);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, text).expect("write");
        };
        write("apps/db.yaml", app);
        write("db/claims.yaml", claims);
        let patches = if patches.is_empty() {
            String::new()
        } else {
            format!("patches:\n{patches}")
        };
        write(
            "db/kustomization.yaml",
            &format!("resources:\n  - claims.yaml\n{patches}"),
        );
        let run = manifest_guard::check(&manifest_guard::CheckOptions {
            paths: vec![tmp.path().to_path_buf()],
            render: render_flags(),
            ..Default::default()
        })
        .expect("check runs");
        let d = run
            .diagnostics
            .iter()
            .find(|d| d.rule == "stateful-deletion-unprotected")
            .expect("the claim is unprotected");
        let planned = fix::planner(d.rule).expect("planner")(&run.inventory, d);
        if fixed {
            let fix = planned.unwrap_or_else(|no| panic!("{claims:?} {patches:?}: {}", no.reason));
            assert_eq!(fix.changes.len(), 1);
            assert!(fix.changes[0].path.ends_with("db/claims.yaml"));
            assert_eq!(
                fix.changes[0].after.as_deref(),
                Some(
                    pvc.replace(
                        "  name: data # the database\n",
                        "  name: data # the database\n  annotations:\n    argocd.argoproj.io/sync-options: Prune=false\n"
                    )
                    .as_str()
                )
            );
            fix_all(tmp.path(), "stateful-deletion-unprotected");
            assert!(
                !findings(tmp.path())
                    .iter()
                    .any(|(r, _)| r == "stateful-deletion-unprotected")
            );
        } else {
            let no = planned.expect_err("no fix");
            // A List: the object is not a document of the file (Kustomize unpacks it), so it
            // is rendered output whose source the reason names; a patch: Kustomize then says
            // the object comes from the kustomization, which the reason names.
            let source = if patches.is_empty() {
                "db/claims.yaml"
            } else {
                "db/kustomization.yaml"
            };
            assert!(
                no.reason.contains("rendered output") && no.reason.contains(source),
                "{}",
                no.reason
            );
        }
    }
}

/// The edit helper over every YAML document of the real-world corpus: each edit is made or
/// refused with a reason, never a panic, and a made edit parses, keeps every byte outside its
/// document and reads back.
#[test]
fn corpus_documents_take_or_refuse_each_edit() {
    if skip_without_corpus() {
        return;
    }
    use manifest_guard::fix::edit::{Edit, edit_document};
    use manifest_guard::load::yaml::{Limits, parse};
    let corpus = corpus_dir().expect("corpus");
    let (mut applied, mut refused) = (0, 0);
    for entry in walkdir::WalkDir::new(&corpus).sort_by_file_name() {
        let entry = entry.expect("walk");
        let is_yaml = entry
            .path()
            .extension()
            .is_some_and(|e| e == "yaml" || e == "yml");
        if !entry.file_type().is_file() || !is_yaml {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(entry.path()) else {
            continue;
        };
        let parsed = parse(&text, Limits::default());
        if parsed.error.is_some() {
            continue;
        }
        for (i, doc) in parsed.documents.iter().enumerate() {
            if doc.root.as_ref().is_none_or(|r| !r.is_map()) {
                continue;
            }
            let keys = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<Vec<_>>();
            for edit in [
                Edit::Add {
                    path: keys(&["metadata", "annotations"]),
                    key: "fix.test/k".into(),
                    value: serde_json::json!("Prune=false,Delete=false"),
                },
                Edit::Append {
                    path: keys(&["spec", "fixTest"]),
                    value: serde_json::json!({"group": "apps", "jsonPointers": ["/spec/replicas"]}),
                },
            ] {
                match edit_document(&text, &parsed.documents, i, &[edit]) {
                    Ok(out) => {
                        applied += 1;
                        let again = parse(&out, Limits::default());
                        let at = entry.path().display();
                        assert_eq!(again.error, None, "{at} document {i}:\n{out}");
                        assert_eq!(again.documents.len(), parsed.documents.len(), "{at}");
                        let start = parsed.documents[i].span.start;
                        let head = text[..start].rfind('\n').map_or(0, |n| n + 1);
                        assert!(out.starts_with(&text[..head]), "{at}");
                        if let Some(next) = parsed.documents.get(i + 1) {
                            let tail = text[..next.span.start].rfind('\n').map_or(0, |n| n + 1);
                            assert!(out.ends_with(&text[tail..]), "{at}");
                        }
                        let root = again.documents[i].root.clone().expect("root");
                        let read = root
                            .path(&["metadata", "annotations", "fix.test/k"])
                            .and_then(|n| n.as_str())
                            == Some("Prune=false,Delete=false")
                            || root
                                .path(&["spec", "fixTest"])
                                .and_then(|l| l.items().last().and_then(|n| n.get("group")))
                                .and_then(|n| n.as_str())
                                == Some("apps");
                        assert!(read, "{at} document {i}:\n{out}");
                    }
                    Err(e) => {
                        refused += 1;
                        assert!(!e.0.is_empty());
                    }
                }
            }
        }
    }
    let line = format!("corpus edits: {applied} made, {refused} refused\n");
    let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
    assert!(applied > 1000, "{applied}");
}

/// A budget in a Kustomize base that two overlays render with different replica counts: the
/// edit of the base changes both renders, so the value must keep the quorum of each and still
/// let each evict a pod. With 5 and 7 replicas, `minAvailable: 4` does both; with 3 and 5, no
/// one value does (2 lets the five lose quorum, 3 blocks every eviction of the three), and the
/// fix is refused rather than trading one finding for `pdb-blocks-eviction`.
#[test]
fn pdb_quorum_in_a_shared_base_fits_every_overlay() {
    if !common::render_tools() {
        return;
    }
    for (base, overlay, max_unavailable, outcome) in [(5, 7, 3, Some(4)), (3, 5, 2, None)] {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path();
        let sts = std::fs::read_to_string(
            fixture("pdb-quorum-unsafe").join("kafka/zookeeper-statefulset.yaml"),
        )
        .expect("read")
        .replace("  namespace: kafka\n", "")
        .replace("replicas: 3", &format!("replicas: {base}"));
        common::write(dir, "base/zookeeper-statefulset.yaml", sts);
        common::write(
            dir,
            "base/zookeeper-pdb.yaml",
            format!(
                "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: zookeeper\nspec:\n  maxUnavailable: {max_unavailable}\n  selector:\n    matchLabels:\n      app: zookeeper\n"
            ),
        );
        common::write(
            dir,
            "base/kustomization.yaml",
            "resources:\n- zookeeper-statefulset.yaml\n- zookeeper-pdb.yaml\n",
        );
        common::write(
            dir,
            "overlays/a/kustomization.yaml",
            "resources:\n- ../../base\n",
        );
        common::write(
            dir,
            "overlays/b/kustomization.yaml",
            format!("resources:\n- ../../base\nreplicas:\n- name: zookeeper\n  count: {overlay}\n"),
        );
        for app in ["a", "b"] {
            common::write(
                dir,
                &format!("apps/{app}.yaml"),
                format!(
                    "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: zk-{app}\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: https://git.example.com/x.git\n    path: overlays/{app}\n    targetRevision: HEAD\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: kafka-{app}\n"
                ),
            );
        }
        let before = tree(dir);
        let out = run_in(
            dir,
            &[
                "fix",
                ".",
                "--select",
                "pdb-quorum-unsafe,pdb-blocks-eviction",
            ],
        );
        let pdb = std::fs::read_to_string(dir.join("base/zookeeper-pdb.yaml")).expect("read");
        match outcome {
            Some(min) => {
                assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
                assert!(pdb.contains(&format!("  minAvailable: {min}\n")), "{pdb}");
            }
            None => {
                assert!(
                    out.stdout
                        .contains("no one `minAvailable` keeps the quorum of each"),
                    "{}",
                    out.stdout
                );
                assert_eq!(tree(dir), before);
            }
        }
        let left: Vec<String> = findings(dir)
            .into_iter()
            .map(|(rule, _)| rule)
            .filter(|r| r == "pdb-blocks-eviction")
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }
}
