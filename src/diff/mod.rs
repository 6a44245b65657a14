//! `diff`: what a merge or a sync will create, change, recreate and delete, per cluster.
//!
//! It materialises the base (and, if asked, the head) revision from git's objects into a
//! temporary directory — no worktree is registered, so nothing is left in the repository, and
//! the directory is removed on every exit path, Ctrl-C and SIGTERM included (`scratch`) — runs
//! the same load and render on both sides, and compares the inventories (`change`). For speed,
//! a blob whose bytes the working tree's file already holds (same git name) is written from
//! them, and the base takes the head's parse of every file whose text is the same. It never
//! checks anything out in the user's working tree and never runs anything the repository asks
//! for. The configuration is the base's: the change under review must not choose the rules that
//! judge it.

pub mod change;
pub mod immutable;
pub mod quantity;
pub mod unrendered;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::{self, Config};
use crate::error::Error;
use crate::git::{file_at, git, resolve};
use crate::render::argocd::repo::{Checkout, checkout_of};
use crate::scan::Scan;
use crate::scratch::TempDir;

pub use change::{Change, ChangeKind, ChangeSet, ConfigOrigin, ConfigSource, Owner};

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
    pub render: crate::scan::RenderFlags,
}

/// The texts of the working tree's files the head read, by path below the repository's top:
/// a base blob with the same bytes is written from them rather than read from git.
type HeadTexts = std::collections::HashMap<String, Arc<str>>;

/// A revision extracted into a temporary directory, removed when dropped.
struct Materialized {
    dir: TempDir,
}

/// A new temporary directory for a revision: in memory (`/dev/shm`) where there is one — a
/// revision is thousands of small files, and writing them to a disk costs seconds — else in the
/// system's temporary directory. `TMPDIR`, when set, wins.
fn scratch_dir() -> std::io::Result<TempDir> {
    let shm = Path::new("/dev/shm");
    if std::env::var_os("TMPDIR").is_none()
        && shm.is_dir()
        && let Ok(dir) = TempDir::new_in(shm)
    {
        return Ok(dir);
    }
    TempDir::new()
}

/// Whether [`scratch_dir`] may make its directory inside `root` (`TMPDIR` pointing into the
/// checkout): a walk of `root` running meanwhile would then meet the revision's directories,
/// or not, as the threads ran. Either place it may choose counts; a place that cannot be
/// resolved counts as inside.
fn scratch_may_be_inside(root: &Path) -> bool {
    let Ok(root) = root.canonicalize() else {
        return true;
    };
    let shm = Path::new("/dev/shm");
    let mut places = vec![std::env::temp_dir()];
    if std::env::var_os("TMPDIR").is_none() && shm.is_dir() {
        places.push(shm.to_path_buf());
    }
    places.iter().any(|place| {
        place
            .canonicalize()
            .map_or(true, |place| place.starts_with(&root))
    })
}

/// Extracts `commit` (which `rev` names) of the repository at `top` into a new temporary
/// directory, from git's objects (`git::write_tree`: the blobs' own bytes, links written as
/// links and never followed).
fn materialize(
    top: &Path,
    rev: &str,
    commit: &str,
    known: &HeadTexts,
) -> Result<Materialized, Error> {
    let materialized = Materialized {
        dir: scratch_dir()
            .map_err(|e| Error::Git(format!("cannot create a temporary directory: {e}")))?,
    };
    let known = |path: &[u8]| {
        let path = std::str::from_utf8(path).ok()?;
        known.get(path).cloned()
    };
    crate::git::write_tree(top, commit, materialized.dir.path(), &known)
        .map_err(|e| extracting(rev, e))?;
    Ok(materialized)
}

/// [`materialize`] in two halves, the first: a new temporary directory with `commit`'s tree listed and
/// its directories made (`git::list_tree`), which needs nothing of the working tree's files.
fn list_revision(
    top: &Path,
    rev: &str,
    commit: &str,
) -> Result<(Materialized, crate::git::ListedTree), Error> {
    let materialized = Materialized {
        dir: scratch_dir()
            .map_err(|e| Error::Git(format!("cannot create a temporary directory: {e}")))?,
    };
    let listed = crate::git::list_tree(top, commit, materialized.dir.path())
        .map_err(|e| extracting(rev, e))?;
    Ok((materialized, listed))
}

