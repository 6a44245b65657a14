//! `appset-deletion-unprotected`: an ApplicationSet whose generated Applications deploy
//! stateful objects deletes them with an Application the moment its generators stop producing
//! that Application's element, or with the ApplicationSet: no `preserveResourcesOnDeletion: true`.

use std::collections::BTreeMap;

use crate::diagnostic::{Diagnostic, Severity};
use crate::load::Location;
use crate::model::{AppIdx, Inventory, ObjectIdx};

use super::{Meta, Rule, util};

pub static META: Meta = Meta {
    id: "appset-deletion-unprotected",
    severity: Severity::Warning,
    summary: "an ApplicationSet deletes the stateful objects of a generated Application when its element disappears: no preserveResourcesOnDeletion",
    document: include_str!("../../rules/appset-deletion-unprotected.md"),
    reads: super::Reads::Inventory,
};

pub struct AppsetDeletionUnprotected;

/// One ApplicationSet's generated Applications that deploy stateful objects, with one such
/// object each.
type Exposed = Vec<(AppIdx, ObjectIdx)>;

impl Rule for AppsetDeletionUnprotected {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn warm(&self, shared: &super::Shared<'_>) {
        util::ByKind::warm(shared.inventory);
    }

    fn check(&self, inventory: &Inventory) -> Vec<Diagnostic> {
        // Keyed by the ApplicationSet's `metadata.name` location: one finding per definition.
        let mut per_appset: BTreeMap<(usize, usize, usize), (Location, Exposed)> = BTreeMap::new();
        let mut seen: std::collections::HashSet<AppIdx> = Default::default();
        let kinds = util::ByKind::of(inventory);
        for (idx, o) in util::each(inventory, &kinds.stateful) {
            if !util::deletion_loses_data(o) {
                continue;
            }
            let Some((app_idx, app)) = util::live_app_of(inventory, o) else {
                continue;
            };
            let Some(g) = &app.origin.generator else {
                continue;
            };
            // applicationset/utils/utils.go `RenderTemplateParams`: without
            // `preserveResourcesOnDeletion` the controller gives each generated Application the
            // resources finalizer, so deleting it deletes what it deployed. `applicationsSync:
            // create-update` does not count as protection on its own: the controller's own
            // `--policy` wins over it unless policy override is enabled, and deleting the
            // ApplicationSet still deletes its Applications (argo-cd issue 18201).
            // A finalizer written in the template cascades whatever the ApplicationSet says,
            // and a template that names another finalizer gets none added.
            if !util::deletion_cascades(app) || !seen.insert(app_idx) {
                continue;
            }
            let at = g.appset_at;
            let key = (at.file.0, at.span.start, at.span.end);
            per_appset
                .entry(key)
                .or_insert_with(|| (at, Vec::new()))
                .1
                .push((app_idx, idx));
        }
        let mut out = Vec::new();
        for (_, (at, exposed)) in per_appset {
            let Some(&(first_app, first_object)) = exposed.first() else {
                continue;
            };
            let app = inventory.app(first_app);
            let Some(g) = &app.origin.generator else {
                continue;
            };
            let appset = util::appset_of(inventory, app);
            // Point at `spec.syncPolicy` when the ApplicationSet has one (the key to add to),
            // else at its name.
            let location = appset
                .and_then(|o| {
                    o.node
                        .path(&["spec"])
                        .and_then(|s| s.entry("syncPolicy"))
                        .map(|e| o.locate(e.key.span))
                })
                .unwrap_or(at);
            let flaky: Vec<&str> = g
                .generators
                .iter()
                .map(String::as_str)
                .filter(|k| matches!(*k, "clusters" | "git"))
                .collect();
            let mut flaky_unique: Vec<&str> = Vec::new();
            for k in flaky {
                if !flaky_unique.contains(&k) {
                    flaky_unique.push(k);
                }
            }
            let apps = crate::diagnostic::first_few(
                exposed.iter().map(|&(a, o)| {
                    format!(
                        "`{}` with {}",
                        inventory.app(a).name,
                        inventory.object(o).id.short()
                    )
                }),
                3,
            );
            let risk = if flaky_unique.is_empty() {
                "removing an element from its generators, or deleting the ApplicationSet, deletes the generated Application and, through the resources finalizer, its volumes".to_string()
            } else {
                let why: Vec<&str> = flaky_unique
                    .iter()
                    .map(|k| {
                        if *k == "clusters" {
                            "its `clusters` generator lists nothing while the cluster Secrets cannot be read or after a label changes (argo-cd issue 18480)"
                        } else {
                            "its `git` generator produces nothing while the repository cannot be reached or after a directory or file is renamed (argo-cd issue 18212)"
                        }
                    })
                    .collect();
                format!(
                    "{}, and the controller then deletes the Applications it generated, with their resources (the failure class of argo-cd issues 14318, 18212, 22127)",
                    why.join("; ")
                )
            };
            let policy = match g.applications_sync.as_deref() {
                Some(p @ ("create-only" | "create-update")) => format!(
                    " (`applicationsSync: {p}` stops generator glitches only where the controller lets an ApplicationSet override its `--policy`, and not the ApplicationSet's own deletion)"
                ),
                _ => String::new(),
            };
            let d = META
                .diagnostic(
                    location,
                    format!(
                        "ApplicationSet `{}` generates Applications that deploy stateful objects ({apps}) {}: {risk}{policy}",
                        util::shortened(&g.appset),
                        if g.preserve_resources {
                            "with `preserveResourcesOnDeletion: true`, but its template writes the `resources-finalizer.argocd.argoproj.io` finalizer, which cascades anyway"
                        } else {
                            "without `preserveResourcesOnDeletion: true`"
                        },
                    ),
                )
                .with_label("generated Applications take their volumes with them")
                .with_help(
                    "set `spec.syncPolicy.preserveResourcesOnDeletion: true` on the ApplicationSet, and `applicationsSync: create-update` so that a generator glitch cannot delete Applications at all; delete a retired Application by hand",
                )
                .with_object(first_object)
                .with_related(
                    inventory.object(first_object).name_location(),
                    "a stateful object a generated Application deploys",
                );
            out.push(d);
        }
        out
    }
}
