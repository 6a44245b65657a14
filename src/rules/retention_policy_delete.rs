//! `retention-policy-delete`: a change sets a StatefulSet's claim retention policy to `Delete`
//! (`diff`); and, in `check`, a StatefulSet with that policy in an Application that prunes
//! automatically, where a prune takes the claims along.

use crate::diagnostic::{Diagnostic, Severity};
use crate::diff::{change::ChangeKind, change::ChangeSet};
use crate::model::{Inventory, Object};

use super::{Meta, Reads, Rule, util};

pub static META: Meta = Meta {
    id: "retention-policy-delete",
    severity: Severity::Warning,
    summary: "a StatefulSet's persistentVolumeClaimRetentionPolicy is Delete: set by a change, or in an Application that prunes automatically",
    document: include_str!("../../rules/retention-policy-delete.md"),
    reads: Reads::ChangesAlsoInCheck,
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

    fn warm(&self, shared: &super::Shared<'_>) {
        util::ByKind::warm(shared.inventory);
    }

    // `Reads::ChangesAlsoInCheck`: in `check`, the policy alone is not news; with automated
    // prune it is one step from data loss: any render that drops the StatefulSet deletes it,
    // and Kubernetes its claims.
    fn check(&self, inventory: &Inventory) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        let kinds = util::ByKind::of(inventory);
        for (idx, o) in util::each(inventory, &kinds.statefulsets) {
            if o.id.group != "apps" || o.id.kind != "StatefulSet" {
                continue;
            }
            let Some((_, app)) = util::live_app_of(inventory, o) else {
                continue;
            };
            if !(app.sync.automated && app.sync.prune) {
                continue;
            }
            for when in ["whenDeleted", "whenScaled"] {
                let Some(value) = o
                    .node
                    .path(&["spec", "persistentVolumeClaimRetentionPolicy", when])
                    .filter(|n| n.as_str() == Some("Delete"))
                else {
                    continue;
                };
                let consequence = if when == "whenDeleted" {
                    "a prune of the StatefulSet (a moved file, a renamed key, a chart that stops rendering it) deletes its claims and their data with it"
                } else {
                    "a replica count lowered in Git, and synced automatically, deletes the claims of the removed replicas"
                };
                out.push(
                    META.diagnostic(
                        o.locate(value.span),
                        format!(
                            "StatefulSet `{}` sets `persistentVolumeClaimRetentionPolicy.{when}: Delete` and {} prunes automatically: {consequence}",
                            o.name(),
                            util::app_name(inventory, app),
                        ),
                    )
                    .with_label("claims deleted with the workload")
                    .with_help("keep `Retain` (the default) unless losing the data is intended")
                    .with_object(idx)
                    .with_related(app.locations.name, "the Application that prunes automatically"),
                );
            }
        }
        out
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
