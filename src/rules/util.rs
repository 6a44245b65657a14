//! Helpers shared by rules: describing objects and lines the same way in every message.

use crate::diagnostic::{Diagnostic, Severity};
use crate::load::Location;
use crate::model::{AppIdx, Inventory, Object, ObjectIdx};
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

/// Where an object comes from, as a related location, in the one wording every rule uses: the
/// Application that deploys it ("rendered by Application `x`", at the Application's name), or,
/// for a tool's output that no Application deploys, the kustomization or chart that rendered it.
/// `None` for a file applied as it is, outside any Application: its own location says it all.
pub fn provenance(inventory: &Inventory, idx: ObjectIdx) -> Option<(Location, String)> {
    let object = inventory.object(idx);
    let unit = inventory.unit(object.unit);
    if let Some(app) = unit.app {
        let app = inventory.app(app);
        // An Application is not its own provenance (an app-of-apps child names its parent).
        if app.object == Some(idx) {
            return None;
        }
        return Some((
            app.locations.name,
            format!("rendered by {}", app_name(inventory, app)),
        ));
    }
    let at = unit.location.filter(|_| object.origin.is_some())?;
    Some((at, format!("rendered by {}", unit.name)))
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

// --- quorum and disruptions ---
//
// What the availability rules share: the workloads whose pods a PodDisruptionBudget can select,
// Kubernetes' label selectors, `IntOrString` scaling, and one index per (cluster, namespace)
// built once per rule, so that a PDB is matched against its own namespace only.

use std::collections::HashMap;

use crate::load::Node;

/// A workload whose pods a PodDisruptionBudget can select: the kinds the disruption controller
/// finds a scale for (Deployment through its ReplicaSet, StatefulSet, ReplicaSet,
/// ReplicationController; kubernetes `pkg/controller/disruption/disruption.go`, `finders`),
/// a DaemonSet (whose pods a PDB can select, though with no fixed count), and a bare Pod.
#[derive(Debug)]
pub struct PodOwner<'a> {
    pub idx: ObjectIdx,
    pub object: &'a Object,
    /// The pod template's labels (a bare Pod's own).
    pub labels: Labels<'a>,
    /// The pods it asks for: `spec.replicas`, 1 when unset (the API default); a bare Pod is 1.
    /// `None` when the manifest does not fix it: a DaemonSet (one per node), or a value that is
    /// not a non-negative integer.
    pub replicas: Option<u64>,
    /// A StatefulSet whose pod template names one of its own members (`discovers_peers`).
    names_peers: bool,
}

impl PodOwner<'_> {
    pub fn is_statefulset(&self) -> bool {
        self.object.id.group == "apps" && self.object.id.kind == "StatefulSet"
    }

    /// Where the replica count is written, or the name when it is left to its default.
    pub fn replicas_location(&self) -> Location {
        match self.object.node.path(&["spec", "replicas"]) {
            Some(n) => self.object.locate(n.span),
            None => self.object.name_location(),
        }
    }
}

/// A node's place below an object's node: the index of the entry taken at each key (at most
/// four keys), so that the memo can keep where a workload's pod labels are without borrowing the
/// inventory, and the rules find them again without comparing keys.
#[derive(Debug, Clone, Copy)]
struct NodeAddr {
    steps: [u32; 4],
    len: u8,
}

impl NodeAddr {
    /// Where `node.path(keys)` is (the same entry: the last of duplicate keys).
    fn of(node: &Node, keys: &[&str]) -> Option<Self> {
        let mut addr = NodeAddr {
            steps: [0; 4],
            len: 0,
        };
        let mut at = node;
        for (slot, key) in addr.steps.iter_mut().zip(keys) {
            let entries = at.entries();
            let i = entries
                .iter()
                .rposition(|e| e.key.as_scalar_text() == Some(*key))?;
            *slot = u32::try_from(i).ok()?;
            at = &entries[i].value;
        }
        // A longer path is not one this module keeps.
        (keys.len() <= addr.steps.len()).then(|| {
            addr.len = keys.len() as u8;
            addr
        })
    }

    fn resolve(self, node: &Node) -> Option<&Node> {
        self.steps[..usize::from(self.len)]
            .iter()
            .try_fold(node, |at, &i| Some(&at.entries().get(i as usize)?.value))
    }
}

/// What the memo keeps of a workload a PDB can select (see `PodOwner`), read from its manifest
/// once for the six rules that ask.
#[derive(Debug)]
struct OwnerFacts {
    idx: ObjectIdx,
    labels: Option<NodeAddr>,
    replicas: Option<u64>,
    names_peers: bool,
}

impl OwnerFacts {
    /// The facts of `object`, when a PDB can select its pods.
    fn of(inventory: &Inventory, idx: ObjectIdx, object: &Object) -> Option<Self> {
        let node: &Node = &object.node;
        let (labels, replicas) = match (object.id.group.as_str(), object.id.kind.as_str()) {
            ("apps", "Deployment" | "StatefulSet" | "ReplicaSet")
            | ("", "ReplicationController") => (
                NodeAddr::of(node, &["spec", "template", "metadata", "labels"]),
                replicas_of(object),
            ),
            ("apps", "DaemonSet") => (
                NodeAddr::of(node, &["spec", "template", "metadata", "labels"]),
                None,
            ),
            ("", "Pod") => (NodeAddr::of(node, &["metadata", "labels"]), Some(1)),
            _ => return None,
        };
        let statefulset = object.id.group == "apps" && object.id.kind == "StatefulSet";
        Some(OwnerFacts {
            idx,
            labels,
            replicas,
            names_peers: statefulset && discovers_peers(inventory, object),
        })
    }

    fn owner<'a>(&self, inventory: &'a Inventory) -> PodOwner<'a> {
        let object = inventory.object(self.idx);
        PodOwner {
            idx: self.idx,
            object,
            labels: Labels(self.labels.and_then(|a| a.resolve(&object.node))),
            replicas: self.replicas,
            names_peers: self.names_peers,
        }
    }
}

