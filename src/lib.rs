//! manifest-guard: a GitOps manifest safety linter.
//!
//! `check` runs load → render → inventory → rules; reports are produced from the result. Every
//! stage is a module: `load` reads and parses, `render` builds the inventory, `rules` checks it,
//! `report` formats findings. Nothing here prints: `main.rs` does.
//!
//! What each stage may import, bottom up (a stage imports only those below it):
//! - leaves, importing nothing of the crate: `limits` (the run's bounds), `scratch` (temporary
//!   directories), `text` (escaping what the repository wrote);
//! - `load` (walk, read, parse; paths): the leaves;
//! - `model` (objects, Applications, the inventory): `load`;
//! - `diagnostic` (findings, their placement and suppression): `load`, `model`;
//! - `render` (Argo CD, Helm, Kustomize → the inventory): `load`, `model`, `diagnostic`;
//! - `diff::change` (what changes between two inventories): `load`, `model`, `text`;
//! - `rules`: the above (change rules read `diff::change::ChangeSet`);
//! - `config`, `config_change`, `config_schema`: the above (the rule registry validates rule ids);
//! - `error` (what stops a run), `git` (a revision and its files, read safely), `scan` (paths,
//!   root, configuration, inventory): the above;
//! - `diff` (two scans compared), `fix` (planned edits of findings), `report` (which says of each
//!   finding whether `fix` repairs it), then `lib`, `cli`, `main`. One exception: `fix::driver`,
//!   the `fix` command, runs `check` (`lib`) once per round, as `main` runs it once.
//!
//! Inside stages, not between them, files still call each other: in `render`, `tool` and the
//! Helm and Kustomize runners; the Go template interpreter and its function table.

#![forbid(unsafe_code)]

pub mod cli;
pub mod config;
pub mod config_change;
pub mod config_schema;
pub mod diagnostic;
pub mod diff;
pub mod error;
pub mod fix;
#[doc(hidden)]
pub mod fuzzing;
pub mod git;
pub mod limits;
pub mod load;
pub mod manual;
pub mod model;
pub mod render;
pub mod report;
pub mod rules;
pub mod scan;
pub mod scratch;
pub mod text;

use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::diagnostic::{Diagnostic, Severity};
pub use crate::error::Error;
use crate::model::Inventory;
use crate::rules::Selection;
pub use crate::scan::{AtRev, RenderFlags, Scan};

/// What `check` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    pub paths: Vec<PathBuf>,
    pub config: Option<PathBuf>,
    /// `--config-rev REV`: the configuration as this git revision has it, not the working tree's.
    pub config_rev: Option<String>,
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    pub render: RenderFlags,
}

/// The outcome of `check`: the inventory (for reports) and the findings, sorted.
#[derive(Debug)]
pub struct CheckRun {
    pub inventory: Inventory,
    pub diagnostics: Vec<Diagnostic>,
    /// The findings a suppression comment or annotation silenced, for the summary.
    pub suppressed: Vec<diagnostic::suppression::Suppressed>,
}

impl CheckRun {
    /// Whether a finding is at or above `threshold`.
    pub fn fails(&self, threshold: Option<Severity>) -> bool {
        threshold.is_some_and(|t| self.diagnostics.iter().any(|d| d.severity >= t))
    }
}

fn check_ids(ids: &[String], flag: &'static str) -> Result<(), Error> {
    for id in ids {
        if rules::find(id).is_none() {
            return Err(Error::UnknownRule {
                id: id.clone(),
                flag,
                help: config::suggest(id),
            });
        }
    }
    Ok(())
}

fn selection(config: &Config, opts: &CheckOptions) -> Result<Selection, Error> {
    check_ids(&opts.select, "--select")?;
    check_ids(&opts.ignore, "--ignore")?;
    let mut s = Selection::default();
    for (id, setting) in &config.rules {
        if !setting.enabled {
            s.disabled.insert(id.clone());
        }
        if let Some(sev) = setting.severity {
            s.severity.insert(id.clone(), sev);
        }
    }
    if !opts.select.is_empty() {
        // An explicit selection runs those rules even when the config turned them off.
        for id in &opts.select {
            s.disabled.remove(id);
        }
        s.only = Some(opts.select.iter().cloned().collect());
    }
    s.disabled.extend(opts.ignore.iter().cloned());
    Ok(s)
}

/// Loads and renders the tree `check` and `render` look at; returns the inventory and the
/// configuration it was built with.
pub fn inventory(
    paths: &[PathBuf],
    config_path: Option<&Path>,
    flags: &RenderFlags,
) -> Result<(Inventory, Config), Error> {
    let scan = Scan::of(paths)?;
    let config = scan.config(config_path)?;
    let inventory = scan.inventory(&config, flags)?;
    Ok((inventory, config))
}

/// Like [`inventory`], with the configuration as git revision `rev` has it (`--config-rev`)
/// when given, and what the working tree's config file loosens against it recorded in the
/// inventory.
pub fn inventory_with(
    paths: &[PathBuf],
    config_path: Option<&Path>,
    config_rev: Option<&str>,
    flags: &RenderFlags,
) -> Result<(Inventory, Config), Error> {
    let Some(rev) = config_rev else {
        return inventory(paths, config_path, flags);
    };
    let scan = Scan::of(paths)?;
    let (config, sides) = scan.config_at_rev(rev, config_path)?;
    let mut inventory = scan.inventory(&config, flags)?;
    if let Some(sides) = sides {
        config_change::attach(&mut inventory, &config, sides);
    }
    Ok((inventory, config))
}

