//! The fuzz targets' committed inputs, replayed in the normal test suite (issue 11 §4).
//!
//! `fuzz/seeds/<target>/` holds hand-written seeds and every input that once crashed a target
//! (named `crash-…`, `timeout-…` or `oom-…` after what it did). Each is run here through the
//! same entry point the cargo fuzz target calls (`manifest_guard::fuzzing`), so a fresh clone
//! without cargo-fuzz still fails when a fixed crash comes back: these entry points return
//! nothing, and the test fails by panicking, by running past its time, or (for the memory
//! bombs) by the allocation failing.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use manifest_guard::fuzzing;

fn seeds(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/seeds")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no seeds in {}", dir.display());
    files
}

/// Runs every committed input of `target`; each must finish well inside the fuzzer's per-input
/// timeout (25 s in `fuzz/run`), even in a debug build.
fn replay(target: &str, run: fn(&[u8])) {
    for path in seeds(target) {
        let data = std::fs::read(&path).expect("seed is readable");
        let start = Instant::now();
        run(&data);
        let took = start.elapsed();
        assert!(
            took < Duration::from_secs(20),
            "{}: took {took:?}",
            path.display()
        );
    }
}

#[test]
fn loader_inputs() {
    replay("loader", fuzzing::loader);
}

#[test]
fn go_template_inputs() {
    replay("go_template", fuzzing::go_template);
}

#[test]
fn fasttemplate_inputs() {
    replay("fasttemplate", fuzzing::fasttemplate);
}

#[test]
fn config_inputs() {
    replay("config", fuzzing::config);
}

#[test]
fn render_output_inputs() {
    replay("render_output", fuzzing::render_output);
}

#[test]
fn git_file_inputs() {
    replay("git_file", fuzzing::git_file);
}
