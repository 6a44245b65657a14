//! Kubernetes label selectors as the ApplicationSet controller uses them, twice: the cluster
//! generator's `selector` over cluster Secret labels (Kubernetes' own `LabelSelectorAsSelector`,
//! which validates keys and values), and the post selector any generator entry may carry over
//! its generated parameters (Argo CD's copy of that function, which validates keys but accepts
//! any value, so a selector can match a URL). This file also owns the flattening of parameters
//! the post selector matches against.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{GeneratorError, Item, go_format, join, malformed};

/// Which label values a selector accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ValueRule {
    /// Kubernetes label values: at most 63 characters of `[-A-Za-z0-9_.]`, alphanumeric at both
    /// ends, or empty.
    Label,
    /// Any string (Argo CD's post selector).
    Any,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

#[derive(Debug, Clone)]
struct Requirement {
    key: String,
    op: Op,
    values: Vec<String>,
}

/// A parsed selector: every requirement must hold. An empty selector matches everything.
#[derive(Debug, Clone, Default)]
pub(super) struct Selector {
    requirements: Vec<Requirement>,
}

impl Selector {
    pub(super) fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.requirements.iter().all(|r| {
            let value = labels.get(&r.key);
            match r.op {
                Op::In => value.is_some_and(|v| r.values.contains(v)),
                // A missing label satisfies NotIn, as in Kubernetes.
                Op::NotIn => value.is_none_or(|v| !r.values.contains(v)),
                Op::Exists => value.is_some(),
                Op::DoesNotExist => value.is_none(),
            }
        })
    }

    /// Add `key=value` (the cluster generator always adds the cluster Secret type label).
    pub(super) fn require(&mut self, key: &str, value: &str) {
        self.requirements.push(Requirement {
            key: key.to_string(),
            op: Op::In,
            values: vec![value.to_string()],
        });
    }
}

/// Whether a written selector has any term: the cluster generator leaves the local cluster out
/// exactly when `matchLabels` or `matchExpressions` is non-empty.
pub(super) fn has_terms(selector: Option<&Value>) -> bool {
    let Some(Value::Object(obj)) = selector else {
        return false;
    };
    let non_empty = |key: &str| match obj.get(key) {
        Some(Value::Object(m)) => !m.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        _ => false,
    };
    non_empty("matchLabels") || non_empty("matchExpressions")
}

/// Parse a `metav1.LabelSelector` (`matchLabels`, `matchExpressions`).
pub(super) fn parse(value: &Value, at: &str, rule: ValueRule) -> Result<Selector, GeneratorError> {
    let obj = match value {
        Value::Null => return Ok(Selector::default()),
        Value::Object(obj) => obj,
        _ => return Err(malformed(at, "a selector must be a mapping")),
    };
    let mut requirements = Vec::new();

    let labels_at = join(at, "matchLabels");
    match obj.get("matchLabels") {
        None | Some(Value::Null) => {}
        Some(Value::Object(labels)) => {
            for (key, value) in labels {
                let kat = join(&labels_at, key);
                let Value::String(value) = value else {
                    return Err(malformed(&kat, "a label value must be a string"));
                };
                check_key(key, &kat)?;
                check_value(value, rule, &kat)?;
                requirements.push(Requirement {
                    key: key.clone(),
                    op: Op::In,
                    values: vec![value.clone()],
                });
            }
        }
        Some(_) => return Err(malformed(&labels_at, "must be a mapping of strings")),
    }

    let exprs_at = join(at, "matchExpressions");
    match obj.get("matchExpressions") {
        None | Some(Value::Null) => {}
        Some(Value::Array(exprs)) => {
            for (i, expr) in exprs.iter().enumerate() {
                let eat = format!("{exprs_at}[{i}]");
                requirements.push(parse_expression(expr, &eat, rule)?);
            }
        }
        Some(_) => return Err(malformed(&exprs_at, "must be a list")),
    }
    Ok(Selector { requirements })
}