/// `spec.replicas`, 1 when unset or null (the apps/v1 default).
fn replicas_of(object: &Object) -> Option<u64> {
    match object.node.path(&["spec", "replicas"]) {
        None => Some(1),
        Some(n) if n.is_null() => Some(1),
        Some(n) => n.to_json().as_u64(),
    }
}

/// A `labels:` mapping read in place (six rules match selectors against every workload's pod
/// labels: no map is built per workload). A key's value is its last scalar one (a
/// later duplicate wins, as in Kubernetes' decoding).
#[derive(Debug, Clone, Copy, Default)]
pub struct Labels<'a>(pub Option<&'a Node>);

impl<'a> Labels<'a> {
    pub fn get(&self, key: &str) -> Option<&'a str> {
        self.0?
            .entries()
            .iter()
            .rev()
            .filter(|e| e.key.as_scalar_text() == Some(key))
            .find_map(|e| e.value.as_scalar_text())
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }
}

/// One requirement of a label selector (`matchLabels` entries are `In` with one value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requirement<'a> {
    In(&'a str, Vec<&'a str>),
    NotIn(&'a str, Vec<&'a str>),
    Exists(&'a str),
    DoesNotExist(&'a str),
}

impl Requirement<'_> {
    /// As `labels.Requirement.Matches` (k8s.io/apimachinery `pkg/labels/selector.go`): `In`
    /// needs the label with one of the values; `NotIn` holds when the label is absent or has
    /// another value; `Exists` and `DoesNotExist` look at the key only.
    fn matches(&self, labels: &Labels<'_>) -> bool {
        match self {
            Requirement::In(k, values) => labels.get(k).is_some_and(|v| values.contains(&v)),
            Requirement::NotIn(k, values) => labels.get(k).is_none_or(|v| !values.contains(&v)),
            Requirement::Exists(k) => labels.contains_key(k),
            Requirement::DoesNotExist(k) => !labels.contains_key(k),
        }
    }
}

/// A `metav1.LabelSelector` as `metav1.LabelSelectorAsSelector` reads it
/// (k8s.io/apimachinery `pkg/apis/meta/v1/helpers.go`): a null selector is `labels.Nothing()`,
/// one with no `matchLabels` and no `matchExpressions` is `labels.Everything()`, otherwise the
/// AND of every requirement; an unknown operator is an error (the API server refuses it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabelSelector<'a> {
    Nothing,
    Everything,
    All(Vec<Requirement<'a>>),
    /// Not a selector Kubernetes would accept (an unknown operator, `In` without values): what
    /// it selects is not known, so rules about it say nothing.
    Invalid,
}

impl<'a> LabelSelector<'a> {
    /// The selector at `node` (`None` or null: no selector).
    pub fn parse(node: Option<&'a Node>) -> Self {
        let Some(node) = node.filter(|n| !n.is_null()) else {
            return LabelSelector::Nothing;
        };
        if !node.is_map() {
            return LabelSelector::Invalid;
        }
        let mut all = Vec::new();
        if let Some(labels) = node.get("matchLabels").filter(|n| !n.is_null()) {
            for e in labels.entries() {
                let (Some(k), Some(v)) = (e.key.as_scalar_text(), e.value.as_scalar_text()) else {
                    return LabelSelector::Invalid;
                };
                all.push(Requirement::In(k, vec![v]));
            }
        }
        if let Some(exprs) = node.get("matchExpressions").filter(|n| !n.is_null()) {
            for expr in exprs.items() {
                let Some(key) = expr.get("key").and_then(Node::as_str) else {
                    return LabelSelector::Invalid;
                };
                let values: Vec<&str> = expr
                    .get("values")
                    .map(|v| v.items().iter().filter_map(Node::as_scalar_text).collect())
                    .unwrap_or_default();
                // `labels.NewRequirement`: `In`/`NotIn` need values, `Exists`/`DoesNotExist`
                // must have none.
                let r = match expr.get("operator").and_then(Node::as_str) {
                    Some("In") if !values.is_empty() => Requirement::In(key, values),
                    Some("NotIn") if !values.is_empty() => Requirement::NotIn(key, values),
                    Some("Exists") if values.is_empty() => Requirement::Exists(key),
                    Some("DoesNotExist") if values.is_empty() => Requirement::DoesNotExist(key),
                    _ => return LabelSelector::Invalid,
                };
                all.push(r);
            }
        }
        if all.is_empty() {
            LabelSelector::Everything
        } else {
            LabelSelector::All(all)
        }
    }

    /// Whether pods with `labels` are selected; `None` when that is not known.
    pub fn matches(&self, labels: &Labels<'_>) -> Option<bool> {
        match self {
            LabelSelector::Nothing => Some(false),
            LabelSelector::Everything => Some(true),
            LabelSelector::All(all) => Some(all.iter().all(|r| r.matches(labels))),
            LabelSelector::Invalid => None,
        }
    }
}

/// An `IntOrString` budget value (`minAvailable`, `maxUnavailable`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntOrPercent {
    Int(u64),
    Percent(u64),
}

impl IntOrPercent {
    /// A plain integer, or a string `N%`; anything else (a quoted `"2"`, a negative number) is
    /// refused by the API server's validation of a PodDisruptionBudget, so it is `None`.
    pub fn parse(node: &Node) -> Option<Self> {
        match node.to_json() {
            serde_json::Value::Number(n) => n.as_u64().map(IntOrPercent::Int),
            serde_json::Value::String(s) => s
                .strip_suffix('%')
                .and_then(|p| p.parse::<u64>().ok())
                .filter(|p| *p <= 100)
                .map(IntOrPercent::Percent),
            _ => None,
        }
    }

    /// `intstr.GetScaledValueFromIntOrPercent(value, total, roundUp=true)`, as the disruption
    /// controller calls it for both `maxUnavailable` and a percentage `minAvailable`
    /// (`getExpectedPodCount`): a percentage of `total`, rounded up.
    pub fn scaled_up(self, total: u64) -> u64 {
        match self {
            IntOrPercent::Int(n) => n,
            IntOrPercent::Percent(p) => (p.saturating_mul(total)).div_ceil(100),
        }
    }
}

