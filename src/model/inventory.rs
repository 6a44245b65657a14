//! The inventory: every object the scanned tree deploys, with the files it came from and the
//! render units that produced it. Built once by the render stage, then read-only: rules share it
//! across threads.

use std::hash::{Hash, Hasher};

use crate::load::{FileId, Location, Node, Sources};

use super::argocd::{AppIdx, AppProject, Application, Cluster, RenderNote};
use super::identity::{ObjectId, group_of};
use super::object::{Object, ObjectIdx, UnitId};

/// What produced a group of objects. Duplicate detection is per unit: one unit is one thing
/// Kubernetes receives in one apply.
#[derive(Debug, Clone)]
pub struct RenderUnit {
    /// A short description: the directory, or the Application.
    pub name: String,
    /// Where the unit is declared (the Application's name, the kustomization file).
    pub location: Option<Location>,
    pub cluster: String,
    /// The namespace given to namespaced objects that do not name one.
    pub namespace: String,
    /// The Application this unit renders, if any.
    pub app: Option<AppIdx>,
    /// For a directory of plain manifests: the directory, relative to the scanned root (the
    /// same on both sides of a diff, where the name shows a revision's path).
    pub dir: Option<String>,
}

/// Whether `(group, kind)` is namespaced: built-in kinds from k8s-openapi, plus the
/// CustomResourceDefinitions found in the tree.
#[derive(Debug, Clone)]
pub struct Scopes {
    /// Group, then kind: looked up with two `&str`s, no key built (every document of a run
    /// asks).
    known: rustc_hash::FxHashMap<String, rustc_hash::FxHashMap<String, bool>>,
}

impl Default for Scopes {
    fn default() -> Self {
        let mut scopes = Scopes {
            known: Default::default(),
        };
        for (group, kind, namespaced) in super::kinds::builtin() {
            scopes.learn(group, kind, namespaced);
        }
        scopes
    }
}

impl Scopes {
    /// `Some(true)` namespaced, `Some(false)` cluster-scoped, `None` unknown (a custom kind
    /// whose definition is not in the tree).
    pub fn namespaced(&self, group: &str, kind: &str) -> Option<bool> {
        self.known.get(group)?.get(kind).copied()
    }

    fn learn(&mut self, group: &str, kind: &str, namespaced: bool) {
        self.known
            .entry(group.to_string())
            .or_default()
            .insert(kind.to_string(), namespaced);
    }

    /// Learns the scope of the custom kind a CustomResourceDefinition declares.
    pub fn learn_crd(&mut self, crd: &Node) {
        let spec = crd.get("spec");
        let group = spec.and_then(|s| s.get("group")).and_then(Node::as_str);
        let kind = spec
            .and_then(|s| s.path(&["names", "kind"]))
            .and_then(Node::as_str);
        let scope = spec.and_then(|s| s.get("scope")).and_then(Node::as_str);
        if let (Some(group), Some(kind)) = (group, kind) {
            self.learn(group, kind, scope != Some("Cluster"));
        }
    }

    pub fn is_crd(api_version: &str, kind: &str) -> bool {
        kind == "CustomResourceDefinition" && group_of(api_version) == "apiextensions.k8s.io"
    }
}

/// Where another inventory's files and objects start after [`Inventory::absorb`].
#[derive(Debug, Clone, Copy)]
pub struct Offsets {
    pub files: usize,
    pub objects: usize,
}

