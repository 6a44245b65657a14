//! The JSON Schema of `.manifest-guard.yaml` (issue 15): the committed file is what the code
//! generates, every configuration the project ships or tests with is valid under it, and it
//! refuses what the parser refuses.
//!
//! Validation runs the real validator, `check-jsonschema` (installed by
//! `scripts/install-test-tools` into `.tools/`), the way an editor or CI would run it. Without
//! it a test is skipped with its reason, except in CI (`CI=true`), where it fails.

// A skipped test says why on stderr.
#![allow(clippy::print_stderr)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use common::{required_tool, root};
use manifest_guard::config::{Config, Origin};
use manifest_guard::config_schema;

/// Validates `files` against the committed schema: `Ok` or the validator's report.
fn validate(cjs: &Path, files: &[PathBuf]) -> Result<(), String> {
    let schema = root().join(config_schema::PATH);
    let out = Command::new(cjs)
        .arg("--schemafile")
        .arg(&schema)
        .arg("--color")
        .arg("never")
        .args(files)
        .output()
        .expect("check-jsonschema runs");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() {
        Ok(())
    } else {
        Err(report)
    }
}

/// The committed schema is the generated one. When the parser's tables change (a rule, a limit,
/// an option), regenerate it with `MANIFEST_GUARD_BLESS=1 cargo test --test config_schema` and
/// commit `schema/manifest-guard.schema.json`.
#[test]
fn the_committed_schema_is_generated_from_the_parsers_tables() {
    let path = root().join(config_schema::PATH);
    let expected = config_schema::text();
    if std::env::var_os("MANIFEST_GUARD_BLESS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().expect("schema/")).expect("mkdir");
        std::fs::write(&path, &expected).expect("write the schema");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == expected,
        "{} is stale or missing: regenerate it with\n\n    MANIFEST_GUARD_BLESS=1 cargo test --test config_schema\n\nand commit it",
        config_schema::PATH
    );
}

/// The schema names exactly the keys, rule ids, limits and options the parser knows.
#[test]
fn the_schema_names_what_the_parser_knows() {
    let schema = config_schema::schema();
    let keys = |v: &serde_json::Value| -> Vec<String> {
        v["properties"]
            .as_object()
            .expect("properties")
            .keys()
            .cloned()
            .collect()
    };
    assert_eq!(keys(&schema), manifest_guard::config::KEYS);
    assert_eq!(
        keys(&schema["properties"]["rules"]),
        common::rule_ids(),
        "one property per rule, in id order"
    );
    let limits: Vec<&str> = manifest_guard::limits::LIMITS
        .iter()
        .map(|l| l.key)
        .collect();
    assert_eq!(keys(&schema["properties"]["limits"]), limits);
    assert_eq!(
        keys(&schema["properties"]["options"]),
        manifest_guard::model::options::OPTION_KEYS
    );
    assert_eq!(
        schema["properties"]["options"]["properties"]["tracking-method"]["enum"],
        serde_json::json!(["annotation", "label", "annotation+label"])
    );
    // Each key the schema names is one the parser takes, empty exactly when the schema allows
    // null (`rules:` with nothing under it is fine, `max-file-size:` is not).
    for key in manifest_guard::config::KEYS {
        let parsed = Config::parse_from("c", Arc::from(format!("{key}:\n")), Origin::Operator);
        let nullable = schema["properties"][key]["type"]
            .as_array()
            .is_some_and(|t| t.contains(&serde_json::json!("null")));
        assert_eq!(
            parsed.is_ok(),
            nullable,
            "an empty `{key}`: parser {:?}, schema nullable {nullable}",
            parsed.err().map(|e| e.message)
        );
    }
}

/// Every config the project ships or its tests read: the fixtures' `.manifest-guard.yaml`
/// files, the rule documents' `# .manifest-guard.yaml` blocks, and the README's example.
fn project_configs(into: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in walkdir(&root().join("fixtures")) {
        if entry
            .file_name()
            .is_some_and(|n| n == ".manifest-guard.yaml")
        {
            files.push(entry);
        }
    }
    assert!(
        files.len() >= 40,
        "the fixtures hold many configs: {files:?}"
    );
    let mut write = |name: String, text: &str| {
        let file = into.join(name);
        std::fs::write(&file, format!("{text}\n")).expect("write");
        files.push(file);
    };
    let mut docs = 0;
    for id in common::rule_ids() {
        let doc = std::fs::read_to_string(root().join(format!("rules/{id}.md"))).expect("doc");
        for (i, block) in yaml_blocks(&doc).into_iter().enumerate() {
            if block.starts_with("# .manifest-guard.yaml") {
                write(format!("{id}-{i}.yaml"), &block);
                docs += 1;
            }
        }
    }
    assert!(docs >= 3, "rule documents show their configuration");
    write("readme.yaml".into(), &readme_config_example());
    files
}

