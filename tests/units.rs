//! Render units as Argo CD and the operators have them (issue 10 §2): which files are applied
//! together, which renders are roots applied by hand, which directories belong to an
//! Application's plugin, and which files are not manifests at all. Each test builds a small
//! repository in a temporary directory.

mod common;

use std::path::Path;

use common::{json, render_tools, run_in, write};

const REPO: &str = "https://git.example.com/platform/gitops.git";

fn deployment(name: &str, image: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: web\nspec:\n  selector:\n    matchLabels: {{app: {name}}}\n  template:\n    metadata:\n      labels: {{app: {name}}}\n    spec:\n      containers:\n        - name: {name}\n          image: {image}\n"
    )
}

fn config(dir: &Path, extra: &str) {
    write(
        dir,
        ".manifest-guard.yaml",
        format!("repositories:\n  - url: {REPO}\n    path: .\n{extra}"),
    );
}

/// `(rule, file, line)` of every finding.
fn findings(dir: &Path, args: &[&str]) -> (i32, Vec<(String, String, u64)>, serde_json::Value) {
    let mut all = vec!["check", ".", "--format", "json"];
    all.extend_from_slice(args);
    let out = run_in(dir, &all);
    let v = json(&out);
    let list = v["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().unwrap_or("").to_string(),
                d["file"].as_str().unwrap_or("").to_string(),
                d["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    (out.code, list, v)
}

fn rules_of(list: &[(String, String, u64)]) -> Vec<&str> {
    list.iter().map(|(r, _, _)| r.as_str()).collect()
}

/// Two sibling directories are two apps, each with its own `Deployment web`: applied one
/// directory at a time, they never meet. Argo CD reads a directory source without its
/// subdirectories unless `directory.recurse` is set (argoproj/argo-cd,
/// reposerver/repository/repository.go, `getPotentiallyValidManifests`: `if path != appPath &&
/// !recurse { return filepath.SkipDir }`; `recurse` defaults to false), so each directory of plain
/// manifests is a unit of its own. Before, the whole path argument was one unit and this
/// reported a `duplicate-resource` error.
#[test]
fn sibling_directories_of_plain_manifests_are_separate_units() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "canary-app/deployment.yaml",
        deployment("web", "web:1"),
    );
    write(
        dir.path(),
        "blue-green-app/deployment.yaml",
        deployment("web", "web:2"),
    );
    let (code, list, _) = findings(dir.path(), &["--no-render"]);
    assert!(!rules_of(&list).contains(&"duplicate-resource"), "{list:?}");
    assert_eq!(code, 0, "{list:?}");
}

/// Inside one directory, two files defining the same object are still applied together: the
/// later replaces the earlier.
#[test]
fn two_files_of_one_directory_with_the_same_object_are_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "canary-app/a.yaml", deployment("web", "web:1"));
    write(dir.path(), "canary-app/b.yaml", deployment("web", "web:2"));
    write(
        dir.path(),
        "blue-green-app/deployment.yaml",
        deployment("web", "web:3"),
    );
    let (code, list, v) = findings(dir.path(), &["--no-render"]);
    let dups: Vec<_> = list
        .iter()
        .filter(|(r, _, _)| r == "duplicate-resource")
        .collect();
    assert_eq!(
        dups,
        vec![&(
            "duplicate-resource".to_string(),
            "canary-app/b.yaml".to_string(),
            4
        )],
        "{list:?}"
    );
    let message = v["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .find(|d| d["rule"] == "duplicate-resource")
        .and_then(|d| d["message"].as_str())
        .unwrap_or("");
    assert!(message.contains("the directory `canary-app`"), "{message}");
    assert_eq!(code, 1);
}

