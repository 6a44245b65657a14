//! `hpa-replicas-conflict`: a workload that writes `spec.replicas` and is scaled by a
//! HorizontalPodAutoscaler, in an Application that syncs automatically without keeping the live
//! replica count (`ignoreDifferences` on `/spec/replicas` plus `RespectIgnoreDifferences=true`).
//! Every automated sync writes Git's count back over the autoscaler's: in a spike, the workload
//! is scaled down (argo-cd issues 5105, 1603).

use crate::diagnostic::{Diagnostic, Severity};
use crate::model::argocd::IgnoreDifference;
use crate::model::glob::glob_match;
use crate::model::{Inventory, Object};

use super::{Meta, Rule, util};

pub static META: Meta = Meta {
    id: "hpa-replicas-conflict",
    severity: Severity::Warning,
    summary: "an autoscaled workload writes spec.replicas and its Application syncs automatically; each sync resets the autoscaler's count",
    document: include_str!("../../rules/hpa-replicas-conflict.md"),
    reads: super::Reads::Inventory,
};

pub struct HpaReplicasConflict;

impl Rule for HpaReplicasConflict {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn warm(&self, shared: &super::Shared<'_>) {
        util::ByKind::warm(shared.inventory);
    }

    fn check(&self, inventory: &Inventory) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        let kinds = util::ByKind::of(inventory);
        for (_, hpa) in util::each(inventory, &kinds.autoscalers) {
            if !util::deployed(inventory, hpa) {
                continue;
            }
            let Some(target) = util::scale_target(hpa) else {
                continue;
            };
            for w in util::scale_targets(inventory, hpa, &target) {
                let workload = inventory.object(w);
                let Some(replicas) = workload
                    .node
                    .path(&["spec", "replicas"])
                    .filter(|n| !n.is_null())
                else {
                    continue;
                };
                let Some(app) = inventory.app_of(workload).filter(|a| a.is_live()) else {
                    continue;
                };
                if !app.sync.automated {
                    continue;
                }
                let ignored = app
                    .sync
                    .ignore_differences
                    .iter()
                    .any(|entry| matches_workload(entry, workload) && ignores_replicas(entry));
                let respected = app.sync.has_option("RespectIgnoreDifferences=true");
                if ignored && respected {
                    continue;
                }
                let missing = match (ignored, respected) {
                    (false, false) => {
                        "neither ignores `/spec/replicas` (`ignoreDifferences`) nor keeps ignored fields on sync (`RespectIgnoreDifferences=true`)"
                    }
                    (true, false) => {
                        "ignores `/spec/replicas` in its diff, but without the sync option `RespectIgnoreDifferences=true` a sync still writes Git's value"
                    }
                    _ => {
                        "keeps ignored fields on sync (`RespectIgnoreDifferences=true`), but no `ignoreDifferences` entry for this workload covers `/spec/replicas`"
                    }
                };
                let when = if app.sync.self_heal {
                    "self-heal resets it as soon as the autoscaler changes it"
                } else {
                    "every automated sync of a new revision resets it"
                };
                let count = replicas.as_scalar_text().unwrap_or("");
                out.push(
                    META.diagnostic(
                        workload.locate(replicas.span),
                        format!(
                            "{} sets `replicas: {}` and is scaled by HorizontalPodAutoscaler `{}`; {} syncs automatically and {missing}: {when}, so under load the workload is scaled back down",
                            workload.id,
                            util::shortened(count),
                            hpa.id.name,
                            util::app_name(inventory, app),
                        ),
                    )
                    .with_label("overwrites the autoscaler's replica count")
                    .with_help(
                        "remove `spec.replicas` from the manifest (in a chart, leave it out when autoscaling is on) so \
                         that the autoscaler alone owns it; or add to the Application an `ignoreDifferences` entry \
                         (group, kind and name of the workload, `jsonPointers: [/spec/replicas]`) and the sync option \
                         `RespectIgnoreDifferences=true`",
                    )
                    .with_related(hpa.name_location(), "the HorizontalPodAutoscaler that scales it")
                    .with_related(app.locations.name, "the Application that syncs it")
                    .with_object(w),
                );
            }
        }
        util::dedup_same_place(out)
    }
}

/// Whether an `ignoreDifferences` entry applies to the workload, as Argo CD's
/// `ignoreNormalizer.Normalize` (util/argo/normalizers/diff_normalizer.go) matches one:
/// `glob.Match` on group and on kind (so `*` matches any), and name and namespace equal when
/// they are set.
pub(crate) fn matches_workload(entry: &IgnoreDifference, workload: &Object) -> bool {
    glob_match(&entry.group, &workload.id.group)
        && glob_match(&entry.kind, &workload.id.kind)
        && entry
            .name
            .as_deref()
            .is_none_or(|n| n.is_empty() || n == workload.id.name)
        && entry
            .namespace
            .as_deref()
            .is_none_or(|n| n.is_empty() || n == workload.id.namespace)
}

/// Whether an entry removes `spec.replicas` from what is compared and synced: a JSON pointer
/// `/spec/replicas` or one of its parents (`/spec`), or a jq path `.spec.replicas` or
/// one of its parents (`.spec`). Argo CD removes each path from both sides
/// (`jsonpatch` `remove`, jq `del(...)`), so a parent removes the field as well.
pub(crate) fn ignores_replicas(entry: &IgnoreDifference) -> bool {
    let pointer = |p: &str| {
        let p = p.trim().trim_end_matches('/');
        !p.is_empty() && is_prefix_path("/spec/replicas", p, '/')
    };
    let jq = |e: &str| {
        let e: String = e.chars().filter(|c| !c.is_whitespace()).collect();
        !e.is_empty() && is_prefix_path(".spec.replicas", &e, '.')
    };
    entry.json_pointers.iter().any(|p| pointer(p))
        || entry.jq_path_expressions.iter().any(|e| jq(e))
}

/// Whether `prefix` is `path` or a parent of it, split at `sep`.
fn is_prefix_path(path: &str, prefix: &str, sep: char) -> bool {
    path == prefix
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with(sep))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(pointers: &[&str], jq: &[&str]) -> IgnoreDifference {
        IgnoreDifference {
            group: "apps".into(),
            kind: "Deployment".into(),
            json_pointers: pointers.iter().map(|s| s.to_string()).collect(),
            jq_path_expressions: jq.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    /// Argo CD deletes each path from both sides (util/argo/normalizers/diff_normalizer.go:
    /// a JSON patch `remove` per pointer, `del(<expr>)` per jq path), so the field itself or a
    /// parent keeps `spec.replicas`; a sibling or a longer path does not.
    #[test]
    fn replicas_or_a_parent_is_ignored() {
        assert!(ignores_replicas(&entry(&["/spec/replicas"], &[])));
        assert!(ignores_replicas(&entry(&["/spec"], &[])));
        assert!(ignores_replicas(&entry(&[], &[".spec.replicas"])));
        assert!(ignores_replicas(&entry(&[], &[" .spec.replicas "])));
        assert!(!ignores_replicas(&entry(&["/spec/replica"], &[])));
        assert!(!ignores_replicas(&entry(&["/spec/replicasX"], &[])));
        assert!(!ignores_replicas(&entry(&["/spec/template"], &[])));
        assert!(!ignores_replicas(&entry(&[], &[".spec.template"])));
        assert!(!ignores_replicas(&entry(&[], &[])));
    }
}
