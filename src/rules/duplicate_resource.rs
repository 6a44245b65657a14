//! `duplicate-resource`: one render unit defines the same object twice.

use std::collections::BTreeMap;

use crate::diagnostic::{Diagnostic, Severity};
use crate::model::{Inventory, Object, ObjectIdx, UnitId};

use super::{Meta, Reads, Rule, util};

pub static META: Meta = Meta {
    id: "duplicate-resource",
    severity: Severity::Error,
    summary: "the same object (cluster, group, kind, namespace, name) is defined twice in one render",
    document: include_str!("../../rules/duplicate-resource.md"),
    reads: Reads::Inventory,
};

pub struct DuplicateResource;

/// Config Sync's annotation naming the NamespaceSelector that picks an object's namespaces.
const NAMESPACE_SELECTOR: &str = "configmanagement.gke.io/namespace-selector";

/// Whether Config Sync deploys the two to namespaces picked by two different NamespaceSelectors:
/// each goes to the namespaces its selector picks, so they are not one object applied twice.
/// An object without a selector may land in a namespace a selector picks too: still one.
fn selected_apart(a: &Object, b: &Object) -> bool {
    let selector = |o: &Object| {
        o.node
            .path(&["metadata", "annotations", NAMESPACE_SELECTOR])
            .and_then(|n| n.as_str())
            .map(str::to_string)
    };
    matches!((selector(a), selector(b)), (Some(x), Some(y)) if x != y)
}

impl Rule for DuplicateResource {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check(&self, inventory: &Inventory) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for (id, objects) in inventory.by_identity() {
            if objects.len() < 2 {
                continue;
            }
            let mut per_unit: BTreeMap<UnitId, Vec<ObjectIdx>> = BTreeMap::new();
            for &idx in objects {
                let o = inventory.object(idx);
                // `generateName` objects get a fresh name on every create; repeats are normal.
                // Argo CD's own kinds have a rule of their own (`duplicate-application`).
                if o.node.path(&["metadata", "name"]).is_none() || util::is_argocd_kind(o) {
                    continue;
                }
                per_unit.entry(o.unit).or_default().push(idx);
            }
            for (unit, idxs) in per_unit {
                let unit = inventory.unit(unit);
                for (i, &again) in idxs.iter().enumerate() {
                    let o = inventory.object(again);
                    // Each later copy against the first earlier one it is the same object as.
                    let Some(first_obj) = idxs[..i]
                        .iter()
                        .map(|&e| inventory.object(e))
                        .find(|e| !selected_apart(e, o))
                    else {
                        continue;
                    };
                    let first_at = first_obj.name_location();
                    out.push(
                        META.on_object(
                            inventory,
                            again,
                            &[],
                            format!(
                                "{} is defined twice in {} (first at {})",
                                id.short(),
                                unit.name,
                                util::file_line(inventory, first_at)
                            ),
                        )
                        .with_help(
                            "remove or rename one of them: when both are applied the later silently \
                             replaces the earlier, and what only the earlier set is lost",
                        )
                        .with_label("defined again here")
                        .with_related(first_at, "first defined here"),
                    );
                }
            }
        }
        out
    }
}
