//! `unknown-cluster`: an Application's destination names no cluster the repository declares.

use crate::diagnostic::{Diagnostic, Severity};
use crate::model::Inventory;

use super::{Meta, Reads, Rule, util};

pub static META: Meta = Meta {
    id: "unknown-cluster",
    severity: Severity::Error,
    summary: "an Application's destination is not a declared cluster (only when clusters are declared)",
    document: include_str!("../../rules/unknown-cluster.md"),
    reads: Reads::Inventory,
};

pub struct UnknownCluster;

impl Rule for UnknownCluster {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check(&self, inventory: &Inventory) -> Vec<Diagnostic> {
        if !inventory.clusters_declared {
            return Vec::new();
        }
        let known: Vec<&str> = inventory.clusters.iter().map(|c| c.name.as_str()).collect();
        inventory
            .live_apps()
            .filter(|(_, a)| !a.destination.known)
            .map(|(_, app)| {
                let what = match (&app.destination.name, &app.destination.server) {
                    (Some(n), _) => format!("cluster name `{n}`"),
                    (None, Some(s)) => format!("server `{s}`"),
                    (None, None) => "no cluster at all (neither `name` nor `server`)".to_string(),
                };
                let mut d = META
                    .diagnostic(
                        app.locations.destination,
                        format!(
                            "{} deploys to {what}, which is not a known cluster (known: {})",
                            util::app_name(inventory, app),
                            known.join(", ")
                        ),
                    )
                    .with_label("unknown destination")
                    .with_help(
                        "fix the destination, or declare the cluster (a cluster Secret labelled \
                         `argocd.argoproj.io/secret-type: cluster`, or `clusters:` in .manifest-guard.yaml)",
                    );
                d.object = app.object;
                d
            })
            .collect()
    }
}
