//! Reports: turn findings into text for people (human), for tools (JSON), for code scanning
//! (SARIF), for a CI log (GitHub annotations) and for a pull request (Markdown). Every format
//! reads the same `Report`; none of them prints (main does).
//!
//! Names, keys, file names and tool messages come from the repository being checked, which is
//! hostile: every format passes them through [`printable`] (or [`printable_lines`] for a block
//! that spans lines), so they cannot move a terminal's cursor, reorder text or start a line of
//! their own in a CI log. JSON keeps the exact text but escapes the same characters.

pub mod concise;
pub mod diff;
pub mod fix;
pub mod github;
pub mod human;
pub mod inventory;
pub mod json;
pub mod markdown;
pub mod merge;
pub mod sarif;

use std::collections::{BTreeMap, HashSet};
use std::path::{Component, Path, PathBuf};

use crate::diagnostic::{Diagnostic, Severity};
use crate::load::{LineCol, Location};
use crate::model::Inventory;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Each finding with its source snippet, labels and help, then the summary lines.
    Human,
    /// One line a finding, `file:line:col: severity[rule] message`, then the summary lines.
    Concise,
    /// The stable machine format (`"version": 1`).
    Json,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// GitHub Actions workflow annotations.
    Github,
    /// A pull request comment or job summary.
    Markdown,
}

/// What a format needs besides the findings.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Colour in human output.
    pub color: bool,
    /// `--fail-on`: the Markdown verdict says whether the run fails.
    pub fail_on: Option<Severity>,
    pub repository: Repository,
    /// `https://github.com/OWNER/REPO/blob/SHA`: when set, Markdown links each finding to its line.
    pub blob_url: Option<String>,
    /// `--statistics`: human and concise reports end with a count per rule and severity, JSON
    /// has a `statistics` array.
    pub statistics: bool,
}

/// Where the repository root is, so that SARIF, annotations and Markdown name files relative to
/// it (code scanning and the pull request view resolve paths from the root, not from wherever
/// the tool was run).
#[derive(Debug, Clone, Default)]
pub struct Repository {
    /// Absolute root: the nearest ancestor of the working directory holding `.git`, else the
    /// working directory.
    pub root: PathBuf,
    /// The working directory relative to the root, `/`-separated, empty at the root.
    pub cwd_prefix: String,
}

impl Repository {
    /// Finds the repository that holds `cwd` (an absolute path).
    pub fn discover(cwd: &Path) -> Self {
        let root = cwd
            .ancestors()
            .find(|dir| dir.join(".git").exists())
            .unwrap_or(cwd)
            .to_path_buf();
        let cwd_prefix = cwd
            .strip_prefix(&root)
            .map(crate::load::slash_path)
            .unwrap_or_default();
        Repository { root, cwd_prefix }
    }

    /// A displayed path (relative to the working directory, or absolute) as a `/`-separated path
    /// relative to the repository root; `None` when the file is outside the repository.
    pub fn relative(&self, display: &str) -> Option<String> {
        let path = Path::new(display);
        let joined = if path.is_absolute() {
            path.strip_prefix(&self.root).ok()?.to_path_buf()
        } else {
            Path::new(&self.cwd_prefix).join(path)
        };
        let mut parts: Vec<String> = Vec::new();
        for c in joined.components() {
            match c {
                Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
                Component::CurDir => {}
                Component::ParentDir => {
                    parts.pop()?;
                }
                Component::RootDir | Component::Prefix(_) => return None,
            }
        }
        Some(parts.join("/"))
    }
}

pub use crate::text::{
    PrintableText, escape_json_unsafe, is_unsafe_char, json_text, printable, printable_lines,
};

/// Percent-encodes a `/`-separated path for use in a URI.
pub fn uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The rule's document in the repository: SARIF `helpUri`, Markdown links.
pub fn rule_url(id: &str) -> String {
    format!(
        "{}/blob/main/rules/{id}.md",
        env!("CARGO_PKG_REPOSITORY").trim_end_matches('/')
    )
}

/// Everything a report needs.
pub struct Report<'a> {
    pub inventory: &'a Inventory,
    pub diagnostics: &'a [Diagnostic],
    /// Findings a suppression silenced (counted, not shown).
    pub suppressed: &'a [crate::diagnostic::suppression::Suppressed],
}