/// A PodDisruptionBudget, read once.
#[derive(Debug)]
pub struct Budget<'a> {
    pub idx: ObjectIdx,
    pub object: &'a Object,
    pub selector: LabelSelector<'a>,
}

impl<'a> Budget<'a> {
    fn new(idx: ObjectIdx, object: &'a Object) -> Self {
        let node = object.node.path(&["spec", "selector"]);
        let mut selector = LabelSelector::parse(node);
        // policy/v1beta1 gave an empty selector the opposite meaning: it selected no pod
        // (Kubernetes' "Specifying a Disruption Budget": "An empty selector in policy/v1beta1
        // matches zero pods, while in policy/v1 an empty selector matches every pod in the
        // namespace").
        if selector == LabelSelector::Everything && object.api_version == "policy/v1beta1" {
            selector = LabelSelector::Nothing;
        }
        Budget {
            idx,
            object,
            selector,
        }
    }

    /// `spec.maxUnavailable` (which the controller reads first) or `spec.minAvailable`.
    pub fn limit(&self) -> Option<(&'static str, &'a Node)> {
        ["maxUnavailable", "minAvailable"]
            .into_iter()
            .find_map(|k| {
                self.object
                    .node
                    .path(&["spec", k])
                    .filter(|n| !n.is_null())
                    .map(|n| (k, n))
            })
    }
}

/// What one namespace of one cluster holds for the availability rules.
#[derive(Debug, Default)]
pub struct PodNamespace<'a> {
    pub owners: Vec<PodOwner<'a>>,
    pub budgets: Vec<Budget<'a>>,
    pub autoscalers: Vec<&'a Object>,
    /// Why the namespace may run pods the inventory does not show, when it may: a custom
    /// resource (an operator's StatefulSet or pods), a Job or CronJob, an Application deploying
    /// here that was not rendered.
    pub unseen_pods: Option<String>,
}

