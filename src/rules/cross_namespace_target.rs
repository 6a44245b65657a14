//! `cross-namespace-target`: an Application renders an object into a namespace other than its
//! destination namespace.

use crate::diagnostic::{Diagnostic, Severity};
use crate::model::{AppIdx, Inventory};

use super::{Meta, Reads, Rule, util};

pub static META: Meta = Meta {
    id: "cross-namespace-target",
    severity: Severity::Warning,
    summary: "an Application deploys into a namespace that is not its destination namespace",
    document: include_str!("../../rules/cross-namespace-target.md"),
    reads: Reads::Inventory,
};

pub struct CrossNamespaceTarget;

const SYSTEM_NAMESPACES: &[&str] = &["kube-system", "kube-public", "kube-node-lease"];

impl Rule for CrossNamespaceTarget {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check(&self, inventory: &Inventory) -> Vec<Diagnostic> {
        // Which Application owns each (cluster, namespace) as its destination.
        // Looked up, never iterated: hashed.
        let mut owners: rustc_hash::FxHashMap<(&str, &str), AppIdx> = Default::default();
        for (idx, app) in inventory.live_apps() {
            if !app.destination.namespace.is_empty() {
                owners
                    .entry((&app.destination.cluster, &app.destination.namespace))
                    .or_insert(idx);
            }
        }
        let mut out = Vec::new();
        for (idx, o) in inventory.objects() {
            let Some(app_idx) = inventory.unit(o.unit).app else {
                continue;
            };
            let app = inventory.app(app_idx);
            let target = &app.destination.namespace;
            if !app.is_live()
                || target.is_empty()
                || o.id.namespace.is_empty()
                || o.id.namespace == *target
            {
                continue;
            }
            let ns = o.id.namespace.as_str();
            // An app-of-apps puts its child Applications where Argo CD reads them.
            if util::is_argocd_kind(o) && ns == inventory.argocd_namespace {
                continue;
            }
            let other = owners
                .get(&(app.destination.cluster.as_str(), ns))
                .filter(|&&a| a != app_idx)
                .map(|&a| inventory.app(a));
            let (severity, why) = if SYSTEM_NAMESPACES.contains(&ns) {
                (
                    Severity::Error,
                    format!("`{ns}` is a Kubernetes system namespace"),
                )
            } else if ns == inventory.argocd_namespace {
                (
                    Severity::Error,
                    format!("`{ns}` is Argo CD's own namespace"),
                )
            } else if let Some(other) = other {
                (
                    Severity::Error,
                    format!(
                        "`{ns}` is the destination namespace of {}",
                        util::app_name(inventory, other)
                    ),
                )
            } else {
                (
                    Severity::Warning,
                    "nothing else deploys there, but the Application's scope is wider than it says"
                        .into(),
                )
            };
            let mut d = META
                .on_object(
                    inventory,
                    idx,
                    &["metadata", "namespace"],
                    format!(
                        "{} deploys {} into namespace `{ns}`, not its destination namespace `{target}`: {why}",
                        util::app_name(inventory, app),
                        o.id.short()
                    ),
                )
                .with_label("another namespace")
                .with_help(format!(
                    "remove `metadata.namespace` so the object lands in `{target}`, or give the object to the Application that owns `{ns}`"
                ))
                .with_related(app.locations.destination_namespace, "the Application's destination namespace");
            d.severity = severity;
            // That it is Argo CD's own namespace is only as sure as where that namespace came
            // from: inferred or assumed, the finding is a warning that says so.
            if ns == inventory.argocd_namespace && !SYSTEM_NAMESPACES.contains(&ns) {
                d = util::on_argocd_namespace(inventory, d);
            }
            out.push(d);
        }
        out
    }
}
