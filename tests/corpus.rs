//! The corpus sweep: `check . --format json` with the real binary inside EVERY folder of the
//! real-world corpus (`MANIFEST_GUARD_CORPUS`; skipped with a printed line without it), each
//! compared with the findings a human judged, committed in `tests/corpus/<folder>.txt`.
//!
//! Per folder it asserts: no panic, exit status 0 or 1 (1 exactly when there is an error), the
//! same report with `--jobs 1` as with the default number of jobs (two full runs, no render
//! cache, so rendering is compared too), and the findings equal to the expected file's. The
//! expected file lists every error and warning on a line of its own and counts notes per rule
//! (see [`HEADER`]); every line carries a reason after ` # `. A reason `UNREVIEWED` (written by
//! bless mode) or starting with `FALSE:` (a finding judged a false positive, waiting for its fix)
//! fails the test: only a file a human judged, with nothing false in it, passes.
//!
//! `MANIFEST_GUARD_BLESS=1` rewrites the files from what the binary reports, keeping the reason of
//! every entry that still matches and writing `UNREVIEWED` for new ones.

mod common;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::Value;

use common::{corpus_dir, json, run_in, skip_without_corpus};

const BLESS_VAR: &str = "MANIFEST_GUARD_BLESS";
const UNREVIEWED: &str = "UNREVIEWED";
const FALSE: &str = "FALSE:";

const HEADER: &str = "\
# Expected findings of `manifest-guard check . --format json` run inside this corpus folder,
# checked by tests/corpus.rs (MANIFEST_GUARD_CORPUS=../shared/corpus cargo test --test corpus).
# Errors and warnings: one line per finding, `<severity> <rule> <file>:<line>:<column>` and the
# object (`Kind/namespace/name`, `-` for none). Notes: one line per rule, `note <rule> x<count>`
# (notes say what was not checked, e.g. a chart that needs the network; they are many and
# uniform, so they are counted, not listed). After ` # `, why the finding is true, as the
# repository's maintainer would accept it. `UNREVIEWED` (new, written by MANIFEST_GUARD_BLESS=1)
# and `FALSE: <why>` (judged a false positive, to be fixed in the tool) make the test fail.
";

/// One expected or produced line, without its reason: what is compared.
type Key = String;

/// The keys of a report, in report order (notes last, one per rule).
fn keys(report: &Value) -> Vec<Key> {
    let mut lines = Vec::new();
    let mut notes: BTreeMap<String, usize> = BTreeMap::new();
    for d in report["diagnostics"].as_array().into_iter().flatten() {
        let severity = d["severity"].as_str().unwrap_or("?");
        let rule = d["rule"].as_str().unwrap_or("?");
        if severity == "note" {
            *notes.entry(rule.to_string()).or_default() += 1;
            continue;
        }
        let o = &d["object"];
        let object = match o["kind"].as_str() {
            Some(kind) => format!(
                "{kind}/{}/{}",
                o["namespace"].as_str().unwrap_or(""),
                o["name"].as_str().unwrap_or("")
            ),
            None => "-".to_string(),
        };
        lines.push(format!(
            "{severity} {rule} {}:{}:{} {object}",
            d["file"].as_str().unwrap_or("?"),
            d["line"],
            d["column"]
        ));
    }
    lines.extend(
        notes
            .into_iter()
            .map(|(rule, n)| format!("note {rule} x{n}")),
    );
    lines
}

/// `(key, reason)` of every entry of an expected file (comments and blank lines skipped).
fn parse_expected(text: &str) -> Vec<(Key, String)> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| match l.split_once(" # ") {
            Some((key, reason)) => (key.trim_end().to_string(), reason.trim().to_string()),
            None => (l.trim_end().to_string(), String::new()),
        })
        .collect()
}

/// Multiset difference: the keys of `a` not matched by one of `b`, in `a`'s order.
fn minus(a: &[Key], b: &[Key]) -> Vec<Key> {
    let mut left: BTreeMap<&str, usize> = BTreeMap::new();
    for k in b {
        *left.entry(k).or_default() += 1;
    }
    a.iter()
        .filter(|k| match left.get_mut(k.as_str()) {
            Some(n) if *n > 0 => {
                *n -= 1;
                false
            }
            _ => true,
        })
        .cloned()
        .collect()
}

/// The expected file's text for `produced`, with the reasons of `old` entries that still match
/// (in order, for repeated keys) and `UNREVIEWED` for the others.
fn blessed(produced: &[Key], old: &[(Key, String)]) -> String {
    let mut reasons: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (k, r) in old.iter().rev() {
        reasons.entry(k).or_default().push(r);
    }
    let mut out = HEADER.to_string();
    for k in produced {
        let reason = reasons
            .get_mut(k.as_str())
            .and_then(Vec::pop)
            .filter(|r| !r.is_empty())
            .unwrap_or(UNREVIEWED);
        let _ = writeln!(out, "{k} # {reason}");
    }
    out
}

fn expected_path(folder: &str) -> PathBuf {
    common::root()
        .join("tests/corpus")
        .join(format!("{folder}.txt"))
}

