//! The Matrix generator: the Cartesian product of exactly two child generators. The second child
//! is rendered with each of the first child's parameter sets before it is evaluated, so it can
//! use them; the two sets are then combined (goTemplate: deep merge, the first child winning;
//! fasttemplate: a key both define must agree, or the matrix fails). A child may itself be a
//! matrix or merge, once.

use serde_json::Value;

use super::{
    Eval, Generated, GeneratorError, Item, Params, check_len, deep_merge, display_at, go_format,
    join, malformed, origin_inner,
};

pub(super) fn generate(
    eval: &Eval<'_>,
    spec: &Value,
    at: &str,
    depth: usize,
    inherited: Option<&Params>,
) -> Result<Generated, GeneratorError> {
    if depth >= 2 {
        return Err(GeneratorError::TooDeep { at: display_at(at) });
    }
    let children = children(spec, at)?;
    if children.len() != 2 {
        return Err(GeneratorError::MatrixArity {
            at: display_at(at),
            found: children.len(),
        });
    }
    let gat = join(at, "generators");
    let first_at = format!("{gat}[0]");
    let second_at = format!("{gat}[1]");
    let go_template = eval.go_template();

    // The first child sees only what an enclosing matrix passed down.
    let first = match eval.entry(&children[0], &first_at, depth + 1, true, inherited)? {
        Generated::Items(items) => items,
        unavailable => return Ok(unavailable),
    };
    let mut out: Vec<Item> = Vec::new();
    for a in &first {
        // The second child sees the first child's parameters, and what an enclosing matrix passed
        // down, the first child's winning.
        let for_second = match inherited {
            Some(p) if !p.is_empty() => combine(&a.element.params, p, go_template, at)?,
            _ => a.element.params.clone(),
        };
        let second =
            match eval.entry(&children[1], &second_at, depth + 1, true, Some(&for_second))? {
                Generated::Items(items) => items,
                unavailable => return Ok(unavailable),
            };
        for b in second {
            let params = combine(&a.element.params, &b.element.params, go_template, at)?;
            let origin = format!(
                "matrix[{} × {}]",
                origin_inner(&a.element.origin),
                origin_inner(&b.element.origin)
            );
            let mut item = Item::new(params, origin);
            item.opaque = a.opaque.clone();
            item.opaque.extend(b.opaque);
            out.push(item);
            check_len(out.len(), eval.ctx, at)?;
            eval.count(1, at)?;
        }
    }
    Ok(Generated::Items(out))
}

/// The `generators` list of a matrix or merge spec.
pub(super) fn children<'v>(spec: &'v Value, at: &str) -> Result<&'v [Value], GeneratorError> {
    let gat = join(at, "generators");
    match spec {
        Value::Null => Ok(&[]),
        Value::Object(obj) => match obj.get("generators") {
            None | Some(Value::Null) => Ok(&[]),
            Some(Value::Array(list)) => Ok(list),
            Some(_) => Err(malformed(&gat, "must be a list of generators")),
        },
        _ => Err(malformed(at, "must be a mapping")),
    }
}

