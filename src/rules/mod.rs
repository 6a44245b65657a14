//! The rule engine: the `Rule` trait, the registry (sorted by id), and running every enabled rule
//! over the inventory in parallel. Rules are pure: they read the inventory and return findings;
//! they never parse, read files, run tools or print. This module applies configuration (enabled
//! rules, severities) and suppressions, and sorts findings so output is deterministic.

use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;

use crate::diagnostic::suppression::{self, Suppressed};
use crate::diagnostic::{Diagnostic, Severity, placement};
use crate::diff::change::ChangeSet;
use crate::load::Location;
use crate::model::{Inventory, ObjectIdx};

pub mod util;

mod allow_empty_prune;
mod app_project_violation;
mod application_retarget;
mod appset_deletion_unprotected;
mod config_loosened;
mod crd_delete;
mod cross_namespace_target;
mod duplicate_application;
mod duplicate_resource;
mod duplicate_yaml_key;
mod hpa_cpu_without_requests;
mod hpa_min_exceeds_max;
pub(crate) mod hpa_replicas_conflict;
mod hpa_target_missing;
mod immutable_field_change;
mod incomplete_object;
mod liveness_equals_readiness;
mod liveness_without_startup;
mod not_rendered;
mod one_object_per_file;
mod parallel_pod_management_quorum;
mod pdb_blocks_eviction;
mod pdb_quorum_unsafe;
mod pdb_selects_nothing;
mod project_unrestricted;
mod protected_cluster_change;
mod quorum_pdb_missing;
mod quorum_spread_missing;
mod render_failed;
mod replace_on_stateful;
mod retention_policy_delete;
mod shared_resource;
mod stateful_delete;
mod stateful_deletion_unprotected;
mod stateful_rename;
mod tracking_label_in_volume_claim_template;
mod unknown_cluster;
mod unknown_project;
mod unreadable_file;
mod yaml_syntax;

/// A rule's fixed description: the id is the one key (file name, document, fixtures,
/// suppression comment, SARIF ruleId).
#[derive(Debug)]
pub struct Meta {
    pub id: &'static str,
    pub severity: Severity,
    pub summary: &'static str,
    /// The rule's document, `rules/<id>.md`.
    pub document: &'static str,
    /// What the rule reads, and so which commands run it: data a reviewer (and the catalogue)
    /// can read, instead of a method each rule overrides.
    pub reads: Reads,
}

/// What a rule reads: one inventory (`check`), or the change set between two revisions (`diff`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reads {
    /// One inventory: `check` runs it ([`Rule::check`]).
    Inventory,
    /// The change set: `diff` runs it ([`Rule::check_changes`]).
    Changes,
    /// The change set in `diff`, and one inventory in `check` as well ([`Rule::check`]):
    /// `config-loosened`, whose change `check --config-rev` knows too.
    ChangesAlsoInCheck,
}

impl Reads {
    /// Whether `check` runs the rule over its one inventory.
    pub const fn in_check(self) -> bool {
        matches!(self, Reads::Inventory | Reads::ChangesAlsoInCheck)
    }

    /// Whether `diff` runs the rule over the change set.
    pub const fn in_diff(self) -> bool {
        matches!(self, Reads::Changes | Reads::ChangesAlsoInCheck)
    }

    /// How the catalogue names what it reads (`rules --format json`, `"reads"`).
    pub const fn as_str(self) -> &'static str {
        if self.in_diff() {
            "changes"
        } else {
            "inventory"
        }
    }

    /// The commands that run the rule, as the catalogue lists them.
    pub const fn commands(self) -> &'static [&'static str] {
        match self {
            Reads::Inventory => &["check"],
            Reads::Changes => &["diff"],
            Reads::ChangesAlsoInCheck => &["check", "diff"],
        }
    }
}

