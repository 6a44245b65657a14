//! Where the planners edit: the document a finding's object is written in, in a file of the tree.
//!
//! A fix changes what a person wrote, never a tool's output: an object rendered by Helm has no
//! fix (the refusal names the template and says to change the chart or its values), and one
//! rendered by Kustomize is fixed in the resource file it was read from (the document Kustomize
//! read, `Object::source_doc`) only when that document still says what the render says at the
//! path the fix edits; otherwise a patch of the kustomization decides, and the refusal names it.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use crate::diagnostic::Diagnostic;
use crate::load::{FileId, Location, Node, SourceFile};
use crate::model::{Inventory, Object, ObjectIdx};
use crate::rules::util;

use super::edit::{self, Edit};
use super::{FileChange, NoFix};

/// One document of a file of the tree, which a fix edits.
pub struct Written<'a> {
    pub file: &'a SourceFile,
    pub doc_index: usize,
    /// The document's tree as written (for a Kustomize resource, before the build).
    pub node: &'a Node,
}

pub fn refuse<T>(reason: impl Into<String>) -> Result<T, NoFix> {
    Err(NoFix {
        reason: reason.into(),
    })
}

/// `file:line` of a location, for a refusal that says where to change things by hand.
pub fn at(inventory: &Inventory, location: Location) -> String {
    util::file_line(inventory, location)
}

/// The object a finding is about.
pub fn object_of<'a>(
    inventory: &'a Inventory,
    diagnostic: &Diagnostic,
) -> Result<(ObjectIdx, &'a Object), NoFix> {
    match diagnostic.object {
        Some(idx) if idx.0 < inventory.objects.len() => Ok((idx, inventory.object(idx))),
        _ => refuse("the finding names no object"),
    }
}

/// The document `object` is written in, when a fix may edit it there. `paths` are the paths the
/// fix reads or edits: a Kustomize resource is edited only when its document holds the same
/// value as the render at each of them (or both lack it).
pub fn written<'a>(
    inventory: &'a Inventory,
    object: &'a Object,
    paths: &[&[&str]],
) -> Result<Written<'a>, NoFix> {
    if object.list_item.is_some() {
        return refuse(format!(
            "{} is an item of a `kind: List`: edit it by hand",
            object.id.short()
        ));
    }
    let (file_id, doc_index, rendered) = match (object.origin, object.source_doc) {
        (None, _) => (object.file, object.doc_index, false),
        (Some(_), Some((file, doc))) => (file, doc, true),
        (Some(origin), None) => {
            return refuse(format!(
                "{} is rendered output: change its source at {} (the template or resource, or the values or kustomization that make it)",
                object.id.short(),
                at(inventory, origin)
            ));
        }
    };
    let file = inventory.sources.get(file_id);
    if file.generated || file.rendered.is_some() {
        return refuse(format!(
            "{} is rendered output: change its source",
            object.id.short()
        ));
    }
    if file.yaml_error.is_some() || file.read_problem.is_some() {
        return refuse(format!("{} does not parse: fix it first", file.display));
    }
    let Some(node) = file
        .documents
        .get(doc_index)
        .and_then(|d| d.root.as_deref())
    else {
        return refuse(format!(
            "{} has no document {}",
            file.display,
            doc_index + 1
        ));
    };
    if rendered {
        // The document Kustomize read must be the object itself (not a `kind: List` of it).
        if node.get("kind").and_then(Node::as_str) != Some(object.id.kind.as_str()) {
            return refuse(format!(
                "{} is rendered by Kustomize from a document of {} that is not it alone: edit it by hand",
                object.id.short(),
                file.display
            ));
        }
        for path in paths {
            let source = node.path(path);
            let render = object.node.path(path);
            let same = match (source, render) {
                (None, None) => true,
                (Some(a), Some(b)) => a.same_content(b),
                _ => false,
            };
            if !same {
                return refuse(format!(
                    "{} is rendered by Kustomize, and its `{}` is not what {} writes: change the kustomization that sets it",
                    object.id.short(),
                    path.join("."),
                    file.display
                ));
            }
        }
    }
    Ok(Written {
        file,
        doc_index,
        node,
    })
}

/// The file on disk: the scanned root joined with the path below it.
pub fn disk_path(inventory: &Inventory, rel: &str) -> PathBuf {
    inventory.root.join(rel)
}

/// The change of `written`'s file that `edits` make to its document.
pub fn change(
    inventory: &Inventory,
    written: &Written<'_>,
    edits: &[Edit],
) -> Result<FileChange, NoFix> {
    let file = written.file;
    let after = edit::edit_document(&file.text, &file.documents, written.doc_index, edits)
        .map_err(|e| NoFix {
            reason: format!("{}: {e}", file.display),
        })?;
    Ok(FileChange {
        path: disk_path(inventory, &file.rel),
        display: file.display.clone(),
        before: Some(file.text.clone()),
        after: Some(after),
    })
}

/// The file of the tree at `rel` (below the root), through an index built once per inventory:
/// planning runs per finding and must not scan every file each time.
pub fn file_at<'a>(inventory: &'a Inventory, rel: &str) -> Option<&'a SourceFile> {
    struct ByRel(HashMap<String, FileId>);
    let by_rel = inventory.memo.get(|| {
        let mut map = HashMap::new();
        for (id, f) in inventory.sources.iter() {
            if !f.generated && f.rendered.is_none() {
                map.entry(f.rel.clone()).or_insert(id);
            }
        }
        ByRel(map)
    });
    by_rel.0.get(rel).map(|&id| inventory.sources.get(id))
}

/// Whether the tree holds a file at `rel`, read or not (the walk's listing when it has one).
pub fn in_tree(inventory: &Inventory, rel: &str) -> bool {
    struct Listed(HashSet<String>);
    let listed = inventory.memo.get(|| {
        Listed(
            inventory
                .sources
                .tree
                .as_ref()
                .map(|t| t.files.iter().cloned().collect())
                .unwrap_or_default(),
        )
    });
    listed.0.contains(rel) || file_at(inventory, rel).is_some()
}

/// `dir/name` for a path below the root (`dir` empty at the root).
pub fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// The directory part of a `/`-separated path (empty for a file at the root).
pub fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}
