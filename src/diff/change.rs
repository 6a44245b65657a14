//! The change set: two inventories (base and head) compared object by object, each change
//! classified by what it does on the cluster — in Argo CD's terms: pruned, kept, orphaned,
//! cascaded, recreated — with the storage it puts at risk.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::Value;

use crate::load::Location;
use crate::model::{AppIdx, Application, Inventory, Object, ObjectId, ObjectIdx};

use super::immutable::{self, ImmutableChange};
use super::quantity;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChangeKind {
    Created,
    Modified,
    /// A change Kubernetes refuses to apply in place: only delete-and-create applies it.
    Recreated,
    /// Deleted under one name and created under another, with nearly the same spec.
    Renamed,
    Deleted,
    /// No longer managed by Argo CD, but left running where it is.
    Orphaned,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Created => "created",
            ChangeKind::Modified => "modified",
            ChangeKind::Recreated => "recreated",
            ChangeKind::Renamed => "renamed",
            ChangeKind::Deleted => "deleted",
            ChangeKind::Orphaned => "orphaned",
        }
    }

    pub const ALL: [ChangeKind; 6] = [
        ChangeKind::Created,
        ChangeKind::Modified,
        ChangeKind::Recreated,
        ChangeKind::Renamed,
        ChangeKind::Deleted,
        ChangeKind::Orphaned,
    ];
}

#[derive(Debug, Clone)]
pub struct Change {
    pub kind: ChangeKind,
    /// The object's identity: the head's, or the base's for what goes away.
    pub id: ObjectId,
    pub renamed_from: Option<ObjectId>,
    /// The object in the base revision and in the head, as indexes of the merged inventory.
    pub base: Option<ObjectIdx>,
    pub head: Option<ObjectIdx>,
    /// The Application that deploys it (head's, else base's).
    pub application: Option<String>,
    /// What Argo CD does with it, in a sentence.
    pub effect: String,
    /// Whether the change actually reaches the cluster on the next sync (a deletion without
    /// automated prune waits for a manual sync; `Prune=false` never comes).
    pub takes_effect: bool,
    pub immutable: Vec<ImmutableChange>,
    /// Unified diff of the object's YAML (base → head), when both sides exist.
    pub diff: Option<String>,
    /// PersistentVolumeClaim storage this change deletes, recreates or orphans, in bytes.
    pub storage_at_risk: u128,
}

/// An Application whose destination changed.
#[derive(Debug, Clone)]
pub struct Retarget {
    pub name: String,
    pub namespace: String,
    pub from: (String, String),
    pub to: (String, String),
    pub head_location: Location,
    pub base_location: Location,
    pub head_object: Option<ObjectIdx>,
    /// Whether the Application manages stateful objects (PVCs, StatefulSets with claims).
    pub stateful: bool,
    pub storage: u128,
}

/// Both revisions, merged into one inventory for reporting (the head's objects and files first,
/// then the base's), and the changes between them.
#[derive(Debug)]
pub struct ChangeSet {
    pub inventory: Inventory,
    pub base_label: String,
    pub changes: Vec<Change>,
    pub retargets: Vec<Retarget>,
    pub protected_clusters: Vec<String>,
}

/// Fields that change without anyone changing them, left out of comparisons and diffs.
const NOISE_METADATA: &[&str] = &[
    "generation",
    "resourceVersion",
    "uid",
    "creationTimestamp",
    "managedFields",
    "selfLink",
];
const NOISE_ANNOTATIONS: &[&str] = &[
    "kubectl.kubernetes.io/last-applied-configuration",
    "argocd.argoproj.io/tracking-id",
    "deployment.kubernetes.io/revision",
];

fn sorted(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), sorted(&m[k])))
                    .collect(),
            )
        }
        Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// The object as compared: keys sorted, status and generated metadata removed.
pub fn normalized(object: &Object) -> Value {
    let mut v = object.node.to_json();
    if let Value::Object(m) = &mut v {
        m.remove("status");
        if let Some(Value::Object(meta)) = m.get_mut("metadata") {
            for k in NOISE_METADATA {
                meta.remove(*k);
            }
            if let Some(Value::Object(ann)) = meta.get_mut("annotations") {
                for k in NOISE_ANNOTATIONS {
                    ann.remove(*k);
                }
                if ann.is_empty() {
                    meta.remove("annotations");
                }
            }
        }
    }
    sorted(&v)
}

