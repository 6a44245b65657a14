//! Source files as the rest of the pipeline sees them: a stable id, the path a user recognises,
//! the text, a line index for turning byte spans into lines and columns, and the suppression
//! comments written in it. Nothing here reads the disk.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::yaml::{Document, Span, YamlError};

/// Index of a file in [`Sources`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub usize);

/// A place in a file: what every diagnostic and related location points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Location {
    pub file: FileId,
    pub span: Span,
}

/// 1-based line and column (columns count characters, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LineCol {
    pub line: usize,
    pub column: usize,
}

/// Where each line of a text starts. A line ends at `\n`, `\r\n` or a lone `\r`: the line
/// breaks of YAML 1.2 (5.4), so lines and columns agree with the parser and with editors.
///
/// Built on first use, from the text the caller passes (always the text it was made for): a run
/// turns spans into lines only for the few files with findings or suppression comments, so the
/// other files never pay for an index (a scan of their text and an allocation each, issue 12).
#[derive(Debug, Clone, Default)]
pub struct LineIndex {
    /// Byte offsets, 4 bytes each (a file is bounded far below 4 GiB by `max-file-size`; past
    /// 4 GiB offsets saturate rather than wrap): a line index is a sizeable part of a large
    /// tree's memory.
    starts: std::sync::OnceLock<Box<[u32]>>,
}

impl LineIndex {
    /// The index of `text`, built when a line is first asked for.
    pub fn new(_text: &str) -> Self {
        LineIndex::default()
    }

    /// The line starts of `text`, computed once.
    fn starts(&self, text: &str) -> &[u32] {
        self.starts.get_or_init(|| line_starts(text))
    }

    pub fn line_col(&self, text: &str, offset: usize) -> LineCol {
        let offset = offset.min(text.len());
        let starts = self.starts(text);
        let line = starts.partition_point(|&s| s as usize <= offset).max(1);
        let start = starts.get(line - 1).map_or(0, |&s| s as usize).min(offset);
        let mut column = text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count())
            + 1;
        // A byte-order mark is not content (YAML 1.2, 5.2) and no editor shows it as a column.
        if start == 0 && offset > 0 && text.starts_with('\u{feff}') {
            column -= 1;
        }
        LineCol { line, column }
    }

    /// Byte offset where 1-based `line` starts.
    pub fn line_start(&self, text: &str, line: usize) -> Option<usize> {
        self.starts(text)
            .get(line.checked_sub(1)?)
            .map(|&s| s as usize)
    }

    /// The text of 1-based `line`, without its line break.
    pub fn line_text<'t>(&self, text: &'t str, line: usize) -> Option<&'t str> {
        let start = self.line_start(text, line)?;
        let end = self.line_start(text, line + 1).unwrap_or(text.len());
        Some(text.get(start..end)?.trim_end_matches(['\n', '\r']))
    }

    /// Every line's text, without its line break, from line 1.
    pub fn lines<'a>(&'a self, text: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        (1..=self.starts(text).len()).filter_map(move |line| self.line_text(text, line))
    }
}

/// Where each line of `text` starts (see [`LineIndex`]).
fn line_starts(text: &str) -> Box<[u32]> {
    let mut starts = vec![0];
    let bytes = text.as_bytes();
    let at = |i: usize| u32::try_from(i).unwrap_or(u32::MAX);
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => starts.push(at(i + 1)),
            b'\r' => {
                if bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                starts.push(at(i + 1));
            }
            _ => {}
        }
        i += 1;
    }
    starts.into_boxed_slice()
}

/// Suppression comments (`# manifest-guard: ignore[rule-a,rule-b]`), by the 1-based line they
/// cover: the comment's own line and the line below it.
#[derive(Debug, Clone, Default)]
pub struct Suppressions {
    by_line: BTreeMap<usize, Vec<String>>,
    /// Every comment, with its line, for checking the rule ids it names.
    pub comments: Vec<(usize, Vec<String>)>,
}

