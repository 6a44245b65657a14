//! The manual page and the shell completion scripts, generated from the clap definitions
//! (`cli::Cli`) so that neither can drift from the flags: `manifest-guard completions SHELL`
//! prints a script, and `doc/manifest-guard.1` is this module's page, kept in sync by a test.
//! Both are built in memory; `main` prints.

use clap::CommandFactory;
use clap_mangen::Man;

use crate::cli::Cli;

/// Where the committed manual page lives, relative to the repository root.
pub const MAN_PAGE_PATH: &str = "doc/manifest-guard.1";

/// The command as the manual and completions describe it: built (bin names `manifest-guard
/// check`…), without clap's `help` subcommand, which is not part of the contract.
fn command() -> clap::Command {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    cmd
}

/// Runs one of clap_mangen's section writers into a string. Writing to a `Vec` cannot fail; the
/// roff it writes is ASCII-safe UTF-8 of our own help texts.
fn section(write: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> String {
    let mut out = Vec::new();
    let _ = write(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// `manifest-guard.1`: one page with every command and its flags (`man manifest-guard` is
/// where people look; a page per subcommand would send them on to six more). The top-level
/// sections are clap_mangen's; each subcommand is a `.SS` subsection under COMMANDS with its
/// synopsis, description and options, its `.SH` headings turned into paragraph titles. No date:
/// the page must be the same on every build.
pub fn man_page() -> String {
    let cmd = command();
    let man = Man::new(cmd.clone()).manual("manifest-guard manual");
    let mut out = String::new();
    out.push_str(&section(|w| man.render_title(w)));
    out.push_str(&section(|w| man.render_name_section(w)));
    out.push_str(&section(|w| man.render_synopsis_section(w)));
    out.push_str(&section(|w| man.render_description_section(w)));
    out.push_str(&section(|w| man.render_options_section(w)));
    out.push_str(".SH COMMANDS\n");
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let page = Man::new(sub.clone());
        let name = sub.get_bin_name().unwrap_or_else(|| sub.get_name());
        out.push_str(&format!(".SS \"{name}\"\n"));
        out.push_str(&subsection(&section(|w| page.render_synopsis_section(w))));
        out.push_str(&subsection(&section(|w| {
            page.render_description_section(w)
        })));
        if sub.get_arguments().any(|a| !a.is_hide_set()) {
            out.push_str(".PP\n\\fBOptions:\\fR\n");
            out.push_str(&subsection(&section(|w| page.render_options_section(w))));
        }
    }
    if cmd.get_after_help().is_some() || cmd.get_after_long_help().is_some() {
        out.push_str(&section(|w| man.render_extra_section(w)).replace(".SH EXTRA", ".SH NOTES"));
    }
    out.push_str(&section(|w| man.render_version_section(w)));
    out
}

/// A section's roff inside a subsection: its `.SH` headings (SYNOPSIS, DESCRIPTION, OPTIONS)
/// become paragraph breaks, since the subsection names the command already.
fn subsection(roff: &str) -> String {
    roff.lines()
        .map(|line| {
            if line.starts_with(".SH ") {
                ".PP\n".to_string()
            } else {
                format!("{line}\n")
            }
        })
        .collect()
}

/// The binary's name, as completion scripts register it.
const BIN: &str = "manifest-guard";

/// The completion script for `shell`, for the `manifest-guard` binary.
pub fn completions(shell: clap_complete::Shell) -> String {
    let mut cmd = command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, BIN, &mut out);
    let script = String::from_utf8_lossy(&out).into_owned();
    match shell {
        clap_complete::Shell::Bash => fix_bash_states(&script),
        _ => script,
    }
}

/// clap_complete (4.6.12, the latest) writes a bash script whose subcommand branches never match
/// when the binary's name holds a hyphen: the loop that reads the words names the state
/// `manifest__guard__subcmd__check`, the `case` arms `manifest__subcmd__guard__subcmd__check`,
/// so `manifest-guard check --format <TAB>` offered nothing (clap-rs/clap#6421, open; the fix
/// proposed in clap-rs/clap#6428 spells the arms as the loop does, which is what this does). A
/// no-op once clap_complete writes them right.
fn fix_bash_states(script: &str) -> String {
    const SEP: &str = "__subcmd__";
    let wrong = format!("{}{SEP}", BIN.replace('-', SEP));
    let right = format!("{}{SEP}", BIN.replace('-', "__"));
    script.replace(&wrong, &right)
}
