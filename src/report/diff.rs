//! `diff` reports: the blast radius per cluster first, then each Application's changes with
//! their unified diffs, then the destructive findings (as every other report shows findings);
//! in Markdown, a pull request comment read top down and cut at a size limit, the findings come
//! before the change lists.
//! Human and Markdown for people, JSON (version 1, with `changes` and `blast_radius`) for tools.
//! Names are shown through [`printable`] and diff bodies through [`printable_lines`]: both come
//! from the repositories being compared.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::diff::{
    ChangeKind, ChangeSet, ClusterImpact, ConfigOrigin, ConfigSource, blast_radius, quantity,
};

use super::{Report, printable, printable_lines};

fn count(impact: &ClusterImpact, kind: ChangeKind) -> usize {
    impact.counts.get(&kind).copied().unwrap_or(0)
}

/// "No object changes", said of what could be compared.
fn no_changes(set: &ChangeSet) -> String {
    if set.unrendered.is_empty() {
        "No object changes.".into()
    } else {
        format!(
            "No object changes among the sources that could be rendered; {} changed source{} could not be rendered (below).",
            set.unrendered.len(),
            if set.unrendered.len() == 1 { "" } else { "s" }
        )
    }
}

/// Where an unrendered source is written, as `file:line`.
fn unrendered_at(set: &ChangeSet, u: &crate::diff::unrendered::Unrendered) -> (String, usize) {
    let f = set.inventory.sources.get(u.location.file);
    (f.display.clone(), f.line_col(u.location.span.start).line)
}

/// The human section on sources whose changes could not be seen.
fn unrendered_human(set: &ChangeSet) -> String {
    if set.unrendered.is_empty() {
        return String::new();
    }
    let mut out =
        String::from("\nChanged but not rendered (their object changes are not shown):\n");
    for u in &set.unrendered {
        let (file, line) = unrendered_at(set, u);
        let _ = writeln!(
            out,
            "  {} at {}:{line} — not rendered on the {}: {}",
            printable(&u.source),
            printable(&file),
            u.sides.as_str(),
            printable(&u.reason)
        );
    }
    out
}

