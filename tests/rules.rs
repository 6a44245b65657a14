//! Every rule, both directions, on its fixtures: `fixtures/<id>/bad` must fire the rule (the
//! exact findings are pinned in a snapshot), `fixtures/<id>/good` must produce no finding from
//! any rule. And every ```yaml example in a rule's document is run the same way.

mod common;

use common::{json, positions, root, rule_ids, run, run_in};

#[test]
fn bad_fixtures_fire_their_rule() {
    for id in rule_ids() {
        let dir = format!("fixtures/{id}/bad");
        let out = run(&["check", &dir, "--select", &id, "--format", "json"]);
        let v = json(&out);
        let found = positions(&v);
        assert!(
            !found.is_empty(),
            "{dir} does not fire {id}:\n{}",
            out.stdout
        );
        assert!(found.iter().all(|(rule, ..)| *rule == id));
        insta::assert_snapshot!(format!("{id}-bad"), out.stdout);
    }
}

#[test]
fn good_fixtures_are_silent() {
    for id in rule_ids() {
        let dir = format!("fixtures/{id}/good");
        let out = run(&["check", &dir, "--format", "json"]);
        let found = positions(&json(&out));
        assert!(found.is_empty(), "{dir} is not clean: {found:#?}");
        assert_eq!(out.code, 0, "{dir}: {}", out.stderr);
    }
}

/// The fenced blocks of one `## <heading>` section of a markdown document.
fn blocks<'a>(doc: &'a str, heading: &str, lang: &str) -> Vec<&'a str> {
    let Some(start) = doc.find(&format!("\n## {heading}\n")) else {
        return Vec::new();
    };
    let section = &doc[start + heading.len() + 5..];
    let section = section.find("\n## ").map_or(section, |end| &section[..end]);
    let fence = format!("```{lang}\n");
    section
        .split(&fence)
        .skip(1)
        .filter_map(|b| b.split("\n```").next())
        .collect()
}

#[test]
fn document_examples_behave_as_they_say() {
    for id in rule_ids() {
        let doc = std::fs::read_to_string(root().join(format!("rules/{id}.md"))).expect("document");
        for (heading, must_fire) in [("Bad", true), ("Good", false)] {
            for block in blocks(&doc, heading, "yaml") {
                let dir = tempfile::tempdir().expect("tempdir");
                std::fs::write(dir.path().join("example.yaml"), format!("{block}\n"))
                    .expect("write");
                let out = run_in(
                    dir.path(),
                    &["check", ".", "--select", &id, "--format", "json"],
                );
                let fired = !positions(&json(&out)).is_empty();
                assert_eq!(
                    fired,
                    must_fire,
                    "rules/{id}.md `## {heading}` example {} fire:\n{block}\n{}",
                    if must_fire { "does not" } else { "does" },
                    out.stdout
                );
            }
        }
    }
}
