//! `render --format json` on the real binary over the two Argo CD corpora
//! (`../shared/corpus/argoproj__argo-cd` and the gitops-bridge control-plane template): the
//! Applications real ApplicationSets expand to, pinned for a representative set of generators
//! and both templating modes, each against the Argo CD documentation section whose behaviour it
//! follows; what cannot be expanded offline is a `not-rendered` note; and the only ApplicationSets
//! of the corpora that cannot be expanded are the ones Argo CD itself fails on.
//!
//! The corpora are read-only: a test that needs clusters, or an extra ApplicationSet, copies a
//! corpus into a temporary directory first. They are not part of this repository: the tests
//! read them from `MANIFEST_GUARD_CORPUS` and are skipped without it. The same generator and
//! template behaviour is pinned on ApplicationSets of our own in tests/render_owned.rs.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::{Value, json};

use common::{json, run_in, write};

const ARGO: &str = "argoproj__argo-cd";
const BRIDGE: &str = "gitops-bridge-dev__gitops-bridge-argocd-control-plane-template";
const EXAMPLES: &str = "applicationset/examples";

/// A corpus folder; every test that reads one starts with `common::skip_without_corpus()`.
fn corpus(name: &str) -> PathBuf {
    common::corpus(name)
}

/// `manifest-guard render . --format json`, run inside `dir`, so every `file` is relative to it.
fn render(dir: &Path) -> Value {
    let out = run_in(dir, &["render", ".", "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v = json(&out);
    assert_eq!(v["version"], 1);
    v
}

/// The untouched Argo CD corpus, rendered once for every test that reads it.
fn argo() -> &'static Value {
    static RENDERED: OnceLock<Value> = OnceLock::new();
    RENDERED.get_or_init(|| render(&corpus(ARGO)))
}

/// A writable copy of a corpus.
fn copy_of(name: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("temporary directory");
    copy_tree(&corpus(name), tmp.path());
    tmp
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read corpus directory") {
        let entry = entry.expect("directory entry");
        let target = to.join(entry.file_name());
        let kind = entry.file_type().expect("file type");
        if kind.is_dir() {
            std::fs::create_dir_all(&target).expect("create directory");
            copy_tree(&entry.path(), &target);
        } else if kind.is_file() {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// The key facts of one generated Application: what a reviewer checks against Argo CD.
fn summary(app: &Value) -> Value {
    let sources: Vec<Value> = app["sources"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[])
        .iter()
        .map(|s| {
            let mut out = serde_json::Map::new();
            for key in ["repoURL", "path", "chart", "targetRevision", "ref"] {
                if let Some(v) = s.get(key).filter(|v| !v.is_null()) {
                    out.insert(key.to_string(), v.clone());
                }
            }
            Value::Object(out)
        })
        .collect();
    json!({
        "name": app["name"],
        "namespace": app["namespace"],
        "project": app["project"],
        "destination": app["destination"],
        "sources": sources,
        "generator": app["origin"]["generator"],
    })
}

/// Every Application an ApplicationSet file generated, in render order (namespace, name).
fn generated(rendered: &Value, file: &str) -> Vec<Value> {
    generated_apps(rendered, file)
        .into_iter()
        .map(summary)
        .collect()
}

fn generated_apps<'v>(rendered: &'v Value, file: &str) -> Vec<&'v Value> {
    rendered["applications"]
        .as_array()
        .expect("applications")
        .iter()
        .filter(|a| a["origin"]["file"] == file && a["origin"]["applicationSet"].is_string())
        .collect()
}

fn names(apps: &[Value]) -> Vec<&str> {
    apps.iter().filter_map(|a| a["name"].as_str()).collect()
}

fn example(rel: &str) -> String {
    format!("{EXAMPLES}/{rel}")
}

/// The notes `render` left for one file.
fn notes_of<'v>(rendered: &'v Value, file: &str) -> Vec<&'v str> {
    rendered["notes"]
        .as_array()
        .expect("notes")
        .iter()
        .filter(|n| n["file"] == file)
        .filter_map(|n| n["message"].as_str())
        .collect()
}

// Docs: "Generators" → "List Generator": one Application per element, `cluster` and `url`
// passed into the template (`{{.cluster}}`, `{{.url}}`).
#[test]
fn list_generator() {
    if common::skip_without_corpus() {
        return;
    }
    let apps = generated(argo(), &example("list-generator/list-example.yaml"));
    assert_eq!(
        names(&apps),
        ["engineering-dev-guestbook", "engineering-prod-guestbook"]
    );
    assert_eq!(apps[0]["generator"], "list[0]");
    assert_eq!(
        apps[1]["sources"][0]["path"],
        "applicationset/examples/list-generator/guestbook/engineering-prod"
    );
    insta::assert_json_snapshot!("list-generator", apps);
}

