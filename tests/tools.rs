//! The tool runners through the library API, with the real `helm` and `kustomize`/`kubectl`:
//! real charts (bitnami postgresql and redis), the flux2-kustomize-helm-example overlays, every
//! Application option Argo CD passes, the sandbox (remote bases refused before anything runs,
//! the user's tree never written), the cache key and failures.
//!
//! Tools come from `.tools/bin` (`scripts/install-test-tools`) or `PATH`. With `CI=true` a missing
//! tool fails the test; elsewhere the test is skipped with a printed reason.

#![allow(clippy::print_stderr, clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use manifest_guard::load::yaml::{Limits, parse};
use manifest_guard::render::helm::{self, HelmRequest};
use manifest_guard::render::kustomize::{self, KustomizeRequest};
use manifest_guard::render::tool::{
    RenderError, RenderRequest, Rendered, RenderedDoc, Tools, cache_key,
};
use serde_json::{Value, json};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The tools, preferring the pinned ones in `.tools/bin`.
fn tools() -> Tools {
    let local = |name: &str| {
        let p = repo().join(".tools/bin").join(name);
        p.is_file().then_some(p)
    };
    Tools::discover(local("helm"), local("kubectl"), Duration::from_secs(120))
}

fn missing(what: &str) -> bool {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "{what} is missing, and CI=true: the render tests must run for real (run scripts/install-test-tools)"
        );
    }
    eprintln!(
        "SKIPPED: {what} is not installed (run scripts/install-test-tools); outside CI this test is skipped"
    );
    true
}

fn with_helm() -> Option<Tools> {
    let t = tools();
    if t.helm.is_none() && missing("helm") {
        return None;
    }
    Some(t)
}

fn with_kustomize() -> Option<Tools> {
    let t = tools();
    if t.kustomize.is_none() && t.kubectl.is_none() && missing("kustomize or kubectl") {
        return None;
    }
    Some(t)
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A bitnami chart in a fresh root, with `common` vendored into its `charts/` so it renders
/// offline; without `common`, as checked out.
fn bitnami(chart: &str, vendor_common: bool) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let src = common::corpus("bitnami__charts").join("bitnami");
    copy_dir(&src.join(chart), &tmp.path().join(chart));
    if vendor_common {
        copy_dir(
            &src.join("common"),
            &tmp.path().join(chart).join("charts/common"),
        );
    }
    tmp
}

fn json_of(doc: &RenderedDoc) -> Value {
    let parsed = parse(&doc.text, Limits::default());
    assert!(parsed.error.is_none(), "{:?}\n{}", parsed.error, doc.text);
    parsed.documents[0].root.as_ref().unwrap().to_json()
}

fn find<'a>(r: &'a Rendered, kind: &str, name: &str) -> Vec<(&'a RenderedDoc, Value)> {
    r.documents
        .iter()
        .map(|d| (d, json_of(d)))
        .filter(|(_, v)| v["kind"] == kind && v["metadata"]["name"] == name)
        .collect()
}

fn one<'a>(r: &'a Rendered, kind: &str, name: &str) -> (&'a RenderedDoc, Value) {
    let mut found = find(r, kind, name);
    assert_eq!(found.len(), 1, "{kind}/{name} in {:#?}", r.documents);
    found.remove(0)
}

/// Every source names a file of the scanned root.
fn sources_exist(root: &Path, r: &Rendered) {
    for d in &r.documents {
        let source = d
            .source
            .as_deref()
            .unwrap_or_else(|| panic!("no source: {}", d.text));
        assert!(
            root.join(source).is_file(),
            "source {source} is not a file of the root"
        );
    }
}

fn helm_request(root: &Path, chart_dir: &str, options: Option<Value>) -> HelmRequest {
    HelmRequest {
        root: root.to_path_buf(),
        chart_dir: chart_dir.into(),
        release_name: "my-app".into(),
        namespace: "apps".into(),
        options,
        refs: Vec::new(),
        kube_version: None,
    }
}

fn kustomize_request(root: &Path, dir: &str, options: Option<Value>) -> KustomizeRequest {
    KustomizeRequest {
        root: root.to_path_buf(),
        dir: dir.into(),
        options,
        app_namespace: Some("apps".into()),
    }
}

