//! `duplicate-yaml-key`: a mapping with the same key twice.

use std::collections::HashMap;

use crate::diagnostic::{Diagnostic, Severity};
use crate::load::{FileId, Location, yaml::Value};
use crate::model::Inventory;

use super::{Meta, Reads, Rule};

pub static META: Meta = Meta {
    id: "duplicate-yaml-key",
    severity: Severity::Error,
    summary: "a YAML mapping has the same key twice; the later value silently replaces the earlier",
    document: include_str!("../../rules/duplicate-yaml-key.md"),
    reads: Reads::Inventory,
};

pub struct DuplicateYamlKey;

impl Rule for DuplicateYamlKey {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check(&self, inventory: &Inventory) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for (file_id, file) in inventory.sources.iter() {
            // Found while parsing: most files repeat no key, and are not walked.
            if !file.documents.iter().any(|d| d.repeats_key) {
                continue;
            }
            // The first object of each document, looked up once per file (not per document).
            let mut first_of_doc: HashMap<usize, crate::model::ObjectIdx> = HashMap::new();
            for &o in inventory.in_file(file_id) {
                first_of_doc
                    .entry(inventory.object(o).doc_index)
                    .or_insert(o);
            }
            for (doc_index, doc) in file.documents.iter().enumerate() {
                if !doc.repeats_key {
                    continue;
                }
                let Some(root) = &doc.root else { continue };
                let object = first_of_doc.get(&doc_index).copied();
                root.walk(&mut |node| {
                    let Value::Map(entries) = &node.value else {
                        return;
                    };
                    if let Some(d) = unseparated_documents(file_id, entries) {
                        out.push(d.with_object_opt(object));
                        return;
                    }
                    let mut seen: HashMap<&str, usize> = HashMap::new();
                    for (i, entry) in entries.iter().enumerate() {
                        // A key brought in by a merge (`<<: *base`) and written again in the
                        // mapping is the documented way to override it, not a duplicate.
                        if entry.merged {
                            continue;
                        }
                        let Some(key) = entry.key.as_scalar_text() else {
                            continue;
                        };
                        // Merge keys may legitimately repeat in some YAML dialects.
                        if key == "<<" {
                            continue;
                        }
                        let Some(&first) = seen.get(key) else {
                            seen.insert(key, i);
                            continue;
                        };
                        let key = super::util::shortened(key);
                        let first_entry = &entries[first];
                        let first_line = file.line_col(first_entry.key.span.start).line;
                        let at = Location {
                            file: file_id,
                            span: entry.key.span,
                        };
                        // The same value twice replaces nothing today; it is still a trap, since
                        // an edit to the first one will be silently lost.
                        let same = first_entry.value.to_json() == entry.value.to_json();
                        let d = if same {
                            META.diagnostic(
                                at,
                                format!(
                                    "key `{key}` is defined twice in this mapping (first on line {first_line}), with the same value; an edit to the first will be silently ignored"
                                ),
                            )
                            .with_help(format!("delete the second `{key}:`"))
                        } else {
                            META.diagnostic(
                                at,
                                format!(
                                    "key `{key}` is defined twice in this mapping (first on line {first_line}); the later value silently replaces the earlier"
                                ),
                            )
                            .with_help(format!(
                                "keep one `{key}:`; if both values are wanted, merge them by hand"
                            ))
                        };
                        let mut d = d.with_label("defined again here").with_related(
                            Location {
                                file: file_id,
                                span: first_entry.key.span,
                            },
                            "first defined here",
                        );
                        if same {
                            d.severity = Severity::Warning;
                        }
                        out.push(d.with_object_opt(object));
                    }
                });
            }
        }
        out
    }
}

/// Several Kubernetes objects run together in one mapping: `apiVersion:` and `kind:` both repeat,
/// because no `---` separates the documents (typically a Helm `range` that emits one object per
/// iteration without a separator). One cause, so one finding, at the first repeated
/// `apiVersion:` — where the missing `---` belongs — instead of one per repeated key.
fn unseparated_documents(file: FileId, entries: &[crate::load::yaml::Entry]) -> Option<Diagnostic> {
    let at = |key: &str| -> Vec<&crate::load::yaml::Entry> {
        entries
            .iter()
            .filter(|e| !e.merged && e.key.as_scalar_text() == Some(key))
            .collect()
    };
    let api_versions = at("apiVersion");
    if api_versions.len() < 2 || at("kind").len() < 2 {
        return None;
    }
    let documents = api_versions.len();
    Some(
        META.diagnostic(
            Location {
                file,
                span: api_versions[1].key.span,
            },
            format!(
                "{documents} Kubernetes objects run together in one mapping: `apiVersion:` and `kind:` repeat because the documents are not separated by `---`; every repeated key keeps only its last value, so one mixed object is applied and the others are lost"
            ),
        )
        .with_help(
            "put `---` on a line of its own before each document; in a Helm template that loops (`range`), start each iteration with `---`",
        )
        .with_label("a new document starts here, without `---`")
        .with_related(
            Location {
                file,
                span: api_versions[0].key.span,
            },
            "the first document starts here",
        ),
    )
}
