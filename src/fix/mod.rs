//! `manifest-guard fix` (issue 14): repairs what is mechanical, in place, and shows every edit.
//!
//! A fix is planned from one finding of a `check` run, as the new text of each file it creates,
//! changes or removes, computed from the text that run read (`SourceFile::text`). Planning reads
//! the inventory and never the disk, so `check --format json` can say of each finding whether it
//! is fixable without writing anything, and `fix --diff` shows exactly what `fix` writes.
//!
//! Edits preserve everything they do not touch — comments, key order, quoting, indentation, CRLF,
//! a byte-order mark — by patching text (the `yamlpatch` crate on one document's slice of the
//! file), never by re-serialising a tree. A finding on rendered output (a Helm template, a
//! generated Application: `Object::origin` set, or a `generated` file) has no fix: the planner
//! says where the source is instead.
//!
//! The driver applies, in a round, the fixes whose files do not overlap (in the findings'
//! order), checks again, and repeats while something was fixed (a bounded number of rounds),
//! as ruff does; a fix that would touch a file an earlier fix of the round touched waits for the
//! next round, planned from the new text.

pub mod driver;
pub mod edit;
mod hpa;
mod one_object_per_file;
mod pdb_quorum;
mod quorum_pdb;
mod stateful;
mod written;

use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

use crate::diagnostic::Diagnostic;
use crate::model::Inventory;

/// Whether a finding can be fixed automatically, and whether only with `--unsafe`.
///
/// Safe: the fix keeps what Argo CD deploys equal to what the finding asks for, and nothing
/// else. Unsafe: it adds an object or changes an Application, and a person should read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Fixable {
    Safe,
    Unsafe,
    No,
}

impl Fixable {
    pub fn as_str(self) -> &'static str {
        match self {
            Fixable::Safe => "safe",
            Fixable::Unsafe => "unsafe",
            Fixable::No => "no",
        }
    }
}

/// One file a fix creates, changes or removes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    /// The file on disk, as the run reached it (its scanned root joined with
    /// `SourceFile::rel`, or a new file beside one).
    pub path: PathBuf,
    /// The path as reports show it (`SourceFile::display`, or the new file's beside it).
    pub display: String,
    /// The text the run read; `None` for a file the fix creates.
    pub before: Option<Arc<str>>,
    /// The new text; `None` for a file the fix removes.
    pub after: Option<String>,
}

/// What fixing one finding changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    pub rule: &'static str,
    /// `Safe` or `Unsafe`, never `No`.
    pub safety: Fixable,
    /// One line for the report: what the fix does ("split apps/apps.yaml into 3 files").
    pub title: String,
    /// For an unsafe fix: why a person should read it.
    pub caution: Option<String>,
    pub changes: Vec<FileChange>,
}

/// Why a finding has no automatic fix: said in the report, with where to make the change by
/// hand (the template or generator that produced a rendered object).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoFix {
    pub reason: String,
}

/// Plans the fix of one finding of `inventory`'s check.
pub type Planner = fn(&Inventory, &Diagnostic) -> Result<Fix, NoFix>;

/// The rules with automatic fixes, in id order, and their planners.
const PLANNERS: &[(&str, Planner)] = &[
    ("hpa-replicas-conflict", hpa::plan),
    ("one-object-per-file", one_object_per_file::plan),
    ("pdb-quorum-unsafe", pdb_quorum::plan),
    ("quorum-pdb-missing", quorum_pdb::plan),
    ("stateful-deletion-unprotected", stateful::plan),
];

/// The planner of a rule, for the rules that have automatic fixes.
pub fn planner(rule: &str) -> Option<Planner> {
    PLANNERS
        .iter()
        .find(|(id, _)| *id == rule)
        .map(|(_, plan)| *plan)
}

/// Whether `diagnostic` can be fixed, as `check --format json` reports it.
pub fn fixable(inventory: &Inventory, diagnostic: &Diagnostic) -> Fixable {
    match planner(diagnostic.rule).map(|plan| plan(inventory, diagnostic)) {
        Some(Ok(fix)) => fix.safety,
        _ => Fixable::No,
    }
}
