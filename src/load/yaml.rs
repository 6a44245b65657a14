//! YAML documents with exact source spans.
//!
//! Builds a small node tree from `saphyr-parser`'s event stream so that every key and value keeps
//! its byte span in the file. It owns the parsing limits that make hostile input safe: alias
//! expansion is budgeted (no "billion laughs"), nesting depth is capped, and errors are values.
//! Duplicate mapping keys are kept (in order) so a rule can report them; lookups see the last one,
//! as Kubernetes' own YAML decoding does. Where saphyr-parser is stricter than libyaml (which
//! kubectl, Kustomize and Argo CD decode with) on input they all accept, the text is patched,
//! parsed again and every span mapped back to the original text.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span as ParserSpan};

/// A byte range in a source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span {
            start,
            end: end.max(start),
        }
    }

    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

/// How a scalar was written; a quoted `"123"` is a string, a plain `123` an integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    Quoted,
    Block,
}

/// A scalar's text: inline up to 24 bytes (most keys and values of a manifest), so a file's
/// tree takes one allocation per collection rather than one per scalar.
pub type ScalarText = compact_str::CompactString;

#[derive(Debug, Clone, PartialEq)]
pub struct Scalar {
    pub text: ScalarText,
    pub style: Style,
    /// A tag written on the node (`!!str`), rare: interned to 4 bytes, which with the inline
    /// text keeps a scalar at 32 bytes, a node at 48 and a mapping entry at 104 (a `Box<str>`
    /// here made them 48, 64 and 136). Read it with [`Scalar::tag`].
    pub tag: Option<Tag>,
}

/// A scalar's tag as written (`tag:yaml.org,2002:str`, `!custom`), interned: equal tags are
/// equal ids, so comparing scalars compares their tags' text.
///
/// The names live in one table for the process, never freed: a repository writes a handful of
/// distinct tags, and each name is stored once however often it is written. Distinct names are
/// bounded by the nodes a run may build (`yaml-nodes`), one tag per node at most.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tag(std::num::NonZeroU32);

/// Every tag name met so far, by id (`id - 1`), and each name's id. Id 1 is the overflow tag.
struct TagTable {
    names: Vec<&'static str>,
    ids: HashMap<&'static str, Tag>,
}

static TAGS: std::sync::LazyLock<std::sync::Mutex<TagTable>> = std::sync::LazyLock::new(|| {
    std::sync::Mutex::new(TagTable {
        names: vec![OVERFLOW_TAG],
        ids: HashMap::from([(OVERFLOW_TAG, OVERFLOW)]),
    })
});

/// The name a tag gets when the table is full (over 4 billion distinct names, which no run's
/// node budget allows): an unknown tag, which types its scalar as an untagged one.
const OVERFLOW_TAG: &str = "!manifest-guard-overflow";
const OVERFLOW: Tag = Tag(std::num::NonZeroU32::MIN);

impl Tag {
    fn table() -> std::sync::MutexGuard<'static, TagTable> {
        TAGS.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The id of `name`, added to the table when it is new.
    pub fn intern(name: &str) -> Tag {
        let mut table = Tag::table();
        if let Some(&tag) = table.ids.get(name) {
            return tag;
        }
        let Some(id) = u32::try_from(table.names.len() + 1)
            .ok()
            .and_then(std::num::NonZeroU32::new)
        else {
            return OVERFLOW;
        };
        let name: &'static str = Box::leak(Box::from(name));
        table.names.push(name);
        table.ids.insert(name, Tag(id));
        Tag(id)
    }

    /// The tag as written.
    pub fn as_str(self) -> &'static str {
        let index = self.0.get() as usize - 1;
        Tag::table()
            .names
            .get(index)
            .copied()
            .unwrap_or(OVERFLOW_TAG)
    }
}

impl std::fmt::Debug for Tag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tag({:?})", self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: Node,
    pub value: Node,
    /// Brought in by a merge key (`<<: *base`): its spans are where the merged mapping wrote it,
    /// and a key written in the mapping itself may override it without being a duplicate.
    pub merged: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Scalar(Scalar),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

/// A YAML node and where it stands in its file.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Span,
}

impl Node {
    fn scalar(text: ScalarText, style: Style, tag: Option<Tag>, span: Span) -> Node {
        Node {
            value: Value::Scalar(Scalar { text, style, tag }),
            span,
        }
    }

    /// The mapping entries, or an empty slice for anything else.
    pub fn entries(&self) -> &[Entry] {
        match &self.value {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }

    /// The sequence items, or an empty slice for anything else.
    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(items) => items,
            _ => &[],
        }
    }

    pub fn is_map(&self) -> bool {
        matches!(self.value, Value::Map(_))
    }

    pub fn is_seq(&self) -> bool {
        matches!(self.value, Value::Seq(_))
    }

    /// The entry for `key` in a mapping; the last one when a key is duplicated, as Kubernetes'
    /// decoder keeps the last.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries()
            .iter()
            .rev()
            .find(|e| e.key.as_scalar_text() == Some(key))
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// Follows a path of mapping keys.
    pub fn path(&self, keys: &[&str]) -> Option<&Node> {
        keys.iter().try_fold(self, |node, key| node.get(key))
    }

    /// The text of a scalar, whatever its type (`3`, `true` and `"x"` all give their text).
    pub fn as_scalar_text(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s) => Some(&s.text),
            _ => None,
        }
    }

    /// A scalar that is not null, as text.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s) if !s.is_null() => Some(&s.text),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(&self.value, Value::Scalar(s) if s.is_null())
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.to_json() {
            serde_json::Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// The node as JSON, typed by the YAML 1.2 core schema as Kubernetes reads it.
    pub fn to_json(&self) -> serde_json::Value {
        match &self.value {
            Value::Scalar(s) => s.to_json(),
            Value::Seq(items) => items.iter().map(Node::to_json).collect(),
            Value::Map(entries) => {
                let mut map = serde_json::Map::with_capacity(entries.len());
                for e in entries {
                    let key = match &e.key.value {
                        Value::Scalar(s) => s.text.to_string(),
                        _ => e.key.to_json().to_string(),
                    };
                    // Later duplicates replace earlier ones but keep the first position.
                    map.insert(key, e.value.to_json());
                }
                serde_json::Value::Object(map)
            }
        }
    }

    /// Whether two nodes hold the same YAML wherever they were written: values, key order,
    /// scalar styles and tags alike, spans aside. Equal content gives equal [`Node::to_json`]
    /// (the converse does not hold: `"1"` and `'1'` are one string).
    pub fn same_content(&self, other: &Node) -> bool {
        let mut stack = vec![(self, other)];
        while let Some((a, b)) = stack.pop() {
            match (&a.value, &b.value) {
                (Value::Scalar(x), Value::Scalar(y)) => {
                    if x != y {
                        return false;
                    }
                }
                (Value::Seq(x), Value::Seq(y)) => {
                    if x.len() != y.len() {
                        return false;
                    }
                    stack.extend(x.iter().zip(y));
                }
                (Value::Map(x), Value::Map(y)) => {
                    if x.len() != y.len() {
                        return false;
                    }
                    for (e, f) in x.iter().zip(y) {
                        stack.push((&e.key, &f.key));
                        stack.push((&e.value, &f.value));
                    }
                }
                _ => return false,
            }
        }
        true
    }

    /// Visits this node and every node below it, depth first.
    pub fn walk<'a>(&'a self, f: &mut dyn FnMut(&'a Node)) {
        let mut stack = vec![self];
        while let Some(node) = stack.pop() {
            f(node);
            match &node.value {
                Value::Scalar(_) => {}
                Value::Seq(items) => stack.extend(items.iter().rev()),
                Value::Map(entries) => {
                    for e in entries.iter().rev() {
                        stack.push(&e.value);
                        stack.push(&e.key);
                    }
                }
            }
        }
    }
}

impl Scalar {
    /// The tag written on the scalar, if any (`!!str`).
    pub fn tag(&self) -> Option<&'static str> {
        self.tag.map(Tag::as_str)
    }

    pub fn is_null(&self) -> bool {
        match self.tag() {
            Some(t) if t.ends_with("null") => return true,
            Some(_) => return false,
            None => {}
        }
        self.style == Style::Plain
            && matches!(self.text.as_str(), "" | "~" | "null" | "Null" | "NULL")
    }

    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        if self.is_null() {
            return J::Null;
        }
        if let Some(tag) = self.tag()
            && (tag.ends_with(":str") || tag == "!")
        {
            return J::String(self.text.to_string());
        }
        if self.style != Style::Plain {
            return J::String(self.text.to_string());
        }
        let t = self.text.as_str();
        match t {
            "true" | "True" | "TRUE" => return J::Bool(true),
            "false" | "False" | "FALSE" => return J::Bool(false),
            _ => {}
        }
        if let Some(i) = parse_int(t) {
            return J::Number(i.into());
        }
        if looks_like_float(t)
            && let Ok(f) = t.parse::<f64>()
            && let Some(n) = serde_json::Number::from_f64(f)
        {
            return J::Number(n);
        }
        J::String(self.text.to_string())
    }
}

