//! `app-project-violation`: an Application does what its AppProject forbids — a destination,
//! a source repository, a namespace for the Application itself, or a kind of object. Argo CD
//! refuses such a sync after the merge; this finds it before.

use rustc_hash::FxHashMap;

use crate::diagnostic::{Diagnostic, Severity};
use crate::model::Inventory;
use crate::render::argocd::project::ProjectRules;

use super::{Meta, Reads, Rule, util};

pub static META: Meta = Meta {
    id: "app-project-violation",
    severity: Severity::Error,
    summary: "an Application breaks its AppProject: destination, source repository, namespace or kind not allowed",
    document: include_str!("../../rules/app-project-violation.md"),
    reads: Reads::Inventory,
};

pub struct AppProjectViolation;

impl Rule for AppProjectViolation {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check(&self, inventory: &Inventory) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        // Whether a project allows a repository, per (project, repoURL): Applications of one
        // project share a few repositories, and each answer matches every `sourceRepos` glob.
        let mut repo_allowed: FxHashMap<(usize, &str), bool> = FxHashMap::default();
        for (_, app) in inventory.live_apps() {
            let Some(project) = inventory.project(&inventory.argocd_namespace, &app.project) else {
                out.extend(outside_default_project(inventory, app));
                continue;
            };
            let name = util::app_name(inventory, app);
            let mut push = |d: Diagnostic| {
                let mut d =
                    d.with_related(project.location, format!("AppProject `{}`", project.name));
                d.object = d.object.or(app.object);
                out.push(d);
            };
            let dest = &app.destination;
            // Argo CD matches the destination's name only when there is one: written, or the
            // declared cluster its server names (`cluster` is otherwise the server URL).
            let dest_name = if dest.known || dest.name.is_some() {
                dest.cluster.as_str()
            } else {
                ""
            };
            if !project.allows_destination(&dest.server_resolved, dest_name, &dest.namespace) {
                let mut d = META
                    .diagnostic(
                        app.locations.destination,
                        format!(
                            "{name} deploys to cluster `{}` namespace `{}`, which AppProject `{}` does not allow; Argo CD will refuse to sync it",
                            dest.cluster, dest.namespace, project.name
                        ),
                    )
                    .with_label("destination not permitted")
                    .with_help(format!(
                        "add the destination to the project's `destinations`, or move the Application to a project that allows `{}`/`{}`",
                        dest.cluster, dest.namespace
                    ));
                if let Some(at) = project.destinations_location {
                    d = d.with_related(at, "the project's destinations");
                }
                push(d);
            }
            for source in &app.sources {
                let allowed = *repo_allowed
                    .entry((std::ptr::from_ref(project).addr(), &source.repo_url))
                    .or_insert_with(|| project.allows_source_repo(&source.repo_url));
                if !allowed {
                    push(
                        META.diagnostic(
                            source.location,
                            format!(
                                "{name} takes its source from `{}`, which is not in the `sourceRepos` of AppProject `{}`",
                                source.repo_url, project.name
                            ),
                        )
                        .with_label("repository not permitted")
                        .with_help("add the repository to the project's `sourceRepos`"),
                    );
                }
            }
            if !project.allows_source_namespace(&app.namespace, &inventory.argocd_namespace) {
                push(util::on_argocd_namespace(
                    inventory,
                    META.diagnostic(
                        app.locations.namespace,
                        format!(
                            "{name} lives in namespace `{}`, which AppProject `{}` does not list in `sourceNamespaces`",
                            app.namespace, project.name
                        ),
                    )
                    .with_label("namespace not permitted")
                    .with_help("add the namespace to the project's `sourceNamespaces`, or move the Application to Argo CD's namespace"),
                ));
            }
            for &idx in inventory.in_unit(app.unit) {
                let o = inventory.object(idx);
                let namespaced = !o.id.namespace.is_empty();
                // Argo CD checks every object's namespace against the project's destinations
                // too ("namespace … is not permitted in project").
                if namespaced
                    && o.id.namespace != dest.namespace
                    && !project.allows_destination(
                        &dest.server_resolved,
                        dest_name,
                        &o.id.namespace,
                    )
                {
                    push(
                        META.on_object(
                            inventory,
                            idx,
                            &["metadata", "namespace"],
                            format!(
                                "{name} renders {} into namespace `{}` of `{}`, which AppProject `{}` does not allow; the sync will fail",
                                o.id.short(),
                                o.id.namespace,
                                dest.cluster,
                                project.name
                            ),
                        )
                        .with_label("namespace not permitted")
                        .with_help("deploy the object to an allowed namespace, or add the namespace to the project's `destinations`"),
                    );
                }
                if project.allows_kind(namespaced, &o.id.group, &o.id.kind, &o.id.name) {
                    continue;
                }
                let scope = if namespaced {
                    "namespaced"
                } else {
                    "cluster-scoped"
                };
                let list = if namespaced {
                    "namespaceResourceWhitelist/Blacklist"
                } else {
                    "clusterResourceWhitelist"
                };
                push(
                    META.on_object(
                        inventory,
                        idx,
                        &["kind"],
                        format!(
                            "{name} renders {scope} {}, a kind AppProject `{}` does not allow; the sync will fail",
                            o.id.short(),
                            project.name
                        ),
                    )
                    .with_label("kind not permitted")
                    .with_help(format!(
                        "allow group `{}` kind `{}` in the project's {list}, or deploy it from a project that does",
                        o.id.group, o.id.kind
                    )),
                );
            }
        }
        out
    }
}

/// An Application in project `default` that the repository does not define: Argo CD's built-in
/// `default` project (server/server.go `initializeDefaultProject`: every source, destination
/// and cluster kind, and no `sourceNamespaces`) refuses an Application outside Argo CD's own
/// namespace (`AppProject.IsAppNamespacePermitted`).
fn outside_default_project(
    inventory: &Inventory,
    app: &crate::model::Application,
) -> Option<Diagnostic> {
    if app.project != "default"
        || app.namespace.is_empty()
        || app.namespace == inventory.argocd_namespace
    {
        return None;
    }
    let name = util::app_name(inventory, app);
    let mut d = META
        .diagnostic(
            app.locations.namespace,
            format!(
                "{name} lives in namespace `{}`, outside Argo CD's namespace `{}`, in the built-in `default` project, which lists no `sourceNamespaces`: Argo CD refuses to reconcile it",
                app.namespace, inventory.argocd_namespace
            ),
        )
        .with_label("namespace not permitted by project `default`")
        .with_help(
            "move the Application to Argo CD's namespace, or put it in an AppProject whose `sourceNamespaces` lists its namespace (the built-in `default` project lists none)",
        )
        .with_related(app.locations.project, "project `default`");
    d.object = app.object;
    Some(util::on_argocd_namespace(inventory, d))
}
