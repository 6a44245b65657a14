//! The fix of `one-object-per-file`: split a file into one file per object.
//!
//! The new files are cut from the file's text, never re-serialised: each document keeps its
//! comments, quoting and indentation; the items of a `kind: List` are cut from the list and
//! dedented. Each new file is `<kind>-<name>.yaml` beside the original (lower-case, made unique
//! against the directory and each other), with the original's line ending and byte-order mark.
//! A kustomization that lists the file in `resources:` gets the new files in its place, in the
//! same order (a text edit of that one entry). An Application whose `directory.include` or
//! `exclude` would stop selecting the new files makes the fix unsafe, with why.
//!
//! Planning reads the inventory only (a `Kustomization` file, which the walk does not parse, is
//! the exception: it is read from disk); the driver writes.

use std::collections::{BTreeSet, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHasher};

use crate::diagnostic::Diagnostic;
use crate::load::{FileId, Node, SourceFile, clean_relative};
use crate::model::argocd::SourceKind;
use crate::model::object::manifests_of;
use crate::model::{Inventory, ObjectIdx};
use crate::render::tree::{KUSTOMIZATION_NAMES, join, parent_dir, selected};

use super::{FileChange, Fix, Fixable, NoFix};

const BOM: &str = "\u{feff}";

fn no(reason: impl Into<String>) -> NoFix {
    NoFix {
        reason: reason.into(),
    }
}

/// One object to write to a file of its own.
struct Piece<'a> {
    kind: String,
    name: String,
    /// The file's text, without BOM; ends with a line ending.
    text: String,
    /// The object as the file holds it: the new file must read back as the same YAML.
    node: &'a Node,
}

pub fn plan(inventory: &Inventory, diagnostic: &Diagnostic) -> Result<Fix, NoFix> {
    let file_id = diagnostic.location.file;
    let file = inventory.sources.get(file_id);
    if file.generated || file.rendered.is_some() {
        return Err(no(
            "the objects come from a render; split the template or source file that produces them",
        ));
    }
    if let Some(e) = &file.yaml_error {
        return Err(no(format!(
            "`{}` has a YAML error ({}); fix it first, then split the file",
            file.display, e.message
        )));
    }
    if file.read_problem.is_some() {
        return Err(no(format!("`{}` could not be read as text", file.display)));
    }
    if file.rel.ends_with(".json") {
        return Err(no(
            "a JSON file is not split automatically; move each object by hand",
        ));
    }
    let pieces = split(file)?;
    if pieces.len() < 2 {
        return Err(no("the file holds fewer than two objects"));
    }
    let dir = parent_dir(&file.rel);
    let own_name = file.rel.rsplit('/').next().unwrap_or(&file.rel);
    let index = inventory.memo.get(|| SplitIndex::new(inventory));
    let names = new_names(inventory, &index, dir, own_name, &pieces);
    let eol = if file.text.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let bom = if file.text.starts_with(BOM) { BOM } else { "" };
    let display_dir = match file.display.rsplit_once('/') {
        Some((d, _)) => format!("{d}/"),
        None => String::new(),
    };
    let mut changes = Vec::new();
    let mut original_kept = false;
    for (piece, name) in pieces.iter().zip(&names) {
        let rel = join(dir, name);
        // A last line without a line ending (the file's last) that ends a block scalar stays
        // without one: a line ending would be part of the scalar's value.
        let body = if ends_in_block_scalar(piece.node) {
            piece.text.clone()
        } else {
            with_eol(&piece.text, eol)
        };
        reads_back(&body, piece, inventory.sources.parse_limits)?;
        let after = format!("{bom}{body}");
        if name == own_name {
            original_kept = true;
            changes.push(FileChange {
                path: inventory.root.join(&file.rel),
                display: file.display.clone(),
                before: Some(Arc::clone(&file.text)),
                after: Some(after),
            });
        } else {
            changes.push(FileChange {
                path: inventory.root.join(&rel),
                display: format!("{display_dir}{name}"),
                before: None,
                after: Some(after),
            });
        }
    }
    if !original_kept {
        changes.push(FileChange {
            path: inventory.root.join(&file.rel),
            display: file.display.clone(),
            before: Some(Arc::clone(&file.text)),
            after: None,
        });
    }
    changes.extend(kustomization_edits(inventory, &index, &file.rel, &names)?);
    let caution = [
        selection_caution(inventory, &file.rel, &names),
        order_caution(inventory, &index, file_id, dir, &pieces),
    ]
    .into_iter()
    .flatten()
    .reduce(|a, b| format!("{a}; {b}"));
    Ok(Fix {
        rule: "one-object-per-file",
        safety: if caution.is_some() {
            Fixable::Unsafe
        } else {
            Fixable::Safe
        },
        title: format!(
            "split `{}` into {} files: {}",
            file.display,
            names.len(),
            names.join(", ")
        ),
        caution,
        changes,
    })
}

