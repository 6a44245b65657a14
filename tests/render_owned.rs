//! `render --format json` on the real binary over small ApplicationSets of our own, written for
//! this test after the examples of Argo CD's documentation: what tests/render.rs pins on the
//! real-world corpus (argo-cd's `applicationset/examples/`, the gitops-bridge template), pinned
//! here too, so a fresh clone without the corpus still tests generator expansion end to end —
//! list, cluster (with and without a selector), git directories and files with excludes, matrix,
//! merge, generator templates, both templating modes, and live-service generators as notes.
//!
//! The repository is a temporary directory mapped to its URL in `.manifest-guard.yaml`
//! (`repositories:`), so the git generators read it as Argo CD reads its checkout.

mod common;

use std::path::Path;
use std::sync::OnceLock;

use serde_json::{Value, json};

use common::{json, run_in, write};

const REPO: &str = "https://git.example.com/org/gitops.git";

const CONFIG: &str = "\
repositories:
  - url: https://git.example.com/org/gitops.git
    path: .
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

/// An ApplicationSet `name` with `generators` and `template` (YAML, indented for `spec:`).
fn appset(name: &str, go: bool, generators: &str, template: &str) -> String {
    let mode = if go {
        "  goTemplate: true\n  goTemplateOptions: [\"missingkey=error\"]\n"
    } else {
        ""
    };
    format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: {name}\n  namespace: argocd\nspec:\n{mode}  generators:\n{generators}  template:\n{template}"
    )
}

/// A template: the Application's name, project, source path and destination, each a template.
fn template(name: &str, project: &str, path: &str, server: &str, namespace: &str) -> String {
    format!(
        "    metadata:\n      name: '{name}'\n    spec:\n      project: '{project}'\n      source:\n        repoURL: {REPO}\n        targetRevision: HEAD\n        path: '{path}'\n      destination:\n        server: '{server}'\n        namespace: '{namespace}'\n"
    )
}

/// The directories and files the git generators read, and the list ApplicationSets' twins.
fn repository(root: &Path) {
    write(root, ".manifest-guard.yaml", CONFIG);
    for dir in ["addons/metrics", "addons/logging", "addons/legacy"] {
        write(
            root,
            &format!("{dir}/cm.yaml"),
            format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {}\n",
                dir.rsplit('/').next().unwrap_or("x")
            ),
        );
    }
    for (env, address) in [("dev", "https://1.2.3.4"), ("prod", "https://2.4.6.8")] {
        write(
            root,
            &format!("clusters/{env}/config.json"),
            format!(
                "{{\"cluster\": {{\"name\": \"engineering-{env}\", \"address\": \"{address}\"}}, \"aws_account\": \"123456\"}}\n"
            ),
        );
    }
}

