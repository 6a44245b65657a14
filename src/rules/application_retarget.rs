//! `application-retarget`: an Application's destination cluster or namespace changes.

use crate::diagnostic::{Diagnostic, Severity};
use crate::diff::{change::ChangeSet, quantity};

use super::{Meta, Reads, Rule};

pub static META: Meta = Meta {
    id: "application-retarget",
    severity: Severity::Error,
    summary: "an Application's destination changes: fresh deploy on the new side, the old side orphaned or pruned",
    document: include_str!("../../rules/application-retarget.md"),
    reads: Reads::Changes,
};

pub struct ApplicationRetarget;

impl Rule for ApplicationRetarget {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check_changes(&self, set: &ChangeSet) -> Vec<Diagnostic> {
        set.retargets
            .iter()
            .map(|r| {
                let what = if r.from.0 != r.to.0 {
                    format!(
                        "moves from cluster `{}` to `{}`: Argo CD deploys it fresh on `{}` and leaves what runs on `{}` unmanaged",
                        r.from.0, r.to.0, r.to.0, r.from.0
                    )
                } else {
                    format!(
                        "moves from namespace `{}` to `{}` on `{}`: everything is created again in the new namespace and pruned from the old",
                        r.from.1, r.to.1, r.to.0
                    )
                };
                let stateful = if r.stateful {
                    format!(
                        "; it manages stateful objects, and the new side starts on empty volumes ({} of claims stay behind)",
                        quantity::human(r.storage)
                    )
                } else {
                    String::new()
                };
                let mut d = META
                    .diagnostic(r.head_location, format!("Application `{}` {what}{stateful}", r.name))
                    .with_label("new destination")
                    .with_help(
                        "move workloads between clusters or namespaces deliberately: deploy the new copy beside the old, \
                         migrate data, then remove the old",
                    )
                    .with_related(r.base_location, format!("the destination in {}", set.base_label));
                if !r.stateful {
                    d.severity = Severity::Warning;
                }
                d.object = r.head_object;
                d
            })
            .collect()
    }
}
