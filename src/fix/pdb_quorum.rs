//! The fix of `pdb-quorum-unsafe`: the budget becomes the integer `minAvailable` that keeps the
//! quorum of every quorum StatefulSet it selects — every selected pod but the members the
//! smallest of those quorums can spare (⌊n/2⌋+1 of a StatefulSet's n replicas when it selects
//! only that one), the value the finding's help names.
//!
//! Safe: the budget then lets the disruption controller evict no more than the quorum survives,
//! and nothing else changes. A `maxUnavailable` budget is rewritten in place as `minAvailable`
//! (a budget may hold only one of them; the entry keeps its line and comment); an integer is
//! written because a percentage re-bases as replicas change.

use serde_json::Value;

use crate::diagnostic::Diagnostic;
use crate::model::Inventory;
use crate::rules::util::{self, PodIndex};

use super::edit::Edit;
use super::written::{change, object_of, refuse, written};
use super::{Fix, Fixable, NoFix};

/// The integer `minAvailable` that keeps every quorum the budget selects, and the key it
/// replaces. `Err` says why there is none to compute.
pub fn safe_min_available(
    inventory: &Inventory,
    budget_idx: crate::model::ObjectIdx,
) -> Result<(&'static str, u64), NoFix> {
    let floor = inventory.options.quorum_replicas;
    let Some(ns) = PodIndex::namespace_of(inventory, budget_idx) else {
        return refuse("the object is not a PodDisruptionBudget of the inventory");
    };
    let Some(budget) = ns.budgets.iter().find(|b| b.idx == budget_idx) else {
        return refuse("the object is not a PodDisruptionBudget of the inventory");
    };
    let Some((key, _)) = budget.limit() else {
        return refuse("the budget sets neither `minAvailable` nor `maxUnavailable`");
    };
    let Some(selected) = ns.selected(budget) else {
        return refuse("the budget's selector cannot be read");
    };
    let Some(total) = selected.iter().map(|o| o.replicas).sum::<Option<u64>>() else {
        return refuse(
            "the budget also selects pods whose count the manifests do not fix (a DaemonSet): choose `minAvailable` by hand",
        );
    };
    let safe = selected
        .iter()
        .filter_map(|o| util::quorum_size(o, floor))
        .map(|n| total - util::quorum_tolerates(n).min(total))
        .max();
    match safe {
        Some(safe) => Ok((key, safe)),
        None => refuse("the budget selects no quorum StatefulSet"),
    }
}

/// How many pods the budget `idx` selects, when the manifests fix the count.
fn selected_pods(inventory: &Inventory, idx: crate::model::ObjectIdx) -> Option<u64> {
    let ns = PodIndex::namespace_of(inventory, idx)?;
    let budget = ns.budgets.iter().find(|b| b.idx == idx)?;
    ns.selected(budget)?.iter().map(|o| o.replicas).sum()
}

/// The `minAvailable` to write in the document the budget `idx` is read from, which Kustomize
/// may render for other Applications too (a base shared by overlays): the edit changes every
/// render, so the value must keep the quorum of each and still let each evict a pod (a budget
/// of every selected pod is `pdb-blocks-eviction`). `Err` when no one value does.
fn shared_min_available(
    inventory: &Inventory,
    idx: crate::model::ObjectIdx,
    object: &crate::model::Object,
    safe: u64,
) -> Result<u64, NoFix> {
    let Some(source) = object.source_doc.filter(|_| object.origin.is_some()) else {
        return Ok(safe);
    };
    let renders: Vec<crate::model::ObjectIdx> = inventory
        .objects()
        .filter(|(i, o)| {
            *i != idx
                && o.origin.is_some()
                && o.source_doc == Some(source)
                && o.kind() == object.kind()
        })
        .map(|(i, _)| i)
        .collect();
    if renders.is_empty() {
        return Ok(safe);
    }
    let value = renders
        .iter()
        .filter_map(|&i| safe_min_available(inventory, i).ok())
        .map(|(_, v)| v)
        .fold(safe, u64::max);
    for &i in renders.iter().chain(std::iter::once(&idx)) {
        match selected_pods(inventory, i) {
            Some(total) if value < total => {}
            _ => {
                return refuse(format!(
                    "{} is rendered from {} for other Applications too, and no one `minAvailable` keeps the quorum of each and lets each evict a pod: set it in each overlay",
                    object.id.short(),
                    inventory.sources.get(source.0).display
                ));
            }
        }
    }
    Ok(value)
}

pub fn plan(inventory: &Inventory, diagnostic: &Diagnostic) -> Result<Fix, NoFix> {
    let (idx, object) = object_of(inventory, diagnostic)?;
    let (key, safe) = safe_min_available(inventory, idx)?;
    let safe = shared_min_available(inventory, idx, object, safe)?;
    let target = written(
        inventory,
        object,
        &[&["spec", "minAvailable"], &["spec", "maxUnavailable"]],
    )?;
    let spec = target.node.get("spec");
    let has = |k: &str| spec.and_then(|s| s.get(k)).is_some_and(|n| !n.is_null());
    if has("minAvailable") && has("maxUnavailable") {
        return refuse(
            "the budget sets both `minAvailable` and `maxUnavailable`, which the API refuses: keep one by hand",
        );
    }
    let edit = if key == "minAvailable" {
        Edit::Set {
            path: vec!["spec".into(), "minAvailable".into()],
            value: Value::from(safe),
        }
    } else {
        Edit::Rename {
            path: vec!["spec".into(), key.into()],
            key: "minAvailable".into(),
            value: Value::from(safe),
        }
    };
    let file_change = change(inventory, &target, &[edit])?;
    Ok(Fix {
        rule: diagnostic.rule,
        safety: Fixable::Safe,
        title: format!(
            "set `minAvailable: {safe}` on PodDisruptionBudget `{}` in {}",
            object.id.name, target.file.display
        ),
        caution: None,
        changes: vec![file_change],
    })
}
