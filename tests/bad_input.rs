//! Hostile and broken input: every case ends in a finding with a file (and a line where there
//! is one), never a panic, and the other files are still checked.

mod common;

use std::path::Path;

use common::{json, run_in, write};

const GOOD: &[u8] = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fine\n";

/// Checks `dir` and returns `(rule, file, line, message)` of every finding; asserts the good file
/// was still read (its object is counted) and that the tool did not crash.
fn check(dir: &Path) -> Vec<(String, String, u64, String)> {
    write(dir, "zz-good.yaml", GOOD);
    let out = run_in(dir, &["check", ".", "--format", "json"]);
    assert!(
        out.code == 0 || out.code == 1,
        "exit {}: {}",
        out.code,
        out.stderr
    );
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    let v = json(&out);
    assert!(
        v["summary"]["objects"].as_u64().unwrap_or(0) >= 1,
        "the good file was not checked"
    );
    v["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().unwrap_or("").into(),
                d["file"].as_str().unwrap_or("").into(),
                d["line"].as_u64().unwrap_or(0),
                d["message"].as_str().unwrap_or("").into(),
            )
        })
        .collect()
}

fn one_finding(name: &str, bytes: &[u8]) -> (String, String, u64, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), name, bytes);
    let found = check(dir.path());
    assert_eq!(found.len(), 1, "{name}: {found:#?}");
    found.into_iter().next().expect("one")
}

#[test]
fn unclosed_quote() {
    let (rule, file, line, _) = one_finding(
        "a.yaml",
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \"unclosed\n",
    );
    assert_eq!((rule.as_str(), file.as_str()), ("yaml-syntax", "a.yaml"));
    assert!(line >= 4, "line {line}");
}

#[test]
fn bad_indentation() {
    let (rule, _, line, _) = one_finding(
        "a.yaml",
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n labels: {}\n",
    );
    assert_eq!(rule, "yaml-syntax");
    assert_eq!(line, 5);
}

#[test]
fn tab_in_indentation() {
    let (rule, _, line, _) = one_finding(
        "a.yaml",
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: x\n",
    );
    assert_eq!(rule, "yaml-syntax");
    assert_eq!(line, 4);
}

#[test]
fn trailing_tab_after_a_value_is_valid() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "svc.yaml",
        b"apiVersion: v1\t\nkind: Service\nmetadata:\n  name: ui\t\n",
    );
    assert!(check(dir.path()).is_empty());
}

#[test]
fn half_written_objects_warn() {
    let (rule, _, line, _) = one_finding("a.yaml", b"apiVersion: v1\nmetadata:\n  name: x\n");
    assert_eq!((rule.as_str(), line), ("incomplete-object", 1));
    let (rule, _, line, _) = one_finding("a.yaml", b"# x\nkind: ConfigMap\nmetadata:\n  name: x\n");
    assert_eq!((rule.as_str(), line), ("incomplete-object", 2));
}

#[test]
fn yaml_that_is_not_an_object_is_not_a_finding() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "chart/Chart.yaml",
        b"apiVersion: v2\nname: x\nversion: 1.0.0\n",
    );
    write(
        dir.path(),
        "chart/values.yaml",
        b"replicaCount: 2\nimage:\n  tag: 1.0\n",
    );
    write(
        dir.path(),
        ".github/workflows/ci.yaml",
        b"on: push\njobs: {}\n",
    );
    write(dir.path(), "config.json", b"{\"generators\": [1, 2]}");
    write(dir.path(), "empty.yaml", b"");
    write(dir.path(), "docs.yaml", b"---\n---\n...\n");
    assert!(check(dir.path()).is_empty());
}

#[test]
fn not_utf8() {
    let (rule, _, line, message) = one_finding("a.yaml", b"kind: ConfigMap\ndata:\n  x: caf\xe9\n");
    assert_eq!((rule.as_str(), line), ("unreadable-file", 3));
    assert!(message.contains("UTF-8"));
}

