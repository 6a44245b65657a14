//! `replace-on-stateful`: `Replace=true` or `Force=true` applies to a PVC, a PV or a StatefulSet
//! with volume claim templates, through the object's own sync options or its Application's.

use crate::diagnostic::{Diagnostic, Severity};
use std::collections::BTreeMap;

use crate::model::{AppIdx, Inventory, ObjectIdx};

use super::{Meta, Rule, util};

pub static META: Meta = Meta {
    id: "replace-on-stateful",
    severity: Severity::Error,
    summary: "Replace=true or Force=true on a stateful object or its Application: a sync can delete and recreate it",
    document: include_str!("../../rules/replace-on-stateful.md"),
    reads: super::Reads::Inventory,
};

pub struct ReplaceOnStateful;

const OPTIONS: [&str; 2] = ["Replace=true", "Force=true"];

/// What the option makes a sync do, in the words of the finding.
fn consequence(option: &str) -> &'static str {
    if option == "Force=true" {
        "the sync deletes and recreates the object when an apply or replace is refused (`--force`), as any change to an immutable field is"
    } else {
        "the sync sends the whole object with `kubectl replace` instead of a merge: fields the cluster set (a claim's bound volume, defaults) are dropped or refused, and with `Force=true` beside it the object is deleted and recreated"
    }
}

/// What deleting and recreating the object costs.
fn at_stake(object: &crate::model::Object) -> &'static str {
    if util::deletion_loses_data(object) {
        "for an object that holds data, recreated means empty"
    } else {
        "a StatefulSet recreated loses all its pods at once (its claims are kept and adopted again), and a quorum with them"
    }
}

impl Rule for ReplaceOnStateful {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn warm(&self, shared: &super::Shared<'_>) {
        util::ByKind::warm(shared.inventory);
    }

    fn check(&self, inventory: &Inventory) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        // The stateful objects each Application deploys, for the options it sets for all of them.
        let mut per_app: BTreeMap<AppIdx, Vec<ObjectIdx>> = BTreeMap::new();
        let kinds = util::ByKind::of(inventory);
        for (idx, o) in util::each(inventory, &kinds.stateful) {
            if !util::is_stateful(o) {
                continue;
            }
            if let Some((app, _)) = util::live_app_of(inventory, o) {
                per_app.entry(app).or_default().push(idx);
            }
            // gitops-engine `pkg/sync/sync_context.go` `applyObject`: `shouldReplace :=
            // sc.replace || HasAnnotationOption(obj, sync-options, "Replace=true")`, and the same
            // for `force`; `sc.replace`/`sc.force` come from the Application's syncOptions.
            for option in OPTIONS {
                if !util::has_object_sync_option(o, option) {
                    continue;
                }
                out.push(
                    META.at_node(
                        inventory,
                        idx,
                        util::sync_options_location(o),
                        format!(
                            "`{option}` in the `argocd.argoproj.io/sync-options` of {}: {}; {}",
                            o.id.short(),
                            consequence(option),
                            at_stake(o),
                        ),
                    )
                    .with_label(format!("`{option}` on a stateful object"))
                    .with_help(format!(
                        "remove `{option}` from this object's sync options; if a change really needs it, make it by hand after a backup"
                    )),
                );
            }
        }
        // Generated Applications share their template's line: one finding per line and option.
        type Line = (usize, usize, usize, &'static str);
        let mut per_line: BTreeMap<Line, util::AppsAtLine> = BTreeMap::new();
        for (app_idx, objects) in per_app {
            let app = inventory.app(app_idx);
            for option in OPTIONS {
                if !app.sync.has_option(option) {
                    continue;
                }
                let at = util::app_sync_option_location(inventory, app, option);
                per_line
                    .entry((at.file.0, at.span.start, at.span.end, option))
                    .or_insert_with(|| (at, Vec::new()))
                    .1
                    .push((app_idx, objects.clone()));
            }
        }
        for ((.., option), (at, apps)) in per_line {
            let Some((first_app, first_objects)) = apps.first() else {
                continue;
            };
            let all: Vec<ObjectIdx> = apps.iter().flat_map(|(_, o)| o.iter().copied()).collect();
            let names = crate::diagnostic::first_few(
                all.iter()
                    .map(|&i| inventory.object(i).id.short())
                    .collect::<Vec<_>>(),
                3,
            );
            let others = util::more_applications_from_line(inventory, &apps);
            let stake = if all
                .iter()
                .any(|&i| util::deletion_loses_data(inventory.object(i)))
            {
                "for an object that holds data, recreated means empty"
            } else {
                at_stake(inventory.object(first_objects[0]))
            };
            out.push(
                META.diagnostic(
                    at,
                    format!(
                        "`{option}` in the syncOptions of {} applies to every object it deploys, stateful ones included ({names}): {}; {stake}{others}",
                        util::app_name(inventory, inventory.app(*first_app)),
                        consequence(option),
                    ),
                )
                .with_label(format!("`{option}` for every object"))
                .with_help(format!(
                    "remove `{option}` from the Application's syncOptions; if one object needs it (a Job, a resource too large for apply), set it in that object's own `argocd.argoproj.io/sync-options`"
                ))
                .with_object(first_objects[0])
                .with_related(
                    inventory.object(first_objects[0]).name_location(),
                    "a stateful object it deploys",
                ),
            );
        }
        out
    }
}
