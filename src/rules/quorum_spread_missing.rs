//! `quorum-spread-missing`: a quorum StatefulSet whose pods may share a node: no required pod
//! anti-affinity on the node (or zone) and no `DoNotSchedule` topology spread constraint.

use crate::diagnostic::{Diagnostic, Severity};
use crate::load::Node;
use crate::model::Inventory;

use super::util::{self, LabelSelector, PodOwner};
use super::{Meta, Rule, Shared};

pub static META: Meta = Meta {
    id: "quorum-spread-missing",
    severity: Severity::Warning,
    summary: "a quorum StatefulSet may place two members on one node: losing that node loses both",
    document: include_str!("../../rules/quorum-spread-missing.md"),
    reads: super::Reads::Inventory,
};

pub struct QuorumSpreadMissing;

/// Topology keys that keep two pods off one node: the node itself, or a zone (two pods in
/// different zones are on different nodes).
const SPREADING_KEYS: &[&str] = &[
    "kubernetes.io/hostname",
    "topology.kubernetes.io/zone",
    "failure-domain.beta.kubernetes.io/zone",
];

/// Whether a term's `labelSelector` selects the StatefulSet's own pods: a term about other pods
/// does not keep these apart. A missing selector selects nothing (`LabelSelectorAsSelector`).
fn selects_own_pods(term: &Node, owner: &PodOwner<'_>) -> bool {
    LabelSelector::parse(term.get("labelSelector"))
        .matches(&owner.labels)
        // An unreadable selector: do not claim the spread is missing.
        .unwrap_or(true)
}

/// A required anti-affinity term on a spreading key that selects its own pods.
fn anti_affinity_spreads(spec: &Node, owner: &PodOwner<'_>) -> bool {
    spec.path(&[
        "affinity",
        "podAntiAffinity",
        "requiredDuringSchedulingIgnoredDuringExecution",
    ])
    .map(Node::items)
    .unwrap_or_default()
    .iter()
    .any(|term| {
        term.get("topologyKey")
            .and_then(Node::as_str)
            .is_some_and(|k| SPREADING_KEYS.contains(&k))
            && selects_own_pods(term, owner)
    })
}

/// A `topologySpreadConstraints` entry that the scheduler enforces (`DoNotSchedule`, not the
/// default `ScheduleAnyway`) on a spreading key, over its own pods.
fn spread_constraint_spreads(spec: &Node, owner: &PodOwner<'_>) -> bool {
    spec.get("topologySpreadConstraints")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .any(|c| {
            c.get("whenUnsatisfiable").and_then(Node::as_str) == Some("DoNotSchedule")
                && c.get("topologyKey")
                    .and_then(Node::as_str)
                    .is_some_and(|k| SPREADING_KEYS.contains(&k))
                && selects_own_pods(c, owner)
        })
}

impl Rule for QuorumSpreadMissing {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn warm(&self, shared: &Shared<'_>) {
        shared.warm_pods();
    }

    fn check(&self, inventory: &Inventory) -> Vec<Diagnostic> {
        self.check_shared(&Shared::new(inventory))
    }

    fn check_shared(&self, shared: &Shared<'_>) -> Vec<Diagnostic> {
        let inventory = shared.inventory;
        let floor = inventory.options.quorum_replicas;
        let index = shared.pods();
        let mut out = Vec::new();
        for owner in index.iter().flat_map(|ns| &ns.owners) {
            let Some(n) = util::quorum_size(owner, floor) else {
                continue;
            };
            let o = owner.object;
            let Some(spec) = o.node.path(&["spec", "template", "spec"]) else {
                continue;
            };
            if anti_affinity_spreads(spec, owner) || spread_constraint_spreads(spec, owner) {
                continue;
            }
            // Point at the key of what is there and falls short (an `affinity:` that is only
            // preferred), else at the pod template's `spec:` key, where the constraint belongs.
            let at = ["affinity", "topologySpreadConstraints"]
                .into_iter()
                .find_map(|k| spec.entry(k))
                .or_else(|| o.node.path(&["spec", "template"])?.entry("spec"))
                .map_or(spec.span, |e| e.key.span);
            out.push(
                META.at_node(
                    inventory,
                    owner.idx,
                    o.locate(at),
                    format!(
                        "StatefulSet `{}` runs {n} replicas (quorum {}) with nothing that keeps two of them off one node: no required pod anti-affinity on `kubernetes.io/hostname` and no `topologySpreadConstraints` with `whenUnsatisfiable: DoNotSchedule`; members on one node are lost together, and {} lost at once break the quorum",
                        o.id.name,
                        util::quorum_of(n),
                        util::quorum_tolerates(n) + 1
                    ),
                )
                .with_label("members may share a node")
                .with_help(
                    "add `affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution` with `topologyKey: kubernetes.io/hostname` and a `labelSelector` matching the pod labels, or a `topologySpreadConstraints` entry with `maxSkew: 1`, `whenUnsatisfiable: DoNotSchedule`",
                ),
            );
        }
        out
    }
}
