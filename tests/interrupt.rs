//! Ctrl-C and SIGTERM in the middle of a render, through the real binary: whatever the command,
//! the run exits 130 and leaves nothing behind — no temporary directory of its process id, no
//! tool process (nor a child the tool started), no git worktree.
//!
//! The render is made slow with a stand-in `helm` (passed with `--helm`, as a user would) that
//! records its process id and sleeps. Tools run with an empty environment, so the stand-in uses
//! absolute paths only.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

const REPO_URL: &str = "https://git.example.com/platform/gitops.git";

struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    /// A git repository with one Application rendering a local Helm chart, committed, and the
    /// stand-in `helm` next to it.
    fn new() -> Sandbox {
        let sandbox = Sandbox {
            dir: tempfile::tempdir().expect("tempdir"),
        };
        for d in ["repo", "tmp", "tool"] {
            std::fs::create_dir_all(sandbox.path(d)).expect("mkdir");
        }
        sandbox.git(&["init", "--quiet", "--initial-branch=main"]);
        sandbox.git(&["remote", "add", "origin", REPO_URL]);
        sandbox.write(
            "repo/apps/web.yaml",
            &format!(
                "apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web
  namespace: argocd
spec:
  project: default
  source:
    repoURL: {REPO_URL}
    targetRevision: main
    path: chart
  destination:
    name: in-cluster
    namespace: web
"
            ),
        );
        sandbox.write(
            "repo/chart/Chart.yaml",
            "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        );
        sandbox.write(
            "repo/chart/templates/configmap.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n",
        );
        sandbox.git(&["add", "--all"]);
        sandbox.git(&["commit", "--quiet", "--message", "base"]);
        // `helm version` answers at once (the tool's version is part of the render's cache
        // key); a render records its pid and a child's, then sleeps far past the test.
        let pids = sandbox.path("tool/pids");
        sandbox.write(
            "tool/helm",
            &format!(
                "#!/bin/sh
case \"$1\" in version) echo v3.15.4; exit 0 ;; esac
/bin/sleep 120 &
echo $! >> {pids}
echo $$ >> {pids}
exec /bin/sleep 120
",
                pids = pids.display()
            ),
        );
        std::fs::set_permissions(
            sandbox.path("tool/helm"),
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .expect("chmod");
        sandbox
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn write(&self, rel: &str, text: &str) {
        common::write(self.dir.path(), rel, text);
    }

    fn git(&self, args: &[&str]) -> String {
        common::git(&self.path("repo"), args)
    }

    /// Starts `manifest-guard args... --helm <stand-in>` in the repository. With `tmpdir`,
    /// `TMPDIR` points there; without, it is unset (revisions go to /dev/shm, renders to /tmp).
    fn start(&self, args: &[&str], tmpdir: bool) -> Child {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_manifest-guard"));
        cmd.args(args)
            .arg("--helm")
            .arg(self.path("tool/helm"))
            .current_dir(self.path("repo"))
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(self.path("stdout")).expect("stdout"))
            .stderr(std::fs::File::create(self.path("stderr")).expect("stderr"));
        if tmpdir {
            cmd.env("TMPDIR", self.path("tmp"));
        } else {
            cmd.env_remove("TMPDIR");
        }
        cmd.spawn().expect("the binary starts")
    }

    fn output(&self) -> String {
        let read = |f: &str| std::fs::read_to_string(self.path(f)).unwrap_or_default();
        format!("stdout:\n{}\nstderr:\n{}", read("stdout"), read("stderr"))
    }

    /// The process ids the stand-in recorded (each render: a child, then itself).
    fn tool_pids(&self) -> Vec<u32> {
        std::fs::read_to_string(self.path("tool/pids"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .collect()
    }
}

impl Drop for Sandbox {
    /// A failed test must not leave its stand-ins sleeping.
    fn drop(&mut self) {
        let stand_in = |pid: u32| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| c == b"/bin/sleep\x00120\x00")
        };
        for pid in self
            .tool_pids()
            .into_iter()
            .filter(|&p| running(p) && stand_in(p))
        {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
    }
}

/// Entries of `dir` named `manifest-guard-<pid>-…` (the scheme of every temporary directory the
/// binary makes).
fn temp_dirs_of(pid: u32, dir: &Path) -> Vec<PathBuf> {
    let prefix = format!("manifest-guard-{pid}-");
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
                .map(|e| e.path())
                .collect()
        })
        .unwrap_or_default()
}

/// Whether a process runs (a zombie waiting for a parent that never reaps it does not).
fn running(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => false,
        Ok(stat) => {
            // `pid (comm) S …`: the state follows the last parenthesis.
            let state = stat.rsplit_once(')').map(|(_, rest)| rest.trim_start());
            !state.is_some_and(|s| s.starts_with('Z') || s.starts_with('X'))
        }
    }
}

fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn wait_exit(child: &mut Child, timeout: Duration) -> ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if started.elapsed() > timeout {
            let _ = child.kill();
            panic!("the binary did not exit within {timeout:?} of the signal");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Runs `args` until the stand-in renders, sends `signal`, and checks that nothing is left.
fn interrupt(args: &[&str], signal: &str, tmpdir: bool, sandbox: &Sandbox) {
    let mut child = sandbox.start(args, tmpdir);
    let pid = child.id();
    wait_for("the render to start", Duration::from_secs(120), || {
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "exited ({status}) before the render started:\n{}",
                sandbox.output()
            );
        }
        sandbox.tool_pids().len() >= 2
    });
    let places: Vec<PathBuf> = if tmpdir {
        vec![sandbox.path("tmp")]
    } else {
        vec![PathBuf::from("/tmp"), PathBuf::from("/dev/shm")]
    };
    let before: Vec<PathBuf> = places.iter().flat_map(|p| temp_dirs_of(pid, p)).collect();
    assert!(
        !before.is_empty(),
        "a render runs, so its temporary directory exists in {places:?}"
    );

    let sent = Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    let status = wait_exit(&mut child, Duration::from_secs(30));
    assert_eq!(status.code(), Some(130), "{status}\n{}", sandbox.output());

    let left: Vec<PathBuf> = places.iter().flat_map(|p| temp_dirs_of(pid, p)).collect();
    assert!(left.is_empty(), "left behind: {left:?} (had {before:?})");
    let pids = sandbox.tool_pids();
    wait_for("the tool processes to end", Duration::from_secs(10), || {
        pids.iter().all(|&p| !running(p))
    });
    let worktrees = sandbox
        .git(&["worktree", "list", "--porcelain"])
        .lines()
        .filter(|l| l.starts_with("worktree "))
        .count();
    assert_eq!(worktrees, 1, "git knows only the main worktree");
}

#[test]
fn ctrl_c_during_a_diff_removes_every_temporary_directory_and_tool() {
    let s = Sandbox::new();
    // The head changes the chart, so both sides render (and the base revision is materialised,
    // in /dev/shm since TMPDIR is unset).
    s.write(
        "repo/chart/templates/configmap.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-v2\n",
    );
    interrupt(&["diff", "--base", "HEAD"], "INT", false, &s);
}

#[test]
fn sigterm_during_a_check_removes_every_temporary_directory_and_tool() {
    let s = Sandbox::new();
    interrupt(&["check", "."], "TERM", true, &s);
    assert!(
        std::fs::read_dir(s.path("tmp"))
            .expect("tmp")
            .next()
            .is_none(),
        "TMPDIR is empty"
    );
}

#[test]
fn ctrl_c_during_render_removes_every_temporary_directory_and_tool() {
    let s = Sandbox::new();
    interrupt(&["render", "."], "INT", true, &s);
}
