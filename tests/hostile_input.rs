//! Adversarial input a pull request can add (issue 11 §4), each written by the test into a
//! temporary directory beside one ordinary file with a known finding. Every case runs the real
//! binary under a wall-clock guard and asserts that the run ends without a panic or a signal,
//! that the hostile file ends in a finding with its file and line (or, where it is valid input,
//! that its objects are checked), and that the ordinary file's finding is still reported: the
//! rest of the run is unaffected. Nothing is asserted about speed.

// The 100,000-file case prints the peak memory it measured, for whoever reads the test log.
#![allow(clippy::print_stderr)]

mod common;

use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::write;

/// Longer than any case takes in a debug build on a loaded machine; only there so that a hang
/// fails the test instead of the whole suite.
const GUARD: Duration = Duration::from_secs(60);

/// Two Applications with one name: `duplicate-application` at line 18, in every case.
const NORMAL: &str = "\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: influxdb
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://git.example.com/gitops.git
    path: nowhere
  destination:
    name: in-cluster
    namespace: influxdb
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: influxdb
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://git.example.com/gitops.git
    path: nowhere
  destination:
    name: in-cluster
    namespace: influxdb
";
const NORMAL_FILE: &str = "zz-normal.yaml";

struct Run {
    code: Option<i32>,
    signal: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs the binary in `dir`; kills it and fails the test when it outlives [`GUARD`].
fn guarded(dir: &Path, args: &[&str]) -> Run {
    guarded_in(dir, args, None)
}

/// [`guarded`], and with `rss` given and GNU time installed, run under `/usr/bin/time`, which
/// writes the peak resident set size in KiB to `rss`.
fn guarded_in(dir: &Path, args: &[&str], rss: Option<&Path>) -> Run {
    let time = Path::new("/usr/bin/time");
    let mut cmd = match rss {
        Some(out) if time.is_file() => {
            let mut c = Command::new(time);
            c.arg("-f").arg("%M").arg("-o").arg(out);
            c.arg(env!("CARGO_BIN_EXE_manifest-guard"));
            c
        }
        _ => Command::new(env!("CARGO_BIN_EXE_manifest-guard")),
    };
    let mut child = cmd
        .args(args)
        .current_dir(dir)
        .env("PATH", common::tool_path())
        .env_remove("CI")
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    // Drained on threads, so a large report cannot fill a pipe and stall the child.
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = r.read_to_end(&mut buf);
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out = drain(Box::new(child.stdout.take().expect("stdout")));
    let err = drain(Box::new(child.stderr.take().expect("stderr")));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > GUARD {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "`manifest-guard {}` did not end within {GUARD:?}",
                args.join(" ")
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        code: status.code(),
        signal: status.signal(),
        stdout: out.join().expect("stdout thread"),
        stderr: err.join().expect("stderr thread"),
    }
}

#[derive(Debug, Clone)]
struct Finding {
    rule: String,
    file: String,
    line: u64,
    column: u64,
    message: String,
}

/// `check . --format json` in `dir` (after adding the ordinary file): asserts the run ended as a
/// run does (exit 0 or 1, no panic, no signal) and the ordinary finding is there; returns the
/// JSON output and every finding outside the ordinary file.
fn check(dir: &Path) -> (serde_json::Value, Vec<Finding>) {
    check_measured(dir, None)
}

/// [`check`], measuring the peak memory into `rss` where it can (see [`guarded_in`]).
fn check_measured(dir: &Path, rss: Option<&Path>) -> (serde_json::Value, Vec<Finding>) {
    write(dir, NORMAL_FILE, NORMAL);
    let run = guarded_in(dir, &["check", ".", "--format", "json"], rss);
    assert!(
        run.signal.is_none() && matches!(run.code, Some(0 | 1)),
        "exit {:?}, signal {:?}: {}",
        run.code,
        run.signal,
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("JSON output ({e}): {}", run.stderr));
    let all: Vec<Finding> = v["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| Finding {
            rule: d["rule"].as_str().unwrap_or("").into(),
            file: d["file"].as_str().unwrap_or("").into(),
            line: d["line"].as_u64().unwrap_or(0),
            column: d["column"].as_u64().unwrap_or(0),
            message: d["message"].as_str().unwrap_or("").into(),
        })
        .collect();
    assert!(
        all.iter()
            .any(|f| f.rule == "duplicate-application" && f.file == NORMAL_FILE && f.line == 18),
        "the ordinary file's finding is missing: {all:#?}"
    );
    let hostile = all.into_iter().filter(|f| f.file != NORMAL_FILE).collect();
    (v, hostile)
}