// Docs: "Go Template": every example ships as a goTemplate file and a `-fasttemplate` twin
// (`{{.path.path}}` in Go for `{{path}}` in fasttemplate); both must generate the same
// Applications. The two exceptions are the examples whose Go version does not mean what its
// twin means: in `git-directories-exclude-example.yaml` the template says `{{.path}}`, which in
// Go is the whole `path` map (pinned below); in `matrix/list-and-list.yaml` the template asks
// for `.path.path`, which no list element has (Argo CD fails on it, pinned in
// `corpus_appsets_expand_without_error_findings`).
#[test]
fn fasttemplate_and_go_template_twins_agree() {
    if common::skip_without_corpus() {
        return;
    }
    let dir = corpus(ARGO).join(EXAMPLES);
    let mut twins = Vec::new();
    for entry in walk(&dir) {
        let rel = entry
            .strip_prefix(corpus(ARGO))
            .expect("inside the corpus")
            .to_string_lossy()
            .replace('\\', "/");
        if let Some(go) = rel.strip_suffix("-fasttemplate.yaml") {
            let go = format!("{go}.yaml");
            if corpus(ARGO).join(&go).is_file() {
                twins.push((rel, go));
            }
        }
    }
    assert!(twins.len() >= 20, "{twins:?}");
    let mut differ = Vec::new();
    let mut compared = 0;
    for (fast, go) in &twins {
        let (a, b) = (generated(argo(), fast), generated(argo(), go));
        compared += a.len();
        if a != b {
            differ.push(go.as_str());
        }
    }
    assert!(compared >= 30, "only {compared} Applications compared");
    assert_eq!(
        differ,
        [
            "applicationset/examples/git-generator-directory/excludes/git-directories-exclude-example.yaml",
            "applicationset/examples/matrix/list-and-list.yaml",
        ]
    );
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("read directory")
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

// Docs: "Git Generator" → "Git Generator: Directories" → "Exclude directories": every directory
// matching `cluster-addons/*` except the one an `exclude: true` entry names; `{{path}}` and
// `{{path.basename}}` are the directory and its last segment.
#[test]
fn git_directories_with_exclude() {
    if common::skip_without_corpus() {
        return;
    }
    let apps = generated(
        argo(),
        &example(
            "git-generator-directory/excludes/git-directories-exclude-example-fasttemplate.yaml",
        ),
    );
    assert_eq!(names(&apps), ["argo-workflows", "prometheus-operator"]);
    assert!(apps.iter().all(|a| {
        !a["sources"][0]["path"]
            .to_string()
            .contains("exclude-helm-guestbook")
    }));
    assert_eq!(apps[1]["destination"]["namespace"], "prometheus-operator");
    insta::assert_json_snapshot!("git-directories-exclude", apps);
}

// Docs: "Go Template": in goTemplate mode the git generator's `path` is a map
// (`{{.path.path}}`, `{{.path.basename}}`, ...). The Go twin of the exclude example writes
// `{{.path}}`, and Go's text/template prints a map as `map[key:value ...]` with sorted keys:
// that is the source path Argo CD generates from it.
#[test]
fn go_template_prints_the_path_map_as_go_does() {
    if common::skip_without_corpus() {
        return;
    }
    let apps = generated(
        argo(),
        &example("git-generator-directory/excludes/git-directories-exclude-example.yaml"),
    );
    assert_eq!(names(&apps), ["argo-workflows", "prometheus-operator"]);
    assert_eq!(
        apps[0]["sources"][0]["path"],
        "map[basename:argo-workflows basenameNormalized:argo-workflows \
         path:applicationset/examples/git-generator-directory/excludes/cluster-addons/argo-workflows \
         segments:[applicationset examples git-generator-directory excludes cluster-addons argo-workflows]]"
    );
}

// Docs: "Git Generator" → "Git Generator: Directories" (goTemplate): `{{.path.basename}}` names
// the Application and its namespace, `{{.path.path}}` is the source path.
#[test]
fn git_directories() {
    if common::skip_without_corpus() {
        return;
    }
    let apps = generated(
        argo(),
        &example("git-generator-directory/git-directories-example.yaml"),
    );
    assert_eq!(names(&apps), ["argo-workflows", "prometheus-operator"]);
    assert_eq!(
        apps[0]["generator"],
        "git directories[applicationset/examples/git-generator-directory/cluster-addons/argo-workflows]"
    );
    insta::assert_json_snapshot!("git-directories", apps);
}

// Docs: "Git Generator" → "Git Generator: Files": one parameter set per `config.json`, its
// content available as parameters (`{{.cluster.name}}` names the Application); and
// "Exclude files": `exclude: true` removes the `dev` file, leaving `prod`.
#[test]
fn git_files_with_and_without_exclude() {
    if common::skip_without_corpus() {
        return;
    }
    let apps = generated(
        argo(),
        &example("git-generator-files-discovery/git-generator-files.yaml"),
    );
    assert_eq!(
        names(&apps),
        ["engineering-dev-guestbook", "engineering-prod-guestbook"]
    );
    assert_eq!(
        apps[0]["generator"],
        "git files[applicationset/examples/git-generator-files-discovery/cluster-config/engineering/dev/config.json]"
    );
    insta::assert_json_snapshot!("git-files", apps);
    let excluded = generated(
        argo(),
        &example("git-generator-files-discovery/excludes/git-files-exclude-example.yaml"),
    );
    assert_eq!(names(&excluded), ["engineering-prod-guestbook"]);
}

// Docs: "Matrix Generator": every combination of the two children's parameter sets, here two
// git directories × two list elements; the list element's `values.project` is the project and
// `url` the destination.
#[test]
fn matrix_git_directories_and_list() {
    if common::skip_without_corpus() {
        return;
    }
    let apps = generated(argo(), &example("matrix/list-and-git.yaml"));
    assert_eq!(
        names(&apps),
        [
            "argo-workflows-engineering-dev",
            "argo-workflows-engineering-prod",
            "prometheus-operator-engineering-dev",
            "prometheus-operator-engineering-prod",
        ]
    );
    assert_eq!(apps[1]["project"], "prod");
    assert_eq!(apps[1]["destination"]["server"], "https://2.4.6.8");
    insta::assert_json_snapshot!("matrix-list-and-git", apps);
}

// Docs: "Matrix Generator" → "Restrictions": "Combination-type generators (matrix or merge) can
// only be nested once" — here a matrix of a merge and a matrix, 2 × 4 Applications.
#[test]
fn matrix_of_a_merge_and_a_matrix() {
    if common::skip_without_corpus() {
        return;
    }
    let apps = generated(argo(), &example("matrix/matrix-and-union-in-matrix.yaml"));
    assert_eq!(apps.len(), 8);
    assert_eq!(
        apps[0]["generator"],
        "matrix[merge list 0 + list 0 × matrix list 0 × list 0]"
    );
    insta::assert_json_snapshot!("matrix-merge-and-matrix", apps);
}

// Docs: "Merge Generator": the first child's parameter sets are the base; a later child's set
// with the same merge keys (`server` + `environment`) is merged into it, and base sets no
// later child matches stay as they are. Here a matrix (clusters × two environments) merged
// with a one-element list for staging: two Applications, the merged one named by its origin.
#[test]
fn merge_of_a_matrix_and_a_list() {
    if common::skip_without_corpus() {
        return;
    }
    let apps = generated(argo(), &example("merge/merge-two-matrixes.yaml"));
    assert_eq!(
        names(&apps),
        ["in-cluster-guestbook-prod", "in-cluster-guestbook-staging"]
    );
    assert_eq!(apps[0]["destination"]["namespace"], "guestbook");
    assert_eq!(
        apps[0]["generator"],
        "merge[matrix clusters in-cluster × list 1]"
    );
    assert_eq!(apps[1]["destination"]["namespace"], "guestbook-non-prod");
    assert_eq!(
        apps[1]["generator"],
        "merge[matrix clusters in-cluster × list 0 + list 0]"
    );
    insta::assert_json_snapshot!("merge-two-matrixes", apps);
}

// Docs: "Template" → "Generator templates": "the generator's template field takes precedence
// over the spec's template fields" — the list generator's own template sets the path
// (`template-override/{{.cluster}}-override`); the name, destination and everything else it
// leaves empty come from `spec.template`. The design-doc twin has two list generators with a
// template each: each element renders with its own generator's project and path.
#[test]
fn generator_template_overrides_the_spec_template() {
    if common::skip_without_corpus() {
        return;
    }
    let apps = generated(
        argo(),
        &example("template-override/template-overrides-example.yaml"),
    );
    assert_eq!(names(&apps), ["engineering-dev-guestbook"]);
    assert_eq!(
        apps[0]["sources"][0]["path"],
        "applicationset/examples/template-override/engineering-dev-override"
    );
    assert_eq!(apps[0]["destination"]["namespace"], "guestbook");
    insta::assert_json_snapshot!("template-override", apps);
    let design = generated(argo(), &example("design-doc/template-override.yaml"));
    let got: Vec<(&Value, &Value, &Value)> = design
        .iter()
        .map(|a| (&a["name"], &a["project"], &a["sources"][0]["path"]))
        .collect();
    assert_eq!(
        got,
        [
            (
                &json!("engineering-dev-guestbook"),
                &json!("project"),
                &json!("engineering-dev-override")
            ),
            (
                &json!("engineering-prod-guestbook"),
                &json!("project2"),
                &json!("engineering-prod-override2")
            ),
        ]
    );
}

const ARGO_CLUSTERS: &str = "\
# The two clusters of the Argo CD docs' \"Matrix Generator\" example.
clusters:
  - name: staging
    server: https://1.2.3.4
    labels:
      environment: staging
  - name: production
    server: https://2.4.6.8
    labels:
      environment: production
";

/// The Argo CD corpus with two declared clusters and two ApplicationSets from the docs that the
/// corpus itself lacks (a list `elementsYaml` and a `templatePatch`), rendered once.
fn argo_with_clusters() -> &'static Value {
    static RENDERED: OnceLock<Value> = OnceLock::new();
    RENDERED.get_or_init(|| {
        let tmp = copy_of(ARGO);
        write(tmp.path(), ".manifest-guard.yaml", ARGO_CLUSTERS);
        write(tmp.path(), "extra/elements-yaml.yaml", ELEMENTS_YAML);
        write(tmp.path(), "extra/template-patch.yaml", TEMPLATE_PATCH);
        render(tmp.path())
    })
}

