//! `hpa-target-missing`: a HorizontalPodAutoscaler whose `scaleTargetRef` names a workload that
//! is not in the inventory of the HPA's cluster and namespace. The autoscaler then scales
//! nothing (a renamed Deployment, a typo, a kind that changed), and nobody notices until load.

use crate::diagnostic::{Diagnostic, Severity};
use crate::model::Inventory;

use super::{Meta, Rule, util};

pub static META: Meta = Meta {
    id: "hpa-target-missing",
    severity: Severity::Warning,
    summary: "a HorizontalPodAutoscaler's scaleTargetRef names a workload that is not deployed in its namespace",
    document: include_str!("../../rules/hpa-target-missing.md"),
    reads: super::Reads::Inventory,
};

pub struct HpaTargetMissing;

impl Rule for HpaTargetMissing {
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
            if !util::deployed(inventory, hpa) {
                continue;
            }
            let Some(target) = util::scale_target(hpa) else {
                continue;
            };
            if !util::scale_targets(inventory, hpa, &target).is_empty() {
                continue;
            }
            // An absence proves nothing when part of the namespace was not rendered.
            if util::namespace_unknown(inventory, &hpa.id.cluster, &hpa.id.namespace).is_some() {
                continue;
            }
            // The same name under another kind, or in another namespace, is most likely what was
            // meant: say so.
            // (An index built once: a scan of every object per HPA was quadratic.)
            let elsewhere = util::workloads_named(inventory, &hpa.id.cluster, target.name);
            let hint = if elsewhere.is_empty() {
                String::new()
            } else {
                format!(" (found {} instead)", elsewhere.join(", "))
            };
            let at = target
                .node
                .get("name")
                .map_or_else(|| hpa.name_location(), |n| hpa.locate(n.span));
            out.push(
                META.at_node(
                    inventory,
                    idx,
                    at,
                    format!(
                        "{}: scaleTargetRef names {} `{}`, which is not deployed in namespace `{}` on cluster `{}`{hint}; the autoscaler scales nothing",
                        hpa.id.short(),
                        target.kind,
                        target.name,
                        hpa.id.namespace,
                        hpa.id.cluster
                    ),
                )
                .with_label("no such workload here")
                .with_help(
                    "point scaleTargetRef at the workload's kind, apiVersion and name as deployed (a rename or a \
                     chart's fullname change leaves the HPA behind), or delete the HPA with the workload",
                ),
            );
        }
        util::dedup_same_place(out)
    }
}