/// Combine two parameter sets, `preferred` winning. goTemplate: `mergo.Merge` with override
/// (nested maps merge). fasttemplate: Argo CD's `CombineStringMaps`, which stringifies both with
/// `%v` and fails on a key the two define differently ("The matrix generator will fail if its
/// children produce results containing identical keys with differing values").
fn combine(
    preferred: &Params,
    fallback: &Params,
    go_template: bool,
    at: &str,
) -> Result<Params, GeneratorError> {
    if go_template {
        let mut out = fallback.clone();
        deep_merge(&mut out, preferred);
        return Ok(out);
    }
    let mut out: Params = preferred
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(go_format(v))))
        .collect();
    for (key, value) in fallback {
        let value = go_format(value);
        match out.get(key) {
            Some(Value::String(current)) if *current != value => {
                return Err(GeneratorError::MatrixConflict {
                    at: display_at(at),
                    key: key.clone(),
                    first: current.clone(),
                    second: value,
                });
            }
            Some(_) => {}
            None => {
                out.insert(key.clone(), Value::String(value));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::super::testkit::{MemRepo, TestContext, secret};
    use super::super::{GeneratorError, Outcome, generate};

    fn run(spec: &Value, ctx: &TestContext) -> Vec<(String, Value)> {
        match generate(spec, ctx).expect("generates") {
            Outcome::Elements(e) => e
                .into_iter()
                .map(|e| (e.origin, Value::Object(e.params)))
                .collect(),
            Outcome::Unavailable(r) => panic!("unavailable: {r}"),
        }
    }

    // Docs: "Matrix Generator" → "Example: Git Directory generator + Cluster generator": every
    // combination of the two children's parameter sets.
    #[test]
    fn cartesian_product_in_first_child_order() {
        let repo = MemRepo::new(&[("addons/a/x.yaml", ""), ("addons/b/x.yaml", "")]);
        let ctx = TestContext::fast().with_repo("r", repo).with_clusters(vec![
            secret("staging", "https://1.2.3.4", &[]),
            secret("production", "https://2.4.6.8", &[]),
        ]);
        let spec = json!({"matrix": {"generators": [
            {"git": {"repoURL": "r", "directories": [{"path": "addons/*"}]}},
            {"clusters": {"selector": {"matchLabels": {"argocd.argoproj.io/secret-type": "cluster"}}}}
        ]}});
        let got = run(&spec, &ctx);
        let origins: Vec<&str> = got.iter().map(|(o, _)| o.as_str()).collect();
        assert_eq!(
            origins,
            vec![
                "matrix[git directories addons/a × clusters staging]",
                "matrix[git directories addons/a × clusters production]",
                "matrix[git directories addons/b × clusters staging]",
                "matrix[git directories addons/b × clusters production]",
            ]
        );
        assert_eq!(got[3].1["path.basename"], "b");
        assert_eq!(got[3].1["server"], "https://2.4.6.8");
    }

    // Docs: "Matrix Generator" → "Using Parameters from one child generator in another child
    // generator": the cluster selector uses `{{.path.basename}}` from the git files child.
    #[test]
    fn second_child_is_rendered_with_first_child_params() {
        let repo = MemRepo::new(&[
            ("cluster-config/engineering/dev/config.json", "{}"),
            ("cluster-config/engineering/prod/config.json", "{}"),
        ]);
        let ctx = TestContext::go().with_repo("r", repo).with_clusters(vec![
            secret(
                "dev-1",
                "https://1.1.1.1",
                &[("kubernetes.io/environment", "dev")],
            ),
            secret(
                "prod-1",
                "https://2.2.2.2",
                &[("kubernetes.io/environment", "prod")],
            ),
            secret(
                "prod-2",
                "https://3.3.3.3",
                &[("kubernetes.io/environment", "prod")],
            ),
        ]);
        let spec = json!({"matrix": {"generators": [
            {"git": {"repoURL": "r", "files": [{"path": "cluster-config/**/config.json"}]}},
            {"clusters": {"selector": {"matchLabels": {
                "argocd.argoproj.io/secret-type": "cluster",
                "kubernetes.io/environment": "{{.path.basename}}"}}}}
        ]}});
        let got = run(&spec, &ctx);
        let pairs: Vec<(String, String)> = got
            .iter()
            .map(|(_, p)| {
                (
                    p["path"]["basename"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    p["name"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        assert_eq!(
            pairs,
            vec![
                ("dev".to_string(), "dev-1".to_string()),
                ("prod".to_string(), "prod-1".to_string()),
                ("prod".to_string(), "prod-2".to_string()),
            ]
        );
    }

    // Docs: "Matrix Generator" → "Example: Two Git Generators Using `pathParamPrefix`": "The
    // matrix generator will fail if its children produce results containing identical keys with
    // differing values".
    #[test]
    fn fasttemplate_conflicting_keys_fail_equal_keys_pass() {
        let ctx = TestContext::fast();
        let conflict = json!({"matrix": {"generators": [
            {"list": {"elements": [{"env": "a"}]}},
            {"list": {"elements": [{"env": "b"}]}}
        ]}});
        let err = generate(&conflict, &ctx).expect_err("conflict");
        assert!(
            matches!(err, GeneratorError::MatrixConflict { ref key, .. } if key == "env"),
            "{err}"
        );
        let same = json!({"matrix": {"generators": [
            {"list": {"elements": [{"env": "a", "x": "1"}]}},
            {"list": {"elements": [{"env": "a", "y": "2"}]}}
        ]}});
        assert_eq!(
            run(&same, &ctx)[0].1,
            json!({"env": "a", "x": "1", "y": "2"})
        );
    }

    // Docs: "Matrix Generator" → "Overriding parameters from one child generator in another
    // child generator" (goTemplate): the first child's values win over the second's.
    #[test]
    fn go_template_first_child_overrides_second() {
        let ctx = TestContext::go();
        let spec = json!({"matrix": {"generators": [
            {"list": {"elements": [{"stageName": "test", "cpuRequest": "100m", "debugEnabled": true,
                                    "nested": {"a": "first"}}]}},
            {"list": {"elements": [{"cpuRequest": "200m", "memoryLimit": "256Mi", "debugEnabled": false,
                                    "nested": {"a": "second", "b": "second"}}]}}
        ]}});
        assert_eq!(
            run(&spec, &ctx)[0].1,
            json!({"cpuRequest": "100m", "memoryLimit": "256Mi", "debugEnabled": true,
                   "nested": {"a": "first", "b": "second"}, "stageName": "test"})
        );
    }

    // Docs: "Matrix Generator" → "Restrictions": only two child generators; one generator per
    // entry; "Combination-type generators (matrix or merge) can only be nested once".
    #[test]
    fn restrictions_are_errors() {
        let ctx = TestContext::fast();
        let list = json!({"list": {"elements": [{"a": "b"}]}});
        let three = json!({"matrix": {"generators": [list, list, list]}});
        assert!(matches!(
            generate(&three, &ctx),
            Err(GeneratorError::MatrixArity { found: 3, .. })
        ));
        let one = json!({"matrix": {"generators": [list]}});
        assert!(matches!(
            generate(&one, &ctx),
            Err(GeneratorError::MatrixArity { found: 1, .. })
        ));
        let two_in_one = json!({"matrix": {"generators": [
            {"list": {"elements": []}, "clusters": {}}, list]}});
        assert!(matches!(
            generate(&two_in_one, &ctx),
            Err(GeneratorError::MoreThanOne { .. })
        ));
        let third_level = json!({"matrix": {"generators": [
            {"matrix": {"generators": [{"matrix": {"generators": [list, list]}}, list]}},
            list
        ]}});
        let err = generate(&third_level, &ctx).expect_err("too deep");
        assert!(matches!(err, GeneratorError::TooDeep { .. }), "{err}");
        assert!(
            err.to_string()
                .contains("matrix.generators[0].matrix.generators[0].matrix"),
            "{err}"
        );
        let two_levels = json!({"matrix": {"generators": [
            {"matrix": {"generators": [list, {"list": {"elements": [{"c": "d"}]}}]}},
            {"list": {"elements": [{"e": "f"}]}}
        ]}});
        assert_eq!(
            run(&two_levels, &ctx)[0].1,
            json!({"a": "b", "c": "d", "e": "f"})
        );
    }

    // A nested matrix as second child: its own second child still sees its first child's
    // parameters, and the outer first child's (interpolation is sequential, not whole-spec).
    #[test]
    fn nested_matrix_interpolates_sequentially() {
        let ctx = TestContext::fast();
        let spec = json!({"matrix": {"generators": [
            {"list": {"elements": [{"env": "dev"}]}},
            {"matrix": {"generators": [
                {"list": {"elements": [{"app": "web-{{env}}"}]}},
                {"list": {"elements": [{"name": "{{app}}-{{env}}"}]}}
            ]}}
        ]}});
        assert_eq!(
            run(&spec, &ctx)[0].1,
            json!({"env": "dev", "app": "web-dev", "name": "web-dev-dev"})
        );
    }

    #[test]
    fn an_unavailable_child_makes_the_matrix_unavailable() {
        let ctx = TestContext::fast();
        let spec = json!({"matrix": {"generators": [
            {"scmProvider": {"github": {"organization": "x"}}},
            {"list": {"elements": [{"a": "b"}]}}
        ]}});
        let Outcome::Unavailable(reason) = generate(&spec, &ctx).expect("no error") else {
            panic!("unavailable expected")
        };
        assert!(
            reason.starts_with("scmProvider generator needs"),
            "{reason}"
        );
        assert!(
            reason.contains("matrix.generators[0].scmProvider"),
            "{reason}"
        );
    }

    // Docs: "Matrix Generator" → "Restrictions" (the last one): post selectors on the children
    // of a nested matrix. Argo CD 3 applies them (its matrix filters nested results by selector).
    #[test]
    fn child_post_selectors_apply() {
        let ctx = TestContext::fast();
        let spec = json!({"matrix": {"generators": [
            {"list": {"elements": [{"env": "dev"}, {"env": "prod"}]},
             "selector": {"matchLabels": {"env": "prod"}}},
            {"list": {"elements": [{"app": "a"}]}}
        ]}});
        let got = run(&spec, &ctx);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].1["env"], "prod");
    }
}
