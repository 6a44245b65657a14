//! Text from the repository cannot forge output: names, keys, file names and source lines that
//! hold line breaks, terminal escapes, bidi overrides and workflow commands come out as visible
//! escapes in every format, and under GitHub Actions no line of the log is a command that the
//! tool did not write.

mod common;

use std::path::Path;
use std::process::Command;

use common::{Output, json, write};

/// An Application name (YAML double-quoted escapes) with everything a log or a terminal acts on.
const NAME_YAML: &str = r#""evil\n::error file=x::pwned \e[2J\e[31mred \x9b31m \u202Ertl \L ::stop-commands::x \r::add-mask::y <img src=x> </details> | end""#;
/// The same name as the repository's YAML means it.
const NAME: &str = "evil\n::error file=x::pwned \u{1b}[2J\u{1b}[31mred \u{9b}31m \u{202e}rtl \u{2028} ::stop-commands::x \r::add-mask::y <img src=x> </details> | end";
/// A mapping key, likewise.
const KEY_YAML: &str = r#""k\n::warning::keyinj\e[31m|""#;

fn application(name: &str) -> String {
    format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {name}\n  \
         namespace: argocd\nspec:\n  project: default\n  destination:\n    server: \
         https://kubernetes.default.svc\n    namespace: default\n  source:\n    repoURL: \
         https://example.com/repo.git\n    path: x\n"
    )
}

/// A repository whose every finding quotes something hostile.
fn hostile_repo(dir: &Path) {
    // The same name twice: duplicate-application, one-object-per-file, in messages and labels.
    let app = application(NAME_YAML);
    write(dir, "apps/apps.yaml", format!("{app}---\n{app}").as_bytes());
    // A duplicate key: the key is in the message and the help.
    write(
        dir,
        "apps/cm.yaml",
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  {KEY_YAML}: a\n  {KEY_YAML}: b\n"
        )
        .as_bytes(),
    );
    // Raw escape bytes, a bidi override and a C1 control in a source line a snippet shows.
    write(
        dir,
        "apps/raw.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: raw\ndata:\n  x: a  # \u{1b}[2J\u{1b}]0;title\u{7} \u{202e}txt \u{9b}31m\n  x: b\n"
            .as_bytes(),
    );
    // A file name with a line break, a command and an escape in it.
    write(
        dir,
        "apps/evil\u{1b}[31m\n::error::file.yaml",
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: f\ndata:\n  x: a\n  x: b\n",
    );
}

/// Runs the binary in `dir` with the output-changing environment cleared, then `env` set.
fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_manifest-guard"));
    cmd.args(args)
        .current_dir(dir)
        .env("PATH", common::tool_path());
    for (key, _) in std::env::vars_os() {
        let k = key.to_string_lossy();
        if k == "NO_COLOR" || k == "CI" || k.starts_with("GITHUB_") || k == "CLICOLOR_FORCE" {
            cmd.env_remove(&key);
        }
    }
    cmd.env_remove("MANIFEST_GUARD_SHA");
    cmd.envs(env.iter().copied());
    let out = cmd.output().expect("the binary runs");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// What no output may hold raw: C0 controls but line feed and tab, DEL, C1, the Unicode line
/// separators and the bidi controls.
fn forbidden(c: char) -> bool {
    (c < ' ' && c != '\n' && c != '\t')
        || ('\u{7f}'..='\u{9f}').contains(&c)
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

fn assert_no_control_characters(what: &str, text: &str) {
    if let Some((i, c)) = text.char_indices().find(|&(_, c)| forbidden(c)) {
        let from = text[..i].char_indices().rev().nth(60).map_or(0, |(j, _)| j);
        panic!("{what}: raw {c:?} at byte {i}, after {:?}", &text[from..i]);
    }
}

/// Lines the Actions runner would read as workflow commands: it trims leading white space.
fn command_lines(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| l.trim_start().starts_with("::"))
        .collect()
}

fn is_annotation(line: &str) -> bool {
    ["::error ", "::warning ", "::notice "]
        .iter()
        .any(|p| line.starts_with(p))
}

