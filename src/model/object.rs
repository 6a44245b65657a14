//! A Kubernetes object as the rules see it: its identity, its YAML with spans, and where it came
//! from (the file and document, the render unit, the Application that deploys it).

use std::ops::Deref;
use std::sync::Arc;

use crate::load::{FileId, Location, Node, Span};

use super::identity::ObjectId;

/// Index of an object in the inventory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectIdx(pub usize);

/// Index of a render unit in the inventory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UnitId(pub usize);

/// The annotation that suppresses rules on one object.
pub const IGNORE_ANNOTATION: &str = "manifest-guard.dev/ignore";

#[derive(Debug, Clone)]
pub struct Object {
    pub id: ObjectId,
    pub api_version: String,
    /// The object's YAML; its spans are in `file`.
    pub node: ObjectNode,
    pub file: FileId,
    /// Which `---` document of the file (0-based).
    pub doc_index: usize,
    /// Set for the items of a `kind: List`: the item's position in the list.
    pub list_item: Option<usize>,
    pub unit: UnitId,
    /// Where findings on this object point when its spans are not in a source a user edits
    /// (rendered output): the template or resource file that produced it.
    pub origin: Option<Location>,
    /// Whether the namespace was written on the object (not defaulted from its destination).
    pub namespace_written: bool,
    /// The document of a file of the tree that Kustomize read it from (a resource file), when
    /// the object is rendered output: what that file holds does not depend on rendering.
    pub source_doc: Option<(FileId, usize)>,
}

impl Object {
    pub fn name(&self) -> &str {
        &self.id.name
    }

    pub fn kind(&self) -> &str {
        &self.id.kind
    }

    /// The source location for a node of this object.
    pub fn locate(&self, span: Span) -> Location {
        self.origin.unwrap_or(Location {
            file: self.file,
            span,
        })
    }

    /// The object as a whole: its `kind:` value, the line a reader looks for first.
    pub fn location(&self) -> Location {
        let span = self.node.get("kind").map_or(self.node.span, |n| n.span);
        self.locate(span)
    }

    /// The `metadata.name` value, or the object when it has none.
    pub fn name_location(&self) -> Location {
        match self.node.path(&["metadata", "name"]) {
            Some(n) => self.locate(n.span),
            None => self.location(),
        }
    }

    /// The node at `path` under the object (`&["spec", "replicas"]`), or, when the object lacks
    /// it (or the path is empty), its `metadata.name`: the smallest node a rule can name, with the
    /// fallback every rule wants, in one place.
    pub fn location_at(&self, path: &[&str]) -> Location {
        match self.node.path(path) {
            Some(n) if !path.is_empty() => self.locate(n.span),
            _ => self.name_location(),
        }
    }

    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.node
            .path(&["metadata", "annotations", key])
            .and_then(Node::as_str)
    }

    pub fn label(&self, key: &str) -> Option<&str> {
        self.node
            .path(&["metadata", "labels", key])
            .and_then(Node::as_str)
    }

    /// Rule ids listed in the `manifest-guard.dev/ignore` annotation.
    pub fn ignored_rules(&self) -> impl Iterator<Item = &str> {
        self.annotation(IGNORE_ANNOTATION)
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }

    pub fn spec(&self) -> Option<&Node> {
        self.node.get("spec")
    }
}

/// An object's YAML: its document's tree, shared with the file it was read from (never copied),
/// or one item of a `kind: List` document. Reads as a [`Node`].
#[derive(Debug, Clone)]
pub struct ObjectNode {
    document: Arc<Node>,
    item: Option<usize>,
}

impl ObjectNode {
    /// The whole document, or item `item` of its `items` list.
    pub fn new(document: Arc<Node>, item: Option<usize>) -> Self {
        ObjectNode { document, item }
    }
}

impl Deref for ObjectNode {
    type Target = Node;

    fn deref(&self) -> &Node {
        let item = self
            .item
            .and_then(|i| self.document.get("items").and_then(|l| l.items().get(i)));
        item.unwrap_or(&self.document)
    }
}