/// Counts shown at the end of every report. JSON version 1 readers know the first six fields;
/// the rest say what was and was not checked.
///
/// Read back by `merge` (which needs the counts, not where each file went: `file_counts` is not
/// read).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Summary {
    pub files: usize,
    pub objects: usize,
    pub applications: usize,
    pub errors: usize,
    pub warnings: usize,
    pub notes: usize,
    /// Applications whose every source was rendered (or read).
    pub applications_rendered: usize,
    /// Applications with a source that was not rendered; their objects are not all checked.
    pub applications_not_rendered: usize,
    /// `applications_not_rendered` by cause (`not available offline`, `render failed`, …); an
    /// Application is counted under the cause of its first note.
    pub not_rendered_by_cause: BTreeMap<String, usize>,
    /// ApplicationSet objects in the tree (written, or rendered by an Application).
    pub applicationsets: usize,
    /// Applications generated by ApplicationSets (part of `applications`).
    pub generated_applications: usize,
    /// Argo CD objects (Applications, ApplicationSets, AppProjects) in the tree.
    pub argocd_objects: usize,
    /// The tree holds Argo CD objects, but not one Application was rendered: nothing they
    /// deploy was checked.
    pub no_application_checked: bool,
    /// The roots applied by hand (a chart or kustomization no Application renders, whose render
    /// holds Applications), each with how many Applications descend from it, by name.
    pub roots: BTreeMap<String, usize>,
    /// Findings silenced by a `manifest-guard: ignore` comment or the `manifest-guard.dev/ignore`
    /// annotation, by rule: not shown, never invisible.
    pub suppressed: BTreeMap<String, usize>,
    /// Where every file the walk met went (parsed, read only by a render, or skipped and why):
    /// `seen` is the sum of the rest. For `diff`, the head's.
    #[serde(skip_deserializing)]
    pub file_counts: crate::load::FileCounts,
}

impl Report<'_> {
    pub fn summary(&self) -> Summary {
        let count = |s: Severity| self.diagnostics.iter().filter(|d| d.severity == s).count();
        // A diff's inventory also holds the base revision: count the head's own.
        let (files, objects) = match self.inventory.own {
            Some(own) => (own.files, own.objects),
            None => (self.inventory.sources.len(), self.inventory.objects.len()),
        };
        let inventory = self.inventory;
        let mut not_rendered: BTreeMap<String, usize> = BTreeMap::new();
        let mut unrendered: HashSet<crate::model::AppIdx> = HashSet::new();
        for note in &inventory.notes {
            if let (Some(app), Some(cause)) = (note.app, note.cause())
                && unrendered.insert(app)
            {
                *not_rendered.entry(cause.to_string()).or_default() += 1;
            }
        }
        // Each object written once, though two Applications may read its file. Argo CD's
        // objects are found on every core (a read of each object, most of them not Argo CD's),
        // then each place counted once: sorted by place, the kind of a place's first object.
        let own_objects = inventory.own.map_or(inventory.objects.len(), |o| o.objects);
        let mut argo: Vec<_> = {
            use rayon::prelude::*;
            inventory.objects[..own_objects.min(inventory.objects.len())]
                .par_iter()
                .filter(|o| o.id.group == "argoproj.io")
                .map(|o| {
                    let kind = match o.id.kind.as_str() {
                        "ApplicationSet" => 2u8,
                        "Application" | "AppProject" => 1,
                        _ => 0,
                    };
                    ((o.file, o.doc_index, o.list_item), kind)
                })
                .collect()
        };
        // Stable: the first object of a place (in object order) is the one counted.
        argo.sort_by_key(|(place, _)| *place);
        argo.dedup_by_key(|(place, _)| *place);
        let applicationsets = argo.iter().filter(|(_, k)| *k == 2).count();
        let argocd_objects = argo.iter().filter(|(_, k)| *k > 0).count();
        let applications = inventory.applications.len();
        let applications_rendered = applications - unrendered.len().min(applications);
        Summary {
            files,
            objects,
            applications,
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
            notes: count(Severity::Note),
            applications_rendered,
            applications_not_rendered: applications - applications_rendered,
            not_rendered_by_cause: not_rendered,
            applicationsets,
            generated_applications: inventory
                .applications
                .iter()
                .filter(|a| a.origin.generator.is_some())
                .count(),
            argocd_objects,
            no_application_checked: argocd_objects > 0 && applications_rendered == 0,
            roots: inventory
                .applications
                .iter()
                .filter_map(|a| a.origin.root.clone())
                .fold(BTreeMap::new(), |mut roots, root| {
                    *roots.entry(root).or_default() += 1;
                    roots
                }),
            suppressed: self.suppressed.iter().fold(BTreeMap::new(), |mut by, s| {
                *by.entry(s.diagnostic.rule.to_string()).or_default() += 1;
                by
            }),
            file_counts: inventory.sources.counts,
        }
    }

    /// The file path, 1-based line and column of a location.
    pub fn position(&self, loc: Location) -> (&str, usize, usize) {
        let file = self.inventory.sources.get(loc.file);
        let lc = file.line_col(loc.span.start);
        (&file.display, lc.line, lc.column)
    }

    /// The region a location covers: its first character and the position just after its last
    /// (1-based lines, columns in characters).
    pub fn region(&self, loc: Location) -> (LineCol, LineCol) {
        (
            self.inventory.sources.line_col(loc),
            self.inventory.sources.end_line_col(loc),
        )
    }
}

