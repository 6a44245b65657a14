//! The change set: two inventories (base and head) compared object by object, each change
//! classified by what it does on the cluster — in Argo CD's terms: pruned, kept, orphaned,
//! cascaded, recreated — with the storage it puts at risk.

use std::collections::{BTreeMap, HashMap, HashSet};

use rayon::prelude::*;
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
    /// The other sources that render the same identity on the same side (head's, else base's),
    /// as reports name them (`Application \`web\``): the object is shared, and what one of them
    /// changes the other may put back.
    pub shared_with: Vec<String>,
    /// The object is in a file no Application deploys, in a repository that deploys through
    /// Argo CD: the change reaches no cluster through Argo CD (findings on it are notes).
    pub unowned: bool,
}

/// Who renders an object: an Application (namespace, name), or a unit no Application covers
/// (its kustomization or chart file, its configured directory, or `""` for the plain files of
/// the scanned paths). Objects are compared per owner, so an identity that two owners render is
/// compared twice, never collapsed to one copy.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Owner {
    App(String, String),
    Unit(String),
}

impl Owner {
    /// How reports name it.
    pub fn describe(&self) -> String {
        match self {
            Owner::App(_, name) => format!("Application `{name}`"),
            Owner::Unit(u) if u.is_empty() => "the plain manifests of the scanned paths".into(),
            Owner::Unit(u) if u.starts_with("the directory ") => u.clone(),
            Owner::Unit(u) => format!("`{u}` (outside any Application)"),
        }
    }
}

/// The owner of an object of `inventory`.
fn owner_of(inventory: &Inventory, idx: ObjectIdx) -> Owner {
    let unit = inventory.unit(inventory.object(idx).unit);
    if let Some(a) = unit.app {
        return Owner::App(
            inventory.app(a).namespace.clone(),
            inventory.app(a).name.clone(),
        );
    }
    // Not the unit's name: a root unit is named after its path, which carries the revision's
    // label on the base side (`HEAD~1:`) and not on the head's.
    Owner::Unit(match (unit.location, &unit.dir) {
        (Some(at), _) => inventory.sources.get(at.file).rel.clone(),
        (None, Some(dir)) => format!("the directory `{}`", if dir.is_empty() { "." } else { dir }),
        (None, None) => String::new(),
    })
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
    /// Where the configuration came from (set by `diff::run`; the defaults otherwise).
    pub config: ConfigSource,
    /// Sources whose inputs changed but that could not be rendered (set by `diff::run`).
    pub unrendered: Vec<super::unrendered::Unrendered>,
}

/// Where the configuration of a `diff` came from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ConfigOrigin {
    /// The base has no `.manifest-guard.yaml`: the defaults.
    #[default]
    Defaults,
    /// The base's `.manifest-guard.yaml`, as reports name it (`origin/main:.manifest-guard.yaml`).
    Base(String),
    /// `--config FILE`, as given.
    Flag(String),
}

/// The configuration a `diff` ran with, and whether the head would have chosen another.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigSource {
    pub origin: ConfigOrigin,
    /// The head adds, changes or removes the config file (the base's is used): that change is
    /// not applied until it is merged.
    pub head_differs: bool,
    /// The config file compared, relative to the repository's top (empty: `.manifest-guard.yaml`).
    pub compared: String,
}

impl ConfigSource {
    /// The file used, as reports name it; `None` for the defaults.
    pub fn file(&self) -> Option<&str> {
        match &self.origin {
            ConfigOrigin::Defaults => None,
            ConfigOrigin::Base(f) | ConfigOrigin::Flag(f) => Some(f),
        }
    }