/// A boolean as go-yaml v2 spells it, which is how Argo CD and the API server read YAML
/// (sigs.k8s.io/yaml decodes with its fork `goyaml.v2`; `resolve.go`, `resolveMapList`): `y`,
/// `yes`, `on`, `true` and `n`, `no`, `off`, `false`, each in lower case, capitalised or upper
/// case (`Y`, `Yes`, `YES`, ...). Nothing else: `yES`, `1` and `enabled` are not booleans there.
pub fn yaml11_bool(text: &str) -> Option<bool> {
    match text {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            Some(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            Some(false)
        }
        _ => None,
    }
}

/// A field that Argo CD or the API server decodes as a Go `bool` (`syncPolicy.automated.prune`,
/// `directory.recurse`, `helm.skipCrds`, ...), read from a manifest's JSON. A manifest's JSON
/// types scalars by the YAML 1.2 core schema (so that `yes` in a ConfigMap's `data` stays the
/// text it is shown as), which leaves `prune: yes` a string here; Argo CD's decoder reads it as
/// `true`. Every boolean field of a manifest is read through this one function.
///
/// A quoted `"yes"` also reads as `true`: the JSON no longer says it was quoted. The API server
/// would refuse such an Application (its CRD says boolean), so it never deploys either way.
pub fn go_bool(value: &serde_json::Value) -> Option<bool> {
    match value {
        serde_json::Value::Bool(b) => Some(*b),
        serde_json::Value::String(s) => yaml11_bool(s),
        _ => None,
    }
}

fn parse_int(t: &str) -> Option<i64> {
    let (neg, digits) = match t.as_bytes().first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let value = if let Some(hex) = digits.strip_prefix("0x") {
        i64::from_str_radix(hex, 16).ok()?
    } else if let Some(oct) = digits.strip_prefix("0o") {
        i64::from_str_radix(oct, 8).ok()?
    } else {
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse::<i64>().ok()?
    };
    Some(if neg { -value } else { value })
}

fn looks_like_float(t: &str) -> bool {
    let body = t.trim_start_matches(['-', '+']);
    matches!(body, ".inf" | ".Inf" | ".INF")
        || (body.bytes().any(|b| b.is_ascii_digit())
            && body
                .bytes()
                .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+')))
}

/// One `---`-separated document of a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// `None` for an empty document. Shared: the objects of the inventory point into it rather
    /// than holding copies.
    pub root: Option<std::sync::Arc<Node>>,
    /// Whether one of its mappings writes a key twice (merged keys and `<<` aside), found while
    /// parsing so that `duplicate-yaml-key` looks only at such documents.
    pub repeats_key: bool,
    pub span: Span,
    /// Where the objects of `root` write their type and name, found once while parsing
    /// ([`Heads::of`]): every stage reads each document's kind and name, and searching the
    /// mappings again at each read cost more than building them.
    pub heads: Heads,
}

/// Where one object written in a document keeps the fields that name it, as indexes of entries
/// (or [`Head::NONE`]): of its mapping's `apiVersion`, `kind` and `metadata`, and of
/// `metadata`'s `name` (or `generateName` when no `name` is written) and `namespace`. Each is the
/// last entry of its key, the one [`Node::get`] reads; a name that is null and a namespace that
/// is null or empty are not kept. Reading a field is then an index, not a search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    api_version: u32,
    kind: u32,
    metadata: u32,
    name: u32,
    namespace: u32,
}

/// The objects of a document as [`Heads::of`] found them: what `model::manifests` reads.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Heads {
    /// No `apiVersion` and `kind` on the root (not an object), or an entry index past `u32`.
    #[default]
    None,
    /// The root is one object.
    Root(Head),
    /// The root is a list (`kind: List`, or a kind ending in `List` with an `items` sequence):
    /// its own head, and each item of `items` that has a type, with its position.
    List(Head, Box<[(u32, Head)]>),
}

/// The last entry index of each key a head reads, found in one pass over a mapping: keys are
/// compared once each, not once per key looked for.
#[derive(Default)]
struct Found {
    api_version: Option<usize>,
    kind: Option<usize>,
    metadata: Option<usize>,
    items: Option<usize>,
}

impl Head {
    /// The entry index of a missing key.
    pub const NONE: u32 = u32::MAX;

    fn found(node: &Node) -> Found {
        let mut found = Found::default();
        for (i, e) in node.entries().iter().enumerate() {
            let slot = match e.key.as_scalar_text() {
                Some("apiVersion") => &mut found.api_version,
                Some("kind") => &mut found.kind,
                Some("metadata") => &mut found.metadata,
                Some("items") => &mut found.items,
                _ => continue,
            };
            *slot = Some(i);
        }
        found
    }

    /// The head of a mapping whose `apiVersion` and `kind` are non-null scalars.
    pub fn of(node: &Node) -> Option<Head> {
        Head::with(node, &Head::found(node))
    }

    fn with(node: &Node, found: &Found) -> Option<Head> {
        let entries = node.entries();
        let text = |i: Option<usize>| {
            let i = i?;
            entries.get(i)?.value.as_str()?;
            u32::try_from(i).ok().filter(|&i| i != Head::NONE)
        };
        let api_version = text(found.api_version)?;
        let kind = text(found.kind)?;
        let meta = found
            .metadata
            .and_then(|i| entries.get(i))
            .map(|e| &e.value);
        let (mut name, mut generate_name, mut namespace) = (None, None, None);
        for (i, e) in meta.map(Node::entries).unwrap_or(&[]).iter().enumerate() {
            let slot = match e.key.as_scalar_text() {
                Some("name") => &mut name,
                Some("generateName") => &mut generate_name,
                Some("namespace") => &mut namespace,
                _ => continue,
            };
            *slot = Some((i, &e.value));
        }
        let index = |found: Option<(usize, &Node)>, keep: fn(&str) -> bool| {
            found
                .filter(|(_, n)| n.as_str().is_some_and(keep))
                .and_then(|(i, _)| u32::try_from(i).ok())
                .unwrap_or(Head::NONE)
        };
        Some(Head {
            api_version,
            kind,
            metadata: found
                .metadata
                .and_then(|i| u32::try_from(i).ok())
                .unwrap_or(Head::NONE),
            name: index(name.or(generate_name), |_| true),
            namespace: index(namespace, |s| !s.is_empty()),
        })
    }

    fn text(node: &Node, index: u32) -> Option<&str> {
        node.entries()
            .get(index as usize)
            .and_then(|e| e.value.as_scalar_text())
    }

    /// `apiVersion` of `node`, the mapping this head was found on.
    pub fn api_version<'a>(&self, node: &'a Node) -> &'a str {
        Head::text(node, self.api_version).unwrap_or("")
    }

    /// `kind` of `node`, the mapping this head was found on.
    pub fn kind<'a>(&self, node: &'a Node) -> &'a str {
        Head::text(node, self.kind).unwrap_or("")
    }

    /// `metadata.name` of `node` (`metadata.generateName` when no `name` is written), or `""`.
    pub fn name<'a>(&self, node: &'a Node) -> &'a str {
        self.in_metadata(node, self.name).unwrap_or("")
    }

    /// `metadata.namespace` of `node`, when it is written and not empty.
    pub fn namespace<'a>(&self, node: &'a Node) -> Option<&'a str> {
        self.in_metadata(node, self.namespace)
    }

    fn in_metadata<'a>(&self, node: &'a Node, index: u32) -> Option<&'a str> {
        if index == Head::NONE {
            return None;
        }
        let metadata = &node.entries().get(self.metadata as usize)?.value;
        Head::text(metadata, index)
    }
}

impl Heads {
    /// The objects `root` holds: itself, or the items of a list.
    pub fn of(root: &Node) -> Heads {
        let found = Head::found(root);
        let Some(head) = Head::with(root, &found) else {
            return Heads::None;
        };
        let kind = head.kind(root);
        let items = found
            .items
            .and_then(|i| root.entries().get(i))
            .map(|e| &e.value);
        if kind == "List" || kind.ends_with("List") && items.is_some_and(Node::is_seq) {
            let heads: Vec<(u32, Head)> = items
                .map(Node::items)
                .unwrap_or(&[])
                .iter()
                .enumerate()
                .filter_map(|(i, item)| Some((u32::try_from(i).ok()?, Head::of(item)?)))
                .collect();
            return Heads::List(head, heads.into_boxed_slice());
        }
        Heads::Root(head)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum YamlErrorKind {
    Syntax,
    AliasLimit,
    DepthLimit,
    /// The file's node budget (`yaml-nodes-per-file`) ran out; its documents are dropped.
    NodeLimit,
    /// The run's node budget (`yaml-nodes`) ran out in this file; its documents are dropped.
    RunNodeLimit,
    /// Valid YAML that Argo CD refuses to decode as objects: a top-level sequence of manifests.
    NotAnObject,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub kind: YamlErrorKind,
    pub message: String,
    pub span: Span,
}

/// Limits that keep a hostile file from exhausting time or memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Nodes that alias expansion may add to one file.
    pub alias_nodes: usize,
    /// Nesting of collections.
    pub depth: usize,
    /// Nodes one file may build (`yaml-nodes-per-file`), alias copies included.
    pub nodes: usize,
}

impl Limits {
    /// The YAML bounds of a run's limits.
    pub fn of(limits: &crate::limits::Limits) -> Self {
        use crate::limits::Key;
        Limits {
            alias_nodes: limits.get_usize(Key::YamlAliasNodes),
            depth: limits.get_usize(Key::YamlDepth),
            nodes: limits.get_usize(Key::YamlNodesPerFile),
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::of(&crate::limits::Limits::default())
    }
}

/// The nodes all files of a run may hold together (`yaml-nodes`), shared by the parallel loader.
/// Files take nodes from it in chunks, so the counter is touched once per `CHUNK` nodes.
#[derive(Debug)]
pub struct RunBudget {
    limit: usize,
    used: std::sync::atomic::AtomicUsize,
    /// The run's whole budget, for messages (`limit` is what is left of it when settling).
    total: usize,
}

/// Nodes a file reserves from the run's budget at a time.
const CHUNK: usize = 4096;

impl RunBudget {
    pub fn new(limit: usize) -> Self {
        RunBudget::rest(limit, limit)
    }