// Docs: "Cluster Generator": with no selector, every cluster Argo CD knows, the local
// `in-cluster` included; `{{.name}}` and `{{.server}}` are the cluster's.
#[test]
fn cluster_generator_lists_every_cluster() {
    if common::skip_without_corpus() {
        return;
    }
    let apps = generated(
        argo_with_clusters(),
        &example("cluster/cluster-example.yaml"),
    );
    assert_eq!(
        names(&apps),
        [
            "in-cluster-guestbook",
            "production-guestbook",
            "staging-guestbook"
        ]
    );
    assert_eq!(apps[1]["destination"]["server"], "https://2.4.6.8");
    assert_eq!(apps[2]["generator"], "clusters[staging]");
    insta::assert_json_snapshot!("clusters-all", apps);
}

// Docs: "Matrix Generator" → "Example: Git Directory generator + Cluster generator": two
// addon directories × the clusters selected by `argocd.argoproj.io/secret-type: cluster`
// (`staging` at https://1.2.3.4, `production` at https://2.4.6.8; the local cluster has no
// Secret, so a selector leaves it out — "Cluster Generator" → "Label selector"), the project
// from the cluster's `environment` label.
#[test]
fn matrix_git_directories_and_clusters_with_selector() {
    if common::skip_without_corpus() {
        return;
    }
    let apps = generated(
        argo_with_clusters(),
        &example("matrix/cluster-and-git.yaml"),
    );
    assert_eq!(
        names(&apps),
        [
            "argo-workflows-production",
            "argo-workflows-staging",
            "prometheus-operator-production",
            "prometheus-operator-staging",
        ]
    );
    assert_eq!(apps[0]["project"], "production");
    assert_eq!(apps[0]["destination"]["server"], "https://2.4.6.8");
    assert_eq!(
        apps[0]["generator"],
        "matrix[git directories applicationset/examples/matrix/cluster-addons/argo-workflows × clusters production]"
    );
    insta::assert_json_snapshot!("matrix-cluster-and-git", apps);
    // Untouched, the corpus declares no cluster: the selector matches nothing, as in Argo CD
    // with no cluster Secret.
    assert!(generated(argo(), &example("matrix/cluster-and-git.yaml")).is_empty());
}