fn render(dir: &Path) -> Value {
    let out = run_in(dir, &["render", ".", "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    json(&out)
}

/// `(name, project, path, server, namespace, generator)` of every Application `file` generated.
fn generated(rendered: &Value, file: &str) -> Vec<Value> {
    rendered["applications"]
        .as_array()
        .expect("applications")
        .iter()
        .filter(|a| a["origin"]["file"] == file && a["origin"]["applicationSet"].is_string())
        .map(|a| {
            json!([
                a["name"],
                a["project"],
                a["sources"][0]["path"],
                a["destination"]["server"],
                a["destination"]["namespace"],
                a["origin"]["generator"],
            ])
        })
        .collect()
}

fn names(apps: &[Value]) -> Vec<&str> {
    apps.iter().filter_map(|a| a[0].as_str()).collect()
}

const GIT_DIRS_GO: &str = "    - git:
        repoURL: https://git.example.com/org/gitops.git
        revision: HEAD
        directories:
          - path: addons/*
          - path: addons/legacy
            exclude: true
";

const LIST_TWO: &str = "    - list:
        elements:
          - cluster: engineering-dev
            url: https://1.2.3.4
            values:
              project: dev
          - cluster: engineering-prod
            url: https://2.4.6.8
            values:
              project: prod
";

/// The repository with one ApplicationSet per generator kind, rendered once.
fn rendered() -> &'static Value {
    static RENDERED: OnceLock<(tempfile::TempDir, Value)> = OnceLock::new();
    &RENDERED
        .get_or_init(|| {
            let tmp = tempfile::tempdir().expect("temporary directory");
            let root = tmp.path();
            repository(root);
            write(
                root,
                "sets/list.yaml",
                appset(
                    "list",
                    true,
                    LIST_TWO,
                    &template(
                        "{{.cluster}}-guestbook",
                        "default",
                        "guestbook/{{.cluster}}",
                        "{{.url}}",
                        "guestbook",
                    ),
                ),
            );
            write(
                root,
                "sets/git-dirs.yaml",
                appset(
                    "git-dirs",
                    false,
                    GIT_DIRS_GO,
                    &template(
                        "{{path.basename}}",
                        "default",
                        "{{path}}",
                        "https://kubernetes.default.svc",
                        "{{path.basename}}",
                    ),
                ),
            );
            write(
                root,
                "sets/git-dirs-go-path.yaml",
                appset(
                    "git-dirs-go-path",
                    true,
                    GIT_DIRS_GO,
                    &template(
                        "go-{{.path.basename}}",
                        "default",
                        "{{.path}}",
                        "https://kubernetes.default.svc",
                        "{{.path.basename}}",
                    ),
                ),
            );
            write(
                root,
                "sets/git-files.yaml",
                appset(
                    "git-files",
                    true,
                    "    - git:\n        repoURL: https://git.example.com/org/gitops.git\n        revision: HEAD\n        files:\n          - path: clusters/**/config.json\n          - path: clusters/dev/config.json\n            exclude: true\n",
                    &template(
                        "{{.cluster.name}}-files",
                        "default",
                        "{{.path.path}}",
                        "{{.cluster.address}}",
                        "acct-{{.aws_account}}",
                    ),
                ),
            );
            write(
                root,
                "sets/matrix.yaml",
                appset(
                    "matrix",
                    true,
                    &format!(
                        "    - matrix:\n        generators:\n{}{}",
                        indent(GIT_DIRS_GO, 6),
                        indent(LIST_TWO, 6)
                    ),
                    &template(
                        "{{.path.basename}}-{{.cluster}}",
                        "{{.values.project}}",
                        "{{.path.path}}",
                        "{{.url}}",
                        "{{.path.basename}}",
                    ),
                ),
            );
            write(
                root,
                "sets/clusters.yaml",
                appset(
                    "clusters",
                    true,
                    "    - clusters: {}\n",
                    &template(
                        "{{.name}}-all",
                        "default",
                        "guestbook",
                        "{{.server}}",
                        "guestbook",
                    ),
                ),
            );
            write(
                root,
                "sets/matrix-selected.yaml",
                appset(
                    "matrix-selected",
                    true,
                    &format!(
                        "    - matrix:\n        generators:\n{}          - clusters:\n              selector:\n                matchLabels:\n                  argocd.argoproj.io/secret-type: cluster\n",
                        indent(GIT_DIRS_GO, 6)
                    ),
                    &template(
                        "{{.path.basename}}-on-{{.name}}",
                        "{{.metadata.labels.environment}}",
                        "{{.path.path}}",
                        "{{.server}}",
                        "{{.path.basename}}",
                    ),
                ),
            );
            write(
                root,
                "sets/merge.yaml",
                appset(
                    "merge",
                    false,
                    "    - merge:\n        mergeKeys: [server]\n        generators:\n          - clusters:\n              values:\n                kafka: 'true'\n          - list:\n              elements:\n                - server: https://1.2.3.4\n                  values.kafka: 'false'\n                - server: https://9.9.9.9\n                  values.kafka: 'never'\n",
                    &template(
                        "{{name}}-kafka-{{values.kafka}}",
                        "default",
                        "kafka",
                        "{{server}}",
                        "kafka",
                    ),
                ),
            );
            write(
                root,
                "sets/override.yaml",
                appset(
                    "override",
                    true,
                    "    - list:\n        elements:\n          - cluster: engineering-dev\n        template:\n          metadata: {}\n          spec:\n            project: ''\n            source:\n              repoURL: https://git.example.com/org/gitops.git\n              path: 'override/{{.cluster}}-override'\n            destination: {}\n",
                    &template(
                        "{{.cluster}}-override",
                        "default",
                        "base/{{.cluster}}",
                        "https://kubernetes.default.svc",
                        "guestbook",
                    ),
                ),
            );
            write(
                root,
                "sets/unknown-params.yaml",
                appset(
                    "unknown-params",
                    false,
                    "    - list:\n        elements:\n          - cluster: dev\n",
                    &template(
                        "{{cluster}}-unknown",
                        "{{values.project}}",
                        "{{.name}}",
                        "https://kubernetes.default.svc",
                        "ns",
                    ),
                ),
            );
            write(
                root,
                "sets/network.yaml",
                appset(
                    "network",
                    true,
                    "    - scmProvider:\n        github:\n          organization: myorg\n    - pullRequest:\n        github:\n          owner: myorg\n          repo: myrepo\n    - clusterDecisionResource:\n        configMapRef: my-configmap\n        name: quak\n    - plugin:\n        configMapRef:\n          name: my-plugin\n",
                    &template(
                        "{{.name}}-net",
                        "default",
                        "net",
                        "https://kubernetes.default.svc",
                        "net",
                    ),
                ),
            );
            write(
                root,
                "sets/missing-key.yaml",
                appset(
                    "missing-key",
                    true,
                    "    - list:\n        elements:\n          - cluster: dev\n",
                    &template(
                        "{{.cluster}}-missing",
                        "default",
                        "{{.path.path}}",
                        "https://kubernetes.default.svc",
                        "ns",
                    ),
                ),
            );
            let v = render(root);
            (tmp, v)
        })
        .1
}