    /// The `left` nodes that remain of a run's budget of `total`.
    pub fn rest(left: usize, total: usize) -> Self {
        RunBudget {
            limit: left,
            used: std::sync::atomic::AtomicUsize::new(0),
            total,
        }
    }

    /// Takes `n` nodes; `false` (taking nothing) when that would pass the limit.
    pub(super) fn take(&self, n: usize) -> bool {
        use std::sync::atomic::Ordering;
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(n).filter(|&total| total <= self.limit)
            })
            .is_ok()
    }

    /// Gives back `n` nodes (a file's unused reservation, or a dropped file's nodes).
    fn give_back(&self, n: usize) {
        use std::sync::atomic::Ordering;
        let _ = self
            .used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                Some(used.saturating_sub(n))
            });
    }
}

/// Every document that parsed, and the error that stopped parsing, if one did.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub documents: Vec<Document>,
    pub error: Option<YamlError>,
    /// Nodes the parse built (alias copies included); 0 when they were dropped.
    pub nodes: usize,
    /// The most nodes the parse (any attempt of it) had counted against the run's budget at
    /// once, up to where it stopped: a run with this many nodes left ends the parse the same
    /// way, one with fewer runs out first (what `load::settle_run_budget` needs to know).
    pub peak: usize,
}

/// The error and message for a node budget that ran out at `span`.
fn node_limit(kind: YamlErrorKind, span: Span, message: String) -> YamlError {
    YamlError {
        kind,
        message,
        span,
    }
}

/// Converts the parser's character positions into byte offsets.
struct Offsets<'a> {
    text: &'a str,
    /// Byte offset of each character; empty when the text is ASCII (offsets are then equal).
    table: Vec<u32>,
}

impl<'a> Offsets<'a> {
    fn new(text: &'a str) -> Self {
        let table = if text.is_ascii() {
            Vec::new()
        } else {
            let mut t: Vec<u32> = text.char_indices().map(|(i, _)| i as u32).collect();
            t.push(text.len() as u32);
            t
        };
        Offsets { text, table }
    }

    fn byte(&self, char_index: usize) -> usize {
        if self.table.is_empty() {
            char_index.min(self.text.len())
        } else {
            self.table
                .get(char_index)
                .map_or(self.text.len(), |&b| b as usize)
        }
    }

    fn span(&self, span: ParserSpan) -> Span {
        Span::new(self.byte(span.start.index()), self.byte(span.end.index()))
    }
}

/// A collection being built. Its children wait on the builder's shared stacks (`items`,
/// `entries`) from `base` on, so that a finished collection takes one allocation of exactly its
/// size, not a vector grown by doubling and shrunk again.
enum Frame {
    Seq {
        anchor: usize,
        start: usize,
        base: usize,
    },
    Map {
        anchor: usize,
        start: usize,
        base: usize,
        pending_key: Option<Node>,
    },
}

struct Builder<'a> {
    offsets: Offsets<'a>,
    limits: Limits,
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Node, usize)>,
    alias_budget_used: usize,
    /// Nodes built so far (each scalar and collection, and every node of an alias copy).
    nodes: usize,
    /// Nodes reserved from the run's budget and not yet built.
    reserved: usize,
    /// Nodes taken from the run's budget in all.
    taken: usize,
    /// `nodes` at the last count that passed both budgets ([`Parsed::peak`]).
    passed: usize,
    run: Option<&'a RunBudget>,
    documents: Vec<Document>,
    doc_start: usize,
    doc_root: Option<Node>,
    /// Whether a mapping of the current document writes a key twice.
    doc_repeats_key: bool,
    /// The children of the open sequences, innermost last.
    items: Vec<Node>,
    /// The entries of the open mappings, innermost last.
    entries: Vec<Entry>,
}

pub fn node_count(node: &Node) -> usize {
    let mut n = 0;
    node.walk(&mut |_| n += 1);
    n
}

impl Builder<'_> {
    /// Counts `n` new nodes against the file's budget and the run's; the error names the
    /// budget that ran out, at `span` (the node being built).
    #[inline]
    fn count(&mut self, n: usize, span: Span) -> Result<(), YamlError> {
        // Most nodes fit what the file holds in reserve: no call, no atomic.
        let nodes = self.nodes.saturating_add(n);
        if nodes <= self.limits.nodes && (self.run.is_none() || self.reserved >= n) {
            self.nodes = nodes;
            self.passed = nodes;
            if self.run.is_some() {
                self.reserved -= n;
            }
            return Ok(());
        }
        self.count_slow(n, span)
    }

    #[cold]
    fn count_slow(&mut self, n: usize, span: Span) -> Result<(), YamlError> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > self.limits.nodes {
            return Err(node_limit(
                YamlErrorKind::NodeLimit,
                span,
                format!(
                    "this file holds more than {} YAML nodes (the `yaml-nodes-per-file` limit); it is not checked",
                    self.limits.nodes
                ),
            ));
        }
        if let Some(run) = self.run {
            if self.reserved < n {
                let need = n - self.reserved;
                // A chunk when the budget has one left, else exactly what this node needs.
                let want = [CHUNK.max(need), need]
                    .into_iter()
                    .find(|&want| run.take(want));
                let Some(want) = want else {
                    return Err(node_limit(
                        YamlErrorKind::RunNodeLimit,
                        span,
                        format!(
                            "the files read so far hold {} YAML nodes together, the `yaml-nodes` limit, and this file needs more; it is not checked",
                            run.total
                        ),
                    ));
                };
                self.reserved += want;
                self.taken += want;
            }
            self.reserved -= n;
        }
        self.passed = self.nodes;
        Ok(())
    }

    /// Adds a finished node to the collection being built, or makes it the document root.
    #[inline]
    fn push(&mut self, node: Node, anchor: usize) {
        if anchor != 0 {
            let size = node_count(&node);
            self.anchors.insert(anchor, (node.clone(), size));
        }
        match self.stack.last_mut() {
            None => self.doc_root = Some(node),
            Some(Frame::Seq { .. }) => self.items.push(node),
            Some(Frame::Map { pending_key, .. }) => match pending_key.take() {
                None => *pending_key = Some(node),
                Some(key) => self.entries.push(Entry {
                    key,
                    value: node,
                    merged: false,
                }),
            },
        }
    }

    fn event(&mut self, event: Event<'_>, raw: ParserSpan) -> Result<(), YamlError> {
        let span = self.offsets.span(raw);
        match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
            Event::DocumentStart(_) => {
                self.doc_start = span.start;
                self.doc_root = None;
                self.doc_repeats_key = false;
                self.anchors.clear();
            }
            Event::DocumentEnd => {
                let root = self.doc_root.take();
                let end = root
                    .as_ref()
                    .map_or(span.end, |r| r.span.end.max(span.start));
                self.documents.push(Document {
                    heads: root.as_ref().map_or(Heads::None, Heads::of),
                    repeats_key: std::mem::take(&mut self.doc_repeats_key),
                    root: root.map(std::sync::Arc::new),
                    span: Span::new(self.doc_start, end),
                });
            }
            Event::Scalar(text, style, anchor, tag) => {
                let style = match style {
                    ScalarStyle::Plain => Style::Plain,
                    ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => Style::Quoted,
                    ScalarStyle::Literal | ScalarStyle::Folded => Style::Block,
                };
                self.count(1, span)?;
                let tag = tag.map(|t| Tag::intern(&format!("{}{}", t.handle, t.suffix)));
                let node = Node::scalar(ScalarText::from(&*text), style, tag, span);
                self.push(node, anchor);
            }
            Event::SequenceStart(anchor, _) => {
                self.check_depth(span)?;
                self.count(1, span)?;
                self.stack.push(Frame::Seq {
                    anchor,
                    start: span.start,
                    base: self.items.len(),
                });
            }
            Event::MappingStart(anchor, _) => {
                self.check_depth(span)?;
                self.count(1, span)?;
                self.stack.push(Frame::Map {
                    anchor,
                    start: span.start,
                    base: self.entries.len(),
                    pending_key: None,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (node, anchor) = match self.stack.pop() {
                    Some(Frame::Seq {
                        anchor,
                        start,
                        base,
                    }) => {
                        // One allocation of exactly the items, moved in one copy.
                        let items: Vec<Node> = self.items.split_off(base);
                        let end = items.last().map_or(span.end, |n| n.span.end.max(span.end));
                        let end = close_end(self.offsets.text, start, end);
                        (
                            Node {
                                value: Value::Seq(items),
                                span: Span::new(start, end),
                            },
                            anchor,
                        )
                    }
                    Some(Frame::Map {
                        anchor,
                        start,
                        base,
                        ..
                    }) => {
                        let entries: Vec<Entry> = self.entries.split_off(base);
                        let end = entries
                            .last()
                            .map_or(span.end, |e| e.value.span.end.max(span.end));
                        let end = close_end(self.offsets.text, start, end);
                        let entries = resolve_merges(entries)?;
                        self.doc_repeats_key |= repeats_key(&entries);
                        (
                            Node {
                                value: Value::Map(entries),
                                span: Span::new(start, end),
                            },
                            anchor,
                        )
                    }
                    None => return Ok(()),
                };
                self.push(node, anchor);
            }
            Event::Alias(id) => {
                let Some((target, size)) = self.anchors.get(&id) else {
                    return Err(YamlError {
                        kind: YamlErrorKind::Syntax,
                        message: "alias to an unknown anchor".into(),
                        span,
                    });
                };
                let size = *size;
                self.alias_budget_used += size;
                if self.alias_budget_used > self.limits.alias_nodes {
                    return Err(YamlError {
                        kind: YamlErrorKind::AliasLimit,
                        message: format!(
                            "alias expansion exceeds {} nodes (`yaml-alias-nodes`); refusing to expand (a \"billion laughs\" document?)",
                            self.limits.alias_nodes
                        ),
                        span,
                    });
                }
                let mut node = target.clone();
                // The copy's nodes are held like any other (the alias budget bounds the copy).
                self.count(size, span)?;
                // The copy stands where the alias is written, so findings point there.
                node.span = span;
                self.push(node, 0);
            }
        }
        Ok(())
    }

    fn check_depth(&self, span: Span) -> Result<(), YamlError> {
        if self.stack.len() >= self.limits.depth {
            return Err(YamlError {
                kind: YamlErrorKind::DepthLimit,
                message: format!(
                    "collections nested deeper than {} levels (`yaml-depth`)",
                    self.limits.depth
                ),
                span,
            });
        }
        Ok(())
    }
}

