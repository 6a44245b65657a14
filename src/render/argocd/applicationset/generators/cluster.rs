//! The Cluster generator: one parameter set per cluster Secret matching the selector (`name`,
//! `nameNormalized`, `server`, `project`, the Secret's labels and annotations, then the
//! templated `values`), plus the local `in-cluster` when no selector is set and no Secret already
//! describes it; or, with `flatList`, a single set holding them all under `clusters`.

use std::collections::BTreeMap;

use serde_json::Value;

use super::selector::{self, ValueRule};
use super::{
    Cluster, Context, GeneratorError, Item, Params, append_values, join, malformed, sanitize_name,
    spec_object, string_map,
};

/// The label every cluster Secret carries; Argo CD adds it to the generator's selector.
pub(super) const SECRET_TYPE_LABEL: &str = "argocd.argoproj.io/secret-type";
pub(super) const SECRET_TYPE_CLUSTER: &str = "cluster";
/// The local cluster Argo CD lists when it has no Secret.
pub(super) const IN_CLUSTER_NAME: &str = "in-cluster";
pub(super) const IN_CLUSTER_SERVER: &str = "https://kubernetes.default.svc";

pub(super) fn generate(
    spec: &Value,
    ctx: &dyn Context,
    at: &str,
) -> Result<Vec<Item>, GeneratorError> {
    let obj = spec_object(spec, at)?;
    let written_selector = obj.and_then(|o| o.get("selector"));
    let mut sel = match written_selector {
        Some(s) => selector::parse(s, &join(at, "selector"), ValueRule::Label)?,
        None => selector::Selector::default(),
    };
    sel.require(SECRET_TYPE_LABEL, SECRET_TYPE_CLUSTER);
    let values = string_map(obj, "values", at)?;
    let flat_list = match obj.and_then(|o| o.get("flatList")) {
        None | Some(Value::Null) => false,
        // `flatList: yes` is a bool to Argo CD's YAML decoder, as `true` is.
        Some(v) => match crate::load::yaml::go_bool(v) {
            Some(b) => b,
            None => return Err(malformed(&join(at, "flatList"), "must be true or false")),
        },
    };
    // "Since local clusters do not have secrets, they do not have labels to match against":
    // any selector term leaves the local cluster out.
    let ignore_local = selector::has_terms(written_selector);

    // Cluster Secrets matching the selector, one per cluster name (Argo CD keys them by name, so
    // a later Secret with the same name replaces an earlier one).
    let mut secrets: Vec<&Cluster> = Vec::new();
    let mut by_name: BTreeMap<&str, usize> = BTreeMap::new();
    for cluster in ctx.clusters() {
        if !sel.matches(&cluster.labels) {
            continue;
        }
        match by_name.get(cluster.name.as_str()) {
            Some(&i) => secrets[i] = cluster,
            None => {
                by_name.insert(&cluster.name, secrets.len());
                secrets.push(cluster);
            }
        }
    }

    let mut items = Vec::new();
    if !ignore_local && !secrets.iter().any(|c| c.server == IN_CLUSTER_SERVER) {
        let mut params = Params::new();
        params.insert("name".into(), IN_CLUSTER_NAME.into());
        // Argo CD passes the constant name here, not a normalised one.
        params.insert("nameNormalized".into(), IN_CLUSTER_NAME.into());
        params.insert("server".into(), IN_CLUSTER_SERVER.into());
        params.insert("project".into(), "".into());
        let mut item = Item::new(params, format!("clusters[{IN_CLUSTER_NAME}]"));
        append_values(&values, &mut item, ctx, at)?;
        items.push(item);
    }
    for cluster in secrets {
        let mut item = secret_params(cluster, ctx.go_template());
        append_values(&values, &mut item, ctx, at)?;
        items.push(item);
    }

    if flat_list {
        let clusters: Vec<Value> = items
            .into_iter()
            .map(|i| Value::Object(i.element.params))
            .collect();
        let mut params = Params::new();
        params.insert("clusters".into(), Value::Array(clusters));
        let mut item = Item::new(params, "clusters[flatList]".to_string());
        // A Go []map[string]any, which the post selector's flattening does not descend into.
        item.opaque.push("clusters".to_string());
        return Ok(vec![item]);
    }
    Ok(items)
}

