//! `tracking-label-in-volume-claim-template`: under label tracking, a StatefulSet's volume claim
//! templates carry Argo CD's tracking label, so the claims the StatefulSet controller creates look
//! as if the Application managed them, and a prune deletes them.

use std::collections::HashMap;

use crate::diagnostic::{Diagnostic, Severity};
use crate::model::{Inventory, TrackingMethod};

use super::{Meta, Rule, util};

pub static META: Meta = Meta {
    id: "tracking-label-in-volume-claim-template",
    severity: Severity::Error,
    summary: "a StatefulSet's volumeClaimTemplates carry Argo CD's tracking label (label tracking), so Argo CD prunes the claims it creates",
    document: include_str!("../../rules/tracking-label-in-volume-claim-template.md"),
    reads: super::Reads::Inventory,
};

pub struct TrackingLabelInVolumeClaimTemplate;

/// The labels Argo CD tracks with under `label` tracking: `application.instanceLabelKey`'s
/// default, and the key installations commonly set it to (argo-cd issues 3050 and 13503 both
/// show it on claim templates).
const TRACKING_LABELS: &[&str] = &["app.kubernetes.io/instance", "argocd.argoproj.io/instance"];

impl Rule for TrackingLabelInVolumeClaimTemplate {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn warm(&self, shared: &super::Shared<'_>) {
        util::ByKind::warm(shared.inventory);
    }

    fn check(&self, inventory: &Inventory) -> Vec<Diagnostic> {
        // util/argo/resource_tracking.go `GetAppName`: only `label` tracking reads the label;
        // `annotation` and `annotation+label` read `argocd.argoproj.io/tracking-id`, and a
        // tracking id copied onto a claim names the StatefulSet, not the claim, so
        // controller/state.go `isSelfReferencedObj` keeps the claim from being pruned.
        if inventory.options.tracking_method != TrackingMethod::Label {
            return Vec::new();
        }
        let owners = by_instance_name(inventory);
        let mut out = Vec::new();
        let kinds = util::ByKind::of(inventory);
        for (idx, o) in util::each(inventory, &kinds.statefulsets) {
            if o.id.group != "apps" || o.id.kind != "StatefulSet" {
                continue;
            }
            // Only what an Application deploys is pruned by Argo CD.
            if util::live_app_of(inventory, o).is_none() {
                continue;
            }
            let templates = o
                .node
                .path(&["spec", "volumeClaimTemplates"])
                .map(|t| t.items())
                .unwrap_or(&[]);
            for template in templates {
                let claim = template
                    .path(&["metadata", "name"])
                    .and_then(|n| n.as_str())
                    .unwrap_or("");
                let labels = template.path(&["metadata", "labels"]);
                let keys = TRACKING_LABELS
                    .iter()
                    .filter_map(|key| labels.and_then(|l| l.entry(key)).map(|e| (*key, e)));
                for (key, entry) in keys {
                    // A claim is an Application's to prune only when the label names that
                    // Application: argo-cd `controller/cache/cache.go` `GetManagedLiveObjs`
                    // keeps the resources whose tracked name equals `a.InstanceName(..)`. A
                    // chart's `app.kubernetes.io/instance: <release>` under a release name that
                    // is no Application's (`helm.releaseName`) is only a label.
                    let Some(owner) = entry
                        .value
                        .as_str()
                        .and_then(|value| owners.get(&(o.id.cluster.as_str(), value.to_string())))
                    else {
                        continue;
                    };
                    out.push(
                        META.diagnostic(
                            o.locate(entry.key.span),
                            format!(
                                "StatefulSet `{}` puts the tracking label `{key}` on volume claim template `{}`, and the cluster's Argo CD tracks by label (`options.tracking-method: label`): every PersistentVolumeClaim the StatefulSet controller creates from it looks managed by {} but is not in Git, so a prune deletes it right after it is created (argo-cd issue 3050)",
                                o.name(),
                                util::shortened(claim),
                                util::app_name(inventory, owner),
                            ),
                        )
                        .with_label("tracking metadata on the claim template")
                        .with_help(format!(
                            "remove `{key}` from the volume claim template's metadata (a chart usually takes it from its common labels: override them for the claim templates); leave tracking to Argo CD"
                        ))
                        .with_object(idx)
                        .with_related(owner.locations.name, "the Application that would prune the claims"),
                    );
                }
            }
        }
        out
    }
}

/// The live Applications by cluster and tracking name, the value Argo CD writes in the instance
/// label (argo-cd `Application.InstanceName`: the name, or `<namespace>_<name>` for an
/// Application outside Argo CD's own namespace). Names are unique among live Applications.
fn by_instance_name(inventory: &Inventory) -> HashMap<(&str, String), &crate::model::Application> {
    inventory
        .apps()
        .map(|(_, app)| app)
        .filter(|app| app.is_live())
        .map(|app| {
            let name = if app.namespace == inventory.argocd_namespace || app.namespace.is_empty() {
                app.name.clone()
            } else {
                format!("{}_{}", app.namespace, app.name)
            };
            ((app.destination.cluster.as_str(), name), app)
        })
        .collect()
}
