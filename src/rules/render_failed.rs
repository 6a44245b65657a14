//! `render-failed`: Helm or Kustomize ran and failed on a source; nothing it would have produced
//! could be checked, and Argo CD would fail the same way.

use crate::diagnostic::{Diagnostic, Severity};
use crate::model::Inventory;

use super::{Meta, Reads, Rule};

pub static META: Meta = Meta {
    id: "render-failed",
    severity: Severity::Error,
    summary: "Helm or Kustomize failed on a source: Argo CD cannot sync it, and none of its objects were checked",
    document: include_str!("../../rules/render-failed.md"),
    reads: Reads::Inventory,
};

pub struct RenderFailed;

impl Rule for RenderFailed {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check(&self, inventory: &Inventory) -> Vec<Diagnostic> {
        inventory
            .notes
            .iter()
            .filter(|n| n.render_failed)
            .map(|n| {
                META.diagnostic(n.location, n.message.clone())
                    .with_label("render failed")
                    .with_help(
                        "reproduce it with `helm template` on the chart or `kustomize build` on the directory, \
                         and fix what the tool reports; Argo CD's repo-server runs the same tool and fails the same way",
                    )
            })
            .collect()
    }
}
