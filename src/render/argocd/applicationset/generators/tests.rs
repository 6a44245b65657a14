//! Tests over real ApplicationSets: Argo CD's own `applicationset/examples/` (list, cluster,
//! git directory, git files, matrix, merge, and the network-bound ones) and the gitops-bridge
//! control-plane template (cluster generators selecting on Secret labels). The argo-cd corpus
//! folder stands in for the checkout of `https://github.com/argoproj/argo-cd.git`, since the
//! examples' git generators point at paths inside that repository.
//!
//! The corpus is not part of this repository: each test reads it from `MANIFEST_GUARD_CORPUS`
//! and is skipped (with a printed line) without it. The behaviour pinned here is also pinned on
//! small inputs of our own in `list.rs`, `cluster.rs`, `git.rs`, `matrix.rs`, `merge.rs` and
//! `selector.rs`.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::testkit::{DirRepo, TestContext, corpus, load_yaml_docs, secret};
use super::{Cluster, Element, Outcome, generate};

const ARGO_REPO: &str = "https://github.com/argoproj/argo-cd.git";
const ARGO: &str = "argoproj__argo-cd";
const BRIDGE: &str = "gitops-bridge-dev__gitops-bridge-argocd-control-plane-template";

/// A corpus folder the running test has already found with [`corpus`].
fn folder(name: &str) -> PathBuf {
    corpus(name).expect("the test checks for the corpus first")
}

fn argo_examples() -> PathBuf {
    folder(ARGO).join("applicationset/examples")
}

/// The ApplicationSets of a file.
fn appsets(path: &Path) -> Vec<Value> {
    load_yaml_docs(path)
        .into_iter()
        .filter(|d| d["kind"] == "ApplicationSet")
        .collect()
}

fn the_appset(rel: &str) -> Value {
    let path = argo_examples().join(rel);
    appsets(&path)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("{} holds no ApplicationSet", path.display()))
}

fn go_template(appset: &Value) -> bool {
    appset["spec"]["goTemplate"] == json!(true)
}

/// The two remote clusters the Argo CD docs use throughout, as cluster Secrets.
fn doc_clusters() -> Vec<Cluster> {
    vec![
        secret(
            "staging",
            "https://1.2.3.4",
            &[("environment", "staging"), ("use-kafka", "false")],
        ),
        secret(
            "production",
            "https://2.4.6.8",
            &[("environment", "production")],
        ),
    ]
}

fn argo_context(go: bool) -> TestContext {
    TestContext::mode(go)
        .with_clusters(doc_clusters())
        .with_repo(ARGO_REPO, DirRepo::new(&folder(ARGO)))
}

/// Evaluate every entry of `spec.generators`, concatenating elements.
fn evaluate(appset: &Value, ctx: &TestContext) -> Vec<Element> {
    let mut out = Vec::new();
    for generator in appset["spec"]["generators"].as_array().expect("generators") {
        match generate(generator, ctx).expect("generator evaluates") {
            Outcome::Elements(e) => out.extend(e),
            Outcome::Unavailable(r) => panic!("unavailable: {r}"),
        }
    }
    out
}

fn run_example(rel: &str) -> (bool, Vec<Element>) {
    let appset = the_appset(rel);
    let go = go_template(&appset);
    (go, evaluate(&appset, &argo_context(go)))
}

fn origins(elements: &[Element]) -> Vec<&str> {
    elements.iter().map(|e| e.origin.as_str()).collect()
}

fn param<'e>(element: &'e Element, go: bool, dotted: &str) -> &'e Value {
    if go {
        let mut v: Option<&Value> = None;
        for (i, part) in dotted.split('.').enumerate() {
            v = if i == 0 {
                element.params.get(part)
            } else {
                v.and_then(|v| v.get(part))
            };
        }
        v.unwrap_or(&Value::Null)
    } else {
        element.params.get(dotted).unwrap_or(&Value::Null)
    }
}