fn unified(base: &Value, head: &Value, base_name: &str, head_name: &str) -> String {
    let (a, b) = (crate::load::yaml::emit(base), crate::load::yaml::emit(head));
    // The names are file paths from the repository: one line each, whatever they hold.
    let (base_name, head_name) = (
        crate::report::printable(base_name),
        crate::report::printable(head_name),
    );
    similar::TextDiff::from_lines(&a, &b)
        .unified_diff()
        .context_radius(3)
        .header(&base_name, &head_name)
        .to_string()
}

/// A sync option as Argo CD applies it: written on the object
/// (`argocd.argoproj.io/sync-options: Prune=false,Delete=false`), else in the Application's
/// `spec.syncPolicy.syncOptions` (the object's own setting always wins).
fn sync_option(object: &Object, app: &Application, option: &str) -> Option<String> {
    let value = |o: &str| {
        o.trim()
            .strip_prefix(option)
            .and_then(|v| v.strip_prefix('='))
            .map(str::to_string)
    };
    match object.annotation("argocd.argoproj.io/sync-options") {
        Some(options) => options.split(',').find_map(value),
        None => None,
    }
    .or_else(|| app.sync.options.iter().find_map(|o| value(o)))
}

/// PVC storage that losing this object loses: a claim's request, or a StatefulSet's claim
/// templates times its replicas.
pub fn storage_of(object: &Object) -> u128 {
    let size = |n: Option<&crate::load::Node>| {
        n.and_then(|n| n.path(&["spec", "resources", "requests", "storage"]))
            .and_then(crate::load::Node::as_str)
            .and_then(quantity::bytes)
            .unwrap_or(0)
    };
    match (object.id.group.as_str(), object.id.kind.as_str()) {
        ("", "PersistentVolumeClaim") => size(Some(&object.node)),
        ("apps", "StatefulSet") => {
            let replicas = object
                .node
                .path(&["spec", "replicas"])
                .and_then(|r| r.to_json().as_u64())
                .unwrap_or(1) as u128;
            let per_replica: u128 = object
                .node
                .path(&["spec", "volumeClaimTemplates"])
                .map(crate::load::Node::items)
                .unwrap_or(&[])
                .iter()
                .map(|t| size(Some(t)))
                .sum();
            per_replica * replicas
        }
        _ => 0,
    }
}

/// Storage a delete-and-recreate loses. A PersistentVolumeClaim goes with its data. A
/// StatefulSet's claims outlive it (the default retention policy is `Retain`) and are adopted
/// again by the new pods — unless the policy deletes them, or the claim templates are renamed so
/// the new pods claim new, empty volumes.
fn recreate_risk(before: &Object, after: &Object) -> u128 {
    if before.id.kind != "StatefulSet" {
        return storage_of(before);
    }
    let deletes = after
        .node
        .path(&[
            "spec",
            "persistentVolumeClaimRetentionPolicy",
            "whenDeleted",
        ])
        .and_then(crate::load::Node::as_str)
        == Some("Delete");
    let names = |o: &Object| -> Vec<String> {
        o.node
            .path(&["spec", "volumeClaimTemplates"])
            .map(crate::load::Node::items)
            .unwrap_or(&[])
            .iter()
            .filter_map(|t| {
                t.path(&["metadata", "name"])
                    .and_then(crate::load::Node::as_str)
                    .map(str::to_string)
            })
            .collect()
    };
    if deletes || names(before) != names(after) {
        storage_of(before)
    } else {
        0
    }
}

/// The objects of an inventory that are deployed: plain ones and those of Applications Argo CD
/// keeps (a replaced duplicate deploys nothing). Last object per identity: when one render holds
/// an object twice, Argo CD keeps the last copy (as it keeps the last of two Applications).
fn live(inventory: &Inventory) -> BTreeMap<ObjectId, ObjectIdx> {
    let mut out = BTreeMap::new();
    for (idx, o) in inventory.objects() {
        let replaced = inventory
            .unit(o.unit)
            .app
            .is_some_and(|a| inventory.app(a).replaced_by.is_some());
        if !replaced {
            out.insert(o.id.clone(), idx);
        }
    }
    out
}