/// `units:` joins a directory with everything below it (one `kubectl apply -R`, or a Flux
/// Kustomization without a kustomization file); the default `clusters/*` keeps that meaning.
#[test]
fn units_globs_join_a_directory_with_its_subdirectories() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "envs/prod/a.yaml", deployment("web", "web:1"));
    write(
        dir.path(),
        "envs/prod/sub/b.yaml",
        deployment("web", "web:2"),
    );
    write(
        dir.path(),
        "clusters/prod/a.yaml",
        deployment("api", "api:1"),
    );
    write(
        dir.path(),
        "clusters/prod/infra/b.yaml",
        deployment("api", "api:2"),
    );
    // Without a config: `envs/prod` and `envs/prod/sub` are two units, `clusters/prod` one.
    let (_, list, _) = findings(dir.path(), &["--no-render"]);
    let dups: Vec<&str> = list
        .iter()
        .filter(|(r, _, _)| r == "duplicate-resource")
        .map(|(_, f, _)| f.as_str())
        .collect();
    assert_eq!(dups, vec!["clusters/prod/infra/b.yaml"], "{list:?}");
    // `units: [envs/*]` joins `envs/prod` with `envs/prod/sub` (and replaces the default).
    config(dir.path(), "units:\n  - envs/*\n");
    let (_, list, _) = findings(dir.path(), &["--no-render"]);
    let dups: Vec<&str> = list
        .iter()
        .filter(|(r, _, _)| r == "duplicate-resource")
        .map(|(_, f, _)| f.as_str())
        .collect();
    assert_eq!(dups, vec!["envs/prod/sub/b.yaml"], "{list:?}");
}

fn plugin_application() -> String {
    format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: secrets\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: {REPO}\n    path: apps/secrets\n    plugin:\n      name: kustomize-sops\n  destination:\n    name: in-cluster\n    namespace: secrets\n"
    )
}

/// A directory an Application renders with a config management plugin is that plugin's input
/// (argoproj/argo-cd, reposerver/repository/repository.go, `runConfigManagementPluginSidecars`
/// sends the whole application directory to the plugin's sidecar, which generates the
/// manifests): its kustomization, whose input the plugin produces at sync time, is not rendered
/// again on its own, and its files are not plain manifests. Before, the kustomization was a
/// `render-failed` error and the files were checked as plain manifests.
#[test]
fn a_plugins_input_directory_is_not_rendered_or_linted_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    config(dir.path(), "");
    write(dir.path(), "apps/secrets.yaml", plugin_application());
    // The plugin decrypts `secrets.enc.yaml` into `secrets.yaml` before running Kustomize.
    write(
        dir.path(),
        "apps/secrets/kustomization.yaml",
        "resources:\n  - secrets.yaml\n",
    );
    write(
        dir.path(),
        "apps/secrets/overlays/prod/kustomization.yaml",
        "resources:\n  - ../../generated.yaml\n",
    );
    // Two copies of one object, as the plugin's own input: not applied as they are.
    write(
        dir.path(),
        "apps/secrets/templates/a.yaml",
        deployment("web", "web:1"),
    );
    write(
        dir.path(),
        "apps/secrets/templates/b.yaml",
        deployment("web", "web:2"),
    );
    let args: &[&str] = if render_tools() {
        &[]
    } else {
        &["--no-render"]
    };
    let (code, list, _) = findings(dir.path(), args);
    let rules = rules_of(&list);
    assert!(!rules.contains(&"render-failed"), "{list:?}");
    assert!(!rules.contains(&"duplicate-resource"), "{list:?}");
    // What is said: the plugin's output is not checked.
    assert!(
        list.iter()
            .any(|(r, f, _)| r == "not-rendered" && f == "apps/secrets.yaml"),
        "{list:?}"
    );
    assert_eq!(code, 0, "{list:?}");
}

/// The files a directory source leaves out with `exclude` are in a directory the Application
/// owns: not deployed by it, and not a unit of their own either.
#[test]
fn files_a_directory_source_excludes_are_not_plain_manifests() {
    let dir = tempfile::tempdir().expect("tempdir");
    config(dir.path(), "");
    write(
        dir.path(),
        "apps/web.yaml",
        format!(
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: {REPO}\n    path: web\n    directory:\n      exclude: 'old-*.yaml'\n  destination:\n    name: in-cluster\n    namespace: web\n"
        ),
    );
    write(
        dir.path(),
        "web/deployment.yaml",
        deployment("web", "web:2"),
    );
    // Kept for reference, never applied: before, linted as plain manifests (a
    // `one-object-per-file` warning, and objects of no Application in the inventory).
    write(
        dir.path(),
        "web/old-all.yaml",
        format!(
            "{}---\n{}",
            deployment("web", "web:1"),
            deployment("api", "api:1")
        ),
    );
    let (_, list, _) = findings(dir.path(), &["--no-render"]);
    assert!(
        !list.iter().any(|(_, f, _)| f.starts_with("web/")),
        "{list:?}"
    );
}