#[derive(Debug, Default)]
pub struct Inventory {
    pub sources: Sources,
    pub units: Vec<RenderUnit>,
    pub objects: Vec<Object>,
    pub scopes: Scopes,
    pub applications: Vec<Application>,
    pub projects: Vec<AppProject>,
    pub clusters: Vec<Cluster>,
    /// Whether any cluster was declared (a cluster Secret or the config), beyond `in-cluster`.
    pub clusters_declared: bool,
    pub notes: Vec<RenderNote>,
    /// Files an Application deploys (its directory source selects them) or a render of one
    /// read: a problem in them is a problem of that Application's deployment.
    pub deployed_files: std::collections::BTreeSet<FileId>,
    /// The namespace Argo CD runs in.
    pub argocd_namespace: String,
    /// Whether the configuration set it, or it was inferred or assumed.
    pub argocd_namespace_origin: super::argocd::NamespaceOrigin,
    pub render_stats: RenderStats,
    /// Set once another inventory was absorbed (a diff's base): what is this inventory's own.
    pub own: Option<Offsets>,
    /// What the change under review loosens in `.manifest-guard.yaml` (`check --config-rev`,
    /// `diff`), at keys of the head's config file (added to `sources`).
    pub config_changes: Vec<ConfigFinding>,
    /// `options:` of the configuration: the thresholds rules read.
    pub options: super::options::RuleOptions,
    /// The scanned root on disk, which every `SourceFile::rel` is relative to: where `fix`
    /// writes (empty for an inventory not built from a scan).
    pub root: std::path::PathBuf,
    by_id: Identities,
    by_file: Grouped,
    by_unit: Grouped,
    /// Indexes several rules read, built once by the first rule that asks.
    pub memo: Memo,
}

/// Values computed once per inventory and shared by the rules that read them (rules run in
/// parallel: the first to ask builds, the others wait for it). Keyed by type; a value holds
/// indices into the inventory, never references.
#[derive(Default)]
pub struct Memo {
    slots: std::sync::Mutex<Vec<(std::any::TypeId, MemoSlot)>>,
}

type MemoSlot =
    std::sync::Arc<std::sync::OnceLock<std::sync::Arc<dyn std::any::Any + Send + Sync>>>;

impl Memo {
    /// The value of type `T`, built by `build` the first time it is asked for.
    pub fn get<T: std::any::Any + Send + Sync>(
        &self,
        build: impl FnOnce() -> T,
    ) -> std::sync::Arc<T> {
        let id = std::any::TypeId::of::<T>();
        let slot = {
            let mut slots = self
                .slots
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            match slots.iter().find(|(t, _)| *t == id) {
                Some((_, slot)) => slot.clone(),
                None => {
                    let slot = MemoSlot::default();
                    slots.push((id, slot.clone()));
                    slot
                }
            }
        };
        let value = slot.get_or_init(|| std::sync::Arc::new(build())).clone();
        value
            .downcast::<T>()
            .expect("a memo slot holds the type its key names")
    }
}

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Memo")
    }
}

/// Objects grouped by a dense key (a file, a unit, an identity's number): one list of every
/// object, ordered by key and then by object, and where each key's run starts. Three
/// allocations, however many keys.
#[derive(Debug, Clone, Default)]
struct Grouped {
    order: Vec<ObjectIdx>,
    /// `starts[k]..starts[k + 1]` is key `k`'s run in `order`.
    starts: Vec<usize>,
}

impl Grouped {
    /// Groups objects `0..keys.len()` by `keys[i] < n` (a counting sort: stable, linear).
    fn new(n: usize, keys: &[usize]) -> Self {
        let mut starts = vec![0usize; n + 1];
        for &k in keys {
            starts[k + 1] += 1;
        }
        for k in 0..n {
            starts[k + 1] += starts[k];
        }
        let mut next = starts.clone();
        let mut order = vec![ObjectIdx(0); keys.len()];
        for (i, &k) in keys.iter().enumerate() {
            order[next[k]] = ObjectIdx(i);
            next[k] += 1;
        }
        Grouped { order, starts }
    }

    fn get(&self, key: usize) -> &[ObjectIdx] {
        match (self.starts.get(key), self.starts.get(key + 1)) {
            (Some(&a), Some(&b)) => &self.order[a..b],
            _ => &[],
        }
    }

    fn keys(&self) -> usize {
        self.starts.len().saturating_sub(1)
    }
}