/// The findings on `file`, as `(rule, line, column)`.
fn on(found: &[Finding], file: &str) -> Vec<(String, u64, u64)> {
    found
        .iter()
        .filter(|f| f.file == file)
        .map(|f| (f.rule.clone(), f.line, f.column))
        .collect()
}

fn one_on<'a>(found: &'a [Finding], file: &str) -> &'a Finding {
    let mine: Vec<&Finding> = found.iter().filter(|f| f.file == file).collect();
    assert_eq!(mine.len(), 1, "{file}: {found:#?}");
    mine[0]
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

/// A ConfigMap whose second `name:` (line 5, column 3) is a `duplicate-yaml-key`, so a test can
/// see that the object was read; `extra` is appended as more top-level keys.
fn config_map(name: &str, extra: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  name: {name}-2\n{extra}")
}

fn dup_key(line: u64, column: u64) -> (String, u64, u64) {
    ("duplicate-yaml-key".into(), line, column)
}

#[test]
fn ten_thousand_open_brackets_and_braces_end_in_a_syntax_finding() {
    let dir = tempdir();
    let n = 10_000;
    write(
        dir.path(),
        "brackets.yaml",
        format!("{}{}\n", "[".repeat(n), "]".repeat(n)),
    );
    write(
        dir.path(),
        "braces.yaml",
        format!("{}1{}\n", "{a: ".repeat(n), "}".repeat(n)),
    );
    // Unclosed: the parser must stop at the nesting cap, not read to the end first.
    write(dir.path(), "unclosed.yaml", "[{".repeat(n));
    let (_, found) = check(dir.path());
    for file in ["brackets.yaml", "braces.yaml", "unclosed.yaml"] {
        let f = one_on(&found, file);
        assert_eq!((f.rule.as_str(), f.line), ("yaml-syntax", 1), "{f:#?}");
    }
}

#[test]
fn deep_block_nesting_ends_in_a_syntax_finding() {
    let dir = tempdir();
    // Ten thousand block sequences on one line (`- - - … x`).
    write(
        dir.path(),
        "seqs.yaml",
        format!("{}x\n", "- ".repeat(10_000)),
    );
    // Two thousand block mappings, one space of indentation per level (2 MB).
    let mut text: String = (0..2_000)
        .map(|i| format!("{}k:\n", " ".repeat(i)))
        .collect();
    text.push_str(&format!("{}v\n", " ".repeat(2_000)));
    write(dir.path(), "maps.yaml", text);
    let (_, found) = check(dir.path());
    let seqs = one_on(&found, "seqs.yaml");
    assert_eq!((seqs.rule.as_str(), seqs.line), ("yaml-syntax", 1));
    assert!(seqs.message.contains("nested deeper"), "{seqs:#?}");
    // The finding points into the nesting, at the level the cap stops it.
    let maps = one_on(&found, "maps.yaml");
    assert_eq!(maps.rule, "yaml-syntax");
    assert!(maps.line > 1 && maps.line <= 2_000, "{maps:#?}");
    assert!(maps.message.contains("nested deeper"), "{maps:#?}");
}

#[test]
fn a_million_element_flow_sequence_is_read_and_its_object_checked() {
    let dir = tempdir();
    let ones = vec!["1"; 1_000_000].join(",");
    write(
        dir.path(),
        "seq.yaml",
        config_map("seq", &format!("list: [{ones}]\n")),
    );
    let (_, found) = check(dir.path());
    // Valid YAML: the object in it is checked. A per-file node budget (issue 11 §3) may instead
    // refuse the file; then that is its finding, still with the file and a line.
    let mine = on(&found, "seq.yaml");
    let budget = found
        .iter()
        .any(|f| f.file == "seq.yaml" && f.line >= 1 && f.message.contains("node"));
    assert!(mine.contains(&dup_key(5, 3)) || budget, "{found:#?}");
}

