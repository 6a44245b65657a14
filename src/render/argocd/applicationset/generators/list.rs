//! The List generator: one parameter set per literal `elements` entry, then one per item of
//! `elementsYaml` (a YAML list, usually rendered from a matrix sibling). In fasttemplate mode an
//! element's values must be strings and its `values` map becomes `values.<key>`, as Argo CD's
//! list generator does; in goTemplate mode elements pass through unchanged. `elementsYaml` items
//! always pass through unchanged (Argo CD appends them as parsed, in both modes).

use serde_json::Value;

use super::{
    Context, GeneratorError, Item, Params, check_depth, check_len, join, malformed, opt_str,
    spec_object,
};

pub(super) fn generate(
    spec: &Value,
    ctx: &dyn Context,
    at: &str,
) -> Result<Vec<Item>, GeneratorError> {
    let obj = spec_object(spec, at)?;
    let mut items = Vec::new();

    let eat = join(at, "elements");
    match obj.and_then(|o| o.get("elements")) {
        None | Some(Value::Null) => {}
        Some(Value::Array(elements)) => {
            check_len(elements.len(), ctx, &eat)?;
            for (i, element) in elements.iter().enumerate() {
                let iat = format!("{eat}[{i}]");
                check_depth(element, &iat)?;
                let params = match element {
                    // A null element unmarshals to a nil map: an empty parameter set.
                    Value::Null => Params::new(),
                    Value::Object(map) if ctx.go_template() => map.clone(),
                    Value::Object(map) => flat_strings(map, &iat)?,
                    _ => return Err(malformed(&iat, "a list element must be a mapping")),
                };
                items.push(Item::new(params, format!("list[{i}]")));
            }
        }
        Some(_) => return Err(malformed(&eat, "must be a list")),
    }

    let yat = join(at, "elementsYaml");
    // Argo CD skips an empty string.
    if let Some(text) = opt_str(obj, "elementsYaml", at)?.filter(|t| !t.is_empty()) {
        let parsed = ctx.parse_yaml(text).map_err(|reason| {
            malformed(&yat, format!("error unmarshalling elementsYaml: {reason}"))
        })?;
        check_depth(&parsed, &yat)?;
        let parsed_items = match parsed {
            Value::Null => Vec::new(),
            Value::Array(list) => list,
            _ => {
                return Err(malformed(
                    &yat,
                    "elementsYaml must be a YAML list of mappings",
                ));
            }
        };
        check_len(items.len() + parsed_items.len(), ctx, &yat)?;
        for (j, parsed) in parsed_items.into_iter().enumerate() {
            let params = match parsed {
                Value::Null => Params::new(),
                Value::Object(map) => map,
                _ => {
                    return Err(malformed(
                        &format!("{yat}[{j}]"),
                        "an elementsYaml item must be a mapping",
                    ));
                }
            };
            let index = items.len();
            items.push(Item::new(params, format!("list[{index}]")));
        }
    }
    Ok(items)
}

