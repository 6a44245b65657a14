//! `retention-policy-delete`: a change sets a StatefulSet's claim retention policy to `Delete`.

use crate::diagnostic::{Diagnostic, Severity};
use crate::diff::{change::ChangeKind, change::ChangeSet};
use crate::model::Object;

use super::{Meta, Reads, Rule};

pub static META: Meta = Meta {
    id: "retention-policy-delete",
    severity: Severity::Warning,
    summary: "a change sets a StatefulSet's persistentVolumeClaimRetentionPolicy to Delete",
    document: include_str!("../../rules/retention-policy-delete.md"),
    reads: Reads::Changes,
};

pub struct RetentionPolicyDelete;

fn deletes(object: &Object, when: &str) -> bool {
    object
        .node
        .path(&["spec", "persistentVolumeClaimRetentionPolicy", when])
        .and_then(|n| n.as_str())
        == Some("Delete")
}

impl Rule for RetentionPolicyDelete {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check_changes(&self, set: &ChangeSet) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for c in &set.changes {
            if c.id.kind != "StatefulSet"
                || !matches!(
                    c.kind,
                    ChangeKind::Created
                        | ChangeKind::Modified
                        | ChangeKind::Recreated
                        | ChangeKind::Renamed
                )
            {
                continue;
            }
            let Some(head) = c.head else { continue };
            let after = set.inventory.object(head);
            let before = c.base.map(|b| set.inventory.object(b));
            for when in ["whenDeleted", "whenScaled"] {
                if !deletes(after, when) || before.is_some_and(|b| deletes(b, when)) {
                    continue;
                }
                let consequence = if when == "whenDeleted" {
                    "deleting or replacing the StatefulSet (a prune, a rename, a forced sync) now deletes its claims and their data"
                } else {
                    "scaling the StatefulSet down now deletes the claims of the removed replicas"
                };
                let path = ["spec", "persistentVolumeClaimRetentionPolicy", when];
                let mut d = META
                    .on_object(
                        &set.inventory,
                        head,
                        &path,
                        format!(
                            "StatefulSet `{}` sets `persistentVolumeClaimRetentionPolicy.{when}: Delete`: {consequence}",
                            c.id.name
                        ),
                    )
                    .with_label("claims deleted with the workload")
                    .with_help("keep `Retain` (the default) unless losing the data is intended");
                // The value it replaces, when the base wrote one (`Retain`).
                if let Some(b) = before
                    && let Some(n) = b.node.path(&path)
                {
                    d = d.with_related(
                        b.locate(n.span),
                        format!(
                            "`{}` in {}",
                            n.as_scalar_text().unwrap_or_default(),
                            set.base_label
                        ),
                    );
                }
                out.push(d);
            }
        }
        out
    }
}
