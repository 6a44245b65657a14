//! Which definitions of one name meet (issue 10 §2 follow-up): `duplicate-application` and
//! `duplicate-resource` follow the same render units. A directory of plain manifests that
//! nothing renders is applied by hand as one thing; two such directories are two separate
//! applies. What an Application or a root renders is applied by Argo CD and meets every other
//! definition of its name. Each test builds a small repository in a temporary directory.

mod common;

use std::path::Path;

use common::{json, run_in, write};

const REPO: &str = "https://git.example.com/platform/gitops.git";

/// An ApplicationSet `name` generating `dev-guestbook` from a list, deploying `app/`.
fn appset(name: &str) -> String {
    format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: {name}\n  namespace: argocd\nspec:\n  goTemplate: true\n  generators:\n    - list:\n        elements:\n          - env: dev\n  template:\n    metadata:\n      name: '{{{{.env}}}}-guestbook'\n    spec:\n      project: default\n      source:\n        repoURL: {REPO}\n        path: app\n      destination:\n        server: https://kubernetes.default.svc\n        namespace: guestbook\n"
    )
}

/// An Application `name` deploying `web/`.
fn application(name: &str) -> String {
    format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {name}\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: {REPO}\n    path: web\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: guestbook\n"
    )
}

/// A repository whose `app/` and `web/` hold one ConfigMap each, cloned locally as `REPO`.
fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        ".manifest-guard.yaml",
        format!("repositories:\n  - url: {REPO}\n    path: .\n"),
    );
    write(
        dir.path(),
        "app/config.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: guestbook\ndata:\n  a: b\n",
    );
    write(
        dir.path(),
        "web/config.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  a: b\n",
    );
    dir
}