/// Whether `body`, a new file's text, reads back as exactly the object it was cut for: one
/// document, no error, the same YAML (values, key order, styles, tags). A cut that would change
/// the object — the trailing line breaks a block scalar keeps (`|+`, or a last line without
/// one), an alias whose anchor stays in another item of a List — is refused, not written.
fn reads_back(
    body: &str,
    piece: &Piece<'_>,
    limits: crate::load::yaml::Limits,
) -> Result<(), NoFix> {
    let parsed = crate::load::yaml::parse(body, limits);
    let roots: Vec<&Node> = parsed
        .documents
        .iter()
        .filter_map(|d| d.root.as_deref())
        .filter(|r| !r.is_null())
        .collect();
    match (parsed.error, roots.as_slice()) {
        (None, [root]) if root.same_content(piece.node) => Ok(()),
        _ => Err(no(format!(
            "{} `{}` would not read back the same from a file of its own (a block scalar's \
             trailing line breaks, an alias to another object's anchor): split the file by hand",
            piece.kind, piece.name
        ))),
    }
}

/// Whether the last thing written in `node` is a block scalar (`|`, `>`): a line ending after
/// its last line is part of its value.
fn ends_in_block_scalar(node: &Node) -> bool {
    let mut node = node;
    loop {
        if let Some(e) = node.entries().last() {
            node = &e.value;
        } else if let Some(i) = node.items().last() {
            node = i;
        } else {
            return matches!(
                &node.value,
                crate::load::yaml::Value::Scalar(s) if s.style == crate::load::yaml::Style::Block
            );
        }
    }
}

/// `text` with every line ending made `eol` (pieces are cut with the file's own endings; a
/// last line without one gets one).
fn with_eol(text: &str, eol: &str) -> String {
    let mut out = text.to_string();
    if !out.ends_with('\n') {
        out.push_str(eol);
    }
    out
}

/// The lines of `text` as `(start, end)` byte ranges, each with its line ending.
fn line_ranges(text: &str, from: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = from;
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate().skip(from) {
        if b == b'\n' {
            out.push((start, i + 1));
            start = i + 1;
        }
    }
    if start < bytes.len() {
        out.push((start, bytes.len()));
    }
    out
}

fn trim_eol(line: &str) -> &str {
    line.trim_end_matches(['\n', '\r'])
}

/// What a line at column 0 is to the document stream: a `---` or `...` marker, or content.
enum LineRole {
    Marker,
    Content,
}

fn role(line: &str) -> Result<LineRole, NoFix> {
    let line = trim_eol(line);
    for marker in ["---", "..."] {
        if let Some(rest) = line.strip_prefix(marker)
            && (rest.is_empty() || rest.starts_with([' ', '\t']))
        {
            let rest = rest.trim();
            if rest.is_empty() || rest.starts_with('#') {
                return Ok(LineRole::Marker);
            }
            return Err(no(
                "a document starts on its `---` line; move its content to the next line first",
            ));
        }
    }
    if line.starts_with('%') {
        return Err(no(
            "the file has YAML directives (`%YAML`, `%TAG`); split it by hand",
        ));
    }
    Ok(LineRole::Content)
}

fn is_blank_or_comment(line: &str) -> bool {
    let t = line.trim();
    t.is_empty() || t.starts_with('#')
}