fn indent(text: &str, by: usize) -> String {
    let pad = " ".repeat(by);
    text.lines()
        .map(|l| format!("{pad}{l}\n"))
        .collect::<String>()
}

// Docs: "List Generator": one Application per element, `{{.cluster}}` and `{{.url}}` passed in.
// Argo CD: applicationset/generators/list.go (GenerateParams).
#[test]
fn list_generator() {
    let apps = generated(rendered(), "sets/list.yaml");
    assert_eq!(
        apps,
        [
            json!([
                "engineering-dev-guestbook",
                "default",
                "guestbook/engineering-dev",
                "https://1.2.3.4",
                "guestbook",
                "list[0]"
            ]),
            json!([
                "engineering-prod-guestbook",
                "default",
                "guestbook/engineering-prod",
                "https://2.4.6.8",
                "guestbook",
                "list[1]"
            ]),
        ]
    );
}

// Docs: "Git Generator: Directories" → "Exclude directories": every directory matching
// `addons/*` but the excluded one; fasttemplate `{{path}}` and `{{path.basename}}`.
// Argo CD: applicationset/generators/git.go (generateParamsForGitDirectories).
#[test]
fn git_directories_with_exclude() {
    let apps = generated(rendered(), "sets/git-dirs.yaml");
    assert_eq!(
        apps,
        [
            json!([
                "logging",
                "default",
                "addons/logging",
                "https://kubernetes.default.svc",
                "logging",
                "git directories[addons/logging]"
            ]),
            json!([
                "metrics",
                "default",
                "addons/metrics",
                "https://kubernetes.default.svc",
                "metrics",
                "git directories[addons/metrics]"
            ]),
        ]
    );
}

// Docs: "Go Template": the git generator's `path` is a map; `{{.path}}` prints it as Go's
// text/template prints a map (`map[key:value ...]`, keys sorted).
#[test]
fn go_template_prints_the_path_map_as_go_does() {
    let apps = generated(rendered(), "sets/git-dirs-go-path.yaml");
    assert_eq!(names(&apps), ["go-logging", "go-metrics"]);
    assert_eq!(
        apps[0][2],
        "map[basename:logging basenameNormalized:logging path:addons/logging segments:[addons logging]]"
    );
}

