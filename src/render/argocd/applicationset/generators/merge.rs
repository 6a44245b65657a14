//! The Merge generator: the first child's parameter sets are the base; each later child's set
//! with the same values for every `mergeKeys` key overrides the matching base set (later children
//! win), and later sets matching no base set are dropped. Each child's sets must be unique by
//! the merge keys. The result keeps the base's order (Argo CD's order comes from a Go map and is
//! unspecified).

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;

use super::matrix::children;
use super::{
    Eval, Generated, GeneratorError, Item, Params, deep_merge, display_at, join, malformed,
    origin_inner,
};

pub(super) fn generate(
    eval: &Eval<'_>,
    spec: &Value,
    at: &str,
    depth: usize,
) -> Result<Generated, GeneratorError> {
    if depth >= 2 {
        return Err(GeneratorError::TooDeep { at: display_at(at) });
    }
    let children = children(spec, at)?;
    if children.len() < 2 {
        return Err(GeneratorError::MergeArity {
            at: display_at(at),
            found: children.len(),
        });
    }
    let keys = merge_keys(spec, at)?;
    let gat = join(at, "generators");

    // Children are evaluated as written: a merge does not pass parameters between them.
    let mut generated: Vec<Vec<Item>> = Vec::with_capacity(children.len());
    for (i, child) in children.iter().enumerate() {
        match eval.entry(child, &format!("{gat}[{i}]"), depth + 1, true, None)? {
            Generated::Items(items) => generated.push(items),
            unavailable => return Ok(unavailable),
        }
    }
    let mut sets = generated.into_iter();
    let mut base = sets.next().unwrap_or_default();
    let base_index = index_by_key(&base, &keys, 0, at)?;
    let go_template = eval.go_template();
    // Where each base set's values came from, for its origin.
    let mut sources: Vec<Vec<String>> = base
        .iter()
        .map(|item| vec![origin_inner(&item.element.origin)])
        .collect();

    for (child, overrides) in sets.enumerate() {
        let index: HashMap<String, usize> = index_by_key(&overrides, &keys, child + 1, at)?
            .into_iter()
            .collect();
        for (key, base_pos) in &base_index {
            let Some(&over_pos) = index.get(key) else {
                continue;
            };
            let over = &overrides[over_pos];
            let item = &mut base[*base_pos];
            if go_template {
                // mergo.Merge with override: nested maps merge, the override wins.
                deep_merge(&mut item.element.params, &over.element.params);
            } else {
                // Flat parameters: the override's keys replace the base's.
                for (k, v) in &over.element.params {
                    item.element.params.insert(k.clone(), v.clone());
                }
            }
            item.opaque.extend(over.opaque.iter().cloned());
            sources[*base_pos].push(origin_inner(&over.element.origin));
        }
    }
    for (item, sources) in base.iter_mut().zip(sources) {
        item.element.origin = format!("merge[{}]", sources.join(" + "));
    }
    eval.count(base.len(), at)?;
    Ok(Generated::Items(base))
}

