//! Issue 13's data-protection rules on small trees built in temporary directories: the edges of
//! Argo CD's behaviour each rule models, pinned with the Argo CD source they follow. (The
//! fixtures under `fixtures/<id>/` cover the rules' main cases.)

mod common;

use std::path::Path;

use common::{json, positions, run, run_in, write};

const CONFIG: &str =
    "repositories:\n  - url: https://git.example.com/platform/gitops.git\n    path: .\n";

/// An Application `billing` deploying `billing/` into namespace `billing`, with `extra` lines
/// appended under `spec:` and `meta` under `metadata:`.
fn app(meta: &str, extra: &str) -> String {
    format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: billing\n  namespace: argocd\n{meta}spec:\n  project: default\n  source:\n    repoURL: https://git.example.com/platform/gitops.git\n    path: billing\n  destination:\n    name: in-cluster\n    namespace: billing\n{extra}"
    )
}

fn pvc(annotations: &str) -> String {
    format!(
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: invoices\n{annotations}spec:\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n      storage: 1Gi\n"
    )
}

const AUTO_PRUNE: &str = "  syncPolicy:\n    automated:\n      prune: true\n";

/// `(rule, file, line)` of what `check --select rule` finds in `dir`.
fn found(dir: &Path, rule: &str) -> Vec<(String, String, u64)> {
    let out = run_in(dir, &["check", ".", "--select", rule, "--format", "json"]);
    positions(&json(&out))
        .into_iter()
        .map(|(r, f, l, _)| (r, f, l))
        .collect()
}

fn messages(dir: &Path, rule: &str) -> Vec<String> {
    let out = run_in(dir, &["check", ".", "--select", rule, "--format", "json"]);
    json(&out)["diagnostics"]
        .as_array()
        .map(|ds| {
            ds.iter()
                .map(|d| d["message"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Sync options are read as gitops-engine reads them: `pkg/sync/resource`
/// `GetAnnotationCSVs` splits the annotation on commas and trims each item, and
/// `HasAnnotationOption` compares whole items. So spaces around items count as nothing, and
/// anything but a comma does not separate.
#[test]
fn sync_options_are_split_on_commas_and_trimmed_like_gitops_engine() {
    let cases = [
        (" Prune=false ,  Delete=false ", 0),
        ("Prune=confirm,Delete=confirm", 0),
        ("Prune=false;Delete=false", 1),
        ("prune=false,delete=false", 1),
        ("Prune=false", 1),
    ];
    for (value, expected) in cases {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), ".manifest-guard.yaml", CONFIG);
        write(
            dir.path(),
            "apps/billing.yaml",
            app(
                "  finalizers:\n    - resources-finalizer.argocd.argoproj.io\n",
                AUTO_PRUNE,
            ),
        );
        write(
            dir.path(),
            "billing/pvc.yaml",
            pvc(&format!(
                "  annotations:\n    argocd.argoproj.io/sync-options: \"{value}\"\n"
            )),
        );
        assert_eq!(
            found(dir.path(), "stateful-deletion-unprotected").len(),
            expected,
            "sync-options `{value}`"
        );
    }
}

/// Each option covers its own event (argo-cd issue 9853: `Prune=false` does not survive the
/// Application's cascading deletion; gitops-engine `SyncOptionDisableDeletion`): the finding says
/// which one is missing for which reason.
#[test]
fn the_missing_option_is_named_for_its_event() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), ".manifest-guard.yaml", CONFIG);
    // Automated prune, no finalizer: only `Prune=false` is needed.
    write(dir.path(), "apps/billing.yaml", app("", AUTO_PRUNE));
    write(
        dir.path(),
        "billing/pvc.yaml",
        pvc("  annotations:\n    argocd.argoproj.io/sync-options: Delete=false\n"),
    );
    let m = messages(dir.path(), "stateful-deletion-unprotected");
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(
        m[0].contains("prunes automatically") && m[0].contains("no `Prune=false`"),
        "{}",
        m[0]
    );
    // The finalizer, no automated sync: only `Delete=false` is needed, and `Prune=false` alone
    // does not do.
    write(
        dir.path(),
        "apps/billing.yaml",
        app(
            "  finalizers:\n    - resources-finalizer.argocd.argoproj.io\n",
            "",
        ),
    );
    write(
        dir.path(),
        "billing/pvc.yaml",
        pvc("  annotations:\n    argocd.argoproj.io/sync-options: Prune=false\n"),
    );
    let m = messages(dir.path(), "stateful-deletion-unprotected");
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(
        m[0].contains("finalizer") && m[0].contains("no `Delete=false`"),
        "{}",
        m[0]
    );
    // Neither event: nothing to say.
    write(dir.path(), "apps/billing.yaml", app("", ""));
    assert!(found(dir.path(), "stateful-deletion-unprotected").is_empty());
}