/// [`materialize`]'s second half: the files of the listed revision written.
fn fill_revision(
    top: &Path,
    rev: &str,
    (materialized, listed): (&Materialized, &crate::git::ListedTree),
    known: &HeadTexts,
) -> Result<(), Error> {
    let known = |path: &[u8]| {
        let path = std::str::from_utf8(path).ok()?;
        known.get(path).cloned()
    };
    crate::git::fill_tree(top, materialized.dir.path(), listed, &known)
        .map_err(|e| extracting(rev, e))
}

/// A git error met extracting `rev`, saying so.
fn extracting(rev: &str, e: Error) -> Error {
    match e {
        Error::Git(why) => Error::Git(format!("cannot extract `{rev}`: {why}")),
        other => other,
    }
}

/// The scan of a materialised revision, with files named `label` + path.
fn side(root: PathBuf, label: String, checkout: Checkout) -> Result<Scan, Error> {
    if !root.exists() {
        return Err(Error::MissingPath(root.display().to_string()));
    }
    Ok(Scan {
        paths: vec![root.clone()],
        root,
        label: Some(label),
        checkout: Some(checkout),
    })
}

/// What `base` gives: the base's scan, and the revision written for it (kept until the
/// inventories are compared).
type BaseScan = (Scan, Option<Materialized>);

/// Both inventories, from the head's files already loaded: the head is rendered while the base
/// (once `base` has it on disk) is loaded, taking the head's parse of every file whose text is
/// the same (most files, in a review: a parse depends on the text alone, see
/// `load::ParsedFiles`), and rendered. The base's error comes first.
fn inventories(
    base: impl FnOnce() -> Result<BaseScan, Error> + Send,
    head: (&Scan, crate::load::Sources),
    config: &Config,
    flags: &crate::scan::RenderFlags,
) -> Result<((crate::model::Inventory, BaseScan), crate::model::Inventory), Error> {
    let (head_scan, head_sources) = head;
    let parsed = crate::load::ParsedFiles::of(&head_sources);
    let (base, head) = rayon::join(
        || -> Result<_, Error> {
            let (scan, tree) = base()?;
            let sources = scan.load(config, Some(parsed))?;
            crate::stage_mark("diff: base loaded (the head's parses taken)");
            let inventory = scan.render(sources, config, flags)?;
            Ok((inventory, (scan, tree)))
        },
        || head_scan.render(head_sources, config, flags),
    );
    Ok((base?, head?))
}

/// Messages that name the temporary directory a revision was extracted to (a tool's error
/// quotes the paths it read) name the revision instead: `<rev>:path`. The directory is gone
/// when the report is read.
fn name_revision(inventory: &mut crate::model::Inventory, tree: &Path, rev: &str) {
    let mut dirs = vec![tree.to_path_buf()];
    if let Ok(real) = tree.canonicalize()
        && real != tree
    {
        dirs.push(real);
    }
    for note in &mut inventory.notes {
        for dir in &dirs {
            let dir = dir.display().to_string();
            if note.message.contains(&dir) {
                note.message = note
                    .message
                    .replace(&format!("{dir}/"), rev)
                    .replace(&dir, &format!("{rev}."));
            }
        }
    }
}

/// The configuration for both sides: `--config FILE` when given, else the base's
/// `.manifest-guard.yaml` (`base_file`: its text, if it has one, and its name in messages), else
/// the defaults. The head's file (`head_text`) is only compared with it, to say in the report
/// that its changes are not applied.
fn base_config(
    flag: Option<&Path>,
    base_file: (Option<String>, String),
    head_text: Option<String>,
    repository: &[&Path],
) -> Result<(Config, ConfigSource), Error> {
    if let Some(path) = flag {
        let cwd = std::env::current_dir().map_err(Error::Cwd)?;
        let display = crate::load::display_path(path, &cwd);
        let mut dirs = repository.to_vec();
        dirs.push(&cwd);
        let origin = crate::scan::config_origin(path, &dirs);
        let Some(config) = Config::read(path, &display, origin).map_err(Box::new)? else {
            return Err(Error::MissingPath(display));
        };
        let source = ConfigSource {
            origin: ConfigOrigin::Flag(display),
            head_differs: false,
            compared: String::new(),
        };
        return Ok((config, source));
    }
    let (base_text, label) = base_file;
    let head_differs = base_text != head_text;
    Ok(match base_text {
        Some(text) => (
            Config::parse(&label, Arc::from(text)).map_err(Box::new)?,
            ConfigSource {
                origin: ConfigOrigin::Base(label),
                head_differs,
                compared: String::new(),
            },
        ),
        None => (
            Config::default(),
            ConfigSource {
                origin: ConfigOrigin::Defaults,
                head_differs,
                compared: String::new(),
            },
        ),
    })
}