fn app_key(app: &Application) -> (String, String) {
    (app.namespace.clone(), app.name.clone())
}

/// The live Applications of an inventory, by namespace and name.
fn live_apps(inventory: &Inventory) -> HashMap<(String, String), AppIdx> {
    inventory
        .live_apps()
        .map(|(idx, app)| (app_key(app), idx))
        .collect()
}

/// What deleting `object` (rendered by `base_app` in the base) does, given the head.
fn deletion(
    object: &Object,
    base_app: Option<&Application>,
    head_app: Option<&Application>,
) -> (ChangeKind, String, bool) {
    let Some(base_app) = base_app else {
        return (
            ChangeKind::Deleted,
            "deleted: its manifest is gone (applied with prune)".into(),
            true,
        );
    };
    match head_app {
        Some(head_app) if head_app.destination.cluster != base_app.destination.cluster => (
            ChangeKind::Orphaned,
            format!(
                "left running on `{}` but no longer managed: Application `{}` now deploys to `{}`",
                base_app.destination.cluster, head_app.name, head_app.destination.cluster
            ),
            true,
        ),
        Some(head_app) => {
            if let Some(v) = sync_option(object, head_app, "Prune") {
                if v == "false" {
                    return (
                        ChangeKind::Orphaned,
                        "kept: `Prune=false` (on the object or its Application); it stays, out of sync".into(),
                        false,
                    );
                }
                if v == "confirm" {
                    return (
                        ChangeKind::Deleted,
                        "deleted once someone confirms the prune (`Prune=confirm`)".into(),
                        true,
                    );
                }
            }
            if head_app.sync.prune {
                (
                    ChangeKind::Deleted,
                    format!(
                        "pruned by the next automated sync of Application `{}`",
                        head_app.name
                    ),
                    true,
                )
            } else {
                (
                    ChangeKind::Deleted,
                    format!(
                        "out of sync in Application `{}` (no automated prune): deleted by the next sync with prune",
                        head_app.name
                    ),
                    false,
                )
            }
        }
        None => {
            let generated_cascade = base_app
                .origin
                .generator
                .as_ref()
                .map(|g| !g.preserve_resources);
            let cascade = generated_cascade.unwrap_or(false) || base_app.has_cascade_finalizer();
            if cascade {
                if sync_option(object, base_app, "Delete").as_deref() == Some("false") {
                    return (
                        ChangeKind::Orphaned,
                        format!(
                            "kept: `Delete=false` (on the object or its Application) survives the deletion of Application `{}`",
                            base_app.name
                        ),
                        true,
                    );
                }
                let how = match &base_app.origin.generator {
                    Some(g) => format!(
                        "ApplicationSet `{}` deletes the generated Application `{}` and, with it, everything it deployed",
                        g.appset, base_app.name
                    ),
                    None => format!(
                        "Application `{}` is removed with its resources finalizer: everything it deployed is deleted (cascade)",
                        base_app.name
                    ),
                };
                (ChangeKind::Deleted, format!("deleted: {how}"), true)
            } else {
                (
                    ChangeKind::Orphaned,
                    format!(
                        "left running but unmanaged: Application `{}` is removed without its resources finalizer",
                        base_app.name
                    ),
                    true,
                )
            }
        }
    }
}

/// How alike two specs are (0..1), compared as sorted YAML without the name.
fn similarity(a: &Object, b: &Object) -> f32 {
    let strip = |o: &Object| {
        let mut v = normalized(o);
        if let Some(Value::Object(meta)) = v.get_mut("metadata") {
            meta.remove("name");
        }
        crate::load::yaml::emit(&v)
    };
    let (x, y) = (strip(a), strip(b));
    similar::TextDiff::from_lines(&x, &y).ratio()
}

