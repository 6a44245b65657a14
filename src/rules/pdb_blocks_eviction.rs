//! `pdb-blocks-eviction`: a PodDisruptionBudget that never allows a disruption, so every
//! eviction of the pods it selects is refused and drains hang.

use crate::diagnostic::{Diagnostic, Severity};
use crate::model::Inventory;

use super::util::IntOrPercent;
use super::{Meta, Rule, Shared};

pub static META: Meta = Meta {
    id: "pdb-blocks-eviction",
    severity: Severity::Warning,
    summary: "a PodDisruptionBudget can never allow a disruption: node drains and cluster upgrades hang",
    document: include_str!("../../rules/pdb-blocks-eviction.md"),
    reads: super::Reads::Inventory,
};

pub struct PdbBlocksEviction;

impl Rule for PdbBlocksEviction {
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
                let written = node.as_scalar_text().unwrap_or_default();
                let o = budget.object;
                let why = if key == "maxUnavailable" {
                    // Zero, or 0%, allows no disruption whatever the budget selects.
                    if value.scaled_up(1) != 0 {
                        continue;
                    }
                    format!("`maxUnavailable: {written}` allows no pod to be evicted")
                } else {
                    let Some(selected) = ns.selected(budget).filter(|s| !s.is_empty()) else {
                        continue;
                    };
                    // The fewest pods there can be: an autoscaler may take its target down to
                    // its `minReplicas`, and the budget must still let one go then.
                    let mut scaled = Vec::new();
                    let mut least = Some(0u64);
                    for w in &selected {
                        let floor = match ns.autoscaler_min(w) {
                            Some(min) => {
                                scaled.push(format!(
                                    "{} `{}` scales down to {min} (HorizontalPodAutoscaler `minReplicas`)",
                                    w.object.id.kind, w.object.id.name
                                ));
                                Some(min)
                            }
                            None => w.replicas,
                        };
                        least = least.zip(floor).map(|(a, b)| a + b);
                    }
                    let Some(least) = least.filter(|n| *n > 0) else {
                        continue;
                    };
                    let desired = value.scaled_up(least);
                    if desired < least {
                        continue;
                    }
                    let names: Vec<String> = selected
                        .iter()
                        .map(|w| format!("{} `{}`", w.object.id.kind, w.object.id.name))
                        .collect();
                    let mut why = format!(
                        "`minAvailable: {written}` needs {desired} of the {least} pods of {} up, so none may be evicted",
                        crate::diagnostic::first_few(names, 3)
                    );
                    if !scaled.is_empty() {
                        why.push_str(&format!(" once {}", scaled.join(", ")));
                    }
                    why
                };
                out.push(
                    META.at_node(
                        inventory,
                        budget.idx,
                        o.locate(node.span),
                        format!(
                            "PodDisruptionBudget `{}` can never allow a disruption: {why}; a node drain or cluster upgrade waits on it forever",
                            o.id.name
                        ),
                    )
                    .with_label("no disruption allowed")
                    .with_help(
                        "allow at least one: `maxUnavailable: 1`, or a `minAvailable` below the replica count (below the autoscaler's `minReplicas`); to keep a single replica up during drains, run two",
                    ),
                );
            }
        }
        out
    }
}