impl Meta {
    /// A finding of this rule at `location`, with the rule's default severity.
    pub fn diagnostic(&'static self, location: Location, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            rule: self.id,
            severity: self.severity,
            message: message.into(),
            help: String::new(),
            location,
            label: String::new(),
            object: None,
            related: Vec::new(),
        }
    }

    /// A finding about object `idx`: at the node at `path` under it (its `metadata.name` when
    /// it has none, or for an empty path), carrying the object, and — once, in one wording — where
    /// it comes from ([`util::provenance`]: "rendered by Application `x`").
    pub fn on_object(
        &'static self,
        inventory: &Inventory,
        idx: ObjectIdx,
        path: &[&str],
        message: impl Into<String>,
    ) -> Diagnostic {
        self.at_node(
            inventory,
            idx,
            inventory.object(idx).location_at(path),
            message,
        )
    }

    /// [`Meta::on_object`] at a location the rule found itself (a node reached by walking the
    /// object — a container of a list, a label of a claim template — rather than by a path of
    /// keys): the object, and where it comes from, are attached the same way.
    pub fn at_node(
        &'static self,
        inventory: &Inventory,
        idx: ObjectIdx,
        at: Location,
        message: impl Into<String>,
    ) -> Diagnostic {
        let mut d = self.diagnostic(at, message).with_object(idx);
        if let Some((at, what)) = util::provenance(inventory, idx) {
            d = d.with_related(at, what);
        }
        d
    }

    /// A finding about a change: [`Meta::on_object`] on the head's object, or on the base's
    /// for what goes away. `None` for a change with neither side (none is built so).
    pub fn on_change(
        &'static self,
        set: &ChangeSet,
        change: &crate::diff::change::Change,
        path: &[&str],
        message: impl Into<String>,
    ) -> Option<Diagnostic> {
        let idx = change.head.or(change.base)?;
        Some(self.on_object(&set.inventory, idx, path, message))
    }
}

/// A rule reads either one inventory (`check`) or the change set between two (`diff`).
pub trait Rule: Sync + Send {
    fn meta(&self) -> &'static Meta;

    fn check(&self, _inventory: &Inventory) -> Vec<Diagnostic> {
        Vec::new()
    }

    /// What the engine calls in `check`: [`Rule::check`], unless the rule reads an index
    /// [`Shared`] holds for every rule of the run (a rule that overrides this has its `check`
    /// build a `Shared` of its own and call it).
    fn check_shared(&self, shared: &Shared<'_>) -> Vec<Diagnostic> {
        self.check(shared.inventory)
    }

    /// Builds, before the rules run in parallel, the indexes `check` will ask for that are
    /// worth building on every core. Inside a rule, on rayon's pool, an index must be built on
    /// the rule's own thread (see `util::PodIndex::new`); here nothing else is running yet.
    fn warm(&self, _shared: &Shared<'_>) {}

    /// Rules about changes (`diff`) read the change set instead of one inventory.
    fn check_changes(&self, _changes: &ChangeSet) -> Vec<Diagnostic> {
        Vec::new()
    }

    /// Whether the rule reads a change set: `meta().reads`, kept so that older code reads on.
    /// Do not override it: say it in `Meta.reads` (a test checks the two agree).
    fn is_change_rule(&self) -> bool {
        self.meta().reads.in_diff()
    }

    /// Whether a change rule runs in `check` too: `meta().reads`, kept like `is_change_rule`.
    fn also_in_check(&self) -> bool {
        self.meta().reads == Reads::ChangesAlsoInCheck
    }
}

/// The indexes several rules read, built once per run and handed to every rule
/// ([`Rule::check_shared`]). They borrow the inventory, so they cannot live in its `Memo`
/// (which holds owned values); six rules each building the pod index cost six times one.
pub struct Shared<'a> {
    pub inventory: &'a Inventory,
    pods: std::sync::OnceLock<util::PodIndex<'a>>,
}

impl<'a> Shared<'a> {
    pub fn new(inventory: &'a Inventory) -> Self {
        Shared {
            inventory,
            pods: std::sync::OnceLock::new(),
        }
    }

