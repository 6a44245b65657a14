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

pub fn plan(inventory: &Inventory, diagnostic: &Diagnostic) -> Result<Fix, NoFix> {
    let (idx, object) = object_of(inventory, diagnostic)?;
    let (key, safe) = safe_min_available(inventory, idx)?;
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
