//! `unreadable-file`: a manifest file that cannot be read as text, or must not be.

use crate::diagnostic::{Diagnostic, Severity};
use crate::load::{Location, ReadProblem, Span};
use crate::model::Inventory;

use super::{Meta, Reads, Rule};

pub static META: Meta = Meta {
    id: "unreadable-file",
    severity: Severity::Error,
    summary: "a manifest file cannot be read: not UTF-8, binary, too large, unreadable, or a symlink out of the tree",
    document: include_str!("../../rules/unreadable-file.md"),
    reads: Reads::Inventory,
};

pub struct UnreadableFile;

impl Rule for UnreadableFile {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check(&self, inventory: &Inventory) -> Vec<Diagnostic> {
        inventory
            .sources
            .iter()
            .filter_map(|(file_id, file)| {
                // A chart template no directory source deploys is Helm's to read, not a file
                // of manifests (render turns it back into one when a directory source does).
                if file.generated {
                    return None;
                }
                let problem = file.read_problem.as_ref()?;
                let at = match problem {
                    ReadProblem::NotUtf8 { valid_up_to } => (*valid_up_to).min(file.text.len()),
                    _ => 0,
                };
                let help = match problem {
                    ReadProblem::NotUtf8 { .. } | ReadProblem::Encoding(_) => {
                        "re-encode the file as UTF-8"
                    }
                    ReadProblem::Binary => "remove the file or give it another extension; binary data is not a manifest",
                    ReadProblem::TooLarge { .. } => {
                        "split the file, or exclude it in .manifest-guard.yaml; only an operator's config outside the repository may raise `limits.max-file-size`"
                    }
                    ReadProblem::Io(_) => "make the file readable, or exclude it in .manifest-guard.yaml",
                    ReadProblem::SymlinkOutsideRoot { .. } => {
                        "replace the link with the file itself; Argo CD also refuses repositories whose \
                         symlinks point outside them"
                    }
                    ReadProblem::SymlinkLoop => "remove the link that points back at its own directory",
                    ReadProblem::NotRegular => "remove it from the repository; only regular files are manifests",
                    ReadProblem::UnlistableDir(_) => {
                        "make the directory readable, or exclude it in .manifest-guard.yaml; Argo CD \
                         fails a directory source it cannot walk"
                    }
                    ReadProblem::Utf16 { .. } => "re-encode the file as UTF-8",
                };
                Some(
                    META.diagnostic(
                        Location {
                            file: file_id,
                            span: Span::new(at, at),
                        },
                        problem.message(),
                    )
                    .with_help(help),
                )
            })
            .collect()
    }
}