fn secret_params(cluster: &Cluster, go_template: bool) -> Item {
    let mut params = Params::new();
    params.insert("name".into(), cluster.name.clone().into());
    params.insert("nameNormalized".into(), sanitize_name(&cluster.name).into());
    params.insert("server".into(), cluster.server.clone().into());
    params.insert("project".into(), cluster.project.clone().into());
    let mut opaque = Vec::new();
    let to_map = |m: &BTreeMap<String, String>| -> Value {
        Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect(),
        )
    };
    if go_template {
        // `metadata` is always there; `labels`/`annotations` only when non-empty, as in Argo CD.
        let mut meta = Params::new();
        if !cluster.annotations.is_empty() {
            meta.insert("annotations".into(), to_map(&cluster.annotations));
            opaque.push("metadata.annotations".to_string());
        }
        if !cluster.labels.is_empty() {
            meta.insert("labels".into(), to_map(&cluster.labels));
            opaque.push("metadata.labels".to_string());
        }
        params.insert("metadata".into(), Value::Object(meta));
    } else {
        for (k, v) in &cluster.annotations {
            params.insert(format!("metadata.annotations.{k}"), v.clone().into());
        }
        for (k, v) in &cluster.labels {
            params.insert(format!("metadata.labels.{k}"), v.clone().into());
        }
    }
    let mut item = Item::new(params, format!("clusters[{}]", cluster.name));
    item.opaque = opaque;
    item
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::super::testkit::{TestContext, cluster, secret};
    use super::super::{Outcome, generate};

    fn run(spec: Value, ctx: &TestContext) -> Vec<(String, Value)> {
        match generate(&spec, ctx).expect("generates") {
            Outcome::Elements(e) => e
                .into_iter()
                .map(|e| (e.origin, Value::Object(e.params)))
                .collect(),
            Outcome::Unavailable(r) => panic!("unavailable: {r}"),
        }
    }

    fn origins(got: &[(String, Value)]) -> Vec<&str> {
        got.iter().map(|(o, _)| o.as_str()).collect()
    }

    // Docs: "Cluster Generator": parameters `name`, `nameNormalized`, `server`, `project` (''
    // when absent), `metadata.labels.<key>`, `metadata.annotations.<key>`.
    #[test]
    fn fasttemplate_parameters_are_flat() {
        let mut staging = secret("my_Staging", "https://1.2.3.4", &[("env", "staging")]);
        staging
            .annotations
            .insert("owner".to_string(), "team-a".to_string());
        staging.project = "platform".to_string();
        let ctx = TestContext::fast().with_clusters(vec![staging]);
        let got = run(json!({"clusters": {}}), &ctx);
        assert_eq!(
            origins(&got),
            vec!["clusters[in-cluster]", "clusters[my_Staging]"]
        );
        assert_eq!(
            got[1].1,
            json!({
                "name": "my_Staging",
                "nameNormalized": "my-staging",
                "server": "https://1.2.3.4",
                "project": "platform",
                "metadata.annotations.owner": "team-a",
                "metadata.labels.argocd.argoproj.io/secret-type": "cluster",
                "metadata.labels.env": "staging"
            })
        );
        assert_eq!(
            got[0].1,
            json!({"name": "in-cluster", "nameNormalized": "in-cluster",
                   "server": "https://kubernetes.default.svc", "project": ""})
        );
    }

    // Docs: "Go Template" → "Cluster Generators": `{{ .metadata }}` becomes an object.
    #[test]
    fn go_template_nests_metadata() {
        let ctx = TestContext::go().with_clusters(vec![secret(
            "prod",
            "https://2.4.6.8",
            &[("env", "prod")],
        )]);
        let got = run(
            json!({"clusters": {"selector": {"matchLabels": {"env": "prod"}}}}),
            &ctx,
        );
        assert_eq!(
            got,
            vec![(
                "clusters[prod]".to_string(),
                json!({
                    "name": "prod", "nameNormalized": "prod", "server": "https://2.4.6.8",
                    "project": "",
                    "metadata": {"labels": {"argocd.argoproj.io/secret-type": "cluster", "env": "prod"}}
                })
            )]
        );
    }

    // Docs: "Cluster Generator" → "Deploying to the local cluster": a selector "will not match
    // the default local cluster, since the default local cluster does not have a Secret".
    #[test]
    fn a_selector_leaves_out_the_local_cluster_unless_it_has_a_secret() {
        let clusters = vec![
            cluster("in-cluster", "https://kubernetes.default.svc", &[]),
            secret("staging", "https://1.2.3.4", &[("staging", "true")]),
        ];
        let ctx = TestContext::fast().with_clusters(clusters);
        let all = run(json!({"clusters": {}}), &ctx);
        assert_eq!(
            origins(&all),
            vec!["clusters[in-cluster]", "clusters[staging]"]
        );
        let selected = run(
            json!({"clusters": {"selector": {"matchLabels": {"argocd.argoproj.io/secret-type": "cluster"}}}}),
            &ctx,
        );
        assert_eq!(origins(&selected), vec!["clusters[staging]"]);
        let expr = run(
            json!({"clusters": {"selector": {"matchExpressions": [
                {"key": "staging", "operator": "In", "values": ["true"]}]}}}),
            &ctx,
        );
        assert_eq!(origins(&expr), vec!["clusters[staging]"]);

        // A Secret for the local cluster ("you may also create a local cluster secret
        // declaratively") replaces the implicit one and can be selected by its labels.
        let ctx = TestContext::fast().with_clusters(vec![
            secret(
                "in-cluster-local",
                "https://kubernetes.default.svc",
                &[("staging", "true")],
            ),
            secret("staging", "https://1.2.3.4", &[("staging", "true")]),
        ]);
        assert_eq!(
            origins(&run(json!({"clusters": {}}), &ctx)),
            vec!["clusters[in-cluster-local]", "clusters[staging]"]
        );
        assert_eq!(
            origins(&run(
                json!({"clusters": {"selector": {"matchLabels": {"staging": "true"}}}}),
                &ctx
            )),
            vec!["clusters[in-cluster-local]", "clusters[staging]"]
        );
    }

    // Docs: "Cluster Generator" → "Pass additional key-value pairs via `values` field": added as
    // `values.(field)`, and values may interpolate name, server, labels and annotations.
    #[test]
    fn values_are_templated_with_the_cluster_parameters() {
        let fast = TestContext::fast().with_clusters(vec![secret(
            "staging",
            "https://1.2.3.4",
            &[("type", "staging")],
        )]);
        let got = run(
            json!({"clusters": {
                "selector": {"matchLabels": {"type": "staging"}},
                "values": {"revision": "HEAD", "clusterName": "{{name}}",
                           "kind": "{{metadata.labels.type}}", "other": "{{values.revision}}"}}}),
            &fast,
        );
        let params = &got[0].1;
        assert_eq!(params["values.revision"], "HEAD");
        assert_eq!(params["values.clusterName"], "staging");
        assert_eq!(params["values.kind"], "staging");
        // Values cannot see each other (Argo CD renders them all before adding any).
        assert_eq!(params["values.other"], "{{values.revision}}");

        let go = TestContext::go().with_clusters(vec![secret(
            "staging",
            "https://1.2.3.4",
            &[("type", "staging")],
        )]);
        let got = run(
            json!({"clusters": {"values": {"revision": "HEAD", "clusterName": "{{.name}}"}}}),
            &go,
        );
        assert_eq!(
            got[1].1["values"],
            json!({"revision": "HEAD", "clusterName": "staging"})
        );
        // The local cluster gets values too, templated with its name and server.
        assert_eq!(got[0].1["values"]["clusterName"], "in-cluster");
    }

    // Docs: "Cluster Generator" → "Gather cluster information as a flat list".
    #[test]
    fn flat_list_is_one_parameter_set() {
        let ctx = TestContext::go().with_clusters(vec![
            secret("cluster1", "https://1.1.1.1", &[("type", "staging")]),
            secret("cluster2", "https://2.2.2.2", &[("type", "staging")]),
        ]);
        let got = run(
            json!({"clusters": {"selector": {"matchLabels": {"type": "staging"}}, "flatList": true}}),
            &ctx,
        );
        assert_eq!(got.len(), 1);
        let names: Vec<&Value> = got[0].1["clusters"]
            .as_array()
            .expect("list")
            .iter()
            .map(|c| &c["name"])
            .collect();
        assert_eq!(names, vec!["cluster1", "cluster2"]);
    }

    #[test]
    fn clusters_without_the_secret_label_are_not_secrets() {
        // A cluster known only from configuration (no Secret) is never listed; the generator adds
        // the local cluster itself.
        let ctx = TestContext::fast().with_clusters(vec![cluster("other", "https://9.9.9.9", &[])]);
        assert_eq!(
            origins(&run(json!({"clusters": {}}), &ctx)),
            vec!["clusters[in-cluster]"]
        );
    }

    #[test]
    fn malformed_cluster_specs_are_errors() {
        let ctx = TestContext::fast();
        generate(&json!({"clusters": {"values": {"n": 1}}}), &ctx).expect_err("values are strings");
        generate(&json!({"clusters": {"flatList": "maybe"}}), &ctx)
            .expect_err("flatList is a bool");
        // `flatList: yes` is a bool to Argo CD's YAML decoder (goyaml.v2 resolve.go), as `true`.
        generate(&json!({"clusters": {"flatList": "yes"}}), &ctx).expect("yes is true");
        let err = generate(
            &json!({"clusters": {"selector": {"matchLabels": {"env": "a b"}}}}),
            &ctx,
        )
        .expect_err("not a label value");
        assert!(
            err.to_string()
                .contains("clusters.selector.matchLabels.env"),
            "{err}"
        );
    }
}