// Docs: "Templates" (fasttemplate): a parameter the generator does not provide is left as
// written — Argo CD's `Render.Replace` writes an unknown tag back as `{{tag}}`. The design-doc
// cluster example uses Go syntax (`{{.name}}`) without `goTemplate: true`, so both selected
// clusters yield the literal name `{{.name}}-guestbook`; `{{.values.project}}` and `{{.server}}`
// stay as written too.
#[test]
fn fasttemplate_leaves_unknown_parameters_as_written() {
    if common::skip_without_corpus() {
        return;
    }
    let apps = generated(argo_with_clusters(), &example("design-doc/clusters.yaml"));
    assert_eq!(names(&apps), ["{{.name}}-guestbook", "{{.name}}-guestbook"]);
    assert!(
        apps.iter().all(|a| a["project"] == "{{.values.project}}"
            && a["destination"]["server"] == "{{.server}}")
    );
}

const ELEMENTS_YAML: &str = r#"# Docs: "List Generator" → "Dynamically generated elements".
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: elements-yaml
  namespace: argocd
spec:
  goTemplate: true
  goTemplateOptions: ["missingkey=error"]
  generators:
  - matrix:
      generators:
        - git:
            repoURL: https://github.com/argoproj/argo-cd.git
            revision: HEAD
            files:
            - path: applicationset/examples/list-generator/list-elementsYaml-example.yaml
        - list:
            elementsYaml: "{{ .key.components | toJson }}"
  template:
    metadata:
      name: '{{.name}}'
    spec:
      project: default
      sources:
        - chart: '{{.chart}}'
          repoURL: '{{.repoUrl}}'
          targetRevision: '{{.version}}'
          helm:
            releaseName: '{{.releaseName}}'
      destination:
        server: https://kubernetes.default.svc
        namespace: '{{.namespace}}'
"#;

// Docs: "List Generator" → "Dynamically generated elements": `elementsYaml` rendered from a
// matrix sibling (the git files generator reading the corpus's list-elementsYaml-example.yaml)
// yields one element per component.
#[test]
fn list_elements_yaml() {
    if common::skip_without_corpus() {
        return;
    }
    let apps = generated(argo_with_clusters(), "extra/elements-yaml.yaml");
    assert_eq!(names(&apps), ["component1", "component2"]);
    assert_eq!(
        apps[1]["sources"][0],
        json!({"repoURL": "ghcr.io/stefanprodan/charts", "chart": "podinfo", "targetRevision": "6.3.3"})
    );
    assert_eq!(apps[1]["destination"]["namespace"], "component2");
    insta::assert_json_snapshot!("list-elements-yaml", apps);
}

const TEMPLATE_PATCH: &str = r#"# Docs: "Templates" → "Template Patch".
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: guestbook-patched
  namespace: argocd
