//! YAML read as Argo CD and the API server read it (issue 11 §1, §3): merge keys, YAML 1.1
//! booleans in Argo CD fields, node budgets, UTF-16 files, `...` terminators and JSON manifests.
//! Each case ends in the finding a maintainer expects, at its file and line.

mod common;

use std::path::Path;

use common::{json, run_in, write};

/// `(rule, file, line, column, message)` of every finding of `check` over `dir`.
fn findings(dir: &Path, extra: &[&str]) -> Vec<(String, String, u64, u64, String)> {
    let mut args = vec!["check", ".", "--format", "json"];
    args.extend_from_slice(extra);
    let out = run_in(dir, &args);
    assert!(
        out.code == 0 || out.code == 1,
        "exit {}: {}",
        out.code,
        out.stderr
    );
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    json(&out)["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().unwrap_or("").into(),
                d["file"].as_str().unwrap_or("").into(),
                d["line"].as_u64().unwrap_or(0),
                d["column"].as_u64().unwrap_or(0),
                d["message"].as_str().unwrap_or("").into(),
            )
        })
        .collect()
}

/// A document whose `apiVersion`, `kind` and `metadata` come from a merge key is an object, as
/// go-yaml v2 (sigs.k8s.io/yaml, which Argo CD's repo-server and kubectl decode with) resolves
/// `<<` (`decode.go`, `(*decoder).merge`). Before merge keys were resolved, the second document
/// was no object at all and the duplicate `kube-system` ConfigMap passed with exit 0.
#[test]
fn an_object_built_from_merge_keys_is_checked() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "a.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: coredns\n  namespace: kube-system\n",
    );
    write(
        dir.path(),
        "b.yaml",
        "x-meta: &meta\n  name: coredns\n  namespace: kube-system\n---\n<<: &cm\n  apiVersion: v1\n  kind: ConfigMap\nmetadata:\n  <<: {name: coredns, namespace: kube-system}\n  labels: {a: b}\ndata:\n  <<: {k: v}\n  k: override\n",
    );
    let found = findings(dir.path(), &[]);
    let dup: Vec<_> = found
        .iter()
        .filter(|f| f.0 == "duplicate-resource")
        .collect();
    assert!(!dup.is_empty(), "{found:#?}");
    // Overriding a merged key is the documented way to override it, not a duplicate key.
    assert!(
        found.iter().all(|f| f.0 != "duplicate-yaml-key"),
        "{found:#?}"
    );
}

/// Two definitions of one Application, the later with `syncPolicy.automated.prune` spelled
/// `prune`; what only the earlier one deployed is pruned when prune is on.
fn replaced_application(dir: &Path, prune: &str) {
    write(
        dir,
        ".manifest-guard.yaml",
        "repositories:\n  - url: https://git.example.com/gitops.git\n    path: .\n",
    );
    let app = |path: &str, sync: &str| {
        format!(
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: https://git.example.com/gitops.git\n    targetRevision: main\n    path: {path}\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: web\n{sync}"
        )
    };
    write(dir, "apps/a.yaml", app("one", ""));
    write(
        dir,
        "apps/b.yaml",
        app(
            "two",
            &format!("  syncPolicy:\n    automated:\n      {prune}\n      selfHeal: on\n"),
        ),
    );
    let cm =
        |name: &str| format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n---\n");
    write(dir, "one/cm.yaml", cm("kept") + &cm("only-in-one"));
    write(dir, "two/cm.yaml", cm("kept"));
}

fn duplicate_application_message(prune: &str) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    replaced_application(dir.path(), prune);
    let found = findings(dir.path(), &[]);
    let dup: Vec<_> = found
        .iter()
        .filter(|f| f.0 == "duplicate-application")
        .collect();
    assert_eq!(dup.len(), 1, "{found:#?}");
    dup[0].4.clone()
}

/// `prune: yes` is `true` to Argo CD: sigs.k8s.io/yaml decodes with goyaml.v2, whose
/// `resolve.go` (`resolveMapList`) lists `y`, `yes`, `on`, `true` (and capitalised and upper-case
/// forms) as true and `n`, `no`, `off`, `false` as false. Read as a string, the automated prune
/// looked off, and duplicate-application said objects only "become out of sync".
#[test]
fn yaml_1_1_booleans_in_argo_cd_fields_are_booleans() {
    const PRUNES: &str = "the next automated sync prunes";
    let on = duplicate_application_message("prune: true");
    assert!(on.contains(PRUNES), "{on}");
    for spelling in [
        "prune: yes",
        "prune: Y",
        "prune: on",
        "prune: ON",
        "prune: True",
    ] {
        let msg = duplicate_application_message(spelling);
        assert!(msg.contains(PRUNES), "{spelling}: {msg}");
    }
    for spelling in [
        "prune: no",
        "prune: off",
        "prune: n",
        "prune: false",
        "prune: yES",
    ] {
        let msg = duplicate_application_message(spelling);
        assert!(!msg.contains(PRUNES), "{spelling}: {msg}");
        assert!(msg.contains("out of sync"), "{spelling}: {msg}");
    }
}

