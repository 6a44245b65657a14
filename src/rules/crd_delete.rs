//! `crd-delete`: a CustomResourceDefinition will be deleted, and every custom resource of its
//! kind in the cluster with it.

use crate::diagnostic::{Diagnostic, Severity};
use crate::diff::{change::ChangeKind, change::ChangeSet};

use super::{Meta, Reads, Rule, util};

pub static META: Meta = Meta {
    id: "crd-delete",
    severity: Severity::Error,
    summary: "a CustomResourceDefinition is deleted: every custom resource of that kind goes with it",
    document: include_str!("../../rules/crd-delete.md"),
    reads: Reads::Changes,
};

pub struct CrdDelete;

impl Rule for CrdDelete {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check_changes(&self, set: &ChangeSet) -> Vec<Diagnostic> {
        set.changes
            .iter()
            .filter(|c| {
                c.kind == ChangeKind::Deleted
                    && c.id.kind == "CustomResourceDefinition"
                    && c.id.group == "apiextensions.k8s.io"
            })
            .filter_map(|c| {
                Some(
                    META.on_change(
                        set,
                        c,
                        &[],
                        format!(
                            "this change deletes CustomResourceDefinition `{}` on `{}`{}: Kubernetes deletes every custom resource of its kind with it, in every namespace — {}",
                            c.id.name,
                            c.id.cluster,
                            util::in_app(c),
                            c.effect
                        ),
                    )?
                    .with_label("deleted")
                    .with_help(
                        "keep the CRD (`argocd.argoproj.io/sync-options: Prune=false` on it), or remove its custom \
                         resources deliberately first",
                    ),
                )
            })
            .collect()
    }
}
