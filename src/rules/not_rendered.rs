//! `not-rendered`: what could not be rendered offline, and why.

use crate::diagnostic::{Diagnostic, Severity};
use crate::model::Inventory;

use super::{Meta, Reads, Rule};

pub static META: Meta = Meta {
    id: "not-rendered",
    severity: Severity::Note,
    summary: "a source could not be rendered offline (remote repository, plugin, unsupported tool); its objects are not checked",
    document: include_str!("../../rules/not-rendered.md"),
    reads: Reads::Inventory,
};

pub struct NotRendered;

impl Rule for NotRendered {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check(&self, inventory: &Inventory) -> Vec<Diagnostic> {
        inventory
            .notes
            .iter()
            .filter(|n| n.not_rendered)
            .map(|n| {
                // A cycle of Applications hides nothing: it is the finding itself.
                let cycle = n.why == Some(crate::render::APP_CYCLE);
                let mut d = if cycle {
                    META.diagnostic(n.location, n.message.clone())
                        .with_label(crate::render::APP_CYCLE)
                        .with_help(n.help.clone())
                } else {
                    META.diagnostic(n.location, n.message.clone())
                        .with_label("not rendered")
                        .with_help(format!(
                            "{}; until then these objects are invisible to every other rule",
                            n.help
                        ))
                };
                // Broken input (an ApplicationSet Argo CD cannot expand either) is an error, not
                // a limit of working offline.
                if cycle {
                    // Argo CD applies it; the hazard is the cascade, for a reviewer to weigh.
                    d.severity = Severity::Warning;
                } else if n.broken {
                    d.severity = Severity::Error;
                } else if n.tool_missing || n.hides_objects {
                    d.severity = Severity::Warning;
                }
                d
            })
            .collect()
    }
}