#[test]
fn binary_bytes() {
    let (rule, _, _, message) = one_finding("a.yaml", b"\x00\x01\x02PNG\x00");
    assert_eq!(rule, "unreadable-file");
    assert!(message.contains("binary"));
}

#[test]
fn billion_laughs_is_refused_not_expanded() {
    let mut text = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for (prev, next) in ["a", "b", "c", "d", "e", "f", "g", "h"]
        .iter()
        .zip(["b", "c", "d", "e", "f", "g", "h", "i"])
    {
        text.push_str(&format!(
            "{next}: &{next} [{}]\n",
            vec![format!("*{prev}"); 9].join(",")
        ));
    }
    let (rule, _, _, message) = one_finding("bomb.yaml", text.as_bytes());
    assert_eq!(rule, "yaml-syntax");
    assert!(message.contains("alias expansion"), "{message}");
}

#[test]
fn file_over_the_size_cap_is_reported_and_skipped() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), ".manifest-guard.yaml", b"max-file-size: 1000\n");
    write(
        dir.path(),
        "big.yaml",
        format!("data: \"{}\"\n", "x".repeat(2000)).as_bytes(),
    );
    let found = check(dir.path());
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, "unreadable-file");
    assert!(found[0].3.contains("over the 1000-byte limit"));
}

#[test]
fn symlinks_loop_and_outside_root() {
    let outside = tempfile::tempdir().expect("tempdir");
    write(outside.path(), "secret.yaml", GOOD);
    let dir = tempfile::tempdir().expect("tempdir");
    std::os::unix::fs::symlink(
        outside.path().join("secret.yaml"),
        dir.path().join("escape.yaml"),
    )
    .expect("link");
    std::os::unix::fs::symlink(outside.path(), dir.path().join("escape-dir")).expect("link");
    std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
    std::os::unix::fs::symlink("..", dir.path().join("sub/loop")).expect("link");
    let found = check(dir.path());
    let mut summary: Vec<(String, String)> =
        found.iter().map(|f| (f.1.clone(), f.3.clone())).collect();
    summary.sort();
    assert_eq!(summary.len(), 3, "{summary:#?}");
    assert!(summary[0].0 == "escape-dir" && summary[0].1.contains("outside the scanned root"));
    assert!(summary[1].0 == "escape.yaml" && summary[1].1.contains("outside the scanned root"));
    assert!(summary[2].0 == "sub/loop" && summary[2].1.contains("symlink loop"));
}

// Argo CD's repo-server walks a directory source with Go's `filepath.Walk`, which does not
// follow symbolic links: a linked directory is not descended (reposerver/repository/
// repository.go, `getPotentiallyValidManifests`). A linked file is read when its target is a
// regular file inside the repository (`getPotentiallyValidManifestFile`, `files.Inbound`).
#[test]
fn symlinked_directories_are_not_descended_linked_files_inside_are_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "real/cm.yaml",
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: real\n",
    );
    std::os::unix::fs::symlink("real", dir.path().join("linked")).expect("link");
    std::os::unix::fs::symlink("real", dir.path().join("linked.yaml")).expect("link");
    // A file whose name is not a manifest's, read only through the link that names it one.
    write(
        dir.path(),
        "store/aliased.txt",
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aliased\n",
    );
    std::os::unix::fs::symlink("store/aliased.txt", dir.path().join("aliased.yaml")).expect("link");
    let found = check(dir.path());
    assert!(found.is_empty(), "{found:#?}");
    // `real/cm.yaml` once (not again as `linked/cm.yaml`), `aliased.yaml`, `zz-good.yaml`.
    let render = run_in(dir.path(), &["render", ".", "--format", "json"]);
    let files: Vec<String> = json(&render)["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .map(|o| o["file"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(files, ["aliased.yaml", "real/cm.yaml", "zz-good.yaml"]);
}

#[test]
fn fifo_named_yaml_is_not_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("pipe.yaml");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(status.success());
    let found = check(dir.path());
    assert_eq!(found.len(), 1);
    assert!(found[0].3.contains("not a regular file"));
}