// Docs: "Git Generator: Files": one parameter set per matching file, its JSON as parameters
// (`{{.cluster.name}}`), `{{.path.path}}` its directory; "Exclude files" drops the dev file.
#[test]
fn git_files_with_exclude() {
    let apps = generated(rendered(), "sets/git-files.yaml");
    assert_eq!(
        apps,
        [json!([
            "engineering-prod-files",
            "default",
            "clusters/prod",
            "https://2.4.6.8",
            "acct-123456",
            "git files[clusters/prod/config.json]"
        ])]
    );
}

// Docs: "Matrix Generator": every combination of the two children, the list's `values.project`
// as the project.
#[test]
fn matrix_of_git_directories_and_a_list() {
    let apps = generated(rendered(), "sets/matrix.yaml");
    let got: Vec<(&Value, &Value, &Value)> = apps.iter().map(|a| (&a[0], &a[1], &a[3])).collect();
    assert_eq!(
        got,
        [
            (
                &json!("logging-engineering-dev"),
                &json!("dev"),
                &json!("https://1.2.3.4")
            ),
            (
                &json!("logging-engineering-prod"),
                &json!("prod"),
                &json!("https://2.4.6.8")
            ),
            (
                &json!("metrics-engineering-dev"),
                &json!("dev"),
                &json!("https://1.2.3.4")
            ),
            (
                &json!("metrics-engineering-prod"),
                &json!("prod"),
                &json!("https://2.4.6.8")
            ),
        ]
    );
}

// Docs: "Cluster Generator": with no selector, every cluster Argo CD knows, the local
// `in-cluster` included; with a selector, only cluster Secrets match, so `in-cluster` (which has
// no Secret) is left out, and `{{.metadata.labels.environment}}` is the Secret's label.
// Argo CD: applicationset/generators/cluster.go (the local cluster is added only without a
// selector).
#[test]
fn cluster_generator_with_and_without_a_selector() {
    let all = generated(rendered(), "sets/clusters.yaml");
    assert_eq!(
        names(&all),
        ["in-cluster-all", "production-all", "staging-all"]
    );
    let selected = generated(rendered(), "sets/matrix-selected.yaml");
    let got: Vec<(&Value, &Value, &Value)> =
        selected.iter().map(|a| (&a[0], &a[1], &a[3])).collect();
    assert_eq!(
        got,
        [
            (
                &json!("logging-on-production"),
                &json!("production"),
                &json!("https://2.4.6.8")
            ),
            (
                &json!("logging-on-staging"),
                &json!("staging"),
                &json!("https://1.2.3.4")
            ),
            (
                &json!("metrics-on-production"),
                &json!("production"),
                &json!("https://2.4.6.8")
            ),
            (
                &json!("metrics-on-staging"),
                &json!("staging"),
                &json!("https://1.2.3.4")
            ),
        ]
    );
}

// Docs: "Merge Generator": the first child's sets are the base; a later set with the same merge
// key overrides its values; a later set matching no base set is discarded.
// Argo CD: applicationset/generators/merge.go.
#[test]
fn merge_overrides_on_the_merge_key_and_discards_the_rest() {
    let apps = generated(rendered(), "sets/merge.yaml");
    assert_eq!(
        names(&apps),
        [
            "in-cluster-kafka-true",
            "production-kafka-true",
            "staging-kafka-false"
        ]
    );
}

// Docs: "Template" → "Generator templates": the generator's template takes precedence over the
// spec's; what it leaves empty comes from `spec.template`.
#[test]
fn generator_template_overrides_the_spec_template() {
    let apps = generated(rendered(), "sets/override.yaml");
    assert_eq!(
        apps,
        [json!([
            "engineering-dev-override",
            "default",
            "override/engineering-dev-override",
            "https://kubernetes.default.svc",
            "guestbook",
            "list[0]"
        ])]
    );
}