const JINJA: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n{% if ha %}\nspec:\n  replicas: {{ replicas }}\n{% endif %}\n";

/// A Jinja template of an Ansible role is not a manifest: Argo CD skips a YAML file that does not
/// parse unless it is deployed as one (argoproj/argo-cd, reposerver/repository/repository.go,
/// `getObjsFromYAMLOrJson`: "it might be an unrelated YAML file which we will ignore"). It is a
/// note, not a `yaml-syntax` error; before, it was an error and the run failed.
#[test]
fn a_template_no_application_deploys_is_a_note_not_a_syntax_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "ansible/roles/web/templates/deployment.yaml",
        JINJA,
    );
    write(dir.path(), ".github/workflows/ci.yml", "on: [push\n");
    write(dir.path(), "charts-values/values-prod.yaml", "image: [\n");
    let out = run_in(
        dir.path(),
        &["check", ".", "--format", "json", "--no-render"],
    );
    let v = json(&out);
    let found: Vec<(String, String, String)> = v["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            (
                d["file"].as_str().unwrap_or("").to_string(),
                d["severity"].as_str().unwrap_or("").to_string(),
                d["message"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(found.len(), 3, "{found:?}");
    for (file, severity, message) in &found {
        assert_eq!(severity, "note", "{file}: {message}");
        assert!(message.starts_with("not a manifest: "), "{message}");
    }
    assert!(
        found[0].2.starts_with("not a manifest: CI configuration"),
        "{found:?}"
    );
    assert_eq!(found[1].0, "ansible/roles/web/templates/deployment.yaml");
    assert!(
        found[1]
            .2
            .starts_with("not a manifest: template syntax at line 5"),
        "{found:?}"
    );
    assert!(
        found[2].2.starts_with("not a manifest: a Helm values file"),
        "{found:?}"
    );
    assert_eq!(out.code, 0, "{}", out.stdout);
}

/// The same template in a directory an Application deploys is what Argo CD tries to apply: a
/// `yaml-syntax` error, as before.
#[test]
fn a_template_an_application_deploys_stays_a_syntax_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    config(dir.path(), "");
    write(
        dir.path(),
        "apps/web.yaml",
        format!(
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: {REPO}\n    path: web\n  destination:\n    name: in-cluster\n    namespace: web\n"
        ),
    );
    write(dir.path(), "web/deployment.yaml", JINJA);
    let (code, list, v) = findings(dir.path(), &["--no-render"]);
    let d = v["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .find(|d| d["rule"] == "yaml-syntax")
        .unwrap_or_else(|| panic!("{list:?}"));
    assert_eq!(d["severity"], "error");
    assert_eq!(d["file"], "web/deployment.yaml");
    assert_eq!(code, 1);
}

fn app_template(name: &str, path: &str, namespace: &str) -> String {
    format!(
        "---\napiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {name}\nspec:\n  project: default\n  source:\n    repoURL: {REPO}\n    path: {path}\n  destination:\n    name: in-cluster\n    namespace: {namespace}\n"
    )
}

/// The root of an app-of-apps applied once by hand (`helm install bootstrap ./bootstrap`, or
/// `argocd app create` from the command line): no Application in the repository points at the
/// chart, yet what it renders are Applications, as Argo CD has them once the root is applied —
/// resolved, rendered and checked, in Argo CD's namespace, and the root says where they come
/// from. An Application of the root that points back at it (a self-managing root) is the root,
/// not a second render of it. Before, the Applications were plain objects in namespace
/// `default`, `0 Applications` were checked, and nothing they deploy was seen.
#[test]
fn applications_rendered_by_a_root_applied_by_hand_are_applications() {
    if !render_tools() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    config(dir.path(), "");
    write(
        dir.path(),
        "bootstrap/Chart.yaml",
        "apiVersion: v2\nname: bootstrap\nversion: 1.0.0\n",
    );
    write(
        dir.path(),
        "bootstrap/templates/apps.yaml",
        format!(
            "{}{}{}",
            app_template("web", "apps/web", "web"),
            app_template("api", "apps/api", "api"),
            app_template("bootstrap", "bootstrap", "argocd")
        ),
    );
    write(
        dir.path(),
        "apps/web/deployment.yaml",
        deployment("web", "web:1"),
    );
    // Deployed by `api` into namespace `web`: only seen if `api` is an Application.
    write(
        dir.path(),
        "apps/api/deployment.yaml",
        deployment("api", "api:1"),
    );

    let out = run_in(dir.path(), &["render", ".", "--format", "json"]);
    let v_render = json(&out);
    let apps = v_render["applications"].as_array().expect("applications");
    let names: Vec<&str> = apps.iter().filter_map(|a| a["name"].as_str()).collect();
    assert_eq!(names, vec!["api", "bootstrap", "web"], "{}", out.stdout);
    for a in apps {
        assert_eq!(a["namespace"], "argocd", "{a}");
        assert_eq!(
            a["origin"]["root"], "the Helm chart `bootstrap` (a root applied by hand)",
            "{a}"
        );
    }
    let web = apps.iter().find(|a| a["name"] == "web").expect("web");
    let objects: Vec<&str> = web["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .filter_map(|o| o["file"].as_str())
        .collect();
    assert_eq!(objects, vec!["apps/web/deployment.yaml"], "{web}");

    // The summary of `check` names the root too (issue 10 §2: "the summary and `render` say
    // which unit is the root"), in JSON and in the human report.
    let out = run_in(dir.path(), &["check", ".", "--format", "json"]);
    assert_eq!(
        json(&out)["summary"]["roots"],
        serde_json::json!({"the Helm chart `bootstrap`": 3}),
        "{}",
        out.stdout
    );
    let out = run_in(dir.path(), &["check", "."]);
    assert!(
        out.stdout.contains(
            "roots applied by hand (no Application in the repository renders them): the Helm chart `bootstrap` (3 Applications)"
        ),
        "{}",
        out.stdout
    );

    let (_, list, _) = findings(dir.path(), &[]);
    let rules = rules_of(&list);
    assert!(!rules.contains(&"duplicate-application"), "{list:?}");
    assert!(!rules.contains(&"duplicate-resource"), "{list:?}");
    // `api`'s Deployment leaves its namespace: checked as part of the Application.
    assert!(
        list.iter()
            .any(|(r, f, _)| r == "cross-namespace-target" && f == "apps/api/deployment.yaml"),
        "{list:?}"
    );
    // And `render` says which unit is the root (the root's own objects are the Applications).
    let note = v_render["notes"]
        .as_array()
        .expect("notes")
        .iter()
        .find(|n| {
            n["message"]
                .as_str()
                .is_some_and(|m| m.contains("root applied by hand"))
        })
        .unwrap_or_else(|| panic!("{v_render}"));
    assert_eq!(note["file"], "bootstrap/Chart.yaml");
    assert_eq!(note["rendered"], true);
    assert!(
        note["message"]
            .as_str()
            .unwrap_or("")
            .starts_with("the Helm chart `bootstrap` renders 3 Applications"),
        "{note}"
    );
}

/// A nested app-of-apps: the root chart `bootstrap` (applied by hand) renders Application
/// `infra`, whose source is the chart `infra`, which renders Applications of its own. `infra` is
/// rendered by an Application, so it is no root applied by hand: its Applications exist once, as
/// `infra`'s children (Argo CD's Application controller syncs `infra`'s render; nothing applies
/// the chart a second time). Before, every chart no *written* Application renders was taken as a
/// root, so `infra` was a second root, its Applications existed twice and each was reported as a
/// `duplicate-application` error ("the later definition replaces the earlier").
#[test]
fn a_chart_an_application_of_a_root_renders_is_no_root_of_its_own() {
    if !render_tools() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    config(dir.path(), "");
    write(
        dir.path(),
        "bootstrap/Chart.yaml",
        "apiVersion: v2\nname: bootstrap\nversion: 1.0.0\n",
    );
    write(
        dir.path(),
        "bootstrap/templates/apps.yaml",
        app_template("infra", "infra", "argocd"),
    );
    // Sorted before `bootstrap`'s render is looked at, had order decided it.
    write(
        dir.path(),
        "infra/Chart.yaml",
        "apiVersion: v2\nname: infra\nversion: 1.0.0\n",
    );
    write(
        dir.path(),
        "infra/templates/apps.yaml",
        app_template("web", "apps/web", "web"),
    );
    write(
        dir.path(),
        "apps/web/deployment.yaml",
        deployment("web", "web:1"),
    );

    let out = run_in(dir.path(), &["render", ".", "--format", "json"]);
    let v = json(&out);
    let apps = v["applications"].as_array().expect("applications");
    let names: Vec<&str> = apps.iter().filter_map(|a| a["name"].as_str()).collect();
    assert_eq!(names, vec!["infra", "web"], "{}", out.stdout);
    let web = apps.iter().find(|a| a["name"] == "web").expect("web");
    assert_eq!(web["origin"]["parent"], "infra", "{web}");
    assert_eq!(
        web["origin"]["root"], "the Helm chart `bootstrap` (a root applied by hand)",
        "{web}"
    );
    let roots: Vec<&str> = v["notes"]
        .as_array()
        .expect("notes")
        .iter()
        .filter_map(|n| n["message"].as_str())
        .filter(|m| m.contains("root applied by hand"))
        .collect();
    assert_eq!(roots.len(), 1, "{roots:?}");
    assert!(
        roots[0].starts_with("the Helm chart `bootstrap`"),
        "{roots:?}"
    );

    let (code, list, _) = findings(dir.path(), &[]);
    assert!(
        !rules_of(&list).contains(&"duplicate-application"),
        "{list:?}"
    );
    assert_eq!(code, 0, "{list:?}");
}

/// The same for a plugin Application that a root applied by hand renders: the plugin's input
/// directory is still that Application's (argoproj/argo-cd, reposerver/repository/repository.go,
/// `runConfigManagementPluginSidecars`), so its kustomization, which fails on its own because
/// the plugin generates its input at sync time, is no `render-failed` error. Before, a failed
/// standalone render was dropped only when an Application rendered its directory with Helm or
/// Kustomize, not when a root's Application owned it as a plugin's input.
#[test]
fn a_plugins_input_directory_owned_by_a_roots_application_is_not_a_failed_render() {
    if !render_tools() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    config(dir.path(), "");
    write(
        dir.path(),
        "bootstrap/Chart.yaml",
        "apiVersion: v2\nname: bootstrap\nversion: 1.0.0\n",
    );
    write(
        dir.path(),
        "bootstrap/templates/secrets.yaml",
        plugin_application(),
    );
    // The plugin decrypts `secrets.enc.yaml` into `secrets.yaml` before running Kustomize.
    write(
        dir.path(),
        "apps/secrets/kustomization.yaml",
        "resources:\n  - secrets.yaml\n",
    );
    let (code, list, v) = findings(dir.path(), &[]);
    assert!(!rules_of(&list).contains(&"render-failed"), "{list:?}");
    // The root's Application is checked, and says its plugin's output is not.
    assert_eq!(v["summary"]["applications"], 1, "{v}");
    assert!(
        list.iter()
            .any(|(r, f, _)| r == "not-rendered" && f == "bootstrap/templates/secrets.yaml"),
        "{list:?}"
    );
    assert_eq!(code, 0, "{list:?}");
}

/// A Backstage software template keeps a skeleton of the Application it scaffolds, with
/// `${{ values.x }}` placeholders filled in before anything applies it: not an Application of this
/// repository, so it neither collides with the real one nor is resolved. Before, it was a second
/// definition of `store` (a `duplicate-application` error) with an unresolvable repository.
#[test]
fn a_scaffolding_template_of_an_application_is_not_an_application() {
    let dir = tempfile::tempdir().expect("tempdir");
    config(dir.path(), "");
    let app = |repo: &str| {
        format!(
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: store\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: {repo}\n    path: store\n  destination:\n    name: in-cluster\n    namespace: store\n"
        )
    };
    write(
        dir.path(),
        "backstage/template/content/store.yaml",
        app("${{ values.repoUrl }}"),
    );
    write(dir.path(), "apps/store.yaml", app(REPO));
    write(
        dir.path(),
        "store/deployment.yaml",
        deployment("store", "store:1"),
    );
    let (_, list, v) = findings(dir.path(), &["--no-render"]);
    assert!(
        !rules_of(&list).contains(&"duplicate-application"),
        "{list:?}"
    );
    let d = v["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .find(|d| d["file"] == "backstage/template/content/store.yaml")
        .unwrap_or_else(|| panic!("{list:?}"));
    assert_eq!(d["severity"], "note");
    assert!(
        d["message"]
            .as_str()
            .unwrap_or("")
            .starts_with("not a manifest: template syntax at line 9"),
        "{d}"
    );
    let out = run_in(
        dir.path(),
        &["render", ".", "--format", "json", "--no-render"],
    );
    let names: Vec<String> = json(&out)["applications"]
        .as_array()
        .expect("applications")
        .iter()
        .map(|a| a["origin"]["file"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(names, vec!["apps/store.yaml"]);
}

/// Two clusters' roots, `clusters/a` and `clusters/b`, each a kustomization that inflates the
/// repository's own app-of-apps chart with `helmCharts` (redhat-cop/gitops-standards-repo-template's
/// layout; the root Application is applied by hand per cluster with `path:
/// clusters/${cluster_name}`). The local chart is rendered offline (`kustomize build
/// --enable-helm` with nothing to fetch); each root's Applications live in that cluster's own Argo
/// CD, so the same name in both roots is no duplicate, and `in-cluster` is that cluster. Before,
/// the roots were `not-rendered` notes and nothing they deploy was checked.
#[test]
fn each_clusters_root_inflating_a_local_chart_is_that_clusters_own() {
    if !render_tools() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    config(dir.path(), "");
    write(
        dir.path(),
        "charts/app-of-apps/Chart.yaml",
        "apiVersion: v2\nname: app-of-apps\nversion: 1.0.0\n",
    );
    write(
        dir.path(),
        "charts/app-of-apps/templates/apps.yaml",
        "{{- range .Values.apps }}\n---\napiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {{ .name }}\nspec:\n  project: default\n  source:\n    repoURL: https://git.example.com/platform/gitops.git\n    path: {{ .path }}\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: {{ .name }}\n{{- end }}\n",
    );
    for cluster in ["a", "b"] {
        write(
            dir.path(),
            &format!("clusters/{cluster}/kustomization.yaml"),
            "helmGlobals:\n  chartHome: ../../charts\nhelmCharts:\n  - name: app-of-apps\n    valuesFile: values.yaml\n",
        );
        write(
            dir.path(),
            &format!("clusters/{cluster}/values.yaml"),
            "apps:\n  - name: web\n    path: apps/web\n",
        );
    }
    write(
        dir.path(),
        "apps/web/deployment.yaml",
        deployment("web", "web:1"),
    );

    let out = run_in(dir.path(), &["render", ".", "--format", "json"]);
    let v = json(&out);
    let apps: Vec<(String, String, String)> = v["applications"]
        .as_array()
        .expect("applications")
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap_or("").to_string(),
                a["destination"]["cluster"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
                a["origin"]["root"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        apps,
        vec![
            (
                "web".to_string(),
                "a".to_string(),
                "the kustomization `clusters/a/kustomization.yaml` (a root applied by hand)"
                    .to_string()
            ),
            (
                "web".to_string(),
                "b".to_string(),
                "the kustomization `clusters/b/kustomization.yaml` (a root applied by hand)"
                    .to_string()
            ),
        ],
        "{}",
        out.stdout
    );
    let (_, list, _) = findings(dir.path(), &[]);
    let rules = rules_of(&list);
    assert!(!rules.contains(&"duplicate-application"), "{list:?}");
    assert!(!rules.contains(&"shared-resource"), "{list:?}");
    assert!(!rules.contains(&"not-rendered"), "{list:?}");
    // `web` deploys into namespace `web` a Deployment of namespace `web`: checked, and fine.
    assert!(!rules.contains(&"cross-namespace-target"), "{list:?}");
}

/// A Kustomize `kind: Component` is a piece of the kustomizations that include it, never built on
/// its own: its replacements expect what the includer provides (redhat-cop/gitops-catalog's
/// truststore components). Not a standalone unit; before, a `render-failed` error each.
#[test]
fn a_kustomize_component_is_not_rendered_on_its_own() {
    if !render_tools() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "components/truststore/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nreplacements:\n  - source:\n      kind: ConfigMap\n      name: truststore\n      fieldPath: data.password\n    targets:\n      - select:\n          kind: Secret\n          name: store\n        fieldPaths:\n          - stringData.password\n",
    );
    let (code, list, _) = findings(dir.path(), &[]);
    assert!(!rules_of(&list).contains(&"render-failed"), "{list:?}");
    assert_eq!(code, 0, "{list:?}");
}