impl<'a> PodNamespace<'a> {
    /// The workloads a budget selects; `None` when its selector cannot be read.
    pub fn selected(&self, budget: &Budget<'_>) -> Option<Vec<&PodOwner<'a>>> {
        let mut out = Vec::new();
        for o in &self.owners {
            if budget.selector.matches(&o.labels)? {
                out.push(o);
            }
        }
        Some(out)
    }

    /// The budgets that select `owner`'s pods (an unreadable selector counts as selecting, so
    /// that a rule about a missing budget stays silent rather than guess).
    pub fn budgets_for(&self, owner: &PodOwner<'_>) -> impl Iterator<Item = &Budget<'a>> {
        self.budgets
            .iter()
            .filter(move |b| b.selector.matches(&owner.labels).unwrap_or(true))
    }

    /// The `minReplicas` of a HorizontalPodAutoscaler that scales `owner` (1 when unset, the
    /// autoscaling/v2 default).
    pub fn autoscaler_min(&self, owner: &PodOwner<'_>) -> Option<u64> {
        self.autoscalers.iter().find_map(|hpa| {
            let target = hpa.node.path(&["spec", "scaleTargetRef"])?;
            let kind = target.get("kind").and_then(Node::as_str)?;
            let name = target.get("name").and_then(Node::as_str)?;
            let group = target
                .get("apiVersion")
                .and_then(Node::as_str)
                .map(crate::model::group_of);
            if kind != owner.object.id.kind
                || name != owner.object.id.name
                || group.is_some_and(|g| g != owner.object.id.group)
            {
                return None;
            }
            match hpa.node.path(&["spec", "minReplicas"]) {
                None => Some(1),
                Some(n) => n.to_json().as_u64(),
            }
        })
    }
}

/// The workloads, PodDisruptionBudgets and HorizontalPodAutoscalers of the inventory, per
/// (cluster, namespace): each object once (the first of several definitions of one identity),
/// and only what a live Application, or no Application, deploys.
///
/// Built once per run and shared by the six rules that read it (`Shared::pods`).
#[derive(Debug, Default)]
pub struct PodIndex<'a> {
    /// In (cluster, namespace) order, each with its key.
    namespaces: Vec<((&'a str, &'a str), PodNamespace<'a>)>,
}

/// What `PodIndex` is built from, found once per inventory (six rules read it): per (cluster,
/// namespace), the objects that matter and why the namespace may run pods not in the inventory.
#[derive(Debug, Default)]
struct PodObjects {
    namespaces: Vec<FoundNamespace>,
}

/// One (cluster, namespace) of `PodObjects`: its budgets and autoscalers, its workloads read
/// once, and why it may run pods not in the inventory.
#[derive(Debug, Default)]
struct FoundNamespace {
    objects: Vec<ObjectIdx>,
    owners: Vec<OwnerFacts>,
    unseen: Option<String>,
}

impl PodObjects {
    fn new(inventory: &Inventory) -> Self {
        Self::read(inventory, false)
    }

    /// `parallel`: each object read on every core (only where no rule is running: see
    /// `PodIndex::warm`); the same result either way, folded in object order.
    fn read(inventory: &Inventory, parallel: bool) -> Self {
        use rayon::prelude::*;
        static BUILTIN: std::sync::LazyLock<rustc_hash::FxHashSet<(&'static str, &'static str)>> =
            std::sync::LazyLock::new(|| {
                crate::model::kinds::builtin()
                    .into_iter()
                    .map(|(g, k, _)| (g, k))
                    .collect()
            });
        /// What one object brings to its (cluster, namespace). Read on this thread only: this
        /// runs inside `Memo::get` (a `OnceLock`) from a rule that runs on rayon's pool, and a
        /// parallel loop here would let the thread, while it waits, take up another quorum
        /// rule that asks for this same memo: a re-entrant `get_or_init`, which deadlocks.
        struct Seen {
            idx: ObjectIdx,
            /// A custom resource or a Job: the namespace may run pods of its own.
            runs_pods: bool,
            /// A workload, budget or autoscaler kept (the first live definition of its
            /// identity), with its facts when a budget can select its pods.
            kept: Option<Option<OwnerFacts>>,
        }
        let read = |(i, o): (usize, &Object)| {
            let idx = ObjectIdx(i);
            if o.id.namespace.is_empty() {
                return None;
            }
            let (group, kind) = (o.id.group.as_str(), o.id.kind.as_str());
            let relevant = matches!(
                (group, kind),
                ("policy", "PodDisruptionBudget")
                    | ("autoscaling", "HorizontalPodAutoscaler")
                    | (
                        "apps",
                        "Deployment" | "StatefulSet" | "ReplicaSet" | "DaemonSet"
                    )
                    | ("", "ReplicationController" | "Pod")
            );
            let custom = !BUILTIN.contains(&(group, kind));
            let runs_pods = custom || matches!(kind, "Job" | "CronJob");
            if !relevant && !runs_pods {
                return None;
            }
            if inventory.app_of(o).is_some_and(|a| !a.is_live()) {
                return None;
            }
            // Each identity once: the first of its definitions a live Application (or none)
            // deploys.
            let live = |i: &&ObjectIdx| {
                inventory
                    .app_of(inventory.object(**i))
                    .is_none_or(|a| a.is_live())
            };
            let kept = (relevant && inventory.with_identity(&o.id).iter().find(live) == Some(&idx))
                .then(|| OwnerFacts::of(inventory, idx, o));
            Some(Seen {
                idx,
                runs_pods,
                kept,
            })
        };
        let seen: Vec<Seen> = if parallel {
            inventory
                .objects
                .par_iter()
                .enumerate()
                .filter_map(read)
                .collect()
        } else {
            inventory
                .objects
                .iter()
                .enumerate()
                .filter_map(read)
                .collect()
        };
        // Per (cluster, namespace), in object order: the objects that matter, and why it may
        // run unseen pods (the first object that says so). Found by hash (one lookup per
        // object; a B-tree compared the strings a dozen times each), then put in key order.
        let mut place: rustc_hash::FxHashMap<(&str, &str), usize> = Default::default();
        let mut namespaces: Vec<((&str, &str), FoundNamespace)> = Vec::new();
        for s in seen {
            let o = inventory.object(s.idx);
            let key = (o.id.cluster.as_str(), o.id.namespace.as_str());
            let at = *place.entry(key).or_insert_with(|| {
                namespaces.push((key, FoundNamespace::default()));
                namespaces.len() - 1
            });
            let ns = &mut namespaces[at].1;
            if s.runs_pods && ns.unseen.is_none() {
                ns.unseen = Some(format!(
                    "the namespace holds {}, which may run pods of its own",
                    o.id.short()
                ));
            }
            if let Some(facts) = s.kept {
                ns.objects.push(s.idx);
                ns.owners.extend(facts);
            }
        }
        // Keys are distinct: an unstable sort gives the one order.
        namespaces.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        PodObjects {
            namespaces: namespaces.into_iter().map(|(_, ns)| ns).collect(),
        }
    }
}

impl<'a> PodIndex<'a> {
    /// Builds the index on every core, before the rules run (`Rule::warm`, through
    /// `Shared::warm_pods`): the six rules that read it would otherwise wait, one core idle,
    /// while the first builds it alone.
    pub fn on_every_core(inventory: &'a Inventory) -> Self {
        Self::build(inventory, true)
    }

    /// Builds the index on this thread: what a rule on rayon's pool may do (see
    /// `PodObjects::read`: a parallel loop there could re-enter a `OnceLock` being built).
    pub fn new(inventory: &'a Inventory) -> Self {
        Self::build(inventory, false)
    }

    fn build(inventory: &'a Inventory, parallel: bool) -> Self {
        use rayon::prelude::*;
        let found = inventory.memo.get(|| PodObjects::read(inventory, parallel));
        let of = |found: &FoundNamespace| {
            // A namespace with no workload, budget or autoscaler gives no rule anything to say.
            let &first = found.objects.first()?;
            // Keyed by the strings of the inventory's own objects, which the index borrows.
            let o = inventory.object(first);
            let key = (o.id.cluster.as_str(), o.id.namespace.as_str());
            let mut ns = PodNamespace::of(inventory, found);
            ns.unseen_pods.clone_from(&found.unseen);
            Some((key, ns))
        };
        // In key order either way (the memo's namespaces are).
        let namespaces: Vec<_> = if parallel {
            found.namespaces.par_iter().filter_map(of).collect()
        } else {
            found.namespaces.iter().filter_map(of).collect()
        };
        let mut index = PodIndex { namespaces };
        // What an Application deploys but could not be rendered offline may hold the workload.
        for note in inventory.notes.iter().filter(|n| n.not_rendered) {
            let Some(app) = note.app.map(|a| inventory.app(a)) else {
                continue;
            };
            let key = (
                app.destination.cluster.as_str(),
                app.destination.namespace.as_str(),
            );
            if let Ok(at) = index.namespaces.binary_search_by(|(k, _)| k.cmp(&key)) {
                let ns = &mut index.namespaces[at].1;
                if ns.unseen_pods.is_none() {
                    ns.unseen_pods = Some(format!(
                        "{} deploys here and was not rendered in full",
                        app_name(inventory, app)
                    ));
                }
            }
        }
        index
    }

    /// Every namespace with what it holds, in (cluster, namespace) order.
    pub fn iter(&self) -> impl Iterator<Item = &PodNamespace<'a>> {
        self.namespaces.iter().map(|(_, ns)| ns)
    }

    /// The workloads, budgets and autoscalers of the one namespace that holds object `idx`,
    /// found through an index built once: for `fix`, which plans one finding at a time and must
    /// not build the whole index per finding. Its `unseen_pods` is left unset (the rules that
    /// read it build the whole index).
    pub fn namespace_of(inventory: &'a Inventory, idx: ObjectIdx) -> Option<PodNamespace<'a>> {
        struct Place(HashMap<ObjectIdx, usize>);
        let found = inventory.memo.get(|| PodObjects::new(inventory));
        let place = inventory.memo.get(|| {
            let mut map = HashMap::new();
            for (i, found) in found.namespaces.iter().enumerate() {
                for &o in &found.objects {
                    map.insert(o, i);
                }
            }
            Place(map)
        });
        let found = found.namespaces.get(*place.0.get(&idx)?)?;
        Some(PodNamespace::of(inventory, found))
    }
}

impl<'a> PodNamespace<'a> {
    /// The budgets, autoscalers and pod owners of one namespace the memo found (what may run
    /// unseen pods there is the index's to add).
    fn of(inventory: &'a Inventory, found: &FoundNamespace) -> Self {
        let mut ns = PodNamespace::default();
        for &idx in &found.objects {
            let o = inventory.object(idx);
            match o.id.kind.as_str() {
                "PodDisruptionBudget" => ns.budgets.push(Budget::new(idx, o)),
                "HorizontalPodAutoscaler" => ns.autoscalers.push(o),
                _ => {}
            }
        }
        ns.owners
            .extend(found.owners.iter().map(|f| f.owner(inventory)));
        ns
    }
}

/// The most members a quorum of `n` may lose and keep a majority: ⌊(n−1)/2⌋.
pub fn quorum_tolerates(n: u64) -> u64 {
    n.saturating_sub(1) / 2
}

/// The members a quorum of `n` needs: ⌊n/2⌋+1.
pub fn quorum_of(n: u64) -> u64 {
    n / 2 + 1
}

/// The members of a quorum system, when `owner` is one: a StatefulSet with at least `floor`
/// replicas whose pods find their peers by name. Every quorum system must be told its members
/// (etcd's `--initial-cluster`, ZooKeeper's `ZOO_SERVERS`, Cassandra's seeds, a `--join` list,
/// MinIO's `http://minio-{0...3}.minio…`, Redis Sentinel's `sentinel monitor`), and a
/// StatefulSet gives them stable names, `<name>-0`, `<name>-1`…: so a container argument,
/// command or environment value, or the data of a ConfigMap the pods mount or read, that names
/// one of its own members marks one. Naming the headless Service alone does not: a read replica
/// names its primary through the same Service (Bitnami Redis' `r-redis-master-0.r-redis-headless`)
/// and has no majority to lose; nor does a StatefulSet that names no peer (a web server with a
/// per-pod cache). A StatefulSet that runs the image of a known quorum system
/// ([`QUORUM_IMAGES`]) is one whatever its template spells out.
pub fn quorum_size(owner: &PodOwner<'_>, floor: u64) -> Option<u64> {
    let n = owner.replicas.filter(|n| *n >= floor)?;
    (owner.is_statefulset() && owner.names_peers).then_some(n)
}

/// Whether `text` names a member of the StatefulSet `name` (`name-0`, or `name-` before a
/// range such as MinIO's `{0...3}`) as a whole DNS label.
fn names_member(text: &str, name: &str) -> bool {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .any(|label| {
            label
                .strip_prefix(name)
                .and_then(|rest| rest.strip_prefix('-'))
                .is_some_and(|ordinal| ordinal.bytes().all(|b| b.is_ascii_digit()))
        })
}

/// The systems whose members vote (a majority must be up to write), by the name of their
/// image: a container image whose last path segment, without its tag or digest and without a
/// distributor's prefix (`cp-` for Confluent, `kubernetes-` for the Kubernetes ZooKeeper
/// tutorial's image), is one of these. They find their peers in ways the pod template does
/// not spell out: the Kubernetes "Running ZooKeeper" tutorial's `start-zookeeper --servers=3`
/// derives `zk-0…zk-2` from the pod's own host name, and `${VAR}` in a shell argument hides them.
/// Only systems that never run as several independent copies: MinIO, Cassandra, MongoDB, NATS,
/// Kafka or Elasticsearch pods may each stand alone (`minio server /data`) or not vote (brokers,
/// data nodes); when they do form a quorum they are told their members, which
/// `discovers_peers` sees.
const QUORUM_IMAGES: &[&str] = &["zookeeper", "etcd", "consul", "cockroach", "rabbitmq"];

/// Whether a container runs one of [`QUORUM_IMAGES`] (`registry.k8s.io/kubernetes-zookeeper:1.0`,
/// `confluentinc/cp-kafka:7.6`, `quay.io/coreos/etcd@sha256:…`). An exporter, proxy or operator
/// image (`kafka-exporter`) has another name and is not one.
fn runs_quorum_system(container: &Node) -> bool {
    let Some(image) = container.get("image").and_then(Node::as_str) else {
        return false;
    };
    let image = image.split('@').next().unwrap_or(image);
    let last = image.rsplit('/').next().unwrap_or(image);
    let name = last.split(':').next().unwrap_or(last);
    let name = name
        .strip_prefix("cp-")
        .or_else(|| name.strip_prefix("kubernetes-"))
        .unwrap_or(name);
    QUORUM_IMAGES.contains(&name)
}

/// Whether the pod template of StatefulSet `object` names one of its own members: in a
/// container's `args`, `command` or `env[].value`, or in the data of a ConfigMap of its
/// namespace that a volume, a projected volume or `envFrom` brings into the pods.
fn discovers_peers(inventory: &Inventory, object: &Object) -> bool {
    let Some(spec) = object.node.path(&["spec", "template", "spec"]) else {
        return false;
    };
    let name = object.id.name.as_str();
    let containers: Vec<&Node> = ["containers", "initContainers"]
        .into_iter()
        .flat_map(|k| spec.get(k).map(Node::items).unwrap_or_default())
        .collect();
    let in_spec = containers.iter().any(|c| {
        let lists = ["args", "command"]
            .into_iter()
            .flat_map(|k| c.get(k).map(Node::items).unwrap_or_default())
            .filter_map(Node::as_scalar_text);
        let env = c
            .get("env")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .filter_map(|e| e.get("value").and_then(Node::as_scalar_text));
        lists.chain(env).any(|t| names_member(t, name))
    });
    if in_spec || containers.iter().any(|c| runs_quorum_system(c)) {
        return true;
    }
    let volumes = spec.get("volumes").map(Node::items).unwrap_or_default();
    let mounted = volumes.iter().flat_map(|v| {
        let own = v.path(&["configMap", "name"]);
        let projected = v
            .path(&["projected", "sources"])
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .filter_map(|s| s.path(&["configMap", "name"]));
        own.into_iter().chain(projected)
    });
    let from_env = containers.iter().flat_map(|c| {
        c.get("envFrom")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .filter_map(|e| e.path(&["configMapRef", "name"]))
    });
    mounted
        .chain(from_env)
        .filter_map(Node::as_str)
        .any(|config_map| {
            let id = crate::model::ObjectId {
                cluster: object.id.cluster.clone(),
                group: String::new(),
                kind: "ConfigMap".into(),
                namespace: object.id.namespace.clone(),
                name: config_map.to_string(),
            };
            inventory.with_identity(&id).iter().any(|&idx| {
                inventory
                    .object(idx)
                    .node
                    .get("data")
                    .map(Node::entries)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|e| e.value.as_scalar_text())
                    .any(|t| names_member(t, name))
            })
        })
}
// --- autoscaling and probes ---

/// The pod template's containers of a workload, as Kubernetes nests them:
/// `spec.template.spec.containers` of Deployments, StatefulSets, DaemonSets, ReplicaSets and
/// Jobs, `spec.jobTemplate.spec.template.spec.containers` of CronJobs, `spec.containers` of Pods.
/// Empty for any other kind (a custom resource's pod template is its own business).
pub fn containers(object: &Object) -> &[crate::load::Node] {
    let path = containers_path(object);
    if path.is_empty() {
        return &[];
    }
    object.node.path(path).map_or(&[], crate::load::Node::items)
}

/// Where [`containers`] finds a kind's containers; empty for a kind without a pod template.
fn containers_path(object: &Object) -> &'static [&'static str] {
    match (object.id.group.as_str(), object.id.kind.as_str()) {
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
    }
}

