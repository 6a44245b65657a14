//! `incomplete-object`: a document that looks like a Kubernetes object but lacks `apiVersion`,
//! `kind` or `metadata.name`.

use crate::diagnostic::{Diagnostic, Severity};
use crate::load::{Location, Node};
use crate::model::Inventory;

use super::{Meta, Rule};

pub static META: Meta = Meta {
    id: "incomplete-object",
    severity: Severity::Warning,
    summary: "a half-written object: `metadata` with only one of `apiVersion`/`kind`, or no name",
    document: include_str!("../../rules/incomplete-object.md"),
};

pub struct IncompleteObject;

/// What a document that has `metadata` is missing to be an object, and where to point.
fn missing(root: &Node) -> Option<(&'static str, &Node)> {
    let metadata = root.get("metadata")?;
    let api_version = root.get("apiVersion").filter(|n| n.as_str().is_some());
    let kind = root.get("kind").filter(|n| n.as_str().is_some());
    match (api_version, kind) {
        (Some(_), None) => Some(("kind", root.entry("apiVersion").map_or(root, |e| &e.key))),
        (None, Some(_)) => Some(("apiVersion", root.entry("kind").map_or(root, |e| &e.key))),
        (None, None) => None,
        (Some(_), Some(kind)) => {
            let kind = kind.as_str().unwrap_or("");
            let named = metadata.get("name").and_then(Node::as_str).is_some()
                || metadata
                    .get("generateName")
                    .and_then(Node::as_str)
                    .is_some();
            if named || kind.ends_with("List") {
                None
            } else {
                let at = root.entry("metadata").map_or(root, |e| &e.key);
                Some(("metadata.name", at))
            }
        }
    }
}

impl Rule for IncompleteObject {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check(&self, inventory: &Inventory) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for (file_id, file) in inventory.sources.iter() {
            for doc in &file.documents {
                let Some(root) = &doc.root else { continue };
                let Some((what, at)) = missing(root) else {
                    continue;
                };
                if root
                    .get("apiVersion")
                    .and_then(Node::as_str)
                    .is_some_and(|v| v.starts_with("kustomize.config.k8s.io/"))
                {
                    continue;
                }
                out.push(
                    META.diagnostic(
                        Location {
                            file: file_id,
                            span: at.span,
                        },
                        format!("this document has `metadata` but no `{what}`: a half-written object that nothing will apply"),
                    )
                    .with_help(format!(
                        "add `{what}`, or remove the document if it is not meant to be deployed"
                    )),
                );
            }
        }
        out
    }
}