// Fasttemplate leaves a parameter the generator does not provide as written (Argo CD's
// `Render.Replace` writes an unknown tag back), Go-looking tags included.
#[test]
fn fasttemplate_leaves_unknown_parameters_as_written() {
    let apps = generated(rendered(), "sets/unknown-params.yaml");
    assert_eq!(names(&apps), ["dev-unknown"]);
    assert_eq!(apps[0][1], "{{values.project}}");
    assert_eq!(apps[0][2], "{{.name}}");
}

// Docs: "Generators": SCM Provider, Pull Request, Cluster Decision Resource and Plugin
// generators need a live service; offline each is a `not-rendered` note naming it, never an
// error, and generates nothing.
#[test]
fn network_only_generators_are_notes() {
    assert!(generated(rendered(), "sets/network.yaml").is_empty());
    let notes: Vec<&str> = rendered()["notes"]
        .as_array()
        .expect("notes")
        .iter()
        .filter(|n| n["file"] == "sets/network.yaml")
        .filter_map(|n| n["message"].as_str())
        .collect();
    for generator in [
        "scmProvider",
        "pullRequest",
        "clusterDecisionResource",
        "plugin",
    ] {
        assert!(
            notes
                .iter()
                .any(|m| m.contains(&format!("{generator} generator needs"))),
            "{generator}: {notes:?}"
        );
    }
}