/// Objects by identity, numbered in the order identities first appear: hash tables of identity
/// numbers that compare through the objects themselves, so no identity is copied. The table is
/// cut in [`ID_SHARDS`] shards by hash, each filled on its own core in object order; the numbers
/// are then given in the order of each identity's first object, so nothing depends on the
/// number of threads.
#[derive(Debug, Clone, Default)]
struct Identities {
    /// Identity number → its objects.
    groups: Grouped,
    /// Shard (the hash's top bits) → identity numbers.
    shards: Vec<hashbrown::HashTable<usize>>,
}

/// How many tables the identities are cut into: a fixed number (never the thread count), enough
/// to share the work among a machine's cores.
const ID_SHARDS: usize = 16;

fn id_hash(id: &ObjectId) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    id.hash(&mut h);
    h.finish()
}

/// The shard of a hash: its top bits (FxHasher's low bits are its weakest).
fn shard_of(hash: u64) -> usize {
    (hash >> (64 - ID_SHARDS.trailing_zeros())) as usize
}

impl Identities {
    fn new(objects: &[Object]) -> Self {
        use rayon::prelude::*;
        // Each identity hashed once, on every core (five strings an object).
        let hashes: Vec<u64> = objects.par_iter().map(|o| id_hash(&o.id)).collect();
        // The objects of each shard, in object order (a counting sort: linear, stable).
        let mut by_shard: Vec<Vec<usize>> = vec![Vec::new(); ID_SHARDS];
        for (i, &h) in hashes.iter().enumerate() {
            by_shard[shard_of(h)].push(i);
        }
        // Each shard: its table of local numbers, the first object of each local number, and
        // each of its objects' local number.
        type Shard = (hashbrown::HashTable<usize>, Vec<usize>, Vec<usize>);
        let mut shards: Vec<Shard> = by_shard
            .par_iter()
            .map(|members| {
                let mut table: hashbrown::HashTable<usize> = hashbrown::HashTable::new();
                let mut first: Vec<usize> = Vec::new();
                let mut local = Vec::with_capacity(members.len());
                for &i in members {
                    let hash = hashes[i];
                    let entry = table.entry(
                        hash,
                        |&n| hashes[first[n]] == hash && objects[first[n]].id == objects[i].id,
                        |&n| hashes[first[n]],
                    );
                    let n = match entry {
                        hashbrown::hash_table::Entry::Occupied(e) => *e.get(),
                        hashbrown::hash_table::Entry::Vacant(e) => {
                            first.push(i);
                            *e.insert(first.len() - 1).get()
                        }
                    };
                    local.push(n);
                }
                (table, first, local)
            })
            .collect();
        // Identity numbers in the order of their first objects, across the shards.
        let mut firsts: Vec<(usize, usize, usize)> = shards
            .iter()
            .enumerate()
            .flat_map(|(s, (_, first, _))| first.iter().enumerate().map(move |(n, &o)| (o, s, n)))
            .collect();
        firsts.sort_unstable();
        let mut global: Vec<Vec<usize>> = shards
            .iter()
            .map(|(_, first, _)| vec![0; first.len()])
            .collect();
        for (number, &(_, s, n)) in firsts.iter().enumerate() {
            global[s][n] = number;
        }
        let mut numbers = vec![0usize; objects.len()];
        for ((members, (table, _, local)), global) in by_shard.iter().zip(&mut shards).zip(&global)
        {
            for (&i, &n) in members.iter().zip(local.iter()) {
                numbers[i] = global[n];
            }
            for n in table.iter_mut() {
                *n = global[*n];
            }
        }
        Identities {
            groups: Grouped::new(firsts.len(), &numbers),
            shards: shards.into_iter().map(|(table, _, _)| table).collect(),
        }
    }

    fn get(&self, objects: &[Object], id: &ObjectId) -> &[ObjectIdx] {
        let groups = &self.groups;
        let hash = id_hash(id);
        self.shards
            .get(shard_of(hash))
            .and_then(|table| {
                table.find(hash, |&n| {
                    groups
                        .get(n)
                        .first()
                        .is_some_and(|o| objects[o.0].id == *id)
                })
            })
            .map_or(&[], |&n| groups.get(n))
    }
}

