//! `duplicate-application`: two Applications (or ApplicationSets, or AppProjects) with one
//! namespace and name. Argo CD keeps the last; what only the first deployed is pruned or orphaned.

use crate::diagnostic::{Diagnostic, Severity};
use crate::model::{Application, Inventory, ObjectId, ObjectIdx, Reach};

use super::{Meta, Reads, Rule, util};

pub static META: Meta = Meta {
    id: "duplicate-application",
    severity: Severity::Error,
    summary: "two Applications, ApplicationSets or AppProjects share a namespace and name; the later silently replaces the earlier",
    document: include_str!("../../rules/duplicate-application.md"),
    reads: Reads::Inventory,
};

pub struct DuplicateApplication;

/// Objects the earlier definition renders that the later one does not: what Argo CD stops
/// managing when the later definition wins.
fn lost<'a>(
    inventory: &'a Inventory,
    earlier: &Application,
    later: &Application,
) -> Vec<&'a ObjectId> {
    let kept: std::collections::HashSet<&ObjectId> = inventory
        .in_unit(later.unit)
        .iter()
        .map(|&o| &inventory.object(o).id)
        .collect();
    inventory
        .in_unit(earlier.unit)
        .iter()
        .map(|&o| &inventory.object(o).id)
        .filter(|id| !kept.contains(id))
        .collect()
}

fn listing(ids: &[&ObjectId]) -> String {
    crate::diagnostic::first_few(ids.iter().map(|id| id.short()), 4)
}

/// What replacing `earlier` by `later` changes, in a sentence. Argo CD applies the later
/// definition to the same Application: objects it no longer renders on the same cluster are
/// pruned by an automated sync with prune (else left out of sync); objects on a cluster it no
/// longer targets are left there, unmanaged.
fn consequence(inventory: &Inventory, earlier: &Application, later: &Application) -> String {
    let (from, to) = (&earlier.destination, &later.destination);
    let gone = lost(inventory, earlier, later);
    if from.cluster != to.cluster {
        let left = if gone.is_empty() {
            String::new()
        } else {
            format!(" ({})", listing(&gone))
        };
        let stateful = inventory
            .in_unit(later.unit)
            .iter()
            .any(|&o| util::is_stateful(inventory.object(o)));
        let fresh = if stateful {
            format!("; `{}` starts on new, empty volumes", to.cluster)
        } else {
            String::new()
        };
        return format!(
            " and moves `{}` from `{}` to `{}`: what it deployed to `{}`{left} is no longer managed by Argo CD, and is deleted with the Application if that is ever removed{}{fresh}",
            later.name,
            from.cluster,
            to.cluster,
            from.cluster,
            if earlier.has_cascade_finalizer() || later.has_cascade_finalizer() {
                " (it has the resources finalizer)"
            } else {
                ""
            },
        );
    }
    let change = if from.namespace != to.namespace {
        format!(
            "moves it from namespace `{}` to `{}`",
            from.namespace, to.namespace
        )
    } else {
        "changes its source".to_string()
    };
    if gone.is_empty() {
        return if from.namespace != to.namespace || earlier.sources.len() != later.sources.len() {
            format!(" and {change} on `{}`", to.cluster)
        } else {
            String::new()
        };
    }
    if later.sync.prune {
        format!(
            " and {change}: the next automated sync prunes from `{}` what only the earlier definition deployed — {} object{}: {}",
            to.cluster,
            gone.len(),
            if gone.len() == 1 { "" } else { "s" },
            listing(&gone)
        )
    } else {
        format!(
            " and {change}: on `{}`, {} object{} only the earlier definition deployed become{} out of sync and are deleted by the next sync with prune: {}",
            to.cluster,
            gone.len(),
            if gone.len() == 1 { "" } else { "s" },
            if gone.len() == 1 { "s" } else { "" },
            listing(&gone)
        )
    }
}

/// A second Application of one name from one ApplicationSet. Argo CD's ApplicationSet controller
/// (applicationset_controller.go `validateGeneratedApplications`) keeps the first element's and
/// refuses every later one: it is never created, and the ApplicationSet shows an error.
fn refused_duplicate(refused: &Application, name: &str) -> Option<Diagnostic> {
    let g = refused.origin.generator.as_ref()?;
    let kept = g.duplicate_of.as_deref()?;
    let mut d = META
        .diagnostic(
            refused.locations.name,
            format!(
                "ApplicationSet `{}` generates Application `{name}` from element {kept} and again from element {}: \
                 the ApplicationSet controller refuses every Application of a name after the first \
                 (\"contains applications with duplicate name\"), so it creates only element {kept}'s, \
                 and element {}'s — to `{}`, namespace `{}` — is never deployed",
                g.appset,
                g.element,
                g.element,
                refused.destination.cluster,
                refused.destination.namespace,
            ),
        )
        .with_label("generated twice: the later element is refused")
        .with_help(
            "make the template's `metadata.name` unique per element (add the parameter that differs, \
             such as the cluster or path), or remove the repeated element",
        )
        .with_related(g.appset_at, format!("ApplicationSet `{}`", g.appset));
    if let Some(o) = refused.object {
        d = d.with_object(o);
    }
    Some(d)
}

