//! The `fix` command: check, plan a fix for each finding, write the fixes whose files do not
//! overlap, check again, and repeat (at most [`MAX_ROUNDS`] rounds), as ruff's `--fix` does.
//!
//! It owns every write `fix` makes, and what makes them safe: a file is written only inside the
//! scanned root, never through a link, never when its text on disk is no longer the text the
//! check read (a person or another tool changed it meanwhile), atomically (a temporary file in the
//! same directory, renamed over the old one, with its permissions), and a new file never replaces
//! one that exists. Nothing here prints or formats: `report::fix` writes what `main.rs` prints.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::{CheckOptions, CheckRun};

use super::{FileChange, Fix, Fixable, planner};

/// How many times `fix` checks again after writing: a fix that waits for a file another fix of
/// its round wrote is planned in the next. Bounded, so two fixes that undo each other stop.
pub const MAX_ROUNDS: usize = 8;

/// What `fix` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct FixOptions {
    pub check: CheckOptions,
    /// `--unsafe`: apply unsafe fixes too.
    pub unsafe_fixes: bool,
    /// `--diff`: plan, write nothing.
    pub diff_only: bool,
}

/// The outcome of `fix`.
#[derive(Debug)]
pub struct FixRun {
    /// The fixes written (with `--diff`: those that would be, in the first round), in order.
    pub applied: Vec<Fix>,
    /// Unsafe fixes available with `--unsafe` (of the last check).
    pub unsafe_available: Vec<Fix>,
    /// Findings of rules that have fixes, that could not be fixed here: `(rule, file:line,
    /// why)` (of the last check).
    pub not_fixable: Vec<(&'static str, String, String)>,
    /// Fixes not written, and why (a file changed on disk since it was read, a link, ...).
    pub refused: Vec<(Fix, String)>,
    /// Fixes planned but left for a later round when the rounds ran out, or, with `--diff`,
    /// that wait for a file another fix changes (they are planned from its new text).
    pub pending: usize,
    /// The last check: after the fixes (with `--diff`, the only one, before any).
    pub check: CheckRun,
    /// How many rounds wrote something.
    pub rounds: usize,
}

impl FixRun {
    /// Whether anything was (or, with `--diff`, would be) changed.
    pub fn changed(&self) -> bool {
        !self.applied.is_empty()
    }
}

/// The fixes of one round.
struct Round {
    accepted: Vec<Fix>,
    unsafe_available: Vec<Fix>,
    not_fixable: Vec<(&'static str, String, String)>,
    deferred: usize,
}

/// Plans a fix for each finding, in the findings' order; a fix that touches a file an earlier
/// fix of the round touches (or one that could not be written before) waits.
fn plan_round(run: &CheckRun, unsafe_fixes: bool, refused: &HashSet<PathBuf>) -> Round {
    let mut round = Round {
        accepted: Vec::new(),
        unsafe_available: Vec::new(),
        not_fixable: Vec::new(),
        deferred: 0,
    };
    let mut touched: HashSet<PathBuf> = HashSet::new();
    for d in &run.diagnostics {
        let Some(plan) = planner(d.rule) else {
            continue;
        };
        let fix = match plan(&run.inventory, d) {
            Ok(fix) => fix,
            Err(no) => {
                let file = run.inventory.sources.get(d.location.file);
                let at = format!(
                    "{}:{}",
                    file.display,
                    file.line_col(d.location.span.start).line
                );
                round.not_fixable.push((d.rule, at, no.reason));
                continue;
            }
        };
        if fix.safety == Fixable::Unsafe && !unsafe_fixes {
            round.unsafe_available.push(fix);
            continue;
        }
        if fix.changes.iter().any(|c| refused.contains(&c.path)) {
            continue;
        }
        if fix.changes.iter().any(|c| touched.contains(&c.path)) {
            round.deferred += 1;
            continue;
        }
        touched.extend(fix.changes.iter().map(|c| c.path.clone()));
        round.accepted.push(fix);
    }
    round
}

/// Runs `fix`.
pub fn run(opts: &FixOptions) -> Result<FixRun, Error> {
    let mut applied = Vec::new();
    let mut refused: Vec<(Fix, String)> = Vec::new();
    let mut refused_paths: HashSet<PathBuf> = HashSet::new();
    let mut rounds = 0;
    // The paths to check: a file given as one and split by a fix is followed by its new files.
    let mut check_opts = opts.check.clone();
    loop {
        let check = crate::check(&check_opts)?;
        let round = plan_round(&check, opts.unsafe_fixes, &refused_paths);
        if opts.diff_only {
            return Ok(FixRun {
                applied: round.accepted,
                unsafe_available: round.unsafe_available,
                not_fixable: round.not_fixable,
                refused,
                pending: round.deferred,
                check,
                rounds,
            });
        }
        if round.accepted.is_empty() || rounds == MAX_ROUNDS {
            return Ok(FixRun {
                applied,
                unsafe_available: round.unsafe_available,
                not_fixable: round.not_fixable,
                refused,
                pending: round.deferred + round.accepted.len(),
                check,
                rounds,
            });
        }
        let mut wrote = false;
        for fix in round.accepted {
            match write_fix(&check, &fix) {
                Ok(()) => {
                    wrote = true;
                    follow_removed_paths(&mut check_opts.paths, &fix);
                    applied.push(fix);
                }
                Err(why) => {
                    refused_paths.extend(fix.changes.iter().map(|c| c.path.clone()));
                    refused.push((fix, why));
                }
            }
        }
        if !wrote {
            // Nothing on disk changed: this check is still the last word.
            return Ok(FixRun {
                applied,
                unsafe_available: round.unsafe_available,
                not_fixable: round.not_fixable,
                refused,
                pending: round.deferred,
                check,
                rounds,
            });
        }
        rounds += 1;
    }
}

/// Replaces each of `paths` that `fix` removed (a file given to `fix` and split) by the files
/// the fix created beside it, so that the next check reads them rather than failing on a path
/// that is gone.
fn follow_removed_paths(paths: &mut Vec<PathBuf>, fix: &Fix) {
    let dir = |p: &Path| -> Option<PathBuf> {
        let parent = p.parent().filter(|d| !d.as_os_str().is_empty());
        parent.unwrap_or(Path::new(".")).canonicalize().ok()
    };
    let same = |given: &Path, removed: &Path| {
        given.file_name().is_some()
            && given.file_name() == removed.file_name()
            && dir(given).is_some()
            && dir(given) == dir(removed)
    };
    for removed in fix.changes.iter().filter(|c| c.after.is_none()) {
        let Some(at) = paths
            .iter()
            .position(|p| !p.exists() && same(p, &removed.path))
        else {
            continue;
        };
        let given = paths.remove(at);
        let parent = given.parent().map(Path::to_path_buf).unwrap_or_default();
        let created = fix
            .changes
            .iter()
            .filter(|c| c.before.is_none() && dir(&c.path) == dir(&removed.path))
            .filter_map(|c| c.path.file_name().map(|n| parent.join(n)));
        for (i, p) in created.enumerate() {
            paths.insert(at + i, p);
        }
    }
}

/// The scanned root, resolved: every write must land below it.
fn resolved_root(run: &CheckRun) -> Result<PathBuf, String> {
    let root = if run.inventory.root.as_os_str().is_empty() {
        Path::new(".")
    } else {
        run.inventory.root.as_path()
    };
    root.canonicalize()
        .map_err(|e| format!("the scanned root cannot be resolved: {e}"))
}

/// Checks every change of `fix` against the disk, then writes them: new files first, then
/// changed ones, then removals, so that an interruption leaves no object without a file.
///
/// Every new text is first written to a temporary file beside its target, so that what can fail
/// (space, permissions, a name too long) fails before anything is visible; and when a step of
/// the commit fails, the steps before it are undone (files created removed, files changed or
/// removed given their text back), so that a fix is written whole or not at all.
fn write_fix(run: &CheckRun, fix: &Fix) -> Result<(), String> {
    let root = resolved_root(run)?;
    for c in &fix.changes {
        verify(run, &root, c)?;
    }
    let order = |c: &FileChange| match (&c.before, &c.after) {
        (None, _) => 0,
        (Some(_), Some(_)) => 1,
        (Some(_), None) => 2,
    };
    let mut changes: Vec<&FileChange> = fix.changes.iter().collect();
    changes.sort_by_key(|c| order(c));
    let mut staged: Vec<Option<PathBuf>> = Vec::with_capacity(changes.len());
    for c in &changes {
        let temp = match &c.after {
            None => Ok(None),
            Some(after) => {
                let permissions = match &c.before {
                    Some(_) => std::fs::metadata(&c.path).map(|m| Some(m.permissions())),
                    None => Ok(None),
                };
                permissions.and_then(|p| temp_beside(&c.path, after, p).map(Some))
            }
        };
        match temp {
            Ok(temp) => staged.push(temp),
            Err(e) => {
                discard(&staged);
                return Err(format!("cannot write `{}`: {e}", c.display));
            }
        }
    }
    for (i, (c, temp)) in changes.iter().zip(&staged).enumerate() {
        if let Err(e) = commit(c, temp.as_deref()) {
            discard(&staged[i..]);
            for done in changes[..i].iter().rev() {
                undo(done);
            }
            return Err(format!("cannot write `{}`: {e}", c.display));
        }
    }
    Ok(())
}

/// Removes the temporary files not committed.
fn discard(staged: &[Option<PathBuf>]) {
    for temp in staged.iter().flatten() {
        let _ = std::fs::remove_file(temp);
    }
}

/// Makes one staged change visible: `temp` (the new text) renamed over a changed file, linked
/// to a new one's name, or the file removed.
fn commit(change: &FileChange, temp: Option<&Path>) -> std::io::Result<()> {
    match (&change.before, temp) {
        (_, None) => std::fs::remove_file(&change.path),
        (Some(_), Some(temp)) => std::fs::rename(temp, &change.path).inspect_err(|_| {
            let _ = std::fs::remove_file(temp);
        }),
        (None, Some(temp)) => {
            // A link, not a rename: it fails when the name was taken meanwhile, instead of
            // replacing what is there.
            let linked = std::fs::hard_link(temp, &change.path);
            let _ = std::fs::remove_file(temp);
            linked
        }
    }
}

/// Undoes a committed change, as far as the disk lets it: a created file removed, a changed or
/// removed one given back the text the check read.
fn undo(change: &FileChange) {
    match &change.before {
        None => {
            let _ = std::fs::remove_file(&change.path);
        }
        Some(before) => {
            let permissions = std::fs::metadata(&change.path)
                .ok()
                .map(|m| m.permissions());
            if let Ok(temp) = temp_beside(&change.path, before, permissions)
                && std::fs::rename(&temp, &change.path).is_err()
            {
                let _ = std::fs::remove_file(&temp);
            }
        }
    }
}

/// Whether `change` may be written: inside the root, not through a link, not a render's output,
/// and the file on disk is still what the check read (a new file: none there yet).
fn verify(run: &CheckRun, root: &Path, change: &FileChange) -> Result<(), String> {
    let shown = &change.display;
    let (Some(parent), Some(_)) = (change.path.parent(), change.path.file_name()) else {
        return Err(format!("`{shown}` is not a file path"));
    };
    let parent = if parent.as_os_str().is_empty() {
        Path::new(".")
    } else {
        parent
    };
    let resolved = parent
        .canonicalize()
        .map_err(|e| format!("the directory of `{shown}` cannot be resolved: {e}"))?;
    if !resolved.starts_with(root) {
        return Err(format!(
            "`{shown}` is outside the scanned root (through a link); not written"
        ));
    }
    // A render's output has a `rel` of its own (where the tool's copy had it): matched by the
    // path the fix names, through the paths of the inventory's rendered files (gathered once per
    // check, not once per change).
    struct RenderedPaths(HashSet<PathBuf>);
    let inventory = &run.inventory;
    let rendered = inventory.memo.get(|| {
        RenderedPaths(
            inventory
                .sources
                .iter()
                .filter(|(_, f)| f.generated || f.rendered.is_some())
                .map(|(_, f)| inventory.root.join(&f.rel))
                .collect(),
        )
    });
    if rendered.0.contains(&change.path) {
        return Err(format!(
            "`{shown}` is a render's output; fixes are made in the source"
        ));
    }
    let meta = std::fs::symlink_metadata(&change.path);
    match &change.before {
        None => match meta {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Ok(_) => Err(format!("`{shown}` exists already; not overwritten")),
            Err(e) => Err(format!("`{shown}` cannot be created: {e}")),
        },
        Some(before) => {
            let meta = meta.map_err(|e| format!("`{shown}` cannot be read: {e}"))?;
            if meta.file_type().is_symlink() {
                return Err(format!("`{shown}` is a link; not written through"));
            }
            if !meta.is_file() {
                return Err(format!("`{shown}` is not a regular file"));
            }
            let now = std::fs::read(&change.path)
                .map_err(|e| format!("`{shown}` cannot be read: {e}"))?;
            if now != before.as_bytes() {
                return Err(format!(
                    "`{shown}` changed on disk since it was checked; run `fix` again"
                ));
            }
            Ok(())
        }
    }
}

/// A temporary file beside `path`, holding `text`, with `permissions` when given.
fn temp_beside(
    path: &Path,
    text: &str,
    permissions: Option<std::fs::Permissions>,
) -> std::io::Result<PathBuf> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut n = 0u32;
    loop {
        // Not named after the file: a name near the system's limit must not make the temporary
        // file's too long.
        let temp = dir.join(format!(".manifest-guard-fix.{}.{n}", std::process::id()));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
        {
            Ok(mut file) => {
                let written = file
                    .write_all(text.as_bytes())
                    .and_then(|()| file.sync_all())
                    .and_then(|()| match permissions {
                        Some(p) => std::fs::set_permissions(&temp, p),
                        None => Ok(()),
                    });
                if let Err(e) = written {
                    let _ = std::fs::remove_file(&temp);
                    return Err(e);
                }
                return Ok(temp);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 100 => n += 1,
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    const TWO: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n";

    fn checked(dir: &Path) -> CheckRun {
        crate::check(&CheckOptions {
            paths: vec![dir.to_path_buf()],
            ..CheckOptions::default()
        })
        .expect("check")
    }

    /// The split of `all.yaml` in `dir`, planned from a check.
    fn planned(dir: &Path) -> (CheckRun, Fix) {
        std::fs::write(dir.join("all.yaml"), TWO).expect("write");
        let run = checked(dir);
        let mut round = plan_round(&run, true, &HashSet::new());
        assert_eq!(round.accepted.len(), 1);
        let fix = round.accepted.remove(0);
        (run, fix)
    }

    #[test]
    fn a_file_changed_since_the_check_is_not_written() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let (run, fix) = planned(tmp.path());
        std::fs::write(tmp.path().join("all.yaml"), format!("{TWO}# edited\n")).expect("write");
        let why = write_fix(&run, &fix).expect_err("refused");
        assert!(why.contains("changed on disk"), "{why}");
        assert!(!tmp.path().join("configmap-a.yaml").exists());
    }

    #[test]
    fn a_new_file_never_replaces_one_that_exists() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let (run, fix) = planned(tmp.path());
        std::fs::write(tmp.path().join("configmap-b.yaml"), "mine\n").expect("write");
        let why = write_fix(&run, &fix).expect_err("refused");
        assert!(why.contains("exists already"), "{why}");
        assert_eq!(
            std::fs::read_to_string(tmp.path().join("configmap-b.yaml")).expect("read"),
            "mine\n"
        );
        assert_eq!(
            std::fs::read_to_string(tmp.path().join("all.yaml")).expect("read"),
            TWO
        );
    }

    #[cfg(unix)]
    #[test]
    fn no_write_through_a_link_or_outside_the_root() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let repo = tmp.path().join("repo");
        std::fs::create_dir_all(&repo).expect("mkdir");
        let (run, _) = planned(&repo);
        let outside = tmp.path().join("outside.yaml");
        std::fs::write(&outside, "x: 1\n").expect("write");
        std::os::unix::fs::symlink(&outside, repo.join("link.yaml")).expect("symlink");
        std::os::unix::fs::symlink(tmp.path(), repo.join("up")).expect("symlink");
        let change = |path: PathBuf, before: Option<&str>| Fix {
            rule: "one-object-per-file",
            safety: Fixable::Safe,
            title: "t".into(),
            caution: None,
            changes: vec![FileChange {
                path,
                display: "d".into(),
                before: before.map(Arc::from),
                after: Some("y: 2\n".into()),
            }],
        };
        let why =
            write_fix(&run, &change(repo.join("link.yaml"), Some("x: 1\n"))).expect_err("a link");
        assert!(why.contains("is a link"), "{why}");
        let why = write_fix(&run, &change(repo.join("up/new.yaml"), None)).expect_err("outside");
        assert!(why.contains("outside the scanned root"), "{why}");
        let why = write_fix(&run, &change(repo.join("../new.yaml"), None)).expect_err("outside");
        assert!(why.contains("outside the scanned root"), "{why}");
        assert_eq!(std::fs::read_to_string(&outside).expect("read"), "x: 1\n");
        assert!(!tmp.path().join("new.yaml").exists());
    }

