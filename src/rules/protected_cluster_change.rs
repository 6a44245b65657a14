//! `protected-cluster-change`: a delete or recreate on a cluster marked `protected: true`.

use crate::diagnostic::{Diagnostic, Severity};
use crate::diff::{change::ChangeKind, change::ChangeSet};

use super::{Meta, Reads, Rule, util};

pub static META: Meta = Meta {
    id: "protected-cluster-change",
    severity: Severity::Error,
    summary: "a change deletes or recreates an object on a cluster marked `protected: true`",
    document: include_str!("../../rules/protected-cluster-change.md"),
    reads: Reads::Changes,
};

pub struct ProtectedClusterChange;

impl Rule for ProtectedClusterChange {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check_changes(&self, set: &ChangeSet) -> Vec<Diagnostic> {
        set.changes
            .iter()
            .filter(|c| {
                matches!(c.kind, ChangeKind::Deleted | ChangeKind::Recreated | ChangeKind::Renamed)
                    && set.protected_clusters.contains(&c.id.cluster)
            })
            .filter_map(|c| {
                let mut d = META
                    .on_change(
                        set,
                        c,
                        &[],
                        format!(
                            "{} on protected cluster `{}` is {}{}: {}",
                            c.id.short(),
                            c.id.cluster,
                            c.kind.as_str(),
                            util::in_app(c),
                            c.effect
                        ),
                    )?
                    .with_label(format!("{} on a protected cluster", c.kind.as_str()))
                    .with_help(
                        "split destructive changes to protected clusters into their own reviewed change, or mark the \
                         object `argocd.argoproj.io/sync-options: Prune=false`",
                    );
                // What a recreate or a rename replaces: the object as the base has it.
                if let (Some(base), Some(_)) = (c.base, c.head) {
                    let before = set.inventory.object(base);
                    let what = match &c.renamed_from {
                        Some(from) => format!("the old name `{}`, in {}", from.name, set.base_label),
                        None => format!("the object before the change, in {}", set.base_label),
                    };
                    d = d.with_related(before.name_location(), what);
                }
                Some(d)
            })
            .collect()
    }
}