/// The objects rules look for by kind, found in one pass over the inventory (twelve rules
/// read only workloads, autoscalers or stateful objects: without this, each walked every
/// object, a cache miss per object, to find a few). Each list in object order, as the
/// inventory's own; indices, so that it lives in the inventory's memo.
#[derive(Debug, Default)]
pub struct ByKind {
    /// The kinds whose pod template [`containers`] reads.
    pub workloads: Vec<ObjectIdx>,
    /// HorizontalPodAutoscalers ([`is_hpa`]).
    pub autoscalers: Vec<ObjectIdx>,
    /// `apps` StatefulSets.
    pub statefulsets: Vec<ObjectIdx>,
    /// What [`is_stateful`] holds of: claims, volumes, StatefulSets with claim templates.
    pub stateful: Vec<ObjectIdx>,
}

impl ByKind {
    const WORKLOAD: u8 = 1;
    const AUTOSCALER: u8 = 2;
    const STATEFULSET: u8 = 4;
    const STATEFUL: u8 = 8;

    /// The lists, built on this thread the first time a rule asks (a rule runs on rayon's pool:
    /// see `PodObjects::read` for why it must not build in parallel there).
    pub fn of(inventory: &Inventory) -> std::sync::Arc<Self> {
        inventory.memo.get(|| Self::read(inventory, false))
    }