/// Compares `base` and `head` and merges them into one inventory for reporting.
pub fn compare(base: Inventory, mut head: Inventory, base_label: &str) -> ChangeSet {
    let base_live = live(&base);
    let head_live = live(&head);
    let base_apps = live_apps(&base);
    let head_apps = live_apps(&head);
    let app_of = |inv: &Inventory, idx: ObjectIdx| inv.app_of(inv.object(idx)).cloned();

    let mut changes: Vec<Change> = Vec::new();
    let mut deleted: Vec<(ObjectId, ObjectIdx)> = Vec::new();
    let mut created: Vec<(ObjectId, ObjectIdx)> = Vec::new();

    for (id, &h) in &head_live {
        match base_live.get(id) {
            None => created.push((id.clone(), h)),
            Some(&b) => {
                let (bo, ho) = (base.object(b), head.object(h));
                let (bv, hv) = (normalized(bo), normalized(ho));
                if bv == hv {
                    continue;
                }
                let immutable = immutable::changes(&id.group, &id.kind, &bv, &hv);
                let application = app_of(&head, h).map(|a| a.name);
                let (kind, effect, storage) = if immutable.is_empty() {
                    (
                        ChangeKind::Modified,
                        "updated in place by the next sync".to_string(),
                        0,
                    )
                } else {
                    let fields: Vec<&str> = immutable.iter().map(|c| c.field.as_str()).collect();
                    (
                        ChangeKind::Recreated,
                        format!(
                            "Kubernetes refuses to change {} in place: the sync fails (with `Replace=true` too), and only a forced sync (`argocd app sync --force`, or `Force=true,Replace=true` on the object) applies it — by deleting and recreating the object",
                            fields.join(", ")
                        ),
                        recreate_risk(bo, ho),
                    )
                };
                let label = base.sources.get(bo.file).display.clone();
                changes.push(Change {
                    kind,
                    id: id.clone(),
                    renamed_from: None,
                    base: Some(b),
                    head: Some(h),
                    application,
                    effect,
                    takes_effect: true,
                    immutable,
                    diff: Some(unified(
                        &bv,
                        &hv,
                        &label,
                        &head.sources.get(ho.file).display,
                    )),
                    storage_at_risk: storage,
                });
            }
        }
    }
    for (id, &b) in &base_live {
        if !head_live.contains_key(id) {
            deleted.push((id.clone(), b));
        }
    }

    // Renames: a deletion and a creation of the same kind, in the same place and Application,
    // whose specs are nearly the same.
    let mut renamed_base: HashSet<ObjectIdx> = HashSet::new();
    let mut renamed_head: HashSet<ObjectIdx> = HashSet::new();
    for (did, b) in &deleted {
        let base_app = app_of(&base, *b).map(|a| app_key(&a));
        let best = created
            .iter()
            .filter(|(cid, h)| {
                !renamed_head.contains(h)
                    && (&cid.cluster, &cid.group, &cid.kind, &cid.namespace)
                        == (&did.cluster, &did.group, &did.kind, &did.namespace)
                    && app_of(&head, *h).map(|a| app_key(&a)) == base_app
            })
            .map(|(cid, h)| (similarity(base.object(*b), head.object(*h)), cid, *h))
            .filter(|(s, _, _)| *s >= 0.8)
            .max_by(|x, y| x.0.total_cmp(&y.0));
        if let Some((_, cid, h)) = best {
            renamed_base.insert(*b);
            renamed_head.insert(h);
            let (bo, ho) = (base.object(*b), head.object(h));
            let label = base.sources.get(bo.file).display.clone();
            changes.push(Change {
                kind: ChangeKind::Renamed,
                id: cid.clone(),
                renamed_from: Some(did.clone()),
                base: Some(*b),
                head: Some(h),
                application: app_of(&head, h).map(|a| a.name),
                effect: format!(
                    "`{}` is deleted (or pruned) and `{}` created: to Kubernetes a new name is a new object",
                    did.name, cid.name
                ),
                takes_effect: true,
                immutable: Vec::new(),
                diff: Some(unified(&normalized(bo), &normalized(ho), &label, &head.sources.get(ho.file).display)),
                storage_at_risk: storage_of(bo),
            });
        }
    }
    for (id, h) in created {
        if renamed_head.contains(&h) {
            continue;
        }
        changes.push(Change {
            kind: ChangeKind::Created,
            id,
            renamed_from: None,
            base: None,
            head: Some(h),
            application: app_of(&head, h).map(|a| a.name),
            effect: "created by the next sync".into(),
            takes_effect: true,
            immutable: Vec::new(),
            diff: None,
            storage_at_risk: 0,
        });
    }
    for (id, b) in deleted {
        if renamed_base.contains(&b) {
            continue;
        }
        let base_app = app_of(&base, b);
        let head_app = base_app
            .as_ref()
            .and_then(|a| head_apps.get(&app_key(a)))
            .map(|&i| head.app(i).clone());
        let (kind, effect, takes_effect) =
            deletion(base.object(b), base_app.as_ref(), head_app.as_ref());
        changes.push(Change {
            kind,
            id,
            renamed_from: None,
            base: Some(b),
            head: None,
            application: base_app.map(|a| a.name),
            effect,
            takes_effect,
            immutable: Vec::new(),
            diff: None,
            storage_at_risk: storage_of(base.object(b)),
        });
    }

    // A deleted Namespace takes everything in it along: count the claims of what lives there
    // and is not already counted by a change of its own.
    let counted: HashSet<&ObjectId> = changes
        .iter()
        .filter(|c| c.storage_at_risk > 0)
        .flat_map(|c| [Some(&c.id), c.renamed_from.as_ref()])
        .flatten()
        .collect();
    let namespace_storage: Vec<(usize, u128)> = changes
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            c.kind == ChangeKind::Deleted && c.id.group.is_empty() && c.id.kind == "Namespace"
        })
        .map(|(i, c)| {
            let held: u128 = base_live
                .iter()
                .filter(|(id, _)| {
                    id.cluster == c.id.cluster && id.namespace == c.id.name && !counted.contains(id)
                })
                .map(|(_, &o)| storage_of(base.object(o)))
                .sum();
            (i, held)
        })
        .collect();
    for (i, held) in namespace_storage {
        changes[i].storage_at_risk += held;
    }

    // Applications whose destination moved.
    let mut retargets = Vec::new();
    for (key, &hi) in &head_apps {
        let Some(&bi) = base_apps.get(key) else {
            continue;
        };
        let (ba, ha) = (base.app(bi), head.app(hi));
        let from = (
            ba.destination.cluster.clone(),
            ba.destination.namespace.clone(),
        );
        let to = (
            ha.destination.cluster.clone(),
            ha.destination.namespace.clone(),
        );
        if from == to {
            continue;
        }
        let stateful_objects: Vec<&Object> = base
            .in_unit(ba.unit)
            .iter()
            .map(|&o| base.object(o))
            .filter(|o| crate::rules::util::is_stateful(o))
            .collect();
        retargets.push(Retarget {
            name: ha.name.clone(),
            namespace: ha.namespace.clone(),
            from,
            to,
            head_location: ha.locations.destination,
            base_location: ba.locations.destination,
            head_object: ha.object,
            stateful: !stateful_objects.is_empty(),
            storage: stateful_objects.iter().map(|o| storage_of(o)).sum(),
        });
    }
    retargets.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));

    let protected_clusters = head
        .clusters
        .iter()
        .chain(base.clusters.iter())
        .filter(|c| c.protected)
        .map(|c| c.name.clone())
        .collect();

    // Merge: the base's files and objects follow the head's, so every index stays valid.
    let offset = head.absorb(base);
    for c in &mut changes {
        c.base = c.base.map(|b| ObjectIdx(b.0 + offset.objects));
    }
    for r in &mut retargets {
        r.base_location.file = crate::load::FileId(r.base_location.file.0 + offset.files);
    }
    changes.sort_by(|a, b| {
        (&a.id.cluster, &a.application, a.kind, &a.id).cmp(&(
            &b.id.cluster,
            &b.application,
            b.kind,
            &b.id,
        ))
    });
    ChangeSet {
        inventory: head,
        base_label: base_label.to_string(),
        changes,
        retargets,
        protected_clusters,
    }
}