pub fn render(format: Format, report: &Report<'_>, options: &Options) -> String {
    match format {
        Format::Human => human::render(report, options),
        Format::Concise => concise::render(report, options),
        Format::Json => json::render(report, options),
        Format::Sarif => sarif::render(report, &options.repository),
        Format::Github => github::render(report, &options.repository),
        Format::Markdown => markdown::render(report, options),
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// What was checked of Argo CD, when the tree holds any of it: Applications found, rendered and
/// not (by cause), ApplicationSets and what they generated; and, plainly, when nothing an
/// Application deploys was checked.
pub fn applications_line(s: &Summary) -> Option<String> {
    if s.argocd_objects == 0 && s.applications == 0 {
        return None;
    }
    let mut line = format!("Applications: {} found", s.applications);
    if s.applicationsets > 0 || s.generated_applications > 0 {
        line.push_str(&format!(
            " ({} generated by {})",
            s.generated_applications,
            plural(s.applicationsets, "ApplicationSet", "ApplicationSets")
        ));
    }
    line.push_str(&format!(", {} rendered", s.applications_rendered));
    if s.applications_not_rendered > 0 {
        let causes: Vec<String> = s
            .not_rendered_by_cause
            .iter()
            .map(|(cause, n)| format!("{n} {cause}"))
            .collect();
        line.push_str(&format!(
            ", {} not rendered ({})",
            s.applications_not_rendered,
            causes.join(", ")
        ));
    }
    if !s.roots.is_empty() {
        let roots = crate::diagnostic::first_few(
            s.roots
                .iter()
                .map(|(root, n)| format!("{root} ({})", plural(*n, "Application", "Applications"))),
            5,
        );
        line.push_str(&format!(
            "\nroots applied by hand (no Application in the repository renders them): {roots}"
        ));
    }
    if s.no_application_checked {
        line.push_str(if s.applications == 0 {
            "\nno Application was checked: the repository holds Argo CD objects, but none of them became an Application here, so nothing they deploy was checked"
        } else {
            "\nno Application was checked: the repository holds Argo CD objects, but none of its Applications could be rendered, so nothing they deploy was checked"
        });
    }
    Some(line)
}

/// One line: what was checked and what was found.
pub fn summary_line(s: &Summary) -> String {
    let checked = format!(
        "{} ({}, {})",
        plural(s.files, "file", "files"),
        plural(s.objects, "object", "objects"),
        plural(s.applications, "Application", "Applications")
    );
    let suppressed: usize = s.suppressed.values().sum();
    let silenced = if suppressed == 0 {
        String::new()
    } else {
        let rules: Vec<String> = s
            .suppressed
            .iter()
            .map(|(rule, n)| format!("{n} {rule}"))
            .collect();
        format!(
            "; {} suppressed by comments or annotations ({})",
            plural(suppressed, "finding", "findings"),
            crate::diagnostic::first_few(rules.into_iter(), 5)
        )
    };
    if s.errors + s.warnings + s.notes == 0 {
        return format!("no findings in {checked}{silenced}");
    }
    format!(
        "{}, {}, {} in {checked}{silenced}",
        plural(s.errors, "error", "errors"),
        plural(s.warnings, "warning", "warnings"),
        plural(s.notes, "note", "notes"),
    )
}

/// How many findings one rule reported at one severity (`--statistics`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statistic {
    pub rule: String,
    pub severity: Severity,
    pub count: usize,
}

/// Findings counted per (rule, severity): most frequent first, ties by rule id, then the worse
/// severity first — one order for every format and for `merge`, which counts its merged findings
/// with the same function.
pub fn statistics<'a>(findings: impl Iterator<Item = (&'a str, Severity)>) -> Vec<Statistic> {
    let mut counts: BTreeMap<(&str, std::cmp::Reverse<Severity>), usize> = BTreeMap::new();
    for (rule, severity) in findings {
        *counts
            .entry((rule, std::cmp::Reverse(severity)))
            .or_default() += 1;
    }
    let mut list: Vec<Statistic> = counts
        .into_iter()
        .map(|((rule, severity), count)| Statistic {
            rule: rule.to_string(),
            severity: severity.0,
            count,
        })
        .collect();
    // Stable: equal counts keep the map's (rule, worse severity first) order.
    list.sort_by_key(|s| std::cmp::Reverse(s.count));
    list
}

