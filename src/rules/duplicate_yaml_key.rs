//! `duplicate-yaml-key`: a mapping with the same key twice.

use std::collections::HashMap;

use crate::diagnostic::{Diagnostic, Severity};
use crate::load::{Location, yaml::Value};
use crate::model::Inventory;

use super::{Meta, Rule};

pub static META: Meta = Meta {
    id: "duplicate-yaml-key",
    severity: Severity::Error,
    summary: "a YAML mapping has the same key twice; the later value silently replaces the earlier",
    document: include_str!("../../rules/duplicate-yaml-key.md"),
};

pub struct DuplicateYamlKey;

impl Rule for DuplicateYamlKey {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check(&self, inventory: &Inventory) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for (file_id, file) in inventory.sources.iter() {
            // The first object of each document, looked up once per file (not per document).
            let mut first_of_doc: HashMap<usize, crate::model::ObjectIdx> = HashMap::new();
            for &o in inventory.in_file(file_id) {
                first_of_doc
                    .entry(inventory.object(o).doc_index)
                    .or_insert(o);
            }
            for (doc_index, doc) in file.documents.iter().enumerate() {
                let Some(root) = &doc.root else { continue };
                let object = first_of_doc.get(&doc_index).copied();
                root.walk(&mut |node| {
                    let Value::Map(entries) = &node.value else {
                        return;
                    };
                    let mut seen: HashMap<&str, usize> = HashMap::new();
                    for entry in entries {
                        let Some(key) = entry.key.as_scalar_text() else {
                            continue;
                        };
                        // Merge keys may legitimately repeat in some YAML dialects.
                        if key == "<<" {
                            continue;
                        }
                        match seen.get(key) {
                            None => {
                                seen.insert(key, entry.key.span.start);
                            }
                            Some(&first) => {
                                let first_span = entries
                                    .iter()
                                    .find(|e| e.key.span.start == first)
                                    .map_or(entry.key.span, |e| e.key.span);
                                let first_line = file.line_col(first).line;
                                let mut d = META
                                    .diagnostic(
                                        Location {
                                            file: file_id,
                                            span: entry.key.span,
                                        },
                                        format!(
                                            "key `{key}` is defined twice in this mapping (first on line {first_line}); the later value silently replaces the earlier"
                                        ),
                                    )
                                    .with_help(format!(
                                        "keep one `{key}:`; if both values are wanted, merge them by hand"
                                    ))
                                    .with_label("defined again here")
                                    .with_related(
                                        Location {
                                            file: file_id,
                                            span: first_span,
                                        },
                                        "first defined here",
                                    );
                                d.object = object;
                                out.push(d);
                            }
                        }
                    }
                });
            }
        }
        out
    }
}