    /// A fix with `changes`, for the tests of the writes.
    fn fix_of(changes: Vec<FileChange>) -> Fix {
        Fix {
            rule: "one-object-per-file",
            safety: Fixable::Safe,
            title: "t".into(),
            caution: None,
            changes,
        }
    }

    fn new_file(path: PathBuf, text: &str) -> FileChange {
        FileChange {
            path,
            display: "d".into(),
            before: None,
            after: Some(text.into()),
        }
    }

    #[test]
    fn a_fix_that_fails_halfway_leaves_nothing_behind() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let (run, split) = planned(tmp.path());
        // The split's own changes, then a second creation of its first new file: the last
        // step fails (the name is taken by then), and every step before it is undone.
        let mut changes = split.changes.clone();
        let first_new = changes
            .iter()
            .find(|c| c.before.is_none())
            .expect("a new file")
            .clone();
        changes.push(first_new);
        let why = write_fix(&run, &fix_of(changes)).expect_err("refused");
        assert!(why.contains("cannot write"), "{why}");
        let mut names: Vec<String> = std::fs::read_dir(tmp.path())
            .expect("read_dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["all.yaml"]);
        assert_eq!(
            std::fs::read_to_string(tmp.path().join("all.yaml")).expect("read"),
            TWO
        );
    }

