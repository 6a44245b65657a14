//! Argo CD's own behaviour, pinned on small repositories written in each test: how projects
//! match destinations and sources, the built-in `default` project, the namespace Argo CD runs in,
//! and what the ApplicationSet controller does when an element fails or two elements share a
//! name. Each test cites the Argo CD source it follows.

mod common;

use common::{json, run_in, write};

/// `(rule, severity, line, message)` of every finding, in output order.
fn findings(dir: &std::path::Path, args: &[&str]) -> Vec<(String, String, u64, String)> {
    let mut all = vec!["check", "--format", "json"];
    all.extend_from_slice(args);
    let out = run_in(dir, &all);
    json(&out)["diagnostics"]
        .as_array()
        .map(|ds| {
            ds.iter()
                .map(|d| {
                    (
                        d["rule"].as_str().unwrap_or("").to_string(),
                        d["severity"].as_str().unwrap_or("").to_string(),
                        d["line"].as_u64().unwrap_or(0),
                        d["message"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn application(name: &str, namespace: &str, project: &str, repo: &str, dest_ns: &str) -> String {
    format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {name}\n  namespace: {namespace}\nspec:\n  project: {project}\n  source:\n    repoURL: {repo}\n    path: deploy\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: {dest_ns}\n"
    )
}

// Argo CD, pkg/apis/application/v1alpha1/app_project_types.go: `isDestinationMatched` and
// `IsSourcePermitted` treat a `!` pattern as matching everything it does not name, so a project
// whose only destination is `{server: '*', namespace: '!kube-system'}` and whose only source
// pattern is `!https://github.com/untrusted/*` permits every other namespace and repository
// (table tests of each case in src/render/argocd/project.rs). Before, an all-negated list
// permitted nothing: `web` got two false errors.
#[test]
fn all_negated_project_rules_permit_what_they_do_not_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "project.yaml",
        "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata:\n  name: team\n  namespace: argocd\nspec:\n  sourceRepos:\n    - '!https://github.com/untrusted/*'\n  destinations:\n    - server: '*'\n      namespace: '!kube-system'\n",
    );
    write(
        dir.path(),
        "apps.yaml",
        format!(
            "{}---\n{}",
            application(
                "web",
                "argocd",
                "team",
                "https://github.com/example/web.git",
                "web"
            ),
            application(
                "system",
                "argocd",
                "team",
                "https://github.com/untrusted/tools.git",
                "kube-system"
            )
        ),
    );
    let found = findings(dir.path(), &["--select", "app-project-violation"]);
    let lines: Vec<u64> = found.iter().map(|f| f.2).collect();
    // Only `system` (from line 15 of apps.yaml): its repository and its namespace are the
    // negated ones.
    assert_eq!(lines, vec![23, 26], "{found:#?}");
    assert!(found[0].3.contains("untrusted/tools"), "{found:#?}");
    assert!(found[1].3.contains("`kube-system`"), "{found:#?}");
}

/// The Applications `render` lists, by name.
fn rendered_apps(dir: &std::path::Path) -> Vec<String> {
    let out = run_in(dir, &["render", ".", "--format", "json"]);
    json(&out)["applications"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|a| a["name"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

// Argo CD, applicationset/controllers/template/template.go `GenerateApplications`: a failing
// element (`RenderTemplateParams` with `missingkey=error`) becomes `firstError`, returned with
// the Applications that did render; applicationset/controllers/applicationset_controller.go
// `Reconcile` then sets the error condition and returns before `createOrUpdateInCluster` and
// `deleteInCluster`. So while one element fails, the set creates, updates and deletes nothing.
// Before, the element that rendered (`guestbook-dev`) was in the inventory and checked.
#[test]
fn a_failing_element_with_missingkey_error_leaves_no_generated_application() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "appset.yaml",
        "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: guestbook\n  namespace: argocd\nspec:\n  goTemplate: true\n  goTemplateOptions: [\"missingkey=error\"]\n  generators:\n    - list:\n        elements:\n          - cluster: dev\n            namespace: guestbook-dev\n          - cluster: prod\n  template:\n    metadata:\n      name: 'guestbook-{{.cluster}}'\n    spec:\n      project: default\n      source:\n        repoURL: https://github.com/example/guestbook.git\n        path: deploy\n      destination:\n        server: https://kubernetes.default.svc\n        namespace: '{{.namespace}}'\n",
    );
    assert_eq!(rendered_apps(dir.path()), Vec::<String>::new());
    let found = findings(dir.path(), &[]);
    assert_eq!(found.len(), 1, "{found:#?}");
    let (rule, severity, line, message) = &found[0];
    assert_eq!(
        (rule.as_str(), severity.as_str(), *line),
        ("not-rendered", "error", 4)
    );
    for part in [
        "element list[1]",
        "map has no entry for key \"namespace\"",
        "creates, updates and deletes no Application of this ApplicationSet",
        "the 1 Application the other elements render is not checked",
    ] {
        assert!(message.contains(part), "{part}: {message}");
    }
}

// The same failure in every element is one cause: Argo CD reports its first error only
// (template.go `GenerateApplications`, `firstError`), and a finding per element said the same
// thing N times (argo-cd's matrix/list-and-list.yaml: 4 errors). One finding names the first
// failing element and counts the others.
#[test]
fn elements_failing_the_same_way_are_one_finding() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "appset.yaml",
        "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: guestbook\n  namespace: argocd\nspec:\n  goTemplate: true\n  goTemplateOptions: [\"missingkey=error\"]\n  generators:\n    - list:\n        elements:\n          - cluster: dev\n          - cluster: stage\n          - cluster: prod\n  template:\n    metadata:\n      name: 'guestbook-{{.cluster}}'\n    spec:\n      project: default\n      source:\n        repoURL: https://github.com/example/guestbook.git\n        path: '{{.path.path}}'\n      destination:\n        server: https://kubernetes.default.svc\n        namespace: guestbook\n",
    );
    let found = findings(dir.path(), &[]);
    assert_eq!(found.len(), 1, "{found:#?}");
    let message = &found[0].3;
    assert!(
        message.contains("element list[0]")
            && message.contains("(and 2 more elements failing the same way: `list[1]`, `list[2]`)"),
        "{message}"
    );
}

// Argo CD, applicationset/controllers/applicationset_controller.go
// `validateGeneratedApplications`: walking the generated Applications in order, the first of a
// name is recorded in `namesSet` and passes; each later one of that name gets "ApplicationSet %s
// contains applications with duplicate name: %s" and is left out of `validApps`, so
// `createOrUpdateInCluster` never creates it. The brief for this change expected every
// Application of the name to be dropped; the source keeps the first, and we follow the source.
// Before, the later element replaced the earlier ("the later definition replaces the earlier"),
// the opposite of what the controller does.
#[test]
fn a_name_generated_twice_by_one_applicationset_keeps_only_the_first_element() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "appset.yaml",
        "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: guestbook\n  namespace: argocd\nspec:\n  generators:\n    - list:\n        elements:\n          - cluster: dev\n            url: https://dev.example.com\n          - cluster: prod\n            url: https://prod.example.com\n  template:\n    metadata:\n      name: guestbook\n    spec:\n      project: default\n      source:\n        repoURL: https://github.com/example/guestbook.git\n        path: deploy\n      destination:\n        server: '{{url}}'\n        namespace: guestbook\n",
    );
    let out = run_in(dir.path(), &["render", ".", "--format", "json"]);
    let v = json(&out);
    let apps = v["applications"].as_array().expect("applications");
    assert_eq!(apps.len(), 2, "{apps:#?}");
    // The first element's Application is the one Argo CD creates: nothing replaces it.
    assert_eq!(apps[0]["origin"]["generator"], "list[0]");
    assert!(apps[0]["origin"].get("replacedBy").is_none(), "{apps:#?}");
    assert!(
        apps[0]["origin"].get("refusedDuplicateOf").is_none(),
        "{apps:#?}"
    );
    assert_eq!(apps[1]["origin"]["generator"], "list[1]");
    assert_eq!(apps[1]["origin"]["refusedDuplicateOf"], "list[0]");

    let found = findings(dir.path(), &["--select", "duplicate-application"]);
    assert_eq!(found.len(), 1, "{found:#?}");
    let message = &found[0].3;
    for part in [
        "ApplicationSet `guestbook` generates Application `guestbook` from element list[0] and again from element list[1]",
        "refuses every Application of a name after the first",
        "creates only element list[0]'s",
        "`https://prod.example.com`, namespace `guestbook` — is never deployed",
    ] {
        assert!(message.contains(part), "{part}: {message}");
    }
    assert!(!message.contains("replaces"), "{message}");
}

// Argo CD's built-in `default` project (server/server.go `initializeDefaultProject`: sourceRepos
// `*`, destinations `*`/`*`, cluster kinds `*`, and no `sourceNamespaces`) and
// pkg/apis/application/v1alpha1/app_project_types.go `IsAppNamespacePermitted`: an Application
// outside the controller's namespace is permitted only by the project's `sourceNamespaces`.
// Docs: operator-manual/app-any-namespace.md ("the default project … does not allow
// Applications in other namespaces"; `sourceNamespaces` must list them). Before, only an
// AppProject written in the repository was checked, and `team-a/web` passed silently.
#[test]
fn an_application_outside_argo_cds_namespace_in_the_builtin_default_project_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        ".manifest-guard.yaml",
        "argocd-namespace: argocd\n",
    );
    write(
        dir.path(),
        "apps.yaml",
        format!(
            "{}---\n{}",
            application(
                "web",
                "team-a",
                "default",
                "https://github.com/example/web.git",
                "web"
            ),
            application(
                "api",
                "argocd",
                "default",
                "https://github.com/example/api.git",
                "api"
            ),
        ),
    );
    let found = findings(dir.path(), &["--select", "app-project-violation"]);
    assert_eq!(found.len(), 1, "{found:#?}");
    let (_, severity, line, message) = &found[0];
    // Configured, so known: an error, at `metadata.namespace: team-a`.
    assert_eq!((severity.as_str(), *line), ("error", 5));
    assert!(
        message.contains("built-in `default` project, which lists no `sourceNamespaces`"),
        "{message}"
    );
}