    /// One line for the reports when the head's configuration is not the one used.
    pub fn note(&self) -> Option<String> {
        if !self.head_differs {
            return None;
        }
        let used = match &self.origin {
            ConfigOrigin::Base(f) | ConfigOrigin::Flag(f) => format!("the base's (`{f}`)"),
            ConfigOrigin::Defaults => "the defaults (the base has none)".to_string(),
        };
        let file = if self.compared.is_empty() {
            crate::load::CONFIG_FILE
        } else {
            self.compared.as_str()
        };
        Some(format!(
            "the head changes `{file}`; diff runs with {used}: the head's rules and settings apply once it is merged"
        ))
    }
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
        crate::text::printable(base_name),
        crate::text::printable(head_name),
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

/// The objects of an inventory that are deployed, per identity and owner: plain ones and those
/// of Applications Argo CD keeps (a replaced duplicate deploys nothing). Last object per key:
/// when one render holds an object twice, Argo CD keeps the last copy (as it keeps the last of
/// two Applications). `alias` maps a base owner to the head's name for it (an Application that
/// followed its ApplicationSet to another namespace).
fn live(
    inventory: &Inventory,
    alias: &HashMap<Owner, Owner>,
) -> BTreeMap<(ObjectId, Owner), ObjectIdx> {
    // Sorted, then built in one pass: a tree searched per insertion compared the keys' five
    // strings down its height, a tenth of a large diff's time. Of an identity an owner defines
    // twice (a duplicate resource), the later object is the live one, as Argo CD applies it.
    let mut pairs: Vec<((ObjectId, Owner), ObjectIdx)> = inventory
        .objects()
        // Not the objects of an Application Argo CD does not keep (see `is_live`).
        .filter(|(_, o)| {
            inventory
                .unit(o.unit)
                .app
                .is_none_or(|a| inventory.app(a).is_live())
        })
        .map(|(idx, o)| {
            let owner = owner_of(inventory, idx);
            let owner = alias.get(&owner).cloned().unwrap_or(owner);
            ((o.id.clone(), owner), idx)
        })
        .collect();
    // Stable: equal keys stay in the inventory's order.
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    let mut unique: Vec<((ObjectId, Owner), ObjectIdx)> = Vec::with_capacity(pairs.len());
    for (key, idx) in pairs {
        match unique.last_mut() {
            Some(last) if last.0 == key => last.1 = idx,
            _ => unique.push((key, idx)),
        }
    }
    unique.into_iter().collect()
}

/// The owners of each identity (two or more: a shared object).
fn owners_by_id(live: &BTreeMap<(ObjectId, Owner), ObjectIdx>) -> HashMap<&ObjectId, Vec<&Owner>> {
    let mut out: HashMap<&ObjectId, Vec<&Owner>> = HashMap::new();
    for (id, owner) in live.keys() {
        out.entry(id).or_default().push(owner);
    }
    out.retain(|_, owners| owners.len() > 1);
    out
}

/// Generated Applications that moved to another namespace with their ApplicationSet: a base
/// Application no head Application has the key of, and exactly one head Application of the same
/// name, generated by an ApplicationSet of the same name, that no base Application has the key
/// of. Their objects are compared as one owner's.
fn followed_apps(base: &Inventory, head: &Inventory) -> HashMap<Owner, Owner> {
    let generated = |inv: &Inventory| -> BTreeMap<(String, String), String> {
        inv.live_apps()
            .filter_map(|(_, a)| Some((app_key(a), a.origin.generator.as_ref()?.appset.clone())))
            .collect()
    };
    let (b, h) = (generated(base), generated(head));
    let mut out = HashMap::new();
    for ((ns, name), appset) in &b {
        if h.contains_key(&(ns.clone(), name.clone())) {
            continue;
        }
        let moved: Vec<&(String, String)> = h
            .iter()
            .filter(|((hns, hname), hset)| {
                hname == name && *hset == appset && !b.contains_key(&(hns.clone(), hname.clone()))
            })
            .map(|(k, _)| k)
            .collect();
        if let [(hns, hname)] = moved[..] {
            out.insert(
                Owner::App(ns.clone(), name.clone()),
                Owner::App(hns.clone(), hname.clone()),
            );
        }
    }
    out
}

/// Whether changes to `object` (outside any Application) reach no cluster through Argo CD: the
/// repository deploys through Argo CD (either side has Applications), and the object is not
/// Argo CD's own configuration (Applications, ApplicationSets, AppProjects, and whatever lives in
/// Argo CD's namespace, cluster and repository Secrets above all), which is applied by hand.
fn is_unowned(inventory: &Inventory, idx: ObjectIdx, has_apps: bool) -> bool {
    let o = inventory.object(idx);
    has_apps
        && inventory.unit(o.unit).app.is_none()
        && o.id.group != "argoproj.io"
        && o.id.namespace != inventory.argocd_namespace
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
            "deleted: its manifest is gone (when applied with prune)".into(),
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

/// How alike two objects must be (0..1, see `similarity`) for a deletion and a creation to be
/// one rename.
const RENAME_SIMILARITY: f32 = 0.8;

/// The most deleted × created pairs one rename bucket is compared in (1,000 × 1,000). Beyond
/// it, similarity is not computed in that bucket: only objects identical but for their name
/// are paired as renames, and the rest are reported as deleted and created. This bounds a diff
/// that renames thousands of look-alike objects of one kind in one namespace and Application.
pub const RENAME_PAIR_CAP: usize = 1_000_000;

/// The object as `similarity` compares it: normalised YAML without `metadata.name` and
/// `metadata.namespace`.
fn rename_text(object: &Object) -> String {
    let mut v = normalized(object);
    if let Some(Value::Object(meta)) = v.get_mut("metadata") {
        meta.remove("name");
        // Within a bucket the namespace is the same, except for an ApplicationSet (see
        // `renames`), whose move must not count against its likeness.
        meta.remove("namespace");
    }
    crate::load::yaml::emit(&v)
}

/// How alike two specs are (0..1): the line-diff ratio of their `rename_text`s, as
/// `similar::TextDiff::from_lines(a, b).ratio()` computes it.
#[cfg(test)]
fn similarity(a: &Object, b: &Object) -> f32 {
    similar::TextDiff::from_lines(&rename_text(a), &rename_text(b)).ratio()
}

/// One side of a possible rename, in a bucket: its text as lines interned to numbers, and the
/// same numbers sorted (for a cheap upper bound of the similarity).
struct RenameSide {
    lines: Vec<u32>,
    sorted: Vec<u32>,
}

impl RenameSide {
    fn new<'t>(text: &'t str, ids: &mut HashMap<&'t str, u32>) -> RenameSide {
        let lines: Vec<u32> = similar::DiffableStr::tokenize_lines(text)
            .into_iter()
            .map(|line| {
                let next = ids.len() as u32;
                *ids.entry(line).or_insert(next)
            })
            .collect();
        let mut sorted = lines.clone();
        sorted.sort_unstable();
        RenameSide { lines, sorted }
    }

    /// `similarity` of the two objects: the same diff (Myers, which only compares lines for
    /// equality) over the interned lines, so the same ratio.
    fn similarity(&self, other: &RenameSide) -> f32 {
        let ops =
            similar::capture_diff_slices(similar::Algorithm::Myers, &self.lines, &other.lines);
        similar::get_diff_ratio(&ops, self.lines.len(), other.lines.len())
    }
}

/// `similar`'s ratio for a given number of matching lines: the same arithmetic, so a bound
/// computed with it compares exactly with a real ratio.
fn ratio(matches: usize, a: usize, b: usize) -> f32 {
    let len = a + b;
    if len == 0 {
        1.0
    } else {
        2.0 * matches as f32 / len as f32
    }
}

/// Lines two sorted sequences have in common, as multisets: no diff can match more.
fn common_lines(a: &[u32], b: &[u32]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

/// Pairs the deleted and created objects of one bucket (same cluster, group, kind, namespace and
/// Application), each given in name order, as renames; returns (deleted, created) positions.
///
/// First, objects identical but for their name, in name order. Then, while the bucket holds at
/// most `cap` pairs, each remaining deletion in name order takes the remaining creation most
/// like it, at least `RENAME_SIMILARITY` alike; ties go to the first name. Identical texts have
/// similarity 1, the best there is, so pairing them first changes the outcome only where a
/// near-copy would have taken an exact copy's partner.
fn pair_bucket(deleted: &[&Object], created: &[&Object], cap: usize) -> Vec<(usize, usize)> {
    let texts =
        |objects: &[&Object]| -> Vec<String> { objects.iter().map(|o| rename_text(o)).collect() };
    let (deleted_texts, created_texts) = (texts(deleted), texts(created));
    let mut pairs = Vec::new();
    let mut created_free = vec![true; created.len()];
    let mut deleted_left = Vec::new();
    let mut exact: HashMap<&str, std::collections::VecDeque<usize>> = HashMap::new();
    for (c, text) in created_texts.iter().enumerate() {
        exact.entry(text.as_str()).or_default().push_back(c);
    }
    for (d, text) in deleted_texts.iter().enumerate() {
        match exact.get_mut(text.as_str()).and_then(|q| q.pop_front()) {
            Some(c) => {
                created_free[c] = false;
                pairs.push((d, c));
            }
            None => deleted_left.push(d),
        }
    }
    let created_left: Vec<usize> = (0..created.len()).filter(|&c| created_free[c]).collect();
    if deleted_left.is_empty()
        || created_left.is_empty()
        || deleted_left.len().saturating_mul(created_left.len()) > cap
    {
        return pairs;
    }

    // Lines as numbers: the diff compares integers, and the bound needs sorted sequences.
    let mut ids: HashMap<&str, u32> = HashMap::new();
    let deleted_sides: Vec<(usize, RenameSide)> = deleted_left
        .iter()
        .map(|&d| (d, RenameSide::new(&deleted_texts[d], &mut ids)))
        .collect();
    let mut created_sides: Vec<(usize, RenameSide)> = created_left
        .iter()
        .map(|&c| (c, RenameSide::new(&created_texts[c], &mut ids)))
        .collect();
    for (d, ds) in &deleted_sides {
        let mut best: Option<(f32, usize)> = None;
        for (slot, (_, cs)) in created_sides.iter().enumerate() {
            let floor = best.map_or(RENAME_SIMILARITY, |(s, _)| s);
            let bound = ratio(
                common_lines(&ds.sorted, &cs.sorted),
                ds.lines.len(),
                cs.lines.len(),
            );
            // Only a strictly better one replaces the best so far (ties: the first name).
            if bound < floor || (best.is_some() && bound <= floor) {
                continue;
            }
            let s = ds.similarity(cs);
            if s >= RENAME_SIMILARITY && best.is_none_or(|(b, _)| s > b) {
                best = Some((s, slot));
            }
        }
        if let Some((_, slot)) = best {
            let (c, _) = created_sides.remove(slot);
            pairs.push((*d, c));
        }
    }
    pairs
}

/// Renames between the deleted and created objects (each list in identity order, with their
/// owners): deletions and creations are bucketed by (cluster, group, kind, namespace, owner) and
/// paired within their bucket by `pair_bucket`, so a rename never crosses from one source to
/// another. An ApplicationSet is bucketed without its namespace: moved to another namespace
/// under the same name, it is one ApplicationSet moving. Returns (deleted, created) positions,
/// in deleted order.
fn renames(
    base: &Inventory,
    head: &Inventory,
    (deleted, created): (&[Listed], &[Listed]),
    (deleted_owner, created_owner): (&[Owner], &[Owner]),
    cap: usize,
) -> Vec<(usize, usize)> {
    type Bucket<'a> = (&'a str, &'a str, &'a str, &'a str, &'a Owner);
    fn bucket<'a>(id: &'a ObjectId, owner: &'a Owner) -> Bucket<'a> {
        let namespace = if is_appset(id) { "" } else { &id.namespace };
        (&id.cluster, &id.group, &id.kind, namespace, owner)
    }
    let mut buckets: BTreeMap<Bucket<'_>, (Vec<usize>, Vec<usize>)> = BTreeMap::new();
    for (i, (id, _)) in deleted.iter().enumerate() {
        buckets
            .entry(bucket(id, &deleted_owner[i]))
            .or_default()
            .0
            .push(i);
    }
    for (i, (id, _)) in created.iter().enumerate() {
        if let Some(b) = buckets.get_mut(&bucket(id, &created_owner[i])) {
            b.1.push(i);
        }
    }
    let buckets: Vec<(Vec<usize>, Vec<usize>)> = buckets
        .into_values()
        .filter(|(d, c)| !d.is_empty() && !c.is_empty())
        .collect();
    let mut pairs: Vec<(usize, usize)> = buckets
        .par_iter()
        .flat_map_iter(|(ds, cs)| {
            let d_objects: Vec<&Object> = ds.iter().map(|&i| base.object(deleted[i].1)).collect();
            let c_objects: Vec<&Object> = cs.iter().map(|&i| head.object(created[i].1)).collect();
            pair_bucket(&d_objects, &c_objects, cap)
                .into_iter()
                .map(|(d, c)| (ds[d], cs[c]))
                .collect::<Vec<_>>()
        })
        .collect();
    pairs.sort_unstable();
    pairs
}

/// An object deleted or created: its identity and where it is in its side's inventory.
type Listed = (ObjectId, ObjectIdx);

fn is_appset(id: &ObjectId) -> bool {
    id.group == "argoproj.io" && id.kind == "ApplicationSet"
}

/// The effect of a change on an object no Application deploys (see `is_unowned`): `effect`, the
/// effect for whatever else applies the file, is kept only when the object does belong to one.
fn unowned_effect(effect: String, unowned: bool) -> String {
    if !unowned {
        return effect;
    }
    "no Application deploys it: Argo CD changes nothing on a cluster (only a tool or a person applying this file would)".into()
}

/// The effect of an object that keeps its name and moves to another namespace: an
/// ApplicationSet, with the Applications it generates (they are created in its namespace).
fn moved_effect(
    base: &Inventory,
    from: &ObjectId,
    to: &ObjectId,
    alias: &HashMap<Owner, Owner>,
) -> String {
    let mut effect = format!(
        "moved from namespace `{}` to `{}`: the ApplicationSet in `{}` is deleted and one in `{}` created",
        from.namespace, to.namespace, from.namespace, to.namespace
    );
    if !is_appset(to) {
        return effect;
    }
    // The Applications it generated in the base that followed it (same names, new namespace).
    let mut followed: Vec<(&str, bool)> = base
        .live_apps()
        .filter_map(|(_, a)| {
            let g = a.origin.generator.as_ref()?;
            let moved = alias.contains_key(&Owner::App(a.namespace.clone(), a.name.clone()));
            (g.appset == from.name && a.namespace == from.namespace && moved)
                .then_some((a.name.as_str(), !g.preserve_resources))
        })
        .collect();
    followed.sort_unstable();
    if followed.is_empty() {
        return effect;
    }
    let names: Vec<String> = followed.iter().map(|(n, _)| format!("`{n}`")).collect();
    effect.push_str(&format!(
        "; its generated Applications {} move with it and deploy the same objects (compared as the same Applications)",
        names.join(", ")
    ));
    if followed.iter().any(|(_, cascade)| *cascade) {
        effect.push_str(
            " — but deleting the old ApplicationSet deletes the Applications it generated, with their resources finalizer: set `preserveResourcesOnDeletion: true` on it first, or the move deletes and recreates what they deploy",
        );
    }
    effect
}

/// Compares `base` and `head` and merges them into one inventory for reporting.
///
/// Objects are compared per identity and owner (`Owner`): an identity two Applications render
/// (or an Application and a directory no Application covers) is two objects to compare, each
/// change reported with the other owners (`shared_with`).
pub fn compare(base: Inventory, mut head: Inventory, base_label: &str) -> ChangeSet {
    let alias = followed_apps(&base, &head);
    let (base_live, head_live) =
        rayon::join(|| live(&base, &alias), || live(&head, &HashMap::new()));
    let base_apps = live_apps(&base);
    let head_apps = live_apps(&head);
    let has_apps = !base_apps.is_empty() || !head_apps.is_empty();
    let (base_shared, head_shared) = (owners_by_id(&base_live), owners_by_id(&head_live));
    let shared_with = |id: &ObjectId, owner: &Owner, on_head: bool| -> Vec<String> {
        let shared = if on_head { &head_shared } else { &base_shared };
        shared
            .get(id)
            .map(|owners| {
                owners
                    .iter()
                    .filter(|o| **o != owner)
                    .map(|o| o.describe())
                    .collect()
            })
            .unwrap_or_default()
    };
    let app_of = |inv: &Inventory, idx: ObjectIdx| inv.app_of(inv.object(idx)).cloned();
    // The head's Application for a base one: the same key, or where it followed its
    // ApplicationSet.
    let head_app_for = |a: &Application| -> Option<Application> {
        let key = match alias.get(&Owner::App(a.namespace.clone(), a.name.clone())) {
            Some(Owner::App(ns, name)) => (ns.clone(), name.clone()),
            _ => app_key(a),
        };
        head_apps.get(&key).map(|&i| head.app(i).clone())
    };

    let mut changes: Vec<Change> = Vec::new();
    let mut deleted: Vec<(ObjectId, ObjectIdx)> = Vec::new();
    let mut deleted_owner: Vec<Owner> = Vec::new();
    let mut created: Vec<(ObjectId, ObjectIdx)> = Vec::new();
    let mut created_owner: Vec<Owner> = Vec::new();

    // Lookups by reference (the maps' keys are five strings and an owner: cloning them per
    // lookup, and comparing them down a tree, was a fifth of a large diff).
    fn index(
        live: &BTreeMap<(ObjectId, Owner), ObjectIdx>,
    ) -> HashMap<(&ObjectId, &Owner), ObjectIdx, rustc_hash::FxBuildHasher> {
        live.iter()
            .map(|((id, owner), &o)| ((id, owner), o))
            .collect()
    }
    let (base_index, head_index) = (index(&base_live), index(&head_live));
    for ((id, owner), &h) in &head_live {
        match base_index.get(&(id, owner)) {
            None => {
                created.push((id.clone(), h));
                created_owner.push(owner.clone());
            }
            Some(&b) => {
                let (bo, ho) = (base.object(b), head.object(h));
                // Most objects of a change are untouched: the same YAML is the same object,
                // without building and sorting both as JSON.
                // The base takes the head's parse of a file it did not change: then the two
                // are one node.
                if std::ptr::eq::<crate::load::Node>(&*bo.node, &*ho.node)
                    || bo.node.same_content(&ho.node)
                {
                    continue;
                }
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
                let unowned = is_unowned(&head, h, has_apps);
                changes.push(Change {
                    kind,
                    id: id.clone(),
                    renamed_from: None,
                    base: Some(b),
                    head: Some(h),
                    application,
                    effect: unowned_effect(effect, unowned),
                    takes_effect: !unowned,
                    immutable,
                    diff: Some(unified(
                        &bv,
                        &hv,
                        &label,
                        &head.sources.get(ho.file).display,
                    )),
                    storage_at_risk: storage,
                    shared_with: shared_with(id, owner, true),
                    unowned,
                });
            }
        }
    }
    for ((id, owner), &b) in &base_live {
        if !head_index.contains_key(&(id, owner)) {
            deleted.push((id.clone(), b));
            deleted_owner.push(owner.clone());
        }
    }

    // Renames: a deletion and a creation of the same kind, in the same place and owner, whose
    // specs are nearly the same.
    let mut renamed_base: HashSet<ObjectIdx> = HashSet::new();
    let mut renamed_head: HashSet<ObjectIdx> = HashSet::new();
    let owners = (&deleted_owner[..], &created_owner[..]);
    for (d, c) in renames(&base, &head, (&deleted, &created), owners, RENAME_PAIR_CAP) {
        let ((did, b), (cid, h)) = (&deleted[d], &created[c]);
        renamed_base.insert(*b);
        renamed_head.insert(*h);
        let (bo, ho) = (base.object(*b), head.object(*h));
        let label = base.sources.get(bo.file).display.clone();
        let unowned = is_unowned(&head, *h, has_apps);
        let effect = if did.name == cid.name {
            moved_effect(&base, did, cid, &alias)
        } else {
            format!(
                "`{}` is deleted (or pruned) and `{}` created: to Kubernetes a new name is a new object",
                did.name, cid.name
            )
        };
        changes.push(Change {
            kind: ChangeKind::Renamed,
            id: cid.clone(),
            renamed_from: Some(did.clone()),
            base: Some(*b),
            head: Some(*h),
            application: app_of(&head, *h).map(|a| a.name),
            effect: unowned_effect(effect, unowned),
            takes_effect: !unowned,
            immutable: Vec::new(),
            diff: Some(unified(
                &normalized(bo),
                &normalized(ho),
                &label,
                &head.sources.get(ho.file).display,
            )),
            storage_at_risk: storage_of(bo),
            shared_with: shared_with(cid, &created_owner[c], true),
            unowned,
        });
    }
    for (i, (id, h)) in created.into_iter().enumerate() {
        if renamed_head.contains(&h) {
            continue;
        }
        let unowned = is_unowned(&head, h, has_apps);
        changes.push(Change {
            kind: ChangeKind::Created,
            shared_with: shared_with(&id, &created_owner[i], true),
            id,
            renamed_from: None,
            base: None,
            head: Some(h),
            application: app_of(&head, h).map(|a| a.name),
            effect: unowned_effect("created by the next sync".into(), unowned),
            takes_effect: !unowned,
            immutable: Vec::new(),
            diff: None,
            storage_at_risk: 0,
            unowned,
        });
    }
    for (i, (id, b)) in deleted.into_iter().enumerate() {
        if renamed_base.contains(&b) {
            continue;
        }
        let base_app = app_of(&base, b);
        let head_app = base_app.as_ref().and_then(&head_app_for);
        let (kind, effect, takes_effect) =
            deletion(base.object(b), base_app.as_ref(), head_app.as_ref());
        let unowned = is_unowned(&base, b, has_apps);
        changes.push(Change {
            kind,
            shared_with: shared_with(&id, &deleted_owner[i], false),
            id,
            renamed_from: None,
            base: Some(b),
            head: None,
            application: base_app.map(|a| a.name),
            effect: unowned_effect(effect, unowned),
            takes_effect: takes_effect && !unowned,
            immutable: Vec::new(),
            diff: None,
            storage_at_risk: storage_of(base.object(b)),
            unowned,
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
                .filter(|((id, _), _)| {
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
            .filter(|o| crate::model::is_stateful(o))
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
        config: ConfigSource::default(),
        unrendered: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    /// The inventory of plain manifests: `(file, text)` written into a new directory.
    fn inventory(files: &[(String, String)]) -> (tempfile::TempDir, Inventory) {
        let dir = tempfile::tempdir().expect("tempdir");
        for (rel, text) in files {
            std::fs::write(dir.path().join(rel), text).expect("write");
        }
        let scan = crate::scan::Scan {
            paths: vec![dir.path().to_path_buf()],
            root: dir.path().to_path_buf(),
            label: None,
            checkout: None,
        };
        let flags = crate::scan::RenderFlags {
            no_render: true,
            ..Default::default()
        };
        let inventory = scan
            .inventory(&Config::default(), &flags)
            .expect("inventory");
        (dir, inventory)
    }

    fn config_map(namespace: &str, name: &str, data: &[(&str, &str)]) -> (String, String) {
        let mut text = format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {namespace}\ndata:\n"
        );
        for (k, v) in data {
            text.push_str(&format!("  {k}: \"{v}\"\n"));
        }
        (format!("{namespace}-{name}.yaml"), text)
    }

    /// The renames `compare` finds, as (from, to) names, sorted.
    fn renamed(base: &[(String, String)], head: &[(String, String)]) -> Vec<(String, String)> {
        let ((_b, base), (_h, head)) = (inventory(base), inventory(head));
        let mut out: Vec<(String, String)> = compare(base, head, "base")
            .changes
            .iter()
            .filter(|c| c.kind == ChangeKind::Renamed)
            .map(|c| {
                let from = c.renamed_from.as_ref().map(|f| f.name.clone());
                (from.unwrap_or_default(), c.id.name.clone())
            })
            .collect();
        out.sort();
        out
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn the_interned_similarity_is_the_text_diff_ratio() {
        // Short and long (over 100 lines, where `similar` interns lines itself), alike and not.
        let long = |n: usize, shift: usize| -> Vec<(String, String)> {
            (0..n)
                .map(|i| (format!("key{i}"), format!("value{}", (i * 7 + shift) % 13)))
                .collect()
        };
        let datasets: Vec<Vec<(String, String)>> = vec![
            vec![],
            vec![("a".into(), "1".into())],
            vec![("a".into(), "1".into()), ("b".into(), "2".into())],
            vec![("a".into(), "1".into()), ("b".into(), "3".into())],
            long(120, 0),
            long(120, 1),
            long(150, 0),
            long(30, 2),
        ];
        let files: Vec<(String, String)> = datasets
            .iter()
            .enumerate()
            .map(|(i, data)| {
                let data: Vec<(&str, &str)> =
                    data.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                config_map("ns", &format!("cm-{i}"), &data)
            })
            .collect();
        let (_dir, inv) = inventory(&files);
        let objects: Vec<&Object> = inv.objects().map(|(_, o)| o).collect();
        assert_eq!(objects.len(), datasets.len());
        let texts: Vec<String> = objects.iter().map(|o| rename_text(o)).collect();
        let mut ids = HashMap::new();
        let sides: Vec<RenameSide> = texts.iter().map(|t| RenameSide::new(t, &mut ids)).collect();
        for (i, a) in objects.iter().enumerate() {
            for (j, b) in objects.iter().enumerate() {
                let expected = similarity(a, b);
                assert_eq!(sides[i].similarity(&sides[j]), expected, "{i} vs {j}");
                let bound = ratio(
                    common_lines(&sides[i].sorted, &sides[j].sorted),
                    sides[i].lines.len(),
                    sides[j].lines.len(),
                );
                assert!(bound >= expected, "{i} vs {j}: bound {bound} < {expected}");
            }
        }
    }

    #[test]
    fn exact_copies_pair_first_then_the_most_alike() {
        let data = |extra: &'static str| {
            vec![
                ("a", "1"),
                ("b", "2"),
                ("c", "3"),
                ("d", "4"),
                ("e", "5"),
                ("f", "6"),
                ("g", "7"),
                ("h", extra),
            ]
        };
        // `alpha` is one line away from `beta-new` (an exact copy of `beta`) and two from
        // `alpha-new`: in name order it would have taken `beta-new` had copies not been paired
        // first.
        let base = vec![
            config_map("ns", "alpha", &data("x")),
            config_map("ns", "beta", &data("y")),
        ];
        let mut alpha_new = data("x");
        alpha_new[0] = ("a", "changed");
        alpha_new[1] = ("b", "changed");
        let head = vec![
            config_map("ns", "alpha-new", &alpha_new),
            config_map("ns", "beta-new", &data("y")),
        ];
        assert_eq!(
            renamed(&base, &head),
            pairs(&[("alpha", "alpha-new"), ("beta", "beta-new")])
        );
    }

    #[test]
    fn equally_alike_candidates_go_in_name_order() {
        let same = [("a", "1"), ("b", "2"), ("c", "3"), ("d", "4"), ("e", "5")];
        let changed = [("a", "1"), ("b", "2"), ("c", "3"), ("d", "4"), ("e", "6")];
        let base: Vec<_> = ["web-1", "web-2", "web-3"]
            .iter()
            .map(|n| config_map("ns", n, &same))
            .collect();
        let head: Vec<_> = ["web-1-v2", "web-2-v2", "web-3-v2"]
            .iter()
            .map(|n| config_map("ns", n, &changed))
            .collect();
        assert_eq!(
            renamed(&base, &head),
            pairs(&[
                ("web-1", "web-1-v2"),
                ("web-2", "web-2-v2"),
                ("web-3", "web-3-v2")
            ])
        );
    }

    #[test]
    fn renames_stay_within_their_kind_and_namespace() {
        let data = [("a", "1"), ("b", "2")];
        let base = vec![config_map("one", "settings", &data)];
        // The same content under another name, but in another namespace: not a rename.
        let head = vec![config_map("two", "settings-v2", &data)];
        assert!(renamed(&base, &head).is_empty());
        let secret = (
            "secret.yaml".to_string(),
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: settings-v2\n  namespace: one\ndata:\n  a: \"1\"\n  b: \"2\"\n".to_string(),
        );
        assert!(renamed(&base, &[secret]).is_empty());
    }

    #[test]
    fn a_bucket_over_the_cap_pairs_only_exact_copies() {
        let data = |i: usize, v: &str| -> (String, String) {
            let (k1, k2, k3) = (format!("k{i}a"), format!("k{i}b"), format!("k{i}c"));
            config_map(
                "ns",
                &format!("cm-{i}"),
                &[
                    (k1.as_str(), "1"),
                    (k2.as_str(), "2"),
                    (k3.as_str(), "3"),
                    ("v", v),
                ],
            )
        };
        let rename = |(file, text): (String, String), i: usize| {
            (
                file.replace(".yaml", "-new.yaml"),
                text.replace(&format!("name: cm-{i}\n"), &format!("name: cm-{i}-new\n")),
            )
        };
        let (_b, base) = inventory(&(0..3).map(|i| data(i, "old")).collect::<Vec<_>>());
        // cm-0 is copied exactly; cm-1 and cm-2 change a line (6 of 7 lines kept: 0.86 alike).
        let head_files: Vec<_> = (0..3)
            .map(|i| rename(data(i, if i == 0 { "old" } else { "new" }), i))
            .collect();
        let (_h, head) = inventory(&head_files);
        let list = |inv: &Inventory| -> (Vec<(ObjectId, ObjectIdx)>, Vec<Owner>) {
            live(inv, &HashMap::new())
                .into_iter()
                .map(|((id, owner), idx)| ((id, idx), owner))
                .unzip()
        };
        let ((deleted, deleted_owner), (created, created_owner)) = (list(&base), list(&head));
        let owners = (&deleted_owner[..], &created_owner[..]);
        let names = |found: Vec<(usize, usize)>| -> Vec<(String, String)> {
            found
                .into_iter()
                .map(|(d, c)| (deleted[d].0.name.clone(), created[c].0.name.clone()))
                .collect()
        };
        // 2 × 2 pairs left after the exact copy: within a cap of 4, compared; past 3, not.
        assert_eq!(
            names(renames(&base, &head, (&deleted, &created), owners, 4)),
            pairs(&[
                ("cm-0", "cm-0-new"),
                ("cm-1", "cm-1-new"),
                ("cm-2", "cm-2-new")
            ])
        );
        assert_eq!(
            names(renames(&base, &head, (&deleted, &created), owners, 3)),
            pairs(&[("cm-0", "cm-0-new")])
        );
    }
}
