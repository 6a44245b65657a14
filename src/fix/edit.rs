//! Format-preserving edits of one YAML document of a file, for the planners of `fix`.
//!
//! An edit is applied to the document's slice of the file (from its first line to the next
//! document's start), located with `yamlpath` and written with `yamlpatch` where that crate
//! keeps the text as it was (adding a scalar to a block mapping, appending to a block
//! sequence), and by a precise splice at `yamlpath`'s byte span where it would not (replacing
//! a scalar keeps its quoting; adding a nested value or to a flow collection keeps the entries
//! already there). The slice is spliced back, so every byte outside what an edit names is kept:
//! the other documents, comments, key order, quoting, a byte-order mark, and CRLF line ends (the
//! slice is patched with LF ends and its new lines get the file's CRLF back).
//!
//! It never re-serialises a document, and refuses (an [`EditError`]) what it cannot do exactly:
//! a document with anchors, aliases, tags or a key written twice, an empty (`key:`) or
//! multi-line flow collection on the path, a block scalar to replace, an edit whose result does not parse.

use std::ops::Range;

use serde_json::Value;
use yamlpath::{Component, Route};

use crate::load::Document;

/// One change to a document, at a path of mapping keys from its root.
#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    /// Replaces the scalar at `path` with `value`. A string keeps the quoting the old scalar was
    /// written in; a number or a boolean is written plain (a quoted `"2"` would be a string).
    Set { path: Vec<String>, value: Value },
    /// Replaces the entry at `path`, key and value, by `key: value`, where the old entry was
    /// written (its comment stays): `maxUnavailable: 1` → `minAvailable: 2`.
    Rename {
        path: Vec<String>,
        key: String,
        value: Value,
    },
    /// Adds `key: value` to the mapping at `path`, creating the mappings of `path` that are
    /// missing (`metadata.annotations`). The key must not be there already.
    Add {
        path: Vec<String>,
        key: String,
        value: Value,
    },
    /// Appends `value` to the sequence at `path`, creating the sequence (and the mappings above
    /// it) when it is missing.
    Append { path: Vec<String>, value: Value },
}

/// Why an edit could not be made exactly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EditError(pub String);

fn err<T>(message: impl Into<String>) -> Result<T, EditError> {
    Err(EditError(message.into()))
}

/// Applies `edits`, in order, to document `doc_index` of `text` (whose parsed documents are
/// `documents`, as `SourceFile::documents` holds them), and returns the new text of the file.
pub fn edit_document(
    text: &str,
    documents: &[Document],
    doc_index: usize,
    edits: &[Edit],
) -> Result<String, EditError> {
    // With a key written twice, `yamlpath` finds the first and Kubernetes reads the last: an
    // edit could change what nobody reads.
    if documents.get(doc_index).is_some_and(|d| d.repeats_key) {
        return err("the document writes a key twice (`duplicate-yaml-key`): fix that first");
    }
    let range = document_range(text, documents, doc_index)?;
    let slice = &text[range.clone()];
    // Patched with LF line ends: `yamlpatch` writes `\n`. A slice whose every line ends in CRLF
    // gets CRLF back on every line; a slice mixing both is patched as it is.
    let crlf =
        slice.contains("\r\n") && slice.matches('\n').count() == slice.matches("\r\n").count();
    let mut body = if crlf {
        slice.replace("\r\n", "\n")
    } else {
        slice.to_string()
    };
    let ends_with_newline = body.ends_with('\n');
    for edit in edits {
        // `yamlpath` and `yamlpatch` panic on a few shapes of input (an `unreachable!` on node
        // kinds they do not expect, such as a tagged collection): such an edit is refused
        // rather than taking the run down.
        body = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| apply(&body, edit)))
            .map_err(|_| EditError("the document's YAML is not one this edit supports".into()))??;
    }
    // `yamlpatch` ends what it writes with a newline; a last document without one keeps none.
    if !ends_with_newline && body.ends_with('\n') {
        body.pop();
    }
    if crlf {
        body = body.replace('\n', "\r\n");
    }
    let mut out = String::with_capacity(text.len() + body.len());
    out.push_str(&text[..range.start]);
    out.push_str(&body);
    out.push_str(&text[range.end..]);
    // Read back by the parser `check` uses: the same documents, and no error, or no edit.
    let again = crate::load::yaml::parse(&out, crate::load::yaml::Limits::default());
    if again.error.is_some() || again.documents.len() != documents.len() {
        return err("the edited file would not read back as the same documents");
    }
    // And every value but those the edits name as it was: the other documents alike, the edited
    // one as its old value with the edits made to it (a text edit can change a neighbour, such
    // as a `|+` scalar whose kept blank lines an entry added after it cuts off).
    let same = |a: Option<&crate::load::Node>, b: Option<&crate::load::Node>| match (a, b) {
        (Some(a), Some(b)) => a.same_content(b),
        (None, None) => true,
        _ => false,
    };
    for (i, (old, new)) in documents.iter().zip(&again.documents).enumerate() {
        let (old, new) = (old.root.as_deref(), new.root.as_deref());
        let kept = if i == doc_index {
            let expected = old
                .map(crate::load::Node::to_json)
                .and_then(|v| edited(v, edits));
            expected.is_some() && expected == new.map(crate::load::Node::to_json)
        } else {
            same(old, new)
        };
        if !kept {
            return err("the edit would change more than what it names: edit it by hand");
        }
    }
    Ok(out)
}

