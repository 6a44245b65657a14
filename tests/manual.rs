//! The manual page and the shell completions, generated from the clap definitions
//! (`manifest_guard::manual`): the committed `doc/manifest-guard.1` is what the flags say today,
//! it renders with `man -l`, and the completion scripts load in their shells.

// Skipped tests say so on stderr, as `common` does.
#![allow(clippy::print_stderr)]

mod common;

use std::process::Command;

use common::{root, run};
use manifest_guard::manual::{MAN_PAGE_PATH, man_page};

/// Set to regenerate the committed page instead of comparing with it.
const UPDATE: &str = "MANIFEST_GUARD_UPDATE_MAN";

fn has(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

// A flag or a subcommand added without regenerating the page fails here, with the command that
// regenerates it; a merge that adds a subcommand (`fix`) fails here until it is regenerated.
#[test]
fn the_committed_man_page_is_the_generated_one() {
    let path = root().join(MAN_PAGE_PATH);
    let page = man_page();
    if std::env::var_os(UPDATE).is_some() {
        std::fs::write(&path, &page).expect("the man page is written");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == page,
        "{MAN_PAGE_PATH} is not what the CLI generates; regenerate it with\n  \
         {UPDATE}=1 cargo test --test manual the_committed_man_page_is_the_generated_one\n\
         and commit it"
    );
}

// Every subcommand and every long flag of the CLI is in the page (a page generated from a
// subset would be "in sync" with itself and still wrong).
#[test]
fn the_man_page_names_every_command_and_flag() {
    use clap::CommandFactory;
    let page = man_page();
    let cli = manifest_guard::cli::Cli::command();
    for sub in cli.get_subcommands() {
        assert!(
            page.contains(&format!(".SS \"manifest-guard {}\"", sub.get_name())),
            "no section for `{}`",
            sub.get_name()
        );
        for arg in sub.get_arguments() {
            if let Some(long) = arg.get_long() {
                // roff writes a dash as `\-`.
                let flag = format!("\\-\\-{}", long.replace('-', "\\-"));
                assert!(page.contains(&flag), "`{}` lacks --{long}", sub.get_name());
            }
        }
    }
}

#[test]
fn the_man_page_renders_with_man() {
    if !has("man") {
        eprintln!("skipped: `man` is not installed");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let page = dir.path().join("manifest-guard.1");
    std::fs::write(&page, man_page()).expect("written");
    let out = Command::new("man")
        .arg("-l")
        .arg(&page)
        .env("MANWIDTH", "100")
        .env("MANPAGER", "cat")
        .env("PAGER", "cat")
        .env("LC_ALL", "C.UTF-8")
        .output()
        .expect("man runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let errors = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{errors}");
    // groff warns on stderr about what it cannot lay out (an unknown macro, a bad escape).
    assert!(errors.trim().is_empty(), "{errors}");
    for expected in [
        "NAME",
        "manifest-guard check",
        "--format",
        "concise",
        "--statistics",
        "manifest-guard completions",
    ] {
        assert!(text.contains(expected), "no `{expected}` in:\n{text}");
    }
}

/// Runs `script` in `shell` with the completion script for it at `$1`.
fn load_in(shell: &str, script: &str, check: &str) -> std::process::Output {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("completions");
    std::fs::write(&file, script).expect("written");
    Command::new(shell)
        .args(["-c", check, shell])
        .arg(&file)
        .output()
        .expect("the shell runs")
}

#[test]
fn the_bash_completion_script_loads_in_bash() {
    if !has("bash") {
        eprintln!("skipped: `bash` is not installed");
        return;
    }
    let out = run(&["completions", "bash"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    // What the README tells people to run, with the binary under test.
    let bin = env!("CARGO_BIN_EXE_manifest-guard");
    let loaded = Command::new("bash")
        .args([
            "-c",
            &format!("source <('{bin}' completions bash) && complete -p manifest-guard"),
        ])
        .output()
        .expect("bash runs");
    let said = String::from_utf8_lossy(&loaded.stdout);
    assert!(
        loaded.status.success() && said.contains("manifest-guard"),
        "{said}{}",
        String::from_utf8_lossy(&loaded.stderr)
    );
    // And it completes: the subcommands after `manifest-guard `, the formats after --format.
    // The function `complete -p` names is called as bash calls it: command, word, previous word.
    let complete = |words: &str, cword: usize| {
        let check = format!(
            "source \"$1\"; COMP_WORDS=({words}); COMP_CWORD={cword}; \
             f=$(complete -p manifest-guard | sed -n 's/.*-F \\([^ ]*\\) .*/\\1/p'); \
             \"$f\" manifest-guard \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; \
             printf '%s\\n' \"${{COMPREPLY[@]}}\""
        );
        let out = load_in("bash", &out.stdout, &check);
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let subcommands = complete("manifest-guard ''", 1);
    for sub in ["check", "diff", "completions", "explain"] {
        assert!(subcommands.lines().any(|l| l == sub), "{subcommands}");
    }
    // Past a subcommand: its flags, and a flag's values (clap-rs/clap#6421 broke these for a
    // binary with a hyphen in its name; `manual::fix_bash_states`).
    let formats = complete("manifest-guard check --format ''", 3);
    assert!(formats.lines().any(|l| l == "concise"), "{formats}");
    let flags = complete("manifest-guard diff --st", 2);
    assert_eq!(flags.trim(), "--statistics");
}

#[test]
fn the_zsh_and_fish_scripts_parse() {
    for (shell, check) in [
        ("zsh", "zsh -n \"$1\""),
        ("fish", "fish --no-execute \"$1\""),
    ] {
        let out = run(&["completions", shell]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(out.stdout.contains("manifest-guard"), "{shell}");
        if !has(shell) {
            eprintln!("skipped: `{shell}` is not installed; its script was generated only");
            continue;
        }
        let parsed = load_in("sh", &out.stdout, check);
        assert!(
            parsed.status.success(),
            "{shell}: {}",
            String::from_utf8_lossy(&parsed.stderr)
        );
    }
}

#[test]
fn an_unknown_shell_is_exit_2() {
    let out = run(&["completions", "tcsh"]);
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(out.stderr.contains("bash"), "{}", out.stderr);
}