/// Whether `key` is a merge key. go-yaml v2 `isMerge` (decode.go): a plain, untagged `<<`, or
/// any `<<` tagged `!!merge`; a quoted `"<<"` is an ordinary key.
fn is_merge_key(key: &Node) -> bool {
    match &key.value {
        Value::Scalar(s) if s.text == "<<" => match s.tag() {
            None => s.style == Style::Plain,
            Some(tag) => tag == "!!merge" || tag.ends_with(":merge"),
        },
        _ => false,
    }
}

/// Replaces each merge key of a finished mapping with the entries it merges in, as go-yaml v2
/// decodes them (sigs.k8s.io/yaml's goyaml.v2, which kubectl and Argo CD's repo-server read
/// manifests with; `decode.go`, `(*decoder).mapping` and `(*decoder).merge`):
///
/// - entries are applied in order and a later key replaces an earlier one (`mapping` sets each
///   key into the map as it comes; `merge` unmarshals the merged mapping into the same map), so a
///   key written after `<<` overrides the merged one, and one written before it is overridden;
/// - a sequence of mappings is merged last to first ("Step backwards as earlier nodes take
///   precedence"), so the first mapping of `<<: [*a, *b]` wins;
/// - a merged mapping's own merges are already resolved (it finished before this one), which is
///   go-yaml's recursion through `unmarshal`;
/// - anything else as the value is an error: "map merge requires map or sequence of maps as the
///   value" (`failWantMap`).
///
/// The merged entries keep the spans where they were written (the anchor's mapping), and are
/// marked `merged`. Lookups take the last entry of a key, which is go-yaml's answer. The nodes
/// were counted when the alias was copied (the alias budget), so merging adds none.
fn resolve_merges(entries: Vec<Entry>) -> Result<Vec<Entry>, YamlError> {
    if !entries.iter().any(|e| is_merge_key(&e.key)) {
        return Ok(entries);
    }
    let mut out = Vec::with_capacity(entries.len());
    for entry in entries {
        if !is_merge_key(&entry.key) {
            out.push(entry);
            continue;
        }
        let want_map = |span: Span| YamlError {
            kind: YamlErrorKind::Syntax,
            message: "map merge requires map or sequence of maps as the value".into(),
            span,
        };
        let value = entry.value;
        match value.value {
            Value::Map(merged) => {
                out.extend(merged.into_iter().map(|e| Entry { merged: true, ..e }))
            }
            Value::Seq(items) => {
                if let Some(bad) = items.iter().find(|i| !i.is_map()) {
                    return Err(want_map(bad.span));
                }
                for item in items.into_iter().rev() {
                    if let Value::Map(merged) = item.value {
                        out.extend(merged.into_iter().map(|e| Entry { merged: true, ..e }));
                    }
                }
            }
            Value::Scalar(_) => return Err(want_map(value.span)),
        }
    }
    Ok(out)
}

/// Whether a mapping writes a scalar key twice, keys a merge brought in and `<<` aside (what
/// `duplicate-yaml-key` reports). Quadratic for the small mappings manifests are made of (in
/// place: no allocation per mapping), a set beyond.
fn repeats_key(entries: &[Entry]) -> bool {
    fn key(e: &Entry) -> Option<&str> {
        e.key.as_scalar_text().filter(|k| !e.merged && *k != "<<")
    }
    if entries.len() <= 16 {
        entries.iter().enumerate().any(|(i, e)| {
            key(e).is_some_and(|k| entries[..i].iter().any(|earlier| key(earlier) == Some(k)))
        })
    } else {
        let mut seen = std::collections::HashSet::new();
        entries.iter().filter_map(key).any(|k| !seen.insert(k))
    }
}

/// A block collection's end marker sits at the start of the next token; trailing whitespace and
/// comments do not belong to the node.
fn close_end(text: &str, start: usize, end: usize) -> usize {
    let end = end.min(text.len());
    if end <= start {
        return end;
    }
    let slice = text.get(start..end).unwrap_or("");
    let trimmed = slice.trim_end();
    start + trimmed.len()
}

/// saphyr-parser rejects a tab between `:` and its value, which YAML 1.2 allows (`s-separate-
/// in-line`) and which real repositories contain. Where the parser stops on exactly that, the
/// one tab is read as a space (same length, so every span stays right) and parsing starts again.
const TAB_AFTER_COLON: &str = "':' must be followed by a valid YAML whitespace";

/// saphyr-parser requires the continuation lines of a quoted scalar to be indented like block
/// content; libyaml (go-yaml, hence kubectl, Kustomize and Argo CD) checks no indentation there.
const QUOTED_INDENTATION: &str = "invalid indentation in quoted scalar";

/// saphyr-parser refuses a tab among the leading blanks of a quoted scalar's continuation line
/// left of the block indentation; libyaml consumes blanks there, tabs included, and drops them
/// when it folds (go-yaml scannerc.go `yaml_parser_scan_flow_scalar`, "Consume blank
/// characters"). saphyr-parser emits this message only there (scanner.rs, the quoted scalar
/// scanner), so it never names a tab that indents block content.
const TAB_IN_QUOTED_INDENTATION: &str = "tab cannot be used as indentation";

/// Each patch costs a re-parse of the whole file, so a file is re-parsed at most this many times
/// (linear time); past it, the parser's error stands.
const MAX_RETRIES: usize = 64;

/// Parses every document of `text`.
///
/// Where saphyr-parser is stricter than libyaml on a point Kubernetes tooling accepts, the text is
/// patched and parsed again, one error at a time; spans are then mapped back to `text`.
pub fn parse(text: &str, limits: Limits) -> Parsed {
    parse_in_run(text, limits, None)
}

/// `parse`, taking the nodes it builds from the run's budget as well as the file's. When either
/// runs out, the error says which, at the node where it ran out, and the documents are dropped
/// (their nodes given back), so memory stays within the budgets.
pub fn parse_in_run(text: &str, limits: Limits, run: Option<&RunBudget>) -> Parsed {
    if let Some(at) = flow_items_over(text, limits.nodes) {
        return Parsed {
            documents: Vec::new(),
            error: Some(node_limit(
                YamlErrorKind::NodeLimit,
                Span::new(at, at + 1),
                format!(
                    "this file holds more than {} YAML nodes in flow collections (the `yaml-nodes-per-file` limit); it is not checked",
                    limits.nodes
                ),
            )),
            nodes: 0,
            peak: 0,
        };
    }
    let mut parsed = parse_patched(text, limits, run);
    if parsed.error.as_ref().is_some_and(|e| {
        matches!(
            e.kind,
            YamlErrorKind::NodeLimit | YamlErrorKind::RunNodeLimit
        )
    }) {
        parsed.documents = Vec::new();
        if let Some(run) = run {
            run.give_back(parsed.nodes);
        }
        parsed.nodes = 0;
    }
    parsed
}