// Docs: "Go Template" → `missingkey=error`: a key no element has fails the expansion, as in
// Argo CD; `check` reports it as a `not-rendered` error on the ApplicationSet.
#[test]
fn a_missing_key_with_missingkey_error_is_an_error() {
    assert!(generated(rendered(), "sets/missing-key.yaml").is_empty());
    let tmp = tempfile::tempdir().expect("temporary directory");
    repository(tmp.path());
    write(
        tmp.path(),
        "set.yaml",
        appset(
            "missing-key",
            true,
            "    - list:\n        elements:\n          - cluster: dev\n",
            &template(
                "{{.cluster}}-missing",
                "default",
                "{{.path.path}}",
                "https://kubernetes.default.svc",
                "ns",
            ),
        ),
    );
    let out = run_in(tmp.path(), &["check", "set.yaml", "--format", "json"]);
    let v = json(&out);
    let errors: Vec<&str> = v["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["rule"] == "not-rendered" && d["severity"] == "error")
        .filter_map(|d| d["message"].as_str())
        .collect();
    assert_eq!(errors.len(), 1, "{}", out.stdout);
    assert!(
        errors[0].contains("map has no entry for key \"path\""),
        "{}",
        errors[0]
    );
}

// Docs: "Go Template": each example's goTemplate file and its fasttemplate twin generate the
// same Applications (`{{.path.path}}` in Go for `{{path}}` in fasttemplate).
#[test]
fn fasttemplate_and_go_template_twins_agree() {
    let mut results = Vec::new();
    for (go, t) in [
        (
            true,
            template(
                "{{.path.basename}}-{{.cluster}}",
                "{{.values.project}}",
                "{{.path.path}}",
                "{{.url}}",
                "{{.path.basename}}",
            ),
        ),
        (
            false,
            template(
                "{{path.basename}}-{{cluster}}",
                "{{values.project}}",
                "{{path}}",
                "{{url}}",
                "{{path.basename}}",
            ),
        ),
    ] {
        let tmp = tempfile::tempdir().expect("temporary directory");
        repository(tmp.path());
        write(
            tmp.path(),
            "set.yaml",
            appset(
                "twin",
                go,
                &format!(
                    "    - matrix:\n        generators:\n{}{}",
                    indent(GIT_DIRS_GO, 6),
                    indent(LIST_TWO, 6)
                ),
                &t,
            ),
        );
        results.push(generated(&render(tmp.path()), "set.yaml"));
    }
    assert_eq!(results[0].len(), 4);
    assert_eq!(results[0], results[1]);
}

/// A list ApplicationSet with a `templatePatch` (docs: "Templates" → "Template Patch").
const TEMPLATE_PATCH: &str = r#"apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: patched
  namespace: argocd
spec:
  goTemplate: true
  generators:
  - list:
      elements:
        - cluster: dev
          autoSync: true
          prune: true
        - cluster: prod
          autoSync: false
          prune: false
  template:
    metadata:
      name: '{{.cluster}}-patched'
    spec:
      project: default
      source:
        repoURL: https://git.example.com/org/gitops.git
        targetRevision: HEAD
        path: addons/metrics
      destination:
        server: https://kubernetes.default.svc
        namespace: patched
  templatePatch: |
    {{- if .autoSync }}
    spec:
      syncPolicy:
        automated:
          prune: {{ .prune }}
    {{- end }}
"#;

/// A git files generator feeding a list's `elementsYaml` through a matrix (docs: "List
/// Generator" → "Dynamically generated elements").
const ELEMENTS_YAML: &str = r#"apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: components
  namespace: argocd
spec:
  goTemplate: true
  generators:
  - matrix:
      generators:
        - git:
            repoURL: https://git.example.com/org/gitops.git
            revision: HEAD
            files:
              - path: components.yaml
        - list:
            elementsYaml: "{{ .key.components | toJson }}"
  template:
    metadata:
      name: '{{.name}}'
    spec:
      project: default
      source:
        repoURL: '{{.repoUrl}}'
        chart: '{{.chart}}'
        targetRevision: '{{.version}}'
      destination:
        server: https://kubernetes.default.svc
        namespace: '{{.name}}'
"#;

// Docs: "Templates" → "Template Patch": the rendered patch is merged into each generated
// Application, so only the element with `autoSync: true` gets an automated, pruning sync
// policy; for the other the patch renders to nothing, which leaves the Application as the
// template made it (Argo CD: applicationset/controllers/template/patch.go, applyTemplatePatch:
// the empty patch is JSON `null`, and a strategic merge of `null` changes nothing — this
// Application used to lose its name and everything else). Docs: "List Generator" → `elementsYaml`: one element per entry of the YAML list a
// template renders, here from a file the git generator reads.
#[test]
fn template_patch_and_elements_yaml() {
    let tmp = tempfile::tempdir().expect("temporary directory");
    repository(tmp.path());
    write(tmp.path(), "patched.yaml", TEMPLATE_PATCH);
    write(tmp.path(), "components-set.yaml", ELEMENTS_YAML);
    write(
        tmp.path(),
        "components.yaml",
        "key:\n  components:\n    - name: podinfo\n      chart: podinfo\n      version: 6.3.2\n      repoUrl: https://stefanprodan.github.io/podinfo\n    - name: redis\n      chart: redis\n      version: 19.0.0\n      repoUrl: https://charts.example.com\n",
    );
    let v = render(tmp.path());
    let apps = v["applications"].as_array().expect("applications");
    let patched: Vec<(&Value, &Value, &Value)> = apps
        .iter()
        .filter(|a| a["origin"]["file"] == "patched.yaml")
        .map(|a| {
            (
                &a["name"],
                &a["syncPolicy"]["automated"],
                &a["syncPolicy"]["prune"],
            )
        })
        .collect();
    assert_eq!(
        patched,
        [
            (&json!("dev-patched"), &json!(true), &json!(true)),
            (&json!("prod-patched"), &json!(false), &json!(false)),
        ]
    );
    let components: Vec<(&Value, &Value, &Value)> = apps
        .iter()
        .filter(|a| a["origin"]["file"] == "components-set.yaml")
        .map(|a| {
            (
                &a["name"],
                &a["sources"][0]["chart"],
                &a["sources"][0]["targetRevision"],
            )
        })
        .collect();
    assert_eq!(
        components,
        [
            (&json!("podinfo"), &json!("podinfo"), &json!("6.3.2")),
            (&json!("redis"), &json!("redis"), &json!("19.0.0")),
        ]
    );
}

/// Two cluster Secrets in the gitops-bridge style: labels to select on, annotations to
/// template from.
const BRIDGE_SECRETS: &str = r#"apiVersion: v1
kind: Secret
metadata:
  name: staging
  namespace: argocd
  labels:
    argocd.argoproj.io/secret-type: cluster
    environment: staging
    enable_cert_manager: "true"
  annotations:
    addons_repo_url: https://git.example.com/org/addons.git
stringData:
  name: staging
  server: https://staging.example.com
---
apiVersion: v1
kind: Secret
metadata:
  name: prod-aws
  namespace: argocd
  labels:
    argocd.argoproj.io/secret-type: cluster
    environment: prod
    enable_cert_manager: "true"
    aws_cluster_name: prod-eks
  annotations:
    addons_repo_url: https://git.example.com/org/addons.git
stringData:
  name: prod-aws
  server: https://prod.example.com
"#;

/// A gitops-bridge style addon set (fasttemplate): a merge of two cluster generators, the base
/// selecting with set-based requirements, the override refining one environment's values.
const BRIDGE_APPSET: &str = r#"apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: addons-cert-manager
  namespace: argocd
spec:
  syncPolicy:
    preserveResourcesOnDeletion: true
  generators:
    - merge:
        mergeKeys: [server]
        generators:
          - clusters:
              values:
                addonChart: cert-manager
                addonChartVersion: v1.14.3
              selector:
                matchExpressions:
                  - key: akuity.io/argo-cd-cluster-name
                    operator: NotIn
                    values: [in-cluster]
                  - key: enable_cert_manager
                    operator: In
                    values: ['true']
                  - key: aws_cluster_name
                    operator: DoesNotExist
          - clusters:
              selector:
                matchLabels:
                  environment: staging
              values:
                addonChartVersion: v1.15.0
  template:
    metadata:
      name: addon-{{name}}-{{values.addonChart}}
    spec:
      project: default
      sources:
        - repoURL: '{{metadata.annotations.addons_repo_url}}'
          targetRevision: HEAD
          ref: values
        - chart: '{{values.addonChart}}'
          repoURL: https://charts.jetstack.io
          targetRevision: '{{values.addonChartVersion}}'
      destination:
        namespace: cert-manager
        name: '{{name}}'
"#;

// Docs: "Cluster Generator" → "Label selector" (`matchExpressions` with `In`, `NotIn`,
// `DoesNotExist`, Kubernetes semantics: `NotIn` also matches a Secret without the label) and
// "Merge Generator" (a later child overriding `values` of the base sets it matches on
// `server`); fasttemplate's `{{metadata.annotations.<key>}}`. What tests/render.rs pins on the
// gitops-bridge control-plane template, on two Secrets and one ApplicationSet of our own: only
// staging gets cert-manager (prod is an AWS cluster, the local cluster has no Secret), at the
// staging override's version. Argo CD: applicationset/generators/cluster.go, merge.go.
#[test]
fn cluster_secrets_selected_by_set_based_requirements_and_merged() {
    let tmp = tempfile::tempdir().expect("temporary directory");
    write(tmp.path(), "clusters/secrets.yaml", BRIDGE_SECRETS);
    write(tmp.path(), "addons/cert-manager.yaml", BRIDGE_APPSET);
    let v = render(tmp.path());
    let apps: Vec<(&Value, &Value, &Value, &Value)> = v["applications"]
        .as_array()
        .expect("applications")
        .iter()
        .filter(|a| a["origin"]["file"] == "addons/cert-manager.yaml")
        .map(|a| {
            (
                &a["name"],
                &a["destination"]["server"],
                &a["sources"][0]["repoURL"],
                &a["sources"][1]["targetRevision"],
            )
        })
        .collect();
    assert_eq!(
        apps,
        [(
            &json!("addon-staging-cert-manager"),
            &json!("https://staging.example.com"),
            &json!("https://git.example.com/org/addons.git"),
            &json!("v1.15.0"),
        )]
    );
}
