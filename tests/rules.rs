//! Every rule, both directions, on its fixtures: `fixtures/<id>/bad` must fire the rule (the
//! exact findings are pinned in a snapshot), `fixtures/<id>/good` must produce no finding from
//! any rule. And every ```yaml example in a rule's document is run the same way.

mod common;

use common::{change_rule_ids, fixture_args, json, positions, root, rule_ids, run, run_in};

#[test]
fn bad_fixtures_fire_their_rule() {
    let change_rules = change_rule_ids();
    for id in rule_ids() {
        let dir = format!("fixtures/{id}/bad");
        let mut args = fixture_args(&dir, change_rules.contains(&id));
        args.extend([
            "--select".into(),
            id.clone(),
            "--format".into(),
            "json".into(),
        ]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(&args);
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
    let change_rules = change_rule_ids();
    for id in rule_ids() {
        let dir = format!("fixtures/{id}/good");
        let mut args = fixture_args(&dir, change_rules.contains(&id));
        args.extend(["--format".into(), "json".into()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(&args);
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
    let change_rules = change_rule_ids();
    for id in rule_ids() {
        let doc = std::fs::read_to_string(root().join(format!("rules/{id}.md"))).expect("document");
        let change_rule = change_rules.contains(&id);
        for (heading, must_fire) in [("Bad", true), ("Good", false)] {
            let examples = blocks(&doc, heading, "yaml");
            let dir = tempfile::tempdir().expect("tempdir");
            let args: Vec<String> = if change_rule {
                // A rule about changes shows two blocks: the base revision, then the head.
                assert_eq!(
                    examples.len(),
                    2,
                    "rules/{id}.md `## {heading}` needs a base and a head ```yaml block"
                );
                // A rule that needs a configuration (a protected cluster) shows it under
                // `## Configuration` in a block that starts with `# .manifest-guard.yaml`.
                let config = blocks(&doc, "Configuration", "yaml")
                    .into_iter()
                    .find(|b| b.starts_with("# .manifest-guard.yaml"));
                for (side, block) in ["base", "head"].iter().zip(&examples) {
                    std::fs::create_dir_all(dir.path().join(side)).expect("mkdir");
                    // A rule about the configuration's change shows the config file itself.
                    let file = if block.starts_with("# .manifest-guard.yaml") {
                        ".manifest-guard.yaml"
                    } else {
                        "example.yaml"
                    };
                    std::fs::write(dir.path().join(side).join(file), format!("{block}\n"))
                        .expect("write");
                    if let Some(config) = config {
                        std::fs::write(
                            dir.path().join(side).join(".manifest-guard.yaml"),
                            format!("{config}\n"),
                        )
                        .expect("write");
                    }
                }
                fixture_args(".", true)
            } else {
                for block in &examples {
                    std::fs::write(dir.path().join("example.yaml"), format!("{block}\n"))
                        .expect("write");
                }
                // A rule that reads an option (the tracking method) shows it under
                // `## Configuration` in a block that starts with `# .manifest-guard.yaml`.
                if let Some(config) = blocks(&doc, "Configuration", "yaml")
                    .into_iter()
                    .find(|b| b.starts_with("# .manifest-guard.yaml"))
                {
                    std::fs::write(
                        dir.path().join(".manifest-guard.yaml"),
                        format!("{config}\n"),
                    )
                    .expect("write");
                }
                fixture_args(".", false)
            };
            if examples.is_empty() {
                continue;
            }
            let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
            args.extend(["--select", &id, "--format", "json"]);
            let out = run_in(dir.path(), &args);
            let fired = !positions(&json(&out)).is_empty();
            assert_eq!(
                fired,
                must_fire,
                "rules/{id}.md `## {heading}` example {} fire:\n{}\n{}",
                if must_fire { "does not" } else { "does" },
                examples.join("\n---8<---\n"),
                out.stdout
            );
        }
    }
}