/// The objects of the file, in order, each with the text of its new file.
fn split(file: &SourceFile) -> Result<Vec<Piece<'_>>, NoFix> {
    let text: &str = &file.text;
    let body_start = if text.starts_with(BOM) { BOM.len() } else { 0 };
    // The stretches between `---` markers. A marker at column 0 is always one (YAML forbids
    // `---` at the start of a line inside a scalar), so lines are enough to find them.
    let mut chunks: Vec<(usize, usize)> = Vec::new();
    let mut start = body_start;
    for (s, e) in line_ranges(text, body_start) {
        if let LineRole::Marker = role(&text[s..e])? {
            chunks.push((start, s));
            start = e;
        }
    }
    chunks.push((start, text.len()));

    // Which chunk holds each document that has content.
    let mut pieces: Vec<Piece> = Vec::new();
    // Comments of chunks without an object: they go with the next object.
    let mut carried = String::new();
    let mut used_docs = BTreeSet::new();
    // The documents with content, in file order; each chunk takes those that start in it (one
    // pass over both, so a file of many documents stays linear).
    let roots: Vec<(usize, &Node)> = file
        .documents
        .iter()
        .enumerate()
        .filter_map(|(i, d)| d.root.as_deref().map(|r| (i, r)))
        // An empty document may be read as a null; its span says nothing of where it is.
        .filter(|(_, r)| !r.is_null())
        .collect();
    let mut next_root = 0;
    for &(cs, ce) in &chunks {
        let first = next_root;
        while next_root < roots.len() && roots[next_root].1.span.start < ce.max(cs + 1) {
            next_root += 1;
        }
        let docs = &roots[first..next_root];
        if docs.iter().any(|(_, r)| r.span.start < cs) {
            return Err(no(
                "a document could not be placed between its `---` markers",
            ));
        }
        let chunk = &text[cs..ce];
        match docs {
            [] => {
                if chunk.lines().any(|l| !is_blank_or_comment(l)) {
                    return Err(no("part of the file is neither a document nor a comment"));
                }
                carried.push_str(trimmed_block(chunk));
            }
            [(index, root)] => {
                used_docs.insert(*index);
                let manifests = manifests_of(root);
                if manifests.is_empty() {
                    return Err(no(format!(
                        "document {} is not a Kubernetes object; move the objects by hand",
                        index + 1
                    )));
                }
                let is_list = manifests.iter().any(|m| m.list_item.is_some());
                if !is_list {
                    let m = &manifests[0];
                    let mut piece_text = std::mem::take(&mut carried);
                    piece_text.push_str(trimmed_block(chunk));
                    pieces.push(Piece {
                        kind: m.kind.to_string(),
                        name: m.name.to_string(),
                        text: piece_text,
                        node: m.node,
                    });
                    continue;
                }
                // A List: its items, cut out and dedented; the comments above the list go with
                // the first item.
                let header = &text[cs..root.span.start.max(cs)];
                let mut first = true;
                for m in &manifests {
                    let mut piece_text = String::new();
                    if first {
                        piece_text.push_str(&std::mem::take(&mut carried));
                        piece_text.push_str(trimmed_block(header));
                        first = false;
                    }
                    piece_text.push_str(&list_item_text(text, m.node)?);
                    pieces.push(Piece {
                        kind: m.kind.to_string(),
                        name: m.name.to_string(),
                        text: piece_text,
                        node: m.node,
                    });
                }
            }
            _ => return Err(no("two documents share a stretch between `---` markers")),
        }
    }
    if file
        .documents
        .iter()
        .enumerate()
        .any(|(i, d)| d.root.as_deref().is_some_and(|r| !r.is_null()) && !used_docs.contains(&i))
    {
        return Err(no(
            "a document could not be placed between its `---` markers",
        ));
    }
    // Comments after the last object stay with it.
    if !carried.is_empty()
        && let Some(last) = pieces.last_mut()
    {
        last.text.push_str(&carried);
    }
    for p in &pieces {
        if p.name.is_empty() {
            return Err(no(format!(
                "a {} has no `metadata.name` to name its file after",
                p.kind
            )));
        }
    }
    Ok(pieces)
}

/// `block` without its leading and trailing blank lines, ending with a line ending (empty when
/// it is all blank).
fn trimmed_block(block: &str) -> &str {
    let lines = line_ranges(block, 0);
    let first = lines
        .iter()
        .position(|&(s, e)| !block[s..e].trim().is_empty());
    let last = lines
        .iter()
        .rposition(|&(s, e)| !block[s..e].trim().is_empty());
    match (first, last) {
        (Some(f), Some(l)) => &block[lines[f].0..lines[l].1],
        _ => "",
    }
}

/// The text of one item of a block sequence, from its `- ` line (with the comments right above
/// it) to its last line, dedented to column 0.
fn list_item_text(text: &str, item: &Node) -> Result<String, NoFix> {
    let flow = || no("the List is written in flow style (`[...]`); split it by hand");
    let start = item.span.start;
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let prefix = &text[line_start..start];
    let dash = prefix.trim_start();
    if !(dash.starts_with('-') && dash[1..].trim().is_empty()) {
        return Err(flow());
    }
    let column = prefix.len();
    let dash_indent = prefix.len() - dash.len();
    // The comment lines right above the item travel with it.
    let mut from = line_start;
    while from > 0 {
        let prev_start = text[..from - 1].rfind('\n').map_or(0, |i| i + 1);
        let prev = &text[prev_start..from];
        let t = prev.trim_start();
        if t.starts_with('#') && prev.len() - t.len() >= dash_indent {
            from = prev_start;
        } else {
            break;
        }
    }
    let content_end = content_end(item).clamp(start, text.len());
    let end = if text[..content_end].ends_with('\n') {
        content_end
    } else {
        text[content_end..]
            .find('\n')
            .map_or(text.len(), |i| content_end + i + 1)
    };
    let mut out = String::new();
    for (s, e) in line_ranges(&text[..end], from) {
        let line = &text[s..e];
        if s == line_start {
            out.push_str(&line[column..]);
        } else if s < line_start {
            out.push_str(line.trim_start());
        } else if trim_eol(line).trim().is_empty() {
            out.push_str(&line[trim_eol(line).len()..]);
        } else if line.len() >= column && line.as_bytes()[..column].iter().all(|&b| b == b' ') {
            out.push_str(&line[column..]);
        } else if line.trim_start().starts_with('#') {
            out.push_str(line.trim_start());
        } else {
            return Err(no(
                "an item of the List is indented less than its first line; split it by hand",
            ));
        }
    }
    Ok(out)
}

/// Where a node's content ends: its last scalar's end (a block collection's own span may run
/// on to the token after it, on the next line).
fn content_end(node: &Node) -> usize {
    if let Some(e) = node.entries().last() {
        return content_end(&e.value).max(e.key.span.end);
    }
    if let Some(i) = node.items().last() {
        return content_end(i);
    }
    node.span.end
}