/// Where a file's flow collections pass `limit` items, counting each `[`, `{` and each `,`
/// inside one (outside quotes and comments): every such comma separates two nodes.
///
/// saphyr-parser reads a whole flow collection that could be a simple key (`[…]` or `{…}` in
/// block context: a document, a sequence entry, a value) before it emits its first event — its
/// `stale_simple_keys` never retires a key inside a flow collection — so a 16 MiB `[1,1,…]`
/// held 8 M tokens (about 3 GB) before the node budget saw its first node. This scan sees
/// them first, in linear time. Only a file longer than `limit` bytes can pass it. Block scalars
/// are not told apart, so brackets and commas in one count too (a `|` holding JSON): the count
/// may run high, never low.
fn flow_items_over(text: &str, limit: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    if bytes.len() <= limit {
        return None;
    }
    let (mut count, mut depth) = (0usize, 0usize);
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let token_start = i == 0
            || matches!(
                bytes[i - 1],
                b' ' | b'\t' | b'\n' | b'\r' | b'[' | b'{' | b',' | b':'
            );
        match b {
            b'#' if token_start => {
                while i < bytes.len() && !matches!(bytes[i], b'\n' | b'\r') {
                    i += 1;
                }
            }
            b'"' if token_start => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'\'' if token_start => {
                i += 1;
                while i < bytes.len() {
                    if bytes[i] == b'\'' {
                        if bytes.get(i + 1) != Some(&b'\'') {
                            break;
                        }
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'[' | b'{' => {
                depth += 1;
                count += 1;
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b',' if depth > 0 => count += 1,
            _ => {}
        }
        if count > limit {
            return Some(i.min(bytes.len().saturating_sub(1)));
        }
        i += 1;
    }
    None
}

fn parse_patched(text: &str, limits: Limits, run: Option<&RunBudget>) -> Parsed {
    let mut parsed = parse_once(text, limits, run);
    // Each attempt counts against the run from nothing (the last one's nodes went back).
    let mut peak = parsed.peak;
    let mut patched: Option<String> = None;
    let mut insertions = Insertions::default();
    for _ in 0..MAX_RETRIES {
        let Some(e) = &parsed.error else { break };
        let current = patched.as_deref().unwrap_or(text);
        let fixed = if let Some(fixed) = tab_after_colon_as_space(current, e) {
            fixed
        } else if let Some(fixed) = quoted_leading_tabs_as_spaces(current, e) {
            fixed
        } else if let Some((fixed, added)) = indent_quoted_continuations(current, e) {
            insertions.add(&added);
            fixed
        } else {
            break;
        };
        // The attempt is discarded: its nodes go back to the run.
        if let Some(run) = run {
            run.give_back(parsed.nodes);
        }
        parsed = parse_once(&fixed, limits, run);
        peak = peak.max(parsed.peak);
        patched = Some(fixed);
    }
    parsed.peak = peak;
    insertions.map_back(&mut parsed);
    parsed
}

/// The text with the tab after a colon read as a space, when that is what stopped the parser.
fn tab_after_colon_as_space(current: &str, e: &YamlError) -> Option<String> {
    // The parser stops on the value, after the blanks that follow the colon.
    let bytes = current.as_bytes();
    let stop = e.span.start.min(bytes.len());
    let mut start = stop;
    while start > 0 && matches!(bytes[start - 1], b'\t' | b' ') {
        start -= 1;
    }
    let tab_follows_colon = e.message.contains(TAB_AFTER_COLON)
        && start > 0
        && bytes[start - 1] == b':'
        && bytes[start..stop].contains(&b'\t');
    if !tab_follows_colon {
        return None;
    }
    let mut fixed = current.to_string();
    fixed.replace_range(start..stop, &" ".repeat(stop - start));
    Some(fixed)
}

/// The text with the leading tabs of a quoted scalar's continuation line read as spaces, when a
/// tab there stopped the parser. They are dropped when the scalar folds, and a space has the
/// tab's length, so the value and every span stay the same; a line still left of the
/// indentation is then padded by `indent_quoted_continuations`.
fn quoted_leading_tabs_as_spaces(current: &str, e: &YamlError) -> Option<String> {
    if !e.message.contains(TAB_IN_QUOTED_INDENTATION) {
        return None;
    }
    let bytes = current.as_bytes();
    let start = e.span.start;
    if bytes.get(start) != Some(&b'\t') {
        return None;
    }
    let end = start
        + bytes[start..]
            .iter()
            .take_while(|&&b| matches!(b, b' ' | b'\t'))
            .count();
    let mut fixed = current.to_string();
    fixed.replace_range(start..end, &" ".repeat(end - start));
    Some(fixed)
}

/// When the parser refused a quoted scalar for the indentation of its continuation lines, the
/// text with those lines indented to the opening quote's column, and where spaces went (byte
/// offset in `current`, count). A quoted scalar drops the leading blanks of each continuation
/// line when it folds, so the value is unchanged. A continuation line that is a document marker
/// (`---`/`...` at column 0) ends the patching: it stays an error, as in libyaml.
fn indent_quoted_continuations(
    current: &str,
    e: &YamlError,
) -> Option<(String, Vec<(usize, usize)>)> {
    if !e.message.contains(QUOTED_INDENTATION) {
        return None;
    }
    let bytes = current.as_bytes();
    // The parser reports the opening quote.
    let quote = e.span.start;
    let single = match bytes.get(quote)? {
        b'\'' => true,
        b'"' => false,
        _ => return None,
    };
    let line_start = bytes[..quote]
        .iter()
        .rposition(|&b| matches!(b, b'\n' | b'\r'))
        .map_or(0, |i| i + 1);
    // Columns are characters; the opening quote's column is at least the block indentation the
    // parser asks for, since the scalar stands inside that block.
    let pad = current.get(line_start..quote)?.chars().count();
    let mut added = Vec::new();
    // Only ASCII bytes are compared, and no byte of a multi-byte UTF-8 character is ASCII.
    let mut i = quote + 1;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\'' if single => {
                if bytes.get(i + 1) != Some(&b'\'') {
                    break;
                }
                i += 2;
            }
            b'"' if !single => break,
            // An escape; an escaped line break is still followed by a continuation line.
            b'\\' if !single => {
                i += if matches!(bytes.get(i + 1), Some(b'\n' | b'\r')) {
                    1
                } else {
                    2
                };
            }
            b'\n' | b'\r' => {
                i += 1;
                if b == b'\r' && bytes.get(i) == Some(&b'\n') {
                    i += 1;
                }
                if is_document_marker(&bytes[i..]) {
                    break;
                }
                let spaces = bytes[i..].iter().take_while(|&&c| c == b' ').count();
                let blank_line = matches!(bytes.get(i + spaces), None | Some(b'\n' | b'\r'));
                if spaces < pad && !blank_line {
                    added.push((i, pad - spaces));
                }
                i += spaces;
            }
            _ => i += 1,
        }
    }
    if added.is_empty() {
        return None;
    }
    let mut fixed = String::with_capacity(current.len() + added.iter().map(|a| a.1).sum::<usize>());
    let mut from = 0;
    for &(at, count) in &added {
        fixed.push_str(current.get(from..at)?);
        fixed.extend(std::iter::repeat_n(' ', count));
        from = at;
    }
    fixed.push_str(current.get(from..)?);
    Some((fixed, added))
}

/// `---` or `...` followed by a blank, a line break or the end: a document marker when it starts
/// a line.
fn is_document_marker(line: &[u8]) -> bool {
    (line.starts_with(b"---") || line.starts_with(b"..."))
        && matches!(line.get(3), None | Some(b' ' | b'\t' | b'\n' | b'\r'))
}

/// Spaces inserted into the text that was parsed, to map its offsets back to the original text.
#[derive(Default)]
struct Insertions {
    /// Runs of inserted spaces sorted by place: (offset in the original text, spaces, offset of
    /// the run in the patched text).
    runs: Vec<(usize, usize, usize)>,
}

impl Insertions {
    /// Records insertions given as offsets in the current patched text.
    fn add(&mut self, added: &[(usize, usize)]) {
        let mut at: Vec<(usize, usize)> = added
            .iter()
            .map(|&(patched, count)| (self.original(patched), count))
            .chain(self.runs.iter().map(|&(orig, count, _)| (orig, count)))
            .collect();
        at.sort_unstable();
        // Two insertions at one place are one run of spaces.
        at.dedup_by(|later, earlier| {
            let same = later.0 == earlier.0;
            if same {
                earlier.1 += later.1;
            }
            same
        });
        let mut shift = 0;
        self.runs = at
            .into_iter()
            .map(|(orig, count)| {
                let run = (orig, count, orig + shift);
                shift += count;
                run
            })
            .collect();
    }

    /// The offset in the original text of `patched`; an offset inside inserted spaces maps to
    /// where they were inserted.
    fn original(&self, patched: usize) -> usize {
        let after = self.runs.partition_point(|&(_, _, run)| run <= patched);
        let Some(&(orig, count, run)) = after.checked_sub(1).and_then(|i| self.runs.get(i)) else {
            return patched;
        };
        if patched < run + count {
            orig
        } else {
            patched - (run + count - orig)
        }
    }

    fn map_back(&self, parsed: &mut Parsed) {
        if self.runs.is_empty() {
            return;
        }
        let mut map =
            |span: &mut Span| *span = Span::new(self.original(span.start), self.original(span.end));
        for doc in &mut parsed.documents {
            map(&mut doc.span);
            if let Some(root) = &mut doc.root {
                // Not shared yet: parsing has just made it.
                for_each_span(std::sync::Arc::make_mut(root), &mut map);
            }
        }
        if let Some(e) = &mut parsed.error {
            map(&mut e.span);
        }
    }
}

fn parse_once(text: &str, limits: Limits, run: Option<&RunBudget>) -> Parsed {
    // A byte-order mark is not content; skip it so positions stay right.
    let (base, body) = match text.strip_prefix('\u{feff}') {
        Some(rest) => (text.len() - rest.len(), rest),
        None => (0, text),
    };
    let mut builder = Builder {
        offsets: Offsets::new(body),
        limits,
        // Room for a typical manifest, so the stacks do not grow by doubling from one.
        stack: Vec::with_capacity(16),
        anchors: HashMap::new(),
        alias_budget_used: 0,
        nodes: 0,
        reserved: 0,
        taken: 0,
        passed: 0,
        run,
        documents: Vec::new(),
        doc_start: 0,
        doc_root: None,
        doc_repeats_key: false,
        items: Vec::with_capacity(32),
        entries: Vec::with_capacity(64),
    };
    let mut parser = Parser::new_from_str(body);
    let mut error = None;
    while let Some(next) = parser.next_event() {
        match next {
            Ok((event, span)) => {
                if let Err(e) = builder.event(event, span) {
                    error = Some(e);
                    break;
                }
            }
            Err(e) => {
                error = Some(scan_error(&builder.offsets, &e));
                break;
            }
        }
    }
    // What was reserved and not built goes back; `nodes` is what this parse holds of the run's.
    if let Some(run) = run {
        run.give_back(builder.reserved);
    }
    let nodes = builder.taken - builder.reserved;
    let nodes = if run.is_some() {
        nodes
    } else {
        builder.nodes.min(limits.nodes)
    };
    let mut documents = builder.documents;
    // Held as long as the run: exactly the documents (most files hold one), not the room a
    // vector leaves for more as it grows.
    documents.shrink_to_fit();
    if base != 0 {
        for d in &mut documents {
            shift_document(d, base);
        }
        if let Some(e) = &mut error {
            e.span = Span::new(e.span.start + base, e.span.end + base);
        }
    }
    Parsed {
        documents,
        error,
        nodes,
        peak: builder.passed,
    }
}

fn scan_error(offsets: &Offsets<'_>, e: &ScanError) -> YamlError {
    let mut at = offsets.byte(e.marker().index());
    // The parser reports a tab in indentation after the tab; point at the tab itself.
    if e.info().contains("tabs disallowed") {
        while at > 0 && offsets.text.as_bytes().get(at - 1) == Some(&b'\t') {
            at -= 1;
        }
    }
    // Point at the character where the parser stopped, so a report can underline it.
    let end = offsets.text[at..]
        .chars()
        .next()
        .map_or(at, |c| at + c.len_utf8());
    YamlError {
        kind: YamlErrorKind::Syntax,
        message: e.info().to_string(),
        span: Span::new(at, end),
    }
}

fn shift_document(doc: &mut Document, by: usize) {
    doc.span = Span::new(doc.span.start + by, doc.span.end + by);
    if let Some(root) = &mut doc.root {
        shift_node(std::sync::Arc::make_mut(root), by);
    }
}

fn shift_node(node: &mut Node, by: usize) {
    for_each_span(node, &mut |span| {
        *span = Span::new(span.start + by, span.end + by);
    });
}

/// Calls `f` on the span of `node` and of every node below it.
fn for_each_span(node: &mut Node, f: &mut dyn FnMut(&mut Span)) {
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        f(&mut n.span);
        match &mut n.value {
            Value::Scalar(_) => {}
            Value::Seq(items) => stack.extend(items.iter_mut()),
            Value::Map(entries) => {
                for e in entries.iter_mut() {
                    stack.push(&mut e.key);
                    stack.push(&mut e.value);
                }
            }
        }
    }
}

