//! `allow-empty-prune`: an Application that deploys stateful objects syncs automatically with
//! `prune: true` and `allowEmpty: true`, so an empty render deletes everything it deployed.

use std::collections::BTreeMap;

use crate::diagnostic::{Diagnostic, Severity};
use crate::model::{AppIdx, Inventory, ObjectIdx};

use super::{Meta, Rule, util};

pub static META: Meta = Meta {
    id: "allow-empty-prune",
    severity: Severity::Warning,
    summary: "automated prune with allowEmpty on an Application that deploys stateful objects: an empty render deletes them all",
    document: include_str!("../../rules/allow-empty-prune.md"),
    reads: super::Reads::Inventory,
};

pub struct AllowEmptyPrune;

impl Rule for AllowEmptyPrune {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn warm(&self, shared: &super::Shared<'_>) {
        util::ByKind::warm(shared.inventory);
    }

    fn check(&self, inventory: &Inventory) -> Vec<Diagnostic> {
        let mut stateful: BTreeMap<AppIdx, Vec<ObjectIdx>> = BTreeMap::new();
        let kinds = util::ByKind::of(inventory);
        for (idx, o) in util::each(inventory, &kinds.stateful) {
            if !util::deletion_loses_data(o) {
                continue;
            }
            if let Some((app, _)) = util::live_app_of(inventory, o) {
                stateful.entry(app).or_default().push(idx);
            }
        }
        // Generated Applications share the template's line: one finding per line.
        let mut per_line: BTreeMap<(usize, usize, usize), util::AppsAtLine> = BTreeMap::new();
        for (app_idx, objects) in stateful {
            let app = inventory.app(app_idx);
            // Argo CD's controller refuses an automated sync that would prune every resource
            // unless `allowEmpty` is set (controller/appcontroller.go `autoSync`: "auto-sync will
            // wipe out all resources" when every resource requires pruning and `!AllowEmpty`).
            if !(app.sync.automated && app.sync.prune && app.sync.allow_empty) {
                continue;
            }
            let at = util::app_spec_location(
                inventory,
                app,
                &["syncPolicy", "automated", "allowEmpty"],
                true,
            );
            per_line
                .entry((at.file.0, at.span.start, at.span.end))
                .or_insert_with(|| (at, Vec::new()))
                .1
                .push((app_idx, objects));
        }
        let mut out = Vec::new();
        for (_, (at, apps)) in per_line {
            let Some((first_app, first_objects)) = apps.first() else {
                continue;
            };
            let app = inventory.app(*first_app);
            let names = crate::diagnostic::first_few(
                apps.iter()
                    .flat_map(|(_, objects)| objects.iter())
                    .map(|&i| inventory.object(i).id.short())
                    .collect::<Vec<_>>(),
                3,
            );
            let others = util::more_applications_from_line(inventory, &apps);
            let first_object = first_objects[0];
            out.push(
                META.diagnostic(
                    at,
                    format!(
                        "{} prunes automatically with `allowEmpty: true` and deploys stateful objects ({names}): a render that comes out empty (a wrong path or revision, a values file that disables everything, a failed generator) is synced as is, and the prune deletes every object, volumes included{others}",
                        util::app_name(inventory, app),
                    ),
                )
                .with_label("an empty render is synced")
                .with_help(
                    "remove `allowEmpty: true` (Argo CD then refuses an automated sync that would delete everything); empty the Application deliberately with a manual sync",
                )
                .with_object(first_object)
                .with_related(
                    inventory.object(first_object).name_location(),
                    "a stateful object it deploys",
                ),
            );
        }
        out
    }
}
