//! Helm values schemas that refer outside the chart.
//!
//! `helm template` validates the values against every `values.schema.json` of the chart and its
//! subcharts, and resolves the schemas' `$ref`s while compiling them. Helm 3.18.5 and later
//! register a `file://` loader only (GHSA-9h84-qmv7-982p turned remote fetching off), so a
//! reference such as `file:///etc/passwd` — or a relative one, resolved against a `file:` base —
//! makes Helm read a file of the machine that renders; older Helm fetches `http(s)` references
//! from the network. Neither may happen here, and on Argo CD's repo-server such a chart fails (or
//! reads the server's files). A reference inside the schema document (`#/$defs/x`) is safe; so is
//! `$schema` naming a published JSON Schema draft, which the validators carry built in.
//!
//! Subcharts vendored as archives (`charts/*.tgz`) are read too, with Helm's own limits on size.

use std::io::Read;

use serde_json::Value;

use super::super::tool::Tree;

/// Helm's limit on a chart archive, decompressed (`pkg/chart/loader` `MaxDecompressedChartSize`).
const MAX_ARCHIVE_BYTES: u64 = 100 * 1024 * 1024;
/// Archives within archives, followed this deep.
const MAX_ARCHIVE_DEPTH: usize = 4;

/// The first schema reference that leaves its document, as `` `file`: `$ref: …` at /pointer ``,
/// among the schemas of the chart at `chart_dir` (root-relative) and its subcharts.
pub(crate) fn outside_reference(tree: &Tree, chart_dir: &str) -> Option<String> {
    let below = |rel: &str| -> Option<String> {
        if chart_dir.is_empty() {
            Some(rel.to_string())
        } else {
            rel.strip_prefix(chart_dir)?
                .strip_prefix('/')
                .map(str::to_string)
        }
    };
    for (rel, real) in &tree.files {
        let Some(inner) = below(rel) else { continue };
        if is_schema(&inner) {
            let Ok(bytes) = std::fs::read(real) else {
                continue; // Unreadable: Helm cannot read it either.
            };
            if let Some(found) = check_schema(&bytes) {
                return Some(format!("`{rel}`{found}"));
            }
        } else if is_subchart_archive(&inner) {
            let Ok(file) = std::fs::File::open(real) else {
                continue;
            };
            if let Some(found) = check_archive(file, 0) {
                return Some(format!("`{rel}` holds {found}"));
            }
        }
    }
    None
}

fn is_schema(path: &str) -> bool {
    path == "values.schema.json" || path.ends_with("/values.schema.json")
}

/// `charts/x.tgz` at any depth: Helm loads packaged subcharts from a chart's `charts/`.
fn is_subchart_archive(path: &str) -> bool {
    let mut parts = path.rsplit('/');
    let name = parts.next().unwrap_or("");
    parts.next() == Some("charts") && name.ends_with(".tgz")
}

/// A problem with one schema document: ``: `$ref: …` at /pointer`` or why it cannot be checked.
fn check_schema(bytes: &[u8]) -> Option<String> {
    let Ok(schema) = serde_json::from_slice::<Value>(bytes) else {
        // Helm's JSON reader is more lenient (invalid UTF-8, for one) than this one: a schema
        // that cannot be read here cannot be vouched for.
        return Some(
            ": the schema could not be read as JSON here, so its references could not be checked"
                .into(),
        );
    };
    let mut pointer = String::new();
    find(&schema, &mut pointer).map(|(key, value)| {
        let at = if pointer.is_empty() { "/" } else { &pointer };
        format!(
            ": `{key}: {}` at `{at}`",
            value.chars().take(200).collect::<String>()
        )
    })
}

/// Depth-first, in document order: the first outside reference, with `pointer` left at its
/// object.
fn find<'a>(v: &'a Value, pointer: &mut String) -> Option<(&'a str, &'a str)> {
    match v {
        Value::Object(map) => {
            for (k, val) in map {
                if let Value::String(target) = val {
                    let outside = match k.as_str() {
                        "$ref" | "$dynamicRef" | "$recursiveRef" => !target.starts_with('#'),
                        "$schema" => !is_draft(target),
                        _ => false,
                    };
                    if outside {
                        return Some((k, target));
                    }
                }
            }
            for (k, val) in map {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&k.replace('~', "~0").replace('/', "~1"));
                if let Some(found) = find(val, pointer) {
                    return Some(found);
                }
                pointer.truncate(len);
            }
            None
        }
        Value::Array(items) => {
            for (i, val) in items.iter().enumerate() {
                let len = pointer.len();
                pointer.push_str(&format!("/{i}"));
                if let Some(found) = find(val, pointer) {
                    return Some(found);
                }
                pointer.truncate(len);
            }
            None
        }
        _ => None,
    }
}

/// A published JSON Schema meta-schema, which validators carry built in.
fn is_draft(url: &str) -> bool {
    let rest = url
        .strip_prefix("https://json-schema.org/")
        .or_else(|| url.strip_prefix("http://json-schema.org/"));
    let Some(rest) = rest else { return false };
    let rest = rest.trim_end_matches('#');
    matches!(
        rest,
        "schema"
            | "draft-04/schema"
            | "draft-06/schema"
            | "draft-07/schema"
            | "draft/2019-09/schema"
            | "draft/2020-12/schema"
    )
}