fn walkdir(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The fenced ```yaml blocks of a Markdown text.
fn yaml_blocks(doc: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut rest = doc;
    while let Some(start) = rest.find("```yaml\n") {
        let body = &rest[start + "```yaml\n".len()..];
        let Some(end) = body.find("\n```") else { break };
        blocks.push(body[..end].to_string());
        rest = &body[end + 4..];
    }
    blocks
}

/// The first ```yaml block under the README's `## Configuration`.
fn readme_config_example() -> String {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README");
    let section = &readme[readme
        .find("\n## Configuration\n")
        .expect("README has ## Configuration")..];
    yaml_blocks(section)
        .into_iter()
        .next()
        .expect("a yaml block")
}

#[test]
fn every_config_the_project_uses_is_valid_under_the_schema() {
    let dir = tempfile::tempdir().expect("tempdir");
    let files = project_configs(dir.path());
    // The parser takes them all (as the repository's own file, the stricter reading).
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read");
        if let Err(e) = Config::parse(&file.to_string_lossy(), Arc::from(text)) {
            panic!("{}: {}", file.display(), e.message);
        }
    }
    let Some(cjs) = required_tool("check-jsonschema") else {
        return;
    };
    if let Err(report) = validate(&cjs, &files) {
        panic!("a project config is invalid under the schema:\n{report}");
    }
}

/// The README names the schema on the first line of its example, where yaml-language-server
/// reads it, at the address the schema says it is published at.
#[test]
fn the_readme_example_names_the_schema_for_editors() {
    let example = readme_config_example();
    assert_eq!(
        example.lines().next(),
        Some(format!("# yaml-language-server: $schema={}", config_schema::URL).as_str()),
        "the README's config example starts with the schema line"
    );
    let schema = config_schema::schema();
    assert_eq!(schema["$id"], config_schema::URL);
    // The address is the committed file on the default branch of the repository Cargo.toml names.
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).expect("Cargo.toml");
    let repository = manifest
        .lines()
        .find_map(|l| l.strip_prefix("repository = \""))
        .and_then(|l| l.strip_suffix('"'))
        .expect("Cargo.toml names its repository");
    let slug = repository
        .strip_prefix("https://github.com/")
        .expect("a GitHub repository");
    assert_eq!(
        config_schema::URL,
        format!(
            "https://raw.githubusercontent.com/{slug}/main/{}",
            config_schema::PATH
        )
    );
}