// Docs: "List Generator" (the example is applicationset/examples/list-generator).
#[test]
fn list_examples() {
    if corpus(ARGO).is_none() {
        return;
    }
    for rel in [
        "list-generator/list-example.yaml",
        "list-generator/list-example-fasttemplate.yaml",
    ] {
        let (_, got) = run_example(rel);
        let params: Vec<Value> = got.into_iter().map(|e| Value::Object(e.params)).collect();
        assert_eq!(
            params,
            vec![
                json!({"cluster": "engineering-dev", "url": "https://kubernetes.default.svc"}),
                json!({"cluster": "engineering-prod", "url": "https://kubernetes.default.svc"}),
            ],
            "{rel}"
        );
    }
}

// Docs: "List Generator" → "Dynamically generated elements": a git files generator feeding
// `elementsYaml: "{{ .key.components | toJson }}"` through a matrix, over the example file
// list-generator/list-elementsYaml-example.yaml.
#[test]
fn list_elements_yaml_doc_example() {
    if corpus(ARGO).is_none() {
        return;
    }
    let appset = json!({"spec": {"goTemplate": true, "generators": [{"matrix": {"generators": [
        {"git": {"repoURL": ARGO_REPO, "revision": "HEAD", "files": [
            {"path": "applicationset/examples/list-generator/list-elementsYaml-example.yaml"}]}},
        {"list": {"elements": [], "elementsYaml": "{{ .key.components | toJson }}"}}
    ]}}]}});
    let got = evaluate(&appset, &argo_context(true));
    let names: Vec<(&Value, &Value, &Value)> = got
        .iter()
        .map(|e| {
            (
                &e.params["name"],
                &e.params["version"],
                &e.params["repoUrl"],
            )
        })
        .collect();
    assert_eq!(
        names,
        vec![
            (
                &json!("component1"),
                &json!("6.3.2"),
                &json!("https://stefanprodan.github.io/podinfo")
            ),
            (
                &json!("component2"),
                &json!("6.3.3"),
                &json!("ghcr.io/stefanprodan/charts")
            ),
        ]
    );
    assert_eq!(
        got[0].params["path"]["path"],
        "applicationset/examples/list-generator"
    );
}

// Docs: "Cluster Generator": `clusters: {}` uses every cluster, the local one included.
#[test]
fn cluster_examples() {
    if corpus(ARGO).is_none() {
        return;
    }
    for rel in [
        "cluster/cluster-example.yaml",
        "cluster/cluster-example-fasttemplate.yaml",
    ] {
        let (go, got) = run_example(rel);
        assert_eq!(
            origins(&got),
            vec![
                "clusters[in-cluster]",
                "clusters[staging]",
                "clusters[production]"
            ],
            "{rel}"
        );
        assert_eq!(param(&got[2], go, "server"), "https://2.4.6.8");
        assert_eq!(
            param(&got[1], go, "metadata.labels.environment"),
            "staging",
            "{rel}"
        );
    }
}

// Docs: "Git Generator: Directories" (applicationset/examples/git-generator-directory).
#[test]
fn git_directory_examples() {
    if corpus(ARGO).is_none() {
        return;
    }
    for rel in [
        "git-generator-directory/git-directories-example.yaml",
        "git-generator-directory/git-directories-example-fasttemplate.yaml",
    ] {
        let (go, got) = run_example(rel);
        let base = "applicationset/examples/git-generator-directory/cluster-addons";
        assert_eq!(
            origins(&got),
            vec![
                format!("git directories[{base}/argo-workflows]"),
                format!("git directories[{base}/prometheus-operator]"),
            ],
            "{rel}"
        );
        let path_key = if go { "path.path" } else { "path" };
        assert_eq!(
            param(&got[1], go, path_key),
            &json!(format!("{base}/prometheus-operator"))
        );
        assert_eq!(
            param(&got[1], go, "path.basename"),
            "prometheus-operator",
            "{rel}"
        );
        if go {
            assert_eq!(got[0].params["path"]["segments"][0], "applicationset");
        } else {
            assert_eq!(got[0].params["path[0]"], "applicationset");
            assert_eq!(got[0].params["path[3]"], "cluster-addons");
        }
    }
}

// Docs: "Git Generator: Directories" → "Exclude directories"
// (git-generator-directory/excludes): `exclude-helm-guestbook` is left out.
#[test]
fn git_directory_exclude_examples() {
    if corpus(ARGO).is_none() {
        return;
    }
    for rel in [
        "git-generator-directory/excludes/git-directories-exclude-example.yaml",
        "git-generator-directory/excludes/git-directories-exclude-example-fasttemplate.yaml",
    ] {
        let (go, got) = run_example(rel);
        let basenames: Vec<&Value> = got.iter().map(|e| param(e, go, "path.basename")).collect();
        assert_eq!(
            basenames,
            vec![&json!("argo-workflows"), &json!("prometheus-operator")],
            "{rel}"
        );
    }
}