/// `value` (a document as JSON) with `edits` made to it, as the text edits should leave it;
/// `None` where an edit cannot be made to it.
fn edited(mut value: Value, edits: &[Edit]) -> Option<Value> {
    /// The mapping at `path`, made (and the mappings above it) where missing or null.
    fn mapping<'a>(
        value: &'a mut Value,
        path: &[String],
    ) -> Option<&'a mut serde_json::Map<String, Value>> {
        let mut at = value;
        for key in path {
            let map = at.as_object_mut()?;
            let next = map
                .entry(key.clone())
                .or_insert_with(|| Value::Object(Default::default()));
            if next.is_null() {
                *next = Value::Object(Default::default());
            }
            at = next;
        }
        at.as_object_mut()
    }
    for edit in edits {
        match edit {
            Edit::Set { path, value: new } => {
                let (last, parent) = path.split_last()?;
                *mapping(&mut value, parent)?.get_mut(last)? = new.clone();
            }
            Edit::Rename {
                path,
                key,
                value: new,
            } => {
                let (last, parent) = path.split_last()?;
                let map = mapping(&mut value, parent)?;
                map.shift_remove(last)?;
                map.insert(key.clone(), new.clone());
            }
            Edit::Add {
                path,
                key,
                value: new,
            } => {
                mapping(&mut value, path)?.insert(key.clone(), new.clone());
            }
            Edit::Append { path, value: new } => {
                let (last, parent) = path.split_last()?;
                let list = mapping(&mut value, parent)?
                    .entry(last.clone())
                    .or_insert_with(|| Value::Array(Vec::new()));
                if list.is_null() {
                    *list = Value::Array(Vec::new());
                }
                list.as_array_mut()?.push(new.clone());
            }
        }
    }
    Some(value)
}

/// The bytes of document `doc_index`: from the start of its first line (after a byte-order mark)
/// to the start of the next document's first line, or the end of the file.
fn document_range(
    text: &str,
    documents: &[Document],
    doc_index: usize,
) -> Result<Range<usize>, EditError> {
    let Some(doc) = documents.get(doc_index) else {
        return err(format!("the file has no document {}", doc_index + 1));
    };
    let line_start = |at: usize| -> usize {
        let at = at.min(text.len());
        let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
        text.get(..at)
            .and_then(|head| head.rfind('\n'))
            .map_or(bom, |i| (i + 1).max(bom))
    };
    let start = line_start(doc.span.start);
    let end = documents
        .get(doc_index + 1)
        .map_or(text.len(), |next| line_start(next.span.start));
    if start > end || !text.is_char_boundary(start) || !text.is_char_boundary(end) {
        return err("the document's bounds are not where the file's text is");
    }
    Ok(start..end)
}

fn route(path: &[String]) -> Route<'_> {
    Route::from(
        path.iter()
            .map(|k| Component::Key(k.as_str().into()))
            .collect::<Vec<_>>(),
    )
}

/// Parses a slice for `yamlpath`, refusing what its queries cannot walk exactly (an alias reads
/// as the node it names in our parser, not in `yamlpath`'s tree).
fn parse(body: &str) -> Result<yamlpath::Document, EditError> {
    let doc = yamlpath::Document::new(body)
        .map_err(|e| EditError(format!("the document does not parse for editing: {e}")))?;
    if doc.has_anchors() {
        return err("the document uses YAML anchors or aliases: edit it by hand");
    }
    Ok(doc)
}

/// What a path reaches in a document.
enum Reached {
    /// The value's byte span and kind.
    Value(Range<usize>, yamlpath::FeatureKind),
    /// The key is there with no value (`annotations:`).
    Empty,
    /// The key `path[depth]` is missing from the mapping at `path[..depth]`.
    Missing(usize),
}

fn reach(doc: &yamlpath::Document, path: &[String]) -> Result<Reached, EditError> {
    for depth in 0..=path.len() {
        let prefix = &path[..depth];
        match doc.query_exact(&route(prefix)) {
            Ok(Some(f)) => {
                // `yamlpath` has no kind for a tagged node (it panics on one): refuse it here.
                if doc.extract(&f).trim_start().starts_with('!') {
                    return err(format!(
                        "`{}` carries a YAML tag: edit it by hand",
                        prefix.join(".")
                    ));
                }
                if depth == path.len() {
                    let span = f.location.byte_span.0..f.location.byte_span.1;
                    return Ok(Reached::Value(span, f.kind()));
                }
            }
            Ok(None) => {
                return if depth == path.len() {
                    Ok(Reached::Empty)
                } else {
                    err(format!("`{}` is empty", prefix.join(".")))
                };
            }
            Err(yamlpath::QueryError::ExhaustedMapping(_)) if depth > 0 => {
                return Ok(Reached::Missing(depth - 1));
            }
            Err(e) => return err(format!("`{}`: {e}", prefix.join("."))),
        }
    }
    err("unreachable path")
}

