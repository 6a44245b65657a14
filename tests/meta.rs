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

/// `manifest-guard fix` (issue 14): a rule with an automatic fix says in its runbook what the fix
/// does, under `## Automatic fix` between `## How to fix` and `## Suppress`; a rule without one
/// may say why there is none, in the same place.
#[test]
fn every_fixable_rule_documents_its_automatic_fix() {
    for id in rule_ids() {
        let doc = std::fs::read_to_string(root().join(format!("rules/{id}.md"))).expect("doc");
        let at = doc.find("\n## Automatic fix\n");
        if manifest_guard::fix::planner(&id).is_some() {
            assert!(
                at.is_some(),
                "rules/{id}.md: `fix` fixes {id}; say how under `## Automatic fix`"
            );
        }
        if let Some(at) = at {
            let how = doc.find("\n## How to fix\n").expect("How to fix");
            let suppress = doc.find("\n## Suppress\n").expect("Suppress");
            assert!(
                how < at && at < suppress,
                "rules/{id}.md: `## Automatic fix` goes between `## How to fix` and `## Suppress`"
            );
        }
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

/// A rule's fixture folder holds `bad/`, `good/` and named cases `bad-<case>/`, `good-<case>/`
/// (kebab-case) only: a misspelt case (`bda-x/`, `good_x/`) would otherwise never run.
#[test]
fn rule_fixture_folders_hold_only_named_cases() {
    for id in rule_ids() {
        for case in names_in(&format!("fixtures/{id}"), "") {
            let named = ["bad", "good"].iter().any(|side| {
                case == *side
                    || case.strip_prefix(&format!("{side}-")).is_some_and(|rest| {
                        !rest.is_empty()
                            && rest
                                .chars()
                                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                    })
            });
            assert!(
                named,
                "fixtures/{id}/{case} is neither bad/, good/, bad-<case>/ nor good-<case>/"
            );
        }
    }
}

/// Every `rules__*.snap` belongs to a case that exists: renaming or removing a case leaves no
/// stale snapshot behind that nobody reviews.
#[test]
fn no_rule_snapshot_without_its_case() {
    let ids = rule_ids();
    for snap in names_in("tests/snapshots", ".snap") {
        let Some(name) = snap.strip_prefix("rules__") else {
            continue;
        };
        let name = name.strip_suffix("-human").unwrap_or(name);
        let case = ids.iter().find_map(|id| {
            let rest = name.strip_prefix(id.as_str())?.strip_prefix('-')?;
            root()
                .join(format!("fixtures/{id}/{rest}"))
                .is_dir()
                .then_some(rest)
        });
        assert!(
            case.is_some_and(|c| c == "bad" || c.starts_with("bad-")),
            "tests/snapshots/{snap}.snap belongs to no bad case of a registered rule"
        );
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
fn registry_is_sorted_unique_and_ids_are_kebab_case() {
    let ids = rule_ids();
    // Strictly increasing: sorted, and no id twice.
    for pair in ids.windows(2) {
        assert!(
            pair[0] < pair[1],
            "the catalogue lists `{}` before `{}`",
            pair[0],
            pair[1]
        );
    }
    for id in &ids {
        assert!(
            id.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
            "`{id}` is not kebab-case"
        );
        let file = root().join(format!("src/rules/{}.rs", id.replace('-', "_")));
        assert!(file.is_file(), "rule {id} is not in {}", file.display());
    }
}

/// The rule modules a file names: `module::Type` lines of the `REGISTRY` list, and `mod x;` lines.
fn registry_in_source(source: &str) -> (Vec<String>, Vec<String>) {
    let start = source
        .find("const REGISTRY: &[&dyn Rule] = &[\n")
        .expect("src/rules/mod.rs has `const REGISTRY: &[&dyn Rule] = &[`");
    let list = &source[start..];
    let list = &list[..list.find("\n];").expect("the REGISTRY list ends with `];`")];
    let registered = list
        .lines()
        .skip(1)
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("//"))
        .map(|l| {
            l.trim_start_matches('&')
                .split("::")
                .next()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    let declared = source
        .lines()
        .filter_map(|l| l.strip_prefix("mod ")?.strip_suffix(';'))
        .map(str::to_string)
        .collect();
    (registered, declared)
}

/// Issue 13 (STYLE.md "Gates that can fail"): the registry is kept sorted in the source, not
/// sorted at run time, so a misplaced or doubled line fails here, and every rule module is in it.
#[test]
fn registry_is_sorted_and_unique_in_source() {
    let source = std::fs::read_to_string(root().join("src/rules/mod.rs")).expect("mod.rs");
    let (registered, declared) = registry_in_source(&source);
    check_registry(&registered, &declared).unwrap_or_else(|e| panic!("{e}"));
    let ids: Vec<String> = registered.iter().map(|m| m.replace('_', "-")).collect();
    assert_eq!(
        ids,
        rule_ids(),
        "the catalogue is the REGISTRY list, in its order"
    );
}

fn check_registry(registered: &[String], declared: &[String]) -> Result<(), String> {
    for pair in registered.windows(2) {
        if pair[0] == pair[1] {
            return Err(format!("`{}` is in REGISTRY twice", pair[0]));
        }
        if pair[0].replace('_', "-") > pair[1].replace('_', "-") {
            return Err(format!(
                "REGISTRY lists `{}` before `{}`: keep it in id order",
                pair[0], pair[1]
            ));
        }
    }
    for module in declared {
        if !registered.contains(module) {
            return Err(format!(
                "rule module `{module}` is declared but not in REGISTRY"
            ));
        }
    }
    Ok(())
}

/// The gate above can fail: it catches a line out of order, a doubled line, a forgotten one.
#[test]
fn registry_gate_catches_disorder_doubles_and_omissions() {
    let source = "mod b_rule;\nmod a_rule;\nconst REGISTRY: &[&dyn Rule] = &[\n    &b_rule::B,\n    &a_rule::A,\n];\n";
    let (registered, declared) = registry_in_source(source);
    assert_eq!(registered, ["b_rule", "a_rule"]);
    assert!(check_registry(&registered, &declared).is_err());
    let twice = ["a_rule".to_string(), "a_rule".to_string()];
    assert!(check_registry(&twice, &[]).is_err());
    let one = ["a_rule".to_string()];
    assert!(check_registry(&one, &["a_rule".into(), "b_rule".into()]).is_err());
    assert!(check_registry(&one, &["a_rule".into()]).is_ok());
}

/// Each document's `Severity:` line (its third line) starts with the rule's default severity in
/// the code; a rule whose level depends on the case says so after it ("error when …").
#[test]
fn every_document_states_the_rules_severity() {
    let catalogue = common::json(&run(&["rules", "--format", "json"]));
    for rule in catalogue["rules"].as_array().expect("rules") {
        let id = rule["id"].as_str().expect("id");
        let severity = rule["severity"].as_str().expect("severity");
        let doc = std::fs::read_to_string(root().join(format!("rules/{id}.md"))).expect("doc");
        let stated = doc
            .lines()
            .find_map(|l| l.strip_prefix("Severity: "))
            .unwrap_or_else(|| panic!("rules/{id}.md has no `Severity:` line"));
        let word = stated.split([' ', ',', ';']).next().unwrap_or("");
        assert_eq!(
            word, severity,
            "rules/{id}.md says `Severity: {stated}`, the code's default is `{severity}`"
        );
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

/// The README's configuration example is a configuration the binary accepts (a typo in it would
/// be exit 2), and it shows every rule option with its default.
#[test]
fn the_readme_config_example_is_valid_and_shows_every_option() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README");
    let section = &readme[readme
        .find("\n## Configuration\n")
        .expect("README has ## Configuration")..];
    let start = section.find("```yaml\n").expect("a yaml block") + "```yaml\n".len();
    let example = &section[start..start + section[start..].find("\n```").expect("fence")];
    let defaults = manifest_guard::model::RuleOptions::default();
    for (key, default) in [
        ("quorum-replicas", defaults.quorum_replicas.to_string()),
        (
            "tracking-method",
            defaults.tracking_method.as_str().to_string(),
        ),
        (
            "slow-start-seconds",
            defaults.slow_start_seconds.to_string(),
        ),
    ] {
        assert!(
            example.contains(&format!("  {key}: {default} ")),
            "the README's config example lacks `{key}: {default}`"
        );
    }
    assert_eq!(
        manifest_guard::model::options::OPTION_KEYS.len(),
        3,
        "a new option: show it in the README's example and in this test"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join(".manifest-guard.yaml"),
        format!("{example}\n"),
    )
    .expect("write");
    let out = common::run_in(dir.path(), &["check", "."]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
}

/// The README's table of rules lists every rule once, in id order, with its default severity
/// first in the severity column: a rule added without its row (six were, once) fails here.
#[test]
fn the_readme_lists_every_rule_with_its_severity() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README");
    let rows: Vec<(String, String)> = readme
        .lines()
        .skip_while(|l| *l != "| rule | default | what it catches |")
        .skip(2)
        .take_while(|l| l.starts_with("| `"))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            (
                cells[1].trim_matches('`').to_string(),
                cells[2].split_whitespace().next().unwrap_or("").to_string(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = manifest_guard::rules::registry()
        .iter()
        .map(|r| (r.meta().id.to_string(), r.meta().severity.to_string()))
        .collect();
    assert_eq!(rows, expected);
}

// The README's "Fixing" table names every rule that has an automatic fix, and no other, with the
// fix's safety first in its cell (a merge once left four of five fixes out of it).
#[test]
fn the_readme_fixing_table_lists_every_fixable_rule() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README");
    let rows: Vec<(String, String)> = readme
        .lines()
        .skip_while(|l| *l != "| rule | fix |")
        .skip(2)
        .take_while(|l| l.starts_with("| `"))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let safety = cells[2].split([' ', ':']).next().unwrap_or("");
            (cells[1].trim_matches('`').to_string(), safety.to_string())
        })
        .collect();
    let mut rows_by_id = rows.clone();
    rows_by_id.sort();
    let fixable: Vec<String> = rule_ids()
        .into_iter()
        .filter(|id| manifest_guard::fix::planner(id).is_some())
        .collect();
    assert_eq!(
        rows_by_id
            .iter()
            .map(|(id, _)| id.clone())
            .collect::<Vec<_>>(),
        fixable
    );
    for (id, safety) in &rows {
        assert!(
            safety == "safe" || safety == "unsafe",
            "`{id}`: the cell starts with `{safety}`"
        );
    }
}