#[test]
fn a_one_mebibyte_line_keeps_exact_positions() {
    let dir = tempdir();
    let long = "x".repeat(1 << 20);
    // A 1 MiB value, then a duplicate key on the next line: found at its own line and column.
    write(
        dir.path(),
        "value.yaml",
        config_map("value", &format!("data:\n  big: \"{long}\"\n  big: y\n")),
    );
    // A 1 MiB key written as an explicit key (`? `): valid YAML, and its duplicate is found.
    write(
        dir.path(),
        "explicit-key.yaml",
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: explicit\ndata:\n  ? {long}\n  : a\n  ? {long}\n  : b\n"
        ),
    );
    // A 1 MiB implicit key is not valid YAML: YAML 1.2 §7.4.2 limits an implicit key to 1024
    // characters, and libyaml, which Go YAML ports (go-yaml scannerc.go
    // `yaml_parser_stale_simple_keys`), refuses a longer one; so do Kustomize and Argo CD.
    write(
        dir.path(),
        "implicit-key.yaml",
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: implicit\ndata:\n  {long}: a\n"
        ),
    );
    let (_, found) = check(dir.path());
    assert!(
        on(&found, "value.yaml").contains(&dup_key(5, 3)),
        "{found:#?}"
    );
    assert!(
        on(&found, "value.yaml").contains(&dup_key(8, 3)),
        "{found:#?}"
    );
    assert!(
        on(&found, "explicit-key.yaml").contains(&dup_key(8, 5)),
        "{found:#?}"
    );
    let implicit = one_on(&found, "implicit-key.yaml");
    assert_eq!((implicit.rule.as_str(), implicit.line), ("yaml-syntax", 6));
    // No message quotes a mebibyte of the file back.
    for f in &found {
        assert!(
            f.message.len() < 64 * 1024,
            "{} bytes: {}",
            f.message.len(),
            f.rule
        );
    }
}

// YAML 1.2 §5.2: a byte-order mark may start the stream and is not content; §5.4: CR LF is one
// line break. Argo CD strips the mark (utfutil, `getObjsFromYAMLOrJson`). A finding's line and
// column are exactly those of the same file written with LF and no mark.
#[test]
fn crlf_and_a_byte_order_mark_keep_exact_positions() {
    let dir = tempdir();
    let lf = config_map("crlf", "data:\n  k: 1\n  k: 2\n");
    write(
        dir.path(),
        "bom-crlf.yaml",
        format!("\u{feff}{}", lf.replace('\n', "\r\n")),
    );
    write(dir.path(), "plain-lf.yaml", lf.replace("crlf", "lf"));
    // A syntax error on the first line, right after the mark.
    write(dir.path(), "bom-error.yaml", "\u{feff}a: b: c\r\n");
    write(dir.path(), "plain-error.yaml", "a: b: c\n");
    let (_, found) = check(dir.path());
    let crlf = on(&found, "bom-crlf.yaml");
    assert!(
        crlf.contains(&dup_key(5, 3)) && crlf.contains(&dup_key(8, 3)),
        "{found:#?}"
    );
    let positions = |file| {
        on(&found, file)
            .into_iter()
            .filter(|f| f.0 != "duplicate-resource")
            .collect::<Vec<_>>()
    };
    assert_eq!(positions("bom-crlf.yaml"), positions("plain-lf.yaml"));
    let (with, without) = (
        one_on(&found, "bom-error.yaml"),
        one_on(&found, "plain-error.yaml"),
    );
    assert_eq!(with.rule, "yaml-syntax");
    assert_eq!((with.line, with.column), (without.line, without.column));
}

