//! `--format markdown`: a report for a pull request comment or `$GITHUB_STEP_SUMMARY`: a verdict
//! line, then sections — for `check`, a table of findings linked to the rule documents, each
//! finding's fix on a line of its own in italics under its message. A report
//! is a [`Document`] of [`Section`]s so that other commands add their own (a diff's blast radius
//! table, per-Application `<details>`) and share the size limit: GitHub refuses a comment over
//! 65,536 characters, so items are dropped from the end with a line saying how many.
//!
//! Every message can hold text from the pull request being checked, so cell text is escaped:
//! no raw HTML, no table breaks, no line breaks, no control characters.

use crate::diagnostic::{Diagnostic, Severity};

use super::{Options, Report, Summary, printable, rule_url, summary_line, uri_path};

/// The first line of every report: the GitHub Action finds its pull request comment by it.
pub const MARKER: &str = "<!-- manifest-guard -->";

/// GitHub's limit on a comment body, in characters.
pub const COMMENT_LIMIT: usize = 65_536;

pub fn render(report: &Report<'_>, options: &Options) -> String {
    render_with_limit(report, options, COMMENT_LIMIT)
}

/// The report, at most `limit` characters long.
pub fn render_with_limit(report: &Report<'_>, options: &Options, limit: usize) -> String {
    let summary = report.summary();
    let mut verdict = verdict(&summary, options.fail_on);
    // What was not checked belongs beside the verdict: a pass that checked no Application is
    // not a pass a reviewer should trust.
    if let Some(line) = super::applications_line(&summary) {
        for l in line.lines() {
            match l.strip_prefix("no Application was checked") {
                Some(rest) => verdict.push_str(&format!(
                    "\n\n**⚠️ No Application was checked**{}.",
                    printable(rest)
                )),
                None => verdict.push_str(&format!("\n\n{}.", printable(l))),
            }
        }
    }
    Document {
        title: "manifest-guard check".into(),
        verdict,
        sections: vec![findings(report, options)],
    }
    .render(limit)
}

/// A Markdown report: a title, a verdict, then sections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub title: String,
    pub verdict: String,
    pub sections: Vec<Section>,
}

/// A part of a report whose items can be left out when the report would be too long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub heading: String,
    /// What comes before the items, e.g. a table header; not shown when there are none.
    pub head: String,
    /// Table rows or `<details>` blocks, each ending with a newline; dropped from the end first.
    pub items: Vec<String>,
    /// Shown instead of the head and items when there are no items; an empty section is left
    /// out when this is empty.
    pub empty: String,
    /// What an item is, singular and plural, for the "N more" line.
    pub noun: (&'static str, &'static str),
}

