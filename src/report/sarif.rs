//! `--format sarif`: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers. One run; the
//! whole rule catalogue as `tool.driver.rules` (descriptions and help from `rules/<id>.md`);
//! each result with the exact region of the offending node, its related locations, and a
//! fingerprint that survives unrelated edits so code scanning tracks an alert instead of closing
//! and reopening it. Paths are relative to the repository root (`%SRCROOT%`). Message texts are
//! [`printable`]; the object's identity and the region's snippet keep the exact text.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::diagnostic::Diagnostic;
use crate::load::Location;
use crate::rules::{self, Meta};

use super::{Report, Repository, printable, rule_url, uri_path};

pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
pub const VERSION: &str = "2.1.0";
const SRCROOT: &str = "%SRCROOT%";
/// The `partialFingerprints` key; bump the version when the hashed parts change.
pub const FINGERPRINT_KEY: &str = "manifestGuard/v1";

pub fn render(report: &Report<'_>, repository: &Repository) -> String {
    super::json_text(&log(report, repository))
}

/// The SARIF log as JSON.
pub fn log(report: &Report<'_>, repository: &Repository) -> Value {
    let catalogue = rules::registry();
    let index: HashMap<&str, usize> = catalogue
        .iter()
        .enumerate()
        .map(|(i, r)| (r.meta().id, i))
        .collect();
    let descriptors: Vec<Value> = catalogue.iter().map(|r| descriptor(r.meta())).collect();
    let mut fingerprints = Fingerprints::default();
    let results: Vec<Value> = report
        .diagnostics
        .iter()
        .map(|d| {
            let fingerprint = fingerprints.next(report, repository, d);
            result(
                report,
                repository,
                d,
                index.get(d.rule).copied(),
                fingerprint,
            )
        })
        .collect();
    json!({
        "$schema": SCHEMA,
        "version": VERSION,
        "runs": [{
            "tool": {"driver": {
                "name": env!("CARGO_PKG_NAME"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": env!("CARGO_PKG_REPOSITORY"),
                "rules": descriptors,
            }},
            "invocations": [{"executionSuccessful": true}],
            "originalUriBaseIds": {
                SRCROOT: {"uri": directory_uri(&repository.root.to_string_lossy())},
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}

/// A rule as SARIF's `reportingDescriptor`, from its document.
fn descriptor(meta: &Meta) -> Value {
    let doc = RuleDocument::parse(meta.document);
    let short = if doc.summary.is_empty() {
        meta.summary.to_string()
    } else {
        doc.summary
    };
    let full = if doc.catches.is_empty() {
        short.clone()
    } else {
        doc.catches
    };
    json!({
        "id": meta.id,
        "name": meta.id,
        "shortDescription": {"text": short},
        "fullDescription": {"text": full, "markdown": full},
        "help": {"text": meta.document, "markdown": meta.document},
        "helpUri": rule_url(meta.id),
        "defaultConfiguration": {"level": meta.severity.as_str()},
        "properties": {"tags": ["gitops", "kubernetes", "argo-cd"]},
    })
}

/// The parts of a rule document (`rules/<id>.md`) that SARIF shows on their own.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct RuleDocument {
    /// The first paragraph after the `# id` title and the `Severity:` line.
    pub summary: String,
    /// The body of the "What it catches" section.
    pub catches: String,
}

impl RuleDocument {
    pub fn parse(document: &str) -> Self {
        let mut summary = String::new();
        let mut catches: Vec<&str> = Vec::new();
        let mut in_catches = false;
        let mut seen_heading = false;
        let mut paragraph: Vec<&str> = Vec::new();
        for line in document.lines() {
            if let Some(heading) = line.strip_prefix("## ") {
                if summary.is_empty() {
                    summary = paragraph.join(" ");
                }
                seen_heading = true;
                in_catches = heading.trim().eq_ignore_ascii_case("what it catches");
                continue;
            }
            if in_catches {
                catches.push(line);
            } else if !seen_heading && summary.is_empty() {
                let text = line.trim();
                if line.starts_with("# ") || text.starts_with("Severity:") {
                    paragraph.clear();
                } else if text.is_empty() {
                    if !paragraph.is_empty() {
                        summary = paragraph.join(" ");
                    }
                } else {
                    paragraph.push(text);
                }
            }
        }
        if summary.is_empty() {
            summary = paragraph.join(" ");
        }
        RuleDocument {
            summary,
            catches: catches.join("\n").trim().to_string(),
        }
    }
}

fn result(
    report: &Report<'_>,
    repository: &Repository,
    d: &Diagnostic,
    rule_index: Option<usize>,
    fingerprint: String,
) -> Value {
    // Message text is shown by code scanning: one line per part, like every other report.
    let mut text = printable(&d.message).into_owned();
    if !d.help.is_empty() {
        text.push_str("\nhelp: ");
        text.push_str(&printable(&d.help));
    }
    let mut text = escape_brackets(&text);
    // Code scanning shows related locations through links in the message: `[text](id)`.
    let links: Vec<String> = d
        .related
        .iter()
        .enumerate()
        .map(|(i, r)| format!("[{}]({})", escape_brackets(&printable(&r.message)), i + 1))
        .collect();
    if !links.is_empty() {
        text.push_str("\nsee: ");
        text.push_str(&links.join("; "));
    }
    let related: Vec<Value> = d
        .related
        .iter()
        .enumerate()
        .map(|(i, r)| {
            json!({
                "id": i + 1,
                "message": {"text": printable(&r.message)},
                "physicalLocation": physical_location(report, repository, r.location),
            })
        })
        .collect();
    let mut v = json!({"ruleId": d.rule});
    if let Some(i) = rule_index {
        v["ruleIndex"] = json!(i);
    }
    v["level"] = json!(d.severity.as_str());
    v["message"] = json!({"text": text});
    v["locations"] =
        json!([{"physicalLocation": physical_location(report, repository, d.location)}]);
    if !related.is_empty() {
        v["relatedLocations"] = Value::Array(related);
    }
    v["partialFingerprints"] = json!({ FINGERPRINT_KEY: fingerprint });
    if let Some(o) = d.object {
        let o = report.inventory.object(o);
        v["properties"] = json!({"object": {
            "apiVersion": o.api_version,
            "kind": o.id.kind,
            "namespace": o.id.namespace,
            "name": o.id.name,
            "cluster": o.id.cluster,
        }});
    }
    v
}

fn physical_location(report: &Report<'_>, repository: &Repository, loc: Location) -> Value {
    let file = report.inventory.sources.get(loc.file);
    let (start, end) = report.region(loc);
    let mut region = json!({
        "startLine": start.line,
        "startColumn": start.column,
        "endLine": end.line,
        "endColumn": end.column,
    });
    let snippet = file.text.get(loc.span.start..loc.span.end).unwrap_or("");
    if start.line == end.line && !snippet.is_empty() {
        region["snippet"] = json!({"text": snippet});
    }
    let artifact = match repository.relative(&file.display) {
        Some(path) => json!({"uri": uri_path(&path), "uriBaseId": SRCROOT}),
        None if std::path::Path::new(&file.display).is_absolute() => {
            json!({"uri": file_uri(&file.display)})
        }
        None => json!({"uri": uri_path(&file.display)}),
    };
    json!({"artifactLocation": artifact, "region": region})
}

/// SARIF message text treats `[text](id)` as a link; literal brackets are escaped with `\`.
fn escape_brackets(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if matches!(chars.peek(), Some('[' | ']')) => out.push_str("\\\\"),
            '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

fn file_uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let path = if path.starts_with('/') {
        path
    } else {
        format!("/{path}")
    };
    format!("file://{}", uri_path(&path))
}

fn directory_uri(path: &str) -> String {
    let uri = file_uri(path);
    if uri.ends_with('/') {
        uri
    } else {
        format!("{uri}/")
    }
}

/// Fingerprints from what identifies a finding, not where it is: the rule, the file, the object
/// (kind, namespace, name, cluster) or — without one — the text of the finding's line, and the
/// text of the node it points at. Line numbers are left out, so inserting lines above a finding
/// keeps its alert. Identical keys are told apart by their order in the file.
#[derive(Default)]
struct Fingerprints {
    seen: HashMap<u64, usize>,
}

impl Fingerprints {
    fn next(&mut self, report: &Report<'_>, repository: &Repository, d: &Diagnostic) -> String {
        let file = report.inventory.sources.get(d.location.file);
        let path = repository
            .relative(&file.display)
            .unwrap_or_else(|| file.display.clone());
        let line_of = |offset: usize| -> &str {
            let lc = file.line_col(offset);
            file.lines
                .line_text(&file.text, lc.line)
                .unwrap_or("")
                .trim()
        };
        let node = file
            .text
            .get(d.location.span.start..d.location.span.end)
            .and_then(|s| s.split(['\n', '\r']).next())
            .unwrap_or("")
            .trim();
        let identity = match d.object {
            Some(o) => {
                let o = report.inventory.object(o);
                format!(
                    "{}/{}/{}/{}/{}",
                    o.id.cluster, o.id.group, o.id.kind, o.id.namespace, o.id.name
                )
            }
            None => line_of(d.location.span.start).to_string(),
        };
        let hash = fnv1a(&[d.rule, &path, &identity, node]);
        let n = self.seen.entry(hash).or_insert(0);
        *n += 1;
        format!("{hash:016x}:{n}")
    }
}

/// FNV-1a (64 bits) over the parts, each followed by a NUL: stable across Rust versions and
/// platforms, unlike `std`'s hasher.
fn fnv1a(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain(std::iter::once(0)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_documents_give_summary_and_what_it_catches() {
        let doc = "# some-rule\n\nSeverity: error\n\nFirst line\nsecond line.\n\nMore.\n\n## What it catches\n\nThe body.\n\n- a list\n\n## Why it matters\n\nBecause.\n";
        assert_eq!(
            RuleDocument::parse(doc),
            RuleDocument {
                summary: "First line second line.".into(),
                catches: "The body.\n\n- a list".into(),
            }
        );
    }

    #[test]
    fn rule_documents_with_the_fixed_headings_give_both_parts() {
        // A document still being written falls back to the rule's one-line summary.
        for rule in rules::registry() {
            let document = rule.meta().document;
            if !document.contains("\n## What it catches\n") {
                continue;
            }
            let doc = RuleDocument::parse(document);
            assert!(!doc.summary.is_empty(), "{}", rule.meta().id);
            assert!(!doc.summary.starts_with("Severity"), "{}", rule.meta().id);
            assert!(!doc.catches.is_empty(), "{}", rule.meta().id);
        }
    }

    #[test]
    fn brackets_are_escaped_in_message_text() {
        assert_eq!(
            escape_brackets("ignore[a] \\[x"),
            "ignore\\[a\\] \\\\\\[x".to_string()
        );
    }

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(uri_path("a b/é#.yaml"), "a%20b/%C3%A9%23.yaml");
        assert_eq!(directory_uri("/work/my repo"), "file:///work/my%20repo/");
    }

    #[test]
    fn fnv_is_stable() {
        assert_eq!(fnv1a(&[]), 0xcbf2_9ce4_8422_2325);
        assert_ne!(fnv1a(&["ab", "c"]), fnv1a(&["a", "bc"]));
    }
}