const CONFIG_MAP: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: NAME\n";

/// A ConfigMap of 9 YAML nodes: the mapping, `apiVersion` and its value, `kind` and its value,
/// `metadata` and its mapping, `name` and its value.
fn config_map(name: &str) -> String {
    CONFIG_MAP.replace("NAME", name)
}

/// `check` with an operator's config (outside the scanned tree, so it may set any bound).
fn check_with_limits(dir: &Path, limits: &str) -> Vec<(String, String, u64, u64, String)> {
    let ops = tempfile::tempdir().expect("tempdir");
    let config = ops.path().join("operator.yaml");
    std::fs::write(&config, format!("limits:\n{limits}")).expect("config");
    let config = config.to_string_lossy().into_owned();
    findings(dir, &["--config", &config])
}

/// Issue 11 §3: a 16 MiB file of `[1,1,…]` took 2.7 GB. The file's node budget
/// (`yaml-nodes-per-file`) ends it in a yaml-syntax finding at the node where it ran out, and
/// the other files are still checked (block nodes here; a flow collection is refused by a scan
/// before parsing, tested next).
#[test]
fn the_file_node_budget_is_a_finding_at_the_node_where_it_ran_out() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "a.yaml", config_map("kept"));
    write(
        dir.path(),
        "big.yaml",
        format!("items:\n{}", "  - 1\n".repeat(30)),
    );
    let found = check_with_limits(dir.path(), "  yaml-nodes-per-file: 20\n");
    let big: Vec<_> = found.iter().filter(|f| f.1 == "big.yaml").collect();
    assert_eq!(big.len(), 1, "{found:#?}");
    let (rule, _, line, column, message) = big[0];
    assert_eq!(rule, "yaml-syntax");
    // The mapping, `items`, the sequence, then items 1..=17 are nodes 4..=20: the 18th item (on
    // line 19) is the 21st node.
    assert_eq!((*line, *column), (19, 5), "{message}");
    assert!(message.contains("yaml-nodes-per-file"), "{message}");
    assert!(message.contains("20"), "{message}");
    // Without the operator's bound, the file is fine.
    let found = findings(dir.path(), &[]);
    assert!(found.iter().all(|f| f.1 != "big.yaml"), "{found:#?}");
}

/// Issue 11 §3: four such files took 10.6 GB, every file held at once. The run's budget
/// (`yaml-nodes`) is spent in display order whatever order the parallel reads finish in: here
/// a.yaml (9 nodes) and b.yaml (9) fit in 25, c.yaml (9) does not and is a finding at its 8th
/// node, and d.yaml (a 4-node file) still fits what is left.
#[test]
fn the_run_node_budget_falls_on_the_same_files_every_time() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "a.yaml", config_map("a"));
    write(dir.path(), "b.yaml", config_map("b"));
    write(dir.path(), "c.yaml", config_map("c"));
    write(dir.path(), "d.yaml", "kind: Namespace\nx: y\n");
    for _ in 0..5 {
        let found = check_with_limits(dir.path(), "  yaml-nodes: 25\n");
        let budget: Vec<_> = found.iter().filter(|f| f.0 == "yaml-syntax").collect();
        assert_eq!(budget.len(), 1, "{found:#?}");
        let (_, file, line, column, message) = budget[0];
        assert_eq!(file, "c.yaml");
        // a and b hold 18; c's 8th node (`name`, line 4) is the 26th.
        assert_eq!((*line, *column), (4, 3), "{message}");
        assert!(message.contains("`yaml-nodes`"), "{message}");
        assert!(message.contains("25"), "{message}");
    }
}

/// Issue 11 §4: a UTF-16 file was reported as "binary data (NUL bytes)". It names its encoding
/// and byte order, told by its first bytes as YAML 1.2 (5.2) tells them, at line 1.
#[test]
fn utf16_and_utf32_files_are_named_by_their_encoding() {
    let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: wide\n";
    let utf16 = |big: bool| -> Vec<u8> {
        text.encode_utf16()
            .flat_map(|u| {
                if big {
                    u.to_be_bytes()
                } else {
                    u.to_le_bytes()
                }
            })
            .collect()
    };
    let utf32 = |big: bool| -> Vec<u8> {
        text.chars()
            .flat_map(|c| {
                let c = c as u32;
                if big {
                    c.to_be_bytes()
                } else {
                    c.to_le_bytes()
                }
            })
            .collect()
    };
    let bom = |mark: &[u8], body: Vec<u8>| [mark.to_vec(), body].concat();
    // UTF-16 with a byte-order mark is decoded and checked, as Argo CD reads it
    // (tests/hostile_input.rs); without one it is named (Argo CD reads it as UTF-8 and fails).
    for (bytes, encoding) in [
        (utf16(false), "UTF-16 and has no byte-order mark"),
        (utf16(true), "UTF-16 and has no byte-order mark"),
        (
            bom(&[0xFF, 0xFE, 0, 0], utf32(false)),
            "UTF-32 little-endian, with a byte-order mark",
        ),
        (utf32(true), "UTF-32 big-endian, without a byte-order mark"),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "wide.yaml", &bytes);
        write(dir.path(), "zz-good.yaml", config_map("fine"));
        let found = findings(dir.path(), &[]);
        assert_eq!(found.len(), 1, "{encoding}: {found:#?}");
        let (rule, file, line, _, message) = &found[0];
        assert_eq!(
            (rule.as_str(), file.as_str(), *line),
            ("unreadable-file", "wide.yaml", 1)
        );
        assert!(message.contains(encoding), "{encoding}: {message}");
        assert!(!message.contains("NUL"), "{message}");
    }
}