// Docs: "Git Generator: Files" (applicationset/examples/git-generator-files-discovery): one set
// per config.json, its JSON flattened, plus the path parameters.
#[test]
fn git_files_examples() {
    if corpus(ARGO).is_none() {
        return;
    }
    for rel in [
        "git-generator-files-discovery/git-generator-files.yaml",
        "git-generator-files-discovery/git-generator-files-fasttemplate.yaml",
    ] {
        let (go, got) = run_example(rel);
        assert_eq!(got.len(), 2, "{rel}");
        let names: Vec<&Value> = got.iter().map(|e| param(e, go, "cluster.name")).collect();
        assert_eq!(
            names,
            vec![&json!("engineering-dev"), &json!("engineering-prod")]
        );
        assert_eq!(param(&got[0], go, "cluster.address"), "http://1.2.3.4");
        assert_eq!(param(&got[0], go, "aws_account"), "123456");
        let path_key = if go { "path.path" } else { "path" };
        assert_eq!(
            param(&got[1], go, path_key),
            "applicationset/examples/git-generator-files-discovery/cluster-config/engineering/prod"
        );
        assert_eq!(param(&got[1], go, "path.basename"), "prod");
        assert_eq!(param(&got[1], go, "path.filename"), "config.json");
    }
}

// Docs: "Git Generator: Files" with `exclude: true` entries
// (git-generator-files-discovery/excludes): the dev config is excluded.
#[test]
fn git_files_exclude_examples() {
    if corpus(ARGO).is_none() {
        return;
    }
    for rel in [
        "git-generator-files-discovery/excludes/git-files-exclude-example.yaml",
        "git-generator-files-discovery/excludes/git-files-exclude-example-fasttemplate.yaml",
    ] {
        let (go, got) = run_example(rel);
        assert_eq!(got.len(), 1, "{rel}");
        assert_eq!(param(&got[0], go, "cluster.name"), "engineering-prod");
    }
}

// Docs: "Matrix Generator" → "Example: Git Directory generator + Cluster generator" (matrix/
// cluster-and-git): the selector on the Secret type label leaves the local cluster out.
#[test]
fn matrix_cluster_and_git_examples() {
    if corpus(ARGO).is_none() {
        return;
    }
    for rel in [
        "matrix/cluster-and-git.yaml",
        "matrix/cluster-and-git-fasttemplate.yaml",
    ] {
        let (go, got) = run_example(rel);
        let base = "applicationset/examples/matrix/cluster-addons";
        assert_eq!(
            origins(&got),
            vec![
                format!("matrix[git directories {base}/argo-workflows × clusters staging]"),
                format!("matrix[git directories {base}/argo-workflows × clusters production]"),
                format!("matrix[git directories {base}/prometheus-operator × clusters staging]"),
                format!("matrix[git directories {base}/prometheus-operator × clusters production]"),
            ],
            "{rel}"
        );
        assert_eq!(
            param(&got[3], go, "metadata.labels.environment"),
            "production"
        );
        assert_eq!(param(&got[3], go, "path.basename"), "prometheus-operator");
    }
}

