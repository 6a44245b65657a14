//! `--format concise`: one line a finding, `file:line:col: severity[rule] message`, as compilers
//! and ruff's concise output write them (terminals and editors open the place on a click), in
//! the run's order (file, line, column, rule); then the human report's summary lines. Neither
//! the help nor the related places are shown — the message names what it relates to, and the
//! human and JSON reports hold the rest — so that a line is a finding, for people and for
//! `grep`. Paths are the human report's; paths and messages go through [`printable`], so a
//! finding cannot break its line.

use crate::diagnostic::Diagnostic;

use super::{
    Options, Report, applications_line, printable, printable_lines, report_statistics,
    statistics_text, summary_line,
};

/// One finding's line, with its line break.
pub fn line(report: &Report<'_>, d: &Diagnostic) -> String {
    let (file, line, column) = report.position(d.location);
    format!(
        "{}:{line}:{column}: {}[{}] {}\n",
        printable(file),
        d.severity,
        d.rule,
        printable(&d.message)
    )
}

/// Every finding's line, in the run's order.
pub fn findings(report: &Report<'_>) -> String {
    report.diagnostics.iter().map(|d| line(report, d)).collect()
}

/// What follows the findings in every human-readable report: the statistics when asked for,
/// then the summary line and what was checked of Argo CD.
pub fn summary(report: &Report<'_>, options: &Options) -> String {
    let mut out = String::new();
    if options.statistics && !report.diagnostics.is_empty() {
        out.push_str(&statistics_text(&report_statistics(report)));
        out.push('\n');
    }
    let summary = report.summary();
    out.push_str(&summary_line(&summary));
    out.push('\n');
    if let Some(line) = applications_line(&summary) {
        out.push_str(&printable_lines(&line));
        out.push('\n');
    }
    out
}

pub fn render(report: &Report<'_>, options: &Options) -> String {
    let mut out = findings(report);
    if !out.is_empty() {
        out.push('\n');
    }
    out.push_str(&summary(report, options));
    out
}