fn parse_expression(
    expr: &Value,
    at: &str,
    rule: ValueRule,
) -> Result<Requirement, GeneratorError> {
    let Value::Object(expr) = expr else {
        return Err(malformed(at, "a match expression must be a mapping"));
    };
    let Some(Value::String(key)) = expr.get("key") else {
        return Err(malformed(
            &join(at, "key"),
            "a match expression needs a string key",
        ));
    };
    check_key(key, &join(at, "key"))?;
    let Some(Value::String(operator)) = expr.get("operator") else {
        return Err(malformed(
            &join(at, "operator"),
            "a match expression needs a string operator",
        ));
    };
    // The four operators a LabelSelector allows, spelt exactly so.
    let op = match operator.as_str() {
        "In" => Op::In,
        "NotIn" => Op::NotIn,
        "Exists" => Op::Exists,
        "DoesNotExist" => Op::DoesNotExist,
        other => {
            return Err(malformed(
                &join(at, "operator"),
                format!("{other:?} is not a valid label selector operator"),
            ));
        }
    };
    let vat = join(at, "values");
    let values: Vec<String> = match expr.get("values") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::String(s) => {
                    check_value(s, rule, &format!("{vat}[{i}]"))?;
                    Ok(s.clone())
                }
                _ => Err(malformed(&format!("{vat}[{i}]"), "must be a string")),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(malformed(&vat, "must be a list of strings")),
    };
    match op {
        Op::In | Op::NotIn if values.is_empty() => Err(malformed(
            &vat,
            "for 'In' and 'NotIn' operators, values can't be empty",
        )),
        Op::Exists | Op::DoesNotExist if !values.is_empty() => Err(malformed(
            &vat,
            "values must be empty for 'Exists' and 'DoesNotExist' operators",
        )),
        _ => Ok(Requirement {
            key: key.clone(),
            op,
            values,
        }),
    }
}

/// A label key is a Kubernetes qualified name: an optional DNS-subdomain prefix and `/`, then a
/// name of at most 63 characters of `[-A-Za-z0-9_.]`, alphanumeric at both ends. Both selectors
/// check this (Argo CD's post-selector copy relaxes only values).
fn check_key(key: &str, at: &str) -> Result<(), GeneratorError> {
    let parts: Vec<&str> = key.split('/').collect();
    let (prefix, name) = match parts.as_slice() {
        [name] => (None, *name),
        [prefix, name] => (Some(*prefix), *name),
        _ => {
            return Err(malformed(
                at,
                format!("invalid label key {key:?}: at most one '/' (prefix/name)"),
            ));
        }
    };
    if prefix.is_some_and(|p| !is_dns_subdomain(p)) {
        return Err(malformed(
            at,
            format!("invalid label key {key:?}: the prefix must be a lower-case DNS subdomain"),
        ));
    }
    if name.is_empty() || name.len() > 63 || !is_label_body(name) {
        return Err(malformed(
            at,
            format!(
                "invalid label key {key:?}: the name must be 1-63 characters of alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric"
            ),
        ));
    }
    Ok(())
}

fn check_value(value: &str, rule: ValueRule, at: &str) -> Result<(), GeneratorError> {
    if rule == ValueRule::Any || value.is_empty() {
        return Ok(());
    }
    if value.len() > 63 || !is_label_body(value) {
        return Err(malformed(
            at,
            format!(
                "invalid label value {value:?}: at most 63 characters of alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric"
            ),
        ));
    }
    Ok(())
}

/// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`
fn is_label_body(s: &str) -> bool {
    let bytes = s.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(first), Some(last)) => {
            first.is_ascii_alphanumeric()
                && last.is_ascii_alphanumeric()
                && bytes
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        }
        _ => false,
    }
}

/// RFC 1123 subdomain: dot-separated labels of `[-a-z0-9]`, alphanumeric at both ends, at most
/// 253 characters.
fn is_dns_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            let b = label.as_bytes();
            match (b.first(), b.last()) {
                (Some(first), Some(last)) => {
                    (first.is_ascii_lowercase() || first.is_ascii_digit())
                        && (last.is_ascii_lowercase() || last.is_ascii_digit())
                        && b.iter()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
                }
                _ => false,
            }
        })
}

/// The post selector matches against the parameters flattened the way Argo CD does it
/// (`jeremywohl/flatten` with dots, then `%v`): nested maps become `a.b`, lists `a.0`, and
/// leaves are formatted as Go prints them. Values Argo CD holds as typed Go maps or slices
/// (`map[string]string`, `[]string`: cluster labels and annotations, `values`, a git path's
/// `segments`, a flat cluster list) are leaves to that library, so they are not descended into.
pub(super) fn flatten_params(item: &Item) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (key, value) in &item.element.params {
        flatten_into(key.clone(), value, &item.opaque, &mut out);
    }
    out
}

