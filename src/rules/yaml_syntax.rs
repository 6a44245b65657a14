//! `yaml-syntax`: a file that does not parse, or that parsing refused to expand.

use crate::diagnostic::{Diagnostic, Severity};
use crate::load::Location;
use crate::load::yaml::YamlErrorKind;
use crate::model::Inventory;

use super::{Meta, Rule};

pub static META: Meta = Meta {
    id: "yaml-syntax",
    severity: Severity::Error,
    summary: "a YAML file does not parse (or hides an alias bomb); nothing in it can be checked",
    document: include_str!("../../rules/yaml-syntax.md"),
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
                    YamlErrorKind::DepthLimit => (
                        e.message.clone(),
                        "flatten the structure; no Kubernetes object nests this deep",
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