impl Inventory {
    pub fn new(
        sources: Sources,
        units: Vec<RenderUnit>,
        objects: Vec<Object>,
        scopes: Scopes,
    ) -> Self {
        // The three indexes are independent: built side by side, each the same as alone.
        let group = |keys: Vec<usize>, n: usize| {
            Grouped::new(n.max(keys.iter().max().map_or(0, |m| m + 1)), &keys)
        };
        let (by_id, (by_file, by_unit)) = rayon::join(
            || Identities::new(&objects),
            || {
                rayon::join(
                    || group(objects.iter().map(|o| o.file.0).collect(), sources.len()),
                    || group(objects.iter().map(|o| o.unit.0).collect(), units.len()),
                )
            },
        );
        Inventory {
            sources,
            units,
            objects,
            scopes,
            applications: Vec::new(),
            projects: Vec::new(),
            clusters: Vec::new(),
            clusters_declared: false,
            notes: Vec::new(),
            deployed_files: Default::default(),
            argocd_namespace: "argocd".to_string(),
            argocd_namespace_origin: Default::default(),
            render_stats: Default::default(),
            own: None,
            config_changes: Vec::new(),
            options: super::options::RuleOptions::default(),
            root: std::path::PathBuf::new(),
            by_id,
            by_file,
            by_unit,
            memo: Memo::default(),
        }
    }

    pub fn app(&self, idx: AppIdx) -> &Application {
        &self.applications[idx.0]
    }

    pub fn apps(&self) -> impl Iterator<Item = (AppIdx, &Application)> {
        self.applications
            .iter()
            .enumerate()
            .map(|(i, a)| (AppIdx(i), a))
    }

    /// Appends another inventory's files and objects (the base revision of a diff), so one
    /// report can point into both. The appended objects belong to one unit of their own and are
    /// not indexed: rules are not run on a merged inventory.
    pub fn absorb(&mut self, other: Inventory) -> Offsets {
        let offsets = Offsets {
            files: self.sources.len(),
            objects: self.objects.len(),
        };
        self.own.get_or_insert(offsets);
        let unit = UnitId(self.units.len());
        self.units.push(RenderUnit {
            dir: None,
            name: "the base revision".into(),
            location: None,
            cluster: String::new(),
            namespace: String::new(),
            app: None,
        });
        let Inventory {
            sources, objects, ..
        } = other;
        for (_, file) in sources.iter() {
            let mut file = file.clone();
            if let Some(rendered) = &mut file.rendered {
                rendered.shift(offsets.files);
            }
            self.sources.push(file);
        }
        for mut o in objects {
            o.file = FileId(o.file.0 + offsets.files);
            if let Some(origin) = &mut o.origin {
                origin.file = FileId(origin.file.0 + offsets.files);
            }
            if let Some((file, _)) = &mut o.source_doc {
                *file = FileId(file.0 + offsets.files);
            }
            o.unit = unit;
            self.objects.push(o);
        }
        offsets
    }

    /// The Applications Argo CD keeps (see `Application::is_live`).
    pub fn live_apps(&self) -> impl Iterator<Item = (AppIdx, &Application)> {
        self.apps().filter(|(_, a)| a.is_live())
    }

    /// The Application that renders an object, if any.
    pub fn app_of(&self, object: &Object) -> Option<&Application> {
        self.unit(object.unit).app.map(|a| self.app(a))
    }

    pub fn project(&self, namespace: &str, name: &str) -> Option<&AppProject> {
        // Argo CD looks projects up in its own namespace; an Application in another namespace
        // still names a project there.
        self.projects
            .iter()
            .rev()
            .find(|p| p.name == name && (p.namespace == namespace || namespace.is_empty()))
            .or_else(|| self.projects.iter().rev().find(|p| p.name == name))
    }

