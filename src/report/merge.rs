//! `merge`: several `--format json` reports (all of `check`, or all of `diff`) read back and
//! written as one, for a tree checked in parts — one CI job per repository or per app-of-apps
//! root. It reads JSON text only, never the repositories: the formats that quote source lines or
//! need a finding's end (the human report's snippets, SARIF regions, Markdown) cannot be made
//! from it; JSON and a plain human listing can.
//!
//! What a merge is, precisely:
//! - `diagnostics`: every report's findings, none dropped or changed; each report keeps its
//!   order and the reports are interleaved by (file, line, column, rule, message), the key a
//!   single run sorts by, so one report merges into itself and sorted reports into a sorted one;
//! - `summary`: every count summed, each map (`roots`, `suppressed`, `not_rendered_by_cause`)
//!   summed per key, `file_counts` summed field by field; `no_application_checked` is worked out
//!   again from the sums, as a run over all the parts would (Argo CD objects were found and not
//!   one Application was rendered);
//! - of `diff` reports: `changes` interleaved in the order `diff` sorts them, `unrendered`
//!   concatenated, `blast_radius` summed per cluster; `base` must be the same in all;
//!   `config` is kept when all agree, else `from` is `mixed` and `file` null.
//!
//! Nothing is deduplicated: parts that overlap (two roots given the same directory) report the
//! same finding once per part, as their runs did; `Merged::drop_repeated` (`--unique`) keeps one
//! of those that say the same at the same place. A report of another version, or of keys this version does not know, is refused
//! rather than half merged.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use super::json::VERSION;

/// What kind of run a report is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Check,
    Diff,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Check => "check",
            Kind::Diff => "diff",
        }
    }
}

/// Why the reports could not be merged; each names the report (as given on the command line).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MergeError {
    #[error("{file}: not JSON: {reason}")]
    NotJson { file: String, reason: String },
    #[error("{file}: not a manifest-guard `--format json` report: {reason}")]
    NotAReport { file: String, reason: String },
    #[error(
        "{file}: a report of version {found}; this manifest-guard merges version {VERSION} only"
    )]
    Version { file: String, found: String },
    #[error(
        "{file} is a `{kind}` report and {first} a `{first_kind}` one: merge reports of one command"
    )]
    Mixed {
        file: String,
        kind: &'static str,
        first: String,
        first_kind: &'static str,
    },
    #[error(
        "{file} compares with base `{base}` and {first} with `{first_base}`: a diff report is against one base"
    )]
    Base {
        file: String,
        base: String,
        first: String,
        first_base: String,
    },
    #[error("no report to merge")]
    Empty,
}

/// The merged report.
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    pub kind: Kind,
    pub value: Value,
}

/// One report read back: its name (for messages) and its top-level object.
struct Input<'a> {
    name: &'a str,
    top: Map<String, Value>,
    kind: Kind,
}

const CHECK_KEYS: [&str; 3] = ["version", "summary", "diagnostics"];
const DIFF_KEYS: [&str; 8] = [
    "version",
    "base",
    "config",
    "summary",
    "diagnostics",
    "changes",
    "unrendered",
    "blast_radius",
];
/// Keys a report has only when asked for: `statistics` (`--statistics`), worked out again from
/// the merged findings.
const OPTIONAL_KEYS: [&str; 1] = ["statistics"];
/// Summary fields that are maps keyed by data (a `BTreeMap` in a run): summed per key, sorted.
const SUMMARY_MAPS: [&str; 3] = ["not_rendered_by_cause", "roots", "suppressed"];

