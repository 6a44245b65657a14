//! `hpa-cpu-without-requests`: a HorizontalPodAutoscaler scaling on CPU utilization (a
//! `Resource` or `ContainerResource` cpu metric with a `Utilization` target, `autoscaling/v1`'s
//! `targetCPUUtilizationPercentage`, or the 80 % CPU default when no metric is written) whose
//! target has a container without a CPU request. Utilization is usage over request: without a
//! request the HPA cannot compute it and does not scale on that metric.

use std::collections::BTreeSet;

use crate::diagnostic::{Diagnostic, Severity};
use crate::load::{Location, Node};
use crate::model::{Inventory, Object};

use super::{Meta, Rule, util};

pub static META: Meta = Meta {
    id: "hpa-cpu-without-requests",
    severity: Severity::Warning,
    summary: "a HorizontalPodAutoscaler scales on CPU utilization of containers that set no CPU request; it cannot compute it and does not scale",
    document: include_str!("../../rules/hpa-cpu-without-requests.md"),
    reads: super::Reads::Inventory,
};

pub struct HpaCpuWithoutRequests;

/// A CPU-utilization metric of an HPA: where it is written, and the one container it reads
/// (`ContainerResource`), or every container of the pod.
struct CpuMetric<'a> {
    at: Location,
    what: &'static str,
    container: Option<&'a str>,
}

impl Rule for HpaCpuWithoutRequests {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn warm(&self, shared: &super::Shared<'_>) {
        util::ByKind::warm(shared.inventory);
    }

    fn check(&self, inventory: &Inventory) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        let defaulted = limit_range_defaults(inventory);
        let kinds = util::ByKind::of(inventory);
        for (idx, hpa) in util::each(inventory, &kinds.autoscalers) {
            if !util::deployed(inventory, hpa) {
                continue;
            }
            let Some(target) = util::scale_target(hpa) else {
                continue;
            };
            let metrics = cpu_metrics(hpa);
            if metrics.is_empty() {
                continue;
            }
            // A target that is not in the inventory is `hpa-target-missing`'s finding.
            let workloads = util::scale_targets(inventory, hpa, &target);
            let Some(workload) = workloads.first().map(|&w| inventory.object(w)) else {
                continue;
            };
            if defaulted.contains(&(hpa.id.cluster.as_str(), hpa.id.namespace.as_str())) {
                continue;
            }
            let containers = util::containers(workload);
            for metric in metrics {
                let missing: Vec<&Node> = containers
                    .iter()
                    .filter(|c| {
                        metric
                            .container
                            .is_none_or(|n| util::container_name(c) == n)
                    })
                    .filter(|c| !has_cpu_request(c))
                    .collect();
                let Some(first) = missing.first() else {
                    continue;
                };
                let names: Vec<String> = missing
                    .iter()
                    .map(|c| format!("`{}`", util::container_name(c)))
                    .collect();
                let first_at = first
                    .get("name")
                    .map_or_else(|| workload.name_location(), |n| workload.locate(n.span));
                out.push(
                    META.at_node(
                        inventory,
                        idx,
                        metric.at,
                        format!(
                            "{} scales {} {}, but container{} {} set{} no CPU request; utilization is usage over request, so the autoscaler cannot compute it and does not scale on this metric",
                            hpa.id.short(),
                            workload.id.short(),
                            metric.what,
                            if names.len() == 1 { "" } else { "s" },
                            names.join(", "),
                            if names.len() == 1 { "s" } else { "" },
                        ),
                    )
                    .with_label("CPU utilization of containers without a CPU request")
                    .with_help(
                        "set `resources.requests.cpu` on every container of the target (or a CPU limit, which the \
                         request defaults to), or a LimitRange with a `defaultRequest.cpu` for containers in the \
                         namespace; or scale on an `AverageValue` target instead of `Utilization`",
                    )
                    .with_related(first_at, "a container without a CPU request"),
                );
            }
        }
        util::dedup_same_place(out)
    }
}

/// The CPU-utilization metrics an HPA scales on.
fn cpu_metrics(hpa: &Object) -> Vec<CpuMetric<'_>> {
    let Some(spec) = hpa.spec() else {
        return Vec::new();
    };
    if hpa.api_version == "autoscaling/v1" {
        // `targetCPUUtilizationPercentage` defaults to 80 (autoscaling/v1 defaulting).
        let written = spec
            .get("targetCPUUtilizationPercentage")
            .filter(|n| !n.is_null());
        return vec![CpuMetric {
            at: written.map_or_else(|| hpa.name_location(), |n| hpa.locate(n.span)),
            what: if written.is_some() {
                "on CPU utilization"
            } else {
                "on the default 80% CPU utilization (autoscaling/v1 scales on nothing else)"
            },
            container: None,
        }];
    }
    let metrics = spec.get("metrics").map_or(&[][..], Node::items);
    if metrics.is_empty() {
        // autoscaling/v2: "If not set, the default metric will be set to 80% average CPU
        // utilization."
        return vec![CpuMetric {
            at: hpa.name_location(),
            what: "on the default 80% CPU utilization (it writes no metric)",
            container: None,
        }];
    }
    let mut out = Vec::new();
    for metric in metrics {
        let kind = metric.get("type").and_then(Node::as_str);
        let (source, container) = match kind {
            Some("Resource") => (metric.get("resource"), None),
            Some("ContainerResource") => {
                let source = metric.get("containerResource");
                let container = source
                    .and_then(|s| s.get("container"))
                    .and_then(Node::as_str);
                (source, container)
            }
            _ => continue,
        };
        let Some(source) = source else { continue };
        let Some(name) = source.get("name").filter(|n| n.as_str() == Some("cpu")) else {
            continue;
        };
        // v2 and v2beta2: `target.type: Utilization`; v2beta1: `targetAverageUtilization`.
        let utilization = source.path(&["target", "type"]).and_then(Node::as_str)
            == Some("Utilization")
            || source
                .get("targetAverageUtilization")
                .is_some_and(|n| !n.is_null());
        if !utilization {
            continue;
        }
        out.push(CpuMetric {
            at: hpa.locate(name.span),
            what: if container.is_some() {
                "on the CPU utilization of one container"
            } else {
                "on CPU utilization"
            },
            container,
        });
    }
    out
}

/// Whether a container sets a CPU request, or a CPU limit (the request defaults to the limit).
fn has_cpu_request(container: &Node) -> bool {
    ["requests", "limits"].iter().any(|part| {
        container
            .path(&["resources", part, "cpu"])
            .is_some_and(|n| !n.is_null())
    })
}

/// The `(cluster, namespace)`s where a LimitRange gives containers a default CPU request (its
/// `defaultRequest.cpu`, or its `default.cpu`: a defaulted limit defaults the request too).
fn limit_range_defaults(inventory: &Inventory) -> BTreeSet<(&str, &str)> {
    inventory
        .objects()
        .map(|(_, o)| o)
        .filter(|o| {
            o.id.group.is_empty()
                && o.id.kind == "LimitRange"
                && o.node
                    .path(&["spec", "limits"])
                    .map_or(&[][..], Node::items)
                    .iter()
                    .any(|l| {
                        l.get("type").and_then(Node::as_str) == Some("Container")
                            && ["defaultRequest", "default"]
                                .iter()
                                .any(|k| l.path(&[k, "cpu"]).is_some_and(|n| !n.is_null()))
                    })
        })
        .map(|o| (o.id.cluster.as_str(), o.id.namespace.as_str()))
        .collect()
}
