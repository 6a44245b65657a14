//! What `manifest-guard fix` prints: the unified diff of the planned changes (`--diff`), the same
//! as a Markdown section (`--diff --format markdown`, the Action's `suggest-fixes`), and the
//! summary of what was changed, what waits for `--unsafe` and what could not be fixed or written.
//! Every path, title and line of a diff comes from the repository: made printable, or escaped
//! for Markdown.

use crate::fix::driver::FixRun;
use crate::fix::{FileChange, Fix};

/// A unified diff of every change of `fixes` (a created file from `/dev/null`, a removed one to
/// it), in the fixes' order; text from the repository made printable.
pub fn unified_diff(fixes: &[Fix]) -> String {
    let mut out = String::new();
    for fix in fixes {
        for c in &fix.changes {
            let before = c.before.as_deref().unwrap_or("");
            let after = c.after.as_deref().unwrap_or("");
            // `a/` and `b/` as git writes them, so `git apply` takes the diff; an absolute
            // path (a root given as one) has its own slash.
            let sep = if c.display.starts_with('/') { "" } else { "/" };
            let old = if c.before.is_some() {
                format!("a{sep}{}", c.display)
            } else {
                "/dev/null".to_string()
            };
            let new = if c.after.is_some() {
                format!("b{sep}{}", c.display)
            } else {
                "/dev/null".to_string()
            };
            let diff = similar::TextDiff::from_lines(before, after);
            let text = diff
                .unified_diff()
                .context_radius(3)
                .header(&old, &new)
                .to_string();
            out.push_str(&crate::text::printable_lines(&text));
        }
    }
    out
}

/// `fix --diff --format markdown`: the patch as a Markdown section for a pull request comment or
/// a job summary (the Action's `suggest-fixes`), in a fence no line of the diff can close, cut at
/// a line beyond `limit` bytes; the unsafe fixes listed with why.
pub fn markdown(run: &FixRun, limit: usize) -> String {
    use super::markdown::escape_text as escape;
    let mut out = String::from("## manifest-guard fix\n\n");
    if run.applied.is_empty() {
        out.push_str("Nothing to fix automatically.\n");
    } else {
        let files: usize = run.applied.iter().map(|f| f.changes.len()).sum();
        out.push_str(&format!(
            "`manifest-guard fix` would apply {} {} to {} {}:\n\n",
            run.applied.len(),
            if run.applied.len() == 1 {
                "fix"
            } else {
                "fixes"
            },
            files,
            if files == 1 { "file" } else { "files" },
        ));
        for fix in &run.applied {
            out.push_str(&format!("- `{}`: {}\n", fix.rule, escape(&fix.title)));
        }
        let mut diff = unified_diff(&run.applied);
        if diff.len() > limit {
            let mut end = limit;
            while !diff.is_char_boundary(end) {
                end -= 1;
            }
            let cut = diff[..end].rfind('\n').map_or(0, |i| i + 1);
            diff.truncate(cut);
            diff.push_str("… (cut: run `manifest-guard fix --diff` for the whole patch)\n");
        }
        let fence = super::diff::fence(&diff);
        out.push_str(&format!(
            "\n<details><summary>The patch</summary>\n\n{fence}diff\n{diff}{fence}\n\n</details>\n"
        ));
    }
    if run.pending > 0 {
        out.push_str(&format!(
            "\n{} more {} planned once these are applied.\n",
            run.pending,
            if run.pending == 1 {
                "fix is"
            } else {
                "fixes are"
            }
        ));
    }
    if !run.unsafe_available.is_empty() {
        out.push_str("\nUnsafe fixes, applied only with `manifest-guard fix --unsafe`:\n\n");
        for fix in &run.unsafe_available {
            out.push_str(&format!("- `{}`: {}", fix.rule, escape(&fix.title)));
            if let Some(caution) = &fix.caution {
                out.push_str(&format!(" — {}", escape(caution)));
            }
            out.push('\n');
        }
    }
    out
}

/// What a change does to its file, for the report.
fn verb(c: &FileChange) -> &'static str {
    match (&c.before, &c.after) {
        (None, _) => "created",
        (Some(_), Some(_)) => "changed",
        (Some(_), None) => "removed",
    }
}

/// The human summary of a `fix` run: what was fixed, file by file; what waits for `--unsafe`;
/// what could not be written. The remaining findings are the final check's report, printed
/// after it.
pub fn summary(run: &FixRun, diff_only: bool) -> String {
    let p = |s: &str| crate::text::printable(s).into_owned();
    let mut out = String::new();
    if !run.applied.is_empty() {
        let files: usize = run.applied.iter().map(|f| f.changes.len()).sum();
        out.push_str(&format!(
            "{} {} {} ({} {}):\n",
            if diff_only { "Would fix" } else { "Fixed" },
            run.applied.len(),
            if run.applied.len() == 1 {
                "finding"
            } else {
                "findings"
            },
            files,
            if files == 1 { "file" } else { "files" },
        ));
        for fix in &run.applied {
            out.push_str(&format!("  {}: {}\n", fix.rule, p(&fix.title)));
            for c in &fix.changes {
                out.push_str(&format!("    {:8} {}\n", verb(c), p(&c.display)));
            }
        }
    } else if diff_only {
        out.push_str("Nothing to fix.\n");
    }
    if run.pending > 0 {
        out.push_str(&format!(
            "{} more {} after these are applied (run `fix` again).\n",
            run.pending,
            if run.pending == 1 {
                "fix waits for a file another fix changes: it is planned"
            } else {
                "fixes wait for files other fixes change: they are planned"
            }
        ));
    }
    if !run.unsafe_available.is_empty() {
        out.push_str(&format!(
            "{} unsafe {} available with `--unsafe` (read {} first):\n",
            run.unsafe_available.len(),
            if run.unsafe_available.len() == 1 {
                "fix"
            } else {
                "fixes"
            },
            if run.unsafe_available.len() == 1 {
                "it"
            } else {
                "them"
            }
        ));
        for fix in &run.unsafe_available {
            out.push_str(&format!("  {}: {}\n", fix.rule, p(&fix.title)));
            if let Some(caution) = &fix.caution {
                out.push_str(&format!("    caution: {}\n", p(caution)));
            }
        }
    }
    if !run.not_fixable.is_empty() {
        out.push_str("Not fixed automatically:\n");
        for (rule, at, why) in &run.not_fixable {
            out.push_str(&format!("  {rule} at {}: {}\n", p(at), p(why)));
        }
    }
    if !run.refused.is_empty() {
        out.push_str("Not written:\n");
        for (fix, why) in &run.refused {
            out.push_str(&format!("  {}: {}: {}\n", fix.rule, p(&fix.title), p(why)));
        }
    }
    out
}