spec:
  goTemplate: true
  generators:
  - list:
      elements:
        - cluster: engineering-dev
          url: https://kubernetes.default.svc
          autoSync: true
          prune: true
          valueFiles:
            - values.large.yaml
            - values.debug.yaml
        - cluster: engineering-prod
          url: https://kubernetes.default.svc
          autoSync: false
          prune: false
          valueFiles: []
  template:
    metadata:
      name: '{{.cluster}}-deployment'
    spec:
      project: "default"
      source:
        repoURL: https://github.com/argoproj/argo-cd.git
        targetRevision: HEAD
        path: applicationset/examples/list-generator/guestbook/{{ .cluster }}
      destination:
        server: '{{.url}}'
        namespace: guestbook
  templatePatch: |
    spec:
      source:
        helm:
          valueFiles:
          {{- range $valueFile := .valueFiles }}
            - {{ $valueFile }}
          {{- end }}
    {{- if .autoSync }}
      syncPolicy:
        automated:
          prune: {{ .prune }}
    {{- end }}
"#;

// Docs: "Templates" → "Template Patch": the rendered patch is merged into each generated
// Application, so only the element with `autoSync: true` gets an automated, pruning sync policy.
#[test]
fn template_patch() {
    if common::skip_without_corpus() {
        return;
    }
    let apps = generated_apps(argo_with_clusters(), "extra/template-patch.yaml");
    let got: Vec<(&str, &Value)> = apps
        .iter()
        .map(|a| (a["name"].as_str().unwrap_or(""), &a["syncPolicy"]))
        .collect();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].0, "engineering-dev-deployment");
    assert_eq!(got[0].1["automated"], true);
    assert_eq!(got[0].1["prune"], true);
    assert_eq!(got[1].0, "engineering-prod-deployment");
    assert_eq!(got[1].1["automated"], false);
}

const BRIDGE_CLUSTERS: &str = r#"# Cluster Secrets carrying the labels and annotations the gitops-bridge ApplicationSets
# select on and template from.
apiVersion: v1
kind: Secret
metadata:
  name: staging-eu
  namespace: argocd
  labels:
    argocd.argoproj.io/secret-type: cluster
    environment: staging
    enable_cert_manager: "true"
    enable_cluster_autoscaler: "true"
    kubernetes_version: "1.28"
    aws_cluster_name: staging-eu
  annotations:
    addons_repo_url: https://github.com/example/addons.git
    addons_repo_revision: main
    addons_repo_basepath: ""
    cert_manager_namespace: cert-manager
stringData:
  name: staging-eu
  server: https://staging-eu.example.com
---
apiVersion: v1
kind: Secret
metadata:
  name: prod-us
  namespace: argocd
  labels:
    argocd.argoproj.io/secret-type: cluster
    environment: prod
    enable_cert_manager: "true"
    enable_aws_argocd: "true"
  annotations:
    addons_repo_url: https://github.com/example/addons.git
    addons_repo_revision: v1.2.0
    addons_repo_basepath: gitops/
    argocd_namespace: argo
stringData:
  name: prod-us
  server: https://prod-us.example.com
---
apiVersion: v1
kind: Secret
metadata:
  name: in-cluster
  namespace: argocd
  labels:
    argocd.argoproj.io/secret-type: cluster
    akuity.io/argo-cd-cluster-name: in-cluster
    enable_cert_manager: "true"
stringData:
  name: in-cluster
  server: https://kubernetes.default.svc
"#;

fn bridge_with_clusters() -> &'static Value {
    static RENDERED: OnceLock<Value> = OnceLock::new();
    RENDERED.get_or_init(|| {
        let tmp = copy_of(BRIDGE);
        write(tmp.path(), "argocd-clusters/secrets.yaml", BRIDGE_CLUSTERS);
        render(tmp.path())
    })
}