fn findings(dir: &Path, args: &[&str]) -> usize {
    let mut args = args.to_vec();
    args.extend(["--format", "json"]);
    let out = run(dir, &args, &[]);
    json(&out)["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .len()
}

/// Under GitHub Actions without `--format`: the human report inside a stop-commands fence, then
/// exactly one annotation per finding, and no other command.
fn assert_fenced_log(out: &Output, findings: usize) -> String {
    assert_no_control_characters("stdout", &out.stdout);
    assert_no_control_characters("stderr", &out.stderr);
    let commands = command_lines(&out.stdout);
    assert!(commands.len() >= 2, "{}", out.stdout);
    let token = commands[0]
        .strip_prefix("::stop-commands::")
        .unwrap_or_else(|| panic!("first command: {}", commands[0]));
    assert!(token.len() >= 32, "{token}");
    assert_eq!(
        out.stdout.lines().next(),
        Some(commands[0]),
        "commands stop before anything else is printed"
    );
    assert_eq!(commands[1], format!("::{token}::"), "{}", out.stdout);
    let annotations = &commands[2..];
    assert!(
        annotations.iter().all(|l| is_annotation(l)),
        "{annotations:#?}"
    );
    assert_eq!(annotations.len(), findings, "{annotations:#?}");
    // The annotations come after commands resume.
    let resumed = out.stdout.find(commands[1]).expect("resume line");
    let human = &out.stdout[..resumed];
    assert!(human.contains("::stop-commands::x"), "the name is shown");
    assert!(human.contains("\\u{1b}[31m"), "escapes are visible");
    for a in annotations {
        assert!(out.stdout[resumed..].contains(a));
    }
    token.to_string()
}

#[test]
fn check_under_github_actions_fences_the_human_report_and_annotates_each_finding() {
    let dir = tempfile::tempdir().expect("tempdir");
    hostile_repo(dir.path());
    let expected = findings(dir.path(), &["check", "."]);
    assert!(expected >= 6, "{expected}");
    let env = [("GITHUB_ACTIONS", "true")];
    let out = run(dir.path(), &["check", "."], &env);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let token = assert_fenced_log(&out, expected);
    // Each run has a token of its own: the repository cannot know it in advance.
    let again = run(dir.path(), &["check", "."], &env);
    assert_ne!(assert_fenced_log(&again, expected), token);
}

#[test]
fn every_check_format_escapes_repository_text() {
    let dir = tempfile::tempdir().expect("tempdir");
    hostile_repo(dir.path());
    let expected = findings(dir.path(), &["check", "."]);
    for format in ["human", "concise", "json", "sarif", "github", "markdown"] {
        let out = run(
            dir.path(),
            &["check", ".", "--format", format, "--color", "never"],
            &[],
        );
        assert_eq!(out.code, 1, "{format}: {}", out.stderr);
        assert_no_control_characters(format, &out.stdout);
        let commands = command_lines(&out.stdout);
        if format == "github" {
            assert_eq!(commands.len(), expected, "{}", out.stdout);
            assert_eq!(out.stdout.lines().count(), expected, "{}", out.stdout);
            assert!(commands.iter().all(|l| is_annotation(l)), "{commands:#?}");
        } else {
            assert!(commands.is_empty(), "{format}: {commands:#?}");
        }
    }
    // JSON keeps the exact text: a tool reading it gets the name as the repository wrote it.
    let v = json(&run(dir.path(), &["check", ".", "--format", "json"], &[]));
    let messages: Vec<&str> = v["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter_map(|d| d["message"].as_str())
        .collect();
    assert!(messages.iter().any(|m| m.contains(NAME)), "{messages:#?}");
}

/// A small CommonMark reading of a report: the text outside fenced blocks and code spans.
fn markdown_outside_code(md: &str) -> String {
    let mut out = String::new();
    let mut fence: Option<usize> = None;
    for line in md.lines() {
        let ticks = line.chars().take_while(|&c| c == '`').count();
        match fence {
            Some(n) if ticks >= n && line[ticks..].trim().is_empty() => fence = None,
            Some(_) => {}
            None if ticks >= 3 => fence = Some(ticks),
            None => {
                let chars: Vec<char> = line.chars().collect();
                let run = |i: usize| chars[i..].iter().take_while(|&&c| c == '`').count();
                let mut i = 0;
                while i < chars.len() {
                    if chars[i] == '\\' && i + 1 < chars.len() {
                        out.push(chars[i]);
                        out.push(chars[i + 1]);
                        i += 2;
                    } else if chars[i] == '`' {
                        let n = run(i);
                        let mut j = i + n;
                        let close = loop {
                            if j >= chars.len() {
                                break None;
                            }
                            if chars[j] == '`' {
                                let m = run(j);
                                if m == n {
                                    break Some(j);
                                }
                                j += m;
                            } else {
                                j += 1;
                            }
                        };
                        match close {
                            Some(j) => i = j + n,
                            None => {
                                out.extend(&chars[i..i + n]);
                                i += n;
                            }
                        }
                    } else {
                        out.push(chars[i]);
                        i += 1;
                    }
                }
                out.push('\n');
            }
        }
    }
    assert_eq!(fence, None, "a fence is left open:\n{md}");
    out
}

/// Raw `<` outside code is only the report's own markup; `|` outside code is only a cell border.
fn assert_markdown_is_ours(md: &str) {
    let text = markdown_outside_code(md);
    let own = [
        "<!-- manifest-guard -->",
        "<br>",
        "<details>",
        "</details>",
        "<summary>",
        "</summary>",
        "<code>",
        "</code>",
    ];
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c == '<' && (i == 0 || chars[i - 1] != '\\') {
            let rest: String = chars[i..].iter().take(30).collect();
            assert!(
                own.iter().any(|tag| rest.starts_with(tag)),
                "raw HTML outside code: {rest:?}\n{md}"
            );
        }
    }
    assert_eq!(
        text.matches("<details>").count(),
        text.matches("</details>").count(),
        "{md}"
    );
    // Every row of a table has as many unescaped pipes as its header (GFM splits cells on them
    // before it looks for code spans).
    let mut columns = None;
    for line in md.lines() {
        if !line.starts_with('|') {
            columns = None;
            continue;
        }
        let chars: Vec<char> = line.chars().collect();
        let pipes = (0..chars.len())
            .filter(|&i| chars[i] == '|' && (i == 0 || chars[i - 1] != '\\'))
            .count();
        match columns {
            None => columns = Some(pipes),
            Some(n) => assert_eq!(pipes, n, "a cell breaks its row: {line}"),
        }
    }
}

#[test]
fn markdown_cells_hold_hostile_names() {
    let dir = tempfile::tempdir().expect("tempdir");
    hostile_repo(dir.path());
    let out = run(dir.path(), &["check", ".", "--format", "markdown"], &[]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_markdown_is_ours(&out.stdout);
    let rows = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("| ❌") || l.starts_with("| ⚠️") || l.starts_with("| ℹ️"))
        .count();
    assert_eq!(
        rows,
        findings(dir.path(), &["check", "."]),
        "{}",
        out.stdout
    );
}

/// Two revisions of a ConfigMap whose name, key and value are hostile; the value holds a run of
/// backticks longer than a usual fence.
fn hostile_diff(dir: &Path) {
    let cm = |value: &str| {
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {NAME_YAML}\n  namespace: default\ndata:\n  \
             {KEY_YAML}: {value}\n  \"::error::plain\": x\n"
        )
    };
    write(
        dir,
        "base/cm.yaml",
        cm(r#""before ````` \e[31m""#).as_bytes(),
    );
    write(dir, "head/cm.yaml", cm(r#""after \u202E""#).as_bytes());
    write(dir, "base/gone.yaml", application(NAME_YAML).as_bytes());
}

#[test]
fn diff_reports_escape_names_and_diff_bodies() {
    let dir = tempfile::tempdir().expect("tempdir");
    hostile_diff(dir.path());
    let args = ["diff", "--base-dir", "base", "--head-dir", "head"];
    let expected = findings(dir.path(), &args);
    let out = run(dir.path(), &args, &[("GITHUB_ACTIONS", "true")]);
    assert!(out.code <= 1, "{}", out.stderr);
    assert_fenced_log(&out, expected);
    assert!(out.stdout.contains("+++ head/cm.yaml"), "{}", out.stdout);
    for format in ["human", "concise", "json", "sarif", "github", "markdown"] {
        let mut with_format = args.to_vec();
        with_format.extend(["--format", format, "--color", "never"]);
        let out = run(dir.path(), &with_format, &[]);
        assert!(out.code <= 1, "{format}: {}", out.stderr);
        assert_no_control_characters(format, &out.stdout);
        let commands = command_lines(&out.stdout);
        if format == "github" {
            assert!(commands.iter().all(|l| is_annotation(l)), "{commands:#?}");
        } else {
            assert!(commands.is_empty(), "{format}: {commands:#?}");
        }
        if format == "markdown" {
            assert_markdown_is_ours(&out.stdout);
            assert!(out.stdout.contains("\n``````diff\n"), "{}", out.stdout);
        }
        if format == "json" {
            let v = json(&out);
            let change = &v["changes"].as_array().expect("changes")[0];
            assert_eq!(change["name"], NAME, "the exact name, for tools");
        }
    }
}

#[test]
fn render_output_escapes_repository_text() {
    let dir = tempfile::tempdir().expect("tempdir");
    hostile_repo(dir.path());
    for format in ["yaml", "json"] {
        let out = run(dir.path(), &["render", ".", "--format", format], &[]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_no_control_characters(format, &out.stdout);
        assert!(command_lines(&out.stdout).is_empty(), "{}", out.stdout);
    }
    let out = run(dir.path(), &["render", ".", "--format", "json"], &[]);
    assert_eq!(json(&out)["applications"][0]["name"], NAME);
}

#[test]
fn an_error_quoting_the_configuration_is_escaped() {
    let dir = tempfile::tempdir().expect("tempdir");
    hostile_repo(dir.path());
    write(
        dir.path(),
        ".manifest-guard.yaml",
        format!("{KEY_YAML}: 1  # \u{1b}[2J\n").as_bytes(),
    );
    let out = run(dir.path(), &["check", "."], &[]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("keyinj"), "{}", out.stderr);
    assert_no_control_characters("stderr", &out.stderr);
    assert!(command_lines(&out.stderr).is_empty(), "{}", out.stderr);
    // Under GitHub Actions the error is fenced like the human report: nothing it quotes is read
    // as a command, even where miette wraps a long message onto a line of its own.
    let out = run(dir.path(), &["check", "."], &[("GITHUB_ACTIONS", "true")]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert_no_control_characters("stderr", &out.stderr);
    let commands = command_lines(&out.stderr);
    assert_eq!(commands.len(), 2, "{commands:#?}");
    let token = commands[0]
        .strip_prefix("::stop-commands::")
        .expect("stop-commands first");
    assert_eq!(commands[1], format!("::{token}::"));
    assert!(out.stderr.starts_with(commands[0]), "{}", out.stderr);
    assert!(
        out.stderr.ends_with(&format!("{}\n", commands[1])),
        "{}",
        out.stderr
    );
}