/// A file name from a kind or a name: lower-case, and only characters that are safe in a path
/// (a name from the repository must not make a path: `../x` becomes `..-x`).
fn file_part(s: &str) -> String {
    s.chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// What every split of one inventory reads, built once: `check --format json` plans the split of
/// each finding, and a tree may hold thousands of multi-object files.
struct SplitIndex {
    /// Lower-case names taken in each directory: files and directories of the walk, parsed files.
    /// Every path the walk listed or the load parsed, by an Fx hash of its directory:
    /// `names_in` gathers (and lower-cases) one directory's names only when a split asks,
    /// instead of a set of `String`s per directory built for every file of the tree.
    names: FxHashMap<u64, Vec<PathRef>>,
    /// Kustomization files the walk parsed, and `Kustomization` files (no extension: listed by
    /// the walk, not parsed) read here.
    kustomizations: Vec<KustomizationFile>,
    /// A file, as `resources:` entries resolve, to the kustomizations that list it.
    listed_by: HashMap<String, Vec<usize>>,
    /// Directories holding a kustomization this index could not read (a YAML error, a file that
    /// cannot be read): whether it lists a file below cannot be told.
    blind: BTreeSet<String>,
    /// The hand-written objects by a hash of (directory, kind, name): `defined_in` compares the
    /// three again, so a collision costs a comparison, never a wrong answer. Hashed instead of
    /// keyed by three `String`s: this index is built once per JSON report that holds a finding
    /// of the rule, over every object of the tree.
    defined: FxHashMap<u64, Vec<ObjectIdx>>,
}

/// A path of `SplitIndex::names`: a parsed file, or an entry of the walk's listing.
#[derive(Clone, Copy)]
enum PathRef {
    Source(FileId),
    TreeFile(usize),
    TreeDirectory(usize),
}

enum KustomizationFile {
    Source(FileId),
    Read(Box<SourceFile>),
}

impl SplitIndex {
    fn new(inventory: &Inventory) -> Self {
        // The three parts read different things: on two cores at once. (Asked for from the
        // report and the fix driver, outside rayon's pool: nothing on the pool is waiting on
        // this memo's `OnceLock` and could be taken up by a thread while it waits.)
        let ((names, defined), (kustomizations, listed_by, blind)) = rayon::join(
            || {
                rayon::join(
                    || Self::taken_names(inventory),
                    || Self::definitions(inventory),
                )
            },
            || Self::kustomization_lists(inventory),
        );
        SplitIndex {
            names,
            kustomizations,
            listed_by,
            blind,
            defined,
        }
    }

    /// Every path of the tree by its directory's hash (see `names`).
    fn taken_names(inventory: &Inventory) -> FxHashMap<u64, Vec<PathRef>> {
        let mut names: FxHashMap<u64, Vec<PathRef>> = FxHashMap::default();
        let mut take = |rel: &str, at: PathRef| {
            names.entry(dir_key(parent_dir(rel))).or_default().push(at);
        };
        for (id, f) in inventory.sources.iter() {
            if !(f.generated || f.rendered.is_some()) {
                take(&f.rel, PathRef::Source(id));
            }
        }
        if let Some(tree) = &inventory.sources.tree {
            for (i, f) in tree.files.iter().enumerate() {
                take(f, PathRef::TreeFile(i));
            }
            for (i, d) in tree.directories.iter().enumerate() {
                take(d, PathRef::TreeDirectory(i));
            }
        }
        names
    }

    /// The lower-case names taken in directory `dir`: its files and directories, as the walk
    /// listed them and the load parsed them.
    fn names_in(&self, inventory: &Inventory, dir: &str) -> BTreeSet<String> {
        let tree = inventory.sources.tree.as_deref();
        let mut taken = BTreeSet::new();
        for &at in self
            .names
            .get(&dir_key(dir))
            .map(Vec::as_slice)
            .unwrap_or(&[])
        {
            let rel = match at {
                PathRef::Source(id) => Some(inventory.sources.get(id).rel.as_str()),
                PathRef::TreeFile(i) => tree.and_then(|t| t.files.get(i)).map(String::as_str),
                PathRef::TreeDirectory(i) => {
                    tree.and_then(|t| t.directories.get(i)).map(String::as_str)
                }
            };
            let Some(rel) = rel else { continue };
            let (parent, name) = rel.rsplit_once('/').unwrap_or(("", rel));
            if parent == dir {
                taken.insert(name.to_ascii_lowercase());
            }
        }
        taken
    }

    /// The hand-written objects by (directory, kind, name), hashed (see `defined`).
    fn definitions(inventory: &Inventory) -> FxHashMap<u64, Vec<ObjectIdx>> {
        let mut defined: FxHashMap<u64, Vec<ObjectIdx>> = FxHashMap::default();
        for (idx, o) in inventory.objects() {
            if o.origin.is_some() {
                continue;
            }
            let dir = parent_dir(&inventory.sources.get(o.file).rel);
            defined
                .entry(definition_key(dir, o.kind(), o.name()))
                .or_default()
                .push(idx);
        }
        defined
    }

    /// The files that define a hand-written object `kind`/`name` in directory `dir`, in the
    /// order of the objects, each once.
    fn defined_in(&self, inventory: &Inventory, dir: &str, kind: &str, name: &str) -> Vec<FileId> {
        let mut files = Vec::new();
        let candidates = self.defined.get(&definition_key(dir, kind, name));
        for &idx in candidates.map(Vec::as_slice).unwrap_or(&[]) {
            let o = inventory.object(idx);
            if o.kind() == kind
                && o.name() == name
                && parent_dir(&inventory.sources.get(o.file).rel) == dir
                && !files.contains(&o.file)
            {
                files.push(o.file);
            }
        }
        files
    }

    /// The kustomization files, the files their `resources:` list, and the directories whose
    /// kustomization cannot be read.
    #[allow(clippy::type_complexity)]
    fn kustomization_lists(
        inventory: &Inventory,
    ) -> (
        Vec<KustomizationFile>,
        HashMap<String, Vec<usize>>,
        BTreeSet<String>,
    ) {
        let mut kustomizations = Vec::new();
        let mut blind = BTreeSet::new();
        let mut display_prefix: Option<String> = None;
        for (id, f) in inventory.sources.iter() {
            if f.generated || f.rendered.is_some() {
                continue;
            }
            if display_prefix.is_none() {
                display_prefix = f.display.strip_suffix(f.rel.as_str()).map(str::to_string);
            }
            let name = f.rel.rsplit('/').next().unwrap_or("");
            if KUSTOMIZATION_NAMES.contains(&name) {
                kustomizations.push(KustomizationFile::Source(id));
            }
        }
        if let Some(tree) = &inventory.sources.tree {
            for k in tree
                .files
                .iter()
                .filter(|f| f.rsplit('/').next() == Some("Kustomization"))
            {
                match crate::load::read_regular_text(&inventory.root.join(k), 1 << 20) {
                    Ok(text) => {
                        let display = format!("{}{k}", display_prefix.as_deref().unwrap_or(""));
                        kustomizations.push(KustomizationFile::Read(Box::new(
                            crate::load::parse_text(
                                display,
                                k.clone(),
                                Arc::from(text.as_str()),
                                inventory.sources.parse_limits,
                            ),
                        )));
                    }
                    Err(_) => {
                        blind.insert(parent_dir(k).to_string());
                    }
                }
            }
        }
        let mut listed_by: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, k) in kustomizations.iter().enumerate() {
            let k = match k {
                KustomizationFile::Source(id) => inventory.sources.get(*id),
                KustomizationFile::Read(f) => f,
            };
            let kdir = parent_dir(&k.rel);
            if k.yaml_error.is_some() {
                blind.insert(kdir.to_string());
            }
            let resources = k
                .documents
                .first()
                .and_then(|d| d.root.as_deref())
                .and_then(|r| r.get("resources"));
            for item in resources.map(Node::items).unwrap_or(&[]) {
                if let Some(listed) = item.as_str().and_then(|v| clean_relative(&join(kdir, v))) {
                    let at = listed_by.entry(listed).or_default();
                    if !at.contains(&i) {
                        at.push(i);
                    }
                }
            }
        }
        (kustomizations, listed_by, blind)
    }

    fn kustomization<'a>(&'a self, inventory: &'a Inventory, i: usize) -> Option<&'a SourceFile> {
        match self.kustomizations.get(i)? {
            KustomizationFile::Source(id) => Some(inventory.sources.get(*id)),
            KustomizationFile::Read(f) => Some(f),
        }
    }
}