/// The schemas in a chart archive and in the archives it holds.
fn check_archive(reader: impl Read, depth: usize) -> Option<String> {
    let gz = flate2::read::GzDecoder::new(reader).take(MAX_ARCHIVE_BYTES + 1);
    let mut archive = tar::Archive::new(gz);
    let Ok(entries) = archive.entries() else {
        return None; // Not an archive: Helm fails on it without reading any schema.
    };
    for entry in entries {
        let Ok(mut entry) = entry else {
            return None; // A damaged archive: Helm fails on it too.
        };
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let Ok(path) = entry.path() else { continue };
        let path = path.to_string_lossy().replace('\\', "/");
        if is_schema(&path) {
            let mut bytes = Vec::new();
            if entry.read_to_end(&mut bytes).is_err() {
                return None;
            }
            if let Some(found) = check_schema(&bytes) {
                return Some(format!("`{path}`{found}"));
            }
        } else if is_subchart_archive(&path) {
            if depth + 1 >= MAX_ARCHIVE_DEPTH {
                return Some(format!(
                    "`{path}`, archives nested more than {MAX_ARCHIVE_DEPTH} deep, whose schemas could not be checked"
                ));
            }
            let mut bytes = Vec::new();
            if entry.read_to_end(&mut bytes).is_err() {
                return None;
            }
            if let Some(found) = check_archive(bytes.as_slice(), depth + 1) {
                return Some(format!("`{path}`, which holds {found}"));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_inside_the_document_are_fine() {
        let schema = br##"{"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$defs": {"port": {"type": "integer"}},
            "properties": {"a": {"$ref": "#/$defs/port"}, "b": {"$ref": "#"}}}"##;
        assert_eq!(check_schema(schema), None);
        assert_eq!(
            check_schema(br#"{"$schema": "http://json-schema.org/draft-07/schema#"}"#),
            None
        );
    }

    #[test]
    fn file_relative_and_remote_references_are_found_with_their_place() {
        let file = br#"{"properties": {"a": {"items": [{"$ref": "file:///etc/passwd"}]}}}"#;
        assert_eq!(
            check_schema(file).as_deref(),
            Some(": `$ref: file:///etc/passwd` at `/properties/a/items/0`")
        );
        let relative = br#"{"properties": {"x/y": {"$ref": "other.json#/a"}}}"#;
        assert_eq!(
            check_schema(relative).as_deref(),
            Some(": `$ref: other.json#/a` at `/properties/x~1y`")
        );
        assert!(check_schema(br#"{"$ref": "https://example.com/s.json"}"#).is_some());
        assert!(check_schema(br#"{"$schema": "file:///tmp/meta.json"}"#).is_some());
        assert!(check_schema(br#"{"a": {"$dynamicRef": "x.json"}}"#).is_some());
        // Escapes are decoded before the check.
        assert!(check_schema(br#"{"\u0024ref": "file:///x"}"#).is_some());
    }

    #[test]
    fn a_schema_that_cannot_be_read_cannot_be_vouched_for() {
        assert!(check_schema(b"{\"$ref\": \"\xff\"}").is_some());
    }

    fn tgz(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
            Vec::new(),
            flate2::Compression::fast(),
        ));
        for (path, bytes) in files {
            let mut header = tar::Header::new_gnu();
            header.set_size(bytes.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder
                .append_data(&mut header, path, *bytes)
                .expect("append");
        }
        builder.into_inner().expect("tar").finish().expect("gzip")
    }

    #[test]
    fn schemas_in_nested_subchart_archives_are_read() {
        let inner = tgz(&[
            ("db/Chart.yaml", b"name: db"),
            (
                "db/values.schema.json",
                br#"{"$ref": "file:///etc/shadow"}"#,
            ),
        ]);
        let outer = tgz(&[
            ("web/Chart.yaml", b"name: web"),
            ("web/values.schema.json", br##"{"$ref": "#/x", "x": {}}"##),
            ("web/charts/db-1.0.0.tgz", &inner),
        ]);
        assert_eq!(
            check_archive(outer.as_slice(), 0).as_deref(),
            Some(
                "`web/charts/db-1.0.0.tgz`, which holds `db/values.schema.json`: `$ref: file:///etc/shadow` at `/`"
            )
        );
        let clean = tgz(&[("web/values.schema.json", br#"{"type": "object"}"#)]);
        assert_eq!(check_archive(clean.as_slice(), 0), None);
        assert_eq!(check_archive(&b"not an archive"[..], 0), None);
    }

    #[test]
    fn only_archives_in_a_charts_directory_are_subcharts() {
        assert!(is_subchart_archive("charts/a-1.0.tgz"));
        assert!(is_subchart_archive("charts/x/charts/b.tgz"));
        assert!(!is_subchart_archive("files/a.tgz"));
        assert!(!is_subchart_archive("a.tgz"));
    }
}