    #[test]
    fn a_name_near_the_limit_is_written_and_one_over_it_refused_before_any_write() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let (run, _) = planned(tmp.path());
        // 250 bytes: a name the file system takes, but not with a suffix for a temporary file.
        let long = format!("{}.yaml", "a".repeat(245));
        write_fix(
            &run,
            &fix_of(vec![new_file(tmp.path().join(&long), "x: 1\n")]),
        )
        .expect("written");
        assert_eq!(
            std::fs::read_to_string(tmp.path().join(&long)).expect("read"),
            "x: 1\n"
        );
        let over = format!("{}.yaml", "b".repeat(300));
        let why = write_fix(
            &run,
            &fix_of(vec![
                new_file(tmp.path().join("c.yaml"), "x: 1\n"),
                new_file(tmp.path().join(&over), "x: 1\n"),
            ]),
        )
        .expect_err("refused");
        assert!(why.contains("cannot be created"), "{why}");
        assert!(!tmp.path().join("c.yaml").exists());
    }

    #[cfg(unix)]
    #[test]
    fn a_changed_file_keeps_its_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().expect("tempdir");
        let k = tmp.path().join("kustomization.yaml");
        std::fs::write(&k, "resources:\n  - all.yaml\n").expect("write");
        std::fs::set_permissions(&k, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        let (run, fix) = planned(tmp.path());
        write_fix(&run, &fix).expect("written");
        let mode = std::fs::metadata(&k).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(
            std::fs::read_to_string(&k).expect("read"),
            "resources:\n  - configmap-a.yaml\n  - configmap-b.yaml\n"
        );
        // No temporary file is left behind.
        let mut names: Vec<String> = std::fs::read_dir(tmp.path())
            .expect("read_dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            ["configmap-a.yaml", "configmap-b.yaml", "kustomization.yaml"]
        );
    }
}