/// A byte-order mark and CRLF line ends: lines and columns are what an editor shows (the mark
/// is not a column).
#[test]
fn crlf_and_a_byte_order_mark_keep_exact_positions() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "a.yaml",
        "\u{feff}{kind: A, kind: B}\r\n---\r\napiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n  name: a\r\n  name: b\r\n",
    );
    let found = findings(dir.path(), &[]);
    let keys: Vec<(u64, u64)> = found
        .iter()
        .filter(|f| f.0 == "duplicate-yaml-key")
        .map(|f| (f.2, f.3))
        .collect();
    assert_eq!(keys, vec![(1, 11), (7, 3)], "{found:#?}");
}

/// `...` ends a document; what follows, with or without `---`, is the next one (YAML 1.2,
/// 9.1.4 and 9.2, and libyaml). Each object is found at its own lines.
#[test]
fn document_end_markers_keep_objects_and_positions() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "a.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n...\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n...\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n...\n",
    );
    let found = findings(dir.path(), &[]);
    let dup: Vec<(u64, u64)> = found
        .iter()
        .filter(|f| f.0 == "duplicate-resource")
        .map(|f| (f.2, f.3))
        .collect();
    assert_eq!(dup, vec![(15, 9)], "{found:#?}");
    assert!(found.iter().all(|f| f.0 != "yaml-syntax"), "{found:#?}");
}

/// JSON manifests (`.json`, one object or a `List`): objects and their lines, as kubectl and
/// Argo CD read them.
#[test]
fn json_manifests_one_object_or_a_list() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "one.json",
        "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"ConfigMap\",\n  \"metadata\": {\n    \"name\": \"a\"\n  }\n}\n",
    );
    write(
        dir.path(),
        "list.json",
        "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [\n  {\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"b\"}},\n  {\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"a\"}}\n]}\n",
    );
    let out = run_in(dir.path(), &["check", ".", "--format", "json"]);
    let v = json(&out);
    assert_eq!(v["summary"]["objects"], serde_json::json!(3), "{v:#}");
    let found = findings(dir.path(), &[]);
    let dup: Vec<(String, u64, u64)> = found
        .iter()
        .filter(|f| f.0 == "duplicate-resource")
        .map(|f| (f.1.clone(), f.2, f.3))
        .collect();
    // list.json sorts first, so one.json's `a` is the second definition.
    assert_eq!(dup, vec![("one.json".to_string(), 5, 13)], "{found:#?}");
}

/// A finding far along one very long line (the node budget running out in a one-line file, a
/// syntax error at column 70,000) is reported in the human format too: miette's snippet pads to
/// the column with a formatting width, which panicked past 65,535 ("Formatting argument out of
/// range"), so such a finding is one plain line with its file, line and column.
#[test]
fn a_finding_on_a_very_long_line_is_reported_in_human_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let items = vec!["1"; 40_000].join(",");
    write(
        dir.path(),
        "long.yaml",
        format!("a: [{items}, \"unclosed\n"),
    );
    write(dir.path(), "zz-good.yaml", config_map("fine"));
    let out = run_in(dir.path(), &["check", "."]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    assert!(
        out.stdout.contains("long.yaml:1:"),
        "{}",
        &out.stdout[..out.stdout.len().min(2000)]
    );
    assert!(
        out.stdout.contains("yaml-syntax"),
        "{}",
        &out.stdout[..out.stdout.len().min(2000)]
    );
}

/// The flow form, `[1,1,…]`: refused before saphyr-parser reads the collection whole, at the
/// item past the budget.
#[test]
fn a_huge_flow_sequence_is_refused_at_the_item_past_the_budget() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "a.yaml", config_map("kept"));
    let items = vec!["1"; 30].join(",\n  ");
    write(dir.path(), "big.yaml", format!("items: [\n  {items}\n]\n"));
    let found = check_with_limits(dir.path(), "  yaml-nodes-per-file: 20\n");
    let big: Vec<_> = found.iter().filter(|f| f.1 == "big.yaml").collect();
    assert_eq!(big.len(), 1, "{found:#?}");
    let (rule, _, line, column, message) = big[0];
    assert_eq!(rule, "yaml-syntax");
    // `[` counts 1 and each comma one more: the 20th comma, after the 20th item (line 21,
    // `  1,`), is the 21st.
    assert_eq!((*line, *column), (21, 4), "{message}");
    assert!(message.contains("yaml-nodes-per-file"), "{message}");
}