/// The blast radius as a fixed-width table.
fn blast_table(radius: &BTreeMap<String, ClusterImpact>, set: &ChangeSet) -> String {
    if radius.is_empty() {
        return format!("{}\n", no_changes(set));
    }
    let mut rows = vec![vec![
        "cluster".to_string(),
        "created".into(),
        "modified".into(),
        "recreated".into(),
        "renamed".into(),
        "deleted".into(),
        "orphaned".into(),
        "storage at risk".into(),
        "applications".into(),
    ]];
    for (cluster, impact) in radius {
        let mut row = vec![printable(cluster).into_owned()];
        row.extend(
            ChangeKind::ALL
                .iter()
                .map(|k| count(impact, *k).to_string()),
        );
        row.push(quantity::human(impact.storage_at_risk));
        row.push(
            impact
                .applications
                .iter()
                .map(|a| printable(a))
                .collect::<Vec<_>>()
                .join(", "),
        );
        rows.push(row);
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:w$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

fn colored_diff(diff: &str, color: bool) -> String {
    let diff = printable_lines(diff);
    if !color {
        return diff.into_owned();
    }
    diff.lines()
        .map(|l| {
            if l.starts_with("+++") || l.starts_with("---") {
                format!("\x1b[1m{l}\x1b[0m\n")
            } else if l.starts_with('+') {
                format!("\x1b[32m{l}\x1b[0m\n")
            } else if l.starts_with('-') {
                format!("\x1b[31m{l}\x1b[0m\n")
            } else if l.starts_with("@@") {
                format!("\x1b[36m{l}\x1b[0m\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect()
}

fn app_label(app: Option<&String>, unowned: bool) -> String {
    match app {
        Some(a) => format!("Application `{}`", printable(a)),
        None if unowned => {
            "Files no Application deploys (Argo CD applies none of these changes)".to_string()
        }
        None => "Objects outside any Application".to_string(),
    }
}

/// The group of changes: cluster, Application, and whether no Application deploys them.
type Group = (String, Option<String>, bool);

/// Changes grouped by (cluster, Application), in the change set's order; changes to files no
/// Application deploys apart.
fn grouped(set: &ChangeSet) -> BTreeMap<Group, Vec<&crate::diff::Change>> {
    let mut groups: BTreeMap<Group, Vec<&crate::diff::Change>> = BTreeMap::new();
    for c in &set.changes {
        groups
            .entry((c.id.cluster.clone(), c.application.clone(), c.unowned))
            .or_default()
            .push(c);
    }
    groups
}

/// `also rendered by …`, when other sources render the same object.
fn shared_note(c: &crate::diff::Change) -> Option<String> {
    (!c.shared_with.is_empty()).then(|| {
        format!(
            "shared: also rendered by {} — each is compared on its own; on the cluster, the last one applied wins",
            c.shared_with.join(", ")
        )
    })
}

pub fn human(
    set: &ChangeSet,
    report: &Report<'_>,
    options: &super::Options,
    show_diff: bool,
) -> String {
    let color = options.color;
    let radius = blast_radius(set);
    let mut out = String::new();
    if let Some(note) = set.config.note() {
        let _ = writeln!(out, "note: {}\n", printable(&note));
    }
    let _ = write!(
        out,
        "Blast radius (base {} → head)\n\n",
        printable(&set.base_label)
    );
    out.push_str(&blast_table(&radius, set));
    out.push_str(&unrendered_human(set));
    for ((cluster, app, unowned), changes) in grouped(set) {
        let _ = writeln!(
            out,
            "\n{} on `{}`",
            app_label(app.as_ref(), unowned),
            printable(&cluster)
        );
        for c in changes {
            let renamed = c
                .renamed_from
                .as_ref()
                .map(|f| {
                    let from = if f.namespace == c.id.namespace {
                        f.name.clone()
                    } else {
                        format!("{}/{}", f.namespace, f.name)
                    };
                    format!(" (from `{}`)", printable(&from))
                })
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {:9} {}{renamed}: {}",
                c.kind.as_str(),
                printable(&c.id.short()),
                printable(&c.effect)
            );
            if let Some(note) = shared_note(c) {
                let _ = writeln!(out, "            {}", printable(&note));
            }
            if show_diff && let Some(diff) = &c.diff {
                for line in colored_diff(diff, color).lines() {
                    let _ = writeln!(out, "      {line}");
                }
            }
        }
    }
    out.push('\n');
    out.push_str(&super::human::render(report, options));
    out
}

/// `--format concise` of a diff: the config note when there is one, one line a finding, the
/// blast radius table (the diff's own summary: a line per cluster), then the summary lines. The
/// per-Application change lists are the human report's.
pub fn concise(set: &ChangeSet, report: &Report<'_>, options: &super::Options) -> String {
    let mut out = String::new();
    if let Some(note) = set.config.note() {
        let _ = writeln!(out, "note: {}\n", printable(&note));
    }
    out.push_str(&super::concise::findings(report));
    if !report.diagnostics.is_empty() {
        out.push('\n');
    }
    let _ = write!(
        out,
        "Blast radius (base {} → head)\n\n",
        printable(&set.base_label)
    );
    out.push_str(&blast_table(&blast_radius(set), set));
    out.push_str(&unrendered_human(set));
    out.push('\n');
    out.push_str(&super::concise::summary(report, options));
    out
}

fn change_json(set: &ChangeSet, c: &crate::diff::Change) -> Value {
    let side = |idx: Option<crate::model::ObjectIdx>| {
        idx.map(|i| {
            let o = set.inventory.object(i);
            let f = set.inventory.sources.get(o.location().file);
            json!({
                "file": f.display,
                "line": f.line_col(o.location().span.start).line,
            })
        })
    };
    let mut v = json!({
        "kind": c.kind.as_str(),
        "cluster": c.id.cluster,
        "group": c.id.group,
        "objectKind": c.id.kind,
        "namespace": c.id.namespace,
        "name": c.id.name,
        "application": c.application,
        "effect": c.effect,
        "takesEffect": c.takes_effect,
        "storageAtRiskBytes": c.storage_at_risk,
        "base": side(c.base),
        "head": side(c.head),
    });
    if let Some(from) = &c.renamed_from {
        v["renamedFrom"] = json!(from.name);
        if from.namespace != c.id.namespace {
            v["renamedFromNamespace"] = json!(from.namespace);
        }
    }
    if !c.shared_with.is_empty() {
        v["sharedWith"] = json!(c.shared_with);
    }
    if c.unowned {
        v["unowned"] = json!(true);
    }
    if !c.immutable.is_empty() {
        v["immutableFields"] = c
            .immutable
            .iter()
            .map(|f| json!({"field": f.field, "before": f.before, "after": f.after}))
            .collect();
    }
    if let Some(d) = &c.diff {
        v["diff"] = json!(d);
    }
    v
}

pub fn blast_json(set: &ChangeSet) -> Value {
    let radius = blast_radius(set);
    let mut out = serde_json::Map::new();
    for (cluster, impact) in radius {
        let mut counts = serde_json::Map::new();
        for k in ChangeKind::ALL {
            counts.insert(k.as_str().to_string(), json!(count(&impact, k)));
        }
        out.insert(
            cluster,
            json!({
                "counts": counts,
                "applications": impact.applications,
                "storageAtRiskBytes": impact.storage_at_risk,
                "storageAtRisk": quantity::human(impact.storage_at_risk),
            }),
        );
    }
    Value::Object(out)
}

/// Which configuration the diff ran with: `from` is `base`, `flag` (`--config`) or `defaults`;
/// `headDiffers` says the head adds, changes or removes `.manifest-guard.yaml` (not applied).
fn config_json(source: &ConfigSource) -> Value {
    let from = match source.origin {
        ConfigOrigin::Defaults => "defaults",
        ConfigOrigin::Base(_) => "base",
        ConfigOrigin::Flag(_) => "flag",
    };
    json!({"from": from, "file": source.file(), "headDiffers": source.head_differs})
}

pub fn json(set: &ChangeSet, report: &Report<'_>, options: &super::Options) -> String {
    let diagnostics: Vec<Value> = report
        .diagnostics
        .iter()
        .map(|d| super::json::diagnostic_json(report, d))
        .collect();
    let mut out = json!({
        "version": super::json::VERSION,
        "base": set.base_label,
        "config": config_json(&set.config),
        "summary": report.summary(),
    });
    if options.statistics {
        out["statistics"] = super::statistics_json(&super::report_statistics(report));
    }
    let rest = json!({
        "diagnostics": diagnostics,
        "changes": set.changes.iter().map(|c| change_json(set, c)).collect::<Vec<_>>(),
        "unrendered": set.unrendered.iter().map(|u| {
            let (file, line) = unrendered_at(set, u);
            json!({
                "source": u.source,
                "application": u.application,
                "notRenderedOn": match u.sides {
                    crate::diff::unrendered::Sides::Base => "base",
                    crate::diff::unrendered::Sides::Head => "head",
                    crate::diff::unrendered::Sides::Both => "both",
                },
                "reason": u.reason,
                "file": file,
                "line": line,
            })
        }).collect::<Vec<_>>(),
        "blast_radius": blast_json(set),
    });
    if let (Value::Object(out), Value::Object(rest)) = (&mut out, rest) {
        out.extend(rest);
    }
    super::json_text(&out)
}

/// A code fence longer than any run of backticks in `text`, so a diff cannot close it.
pub(crate) fn fence(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The Markdown report of a diff: a verdict, the blast radius table, the findings, the sources
/// that could not be rendered, then each Application's changes in `<details>` with their diffs;
/// within the comment size limit.
pub fn markdown(
    set: &ChangeSet,
    report: &Report<'_>,
    options: &super::Options,
    limit: usize,
) -> String {
    use super::markdown::{Document, Section, escape_cell, escape_text, findings, verdict};
    let radius = blast_radius(set);
    let blast = Section {
        heading: format!("Blast radius (base `{}` → head)", printable(&set.base_label).replace('`', "'")),
        head: "| cluster | created | modified | recreated | renamed | deleted | orphaned | storage at risk | applications |\n|---|---:|---:|---:|---:|---:|---:|---:|---|\n".into(),
        items: radius
            .iter()
            .map(|(cluster, impact)| {
                let counts: Vec<String> = ChangeKind::ALL.iter().map(|k| count(impact, *k).to_string()).collect();
                format!(
                    "| {} | {} | {} | {} |\n",
                    escape_text(cluster),
                    counts.join(" | "),
                    quantity::human(impact.storage_at_risk),
                    impact.applications.iter().map(|a| escape_text(a)).collect::<Vec<_>>().join(", ")
                )
            })
            .collect(),
        empty: no_changes(set),
        noun: ("cluster", "clusters"),
    };
    let unrendered = Section {
        heading: "Changed but not rendered".into(),
        head: "Their object changes are not shown.\n\n| source | not rendered on | why | where |\n|---|---|---|---|\n".into(),
        items: set
            .unrendered
            .iter()
            .map(|u| {
                let (file, line) = unrendered_at(set, u);
                format!(
                    "| {} | {} | {} | {} |\n",
                    escape_cell(&u.source),
                    u.sides.as_str(),
                    escape_cell(&u.reason),
                    escape_cell(&format!("{file}:{line}"))
                )
            })
            .collect(),
        empty: String::new(),
        noun: ("source", "sources"),
    };
    let changes = Section {
        heading: "Changes".into(),
        head: String::new(),
        items: grouped(set)
            .into_iter()
            .map(|((cluster, app, unowned), changes)| {
                let mut item = format!(
                    "<details><summary>{} on <code>{}</code>: {} change{}</summary>\n\n",
                    html_escape(&app_label(app.as_ref(), unowned).replace('`', "")),
                    html_escape(&printable(&cluster)),
                    changes.len(),
                    if changes.len() == 1 { "" } else { "s" }
                );
                for c in changes {
                    let _ = writeln!(
                        item,
                        "- **{}** {} — {}",
                        c.kind.as_str(),
                        escape_cell(&c.id.short()),
                        escape_cell(&c.effect)
                    );
                    if let Some(note) = shared_note(c) {
                        let _ = writeln!(item, "  - {}", escape_cell(&note));
                    }
                    if let Some(d) = &c.diff {
                        let mut d = printable_lines(d).into_owned();
                        if !d.ends_with('\n') {
                            d.push('\n');
                        }
                        let f = fence(&d);
                        let _ = writeln!(item, "\n{f}diff\n{d}{f}\n");
                    }
                }
                item.push_str("\n</details>\n");
                item
            })
            .collect(),
        empty: String::new(),
        noun: ("Application's changes", "Applications' changes"),
    };
    Document {
        title: "manifest-guard diff".into(),
        verdict: match set.config.note() {
            Some(note) => format!(
                "{}\n\n> **Note:** {}",
                verdict(&report.summary(), options.fail_on),
                escape_cell(&note)
            ),
            None => verdict(&report.summary(), options.fail_on),
        },
        // What a reviewer decides on comes first, and is the last to be cut at the comment
        // size limit: the blast radius and the findings; then what could not be seen, then
        // each Application's change list, the longest part.
        sections: vec![blast, findings(report, options), unrendered, changes],
    }
    .render(limit)
}