// Argo CD opens a directory source's files with `utfutil.OpenFile(path, utfutil.UTF8)`
// (argoproj/argo-cd reposerver/repository/repository.go, `getObjsFromYAMLOrJson`): UTF-16 with
// a byte-order mark, little- or big-endian, is decoded and applied, so its objects are checked
// here too. Without a mark the file is read as UTF-8 and skipped; that one is named "UTF-16".
#[test]
fn utf16_with_a_byte_order_mark_is_decoded_and_checked() {
    let dir = tempdir();
    let text = config_map("wide", "");
    let units: Vec<u16> = text.encode_utf16().collect();
    let le: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(units.iter().flat_map(|u| u.to_le_bytes()))
        .collect();
    let be: Vec<u8> = [0xFE, 0xFF]
        .into_iter()
        .chain(units.iter().flat_map(|u| u.to_be_bytes()))
        .collect();
    write(dir.path(), "le.yaml", &le);
    write(dir.path(), "be.yaml", &be);
    let no_mark: Vec<u8> = units.iter().flat_map(|u| u.to_le_bytes()).collect();
    write(dir.path(), "no-mark.yaml", &no_mark);
    // A lone high surrogate (0xD800) cannot be decoded.
    let mut broken = le.clone();
    broken.extend([0x00, 0xD8, b'a', 0x00]);
    write(dir.path(), "broken.yaml", &broken);
    let (_, found) = check(dir.path());
    assert!(on(&found, "le.yaml").contains(&dup_key(5, 3)), "{found:#?}");
    assert!(on(&found, "be.yaml").contains(&dup_key(5, 3)), "{found:#?}");
    for file in ["no-mark.yaml", "broken.yaml"] {
        let f = one_on(&found, file);
        assert_eq!((f.rule.as_str(), f.line), ("unreadable-file", 1), "{f:#?}");
        assert!(f.message.contains("UTF-16"), "{f:#?}");
        assert!(!f.message.contains("NUL"), "{f:#?}");
    }
}

// YAML 1.2 §9.1.4: `...` ends a document; a bare document may follow it, and `---` may follow
// too. Each of the three objects is read, at its own lines.
#[test]
fn document_end_markers_between_documents() {
    let dir = tempdir();
    write(
        dir.path(),
        "docs.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: d1\n...\n\
         apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: d2\n...\n---\n\
         apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: d3\n  name: d4\n...\n",
    );
    let (v, found) = check(dir.path());
    assert!(
        on(&found, "docs.yaml").contains(&dup_key(16, 3)),
        "{found:#?}"
    );
    let per_file = one_on(
        &found
            .iter()
            .filter(|f| f.rule == "one-object-per-file")
            .cloned()
            .collect::<Vec<_>>(),
        "docs.yaml",
    )
    .message
    .clone();
    for (name, line) in [("d1", 2), ("d2", 7), ("d4", 13)] {
        assert!(
            per_file.contains(&format!("ConfigMap `default/{name}` (line {line})")),
            "{per_file}"
        );
    }
    assert_eq!(v["summary"]["objects"], 2 + 3);
}

// Argo CD reads a `.json` file of a directory source as one object (`json.NewDecoder(…).Decode`
// into an `unstructured.Unstructured`, repository.go `getObjsFromYAMLOrJson`) and expands a
// `kind: List` into its items (`GenerateManifests`, `obj.IsList()`); a top-level array is not
// an object, the decode fails and the Application's manifests fail to generate.
#[test]
fn json_manifests_object_list_and_array() {
    let dir = tempdir();
    write(
        dir.path(),
        "object.json",
        "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\",\n \"metadata\": {\"name\": \"a\", \"name\": \"b\"}}\n",
    );
    write(
        dir.path(),
        "list.json",
        "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [\n\
         {\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"c\"}},\n\
         {\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"c\"}}]}\n",
    );
    write(
        dir.path(),
        "array.json",
        "[{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"e\"}},\n\
         {\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"f\"}}]\n",
    );
    // The same in YAML: a block sequence of objects holds `apiVersion:`, `kind:` and `metadata:`,
    // so Argo CD fails on it; a JSON-style flow array in a `.yaml` file does not, and Argo CD
    // skips it as "an unrelated YAML file" without a word — as the tool does.
    write(
        dir.path(),
        "array.yaml",
        "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: g\n",
    );
    write(
        dir.path(),
        "flow-array.yaml",
        "[{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"h\"}}]\n",
    );
    // An array of data, not of objects, is no manifest.
    write(dir.path(), "data.json", "[1, 2, {\"a\": 3}]\n");
    let (v, found) = check(dir.path());
    assert!(
        on(&found, "object.json").contains(&dup_key(2, 28)),
        "{found:#?}"
    );
    let list = on(&found, "list.json");
    assert!(
        list.iter().any(|f| f.0 == "duplicate-resource" && f.1 == 3),
        "{found:#?}"
    );
    let array = one_on(&found, "array.json");
    assert_eq!(
        (array.rule.as_str(), array.line),
        ("yaml-syntax", 1),
        "{array:#?}"
    );
    assert!(array.message.contains("array"), "{array:#?}");
    assert_eq!(
        on(&found, "array.yaml"),
        [("yaml-syntax".to_string(), 1, 1)]
    );
    assert!(on(&found, "flow-array.yaml").is_empty(), "{found:#?}");
    assert!(on(&found, "data.json").is_empty(), "{found:#?}");
    // Objects: the ordinary two, `object.json` and the List's two items; none from an array.
    assert_eq!(v["summary"]["objects"], 2 + 1 + 2);
}