// Docs: "Cluster Generator" → "Label selector" (`matchExpressions` with `In`, `NotIn`,
// `Exists`, `DoesNotExist`, Kubernetes semantics: `NotIn` also matches a Secret without the
// label), "Merge Generator" (children merged on `server`, later ones overriding `values`),
// fasttemplate's `{{metadata.annotations.<key>}}` and `{{values.<key>}}`, and "Go Template"
// with Sprig's `default`. Every generated Application of the gitops-bridge control plane.
#[test]
fn gitops_bridge_cluster_generators_with_label_selectors() {
    if common::skip_without_corpus() {
        return;
    }
    let rendered = bridge_with_clusters();
    let all: Vec<Value> = rendered["applications"]
        .as_array()
        .expect("applications")
        .iter()
        .filter(|a| a["origin"]["applicationSet"].is_string())
        .map(|a| {
            let mut s = summary(a);
            s["file"] = a["origin"]["file"].clone();
            s
        })
        .collect();
    let by_file = |file: &str| -> Vec<&str> {
        all.iter()
            .filter(|a| a["file"] == file)
            .filter_map(|a| a["name"].as_str())
            .collect()
    };
    // `NotIn [in-cluster]` on `akuity.io/argo-cd-cluster-name`: the Secret labelled so is left
    // out, the two without the label are in.
    assert_eq!(
        by_file("bootstrap/control-plane/clusters/clusters-appset.yaml"),
        ["cluster-prod-us", "cluster-staging-eu"]
    );
    // `aws_cluster_name DoesNotExist` (oss) vs `Exists` (aws): each cert-manager goes to one.
    assert_eq!(
        by_file("bootstrap/control-plane/addons/oss/addons-cert-manager-appset.yaml"),
        ["addon-prod-us-cert-manager"]
    );
    assert_eq!(
        by_file("bootstrap/control-plane/addons/aws/addons-aws-oss-cert-manager-appset.yaml"),
        ["addon-staging-eu-cert-manager"]
    );
    // `enable_cluster_autoscaler In ['true']` plus the `kubernetes_version` children.
    assert_eq!(
        by_file("bootstrap/control-plane/addons/aws/addons-aws-oss-cluster-autoscaler-appset.yaml"),
        ["addon-staging-eu-cluster-autoscaler"]
    );
    // An addon no cluster enables generates nothing.
    assert!(by_file("bootstrap/control-plane/addons/oss/addons-keda-appset.yaml").is_empty());
    let hub = all
        .iter()
        .find(|a| a["name"] == "addon-prod-us-aws-argo-cd")
        .expect("the argocd hub addon on prod-us");
    // goTemplate: `{{default "argocd" .metadata.annotations.argocd_namespace}}`.
    assert_eq!(hub["destination"]["namespace"], "argo");
    assert_eq!(
        hub["generator"],
        "merge[clusters prod-us + clusters prod-us]"
    );
    assert_eq!(hub["sources"][0]["ref"], "values");
    assert_eq!(hub["sources"][1]["targetRevision"], "6.6.0");
    // fasttemplate: an annotation the cluster lacks stays as written.
    let oss = all
        .iter()
        .find(|a| a["name"] == "addon-prod-us-cert-manager")
        .expect("oss cert-manager");
    assert_eq!(
        oss["destination"]["namespace"],
        "{{metadata.annotations.cert_manager_namespace}}"
    );
    insta::assert_json_snapshot!("gitops-bridge-clusters", all);
    // Untouched, the corpus holds no cluster Secret: only what selects the bare local cluster
    // generates anything (`clusters: {}` in the excluded test ApplicationSet).
    let plain = render(&corpus(BRIDGE));
    let generated_plain: Vec<&str> = plain["applications"]
        .as_array()
        .expect("applications")
        .iter()
        .filter(|a| a["origin"]["applicationSet"].is_string())
        .filter_map(|a| a["name"].as_str())
        .collect();
    assert_eq!(generated_plain, ["addon-in-cluster-test-appset"]);
}

const PLUGIN_APPSET: &str = r#"# Docs: "Plugin Generator".
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: myplugin
spec:
  goTemplate: true
  goTemplateOptions: ["missingkey=error"]
  generators:
    - plugin:
        configMapRef:
          name: my-plugin
        input:
          parameters:
            key1: "value1"
        requeueAfterSeconds: 30
  template:
    metadata:
      name: "myplugin"
    spec:
      project: "default"
      source:
        repoURL: https://github.com/example/example.git
        targetRevision: HEAD
        path: .
      destination:
        server: https://kubernetes.default.svc
        namespace: default
"#;