pub const SUPPRESS_MARKER: &str = "manifest-guard: ignore[";

impl Suppressions {
    /// The comments of `text`, by the lines of `lines` (its index).
    pub fn scan(text: &str, lines: &LineIndex) -> Self {
        let mut s = Suppressions::default();
        if !text.contains(SUPPRESS_MARKER) {
            return s;
        }
        for (i, line) in lines.lines(text).enumerate() {
            let Some(hash) = line.find('#') else { continue };
            let comment = &line[hash..];
            let Some(at) = comment.find(SUPPRESS_MARKER) else {
                continue;
            };
            let rest = &comment[at + SUPPRESS_MARKER.len()..];
            let Some(close) = rest.find(']') else {
                continue;
            };
            let ids: Vec<String> = rest[..close]
                .split(',')
                .map(|r| r.trim().to_string())
                .filter(|r| !r.is_empty())
                .collect();
            let line_no = i + 1;
            for covered in [line_no, line_no + 1] {
                s.by_line
                    .entry(covered)
                    .or_default()
                    .extend(ids.iter().cloned());
            }
            s.comments.push((line_no, ids));
        }
        s
    }

    /// The line of the comment that covers `line` for `rule`: the line itself, else the one
    /// above it.
    pub fn directive(&self, line: usize, rule: &str) -> Option<usize> {
        [line, line.saturating_sub(1)].into_iter().find(|&at| {
            self.comments
                .iter()
                .any(|(l, ids)| *l == at && ids.iter().any(|id| id == rule))
        })
    }

    pub fn covers(&self, line: usize, rule: &str) -> bool {
        self.by_line
            .get(&line)
            .is_some_and(|ids| ids.iter().any(|id| id == rule))
    }
}

/// Why a file could not be read as YAML at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadProblem {
    NotUtf8 {
        valid_up_to: usize,
    },
    /// UTF-16 or UTF-32 (`"UTF-16 little-endian, with a byte-order mark"`), told by its first
    /// bytes as YAML 1.2 (5.2, "Character Encodings") tells them.
    Encoding(&'static str),
    Binary,
    TooLarge {
        size: u64,
        limit: u64,
    },
    Io(String),
    SymlinkOutsideRoot {
        target: String,
    },
    SymlinkLoop,
    NotRegular,
    /// A directory the walk could not list (permission denied, a vanished directory): what it
    /// holds is not checked.
    UnlistableDir(String),
    /// UTF-16 that cannot be decoded (with a byte-order mark), or that has none.
    Utf16 {
        reason: String,
    },
}

impl ReadProblem {
    pub fn message(&self) -> String {
        match self {
            ReadProblem::NotUtf8 { .. } => "file is not valid UTF-8; YAML must be UTF-8".into(),
            ReadProblem::Encoding(encoding) => {
                format!(
                    "file is {encoding}, not UTF-8; it was not read, and nothing in it is checked"
                )
            }
            ReadProblem::Binary => "file contains binary data (NUL bytes); it is not YAML".into(),
            ReadProblem::TooLarge { size, limit } => {
                format!("file is {size} bytes, over the {limit}-byte limit; skipped")
            }
            ReadProblem::Io(e) => format!("cannot read file: {e}"),
            ReadProblem::SymlinkOutsideRoot { target } => {
                format!("symlink points outside the scanned root (to `{target}`); not followed")
            }
            ReadProblem::SymlinkLoop => "symlink loop; not followed".into(),
            ReadProblem::NotRegular => {
                "not a regular file (a FIFO, socket or device); not read".into()
            }
            ReadProblem::UnlistableDir(e) => {
                format!("cannot list directory: {e}; none of its files were checked")
            }
            ReadProblem::Utf16 { reason } => format!("file is UTF-16 and {reason}"),
        }
    }
}