impl DuplicateApplication {
    fn applications(&self, inventory: &Inventory, out: &mut Vec<Diagnostic>) {
        // What a replaced ApplicationSet definition would generate is never created (the
        // ApplicationSet is reported instead).
        for (_, refused) in inventory.apps() {
            if refused.refused_duplicate() && !refused.appset_replaced {
                out.extend(refused_duplicate(refused, &refused.name));
            }
        }
        // The render stage decided which definition Argo CD keeps (`replaced_by`): only
        // definitions that meet replace each other — in one directory applied by hand, or one
        // of them applied by Argo CD (see `Reach`).
        for (_, earlier) in inventory.apps() {
            let Some(winner) = earlier.replaced_by.map(|w| inventory.app(w)) else {
                continue;
            };
            let (namespace, name) = (&winner.namespace, &winner.name);
            let line = |a: &Application| util::line(inventory, a.locations.name);
            let mut d = META
                    .diagnostic(
                        winner.locations.name,
                        format!(
                            "Application `{name}` is defined twice in namespace `{namespace}`: the later definition (line {}) replaces the earlier ({}){}",
                            line(winner),
                            util::file_line(inventory, earlier.locations.name),
                            consequence(inventory, earlier, winner)
                        ),
                    )
                    .with_label("defined again here: this definition wins")
                    .with_help(
                        "rename one of them (Application names are unique per namespace); Argo CD keeps only the \
                         last definition and syncs it, with no error",
                    )
                    .with_related(earlier.locations.name, "first defined here")
                    .with_related(
                        earlier.locations.destination,
                        format!(
                            "the replaced definition deploys to `{}`, namespace `{}`",
                            earlier.destination.cluster, earlier.destination.namespace
                        ),
                    );
            d = d.with_related(
                winner.locations.destination,
                format!(
                    "the winning definition deploys to `{}`, namespace `{}`",
                    winner.destination.cluster, winner.destination.namespace
                ),
            );
            if let Some(o) = winner.object {
                d = d.with_object(o);
            }
            if let Some(g) = &winner.origin.generator {
                d.message.push_str(&format!(
                    " (generated by ApplicationSet `{}`, element {})",
                    g.appset, g.element
                ));
            }
            out.push(d);
        }
    }

    /// ApplicationSets and AppProjects: the same (cluster, namespace, name) from two documents.
    fn other_kinds(&self, inventory: &Inventory, out: &mut Vec<Diagnostic>) {
        let reaches = inventory.reaches();
        for (id, objects) in inventory.by_identity() {
            if id.group != "argoproj.io"
                || !matches!(id.kind.as_str(), "ApplicationSet" | "AppProject")
            {
                continue;
            }
            // Copies of one document (a file two Applications select) are not duplicates.
            let mut distinct: Vec<ObjectIdx> = Vec::new();
            for &o in objects {
                let obj = inventory.object(o);
                if !distinct.iter().any(|&d| {
                    let other = inventory.object(d);
                    (other.file, other.doc_index, other.list_item)
                        == (obj.file, obj.doc_index, obj.list_item)
                }) {
                    distinct.push(o);
                }
            }
            // Definitions in two directories applied by hand one at a time do not meet.
            let groups = Reach::groups(
                distinct
                    .into_iter()
                    .map(|o| (reaches.object(inventory.object(o)), o))
                    .collect(),
            );
            for group in groups {
                let Some((&first, rest)) = group.split_first() else {
                    continue;
                };
                for &again in rest {
                    let first_at = inventory.object(first).name_location();
                    out.push(
                    META.diagnostic(
                        inventory.object(again).name_location(),
                        format!(
                            "{} `{}` is defined twice in namespace `{}` (first at {}); the later definition replaces the earlier",
                            id.kind,
                            id.name,
                            id.namespace,
                            util::file_line(inventory, first_at)
                        ),
                    )
                    .with_label("defined again here")
                    .with_help(format!("rename or remove one; two {}s cannot share a name", id.kind))
                    .with_object(again)
                    .with_related(first_at, "first defined here"),
                );
                }
            }
        }
    }
}

impl Rule for DuplicateApplication {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check(&self, inventory: &Inventory) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        self.applications(inventory, &mut out);
        self.other_kinds(inventory, &mut out);
        out
    }
}