    /// Builds the lists on every core: only from [`super::Rule::warm`], before the rules run.
    pub fn warm(inventory: &Inventory) {
        inventory.memo.get(|| Self::read(inventory, true));
    }

    fn read(inventory: &Inventory, parallel: bool) -> Self {
        use rayon::prelude::*;
        let class = |o: &Object| -> u8 {
            let mut c = 0;
            if !containers_path(o).is_empty() {
                c |= Self::WORKLOAD;
            }
            if is_hpa(o) {
                c |= Self::AUTOSCALER;
            }
            if o.id.group == "apps" && o.id.kind == "StatefulSet" {
                c |= Self::STATEFULSET;
            }
            if is_stateful(o) {
                c |= Self::STATEFUL;
            }
            c
        };
        let classes: Vec<u8> = if parallel {
            inventory.objects.par_iter().map(class).collect()
        } else {
            inventory.objects.iter().map(class).collect()
        };
        let mut by = ByKind::default();
        for (i, c) in classes.into_iter().enumerate() {
            let idx = ObjectIdx(i);
            for (bit, list) in [
                (Self::WORKLOAD, &mut by.workloads),
                (Self::AUTOSCALER, &mut by.autoscalers),
                (Self::STATEFULSET, &mut by.statefulsets),
                (Self::STATEFUL, &mut by.stateful),
            ] {
                if c & bit != 0 {
                    list.push(idx);
                }
            }
        }
        by
    }
}

/// Each object of `list` with its index, in the list's order.
pub fn each<'a>(
    inventory: &'a Inventory,
    list: &'a [ObjectIdx],
) -> impl Iterator<Item = (ObjectIdx, &'a Object)> + 'a {
    list.iter().map(|&i| (i, inventory.object(i)))
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
        None => {
            let by_name = inventory.memo.get(|| ByKindAndName::new(inventory));
            by_name
                .get(target.kind, target.name)
                .iter()
                .copied()
                .filter(|&i| {
                    let o = inventory.object(i);
                    o.id.cluster == hpa.id.cluster && o.id.namespace == hpa.id.namespace
                })
                .collect()
        }
    }
}

/// Objects by kind and name, any group: what a scale target without `apiVersion` may name.
/// Built once, the first time one is asked for.
struct ByKindAndName(std::collections::HashMap<(String, String), Vec<ObjectIdx>>);

impl ByKindAndName {
    fn new(inventory: &Inventory) -> Self {
        let mut map: std::collections::HashMap<(String, String), Vec<ObjectIdx>> =
            std::collections::HashMap::new();
        for (idx, o) in inventory.objects() {
            map.entry((o.id.kind.clone(), o.id.name.clone()))
                .or_default()
                .push(idx);
        }
        ByKindAndName(map)
    }

    fn get(&self, kind: &str, name: &str) -> &[ObjectIdx] {
        self.0
            .get(&(kind.to_string(), name.to_string()))
            .map_or(&[], Vec::as_slice)
    }
}