// Without `argocd-namespace`, the namespace is inferred from the repository's Argo CD manifests
// (strongest first: `argocd-cm`, the operator's `ArgoCD`, AppProjects, Applications), as Argo CD
// reads its settings and projects from its own namespace only (util/settings: the settings
// manager reads `argocd-cm` in its namespace; applicationset_controller.go
// `validateGeneratedApplications` gets projects from `r.ArgoCDNamespace`). OpenShift GitOps
// installs into `openshift-gitops`. Before, `argocd` was assumed and every Application in
// `openshift-gitops` got an app-project-violation error; a finding that rests on the inferred
// namespace is now at most a warning that says where it was inferred from.
#[test]
fn argo_cds_namespace_is_inferred_from_the_repository_and_never_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "bootstrap/argocd-cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-cm\n  namespace: openshift-gitops\n",
    );
    write(
        dir.path(),
        "projects/team.yaml",
        "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata:\n  name: team\n  namespace: openshift-gitops\nspec:\n  sourceRepos: ['*']\n  destinations:\n    - server: '*'\n      namespace: '*'\n",
    );
    write(
        dir.path(),
        "apps.yaml",
        format!(
            "{}---\n{}",
            application(
                "web",
                "openshift-gitops",
                "team",
                "https://github.com/example/web.git",
                "web"
            ),
            application(
                "api",
                "team-a",
                "team",
                "https://github.com/example/api.git",
                "api"
            ),
        ),
    );
    let found = findings(dir.path(), &["--select", "app-project-violation"]);
    assert_eq!(found.len(), 1, "{found:#?}");
    let (_, severity, line, message) = &found[0];
    assert_eq!((severity.as_str(), *line), ("warning", 19), "{message}");
    assert!(
        message.contains(
            "(Argo CD's namespace `openshift-gitops` is inferred from bootstrap/argocd-cm.yaml:5;"
        ),
        "{message}"
    );

    // `render` says which namespace was taken and from where.
    let out = run_in(dir.path(), &["render", ".", "--format", "json"]);
    let notes = json(&out)["notes"].clone();
    assert!(
        notes
            .as_array()
            .is_some_and(|n| n.iter().any(|n| n["file"] == "bootstrap/argocd-cm.yaml"
                && n["line"] == 5
                && n["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("namespace taken as `openshift-gitops`")))),
        "{notes:#?}"
    );

    // Configured, the same finding is an error and nothing is inferred.
    write(
        dir.path(),
        ".manifest-guard.yaml",
        "argocd-namespace: openshift-gitops\n",
    );
    let found = findings(dir.path(), &["--select", "app-project-violation"]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].1, "error");
    assert!(!found[0].3.contains("inferred"), "{found:#?}");
}

// `cross-namespace-target` calls an object deployed into Argo CD's own namespace an error; when
// that namespace is inferred from the repository (or assumed), the finding rests on a guess and
// is a warning that says where the namespace came from, as `app-project-violation` does.
#[test]
fn an_object_in_an_inferred_argo_cd_namespace_is_a_warning_that_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "bootstrap/argocd-cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-cm\n  namespace: openshift-gitops\n",
    );
    write(
        dir.path(),
        "apps/web.yaml",
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\n  namespace: openshift-gitops\nspec:\n  project: default\n  source:\n    repoURL: https://git.example.com/web.git\n    path: deploy\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: web\n",
    );
    write(
        dir.path(),
        ".manifest-guard.yaml",
        "repositories:\n  - url: https://git.example.com/web.git\n    path: .\n",
    );
    write(
        dir.path(),
        "deploy/config.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  namespace: openshift-gitops\ndata:\n  a: b\n",
    );
    let found = findings(dir.path(), &["--select", "cross-namespace-target"]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].1, "warning", "{found:#?}");
    assert!(
        found[0].3.contains("is Argo CD's own namespace")
            && found[0]
                .3
                .contains("is inferred from bootstrap/argocd-cm.yaml:5"),
        "{found:#?}"
    );

    // Configured, it is an error.
    write(
        dir.path(),
        ".manifest-guard.yaml",
        "argocd-namespace: openshift-gitops\nrepositories:\n  - url: https://git.example.com/web.git\n    path: .\n",
    );
    let found = findings(dir.path(), &["--select", "cross-namespace-target"]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].1, "error", "{found:#?}");
}