impl Document {
    pub fn render(&self, limit: usize) -> String {
        let mut out = format!("{MARKER}\n## {}\n\n{}\n", self.title, self.verdict);
        let mut parts: Vec<(String, &[String], &Section)> = Vec::new();
        for s in &self.sections {
            if s.items.is_empty() {
                if !s.empty.is_empty() {
                    out.push_str(&format!("\n### {}\n\n{}\n", s.heading, s.empty));
                }
                continue;
            }
            parts.push((format!("\n### {}\n\n{}", s.heading, s.head), &s.items, s));
        }
        // What must be shown whatever the items: headings, heads, and room for a "more" line each.
        let fixed: usize = chars(&out)
            + parts
                .iter()
                .map(|(head, _, s)| chars(head) + chars(&more_line(usize::MAX, s.noun)))
                .sum::<usize>();
        let mut budget = limit.saturating_sub(fixed);
        for (head, items, s) in parts {
            out.push_str(&head);
            let mut shown = 0;
            for item in items {
                let n = chars(item);
                if n > budget {
                    break;
                }
                budget -= n;
                out.push_str(item);
                shown += 1;
            }
            if shown < items.len() {
                out.push_str(&more_line(items.len() - shown, s.noun));
            }
        }
        out
    }
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

fn more_line(n: usize, noun: (&str, &str)) -> String {
    let what = if n == 1 { noun.0 } else { noun.1 };
    format!(
        "\n**… and {n} more {what} not shown** (the comment size limit); \
         run `manifest-guard check` for all of them.\n"
    )
}

pub(crate) fn verdict(summary: &Summary, fail_on: Option<Severity>) -> String {
    let fails = fail_on.is_some_and(|t| match t {
        Severity::Error => summary.errors > 0,
        Severity::Warning => summary.errors + summary.warnings > 0,
        Severity::Note => summary.errors + summary.warnings + summary.notes > 0,
    });
    let threshold = fail_on.map_or("never", Severity::as_str);
    let outcome = if fails { "❌ Fails" } else { "✅ Passes" };
    format!(
        "**{outcome}** (`--fail-on {threshold}`): {}.",
        summary_line(summary)
    )
}

pub(crate) fn findings(report: &Report<'_>, options: &Options) -> Section {
    // Errors first: when the list is cut, the notes go.
    let mut ordered: Vec<&Diagnostic> = report.diagnostics.iter().collect();
    ordered.sort_by_key(|d| std::cmp::Reverse(d.severity));
    Section {
        heading: "Findings".into(),
        head: "| severity | rule | where | message |\n|---|---|---|---|\n".into(),
        items: ordered
            .into_iter()
            .map(|d| row(report, options, d))
            .collect(),
        empty: String::new(),
        noun: ("finding", "findings"),
    }
}

fn row(report: &Report<'_>, options: &Options, d: &Diagnostic) -> String {
    let icon = match d.severity {
        Severity::Error => "❌",
        Severity::Warning => "⚠️",
        Severity::Note => "ℹ️",
    };
    let (display, line, column) = report.position(d.location);
    let path = options
        .repository
        .relative(display)
        .unwrap_or_else(|| display.to_string());
    let place = format!("{}:{line}:{column}", escape_text(&path));
    let place = match &options.blob_url {
        Some(base) => format!(
            "[{place}]({}/{}#L{line})",
            base.trim_end_matches('/'),
            uri_path(&path)
        ),
        None => place,
    };
    let mut message = escape_cell(&d.message);
    let help = d.help.trim();
    if !help.is_empty() {
        message.push_str(&help_line(help));
    }
    format!(
        "| {icon} {} | [`{}`]({}) | {place} | {message} |\n",
        d.severity,
        d.rule,
        rule_url(d.rule)
    )
}

/// The fix (help) under a finding's message, in its cell: a line of its own, in italics, so
/// that what to do stands apart from what is wrong. `help` is trimmed: emphasis cannot open on
/// a space nor close after one. The text is escaped like a message (its markup characters are
/// `\`-escaped, so a `*` of its own cannot close the emphasis early).
fn help_line(help: &str) -> String {
    format!("<br>*{}*", escape_cell(help))
}

/// Characters that could start Markdown or HTML markup outside a code span.
fn is_markup(c: char) -> bool {
    matches!(
        c,
        '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '!' | '~' | '&' | '@'
    )
}

/// Plain text in Markdown: every punctuation character that could start markup is escaped, and
/// the text is [`printable`] (one line, no control characters).
pub(crate) fn escape_text(s: &str) -> String {
    let s = printable(s);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if is_markup(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A message in a table cell. Messages use `` `code` `` spans for names, which stay code spans;
/// outside them markup is escaped, inside them only the pipe, which would end the cell (in GFM
/// tables `\|` is a literal pipe, in code spans too). Spans are found the way CommonMark finds
/// them — a run of backticks closed by the next run of the same length — because a name can
/// hold backticks of its own: a run with no closing run is escaped, so it cannot open a span
/// that the renderer would see differently.
pub(crate) fn escape_cell(s: &str) -> String {
    let chars: Vec<char> = printable(s).chars().collect();
    let run_at = |i: usize| chars[i..].iter().take_while(|&&c| c == '`').count();
    let mut out = String::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c != '`' {
            if is_markup(c) {
                out.push('\\');
            }
            out.push(c);
            i += 1;
            continue;
        }
        let n = run_at(i);
        let mut close = None;
        let mut j = i + n;
        while j < chars.len() {
            if chars[j] == '`' {
                let m = run_at(j);
                if m == n {
                    close = Some(j);
                    break;
                }
                j += m;
            } else {
                j += 1;
            }
        }
        match close {
            Some(j) => {
                let ticks: String = chars[i..i + n].iter().collect();
                out.push_str(&ticks);
                for &c in &chars[i + n..j] {
                    if c == '|' {
                        out.push('\\');
                    }
                    out.push(c);
                }
                out.push_str(&ticks);
                i = j + n;
            }
            None => {
                for _ in 0..n {
                    out.push_str("\\`");
                }
                i += n;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(items: usize) -> Section {
        Section {
            heading: "Findings".into(),
            head: "| a |\n|---|\n".into(),
            items: (0..items).map(|i| format!("| row {i:03} |\n")).collect(),
            empty: String::new(),
            noun: ("finding", "findings"),
        }
    }

    fn doc(sections: Vec<Section>) -> Document {
        Document {
            title: "t".into(),
            verdict: "v".into(),
            sections,
        }
    }

    #[test]
    fn everything_fits() {
        let out = doc(vec![section(2)]).render(COMMENT_LIMIT);
        assert_eq!(
            out,
            "<!-- manifest-guard -->\n## t\n\nv\n\n### Findings\n\n| a |\n|---|\n| row 000 |\n| row 001 |\n"
        );
    }

    #[test]
    fn cut_with_a_count_and_within_the_limit() {
        let limit = 1_000;
        let out = doc(vec![section(500)]).render(limit);
        assert!(out.chars().count() <= limit, "{}", out.chars().count());
        let shown = out.matches("| row ").count();
        assert!(shown > 10, "{out}");
        assert!(
            out.contains(&format!("… and {} more findings not shown", 500 - shown)),
            "{out}"
        );
        assert!(out.ends_with("for all of them.\n"), "{out}");
    }

    #[test]
    fn a_later_section_keeps_its_heading_when_cut() {
        let out = doc(vec![section(500), section(500)]).render(2_000);
        assert!(out.chars().count() <= 2_000);
        assert_eq!(out.matches("### Findings").count(), 2);
        assert_eq!(out.matches("more findings not shown").count(), 2);
    }

    #[test]
    fn empty_sections_show_their_empty_text_or_nothing() {
        let mut s = section(0);
        assert_eq!(
            doc(vec![s.clone()]).render(100),
            "<!-- manifest-guard -->\n## t\n\nv\n"
        );
        s.empty = "Nothing changes.".into();
        assert_eq!(
            doc(vec![s]).render(100),
            "<!-- manifest-guard -->\n## t\n\nv\n\n### Findings\n\nNothing changes.\n"
        );
    }

    #[test]
    fn cells_cannot_break_the_table_or_inject_html() {
        assert_eq!(
            escape_cell("name `a|b` <img src=x> | *x*\nnext"),
            "name `a\\|b` \\<img src=x\\> \\| \\*x\\*\\\\nnext"
        );
        assert_eq!(escape_text("a_b[1].yaml"), "a\\_b\\[1\\].yaml");
    }

    #[test]
    fn a_backtick_without_its_closing_run_is_literal() {
        assert_eq!(escape_cell("odd `tick"), "odd \\`tick");
        // A one-backtick span is not closed by a run of two: `<img>` is outside any span.
        assert_eq!(
            escape_cell("` <img src=x> ``"),
            "\\` \\<img src=x\\> \\`\\`"
        );
        // Runs of the same length pair up, whatever is between them.
        assert_eq!(escape_cell("``a`<b>|``"), "``a`<b>\\|``");
        assert_eq!(
            escape_cell("Application `x``<br>` moves"),
            "Application `x``<br>` moves"
        );
    }

    #[test]
    fn control_characters_and_line_breaks_are_visible_escapes() {
        let hostile = "`a\n::error::x\u{1b}[31m` <\u{202e}>\r";
        let cell = escape_cell(hostile);
        assert_eq!(cell, "`a\\n::error::x\\u{1b}[31m` \\<\\\\u{202e}\\>\\\\r");
        assert!(!cell.chars().any(crate::report::is_unsafe_char), "{cell}");
        let text = escape_text("a\nb\u{7}");
        assert_eq!(text, "a\\\\nb\\\\u{7}");
    }

    // The fix is its own line in italics; a help that starts or ends with a space, or holds a
    // `*`, cannot leave the emphasis open or close it early.
    #[test]
    fn the_help_is_a_line_of_its_own_in_italics() {
        assert_eq!(help_line("rename `a*b` one"), "<br>*rename `a*b` one*");
        assert_eq!(help_line("use 2*3 <b>"), "<br>*use 2\\*3 \\<b\\>*");
    }

    #[test]
    fn verdicts() {
        let s = Summary {
            files: 1,
            warnings: 1,
            ..Summary::default()
        };
        assert!(
            verdict(&s, Some(Severity::Error))
                .starts_with("**✅ Passes** (`--fail-on error`): 0 errors, 1 warning")
        );
        assert!(verdict(&s, Some(Severity::Warning)).starts_with("**❌ Fails**"));
        assert!(verdict(&s, None).contains("`--fail-on never`"));
    }
}