/// The ApplicationSet controller gives a generated Application the resources finalizer only when
/// the ApplicationSet does not preserve resources AND the template names no finalizer
/// (argo-cd `applicationset/utils/utils.go` `RenderTemplateParams`: "Add the
/// 'resources-finalizer' finalizer if the template application doesn't have any finalizers").
#[test]
fn a_generated_application_cascades_as_the_applicationset_controller_decides() {
    let appset = |sync_policy: &str, finalizers: &str| {
        format!(
            "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: teams\n  namespace: argocd\nspec:\n{sync_policy}  generators:\n    - list:\n        elements:\n          - team: billing\n  template:\n    metadata:\n      name: '{{{{team}}}}'\n{finalizers}    spec:\n      project: default\n      source:\n        repoURL: https://git.example.com/platform/gitops.git\n        path: billing\n      destination:\n        name: in-cluster\n        namespace: billing\n"
        )
    };
    let cases = [
        // Not preserved, no finalizer written: the controller adds the resources finalizer.
        ("", "", 1),
        // Not preserved, another finalizer written: the controller adds none.
        (
            "",
            "      finalizers:\n        - post-delete-finalizer.argocd.argoproj.io\n",
            0,
        ),
        // Preserved: no finalizer added.
        (
            "  syncPolicy:\n    preserveResourcesOnDeletion: true\n",
            "",
            0,
        ),
        // Preserved, but the template writes the resources finalizer itself: it cascades.
        (
            "  syncPolicy:\n    preserveResourcesOnDeletion: true\n",
            "      finalizers:\n        - resources-finalizer.argocd.argoproj.io\n",
            1,
        ),
    ];
    for (sync_policy, finalizers, expected) in cases {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), ".manifest-guard.yaml", CONFIG);
        write(
            dir.path(),
            "appsets/teams.yaml",
            appset(sync_policy, finalizers),
        );
        write(dir.path(), "billing/pvc.yaml", pvc(""));
        assert_eq!(
            found(dir.path(), "stateful-deletion-unprotected").len(),
            expected,
            "syncPolicy `{sync_policy}`, finalizers `{finalizers}`"
        );
        assert_eq!(
            found(dir.path(), "appset-deletion-unprotected").len(),
            expected,
            "appset-deletion-unprotected: syncPolicy `{sync_policy}`, finalizers `{finalizers}`"
        );
    }
}

/// Only `label` tracking reads the instance label (argo-cd `util/argo/resource_tracking.go`
/// `GetAppName`); `annotation` (Argo CD 3's default) and `annotation+label` read the tracking id
/// annotation, which a claim copied from a template does not match
/// (`controller/state.go` `isSelfReferencedObj`). So the rule follows `options.tracking-method`.
#[test]
fn the_tracking_label_counts_only_under_label_tracking() {
    let sts = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: ledger\nspec:\n  serviceName: ledger\n  selector:\n    matchLabels:\n      app: ledger\n  template:\n    metadata:\n      labels:\n        app: ledger\n    spec:\n      containers:\n        - name: ledger\n          image: ledger:1\n  volumeClaimTemplates:\n    - metadata:\n        name: data\n        labels:\n          app.kubernetes.io/instance: billing\n        annotations:\n          argocd.argoproj.io/tracking-id: billing:apps/StatefulSet:billing/ledger\n      spec:\n        accessModes: [ReadWriteOnce]\n        resources:\n          requests:\n            storage: 1Gi\n";
    for (method, expected) in [
        (None, 0),
        (Some("annotation"), 0),
        (Some("annotation+label"), 0),
        (Some("label"), 1),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = match method {
            Some(m) => format!("{CONFIG}options:\n  tracking-method: {m}\n"),
            None => CONFIG.to_string(),
        };
        write(dir.path(), ".manifest-guard.yaml", config);
        write(dir.path(), "apps/billing.yaml", app("", AUTO_PRUNE));
        write(dir.path(), "billing/statefulset.yaml", sts);
        let f = found(dir.path(), "tracking-label-in-volume-claim-template");
        assert_eq!(f.len(), expected, "tracking-method {method:?}: {f:?}");
        if expected == 1 {
            // At the label's key inside the claim template.
            assert_eq!(f[0].2, 22, "{f:?}");
        }
    }
}

