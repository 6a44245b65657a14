//! `incomplete-object`: a document that looks like a Kubernetes object but lacks `apiVersion`,
//! `kind` or `metadata.name`.

use crate::diagnostic::{Diagnostic, Severity};
use crate::load::{Location, Node};
use crate::model::{Inventory, group_of};

use super::{Meta, Reads, Rule};

pub static META: Meta = Meta {
    id: "incomplete-object",
    severity: Severity::Warning,
    summary: "a half-written object: `metadata` with only one of `apiVersion`/`kind`, or no name",
    document: include_str!("../../rules/incomplete-object.md"),
    reads: Reads::Inventory,
};

pub struct IncompleteObject;

/// What a document is missing to be an object, and where to point. Only documents that are
/// clearly meant as objects count: `metadata` with one of `apiVersion`/`kind`, or both of those
/// for a kind Kubernetes knows (a kubeconfig's `kind: Config` is not an object and has no name).
fn missing<'a>(root: &'a Node, inventory: &Inventory) -> Option<(&'static str, &'a Node)> {
    let metadata = root.get("metadata");
    let api_version = root.get("apiVersion").and_then(Node::as_str);
    let kind = root.get("kind").and_then(Node::as_str);
    let key = |k: &str| root.entry(k).map_or(root, |e| &e.key);
    match (api_version, kind) {
        (Some(_), None) if metadata.is_some() => Some(("kind", key("apiVersion"))),
        (None, Some(_)) if metadata.is_some() => Some(("apiVersion", key("kind"))),
        (Some(api_version), Some(kind)) => {
            let named = |k: &str| {
                metadata
                    .and_then(|m| m.get(k))
                    .and_then(Node::as_str)
                    .is_some_and(|n| !n.is_empty())
            };
            // Named first: nearly every document is, and the kind's scope is a lookup.
            let known = || {
                inventory
                    .scopes
                    .namespaced(group_of(api_version), kind)
                    .is_some()
                    || group_of(api_version) == "argoproj.io"
            };
            if named("name") || named("generateName") || kind.ends_with("List") || !known() {
                None
            } else if metadata.is_some() {
                Some(("metadata.name", key("metadata")))
            } else {
                Some(("metadata.name", key("kind")))
            }
        }
        _ => None,
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
                let Some((what, at)) = missing(root, inventory) else {
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
                        format!("this document has no `{what}`: a half-written object that nothing will apply"),
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