impl ReadProblem {
    /// The encoding of a UTF-16 or UTF-32 file, from its first bytes: a byte-order mark, or the
    /// NUL bytes that text characters leave in those encodings (YAML 1.2, 5.2: a stream starts
    /// with a byte-order mark or an ASCII character). Without a mark, the first few characters
    /// must all be ASCII text, so that binary data stays binary. Checked before the NUL bytes
    /// that would call the file binary.
    pub fn encoding_of(bytes: &[u8]) -> Option<ReadProblem> {
        let name = match bytes {
            [0, 0, 0xFE, 0xFF, ..] => "UTF-32 big-endian, with a byte-order mark",
            [0xFF, 0xFE, 0, 0, ..] => "UTF-32 little-endian, with a byte-order mark",
            [0xFE, 0xFF, ..] => "UTF-16 big-endian, with a byte-order mark",
            [0xFF, 0xFE, ..] => "UTF-16 little-endian, with a byte-order mark",
            _ if ascii_units(bytes, 4, 3) => "UTF-32 big-endian, without a byte-order mark",
            _ if ascii_units(bytes, 4, 0) => "UTF-32 little-endian, without a byte-order mark",
            _ if ascii_units(bytes, 2, 1) => "UTF-16 big-endian, without a byte-order mark",
            _ if ascii_units(bytes, 2, 0) => "UTF-16 little-endian, without a byte-order mark",
            _ => return None,
        };
        Some(ReadProblem::Encoding(name))
    }
}

/// Whether the first few `width`-byte code units of `bytes` (at most 8, at least 1) are ASCII
/// text with the character at `at` in each unit and NUL bytes elsewhere.
fn ascii_units(bytes: &[u8], width: usize, at: usize) -> bool {
    let units: Vec<&[u8]> = bytes.chunks_exact(width).take(8).collect();
    !units.is_empty()
        && units.iter().all(|unit| {
            unit.iter().enumerate().all(|(i, &b)| {
                if i == at {
                    b.is_ascii_graphic() || matches!(b, b' ' | b'\t' | b'\n' | b'\r')
                } else {
                    b == 0
                }
            })
        })
}

/// One file of the scanned tree.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path as shown to the user: relative to the working directory, `/`-separated.
    pub display: String,
    /// The path relative to the scanned root, `/`-separated.
    pub rel: String,
    pub text: Arc<str>,
    pub lines: LineIndex,
    pub documents: Vec<Document>,
    pub yaml_error: Option<YamlError>,
    pub read_problem: Option<ReadProblem>,
    pub suppressions: Suppressions,
    /// Which path argument of the run found this file.
    pub root: usize,
    /// Output of a tool (a Helm or Kustomize render), or a template read only to point into:
    /// not a file of the tree in its own right, so file rules leave it alone.
    pub generated: bool,
    /// For a tool's output (a file no one can open): where each of its documents came from, so
    /// that a finding on it is reported at a file of the tree.
    pub rendered: Option<Box<RenderedFrom>>,
    /// For a file the walk parsed: the most nodes its parse counted against the run's
    /// `yaml-nodes` budget at once ([`super::yaml::Parsed::peak`]).
    pub run_peak: usize,
}

/// Where the documents of a tool's output came from.
#[derive(Debug, Clone)]
pub struct RenderedFrom {
    /// The command that produced the output, for messages.
    pub command: String,
    /// Where a finding points when no document matches: the Application's source, or the
    /// standalone unit's Chart.yaml or kustomization.
    pub fallback: Location,
    /// One entry per document, in order.
    pub parts: Vec<RenderedPart>,
}

/// One document of a tool's output.
#[derive(Debug, Clone)]
pub struct RenderedPart {
    /// The document's bytes in the output.
    pub span: Span,
    /// The template or resource file it came from (or the fallback).
    pub origin: Location,
    /// The path inside a packaged chart (`common/templates/_x.yaml`), when `origin` is the
    /// archive: a person cannot open the template, so the message names it.
    pub inner: Option<String>,
}

