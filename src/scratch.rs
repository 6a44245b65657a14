//! What the process puts on the machine while it runs — its private temporary directories and
//! the process groups of the programs it spawns (helm, kustomize, git cat-file) — and the
//! Ctrl-C / SIGTERM handler that takes them away before the process exits.
//!
//! On every normal path destructors clean up. An interrupt ends the process with
//! `std::process::exit`, which skips destructors, so each directory and child group is registered
//! here for as long as it lives, and the handler kills and removes whatever is still registered.
//! This module never prints and never decides anything about what is being checked.

use std::io;
use std::os::unix::fs::DirBuilderExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The exit status of an interrupted run (128 + SIGINT, as shells report it). SIGTERM and SIGHUP
/// end the run the same way: the handler is not told which signal came.
pub const INTERRUPTED_EXIT: i32 = 130;

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

#[derive(Default)]
struct Registry {
    dirs: Vec<PathBuf>,
    /// Process group ids (each child leads its own group).
    groups: Vec<u32>,
}

fn registry() -> MutexGuard<'static, Registry> {
    static REGISTRY: OnceLock<Mutex<Registry>> = OnceLock::new();
    REGISTRY
        .get_or_init(|| Mutex::new(Registry::default()))
        // A thread that panicked while holding the lock left the lists consistent (every
        // operation on them is a single push or retain).
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}

/// Whether an interrupt arrived: long loops over files stop early instead of writing into
/// directories the handler is removing.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

fn interrupted_error() -> io::Error {
    io::Error::new(io::ErrorKind::Interrupted, "interrupted")
}

/// Installs the handler for SIGINT, SIGTERM and SIGHUP; the binary calls it once, first thing.
/// A library user that installs none keeps the default behaviour of those signals.
pub fn install_interrupt_handler() {
    // Fails only when a handler is already installed, which leaves that one in place.
    let _ = ctrlc::set_handler(on_interrupt);
}

/// Kills every registered child group, removes every registered directory, and exits.
fn on_interrupt() {
    // The lock is held until the process is gone: no directory can be created and no child
    // spawned after this point (both happen under the lock and check the flag first).
    let registry = registry();
    INTERRUPTED.store(true, Ordering::SeqCst);
    kill_groups(&registry.groups);
    // A worker thread may be half-way through a file operation in a directory being removed
    // (a copy recreates parent directories): look again a few times until nothing is left.
    for _ in 0..5 {
        for dir in &registry.dirs {
            let _ = std::fs::remove_dir_all(dir);
        }
        std::thread::sleep(Duration::from_millis(20));
        if !registry.dirs.iter().any(|d| d.exists()) {
            break;
        }
    }
    std::process::exit(INTERRUPTED_EXIT);
}

/// `kill -KILL -- -PGID...`: the standard library can only signal a child it holds, and this
/// crate forbids the `unsafe` a direct `kill(2)` would need.
pub(crate) fn kill_groups(groups: &[u32]) {
    if groups.is_empty() {
        return;
    }
    let _ = Command::new("kill")
        .args(["-KILL", "--"])
        .args(groups.iter().map(|g| format!("-{g}")))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// A child process leading its own process group, registered for the interrupt handler until
/// this is dropped. Dropping it neither waits for nor kills the child: the owner does that.
#[derive(Debug)]
pub struct ChildGroup {
    pgid: u32,
}

impl ChildGroup {
    pub fn pgid(&self) -> u32 {
        self.pgid
    }
}

impl Drop for ChildGroup {
    fn drop(&mut self) {
        registry().groups.retain(|&g| g != self.pgid);
    }
}

/// Spawns `cmd` as the leader of a new process group (so the tool and everything it starts can
/// be killed at once) and registers the group. Refused once an interrupt arrived.
pub fn spawn_group(cmd: &mut Command) -> io::Result<(Child, ChildGroup)> {
    cmd.process_group(0);
    let mut registry = registry();
    if interrupted() {
        return Err(interrupted_error());
    }
    let child = cmd.spawn()?;
    let pgid = child.id();
    registry.groups.push(pgid);
    Ok((child, ChildGroup { pgid }))
}

/// A directory only this process can enter (mode 0700), named `manifest-guard-<pid>-<n>-<time>`,
/// removed when dropped and, while it exists, by the interrupt handler.
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// A new directory in the system's temporary directory (`TMPDIR`, else `/tmp`).
    pub fn new() -> io::Result<TempDir> {
        TempDir::new_in(&std::env::temp_dir())
    }

    /// A new directory in `parent`.
    pub fn new_in(parent: &Path) -> io::Result<TempDir> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let mut last = None;
        for _ in 0..16 {
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos());
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let path = parent.join(format!(
                "manifest-guard-{}-{n}-{nanos:x}",
                std::process::id()
            ));
            // Created and registered under the lock, so the handler never misses a directory
            // that exists.
            let mut registry = registry();
            if interrupted() {
                return Err(interrupted_error());
            }
            match std::fs::DirBuilder::new().mode(0o700).create(&path) {
                Ok(()) => {
                    registry.dirs.push(path.clone());
                    return Ok(TempDir { path });
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| io::Error::other("no name was free")))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // Removed first, then forgotten: the handler may remove it too, never miss it.
        let _ = std::fs::remove_dir_all(&self.path);
        registry().dirs.retain(|d| d != &self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_temporary_directory_is_registered_while_it_lives() {
        let dir = TempDir::new().expect("a temporary directory");
        let path = dir.path().to_path_buf();
        assert!(path.is_dir());
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        assert!(
            name.starts_with(&format!("manifest-guard-{}-", std::process::id())),
            "{name}"
        );
        assert!(registry().dirs.contains(&path));
        drop(dir);
        assert!(!path.exists());
        assert!(!registry().dirs.contains(&path));
    }

    #[test]
    fn a_spawned_group_is_registered_until_dropped() {
        let (mut child, group) =
            spawn_group(Command::new("/bin/sh").args(["-c", "exit 0"])).expect("sh runs");
        let pgid = group.pgid();
        assert!(registry().groups.contains(&pgid));
        let _ = child.wait();
        drop(group);
        assert!(!registry().groups.contains(&pgid));
    }
}