fn apply(body: &str, edit: &Edit) -> Result<String, EditError> {
    let doc = parse(body)?;
    let out = match edit {
        Edit::Set { path, value } => set(&doc, path, None, value)?,
        Edit::Rename { path, key, value } => set(&doc, path, Some(key), value)?,
        Edit::Add { path, key, value } => add(&doc, path, key, value)?,
        Edit::Append { path, value } => append(&doc, path, value)?,
    };
    // Whatever was written must still be YAML, or the edit is refused rather than written.
    parse(&out)?;
    Ok(out)
}

fn splice(source: &str, at: Range<usize>, new: &str) -> String {
    let mut out = String::with_capacity(source.len() + new.len());
    out.push_str(&source[..at.start]);
    out.push_str(new);
    out.push_str(&source[at.end..]);
    out
}

/// Replaces a scalar's text, and with `key` the key of its entry.
fn set(
    doc: &yamlpath::Document,
    path: &[String],
    key: Option<&String>,
    value: &Value,
) -> Result<String, EditError> {
    let source = doc.source();
    let Reached::Value(span, kind) = reach(doc, path)? else {
        return err(format!("no value at `{}`", path.join(".")));
    };
    if kind != yamlpath::FeatureKind::Scalar {
        return err(format!("`{}` is not a scalar", path.join(".")));
    }
    let old = &source[span.clone()];
    let new = match (old.as_bytes().first(), value) {
        (Some(b'|' | b'>'), _) => {
            return err(format!(
                "`{}` is a block scalar: edit it by hand",
                path.join(".")
            ));
        }
        (Some(b'"'), Value::String(s)) => double_quoted(s),
        (Some(b'\''), Value::String(s)) => format!("'{}'", s.replace('\'', "''")),
        _ => {
            // In a flow collection a plain scalar cannot hold `,` or brackets.
            let in_flow = path.split_last().is_some_and(|(_, parent)| {
                matches!(
                    reach(doc, parent),
                    Ok(Reached::Value(
                        _,
                        yamlpath::FeatureKind::FlowMapping | yamlpath::FeatureKind::FlowSequence
                    ))
                )
            });
            scalar(value, in_flow)
        }
    };
    let Some(key) = key else {
        return Ok(splice(source, span, &new));
    };
    let key_span = doc
        .query_key_only(&route(path))
        .map_err(|e| EditError(format!("`{}`: {e}", path.join("."))))?
        .location
        .byte_span;
    // The key's node, then its colon, then the value: all one entry, replaced in one splice.
    if key_span.1 > span.start {
        return err(format!(
            "`{}`: the key is not before its value",
            path.join(".")
        ));
    }
    let between = &source[key_span.1..span.start];
    Ok(format!(
        "{}{}{between}{new}{}",
        &source[..key_span.0],
        scalar(&Value::String(key.clone()), true),
        &source[span.end..]
    ))
}

fn add(
    doc: &yamlpath::Document,
    path: &[String],
    key: &str,
    value: &Value,
) -> Result<String, EditError> {
    match reach(doc, path)? {
        Reached::Value(span, kind) => add_to_mapping(doc, path, span, kind, key, value),
        Reached::Empty => err(format!(
            "`{}` is empty: write its first entry by hand",
            path.join(".")
        )),
        Reached::Missing(depth) => {
            // Create the missing mappings as one nested value added where the path stops.
            let mut nested =
                Value::Object([(key.to_string(), value.clone())].into_iter().collect());
            for k in path[depth + 1..].iter().rev() {
                nested = Value::Object([(k.clone(), nested)].into_iter().collect());
            }
            add(doc, &path[..depth], &path[depth], &nested)
        }
    }
}

fn add_to_mapping(
    doc: &yamlpath::Document,
    path: &[String],
    span: Range<usize>,
    kind: yamlpath::FeatureKind,
    key: &str,
    value: &Value,
) -> Result<String, EditError> {
    let source = doc.source();
    let route = route(path);
    if doc.query_exists(&route.with_key(key)) {
        return err(format!("`{}` already has `{key}`", path.join(".")));
    }
    match kind {
        yamlpath::FeatureKind::BlockMapping if !value.is_object() && !value.is_array() => {
            // A scalar entry: `yamlpatch` adds it after the mapping's last entry, at its indent.
            let patch = yamlpatch::Patch {
                route,
                operation: yamlpatch::Op::Add {
                    key: key.to_string(),
                    value: to_yaml(value)?,
                },
            };
            patched(doc, &patch)
        }
        yamlpath::FeatureKind::BlockMapping => {
            // A nested value: `yamlpatch` flattens its indentation, so the block is written
            // here, at the indent of the mapping's entries, after its last line of content
            // (where `yamlpatch` would add it).
            let feature = doc
                .query_exact(&route)
                .ok()
                .flatten()
                .ok_or_else(|| EditError(format!("no mapping at `{}`", path.join("."))))?;
            let indent = " ".repeat(yamlpatch::extract_leading_indentation_for_block_item(
                doc, &feature,
            ));
            let at = yamlpatch::find_content_end(&feature, doc);
            let entry = Value::Object([(key.to_string(), value.clone())].into_iter().collect());
            let block: Vec<String> = block(&entry, indents_sequences(source))
                .lines()
                .map(|l| format!("{indent}{l}"))
                .collect();
            let block = block.join("\n");
            let text = if at > 0 && source.as_bytes().get(at - 1) == Some(&b'\n') {
                format!("{block}\n")
            } else {
                format!("\n{block}")
            };
            Ok(splice(source, at..at, &text))
        }
        yamlpath::FeatureKind::FlowMapping => {
            let old = &source[span.clone()];
            if old.contains('\n') {
                return err(format!(
                    "`{}` is a flow mapping over several lines: edit it by hand",
                    path.join(".")
                ));
            }
            let entry = format!(
                "{}: {}",
                scalar(&Value::String(key.into()), true),
                flow(value)
            );
            Ok(splice(source, span, &flow_insert(old, '}', &entry)?))
        }
        _ => err(format!("`{}` is not a mapping", path.join("."))),
    }
}