impl RenderedFrom {
    /// The document holding byte `offset` of the output.
    pub fn part_at(&self, offset: usize) -> Option<&RenderedPart> {
        let i = self.parts.partition_point(|p| p.span.start <= offset);
        i.checked_sub(1).and_then(|i| self.parts.get(i))
    }

    /// Moves every location by `files` (another inventory's files appended after these).
    pub fn shift(&mut self, files: usize) {
        self.fallback.file = FileId(self.fallback.file.0 + files);
        for p in &mut self.parts {
            p.origin.file = FileId(p.origin.file.0 + files);
        }
    }
}

impl SourceFile {
    pub fn new(display: String, rel: String, text: Arc<str>) -> Self {
        let lines = LineIndex::new(&text);
        SourceFile {
            display,
            rel,
            suppressions: Suppressions::scan(&text, &lines),
            lines,
            text,
            documents: Vec::new(),
            yaml_error: None,
            read_problem: None,
            root: 0,
            generated: false,
            rendered: None,
            run_peak: 0,
        }
    }

    pub fn line_col(&self, offset: usize) -> LineCol {
        self.lines.line_col(&self.text, offset)
    }
}

/// Where each file the walk met went: exactly one bucket per file, so that `seen` is the sum of
/// the others and no file of the tree goes unaccounted for (JSON `summary.file_counts`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct FileCounts {
    /// Every file below the path arguments (not inside `.git`), and each directory that could
    /// not be listed.
    pub seen: usize,
    /// Read and parsed as YAML or JSON (a syntax error is a finding, and still counts here).
    pub parsed: usize,
    /// Helm chart templates and subchart files (`templates/`, `charts/` beside a `Chart.yaml`)
    /// that no directory source deploys: read only by a render, never parsed as manifests.
    pub rendered_only: usize,
    pub skipped: SkippedCounts,
}

/// The files the walk did not parse, by why.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct SkippedCounts {
    /// Matched by `exclude:` in the configuration (or inside an excluded directory).
    pub excluded: usize,
    /// Over the file size limit.
    pub too_large: usize,
    /// A name Argo CD's directory sources do not read (not `.yaml`, `.yml`, `.json` or
    /// `.jsonnet`), or the configuration file itself.
    pub not_a_manifest: usize,
    /// Binary, UTF-16 or otherwise not UTF-8.
    pub not_text: usize,
    /// Could not be read or listed (permissions, a link out of the root, a loop, a FIFO).
    pub unreadable: usize,
    /// `.jsonnet`, which Argo CD evaluates and manifest-guard does not.
    pub jsonnet: usize,
}

impl FileCounts {
    /// The sum of the buckets, which must equal `seen`.
    pub fn total(&self) -> usize {
        let s = &self.skipped;
        self.parsed
            + self.rendered_only
            + s.excluded
            + s.too_large
            + s.not_a_manifest
            + s.not_text
            + s.unreadable
            + s.jsonnet
    }
}

/// Every file the run has read, in a stable order.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
    /// What the walk did with each file it met.
    pub counts: FileCounts,
    /// Every directory and regular file the walk met below the scanned root (when it walked
    /// the root itself), as a git generator lists the repository: read once, not walked again.
    pub tree: Option<std::sync::Arc<TreeListing>>,
    /// The parse limits of the walk, for a file parsed later (a chart template a directory
    /// source turns out to deploy).
    pub parse_limits: super::yaml::Limits,
}

/// The directories and regular files below a root (`/`-separated, relative to it), `.git`
/// aside and links not followed, in the walk's order (names sorted within each directory).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TreeListing {
    pub directories: Vec<String>,
    pub files: Vec<String>,
}

impl Sources {
    pub fn new(files: Vec<SourceFile>) -> Self {
        Sources {
            files,
            ..Sources::default()
        }
    }

