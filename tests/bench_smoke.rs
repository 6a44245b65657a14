//! Issue 12: the smoke test of `scripts/bench`, at its smallest size. The benchmark's generator
//! (`examples/generate_tree.rs`, included here as a module) writes a seeded tree of about 500
//! objects with planted findings, and `check` must report exactly those: no timing is asserted.

mod common;

#[path = "../examples/generate_tree.rs"]
#[allow(dead_code)]
mod generate_tree;

use std::collections::BTreeMap;

use common::{json, run_in};

#[test]
fn check_reports_exactly_the_planted_findings() {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let dir = tmp.path().join("repo");
    let plant = 5;
    let (_, written, _) = generate_tree::generate(&dir, 40, 10, 7, plant);
    let out = run_in(&dir, &["check", ".", "--format", "json"]);
    let report = json(&out);
    let mut found: BTreeMap<String, usize> = BTreeMap::new();
    for d in report["diagnostics"].as_array().expect("diagnostics") {
        *found
            .entry(d["rule"].as_str().expect("rule").to_owned())
            .or_default() += 1;
    }
    let expected: BTreeMap<String, usize> = generate_tree::PLANTED_RULES
        .iter()
        .map(|rule| ((*rule).to_owned(), plant))
        .collect();
    assert_eq!(found, expected, "{}", out.stdout);
    // Every written object is read, and the ApplicationSets' generated Applications render more.
    let objects = report["summary"]["objects"].as_u64().expect("objects") as usize;
    assert!(
        objects > written,
        "{objects} objects read, {written} written"
    );
    assert_eq!(report["summary"]["applications_not_rendered"], 0);
}

#[test]
fn the_same_seed_writes_the_same_tree() {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let listing = |name: &str, seed: u64| {
        let dir = tmp.path().join(name);
        generate_tree::generate(&dir, 30, 8, seed, 3);
        let mut files: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(&dir)
            .into_iter()
            .map(|e| e.expect("a readable entry"))
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                let rel = e.path().strip_prefix(&dir).expect("under the tree");
                let text = std::fs::read(e.path()).expect("a readable file");
                (rel.display().to_string(), text)
            })
            .collect();
        files.sort();
        files
    };
    assert_eq!(listing("a", 11), listing("b", 11));
    assert_ne!(listing("c", 11), listing("d", 12));
}

/// The render stage places documents, and the rules read memoised indexes, on every core: one
/// thread and several give byte-identical reports and renders (objects in the same order, the
/// same findings), on a generated tree with planted findings, StatefulSets, budgets and
/// ApplicationSets. (`render` has no `--jobs`: rayon's `RAYON_NUM_THREADS` sizes its pool.)
#[test]
fn one_thread_and_several_give_the_same_output() {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let dir = tmp.path().join("repo");
    generate_tree::generate(&dir, 60, 10, 3, 4);
    for command in ["check", "render"] {
        let run = |jobs: &str| {
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_manifest-guard"))
                .args([command, ".", "--format", "json"])
                .current_dir(&dir)
                .env("RAYON_NUM_THREADS", jobs)
                .output()
                .expect("manifest-guard runs");
            assert!(
                matches!(out.status.code(), Some(0 | 1)),
                "{command} with {jobs} threads: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            out.stdout
        };
        let serial = run("1");
        assert!(serial.len() > 1000, "{command}: {serial:?}");
        for jobs in ["2", "7"] {
            assert!(
                run(jobs) == serial,
                "{command}: {jobs} threads differ from one"
            );
        }
    }
    // `--jobs` is what a user sets: the same report as one thread.
    let one = run_in(&dir, &["check", ".", "--format", "json", "--jobs", "1"]);
    let many = run_in(&dir, &["check", ".", "--format", "json", "--jobs", "5"]);
    assert!(one.stdout == many.stdout, "--jobs 5 differs from --jobs 1");
}
