//! `immutable-field-change`: a change to a field Kubernetes does not allow to change.

use crate::diagnostic::{Diagnostic, Severity};
use crate::diff::{change::ChangeKind, change::ChangeSet, quantity};
use crate::model::Object;

use super::{Meta, Reads, Rule, util};

pub static META: Meta = Meta {
    id: "immutable-field-change",
    severity: Severity::Error,
    summary: "a change touches a field Kubernetes refuses to change: the sync fails, and forcing it recreates the object",
    document: include_str!("../../rules/immutable-field-change.md"),
    reads: Reads::Changes,
};

pub struct ImmutableFieldChange;

fn claim_template_names(object: &Object) -> Vec<&str> {
    object
        .node
        .path(&["spec", "volumeClaimTemplates"])
        .map(|v| {
            v.items()
                .iter()
                .filter_map(|t| t.path(&["metadata", "name"]).and_then(|n| n.as_str()))
                .collect()
        })
        .unwrap_or_default()
}

/// What deleting `before` and creating `after` costs in data. A StatefulSet's claims are not
/// deleted with it unless its retention policy says so: the new pods reattach them by name.
fn what_recreating_loses(before: &Object, after: &Object, storage: u128) -> String {
    let size = quantity::human(storage);
    match (before.id.group.as_str(), before.id.kind.as_str()) {
        ("", "PersistentVolumeClaim") => format!(
            " — the new claim is bound to a new, empty volume, and the old volume's {size} of data is deleted with \
             the old claim when its reclaim policy is `Delete` (the default for dynamically provisioned volumes)"
        ),
        ("apps", "StatefulSet") if util::is_stateful(before) => {
            let deletes_claims = before
                .node
                .path(&[
                    "spec",
                    "persistentVolumeClaimRetentionPolicy",
                    "whenDeleted",
                ])
                .and_then(|n| n.as_str())
                == Some("Delete");
            if deletes_claims {
                format!(
                    " — and, with `persistentVolumeClaimRetentionPolicy.whenDeleted: Delete`, its claims and their {size} of data"
                )
            } else if claim_template_names(before) != claim_template_names(after) {
                format!(
                    " — its pods come back on new, empty claims, and the {size} of data in the old ones is left behind"
                )
            } else {
                format!(
                    " — its pods go down; its claims ({size}) are kept and reattached by name, but a changed claim \
                     template never reaches claims that already exist"
                )
            }
        }
        _ => String::new(),
    }
}

impl Rule for ImmutableFieldChange {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check_changes(&self, set: &ChangeSet) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for c in set
            .changes
            .iter()
            .filter(|c| c.kind == ChangeKind::Recreated)
        {
            let Some(head) = c.head else { continue };
            let object = set.inventory.object(head);
            let first = &c.immutable[0];
            // Point at the changed field itself when the head has it.
            let path: Vec<&str> = first
                .field
                .split(' ')
                .next()
                .unwrap_or("")
                .split('.')
                .collect();
            let fields: Vec<String> = c
                .immutable
                .iter()
                .map(|f| format!("`{}`", f.field))
                .collect();
            let before = c.base.map_or(object, |b| set.inventory.object(b));
            let destroys = format!(
                "; forcing it (`argocd app sync --force`, or `Force=true,Replace=true`) deletes and recreates {}{}",
                c.id.short(),
                what_recreating_loses(before, object, crate::diff::change::storage_of(before))
            );
            let mut d = META
                .on_object(
                    &set.inventory,
                    head,
                    &path,
                    format!(
                        "{}{} changes {}, which Kubernetes does not allow to change: the sync will fail{destroys}",
                        c.id,
                        util::in_app(c),
                        fields.join(", ")
                    ),
                )
                .with_label(format!("was `{}`", first.before))
                .with_help(
                    "revert the field; if the change is needed, create a new object beside the old one and migrate, \
                     or delete and recreate deliberately after a backup",
                );
            // The field as it was, where the base has it.
            if let Some(base) = c.base
                && let Some(n) = set.inventory.object(base).node.path(&path)
            {
                d = d.with_related(
                    set.inventory.object(base).locate(n.span),
                    format!("as it was, in {}", set.base_label),
                );
            }
            out.push(d);
        }
        out
    }
}