    pub fn push(&mut self, file: SourceFile) -> FileId {
        self.files.push(file);
        FileId(self.files.len() - 1)
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0]
    }

    pub fn get_mut(&mut self, id: FileId) -> &mut SourceFile {
        &mut self.files[id.0]
    }

    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files.iter().enumerate().map(|(i, f)| (FileId(i), f))
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Renames every file for display, from its path below the scanned root.
    pub fn relabel(&mut self, name: impl Fn(&str) -> String) {
        for f in &mut self.files {
            f.display = name(&f.rel);
        }
    }

    pub fn line_col(&self, loc: Location) -> LineCol {
        self.get(loc.file).line_col(loc.span.start)
    }

    pub fn end_line_col(&self, loc: Location) -> LineCol {
        self.get(loc.file).line_col(loc.span.end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file's line index is built when a line is first asked for, not when the file is read:
    /// most files of a run never have a finding (issue 12, memory and load time).
    #[test]
    fn the_line_index_waits_for_its_first_question() {
        let file = SourceFile::new("a.yaml".into(), "a.yaml".into(), Arc::from("a: 1\nb: 2\n"));
        assert!(file.lines.starts.get().is_none());
        assert_eq!(file.line_col(5), LineCol { line: 2, column: 1 });
        assert_eq!(file.lines.starts.get().map(|s| s.len()), Some(3));
        assert_eq!(file.lines.line_start(&file.text, 2), Some(5));
        // A file with a suppression comment needs its lines at once, to know what it covers.
        let text = "# manifest-guard: ignore[rule-a]\na: 1\n";
        let file = SourceFile::new("b.yaml".into(), "b.yaml".into(), Arc::from(text));
        assert!(file.suppressions.covers(2, "rule-a"));
    }

    #[test]
    fn a_byte_order_mark_is_not_a_column() {
        let text = "\u{feff}a: b\r\nc: d\r\n";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_col(text, 3), LineCol { line: 1, column: 1 });
        assert_eq!(idx.line_col(text, 6), LineCol { line: 1, column: 4 });
        assert_eq!(idx.line_col(text, 9), LineCol { line: 2, column: 1 });
    }

    #[test]
    fn line_col_counts_characters() {
        let text = "é: 1\nname: x\n";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_col(text, 0), LineCol { line: 1, column: 1 });
        assert_eq!(idx.line_col(text, 4), LineCol { line: 1, column: 4 });
        let x = text.find('x').expect("x");
        assert_eq!(idx.line_col(text, x), LineCol { line: 2, column: 7 });
    }

    // YAML 1.2, 5.4: CR LF, lone CR and lone LF are each one line break.
    #[test]
    fn cr_crlf_and_lf_each_end_a_line() {
        for eol in ["\n", "\r\n", "\r"] {
            let text = ["a: 1", "bé: 2", "", "c: 3"].join(eol);
            let idx = LineIndex::new(&text);
            let c = text.find('c').expect("c");
            assert_eq!(
                idx.line_col(&text, c),
                LineCol { line: 4, column: 1 },
                "{eol:?}"
            );
            let two = text.find('2').expect("2");
            assert_eq!(
                idx.line_col(&text, two),
                LineCol { line: 2, column: 5 },
                "{eol:?}"
            );
            let lines: Vec<&str> = idx.lines(&text).collect();
            assert_eq!(lines, ["a: 1", "bé: 2", "", "c: 3"], "{eol:?}");
        }
        // A CR LF pair is one break, not two; a CR before a CR LF is two.
        let text = "a\r\r\nb";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_col(text, 4), LineCol { line: 3, column: 1 });
    }

    #[test]
    fn suppression_covers_own_and_next_line() {
        let text = "a: 1\n# manifest-guard: ignore[rule-a, rule-b]\nb: 2\n";
        let s = Suppressions::scan(text, &LineIndex::new(text));
        assert!(s.covers(2, "rule-a"));
        assert!(s.covers(3, "rule-b"));
        assert!(!s.covers(4, "rule-a"));
        assert!(!s.covers(3, "rule-c"));
    }
}
