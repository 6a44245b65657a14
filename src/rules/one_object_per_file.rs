//! `one-object-per-file`: a hand-written manifest file holds more than one object.

use std::collections::HashMap;

use crate::diagnostic::{Diagnostic, Severity};
use crate::load::{FileId, Location, Node};
use crate::model::object::manifests;
use crate::model::{Inventory, ObjectIdx};

use super::{Meta, Reads, Rule, util};

pub static META: Meta = Meta {
    id: "one-object-per-file",
    severity: Severity::Warning,
    summary: "a manifest file holds more than one Kubernetes object, hiding a change's blast radius",
    document: include_str!("../../rules/one-object-per-file.md"),
    reads: Reads::Inventory,
};

pub struct OneObjectPerFile;

impl Rule for OneObjectPerFile {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check(&self, inventory: &Inventory) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        // Files Kustomize read resources from: with rendering their objects are the render's
        // output, but the file holds what it holds, rendered or not (`--no-render` sees the same).
        let mut read_by_tools: HashMap<FileId, Vec<ObjectIdx>> = HashMap::new();
        for (o, obj) in inventory.objects() {
            if let Some((file, _)) = obj.source_doc {
                read_by_tools.entry(file).or_default().push(o);
            }
        }
        // Reused from file to file; labelled only for a file that holds two objects or more
        // (most hold one, and a label is a string built).
        let mut kept: Vec<ObjectIdx> = Vec::new();
        for (file_id, file) in inventory.sources.iter() {
            // One entry per document (or List item): a file selected by two Applications
            // yields two copies of each object, but it still holds what it holds.
            kept.clear();
            let mut seen = std::collections::HashSet::new();
            let place = |o: ObjectIdx| {
                let obj = inventory.object(o);
                (obj.doc_index, obj.list_item)
            };
            for &o in inventory.in_file(file_id) {
                if !util::hand_written(inventory.object(o)) {
                    continue;
                }
                // A few objects are compared in place; a set (allocated, hashed) only for a
                // file of many.
                let fresh = if kept.len() < 16 {
                    !kept.iter().any(|&k| place(k) == place(o))
                } else {
                    if seen.is_empty() {
                        seen.extend(kept.iter().map(|&k| place(k)));
                    }
                    seen.insert(place(o))
                };
                if fresh {
                    kept.push(o);
                }
            }
            let mut objects: Vec<(Option<ObjectIdx>, Location, String)> = if kept.len() < 2 {
                Vec::new()
            } else {
                kept.iter()
                    .map(|&o| {
                        let obj = inventory.object(o);
                        (Some(o), obj.location(), obj.id.short())
                    })
                    .collect()
            };
            if kept.is_empty()
                && let Some(rendered) = read_by_tools.get(&file_id)
            {
                objects = written_objects(inventory, file_id, rendered);
            }
            if objects.len() < 2 {
                continue;
            }
            // A file of thousands of objects is named by its first few: a longer list helps no
            // reader and makes every report format slow.
            const LISTED: usize = 20;
            let listing = crate::diagnostic::first_few(
                objects
                    .iter()
                    .map(|(_, at, label)| format!("{label} (line {})", util::line(inventory, *at))),
                LISTED,
            );
            let (second, second_at, _) = &objects[1];
            let second_at = *second_at;
            let second = *second;
            let mut d = META
                .diagnostic(
                    second_at,
                    format!(
                        "`{}` holds {} Kubernetes objects: {}",
                        file.display,
                        objects.len(),
                        listing
                    ),
                )
                .with_help(
                    "move each object into a file of its own, named after it, so a change to one \
                     object is one file in review",
                )
                .with_object_opt(second);
            for (_, at, label) in objects.iter().take(LISTED) {
                d = d.with_related(*at, label.clone());
            }
            out.push(d);
        }
        out
    }
}

/// The objects a resource file holds as written, located at their own `kind:` in the file as
/// without rendering, and named by the rendered object each became when one matches.
fn written_objects(
    inventory: &Inventory,
    file_id: FileId,
    rendered: &[ObjectIdx],
) -> Vec<(Option<ObjectIdx>, Location, String)> {
    let file = inventory.sources.get(file_id);
    let mut out = Vec::new();
    for (doc_index, doc) in file.documents.iter().enumerate() {
        for m in manifests(doc) {
            // Kustomize may prefix or suffix the name and set the namespace; the kind stays.
            let became = rendered.iter().copied().find(|&o| {
                let obj = inventory.object(o);
                obj.source_doc == Some((file_id, doc_index))
                    && obj.kind() == m.kind
                    && obj.name().contains(m.name)
            });
            let label = match became {
                Some(o) => inventory.object(o).id.short(),
                None => match m.namespace {
                    Some(ns) => format!("{} `{ns}/{}`", m.kind, m.name),
                    None => format!("{} `{}`", m.kind, m.name),
                },
            };
            let span = m.node.get("kind").map_or(m.node.span, |n: &Node| n.span);
            out.push((
                became,
                Location {
                    file: file_id,
                    span,
                },
                label,
            ));
        }
    }
    out
}
