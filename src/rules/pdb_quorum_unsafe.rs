//! `pdb-quorum-unsafe`: a PodDisruptionBudget that allows more disruptions than a quorum
//! StatefulSet it selects can lose, with the disruption controller's arithmetic.

use crate::diagnostic::{Diagnostic, Severity};
use crate::model::Inventory;

use super::util::{self, IntOrPercent};
use super::{Meta, Rule, Shared};

pub static META: Meta = Meta {
    id: "pdb-quorum-unsafe",
    severity: Severity::Error,
    summary: "a PodDisruptionBudget lets a quorum StatefulSet it selects lose its majority",
    document: include_str!("../../rules/pdb-quorum-unsafe.md"),
    reads: super::Reads::Inventory,
};

pub struct PdbQuorumUnsafe;

/// How many of the selected pods the budget lets go at once, as the disruption controller
/// computes it (kubernetes `pkg/controller/disruption/disruption.go`, `getExpectedPodCount`):
/// `maxUnavailable` is read first, scaled against the expected pods (the sum of the selected
/// controllers' scale) and rounded up; an integer `minAvailable` against the pods there are; a
/// percentage `minAvailable` scaled and rounded up. `None` when it depends on what the
/// manifests do not fix (a DaemonSet's pod count).
pub fn allowed_down(key: &str, value: IntOrPercent, total: Option<u64>) -> Option<u64> {
    match (key, value) {
        ("maxUnavailable", IntOrPercent::Int(n)) => Some(n),
        ("maxUnavailable", p) => total.map(|t| p.scaled_up(t)),
        (_, v) => total.map(|t| t.saturating_sub(v.scaled_up(t))),
    }
}

impl Rule for PdbQuorumUnsafe {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn warm(&self, shared: &Shared<'_>) {
        shared.warm_pods();
    }

    fn check(&self, inventory: &Inventory) -> Vec<Diagnostic> {
        self.check_shared(&Shared::new(inventory))
    }

    fn check_shared(&self, shared: &Shared<'_>) -> Vec<Diagnostic> {
        let inventory = shared.inventory;
        let floor = inventory.options.quorum_replicas;
        let index = shared.pods();
        let mut out = Vec::new();
        for ns in index.iter() {
            for budget in &ns.budgets {
                let Some((key, node)) = budget.limit() else {
                    continue;
                };
                let Some(value) = IntOrPercent::parse(node) else {
                    continue;
                };
                let Some(selected) = ns.selected(budget) else {
                    continue;
                };
                let total: Option<u64> = selected.iter().map(|o| o.replicas).sum();
                let Some(down) = allowed_down(key, value, total) else {
                    continue;
                };
                let written = node.as_scalar_text().unwrap_or_default();
                for sts in &selected {
                    let Some(n) = util::quorum_size(sts, floor) else {
                        continue;
                    };
                    let tolerates = util::quorum_tolerates(n);
                    let lost = down.min(n);
                    if lost <= tolerates {
                        continue;
                    }
                    let total = total.unwrap_or(n);
                    let arithmetic = match value {
                        IntOrPercent::Percent(_) if key == "maxUnavailable" => {
                            format!("`{key}: {written}` of {total} pods rounds up to {down}")
                        }
                        IntOrPercent::Percent(_) => format!(
                            "`{key}: {written}` of {total} pods rounds up to {}, leaving {down} to disrupt",
                            total - down
                        ),
                        IntOrPercent::Int(_) if key == "maxUnavailable" => {
                            format!("`{key}: {written}` lets {down} pods go at once")
                        }
                        IntOrPercent::Int(_) => {
                            format!("`{key}: {written}` of {total} pods lets {down} go at once")
                        }
                    };
                    let o = budget.object;
                    // The integer `minAvailable` that keeps the quorum whatever else the budget
                    // selects: every selected pod but the members the quorum can spare.
                    let safe = total - tolerates;
                    out.push(
                        META.at_node(
                            inventory,
                            budget.idx,
                            o.locate(node.span),
                            format!(
                                "PodDisruptionBudget `{}` lets StatefulSet `{}` lose its quorum: {arithmetic}, and {n} replicas need {} up (at most {tolerates} down)",
                                o.id.name,
                                sts.object.id.name,
                                util::quorum_of(n),
                            ),
                        )
                        .with_label(format!("{lost} of {n} members may be evicted at once"))
                        .with_help(format!(
                            "set `minAvailable: {safe}` (an integer: a percentage `maxUnavailable` re-bases as replicas change)"
                        ))
                        .with_related(sts.replicas_location(), format!("StatefulSet `{}`: {n} replicas", sts.object.id.name)),
                    );
                }
            }
        }
        out
    }
}
