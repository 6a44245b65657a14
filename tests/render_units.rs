//! Rendering through the real Helm and Kustomize, end to end through `check` and the library:
//! provenance back to templates, Applications' options, the render cache and counter, and the
//! real charts and overlays of the corpus. Requires `helm` and `kubectl` (scripts/test installs
//! them into .tools/bin); in CI a missing tool fails the test, elsewhere the test is skipped with
//! a reason.

mod common;

use std::path::{Path, PathBuf};

use common::{json, render_flags, render_tools, run_in, write};

fn copy_dir(from: &Path, to: &Path) {
    for entry in walk(from) {
        let rel = entry.strip_prefix(from).expect("below");
        let target = to.join(rel);
        std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
        std::fs::copy(&entry, &target).expect("copy");
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("read_dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

const REPO: &str = "https://git.example.com/platform/gitops.git";

fn config(dir: &Path) {
    write(
        dir,
        ".manifest-guard.yaml",
        format!("repositories:\n  - url: {REPO}\n    path: .\n"),
    );
}

fn application(name: &str, path: &str, namespace: &str, extra: &str) -> String {
    format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {name}\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: {REPO}\n    path: {path}\n{extra}  destination:\n    name: in-cluster\n    namespace: {namespace}\n"
    )
}

/// A repository whose Application `web` renders the chart `charts/web` (templates to add).
fn web_chart() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    config(dir.path());
    write(
        dir.path(),
        "apps/web.yaml",
        application("web", "charts/web", "web", ""),
    );
    write(
        dir.path(),
        "charts/web/Chart.yaml",
        "apiVersion: v2\nname: web\nversion: 0.1.0\n",
    );
    dir
}

#[test]
fn helm_duplicate_service_points_at_the_second_template() {
    if !render_tools() {
        return;
    }
    let dir = web_chart();
    let svc = "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  ports:\n    - port: 80\n";
    write(dir.path(), "charts/web/templates/a-service.yaml", svc);
    write(dir.path(), "charts/web/templates/b-service.yaml", svc);
    let out = run_in(
        dir.path(),
        &[
            "check",
            ".",
            "--select",
            "duplicate-resource",
            "--format",
            "json",
        ],
    );
    let v = json(&out);
    let d = &v["diagnostics"][0];
    assert_eq!(d["rule"], "duplicate-resource", "{}", out.stdout);
    assert_eq!(d["file"], "charts/web/templates/b-service.yaml");
    assert_eq!(d["line"], 2, "the `kind:` line of the template");
    assert_eq!(
        d["object"]["name"], "web",
        "release name defaults to the Application name"
    );
    let related: Vec<&str> = d["related"]
        .as_array()
        .expect("related")
        .iter()
        .filter_map(|r| r["file"].as_str())
        .collect();
    assert!(
        related.contains(&"charts/web/templates/a-service.yaml"),
        "{related:?}"
    );
    assert!(
        related.contains(&"apps/web.yaml"),
        "the Application is a related location: {related:?}"
    );
}

#[test]
fn a_chart_whose_values_schema_refers_outside_is_checked_and_reported() {
    if !render_tools() {
        return;
    }
    let dir = web_chart();
    write(
        dir.path(),
        "charts/web/values.schema.json",
        r#"{"properties": {"db": {"$ref": "file:///etc/passwd"}}}"#,
    );
    let svc = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: other\nspec:\n  ports:\n    - port: 80\n";
    write(dir.path(), "charts/web/templates/service.yaml", svc);
    let out = run_in(dir.path(), &["check", ".", "--format", "json"]);
    let v = json(&out);
    let rules: Vec<&str> = v["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter_map(|d| d["rule"].as_str())
        .collect();
    // The objects were rendered and checked (the Service leaves the Application's namespace)...
    assert!(rules.contains(&"cross-namespace-target"), "{}", out.stdout);
    // ...and the reference is an error at the Application's source.
    let d = v["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .find(|d| d["rule"] == "render-failed")
        .unwrap_or_else(|| panic!("{}", out.stdout));
    assert_eq!(d["file"], "apps/web.yaml");
    let message = d["message"].as_str().expect("message");
    assert!(
        message.contains(
            "`charts/web/values.schema.json`: `$ref: file:///etc/passwd` at `/properties/db`"
        ),
        "{message}"
    );
    assert_eq!(out.code, 1);
}

/// The programs that run come from the flags or from the operator's config outside the
/// repository, never from the repository's own config.
#[test]
fn the_helm_program_comes_from_the_operators_config_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path().join("repo");
    let operator = dir.path().join("operator");
    write(
        &repo,
        "charts/web/Chart.yaml",
        "apiVersion: v2\nname: web\nversion: 0.1.0\n",
    );
    // A stand-in for Helm that shows it was the one that ran.
    write(
        &operator,
        "bin/helm",
        "#!/bin/sh\nprintf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: from-operator-helm\\n'\n",
    );
    std::fs::set_permissions(
        operator.join("bin/helm"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .expect("chmod");
    let config = format!("render:\n  helm: {}\n", operator.join("bin/helm").display());
    write(&operator, "config.yaml", &config);
    let out = run_in(
        &repo,
        &[
            "render",
            ".",
            "--format",
            "json",
            "--config",
            operator.join("config.yaml").to_str().expect("utf-8"),
        ],
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("from-operator-helm"), "{}", out.stdout);

    // The same file inside the repository is refused, named with its line.
    write(&repo, "ci/config.yaml", &config);
    let out = run_in(&repo, &["check", ".", "--config", "ci/config.yaml"]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains(
            "`render.helm` is not allowed in a config file inside the scanned repository"
        ),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("ci/config.yaml:2:3"), "{}", out.stderr);
}

#[test]
fn kustomize_overlay_into_another_namespace_is_cross_namespace() {
    if !render_tools() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    config(dir.path());
    write(
        dir.path(),
        "apps/api.yaml",
        application("api", "overlays/staging", "api", ""),
    );
    write(
        dir.path(),
        "base/kustomization.yaml",
        "resources:\n  - configmap.yaml\n",
    );
    write(
        dir.path(),
        "base/configmap.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: b\n",
    );
    write(
        dir.path(),
        "overlays/staging/kustomization.yaml",
        "namespace: payments\nnamePrefix: staging-\nresources:\n  - ../../base\n",
    );
    let out = run_in(dir.path(), &["check", ".", "--format", "json"]);
    let v = json(&out);
    let d = v["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .find(|d| d["rule"] == "cross-namespace-target")
        .unwrap_or_else(|| panic!("no cross-namespace-target: {}", out.stdout));
    assert_eq!(
        d["object"]["name"], "staging-settings",
        "the rendered, prefixed name"
    );
    assert_eq!(d["object"]["namespace"], "payments");
    assert_eq!(
        d["file"], "base/configmap.yaml",
        "points at the resource file Kustomize read"
    );
    assert_eq!(d["line"], 4);
    assert!(
        d["message"]
            .as_str()
            .unwrap_or("")
            .contains("not its destination namespace `api`")
    );
}

#[test]
fn bitnami_postgresql_renders_a_statefulset_with_claim_templates() {
    if common::skip_without_corpus() || !render_tools() {
        return;
    }
    let corpus = common::corpus("bitnami__charts").join("bitnami");
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(
        &corpus.join("postgresql"),
        &dir.path().join("charts/postgresql"),
    );
    copy_dir(
        &corpus.join("common"),
        &dir.path().join("charts/postgresql/charts/common"),
    );
    config(dir.path());
    write(
        dir.path(),
        "apps/db.yaml",
        application("db", "charts/postgresql", "db", ""),
    );
    let out = run_in(dir.path(), &["render", ".", "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v = json(&out);
    let app = v["applications"]
        .as_array()
        .expect("applications")
        .iter()
        .find(|a| a["name"] == "db")
        .expect("Application db");
    let sts = app["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .find(|o| o["kind"] == "StatefulSet")
        .unwrap_or_else(|| panic!("no StatefulSet in {}", app["objects"]));
    assert_eq!(sts["name"], "db-postgresql");
    assert_eq!(sts["namespace"], "db");
    assert!(
        sts["file"]
            .as_str()
            .unwrap_or("")
            .ends_with("charts/postgresql/templates/primary/statefulset.yaml"),
        "{sts}"
    );
    // The inventory sees its claim templates: the diff and stateful rules read them.
    let lib = manifest_guard::inventory(&[dir.path().to_path_buf()], None, &render_flags())
        .expect("inventory")
        .0;
    let object = lib
        .objects
        .iter()
        .find(|o| o.id.kind == "StatefulSet")
        .expect("StatefulSet");
    let templates = object
        .node
        .path(&["spec", "volumeClaimTemplates"])
        .map(|t| t.items().len());
    assert_eq!(templates, Some(1));
}

// What the bitnami test above pins, on our own chart (`common::stateful_chart`, a library
// dependency vendored into `charts/`): an Application renders it into StatefulSets with their
// claim templates, pointing at the template file, and the inventory sees the claim templates.
#[test]
fn an_application_renders_our_stateful_chart_with_its_claim_templates() {
    if !render_tools() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    common::stateful_chart(&dir.path().join("charts"), true);
    config(dir.path());
    write(
        dir.path(),
        "apps/db.yaml",
        application("db", "charts/db", "db", ""),
    );
    let out = run_in(dir.path(), &["render", ".", "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v = json(&out);
    let app = v["applications"]
        .as_array()
        .expect("applications")
        .iter()
        .find(|a| a["name"] == "db")
        .expect("Application db");
    let kinds: Vec<(&str, &str, &str, &str)> = app["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .map(|o| {
            (
                o["kind"].as_str().unwrap_or(""),
                o["name"].as_str().unwrap_or(""),
                o["namespace"].as_str().unwrap_or(""),
                o["file"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("Service", "db-db", "db", "charts/db/templates/service.yaml"),
            (
                "StatefulSet",
                "db-db",
                "db",
                "charts/db/templates/primary/statefulset.yaml"
            ),
            (
                "StatefulSet",
                "db-db-replicas",
                "db",
                "charts/db/templates/replicas.yaml"
            ),
        ]
    );
    let lib = manifest_guard::inventory(&[dir.path().to_path_buf()], None, &render_flags())
        .expect("inventory")
        .0;
    let templates: Vec<Option<usize>> = lib
        .objects
        .iter()
        .filter(|o| o.id.kind == "StatefulSet")
        .map(|o| {
            o.node
                .path(&["spec", "volumeClaimTemplates"])
                .map(|t| t.items().len())
        })
        .collect();
    assert_eq!(templates, [Some(1), Some(1)]);
}

#[test]
fn identical_renders_run_once_in_a_run_and_the_disk_cache_serves_the_next() {
    if !render_tools() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    config(dir.path());
    write(
        dir.path(),
        "base/kustomization.yaml",
        "resources:\n  - configmap.yaml\n",
    );
    write(
        dir.path(),
        "base/configmap.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n",
    );
    // 200 overlays, each rendered by an Application; two Applications per overlay render the
    // identical input (same directory, same options).
    for i in 0..100 {
        write(
            dir.path(),
            &format!("overlays/o{i}/kustomization.yaml"),
            format!("namePrefix: o{i}-\nresources:\n  - ../../base\n"),
        );
        write(
            dir.path(),
            &format!("apps/a{i}.yaml"),
            application(
                &format!("a{i}"),
                &format!("overlays/o{i}"),
                &format!("ns{i}"),
                "",
            ),
        );
        write(
            dir.path(),
            &format!("apps/b{i}.yaml"),
            application(
                &format!("b{i}"),
                &format!("overlays/o{i}"),
                &format!("ns{i}"),
                "",
            ),
        );
    }
    let cache = tempfile::tempdir().expect("cache");
    let flags = manifest_guard::RenderFlags {
        cache_dir: Some(cache.path().to_path_buf()),
        ..render_flags()
    };
    let first = manifest_guard::inventory(&[dir.path().to_path_buf()], None, &flags)
        .expect("inventory")
        .0;
    assert_eq!(first.render_stats.requested, 200);
    assert_eq!(
        first.render_stats.executed, 100,
        "identical inputs render once per run"
    );
    assert_eq!(
        first
            .objects
            .iter()
            .filter(|o| o.id.kind == "ConfigMap")
            .count(),
        200
    );
    let second = manifest_guard::inventory(&[dir.path().to_path_buf()], None, &flags)
        .expect("inventory")
        .0;
    assert_eq!(
        second.render_stats.executed, 0,
        "the on-disk cache serves a repeated run"
    );
    assert_eq!(second.render_stats.from_disk, 100);
    // Changing one input renders that one again.
    write(
        dir.path(),
        "overlays/o7/kustomization.yaml",
        "namePrefix: seven-\nresources:\n  - ../../base\n",
    );
    let third = manifest_guard::inventory(&[dir.path().to_path_buf()], None, &flags)
        .expect("inventory")
        .0;
    assert_eq!(third.render_stats.executed, 1);
}

#[test]
fn flux_overlays_render_with_sources_in_the_bases() {
    if common::skip_without_corpus() || !render_tools() {
        return;
    }
    let corpus = common::corpus("fluxcd__flux2-kustomize-helm-example");
    let out = run_in(&corpus, &["render", ".", "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v = json(&out);
    let objects = v["objects"].as_array().expect("objects");
    let staging_release = objects
        .iter()
        .find(|o| o["kind"] == "HelmRelease" && o["name"] == "podinfo")
        .expect("podinfo HelmRelease from the staging and production overlays");
    assert_eq!(staging_release["file"], "apps/base/podinfo/release.yaml");
    // The overlays' patch files are fragments: never objects of their own.
    assert!(objects.iter().all(|o| {
        !o["file"]
            .as_str()
            .unwrap_or("")
            .ends_with("podinfo-values.yaml")
    }));
}

/// Multi-source `$ref` value files resolve against the root of the `ref` source's repository,
/// not against its `path`: argo-cd reposerver/repository/repository.go `getResolvedValueFiles`
/// → `getResolvedRefValueFile`, which calls `ResolveValueFilePathOrUrl(repoPath, repoPath, …)`
/// with `repoPath` the checkout of the ref source's `repoURL`; docs user-guide/
/// multiple_sources.md agree ("`$values` … resolves to the root of the `value-files`
/// repository"; "even when the `ref` field is configured with the `path` field, `$value` still
/// represents the root"), so a ref source's `path` plays no part. A ref to another
/// repository that is not available offline is a note naming it, never a render failure; and
/// `ignoreMissingValueFiles` skips a missing `$ref` file as Argo CD does.
#[test]
fn multi_source_ref_value_files_resolve_from_the_ref_repository_root() {
    if !render_tools() {
        return;
    }
    let dir = web_chart();
    write(
        dir.path(),
        "charts/web/templates/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-{{ .Values.env | default \"none\" }}\n",
    );
    write(dir.path(), "envs/prod/web.yaml", "env: prod\n");
    let multi = |name: &str, ref_source: &str, value_files: &str| {
        format!(
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {name}\n  namespace: argocd\nspec:\n  project: default\n  sources:\n    - repoURL: {REPO}\n      path: charts/web\n      helm:\n{value_files}    - {ref_source}\n  destination:\n    name: in-cluster\n    namespace: {name}\n"
        )
    };
    // The usual form: the ref source has no path.
    write(
        dir.path(),
        "apps/prod.yaml",
        multi(
            "prod",
            &format!("repoURL: {REPO}\n      targetRevision: HEAD\n      ref: values\n"),
            "        valueFiles:\n          - $values/envs/prod/web.yaml\n",
        ),
    );
    // A ref source with a path: `$values` is still the repository's root.
    write(
        dir.path(),
        "apps/with-path.yaml",
        multi(
            "with-path",
            &format!("repoURL: {REPO}\n      path: envs\n      ref: values\n"),
            "        valueFiles:\n          - $values/envs/prod/web.yaml\n",
        ),
    );
    // Missing, but skipped on request.
    write(
        dir.path(),
        "apps/skipped.yaml",
        multi(
            "skipped",
            &format!("repoURL: {REPO}\n      ref: values\n"),
            "        ignoreMissingValueFiles: true\n        valueFiles:\n          - $values/envs/nope/web.yaml\n",
        ),
    );
    // Another repository, not mapped: not available offline.
    write(
        dir.path(),
        "apps/elsewhere.yaml",
        multi(
            "elsewhere",
            "repoURL: https://git.example.com/platform/values.git\n      ref: values\n",
            "        valueFiles:\n          - $values/envs/prod/web.yaml\n",
        ),
    );
    let out = run_in(dir.path(), &["render", ".", "--format", "json"]);
    let v = json(&out);
    // The ConfigMap's name carries the `env` value the value file set.
    let config_map = |app: &str| -> Option<String> {
        v["applications"]
            .as_array()?
            .iter()
            .find(|a| a["name"] == app)?["objects"]
            .as_array()?
            .iter()
            .find(|o| o["kind"] == "ConfigMap")
            .and_then(|o| o["name"].as_str().map(str::to_string))
    };
    assert_eq!(
        config_map("prod").as_deref(),
        Some("prod-prod"),
        "{}",
        out.stdout
    );
    assert_eq!(config_map("with-path").as_deref(), Some("with-path-prod"));
    assert_eq!(config_map("skipped").as_deref(), Some("skipped-none"));
    assert_eq!(config_map("elsewhere"), None);

    // What was reported, through `check`.
    let out = run_in(dir.path(), &["check", ".", "--format", "json"]);
    let v = json(&out);
    let diagnostics = v["diagnostics"].as_array().expect("diagnostics");
    let failed: Vec<&serde_json::Value> = diagnostics
        .iter()
        .filter(|d| d["rule"] == "render-failed")
        .collect();
    assert!(failed.is_empty(), "{failed:#?}");
    let notes: Vec<&str> = diagnostics
        .iter()
        .filter(|d| d["rule"] == "not-rendered")
        .filter_map(|d| d["message"].as_str())
        .collect();
    assert!(
        notes.iter().any(|m| m.contains("Application `elsewhere`")
            && m.contains("`https://git.example.com/platform/values.git`, the repository of the multi-source ref `values`, which is not available offline")),
        "{notes:#?}"
    );
    assert_eq!(out.code, 0, "{}", out.stdout);
}

/// A chart that no Application deploys is rendered with its own defaults. When it refuses them
/// by design — a `required` value (linkerd-control-plane's identity certificates), or a template
/// whose output is a list that Helm cannot template (linkerd's `patch` chart, read by its CLI) —
/// that is a note saying its objects are not checked, not a `render-failed` error a maintainer
/// would dismiss. Deployed by an Application without the value, the same chart fails in Argo CD
/// too (the repo-server's `helm template` fails: argo-cd reposerver/repository/repository.go
/// `helmTemplate` returns Helm's error), so there it stays an error.
#[test]
fn a_standalone_chart_that_requires_values_is_a_note_and_an_application_without_them_fails() {
    if !render_tools() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    config(dir.path());
    write(
        dir.path(),
        "charts/needs/Chart.yaml",
        "apiVersion: v2\nname: needs\nversion: 0.1.0\n",
    );
    write(
        dir.path(),
        "charts/needs/templates/secret.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: issuer\ndata:\n  crt: {{ required \"Please provide the issuer certificate\" .Values.crtPEM | b64enc }}\n",
    );
    write(
        dir.path(),
        "charts/patch/Chart.yaml",
        "apiVersion: v2\nname: patch\nversion: 0.1.0\n",
    );
    write(
        dir.path(),
        "charts/patch/templates/patch.json",
        "[{\"op\": \"add\", \"path\": \"/metadata/annotations\", \"value\": {}}]\n",
    );
    let out = run_in(dir.path(), &["check", ".", "--format", "json"]);
    let v = json(&out);
    let found = |v: &serde_json::Value, rule: &str| -> Vec<(String, String)> {
        v["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .filter(|d| d["rule"] == rule)
            .map(|d| {
                (
                    d["file"].as_str().unwrap_or("").to_string(),
                    d["message"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    };
    assert_eq!(found(&v, "render-failed"), vec![], "{}", out.stdout);
    let notes = found(&v, "not-rendered");
    assert_eq!(notes.len(), 2, "{notes:#?}");
    assert_eq!(notes[0].0, "charts/needs/Chart.yaml");
    assert!(
        notes[0]
            .1
            .contains("the Helm chart `charts/needs`: it needs values its defaults do not give")
            && notes[0].1.contains("Please provide the issuer certificate"),
        "{notes:#?}"
    );
    assert_eq!(notes[1].0, "charts/patch/Chart.yaml");
    assert!(
        notes[1]
            .1
            .contains("a template renders a list, not Kubernetes objects"),
        "{notes:#?}"
    );
    assert_eq!(out.code, 0, "{}", out.stdout);

    // An Application that deploys it without the value: Argo CD fails to render it as well.
    write(
        dir.path(),
        "apps/needs.yaml",
        application("needs", "charts/needs", "needs", ""),
    );
    let out = run_in(dir.path(), &["check", ".", "--format", "json"]);
    let v = json(&out);
    let failed = found(&v, "render-failed");
    assert_eq!(failed.len(), 1, "{}", out.stdout);
    assert_eq!(failed[0].0, "apps/needs.yaml");
    assert!(
        failed[0]
            .1
            .contains("Please provide the issuer certificate"),
        "{failed:#?}"
    );
    assert_eq!(out.code, 1);
}

// What the flux corpus test above pins, on our own tree (`common::flux_tree`): with no Argo CD
// Application, each overlay renders; the patched HelmRelease comes from the base's file, and the
// overlays' patch files are fragments, never objects.
#[test]
fn overlays_of_our_flux_layout_render_with_sources_in_the_base() {
    if !render_tools() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    common::flux_tree(dir.path());
    let out = run_in(dir.path(), &["render", ".", "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v = json(&out);
    let objects = v["objects"].as_array().expect("objects");
    let releases: Vec<&serde_json::Value> = objects
        .iter()
        .filter(|o| o["kind"] == "HelmRelease" && o["name"] == "podinfo")
        .collect();
    assert!(!releases.is_empty(), "{}", out.stdout);
    assert!(
        releases
            .iter()
            .all(|o| o["file"] == "apps/base/podinfo/release.yaml"),
        "{releases:?}"
    );
    assert!(objects.iter().all(|o| {
        !o["file"]
            .as_str()
            .unwrap_or("")
            .ends_with("podinfo-values.yaml")
    }));
}
