//! Reports: turn findings into text for people (human), for tools (JSON), for code scanning
//! (SARIF), for a CI log (GitHub annotations) and for a pull request (Markdown). Every format
//! reads the same `Report`; none of them prints (main does).

pub mod diff;
pub mod github;
pub mod human;
pub mod inventory;
pub mod json;
pub mod markdown;
pub mod sarif;

use std::path::{Component, Path, PathBuf};

use crate::diagnostic::{Diagnostic, Severity};
use crate::load::{LineCol, Location};
use crate::model::Inventory;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Github,
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
}

/// Counts shown at the end of every report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub files: usize,
    pub objects: usize,
    pub applications: usize,
    pub errors: usize,
    pub warnings: usize,
    pub notes: usize,
}

impl Report<'_> {
    pub fn summary(&self) -> Summary {
        let count = |s: Severity| self.diagnostics.iter().filter(|d| d.severity == s).count();
        // A diff's inventory also holds the base revision: count the head's own.
        let (files, objects) = match self.inventory.own {
            Some(own) => (own.files, own.objects),
            None => (self.inventory.sources.len(), self.inventory.objects.len()),
        };
        Summary {
            files,
            objects,
            applications: self.inventory.applications.len(),
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
            notes: count(Severity::Note),
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
        Format::Human => human::render(report, options.color),
        Format::Json => json::render(report),
        Format::Sarif => sarif::render(report, &options.repository),
        Format::Github => github::render(report, &options.repository),
        Format::Markdown => markdown::render(report, options),
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// One line: what was checked and what was found.
pub fn summary_line(s: &Summary) -> String {
    let checked = format!(
        "{} ({}, {})",
        plural(s.files, "file", "files"),
        plural(s.objects, "object", "objects"),
        plural(s.applications, "Application", "Applications")
    );
    if s.errors + s.warnings + s.notes == 0 {
        return format!("no findings in {checked}");
    }
    format!(
        "{}, {}, {} in {checked}",
        plural(s.errors, "error", "errors"),
        plural(s.warnings, "warning", "warnings"),
        plural(s.notes, "note", "notes"),
    )
}