/// The text of the config file of a directory; `None` when there is none. One that exists but
/// cannot be read is an error, worded as `check` words it.
fn config_text_in(dir: &Path, shown: &str) -> Result<Option<String>, Error> {
    let path = dir.join(config::FILE_NAME);
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(_) => Ok(Config::read(&path, shown, config::Origin::Repository)
            .map_err(Box::new)?
            .and(None)),
    }
}

/// Runs `diff`: the change set between the two sides, and the configuration both were read with.
pub fn run(opts: &DiffOptions) -> Result<(ChangeSet, Config), Error> {
    // Both sides share their renders: a source whose inputs are identical on both sides is
    // rendered once, so its output is identical too (see `render::cache::Memo`).
    let mut shared = opts.clone();
    shared.render.memo = Some(Arc::new(crate::render::cache::Memo::default()));
    let opts = &shared;
    if let (Some(base_dir), Some(head_dir)) = (&opts.base_dir, &opts.head_dir) {
        let head_scan = Scan::of(std::slice::from_ref(head_dir))?;
        let base_scan = Scan::of(std::slice::from_ref(base_dir))?;
        let cwd = std::env::current_dir().map_err(Error::Cwd)?;
        let label = crate::load::display_path(base_dir, &cwd);
        let shown = crate::load::display_path(&base_scan.root.join(config::FILE_NAME), &cwd);
        let base_text = config_text_in(&base_scan.root, &shown)?;
        let head_path = head_scan.root.join(config::FILE_NAME);
        let sides = crate::config_change::Sides {
            base: base_text.clone(),
            head: crate::config_change::read_head(&head_path),
            head_display: crate::load::display_path(&head_path, &cwd),
            head_rel: config::FILE_NAME.to_string(),
        };
        let (config, source) = base_config(
            opts.config.as_deref(),
            (base_text, shown),
            crate::config_change::read_head(&head_path),
            &[&base_scan.root, &head_scan.root],
        )?;
        let head_sources = head_scan.load(&config, None)?;
        let ((base, _), head) = inventories(
            || Ok((base_scan.clone(), None)),
            (&head_scan, head_sources),
            &config,
            &opts.render,
        )?;
        let unrendered = unrendered::find(
            &base,
            &head,
            &base_scan.root,
            &head_scan.root,
            head.sources.len(),
        );
        let mut set = change::compare(base, head, &label);
        set.config = source;
        set.unrendered = unrendered;
        // What the head's config file would loosen once merged (not with an operator's
        // `--config`: then neither side's file is used).
        if opts.config.is_none() {
            crate::config_change::attach(&mut set.inventory, &config, sides);
        }
        return Ok((set, config));
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
    let label = |rev: &str| format!("{rev}:{sub_label}");
    let head_scan = Scan::of(std::slice::from_ref(&path))?;
    let base_commit = resolve(&top, base_rev)?;
    let head_commit = match &opts.head {
        Some(rev) => Some(resolve(&top, rev)?),
        None => None,
    };

    // The configuration is read from git, before anything is extracted, so that both sides can
    // then be extracted and built at the same time. `--config` naming a file of the repository
    // is read as the base has it too: the pull request's version must not choose the rules that
    // judge it. A file outside the repository (the operator's) is read from disk.
    let named = opts
        .config
        .as_deref()
        .map(|p| (p, crate::scan::repository_path(&top, p)));
    let (config_path, head_file, flag) = match named {
        Some((_, Some(rel))) => (rel.clone(), top.join(&rel), None),
        Some((p, None)) => (String::new(), PathBuf::new(), Some(p)),
        None => (
            format!("{sub_label}{}", config::FILE_NAME),
            head_scan.root.join(config::FILE_NAME),
            None,
        ),
    };
    let base_shown = format!("{base_rev}:{config_path}");
    let cwd = std::env::current_dir().map_err(Error::Cwd)?;
    let mut sides = crate::config_change::Sides::default();
    let (base_text, head_text) = if flag.is_some() {
        (None, None)
    } else {
        let base_text = file_at(&top, &base_commit, &config_path, &base_shown)?;
        // `--config` naming a file neither side has is a mistake, not the defaults.
        if base_text.is_none()
            && opts.config.is_some()
            && std::fs::symlink_metadata(&head_file).is_err()
        {
            return Err(Error::MissingPath(crate::load::display_path(
                opts.config.as_deref().unwrap_or(&head_file),
                &cwd,
            )));
        }
        let (head_text, compared, head_display) = match (&opts.head, &head_commit) {
            (Some(rev), Some(commit)) => {
                let shown = format!("{rev}:{config_path}");
                // Only compared: a head file that is not a regular file counts as none.
                let text = file_at(&top, commit, &config_path, &shown).unwrap_or(None);
                (text.clone(), text, shown)
            }
            // Read as `read_head` reads it, a link not followed: the working tree's
            // `.manifest-guard.yaml` linked to `/dev/zero` was read until memory ran out.
            _ => {
                let text = crate::config_change::read_head(&head_file);
                (
                    text.clone(),
                    text,
                    crate::load::display_path(&head_file, &cwd),
                )
            }
        };
        sides = crate::config_change::Sides {
            base: base_text.clone(),
            head: compared,
            head_display,
            head_rel: config_path.clone(),
        };
        (base_text, head_text)
    };
    let (config, mut source) = base_config(
        flag,
        (base_text, base_shown),
        head_text,
        &[&top, &head_scan.root],
    )?;
    source.compared = config_path;
    // A materialised revision has no `.git`: it is the checkout's tree, with its origin.
    let origin = checkout_of(&top).map(|c| c.origin).unwrap_or_default();

    // The revisions are written out of git (on threads of their own: mostly waiting on git and
    // the file system) while the head's files are loaded; then the head is rendered while the
    // base is loaded, taking the head's parses, and rendered.
    let written = |rev: &str, tree: Materialized| -> Result<(Scan, Materialized), Error> {
        let checkout = Checkout {
            top: tree.dir.path().to_path_buf(),
            origin: origin.clone(),
        };
        let scan = side(tree.dir.path().join(&sub), label(rev), checkout)?;
        crate::stage_mark(&format!("diff: {rev} written from git"));
        Ok((scan, tree))
    };
    let revision =
        |rev: &str, commit: &str, known: &HeadTexts| -> Result<(Scan, Materialized), Error> {
            written(rev, materialize(&top, rev, commit, known)?)
        };
    let none = HeadTexts::new();
    let built = match (&opts.head, &head_commit) {
        // Two revisions: both are written from git at the same time, the head's loaded first.
        (Some(head_rev), Some(head_commit)) => std::thread::scope(|s| {
            let base_job = s.spawn(|| revision(base_rev, &base_commit, &none));
            let base = move || {
                base_job
                    .join()
                    .unwrap_or_else(|_| Err(Error::Git("writing the base revision failed".into())))
                    .map(|(scan, tree)| (scan, Some(tree)))
            };
            let head_side = revision(head_rev, head_commit, &none).and_then(|(scan, tree)| {
                let sources = scan.load(&config, None)?;
                Ok((scan, sources, Some(tree)))
            });
            let (head_scan, head_sources, head_tree) = match head_side {
                Ok(side) => side,
                // The base's error first, as when it was the first side built.
                Err(e) => return Err(base().err().unwrap_or(e)),
            };
            let (base, head) =
                inventories(base, (&head_scan, head_sources), &config, &opts.render)?;
            Ok((base, (head, head_scan, head_tree)))
        }),
        // The working tree: its files are loaded first, and the base is written taking the
        // bytes of every file the head read that are the base's blob's (most files, in a
        // review), git giving the rest, while the head is rendered.
        // The base's tree is listed and its directories made while the head's files are read;
        // after, when they may be made inside the tree the head's walk reads (`TMPDIR` in the
        // checkout), so that the walk never meets them.
        _ => {
            let (head_sources, listed) = if scratch_may_be_inside(&head_scan.root) {
                let head = head_scan.load(&config, None);
                (head, list_revision(&top, base_rev, &base_commit))
            } else {
                std::thread::scope(|s| {
                    let listing = s.spawn(|| list_revision(&top, base_rev, &base_commit));
                    let head = head_scan.load(&config, None);
                    let listed = listing
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                    (head, listed)
                })
            };
            let head_sources = head_sources?;
            let known: HeadTexts = head_sources
                .iter()
                .filter(|(_, f)| f.read_problem.is_none())
                .map(|(_, f)| (format!("{sub_label}{}", f.rel), f.text.clone()))
                .collect();
            let base = || {
                let (tree, listed) = listed?;
                fill_revision(&top, base_rev, (&tree, &listed), &known)?;
                written(base_rev, tree).map(|(scan, tree)| (scan, Some(tree)))
            };
            let (base, head) =
                inventories(base, (&head_scan, head_sources), &config, &opts.render)?;
            Ok((base, (head, head_scan.clone(), None)))
        }
    };
    let ((mut base, (base_scan, base_tree)), (mut head, head_scan, head_tree)) = built?;
    if let Some(tree) = &base_tree {
        name_revision(&mut base, tree.dir.path(), &format!("{base_rev}:"));
    }
    if let (Some(rev), Some(tree)) = (&opts.head, &head_tree) {
        name_revision(&mut head, tree.dir.path(), &format!("{rev}:"));
    }
    let (base_root, head_root) = (base_scan.root.clone(), head_scan.root.clone());
    let unrendered = unrendered::find(&base, &head, &base_root, &head_root, head.sources.len());
    crate::stage_mark("diff: sources' inputs compared");
    // The written revisions are removed while the inventories are compared (thousands of files
    // to unlink); both are gone before this returns.
    let mut set = std::thread::scope(|s| {
        s.spawn(move || {
            drop((base_tree, head_tree));
            crate::stage_mark("diff: revisions removed");
        });
        let set = change::compare(base, head, base_rev);
        crate::stage_mark("diff: inventories compared");
        set
    });

    set.config = source;
    set.unrendered = unrendered;
    if flag.is_none() {
        crate::config_change::attach(&mut set.inventory, &config, sides);
    }
    Ok((set, config))
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
    // What no Application deploys reaches no cluster through Argo CD: not counted.
    for c in set.changes.iter().filter(|c| !c.unowned) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn scan_of(dir: &Path) -> Scan {
        Scan {
            paths: vec![dir.to_path_buf()],
            root: dir.to_path_buf(),
            label: None,
            checkout: None,
        }
    }

    /// Both sides of a diff of two directories, each holding `files` with the head's or the
    /// base's text (rendering off), built as `diff` builds them: the head loaded first, the
    /// base taking its parses. The base's scan is returned for a fresh load to compare with.
    fn two_sides(
        files: &[(&str, &dyn Fn(bool) -> String)],
    ) -> (
        [tempfile::TempDir; 2],
        Scan,
        crate::model::Inventory,
        crate::model::Inventory,
    ) {
        let dirs = [
            tempfile::tempdir().expect("tmp"),
            tempfile::tempdir().expect("tmp"),
        ];
        for (dir, head) in dirs.iter().zip([false, true]) {
            for (name, text) in files {
                std::fs::write(dir.path().join(name), text(head)).expect("write");
            }
        }
        let (base_scan, head_scan) = (scan_of(dirs[0].path()), scan_of(dirs[1].path()));
        let head_sources = head_scan.load(&Config::default(), None).expect("head");
        let base = || Ok((base_scan.clone(), None));
        let ((base, _), head) = inventories(
            base,
            (&head_scan, head_sources),
            &Config::default(),
            &no_render(),
        )
        .expect("sides");
        (dirs, base_scan, base, head)
    }

    fn no_render() -> crate::scan::RenderFlags {
        crate::scan::RenderFlags {
            no_render: true,
            ..Default::default()
        }
    }

    // The base is loaded after the head and takes its parse of every file whose text is the
    // head's (performance, issue 12): an unchanged object is then the head's very node, and is
    // equal without a walk; a changed file is parsed on its own. Either way the base's files
    // hold what a load of their own would have made. (Before, each side parsed every file: no
    // node was shared, and the first assertion failed.)
    #[test]
    fn the_base_takes_the_heads_parse_of_an_unchanged_file() {
        let object = |name: &str, value: &str| {
            format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}  # manifest-guard: ignore[one-object-per-file]\ndata:\n  x: \"{value}\"\n"
            )
        };
        let (_dirs, base_scan, base, head) = two_sides(&[
            ("same.yaml", &|_| object("same", "1")),
            ("changed.yaml", &|head| {
                object("changed", if head { "2" } else { "1" })
            }),
        ]);
        let node = |inv: &crate::model::Inventory, name: &str| -> *const crate::load::Node {
            let (_, o) = inv
                .objects()
                .find(|(_, o)| o.id.name == name)
                .expect("the object");
            &*o.node
        };
        assert!(std::ptr::eq(node(&base, "same"), node(&head, "same")));
        assert!(!std::ptr::eq(
            node(&base, "changed"),
            node(&head, "changed")
        ));
        let fresh = base_scan
            .inventory(&Config::default(), &no_render())
            .expect("fresh");
        let files = |inv: &crate::model::Inventory| -> Vec<String> {
            inv.sources
                .iter()
                .map(|(_, f)| {
                    format!(
                        "{} {} {:?} {:?} {:?} {:?}",
                        f.display, f.rel, f.documents, f.yaml_error, f.lines, f.suppressions
                    )
                })
                .collect()
        };
        assert_eq!(files(&base), files(&fresh));
    }

    // An identity one owner defines twice (two files of a directory applied by hand): the later
    // definition is the live one on both sides, so changing only the second is a modification.
    // Pins what the change set's map of live objects kept when it was built by insertion (the
    // last of equal keys), now that it is sorted and built in one pass.
    #[test]
    fn of_an_identity_defined_twice_the_later_is_compared() {
        let object = |value: &str| {
            format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  v: \"{value}\"\n"
            )
        };
        let (_dirs, _, base, head) = two_sides(&[
            ("a.yaml", &|_| object("1")),
            ("b.yaml", &|head| object(if head { "2" } else { "1" })),
        ]);
        let set = change::compare(base, head, "base");
        let kinds: Vec<ChangeKind> = set.changes.iter().map(|c| c.kind).collect();
        assert_eq!(kinds, [ChangeKind::Modified]);
        let head = set.changes[0].head.expect("a head object");
        let file = set.inventory.sources.get(set.inventory.object(head).file);
        assert_eq!(file.rel, "b.yaml");
    }

    // A tool's error quotes the paths it read, inside the temporary directory the revision was
    // extracted to: the message names the revision instead (`HEAD~1:base`), in both the path's
    // spellings (as given, and with links resolved).
    #[test]
    fn render_notes_name_the_revision_not_the_temporary_directory() {
        let dir = tempfile::tempdir().expect("tempdir");
        let scan = crate::Scan {
            paths: vec![dir.path().to_path_buf()],
            root: dir.path().to_path_buf(),
            label: None,
            checkout: None,
        };
        let flags = crate::scan::RenderFlags {
            no_render: true,
            ..Default::default()
        };
        let mut inventory = scan
            .inventory(&Config::default(), &flags)
            .expect("inventory");
        let tree = dir.path().display().to_string();
        let at = crate::load::Location {
            file: crate::load::FileId(0),
            span: crate::load::Span::new(0, 0),
        };
        inventory.notes.push(crate::model::RenderNote::failed(
            at,
            format!(
                "accumulating resources from '{tree}/overlays/../base': lstat {tree}: no such file"
            ),
        ));
        name_revision(&mut inventory, dir.path(), "HEAD~1:");
        assert_eq!(
            inventory.notes[0].message,
            "accumulating resources from 'HEAD~1:overlays/../base': lstat HEAD~1:.: no such file"
        );
    }
}
