//! A Kubernetes object as the rules see it: its identity, its YAML with spans, and where it came
//! from (the file and document, the render unit, the Application that deploys it).

use std::ops::Deref;
use std::sync::Arc;

use crate::load::yaml::{Head, Heads};
use crate::load::{Document, FileId, Location, Node, Span};

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

/// The objects a document holds: itself, or the items of a `kind: List`. Reads the heads found
/// while parsing: a document's objects are known without a search of its mappings.
///
/// A vector of exactly their number (one, mostly), so that what a caller collects from it is
/// sized exactly too: the objects placed from it are held for the whole run.
pub fn manifests(doc: &Document) -> Vec<Manifest<'_>> {
    let read = match &doc.root {
        Some(root) => Manifests::new(root, &doc.heads),
        None => Manifests::new(&EMPTY, &Heads::None),
    };
    let mut out = Vec::with_capacity(read.size_hint().1.unwrap_or(0));
    out.extend(read);
    out
}

/// A node that holds nothing, for a document that has no root.
static EMPTY: Node = Node {
    value: crate::load::yaml::Value::Seq(Vec::new()),
    span: Span { start: 0, end: 0 },
};

/// The objects a node holds, as [`manifests`] reads them for a document: for a node that is no
/// document's root (or whose document is not at hand), at the cost of finding its heads.
pub fn manifests_of(root: &Node) -> Vec<Manifest<'_>> {
    let heads = Heads::of(root);
    Manifests::new(root, &heads).collect()
}

/// The objects of a document, read from its heads in order (see [`manifests`]).
struct Manifests<'a, 'h> {
    root: &'a Node,
    /// The document itself, when it is one object, until it is read.
    one: Option<&'h Head>,
    /// The items of a list document, and their heads not read yet.
    items: &'a [Node],
    heads: std::slice::Iter<'h, (u32, Head)>,
}

impl<'a, 'h> Manifests<'a, 'h> {
    fn new(root: &'a Node, heads: &'h Heads) -> Self {
        let mut out = Manifests {
            root,
            one: None,
            items: &[],
            heads: [].iter(),
        };
        let (head, list) = match heads {
            Heads::None => return out,
            Heads::Root(head) => (head, None),
            Heads::List(head, items) => (head, Some(items)),
        };
        if is_build_config(head.api_version(root), head.kind(root)) {
            return out;
        }
        match list {
            None => out.one = Some(head),
            Some(heads) => {
                out.items = root.get("items").map(Node::items).unwrap_or(&[]);
                out.heads = heads.iter();
            }
        }
        out
    }
}

impl<'a> Iterator for Manifests<'a, '_> {
    type Item = Manifest<'a>;

    fn next(&mut self) -> Option<Manifest<'a>> {
        if let Some(head) = self.one.take() {
            return Some(manifest(self.root, head, None));
        }
        loop {
            let &(i, ref head) = self.heads.next()?;
            let i = i as usize;
            if let Some(item) = self.items.get(i) {
                return Some(manifest(item, head, Some(i)));
            }
        }
    }

    /// At most the document itself or every list item that has a head.
    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(usize::from(self.one.is_some()) + self.heads.len()))
    }
}