/// Writes a JSON value as block YAML.
pub fn emit(value: &serde_json::Value) -> String {
    let mut out = String::new();
    yaml_value(value, 0, &mut out);
    out
}

fn yaml_scalar(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => yaml_string(s),
        other => other.to_string(),
    }
}

/// A string as a plain scalar when it cannot be misread, else double-quoted. Keys too: they come
/// from the repository and can hold line breaks and control characters, which quoting escapes
/// (the JSON escapes, plus `\u` for what JSON leaves raw, are valid YAML).
fn yaml_string(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_alphanumeric() || "-_./@".contains(c))
        && !matches!(s, "true" | "false" | "null" | "~" | "yes" | "no")
        && s.parse::<f64>().is_err();
    if plain {
        s.to_string()
    } else {
        crate::text::escape_json_unsafe(&serde_json::Value::String(s.to_string()).to_string())
    }
}

/// JSON → block YAML, for output a person reads (`render`, `diff` bodies). Not a general YAML
/// serializer: strings that could be misread are double-quoted (JSON escapes are valid YAML).
fn yaml_value(v: &serde_json::Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match v {
        serde_json::Value::Object(map) => {
            for (k, val) in map {
                let k = yaml_string(k);
                match val {
                    serde_json::Value::Object(m) if !m.is_empty() => {
                        out.push_str(&format!("{pad}{k}:\n"));
                        yaml_value(val, indent + 2, out);
                    }
                    serde_json::Value::Array(a) if !a.is_empty() => {
                        out.push_str(&format!("{pad}{k}:\n"));
                        yaml_value(val, indent, out);
                    }
                    serde_json::Value::Object(_) => out.push_str(&format!("{pad}{k}: {{}}\n")),
                    serde_json::Value::Array(_) => out.push_str(&format!("{pad}{k}: []\n")),
                    scalar => out.push_str(&format!("{pad}{k}: {}\n", yaml_scalar(scalar))),
                }
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                match item {
                    serde_json::Value::Object(_) | serde_json::Value::Array(_) => {
                        let mut nested = String::new();
                        yaml_value(item, indent + 2, &mut nested);
                        let trimmed = nested.trim_start();
                        out.push_str(&format!("{pad}- {trimmed}"));
                    }
                    scalar => out.push_str(&format!("{pad}- {}\n", yaml_scalar(scalar))),
                }
            }
        }
        scalar => out.push_str(&format!("{pad}{}\n", yaml_scalar(scalar))),
    }
}

#[cfg(test)]
mod tests {

    /// A 50,000-object tree holds about 800,000 mapping entries; their size is most of a run's
    /// memory (issue 12). Before the tag was interned a node took 64 bytes and an entry 136;
    /// this keeps them from growing back unnoticed. Equal tags compare equal, others not.
    #[test]
    fn nodes_and_entries_stay_small() {
        assert_eq!(std::mem::size_of::<super::Scalar>(), 32);
        assert_eq!(std::mem::size_of::<super::Node>(), 48);
        assert_eq!(std::mem::size_of::<super::Entry>(), 104);
        let tagged = one("a: !!str 1\n");
        let scalar = match &tagged.entries()[0].value.value {
            super::Value::Scalar(s) => s.clone(),
            other => panic!("not a scalar: {other:?}"),
        };
        assert_eq!(scalar.tag(), Some("tag:yaml.org,2002:str"));
        assert_eq!(tagged.to_json(), serde_json::json!({"a": "1"}));
        let again = one("b: !!str 2\nc: !custom 3\n");
        let tag_of = |n: &Node| match &n.value {
            super::Value::Scalar(s) => s.tag,
            _ => None,
        };
        assert_eq!(tag_of(&again.entries()[0].value), scalar.tag);
        assert_ne!(tag_of(&again.entries()[1].value), scalar.tag);
        assert_eq!(
            format!("{:?}", tag_of(&again.entries()[1].value)),
            "Some(Tag(\"!custom\"))"
        );
    }

    /// `diff` skips objects whose YAML is the same on both sides (issue 12): the same content
    /// wherever it is written, and a change of value, style (a quoted number is a string), key
    /// order or length is a change.
    #[test]
    fn same_content_ignores_where_not_what() {
        let a = one("a: 1\nb: [x, y]\n");
        assert!(a.same_content(&one("\n\n# moved\na: 1\nb:\n  - x\n  - y\n")));
        for other in [
            "a: \"1\"\nb: [x, y]\n",
            "a: 1\nb: [x]\n",
            "b: [x, y]\na: 1\n",
            "a: 2\nb: [x, y]\n",
        ] {
            assert!(!a.same_content(&one(other)), "{other}");
        }
    }
    use super::*;

    fn one(text: &str) -> Node {
        let parsed = parse(text, Limits::default());
        assert_eq!(parsed.error, None);
        (*parsed.documents[0].root.clone().expect("a root node")).clone()
    }

    #[test]
    fn spans_point_at_keys_and_values() {
        let text = "metadata:\n  name: storage\n";
        let root = one(text);
        let entry = root
            .get("metadata")
            .and_then(|m| m.entry("name"))
            .expect("name");
        assert_eq!(&text[entry.key.span.start..entry.key.span.end], "name");
        assert_eq!(
            &text[entry.value.span.start..entry.value.span.end],
            "storage"
        );
    }

    #[test]
    fn spans_are_bytes_even_after_non_ascii() {
        let text = "a: \"héllo wörld\"\nname: x\n";
        let root = one(text);
        let v = root.get("name").expect("name");
        assert_eq!(&text[v.span.start..v.span.end], "x");
    }

    #[test]
    fn duplicate_keys_are_kept_and_last_wins() {
        let root = one("a: 1\na: 2\n");
        assert_eq!(root.entries().len(), 2);
        assert_eq!(root.get("a").and_then(Node::as_str), Some("2"));
    }

    #[test]
    fn core_schema_typing() {
        let root = one("i: 3\ns: \"3\"\nb: true\nn: ~\nf: 1.5\nt: !!str 4\nv: 1.2.3\n");
        let j = root.to_json();
        assert_eq!(j["i"], serde_json::json!(3));
        assert_eq!(j["s"], serde_json::json!("3"));
        assert_eq!(j["b"], serde_json::json!(true));
        assert_eq!(j["n"], serde_json::Value::Null);
        assert_eq!(j["f"], serde_json::json!(1.5));
        assert_eq!(j["t"], serde_json::json!("4"));
        assert_eq!(j["v"], serde_json::json!("1.2.3"));
    }