/// Merges reports given as (name, text), in that order.
pub fn merge(reports: &[(String, String)]) -> Result<Merged, MergeError> {
    let inputs: Vec<Input<'_>> = reports
        .iter()
        .map(|(name, text)| read(name, text))
        .collect::<Result<_, _>>()?;
    let first = inputs.first().ok_or(MergeError::Empty)?;
    for input in &inputs {
        if input.kind != first.kind {
            return Err(MergeError::Mixed {
                file: input.name.to_string(),
                kind: input.kind.as_str(),
                first: first.name.to_string(),
                first_kind: first.kind.as_str(),
            });
        }
    }
    let mut out = Map::new();
    out.insert("version".into(), json!(VERSION));
    if first.kind == Kind::Diff {
        let base = |i: &Input<'_>| i.top["base"].as_str().unwrap_or_default().to_string();
        for input in &inputs {
            if base(input) != base(first) {
                return Err(MergeError::Base {
                    file: input.name.to_string(),
                    base: base(input),
                    first: first.name.to_string(),
                    first_base: base(first),
                });
            }
        }
        out.insert("base".into(), first.top["base"].clone());
        out.insert("config".into(), merge_config(&inputs));
    }
    let summaries: Vec<(&str, &Value)> =
        inputs.iter().map(|i| (i.name, &i.top["summary"])).collect();
    out.insert("summary".into(), merge_summary(&summaries)?);
    let diagnostics = interleave(&inputs, "diagnostics", diagnostic_order);
    // The statistics of the merged findings, counted again: summing the inputs' would count a
    // part's findings only when that part was run with `--statistics`.
    if inputs.iter().any(|i| i.top.contains_key("statistics")) {
        out.insert("statistics".into(), statistics_of(&diagnostics));
    }
    out.insert("diagnostics".into(), Value::Array(diagnostics));
    if first.kind == Kind::Diff {
        out.insert(
            "changes".into(),
            Value::Array(interleave(&inputs, "changes", change_order)),
        );
        out.insert(
            "unrendered".into(),
            Value::Array(
                inputs
                    .iter()
                    .flat_map(|i| array(&i.top["unrendered"]).iter().cloned())
                    .collect(),
            ),
        );
        out.insert("blast_radius".into(), merge_blast(&inputs));
    }
    Ok(Merged {
        kind: first.kind,
        value: Value::Object(out),
    })
}

fn array(v: &Value) -> &[Value] {
    v.as_array().map_or(&[], Vec::as_slice)
}

/// Parses one report and checks its shape: the version, the keys of a `check` or a `diff`
/// report, findings with a position, rule, severity and message.
fn read<'a>(name: &'a str, text: &str) -> Result<Input<'a>, MergeError> {
    let not_a_report = |reason: String| MergeError::NotAReport {
        file: name.to_string(),
        reason,
    };
    let value: Value = serde_json::from_str(text).map_err(|e| MergeError::NotJson {
        file: name.to_string(),
        reason: e.to_string(),
    })?;
    let Value::Object(top) = value else {
        return Err(not_a_report("the top level is not an object".into()));
    };
    match top.get("version") {
        Some(v) if v.as_u64() == Some(u64::from(VERSION)) => {}
        Some(v) => {
            return Err(MergeError::Version {
                file: name.to_string(),
                found: v.to_string(),
            });
        }
        None => return Err(not_a_report("it has no `version`".into())),
    }
    let kind = if top.contains_key("changes") {
        Kind::Diff
    } else {
        Kind::Check
    };
    let known: &[&str] = match kind {
        Kind::Check => &CHECK_KEYS,
        Kind::Diff => &DIFF_KEYS,
    };
    for key in known {
        if !top.contains_key(*key) {
            return Err(not_a_report(format!(
                "it has no `{key}` (a `{}` report has {})",
                kind.as_str(),
                known.join(", ")
            )));
        }
    }
    if let Some(key) = top
        .keys()
        .find(|k| !known.contains(&k.as_str()) && !OPTIONAL_KEYS.contains(&k.as_str()))
    {
        return Err(not_a_report(format!(
            "it has `{}`, which a version {VERSION} `{}` report does not: written by another manifest-guard?",
            super::printable(key),
            kind.as_str()
        )));
    }
    if !top["summary"].is_object() {
        return Err(not_a_report("`summary` is not an object".into()));
    }
    if top.get("statistics").is_some_and(|s| !s.is_array()) {
        return Err(not_a_report("`statistics` is not a list".into()));
    }
    let lists: &[&str] = match kind {
        Kind::Check => &["diagnostics"],
        Kind::Diff => &["diagnostics", "changes", "unrendered"],
    };
    for key in lists {
        if !top[*key].is_array() {
            return Err(not_a_report(format!("`{key}` is not a list")));
        }
    }
    for (i, d) in array(&top["diagnostics"]).iter().enumerate() {
        let text = |k: &str| d.get(k).and_then(Value::as_str).is_some();
        let number = |k: &str| d.get(k).and_then(Value::as_u64).is_some();
        let severity = d
            .get("severity")
            .and_then(Value::as_str)
            .is_some_and(|s| s.parse::<crate::diagnostic::Severity>().is_ok());
        let complete = text("rule")
            && text("message")
            && text("file")
            && number("line")
            && number("column")
            && severity;
        if !complete {
            return Err(not_a_report(format!(
                "diagnostic {} lacks a rule, severity, message, file, line or column",
                i + 1
            )));
        }
    }
    if kind == Kind::Diff && !top["blast_radius"].is_object() {
        return Err(not_a_report("`blast_radius` is not an object".into()));
    }
    Ok(Input { name, top, kind })
}