fn append(doc: &yamlpath::Document, path: &[String], value: &Value) -> Result<String, EditError> {
    let source = doc.source();
    let Some((last, parent)) = path.split_last() else {
        return err("no sequence to append to");
    };
    match reach(doc, path)? {
        Reached::Value(_, yamlpath::FeatureKind::BlockSequence)
            if value.is_object() || value.is_array() =>
        {
            // A nested item: `yamlpatch` would write it in `serde_yaml`'s layout; it is written
            // here in the document's own (indented sequences or not), at the items' indent,
            // after the last one (where `yamlpatch` appends).
            let feature = doc
                .query_exact(&route(path))
                .ok()
                .flatten()
                .ok_or_else(|| EditError(format!("no sequence at `{}`", path.join("."))))?;
            let indent = yamlpatch::extract_leading_whitespace(doc, &feature).to_string();
            let at = yamlpatch::find_content_end(&feature, doc);
            let body = block(value, indents_sequences(source));
            let mut lines = body.lines();
            let mut item = format!("{indent}- {}", lines.next().unwrap_or_default());
            for line in lines {
                item.push('\n');
                item.push_str(&format!("{indent}  {line}"));
            }
            let text = if at > 0 && source.as_bytes().get(at - 1) == Some(&b'\n') {
                format!("{item}\n")
            } else {
                format!("\n{item}")
            };
            Ok(splice(source, at..at, &text))
        }
        Reached::Value(_, yamlpath::FeatureKind::BlockSequence) => {
            let patch = yamlpatch::Patch {
                route: route(path),
                operation: yamlpatch::Op::Append {
                    value: to_yaml(value)?,
                },
            };
            patched(doc, &patch)
        }
        Reached::Value(span, yamlpath::FeatureKind::FlowSequence) => {
            let old = &source[span.clone()];
            if old.contains('\n') {
                return err(format!(
                    "`{}` is a flow sequence over several lines: edit it by hand",
                    path.join(".")
                ));
            }
            Ok(splice(source, span, &flow_insert(old, ']', &flow(value))?))
        }
        Reached::Value(..) => err(format!("`{}` is not a sequence", path.join("."))),
        Reached::Empty => err(format!(
            "`{}` is empty: write its first item by hand",
            path.join(".")
        )),
        Reached::Missing(_) => add(doc, parent, last, &Value::Array(vec![value.clone()])),
    }
}

/// A one-line flow collection with `item` added before its closing bracket.
fn flow_insert(old: &str, close: char, item: &str) -> Result<String, EditError> {
    let Some(end) = old.rfind(close) else {
        return err("a flow collection without its closing bracket");
    };
    let inner = old[1..end].trim_end();
    let open = &old[..1];
    Ok(if inner.trim().is_empty() {
        format!("{open}{item}{}", &old[end..])
    } else {
        let pad = if inner.starts_with(' ') { " " } else { "" };
        format!("{open}{inner}, {item}{pad}{}", &old[end..])
    })
}

fn patched(doc: &yamlpath::Document, patch: &yamlpatch::Patch<'_>) -> Result<String, EditError> {
    yamlpatch::apply_yaml_patches(doc, std::slice::from_ref(patch))
        .map(|d| d.source().to_string())
        .map_err(|e| EditError(e.to_string()))
}

fn to_yaml(value: &Value) -> Result<serde_yaml::Value, EditError> {
    serde_yaml::to_value(value).map_err(|e| EditError(e.to_string()))
}

fn double_quoted(s: &str) -> String {
    crate::text::escape_json_unsafe(&Value::String(s.to_string()).to_string())
}

/// A scalar as YAML reads it back: a string plain when that cannot be misread (in a flow
/// collection when `in_flow`), else double-quoted; a number, boolean or null as written.
fn scalar(value: &Value, in_flow: bool) -> String {
    match value {
        Value::String(s) if plain_ok(s, in_flow) => s.clone(),
        Value::String(s) => double_quoted(s),
        Value::Null => "null".to_string(),
        other => other.to_string(),
    }
}

