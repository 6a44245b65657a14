//! Suppressions, accounted for: which finding each `# manifest-guard: ignore[rule]` comment or
//! `manifest-guard.dev/ignore` annotation silenced, and which of those suppressions the change
//! under review adds.
//!
//! A suppression is a choice of rules, written in the repository. Reviewing a pull request against
//! a base revision (`diff`, and `check --config-rev REV`, the Action's default), a suppression the
//! pull request itself adds does not silence its finding: the change under review does not choose
//! the rules that judge it, as it does not choose its configuration. The finding is shown as a
//! warning (at most) that names the directive, for the reviewer to accept; once merged, the
//! suppression is in the base and takes effect. Every other suppressed finding is counted in the
//! summary, so that what was silenced is never invisible.
//!
//! A directive is matched with the base's version of the same file by its text, not its line
//! number (lines move with every edit): a comment by its own line and the line below it (the
//! two lines it covers), an annotation by the line that writes it. The pull request adds a
//! directive when its file holds more lines like it than the base's file does.

use crate::diagnostic::{Diagnostic, Related};
use crate::load::{FileId, Location, Span};
use crate::model::{IGNORE_ANNOTATION, Inventory};

/// How a finding was silenced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    /// A `# manifest-guard: ignore[…]` comment on the finding's line or the line above it.
    Comment,
    /// The `manifest-guard.dev/ignore` annotation on the finding's object.
    Annotation,
}

impl By {
    pub fn as_str(self) -> &'static str {
        match self {
            By::Comment => "comment",
            By::Annotation => "annotation",
        }
    }
}

/// A finding a suppression silenced, and where the directive is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppressed {
    pub diagnostic: Diagnostic,
    pub by: By,
    /// The directive: the comment's line, or the annotation (in the template that writes it,
    /// for a rendered object).
    pub directive: Location,
}

/// The suppression that silences `d`, if one does.
pub fn find(inventory: &Inventory, d: &Diagnostic) -> Option<(By, Location)> {
    let file = inventory.sources.get(d.location.file);
    let line = file.line_col(d.location.span.start).line;
    if let Some(at) = file.suppressions.directive(line, d.rule) {
        let start = file.lines.line_start(&file.text, at).unwrap_or(0);
        let len = file.lines.line_text(&file.text, at).map_or(0, str::len);
        return Some((
            By::Comment,
            Location {
                file: d.location.file,
                span: Span::new(start, start + len),
            },
        ));
    }
    let o = inventory.object(d.object?);
    if !o.ignored_rules().any(|r| r == d.rule) {
        return None;
    }
    let key = o
        .node
        .get("metadata")
        .and_then(|m| m.get("annotations"))
        .and_then(|a| a.entry(IGNORE_ANNOTATION))
        .map(|e| e.key.span);
    let at = Location {
        file: o.file,
        span: key.unwrap_or(o.node.span),
    };
    Some((
        By::Annotation,
        super::placement::in_tree_location(inventory, at),
    ))
}

/// Lines of `text` like the directive `(first, second)`: for a comment, its line and the line
/// below; for an annotation, a line naming the annotation and the rule.
fn count_like(text: &str, by: By, rule: &str, first: &str, second: &str) -> usize {
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    match by {
        By::Comment => lines
            .iter()
            .enumerate()
            .filter(|&(i, l)| *l == first && lines.get(i + 1).copied().unwrap_or("") == second)
            .count(),
        By::Annotation => lines
            .iter()
            .filter(|l| l.contains(IGNORE_ANNOTATION) && names_rule(l, rule))
            .count(),
    }
}

/// Whether a line writing the ignore annotation lists `rule` among its comma-separated ids.
fn names_rule(line: &str, rule: &str) -> bool {
    let value = line
        .split_once(IGNORE_ANNOTATION)
        .map_or("", |(_, rest)| rest);
    value
        .split([',', ':', ' ', '"', '\''])
        .any(|id| id.trim() == rule)
}

/// Splits the suppressed findings into those whose directive the change under review adds and
/// those it does not. A directive is added when its file at the base (`base`, given the file's
/// path relative to the scanned root; `None` when the base has no such file) holds fewer
/// directives like it than the file under review. Each added one comes back as the finding it
/// silenced, as a warning at most, saying which directive would silence it: a reviewer sees
/// what the change silences, and a deliberate change (a rename the author acknowledges) is not
/// blocked by the gate that exists to make it visible.
pub fn split_added(
    inventory: &Inventory,
    suppressed: Vec<Suppressed>,
    base: &dyn Fn(&str) -> Option<String>,
) -> (Vec<Diagnostic>, Vec<Suppressed>) {
    let mut base_texts: std::collections::HashMap<FileId, Option<String>> =
        std::collections::HashMap::new();
    let mut out = Vec::new();
    let mut kept = Vec::new();
    for s in suppressed {
        let file = inventory.sources.get(s.directive.file);
        let line = file.line_col(s.directive.span.start).line;
        let text_of = |n: usize| file.lines.line_text(&file.text, n).unwrap_or("").trim();
        let (first, second) = (text_of(line), text_of(line + 1));
        // A directive in a tool's output is compared in the file of the tree that output came
        // from (the Helm template); one no file of the tree writes as it reads cannot be
        // compared, and counts as added.
        let tree_file = if file.rendered.is_some() {
            super::placement::in_tree_location(inventory, s.directive).file
        } else {
            s.directive.file
        };
        let tree = inventory.sources.get(tree_file);
        let rule = s.diagnostic.rule;
        let head = if tree.rendered.is_some() {
            0
        } else {
            count_like(&tree.text, s.by, rule, first, second)
        };
        let added = head == 0 || {
            let base_text = base_texts
                .entry(tree_file)
                .or_insert_with(|| base(&tree.rel));
            let before = base_text
                .as_deref()
                .map_or(0, |t| count_like(t, s.by, rule, first, second));
            head > before
        };
        if !added {
            kept.push(s);
            continue;
        }
        let mut d = s.diagnostic.clone();
        let what = match s.by {
            By::Comment => format!("a `# manifest-guard: ignore[{}]` comment", d.rule),
            By::Annotation => format!("the `{IGNORE_ANNOTATION}` annotation"),
        };
        d.severity = d.severity.min(crate::diagnostic::Severity::Warning);
        d.message.push_str(&format!(
            " (suppressed by {what} that this change adds: the change under review does not choose the rules that judge it, so until it is merged this is shown as a warning for the reviewer to accept)"
        ));
        d.related.push(Related {
            location: s.directive,
            message: format!("suppressed here, by {what} the base revision does not have"),
        });
        out.push(d);
    }
    (out, kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_comment_is_matched_by_its_text_and_the_line_it_covers() {
        let first = "# manifest-guard: ignore[duplicate-application]";
        let base = "a: 1\n# manifest-guard: ignore[duplicate-application]\nname: storage\n";
        assert_eq!(
            count_like(
                base,
                By::Comment,
                "duplicate-application",
                first,
                "name: storage"
            ),
            1
        );
        // The same comment above another line is another suppression.
        assert_eq!(
            count_like(
                base,
                By::Comment,
                "duplicate-application",
                first,
                "name: other"
            ),
            0
        );
    }

    #[test]
    fn an_annotation_is_matched_by_the_rules_it_lists() {
        let text = "  annotations:\n    manifest-guard.dev/ignore: \"one-object-per-file, duplicate-resource\"\n";
        assert_eq!(
            count_like(text, By::Annotation, "duplicate-resource", "", ""),
            1
        );
        assert_eq!(
            count_like(text, By::Annotation, "duplicate-application", "", ""),
            0
        );
    }
}