/// Sums summaries: counts added, objects merged key by key (maps keyed by data sorted, as a
/// run's `BTreeMap`s are), `no_application_checked` worked out from the sums.
fn merge_summary(summaries: &[(&str, &Value)]) -> Result<Value, MergeError> {
    let mut out = Value::Object(Map::new());
    for (name, summary) in summaries {
        add(&mut out, summary, name, "summary")?;
    }
    if let Value::Object(map) = &mut out {
        for key in SUMMARY_MAPS {
            if let Some(Value::Object(m)) = map.get_mut(key) {
                m.sort_keys();
            }
        }
        if map.contains_key("no_application_checked") {
            let count = |k: &str| map.get(k).and_then(Value::as_u64).unwrap_or(0);
            let none = count("argocd_objects") > 0 && count("applications_rendered") == 0;
            map.insert("no_application_checked".into(), Value::Bool(none));
        }
    }
    Ok(out)
}

/// Adds `value` into `into` (counts summed, objects key by key in first-seen order).
fn add(into: &mut Value, value: &Value, name: &str, path: &str) -> Result<(), MergeError> {
    let wrong = |what: &str| MergeError::NotAReport {
        file: name.to_string(),
        reason: format!("`{path}` is {what}, not a count"),
    };
    match value {
        Value::Object(fields) => {
            if into.is_null() {
                *into = Value::Object(Map::new());
            }
            let Value::Object(target) = into else {
                return Err(wrong("an object in this report and not in an earlier one"));
            };
            for (key, v) in fields {
                let slot = target.entry(key.clone()).or_insert(Value::Null);
                add(slot, v, name, &format!("{path}.{}", super::printable(key)))?;
            }
        }
        Value::Number(n) => {
            let n = n.as_u64().ok_or_else(|| wrong("a number"))?;
            let sum = match into {
                Value::Null => n,
                Value::Number(m) => m
                    .as_u64()
                    .ok_or_else(|| wrong("a number"))?
                    .saturating_add(n),
                _ => return Err(wrong("a count here and not in an earlier report")),
            };
            *into = json!(sum);
        }
        // Worked out again from the sums (`merge_summary`); no other flag exists in version 1.
        Value::Bool(b) if path == "summary.no_application_checked" => *into = Value::Bool(*b),
        Value::Bool(_) => return Err(wrong("a flag")),
        Value::String(_) => return Err(wrong("text")),
        Value::Array(_) => return Err(wrong("a list")),
        Value::Null => return Err(wrong("null")),
    }
    Ok(())
}

/// `--statistics` of findings read from reports, counted as a run counts its own.
fn statistics_of(diagnostics: &[Value]) -> Value {
    super::statistics_json(&merged_statistics(diagnostics))
}

fn merged_statistics(diagnostics: &[Value]) -> Vec<super::Statistic> {
    super::statistics(
        diagnostics
            .iter()
            .filter_map(|d| Some((text(d, "rule"), text(d, "severity").parse().ok()?))),
    )
}