/// The statistics of a run's findings.
pub fn report_statistics(report: &Report<'_>) -> Vec<Statistic> {
    statistics(report.diagnostics.iter().map(|d| (d.rule, d.severity)))
}

/// `--statistics` in JSON: `[{"rule", "severity", "count"}]`.
pub fn statistics_json(list: &[Statistic]) -> serde_json::Value {
    list.iter()
        .map(|s| serde_json::json!({"rule": s.rule, "severity": s.severity.as_str(), "count": s.count}))
        .collect()
}

/// `--statistics` for people: a heading and one aligned line per (rule, severity), count first;
/// empty when there is no finding. Rule ids come from `merge`'s input too: made printable.
pub fn statistics_text(list: &[Statistic]) -> String {
    if list.is_empty() {
        return String::new();
    }
    let width = list
        .iter()
        .map(|s| s.count.to_string().len())
        .max()
        .unwrap_or(1);
    let mut out = String::from("Findings by rule:\n");
    for s in list {
        out.push_str(&format!(
            "  {:>width$}  {:7}  {}\n",
            s.count,
            s.severity.as_str(),
            printable(&s.rule)
        ));
    }
    out
}

/// A human report longer than this many lines is hard to scan on a terminal.
pub const LONG_REPORT_LINES: usize = 300;