/// Configs the parser refuses, or takes, and what the schema says of each. Where the two differ
/// the case says why: the schema cannot know which file it is (a repository's or an operator's),
/// compile a glob or see a key written twice, and it asks for the plain form of a value where
/// the parser is lenient.
const CASES: &[(&str, &str, bool, bool)] = &[
    // (name, config, parser accepts, schema accepts)
    ("empty", "", true, true),
    ("empty-sections", "rules:\nexclude:\nlimits:\n", true, true),
    ("unknown-key", "rulez: {}\n", false, false),
    (
        "unknown-rule-id",
        "rules:\n  duplicate-resorce: off\n",
        false,
        false,
    ),
    (
        "unknown-severity",
        "rules:\n  yaml-syntax: fatal\n",
        false,
        false,
    ),
    (
        "unknown-rule-setting",
        "rules:\n  yaml-syntax: {level: error}\n",
        false,
        false,
    ),
    (
        "rule-mapping",
        "rules:\n  yaml-syntax: {severity: note, enabled: true}\n",
        true,
        true,
    ),
    (
        "off-is-no-severity",
        "rules:\n  yaml-syntax: {severity: off}\n",
        false,
        false,
    ),
    ("exclude-not-a-list", "exclude: vendor\n", false, false),
    (
        "limit-not-a-number",
        "limits:\n  renders: ten\n",
        false,
        false,
    ),
    ("limit-zero", "limits:\n  renders: 0\n", false, false),
    ("limit-negative", "limits:\n  renders: -1\n", false, false),
    ("limit-quoted", "limits:\n  renders: \"10\"\n", false, false),
    ("unknown-limit", "limits:\n  renderz: 1\n", false, false),
    ("max-file-size-lowered", "max-file-size: 1024\n", true, true),
    (
        "render-enabled-word",
        "render:\n  enabled: yes\n",
        false,
        false,
    ),
    ("render-timeout", "render:\n  timeout: 5\n", true, true),
    (
        "render-unknown",
        "render:\n  timeout: 5\n  jobs: 2\n",
        false,
        false,
    ),
    (
        "cluster-without-name",
        "clusters:\n  - server: https://x\n",
        false,
        false,
    ),
    (
        "cluster-protected-word",
        "clusters:\n  - name: a\n    protected: \"true\"\n",
        false,
        false,
    ),
    (
        "cluster-unknown-key",
        "clusters:\n  - name: a\n    region: eu\n",
        false,
        false,
    ),
    ("clusters-not-a-list", "clusters: {name: a}\n", false, false),
    (
        "repository-without-url",
        "repositories:\n  - path: .\n",
        false,
        false,
    ),
    (
        "options-unknown",
        "options:\n  quorum-replica: 5\n",
        false,
        false,
    ),
    (
        "options-quorum-one",
        "options:\n  quorum-replicas: 1\n",
        false,
        false,
    ),
    (
        "options-tracking-method",
        "options:\n  tracking-method: labels\n",
        false,
        false,
    ),
    (
        "options-slow-start-word",
        "options:\n  slow-start-seconds: soon\n",
        false,
        false,
    ),
    ("not-a-mapping", "- rules\n", false, false),
    (
        "namespace-list",
        "argocd-namespace: [argocd]\n",
        false,
        false,
    ),
    // The parser knows the file is the repository's; one schema serves both kinds of file.
    (
        "repository-names-helm",
        "render:\n  helm: /opt/helm/bin/helm\n",
        false,
        true,
    ),
    (
        "repository-raises-a-limit",
        "limits:\n  renders: 999999\n",
        false,
        true,
    ),
    // What JSON Schema cannot check.
    ("invalid-glob", "exclude:\n  - \"a/[b\"\n", false, true),
    // check-jsonschema's YAML reader (ruamel) refuses a key written twice, as the parser does.
    (
        "duplicate-key",
        "exclude: [a]\nexclude: [b]\n",
        false,
        false,
    ),
    (
        "repository-path-escapes",
        "repositories:\n  - url: https://x/y.git\n    path: ../other\n",
        false,
        true,
    ),
    // The parser's leniency: any scalar as text, a quoted whole number for an option.
    ("namespace-number", "argocd-namespace: 123\n", true, false),
    (
        "option-quoted",
        "options:\n  quorum-replicas: \"5\"\n",
        true,
        false,
    ),
];

#[test]
fn the_schema_refuses_what_the_parser_refuses() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut files = Vec::new();
    for (name, text, parser_accepts, _) in CASES {
        let parsed = Config::parse(name, Arc::from(*text));
        assert_eq!(
            parsed.is_ok(),
            *parser_accepts,
            "{name}: the parser {} `{text}` ({:?})",
            if parsed.is_ok() { "accepts" } else { "refuses" },
            parsed.err().map(|e| e.message)
        );
        let file = dir.path().join(format!("{name}.yaml"));
        std::fs::write(&file, text).expect("write");
        files.push(file);
    }
    // The operator's file may name the programs and raise a limit; the schema allows both.
    for name in ["repository-names-helm", "repository-raises-a-limit"] {
        let (_, text, _, _) = CASES.iter().find(|c| c.0 == name).expect("case");
        assert!(Config::parse_from(name, Arc::from(*text), Origin::Operator).is_ok());
    }
    let Some(cjs) = required_tool("check-jsonschema") else {
        return;
    };
    // One validator run for every case; its JSON report names the files that failed.
    let out = Command::new(&cjs)
        .arg("--schemafile")
        .arg(root().join(config_schema::PATH))
        .args(["--output-format", "json"])
        .args(&files)
        .output()
        .expect("check-jsonschema runs");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "check-jsonschema's JSON report ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    for ((name, text, _, schema_accepts), file) in CASES.iter().zip(&files) {
        // A file the validator cannot read as YAML (a key written twice) is refused as well.
        let errors: Vec<&serde_json::Value> = ["errors", "parse_errors"]
            .iter()
            .flat_map(|k| report[k].as_array().map(Vec::as_slice).unwrap_or_default())
            .filter(|e| e["filename"].as_str() == Some(&*file.to_string_lossy()))
            .collect();
        assert_eq!(
            errors.is_empty(),
            *schema_accepts,
            "{name}: the schema {} `{text}`: {errors:#?}",
            if errors.is_empty() {
                "accepts"
            } else {
                "refuses"
            },
        );
    }
}
