//! `manifest-guard merge`: several `--format json` reports made into one (issue 12, "Scale out
//! where one machine ends"). What a merge is, pinned here: `diagnostics` is the concatenation of
//! every report's findings (none dropped, none changed), each report's order kept, interleaved
//! by (file, line, column, rule, message) as one run sorts; `summary` is the field-by-field sum
//! (maps per key). One report merges into itself, byte for byte.

mod common;

use std::path::Path;

use common::{json, run, run_in, write};
use serde_json::Value;

/// `check --format json` of one fixture directory, written to `dir/name`.
fn check_report(dir: &Path, fixture: &str, name: &str) -> Value {
    let out = run(&["check", fixture, "--format", "json"]);
    assert!(out.code <= 1, "{}", out.stderr);
    write(dir, name, &out.stdout);
    json(&out)
}

fn path(dir: &Path, name: &str) -> String {
    dir.join(name).to_string_lossy().into_owned()
}

/// The run's order of findings (`rules::sort`).
fn key(d: &Value) -> (String, u64, u64, String, String) {
    (
        d["file"].as_str().unwrap_or("").to_string(),
        d["line"].as_u64().unwrap_or(0),
        d["column"].as_u64().unwrap_or(0),
        d["rule"].as_str().unwrap_or("").to_string(),
        d["message"].as_str().unwrap_or("").to_string(),
    )
}

/// Two summaries added field by field: counts summed, maps summed per key.
fn sum(a: &Value, b: &Value) -> Value {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut out = x.clone();
            for (k, v) in y {
                let merged = match x.get(k) {
                    Some(mine) => sum(mine, v),
                    None => v.clone(),
                };
                out.insert(k.clone(), merged);
            }
            Value::Object(out)
        }
        (Value::Number(x), Value::Number(y)) => {
            Value::from(x.as_u64().unwrap_or(0) + y.as_u64().unwrap_or(0))
        }
        (Value::Bool(x), Value::Bool(y)) => Value::Bool(*x && *y),
        _ => panic!("summaries of different shapes: {a} and {b}"),
    }
}

#[test]
fn merging_two_fixture_reports_concatenates_findings_and_sums_summaries() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Two trees that each read their own configuration (demo maps its repository URL).
    let demo = check_report(dir.path(), "fixtures/demo", "demo.json");
    let dup = check_report(dir.path(), "fixtures/duplicate-resource/bad", "dup.json");
    let out = run(&[
        "merge",
        &path(dir.path(), "demo.json"),
        &path(dir.path(), "dup.json"),
    ]);
    assert_eq!(
        out.code, 1,
        "errors in the merged findings fail: {}",
        out.stderr
    );
    let merged = json(&out);
    assert_eq!(merged["version"], 1);

    let findings = |v: &Value| v["diagnostics"].as_array().cloned().unwrap_or_default();
    let (a, b, m) = (findings(&demo), findings(&dup), findings(&merged));
    assert!(!a.is_empty() && !b.is_empty());
    // The concatenation, in a run's order (a stable sort keeps each report's own order).
    let mut expected: Vec<Value> = a.iter().chain(&b).cloned().collect();
    expected.sort_by_key(key);
    assert_eq!(m, expected);

    // The summary is the sum; both parts hold Argo CD objects or none, so the flag is the AND.
    assert_eq!(merged["summary"], sum(&demo["summary"], &dup["summary"]));
    assert_eq!(
        merged["summary"]["errors"].as_u64(),
        Some(m.iter().filter(|d| d["severity"] == "error").count() as u64)
    );
}

// For parts that do not overlap and read the same (default) configuration, the merge is what a
// single run over all of them prints, byte for byte: splitting loses nothing there.
#[test]
fn disjoint_parts_merge_into_what_one_run_over_both_prints() {
    let dir = tempfile::tempdir().expect("tempdir");
    check_report(dir.path(), "fixtures/duplicate-resource/bad", "a.json");
    check_report(dir.path(), "fixtures/one-object-per-file/bad", "b.json");
    let merged = run(&[
        "merge",
        &path(dir.path(), "a.json"),
        &path(dir.path(), "b.json"),
    ]);
    let whole = run(&[
        "check",
        "fixtures/duplicate-resource/bad",
        "fixtures/one-object-per-file/bad",
        "--format",
        "json",
    ]);
    assert_eq!(merged.stdout, whole.stdout);
    assert_eq!(merged.code, whole.code);
}

#[test]
fn one_report_merges_into_itself() {
    let dir = tempfile::tempdir().expect("tempdir");
    let check = run(&["check", "fixtures/demo", "--format", "json"]);
    write(dir.path(), "check.json", &check.stdout);
    let out = run(&["merge", &path(dir.path(), "check.json")]);
    assert_eq!(out.stdout, check.stdout);
    assert_eq!(out.code, check.code);

    let diff = run(&[
        "diff",
        "--base-dir",
        "fixtures/stateful-delete/bad/base",
        "--head-dir",
        "fixtures/stateful-delete/bad/head",
        "--format",
        "json",
    ]);
    assert_eq!(diff.code, 1, "{}", diff.stderr);
    write(dir.path(), "diff.json", &diff.stdout);
    let out = run(&["merge", &path(dir.path(), "diff.json")]);
    assert_eq!(out.stdout, diff.stdout);
}

