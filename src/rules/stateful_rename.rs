//! `stateful-rename`: a StatefulSet, or one of its volume claim templates, gets a new name.
//! Claims are named `<template>-<statefulset>-<ordinal>`: the renamed workload starts on new,
//! empty volumes and the old data is orphaned.

use crate::diagnostic::{Diagnostic, Severity};
use crate::diff::{change::ChangeKind, change::ChangeSet, quantity};

use super::{Meta, Reads, Rule, util};

pub static META: Meta = Meta {
    id: "stateful-rename",
    severity: Severity::Error,
    summary: "a StatefulSet or one of its volume claim templates is renamed: the workload restarts on empty volumes",
    document: include_str!("../../rules/stateful-rename.md"),
    reads: Reads::Changes,
};

pub struct StatefulRename;

fn template_names(object: &crate::model::Object) -> Vec<String> {
    object
        .node
        .path(&["spec", "volumeClaimTemplates"])
        .map(|v| {
            v.items()
                .iter()
                .filter_map(|t| {
                    t.path(&["metadata", "name"])
                        .and_then(|n| n.as_str())
                        .map(str::to_string)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The `metadata.name` of the volume claim template named `name`.
fn template_name_location(
    object: &crate::model::Object,
    name: &str,
) -> Option<crate::load::Location> {
    object
        .node
        .path(&["spec", "volumeClaimTemplates"])?
        .items()
        .iter()
        .filter_map(|t| t.path(&["metadata", "name"]))
        .find(|n| n.as_str() == Some(name))
        .map(|n| object.locate(n.span))
}

impl Rule for StatefulRename {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check_changes(&self, set: &ChangeSet) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for c in &set.changes {
            let (Some(base), Some(head)) = (c.base, c.head) else {
                continue;
            };
            let (before, after) = (set.inventory.object(base), set.inventory.object(head));
            if !util::is_stateful(before) {
                continue;
            }
            let storage = quantity::human(c.storage_at_risk);
            if c.kind == ChangeKind::Renamed {
                let from = c.renamed_from.as_ref().map_or("?", |f| f.name.as_str());
                let claims = if c.id.kind == "StatefulSet" {
                    let template = template_names(after)
                        .first()
                        .cloned()
                        .unwrap_or_else(|| "<template>".into());
                    format!(
                        "its pods claim volumes named `{template}-{}-<n>`, none of which exist: they start empty, and the {storage} in the `{template}-{from}-<n>` claims is orphaned",
                        c.id.name
                    )
                } else {
                    format!(
                        "to Kubernetes it is a new, empty claim; the {storage} bound to `{from}` is left behind"
                    )
                };
                let Some(d) = META.on_change(
                    set,
                    c,
                    &[],
                    format!(
                        "{} `{from}` is renamed to `{}`{}: {claims}",
                        c.id.kind,
                        c.id.name,
                        util::in_app(c)
                    ),
                ) else {
                    continue;
                };
                out.push(
                    d.with_label("renamed")
                        .with_help("keep the old name; if the name must change, migrate the data to the new claims first")
                        .with_related(before.name_location(), format!("the old name, in {}", set.base_label)),
                );
                continue;
            }
            if matches!(c.kind, ChangeKind::Modified | ChangeKind::Recreated)
                && c.id.kind == "StatefulSet"
            {
                let (old, new) = (template_names(before), template_names(after));
                let gone: Vec<&String> = old.iter().filter(|n| !new.contains(n)).collect();
                let added: Vec<&String> = new.iter().filter(|n| !old.contains(n)).collect();
                if !gone.is_empty() && !added.is_empty() {
                    let Some(mut d) = META.on_change(
                        set,
                        c,
                        &[],
                        format!(
                                "StatefulSet `{}`{}: volume claim template `{}` is renamed to `{}`: the pods get new, empty `{}-{}-<n>` claims, and the data in `{}-{}-<n>` is orphaned",
                                c.id.name,
                                util::in_app(c),
                                gone[0],
                                added[0],
                                added[0],
                                c.id.name,
                                gone[0],
                                c.id.name
                            ),
                    ) else {
                        continue;
                    };
                    d = d
                        .with_label("claim template renamed")
                        .with_help("keep the template's name; claim names are derived from it");
                    // The new template's name in the head, the old one's in the base.
                    if let Some(at) = template_name_location(after, added[0]) {
                        d = d.with_related(at, "the new claim template");
                    }
                    if let Some(at) = template_name_location(before, gone[0]) {
                        d = d.with_related(
                            at,
                            format!("the old claim template, in {}", set.base_label),
                        );
                    }
                    out.push(d);
                }
            }
        }
        out
    }
}
