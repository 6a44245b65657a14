//! `yaml-syntax`: a file that does not parse, or that parsing refused to expand.

use crate::diagnostic::{Diagnostic, Severity};
use crate::load::Location;
use crate::load::yaml::YamlErrorKind;
use crate::model::Inventory;

use super::{Meta, Reads, Rule};

pub static META: Meta = Meta {
    id: "yaml-syntax",
    severity: Severity::Error,
    summary: "a YAML file does not parse (or hides an alias bomb); nothing in it can be checked",
    document: include_str!("../../rules/yaml-syntax.md"),
    reads: Reads::Inventory,
};

pub struct YamlSyntax;

impl Rule for YamlSyntax {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check(&self, inventory: &Inventory) -> Vec<Diagnostic> {
        inventory
            .sources
            .iter()
            .filter_map(|(file_id, file)| {
                let e = file.yaml_error.as_ref()?;
                // Argo CD skips a YAML file that does not parse and does not look like an object
                // (repository.go, `getObjsFromYAMLOrJson`): a template, values or CI file that
                // nothing deploys is said, not failed. One an Application deploys is its error.
                if matches!(e.kind, YamlErrorKind::Syntax)
                    && !inventory.deployed_files.contains(&file_id)
                    && let Some(why) = crate::load::not_manifest::why(&file.rel, &file.text)
                {
                    let mut d = META
                        .diagnostic(
                            Location {
                                file: file_id,
                                span: e.span,
                            },
                            format!("not a manifest: {why} (it does not parse: {})", e.message),
                        )
                        .with_help(
                            "no Application deploys this file, and Argo CD skips a file that does not \
                             parse unless it looks like a Kubernetes object; if it is meant to be applied, \
                             render it first, or exclude it in .manifest-guard.yaml",
                        );
                    d.severity = Severity::Note;
                    return Some(d);
                }
                let (message, help) = match e.kind {
                    YamlErrorKind::Syntax => (
                        format!("YAML syntax error: {}", e.message),
                        "fix the YAML at this position; Argo CD cannot apply a file that does not parse, \
                         and documents after the error were not checked",
                    ),
                    YamlErrorKind::AliasLimit => (
                        e.message.clone(),
                        "remove the nested aliases; a document that expands exponentially can exhaust \
                         the memory of every tool that reads it",
                    ),
                    YamlErrorKind::NotAnObject => (
                        e.message.clone(),
                        "write one object per document (`---` between them), or wrap the items in a \
                         `kind: List` (`apiVersion: v1`, `items:`), which Argo CD expands",
                    ),
                    YamlErrorKind::DepthLimit => (
                        e.message.clone(),
                        "flatten the structure; no Kubernetes object nests this deep",
                    ),
                    YamlErrorKind::NodeLimit | YamlErrorKind::RunNodeLimit => (
                        e.message.clone(),
                        "split the file, or raise the limit under `limits:` in the operator's config \
                         (outside the repository; a repository's own config may only lower it); \
                         nothing in this file was checked",
                    ),
                };
                Some(
                    META.diagnostic(
                        Location {
                            file: file_id,
                            span: e.span,
                        },
                        message,
                    )
                    .with_help(help),
                )
            })
            .collect()
    }
}