/// The workloads (objects with containers) named `name` on `cluster`, whatever their kind or
/// namespace, as `Kind/namespace/name`: what a scale target that names nothing most likely
/// meant. Built once, the first time one is asked for.
pub fn workloads_named(inventory: &Inventory, cluster: &str, name: &str) -> Vec<String> {
    struct Named(std::collections::HashMap<(String, String), Vec<String>>);
    let named = inventory.memo.get(|| {
        let mut map: std::collections::HashMap<(String, String), Vec<String>> =
            std::collections::HashMap::new();
        for (_, o) in inventory.objects() {
            if !containers(o).is_empty() {
                map.entry((o.id.cluster.clone(), o.id.name.clone()))
                    .or_default()
                    .push(o.id.short());
            }
        }
        for shorts in map.values_mut() {
            shorts.sort();
            shorts.dedup();
        }
        Named(map)
    });
    named
        .0
        .get(&(cluster.to_string(), name.to_string()))
        .cloned()
        .unwrap_or_default()
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
// --- data protection ---

/// For a finding at a template line that several generated Applications share (the first
/// named in the message): " (the same for N more Applications from this line: `a`, `b`)", or
/// nothing when only one does.
pub fn more_applications_from_line<T>(inventory: &Inventory, apps: &[(AppIdx, T)]) -> String {
    if apps.len() < 2 {
        return String::new();
    }
    format!(
        " (the same for {} more Applications from this line: {})",
        apps.len() - 1,
        crate::diagnostic::first_few(
            apps[1..]
                .iter()
                .map(|(a, _)| format!("`{}`", inventory.app(*a).name))
                .collect::<Vec<_>>(),
            5,
        )
    )
}

/// The annotation that carries an object's own Argo CD sync options.
pub const SYNC_OPTIONS_ANNOTATION: &str = "argocd.argoproj.io/sync-options";

/// The sync options written on an object, as Argo CD reads them: the annotation's value split on
/// commas, each item trimmed, empty items dropped (gitops-engine `pkg/sync/resource`
/// `GetAnnotationCSVs`, which `HasAnnotationOption` compares whole items against).
pub fn object_sync_options(object: &Object) -> Vec<&str> {
    object
        .annotation(SYNC_OPTIONS_ANNOTATION)
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

/// Whether the object's `argocd.argoproj.io/sync-options` holds `option` (`Prune=false`).
pub fn has_object_sync_option(object: &Object, option: &str) -> bool {
    object_sync_options(object).contains(&option)
}

/// Where a finding about an object's sync options points: the annotation's value, or the
/// object's name when it has none.
pub fn sync_options_location(object: &Object) -> Location {
    object
        .node
        .path(&["metadata", "annotations", SYNC_OPTIONS_ANNOTATION])
        .map_or_else(|| object.name_location(), |n| object.locate(n.span))
}

/// The Application Argo CD keeps that deploys `object`, if any.
pub fn live_app_of<'a>(
    inventory: &'a Inventory,
    object: &Object,
) -> Option<(crate::model::AppIdx, &'a crate::model::Application)> {
    let idx = inventory.unit(object.unit).app?;
    let app = inventory.app(idx);
    app.is_live().then_some((idx, app))
}

/// The ApplicationSet object that generated `app`, when it is generated.
pub fn appset_of<'a>(
    inventory: &'a Inventory,
    app: &crate::model::Application,
) -> Option<&'a Object> {
    let generated = app.origin.generator.as_ref()?;
    inventory.objects.iter().find(|o| {
        o.id.group == "argoproj.io"
            && o.id.kind == "ApplicationSet"
            && o.name_location() == generated.appset_at
    })
}

/// Where a key of an Application's `spec` is written: in the Application's own manifest, or for
/// a generated one in its ApplicationSet's `spec.template.spec` (the line every generated
/// Application comes from). `key_of_last` points at the last key rather than its value. Falls
/// back to the Application's name (a key set by `templatePatch` or a parent's render has no
/// line of its own).
pub fn app_spec_location(
    inventory: &Inventory,
    app: &crate::model::Application,
    path: &[&str],
    key_of_last: bool,
) -> Location {
    let find = |object: &Object, prefix: &[&str]| -> Option<Location> {
        let (last, parents) = path.split_last()?;
        let mut full: Vec<&str> = prefix.to_vec();
        full.extend_from_slice(parents);
        let parent = object.node.path(&full)?;
        let entry = parent.entry(last)?;
        let node = if key_of_last {
            &entry.key
        } else {
            &entry.value
        };
        Some(object.locate(node.span))
    };
    let written = app
        .object
        .and_then(|o| find(inventory.object(o), &["spec"]));
    written
        .or_else(|| appset_of(inventory, app).and_then(|o| find(o, &["spec", "template", "spec"])))
        .unwrap_or(app.locations.name)
}

/// Where one item of an Application's `spec.syncPolicy.syncOptions` is written (the item equal
/// to `option`), or the list, or the Application's name.
pub fn app_sync_option_location(
    inventory: &Inventory,
    app: &crate::model::Application,
    option: &str,
) -> Location {
    let find = |object: &Object, prefix: &[&str]| -> Option<Location> {
        let mut full: Vec<&str> = prefix.to_vec();
        full.extend_from_slice(&["syncPolicy", "syncOptions"]);
        let list = object.node.path(&full)?;
        let at = list
            .items()
            .iter()
            .find(|i| i.as_str() == Some(option))
            .map_or(list.span, |i| i.span);
        Some(object.locate(at))
    };
    app.object
        .and_then(|o| find(inventory.object(o), &["spec"]))
        .or_else(|| appset_of(inventory, app).and_then(|o| find(o, &["spec", "template", "spec"])))
        .unwrap_or(app.locations.name)
}