/// `mergeKeys`, de-duplicated; at least one.
fn merge_keys(spec: &Value, at: &str) -> Result<BTreeSet<String>, GeneratorError> {
    let kat = join(at, "mergeKeys");
    let keys = match spec.get("mergeKeys") {
        None | Some(Value::Null) => BTreeSet::new(),
        Some(Value::Array(list)) => list
            .iter()
            .enumerate()
            .map(|(i, k)| match k {
                Value::String(s) => Ok(s.clone()),
                _ => Err(malformed(&format!("{kat}[{i}]"), "must be a string")),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(malformed(&kat, "must be a list of parameter names")),
    };
    if keys.is_empty() {
        return Err(GeneratorError::NoMergeKeys { at: display_at(at) });
    }
    Ok(keys)
}

/// The merge key of each parameter set: the merge keys' values (a missing key counts as null),
/// as Argo CD compares them after `json.Marshal` of a map, so `1` and `1.0` are equal (both
/// float64) and `"1"` is not. Fails when two sets of one child share a key.
fn index_by_key(
    items: &[Item],
    keys: &BTreeSet<String>,
    child: usize,
    at: &str,
) -> Result<Vec<(String, usize)>, GeneratorError> {
    let mut seen: HashMap<String, usize> = HashMap::with_capacity(items.len());
    let mut order = Vec::with_capacity(items.len());
    for (pos, item) in items.iter().enumerate() {
        let key: Params = keys
            .iter()
            .map(|k| {
                let value = item.element.params.get(k).cloned().unwrap_or(Value::Null);
                (k.clone(), as_float_numbers(value))
            })
            .collect();
        let key = Value::Object(key).to_string();
        if seen.insert(key.clone(), pos).is_some() {
            return Err(GeneratorError::DuplicateMergeKey {
                at: display_at(at),
                child,
                key,
            });
        }
        order.push((key, pos));
    }
    Ok(order)
}

/// Numbers as Go holds JSON numbers (float64), for key comparison.
fn as_float_numbers(value: Value) -> Value {
    match value {
        Value::Number(n) => n
            .as_f64()
            .and_then(serde_json::Number::from_f64)
            .map_or(Value::Number(n), Value::Number),
        Value::Array(items) => Value::Array(items.into_iter().map(as_float_numbers).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, as_float_numbers(v)))
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::super::testkit::{TestContext, secret};
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

    // Docs: "Merge Generator" → "Example: Base Cluster generator + override Cluster generator +
    // List generator": overrides are bottom-to-top, non-matching sets are discarded.
    #[test]
    fn documented_example_fasttemplate() {
        let ctx = TestContext::fast().with_clusters(vec![
            secret("staging", "https://1.2.3.4", &[("use-kafka", "false")]),
            secret("production", "https://2.4.6.8", &[]),
        ]);
        let spec = json!({"merge": {"mergeKeys": ["server"], "generators": [
            {"clusters": {"values": {"kafka": "true", "redis": "false"}}},
            {"clusters": {"selector": {"matchLabels": {"use-kafka": "false"}},
                          "values": {"kafka": "false"}}},
            {"list": {"elements": [
                {"server": "https://2.4.6.8", "values.redis": "true"},
                {"server": "https://unknown", "values.redis": "true"}
            ]}}
        ]}});
        let got = run(&spec, &ctx);
        let summary: Vec<(String, &Value, &Value, &Value)> = got
            .iter()
            .map(|(o, p)| {
                (
                    o.clone(),
                    &p["name"],
                    &p["values.kafka"],
                    &p["values.redis"],
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (
                    "merge[clusters in-cluster]".to_string(),
                    &json!("in-cluster"),
                    &json!("true"),
                    &json!("false")
                ),
                (
                    "merge[clusters staging + clusters staging]".to_string(),
                    &json!("staging"),
                    &json!("false"),
                    &json!("false")
                ),
                (
                    "merge[clusters production + list 0]".to_string(),
                    &json!("production"),
                    &json!("true"),
                    &json!("true")
                ),
            ]
        );
    }

    // goTemplate merges nested maps (`values`), the later generator winning per key.
    #[test]
    fn go_template_merges_nested_values() {
        let ctx = TestContext::go().with_clusters(vec![secret(
            "staging",
            "https://1.2.3.4",
            &[("use-kafka", "false")],
        )]);
        let spec = json!({"merge": {"mergeKeys": ["server"], "generators": [
            {"clusters": {"selector": {"matchLabels": {"use-kafka": "false"}},
                          "values": {"kafka": "true", "redis": "false"}}},
            {"clusters": {"selector": {"matchLabels": {"use-kafka": "false"}},
                          "values": {"kafka": "false"}}}
        ]}});
        assert_eq!(
            run(&spec, &ctx)[0].1["values"],
            json!({"kafka": "false", "redis": "false"})
        );
    }

    // Docs: "Merge Generator" → "Example: Use value interpolation in merge": merge keys may be
    // flat `values.<key>` parameters.
    #[test]
    fn merge_on_templated_values() {
        let ctx = TestContext::fast().with_clusters(vec![secret(
            "germany01",
            "https://1.2.3.4",
            &[("location", "Germany")],
        )]);
        let spec = json!({"merge": {"mergeKeys": ["values.selector"], "generators": [
            {"clusters": {"selector": {"matchLabels": {"location": "Germany"}},
                          "values": {"selector": "{{metadata.labels.location}}"}}},
            {"list": {"elements": [{"values": {"selector": "Germany"}, "path": "Germany"}]}}
        ]}});
        let got = run(&spec, &ctx);
        assert_eq!(got[0].1["path"], "Germany");
        assert_eq!(got[0].1["name"], "germany01");
    }

    #[test]
    fn errors_follow_argo_cd() {
        let ctx = TestContext::fast();
        let list = json!({"list": {"elements": [{"k": "a"}]}});
        assert!(matches!(
            generate(
                &json!({"merge": {"mergeKeys": ["k"], "generators": [list]}}),
                &ctx
            ),
            Err(GeneratorError::MergeArity { found: 1, .. })
        ));
        assert!(matches!(
            generate(&json!({"merge": {"generators": [list, list]}}), &ctx),
            Err(GeneratorError::NoMergeKeys { .. })
        ));
        let dup = json!({"list": {"elements": [{"k": "a"}, {"k": "a", "x": "y"}]}});
        let err = generate(
            &json!({"merge": {"mergeKeys": ["k"], "generators": [list, dup]}}),
            &ctx,
        )
        .expect_err("duplicate merge key");
        assert!(
            matches!(err, GeneratorError::DuplicateMergeKey { child: 1, .. }),
            "{err}"
        );
    }

    // A missing merge key is null: sets lacking it all share one key.
    #[test]
    fn missing_merge_keys_are_null() {
        let ctx = TestContext::go();
        let spec = json!({"merge": {"mergeKeys": ["n"], "generators": [
            {"list": {"elements": [{"a": "1"}, {"n": 1}]}},
            {"list": {"elements": [{"b": "2"}, {"n": 1.0, "c": "3"}]}}
        ]}});
        assert_eq!(
            run(&spec, &ctx)
                .into_iter()
                .map(|(_, p)| p)
                .collect::<Vec<_>>(),
            vec![json!({"a": "1", "b": "2"}), json!({"n": 1.0, "c": "3"})]
        );
    }
}