/// Whether a string can be written as a plain scalar and read back as the same string: no
/// indicator first, no `: ` or ` #`, no flow punctuation in a flow collection, and not a value
/// YAML 1.1 or 1.2 resolves to something else (`true`, `no`, `~`, `1e3`, `0x1f`, `.inf`).
fn plain_ok(s: &str, in_flow: bool) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    let lower = s.to_ascii_lowercase();
    let resolves = matches!(
        lower.as_str(),
        "true" | "false" | "null" | "~" | "yes" | "no" | "on" | "off" | "y" | "n"
    ) || lower.starts_with([
        '.', '+', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9',
    ]) && (s.parse::<f64>().is_ok()
        || lower.starts_with("0x")
        || lower.starts_with("0o")
        || matches!(lower.trim_start_matches(['+', '-']), ".inf" | ".nan"));
    !resolves
        && !"-?:,[]{}#&*!|>'\"%@`".contains(first)
        && !first.is_whitespace()
        && !s.ends_with(char::is_whitespace)
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.ends_with(':')
        && !(in_flow && s.contains([',', '[', ']', '{', '}']))
        && !s.chars().any(char::is_control)
}

/// Whether the document indents a block sequence under its key (`key:` then `  - item`), as
/// most hand-written manifests do, or writes it at the key's column (`kubectl`'s way): what it
/// does the first time, or indented when it has no block sequence under a key.
fn indents_sequences(source: &str) -> bool {
    let indent = |l: &str| l.len() - l.trim_start().len();
    let lines: Vec<&str> = source
        .lines()
        .filter(|l| {
            let t = l.trim_start();
            !t.is_empty() && !t.starts_with('#')
        })
        .collect();
    for pair in lines.windows(2) {
        let (key, item) = (pair[0], pair[1]);
        let item_text = item.trim_start();
        if key.trim_end().ends_with(':') && (item_text.starts_with("- ") || item_text == "-") {
            // The key's column: after the dash of a list item's first key (`- name:`).
            let key_col = indent(key)
                + if key.trim_start().starts_with("- ") {
                    2
                } else {
                    0
                };
            return indent(item) > key_col;
        }
    }
    true
}

/// A value as block YAML at indent 0, one entry per line, a sequence under a key indented by
/// two when `seq_indent`; the caller indents it.
pub fn block(value: &Value, seq_indent: bool) -> String {
    let mut out = String::new();
    block_into(value, 0, seq_indent, &mut out);
    out
}

fn block_into(value: &Value, indent: usize, seq_indent: bool, out: &mut String) {
    let pad = " ".repeat(indent);
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let k = scalar(&Value::String(k.clone()), false);
                match v {
                    Value::Object(m) if !m.is_empty() => {
                        out.push_str(&format!("{pad}{k}:\n"));
                        block_into(v, indent + 2, seq_indent, out);
                    }
                    Value::Array(a) if !a.is_empty() => {
                        out.push_str(&format!("{pad}{k}:\n"));
                        let at = if seq_indent { indent + 2 } else { indent };
                        block_into(v, at, seq_indent, out);
                    }
                    Value::Object(_) => out.push_str(&format!("{pad}{k}: {{}}\n")),
                    Value::Array(_) => out.push_str(&format!("{pad}{k}: []\n")),
                    other => out.push_str(&format!("{pad}{k}: {}\n", scalar(other, false))),
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                match item {
                    Value::Object(m) if !m.is_empty() => {
                        let mut nested = String::new();
                        block_into(item, indent + 2, seq_indent, &mut nested);
                        out.push_str(&format!("{pad}- {}", nested.trim_start()));
                    }
                    other => out.push_str(&format!("{pad}- {}\n", flow(other))),
                }
            }
        }
        other => out.push_str(&format!("{pad}{}\n", scalar(other, false))),
    }
}

