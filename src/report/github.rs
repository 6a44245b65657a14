//! `--format github`: GitHub Actions workflow commands, one annotation per finding
//! (`::error file=…,line=…,col=…,endLine=…,endColumn=…,title=<rule>::<message>`), escaped the
//! way the Actions runner unescapes them. Paths are relative to the repository root, which is
//! where the runner resolves them. Text from the repository is made [`printable`] first, so a
//! finding is one line of the log whatever the names in it hold.
//!
//! Also the `stop-commands` pair that fences a human report echoing repository content in the
//! log, so that none of its lines is taken for a workflow command.

use std::hash::{BuildHasher, Hasher};

use crate::diagnostic::{Diagnostic, Severity};

use super::{Report, Repository, printable};

pub fn render(report: &Report<'_>, repository: &Repository) -> String {
    report
        .diagnostics
        .iter()
        .map(|d| annotation(report, repository, d))
        .collect()
}

/// The workflow command for a severity.
pub fn command(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "notice",
    }
}

fn annotation(report: &Report<'_>, repository: &Repository, d: &Diagnostic) -> String {
    let file = report.inventory.sources.get(d.location.file);
    let path = repository
        .relative(&file.display)
        .unwrap_or_else(|| file.display.clone());
    let path = printable(&path).into_owned();
    let (start, end) = report.region(d.location);
    let mut props = vec![
        ("file", path),
        ("line", start.line.to_string()),
        ("endLine", end.line.to_string()),
    ];
    // Columns are only accepted on a one-line annotation; `endColumn` is the last character's.
    if start.line == end.line {
        props.insert(2, ("col", start.column.to_string()));
        props.push((
            "endColumn",
            end.column.saturating_sub(1).max(start.column).to_string(),
        ));
    }
    props.push(("title", d.rule.to_string()));
    // The line breaks between the parts are the tool's own; inside a part there are none.
    let mut message = printable(&d.message).into_owned();
    if !d.help.is_empty() {
        message.push_str("\nhelp: ");
        message.push_str(&printable(&d.help));
    }
    for r in &d.related {
        let (rfile, line, column) = report.position(r.location);
        let rpath = repository
            .relative(rfile)
            .unwrap_or_else(|| rfile.to_string());
        message.push_str(&format!(
            "\n{}: {}:{line}:{column}",
            printable(&r.message),
            printable(&rpath)
        ));
    }
    workflow_command(command(d.severity), &props, &message)
}

/// One workflow command line: `::command key=value,...::message`, everything escaped.
pub fn workflow_command(command: &str, props: &[(&str, String)], message: &str) -> String {
    let props: Vec<String> = props
        .iter()
        .map(|(k, v)| format!("{k}={}", escape_property(v)))
        .collect();
    format!(
        "::{command} {}::{}\n",
        props.join(","),
        escape_data(message)
    )
}

/// Escapes a command's message: `%`, CR and LF.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value: as data, plus `:` and `,`, which separate properties.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// A token for `::stop-commands::`, unguessable by the repository being checked: 128 bits from
/// `std`'s randomly keyed hasher (seeded by the operating system), over the time and process id.
pub fn stop_commands_token() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let mut token = String::from("manifest-guard-");
    for part in 0..2u8 {
        // Each `RandomState` has keys of its own.
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u8(part);
        h.write_u128(now);
        h.write_u32(std::process::id());
        token.push_str(&format!("{:016x}", h.finish()));
    }
    token
}

/// The line after which the runner takes no line for a workflow command…
pub fn stop_commands(token: &str) -> String {
    format!("::stop-commands::{token}\n")
}

/// …until this one.
pub fn resume_commands(token: &str) -> String {
    format!("::{token}::\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_escapes_percent_and_newlines_only() {
        assert_eq!(
            escape_data("100% of a, b: c\r\nnext"),
            "100%25 of a, b: c%0D%0Anext"
        );
    }

    #[test]
    fn property_escapes_commas_and_colons_too() {
        assert_eq!(
            escape_property("a,b:c%d\ne"),
            "a%2Cb%3Ac%25d%0Ae".to_string()
        );
    }

    #[test]
    fn percent_is_escaped_first() {
        // `%0A` typed by a user must not come back as a newline.
        assert_eq!(escape_data("%0A"), "%250A");
        assert_eq!(escape_property("%2C"), "%252C");
    }

    #[test]
    fn a_whole_command_with_hostile_text() {
        let props = [
            ("file", "apps/a,b:c.yaml".to_string()),
            ("line", "3".to_string()),
            ("title", "duplicate-application".to_string()),
        ];
        let message = "Application `a` moves: 100% of it, to `b`\nhelp: rename it";
        assert_eq!(
            workflow_command("error", &props, message),
            "::error file=apps/a%2Cb%3Ac.yaml,line=3,title=duplicate-application::\
             Application `a` moves: 100%25 of it, to `b`%0Ahelp: rename it\n"
        );
    }

    #[test]
    fn repository_text_made_printable_stays_on_the_command_line() {
        // What `annotation` does with a name: printable first, then the command's escaping.
        let name = "a\n::error file=x::pwned\r\u{1b}[31m::stop-commands::x%0A";
        let props = [("file", printable("apps/a\n::b.yaml").into_owned())];
        let line = workflow_command("error", &props, &printable(name));
        assert_eq!(
            line,
            "::error file=apps/a\\n%3A%3Ab.yaml::a\\n::error file=x::pwned\\r\\u{1b}[31m\
             ::stop-commands::x%250A\n"
        );
        assert_eq!(line.lines().count(), 1);
    }

    #[test]
    fn stop_commands_tokens_are_fresh_and_fenced_by_their_lines() {
        let (a, b) = (stop_commands_token(), stop_commands_token());
        assert_ne!(a, b);
        let hex = a.strip_prefix("manifest-guard-").expect("prefix");
        assert_eq!(hex.len(), 32);
        assert!(hex.chars().all(|c| c.is_ascii_hexdigit()), "{a}");
        assert_eq!(stop_commands(&a), format!("::stop-commands::{a}\n"));
        assert_eq!(resume_commands(&a), format!("::{a}::\n"));
    }

    #[test]
    fn severities_map_to_commands() {
        assert_eq!(command(Severity::Error), "error");
        assert_eq!(command(Severity::Warning), "warning");
        assert_eq!(command(Severity::Note), "notice");
    }
}
