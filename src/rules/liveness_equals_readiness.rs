//! `liveness-equals-readiness`: a container whose liveness probe checks the same thing as its
//! readiness probe (the same handler) and gives up no later. Under load, the probe that should
//! only take the pod out of rotation restarts it instead.

use crate::diagnostic::{Diagnostic, Severity};
use crate::load::Node;
use crate::model::Inventory;

use super::{Meta, Rule, util};

pub static META: Meta = Meta {
    id: "liveness-equals-readiness",
    severity: Severity::Warning,
    summary: "a liveness probe checks the same thing as the readiness probe and gives up no later; under load it restarts pods instead of draining them",
    document: include_str!("../../rules/liveness-equals-readiness.md"),
    reads: super::Reads::Inventory,
};

pub struct LivenessEqualsReadiness;

/// The four probe handlers of `core/v1` `ProbeHandler`; a probe sets exactly one.
const HANDLERS: [&str; 4] = ["httpGet", "tcpSocket", "exec", "grpc"];

/// Kubernetes' defaults (`core/v1` `Probe`): `failureThreshold` 3, `periodSeconds` 10.
const DEFAULT_FAILURE_THRESHOLD: u64 = 3;
const DEFAULT_PERIOD_SECONDS: u64 = 10;

impl Rule for LivenessEqualsReadiness {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn warm(&self, shared: &super::Shared<'_>) {
        util::ByKind::warm(shared.inventory);
    }

    fn check(&self, inventory: &Inventory) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        let kinds = util::ByKind::of(inventory);
        for (idx, object) in util::each(inventory, &kinds.workloads) {
            for container in util::containers(object) {
                let (Some(liveness), Some(readiness)) = (
                    container.get("livenessProbe"),
                    container.get("readinessProbe"),
                ) else {
                    continue;
                };
                let Some((handler, live_check)) = handler_of(liveness) else {
                    continue;
                };
                let Some((other, ready_check)) = handler_of(readiness) else {
                    continue;
                };
                if other != handler || !same_check(handler, live_check, ready_check) {
                    continue;
                }
                let (Some(live_after), Some(ready_after)) =
                    (seconds_to_fail(liveness), seconds_to_fail(readiness))
                else {
                    continue;
                };
                if live_after > ready_after {
                    continue;
                }
                let name = util::container_name(container);
                let (live_at, ready_at) = (
                    object.locate(focus(handler, live_check).span),
                    object.locate(focus(handler, ready_check).span),
                );
                let d = META
                    .at_node(
                        inventory,
                        idx,
                        live_at,
                        format!(
                            "container `{name}` of {}: the liveness probe runs the same `{handler}` check as the readiness probe and acts after {live_after}s of failures, {} the readiness probe ({ready_after}s); when a dependency slows under load, the pod is restarted instead of taken out of rotation, and each restart moves its traffic to the others",
                            object.id,
                            if live_after == ready_after { "as soon as" } else { "sooner than" },
                        ),
                    )
                    .with_label("same check as the readiness probe")
                    .with_help(
                        "make the liveness probe check only that the process is alive (a `/livez` that touches no \
                         dependency), or keep the check and give it a higher failureThreshold × periodSeconds than \
                         the readiness probe, so that readiness takes the pod out of rotation long before liveness restarts it",
                    );
                // A rendered object's nodes all point at its template: say it once.
                out.push(if ready_at == live_at {
                    d
                } else {
                    d.with_related(ready_at, "the readiness probe's same check")
                });
            }
        }
        util::dedup_same_place(out)
    }
}

/// The probe's handler: its key and its node. `None` when it has none or several.
fn handler_of(probe: &Node) -> Option<(&'static str, &Node)> {
    let mut found = HANDLERS
        .iter()
        .filter_map(|h| probe.get(h).filter(|n| !n.is_null()).map(|n| (*h, n)));
    let first = found.next()?;
    found.next().is_none().then_some(first)
}

/// Whether two handlers of one type check the same thing, as the kubelet would run them. An
/// `httpGet` is its path, port, host, scheme and headers (`path` defaults to `/`, `scheme` to
/// `HTTP`); a `tcpSocket` its port and host; an `exec` its command; a `grpc` its port and
/// service. A named port and a number are compared as written: a different spelling is
/// treated as a different check, which can only keep the rule quiet.
fn same_check(handler: &str, a: &Node, b: &Node) -> bool {
    let field = |n: &Node, key: &str, default: &str| -> serde_json::Value {
        match n.get(key).map(Node::to_json) {
            None | Some(serde_json::Value::Null) => serde_json::Value::String(default.to_string()),
            // `8080` and `"8080"` are one port to the kubelet (an IntOrString).
            Some(serde_json::Value::Number(num)) => serde_json::Value::String(num.to_string()),
            Some(v) => v,
        }
    };
    let keys: &[(&str, &str)] = match handler {
        "httpGet" => &[
            ("path", "/"),
            ("port", ""),
            ("host", ""),
            ("scheme", "HTTP"),
            ("httpHeaders", ""),
        ],
        "tcpSocket" => &[("port", ""), ("host", "")],
        "exec" => &[("command", "")],
        "grpc" => &[("port", ""), ("service", "")],
        _ => return false,
    };
    keys.iter()
        .all(|(key, default)| field(a, key, default) == field(b, key, default))
}

/// The field that names what a handler checks: an `httpGet`'s path (else its port), a
/// `tcpSocket`'s or `grpc`'s port, an `exec`'s command; the handler when it has none.
fn focus<'a>(handler: &str, check: &'a Node) -> &'a Node {
    let keys: &[&str] = match handler {
        "httpGet" => &["path", "port"],
        "exec" => &["command"],
        _ => &["port"],
    };
    keys.iter().find_map(|k| check.get(k)).unwrap_or(check)
}

/// How long a probe takes to act once its check starts failing: `failureThreshold` ×
/// `periodSeconds`. `None` when either is not an integer (a template left unrendered).
fn seconds_to_fail(probe: &Node) -> Option<u64> {
    let value = |key: &str, default: u64| match probe.get(key).filter(|n| !n.is_null()) {
        None => Some(default),
        Some(n) => util::int_field(n),
    };
    Some(
        value("failureThreshold", DEFAULT_FAILURE_THRESHOLD)?
            .saturating_mul(value("periodSeconds", DEFAULT_PERIOD_SECONDS)?),
    )
}