#[test]
fn directory_named_like_a_yaml_file_is_walked() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "x.yaml/inner.yaml",
        b"apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n",
    );
    let found = check(dir.path());
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn unreadable_file_is_reported() {
    // A file the process may not open. As root every permission check passes, so the case is
    // made with a path that exists as a link to a file that does not.
    let dir = tempfile::tempdir().expect("tempdir");
    std::os::unix::fs::symlink(
        dir.path().join("missing.yaml"),
        dir.path().join("dangling.yaml"),
    )
    .expect("link");
    let found = check(dir.path());
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].0, "unreadable-file");
    assert_eq!(found[0].1, "dangling.yaml");
}

/// `(rule, file, line, column)` of every finding in `dir`, and the human report.
fn positions_in(dir: &Path) -> (Vec<(String, String, u64, u64)>, String) {
    let out = run_in(dir, &["check", ".", "--format", "json"]);
    assert!(out.code == 0 || out.code == 1, "{}", out.stderr);
    let human = run_in(dir, &["check", "."]).stdout;
    (common::positions(&json(&out)), human)
}

// YAML 1.2, 5.4 "Line Break Characters": a line break is CR LF, a lone CR or a lone LF. A
// finding's line and column are the ones the parser and an editor see, whatever the line
// endings, and a suppression comment covers the line below it in every one of them.
#[test]
fn cr_and_crlf_line_endings_give_the_parsers_positions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lines = [
        "apiVersion: v1",
        "kind: ConfigMap",
        "metadata:",
        "  name: a",
        "  name: b",
        "data:",
        "  k: 1",
        "  # manifest-guard: ignore[duplicate-yaml-key]",
        "  k: 2",
    ];
    for (name, eol) in [("cr.yaml", "\r"), ("crlf.yaml", "\r\n"), ("lf.yaml", "\n")] {
        // Each file its own ConfigMap name, so the three are not duplicates of each other.
        let text = (lines.join(eol) + eol).replace("name: b", &format!("name: {name}"));
        write(dir.path(), name, text.as_bytes());
    }
    let (found, human) = positions_in(dir.path());
    // The second `name:` (line 5, column 3) in each file; the second `k:` (line 9) is
    // suppressed by the comment above it.
    let want: Vec<(String, String, u64, u64)> = ["cr.yaml", "crlf.yaml", "lf.yaml"]
        .iter()
        .map(|f| ("duplicate-yaml-key".to_string(), f.to_string(), 5, 3))
        .collect();
    assert_eq!(found, want, "{human}");
    // The human report shows the snippet line by line, as in the LF file.
    for file in ["cr.yaml", "crlf.yaml", "lf.yaml"] {
        assert!(human.contains(&format!("[{file}:5:3]")), "{human}");
        assert!(human.contains(&format!(" 5 │   name: {file}\n")), "{human}");
    }
}

// A ConfigMap value in single quotes whose continuation lines, and closing quote, start at
// column 0, as in anthos-config-management-samples fleet-packages-quickstart/config/nginx.yaml.
// libyaml does not check the indentation of a quoted scalar's continuation lines (go-yaml/yaml
// scannerc.go `yaml_parser_scan_flow_scalar`), so kubectl, Kustomize and Argo CD apply it; it
// is not a yaml-syntax error. A later finding still points at its own line: the parser reads a
// patched text, and spans are mapped back to the file.
#[test]
fn quoted_scalar_continuation_lines_at_column_zero_are_valid() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "nginx.yaml",
        b"apiVersion: v1\n\
kind: ConfigMap\n\
metadata:\n  name: nginx-config\n\
data:\n  nginx.conf: '\n\
events {\n}\n\
http {\n   server {\n       listen 80;\n   }\n}\n\
'\n\
  other: x\n\
  other: y\n",
    );
    let found = check(dir.path());
    let rules: Vec<(&str, u64)> = found.iter().map(|f| (f.0.as_str(), f.2)).collect();
    assert_eq!(rules, [("duplicate-yaml-key", 16)], "{found:#?}");
}