// 100,000 one-object files. The run must complete; its peak memory is printed, not asserted, as
// it depends on the allocator and the build. Measured with GNU time on the shared 2-core machine
// (2026-12-05), debug build: 492 MiB peak RSS, 20 s wall (5 s user) — about 5 KB per file.
#[test]
fn a_hundred_thousand_tiny_files_complete() {
    let dir = tempdir();
    for d in 0..100 {
        let sub = dir.path().join(format!("d{d:03}"));
        std::fs::create_dir(&sub).expect("mkdir");
        for f in 0..1_000 {
            std::fs::write(
                sub.join(format!("cm{f:04}.yaml")),
                format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{d}-{f}\n"),
            )
            .expect("write");
        }
    }
    // One of them hostile in the ordinary way: a duplicate key, found among the others.
    write(dir.path(), "d050/cm0500.yaml", config_map("cm-50-500", ""));
    let rss = tempdir();
    let rss_file = rss.path().join("rss");
    let (v, found) = check_measured(dir.path(), Some(&rss_file));
    assert_eq!(v["summary"]["files"], 100_000 + 1);
    assert_eq!(v["summary"]["objects"], 100_000 + 2);
    assert!(
        on(&found, "d050/cm0500.yaml").contains(&dup_key(5, 3)),
        "{found:#?}"
    );
    if let Some(kib) = std::fs::read_to_string(&rss_file)
        .ok()
        .and_then(|t| t.lines().last()?.trim().parse::<u64>().ok())
    {
        eprintln!("peak RSS over 100,000 files: {} MiB", kib / 1024);
    }
}