    /// The workloads, budgets and autoscalers per (cluster, namespace). A rule that asks first,
    /// on rayon's pool, builds it on its own thread; the others wait for it.
    pub fn pods(&self) -> &util::PodIndex<'a> {
        self.pods
            .get_or_init(|| util::PodIndex::new(self.inventory))
    }

    /// [`Shared::pods`], built on every core: only from [`Rule::warm`], before the rules run
    /// (on rayon's pool, a thread waiting for its parallel loop could take up a rule that asks
    /// for this same index: a re-entrant `get_or_init`, which deadlocks).
    pub fn warm_pods(&self) {
        self.pods
            .get_or_init(|| util::PodIndex::on_every_core(self.inventory));
    }
}

/// The registry, in id order IN SOURCE (a test reads this list and fails when a line is out of
/// order or twice): the order is the catalogue's, SARIF's and the findings' tie-break.
const REGISTRY: &[&dyn Rule] = &[
    &allow_empty_prune::AllowEmptyPrune,
    &app_project_violation::AppProjectViolation,
    &application_retarget::ApplicationRetarget,
    &appset_deletion_unprotected::AppsetDeletionUnprotected,
    &config_loosened::ConfigLoosened,
    &crd_delete::CrdDelete,
    &cross_namespace_target::CrossNamespaceTarget,
    &duplicate_application::DuplicateApplication,
    &duplicate_resource::DuplicateResource,
    &duplicate_yaml_key::DuplicateYamlKey,
    &hpa_cpu_without_requests::HpaCpuWithoutRequests,
    &hpa_min_exceeds_max::HpaMinExceedsMax,
    &hpa_replicas_conflict::HpaReplicasConflict,
    &hpa_target_missing::HpaTargetMissing,
    &immutable_field_change::ImmutableFieldChange,
    &incomplete_object::IncompleteObject,
    &liveness_equals_readiness::LivenessEqualsReadiness,
    &liveness_without_startup::LivenessWithoutStartup,
    &not_rendered::NotRendered,
    &one_object_per_file::OneObjectPerFile,
    &parallel_pod_management_quorum::ParallelPodManagementQuorum,
    &pdb_blocks_eviction::PdbBlocksEviction,
    &pdb_quorum_unsafe::PdbQuorumUnsafe,
    &pdb_selects_nothing::PdbSelectsNothing,
    &project_unrestricted::ProjectUnrestricted,
    &protected_cluster_change::ProtectedClusterChange,
    &quorum_pdb_missing::QuorumPdbMissing,
    &quorum_spread_missing::QuorumSpreadMissing,
    &render_failed::RenderFailed,
    &replace_on_stateful::ReplaceOnStateful,
    &retention_policy_delete::RetentionPolicyDelete,
    &shared_resource::SharedResource,
    &stateful_delete::StatefulDelete,
    &stateful_deletion_unprotected::StatefulDeletionUnprotected,
    &stateful_rename::StatefulRename,
    &tracking_label_in_volume_claim_template::TrackingLabelInVolumeClaimTemplate,
    &unknown_cluster::UnknownCluster,
    &unknown_project::UnknownProject,
    &unreadable_file::UnreadableFile,
    &yaml_syntax::YamlSyntax,
];

/// Every rule, sorted by id.
pub fn registry() -> Vec<&'static dyn Rule> {
    REGISTRY.to_vec()
}

pub fn find(id: &str) -> Option<&'static dyn Rule> {
    registry().into_iter().find(|r| r.meta().id == id)
}

/// Which rules run and at what severity, after config, `--select` and `--ignore`.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Rule ids turned off.
    pub disabled: BTreeSet<String>,
    /// When set, only these run.
    pub only: Option<BTreeSet<String>>,
    pub severity: BTreeMap<String, Severity>,
}

impl Selection {
    pub fn enabled(&self, id: &str) -> bool {
        !self.disabled.contains(id) && self.only.as_ref().is_none_or(|only| only.contains(id))
    }
}

/// Runs every enabled inventory rule in parallel and returns the findings that survive
/// suppression, sorted by (file, line, column, rule, message).
pub fn run(inventory: &Inventory, selection: &Selection) -> Vec<Diagnostic> {
    run_accounted(inventory, selection).0
}