/// The key of `SplitIndex::names`: a directory hashed.
fn dir_key(dir: &str) -> u64 {
    let mut h = FxHasher::default();
    dir.hash(&mut h);
    h.finish()
}

/// The key of `SplitIndex::defined`: (directory, kind, name) hashed.
fn definition_key(dir: &str, kind: &str, name: &str) -> u64 {
    let mut h = FxHasher::default();
    (dir, kind, name).hash(&mut h);
    h.finish()
}

/// `<kind>-<name>.yaml` for each piece, unique (case-insensitively, as on macOS and Windows)
/// against the other files of the directory and each other; the original's own name may be
/// reused, as it goes.
fn new_names(
    inventory: &Inventory,
    index: &SplitIndex,
    dir: &str,
    own_name: &str,
    pieces: &[Piece<'_>],
) -> Vec<String> {
    let mut taken: BTreeSet<String> = index.names_in(inventory, dir);
    taken.remove(&own_name.to_ascii_lowercase());
    let bases: Vec<String> = pieces
        .iter()
        .map(|p| {
            let mut base = format!("{}-{}", file_part(&p.kind), file_part(&p.name));
            // A file name is at most 255 bytes: room is kept for a number and `.yaml` (the
            // name, made of ASCII by `file_part`, is cut at a byte).
            base.truncate(MAX_BASE);
            base
        })
        .collect();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for b in &bases {
        *counts.entry(b).or_default() += 1;
    }
    // Objects that share a kind and a name are numbered, all of them, with the numbers of one
    // width: Argo CD reads a directory's files in name order and the later definition wins, so
    // the split keeps the order they had in the file (`x-2` would sort before `x`, `x-10`
    // before `x-9`). The numbers run from the first start at which every one of them is free,
    // so a taken name never puts a twin out of its order.
    let mut first_twin: HashMap<&str, usize> = HashMap::new();
    for base in &bases {
        let twins = counts.get(base.as_str()).copied().unwrap_or(1);
        if twins > 1 && !first_twin.contains_key(base.as_str()) {
            let numbered = |start: usize| {
                let width = (start + twins - 1).to_string().len();
                (start..start + twins).map(move |n| format!("{base}-{n:0width$}.yaml"))
            };
            let start = (1..)
                .step_by(twins)
                .find(|&start| numbered(start).all(|name| !taken.contains(&name)))
                .unwrap_or(1);
            taken.extend(numbered(start));
            first_twin.insert(base, start);
        }
    }
    let mut out = Vec::new();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for base in &bases {
        let twins = counts.get(base.as_str()).copied().unwrap_or(1);
        if let Some(&start) = first_twin.get(base.as_str()) {
            let i = seen.entry(base).or_insert(0);
            let width = (start + twins - 1).to_string().len();
            out.push(format!("{base}-{:0width$}.yaml", start + *i));
            *i += 1;
            continue;
        }
        let mut n = 1;
        let mut name = format!("{base}.yaml");
        while taken.contains(&name) {
            n += 1;
            name = format!("{base}-{n}.yaml");
        }
        taken.insert(name.clone());
        out.push(name);
    }
    out
}

/// The longest `<kind>-<name>` of a new file's name: 255 bytes (a file name's limit on the
/// common file systems) less a number and `.yaml`.
const MAX_BASE: usize = 200;

/// The kustomizations whose `resources:` list `rel`, each with that entry replaced by the new
/// files (same directory prefix, same quoting, same order).
fn kustomization_edits(
    inventory: &Inventory,
    index: &SplitIndex,
    rel: &str,
    names: &[String],
) -> Result<Vec<FileChange>, NoFix> {
    let mut dir = parent_dir(rel);
    loop {
        if index.blind.contains(dir) {
            return Err(no(format!(
                "the kustomization of `{}` cannot be read, so whether it lists the file cannot be told; fix it first",
                if dir.is_empty() { "." } else { dir }
            )));
        }
        if dir.is_empty() {
            break;
        }
        dir = parent_dir(dir);
    }
    if let Some(k) = unread_kustomization_listing(inventory, index, rel) {
        return Err(no(format!(
            "`{}` lists the file and is not among the files checked: run `fix` on the directory that holds it",
            k.display()
        )));
    }
    let mut out = Vec::new();
    for &i in index.listed_by.get(rel).map(Vec::as_slice).unwrap_or(&[]) {
        let Some(k) = index.kustomization(inventory, i) else {
            continue;
        };
        let kdir = parent_dir(&k.rel);
        let Some(resources) = k
            .documents
            .first()
            .and_then(|d| d.root.as_deref())
            .and_then(|r| r.get("resources"))
        else {
            continue;
        };
        let mut edits: Vec<(usize, usize, String)> = Vec::new();
        for item in resources.items() {
            let Some(value) = item.as_str() else { continue };
            if clean_relative(&join(kdir, value)).as_deref() != Some(rel) {
                continue;
            }
            edits.push(resource_edit(&k.text, item, value, names)?);
        }
        if edits.is_empty() {
            continue;
        }
        let mut after = k.text.to_string();
        // From the end, so earlier offsets stay right.
        edits.sort_by_key(|e| std::cmp::Reverse(e.0));
        for (s, e, new) in edits {
            after.replace_range(s..e, &new);
        }
        if !lists_the_new_files(k, &after, rel, names, inventory.sources.parse_limits) {
            return Err(no(format!(
                "`{}` would not read back with the new files in place of `{}` (an entry written \
                 on the line after its `-`, an anchor on it): edit its `resources:` by hand",
                k.display,
                rel.rsplit('/').next().unwrap_or(rel)
            )));
        }
        out.push(FileChange {
            path: inventory.root.join(&k.rel),
            display: k.display.clone(),
            before: Some(Arc::clone(&k.text)),
            after: Some(after),
        });
    }
    Ok(out)
}

/// Whether `after`, the new text of kustomization `k`, reads back as `k` with every
/// `resources:` entry that names `rel` replaced by the new files (each with the entry's
/// directory), in place, and nothing else changed.
fn lists_the_new_files(
    k: &SourceFile,
    after: &str,
    rel: &str,
    names: &[String],
    limits: crate::load::yaml::Limits,
) -> bool {
    let kdir = parent_dir(&k.rel);
    let parsed = crate::load::yaml::parse(after, limits);
    if parsed.error.is_some() || parsed.documents.len() != k.documents.len() {
        return false;
    }
    let (Some(old), Some(new)) = (
        k.documents.first().and_then(|d| d.root.as_deref()),
        parsed.documents.first().and_then(|d| d.root.as_deref()),
    ) else {
        return false;
    };
    let mut expected: Vec<serde_json::Value> = Vec::new();
    for item in old.get("resources").map(Node::items).unwrap_or(&[]) {
        match item.as_str() {
            Some(value) if clean_relative(&join(kdir, value)).as_deref() == Some(rel) => {
                let prefix = value.rsplit_once('/').map_or("", |(d, _)| d);
                expected.extend(names.iter().map(|n| {
                    serde_json::Value::from(if prefix.is_empty() {
                        n.clone()
                    } else {
                        format!("{prefix}/{n}")
                    })
                }));
            }
            _ => expected.push(item.to_json()),
        }
    }
    let got: Vec<serde_json::Value> = new
        .get("resources")
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .map(Node::to_json)
        .collect();
    let others = |root: &Node| -> Vec<(serde_json::Value, serde_json::Value)> {
        root.entries()
            .iter()
            .filter(|e| e.key.as_scalar_text() != Some("resources"))
            .map(|e| (e.key.to_json(), e.value.to_json()))
            .collect()
    };
    let rest_same = parsed
        .documents
        .iter()
        .zip(&k.documents)
        .skip(1)
        .all(|(a, b)| match (a.root.as_deref(), b.root.as_deref()) {
            (Some(a), Some(b)) => a.same_content(b),
            (None, None) => true,
            _ => false,
        });
    got == expected && others(old) == others(new) && rest_same
}

/// A kustomization on disk, in the file's directory or one above it (up to the repository's
/// top, the directory holding `.git`), that the check did not read and that lists the file in
/// its `resources:`: `fix` run on a subdirectory or on the file itself would remove a file
/// that kustomization still names, and its build would fail.
fn unread_kustomization_listing(
    inventory: &Inventory,
    index: &SplitIndex,
    rel: &str,
) -> Option<std::path::PathBuf> {
    let file = std::path::absolute(inventory.root.join(rel)).ok()?;
    let read: std::collections::HashSet<std::path::PathBuf> = index
        .kustomizations
        .iter()
        .filter_map(|i| {
            let k = match i {
                KustomizationFile::Source(id) => inventory.sources.get(*id),
                KustomizationFile::Read(f) => f,
            };
            std::path::absolute(inventory.root.join(&k.rel)).ok()
        })
        .collect();
    // Never above the repository: its top is the directory holding `.git` (asked of each
    // ancestor, its contents never read); without one, the working directory when the file is
    // below it (where `fix` was run), else the scanned root.
    let top = file
        .ancestors()
        .skip(1)
        .find(|d| d.join(".git").exists())
        .map(std::path::Path::to_path_buf)
        .or_else(|| {
            std::env::current_dir()
                .ok()
                .and_then(|cwd| std::path::absolute(cwd).ok())
                .filter(|cwd| file.starts_with(cwd))
        })
        .or_else(|| std::path::absolute(&inventory.root).ok())?;
    for dir in file.ancestors().skip(1) {
        if !dir.starts_with(&top) {
            break;
        }
        for name in KUSTOMIZATION_NAMES {
            let k = dir.join(name);
            if read.contains(&k) {
                continue;
            }
            match std::fs::symlink_metadata(&k) {
                // A link is not followed (it may lead out of the repository): whether it lists
                // the file cannot be told.
                Ok(meta) if meta.file_type().is_symlink() => return Some(k),
                Ok(meta) if meta.is_file() => {}
                _ => continue,
            }
            let Ok(text) = crate::load::read_regular_text(&k, 1 << 20) else {
                // Unreadable: whether it lists the file cannot be told.
                return Some(k);
            };
            let parsed = crate::load::yaml::parse(&text, inventory.sources.parse_limits);
            let resources = parsed
                .documents
                .first()
                .and_then(|d| d.root.as_deref())
                .and_then(|r| r.get("resources"));
            let Ok(below) = file.strip_prefix(dir) else {
                continue;
            };
            let below = below.to_string_lossy().replace('\\', "/");
            let lists = parsed.error.is_some()
                || resources
                    .map(Node::items)
                    .unwrap_or(&[])
                    .iter()
                    .any(|item| {
                        item.as_str()
                            .and_then(clean_relative)
                            .is_some_and(|v| v == below)
                    });
            if lists {
                return Some(k);
            }
        }
    }
    None
}

/// The edit of one `resources:` entry: its whole line for a block sequence item (one line per new
/// file, the first keeping the line's comment), its scalar for a flow sequence.
fn resource_edit(
    text: &str,
    item: &Node,
    value: &str,
    names: &[String],
) -> Result<(usize, usize, String), NoFix> {
    let s = item.span.start.min(text.len());
    let line = text[s..].split('\n').next().unwrap_or("");
    let line = line.strip_suffix('\r').unwrap_or(line);
    let quote = match line.chars().next() {
        Some(q @ ('"' | '\'')) => Some(q),
        _ => None,
    };
    // The scalar's end, read from the text (a span may run on to the next token): the closing
    // quote, else before a comment, a flow separator or the end of the line.
    let len = match quote {
        Some(q) => {
            let bytes = line.as_bytes();
            let mut i = 1;
            let mut close = None;
            while i < bytes.len() {
                if q == '"' && bytes[i] == b'\\' {
                    i += 2;
                    continue;
                }
                if bytes[i] == q as u8 {
                    if q == '\'' && bytes.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    close = Some(i + 1);
                    break;
                }
                i += 1;
            }
            close.ok_or_else(|| no("a kustomization entry spans lines; edit it by hand"))?
        }
        None => {
            let stop = [" #", "\t#", ",", "]"]
                .iter()
                .filter_map(|m| line.find(m))
                .min()
                .unwrap_or(line.len());
            line[..stop].trim_end().len()
        }
    };
    let e = s + len;
    let dir_prefix = value.rsplit_once('/').map_or("", |(d, _)| d);
    let entry = |name: &str| {
        let v = if dir_prefix.is_empty() {
            name.to_string()
        } else {
            format!("{dir_prefix}/{name}")
        };
        match quote {
            Some(q) => format!("{q}{v}{q}"),
            None => v,
        }
    };
    let line_start = text[..s].rfind('\n').map_or(0, |i| i + 1);
    let prefix = &text[line_start..s];
    let dash = prefix.trim_start();
    if dash.starts_with('-') && dash[1..].trim().is_empty() {
        let line_end = text[e..].find('\n').map_or(text.len(), |i| e + i);
        let line_end = if text[..line_end].ends_with('\r') {
            line_end - 1
        } else {
            line_end
        };
        let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
        let rest = &text[e..line_end];
        let lines: Vec<String> = names
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let tail = if i == 0 { rest } else { "" };
                format!("{}{}{tail}", if i == 0 { "" } else { prefix }, entry(n))
            })
            .collect();
        return Ok((s, line_end, lines.join(eol)));
    }
    let joined: Vec<String> = names.iter().map(|n| entry(n)).collect();
    Ok((s, e, joined.join(", ")))
}