/// `Force=true` on an object is read from its own annotation, `Replace=true` on the Application
/// from its syncOptions (gitops-engine `sync_context.go` `applyObject`: `sc.replace ||
/// HasAnnotationOption(...)`); a stateless object with either is none of this rule's business.
#[test]
fn replace_and_force_reach_stateful_objects_from_the_object_or_the_application() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), ".manifest-guard.yaml", CONFIG);
    write(
        dir.path(),
        "apps/billing.yaml",
        app(
            "",
            "  syncPolicy:\n    syncOptions:\n      - Replace=true\n",
        ),
    );
    write(dir.path(), "billing/pvc.yaml", pvc(""));
    let f = found(dir.path(), "replace-on-stateful");
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(
        f[0].1.ends_with("apps/billing.yaml") && f[0].2 == 16,
        "{f:?}"
    );
    write(dir.path(), "apps/billing.yaml", app("", ""));
    assert!(found(dir.path(), "replace-on-stateful").is_empty());
    write(
        dir.path(),
        "billing/pvc.yaml",
        pvc("  annotations:\n    argocd.argoproj.io/sync-options: Prune=false, Force=true\n"),
    );
    let f = found(dir.path(), "replace-on-stateful");
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(f[0].1.ends_with("billing/pvc.yaml") && f[0].2 == 6, "{f:?}");
    write(
        dir.path(),
        "billing/pvc.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: invoices\n  annotations:\n    argocd.argoproj.io/sync-options: Force=true\n",
    );
    assert!(found(dir.path(), "replace-on-stateful").is_empty());
}

/// `retention-policy-delete` also runs in `check` (it was a `diff` rule only): a StatefulSet
/// whose claims go with it, in an Application that prunes automatically.
#[test]
fn retention_policy_delete_reports_in_check_when_the_application_prunes() {
    let out = run(&[
        "check",
        "fixtures/retention-policy-delete/bad/head",
        "--select",
        "retention-policy-delete",
        "--format",
        "json",
    ]);
    let f = positions(&json(&out));
    assert_eq!(
        f.iter()
            .map(|(_, file, line, _)| (file.as_str(), *line))
            .collect::<Vec<_>>(),
        vec![
            // whenDeleted: Delete
            (
                "fixtures/retention-policy-delete/bad/head/ci/redis.yaml",
                10
            ),
            // whenScaled: Delete (whenDeleted: Retain)
            (
                "fixtures/retention-policy-delete/bad/head/kafka/statefulset.yaml",
                10
            ),
            // whenDeleted: Delete
            (
                "fixtures/retention-policy-delete/bad/head/postgres/statefulset.yaml",
                9
            ),
        ],
        "{}",
        out.stdout
    );
    // Without automated prune, nothing deletes the StatefulSet on its own.
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), ".manifest-guard.yaml", CONFIG);
    write(dir.path(), "apps/billing.yaml", app("", ""));
    write(
        dir.path(),
        "billing/statefulset.yaml",
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: ledger\nspec:\n  serviceName: ledger\n  persistentVolumeClaimRetentionPolicy:\n    whenDeleted: Delete\n  selector:\n    matchLabels:\n      app: ledger\n  template:\n    metadata:\n      labels:\n        app: ledger\n    spec:\n      containers:\n        - name: ledger\n          image: ledger:1\n",
    );
    assert!(found(dir.path(), "retention-policy-delete").is_empty());
    write(dir.path(), "apps/billing.yaml", app("", AUTO_PRUNE));
    assert_eq!(found(dir.path(), "retention-policy-delete").len(), 1);
}