// Docs: "Generators": the SCM Provider, Pull Request, Cluster Decision Resource and Plugin
// generators ask a live service (an SCM API, a duck-typed resource in the cluster, a plugin's
// HTTP endpoint). Offline they are `not-rendered` notes naming the generator, never errors,
// and nothing is generated from them.
#[test]
fn network_only_generators_are_notes() {
    if common::skip_without_corpus() {
        return;
    }
    let tmp = tempfile::tempdir().expect("temporary directory");
    let examples = corpus(ARGO).join(EXAMPLES);
    for (rel, to) in [
        (
            "scm-provider-generator/scm-provider-example.yaml",
            "scm.yaml",
        ),
        (
            "pull-request-generator/pull-request-example.yaml",
            "pr.yaml",
        ),
        ("clusterDecisionResource/ducktype-example.yaml", "duck.yaml"),
    ] {
        std::fs::copy(examples.join(rel), tmp.path().join(to)).expect("copy example");
    }
    write(tmp.path(), "plugin.yaml", PLUGIN_APPSET);
    let out = run_in(tmp.path(), &["check", ".", "--format", "json"]);
    let v = json(&out);
    assert_eq!(out.code, 0, "{}", out.stdout);
    let mut found: Vec<(String, String, String)> = v["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["rule"] == "not-rendered")
        .map(|d| {
            (
                d["file"].as_str().unwrap_or("").to_string(),
                d["severity"].as_str().unwrap_or("").to_string(),
                d["message"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    found.sort();
    let expected = [
        ("duck.yaml", "clusterDecisionResource"),
        ("plugin.yaml", "plugin"),
        ("pr.yaml", "pullRequest"),
        ("scm.yaml", "scmProvider"),
    ];
    assert_eq!(found.len(), expected.len(), "{found:#?}");
    for ((file, severity, message), (want_file, generator)) in found.iter().zip(expected) {
        assert_eq!(file, want_file);
        assert_eq!(severity, "note", "{message}");
        assert!(
            message.contains(&format!("{generator} generator needs"))
                && message.ends_with("not evaluated offline"),
            "{message}"
        );
    }
    let rendered = render(tmp.path());
    assert_eq!(rendered["applications"], json!([]));
}

/// `(file, severity, message)` of every `not-rendered` finding `check` reports on a corpus that
/// is an error.
fn expansion_errors(name: &str) -> Vec<(String, String)> {
    let out = run_in(&corpus(name), &["check", ".", "--format", "json"]);
    let v = json(&out);
    v["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["rule"] == "not-rendered" && d["severity"] != "note")
        .map(|d| {
            (
                d["file"].as_str().unwrap_or("").to_string(),
                d["message"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

// Every ApplicationSet of both corpora expands, or is a note (a live-service generator, a
// repository that is not here). The error findings left are exactly those Argo CD itself
// fails on, each with its evidence:
//
// - `applicationset/examples/matrix/list-and-list.yaml`: `goTemplate` with
//   `goTemplateOptions: ["missingkey=error"]` and `path: '{{.path.path}}'`, but both children
//   are list generators and no element has `path`; Go's text/template then fails with
//   `map has no entry for key "path"` (docs: "Go Template" → "missingkey=error") for every
//   element: one cause, so one finding that names the first element and counts the rest. A genuinely broken example, copied from `list-and-git.yaml`: Argo CD's repository
//   later fixed it (`path: applicationset/examples/list-generator/guestbook/{{.cluster}}`,
//   namespace `{{.cluster}}-guestbook`). Its fasttemplate twin expands, because fasttemplate
//   leaves the unknown `{{path}}` as written.
// - `docs/operator-manual/applicationset.yaml` is the "ApplicationSet Specification" page:
//   "all the available fields of an ApplicationSet", a reference listing, not a deployable
//   ApplicationSet. Its placeholders for live-service generators are notes (the `plugin` and
//   `clusterDecisionResource` entries, whose fields are indented beside the generator key, are
//   still plugin and duck-type generators). Two entries Argo CD rejects stay errors:
//   generators[2], a git generator with `pathParamPrefix: myRepo` whose `values` use
//   `{{.path.basename}}` — with the prefix the parameter is `.myRepo.path`, and
//   `appendTemplatedValues` renders values with `missingkey=error` (applicationset/generators/
//   git.go, value_interpolation.go); and generators[6], `matrix: {generators: }` with no child
//   — the matrix generator returns `ErrLessThanTwoGenerators` ("found less than two
//   generators", applicationset/generators/matrix.go).
#[test]
fn corpus_appsets_expand_without_error_findings() {
    if common::skip_without_corpus() {
        return;
    }
    assert_eq!(expansion_errors(BRIDGE), Vec::<(String, String)>::new());
    let errors = expansion_errors(ARGO);
    let list_and_list: Vec<&str> = errors
        .iter()
        .filter(|(f, _)| f == "applicationset/examples/matrix/list-and-list.yaml")
        .map(|(_, m)| m.as_str())
        .collect();
    assert_eq!(list_and_list.len(), 1, "{errors:#?}");
    assert!(list_and_list.iter().all(|m| m.contains(
        "spec.source.path: template: 1:3: executing at <.path.path>: map has no entry for key \"path\" (and 3 more elements failing the same way"
    )));
    let reference: Vec<&str> = errors
        .iter()
        .filter(|(f, _)| f == "docs/operator-manual/applicationset.yaml")
        .map(|(_, m)| m.as_str())
        .collect();
    assert_eq!(
        reference,
        [
            "ApplicationSet `test-hello-world-appset` cannot be expanded: generators[2]: git.values.cluster: templating failed: template: 1:3: executing at <.path.basename>: map has no entry for key \"path\"",
            "ApplicationSet `test-hello-world-appset` cannot be expanded: generators[6]: matrix: a matrix combines exactly two child generators, found 0",
        ]
    );
    assert_eq!(
        errors.len(),
        list_and_list.len() + reference.len(),
        "{errors:#?}"
    );

    // The reference listing's live-service generators, as notes.
    let notes = notes_of(argo(), "docs/operator-manual/applicationset.yaml");
    for generator in [
        "scmProvider",
        "clusterDecisionResource",
        "pullRequest",
        "plugin",
    ] {
        assert!(
            notes
                .iter()
                .any(|n| n.contains(&format!(": {generator} generator needs"))),
            "{generator}: {notes:#?}"
        );
    }
    assert!(
        notes.iter().any(|n| n
            .contains("(its fields `configMapRef`, `input` sit beside `plugin:`, not under it")),
        "{notes:#?}"
    );
}

/// A one-element list ApplicationSet, `metadata.namespace` written only when given.
fn list_appset(name: &str, namespace: Option<&str>, app: &str) -> String {
    let namespace = namespace.map_or(String::new(), |n| format!("  namespace: {n}\n"));
    format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: {name}\n{namespace}spec:\n  goTemplate: true\n  generators:\n    - list:\n        elements:\n          - app: {app}\n  template:\n    metadata:\n      name: '{{{{.app}}}}'\n      namespace: elsewhere\n    spec:\n      project: default\n      source:\n        repoURL: https://git.example.com/other.git\n        path: apps\n      destination:\n        name: in-cluster\n        namespace: apps\n"
    )
}

// Docs: "ApplicationSet" → "Argo CD Integration": "All ApplicationSet resources and the
// ApplicationSet controller must be installed in the same namespace as Argo CD", and
// "Appset Any Namespace": "Applications generated by an ApplicationSet are generated in the same
// namespace as the ApplicationSet itself" (the controller sets `generatedApp.Namespace =
// applicationSet.Namespace`, whatever the template says). An ApplicationSet applied without
// `metadata.namespace` is applied into Argo CD's namespace (`kubectl apply -n argocd`), as an
// Application is: not into `default`.
#[test]
fn an_applicationset_without_a_namespace_is_in_argocds_namespace() {
    let tmp = tempfile::tempdir().expect("temporary directory");
    write(tmp.path(), "a.yaml", list_appset("team", None, "one"));
    write(
        tmp.path(),
        "b.yaml",
        list_appset("team", Some("argocd"), "two"),
    );
    let rendered = render(tmp.path());
    let objects: Vec<(&str, &str)> = rendered["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .map(|o| {
            (
                o["file"].as_str().unwrap_or(""),
                o["namespace"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(objects, [("a.yaml", "argocd"), ("b.yaml", "argocd")]);
    let apps: Vec<(&str, &str)> = rendered["applications"]
        .as_array()
        .expect("applications")
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap_or(""),
                a["namespace"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(apps, [("one", "argocd"), ("two", "argocd")]);
    // The two are one ApplicationSet to Argo CD, the second replacing the first: that finding is
    // `duplicate-application`'s case fixtures/duplicate-application/bad-applicationset-without-namespace.

    // With Argo CD in another namespace, that namespace.
    write(
        tmp.path(),
        ".manifest-guard.yaml",
        "argocd-namespace: gitops\n",
    );
    std::fs::remove_file(tmp.path().join("b.yaml")).expect("remove");
    let rendered = render(tmp.path());
    assert_eq!(rendered["objects"][0]["namespace"], "gitops");
    assert_eq!(rendered["applications"][0]["namespace"], "gitops");
}

/// A git files generator over `config/*.json` of the repository mapped to the tree.
const GIT_FILES_APPSET: &str = "apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: per-cluster
  namespace: argocd
spec:
  goTemplate: true
  generators:
    - git:
        repoURL: https://git.example.com/platform/gitops.git
        revision: HEAD
        files:
          - path: config/*.json
  template:
    metadata:
      name: '{{.cluster}}-app'
    spec:
      project: default
      source:
        repoURL: https://git.example.com/platform/gitops.git
        path: apps
      destination:
        name: in-cluster
        namespace: apps
";

// The git generator reads files of the repository; it reads them under the same size cap as the
// walk (`max-file-size`), so a huge file cannot make the check run out of memory. A file over it
// is a finding on the generator that reads it, naming the file, not a crash or a silent skip.
#[test]
fn git_generator_files_over_the_size_cap_are_findings_on_the_generator() {
    let tmp = tempfile::tempdir().expect("temporary directory");
    write(
        tmp.path(),
        ".manifest-guard.yaml",
        "max-file-size: 1000\nrepositories:\n  - url: https://git.example.com/platform/gitops.git\n    path: .\n",
    );
    write(tmp.path(), "appset.yaml", GIT_FILES_APPSET);
    write(tmp.path(), "config/a.json", "{\"cluster\": \"a\"}\n");
    let out = run_in(tmp.path(), &["render", ".", "--format", "json"]);
    assert_eq!(json(&out)["applications"][0]["name"], "a-app");

    let big = format!(
        "{{\"cluster\": \"b\", \"pad\": \"{}\"}}\n",
        "x".repeat(2000)
    );
    write(tmp.path(), "config/b.json", &big);
    let out = run_in(tmp.path(), &["check", ".", "--format", "json"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let v = json(&out);
    let found: Vec<(&str, &str, u64, &str)> = v["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["rule"] != "project-unrestricted")
        .map(|d| {
            (
                d["rule"].as_str().unwrap_or(""),
                d["file"].as_str().unwrap_or(""),
                d["line"].as_u64().unwrap_or(0),
                d["message"].as_str().unwrap_or(""),
            )
        })
        .collect();
    // The generator (line 9, `- git:`), and the walk's own finding on the file.
    assert_eq!(found.len(), 2, "{found:#?}");
    assert_eq!(found[0].0, "not-rendered", "{found:#?}");
    assert_eq!((found[0].1, found[0].2), ("appset.yaml", 9), "{found:#?}");
    let why = format!(
        "unable to process file `config/b.json`: the file is {} bytes, over the 1000-byte limit (`max-file-size`)",
        big.len()
    );
    assert!(found[0].3.contains(&why), "{found:#?}");
    assert_eq!(
        (found[1].0, found[1].1),
        ("unreadable-file", "config/b.json")
    );
}