// matrix/list-and-git: directories × list elements with `values.project`.
#[test]
fn matrix_list_and_git_examples() {
    if corpus(ARGO).is_none() {
        return;
    }
    for rel in [
        "matrix/list-and-git.yaml",
        "matrix/list-and-git-fasttemplate.yaml",
    ] {
        let (go, got) = run_example(rel);
        assert_eq!(got.len(), 4, "{rel}");
        let summary: Vec<(&Value, &Value)> = got
            .iter()
            .map(|e| {
                (
                    param(e, go, "path.basename"),
                    param(e, go, "values.project"),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (&json!("argo-workflows"), &json!("dev")),
                (&json!("argo-workflows"), &json!("prod")),
                (&json!("prometheus-operator"), &json!("dev")),
                (&json!("prometheus-operator"), &json!("prod")),
            ],
            "{rel}"
        );
    }
}

// matrix/list-and-list: both children set `values.*`; goTemplate merges the `values` maps.
#[test]
fn matrix_list_and_list_examples() {
    if corpus(ARGO).is_none() {
        return;
    }
    for rel in [
        "matrix/list-and-list.yaml",
        "matrix/list-and-list-fasttemplate.yaml",
    ] {
        let (go, got) = run_example(rel);
        let summary: Vec<(&Value, &Value, &Value)> = got
            .iter()
            .map(|e| {
                (
                    param(e, go, "cluster"),
                    param(e, go, "values.project"),
                    param(e, go, "values.suffix"),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (&json!("engineering-dev"), &json!("default"), &json!("1")),
                (&json!("engineering-dev"), &json!("default"), &json!("2")),
                (&json!("engineering-prod"), &json!("default"), &json!("1")),
                (&json!("engineering-prod"), &json!("default"), &json!("2")),
            ],
            "{rel}"
        );
    }
}

// matrix/matrix-and-union-in-matrix: a merge (base dev+prod, test dropped) × a nested matrix.
#[test]
fn matrix_and_union_in_matrix_examples() {
    if corpus(ARGO).is_none() {
        return;
    }
    for rel in [
        "matrix/matrix-and-union-in-matrix.yaml",
        "matrix/matrix-and-union-in-matrix-fasttemplate.yaml",
    ] {
        let (go, got) = run_example(rel);
        let summary: Vec<String> = got
            .iter()
            .map(|e| {
                format!(
                    "{}-{}-{}",
                    param(e, go, "values.prefix").as_str().unwrap_or("?"),
                    param(e, go, "cluster").as_str().unwrap_or("?"),
                    param(e, go, "values.suffix").as_str().unwrap_or("?"),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                "first-engineering-dev-1",
                "second-engineering-dev-1",
                "first-engineering-dev-2",
                "second-engineering-dev-2",
                "first-engineering-prod-1",
                "second-engineering-prod-1",
                "first-engineering-prod-2",
                "second-engineering-prod-2",
            ],
            "{rel}"
        );
        assert!(
            got.iter()
                .all(|e| param(e, go, "values.project") == "default"),
            "{rel}"
        );
    }
}

// Docs: "Merge Generator" (merge/merge-clusters-and-list): the override cluster generator turns
// Kafka off for `use-kafka: 'false'` clusters; the list's server matches no cluster, so it is
// discarded.
#[test]
fn merge_clusters_and_list_examples() {
    if corpus(ARGO).is_none() {
        return;
    }
    for rel in [
        "merge/merge-clusters-and-list.yaml",
        "merge/merge-clusters-and-list-fasttemplate.yaml",
    ] {
        let (go, got) = run_example(rel);
        let summary: Vec<(&Value, &Value, &Value)> = got
            .iter()
            .map(|e| {
                (
                    param(e, go, "name"),
                    param(e, go, "values.kafka"),
                    param(e, go, "values.redis"),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (&json!("in-cluster"), &json!("true"), &json!("false")),
                (&json!("staging"), &json!("false"), &json!("false")),
                (&json!("production"), &json!("true"), &json!("false")),
            ],
            "{rel}"
        );
    }
}

// merge/merge-two-matrixes: (clusters × environments) merged on server+environment with one
// override. In fasttemplate mode `values.replicaCount` is one flat key, so the override wins; in
// goTemplate mode the list's literal `values.replicaCount` key sits beside the `values` map,
// which keeps '2' (the example's template reads `.values.replicaCount`).
#[test]
fn merge_two_matrixes_examples() {
    if corpus(ARGO).is_none() {
        return;
    }
    for rel in [
        "merge/merge-two-matrixes.yaml",
        "merge/merge-two-matrixes-fasttemplate.yaml",
    ] {
        let (go, got) = run_example(rel);
        assert_eq!(got.len(), 6, "{rel}");
        let local_staging = got
            .iter()
            .find(|e| {
                e.params["server"] == "https://kubernetes.default.svc"
                    && e.params["environment"] == "staging"
            })
            .expect("in-cluster staging");
        assert_eq!(local_staging.params["namespace"], "guestbook-non-prod");
        assert_eq!(local_staging.params["values.replicaCount"], "1");
        if go {
            assert_eq!(local_staging.params["values"]["replicaCount"], "2");
        }
        let others = got
            .iter()
            .filter(|e| !std::ptr::eq(*e, local_staging))
            .all(|e| param(e, go, "values.replicaCount") == "2");
        assert!(others, "{rel}");
    }
}

/// Every ApplicationSet under a directory.
fn all_appsets(dir: &Path) -> Vec<(PathBuf, Value)> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                let text = std::fs::read_to_string(&path).expect("read");
                if text.contains("kind: ApplicationSet") {
                    for appset in appsets(&path) {
                        found.push((path.clone(), appset));
                    }
                }
            }
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found
}

// Every ApplicationSet in Argo CD's examples evaluates: elements, or "not available offline" for
// the SCM provider, pull request and cluster decision resource generators, and for the design
// documents' git generators pointing at repositories other than argo-cd — never an error.
#[test]
fn every_argo_example_evaluates() {
    if corpus(ARGO).is_none() {
        return;
    }
    let mut unavailable = Vec::new();
    let mut evaluated = 0;
    for (path, appset) in all_appsets(&argo_examples()) {
        let ctx = argo_context(go_template(&appset));
        for generator in appset["spec"]["generators"].as_array().expect("generators") {
            match generate(generator, &ctx) {
                Ok(Outcome::Elements(_)) => evaluated += 1,
                Ok(Outcome::Unavailable(reason)) => unavailable.push(reason),
                Err(e) => panic!("{}: {e}", path.display()),
            }
        }
    }
    assert!(evaluated >= 30, "{evaluated} evaluated");
    for reason in &unavailable {
        assert!(
            ["scmProvider", "pullRequest", "clusterDecisionResource"]
                .iter()
                .any(|g| reason.starts_with(&format!("{g} generator needs")))
                || (reason.starts_with("git generator needs a checkout of")
                    && !reason.contains(ARGO_REPO)),
            "{reason}"
        );
    }
    assert!(unavailable.len() >= 6, "{unavailable:?}");
}

/// A small fleet for the gitops-bridge template: the hub (`in-cluster`, labelled as the hub by
/// `akuity.io/argo-cd-cluster-name`), and three workload clusters.
fn bridge_fleet() -> Vec<Cluster> {
    let mut hub = secret(
        "in-cluster",
        "https://kubernetes.default.svc",
        &[
            ("akuity.io/argo-cd-cluster-name", "in-cluster"),
            ("environment", "control-plane"),
            ("enable_cert_manager", "true"),
        ],
    );
    hub.annotations
        .insert("addons_repo_basepath".to_string(), "".to_string());
    vec![
        hub,
        secret(
            "staging",
            "https://staging.example",
            &[
                ("environment", "staging"),
                ("enable_cert_manager", "true"),
                ("enable_metrics_server", "true"),
            ],
        ),
        secret(
            "prod",
            "https://prod.example",
            &[
                ("environment", "prod"),
                ("enable_cert_manager", "true"),
                ("enable_aws_load_balancer_controller", "true"),
                ("aws_cluster_name", "prod-eks"),
            ],
        ),
        secret(
            "dev",
            "https://dev.example",
            &[("environment", "dev"), ("enable_cert_manager", "false")],
        ),
    ]
}

fn bridge_dir() -> PathBuf {
    folder(BRIDGE)
}

fn bridge(rel: &str) -> (bool, Vec<Element>) {
    let path = bridge_dir().join(rel);
    let appset = appsets(&path)
        .into_iter()
        .next()
        .expect("an ApplicationSet");
    let go = go_template(&appset);
    let ctx = TestContext::mode(go).with_clusters(bridge_fleet());
    (go, evaluate(&appset, &ctx))
}

// Docs: "Cluster Generator" → "Label selector" (set-based requirements) and "Merge Generator":
// cert-manager goes to clusters with `enable_cert_manager: 'true'`, not the hub
// (`NotIn [in-cluster]`), and not AWS clusters (`aws_cluster_name DoesNotExist`); the staging and
// prod overrides only refine clusters the base selected.
#[test]
fn gitops_bridge_cert_manager() {
    if corpus(BRIDGE).is_none() {
        return;
    }
    let (go, got) = bridge("bootstrap/control-plane/addons/oss/addons-cert-manager-appset.yaml");
    assert!(!go);
    assert_eq!(
        origins(&got),
        vec!["merge[clusters staging + clusters staging]"]
    );
    let e = &got[0];
    assert_eq!(e.params["values.addonChart"], "cert-manager");
    assert_eq!(e.params["values.addonChartVersion"], "v1.14.3");
    assert_eq!(
        e.params["values.addonChartRepository"],
        "https://charts.jetstack.io"
    );
}

// The AWS load balancer controller has no DoesNotExist: the prod (AWS) cluster gets it.
#[test]
fn gitops_bridge_aws_load_balancer_controller() {
    if corpus(BRIDGE).is_none() {
        return;
    }
    let (_, got) = bridge(
        "bootstrap/control-plane/addons/aws/addons-aws-load-balancer-controller-appset.yaml",
    );
    assert_eq!(origins(&got), vec!["merge[clusters prod + clusters prod]"]);
    assert_eq!(got[0].params["values.addonChartVersion"], "1.7.1");
}

// The goTemplate variant nests `values`, and selects the same way.
#[test]
fn gitops_bridge_go_template_appset() {
    if corpus(BRIDGE).is_none() {
        return;
    }
    let (go, got) = bridge("bootstrap/control-plane/addons/oss/addons-ingress-nginx-appset.yaml");
    assert!(go);
    // No cluster in the fleet enables ingress-nginx.
    assert!(got.is_empty());
    let path =
        bridge_dir().join("bootstrap/control-plane/addons/oss/addons-ingress-nginx-appset.yaml");
    let appset = appsets(&path).into_iter().next().expect("appset");
    let mut fleet = bridge_fleet();
    fleet[1]
        .labels
        .insert("enable_ingress_nginx".to_string(), "true".to_string());
    let got = evaluate(&appset, &TestContext::go().with_clusters(fleet));
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0].params["values"],
        json!({"addonChart": "ingress-nginx", "addonChartVersion": "4.10.0",
               "addonChartRepository": "https://kubernetes.github.io/ingress-nginx"})
    );
    assert_eq!(
        got[0].params["metadata"]["labels"]["environment"],
        "staging"
    );
}