/// Only what takes data with it counts for the deletion rules: a claim always; a StatefulSet only
/// with `whenDeleted: Delete` (Kubernetes keeps claims of a deleted StatefulSet by default, and a
/// new StatefulSet of the name adopts them); a volume only with the `Delete` reclaim policy (a
/// volume written by hand defaults to `Retain`: deleting the object leaves the disk).
#[test]
fn deletion_rules_count_only_objects_whose_deletion_deletes_data() {
    let sts = |policy: &str| {
        format!(
            "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: ledger\nspec:\n  serviceName: ledger\n{policy}  selector:\n    matchLabels:\n      app: ledger\n  template:\n    metadata:\n      labels:\n        app: ledger\n    spec:\n      containers:\n        - name: ledger\n          image: ledger:1\n  volumeClaimTemplates:\n    - metadata:\n        name: data\n      spec:\n        accessModes: [ReadWriteOnce]\n        resources:\n          requests:\n            storage: 1Gi\n"
        )
    };
    let pv = |policy: &str| {
        format!(
            "apiVersion: v1\nkind: PersistentVolume\nmetadata:\n  name: ledger-disk\nspec:\n  capacity:\n    storage: 1Gi\n  accessModes: [ReadWriteOnce]\n{policy}  hostPath:\n    path: /data/ledger\n"
        )
    };
    let cases = [
        (sts(""), 0),
        (
            sts(
                "  persistentVolumeClaimRetentionPolicy:\n    whenDeleted: Retain\n    whenScaled: Delete\n",
            ),
            0,
        ),
        (
            sts("  persistentVolumeClaimRetentionPolicy:\n    whenDeleted: Delete\n"),
            1,
        ),
        (pv(""), 0),
        (pv("  persistentVolumeReclaimPolicy: Retain\n"), 0),
        (pv("  persistentVolumeReclaimPolicy: Delete\n"), 1),
        (pvc(""), 1),
    ];
    for (object, expected) in cases {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), ".manifest-guard.yaml", CONFIG);
        write(
            dir.path(),
            "apps/billing.yaml",
            app(
                "  finalizers:\n    - resources-finalizer.argocd.argoproj.io\n",
                "  syncPolicy:\n    automated:\n      prune: true\n      allowEmpty: true\n",
            ),
        );
        write(dir.path(), "billing/object.yaml", &object);
        for rule in ["stateful-deletion-unprotected", "allow-empty-prune"] {
            assert_eq!(
                found(dir.path(), rule).len(),
                expected,
                "{rule} on:\n{object}"
            );
        }
    }
}

/// A generated Application's `allowEmpty` is written once, in its ApplicationSet's template: the
/// finding points there, once for the Applications generated from that line.
#[test]
fn allow_empty_of_generated_applications_points_at_the_template() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), ".manifest-guard.yaml", CONFIG);
    write(
        dir.path(),
        "appsets/teams.yaml",
        "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: teams\n  namespace: argocd\nspec:\n  syncPolicy:\n    preserveResourcesOnDeletion: true\n  generators:\n    - list:\n        elements:\n          - team: billing\n          - team: ledger\n  template:\n    metadata:\n      name: '{{team}}'\n    spec:\n      project: default\n      source:\n        repoURL: https://git.example.com/platform/gitops.git\n        path: billing\n      destination:\n        name: in-cluster\n        namespace: '{{team}}'\n      syncPolicy:\n        automated:\n          prune: true\n          allowEmpty: true\n",
    );
    write(dir.path(), "billing/pvc.yaml", pvc(""));
    let f = found(dir.path(), "allow-empty-prune");
    assert_eq!(
        f,
        vec![(
            "allow-empty-prune".to_string(),
            "appsets/teams.yaml".to_string(),
            28
        )],
    );
}

/// `Replace=true` in an ApplicationSet's template reaches every generated Application: one
/// finding at the template's syncOptions item, naming the others.
#[test]
fn replace_in_a_template_is_reported_once_at_the_template() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), ".manifest-guard.yaml", CONFIG);
    write(
        dir.path(),
        "appsets/teams.yaml",
        "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: teams\n  namespace: argocd\nspec:\n  generators:\n    - list:\n        elements:\n          - team: billing\n          - team: ledger\n  template:\n    metadata:\n      name: '{{team}}'\n    spec:\n      project: default\n      source:\n        repoURL: https://git.example.com/platform/gitops.git\n        path: billing\n      destination:\n        name: in-cluster\n        namespace: '{{team}}'\n      syncPolicy:\n        syncOptions:\n          - Replace=true\n",
    );
    write(dir.path(), "billing/pvc.yaml", pvc(""));
    let f = found(dir.path(), "replace-on-stateful");
    assert_eq!(
        f,
        vec![(
            "replace-on-stateful".to_string(),
            "appsets/teams.yaml".to_string(),
            25
        )],
    );
    let m = messages(dir.path(), "replace-on-stateful");
    assert!(
        m[0].contains("the same for 1 more Applications from this line: `ledger`"),
        "{}",
        m[0]
    );
}
