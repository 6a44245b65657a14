//! Gates: the rule catalogue, the documents and the fixtures cannot drift apart.

mod common;

use std::collections::BTreeSet;

use common::{root, rule_ids, run};

/// Fixture folders that belong to no single rule.
const SHARED_FIXTURES: &[&str] = &["demo", "healthy", "render", "diff"];

const HEADINGS: &[&str] = &[
    "## What it catches",
    "## Why it matters",
    "## Bad",
    "## Good",
    "## How to fix",
    "## Suppress",
    "## Configuration",
];

fn names_in(dir: &str, strip: &str) -> BTreeSet<String> {
    std::fs::read_dir(root().join(dir))
        .expect("directory")
        .filter_map(Result::ok)
        .map(|e| {
            e.file_name()
                .to_string_lossy()
                .trim_end_matches(strip)
                .to_string()
        })
        .collect()
}

#[test]
fn every_rule_has_a_document_with_the_fixed_headings_in_order() {
    for id in rule_ids() {
        let doc = std::fs::read_to_string(root().join(format!("rules/{id}.md")))
            .unwrap_or_else(|_| panic!("rule {id} has no rules/{id}.md"));
        assert!(
            doc.starts_with(&format!("# {id}\n")),
            "rules/{id}.md must start with `# {id}`"
        );
        let mut at = 0;
        for h in HEADINGS {
            let pos = doc[at..]
                .find(&format!("\n{h}\n"))
                .unwrap_or_else(|| panic!("rules/{id}.md lacks `{h}` (or it is out of order)"));
            at += pos + 1;
        }
        let explained = run(&["explain", &id]);
        assert_eq!(explained.code, 0);
        assert_eq!(explained.stdout, doc, "`explain {id}` prints the document");
    }
}

#[test]
fn every_rule_has_bad_and_good_fixtures() {
    for id in rule_ids() {
        for side in ["bad", "good"] {
            assert!(
                root().join(format!("fixtures/{id}/{side}")).is_dir(),
                "rule {id} has no fixtures/{id}/{side}/"
            );
        }
    }
}

#[test]
fn no_document_or_fixture_without_a_rule() {
    let ids: BTreeSet<String> = rule_ids().into_iter().collect();
    for doc in names_in("rules", ".md") {
        assert!(
            ids.contains(&doc),
            "rules/{doc}.md documents no registered rule"
        );
    }
    for fixture in names_in("fixtures", "") {
        assert!(
            ids.contains(&fixture) || SHARED_FIXTURES.contains(&fixture.as_str()),
            "fixtures/{fixture}/ belongs to no registered rule"
        );
    }
}

#[test]
fn registry_is_sorted_and_ids_are_kebab_case() {
    let ids = rule_ids();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
    for id in &ids {
        assert!(
            id.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
            "`{id}` is not kebab-case"
        );
        let file = root().join(format!("src/rules/{}.rs", id.replace('-', "_")));
        assert!(file.is_file(), "rule {id} is not in {}", file.display());
    }
}

/// Issue 11 §3: every bound is documented in the README with its default. The table between the
/// markers is generated from `manifest_guard::limits::LIMITS`; when this fails, paste the
/// expected table into the README.
#[test]
fn the_readme_lists_every_limit_with_its_default() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README");
    let start = "<!-- limits:start -->\n";
    let end = "<!-- limits:end -->";
    let from = readme
        .find(start)
        .expect("README has the limits:start marker")
        + start.len();
    let to = from + readme[from..].find(end).expect("limits:end marker");
    let expected = manifest_guard::limits::markdown_table();
    assert_eq!(
        &readme[from..to],
        expected,
        "the README's table of limits is stale; it should read:\n{expected}"
    );
}