/// A value in flow style, for a flow collection.
fn flow(value: &Value) -> String {
    match value {
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(flow).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(map) => {
            let entries: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", scalar(&Value::String(k.clone()), true), flow(v)))
                .collect();
            format!("{{{}}}", entries.join(", "))
        }
        other => scalar(other, true),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::load::yaml::{Limits, parse as parse_yaml};

    fn keys(path: &[&str]) -> Vec<String> {
        path.iter().map(|s| s.to_string()).collect()
    }

    fn edit(text: &str, doc: usize, edits: &[Edit]) -> Result<String, EditError> {
        let parsed = parse_yaml(text, Limits::default());
        assert_eq!(parsed.error, None, "{text}");
        edit_document(text, &parsed.documents, doc, edits)
    }

    fn set(path: &[&str], value: Value) -> Edit {
        Edit::Set {
            path: keys(path),
            value,
        }
    }

    fn add(path: &[&str], key: &str, value: Value) -> Edit {
        Edit::Add {
            path: keys(path),
            key: key.into(),
            value,
        }
    }

    fn append(path: &[&str], value: Value) -> Edit {
        Edit::Append {
            path: keys(path),
            value,
        }
    }

    #[test]
    fn set_keeps_the_quoting_and_the_comment() {
        let text =
            "metadata:\n  annotations:\n    a: \"x,y\" # keep\n    b: 'it''s'\n    c: plain\n";
        let out = edit(
            text,
            0,
            &[
                set(&["metadata", "annotations", "a"], json!("x,y,z")),
                set(&["metadata", "annotations", "b"], json!("it's 2")),
                set(&["metadata", "annotations", "c"], json!("Prune=false")),
            ],
        );
        assert_eq!(
            out.as_deref(),
            Ok(
                "metadata:\n  annotations:\n    a: \"x,y,z\" # keep\n    b: 'it''s 2'\n    c: Prune=false\n"
            )
        );
    }

    #[test]
    fn a_number_replacing_a_quoted_percentage_is_written_plain() {
        let text = "spec:\n  minAvailable: \"40%\"\n";
        assert_eq!(
            edit(text, 0, &[set(&["spec", "minAvailable"], json!(3))]).as_deref(),
            Ok("spec:\n  minAvailable: 3\n")
        );
    }

    #[test]
    fn rename_replaces_the_entry_in_place() {
        let text = "spec:\n  maxUnavailable: \"34%\" # too many\n  selector: {}\n";
        let out = edit(
            text,
            0,
            &[Edit::Rename {
                path: keys(&["spec", "maxUnavailable"]),
                key: "minAvailable".into(),
                value: json!(2),
            }],
        );
        assert_eq!(
            out.as_deref(),
            Ok("spec:\n  minAvailable: 2 # too many\n  selector: {}\n")
        );
    }

    #[test]
    fn add_creates_the_missing_mappings() {
        let text = "kind: PersistentVolumeClaim\nmetadata:\n  name: data # the claim\nspec: {}\n";
        let out = edit(
            text,
            0,
            &[add(
                &["metadata", "annotations"],
                "argocd.argoproj.io/sync-options",
                json!("Prune=false"),
            )],
        );
        assert_eq!(
            out.as_deref(),
            Ok(
                "kind: PersistentVolumeClaim\nmetadata:\n  name: data # the claim\n  annotations:\n    argocd.argoproj.io/sync-options: Prune=false\nspec: {}\n"
            )
        );
    }

    #[test]
    fn add_to_an_existing_block_mapping() {
        let text = "metadata:\n  annotations:\n    # why\n    a: b\n  name: x\n";
        assert_eq!(
            edit(
                text,
                0,
                &[add(&["metadata", "annotations"], "c", json!("d"))]
            )
            .as_deref(),
            Ok("metadata:\n  annotations:\n    # why\n    a: b\n    c: d\n  name: x\n")
        );
    }

    #[test]
    fn add_to_a_flow_mapping_keeps_its_entries() {
        let text = "metadata:\n  annotations: {}\n  labels: {app: 'x'}\n";
        let out = edit(
            text,
            0,
            &[
                add(&["metadata", "annotations"], "a/b", json!("Delete=false")),
                add(&["metadata", "labels"], "tier", json!("db")),
            ],
        );
        assert_eq!(
            out.as_deref(),
            Ok("metadata:\n  annotations: {a/b: Delete=false}\n  labels: {app: 'x', tier: db}\n")
        );
    }

    #[test]
    fn append_to_block_and_flow_sequences_and_create_one() {
        let text =
            "resources:\n  - a.yaml # first\n  - b.yaml\nsyncOptions: [A=true]\nspec:\n  x: 1\n";
        let out = edit(
            text,
            0,
            &[
                append(&["resources"], json!("pdb-zk.yaml")),
                append(&["syncOptions"], json!("B=true")),
                append(
                    &["spec", "ignoreDifferences"],
                    json!({"group": "apps", "kind": "Deployment", "jsonPointers": ["/spec/replicas"]}),
                ),
            ],
        );
        assert_eq!(
            out.as_deref(),
            Ok(
                "resources:\n  - a.yaml # first\n  - b.yaml\n  - pdb-zk.yaml\nsyncOptions: [A=true, B=true]\nspec:\n  x: 1\n  ignoreDifferences:\n    - group: apps\n      kind: Deployment\n      jsonPointers:\n        - /spec/replicas\n"
            )
        );
    }

    /// New sequences follow the document's layout: `kubectl`'s (items at the key's column)
    /// when that is how it writes its first sequence.
    #[test]
    fn new_sequences_follow_the_documents_layout() {
        let text = "spec:\n  finalizers:\n  - a\n  syncPolicy:\n    automated: {}\n";
        let out = edit(
            text,
            0,
            &[append(
                &["spec", "syncPolicy", "syncOptions"],
                json!("RespectIgnoreDifferences=true"),
            )],
        );
        assert_eq!(
            out.as_deref(),
            Ok(
                "spec:\n  finalizers:\n  - a\n  syncPolicy:\n    automated: {}\n    syncOptions:\n    - RespectIgnoreDifferences=true\n"
            )
        );
    }

    /// A comma is plain in a block scalar, quoted in a flow collection (where it separates).
    #[test]
    fn commas_are_plain_in_block_and_quoted_in_flow() {
        let text = "a:\n  k: x\nb: {k: x}\n";
        let out = edit(
            text,
            0,
            &[
                set(&["a", "k"], json!("Prune=false,Delete=false")),
                set(&["b", "k"], json!("Prune=false,Delete=false")),
            ],
        );
        assert_eq!(
            out.as_deref(),
            Ok("a:\n  k: Prune=false,Delete=false\nb: {k: \"Prune=false,Delete=false\"}\n")
        );
    }

    #[test]
    fn append_a_mapping_to_a_block_sequence_of_mappings() {
        let text =
            "spec:\n  ignoreDifferences:\n    - group: apps\n      kind: StatefulSet\n  x: 1\n";
        let out = edit(
            text,
            0,
            &[append(
                &["spec", "ignoreDifferences"],
                json!({"group": "apps", "kind": "Deployment", "jsonPointers": ["/spec/replicas"]}),
            )],
        )
        .expect("appended");
        let parsed = parse_yaml(&out, Limits::default());
        assert_eq!(parsed.error, None, "{out}");
        let root = parsed.documents[0].root.clone().expect("a root");
        let items = root
            .path(&["spec", "ignoreDifferences"])
            .map(|n| n.items().len());
        assert_eq!(items, Some(2), "{out}");
        assert!(out.starts_with(
            "spec:\n  ignoreDifferences:\n    - group: apps\n      kind: StatefulSet\n    - group: apps\n"
        ), "{out}");
        assert!(out.ends_with("  x: 1\n"), "{out}");
    }

    #[test]
    fn the_middle_of_three_documents_only() {
        let text =
            "# one\na: 1\n---\n# two\nmetadata:\n  name: two\n---\nmetadata:\n  name: three\n";
        let out = edit(text, 1, &[add(&["metadata"], "namespace", json!("ns"))]);
        assert_eq!(
            out.as_deref(),
            Ok(
                "# one\na: 1\n---\n# two\nmetadata:\n  name: two\n  namespace: ns\n---\nmetadata:\n  name: three\n"
            )
        );
    }

    #[test]
    fn crlf_bom_and_non_ascii_are_kept() {
        let text = "\u{feff}# café ☕\r\nmetadata:\r\n  name: crème # brûlée\r\n---\r\nkind: X\r\n";
        let out = edit(
            text,
            0,
            &[add(&["metadata", "annotations"], "k", json!("v"))],
        );
        assert_eq!(
            out.as_deref(),
            Ok(
                "\u{feff}# café ☕\r\nmetadata:\r\n  name: crème # brûlée\r\n  annotations:\r\n    k: v\r\n---\r\nkind: X\r\n"
            )
        );
        let out = edit(text, 1, &[add(&[], "apiVersion", json!("v1"))]);
        assert_eq!(
            out.as_deref(),
            Ok(
                "\u{feff}# café ☕\r\nmetadata:\r\n  name: crème # brûlée\r\n---\r\nkind: X\r\napiVersion: v1\r\n"
            )
        );
    }

    /// `yamlpatch` 1.24's block-sequence append looks a byte offset up as a character index:
    /// non-ASCII text before the end must still give one item per line.
    #[test]
    fn append_after_non_ascii_items() {
        let text = "resources:\n  - crème-brûlée.yaml # ☕☕☕☕\n  - é.yaml\nnext: 1\n";
        assert_eq!(
            edit(text, 0, &[append(&["resources"], json!("pdb-x.yaml"))]).as_deref(),
            Ok(
                "resources:\n  - crème-brûlée.yaml # ☕☕☕☕\n  - é.yaml\n  - pdb-x.yaml\nnext: 1\n"
            )
        );
    }

    #[test]
    fn a_last_document_without_a_newline_keeps_none() {
        let text = "a: 1\n---\nb: 2";
        assert_eq!(
            edit(text, 1, &[set(&["b"], json!(3))]).as_deref(),
            Ok("a: 1\n---\nb: 3")
        );
    }

    /// Tagged nodes and other shapes `yamlpath` does not expect are refused, never a panic
    /// that escapes.
    #[test]
    fn tags_never_take_the_run_down() {
        for text in [
            "metadata: !!map\n  name: x\n",
            "metadata: !!map {name: x}\n",
            "metadata:\n  annotations: !!map\n    a: b\n",
            "metadata:\n  annotations: !custom\n    a: !!str b\n",
        ] {
            let parsed = parse_yaml(text, Limits::default());
            for e in [
                add(&["metadata", "annotations"], "k", json!("v")),
                set(&["metadata", "annotations", "a"], json!("v")),
                append(&["metadata", "list"], json!("v")),
            ] {
                let out = edit_document(text, &parsed.documents, 0, &[e]);
                if let Ok(out) = out {
                    let reparsed = parse_yaml(&out, Limits::default());
                    assert_eq!(reparsed.error, None, "{out}");
                }
            }
        }
    }

    /// Every document of every YAML fixture, LF and CRLF, takes each kind of edit or refuses
    /// it: never a panic, the result parses with the edited document's change only (the text
    /// before and after the document is kept), and the new value reads back.
    #[test]
    fn every_fixture_document_takes_or_refuses_each_edit() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut files = Vec::new();
        let mut stack = vec![root];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                    files.push(path);
                }
            }
        }
        files.sort();
        let mut applied = 0;
        for path in files {
            let Ok(lf) = std::fs::read_to_string(&path) else {
                continue;
            };
            for text in [lf.clone(), lf.replace('\n', "\r\n")] {
                let parsed = parse_yaml(&text, Limits::default());
                if parsed.error.is_some() {
                    continue;
                }
                for (i, doc) in parsed.documents.iter().enumerate() {
                    if doc.root.as_ref().is_none_or(|r| !r.is_map()) {
                        continue;
                    }
                    let edits = [
                        add(&["metadata", "annotations"], "fix.test/k", json!("v,w")),
                        set(&["metadata", "name"], json!("renamed")),
                        append(&["spec", "fixTestList"], json!({"a": "b", "c": ["d"]})),
                    ];
                    for e in edits {
                        let Ok(out) = edit_document(&text, &parsed.documents, i, &[e]) else {
                            continue;
                        };
                        applied += 1;
                        let again = parse_yaml(&out, Limits::default());
                        assert_eq!(again.error, None, "{}: {out}", path.display());
                        assert_eq!(again.documents.len(), parsed.documents.len());
                        let range = document_range(&text, &parsed.documents, i).expect("range");
                        assert!(out.starts_with(&text[..range.start]), "{}", path.display());
                        assert!(out.ends_with(&text[range.end..]), "{}", path.display());
                        if text.contains("\r\n") {
                            assert_eq!(out.matches('\n').count(), out.matches("\r\n").count());
                        }
                        let root = again.documents[i].root.clone().expect("a root");
                        let ok = root
                            .path(&["metadata", "annotations", "fix.test/k"])
                            .and_then(|n| n.as_str())
                            == Some("v,w")
                            || root.path(&["metadata", "name"]).and_then(|n| n.as_str())
                                == Some("renamed")
                            || root
                                .path(&["spec", "fixTestList"])
                                .and_then(|l| l.items().last().and_then(|i| i.get("a")))
                                .and_then(|n| n.as_str())
                                == Some("b");
                        assert!(ok, "{}: {out}", path.display());
                    }
                }
            }
        }
        assert!(applied > 500, "only {applied} edits applied");
    }

    #[test]
    fn refuses_what_it_cannot_do_exactly() {
        let anchors = "a: &x {k: v}\nb: *x\n";
        assert!(edit(anchors, 0, &[add(&["b"], "c", json!("d"))]).is_err());
        let empty = "metadata:\n  annotations:\n";
        assert!(
            edit(
                empty,
                0,
                &[add(&["metadata", "annotations"], "c", json!("d"))]
            )
            .is_err()
        );
        let block = "a: |\n  text\n";
        assert!(edit(block, 0, &[set(&["a"], json!("x"))]).is_err());
        let present = "a:\n  b: 1\n";
        assert!(edit(present, 0, &[add(&["a"], "b", json!(2))]).is_err());
        let multi = "a: [x,\n  y]\n";
        assert!(edit(multi, 0, &[append(&["a"], json!("z"))]).is_err());
        assert!(edit("a: 1\n", 3, &[set(&["a"], json!(2))]).is_err());
        // Kubernetes reads the last `name`, `yamlpath` finds the first.
        let twice = "metadata:\n  name: a\n  name: b\n";
        assert!(edit(twice, 0, &[set(&["metadata", "name"], json!("c"))]).is_err());
    }

    /// An entry added after a `|+` scalar would take the blank lines it keeps (`keep\n\n`
    /// became `keep\n`): an edit that changes a value it does not name is refused.
    #[test]
    fn an_edit_that_changes_a_neighbour_is_refused() {
        let keep = "metadata:\n  annotations:\n    note: |+\n      keep\n\n  labels:\n    a: b\n";
        let refused = edit(
            keep,
            0,
            &[add(&["metadata", "annotations"], "c", json!("d"))],
        )
        .expect_err("the neighbour would change");
        assert!(refused.0.contains("more than what it names"), "{refused}");
        // The same edit beside a clipped scalar changes nothing else, and is made.
        let clip = keep.replace("|+", "|");
        let out = edit(
            &clip,
            0,
            &[add(&["metadata", "annotations"], "c", json!("d"))],
        )
        .expect("made");
        assert!(out.contains("    c: d\n"), "{out}");
        // A block scalar whose last line reads like a comment: the entry went in before that
        // line, which left the scalar (`owned\n# see runbook\n` became `owned\n`).
        let comment = "spec:\n  info:\n    - name: notes\n      value: |\n        owned\n        # see runbook\n";
        let refused = edit(
            comment,
            0,
            &[append(
                &["spec", "ignoreDifferences"],
                json!({"kind": "Deployment"}),
            )],
        )
        .expect_err("the scalar would change");
        assert!(refused.0.contains("more than what it names"), "{refused}");
    }
}