/// `(rule, file, line)` of every finding of `duplicate-application` and `shared-resource`.
fn findings(dir: &Path) -> Vec<(String, String, u64)> {
    let out = run_in(dir, &["check", ".", "--format", "json"]);
    json(&out)["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["rule"] == "duplicate-application" || d["rule"] == "shared-resource")
        .map(|d| {
            (
                d["rule"].as_str().unwrap_or("").to_string(),
                d["file"].as_str().unwrap_or("").to_string(),
                d["line"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

fn dup(file: &str, line: u64) -> (String, String, u64) {
    ("duplicate-application".to_string(), file.to_string(), line)
}

/// argoproj/argo-cd's own `applicationset/examples/*/` write an ApplicationSet `guestbook` in
/// each example directory, each applied by hand on its own (`kubectl apply -f
/// applicationset/examples/list-generator/list-example.yaml`). As `duplicate-resource` has it
/// since directories became units of their own, two directories applied by hand never meet, so
/// neither the ApplicationSets nor the Applications they generate (which the controller
/// creates in the ApplicationSet's namespace: argoproj/argo-cd
/// applicationset/controllers/applicationset_controller.go, `generateApplications`,
/// `app.Namespace = applicationSetInfo.Namespace`) are duplicates, and the Applications of one
/// name they generate are one Application or the other, never two that share what they render.
/// Before, this reported `duplicate-application` on the second ApplicationSet and on the
/// second Application `web`.
#[test]
fn argocd_objects_of_one_name_in_two_directories_applied_by_hand_do_not_meet() {
    let dir = repo();
    write(dir.path(), "examples/list/appset.yaml", appset("guestbook"));
    write(dir.path(), "examples/git/appset.yaml", appset("guestbook"));
    // Two differently named ApplicationSets generating one Application name.
    write(dir.path(), "examples/a/appset.yaml", appset("guestbook-a"));
    write(dir.path(), "examples/b/appset.yaml", appset("guestbook-b"));
    write(dir.path(), "examples/one/app.yaml", application("web"));
    write(dir.path(), "examples/two/app.yaml", application("web"));
    assert_eq!(findings(dir.path()), vec![]);

    // In one directory they are applied together: the later replaces the earlier.
    write(dir.path(), "examples/list/copy.yaml", appset("guestbook"));
    write(dir.path(), "examples/one/copy.yaml", application("web"));
    assert_eq!(
        findings(dir.path()),
        vec![
            dup("examples/list/copy.yaml", 4),
            dup("examples/one/copy.yaml", 4)
        ]
    );
}

/// `units:` joins a directory with its subdirectories (`clusters/*` by default): what they
/// write is applied as one thing, so one name written twice below it is a duplicate.
#[test]
fn a_units_directory_joins_its_subdirectories_into_one_apply() {
    let dir = repo();
    write(dir.path(), "clusters/hub/apps/web.yaml", application("web"));
    write(
        dir.path(),
        "clusters/hub/extra/web.yaml",
        application("web"),
    );
    write(
        dir.path(),
        "clusters/hub/appsets/a.yaml",
        appset("guestbook"),
    );
    write(dir.path(), "clusters/hub/more/a.yaml", appset("guestbook"));
    assert_eq!(
        findings(dir.path()),
        vec![
            dup("clusters/hub/extra/web.yaml", 4),
            dup("clusters/hub/more/a.yaml", 4)
        ]
    );
}

/// What an Application renders, Argo CD applies: it meets every other definition of its name,
/// even one written in a directory applied by hand (the incident of `fixtures/demo`, where
/// both are rendered by one app-of-apps, stays caught by `tests/cli.rs`).
#[test]
fn a_definition_argo_cd_applies_meets_one_applied_by_hand() {
    let dir = repo();
    write(
        dir.path(),
        "root.yaml",
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: root\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: https://git.example.com/platform/gitops.git\n    path: managed\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: argocd\n",
    );
    write(dir.path(), "managed/web.yaml", application("web"));
    write(dir.path(), "managed/appset.yaml", appset("guestbook"));
    write(dir.path(), "examples/one/app.yaml", application("web"));
    write(dir.path(), "examples/list/appset.yaml", appset("guestbook"));
    // The Application `web` and the ApplicationSet `guestbook`, each defined twice.
    let found = findings(dir.path());
    assert_eq!(
        found,
        vec![
            dup("examples/list/appset.yaml", 4),
            dup("managed/web.yaml", 4)
        ]
    );
}

/// Config Sync deploys an object annotated `configmanagement.gke.io/namespace-selector` to each
/// namespace its NamespaceSelector selects ("Namespace selectors ... let you deploy otherwise
/// identical resource objects to multiple namespaces": Google Cloud, Config Sync, "Sync objects
/// to multiple namespaces", cloud.google.com/anthos-config-management/docs/namespace-scoped-objects).
/// Two `ResourceQuota quota` with different selectors are two objects in different namespaces
/// (GoogleCloudPlatform/anthos-config-management-samples,
/// namespace-inheritance/config/namespaces/eng/quota.yaml). Before, a `duplicate-resource`
/// error; with one selector twice it still is one.
#[test]
fn config_sync_objects_with_different_namespace_selectors_are_not_duplicates() {
    let dir = tempfile::tempdir().expect("tempdir");
    let quota = |selector: &str, pods: u32| {
        format!(
            "kind: ResourceQuota\napiVersion: v1\nmetadata:\n  name: quota\n  annotations:\n    configmanagement.gke.io/namespace-selector: {selector}\nspec:\n  hard:\n    pods: \"{pods}\"\n"
        )
    };
    let file = format!(
        "{}---\n{}",
        quota("analytics-selector", 1),
        quota("gamestore-selector", 2)
    );
    write(dir.path(), "config/namespaces/eng/quota.yaml", &file);
    let dups = |dir: &Path| -> Vec<(String, u64)> {
        let out = run_in(
            dir,
            &[
                "check",
                ".",
                "--no-render",
                "--select",
                "duplicate-resource",
                "--format",
                "json",
            ],
        );
        json(&out)["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .map(|d| {
                (
                    d["file"].as_str().unwrap_or("").to_string(),
                    d["line"].as_u64().unwrap_or(0),
                )
            })
            .collect()
    };
    assert_eq!(dups(dir.path()), vec![]);

    write(
        dir.path(),
        "config/namespaces/eng/quota.yaml",
        format!("{file}---\n{}", quota("gamestore-selector", 3)),
    );
    assert_eq!(
        dups(dir.path()),
        vec![("config/namespaces/eng/quota.yaml".to_string(), 24)]
    );

    // Without a selector it goes to every namespace below `eng`: those a selector picks too.
    let plain = "kind: ResourceQuota\napiVersion: v1\nmetadata:\n  name: quota\nspec:\n  hard:\n    pods: \"4\"\n";
    write(
        dir.path(),
        "config/namespaces/eng/quota.yaml",
        format!("{}---\n{plain}", quota("analytics-selector", 1)),
    );
    assert_eq!(
        dups(dir.path()),
        vec![("config/namespaces/eng/quota.yaml".to_string(), 14)]
    );
}

/// `shared-resource` compares the Applications of each directory applied by hand among
/// themselves: argo-cd's `list-generator/list-example.yaml` sends `engineering-dev-guestbook`
/// and `engineering-prod-guestbook` to the same cluster and namespace, so they share what they
/// render — a true finding — but the "first Application" it named was an Application of the
/// same name generated in another example directory (`applications-sync-policies/`), which
/// never exists beside them; and when that other directory's Application came first, the
/// sharing was not reported at all. The finding now stays inside its directory.
#[test]
fn shared_objects_are_compared_within_one_directory_applied_by_hand() {
    let dir = repo();
    // Elsewhere: an ApplicationSet of the same name generating `dev-guestbook` alone.
    write(dir.path(), "a-other/appset.yaml", appset("guestbook"));
    // Here: one generating `dev-guestbook` and `prod-guestbook`, both deploying `app/` to the
    // same cluster and namespace.
    write(
        dir.path(),
        "b-here/appset.yaml",
        appset("guestbook").replace(
            "          - env: dev\n",
            "          - env: dev\n          - env: prod\n",
        ),
    );
    let out = run_in(dir.path(), &["check", ".", "--format", "json"]);
    let v = json(&out);
    let shared: Vec<&serde_json::Value> = v["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["rule"] == "shared-resource")
        .collect();
    assert_eq!(shared.len(), 1, "{}", out.stdout);
    let related: Vec<&str> = shared[0]["related"]
        .as_array()
        .expect("related")
        .iter()
        .filter_map(|r| r["file"].as_str())
        .collect();
    assert!(
        related.iter().all(|f| *f != "a-other/appset.yaml"),
        "{related:?}"
    );
    assert!(related.contains(&"b-here/appset.yaml"), "{related:?}");
}