fn flatten_into(key: String, value: &Value, opaque: &[String], out: &mut BTreeMap<String, String>) {
    let descend = !opaque.contains(&key);
    match value {
        Value::Object(map) if descend => {
            for (k, v) in map {
                flatten_into(format!("{key}.{k}"), v, opaque, out);
            }
        }
        Value::Array(items) if descend => {
            for (i, v) in items.iter().enumerate() {
                flatten_into(format!("{key}.{i}"), v, opaque, out);
            }
        }
        _ => {
            out.insert(key, go_format(value));
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    // Docs: "Cluster Generator" → "Label selector": "The cluster selector also supports
    // set-based requirements" (In, NotIn, Exists, DoesNotExist, as Kubernetes defines them).
    #[test]
    fn set_based_requirements_follow_kubernetes() {
        let sel = parse(
            &json!({"matchExpressions": [
                {"key": "env", "operator": "In", "values": ["staging", "prod"]},
                {"key": "tier", "operator": "NotIn", "values": ["edge"]},
                {"key": "team", "operator": "Exists"},
                {"key": "legacy", "operator": "DoesNotExist"}
            ]}),
            "s",
            ValueRule::Label,
        )
        .expect("valid selector");
        assert!(sel.matches(&labels(&[("env", "prod"), ("team", "a")])));
        // NotIn is satisfied by a missing label.
        assert!(sel.matches(&labels(&[("env", "staging"), ("team", "")])));
        assert!(!sel.matches(&labels(&[("env", "prod"), ("team", "a"), ("tier", "edge")])));
        assert!(!sel.matches(&labels(&[("env", "prod")])));
        assert!(!sel.matches(&labels(&[("env", "prod"), ("team", "a"), ("legacy", "x")])));
        assert!(!sel.matches(&labels(&[("env", "dev"), ("team", "a")])));
    }

    // Docs: "Generators with selectors" / "Post Selector all generators": the selector uses "the
    // kubernetes common labelSelector format"; an empty selector selects everything.
    #[test]
    fn empty_selector_matches_everything() {
        let sel = parse(&json!({}), "s", ValueRule::Any).expect("valid");
        assert!(sel.matches(&BTreeMap::new()));
        assert!(!has_terms(Some(&json!({"matchLabels": {}}))));
        assert!(has_terms(Some(&json!({"matchLabels": {"a": "b"}}))));
    }

    #[test]
    fn malformed_selectors_name_the_key() {
        let bad_op = parse(
            &json!({"matchExpressions": [{"key": "a", "operator": "Gt", "values": ["1"]}]}),
            "clusters.selector",
            ValueRule::Label,
        )
        .expect_err("Gt is not a LabelSelector operator");
        assert!(
            bad_op
                .to_string()
                .contains("clusters.selector.matchExpressions[0].operator")
        );
        parse(
            &json!({"matchExpressions": [{"key": "a", "operator": "In"}]}),
            "s",
            ValueRule::Label,
        )
        .expect_err("In needs values");
        parse(
            &json!({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]}),
            "s",
            ValueRule::Label,
        )
        .expect_err("Exists takes no values");
        parse(&json!({"matchLabels": {"a/b/c": "x"}}), "s", ValueRule::Any)
            .expect_err("two slashes");
        parse(
            &json!({"matchLabels": {"path[0]": "x"}}),
            "s",
            ValueRule::Any,
        )
        .expect_err("brackets are not allowed in a label key");
        parse(&json!({"matchLabels": {"a": 1}}), "s", ValueRule::Any)
            .expect_err("values are strings");
    }

    // Argo CD's post selector accepts any value ("so that, among other things, we can match on
    // cluster urls"); the cluster selector uses Kubernetes' value rules.
    #[test]
    fn value_rules_differ_between_the_two_selectors() {
        let url = json!({"matchLabels": {"server": "https://kubernetes.default.svc"}});
        parse(&url, "s", ValueRule::Any).expect("post selector takes URLs");
        parse(&url, "s", ValueRule::Label).expect_err("not a label value");
        parse(
            &json!({"matchLabels": {"argocd.argoproj.io/secret-type": "cluster"}}),
            "s",
            ValueRule::Label,
        )
        .expect("prefixed key");
    }

    #[test]
    fn flattening_follows_go_and_respects_typed_values() {
        let params = json!({
            "a": {"b": "c", "n": 3, "list": ["x", true]},
            "metadata": {"labels": {"env": "prod"}},
            "empty": {}
        });
        let Value::Object(params) = params else {
            panic!("object")
        };
        let mut item = Item::new(params, "t".to_string());
        let flat = flatten_params(&item);
        assert_eq!(flat.get("a.b").map(String::as_str), Some("c"));
        assert_eq!(flat.get("a.n").map(String::as_str), Some("3"));
        assert_eq!(flat.get("a.list.1").map(String::as_str), Some("true"));
        assert_eq!(
            flat.get("metadata.labels.env").map(String::as_str),
            Some("prod")
        );
        assert!(!flat.keys().any(|k| k.starts_with("empty")));
        item.opaque.push("metadata.labels".to_string());
        let flat = flatten_params(&item);
        assert_eq!(
            flat.get("metadata.labels").map(String::as_str),
            Some("map[env:prod]")
        );
    }
}