    pub fn cluster(&self, name: &str) -> Option<&Cluster> {
        self.clusters.iter().rev().find(|c| c.name == name)
    }

    pub fn object(&self, idx: ObjectIdx) -> &Object {
        &self.objects[idx.0]
    }

    pub fn unit(&self, id: UnitId) -> &RenderUnit {
        &self.units[id.0]
    }

    /// Which definitions of one Argo CD name replace each other.
    pub fn reaches(&self) -> Reaches<'_> {
        Reaches::new(&self.units, &self.objects)
    }

    pub fn objects(&self) -> impl Iterator<Item = (ObjectIdx, &Object)> {
        self.objects
            .iter()
            .enumerate()
            .map(|(i, o)| (ObjectIdx(i), o))
    }

    /// Every identity with the objects that carry it (in object order), in the order the
    /// identities first appear among the objects.
    pub fn by_identity(&self) -> impl Iterator<Item = (&ObjectId, &[ObjectIdx])> {
        let groups = &self.by_id.groups;
        (0..groups.keys()).filter_map(move |n| {
            let objects = groups.get(n);
            objects.first().map(|o| (&self.objects[o.0].id, objects))
        })
    }

    pub fn with_identity(&self, id: &ObjectId) -> &[ObjectIdx] {
        self.by_id.get(&self.objects, id)
    }

    /// The objects a unit renders, in file and document order.
    pub fn in_unit(&self, unit: UnitId) -> &[ObjectIdx] {
        self.by_unit.get(unit.0)
    }

    /// The objects read from one file, in document order.
    pub fn in_file(&self, file: FileId) -> &[ObjectIdx] {
        self.by_file.get(file.0)
    }
}

/// Which other definitions of one Argo CD name an Argo CD object (Application, ApplicationSet,
/// AppProject) collides with. A directory of plain manifests that nothing renders is applied by
/// hand, as one thing, like any other directory unit (`kubectl apply -f dir/`): two such
/// directories are two separate applies, as `duplicate-resource` has them, so what each writes
/// does not replace what the other writes. What an Application or a root renders is applied by
/// Argo CD (or with the root): it replaces whatever else has its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reach {
    /// Rendered by an Application or a root, or of unknown origin: collides with every other
    /// definition of its name.
    Everywhere,
    /// Written in the plain manifests of this directory unit, applied by hand.
    Directory(UnitId),
}

impl Reach {
    /// Whether two definitions of one name replace each other.
    pub fn collides(self, other: Reach) -> bool {
        self == Reach::Everywhere || other == Reach::Everywhere || self == other
    }

    /// Splits definitions of one name into the groups that replace each other, in input
    /// order: all of them when one collides with every other (an object Argo CD applies meets
    /// each hand-applied copy of its name), else one group per directory unit.
    pub fn groups<T>(items: Vec<(Reach, T)>) -> Vec<Vec<T>> {
        if items.iter().any(|(r, _)| *r == Reach::Everywhere) {
            return vec![items.into_iter().map(|(_, t)| t).collect()];
        }
        let mut groups: Vec<(Reach, Vec<T>)> = Vec::new();
        for (reach, item) in items {
            match groups.iter_mut().find(|(r, _)| *r == reach) {
                Some((_, g)) => g.push(item),
                None => groups.push((reach, vec![item])),
            }
        }
        groups.into_iter().map(|(_, g)| g).collect()
    }
}

/// The [`Reach`] of objects and Applications, over units and objects not yet in an inventory
/// (the render stage decides which definition replaces which before building it).
pub struct Reaches<'a> {
    units: &'a [RenderUnit],
    objects: &'a [Object],
    /// Each ApplicationSet object by its `metadata.name` location: what generated Applications
    /// name as their ApplicationSet.
    appsets: rustc_hash::FxHashMap<Location, ObjectIdx>,
}