/// `run`, and the findings a suppression silenced (in the same order), for the summary and for
/// telling the suppressions a change adds from those it found.
pub fn run_accounted(
    inventory: &Inventory,
    selection: &Selection,
) -> (Vec<Diagnostic>, Vec<Suppressed>) {
    let shared = Shared::new(inventory);
    for rule in registry() {
        if selection.enabled(rule.meta().id) && rule.meta().reads.in_check() {
            rule.warm(&shared);
        }
    }
    run_with(inventory, selection, |rule| {
        rule.meta()
            .reads
            .in_check()
            .then(|| rule.check_shared(&shared))
    })
}

/// Runs every enabled change rule over a change set (`diff`).
pub fn run_changes(changes: &ChangeSet, selection: &Selection) -> Vec<Diagnostic> {
    run_changes_accounted(changes, selection).0
}

/// `run_changes`, and the findings a suppression silenced.
pub fn run_changes_accounted(
    changes: &ChangeSet,
    selection: &Selection,
) -> (Vec<Diagnostic>, Vec<Suppressed>) {
    let (mut found, suppressed) = run_with(&changes.inventory, selection, |rule| {
        rule.meta()
            .reads
            .in_diff()
            .then(|| rule.check_changes(changes))
    });
    // A change to a file no Application deploys, in a repository that deploys through Argo CD,
    // reaches no cluster through Argo CD (an example, a leftover, a file some other tool
    // applies): a note, whatever the rule's level, so that it is seen but fails no gate.
    let unowned: std::collections::HashSet<crate::model::ObjectIdx> = changes
        .changes
        .iter()
        .filter(|c| c.unowned)
        .flat_map(|c| [c.base, c.head])
        .flatten()
        .collect();
    for d in &mut found {
        if d.object.is_some_and(|o| unowned.contains(&o)) && d.severity > Severity::Note {
            d.severity = Severity::Note;
            d.message.push_str(
                " (a note: no Application deploys this file, so Argo CD deletes or changes nothing; check whatever else applies it)",
            );
        }
    }
    (found, suppressed)
}

