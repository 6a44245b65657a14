//! `shared-resource`: two different Applications render the same object.

use crate::diagnostic::{Diagnostic, Severity};
use crate::model::{AppIdx, Inventory, ObjectIdx};

use super::{Meta, Rule, util};

pub static META: Meta = Meta {
    id: "shared-resource",
    severity: Severity::Error,
    summary: "two Applications render the same object; whichever syncs last wins, and pruning either deletes it",
    document: include_str!("../../rules/shared-resource.md"),
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
            // The first object of each live Application that renders this identity.
            let mut owners: Vec<(AppIdx, ObjectIdx)> = Vec::new();
            for &o in objects {
                let Some(app) = inventory.unit(inventory.object(o).unit).app else {
                    continue;
                };
                // Definitions of one name applied by hand from two directories are one
                // Application or the other, never both.
                if !inventory.app(app).is_live()
                    || owners.iter().any(|(a, _)| {
                        *a == app || reaches.alternatives(inventory.app(*a), inventory.app(app))
                    })
                {
                    continue;
                }
                owners.push((app, o));
            }
            let Some((&(first_app, first_obj), rest)) = owners.split_first() else {
                continue;
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
        }
        out
    }
}
