//! `project-unrestricted`: an AppProject that allows everything, or an Application in the
//! `default` project (which does, unless someone narrowed it).

use crate::diagnostic::{Diagnostic, Severity};
use crate::model::Inventory;

use super::{Meta, Reads, Rule, util};

pub static META: Meta = Meta {
    id: "project-unrestricted",
    severity: Severity::Warning,
    summary: "an AppProject allows every cluster and namespace or every cluster-scoped kind, or an Application uses `default`",
    document: include_str!("../../rules/project-unrestricted.md"),
    reads: Reads::Inventory,
};

pub struct ProjectUnrestricted;

fn is_all(value: Option<&str>) -> bool {
    value == Some("*")
}

impl Rule for ProjectUnrestricted {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check(&self, inventory: &Inventory) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for project in &inventory.projects {
            let everywhere = project.destinations.iter().any(|d| {
                (is_all(d.server.as_deref()) || is_all(d.name.as_deref()))
                    && is_all(d.namespace.as_deref())
            });
            if everywhere {
                out.push(
                    META.diagnostic(
                        project.destinations_location.unwrap_or(project.location),
                        format!(
                            "AppProject `{}` allows every namespace of every cluster: any Application in it can deploy over any other team's objects, or into kube-system",
                            project.name
                        ),
                    )
                    .with_label("unrestricted destinations")
                    .with_help("list the clusters and namespaces the project's Applications really deploy to")
                    .with_object(project.object),
                );
            }
            if project
                .cluster_allow
                .iter()
                .any(|gk| gk.group == "*" && gk.kind == "*")
            {
                out.push(
                    META.diagnostic(
                        project.cluster_allow_location.unwrap_or(project.location),
                        format!(
                            "AppProject `{}` allows every cluster-scoped kind (CustomResourceDefinitions, ClusterRoles, Namespaces...)",
                            project.name
                        ),
                    )
                    .with_label("every cluster-scoped kind")
                    .with_help("list the cluster-scoped kinds the project needs in `clusterResourceWhitelist`")
                    .with_object(project.object),
                );
            }
        }
        let default_defined = inventory.projects.iter().any(|p| p.name == "default");
        for (_, app) in inventory.live_apps() {
            if app.project != "default" || default_defined {
                continue;
            }
            let mut d = META
                .diagnostic(
                    app.locations.project,
                    format!(
                        "{} is in the `default` project, which allows every source, cluster, namespace and kind",
                        util::app_name(inventory, app)
                    ),
                )
                .with_label("default project")
                .with_help("put the Application in an AppProject that lists what it may deploy, and where");
            d.object = app.object;
            out.push(d);
        }
        out
    }
}
