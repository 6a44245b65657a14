//! `stateful-delete`: a change deletes a PersistentVolumeClaim, a PersistentVolume, a StatefulSet
//! with volume claim templates, or a Namespace holding one of them.

use crate::diagnostic::{Diagnostic, Severity};
use crate::diff::{change::ChangeKind, change::ChangeSet, quantity};

use super::{Meta, Reads, Rule, util};

pub static META: Meta = Meta {
    id: "stateful-delete",
    severity: Severity::Error,
    summary: "a change deletes a PVC, a PV, a StatefulSet with volume claims, or a Namespace holding them",
    document: include_str!("../../rules/stateful-delete.md"),
    reads: Reads::Changes,
};

pub struct StatefulDelete;

impl Rule for StatefulDelete {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check_changes(&self, set: &ChangeSet) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for c in set.changes.iter().filter(|c| c.kind == ChangeKind::Deleted) {
            let Some(base) = c.base else { continue };
            let object = set.inventory.object(base);
            let stateful = util::is_stateful(object);
            // A Namespace takes everything in it along: what this change touches, and what
            // other Applications keep deploying there unchanged.
            let held: Vec<String> = if c.id.kind == "Namespace" && c.id.group.is_empty() {
                let mut held: Vec<String> = set
                    .inventory
                    .objects()
                    .map(|(_, o)| o)
                    .filter(|o| o.id.cluster == c.id.cluster && o.id.namespace == c.id.name)
                    .filter(|o| util::is_stateful(o))
                    .map(|o| o.id.short())
                    .collect();
                held.sort();
                held.dedup();
                held
            } else {
                Vec::new()
            };
            if !stateful && held.is_empty() {
                continue;
            }
            let storage = if c.storage_at_risk > 0 {
                format!(" ({} of volume claims)", quantity::human(c.storage_at_risk))
            } else {
                String::new()
            };
            let what = if held.is_empty() {
                format!("{}{}{storage}", c.id, util::in_app(c))
            } else {
                format!(
                    "{}{}, and with it {}{storage}",
                    c.id,
                    util::in_app(c),
                    held.join(", ")
                )
            };
            let Some(d) = META.on_change(
                set,
                c,
                &[],
                format!("this change deletes {what}: {}", c.effect),
            ) else {
                continue;
            };
            out.push(
                d.with_label("deleted with its data")
                    .with_help(
                        "stop: a redeploy creates new, empty volumes. Keep the object, or protect it first \
                         (`argocd.argoproj.io/sync-options: Prune=false,Delete=false`), migrate the data, and delete it \
                         in a change of its own",
                ),
            );
        }
        out
    }
}