/// Why the split needs a person: an object of the file is defined again in another file of the
/// directory. Which definition wins depends on the order Argo CD reads the files in (by name),
/// and the new names move the object in that order.
fn order_caution(
    inventory: &Inventory,
    index: &SplitIndex,
    file_id: FileId,
    dir: &str,
    pieces: &[Piece<'_>],
) -> Option<String> {
    let mut twins: BTreeSet<String> = BTreeSet::new();
    for p in pieces {
        for f in index.defined_in(inventory, dir, &p.kind, &p.name) {
            if f != file_id {
                twins.insert(format!(
                    "{} `{}` (also in `{}`)",
                    p.kind,
                    p.name,
                    inventory.sources.get(f).display
                ));
            }
        }
    }
    (!twins.is_empty()).then(|| {
        format!(
            "{} defined in another file of the directory too: which definition wins depends on \
             the order of the files, which the new names change; remove the duplicate first",
            twins.into_iter().collect::<Vec<_>>().join(", ")
        )
    })
}

/// Why the split needs a person: an Application's directory source selects the file but its
/// `include`/`exclude` would not select every new file (Argo CD matches them against each
/// file's path in the source directory: `reposerver/repository/repository.go`,
/// `getPotentiallyValidManifests`).
fn selection_caution(inventory: &Inventory, rel: &str, names: &[String]) -> Option<String> {
    let mut reasons: Vec<String> = Vec::new();
    for (_, app) in inventory.apps() {
        for source in &app.sources {
            let SourceKind::Directory {
                recurse,
                include,
                exclude,
            } = &source.kind
            else {
                continue;
            };
            let Some(sdir) = &source.local_dir else {
                continue;
            };
            let below = if sdir.is_empty() {
                Some(rel)
            } else {
                rel.strip_prefix(sdir.as_str())
                    .and_then(|r| r.strip_prefix('/'))
            };
            let Some(in_source) = below else { continue };
            if in_source.contains('/') && !recurse {
                continue;
            }
            if !selected(in_source, include.as_deref(), exclude.as_deref()) {
                continue;
            }
            let sub = parent_dir(in_source);
            let missed: Vec<&String> = names
                .iter()
                .filter(|n| !selected(&join(sub, n), include.as_deref(), exclude.as_deref()))
                .collect();
            if missed.is_empty() {
                continue;
            }
            let by_include = missed
                .iter()
                .any(|n| !selected(&join(sub, n), include.as_deref(), None));
            let how = match (include, exclude) {
                (Some(i), _) if by_include => format!("`directory.include: {i}`"),
                (_, Some(x)) => format!("`directory.exclude: {x}`"),
                _ => "its directory settings".to_string(),
            };
            let reason = format!(
                "Application `{}` deploys `{}` through {how}, which does not select {}: change it \
                 with the split, or it stops deploying those objects",
                app.name,
                rel.rsplit('/').next().unwrap_or(rel),
                missed
                    .iter()
                    .map(|m| format!("`{m}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            if !reasons.contains(&reason) {
                reasons.push(reason);
            }
        }
    }
    (!reasons.is_empty()).then(|| reasons.join("; "))
}