/// The parts of a document that make it a Kubernetes object, before it is placed on a cluster.
#[derive(Debug, Clone)]
pub struct Manifest<'a> {
    pub api_version: &'a str,
    pub kind: &'a str,
    pub name: &'a str,
    pub namespace: Option<&'a str>,
    pub node: &'a Node,
    pub list_item: Option<usize>,
}

/// Kinds that are build configuration, not objects anyone applies.
fn is_build_config(api_version: &str, kind: &str) -> bool {
    api_version.starts_with("kustomize.config.k8s.io/")
        || (api_version.starts_with("config.kubernetes.io/") && kind == "ResourceList")
}

/// The objects a document holds: itself, or the items of a `kind: List`.
pub fn manifests_of(root: &Node) -> Vec<Manifest<'_>> {
    let mut out = Vec::new();
    let Some((api_version, kind)) = type_of(root) else {
        return out;
    };
    if is_build_config(api_version, kind) {
        return out;
    }
    if kind == "List" || kind.ends_with("List") && root.get("items").is_some_and(Node::is_seq) {
        for (i, item) in root
            .get("items")
            .map(Node::items)
            .unwrap_or(&[])
            .iter()
            .enumerate()
        {
            if let Some(mut m) = manifest(item) {
                m.list_item = Some(i);
                out.push(m);
            }
        }
        return out;
    }
    out.extend(manifest(root));
    out
}

fn type_of(node: &Node) -> Option<(&str, &str)> {
    let api_version = node.get("apiVersion")?.as_str()?;
    let kind = node.get("kind")?.as_str()?;
    Some((api_version, kind))
}

fn manifest(node: &Node) -> Option<Manifest<'_>> {
    let (api_version, kind) = type_of(node)?;
    let metadata = node.get("metadata");
    let name = metadata
        .and_then(|m| m.get("name").or_else(|| m.get("generateName")))
        .and_then(Node::as_str)
        .unwrap_or("");
    let namespace = metadata
        .and_then(|m| m.get("namespace"))
        .and_then(Node::as_str)
        .filter(|s| !s.is_empty());
    Some(Manifest {
        api_version,
        kind,
        name,
        namespace,
        node,
        list_item: None,
    })
}

/// Whether an object holds data on volumes: a PersistentVolumeClaim, a PersistentVolume, or a
/// StatefulSet with volume claim templates.
pub fn is_stateful(object: &Object) -> bool {
    match (object.id.group.as_str(), object.id.kind.as_str()) {
        ("", "PersistentVolumeClaim" | "PersistentVolume") => true,
        ("apps", "StatefulSet") => object
            .node
            .path(&["spec", "volumeClaimTemplates"])
            .is_some_and(|v| !v.items().is_empty()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::yaml;

    fn object(text: &str, origin: Option<Location>) -> Object {
        let parsed = yaml::parse(text, yaml::Limits::default());
        let node = parsed.documents[0].root.clone().expect("a document");
        Object {
            id: ObjectId {
                cluster: "in-cluster".into(),
                group: "apps".into(),
                kind: "StatefulSet".into(),
                namespace: "db".into(),
                name: "pg".into(),
            },
            api_version: "apps/v1".into(),
            node: ObjectNode::new(node, None),
            file: FileId(3),
            doc_index: 0,
            list_item: None,
            unit: UnitId(0),
            origin,
            namespace_written: false,
            source_doc: None,
        }
    }

    fn text_at(text: &str, at: Location) -> &str {
        &text[at.span.start..at.span.end]
    }

    #[test]
    fn location_at_names_the_node_or_falls_back_to_the_name() {
        let text =
            "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: pg\nspec:\n  replicas: 3\n";
        let o = object(text, None);
        let at = o.location_at(&["spec", "replicas"]);
        assert_eq!((at.file, text_at(text, at)), (FileId(3), "3"));
        // A path the object lacks, and the empty path: its name.
        assert_eq!(
            text_at(text, o.location_at(&["spec", "podManagementPolicy"])),
            "pg"
        );
        assert_eq!(text_at(text, o.location_at(&[])), "pg");
        // Rendered output points at the file that produced it, whatever the path.
        let origin = Location {
            file: FileId(7),
            span: Span::new(1, 2),
        };
        let rendered = object(text, Some(origin));
        assert_eq!(rendered.location_at(&["spec", "replicas"]), origin);
    }
}