/// Each input's `key` list, interleaved by `order`: a merge of sorted lists that keeps each
/// list's own order (ties go to the earlier report), so one list comes back as it was.
fn interleave(
    inputs: &[Input<'_>],
    key: &str,
    order: fn(&Value, &Value) -> Ordering,
) -> Vec<Value> {
    let lists: Vec<&[Value]> = inputs.iter().map(|i| array(&i.top[key])).collect();
    let mut at = vec![0usize; lists.len()];
    let mut out = Vec::with_capacity(lists.iter().map(|l| l.len()).sum());
    loop {
        let mut best: Option<usize> = None;
        for (i, list) in lists.iter().enumerate() {
            let Some(candidate) = list.get(at[i]) else {
                continue;
            };
            if best.is_none_or(|b| order(candidate, &lists[b][at[b]]) == Ordering::Less) {
                best = Some(i);
            }
        }
        let Some(b) = best else { break };
        out.push(lists[b][at[b]].clone());
        at[b] += 1;
    }
    out
}

fn text<'v>(v: &'v Value, key: &str) -> &'v str {
    v.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn number(v: &Value, key: &str) -> u64 {
    v.get(key).and_then(Value::as_u64).unwrap_or_default()
}

/// A run's order of findings (`rules::sort`): file, line, column, rule, message.
fn diagnostic_order(a: &Value, b: &Value) -> Ordering {
    (
        text(a, "file"),
        number(a, "line"),
        number(a, "column"),
        text(a, "rule"),
        text(a, "message"),
    )
        .cmp(&(
            text(b, "file"),
            number(b, "line"),
            number(b, "column"),
            text(b, "rule"),
            text(b, "message"),
        ))
}

/// `diff`'s order of changes (`diff::change::compare`): cluster, Application (none first), kind
/// of change in `ChangeKind` order, then the object's identity.
fn change_order(a: &Value, b: &Value) -> Ordering {
    let kind = |v: &Value| {
        crate::diff::ChangeKind::ALL
            .iter()
            .position(|k| k.as_str() == text(v, "kind"))
    };
    let key = |v: &'_ Value| {
        (
            text(v, "cluster").to_string(),
            v.get("application")
                .and_then(Value::as_str)
                .map(str::to_string),
            kind(v),
            [
                text(v, "cluster").to_string(),
                text(v, "group").to_string(),
                text(v, "objectKind").to_string(),
                text(v, "namespace").to_string(),
                text(v, "name").to_string(),
            ],
        )
    };
    key(a).cmp(&key(b))
}