// An app-of-apps cycle in plain YAML: `a/` holds an Application deploying `b/`, which holds one
// deploying `a/`. Argo CD applies each Application once (each manages the other's object); the
// tool renders each once, ends, checks both, and names the cycle once, as a warning: with no
// root, pruning or cascade-deleting either removes both.
#[test]
fn app_of_apps_cycle_ends_and_checks_both() {
    let dir = tempdir();
    write(
        dir.path(),
        ".manifest-guard.yaml",
        "repositories:\n  - url: https://git.example.com/cycle.git\n    path: .\n",
    );
    for (me, other) in [("a", "b"), ("b", "a")] {
        write(
            dir.path(),
            &format!("{me}/app.yaml"),
            format!(
                "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: app-{me}\n  namespace: argocd\n\
                 spec:\n  project: default\n  source:\n    repoURL: https://git.example.com/cycle.git\n    path: {other}\n\
                 \x20 destination:\n    name: in-cluster\n    namespace: argocd\n"
            ),
        );
    }
    let (_, found) = check(dir.path());
    assert_eq!(
        on(&found, "a/app.yaml"),
        [
            ("not-rendered".to_string(), 4, 9),
            ("project-unrestricted".to_string(), 7, 12)
        ],
        "{found:#?}"
    );
    assert_eq!(
        on(&found, "b/app.yaml"),
        [("project-unrestricted".to_string(), 7, 12)],
        "{found:#?}"
    );
    let render = guarded(dir.path(), &["render", ".", "--format", "json"]);
    assert_eq!(render.code, Some(0), "{}", render.stderr);
    let v: serde_json::Value = serde_json::from_str(&render.stdout).expect("render JSON");
    let apps: Vec<(String, String, Vec<String>)> = v["applications"]
        .as_array()
        .expect("applications")
        .iter()
        .filter(|a| a["name"] != "influxdb")
        .map(|a| {
            (
                a["name"].as_str().unwrap_or("").to_string(),
                a["origin"]["parent"].as_str().unwrap_or("").to_string(),
                a["objects"]
                    .as_array()
                    .map(|os| {
                        os.iter()
                            .map(|o| o["name"].as_str().unwrap_or("").to_string())
                            .collect()
                    })
                    .unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        apps,
        [
            ("app-a".into(), "app-b".into(), vec!["app-b".to_string()]),
            ("app-b".into(), "app-a".into(), vec!["app-a".to_string()]),
        ]
    );
}

#[test]
fn symlink_loops_and_links_out_of_the_root() {
    let outside = tempdir();
    write(outside.path(), "secret.yaml", config_map("secret", ""));
    let dir = tempdir();
    let link = |target: &Path, name: &str| {
        std::os::unix::fs::symlink(target, dir.path().join(name)).expect("link");
    };
    link(&outside.path().join("secret.yaml"), "escape.yaml");
    link(outside.path(), "escape-dir");
    // Git stores a link to a device as readily as one to a file.
    link(Path::new("/dev/zero"), "zero.yaml");
    link(Path::new("two.yaml"), "one.yaml");
    link(Path::new("one.yaml"), "two.yaml");
    std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
    link(Path::new(".."), "sub/loop");
    let (v, found) = check(dir.path());
    let mut got: Vec<(String, String, u64)> = found
        .iter()
        .map(|f| (f.file.clone(), f.rule.clone(), f.line))
        .collect();
    got.sort();
    let want: Vec<(String, String, u64)> = [
        "escape-dir",
        "escape.yaml",
        "one.yaml",
        "sub/loop",
        "two.yaml",
        "zero.yaml",
    ]
    .iter()
    .map(|f| (f.to_string(), "unreadable-file".to_string(), 1))
    .collect();
    assert_eq!(got, want, "{found:#?}");
    // Nothing was read through them: the ordinary file's two objects are all there is.
    assert_eq!(v["summary"]["objects"], 2);
}

fn mkfifo(path: &Path) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    let status = Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(status.success());
}

// A FIFO is never opened: reading one blocks until a writer comes, which in CI is never. Named
// like a manifest, like a chart's `Chart.yaml` or like a `kustomization.yaml`, each is a finding.
#[test]
fn fifos_are_not_read_and_do_not_hang_the_run() {
    let dir = tempdir();
    mkfifo(&dir.path().join("pipe.yaml"));
    mkfifo(&dir.path().join("chart/Chart.yaml"));
    write(
        dir.path(),
        "chart/templates/cm.yaml",
        config_map("chart", ""),
    );
    mkfifo(&dir.path().join("kust/kustomization.yaml"));
    let (_, found) = check(dir.path());
    for file in ["pipe.yaml", "chart/Chart.yaml", "kust/kustomization.yaml"] {
        let unreadable: Vec<&Finding> = found
            .iter()
            .filter(|f| f.file == file && f.rule == "unreadable-file")
            .collect();
        assert_eq!(unreadable.len(), 1, "{file}: {found:#?}");
        assert_eq!(unreadable[0].line, 1);
        assert!(unreadable[0].message.contains("not a regular file"));
    }
}

// The repository's `.manifest-guard.yaml` as a FIFO, or as a link to `/dev/zero` (which git can
// store), is a configuration the tool cannot read: exit 2 with its name, at once — not a read
// that blocks forever or fills memory.
#[test]
fn a_config_file_that_is_a_fifo_or_a_device_is_refused() {
    for make in ["fifo", "device"] {
        let dir = tempdir();
        let config = dir.path().join(".manifest-guard.yaml");
        if make == "fifo" {
            mkfifo(&config);
        } else {
            std::os::unix::fs::symlink("/dev/zero", &config).expect("link");
        }
        write(dir.path(), NORMAL_FILE, NORMAL);
        let run = guarded(dir.path(), &["check", ".", "--format", "json"]);
        assert_eq!(run.code, Some(2), "{make}: {}", run.stderr);
        // The link to a device is refused as a link out of the repository, before it is opened.
        let why = match make {
            "fifo" => "not a regular file",
            _ => "is a link to a file outside the repository",
        };
        assert!(
            run.stderr.contains(".manifest-guard.yaml") && run.stderr.contains(why),
            "{make}: {}",
            run.stderr
        );
    }
}

#[test]
fn a_file_name_with_line_breaks_and_control_characters_is_escaped() {
    let dir = tempdir();
    let name = "evil\nname\u{1b}[31m\u{7}\r.yaml";
    write(dir.path(), name, "a: b: c\n");
    let (_, found) = check(dir.path());
    // JSON keeps the exact name (a reader decodes the escapes)...
    let f = one_on(&found, name);
    assert_eq!((f.rule.as_str(), f.line), ("yaml-syntax", 1));
    // ...and the human report shows it without a raw break or escape.
    let human = guarded(dir.path(), &["check", "."]);
    assert!(matches!(human.code, Some(0 | 1)), "{}", human.stderr);
    assert!(!human.stdout.contains('\u{1b}') && !human.stdout.contains('\u{7}'));
    assert!(!human.stdout.contains("evil\n") && !human.stdout.contains('\r'));
    assert!(human.stdout.contains("evil"), "{}", human.stdout);
}

// "Billion laughs": nine levels of nine aliases each, 9^9 nodes if expanded. It is refused
// within the alias budget, at the file, and the run goes on.
#[test]
fn a_yaml_alias_bomb_is_refused_within_the_budget() {
    let dir = tempdir();
    let mut text = String::from(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lol\ndata:\n  a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    for pair in names.windows(2) {
        text.push_str(&format!(
            "  {}: &{} [{}]\n",
            pair[1],
            pair[1],
            vec![format!("*{}", pair[0]); 9].join(",")
        ));
    }
    write(dir.path(), "bomb.yaml", text);
    let (_, found) = check(dir.path());
    let bomb = one_on(&found, "bomb.yaml");
    assert_eq!(bomb.rule, "yaml-syntax");
    assert!(bomb.line >= 6, "{bomb:#?}");
    assert!(bomb.message.contains("alias"), "{bomb:#?}");
}

// A config file of the repository that is a link out of it is not read: the tool reads nothing
// outside the repository on its behalf, and a link the repository holds does not make the file
// it names the operator's (which may name the programs to run and raise the bounds).
#[test]
fn a_config_linked_out_of_the_repository_is_not_read() {
    let outside = tempdir();
    let file = outside.path().join("operator.yaml");
    std::fs::write(
        &file,
        "render:\n  helm: /bin/false\nlimits:\n  renders: 1000000\n",
    )
    .expect("write");
    let dir = tempdir();
    write(dir.path(), "cm.yaml", config_map("a", ""));
    std::os::unix::fs::symlink(&file, dir.path().join(".manifest-guard.yaml")).expect("link");
    let run = guarded(dir.path(), &["check", "."]);
    assert_eq!(run.code, Some(2), "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("is a link to a file outside the repository"),
        "{}",
        run.stderr
    );
    std::fs::remove_file(dir.path().join(".manifest-guard.yaml")).expect("rm");
    std::os::unix::fs::symlink(&file, dir.path().join("ci.yaml")).expect("link");
    let run = guarded(dir.path(), &["check", ".", "--config", "ci.yaml"]);
    assert_eq!(run.code, Some(2), "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("is a link to a file outside the repository"),
        "{}",
        run.stderr
    );
    // Named directly, the same file is the operator's.
    let run = guarded(
        dir.path(),
        &["check", ".", "--config", &file.to_string_lossy()],
    );
    assert!(run.code == Some(0) || run.code == Some(1), "{}", run.stderr);
}