    #[test]
    fn billion_laughs_is_refused_quickly() {
        let mut text = String::from(
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
        for w in names.windows(2) {
            let refs = vec![format!("*{}", w[0]); 9].join(",");
            text.push_str(&format!("{}: &{} [{}]\n", w[1], w[1], refs));
        }
        let parsed = parse(&text, Limits::default());
        let err = parsed.error.expect("refused");
        assert_eq!(err.kind, YamlErrorKind::AliasLimit);
    }

    #[test]
    fn deep_nesting_is_refused() {
        let text = "[".repeat(10_000);
        let parsed = parse(&text, Limits::default());
        assert!(parsed.error.is_some());
    }

    #[test]
    fn syntax_error_has_position() {
        let text = "a: \"unclosed\nb: c\n";
        let parsed = parse(text, Limits::default());
        let err = parsed.error.expect("error");
        assert_eq!(err.kind, YamlErrorKind::Syntax);
        assert!(err.span.start <= text.len());
    }

    #[test]
    fn tab_after_colon_is_whitespace() {
        let text = "name:\tstorage\nkind:\tConfigMap\n";
        let root = one(text);
        let v = root.get("name").expect("name");
        assert_eq!(v.as_str(), Some("storage"));
        assert_eq!(&text[v.span.start..v.span.end], "storage");
        assert_eq!(root.get("kind").and_then(Node::as_str), Some("ConfigMap"));
    }

    #[test]
    fn bom_is_skipped() {
        let text = "\u{feff}name: x\n";
        let parsed = parse(text, Limits::default());
        let root = parsed.documents[0].root.clone().expect("root");
        let v = root.get("name").expect("name");
        assert_eq!(&text[v.span.start..v.span.end], "x");
    }

    // Quoted scalars whose continuation lines start left of the block indentation. libyaml
    // accepts them: go-yaml/yaml scannerc.go `yaml_parser_scan_flow_scalar` (commit 01c0521e)
    // checks a continuation line only for a document indicator at column 0 and for the end of
    // the stream, never its indentation, and neither do kubectl, Kustomize or Argo CD, which
    // decode with it (sigs.k8s.io/yaml). saphyr-parser refused them ("invalid indentation in
    // quoted scalar"). Expected values are PyYAML's (`yaml.safe_load_all`), also libyaml's.

    /// The corpus case (anthos-config-management-samples fleet-packages-quickstart nginx.yaml):
    /// a ConfigMap value in single quotes whose lines, and closing quote, start at column 0.
    const NGINX: &str = "data:\n  nginx.conf: '\nevents {\n}\nhttp {\n   server {\n       return 200 \"it''s\";\n\n   }\n}\n'\n  after: x\n---\nkind: Deployment\n";

    #[test]
    fn quoted_continuation_lines_left_of_the_indentation_fold_as_libyaml_does() {
        let parsed = parse(NGINX, Limits::default());
        assert_eq!(parsed.error, None);
        assert_eq!(parsed.documents.len(), 2);
        let root = parsed.documents[0].root.clone().expect("root");
        let value = root.path(&["data", "nginx.conf"]).expect("nginx.conf");
        assert_eq!(
            value.as_str(),
            Some(" events { } http { server { return 200 \"it's\";\n} } ")
        );
        assert_eq!(
            value.to_json(),
            serde_json::json!(" events { } http { server { return 200 \"it's\";\n} } ")
        );
    }

    #[test]
    fn spans_after_a_patched_quoted_scalar_point_into_the_original_text() {
        let parsed = parse(NGINX, Limits::default());
        let root = parsed.documents[0].root.clone().expect("root");
        let data = root.get("data").expect("data");
        let value = data.get("nginx.conf").expect("nginx.conf");
        let at = |s: Span| &NGINX[s.start..s.end];
        assert!(
            at(value.span).starts_with("'\nevents {"),
            "{:?}",
            at(value.span)
        );
        assert!(at(value.span).ends_with("}\n'"), "{:?}", at(value.span));
        let after = data.entry("after").expect("after");
        assert_eq!(at(after.key.span), "after");
        assert_eq!(at(after.value.span), "x");
        let data_start = NGINX.find("nginx.conf").expect("key");
        assert_eq!(
            at(data.span),
            &NGINX[data_start..NGINX.find("\n---").expect("marker")]
        );
        let second = &parsed.documents[1];
        let kind = second
            .root
            .as_ref()
            .and_then(|r| r.get("kind"))
            .expect("kind");
        assert_eq!(at(kind.span), "Deployment");
        assert_eq!(&NGINX[second.span.start..], "---\nkind: Deployment\n");
    }

    #[test]
    fn double_quoted_continuations_keep_escapes_and_blank_lines() {
        // A line after an escaped line break, a blank line (a kept line feed), a tab-led line
        // and an escaped backslash before a break.
        let text = "a:\n  b: \"one \\\"q\\\" \\\ntwo\n\n\tthree \\\\\nfour\"\n  c: d\n";
        let root = one(text);
        let b = root.path(&["a", "b"]).expect("b");
        assert_eq!(b.as_str(), Some("one \"q\" two\nthree \\ four"));
        let c = root.path(&["a", "c"]).expect("c");
        assert_eq!(&text[c.span.start..c.span.end], "d");
    }

    #[test]
    fn quoted_continuations_after_non_ascii_keep_byte_spans() {
        let text = "a:\n  schlüssel: 'größe\nzwei'\n  c: wört\n";
        let root = one(text);
        let a = root.get("a").expect("a");
        assert_eq!(
            a.get("schlüssel").and_then(Node::as_str),
            Some("größe zwei")
        );
        let c = a.get("c").expect("c");
        assert_eq!(&text[c.span.start..c.span.end], "wört");
    }

    #[test]
    fn a_document_marker_inside_a_quoted_scalar_is_still_an_error() {
        // libyaml: "while scanning a quoted scalar ... found unexpected document indicator",
        // reported at the opening quote.
        for text in ["a:\n  b: 'x\ny\n---\nz'\n", "a:\n  b: 'x\n...\nz'\n"] {
            let parsed = parse(text, Limits::default());
            let err = parsed.error.expect("a document marker ends the scalar");
            assert_eq!(err.kind, YamlErrorKind::Syntax);
            assert!(
                err.message.contains("document indicator"),
                "{}",
                err.message
            );
            assert_eq!(err.span.start, text.find('\'').expect("quote"), "{text:?}");
        }
        // Not a marker: `---x` is content.
        let root = one("a:\n  b: 'x\n---x\nz'\n");
        assert_eq!(
            root.path(&["a", "b"]).and_then(Node::as_str),
            Some("x ---x z")
        );
    }

    #[test]
    fn tabs_leading_a_quoted_continuation_line_fold_as_libyaml_does() {
        // PyYAML (libyaml) values: {'k': 'a b'}, {'a': {'k': 'x b', 'c': 'd'}}, {'k': 'a b'}.
        // saphyr-parser said "tab cannot be used as indentation" on each.
        for (text, path, value) in [
            ("k: \"a\n\tb\"\n", &["k"][..], "a b"),
            ("a:\n  k: \"x\n \tb\"\n  c: d\n", &["a", "k"][..], "x b"),
            ("k: 'a\n\t\tb'\n", &["k"][..], "a b"),
        ] {
            let root = one(text);
            assert_eq!(
                root.path(path).and_then(Node::as_str),
                Some(value),
                "{text:?}"
            );
        }
        let text = "a:\n  k: \"x\n\t \tb\"\n  c: d\n";
        let root = one(text);
        let c = root.path(&["a", "c"]).expect("c");
        assert_eq!(&text[c.span.start..c.span.end], "d");
        // A tab indenting block content stays an error, as in libyaml.
        let parsed = parse("a:\n\tb: 1\n", Limits::default());
        assert!(parsed.error.is_some());
    }

    #[test]
    fn other_quoted_scalar_errors_stay_errors() {
        let text = "a:\n  b: 'x\ny\n";
        let parsed = parse(text, Limits::default());
        let err = parsed.error.expect("unclosed");
        assert!(err.message.contains("end of stream"), "{}", err.message);
        assert_eq!(err.span.start, text.find('\'').expect("quote"));
    }

    #[test]
    fn quoted_scalar_patches_are_capped() {
        let scalars = |n: usize| {
            (0..n)
                .map(|i| format!("k{i}:\n  v: 'a\nb'\n"))
                .collect::<Vec<_>>()
                .join("---\n")
        };
        let text = scalars(MAX_RETRIES);
        let parsed = parse(&text, Limits::default());
        assert_eq!(parsed.error, None);
        assert_eq!(parsed.documents.len(), MAX_RETRIES);
        // One scalar more than the cap: the parser's error stands, at the last scalar's quote in
        // the original text.
        let text = scalars(MAX_RETRIES + 1);
        let parsed = parse(&text, Limits::default());
        let err = parsed.error.expect("past the cap");
        assert!(err.message.contains(QUOTED_INDENTATION), "{}", err.message);
        assert_eq!(
            err.span.start,
            text.rfind('\'').expect("quote") - "'a\nb".len()
        );
        assert_eq!(parsed.documents.len(), MAX_RETRIES);
    }

    // Merge keys, as go-yaml v2 resolves them (sigs.k8s.io/yaml goyaml.v2 `decode.go`,
    // `(*decoder).mapping`, `(*decoder).merge`, `isMerge`; kubectl and Argo CD's repo-server read
    // manifests with it). Expected values are what v2 decodes into a map.

    #[test]
    fn merge_keys_bring_in_the_anchor_and_keys_written_after_override() {
        let text = "x: &base\n  kind: ConfigMap\n  name: a\ny:\n  <<: *base\n  name: b\n";
        let root = one(text);
        let y = root.get("y").expect("y");
        assert_eq!(y.get("kind").and_then(Node::as_str), Some("ConfigMap"));
        assert_eq!(y.get("name").and_then(Node::as_str), Some("b"));
        assert_eq!(
            y.to_json(),
            serde_json::json!({"kind": "ConfigMap", "name": "b"})
        );
        // No `<<` entry is left; the merged ones are marked and keep the anchor's spans.
        assert!(
            y.entries()
                .iter()
                .all(|e| e.key.as_scalar_text() != Some("<<"))
        );
        let kind = y.entry("kind").expect("kind");
        assert!(kind.merged);
        assert_eq!(kind.key.span.start, text.find("kind").expect("kind"));
        assert_eq!(
            &text[kind.value.span.start..kind.value.span.end],
            "ConfigMap"
        );
        assert!(!y.entry("name").expect("name").merged);
    }

    #[test]
    fn a_key_written_before_the_merge_is_overridden_as_go_yaml_v2_does() {
        // v2 sets keys into the map in order and the merge unmarshals into the same map.
        let root = one("x: &b {name: a}\ny:\n  name: mine\n  <<: *b\n");
        assert_eq!(root.path(&["y", "name"]).and_then(Node::as_str), Some("a"));
    }

    #[test]
    fn the_first_mapping_of_a_merge_list_wins_and_merges_nest() {
        let text = "a: &a {k: from-a, only-a: 1}\nb: &b {k: from-b, only-b: 2}\nc: &c\n  <<: *b\n  own: 3\nd:\n  <<: [*a, *c, {inline: 4, k: inline}]\n";
        let root = one(text);
        let d = root.get("d").expect("d");
        assert_eq!(
            d.to_json(),
            serde_json::json!({"inline": 4, "k": "from-a", "own": 3, "only-b": 2, "only-a": 1})
        );
        assert_eq!(d.get("k").and_then(Node::as_str), Some("from-a"));
        assert_eq!(d.get("only-b").and_then(Node::as_str), Some("2"));
        assert!(d.entries().iter().all(|e| e.merged));
    }

    #[test]
    fn quoted_or_tagged_merge_keys() {
        // Quoted: an ordinary key. Tagged `!!merge`: a merge key.
        let root = one("x: &b {k: v}\ny: {\"<<\": *b}\nz: {!!merge <<: *b}\n");
        assert!(root.path(&["y", "<<"]).is_some());
        assert_eq!(root.path(&["z", "k"]).and_then(Node::as_str), Some("v"));
    }

    #[test]
    fn merging_a_scalar_is_an_error_at_the_value() {
        let text = "x: &s hello\ny:\n  <<: *s\n";
        let parsed = parse(text, Limits::default());
        let err = parsed.error.expect("refused");
        assert_eq!(err.kind, YamlErrorKind::Syntax);
        assert!(
            err.message.contains("map merge requires map"),
            "{}",
            err.message
        );
        assert_eq!(err.span.start, text.rfind("*s").expect("alias"));
        let parsed = parse("y:\n  <<: [{a: 1}, 2]\n", Limits::default());
        assert!(parsed.error.is_some());
    }

    #[test]
    fn merge_bombs_spend_the_alias_budget() {
        let mut text =
            String::from("a: &a {k0: v, k1: v, k2: v, k3: v, k4: v, k5: v, k6: v, k7: v, k8: v}\n");
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
        for w in names.windows(2) {
            let refs = vec![format!("*{}", w[0]); 9].join(", ");
            text.push_str(&format!("{}: &{} {{<<: [{}], own: x}}\n", w[1], w[1], refs));
        }
        let parsed = parse(&text, Limits::default());
        let err = parsed.error.expect("refused");
        assert_eq!(err.kind, YamlErrorKind::AliasLimit);
    }

    #[test]
    fn go_yaml_v2_booleans_for_fields_and_text_for_everything_else() {
        // sigs.k8s.io/yaml goyaml.v2 resolve.go `resolveMapList`: exactly these spellings.
        for t in [
            "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON",
        ] {
            assert_eq!(yaml11_bool(t), Some(true), "{t}");
        }
        for t in [
            "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF",
        ] {
            assert_eq!(yaml11_bool(t), Some(false), "{t}");
        }
        for t in ["yES", "oN", "1", "0", "enabled", "", "~"] {
            assert_eq!(yaml11_bool(t), None, "{t}");
        }
        let root = one("data:\n  a: yes\n  b: on\nspec:\n  prune: yes\n");
        // A ConfigMap's value is shown as written; a boolean field reads as Argo CD reads it.
        let j = root.to_json();
        assert_eq!(j["data"]["a"], serde_json::json!("yes"));
        assert_eq!(j["data"]["b"], serde_json::json!("on"));
        assert_eq!(go_bool(&j["spec"]["prune"]), Some(true));
        assert_eq!(go_bool(&serde_json::json!(false)), Some(false));
        assert_eq!(go_bool(&serde_json::json!(1)), None);
    }

    #[test]
    fn the_file_node_budget_stops_at_the_node_where_it_ran_out() {
        let limits = Limits {
            nodes: 5,
            ..Limits::default()
        };
        // Nodes: the sequence, then one per item; the fifth item is the sixth node.
        let text = "- 1\n- 2\n- 3\n- 4\n- 55\n- 6\n";
        let parsed = parse(text, limits);
        let err = parsed.error.expect("over the budget");
        assert_eq!(err.kind, YamlErrorKind::NodeLimit);
        assert_eq!(&text[err.span.start..err.span.end], "55");
        assert!(
            err.message.contains("`yaml-nodes-per-file`"),
            "{}",
            err.message
        );
        assert!(parsed.documents.is_empty(), "the file's nodes are dropped");
        assert_eq!(parsed.nodes, 0);
        // At the budget exactly, nothing is refused.
        let parsed = parse("- 1\n- 2\n- 3\n- 4\n", limits);
        assert_eq!(parsed.error, None);
        assert_eq!(parsed.nodes, 5);
    }

    #[test]
    fn alias_copies_count_as_nodes() {
        let limits = Limits {
            nodes: 10,
            ..Limits::default()
        };
        // 1 map + a: &a [x, y] (1 + 3) = 5, then b: *a adds 1 key + 3 copied = 9, c: *a 13.
        let parsed = parse("a: &a [x, y]\nb: *a\n", limits);
        assert_eq!(parsed.error, None);
        assert_eq!(parsed.nodes, 9);
        let text = "a: &a [x, y]\nb: *a\nc: *a\n";
        let err = parse(text, limits).error.expect("over");
        assert_eq!(err.kind, YamlErrorKind::NodeLimit);
        assert_eq!(err.span.start, text.rfind("*a").expect("alias"));
    }

    #[test]
    fn the_run_budget_is_shared_and_given_back_when_a_file_is_dropped() {
        let run = RunBudget::new(10);
        let limits = Limits::default();
        let first = parse_in_run("[1, 2, 3, 4, 5]\n", limits, Some(&run));
        assert_eq!((first.error, first.nodes), (None, 6));
        let text = "[a, b, c, d, e]\n";
        let second = parse_in_run(text, limits, Some(&run));
        let err = second.error.expect("the run's budget is spent");
        assert_eq!(err.kind, YamlErrorKind::RunNodeLimit);
        assert!(err.message.contains("`yaml-nodes`"), "{}", err.message);
        assert!(second.documents.is_empty());
        // The dropped file gave its nodes back; a small file still fits.
        let third = parse_in_run("[x, y, z]\n", limits, Some(&run));
        assert_eq!((third.error, third.nodes), (None, 4));
    }

    #[test]
    fn huge_flow_collections_are_refused_before_the_parser_reads_them_whole() {
        let limits = Limits {
            nodes: 10,
            ..Limits::default()
        };
        let text = format!("a: [{}]\n", vec!["1"; 30].join(","));
        let parsed = parse(&text, limits);
        let err = parsed.error.expect("refused");
        assert_eq!(err.kind, YamlErrorKind::NodeLimit);
        // `[` is the first item counted, each comma one more: the 10th comma is the 11th.
        let tenth_comma = text.match_indices(',').nth(9).map(|(i, _)| i);
        assert_eq!(Some(err.span.start), tenth_comma);
        assert!(parsed.documents.is_empty());
        // Commas in quotes, comments and plain block text are not flow items.
        let commas = vec!["x"; 30].join(",");
        let text = format!("a: \"{commas}\"\nb: '{commas}'\n# {commas}\nc: {commas}\n");
        assert_eq!(parse(&text, limits).error, None);
    }

    #[test]
    fn multiple_documents() {
        let parsed = parse("a: 1\n---\nb: 2\n---\n", Limits::default());
        assert_eq!(parsed.documents.len(), 3);
        assert!(
            parsed.documents[2]
                .root
                .as_deref()
                .is_none_or(Node::is_null)
        );
    }
}