/// `diff --format json` of a fixture's bad case, run from `dir/part` where base/ and head/ are
/// copied, so that every part compares with the base `base`.
fn diff_part(dir: &Path, part: &str, fixture: &str) -> Value {
    for side in ["base", "head"] {
        let from = common::root()
            .join("fixtures")
            .join(fixture)
            .join("bad")
            .join(side);
        for entry in walkdir(&from) {
            let rel = entry.strip_prefix(&from).expect("below");
            let text = std::fs::read(&entry).expect("read");
            write(&dir.join(part).join(side), &rel.to_string_lossy(), text);
        }
    }
    let out = run_in(
        &dir.join(part),
        &[
            "diff",
            "--base-dir",
            "base",
            "--head-dir",
            "head",
            "--format",
            "json",
        ],
    );
    assert!(out.code <= 1, "{}", out.stderr);
    write(dir, &format!("{part}.json"), &out.stdout);
    json(&out)
}

fn walkdir(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("list") {
        let p = entry.expect("entry").path();
        if p.is_dir() {
            out.extend(walkdir(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn diff_reports_merge_changes_and_blast_radius() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = diff_part(dir.path(), "one", "stateful-delete");
    let b = diff_part(dir.path(), "two", "crd-delete");
    let out = run(&[
        "merge",
        &path(dir.path(), "one.json"),
        &path(dir.path(), "two.json"),
    ]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let m = json(&out);
    assert_eq!(m["base"], "base");
    let count = |v: &Value, k: &str| v[k].as_array().map_or(0, Vec::len);
    assert_eq!(
        count(&m, "changes"),
        count(&a, "changes") + count(&b, "changes")
    );
    assert_eq!(
        count(&m, "diagnostics"),
        count(&a, "diagnostics") + count(&b, "diagnostics")
    );
    // Per cluster: counts summed, storage at risk summed.
    let radius = m["blast_radius"].as_object().expect("blast radius");
    for (cluster, impact) in radius {
        for kind in [
            "created",
            "modified",
            "recreated",
            "renamed",
            "deleted",
            "orphaned",
        ] {
            let part = |v: &Value| {
                v["blast_radius"][cluster]["counts"][kind]
                    .as_u64()
                    .unwrap_or(0)
            };
            assert_eq!(impact["counts"][kind].as_u64(), Some(part(&a) + part(&b)));
        }
        let bytes = |v: &Value| {
            v["blast_radius"][cluster]["storageAtRiskBytes"]
                .as_u64()
                .unwrap_or(0)
        };
        assert_eq!(
            impact["storageAtRiskBytes"].as_u64(),
            Some(bytes(&a) + bytes(&b))
        );
    }
    assert!(!radius.is_empty());
}

// Parts given the same files (shared components in every cluster's part) report their findings
// once per part: `--unique` keeps one of each, and counts the severities again.
#[test]
fn unique_keeps_one_of_each_repeated_finding() {
    let dir = tempfile::tempdir().expect("tempdir");
    let demo = check_report(dir.path(), "fixtures/demo", "demo.json");
    let twice = [path(dir.path(), "demo.json"), path(dir.path(), "demo.json")];
    let plain = json(&run(&["merge", &twice[0], &twice[1]]));
    let n = demo["diagnostics"].as_array().map_or(0, Vec::len);
    assert_eq!(plain["diagnostics"].as_array().map_or(0, Vec::len), 2 * n);
    let unique = json(&run(&["merge", "--unique", &twice[0], &twice[1]]));
    assert_eq!(unique["diagnostics"], demo["diagnostics"]);
    for key in ["errors", "warnings", "notes"] {
        assert_eq!(unique["summary"][key], demo["summary"][key], "{key}");
    }
    assert_eq!(
        unique["summary"]["files"].as_u64(),
        demo["summary"]["files"].as_u64().map(|f| 2 * f),
        "the other counts stay sums"
    );
}

#[test]
fn what_is_not_a_report_of_this_version_is_exit_2_naming_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = check_report(dir.path(), "fixtures/demo", "good.json");
    write(dir.path(), "broken.json", "{\"version\": 1, \"summary\": {");
    let out = run(&[
        "merge",
        &path(dir.path(), "good.json"),
        &path(dir.path(), "broken.json"),
    ]);
    assert_eq!(out.code, 2);
    assert!(out.stdout.is_empty());
    assert!(
        out.stderr.contains("broken.json: not JSON"),
        "{}",
        out.stderr
    );

    let mut v2 = good.clone();
    v2["version"] = Value::from(2);
    write(dir.path(), "v2.json", v2.to_string());
    let out = run(&[
        "merge",
        &path(dir.path(), "good.json"),
        &path(dir.path(), "v2.json"),
    ]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("v2.json: a report of version 2"),
        "{}",
        out.stderr
    );

    // A key version 1 does not have: written by another manifest-guard, not half merged.
    let mut newer = good.clone();
    newer["findings_v2"] = Value::Array(Vec::new());
    write(dir.path(), "newer.json", newer.to_string());
    let out = run(&["merge", &path(dir.path(), "newer.json")]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("newer.json") && out.stderr.contains("findings_v2"));

    let out = run(&["merge", &path(dir.path(), "missing.json")]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("missing.json"), "{}", out.stderr);
}

#[test]
fn check_and_diff_reports_do_not_mix() {
    let dir = tempfile::tempdir().expect("tempdir");
    check_report(dir.path(), "fixtures/demo", "check.json");
    diff_part(dir.path(), "one", "stateful-delete");
    let out = run(&[
        "merge",
        &path(dir.path(), "check.json"),
        &path(dir.path(), "one.json"),
    ]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("one.json is a `diff` report") && out.stderr.contains("check.json"),
        "{}",
        out.stderr
    );
}

#[test]
fn human_and_github_formats_of_a_merge() {
    let dir = tempfile::tempdir().expect("tempdir");
    let demo = check_report(dir.path(), "fixtures/demo", "demo.json");
    check_report(dir.path(), "fixtures/duplicate-resource/bad", "dup.json");
    let reports = [path(dir.path(), "demo.json"), path(dir.path(), "dup.json")];
    let human = run(&["merge", &reports[0], &reports[1], "--format", "human"]);
    assert_eq!(human.code, 1);
    // One line a finding, worst first, and the summary line of the sums.
    assert!(
        human.stdout.starts_with(
            "error: fixtures/demo/apps/apps.yaml:45:9: Application `storage` is defined twice"
        ),
        "{}",
        human.stdout
    );
    let files = demo["summary"]["files"].as_u64().unwrap_or(0);
    assert!(
        human.stdout.trim_end().ends_with(" Applications)") && human.stdout.contains(" files ("),
        "{}",
        human.stdout
    );
    assert!(files > 0);
    let github = run(&["merge", &reports[0], &reports[1], "--format", "github"]);
    assert!(
        github.stdout.contains(
            "::error file=fixtures/demo/apps/apps.yaml,line=45,col=9,title=duplicate-application::"
        ),
        "{}",
        github.stdout
    );
    assert_eq!(
        github.stdout.lines().count(),
        json(&run(&["merge", &reports[0], &reports[1]]))["diagnostics"]
            .as_array()
            .map_or(0, Vec::len)
    );
    // `--fail-on never`: the merged findings do not fail the job.
    assert_eq!(run(&["merge", &reports[0], "--fail-on", "never"]).code, 0);
}

// `--statistics` survives a merge as what a run over the merged findings counts: disjoint parts
// with statistics merge into what one run over both prints, byte for byte; the same part given
// twice counts its findings twice (they are in the merged list twice), and `--unique` once.
#[test]
fn merged_statistics_are_those_of_the_merged_findings() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (fixture, name) in [
        ("fixtures/duplicate-resource/bad", "a.json"),
        ("fixtures/one-object-per-file/bad", "b.json"),
    ] {
        let out = run(&["check", fixture, "--format", "json", "--statistics"]);
        assert!(out.code <= 1, "{}", out.stderr);
        write(dir.path(), name, &out.stdout);
    }
    let (a, b) = (path(dir.path(), "a.json"), path(dir.path(), "b.json"));
    let merged = run(&["merge", &a, &b]);
    let whole = run(&[
        "check",
        "fixtures/duplicate-resource/bad",
        "fixtures/one-object-per-file/bad",
        "--format",
        "json",
        "--statistics",
    ]);
    assert_eq!(merged.stdout, whole.stdout);
    let counted = |v: &Value| -> u64 {
        v["statistics"]
            .as_array()
            .expect("statistics")
            .iter()
            .map(|s| s["count"].as_u64().unwrap_or(0))
            .sum()
    };
    let twice = json(&run(&["merge", &a, &a]));
    let findings = twice["diagnostics"].as_array().expect("diagnostics").len() as u64;
    assert!(findings > 0);
    assert_eq!(counted(&twice), findings);
    assert_eq!(counted(&json(&run(&["merge", &a]))) * 2, findings);
    let unique = json(&run(&["merge", "--unique", &a, &a]));
    assert_eq!(counted(&unique), findings / 2);
    // Inputs without statistics get them on request.
    let plain = dir.path().join("plain.json");
    let out = run(&[
        "check",
        "fixtures/duplicate-resource/bad",
        "--format",
        "json",
    ]);
    write(dir.path(), "plain.json", &out.stdout);
    let plain = plain.to_string_lossy().into_owned();
    assert!(json(&run(&["merge", &plain])).get("statistics").is_none());
    assert_eq!(
        json(&run(&["merge", "--statistics", &plain]))["statistics"],
        json(&run(&["merge", &a]))["statistics"]
    );
}