/// Fasttemplate mode: every value must be a string, except `values`, a map of strings that
/// becomes `values.<key>` (Argo CD fails the generator with "error parsing value as string"
/// otherwise).
fn flat_strings(element: &Params, at: &str) -> Result<Params, GeneratorError> {
    let mut params = Params::new();
    for (key, value) in element {
        let kat = join(at, key);
        if key == "values" {
            let Value::Object(values) = value else {
                return Err(malformed(&kat, "values must be a mapping of strings"));
            };
            for (k, v) in values {
                let Value::String(s) = v else {
                    return Err(malformed(
                        &join(&kat, k),
                        "must be a string (fasttemplate list values are strings)",
                    ));
                };
                params.insert(format!("values.{k}"), Value::String(s.clone()));
            }
        } else {
            let Value::String(s) = value else {
                return Err(malformed(
                    &kat,
                    "must be a string: with goTemplate off, Argo CD's list generator fails on any non-string value (quote it)",
                ));
            };
            params.insert(key.clone(), Value::String(s.clone()));
        }
    }
    Ok(params)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testkit::TestContext;
    use super::super::{Outcome, generate};

    fn elements(outcome: Outcome) -> Vec<serde_json::Value> {
        match outcome {
            Outcome::Elements(e) => e.into_iter().map(|e| e.params.into()).collect(),
            Outcome::Unavailable(r) => panic!("unavailable: {r}"),
        }
    }

    // Docs: "List Generator": "any key/value `element` pair is supported" and the v0.1.0 form's
    // `values` map; fasttemplate parameters are flat, so `values.additional`.
    #[test]
    fn fasttemplate_flattens_values_map() {
        let ctx = TestContext::fast();
        let spec = json!({"list": {"elements": [
            {"cluster": "engineering-dev", "url": "https://kubernetes.default.svc",
             "values": {"additional": "value"}},
            {"staging": "true", "gitRepo": "https://kubernetes.default.svc"}
        ]}});
        let got = elements(generate(&spec, &ctx).expect("list"));
        assert_eq!(
            got,
            vec![
                json!({"cluster": "engineering-dev", "url": "https://kubernetes.default.svc",
                       "values.additional": "value"}),
                json!({"staging": "true", "gitRepo": "https://kubernetes.default.svc"}),
            ]
        );
    }

    // Docs: "List Generator" says key/value pairs "as long as the values are string values";
    // Argo CD's list.go returns "error parsing value as string" in fasttemplate mode.
    #[test]
    fn fasttemplate_rejects_non_string_values_and_names_the_key() {
        let ctx = TestContext::fast();
        let err = generate(&json!({"list": {"elements": [{"replicas": 3}]}}), &ctx)
            .expect_err("numbers are not strings");
        assert!(
            err.to_string().contains("list.elements[0].replicas"),
            "{err}"
        );
        let err = generate(
            &json!({"list": {"elements": [{"values": {"n": true}}]}}),
            &ctx,
        )
        .expect_err("values are strings");
        assert!(
            err.to_string().contains("list.elements[0].values.n"),
            "{err}"
        );
    }

    // Docs: "Go Template": with goTemplate the parameters keep their structure.
    #[test]
    fn go_template_keeps_elements_as_written() {
        let ctx = TestContext::go();
        let spec = json!({"list": {"elements": [
            {"cluster": "dev", "replicas": 3, "values": {"nested": {"a": "b"}}}
        ]}});
        assert_eq!(
            elements(generate(&spec, &ctx).expect("list")),
            vec![json!({"cluster": "dev", "replicas": 3, "values": {"nested": {"a": "b"}}})]
        );
    }

    // Docs: "List Generator" → "Dynamically generated elements": `elementsYaml` items are
    // appended after `elements`.
    #[test]
    fn elements_yaml_is_appended_after_elements() {
        let ctx = TestContext::fast();
        let spec = json!({"list": {
            "elements": [{"name": "literal"}],
            "elementsYaml": "- name: a\n  nested:\n    x: 1\n- name: b\n"
        }});
        let outcome = generate(&spec, &ctx).expect("list");
        let Outcome::Elements(got) = outcome else {
            panic!("elements")
        };
        let origins: Vec<&str> = got.iter().map(|e| e.origin.as_str()).collect();
        assert_eq!(origins, vec!["list[0]", "list[1]", "list[2]"]);
        // elementsYaml items are not flattened, even in fasttemplate mode.
        assert_eq!(
            serde_json::Value::from(got[1].params.clone()),
            json!({"name": "a", "nested": {"x": 1}})
        );
        generate(&json!({"list": {"elementsYaml": "name: not-a-list"}}), &ctx)
            .expect_err("elementsYaml is a list");
    }

    #[test]
    fn empty_and_null_lists_generate_nothing() {
        let ctx = TestContext::fast();
        assert_eq!(
            elements(generate(&json!({"list": {"elements": []}}), &ctx).expect("empty")),
            Vec::<serde_json::Value>::new()
        );
        assert_eq!(
            elements(generate(&json!({"list": {"elements": [null]}}), &ctx).expect("null")),
            vec![json!({})]
        );
        generate(&json!({"list": {"elements": ["a"]}}), &ctx).expect_err("not a mapping");
    }
}
