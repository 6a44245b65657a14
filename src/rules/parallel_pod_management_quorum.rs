//! `parallel-pod-management-quorum`: `podManagementPolicy: Parallel` on a quorum StatefulSet.

use crate::diagnostic::{Diagnostic, Severity};
use crate::model::Inventory;

use super::util;
use super::{Meta, Rule, Shared};

pub static META: Meta = Meta {
    id: "parallel-pod-management-quorum",
    severity: Severity::Note,
    summary: "a quorum StatefulSet uses podManagementPolicy: Parallel: a scale-down removes members all at once",
    document: include_str!("../../rules/parallel-pod-management-quorum.md"),
    reads: super::Reads::Inventory,
};

pub struct ParallelPodManagementQuorum;

impl Rule for ParallelPodManagementQuorum {
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
        for owner in index.iter().flat_map(|ns| &ns.owners) {
            let Some(n) = util::quorum_size(owner, floor) else {
                continue;
            };
            let o = owner.object;
            let Some(policy) = o
                .node
                .path(&["spec", "podManagementPolicy"])
                .filter(|p| p.as_str() == Some("Parallel"))
            else {
                continue;
            };
            out.push(
                META.at_node(
                    inventory,
                    owner.idx,
                    o.locate(policy.span),
                    format!(
                        "StatefulSet `{}` ({n} replicas, quorum {}) uses `podManagementPolicy: Parallel`: a scale-down terminates every removed member at once instead of one at a time, waiting for none to be gone first",
                        o.id.name,
                        util::quorum_of(n)
                    ),
                )
                .with_label("members start and stop together")
                .with_help(
                    "use `OrderedReady` (the default) for a quorum system, unless it is built to lose several members at once; scale it down one replica at a time",
                ),
            );
        }
        out
    }
}