fn run_with(
    inventory: &Inventory,
    selection: &Selection,
    check: impl Fn(&'static dyn Rule) -> Option<Vec<Diagnostic>> + Sync,
) -> (Vec<Diagnostic>, Vec<Suppressed>) {
    let rules: Vec<&'static dyn Rule> = registry()
        .into_iter()
        .filter(|r| selection.enabled(r.meta().id))
        .collect();
    let all: Vec<(Diagnostic, Option<(suppression::By, crate::load::Location)>)> = rules
        .par_iter()
        .flat_map_iter(|rule| {
            let severity = selection.severity.get(rule.meta().id).copied();
            check(*rule)
                .unwrap_or_default()
                .into_iter()
                .map(move |mut d| {
                    if let Some(s) = severity {
                        d.severity = s;
                    }
                    d
                })
        })
        // A suppression comment in a template reaches the rendered output too: either place
        // suppresses.
        .map(|mut d| {
            let before = suppression::find(inventory, &d);
            placement::relocate(inventory, &mut d);
            let by = before.or_else(|| suppression::find(inventory, &d));
            (d, by)
        })
        .collect();
    let mut found = Vec::new();
    let mut suppressed = Vec::new();
    for (d, by) in all {
        match by {
            Some((by, directive)) => suppressed.push(Suppressed {
                diagnostic: d,
                by,
                directive,
            }),
            None => found.push(d),
        }
    }
    sort(inventory, &mut found);
    found.dedup();
    suppressed.sort_by_cached_key(|s| sort_key(inventory, &s.diagnostic));
    suppressed.dedup();
    (placement::group_per_application(found), suppressed)
}

pub fn sort(inventory: &Inventory, diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by_cached_key(|d| sort_key(inventory, d));
}

fn sort_key(inventory: &Inventory, d: &Diagnostic) -> (String, usize, usize, &'static str, String) {
    let file = inventory.sources.get(d.location.file);
    let pos = file.line_col(d.location.span.start);
    (
        file.display.clone(),
        pos.line,
        pos.column,
        d.rule,
        d.message.clone(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The inventories of every `bad*`/`good*` fixture of the rules that read the shared
    /// indexes (`Shared`, `util::ByKind`), rendering off (none of them needs a tool).
    fn fixture_inventories() -> Vec<(String, Inventory)> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut out = Vec::new();
        for rule in registry() {
            let Ok(dirs) = std::fs::read_dir(root.join(rule.meta().id)) else {
                continue;
            };
            let mut dirs: Vec<_> = dirs.flatten().map(|d| d.path()).collect();
            dirs.sort();
            for dir in dirs
                .into_iter()
                .filter(|d| d.join("base").metadata().is_err())
            {
                let flags = crate::RenderFlags {
                    no_render: true,
                    ..Default::default()
                };
                if let Ok((inventory, _)) =
                    crate::inventory(std::slice::from_ref(&dir), None, &flags)
                {
                    out.push((dir.display().to_string(), inventory));
                }
            }
        }
        out
    }

    /// A rule that reads the indexes `Shared` holds says the same run by the engine (one index
    /// for all, built on every core by `warm`) as run alone (`check`, its own index built on
    /// its thread); and the kind lists are the objects a walk over all of them finds, in
    /// object order, built in parallel or not.
    #[test]
    fn shared_indexes_give_what_each_rule_finds_alone() {
        let fixtures = fixture_inventories();
        assert!(fixtures.len() > 40, "{} fixtures", fixtures.len());
        let mut findings = 0;
        for (dir, inventory) in &fixtures {
            let shared = Shared::new(inventory);
            for rule in registry().into_iter().filter(|r| r.meta().reads.in_check()) {
                rule.warm(&shared);
            }
            for rule in registry().into_iter().filter(|r| r.meta().reads.in_check()) {
                let alone = rule.check(inventory);
                findings += alone.len();
                assert_eq!(
                    alone,
                    rule.check_shared(&shared),
                    "{dir}: {}",
                    rule.meta().id
                );
            }
            let kinds = util::ByKind::of(inventory);
            let walk = |keep: &dyn Fn(&crate::model::Object) -> bool| -> Vec<ObjectIdx> {
                inventory
                    .objects()
                    .filter(|(_, o)| keep(o))
                    .map(|(i, _)| i)
                    .collect()
            };
            let has_pod_template = |o: &crate::model::Object| {
                o.node
                    .path(&["spec", "template", "spec", "containers"])
                    .is_some()
                    || o.node.path(&["spec", "containers"]).is_some()
                    || o.node.path(&["spec", "jobTemplate"]).is_some()
            };
            // Every object with containers is in the workload list (the list may hold a
            // workload written without any).
            for (i, o) in inventory.objects() {
                if !util::containers(o).is_empty() {
                    assert!(kinds.workloads.contains(&i), "{dir}: {}", o.id);
                }
                if kinds.workloads.contains(&i) {
                    assert!(
                        has_pod_template(o) || util::containers(o).is_empty(),
                        "{dir}"
                    );
                }
            }
            assert_eq!(kinds.autoscalers, walk(&util::is_hpa), "{dir}");
            assert_eq!(
                kinds.statefulsets,
                walk(&|o| o.id.group == "apps" && o.id.kind == "StatefulSet"),
                "{dir}"
            );
            assert_eq!(kinds.stateful, walk(&util::is_stateful), "{dir}");
        }
        assert!(findings > 0);
    }

    /// The trait's `is_change_rule`/`also_in_check` are kept for code written before `Meta.reads`;
    /// a rule that still overrides them must say the same as its `Meta`, which the engine reads.
    #[test]
    fn trait_methods_agree_with_meta_reads() {
        for rule in registry() {
            let m = rule.meta();
            assert_eq!(rule.is_change_rule(), m.reads.in_diff(), "{}", m.id);
            assert_eq!(
                rule.also_in_check(),
                m.reads == Reads::ChangesAlsoInCheck,
                "{}",
                m.id
            );
        }
    }
}
