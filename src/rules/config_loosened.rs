//! `config-loosened`: the change under review loosens `.manifest-guard.yaml` — turns a rule off
//! or lowers it, excludes files, unprotects a cluster, stops rendering.
//!
//! The comparison itself is `config_change` (it needs the head file's YAML for spans); this rule
//! only reports what it recorded in the inventory, in `check --config-rev` and in `diff` alike.

use crate::diagnostic::{Diagnostic, Severity};
use crate::diff::change::ChangeSet;
use crate::model::Inventory;

use super::{Meta, Reads, Rule};

pub static META: Meta = Meta {
    id: "config-loosened",
    severity: Severity::Warning,
    summary: "the change loosens .manifest-guard.yaml: a rule turned off or lowered, files excluded, a cluster unprotected",
    document: include_str!("../../rules/config-loosened.md"),
    reads: Reads::ChangesAlsoInCheck,
};

pub struct ConfigLoosened;

impl Rule for ConfigLoosened {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check(&self, inventory: &Inventory) -> Vec<Diagnostic> {
        inventory
            .config_changes
            .iter()
            .map(|c| {
                let mut d = META.diagnostic(c.location, c.message.clone());
                // A note for what only a reviewer can weigh; a warning when an error-level rule
                // goes off or down.
                d.severity = if c.warning {
                    Severity::Warning
                } else {
                    Severity::Note
                };
                d.help = "this run is judged by the base's configuration; the change's applies once it is merged: agree to it in review, or drop it from the change".into();
                d
            })
            .collect()
    }

    fn check_changes(&self, set: &ChangeSet) -> Vec<Diagnostic> {
        self.check(&set.inventory)
    }
}
