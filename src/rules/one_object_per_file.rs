//! `one-object-per-file`: a hand-written manifest file holds more than one object.

use crate::diagnostic::{Diagnostic, Severity};
use crate::model::Inventory;

use super::{Meta, Rule, util};

pub static META: Meta = Meta {
    id: "one-object-per-file",
    severity: Severity::Warning,
    summary: "a manifest file holds more than one Kubernetes object, hiding a change's blast radius",
    document: include_str!("../../rules/one-object-per-file.md"),
};

pub struct OneObjectPerFile;

impl Rule for OneObjectPerFile {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check(&self, inventory: &Inventory) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for (file_id, file) in inventory.sources.iter() {
            // One entry per document (or List item): a file selected by two Applications
            // yields two copies of each object, but it still holds what it holds.
            let mut seen = std::collections::HashSet::new();
            let objects: Vec<_> = inventory
                .in_file(file_id)
                .iter()
                .copied()
                .filter(|&o| {
                    let obj = inventory.object(o);
                    util::hand_written(obj) && seen.insert((obj.doc_index, obj.list_item))
                })
                .collect();
            if objects.len() < 2 {
                continue;
            }
            // A file of thousands of objects is named by its first few: a longer list helps no
            // reader and makes every report format slow.
            const LISTED: usize = 20;
            let mut listing: Vec<String> = objects
                .iter()
                .take(LISTED)
                .map(|&o| {
                    let o = inventory.object(o);
                    format!(
                        "{} (line {})",
                        o.id.short(),
                        util::line(inventory, o.location())
                    )
                })
                .collect();
            if objects.len() > LISTED {
                listing.push(format!("and {} more", objects.len() - LISTED));
            }
            let second = inventory.object(objects[1]);
            let mut d = META
                .diagnostic(
                    second.location(),
                    format!(
                        "`{}` holds {} Kubernetes objects: {}",
                        file.display,
                        objects.len(),
                        listing.join(", ")
                    ),
                )
                .with_help(
                    "move each object into a file of its own, named after it, so a change to one \
                     object is one file in review",
                )
                .with_object(objects[1]);
            for &o in objects.iter().take(LISTED) {
                let obj = inventory.object(o);
                d = d.with_related(obj.location(), obj.id.short());
            }
            out.push(d);
        }
        out
    }
}