fn manifest<'a>(node: &'a Node, head: &Head, list_item: Option<usize>) -> Manifest<'a> {
    Manifest {
        api_version: head.api_version(node),
        kind: head.kind(node),
        name: head.name(node),
        namespace: head.namespace(node),
        node,
        list_item,
    }
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

    /// `manifests_of` as it was before heads were found while parsing: a search of the mappings
    /// at every read. The reference the heads must agree with.
    /// apiVersion, kind, name, namespace and list item of one object.
    type Read = (String, String, String, Option<String>, Option<usize>);

    fn searched(root: &Node) -> Vec<Read> {
        let type_of = |node: &Node| -> Option<(String, String)> {
            let api_version = node.get("apiVersion")?.as_str()?;
            let kind = node.get("kind")?.as_str()?;
            Some((api_version.to_string(), kind.to_string()))
        };
        let one = |node: &Node, item: Option<usize>| {
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
            Some((
                api_version,
                kind,
                name.to_string(),
                namespace.map(String::from),
                item,
            ))
        };
        let Some((api_version, kind)) = type_of(root) else {
            return Vec::new();
        };
        if is_build_config(&api_version, &kind) {
            return Vec::new();
        }
        if kind == "List" || kind.ends_with("List") && root.get("items").is_some_and(Node::is_seq) {
            let items = root.get("items").map(Node::items).unwrap_or(&[]);
            return items
                .iter()
                .enumerate()
                .filter_map(|(i, n)| one(n, Some(i)))
                .collect();
        }
        one(root, None).into_iter().collect()
    }

    #[test]
    fn the_heads_found_while_parsing_read_as_a_search_of_the_document_does() {
        let texts = [
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: n\n",
            // Duplicated keys: the last one counts, as `Node::get` reads it.
            "apiVersion: v1\nkind: Secret\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n",
            "kind: ConfigMap\nmetadata: {name: a}\napiVersion: v1\nmetadata: {name: c}\n",
            // A null name does not fall back to generateName; generateName alone is the name.
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name:\n  generateName: g-\n",
            "apiVersion: v1\nkind: Pod\nmetadata:\n  generateName: g-\n  namespace: ''\n",
            "apiVersion: v1\nkind: Pod\nmetadata: [name, x]\n",
            "apiVersion: v1\nkind: Pod\n",
            // Not objects: no type, a null or non-scalar type, build configuration.
            "kind: Pod\nmetadata: {name: a}\n",
            "apiVersion: ~\nkind: Pod\n",
            "apiVersion: v1\nkind: [Pod]\n",
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n",
            "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n",
            "- a\n- b\n",
            "just text\n",
            // Lists: items without a type are skipped, positions kept.
            "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n- {kind: Nope}\n- {apiVersion: v1, kind: Secret, metadata: {name: s, namespace: x}}\n",
            "apiVersion: v1\nkind: List\n",
            "apiVersion: v1\nkind: ConfigMapList\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n",
            // A kind ending in List without an items sequence is one object.
            "apiVersion: example.com/v1\nkind: AllowList\nmetadata: {name: allow}\nitems: {a: b}\n",
            // Merge keys bring in the type.
            "base: &b {apiVersion: v1, kind: ConfigMap}\n<<: *b\nmetadata: {name: merged}\n",
        ];
        for text in texts {
            let parsed = yaml::parse(text, yaml::Limits::default());
            assert_eq!(parsed.error, None, "{text:?}");
            let doc = &parsed.documents[0];
            let Some(root) = doc.root.as_deref() else {
                panic!("{text:?} has a root");
            };
            let read = |ms: Vec<Manifest<'_>>| {
                ms.iter()
                    .map(|m| {
                        // Each names a node of this document: the root or an item of it.
                        let item = m.list_item.and_then(|i| root.get("items")?.items().get(i));
                        assert!(std::ptr::eq(m.node, item.unwrap_or(root)), "{text:?}");
                        (
                            m.api_version.to_string(),
                            m.kind.to_string(),
                            m.name.to_string(),
                            m.namespace.map(String::from),
                            m.list_item,
                        )
                    })
                    .collect::<Vec<Read>>()
            };
            assert_eq!(read(manifests(doc)), searched(root), "{text:?}");
            assert_eq!(read(manifests_of(root)), searched(root), "{text:?}");
        }
        // Found while parsing, not at the first read.
        let parsed = yaml::parse("apiVersion: v1\nkind: Pod\n", yaml::Limits::default());
        assert!(matches!(parsed.documents[0].heads, Heads::Root(_)));
        let parsed = yaml::parse("a: b\n", yaml::Limits::default());
        assert_eq!(parsed.documents[0].heads, Heads::None);
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
