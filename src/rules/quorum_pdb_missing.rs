//! `quorum-pdb-missing`: a quorum StatefulSet (at least `options.quorum-replicas` replicas) that
//! no PodDisruptionBudget of its cluster and namespace selects.

use crate::diagnostic::{Diagnostic, Severity};
use crate::model::Inventory;

use super::util;
use super::{Meta, Rule, Shared};

pub static META: Meta = Meta {
    id: "quorum-pdb-missing",
    severity: Severity::Warning,
    summary: "a quorum StatefulSet has no PodDisruptionBudget: a node drain can take out a majority of its members",
    document: include_str!("../../rules/quorum-pdb-missing.md"),
    reads: super::Reads::Inventory,
};

pub struct QuorumPdbMissing;

impl Rule for QuorumPdbMissing {
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
            for owner in &ns.owners {
                let Some(n) = util::quorum_size(owner, floor) else {
                    continue;
                };
                if ns.budgets_for(owner).next().is_some() {
                    continue;
                }
                let o = owner.object;
                out.push(
                    META.at_node(
                        inventory,
                        owner.idx,
                        owner.replicas_location(),
                        format!(
                            "StatefulSet `{}` runs {n} replicas, a quorum of {} that survives {} down, and no PodDisruptionBudget in namespace `{}` selects its pods: a drain or cluster upgrade may evict a majority at once",
                            o.id.name,
                            util::quorum_of(n),
                            util::quorum_tolerates(n),
                            o.id.namespace
                        ),
                    )
                    .with_label("no disruption budget")
                    .with_help(format!(
                        "add a PodDisruptionBudget (policy/v1) in `{}` whose `selector` matches the pod template's labels, with `minAvailable: {}`",
                        o.id.namespace,
                        util::quorum_of(n)
                    )),
                );
            }
        }
        out
    }
}
