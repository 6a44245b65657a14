//! What happens to findings between the rules and the reports: a finding on a tool's output is
//! moved to the file of the tree that output came from (a person cannot open `helm template …`,
//! and code scanning attaches a result only to a file of the repository), and the same finding
//! repeated for each Application an ApplicationSet generates becomes one finding that lists them.
//! Nothing here judges: rules decide what is wrong, this only decides where and how often it is said.

use std::collections::HashMap;

use crate::diagnostic::Diagnostic;
use crate::load::Location;
use crate::model::Inventory;

/// How many Application names a grouped finding lists before "and N more".
const LISTED_APPLICATIONS: usize = 5;

/// Where a location in a tool's output is in the tree, and a few words saying where in the output
/// it was. `None` for a location already in a file of the tree.
fn in_tree(inventory: &Inventory, loc: Location) -> Option<(Location, String)> {
    let file = inventory.sources.get(loc.file);
    let rendered = file.rendered.as_ref()?;
    let Some(part) = rendered.part_at(loc.span.start) else {
        return Some((
            rendered.fallback,
            format!("in the output of `{}`", rendered.command),
        ));
    };
    // Each document starts with its own `---` line: the first line of content is line 1.
    let line = file
        .line_col(loc.span.start)
        .line
        .saturating_sub(file.line_col(part.span.start).line)
        .max(1);
    let archive = &inventory.sources.get(part.origin.file).display;
    let what = match &part.inner {
        Some(inner) => format!(
            "line {line} of the document rendered from `{inner}` inside the packaged chart `{archive}`"
        ),
        None if part.origin == rendered.fallback => format!(
            "line {line} of a document of the output of `{}`",
            rendered.command
        ),
        None => format!("line {line} of the document rendered from this file"),
    };
    Some((part.origin, what))
}

/// `loc`, or where it is in the tree when it is in a tool's output.
pub fn in_tree_location(inventory: &Inventory, loc: Location) -> Location {
    in_tree(inventory, loc).map_or(loc, |(l, _)| l)
}

/// Moves a finding's locations out of tool output into the tree. A finding on an object rendered
/// from a packaged chart also names the template inside the archive.
pub fn relocate(inventory: &Inventory, d: &mut Diagnostic) {
    let mut said = None;
    if let Some((loc, what)) = in_tree(inventory, d.location) {
        d.location = loc;
        said = Some(what);
    }
    for r in &mut d.related {
        if let Some((loc, _)) = in_tree(inventory, r.location) {
            r.location = loc;
        }
    }
    if said.is_none()
        && let Some(o) = d.object.map(|o| inventory.object(o))
        && o.origin == Some(d.location)
        && let Some(inner) = inventory
            .sources
            .get(o.file)
            .rendered
            .as_ref()
            .and_then(|r| r.parts.get(o.doc_index))
            .and_then(|p| p.inner.as_ref())
    {
        said = Some(format!(
            "rendered from `{inner}` inside the packaged chart `{}`",
            inventory.sources.get(d.location.file).display
        ));
    }
    if let Some(what) = said {
        d.message.push_str(&format!(" ({what})"));
    }
}

/// The first `Application `name`` a message names.
fn application_named(message: &str) -> Option<&str> {
    const START: &str = "Application `";
    let at = message.find(START)? + START.len();
    let len = message[at..].find('`')?;
    Some(&message[at..at + len])
}

/// One finding for what differs only by the Application it names, at the same place: the same
/// warning at one line of an ApplicationSet's template, once per generated Application. The
/// first (in report order) stays and lists the others. Order is kept.
pub fn group_per_application(found: Vec<Diagnostic>) -> Vec<Diagnostic> {
    type Key = (
        &'static str,
        crate::diagnostic::Severity,
        Location,
        String,
        String,
    );
    let mut out: Vec<Diagnostic> = Vec::with_capacity(found.len());
    let mut others: Vec<Vec<String>> = Vec::with_capacity(found.len());
    let mut index: HashMap<Key, usize> = HashMap::new();
    for d in found {
        let Some(name) = application_named(&d.message).map(str::to_string) else {
            out.push(d);
            others.push(Vec::new());
            continue;
        };
        let shape = d
            .message
            .replace(&format!("Application `{name}`"), "Application `\u{0}`");
        let key = (d.rule, d.severity, d.location, d.help.clone(), shape);
        match index.get(&key) {
            Some(&i) => others[i].push(name),
            None => {
                index.insert(key, out.len());
                out.push(d);
                others.push(Vec::new());
            }
        }
    }
    for (d, names) in out.iter_mut().zip(others) {
        if names.is_empty() {
            continue;
        }
        let listed = super::first_few(names.iter().map(|n| format!("`{n}`")), LISTED_APPLICATIONS);
        d.message.push_str(&format!(
            " (the same for {} more {} from this line: {})",
            names.len(),
            if names.len() == 1 {
                "Application"
            } else {
                "Applications"
            },
            listed
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Severity;
    use crate::load::{FileId, Span};

    fn finding(message: &str, line: usize) -> Diagnostic {
        Diagnostic {
            rule: "project-unrestricted",
            severity: Severity::Warning,
            message: message.to_string(),
            help: "help".into(),
            location: Location {
                file: FileId(0),
                span: Span::new(line, line + 1),
            },
            label: String::new(),
            object: None,
            related: Vec::new(),
        }
    }

    #[test]
    fn one_finding_per_line_lists_the_applications() {
        let names = ["a", "b", "c", "d", "e", "f", "g", "h"];
        let mut found: Vec<Diagnostic> = names
            .iter()
            .map(|n| {
                finding(
                    &format!("Application `{n}` is in the `default` project"),
                    10,
                )
            })
            .collect();
        // Another line, and another message at the same line, stay apart.
        found.push(finding("Application `a` is in the `default` project", 20));
        found.push(finding("Application `a` is unknown", 10));
        let grouped = group_per_application(found);
        let messages: Vec<&str> = grouped.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "Application `a` is in the `default` project (the same for 7 more Applications from this line: `b`, `c`, `d`, `e`, `f`, and 2 more)",
                "Application `a` is in the `default` project",
                "Application `a` is unknown",
            ]
        );
    }

    #[test]
    fn names_are_read_from_application_not_applicationset() {
        assert_eq!(
            application_named("ApplicationSet `s`: Application `x`: y"),
            Some("x")
        );
        assert_eq!(
            application_named("ApplicationSet `s` generates nothing"),
            None
        );
    }
}
