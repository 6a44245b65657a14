//! `--format human`: miette's graphical reports, each with the source snippet, a label on the
//! offending span, labels on related places in the same file, related places in other files as
//! follow-up notes, the help text and the rule id; then one summary line. Messages, labels and
//! file names are shown through [`printable`], source snippets through [`PrintableText`].

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode};

use crate::diagnostic::{Diagnostic, Severity};
use crate::load::{FileId, Location, Sources};

use super::{PrintableText, Report, printable};

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

/// A file as the report shows it: its name and text with unsafe characters escaped, and how to
/// move a span onto the escaped text.
struct ShownFile {
    source: NamedSource<Arc<str>>,
    escaped: Option<PrintableText>,
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

impl ShownFile {
    fn new(sources: &Sources, id: FileId) -> Self {
        let file = sources.get(id);
        let lines = lf_breaks(&file.text);
        let escaped = PrintableText::new(&lines);
        let text = match &escaped {
            Some(p) => Arc::from(p.text.as_str()),
            None => lines,
        };
        ShownFile {
            source: NamedSource::new(printable(&file.display), text),
            escaped,
        }
    }

    /// A location's span as miette's `(offset, length)` in the shown text.
    fn span(&self, loc: Location) -> (usize, usize) {
        match &self.escaped {
            None => (loc.span.start, loc.span.len()),
            Some(p) => {
                let (start, end) = (p.offset(loc.span.start), p.offset(loc.span.end));
                (start, end - start)
            }
        }
    }
}

/// Each file shown, escaped once however many findings it has.
struct ShownFiles<'a> {
    sources: &'a Sources,
    files: HashMap<FileId, ShownFile>,
}

impl ShownFiles<'_> {
    fn get(&mut self, id: FileId) -> &ShownFile {
        let sources = self.sources;
        self.files
            .entry(id)
            .or_insert_with(|| ShownFile::new(sources, id))
    }

    fn source(&mut self, loc: Location) -> NamedSource<Arc<str>> {
        self.get(loc.file).source.clone()
    }

    fn span(&mut self, loc: Location) -> (usize, usize) {
        self.get(loc.file).span(loc)
    }
}

fn text(s: &str) -> String {
    printable(s).into_owned()
}

fn shown(files: &mut ShownFiles<'_>, d: &Diagnostic) -> Shown {
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
            .map(|r| text(&r.message))
    } else {
        Some(text(&d.label))
    };
    let mut labels = vec![LabeledSpan::new_primary_with_span(
        label,
        files.span(d.location),
    )];
    let mut related = Vec::new();
    for r in &d.related {
        if r.location.file == d.location.file {
            if r.location == d.location {
                continue;
            }
            labels.push(LabeledSpan::new_with_span(
                Some(text(&r.message)),
                files.span(r.location),
            ));
        } else {
            related.push(Shown {
                message: text(&r.message),
                rule: None,
                severity: miette::Severity::Advice,
                help: None,
                source: files.source(r.location),
                labels: vec![LabeledSpan::new_primary_with_span(
                    Some(text(&r.message)),
                    files.span(r.location),
                )],
                related: Vec::new(),
            });
        }
    }
    // A message may span lines (a tool's error output does): line breaks are kept, every other
    // control character escaped; miette starts each of its lines with the `│` gutter. Help stays
    // one line. Under GitHub Actions the whole report is fenced in `::stop-commands::` as well.
    Shown {
        message: super::printable_lines(&d.message).into_owned(),
        rule: Some(d.rule),
        severity,
        help: (!d.help.is_empty()).then(|| text(&d.help)),
        source: files.source(d.location),
        labels,
        related,
    }
}

/// Longest line, in characters, shown as a snippet.
const SNIPPET_LINE_MAX: usize = 10_000;

/// Whether every line a snippet of `loc` shows (the lines it covers and one either side) is
/// short enough to show.
fn snippet_fits(report: &Report<'_>, loc: Location) -> bool {
    let file = report.inventory.sources.get(loc.file);
    let (first, last) = (
        file.line_col(loc.span.start).line.saturating_sub(1).max(1),
        file.line_col(loc.span.end).line + 1,
    );
    (first..=last).all(|line| {
        file.lines
            .line_text(&file.text, line)
            .is_none_or(|t| t.len() <= SNIPPET_LINE_MAX || t.chars().count() <= SNIPPET_LINE_MAX)
    })
}

pub fn render(report: &Report<'_>, options: &super::Options) -> String {
    let theme = if options.color {
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
    let mut files = ShownFiles {
        sources: &report.inventory.sources,
        files: HashMap::new(),
    };
    for d in ordered {
        let mut one = String::new();
        // miette pads a label to its column with a formatting width, which panics past 65,535
        // (a finding in a 16 MiB one-line file); such a finding gets the plain line instead.
        let fits = snippet_fits(report, d.location)
            && d.related.iter().all(|r| snippet_fits(report, r.location));
        if !fits
            || handler
                .render_report(&mut one, &shown(&mut files, d))
                .is_err()
        {
            // Rendering a snippet failed (it should not); fall back to one plain line.
            let (file, line, column) = report.position(d.location);
            one = format!(
                "{}: {}:{line}:{column}: {} [{}]\n",
                d.severity,
                printable(file),
                printable(&d.message),
                d.rule
            );
        }
        out.push_str(&one);
        out.push('\n');
    }
    out.push_str(&super::concise::summary(report, options));
    out
}

/// An error that stopped the run, as miette shows it. It can quote the repository (a key of its
/// configuration, git's message about a revision), so its message, help and labels are made
/// [`printable`], and a quoted source line that holds control characters is shown escaped and
/// without colour.
pub fn render_error(error: &dyn miette::Diagnostic, color: bool) -> String {
    let render = |color: bool| {
        let theme = if color {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        let mut s = String::new();
        let escaped = Escaped(error);
        if GraphicalReportHandler::new_themed(theme)
            .render_report(&mut s, &escaped)
            .is_err()
        {
            s = format!("error: {escaped}\n");
        }
        s
    };
    let plain = render(false);
    match super::printable_lines(&plain) {
        std::borrow::Cow::Owned(escaped) => escaped,
        std::borrow::Cow::Borrowed(_) if color => render(true),
        std::borrow::Cow::Borrowed(_) => plain,
    }
}

/// A diagnostic whose words are [`printable`]; its source code is the original's.
struct Escaped<'a>(&'a dyn miette::Diagnostic);

impl fmt::Debug for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&printable(&self.0.to_string()))
    }
}

impl std::error::Error for Escaped<'_> {}

impl miette::Diagnostic for Escaped<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.0
            .code()
            .map(|c| Box::new(text(&c.to_string())) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        self.0.severity()
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.0
            .help()
            .map(|h| Box::new(text(&h.to_string())) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.0.source_code()
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let labels = self.0.labels()?.map(|l| {
            let label = l.label().map(text);
            if l.primary() {
                LabeledSpan::new_primary_with_span(label, *l.inner())
            } else {
                LabeledSpan::new_with_span(label, *l.inner())
            }
        });
        Some(Box::new(labels))
    }
}