/// The configuration the diffs ran with: kept when all agree; else `from: mixed`, `file: null`,
/// and `headDiffers` when any head's differs.
fn merge_config(inputs: &[Input<'_>]) -> Value {
    let configs: Vec<&Value> = inputs.iter().map(|i| &i.top["config"]).collect();
    if configs.windows(2).all(|w| w[0] == w[1]) {
        return configs.first().map_or(Value::Null, |c| (*c).clone());
    }
    let head_differs = configs
        .iter()
        .any(|c| c.get("headDiffers").and_then(Value::as_bool) == Some(true));
    json!({"from": "mixed", "file": null, "headDiffers": head_differs})
}

/// Blast radius per cluster: counts summed per kind of change, Applications united, storage at
/// risk summed (and shown again in binary units).
fn merge_blast(inputs: &[Input<'_>]) -> Value {
    #[derive(Default)]
    struct Impact {
        counts: Map<String, Value>,
        applications: BTreeSet<String>,
        storage: u128,
    }
    let mut clusters: BTreeMap<String, Impact> = BTreeMap::new();
    for input in inputs {
        let Some(radius) = input.top["blast_radius"].as_object() else {
            continue;
        };
        for (cluster, impact) in radius {
            let into = clusters.entry(cluster.clone()).or_default();
            if let Some(counts) = impact.get("counts").and_then(Value::as_object) {
                for (kind, n) in counts {
                    let sum = into.counts.get(kind).and_then(Value::as_u64).unwrap_or(0)
                        + n.as_u64().unwrap_or(0);
                    into.counts.insert(kind.clone(), json!(sum));
                }
            }
            into.applications.extend(
                array(&impact["applications"])
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string),
            );
            into.storage += u128::from(number(impact, "storageAtRiskBytes"));
        }
    }
    let mut out = Map::new();
    for (cluster, impact) in clusters {
        out.insert(
            cluster,
            json!({
                "counts": impact.counts,
                "applications": impact.applications,
                "storageAtRiskBytes": u64::try_from(impact.storage).unwrap_or(u64::MAX),
                "storageAtRisk": crate::diff::quantity::human(impact.storage),
            }),
        );
    }
    Value::Object(out)
}

impl Merged {
    /// `merge --unique`: drops each finding that says what one before it says at the same place
    /// (rule, severity, file, line, column, message and help; parts given the same files report
    /// their findings once per part, each on its own rendering of the object — a shared
    /// AppProject is every cluster's) and counts `errors`, `warnings` and `notes` again from what
    /// is left; the other counts stay sums. The first one kept keeps its object and related
    /// places. Returns how many were dropped.
    pub fn drop_repeated(&mut self) -> usize {
        let Some(list) = self.value["diagnostics"].as_array_mut() else {
            return 0;
        };
        let before = list.len();
        let mut seen = std::collections::HashSet::new();
        list.retain(|d| {
            seen.insert(
                [
                    "rule", "severity", "file", "line", "column", "message", "help",
                ]
                .map(|k| d.get(k).map(Value::to_string).unwrap_or_default()),
            )
        });
        let dropped = before - list.len();
        let count = |severity: &str| {
            list.iter()
                .filter(|d| text(d, "severity") == severity)
                .count()
        };
        let counts = [
            ("errors", count("error")),
            ("warnings", count("warning")),
            ("notes", count("note")),
        ];
        if let Some(summary) = self.value["summary"].as_object_mut() {
            for (key, n) in counts {
                if summary.contains_key(key) {
                    summary.insert(key.into(), json!(n));
                }
            }
        }
        if self.value.get("statistics").is_some() {
            self.add_statistics();
        }
        dropped
    }

    /// Sets `statistics` to the counts of the merged findings as they are now (after
    /// `--unique` too), right after `summary`, where a run writes it.
    pub fn add_statistics(&mut self) {
        let Value::Object(top) = &mut self.value else {
            return;
        };
        let statistics = statistics_of(array(top.get("diagnostics").unwrap_or(&Value::Null)));
        let mut out = Map::new();
        for (key, value) in std::mem::take(top) {
            if key == "statistics" {
                continue;
            }
            let summary = key == "summary";
            out.insert(key, value);
            if summary {
                out.insert("statistics".into(), statistics.clone());
            }
        }
        *top = out;
    }

    /// The merged report as `--format json` writes one.
    pub fn json(&self) -> String {
        super::json_text(&self.value)
    }

    /// The most severe finding, for the exit status.
    pub fn worst(&self) -> Option<crate::diagnostic::Severity> {
        array(&self.value["diagnostics"])
            .iter()
            .filter_map(|d| text(d, "severity").parse().ok())
            .max()
    }

    /// A plain listing for people: one finding a line (worst first, as the human report orders
    /// them), its help and related places indented, then the run's summary lines. No source
    /// snippets: the merged report holds no source text.
    pub fn human(&self) -> String {
        use crate::diagnostic::Severity;
        let mut ordered: Vec<&Value> = array(&self.value["diagnostics"]).iter().collect();
        ordered.sort_by_key(|d| {
            std::cmp::Reverse(
                text(d, "severity")
                    .parse::<Severity>()
                    .unwrap_or(Severity::Note),
            )
        });
        let mut out = String::new();
        for d in ordered {
            out.push_str(&format!(
                "{}: {}:{}:{}: {} [{}]\n",
                super::printable(text(d, "severity")),
                super::printable(text(d, "file")),
                number(d, "line"),
                number(d, "column"),
                super::printable(text(d, "message")),
                super::printable(text(d, "rule")),
            ));
            if !text(d, "help").is_empty() {
                out.push_str(&format!("  help: {}\n", super::printable(text(d, "help"))));
            }
            for r in array(&d["related"]) {
                out.push_str(&format!(
                    "  {}: {}:{}:{}\n",
                    super::printable(text(r, "message")),
                    super::printable(text(r, "file")),
                    number(r, "line"),
                    number(r, "column"),
                ));
            }
        }
        if !out.is_empty() {
            out.push('\n');
        }
        if self.value.get("statistics").is_some() {
            out.push_str(&super::statistics_text(&merged_statistics(array(
                &self.value["diagnostics"],
            ))));
        }
        let summary: super::Summary =
            serde_json::from_value(self.value["summary"].clone()).unwrap_or_default();
        if let Some(line) = super::applications_line(&summary) {
            out.push_str(&line);
            out.push('\n');
        }
        out.push_str(&super::summary_line(&summary));
        out.push('\n');
        out
    }
}

impl Merged {
    /// GitHub workflow annotations, one a finding, paths relative to `repository` as
    /// `--format github` writes them. Without the finding's end (the JSON report has none), each
    /// annotation marks its first line and column only.
    pub fn github(&self, repository: &super::Repository) -> String {
        use super::github::{command, workflow_command};
        use super::printable;
        let relative = |file: &str| {
            printable(
                &repository
                    .relative(file)
                    .unwrap_or_else(|| file.to_string()),
            )
            .into_owned()
        };
        array(&self.value["diagnostics"])
            .iter()
            .map(|d| {
                let severity = text(d, "severity")
                    .parse()
                    .unwrap_or(crate::diagnostic::Severity::Note);
                let props = [
                    ("file", relative(text(d, "file"))),
                    ("line", number(d, "line").to_string()),
                    ("col", number(d, "column").to_string()),
                    ("title", printable(text(d, "rule")).into_owned()),
                ];
                let mut message = printable(text(d, "message")).into_owned();
                if !text(d, "help").is_empty() {
                    message.push_str("\nhelp: ");
                    message.push_str(&printable(text(d, "help")));
                }
                for r in array(&d["related"]) {
                    message.push_str(&format!(
                        "\n{}: {}:{}:{}",
                        printable(text(r, "message")),
                        relative(text(r, "file")),
                        number(r, "line"),
                        number(r, "column")
                    ));
                }
                workflow_command(command(severity), &props, &message)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(diagnostics: Value, summary: Value) -> (String, String) {
        (
            "r.json".into(),
            json!({"version": 1, "summary": summary, "diagnostics": diagnostics}).to_string(),
        )
    }

    fn finding(file: &str, line: u64, rule: &str) -> Value {
        json!({"rule": rule, "severity": "error", "message": "m", "help": "",
               "file": file, "line": line, "column": 1, "related": []})
    }

    #[test]
    fn findings_interleave_by_position_and_keep_each_reports_order() {
        let a = report(
            json!([finding("a.yaml", 3, "x"), finding("c.yaml", 1, "x")]),
            json!({"errors": 2}),
        );
        let b = report(
            json!([finding("a.yaml", 3, "x"), finding("b.yaml", 9, "y")]),
            json!({"errors": 2}),
        );
        let merged = merge(&[a, b]).expect("merges");
        let order: Vec<(String, u64)> = array(&merged.value["diagnostics"])
            .iter()
            .map(|d| (text(d, "file").to_string(), number(d, "line")))
            .collect();
        assert_eq!(
            order,
            [
                ("a.yaml".to_string(), 3),
                ("a.yaml".to_string(), 3),
                ("b.yaml".to_string(), 9),
                ("c.yaml".to_string(), 1)
            ]
        );
        assert_eq!(merged.value["summary"]["errors"], 4);
    }

    #[test]
    fn maps_are_summed_per_key_and_sorted() {
        let a = report(json!([]), json!({"roots": {"b": 1, "c": 2}}));
        let b = report(json!([]), json!({"roots": {"a": 5, "c": 1}}));
        let merged = merge(&[a, b]).expect("merges");
        assert_eq!(
            merged.value["summary"]["roots"].to_string(),
            r#"{"a":5,"b":1,"c":3}"#
        );
    }

    // A part with no Argo CD objects says nothing about Applications: the merged flag is what a
    // run over every part would say, from the sums.
    #[test]
    fn no_application_checked_is_worked_out_from_the_sums() {
        let none_rendered = json!({"argocd_objects": 2, "applications_rendered": 0, "no_application_checked": true});
        let plain = json!({"argocd_objects": 0, "applications_rendered": 0, "no_application_checked": false});
        let rendered = json!({"argocd_objects": 1, "applications_rendered": 1, "no_application_checked": false});
        let flag = |parts: Vec<Value>| {
            let reports: Vec<_> = parts.into_iter().map(|s| report(json!([]), s)).collect();
            merge(&reports).expect("merges").value["summary"]["no_application_checked"].clone()
        };
        assert_eq!(
            flag(vec![none_rendered.clone(), none_rendered.clone()]),
            true
        );
        assert_eq!(flag(vec![none_rendered.clone(), plain.clone()]), true);
        assert_eq!(flag(vec![plain.clone(), plain]), false);
        assert_eq!(flag(vec![none_rendered, rendered]), false);
    }

    // Two parts given the same file report its finding twice; `--unique` keeps one and counts
    // the severities again, the other counts stay sums.
    #[test]
    fn drop_repeated_keeps_one_of_identical_findings_and_recounts() {
        let a = report(
            json!([finding("a.yaml", 2, "x"), finding("shared.yaml", 1, "x")]),
            json!({"errors": 2, "files": 2}),
        );
        // The same finding on another cluster's rendering of the shared object.
        let mut other = finding("shared.yaml", 1, "x");
        other["object"] = json!({"kind": "AppProject", "name": "p", "cluster": "prod"});
        let b = report(json!([other]), json!({"errors": 1, "files": 1}));
        let mut merged = merge(&[a, b]).expect("merges");
        assert_eq!(array(&merged.value["diagnostics"]).len(), 3);
        assert_eq!(merged.drop_repeated(), 1);
        let files: Vec<&str> = array(&merged.value["diagnostics"])
            .iter()
            .map(|d| text(d, "file"))
            .collect();
        assert_eq!(files, ["a.yaml", "shared.yaml"]);
        assert_eq!(merged.value["summary"]["errors"], 2);
        assert_eq!(merged.value["summary"]["files"], 3);
    }

    fn with_statistics(diagnostics: Value) -> (String, String) {
        let statistics = statistics_of(array(&diagnostics));
        (
            "r.json".into(),
            json!({"version": 1, "summary": {}, "statistics": statistics, "diagnostics": diagnostics})
                .to_string(),
        )
    }

    // Merged statistics are the statistics of the merged findings: not the inputs' lists side
    // by side, and after `--unique` the counts of what is left.
    #[test]
    fn merged_statistics_are_the_statistics_of_the_merged_findings() {
        let mut warning = finding("b.yaml", 1, "y");
        warning["severity"] = json!("warning");
        let a = with_statistics(json!([finding("a.yaml", 1, "x"), warning.clone()]));
        let b = with_statistics(json!([
            finding("a.yaml", 1, "x"),
            finding("c.yaml", 2, "x")
        ]));
        let mut merged = merge(&[a, b]).expect("merges");
        let keys: Vec<&String> = merged
            .value
            .as_object()
            .expect("an object")
            .keys()
            .collect();
        assert_eq!(keys, ["version", "summary", "statistics", "diagnostics"]);
        let expected = |m: &Merged| statistics_of(array(&m.value["diagnostics"]));
        assert_eq!(merged.value["statistics"], expected(&merged));
        assert_eq!(
            merged.value["statistics"],
            json!([{"rule": "x", "severity": "error", "count": 3},
                   {"rule": "y", "severity": "warning", "count": 1}])
        );
        assert_eq!(merged.drop_repeated(), 1);
        assert_eq!(merged.value["statistics"], expected(&merged));
        assert_eq!(merged.value["statistics"][0]["count"], 2);
        assert!(
            merged
                .human()
                .contains("Findings by rule:\n  2  error    x\n  1  warning  y\n")
        );
    }

    // Without `--statistics` in any input, the merged report has none until asked for, and then
    // in the place a run writes it.
    #[test]
    fn statistics_are_added_on_request_after_the_summary() {
        let a = report(json!([finding("a.yaml", 1, "x")]), json!({"errors": 1}));
        let mut merged = merge(&[a]).expect("merges");
        assert!(merged.value.get("statistics").is_none());
        merged.add_statistics();
        let keys: Vec<&String> = merged
            .value
            .as_object()
            .expect("an object")
            .keys()
            .collect();
        assert_eq!(keys, ["version", "summary", "statistics", "diagnostics"]);
        assert_eq!(merged.value["statistics"][0]["count"], 1);
    }

    #[test]
    fn statistics_that_are_not_a_list_are_refused() {
        let text = json!({"version": 1, "summary": {}, "statistics": {}, "diagnostics": []});
        assert!(matches!(
            merge(&[("r.json".into(), text.to_string())]),
            Err(MergeError::NotAReport { .. })
        ));
    }

    #[test]
    fn a_summary_field_that_is_not_a_count_is_refused() {
        let a = report(json!([]), json!({"files": "3"}));
        assert!(matches!(merge(&[a]), Err(MergeError::NotAReport { .. })));
    }
}