/// Checks one folder; the failures found, described for a human.
fn sweep(folder: &str, dir: &Path, bless: bool) -> Vec<String> {
    let mut failures = Vec::new();
    let started = Instant::now();
    let default = run_in(dir, &["check", ".", "--format", "json"]);
    let one_job = run_in(dir, &["check", ".", "--format", "json", "--jobs", "1"]);
    let elapsed = started.elapsed();
    let _ = std::io::Write::write_all(
        &mut std::io::stderr(),
        format!("corpus sweep: {folder}: both runs in {elapsed:.1?}\n").as_bytes(),
    );
    for (what, out) in [("default", &default), ("--jobs 1", &one_job)] {
        if out.stderr.contains("panicked") || !(out.code == 0 || out.code == 1) {
            failures.push(format!(
                "{folder} ({what}): exit status {}, stderr:\n{}",
                out.code, out.stderr
            ));
        }
    }
    if !failures.is_empty() {
        return failures;
    }
    if default.stdout != one_job.stdout {
        failures.push(format!(
            "{folder}: the report with --jobs 1 differs from the default one"
        ));
    }
    let report = json(&default);
    let errors = report["summary"]["errors"].as_u64().unwrap_or(0);
    if (errors > 0) != (default.code == 1) {
        failures.push(format!(
            "{folder}: exit status {} with {errors} errors",
            default.code
        ));
    }
    let produced = keys(&report);
    let path = expected_path(folder);
    let old_text = std::fs::read_to_string(&path).unwrap_or_default();
    let old = parse_expected(&old_text);
    if bless {
        std::fs::create_dir_all(path.parent().expect("tests/corpus")).expect("mkdir");
        std::fs::write(&path, blessed(&produced, &old)).expect("write the expected file");
    }
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let expected = parse_expected(&text);
    let expected_keys: Vec<Key> = expected.iter().map(|(k, _)| k.clone()).collect();
    let new = minus(&produced, &expected_keys);
    let gone = minus(&expected_keys, &produced);
    if !new.is_empty() || !gone.is_empty() {
        let mut diff = format!(
            "{folder}: the findings differ from {} (run with {BLESS_VAR}=1 to rewrite it, then judge each UNREVIEWED line):\n",
            path.display()
        );
        for k in &new {
            let _ = writeln!(diff, "+ {k}    (reported, not in the file)");
        }
        for k in &gone {
            let _ = writeln!(diff, "- {k}    (in the file, no longer reported)");
        }
        failures.push(diff);
    }
    for (k, reason) in &expected {
        if reason.is_empty() || reason == UNREVIEWED {
            failures.push(format!("{folder}: not judged yet: {k}"));
        } else if reason.starts_with(FALSE) {
            failures.push(format!(
                "{folder}: false positive still reported: {k} # {reason}"
            ));
        }
    }
    failures
}

#[test]
fn every_corpus_folder_reports_exactly_its_judged_findings() {
    if skip_without_corpus() {
        return;
    }
    let corpus = corpus_dir().expect("checked above");
    let bless = std::env::var_os(BLESS_VAR).is_some_and(|v| v == "1");
    let mut folders: Vec<(String, PathBuf)> = std::fs::read_dir(&corpus)
        .expect("read the corpus directory")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_dir())
        .map(|p| {
            (
                p.file_name().expect("name").to_string_lossy().into_owned(),
                p,
            )
        })
        .collect();
    folders.sort();
    assert!(!folders.is_empty(), "{} holds no folder", corpus.display());
    let mut failures = Vec::new();
    for (name, dir) in &folders {
        failures.extend(sweep(name, dir, bless));
    }
    // An expected file whose folder is gone is stale, not silently kept.
    let known: Vec<&str> = folders.iter().map(|(n, _)| n.as_str()).collect();
    for entry in std::fs::read_dir(common::root().join("tests/corpus"))
        .into_iter()
        .flatten()
        .flatten()
    {
        let file = entry.file_name().to_string_lossy().into_owned();
        if let Some(folder) = file.strip_suffix(".txt")
            && !known.contains(&folder)
        {
            failures.push(format!("tests/corpus/{file}: no corpus folder `{folder}`"));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn bless_keeps_the_reasons_of_matching_entries() {
    let old = parse_expected(
        "# header\nerror a x.yaml:1:1 - # true: first\nerror a x.yaml:1:1 - # true: second\nwarning b y.yaml:2:3 K/ns/n # FALSE: gone\n",
    );
    let produced = vec![
        "error a x.yaml:1:1 -".to_string(),
        "error c z.yaml:4:5 -".to_string(),
        "note d x2".to_string(),
    ];
    let text = blessed(&produced, &old);
    assert!(text.starts_with(HEADER));
    assert_eq!(
        parse_expected(&text),
        [
            (
                "error a x.yaml:1:1 -".to_string(),
                "true: first".to_string()
            ),
            ("error c z.yaml:4:5 -".to_string(), UNREVIEWED.to_string()),
            ("note d x2".to_string(), UNREVIEWED.to_string()),
        ]
    );
    assert_eq!(
        minus(&produced, &["error a x.yaml:1:1 -".to_string()]),
        ["error c z.yaml:4:5 -", "note d x2"]
    );
}
