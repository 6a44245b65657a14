//! `immutable-field-change`: a change to a field Kubernetes does not allow to change.

use crate::diagnostic::{Diagnostic, Severity};
use crate::diff::{ChangeKind, ChangeSet, quantity};

use super::{Meta, Rule, util};

pub static META: Meta = Meta {
    id: "immutable-field-change",
    severity: Severity::Error,
    summary: "a change touches a field Kubernetes refuses to change: the sync fails, and forcing it recreates the object",
    document: include_str!("../../rules/immutable-field-change.md"),
};

pub struct ImmutableFieldChange;

impl Rule for ImmutableFieldChange {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn is_change_rule(&self) -> bool {
        true
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
            let at = object
                .node
                .path(&path)
                .map_or_else(|| object.name_location(), |n| object.locate(n.span));
            let fields: Vec<String> = c
                .immutable
                .iter()
                .map(|f| format!("`{}`", f.field))
                .collect();
            let destroys = if util::is_stateful(object) || c.storage_at_risk > 0 {
                format!(
                    "; forcing it (`Replace=true`, a forced sync) deletes and recreates {} — and with the claims, {} of data",
                    c.id.short(),
                    quantity::human(c.storage_at_risk)
                )
            } else {
                format!(
                    "; forcing it (`Replace=true`, a forced sync) deletes and recreates {}",
                    c.id.short()
                )
            };
            out.push(
                META.diagnostic(
                    at,
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
                )
                .with_object(head),
            );
        }
        out
    }
}
