//! `diff`: what a merge or a sync will create, change, recreate and delete, per cluster.
//!
//! It materialises the base (and, if asked, the head) revision with `git archive` into a
//! temporary directory — no worktree is registered, so nothing is left in the repository, and
//! the directory is removed on every exit path, Ctrl-C and SIGTERM included (`scratch`) — runs
//! the same load and render on both sides, and compares the inventories (`change`). It never
//! checks anything out in the user's working tree and never runs anything the repository asks
//! for.

pub mod change;
pub mod immutable;
pub mod quantity;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::config::Config;
use crate::scratch::{self, TempDir};
use crate::{Error, Scan};

pub use change::{Change, ChangeKind, ChangeSet};

/// What `diff` compares.
#[derive(Debug, Clone, Default)]
pub struct DiffOptions {
    pub base: Option<String>,
    pub head: Option<String>,
    pub base_dir: Option<PathBuf>,
    pub head_dir: Option<PathBuf>,
    /// The directory to compare inside the repository (default `.`).
    pub path: Option<PathBuf>,
    pub config: Option<PathBuf>,
    pub render: crate::RenderFlags,
}

/// A revision extracted into a temporary directory, removed when dropped.
struct Materialized {
    dir: TempDir,
}

fn git(repo: &Path, args: &[&str]) -> Result<String, Error> {
    let out = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Error::Git(format!("cannot run git: {e}")))?;
    if !out.status.success() {
        return Err(Error::Git(
            String::from_utf8_lossy(&out.stderr).trim().to_string(),
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// A new temporary directory for a revision: in memory (`/dev/shm`) where there is one — a
/// revision is thousands of small files, and writing them to a disk costs seconds — else in the
/// system's temporary directory. `TMPDIR`, when set, wins.
fn scratch_dir() -> std::io::Result<TempDir> {
    let shm = Path::new("/dev/shm");
    if std::env::var_os("TMPDIR").is_none() && shm.is_dir() {
        if let Ok(dir) = TempDir::new_in(shm) {
            return Ok(dir);
        }
    }
    TempDir::new()
}

/// Extracts `rev` of the repository at `top` into a new temporary directory.
fn materialize(top: &Path, rev: &str) -> Result<Materialized, Error> {
    // Resolve first, so a missing revision is named with git's own message, and so an
    // option-like name cannot be taken for a flag.
    let commit = git(
        top,
        &[
            "rev-parse",
            "--verify",
            "--end-of-options",
            &format!("{rev}^{{commit}}"),
        ],
    )
    .map_err(|e| {
        let said = match e {
            Error::Git(message) if !message.is_empty() => format!(" (git: {message})"),
            _ => String::new(),
        };
        Error::Git(format!(
            "revision `{rev}` does not exist in {}{said}",
            top.display()
        ))
    })?;
    let materialized = Materialized {
        dir: scratch_dir()
            .map_err(|e| Error::Git(format!("cannot create a temporary directory: {e}")))?,
    };
    // Both in process groups of their own, registered, so an interrupt stops them before their
    // directory is removed.
    let (mut archive, archive_group) = scratch::spawn_group(
        Command::new("git")
            .arg("-C")
            .arg(top)
            .args(["archive", "--format=tar", &commit])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    )
    .map_err(|e| Error::Git(format!("cannot run git archive: {e}")))?;
    let Some(stdout) = archive.stdout.take() else {
        return Err(Error::Git("git archive gave no output".into()));
    };
    let (untar, untar_group) = scratch::spawn_group(
        Command::new("tar")
            .args(["-x", "-f", "-", "-C"])
            .arg(materialized.dir.path())
            .stdin(stdout)
            .stdout(Stdio::null())
            .stderr(Stdio::piped()),
    )
    .map_err(|e| Error::Git(format!("cannot run tar: {e}")))?;
    let untar = untar
        .wait_with_output()
        .map_err(|e| Error::Git(format!("tar failed: {e}")))?;
    let archived = archive
        .wait_with_output()
        .map_err(|e| Error::Git(format!("git archive failed: {e}")))?;
    drop((untar_group, archive_group));
    if !archived.status.success() || !untar.status.success() {
        return Err(Error::Git(format!(
            "cannot extract `{rev}`: {}{}",
            String::from_utf8_lossy(&archived.stderr).trim(),
            String::from_utf8_lossy(&untar.stderr).trim()
        )));
    }
    Ok(materialized)
}

/// Inventories of one side, with files named `label` + path.
fn side(
    root: PathBuf,
    label: Option<String>,
    config: &Config,
    flags: &crate::RenderFlags,
) -> Result<crate::model::Inventory, Error> {
    if !root.exists() {
        return Err(Error::MissingPath(root.display().to_string()));
    }
    let scan = Scan {
        paths: vec![root.clone()],
        root,
        label,
    };
    scan.inventory(config, flags)
}

/// Runs `diff`: the change set between the two sides.
pub fn run(opts: &DiffOptions) -> Result<(ChangeSet, Config), Error> {
    if let (Some(base_dir), Some(head_dir)) = (&opts.base_dir, &opts.head_dir) {
        let head_scan = Scan::of(std::slice::from_ref(head_dir))?;
        let config = head_scan.config(opts.config.as_deref())?;
        let head = head_scan.inventory(&config, &opts.render)?;
        let base_scan = Scan::of(std::slice::from_ref(base_dir))?;
        let base = base_scan.inventory(&config, &opts.render)?;
        let label =
            crate::load::display_path(base_dir, &std::env::current_dir().map_err(Error::Cwd)?);
        return Ok((change::compare(base, head, &label), config));
    }
    let Some(base_rev) = &opts.base else {
        return Err(Error::Usage(
            "diff needs `--base REV` (inside a git repository) or `--base-dir DIR --head-dir DIR`"
                .into(),
        ));
    };
    let path = opts.path.clone().unwrap_or_else(|| PathBuf::from("."));
    if !path.is_dir() {
        return Err(Error::MissingPath(path.display().to_string()));
    }
    let top = PathBuf::from(git(&path, &["rev-parse", "--show-toplevel"])?);
    let sub = path
        .canonicalize()
        .ok()
        .and_then(|p| {
            p.strip_prefix(top.canonicalize().ok()?)
                .ok()
                .map(Path::to_path_buf)
        })
        .unwrap_or_default();
    let sub_label = {
        let s = crate::load::slash_path(&sub);
        if s.is_empty() {
            String::new()
        } else {
            format!("{s}/")
        }
    };

    let head_scan = Scan::of(std::slice::from_ref(&path))?;
    let mut config = head_scan.config(opts.config.as_deref())?;
    // A materialised revision has no `.git`: tell it which repository it is (as the head knows
    // it from its origin remote, when the head is the repository's top).
    if config.repositories.is_empty() && sub_label.is_empty() {
        if let Some(origin) = crate::render::argocd::repo::origin_of(&top) {
            config.repositories.push((origin, ".".into()));
        }
    }

    // The two sides are independent: build them at the same time.
    let revision = |rev: &str| -> Result<crate::model::Inventory, Error> {
        let tree = materialize(&top, rev)?;
        side(
            tree.dir.path().join(&sub),
            Some(format!("{rev}:{sub_label}")),
            &config,
            &opts.render,
        )
    };
    let (base, head) = rayon::join(
        || revision(base_rev),
        || match &opts.head {
            Some(rev) => revision(rev),
            None => head_scan.inventory(&config, &opts.render),
        },
    );
    Ok((change::compare(base?, head?, base_rev), config))
}

/// Per cluster: counts by change kind, the Applications affected, and the storage at risk.
#[derive(Debug, Clone, Default)]
pub struct ClusterImpact {
    pub counts: BTreeMap<ChangeKind, usize>,
    pub applications: BTreeSet<String>,
    pub storage_at_risk: u128,
}

pub fn blast_radius(set: &ChangeSet) -> BTreeMap<String, ClusterImpact> {
    let mut out: BTreeMap<String, ClusterImpact> = BTreeMap::new();
    for c in &set.changes {
        let impact = out.entry(c.id.cluster.clone()).or_default();
        *impact.counts.entry(c.kind).or_default() += 1;
        if let Some(app) = &c.application {
            impact.applications.insert(app.clone());
        }
        if matches!(
            c.kind,
            ChangeKind::Deleted
                | ChangeKind::Recreated
                | ChangeKind::Renamed
                | ChangeKind::Orphaned
        ) {
            impact.storage_at_risk += c.storage_at_risk;
        }
    }
    out
}