// The clusters ApplicationSet targets every workload cluster, never the hub.
#[test]
fn gitops_bridge_clusters_appset() {
    if corpus(BRIDGE).is_none() {
        return;
    }
    let (_, got) = bridge("bootstrap/control-plane/clusters/clusters-appset.yaml");
    assert_eq!(
        origins(&got),
        vec!["clusters[staging]", "clusters[prod]", "clusters[dev]"]
    );
}

// The excluded test ApplicationSet: a list × `clusters: {}` matrix, the hub included.
#[test]
fn gitops_bridge_matrix_appset() {
    if corpus(BRIDGE).is_none() {
        return;
    }
    let (_, got) = bridge("hack/exclude/addons-test-appset.yaml");
    assert_eq!(got.len(), 4);
    assert!(got.iter().all(|e| e.params["addonChart"] == "test-appset"));
    assert_eq!(got[0].params["name"], "in-cluster");
}

// Every ApplicationSet of the template evaluates without error against the fleet.
#[test]
fn every_gitops_bridge_appset_evaluates() {
    if corpus(BRIDGE).is_none() {
        return;
    }
    let found = all_appsets(&bridge_dir());
    assert!(found.len() >= 50, "{} ApplicationSets", found.len());
    for (path, appset) in found {
        let ctx = TestContext::mode(go_template(&appset)).with_clusters(bridge_fleet());
        for generator in appset["spec"]["generators"].as_array().expect("generators") {
            match generate(generator, &ctx) {
                Ok(Outcome::Elements(elements)) => {
                    // No addon is ever placed on the hub by a selector excluding it.
                    let text =
                        serde_json::to_string(&appset["spec"]["generators"]).expect("serialise");
                    if text.contains("\"NotIn\"") {
                        assert!(
                            elements.iter().all(|e| e.params["name"] != "in-cluster"),
                            "{}",
                            path.display()
                        );
                    }
                }
                Ok(Outcome::Unavailable(r)) => panic!("{}: unavailable: {r}", path.display()),
                Err(e) => panic!("{}: {e}", path.display()),
            }
        }
    }
}
