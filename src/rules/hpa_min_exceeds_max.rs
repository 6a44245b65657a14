//! `hpa-min-exceeds-max`: a HorizontalPodAutoscaler whose `minReplicas` (1 when not written) is
//! greater than its `maxReplicas`. The API server refuses it, so the sync fails and the workload
//! keeps whatever scaling it had.

use crate::diagnostic::{Diagnostic, Severity};
use crate::model::Inventory;

use super::{Meta, Rule, util};

pub static META: Meta = Meta {
    id: "hpa-min-exceeds-max",
    severity: Severity::Error,
    summary: "a HorizontalPodAutoscaler's minReplicas is greater than its maxReplicas; the API server refuses it",
    document: include_str!("../../rules/hpa-min-exceeds-max.md"),
    reads: super::Reads::Inventory,
};

pub struct HpaMinExceedsMax;

impl Rule for HpaMinExceedsMax {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn warm(&self, shared: &super::Shared<'_>) {
        util::ByKind::warm(shared.inventory);
    }

    fn check(&self, inventory: &Inventory) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        let kinds = util::ByKind::of(inventory);
        for (idx, hpa) in util::each(inventory, &kinds.autoscalers) {
            let Some(spec) = hpa.spec() else { continue };
            let Some(max_node) = spec.get("maxReplicas") else {
                continue;
            };
            // A templated or quoted value is not an integer the API server reads; other checks
            // (the API server's own validation) report that, not this rule.
            let Some(max) = util::int_field(max_node) else {
                continue;
            };
            let min_node = spec.get("minReplicas").filter(|n| !n.is_null());
            // `minReplicas` defaults to 1 (autoscaling/v2 `HorizontalPodAutoscalerSpec`).
            let min = match min_node {
                Some(n) => match util::int_field(n) {
                    Some(m) => m,
                    None => continue,
                },
                None => 1,
            };
            if min <= max {
                continue;
            }
            let (at, label, message) = match min_node {
                Some(n) => (
                    hpa.locate(n.span),
                    "greater than maxReplicas",
                    format!(
                        "{}: minReplicas {min} is greater than maxReplicas {max}; the API server refuses the object, so the sync fails and the autoscaler keeps its previous bounds (or is never created)",
                        hpa.id
                    ),
                ),
                None => (
                    hpa.locate(max_node.span),
                    "below the default minReplicas",
                    format!(
                        "{}: maxReplicas {max} is below minReplicas, which defaults to 1; the API server refuses the object, so the sync fails and the autoscaler keeps its previous bounds (or is never created)",
                        hpa.id
                    ),
                ),
            };
            let mut d = META
                .at_node(inventory, idx, at, message)
                .with_label(label)
                .with_help(
                    "set minReplicas to the floor the workload needs under no load and maxReplicas to the ceiling \
                     it may reach, with minReplicas ≤ maxReplicas; in a Helm chart, check that both values come \
                     from the same environment's values file",
                );
            if min_node.is_some() {
                d = d.with_related(hpa.locate(max_node.span), "maxReplicas is set here");
            }
            out.push(d);
        }
        util::dedup_same_place(out)
    }
}
