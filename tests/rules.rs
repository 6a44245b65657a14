//! Every rule, both directions, on its fixtures: `fixtures/<id>/bad` and each named case
//! `fixtures/<id>/bad-<case>` must fire the rule (the exact findings, and the human report with
//! its carets, are pinned in snapshots), `fixtures/<id>/good` and each `good-<case>` must produce
//! no finding from any rule. And every ```yaml example in a rule's document is run the same way.

mod common;

use common::{change_rule_ids, fixture_args, json, positions, root, rule_ids, run, run_in};

/// The named cases of a rule beside its `bad/` and `good/`: every directory of `fixtures/<id>/`
/// that is `side` or starts with `side-` (`bad-helm-template/`), sorted by name.
fn cases(id: &str, side: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root().join(format!("fixtures/{id}")))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.path().is_dir())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n == side || n.starts_with(&format!("{side}-")))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Every `bad*` case fires its rule and only it; the JSON findings and the human report (the
/// code frame with the caret a reviewer reads) are each pinned in a snapshot of their own:
/// `rules__<id>-<case>.snap` and `rules__<id>-<case>-human.snap`.
#[test]
fn bad_fixtures_fire_their_rule() {
    let change_rules = change_rule_ids();
    for id in rule_ids() {
        let bad = cases(&id, "bad");
        assert!(!bad.is_empty(), "rule {id} has no fixtures/{id}/bad*/");
        for case in bad {
            let dir = format!("fixtures/{id}/{case}");
            let mut args = fixture_args(&dir, change_rules.contains(&id));
            args.extend(["--select".into(), id.clone()]);
            let mut as_json = args.clone();
            as_json.extend(["--format".into(), "json".into()]);
            let as_json: Vec<&str> = as_json.iter().map(String::as_str).collect();
            let out = run(&as_json);
            let v = json(&out);
            let found = positions(&v);
            assert!(
                !found.is_empty(),
                "{dir} does not fire {id}:\n{}",
                out.stdout
            );
            assert!(found.iter().all(|(rule, ..)| *rule == id));
            insta::assert_snapshot!(format!("{id}-{case}"), out.stdout);

            let mut human = args;
            human.extend(["--format".into(), "human".into()]);
            let human: Vec<&str> = human.iter().map(String::as_str).collect();
            let out = run(&human);
            assert!(
                out.stdout.contains(&format!("{id}\n")),
                "{dir}: the human report names {id}:\n{}",
                out.stdout
            );
            insta::assert_snapshot!(format!("{id}-{case}-human"), out.stdout);
        }
    }
}

/// Every `good*` case is silent under EVERY rule, not only its own.
#[test]
fn good_fixtures_are_silent() {
    let change_rules = change_rule_ids();
    for id in rule_ids() {
        let good = cases(&id, "good");
        assert!(!good.is_empty(), "rule {id} has no fixtures/{id}/good*/");
        for case in good {
            let dir = format!("fixtures/{id}/{case}");
            let mut args = fixture_args(&dir, change_rules.contains(&id));
            args.extend(["--format".into(), "json".into()]);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let out = run(&args);
            let found = positions(&json(&out));
            assert!(found.is_empty(), "{dir} is not clean: {found:#?}");
            assert_eq!(out.code, 0, "{dir}: {}", out.stderr);
        }
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

/// Every ```yaml example under `## Bad` fires the rule and every one under `## Good` is silent,
/// each ON ITS OWN: a document with two Bad examples, one of which stopped firing, fails (run
/// together, the other would have hidden it). A rule about changes shows its examples in pairs,
/// a base and a head block.
#[test]
fn document_examples_behave_as_they_say() {
    let change_rules = change_rule_ids();
    for id in rule_ids() {
        let doc = std::fs::read_to_string(root().join(format!("rules/{id}.md"))).expect("document");
        let change_rule = change_rules.contains(&id);
        // A rule that reads an option or a configuration (the tracking method, a protected
        // cluster) shows it under `## Configuration` in a block that starts with
        // `# .manifest-guard.yaml`.
        let config = blocks(&doc, "Configuration", "yaml")
            .into_iter()
            .find(|b| b.starts_with("# .manifest-guard.yaml"));
        for (heading, must_fire) in [("Bad", true), ("Good", false)] {
            let examples = blocks(&doc, heading, "yaml");
            let cases: Vec<Vec<&str>> = if change_rule {
                assert!(
                    !examples.is_empty() && examples.len().is_multiple_of(2),
                    "rules/{id}.md `## {heading}` needs base and head ```yaml blocks, in pairs"
                );
                examples.chunks(2).map(<[&str]>::to_vec).collect()
            } else {
                examples.iter().map(|b| vec![*b]).collect()
            };
            for case in cases {
                let dir = tempfile::tempdir().expect("tempdir");
                let args = if change_rule {
                    for (side, block) in ["base", "head"].iter().zip(&case) {
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
                    std::fs::write(dir.path().join("example.yaml"), format!("{}\n", case[0]))
                        .expect("write");
                    if let Some(config) = config {
                        std::fs::write(
                            dir.path().join(".manifest-guard.yaml"),
                            format!("{config}\n"),
                        )
                        .expect("write");
                    }
                    fixture_args(".", false)
                };
                let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
                args.extend(["--select", &id, "--format", "json"]);
                let out = run_in(dir.path(), &args);
                let fired = !positions(&json(&out)).is_empty();
                assert_eq!(
                    fired,
                    must_fire,
                    "rules/{id}.md `## {heading}` example {} fire:\n{}\n{}",
                    if must_fire { "does not" } else { "does" },
                    case.join("\n---8<---\n"),
                    out.stdout
                );
            }
        }
    }
}
