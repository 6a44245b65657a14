//! Helpers shared by rules: describing objects and lines the same way in every message.

use crate::diagnostic::{Diagnostic, Severity};
use crate::load::Location;
use crate::model::{Inventory, Object};
use crate::render::argocd::namespace::NamespaceOrigin;

/// `text` as a message quotes it: whole when short, else its first characters and its length.
/// A key or name can be a mebibyte long on one line; a message is read by a person.
pub fn shortened(text: &str) -> std::borrow::Cow<'_, str> {
    const SHOWN: usize = 80;
    match text.char_indices().nth(SHOWN) {
        None => std::borrow::Cow::Borrowed(text),
        Some((end, _)) => std::borrow::Cow::Owned(format!(
            "{}… ({} characters)",
            &text[..end],
            text.chars().count()
        )),
    }
}

/// `file:line`, as used inside messages that name another place.
pub fn file_line(inventory: &Inventory, location: Location) -> String {
    let file = inventory.sources.get(location.file);
    format!(
        "{}:{}",
        file.display,
        file.line_col(location.span.start).line
    )
}

/// The line of a location, 1-based.
pub fn line(inventory: &Inventory, location: Location) -> usize {
    inventory.sources.line_col(location).line
}

/// Whether the object was written by hand in a file of the tree (not rendered by a tool).
pub fn hand_written(object: &Object) -> bool {
    object.origin.is_none()
}

/// Argo CD's own kinds: Application, ApplicationSet, AppProject.
pub fn is_argocd_kind(object: &Object) -> bool {
    object.id.group == "argoproj.io"
        && matches!(
            object.id.kind.as_str(),
            "Application" | "ApplicationSet" | "AppProject"
        )
}

/// `Application `name``, with the namespace when it is not Argo CD's own.
pub fn app_name(inventory: &Inventory, app: &crate::model::Application) -> String {
    if app.namespace == inventory.argocd_namespace {
        format!("Application `{}`", app.name)
    } else {
        format!("Application `{}/{}`", app.namespace, app.name)
    }
}

pub use crate::model::is_stateful;

/// Where a change is shown: the head's object, or the base's for what goes away.
pub fn change_location(
    set: &crate::diff::change::ChangeSet,
    change: &crate::diff::change::Change,
) -> Option<(crate::model::ObjectIdx, Location)> {
    let idx = change.head.or(change.base)?;
    Some((idx, set.inventory.object(idx).name_location()))
}

/// ` (Application `x`)` when the change belongs to one.
pub fn in_app(change: &crate::diff::change::Change) -> String {
    change
        .application
        .as_ref()
        .map(|a| format!(" (Application `{a}`)"))
        .unwrap_or_default()
}

/// A finding that holds only if Argo CD runs in `inventory.argocd_namespace`: when that was
/// inferred or assumed rather than configured, it is a warning that says so, never an error.
pub fn on_argocd_namespace(inventory: &Inventory, mut d: Diagnostic) -> Diagnostic {
    let ns = &inventory.argocd_namespace;
    match inventory.argocd_namespace_origin {
        NamespaceOrigin::Config => d,
        NamespaceOrigin::Inferred(at) => {
            d.severity = Severity::Warning;
            d.message.push_str(&format!(
                " (Argo CD's namespace `{ns}` is inferred from {}; set `argocd-namespace` in .manifest-guard.yaml to make this an error)",
                file_line(inventory, at)
            ));
            d.with_related(
                at,
                format!("Argo CD's namespace inferred as `{ns}` from here"),
            )
        }
        NamespaceOrigin::Assumed => {
            d.severity = Severity::Warning;
            d.message.push_str(&format!(
                " (Argo CD's namespace is assumed to be `{ns}`: neither the configuration nor the repository says; set `argocd-namespace` in .manifest-guard.yaml)"
            ));
            d
        }
    }
}

// --- autoscaling and probes ---

/// The pod template's containers of a workload, as Kubernetes nests them:
/// `spec.template.spec.containers` of Deployments, StatefulSets, DaemonSets, ReplicaSets and
/// Jobs, `spec.jobTemplate.spec.template.spec.containers` of CronJobs, `spec.containers` of Pods.
/// Empty for any other kind (a custom resource's pod template is its own business).
pub fn containers(object: &Object) -> &[crate::load::Node] {
    let path: &[&str] = match (object.id.group.as_str(), object.id.kind.as_str()) {
        ("apps", "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet")
        | ("batch", "Job")
        | ("", "ReplicationController") => &["spec", "template", "spec", "containers"],
        ("batch", "CronJob") => &[
            "spec",
            "jobTemplate",
            "spec",
            "template",
            "spec",
            "containers",
        ],
        ("", "Pod") => &["spec", "containers"],
        _ => &[],
    };
    if path.is_empty() {
        return &[];
    }
    object.node.path(path).map_or(&[], crate::load::Node::items)
}

