//! `--format human`: miette's graphical reports, each with the source snippet, a label on the
//! offending span, labels on related places in the same file, related places in other files as
//! follow-up notes, the help text and the rule id; then one summary line.

use std::fmt;
use std::sync::Arc;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode};

use crate::diagnostic::{Diagnostic, Severity};
use crate::load::{Location, Sources};

use super::{Report, summary_line};

/// A finding (or one of its related places) as miette sees it.
struct Shown {
    message: String,
    rule: Option<&'static str>,
    severity: miette::Severity,
    help: Option<String>,
    source: NamedSource<Arc<str>>,
    labels: Vec<LabeledSpan>,
    related: Vec<Shown>,
}

impl fmt::Debug for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Shown {}

impl miette::Diagnostic for Shown {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.rule.map(|r| Box::new(r) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(
            self.related.iter().map(|r| r as &dyn miette::Diagnostic),
        ))
    }
}

fn source(sources: &Sources, loc: Location) -> NamedSource<Arc<str>> {
    let file = sources.get(loc.file);
    NamedSource::new(file.display.clone(), lf_breaks(&file.text))
}

/// The text with every lone `\r` (a YAML line break, old Mac style) made a `\n`, byte for byte,
/// so that miette, which breaks lines at `\n` only, shows the lines the parser saw; spans are
/// unchanged.
fn lf_breaks(text: &Arc<str>) -> Arc<str> {
    if !text.contains('\r') {
        return text.clone();
    }
    let bytes = text.as_bytes();
    let bytes: Vec<u8> = bytes
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if b == b'\r' && bytes.get(i + 1) != Some(&b'\n') {
                b'\n'
            } else {
                b
            }
        })
        .collect();
    // Replacing one ASCII byte by another keeps the text UTF-8.
    String::from_utf8(bytes).map_or_else(|_| text.clone(), Arc::from)
}

fn span(loc: Location) -> (usize, usize) {
    (loc.span.start, loc.span.len())
}

fn shown(sources: &Sources, d: &Diagnostic) -> Shown {
    let severity = match d.severity {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Note => miette::Severity::Advice,
    };
    // A related place that is the primary span itself lends it its words.
    let label = if d.label.is_empty() {
        d.related
            .iter()
            .find(|r| r.location == d.location)
            .map(|r| r.message.clone())
    } else {
        Some(d.label.clone())
    };
    let mut labels = vec![LabeledSpan::new_primary_with_span(label, span(d.location))];
    let mut related = Vec::new();
    for r in &d.related {
        if r.location.file == d.location.file {
            if r.location == d.location {
                continue;
            }
            labels.push(LabeledSpan::new_with_span(
                Some(r.message.clone()),
                span(r.location),
            ));
        } else {
            related.push(Shown {
                message: r.message.clone(),
                rule: None,
                severity: miette::Severity::Advice,
                help: None,
                source: source(sources, r.location),
                labels: vec![LabeledSpan::new_primary_with_span(
                    Some(r.message.clone()),
                    span(r.location),
                )],
                related: Vec::new(),
            });
        }
    }
    Shown {
        message: d.message.clone(),
        rule: Some(d.rule),
        severity,
        help: (!d.help.is_empty()).then(|| d.help.clone()),
        source: source(sources, d.location),
        labels,
        related,
    }
}

pub fn render(report: &Report<'_>, color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(120)
        // Wrap at spaces only: `storage/storage` and file paths stay whole.
        .with_word_separator(textwrap::WordSeparator::AsciiSpace)
        .with_word_splitter(textwrap::WordSplitter::NoHyphenation)
        .with_break_words(false)
        .with_context_lines(1)
        .with_links(false);
    let mut out = String::new();
    // People read the worst first: errors, then warnings, then notes; within a severity the
    // findings keep their file and line order (a stable sort of an already sorted list).
    let mut ordered: Vec<&Diagnostic> = report.diagnostics.iter().collect();
    ordered.sort_by_key(|d| std::cmp::Reverse(d.severity));
    for d in ordered {
        let s = shown(&report.inventory.sources, d);
        let mut one = String::new();
        if handler.render_report(&mut one, &s).is_err() {
            // Rendering a snippet failed (it should not); fall back to one plain line.
            let (file, line, column) = report.position(d.location);
            one = format!(
                "{}: {file}:{line}:{column}: {} [{}]\n",
                d.severity, d.message, d.rule
            );
        }
        out.push_str(&one);
        out.push('\n');
    }
    out.push_str(&summary_line(&report.summary()));
    out.push('\n');
    out
}