fn file_hashes(root: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| !e.file_type().is_dir())
        .map(|e| {
            let rel = e.path().strip_prefix(root).unwrap().display().to_string();
            let content = if e.path_is_symlink() {
                std::fs::read_link(e.path())
                    .unwrap()
                    .display()
                    .to_string()
                    .into_bytes()
            } else {
                std::fs::read(e.path()).unwrap()
            };
            (rel, content)
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Helm

#[test]
fn bitnami_postgresql_renders_a_statefulset_with_volume_claim_templates() {
    if common::skip_without_corpus() {
        return;
    }
    let Some(tools) = with_helm() else { return };
    let tmp = bitnami("postgresql", true);
    let req = helm_request(tmp.path(), "postgresql", None);
    let r = helm::render(&req, &tools).unwrap();
    assert!(r.tool.starts_with("helm v"), "{}", r.tool);
    // Argo CD: `helm template . --name-template <app> --namespace <dest> --include-crds`.
    assert_eq!(
        r.command,
        "helm template postgresql --name-template my-app --namespace apps --include-crds"
    );
    let (doc, sts) = one(&r, "StatefulSet", "my-app-postgresql");
    assert_eq!(
        doc.source.as_deref(),
        Some("postgresql/templates/primary/statefulset.yaml")
    );
    assert_eq!(sts["metadata"]["namespace"], "apps");
    let claims = sts["spec"]["volumeClaimTemplates"].as_array().unwrap();
    assert_eq!(claims[0]["metadata"]["name"], "data");
    assert!(!doc.text.contains("# Source:"));
    sources_exist(tmp.path(), &r);
}

#[test]
fn bitnami_redis_renders_its_statefulsets() {
    if common::skip_without_corpus() {
        return;
    }
    let Some(tools) = with_helm() else { return };
    let tmp = bitnami("redis", true);
    let r = helm::render(&helm_request(tmp.path(), "redis", None), &tools).unwrap();
    for name in ["my-app-redis-master", "my-app-redis-replicas"] {
        let (doc, sts) = one(&r, "StatefulSet", name);
        assert!(
            doc.source
                .as_deref()
                .unwrap()
                .starts_with("redis/templates/")
        );
        assert!(
            !sts["spec"]["volumeClaimTemplates"]
                .as_array()
                .unwrap()
                .is_empty()
        );
    }
    sources_exist(tmp.path(), &r);
}

// What the two bitnami tests above pin, on a chart of our own (`common::stateful_chart`): a
// chart whose names come from a vendored library dependency renders its StatefulSets with their
// `volumeClaimTemplates`, each object pointing at its template, the kind picked from values.
#[test]
fn a_chart_with_a_vendored_library_renders_statefulsets_with_claim_templates() {
    let Some(tools) = with_helm() else { return };
    let tmp = tempfile::tempdir().unwrap();
    common::stateful_chart(tmp.path(), true);
    let r = helm::render(&helm_request(tmp.path(), "db", None), &tools).unwrap();
    assert_eq!(
        r.command,
        "helm template db --name-template my-app --namespace apps --include-crds"
    );
    let (doc, sts) = one(&r, "StatefulSet", "my-app-db");
    assert_eq!(
        doc.source.as_deref(),
        Some("db/templates/primary/statefulset.yaml")
    );
    assert_eq!(sts["metadata"]["namespace"], "apps");
    let claims = sts["spec"]["volumeClaimTemplates"].as_array().unwrap();
    assert_eq!(claims[0]["metadata"]["name"], "data");
    assert_eq!(claims[0]["spec"]["resources"]["requests"]["storage"], "8Gi");
    assert!(!doc.text.contains("# Source:"));
    let (doc, replicas) = one(&r, "StatefulSet", "my-app-db-replicas");
    assert_eq!(doc.source.as_deref(), Some("db/templates/replicas.yaml"));
    assert!(
        !replicas["spec"]["volumeClaimTemplates"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    sources_exist(tmp.path(), &r);
    // The workload kind follows the values, as bitnami redis's `architecture` does.
    let standalone = helm::render(
        &helm_request(
            tmp.path(),
            "db",
            Some(json!({"values": "architecture: standalone\n"})),
        ),
        &tools,
    )
    .unwrap();
    assert!(find(&standalone, "StatefulSet", "my-app-db-replicas").is_empty());
    one(&standalone, "Deployment", "my-app-db-replicas");
}

// What `a_missing_chart_dependency_names_the_helm_dependency_build_to_run` pins on bitnami
// postgresql, on our own chart: a declared dependency that is not in `charts/` is named, with
// its repository and the command that fetches it.
#[test]
fn a_missing_library_dependency_of_our_chart_names_the_command_to_run() {
    let tmp = tempfile::tempdir().unwrap();
    common::stateful_chart(tmp.path(), false);
    let tools = Tools {
        helm: Some(PathBuf::from("/nonexistent/helm")),
        ..tools()
    };
    let err = helm::render(&helm_request(tmp.path(), "db", None), &tools).unwrap_err();
    let RenderError::NotRenderable(m) = err else {
        panic!("{err:?}")
    };
    assert!(m.contains("`helm dependency build db`"), "{m}");
    assert!(
        m.contains("`lib` from oci://registry.example.com/charts"),
        "{m}"
    );
}

#[test]
fn two_templates_producing_the_same_service_keep_their_own_sources() {
    let Some(tools) = with_helm() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(
        root,
        "charts/web/Chart.yaml",
        "apiVersion: v2\nname: web\nversion: 0.1.0\n",
    );
    let svc = "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}-web\nspec:\n  ports:\n  - port: 80\n";
    write(root, "charts/web/templates/service.yaml", svc);
    write(root, "charts/web/templates/service-copy.yaml", svc);
    let r = helm::render(&helm_request(root, "charts/web", None), &tools).unwrap();
    let services = find(&r, "Service", "my-app-web");
    let mut sources: Vec<&str> = services
        .iter()
        .map(|(d, _)| d.source.as_deref().unwrap())
        .collect();
    sources.sort();
    assert_eq!(
        sources,
        [
            "charts/web/templates/service-copy.yaml",
            "charts/web/templates/service.yaml"
        ]
    );
}

fn options_chart(root: &Path) {
    write(
        root,
        "charts/opts/Chart.yaml",
        "apiVersion: v2\nname: opts\nversion: 0.1.0\n",
    );
    write(
        root,
        "charts/opts/values.yaml",
        "fromFile: default\nfromRef: default\ninline: default\nparam: default\n",
    );
    write(root, "charts/opts/values-prod.yaml", "fromFile: prod\n");
    write(root, "charts/opts/files/ca.txt", "CERTIFICATE");
    write(root, "config/opts/values.yaml", "fromRef: ref\n");
    write(root, "outside.yaml", "x: 1\n");
    write(
        root,
        "charts/opts/crds/widget.yaml",
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\n",
    );
    write(
        root,
        "charts/opts/templates/values.yaml",
        r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-values
  namespace: {{ .Release.Namespace }}
data:
  fromFile: {{ .Values.fromFile | quote }}
  fromRef: {{ .Values.fromRef | quote }}
  inline: {{ .Values.inline | quote }}
  param: {{ .Values.param | quote }}
  flagKind: {{ kindOf .Values.flag | quote }}
  forcedKind: {{ kindOf .Values.forced | quote }}
  ca: {{ .Values.ca | quote }}
  kube: {{ .Capabilities.KubeVersion.Version | quote }}
  widgets: {{ .Capabilities.APIVersions.Has "example.com/v1/Widget" | quote }}
"#,
    );
}

#[test]
fn helm_options_are_passed_as_argo_cd_passes_them() {
    let Some(tools) = with_helm() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    options_chart(root);
    let mut req = helm_request(
        root,
        "charts/opts",
        Some(json!({
            "releaseName": "custom",
            "namespace": "opts-ns",
            "valueFiles": ["values-prod.yaml", "$cfg/config/opts/values.yaml", "absent.yaml"],
            "ignoreMissingValueFiles": true,
            "values": "inline: from-values\n",
            "valuesObject": {"inline": "from-object"},
            "parameters": [
                {"name": "param", "value": "a,b"},
                {"name": "flag", "value": "true"},
                {"name": "forced", "value": "true", "forceString": true}
            ],
            "fileParameters": [{"name": "ca", "path": "files/ca.txt"}],
            "kubeVersion": "1.29.0",
            "apiVersions": ["example.com/v1/Widget"]
        })),
    );
    // `$cfg` is the root of the ref source's repository, here the scanned root.
    req.refs = vec![(
        "cfg".into(),
        helm::RefRoot::Local {
            dir: String::new(),
            prefix: String::new(),
            assumed: false,
        },
    )];
    let r = helm::render(&req, &tools).unwrap();
    // helm.releaseName and helm.namespace win over the Application's name and destination.
    let (doc, cm) = one(&r, "ConfigMap", "custom-values");
    assert_eq!(
        doc.source.as_deref(),
        Some("charts/opts/templates/values.yaml")
    );
    assert_eq!(
        cm["data"],
        json!({
            "fromFile": "prod",          // valueFiles, relative to the chart
            "fromRef": "ref",            // $cfg/… from the multi-source ref
            "inline": "from-object",     // valuesObject takes precedence over values
            "param": "a,b",              // commas escaped for --set, as Argo CD does
            "flagKind": "bool",          // --set
            "forcedKind": "string",      // forceString → --set-string
            "ca": "CERTIFICATE",         // fileParameters → --set-file
            "kube": "v1.29.0",           // kubeVersion → --kube-version
            "widgets": "true",           // apiVersions → --api-versions
        })
    );
    assert_eq!(cm["metadata"]["namespace"], "opts-ns");
    // --include-crds unless skipCrds.
    let (crd, _) = one(&r, "CustomResourceDefinition", "widgets.example.com");
    assert_eq!(crd.source.as_deref(), Some("charts/opts/crds/widget.yaml"));
    assert_eq!(
        r.command,
        r"helm template charts/opts --name-template custom --namespace opts-ns --kube-version 1.29.0 --set flag=true --set 'param=a\,b' --set-string forced=true --set-file ca=charts/opts/files/ca.txt --values charts/opts/values-prod.yaml --values config/opts/values.yaml --values '<helm.valuesObject>' --api-versions example.com/v1/Widget --include-crds"
    );

    // skipCrds, `values` alone, the Application name as the release name.
    let req = helm_request(
        root,
        "charts/opts",
        Some(
            json!({"skipCrds": true, "values": "inline: from-values\n", "skipSchemaValidation": true}),
        ),
    );
    let r = helm::render(&req, &tools).unwrap();
    let (_, cm) = one(&r, "ConfigMap", "my-app-values");
    assert_eq!(cm["data"]["inline"], "from-values");
    assert_eq!(cm["metadata"]["namespace"], "apps");
    assert!(find(&r, "CustomResourceDefinition", "widgets.example.com").is_empty());
    assert!(!r.command.contains("--include-crds"));
    assert!(r.command.contains("--skip-schema-validation"));
}

#[test]
fn value_files_that_are_missing_or_outside_the_root_fail() {
    let Some(tools) = with_helm() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    options_chart(root);
    let render =
        |options: Value| helm::render(&helm_request(root, "charts/opts", Some(options)), &tools);
    match render(json!({"valueFiles": ["absent.yaml"]})) {
        Err(RenderError::Failed(m)) => assert!(m.contains("absent.yaml"), "{m}"),
        other => panic!("{other:?}"),
    }
    // Argo CD refuses value files that resolve outside the repository; so does the runner, even
    // when the file exists just above the scanned root.
    let inner = tempfile::tempdir().unwrap();
    options_chart(&inner.path().join("repo"));
    let req = helm_request(
        &inner.path().join("repo"),
        "charts/opts",
        Some(json!({"valueFiles": ["../../../repo/outside.yaml", "../../../../etc/passwd"]})),
    );
    match helm::render(&req, &tools) {
        Err(RenderError::Failed(m)) => {
            assert!(m.contains("resolved to outside repository root"), "{m}")
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        render(json!({"valueFiles": ["https://example.com/values.yaml"]})),
        Err(RenderError::NotRenderable(_))
    ));
}

#[test]
fn a_missing_chart_dependency_names_the_helm_dependency_build_to_run() {
    if common::skip_without_corpus() {
        return;
    }
    let tmp = bitnami("postgresql", false);
    // Decided before Helm would run: a helm that does not exist is never reached.
    let tools = Tools {
        helm: Some(PathBuf::from("/nonexistent/helm")),
        ..tools()
    };
    let err = helm::render(&helm_request(tmp.path(), "postgresql", None), &tools).unwrap_err();
    let RenderError::NotRenderable(m) = err else {
        panic!("{err:?}")
    };
    assert!(m.contains("`helm dependency build postgresql`"), "{m}");
    assert!(
        m.contains("`common` from oci://registry-1.docker.io/bitnamicharts"),
        "{m}"
    );
}

/// A chart with `file://` dependencies inside the repository: `app` (Chart.yaml v2) uses
/// `../partials` for a helper and `../lib` twice, as `lib` and under the alias `db` with a
/// `condition`; `legacy` (apiVersion v1) lists `../partials` in requirements.yaml.
fn file_dependency_charts(root: &Path) {
    write(
        root,
        "charts/partials/Chart.yaml",
        "apiVersion: v2\nname: partials\nversion: 0.1.0\ntype: library\n",
    );
    write(
        root,
        "charts/partials/templates/_helpers.tpl",
        "{{- define \"partials.greeting\" -}}hello from partials{{- end -}}\n",
    );
    write(
        root,
        "charts/lib/Chart.yaml",
        "apiVersion: v2\nname: lib\nversion: 1.0.0\n",
    );
    write(
        root,
        "charts/lib/templates/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-{{ .Chart.Name }}-{{ .Values.suffix | default \"lib\" }}\n",
    );
    // Left out of the package by the dependency's `.helmignore` (and the default
    // `templates/.?*`), as `helm dependency build` leaves them out.
    write(
        root,
        "charts/lib/.helmignore",
        "# not packaged\nignored.yaml\n",
    );
    for skipped in ["ignored", ".hidden"] {
        write(
            root,
            &format!("charts/lib/templates/{skipped}.yaml"),
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: not-packaged\n",
        );
    }
    write(
        root,
        "charts/app/Chart.yaml",
        "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n  - name: partials\n    version: 0.1.0\n    repository: file://../partials\n  - name: lib\n    version: 1.x\n    repository: file://../lib\n  - name: lib\n    alias: db\n    version: 1.x\n    repository: file://../lib\n    condition: db.enabled\n",
    );
    write(
        root,
        "charts/app/values.yaml",
        "db:\n  enabled: false\n  suffix: db\n",
    );
    write(
        root,
        "charts/app/templates/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  greeting: {{ include \"partials.greeting\" . | quote }}\n",
    );
    write(
        root,
        "legacy/Chart.yaml",
        "apiVersion: v1\nname: legacy\nversion: 0.1.0\n",
    );
    write(
        root,
        "legacy/requirements.yaml",
        "dependencies:\n  - name: partials\n    version: 0.1.0\n    repository: file://../charts/partials\n",
    );
    write(
        root,
        "legacy/templates/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: legacy\ndata:\n  greeting: {{ include \"partials.greeting\" . | quote }}\n",
    );
}

/// Argo CD's repo-server runs `helm template`, and on a missing dependency `helm dependency
/// build` and `helm template` again (argo-cd reposerver/repository/repository.go
/// `helmTemplate`: `helm.IsMissingDependencyErr(err)` → `runHelmBuild` → `h.DependencyBuild()`);
/// for a `file://` repository Helm packages the directory named relative to the chart. Offline,
/// the same directories are copied into the render copy's `charts/`: the chart renders, for
/// Chart.yaml v2 `dependencies` and v1 `requirements.yaml` alike, with `alias` and `condition`
/// left to Helm, and `# Source:` lines point at the dependency's own files. The user's tree is
/// not written; the cache key follows the dependency's content.
#[test]
fn file_dependencies_inside_the_root_render_offline() {
    let Some(tools) = with_helm() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap();
    file_dependency_charts(&root);
    let before = file_hashes(&root);

    let req = helm_request(&root, "charts/app", None);
    let r = helm::render(&req, &tools).unwrap_or_else(|e| panic!("{e}"));
    let (doc, cm) = one(&r, "ConfigMap", "app");
    assert_eq!(cm["data"]["greeting"], "hello from partials");
    assert_eq!(doc.source.as_deref(), Some("charts/app/templates/cm.yaml"));
    // `lib` is rendered once under its name; its alias `db` is off by its condition.
    let (lib, _) = one(&r, "ConfigMap", "my-app-lib-lib");
    assert_eq!(lib.source.as_deref(), Some("charts/lib/templates/cm.yaml"));
    assert!(find(&r, "ConfigMap", "my-app-db-db").is_empty());
    assert!(find(&r, "ConfigMap", "not-packaged").is_empty());
    sources_exist(&root, &r);
    // The condition turned on: the alias renders too, pointing at the same template.
    let on = helm_request(
        &root,
        "charts/app",
        Some(json!({"values": "db:\n  enabled: true\n"})),
    );
    let r = helm::render(&on, &tools).unwrap_or_else(|e| panic!("{e}"));
    let (db, _) = one(&r, "ConfigMap", "my-app-db-db");
    assert_eq!(db.source.as_deref(), Some("charts/lib/templates/cm.yaml"));

    // Helm 2 charts list them in requirements.yaml.
    let r = helm::render(&helm_request(&root, "legacy", None), &tools)
        .unwrap_or_else(|e| panic!("{e}"));
    let (_, cm) = one(&r, "ConfigMap", "legacy");
    assert_eq!(cm["data"]["greeting"], "hello from partials");

    assert_eq!(
        before,
        file_hashes(&root),
        "the scanned tree is not written"
    );

    // The cache key covers the dependency's files.
    let key = cache_key(&RenderRequest::Helm(req.clone()), &tools);
    write(
        &root,
        "charts/partials/templates/_helpers.tpl",
        "{{- define \"partials.greeting\" -}}changed{{- end -}}\n",
    );
    assert_ne!(key, cache_key(&RenderRequest::Helm(req), &tools));
}

/// A `file://` dependency may not take the render outside the scanned root (nor contain the
/// chart itself); a remote one is never fetched, and the note names it with the command that
/// vendors it. All decided before Helm runs.
#[test]
fn file_dependencies_outside_the_root_and_remote_ones_are_not_rendered() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().canonicalize().unwrap();
    let root = base.join("repo");
    write(
        &base,
        "outside/Chart.yaml",
        "apiVersion: v2\nname: outside\nversion: 0.1.0\n",
    );
    let chart = |dir: &str, name: &str, repository: &str| {
        write(
            &root,
            &format!("{dir}/Chart.yaml"),
            &format!(
                "apiVersion: v2\nname: {dir}\nversion: 0.1.0\ndependencies:\n  - name: {name}\n    version: 0.1.0\n    repository: {repository}\n"
            ),
        );
    };
    chart("escapes", "outside", "file://../../outside");
    chart("parent", "repo", "file://..");
    chart(
        "remote",
        "common",
        "oci://registry-1.docker.io/bitnamicharts",
    );
    std::os::unix::fs::symlink(base.join("outside"), root.join("linked")).unwrap();
    chart("links", "outside", "file://../linked");
    let tools = Tools {
        helm: Some(PathBuf::from("/nonexistent/helm")),
        ..tools()
    };
    let message = |dir: &str| match helm::render(&helm_request(&root, dir, None), &tools) {
        Err(RenderError::NotRenderable(m)) => format!("not rendered: {m}"),
        Err(RenderError::Failed(m)) => format!("failed: {m}"),
        other => panic!("{dir}: {other:?}"),
    };
    assert_eq!(
        message("escapes"),
        "not rendered: dependency `outside` (file://../../outside) leaves the scanned root; not read"
    );
    assert_eq!(
        message("links"),
        "not rendered: dependency `outside` (file://../linked) links outside the scanned root; not read"
    );
    assert_eq!(
        message("parent"),
        "failed: dependency `repo` (file://..) is `.`, which contains the chart itself"
    );
    let remote = message("remote");
    assert!(
        remote.contains("`common` from oci://registry-1.docker.io/bitnamicharts; run `helm dependency build remote`"),
        "{remote}"
    );
}

#[test]
fn a_failing_helm_template_returns_its_stderr() {
    let Some(tools) = with_helm() else { return };
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "bad/Chart.yaml",
        "apiVersion: v2\nname: bad\nversion: 0.1.0\n",
    );
    write(
        tmp.path(),
        "bad/templates/cm.yaml",
        "kind: ConfigMap\nname: {{ .Values.x \n",
    );
    match helm::render(&helm_request(tmp.path(), "bad", None), &tools) {
        Err(RenderError::Failed(m)) => {
            assert!(
                m.starts_with("`helm template bad --name-template my-app --namespace apps --include-crds` failed: Error: "),
                "{m}"
            );
            assert!(m.contains("bad/templates/cm.yaml"), "{m}");
        }
        other => panic!("{other:?}"),
    }
}

/// Helm resolves a values schema's `$ref` on the machine that renders (Helm 3.18.5+ loads
/// `file://` references only, GHSA-9h84-qmv7-982p): a chart must not make it read outside files.
#[test]
fn a_values_schema_that_refers_outside_the_chart_is_not_followed() {
    let Some(tools) = with_helm() else { return };
    let tmp = tempfile::tempdir().unwrap();
    // Outside the scanned root: a schema no values can satisfy. Had Helm read it, the render
    // would fail.
    let outside = tmp.path().join("outside.json");
    std::fs::write(&outside, r#"{"type": "string"}"#).unwrap();
    let root = tmp.path().join("repo");
    write(
        &root,
        "c/Chart.yaml",
        "apiVersion: v2\nname: c\nversion: 0.1.0\n",
    );
    write(&root, "c/values.yaml", "port: 80\n");
    write(
        &root,
        "c/templates/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  port: \"{{ .Values.port }}\"\n",
    );
    let schema = format!(
        r#"{{"type": "object", "properties": {{"port": {{"$ref": "file://{}"}}}}}}"#,
        outside.display()
    );
    write(&root, "c/values.schema.json", &schema);
    let r = helm::render(&helm_request(&root, "c", None), &tools).unwrap();
    one(&r, "ConfigMap", "c");
    assert!(
        r.command
            .ends_with("--include-crds --skip-schema-validation"),
        "{}",
        r.command
    );
    assert_eq!(r.problems.len(), 1, "{:?}", r.problems);
    assert!(
        r.problems[0].starts_with(&format!(
            "`c/values.schema.json`: `$ref: file://{}` at `/properties/port`: Helm would load it",
            outside.display()
        )),
        "{}",
        r.problems[0]
    );

    // A self-contained schema is validated, as Argo CD validates it: values that break it fail.
    write(
        &root,
        "c/values.schema.json",
        r##"{"$schema": "https://json-schema.org/draft/2020-12/schema", "$defs": {"s": {"type": "string"}},
            "properties": {"port": {"$ref": "#/$defs/s"}}}"##,
    );
    match helm::render(&helm_request(&root, "c", None), &tools) {
        Err(RenderError::Failed(m)) => {
            assert!(!m.contains("--skip-schema-validation"), "{m}");
            assert!(m.contains("port"), "{m}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_hanging_tool_is_stopped_at_the_timeout() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "c/Chart.yaml",
        "apiVersion: v2\nname: c\nversion: 0.1.0\n",
    );
    let fake = tmp.path().join("fake-helm");
    write(tmp.path(), "fake-helm", "#!/bin/sh\nexec /bin/sleep 30\n");
    std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let tools = Tools {
        helm: Some(fake),
        timeout: Duration::from_millis(500),
        ..tools()
    };
    let started = std::time::Instant::now();
    let err = helm::render(&helm_request(tmp.path(), "c", None), &tools).unwrap_err();
    assert_eq!(err, RenderError::Timeout(Duration::from_millis(500)));
    assert!(started.elapsed() < Duration::from_secs(10));
}

// ---------------------------------------------------------------------------------------------
// Kustomize

fn flux() -> PathBuf {
    common::corpus("fluxcd__flux2-kustomize-helm-example")
}

/// The standalone kustomize (if any) or the pinned kubectl, plus the machine's own kubectl
/// (Kustomize 5.5) when it is a different binary.
fn kustomize_variants(tools: &Tools) -> Vec<Tools> {
    let mut variants = vec![tools.clone()];
    let system = PathBuf::from("/usr/bin/kubectl");
    if system.is_file() && tools.kubectl.as_deref() != Some(system.as_path()) {
        variants.push(Tools {
            kustomize: None,
            kubectl: Some(system),
            ..tools.clone()
        });
    }
    variants
}

#[test]
fn flux_overlays_render_with_sources_pointing_at_the_real_files() {
    if common::skip_without_corpus() {
        return;
    }
    let Some(tools) = with_kustomize() else {
        return;
    };
    let root = flux();
    let before = file_hashes(&root);
    for tools in kustomize_variants(&tools) {
        let r = kustomize::render(&kustomize_request(&root, "apps/staging", None), &tools).unwrap();
        assert!(r.tool.contains("kustomize v"), "{}", r.tool);
        let (doc, release) = one(&r, "HelmRelease", "podinfo");
        assert_eq!(
            doc.source.as_deref(),
            Some("apps/base/podinfo/release.yaml")
        );
        assert_eq!(release["metadata"]["namespace"], "podinfo");
        // The staging patch applied; the object still comes from the base file.
        assert_eq!(
            release["spec"]["values"]["httpRoute"]["hostnames"],
            json!(["podinfo.staging"])
        );
        let (ns, _) = one(&r, "Namespace", "podinfo");
        assert_eq!(
            ns.source.as_deref(),
            Some("apps/base/podinfo/namespace.yaml")
        );
        sources_exist(&root, &r);

        let r = kustomize::render(
            &kustomize_request(&root, "infrastructure/controllers", None),
            &tools,
        )
        .unwrap();
        let (doc, _) = one(&r, "HelmRelease", "cert-manager");
        assert_eq!(
            doc.source.as_deref(),
            Some("infrastructure/controllers/cert-manager.yaml")
        );
        let (doc, _) = one(&r, "HelmRelease", "envoy-gateway");
        assert_eq!(
            doc.source.as_deref(),
            Some("infrastructure/controllers/envoy-gateway.yaml")
        );
        sources_exist(&root, &r);

        for dir in ["apps/production", "infrastructure/configs"] {
            let r = kustomize::render(&kustomize_request(&root, dir, None), &tools).unwrap();
            assert!(!r.documents.is_empty(), "{dir}");
            sources_exist(&root, &r);
            for d in &r.documents {
                assert!(
                    !d.text.contains("config.kubernetes.io/origin"),
                    "{}",
                    d.text
                );
                assert!(!d.text.contains("alpha.config.kubernetes.io"), "{}", d.text);
            }
        }
        // The checked-out gotk-*.yaml are placeholders (comments only): nothing to render.
        let r = kustomize::render(
            &kustomize_request(&root, "clusters/staging/flux-system", None),
            &tools,
        )
        .unwrap();
        assert_eq!(r.documents, vec![]);
    }
    assert_eq!(before, file_hashes(&root), "the corpus was changed");
}

// What the flux corpus test above pins, on a tree of our own (`common::flux_tree`): overlays
// patch a base's HelmRelease, every object keeps the base file as its source, no origin
// annotation leaks into the output, and a comment-only placeholder renders nothing.
#[test]
fn overlays_of_a_flux_layout_render_with_sources_in_the_base() {
    let Some(tools) = with_kustomize() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    common::flux_tree(root);
    let before = file_hashes(root);
    for tools in kustomize_variants(&tools) {
        for env in ["staging", "production"] {
            let r = kustomize::render(
                &kustomize_request(root, &format!("apps/{env}"), None),
                &tools,
            )
            .unwrap();
            assert!(r.tool.contains("kustomize v"), "{}", r.tool);
            let (doc, release) = one(&r, "HelmRelease", "podinfo");
            assert_eq!(
                doc.source.as_deref(),
                Some("apps/base/podinfo/release.yaml")
            );
            assert_eq!(release["metadata"]["namespace"], "podinfo");
            assert_eq!(
                release["spec"]["values"]["httpRoute"]["hostnames"],
                json!([format!("podinfo.{env}")])
            );
            assert_eq!(release["spec"]["values"]["httpRoute"]["enabled"], true);
            let (ns, _) = one(&r, "Namespace", "podinfo");
            assert_eq!(
                ns.source.as_deref(),
                Some("apps/base/podinfo/namespace.yaml")
            );
            assert_eq!(r.documents.len(), 2);
            sources_exist(root, &r);
            for d in &r.documents {
                assert!(
                    !d.text.contains("config.kubernetes.io/origin"),
                    "{}",
                    d.text
                );
                assert!(!d.text.contains("alpha.config.kubernetes.io"), "{}", d.text);
            }
        }
        let r = kustomize::render(
            &kustomize_request(root, "clusters/staging/flux-system", None),
            &tools,
        )
        .unwrap();
        assert_eq!(r.documents, vec![]);
    }
    assert_eq!(before, file_hashes(root), "the tree was changed");
}

/// An overlay on a base, and a component, in a fresh root.
fn overlay_tree(root: &Path) {
    write(
        root,
        "base/kustomization.yaml",
        "resources:\n- deployment.yaml\n- service.yaml\nlabels:\n- pairs:\n    app: web\n",
    );
    write(
        root,
        "base/deployment.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.25\n",
    );
    write(
        root,
        "base/service.yaml",
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n  - port: 80\n",
    );
    write(
        root,
        "components/extra/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nconfigMapGenerator:\n- name: extra\n  literals: [a=b]\n",
    );
    write(
        root,
        "overlay/kustomization.yaml",
        "# the overlay\nresources:\n- ../base\nnamePrefix: old-\ncommonLabels:\n  env: dev\nimages:\n- name: nginx\n  newTag: \"1.26\"\n",
    );
}

#[test]
fn kustomize_options_are_applied_to_a_copy_as_kustomize_edit_would() {
    let Some(tools) = with_kustomize() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    overlay_tree(root);
    let before = file_hashes(root);
    let options = json!({
        "namePrefix": "p-",
        "nameSuffix": "-s",
        "namespace": "team-a",
        "images": ["nginx=registry.example.com/nginx:1.27"],
        "replicas": [{"name": "web", "count": "3"}],
        "commonLabels": {"team": "a"},
        "commonAnnotations": {"owner": "platform"},
        "patches": [{
            "target": {"kind": "Deployment"},
            "patch": "- op: add\n  path: /spec/template/metadata\n  value: {annotations: {patched: \"yes\"}}\n"
        }],
        "components": ["../components/extra", "../components/absent"],
        "ignoreMissingComponents": true
    });
    for tools in kustomize_variants(&tools) {
        let r = kustomize::render(
            &kustomize_request(root, "overlay", Some(options.clone())),
            &tools,
        )
        .unwrap();
        // `kustomize edit set nameprefix` replaces the overlay's prefix; it does not stack.
        let (doc, deployment) = one(&r, "Deployment", "p-web-s");
        assert_eq!(doc.source.as_deref(), Some("base/deployment.yaml"));
        assert_eq!(deployment["metadata"]["namespace"], "team-a");
        assert_eq!(deployment["spec"]["replicas"], 3);
        assert_eq!(
            deployment["spec"]["template"]["spec"]["containers"][0]["image"],
            "registry.example.com/nginx:1.27"
        );
        assert_eq!(
            deployment["metadata"]["labels"],
            json!({"app": "web", "env": "dev", "team": "a"})
        );
        assert_eq!(
            deployment["metadata"]["annotations"],
            json!({"owner": "platform"})
        );
        assert_eq!(
            deployment["spec"]["template"]["metadata"]["annotations"]["patched"],
            "yes"
        );
        let (svc, _) = one(&r, "Service", "p-web-s");
        assert_eq!(svc.source.as_deref(), Some("base/service.yaml"));
        let generated: Vec<_> = r
            .documents
            .iter()
            .map(|d| (d, json_of(d)))
            .filter(|(_, v)| v["kind"] == "ConfigMap")
            .collect();
        assert_eq!(generated.len(), 1);
        assert_eq!(
            generated[0].0.source.as_deref(),
            Some("components/extra/kustomization.yaml")
        );
        assert!(
            r.command.starts_with(
                "kustomize edit set nameprefix -- p- && kustomize edit set namesuffix -- -s && kustomize edit set image nginx=registry.example.com/nginx:1.27 && kustomize edit set replicas web=3 && kustomize edit add label team:a && kustomize edit add annotation owner:platform && kustomize edit set namespace -- team-a"
            ),
            "{}",
            r.command
        );
        assert!(
            r.command
                .ends_with("kustomize overlay --load-restrictor LoadRestrictionsRootOnly"),
            "{}",
            r.command
        );
    }
    assert_eq!(before, file_hashes(root), "the user's tree was changed");

    // `kustomize edit add label` refuses a label the kustomization already sets, unless forced.
    let conflict = json!({"commonLabels": {"env": "prod"}});
    match kustomize::render(&kustomize_request(root, "overlay", Some(conflict)), &tools) {
        Err(RenderError::Failed(m)) => {
            assert!(m.contains("label env already in kustomization file"), "{m}")
        }
        other => panic!("{other:?}"),
    }
    let forced = json!({"commonLabels": {"env": "prod"}, "forceCommonLabels": true});
    let r = kustomize::render(&kustomize_request(root, "overlay", Some(forced)), &tools).unwrap();
    let (_, d) = one(&r, "Deployment", "old-web");
    assert_eq!(d["metadata"]["labels"]["env"], "prod");
    // A missing component without ignoreMissingComponents fails, as `kustomize edit add
    // component` does.
    let absent = json!({"components": ["../components/absent"]});
    assert!(matches!(
        kustomize::render(&kustomize_request(root, "overlay", Some(absent)), &tools),
        Err(RenderError::Failed(_))
    ));
    assert_eq!(before, file_hashes(root), "the user's tree was changed");
}

#[test]
fn remote_bases_and_plugins_are_refused_before_the_tool_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    // A kustomize that does not exist: reaching it would be a ToolMissing error.
    let tools = Tools {
        kustomize: Some(PathBuf::from("/nonexistent/kustomize")),
        kubectl: None,
        ..tools()
    };
    let cases = [
        (
            "resources:\n- github.com/org/repo//deploy?ref=v1.0.0\n",
            "github.com/org/repo",
        ),
        (
            "resources:\n- https://raw.githubusercontent.com/org/repo/main/x.yaml\n",
            "https://",
        ),
        (
            "resources:\n- git::https://example.com/repo.git//base\n",
            "git::",
        ),
        ("components:\n- ssh://git@example.com/repo.git\n", "ssh://"),
        (
            "helmCharts:\n- name: nginx\n  repo: https://charts.example.com\n",
            "--enable-helm",
        ),
        ("generators:\n- gen.yaml\n", "plugin"),
        (
            "transformers:\n- apiVersion: example.com/v1\n  kind: Sed\n",
            "plugin",
        ),
        (
            "patches:\n- path: https://example.com/patch.yaml\n",
            "https://",
        ),
        ("resources:\n- ../base\n", "github.com/evil/base"),
    ];
    write(
        root,
        "app/gen.yaml",
        "apiVersion: example.com/v1\nkind: Exec\nmetadata:\n  name: x\n  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: ./gen.sh\n",
    );
    write(
        root,
        "base/kustomization.yaml",
        "resources:\n- github.com/evil/base?ref=main\n",
    );
    for (kustomization, expect) in cases {
        write(root, "app/kustomization.yaml", kustomization);
        match kustomize::render(&kustomize_request(root, "app", None), &tools) {
            Err(RenderError::NotRenderable(m)) => assert!(m.contains(expect), "{expect}: {m}"),
            other => panic!("{kustomization}: {other:?}"),
        }
    }
    write(root, "app/kustomization.yaml", "resources: []\n");
    let options = json!({"components": ["https://example.com/component"]});
    assert!(matches!(
        kustomize::render(&kustomize_request(root, "app", Some(options)), &tools),
        Err(RenderError::NotRenderable(_))
    ));
    // A directory outside the root is not built either.
    assert!(matches!(
        kustomize::render(&kustomize_request(root, "../elsewhere", None), &tools),
        Err(RenderError::NotRenderable(_))
    ));
}

#[test]
fn links_out_of_the_root_are_not_followed() {
    let Some(tools) = with_kustomize() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("repo");
    write(
        tmp.path(),
        "private.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: stolen\n",
    );
    write(
        &root,
        "app/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n",
    );
    std::os::unix::fs::symlink(
        tmp.path().join("private.yaml"),
        root.join("app/secret.yaml"),
    )
    .unwrap();
    // Named as a resource: refused before the build.
    write(
        &root,
        "app/kustomization.yaml",
        "resources:\n- secret.yaml\n",
    );
    match kustomize::render(&kustomize_request(&root, "app", None), &tools) {
        Err(RenderError::NotRenderable(m)) => {
            assert!(m.contains("outside the scanned root"), "{m}")
        }
        other => panic!("{other:?}"),
    }
    // Read another way (a patch file): the copy leaves it out, and the failure says why.
    write(
        &root,
        "app/kustomization.yaml",
        "resources:\n- cm.yaml\npatches:\n- path: secret.yaml\n",
    );
    match kustomize::render(&kustomize_request(&root, "app", None), &tools) {
        Err(RenderError::Failed(m)) => {
            assert!(
                m.contains("link outside the scanned root: app/secret.yaml"),
                "{m}"
            );
            assert!(!m.contains("stolen"), "{m}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_failing_kustomize_build_returns_its_stderr() {
    let Some(tools) = with_kustomize() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "app/kustomization.yaml",
        "resources:\n- missing.yaml\n",
    );
    match kustomize::render(&kustomize_request(tmp.path(), "app", None), &tools) {
        Err(RenderError::Failed(m)) => {
            assert!(m.starts_with("`"), "{m}");
            assert!(
                m.contains("kustomize app --load-restrictor LoadRestrictionsRootOnly` failed: "),
                "{m}"
            );
            assert!(m.contains("missing.yaml"), "{m}");
        }
        other => panic!("{other:?}"),
    }
}

// Kustomize names a missing base by its path in the temporary copy it ran in, a new directory on
// every run: left as is, the report changed from run to run (the corpus sweep caught it, in
// anthos-config-management-samples' namespace-specific-policy). The copy's path is cut, so the
// message names the file as the repository has it, and two runs say the same.
#[test]
fn a_kustomize_failure_names_files_as_the_repository_has_them() {
    let Some(tools) = with_kustomize() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "app/kustomization.yaml",
        "resources:\n- ../absent/base\n",
    );
    let message = || match kustomize::render(&kustomize_request(tmp.path(), "app", None), &tools) {
        Err(RenderError::Failed(m)) => m,
        other => panic!("{other:?}"),
    };
    let first = message();
    assert!(first.contains("absent/base"), "{first}");
    assert!(!first.contains("manifest-guard-"), "{first}");
    assert!(
        !first.contains(&std::env::temp_dir().display().to_string()),
        "{first}"
    );
    assert_eq!(first, message());
}

// The sandbox's name (process id, counter, time) reached the report whenever `TMPDIR` was not
// the path the tools print: a link (macOS's `/var/folders/…` is `/private/var/folders/…`), a
// path with `//` or `.`, a relative one (every Kustomize build then failed). Kustomize inflating
// a chart named its own temporary directory (a random number) and the Helm binary's path on this
// machine; Helm named a value file by its copy (`<sandbox>/inputs/0`). The report of a run under
// each `TMPDIR` is the same, and names files as the repository has them.
#[test]
fn the_report_is_the_same_under_any_tmpdir() {
    let Some(tools) = with_kustomize() else {
        return;
    };
    if tools.helm.is_none() && missing("helm") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    write(
        &repo,
        "app/kustomization.yaml",
        "resources:\n- ../absent/base\n",
    );
    write(
        &repo,
        "inflate/kustomization.yaml",
        "helmCharts:\n- name: inner\n  releaseName: inner\nhelmGlobals:\n  chartHome: charts\n",
    );
    write(
        &repo,
        "inflate/charts/inner/Chart.yaml",
        "apiVersion: v2\nname: inner\nversion: 0.1.0\n",
    );
    write(&repo, "inflate/charts/inner/values.yaml", "{}\n");
    write(
        &repo,
        "inflate/charts/inner/templates/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ required \"a name\" .Values.name }}}\n",
    );
    write(
        &repo,
        "chart/Chart.yaml",
        "apiVersion: v2\nname: chart\nversion: 0.1.0\n",
    );
    write(
        &repo,
        "chart/templates/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
    );
    write(&repo, "chart/values-bad.yaml", "name: [unclosed\n");
    write(
        &repo,
        "apps/chart.yaml",
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: chart, namespace: argocd}\nspec:\n  project: p\n  source:\n    repoURL: https://example.com/r.git\n    path: chart\n    helm: {valueFiles: [values-bad.yaml]}\n  destination: {server: https://kubernetes.default.svc, namespace: chart}\n",
    );
    let real = tmp.path().join("real");
    std::fs::create_dir(&real).unwrap();
    std::os::unix::fs::symlink(&real, tmp.path().join("link")).unwrap();
    std::fs::create_dir(repo.join("reltmp")).unwrap();
    let run = |tmpdir: &std::ffi::OsStr| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_manifest-guard"));
        cmd.args([
            "check",
            "--format",
            "json",
            "--select",
            "render-failed",
            ".",
        ])
        .current_dir(&repo)
        .env("TMPDIR", tmpdir)
        .env_remove("CI");
        if let Some(helm) = &tools.helm {
            cmd.arg("--helm").arg(helm);
        }
        if let Some(k) = tools.kustomize.as_ref().or(tools.kubectl.as_ref()) {
            cmd.arg("--kustomize").arg(k);
        }
        let out = cmd.output().unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let plain = run(real.as_os_str());
    for needle in [
        "lstat absent: no such file",
        "<sandbox>/kustomize-helm-*/",
        "unable to run: 'helm template inner",
        "failed to parse chart/values-bad.yaml:",
    ] {
        assert!(plain.contains(needle), "{needle}: {plain}");
    }
    assert!(!plain.contains("manifest-guard-"), "{plain}");
    assert!(
        !plain.contains(&tmp.path().display().to_string()),
        "{plain}"
    );
    if let Some(helm) = &tools.helm {
        assert!(!plain.contains(&helm.display().to_string()), "{plain}");
    }
    let link = tmp.path().join("link");
    let dotted = format!("{}//./link/", tmp.path().display());
    for tmpdir in [link.as_os_str(), dotted.as_ref(), "reltmp".as_ref()] {
        assert_eq!(run(tmpdir), plain, "TMPDIR={tmpdir:?}");
    }
    assert_eq!(run(real.as_os_str()), plain);
}

// ---------------------------------------------------------------------------------------------
// The cache key

#[test]
fn the_cache_key_follows_every_input() {
    let tools = tools();
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    overlay_tree(root);
    options_chart(root);
    let kz = |options: Option<Value>| {
        RenderRequest::Kustomize(kustomize_request(root, "overlay", options))
    };
    let hm = |options: Value| RenderRequest::Helm(helm_request(root, "charts/opts", Some(options)));

    let first = cache_key(&kz(None), &tools);
    assert_eq!(first.len(), 64);
    assert!(first.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(first, cache_key(&kz(None), &tools), "identical inputs");
    assert_ne!(
        first,
        cache_key(&kz(Some(json!({"namePrefix": "x-"}))), &tools)
    );
    // A file of a base the overlay reaches.
    write(
        root,
        "base/service.yaml",
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: web2\n",
    );
    let changed = cache_key(&kz(None), &tools);
    assert_ne!(first, changed);
    // A file nothing reaches does not matter.
    write(root, "unrelated/notes.txt", "hello");
    assert_eq!(changed, cache_key(&kz(None), &tools));

    let options = json!({"valueFiles": ["values-prod.yaml"]});
    let helm_first = cache_key(&hm(options.clone()), &tools);
    assert_eq!(helm_first, cache_key(&hm(options.clone()), &tools));
    assert_ne!(helm_first, first);
    write(
        root,
        "charts/opts/values-prod.yaml",
        "fromFile: production\n",
    );
    assert_ne!(helm_first, cache_key(&hm(options.clone()), &tools));
    let other_tool = Tools {
        helm: Some(PathBuf::from("/opt/other/helm")),
        ..tools.clone()
    };
    assert_ne!(
        cache_key(&hm(options.clone()), &tools),
        cache_key(&hm(options), &other_tool)
    );
}