/// The last line of a human report of `lines` lines printed to a terminal (`on_terminal`: stdout
/// is one, and not a CI log) when it is long: that `--format concise` and `--statistics` exist
/// (the latter unless it is on). `None` for a short report and for a file or a pipe, whose
/// readers are tools or already chose their format.
pub fn long_report_hint(lines: usize, on_terminal: bool, statistics: bool) -> Option<String> {
    if !on_terminal || lines <= LONG_REPORT_LINES {
        return None;
    }
    Some(if statistics {
        format!(
            "hint: this report is {lines} lines long; `--format concise` shows one line per finding"
        )
    } else {
        format!(
            "hint: this report is {lines} lines long; `--format concise` shows one line per finding, `--statistics` a count per rule"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    fn stat(rule: &str, severity: Severity, count: usize) -> Statistic {
        Statistic {
            rule: rule.into(),
            severity,
            count,
        }
    }

    #[test]
    fn statistics_most_frequent_first_ties_by_rule_then_worse_severity() {
        use Severity::{Error, Note, Warning};
        let findings = [
            ("b-rule", Warning),
            ("a-rule", Note),
            ("c-rule", Error),
            ("b-rule", Warning),
            ("a-rule", Error),
            ("c-rule", Error),
            ("d-rule", Note),
        ];
        assert_eq!(
            statistics(findings.into_iter()),
            [
                stat("b-rule", Warning, 2),
                stat("c-rule", Error, 2),
                stat("a-rule", Error, 1),
                stat("a-rule", Note, 1),
                stat("d-rule", Note, 1),
            ]
        );
        assert_eq!(
            statistics_text(&statistics(findings.into_iter())),
            "Findings by rule:\n  2  warning  b-rule\n  2  error    c-rule\n  1  error    a-rule\n  1  note     a-rule\n  1  note     d-rule\n"
        );
        assert_eq!(statistics_text(&[]), "");
    }

    // The hint is for a person reading a long report on a terminal: never a file, a pipe or a
    // CI log (the caller passes `on_terminal` false for those), never a short report.
    #[test]
    fn the_long_report_hint_is_for_long_reports_on_a_terminal_only() {
        assert_eq!(long_report_hint(LONG_REPORT_LINES, true, false), None);
        assert_eq!(long_report_hint(10_000, false, false), None);
        let hint = long_report_hint(LONG_REPORT_LINES + 1, true, false).expect("a hint");
        assert!(
            hint.contains("--format concise") && hint.contains("--statistics"),
            "{hint}"
        );
        assert!(!hint.contains('\n'), "one line: {hint}");
        let hint = long_report_hint(2_367, true, true).expect("a hint");
        assert!(
            hint.contains("--format concise") && !hint.contains("--statistics"),
            "{hint}"
        );
    }

    #[test]
    fn printable_escapes_every_control_and_bidi_character() {
        assert_eq!(printable("plain `name` é 名"), "plain `name` é 名");
        assert!(matches!(printable("plain"), Cow::Borrowed(_)));
        assert_eq!(
            printable("a\n::error file=x::pwned\r\t\u{1b}[31m\u{7f}\u{9b}\u{85}"),
            "a\\n::error file=x::pwned\\r\\t\\u{1b}[31m\\u{7f}\\u{9b}\\u{85}"
        );
        assert_eq!(
            printable("\u{2028}\u{2029}\u{202a}\u{202e}\u{2066}\u{2069}\u{200f}"),
            "\\u{2028}\\u{2029}\\u{202a}\\u{202e}\\u{2066}\\u{2069}\\u{200f}"
        );
        // Joiners and other format characters that are not bidi controls stay: emoji use them.
        assert_eq!(printable("👩\u{200d}💻"), "👩\u{200d}💻");
    }

    #[test]
    fn printable_lines_keeps_line_breaks_tabs_and_crlf_only() {
        assert!(matches!(printable_lines("a\n\tb\r\nc\n"), Cow::Borrowed(_)));
        assert_eq!(
            printable_lines("a\rb\n\u{1b}]0;title\u{7}\n\u{202e}x\r"),
            "a\\rb\n\\u{1b}]0;title\\u{7}\n\\u{202e}x\\r"
        );
    }

    #[test]
    fn spans_move_past_the_escapes_before_them() {
        let original = "a\u{1b}b\u{202e}c\nd";
        let p = PrintableText::new(original).expect("escaped");
        assert_eq!(p.text, "a\\u{1b}b\\u{202e}c\nd");
        let moved = |start: usize, end: usize| &p.text[p.offset(start)..p.offset(end)];
        assert_eq!(moved(0, 1), "a");
        assert_eq!(moved(2, 3), "b");
        assert_eq!(moved(1, 2), "\\u{1b}");
        assert_eq!(moved(6, 7), "c");
        assert_eq!(moved(8, 9), "d");
        assert_eq!(moved(0, original.len()), p.text);
        assert_eq!(PrintableText::new("clean\r\n"), None);
    }

    #[test]
    fn json_escapes_what_json_allows_raw_and_reads_back_the_same() {
        let value = serde_json::json!({"name": "a\u{7f}\u{9b}\u{2028}\u{202e}\u{1b}\nb"});
        let text = json_text(&value);
        assert!(
            !text.chars().any(|c| c != '\n' && is_unsafe_char(c)),
            "{text}"
        );
        assert!(
            text.contains(r"a\u007f\u009b\u2028\u202e\u001b\nb"),
            "{text}"
        );
        let back: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(back, value);
    }
}