/// A container's `name`, for messages.
pub fn container_name(container: &crate::load::Node) -> &str {
    container
        .get("name")
        .and_then(crate::load::Node::as_str)
        .unwrap_or("(unnamed)")
}

/// A non-negative integer field, as the API server decodes it (`3`, not `"3"` nor `3.5`).
pub fn int_field(node: &crate::load::Node) -> Option<u64> {
    node.to_json().as_u64()
}

/// Whether an object is a HorizontalPodAutoscaler (any of `autoscaling/v1`, `v2`, `v2beta1`,
/// `v2beta2`).
pub fn is_hpa(object: &Object) -> bool {
    object.id.group == "autoscaling" && object.id.kind == "HorizontalPodAutoscaler"
}

/// What an HPA's `spec.scaleTargetRef` names, on the HPA's cluster and in its namespace.
pub struct ScaleTarget<'a> {
    /// The group of `apiVersion`, when written.
    pub group: Option<&'a str>,
    pub kind: &'a str,
    pub name: &'a str,
    /// The `scaleTargetRef` node, for findings.
    pub node: &'a crate::load::Node,
}

/// An HPA's `scaleTargetRef`, when it names a kind and a name.
pub fn scale_target(hpa: &Object) -> Option<ScaleTarget<'_>> {
    let node = hpa.node.path(&["spec", "scaleTargetRef"])?;
    let kind = node.get("kind").and_then(crate::load::Node::as_str)?;
    let name = node.get("name").and_then(crate::load::Node::as_str)?;
    let group = node
        .get("apiVersion")
        .and_then(crate::load::Node::as_str)
        .map(crate::model::group_of);
    Some(ScaleTarget {
        group,
        kind,
        name,
        node,
    })
}

/// The objects an HPA scales: `scaleTargetRef`'s kind and name (and group, when `apiVersion` is
/// written) in the HPA's namespace on its cluster, in inventory order.
pub fn scale_targets(
    inventory: &Inventory,
    hpa: &Object,
    target: &ScaleTarget<'_>,
) -> Vec<crate::model::ObjectIdx> {
    // Without `apiVersion`, the built-in kinds an HPA scales name their group; anything else
    // is looked for by kind and name.
    let group = target.group.or(match target.kind {
        "Deployment" | "StatefulSet" | "ReplicaSet" => Some("apps"),
        "ReplicationController" => Some(""),
        _ => None,
    });
    match group {
        Some(group) => inventory
            .with_identity(&crate::model::ObjectId {
                cluster: hpa.id.cluster.clone(),
                group: group.to_string(),
                kind: target.kind.to_string(),
                namespace: hpa.id.namespace.clone(),
                name: target.name.to_string(),
            })
            .to_vec(),
        None => inventory
            .objects()
            .filter(|(_, o)| {
                o.id.cluster == hpa.id.cluster
                    && o.id.namespace == hpa.id.namespace
                    && o.id.kind == target.kind
                    && o.id.name == target.name
            })
            .map(|(i, _)| i)
            .collect(),
    }
}

/// Whether Argo CD keeps the Application that renders an object (or none renders it): the
/// objects of a replaced or refused Application are never deployed.
pub fn deployed(inventory: &Inventory, object: &Object) -> bool {
    inventory.app_of(object).is_none_or(|a| a.is_live())
}

/// A render note that leaves the objects of `namespace` on `cluster` not all known: a source
/// of a live Application deploying there (its destination namespace, or none) that was not
/// rendered, failed, or hides objects, or a render outside any Application that failed (where
/// its objects would go is unknown). Rules that conclude from an object's absence stay silent.
pub fn namespace_unknown<'a>(
    inventory: &'a Inventory,
    cluster: &str,
    namespace: &str,
) -> Option<&'a crate::model::RenderNote> {
    inventory.notes.iter().find(|note| {
        if note.cause().is_none() && !note.hides_objects {
            return false;
        }
        match note.app {
            None => true,
            Some(a) => {
                let app = inventory.app(a);
                app.is_live()
                    && app.destination.cluster == cluster
                    && (app.destination.namespace.is_empty()
                        || app.destination.namespace == namespace)
            }
        }
    })
}

/// Drops a finding that repeats an earlier one's location and message: one base rendered by two
/// Kustomize overlays (or one chart by two Applications on one cluster) gives two objects with
/// the same source, and the same text on the same line is one thing for a person to fix.
pub fn dedup_same_place(findings: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let mut seen = std::collections::HashSet::new();
    findings
        .into_iter()
        .filter(|d| seen.insert((d.location, d.message.clone())))
        .collect()
}
