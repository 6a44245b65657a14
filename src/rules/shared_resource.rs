//! `shared-resource`: two different Applications render the same object.

use crate::diagnostic::{Diagnostic, Severity};
use crate::model::{AppIdx, Inventory, ObjectIdx, Reach, Reaches};

use super::{Meta, Reads, Rule, util};

pub static META: Meta = Meta {
    id: "shared-resource",
    severity: Severity::Error,
    summary: "two Applications render the same object; whichever syncs last wins, and pruning either deletes it",
    document: include_str!("../../rules/shared-resource.md"),
    reads: Reads::Inventory,
};

pub struct SharedResource;

impl Rule for SharedResource {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check(&self, inventory: &Inventory) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        let reaches = inventory.reaches();
        for (id, objects) in inventory.by_identity() {
            if objects.len() < 2 {
                continue;
            }
            // The first object of each live Application that renders this identity, grouped as
            // definitions meet (`Reach`): Applications written in two directories applied by
            // hand never exist together, so each directory's are compared among themselves
            // (and with any Argo CD applies), never with the other directory's.
            let mut live: Vec<(Reach, (AppIdx, ObjectIdx))> = Vec::new();
            for &o in objects {
                let Some(app) = inventory.unit(inventory.object(o).unit).app else {
                    continue;
                };
                if inventory.app(app).is_live() && !live.iter().any(|(_, (a, _))| *a == app) {
                    live.push((reaches.app(inventory.app(app)), (app, o)));
                }
            }
            for group in Reach::groups(live) {
                out.extend(shared_within(inventory, &reaches, id, &group));
            }
        }
        out
    }
}

/// The findings among the owners of one identity that can exist together.
fn shared_within(
    inventory: &Inventory,
    reaches: &Reaches<'_>,
    id: &crate::model::ObjectId,
    group: &[(AppIdx, ObjectIdx)],
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    // Definitions of one name applied by hand from two directories are one Application or
    // the other, never both.
    let mut owners: Vec<(AppIdx, ObjectIdx)> = Vec::new();
    for &(app, o) in group {
        if owners
            .iter()
            .any(|(a, _)| reaches.alternatives(inventory.app(*a), inventory.app(app)))
        {
            continue;
        }
        owners.push((app, o));
    }
    let Some((&(first_app, first_obj), rest)) = owners.split_first() else {
        return out;
    };
    let first = inventory.app(first_app);
    for &(app_idx, obj) in rest {
        let app = inventory.app(app_idx);
        let here = inventory.object(obj).name_location();
        let there = inventory.object(first_obj).name_location();
        let mut d = META
            .diagnostic(
                here,
                format!(
                    "{} is rendered by both {} and {}; whichever syncs last wins, and pruning either deletes it from the other",
                    id,
                    util::app_name(inventory, first),
                    util::app_name(inventory, app)
                ),
            )
            .with_label("rendered by two Applications")
            .with_help(
                "let exactly one Application manage each object: move it into one Application's path, or \
                 exclude it from the other's (`directory.exclude`)",
            )
            .with_object(obj);
        // Two Applications selecting one file render one place twice; say it once.
        if there != here {
            d = d.with_related(
                there,
                format!("also rendered by {}", util::app_name(inventory, first)),
            );
        }
        out.push(
            d.with_related(first.locations.name, "the first Application")
                .with_related(app.locations.name, "the second Application"),
        );
    }
    out
}