/// Runs `check`.
pub fn check(opts: &CheckOptions) -> Result<CheckRun, Error> {
    check_ids(&opts.select, "--select")?;
    check_ids(&opts.ignore, "--ignore")?;
    let (inventory, config) = inventory_with(
        &opts.paths,
        opts.config.as_deref(),
        opts.config_rev.as_deref(),
        &opts.render,
    )?;
    let selection = selection(&config, opts)?;
    let (mut diagnostics, mut suppressed) = rules::run_accounted(&inventory, &selection);
    stage_mark("rules");
    // Reviewed against a base, a suppression the change adds does not silence its finding, as
    // the change's own config file does not choose the rules (see diagnostic::suppression).
    if let Some(rev) = &opts.config_rev
        && !suppressed.is_empty()
    {
        let at = Scan::of(&opts.paths)?.at_rev(rev)?;
        let (added, kept) =
            diagnostic::suppression::split_added(&inventory, suppressed, &|rel| at.text(rel));
        diagnostics.extend(added);
        rules::sort(&inventory, &mut diagnostics);
        suppressed = kept;
    }
    Ok(CheckRun {
        inventory,
        diagnostics,
        suppressed,
    })
}

/// The outcome of `diff`: the change set (with both revisions' files, for reports) and the
/// destructive-change findings.
#[derive(Debug)]
pub struct DiffRun {
    pub changes: diff::ChangeSet,
    pub diagnostics: Vec<Diagnostic>,
    /// The findings a suppression the base already had silenced, for the summary.
    pub suppressed: Vec<diagnostic::suppression::Suppressed>,
}

impl DiffRun {
    pub fn fails(&self, threshold: Option<Severity>) -> bool {
        threshold.is_some_and(|t| self.diagnostics.iter().any(|d| d.severity >= t))
    }
}

/// Runs `diff`.
pub fn diff(
    opts: &diff::DiffOptions,
    select: &[String],
    ignore: &[String],
) -> Result<DiffRun, Error> {
    check_ids(select, "--select")?;
    check_ids(ignore, "--ignore")?;
    let (changes, config) = diff::run(opts)?;
    let selection = selection(
        &config,
        &CheckOptions {
            select: select.to_vec(),
            ignore: ignore.to_vec(),
            ..CheckOptions::default()
        },
    )?;
    let (mut diagnostics, suppressed) = rules::run_changes_accounted(&changes, &selection);
    // A suppression the head adds does not silence its finding: the change under review does not
    // choose the rules that judge it (the base's suppressions, like its configuration, apply).
    // The merged inventory holds the head's files first, then the base's.
    let inventory = &changes.inventory;
    let head_files = inventory.own.map_or(inventory.sources.len(), |o| o.files);
    let base_texts: std::collections::HashMap<&str, &str> = inventory
        .sources
        .iter()
        .skip(head_files)
        .filter(|(_, f)| f.rendered.is_none())
        .map(|(_, f)| (f.rel.as_str(), &*f.text))
        .collect();
    let (in_head, suppressed): (Vec<_>, Vec<_>) = suppressed
        .into_iter()
        .partition(|s| s.directive.file.0 < head_files);
    let (added, kept) = diagnostic::suppression::split_added(inventory, in_head, &|rel| {
        base_texts.get(rel).map(|t| t.to_string())
    });
    diagnostics.extend(added);
    rules::sort(inventory, &mut diagnostics);
    let suppressed = suppressed.into_iter().chain(kept).collect();
    Ok(DiffRun {
        changes,
        diagnostics,
        suppressed,
    })
}

/// With `MANIFEST_GUARD_STAGES` set, prints to stderr how long the run has taken when each stage
/// ends (load, render, rules, report), for profiling; silent otherwise. Reports never carry it.
#[doc(hidden)]
#[allow(clippy::print_stderr)] // a developer's switch, off unless the variable is set
pub fn stage_mark(name: &str) {
    use std::sync::OnceLock;
    static START: OnceLock<Option<std::time::Instant>> = OnceLock::new();
    let start = START.get_or_init(|| {
        std::env::var_os("MANIFEST_GUARD_STAGES").map(|_| std::time::Instant::now())
    });
    if let Some(start) = start {
        // Resident memory now and at its peak (Linux only): which stage holds the peak.
        let memory = std::fs::read_to_string("/proc/self/status")
            .ok()
            .map(|status| {
                let kb = |key: &str| {
                    status
                        .lines()
                        .find_map(|l| l.strip_prefix(key))
                        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                        .unwrap_or(0)
                };
                format!(
                    "  (RSS {} MiB, peak {} MiB)",
                    kb("VmRSS:") / 1024,
                    kb("VmHWM:") / 1024
                )
            })
            .unwrap_or_default();
        eprintln!(
            "stage {:>9.3} ms  {name}{memory}",
            start.elapsed().as_secs_f64() * 1000.0
        );
    }
}
