//! Reports: turn findings into text for people (human), for tools (JSON) and, later, for code
//! scanning and CI. Every format reads the same `Report`; none of them prints (main does).

pub mod human;
pub mod inventory;
pub mod json;

use crate::diagnostic::{Diagnostic, Severity};
use crate::load::Location;
use crate::model::Inventory;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
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
        Summary {
            files: self.inventory.sources.len(),
            objects: self.inventory.objects.len(),
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
}

pub fn render(format: Format, report: &Report<'_>, color: bool) -> String {
    match format {
        Format::Human => human::render(report, color),
        Format::Json => json::render(report),
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
