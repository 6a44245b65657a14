//! `liveness-without-startup`: a liveness probe that waits long enough before its first check to
//! suggest a slow start (`options.slow-start-seconds`), in a container without a startup probe.
//! The fixed delay is too long in the common case and too short on a slow day.

use crate::diagnostic::{Diagnostic, Severity};
use crate::model::Inventory;

use super::{Meta, Rule, util};

pub static META: Meta = Meta {
    id: "liveness-without-startup",
    severity: Severity::Note,
    summary: "a liveness probe waits a long initialDelaySeconds instead of a startupProbe covering the slow start",
    document: include_str!("../../rules/liveness-without-startup.md"),
    reads: super::Reads::Inventory,
};

pub struct LivenessWithoutStartup;

impl Rule for LivenessWithoutStartup {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn warm(&self, shared: &super::Shared<'_>) {
        util::ByKind::warm(shared.inventory);
    }

    fn check(&self, inventory: &Inventory) -> Vec<Diagnostic> {
        let threshold = inventory.options.slow_start_seconds;
        let mut out = Vec::new();
        let kinds = util::ByKind::of(inventory);
        for (idx, object) in util::each(inventory, &kinds.workloads) {
            for container in util::containers(object) {
                if container.get("startupProbe").is_some_and(|n| !n.is_null()) {
                    continue;
                }
                let Some(delay_node) = container.path(&["livenessProbe", "initialDelaySeconds"])
                else {
                    continue;
                };
                let Some(delay) = util::int_field(delay_node) else {
                    continue;
                };
                if delay < threshold {
                    continue;
                }
                let name = util::container_name(container);
                out.push(
                    META.at_node(
                        inventory,
                        idx,
                        object.locate(delay_node.span),
                        format!(
                            "container `{name}` of {}: the liveness probe waits {delay}s before its first check and there is no startupProbe; every restart leaves the pod unchecked that long, and a start slower than {delay}s (a cold cache, a replay, a node under load) is killed and restarted in a loop",
                            object.id
                        ),
                    )
                    .with_label(format!("{delay}s ≥ slow-start-seconds ({threshold}s)"))
                    .with_help(
                        "add a startupProbe with the liveness probe's check, `failureThreshold × periodSeconds` \
                         covering the slowest start you accept, and drop the liveness probe's initialDelaySeconds: \
                         the liveness probe then starts as soon as the startup probe succeeds",
                    ),
                );
            }
        }
        util::dedup_same_place(out)
    }
}