/// The sync options `object` lacks against the deletions `app` makes, in this order:
/// `Prune=false` when `app` prunes automatically, `Delete=false` when deleting `app` cascades.
/// gitops-engine `pkg/sync/common`: `Prune=false` / `Prune=confirm` keep an object out of a
/// prune; `Delete=false` / `Delete=confirm` out of the deletion of its Application. Each covers
/// only its own event (argo-cd issues 9853, 13503). `stateful-deletion-unprotected` reports what
/// this returns, and its fix adds exactly that.
pub fn missing_deletion_options(
    object: &Object,
    app: &crate::model::Application,
) -> Vec<&'static str> {
    let kept = |option: &str| {
        has_object_sync_option(object, &format!("{option}=false"))
            || has_object_sync_option(object, &format!("{option}=confirm"))
    };
    let mut missing = Vec::new();
    if app.sync.automated && app.sync.prune && !kept("Prune") {
        missing.push("Prune=false");
    }
    if deletion_cascades(app) && !kept("Delete") {
        missing.push("Delete=false");
    }
    missing
}

/// Whether deleting `app` deletes what it deployed: it carries the
/// `resources-finalizer.argocd.argoproj.io` finalizer, or an ApplicationSet generated it without
/// `preserveResourcesOnDeletion` from a template that names no finalizer — the ApplicationSet
/// controller then adds that finalizer itself (argo-cd `applicationset/utils/utils.go`
/// `RenderTemplateParams`: "Add the 'resources-finalizer' finalizer if the template application
/// doesn't have any finalizers, and there is no syncPolicy or preserveResourcesOnDeletion is
/// false").
pub fn deletion_cascades(app: &crate::model::Application) -> bool {
    app.has_cascade_finalizer()
        || app
            .origin
            .generator
            .as_ref()
            .is_some_and(|g| !g.preserve_resources && app.finalizers.is_empty())
}

/// Whether deleting the object deletes data: a claim; a volume whose
/// `persistentVolumeReclaimPolicy` is `Delete` (or the deprecated `Recycle`); a StatefulSet whose
/// `persistentVolumeClaimRetentionPolicy.whenDeleted` is `Delete`. A StatefulSet deleted with the
/// default `Retain` leaves its claims, and a StatefulSet of the same name adopts them again
/// (Kubernetes, StatefulSets "PersistentVolumeClaim retention"); a volume written by hand defaults
/// to `Retain`, and deleting its object leaves the disk (Persistent Volumes, "Reclaiming").
pub fn deletion_loses_data(object: &Object) -> bool {
    if !is_stateful(object) {
        return false;
    }
    let text = |path: &[&str]| object.node.path(path).and_then(|n| n.as_str());
    match object.id.kind.as_str() {
        "StatefulSet" => {
            text(&[
                "spec",
                "persistentVolumeClaimRetentionPolicy",
                "whenDeleted",
            ]) == Some("Delete")
        }
        "PersistentVolume" => matches!(
            text(&["spec", "persistentVolumeReclaimPolicy"]),
            Some("Delete" | "Recycle")
        ),
        _ => true,
    }
}

/// The Applications (with their stateful objects) whose setting is written at one line: a
/// generated Application's is in its ApplicationSet's template, shared by all it generates.
pub type AppsAtLine = (
    Location,
    Vec<(crate::model::AppIdx, Vec<crate::model::ObjectIdx>)>,
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::yaml;

    /// A quorum system by its image's name: the last path segment, tag, digest and a
    /// distributor's `cp-`/`kubernetes-` prefix dropped; an exporter or operator of one is not.
    #[test]
    fn quorum_systems_are_known_by_their_image_name() {
        let runs = |image: &str| {
            let text = format!("name: c\nimage: \"{image}\"\n");
            let parsed = yaml::parse(&text, yaml::Limits::default());
            let root = parsed.documents[0].root.clone().expect("a document");
            runs_quorum_system(&root)
        };
        for image in [
            "registry.k8s.io/kubernetes-zookeeper:1.0-3.4.10",
            "confluentinc/cp-zookeeper:7.6.0",
            "quay.io/coreos/etcd@sha256:0123abcd",
            "localhost:5000/etcd",
            "cockroachdb/cockroach:v24.1.0",
        ] {
            assert!(runs(image), "{image}");
        }
        for image in [
            "danielqsj/kafka-exporter:v1.7.0",
            "confluentinc/cp-kafka:7.6.0",
            "docker.elastic.co/elasticsearch/elasticsearch:8.14.0",
            "bitnami/redis:7.2",
            "nginx:1.27",
            "quay.io/minio/minio:RELEASE.2024-06-13T22-53-53Z",
            "mongo",
            "quay.io/strimzi/operator:0.41.0",
            "registry.example.com/zookeeper-ui:1.0",
            "",
        ] {
            assert!(!runs(image), "{image}");
        }
    }

    /// The memo keeps where a workload's pod labels are as entry indices: they must name the
    /// node `Node::path` finds, the last of duplicate keys included (a later duplicate wins,
    /// as in Kubernetes' decoding), and nothing when a key is missing or not a mapping's.
    #[test]
    fn a_node_address_finds_what_path_finds() {
        let text = "spec:\n  replicas: 3\n  template:\n    metadata:\n      labels: {app: a}\n      labels: {app: b}\n  template2: {}\nkind: X\n";
        let parsed = yaml::parse(text, yaml::Limits::default());
        let root = parsed.documents[0].root.clone().expect("a document");
        let keys = ["spec", "template", "metadata", "labels"];
        let addr = NodeAddr::of(&root, &keys).expect("an address");
        let found = addr.resolve(&root).expect("a node");
        assert!(std::ptr::eq(found, root.path(&keys).expect("the path")));
        assert_eq!(Labels(Some(found)).get("app"), Some("b"));
        assert!(NodeAddr::of(&root, &["spec", "template", "nope"]).is_none());
        assert!(NodeAddr::of(&root, &["kind", "x"]).is_none());
        assert!(NodeAddr::of(&root, &["spec", "a", "b", "c", "d"]).is_none());
        // Resolving against another tree never panics: a missing step is no node.
        let other = yaml::parse("a: 1\n", yaml::Limits::default()).documents[0]
            .root
            .clone()
            .expect("a document");
        assert!(addr.resolve(&other).is_none());
    }
}