impl<'a> Reaches<'a> {
    pub fn new(units: &'a [RenderUnit], objects: &'a [Object]) -> Self {
        let mut appsets = rustc_hash::FxHashMap::default();
        for (i, o) in objects.iter().enumerate() {
            if o.id.group == "argoproj.io" && o.id.kind == "ApplicationSet" {
                appsets.entry(o.name_location()).or_insert(ObjectIdx(i));
            }
        }
        Reaches {
            units,
            objects,
            appsets,
        }
    }

    pub fn object(&self, o: &Object) -> Reach {
        match self.units.get(o.unit.0) {
            Some(unit) if unit.dir.is_some() && unit.app.is_none() => Reach::Directory(o.unit),
            _ => Reach::Everywhere,
        }
    }

    /// An Application's: its own object's, or for a generated one its ApplicationSet's. One
    /// that an Application or a root renders is Argo CD's.
    pub fn app(&self, app: &Application) -> Reach {
        if app.origin.parent.is_some() || app.origin.root.is_some() {
            return Reach::Everywhere;
        }
        let written = match (app.object, &app.origin.generator) {
            (Some(o), _) => Some(o),
            (None, Some(g)) => self.appsets.get(&g.appset_at).copied(),
            (None, None) => None,
        };
        written
            .and_then(|o| self.objects.get(o.0))
            .map_or(Reach::Everywhere, |o| self.object(o))
    }

    /// Whether two Applications are alternatives that never exist together: written (or
    /// generated by ApplicationSets written) in two directories applied by hand, under one
    /// Argo CD name. Applying one directory replaces what the other made of that name.
    pub fn alternatives(&self, a: &Application, b: &Application) -> bool {
        if self.app(a).collides(self.app(b)) || a.namespace != b.namespace {
            return false;
        }
        let one_appset = match (&a.origin.generator, &b.origin.generator) {
            (Some(x), Some(y)) => x.appset == y.appset,
            _ => false,
        };
        a.name == b.name || one_appset
    }
}

#[cfg(test)]
mod tests {

    /// Rules running in parallel that ask for one memo build it once and share it.
    #[test]
    fn a_memo_is_built_once_and_shared() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let memo = Memo::default();
        let builds = AtomicUsize::new(0);
        let values: Vec<usize> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    s.spawn(|| {
                        *memo.get(|| {
                            builds.fetch_add(1, Ordering::SeqCst);
                            42usize
                        })
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("thread"))
                .collect()
        });
        assert_eq!(values, vec![42; 8]);
        assert_eq!(builds.load(Ordering::SeqCst), 1);
        // Another type has a slot of its own.
        assert_eq!(*memo.get(|| "x"), "x");
    }
    use super::*;

    /// One definition Argo CD applies meets every hand-applied copy of its name; without one,
    /// each directory's copies meet only each other.
    #[test]
    fn definitions_meet_per_directory_unless_argo_cd_applies_one() {
        let (a, b) = (Reach::Directory(UnitId(1)), Reach::Directory(UnitId(2)));
        assert_eq!(
            Reach::groups(vec![(a, 1), (b, 2), (a, 3)]),
            vec![vec![1, 3], vec![2]]
        );
        assert_eq!(
            Reach::groups(vec![(a, 1), (b, 2), (Reach::Everywhere, 3)]),
            vec![vec![1, 2, 3]]
        );
        assert!(!a.collides(b) && a.collides(a) && b.collides(Reach::Everywhere));
    }
}

/// How many renders were asked for, and how many ran a tool.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RenderStats {
    pub requested: usize,
    /// Renders that ran a tool (the rest were identical to another in the run, or on disk).
    pub executed: usize,
    pub from_disk: usize,
}

/// What a change to the configuration loosens (`check --config-rev`, `diff`), placed in the
/// head's config file, for the `config-loosened` rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigFinding {
    pub location: Location,
    /// A warning (an error-level rule or a protected cluster loosened); otherwise a note.
    pub warning: bool,
    pub message: String,
}
