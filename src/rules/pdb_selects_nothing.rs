//! `pdb-selects-nothing`: a PodDisruptionBudget whose selector matches no workload in its
//! namespace on its cluster, so it protects nothing.

use crate::diagnostic::{Diagnostic, Severity};
use crate::model::Inventory;

use super::util::LabelSelector;
use super::{Meta, Rule, Shared};

pub static META: Meta = Meta {
    id: "pdb-selects-nothing",
    severity: Severity::Warning,
    summary: "a PodDisruptionBudget selects no workload in its namespace: it protects nothing",
    document: include_str!("../../rules/pdb-selects-nothing.md"),
    reads: super::Reads::Inventory,
};

pub struct PdbSelectsNothing;

impl Rule for PdbSelectsNothing {
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
                let o = budget.object;
                let selector = o.node.path(&["spec", "selector"]);
                let at = selector.map_or_else(|| o.name_location(), |n| o.locate(n.span));
                let message = if budget.selector == LabelSelector::Nothing {
                    // Selects nothing wherever the pods come from.
                    if selector.is_some_and(|s| !s.is_null()) {
                        format!(
                            "PodDisruptionBudget `{}` is `{}`, where an empty selector selects no pod: it protects nothing",
                            o.id.name, o.api_version
                        )
                    } else {
                        format!(
                            "PodDisruptionBudget `{}` has no `spec.selector`, which selects no pod: it protects nothing",
                            o.id.name
                        )
                    }
                } else {
                    // The pods may come from what the inventory does not show: say nothing
                    // unless the namespace's workloads are all here, and there are some.
                    if ns.unseen_pods.is_some() || ns.owners.is_empty() {
                        continue;
                    }
                    match ns.selected(budget) {
                        Some(s) if s.is_empty() => {}
                        _ => continue,
                    }
                    let names: Vec<String> = ns
                        .owners
                        .iter()
                        .map(|w| format!("{} `{}`", w.object.id.kind, w.object.id.name))
                        .collect();
                    format!(
                        "PodDisruptionBudget `{}` selects none of the workloads in namespace `{}` ({}): it protects nothing, and the pods it was meant for can all be evicted at once",
                        o.id.name,
                        o.id.namespace,
                        crate::diagnostic::first_few(names, 3)
                    )
                };
                out.push(
                    META.at_node(inventory, budget.idx, at, message)
                        .with_label("matches no pod template")
                        .with_help(
                            "copy the workload's `spec.selector.matchLabels` into the budget's `spec.selector` (policy/v1), or delete the budget",
                        ),
                );
            }
        }
        out
    }
}
