//! Render: decide the render units of the scanned tree and turn each into objects placed on a
//! cluster and namespace. It owns provenance (which unit, file, template and Application an
//! object came from) and the Argo CD model (which Applications exist, what each deploys, where).
//!
//! Units: each Argo CD Application is one unit. A local directory source selects files of the
//! tree (`directory.recurse`, `include`, `exclude`); a Kustomize or Helm source is rendered by the
//! real tool (`tool`, `kustomize`, `helm`), in parallel, each identical input once. Applications
//! found in what an Application renders are Applications in turn (app-of-apps), to a depth
//! limit. What no Application covers is linted as it would be applied by hand: each directory of
//! plain files a unit of its own (without its subdirectories, like a directory source without
//! `recurse`; config `units:` joins a directory with everything below it), each top-level
//! kustomization and each Helm chart rendered as a unit of its own. What an Application reads
//! (a directory source's directory, a plugin's input) is never a unit of its own.

pub mod argocd;
pub mod cache;
pub mod helm;
pub mod kustomize;
pub mod tool;
pub mod tree;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::load::{FileId, Location, Node, RenderedFrom, RenderedPart, SourceFile, Sources, Span};
use crate::model::argocd::{
    AppIdx, AppOrigin, Application, Cluster, IN_CLUSTER_NAME, RenderNote, SourceKind,
};
use crate::model::object::ObjectNode;
use crate::model::{
    Inventory, Object, ObjectId, ObjectIdx, Reach, Reaches, RenderUnit, Scopes, UnitId, group_of,
    manifests,
};

use argocd::repo::{Repos, Resolution};
use tool::{RenderError, RenderRequest, Rendered, Tools};
use tree::{
    FileIndex, KUSTOMIZATION_NAMES, Kustomizations, join, kustomize_dir_of, selected, unit_dir_of,
};

/// The cluster name Argo CD gives the cluster it runs in; plain manifests land there.
pub const IN_CLUSTER: &str = IN_CLUSTER_NAME;
pub const DEFAULT_NAMESPACE: &str = "default";

/// A path argument of the run, as the render stage needs it.
#[derive(Debug, Clone)]
pub struct Root {
    /// `/`-separated, relative to the scanned root (empty for the root itself).
    pub rel: String,
    /// As the user wrote it.
    pub display: String,
}

/// What rendering needs from the configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The scanned root on disk.
    pub root: PathBuf,
    /// Repository URL → directory relative to the root.
    pub repositories: Vec<(String, String)>,
    /// The git checkout the root is in (its top level and `origin`), when there is one.
    pub checkout: Option<argocd::repo::Checkout>,
    pub clusters: Vec<Cluster>,
    pub argocd_namespace: String,
    /// The Helm and Kustomize binaries and limits; `None` renders nothing (each such source is
    /// a `not-rendered` note).
    pub tools: Option<Tools>,
    /// An on-disk cache of renders, keyed by their inputs.
    pub cache_dir: Option<PathBuf>,
    /// Directories whose plain manifests are a unit of their own (config `units`).
    pub unit_dirs: globset::GlobSet,
    /// The largest file read outside the walk (a git generator's files), as the walk's.
    pub max_file_size: u64,
    /// The run's bounds (renders, Application depth, generated Applications, template memory…).
    pub limits: crate::limits::Limits,
    /// How files read during rendering (Helm templates) are named: this prefix and their path
    /// below the root, as `Scan::label` names the walked ones (`HEAD~1:`); `None` names them
    /// from the working directory.
    pub label: Option<String>,
    /// Renders shared with another build of this process (`diff`'s other revision).
    pub memo: Option<Arc<cache::Memo>>,
    /// Told of each render as it is planned and as it finishes (the binary's progress bar).
    pub progress: Option<ProgressHook>,
}

/// Told of the Helm and Kustomize renders as they go, for a progress display: the library never
/// prints, the binary draws. Called from the render threads, so it must be cheap and `Sync`.
/// An app-of-apps tree plans its renders in rounds (what one round renders may hold more
/// Applications), so the total grows as the run goes.
pub trait Progress: Send + Sync {
    /// `renders` more renders are planned (each distinct input once; those beyond `renders`,
    /// the run's bound, are not).
    fn planned(&self, renders: usize);
    /// One planned render finished (run, failed, or reused from a cache); `unit` names it.
    fn rendered(&self, unit: &str);
}

/// A [`Progress`] shared with the render threads; `Settings` stays `Debug` and `Clone`.
#[derive(Clone)]
pub struct ProgressHook(pub Arc<dyn Progress>);

impl std::fmt::Debug for ProgressHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProgressHook")
    }
}

/// What a progress display calls a render: its tool and directory below the scanned root.
fn unit_name(request: &RenderRequest) -> String {
    match request {
        RenderRequest::Helm(h) => format!("helm {}", h.chart_dir),
        RenderRequest::Kustomize(k) => format!("kustomize {}", k.dir),
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            root: PathBuf::from("."),
            repositories: Vec::new(),
            checkout: None,
            clusters: Vec::new(),
            argocd_namespace: "argocd".into(),
            tools: None,
            cache_dir: None,
            unit_dirs: globset::GlobSet::empty(),
            max_file_size: crate::load::LoadOptions::default().max_file_size,
            limits: crate::limits::Limits::default(),
            label: None,
            memo: None,
            progress: None,
        }
    }
}

pub use crate::model::RenderStats;

/// A document of a rendered output: where its objects go and where findings on them point.
#[derive(Debug, Clone)]
struct RenderedDocRef {
    file: FileId,
    doc_index: usize,
    origin: Location,
    /// The document of the tree it came from, when Kustomize read it from a plain file.
    source_doc: Option<(FileId, usize)>,
}

/// An Application being built, with what it renders.
#[derive(Debug)]
struct Entry {
    app: Application,
    /// The document that defines it, when it is written in the tree.
    written: Option<(FileId, usize)>,
    /// The Application whose render produced it.
    parent: Option<usize>,
    depth: usize,
    /// Files its directory sources select.
    files: Vec<FileId>,
    /// Documents its Helm and Kustomize sources render.
    rendered: Vec<RenderedDocRef>,
    /// The root applied by hand it descends from: its name and directory.
    root: Option<(String, String)>,
    /// `cycle_key` of each source it renders with Helm or Kustomize.
    render_keys: Vec<String>,
}

/// The state of one `build`.
struct Builder<'s> {
    settings: &'s Settings,
    sources: Sources,
    clusters: Vec<Cluster>,
    repos: Repos,
    files: FileIndex,
    kustomizations: Kustomizations,
    notes: Vec<RenderNote>,
    stats: RenderStats,
    /// Files some render read (kustomize resources, chart files): not plain manifests.
    claimed_by_tools: HashSet<FileId>,
    /// Of those, the files an Application's render read.
    app_tool_files: HashSet<FileId>,
    /// Directories an Application's Helm or Kustomize source renders.
    app_dirs: HashSet<String>,
    /// Standalone renders that failed: directory, name, location, error.
    standalone_failures: Vec<(String, String, Location, RenderError, bool)>,
    /// Directories a Helm or Kustomize render covered.
    rendered_dirs: HashSet<String>,
    /// Template files added to the sources so findings can point into them.
    templates: HashMap<String, FileId>,
    /// Directories an Application reads (a directory source, and whether with its
    /// subdirectories; a plugin's input, always with them): what they hold is that
    /// Application's, never a unit of its own.
    owned: Vec<(String, bool)>,
    /// Chart templates a directory source turned into manifests since the last round: the
    /// Applications written in them are Applications too.
    late_files: Vec<FileId>,
    /// What is left of `generated-applications` for the run's ApplicationSets.
    generated: GeneratedBudget,
    /// What is left of `renders` for the run.
    renders: RendersBudget,
}

/// `renders`: the Helm and Kustomize processes a run may still start (renders reused from the
/// cache, or from the other revision of a `diff`, are free), and the first render refused.
struct RendersBudget {
    left: usize,
    limit: usize,
    refused: Option<(Location, String)>,
    /// Renders refused after the first.
    more: usize,
}

impl RendersBudget {
    fn note(&self) -> Option<RenderNote> {
        let (at, what) = self.refused.as_ref()?;
        let more = match self.more {
            0 => String::new(),
            1 => " (and 1 more render)".to_string(),
            n => format!(" (and {n} more renders)"),
        };
        Some(RenderNote::failed(
            *at,
            format!(
                "{what}: not rendered{more}: the run reached its bound of {} Helm and Kustomize renders (`renders`), so what they would render is not checked",
                self.limit
            ),
        ))
    }
}

/// `generated-applications`: how many Applications all ApplicationSets of a run may still
/// generate, and where the run ran out. Per ApplicationSet the elements are bounded already
/// (`applicationset-elements`), but 200 ApplicationSets of 10,000 each took 10 GB: this bounds
/// their sum, and reaching it is one finding, not one per ApplicationSet.
struct GeneratedBudget {
    left: usize,
    limit: usize,
    /// What is left of `generated-bytes`.
    bytes_left: usize,
    bytes_limit: usize,
    /// The ApplicationSet whose expansion reached the bound.
    ran_out: Option<(Location, String)>,
    /// ApplicationSets not expanded at all after that.
    skipped: usize,
}

impl GeneratedBudget {
    fn new(limit: usize, bytes_limit: usize) -> Self {
        GeneratedBudget {
            left: limit,
            limit,
            bytes_left: bytes_limit,
            bytes_limit,
            ran_out: None,
            skipped: 0,
        }
    }

    /// The one finding for the run, once the bound was reached.
    fn note(&self) -> Option<RenderNote> {
        let (at, name) = self.ran_out.as_ref()?;
        let more = match self.skipped {
            0 => String::new(),
            1 => " and 1 more ApplicationSet was not expanded".to_string(),
            n => format!(" and {n} more ApplicationSets were not expanded"),
        };
        let bound = if self.left == 0 {
            format!(
                "more than {} Applications (`generated-applications`)",
                self.limit
            )
        } else {
            format!(
                "Applications of more than {} (`generated-bytes`)",
                crate::limits::bytes(self.bytes_limit as u64)
            )
        };
        Some(RenderNote::failed(
            *at,
            format!(
                "ApplicationSet `{name}`: the run's ApplicationSets generate {bound}; the rest of this one{more}, so what they would generate is not checked"
            ),
        ))
    }
}

/// A directory of the tree (`dir`, relative to the scanned root) as the user names it: with the
/// prefix the file's display path has before its relative path.
fn shown_dir(display: &str, rel: &str, dir: &str) -> String {
    let prefix = display
        .strip_suffix(rel)
        .unwrap_or("")
        .trim_end_matches('/');
    match (prefix.is_empty(), dir.is_empty()) {
        (true, true) => ".".to_string(),
        (true, false) => dir.to_string(),
        (false, true) => prefix.to_string(),
        (false, false) => format!("{prefix}/{dir}"),
    }
}

/// The 1-based line of the first `${{ ... }}` placeholder inside `span`: scaffolding syntax
/// (Backstage templates, GitHub expressions) that no Kubernetes object or Argo CD template holds.
fn scaffold_placeholder_line(file: &SourceFile, span: Span) -> Option<usize> {
    let part = file.text.get(span.start..span.end)?;
    let at = part.find("${{")?;
    part[at..]
        .contains("}}")
        .then(|| file.line_col(span.start + at).line)
}

/// Whether `dir` is inside a directory some Application reads.
fn owned_by_app(owned: &[(String, bool)], dir: &str) -> bool {
    owned.iter().any(|(d, recurse)| {
        d == dir || (*recurse && (d.is_empty() || dir.starts_with(&format!("{d}/"))))
    })
}

/// Builds the inventory: Argo CD's Applications and what each renders, and what no Application
/// covers.
pub fn build(sources: Sources, roots: &[Root], settings: &Settings) -> Inventory {
    let mut scopes = Scopes::default();
    let mut clusters = vec![argocd::cluster::in_cluster()];
    let mut clusters_declared = false;
    // The CRDs and cluster Secrets of every file, found on every core (most files hold
    // neither), then learnt in file order, as one loop over the files would.
    let found: Vec<(Vec<&Node>, Vec<Cluster>)> = (0..sources.len())
        .into_par_iter()
        .map(|i| {
            let file_id = FileId(i);
            let (mut crds, mut secrets) = (Vec::new(), Vec::new());
            for doc in &sources.get(file_id).documents {
                for m in manifests(doc) {
                    if Scopes::is_crd(m.api_version, m.kind) {
                        crds.push(m.node);
                    }
                    // Only a Secret can be a cluster (`from_secret` asks the kind first): the
                    // other documents need no location.
                    if m.kind != "Secret" {
                        continue;
                    }
                    let at = Location {
                        file: file_id,
                        span: m.node.get("kind").map_or(m.node.span, |k| k.span),
                    };
                    secrets.extend(argocd::cluster::from_secret(m.node, at));
                }
            }
            (crds, secrets)
        })
        .collect();
    for (crds, secrets) in found {
        for crd in crds {
            scopes.learn_crd(crd);
        }
        clusters_declared |= !secrets.is_empty();
        clusters.extend(secrets);
    }
    for c in &settings.clusters {
        clusters_declared = true;
        match clusters.iter_mut().find(|k| k.name == c.name) {
            Some(known) => {
                known.protected |= c.protected;
                known.labels.extend(c.labels.clone());
            }
            None => clusters.push(c.clone()),
        }
    }

    // The file index and the kustomizations read the paths only: found side by side.
    let (files, kustomizations) = rayon::join(
        || FileIndex::new(&sources),
        || tree::kustomizations(&sources),
    );
    let mut b = Builder {
        settings,
        repos: Repos::new(
            &settings.root,
            &settings.repositories,
            settings.checkout.as_ref(),
        ),
        files,
        kustomizations,
        sources,
        clusters,
        notes: Vec::new(),
        stats: RenderStats::default(),
        claimed_by_tools: HashSet::new(),
        app_tool_files: HashSet::new(),
        app_dirs: HashSet::new(),
        standalone_failures: Vec::new(),
        rendered_dirs: HashSet::new(),
        templates: HashMap::new(),
        owned: Vec::new(),
        late_files: Vec::new(),
        generated: GeneratedBudget::new(
            settings
                .limits
                .get_usize(crate::limits::Key::GeneratedApplications),
            settings
                .limits
                .get_usize(crate::limits::Key::GeneratedBytes),
        ),
        renders: RendersBudget {
            left: settings.limits.get_usize(crate::limits::Key::Renders),
            limit: settings.limits.get_usize(crate::limits::Key::Renders),
            refused: None,
            more: 0,
        },
    };

    crate::stage_mark("render: CRDs, cluster Secrets, file index");
    let mut entries = b.written_entries();
    crate::stage_mark("render: Applications written in the tree");
    b.rounds(&mut entries, 0);
    crate::stage_mark("render: sources resolved, round by round");
    b.app_tool_files = b.claimed_by_tools.clone();
    let mut standalone = b.standalone_units(&entries);
    // Roots applied by hand: a kustomization or chart no Application renders, whose render
    // holds Applications (the root of an app-of-apps, `kubectl apply -k`'d once). Those are
    // Applications as if an Application had rendered them.
    // Candidates: each standalone render holding Applications, with the notes its discovery
    // made (kept only if it turns out to be a root).
    let mut pending: Vec<(usize, Vec<Entry>, Vec<RenderNote>)> = Vec::new();
    for (k, s) in standalone.iter().enumerate() {
        let before = b.notes.len();
        let found = b.discover(&s.docs, None, Some((&s.name, &s.dir)), &entries);
        if found.is_empty() {
            continue;
        }
        let notes = b.notes.split_off(before);
        pending.push((k, found, notes));
    }
    let first_root = entries.len();
    // A candidate an Application renders (a nested app-of-apps: the root's Application `infra`
    // renders the chart `infra`) is no root: its Applications are that Application's children,
    // and taking it as a root too would define each of them twice. So roots are taken
    // outermost first — the candidates no other candidate's Application points at (the first
    // one when they all point at each other, a cycle) — and, after their Applications are
    // rendered, the candidates those now render are dropped.
    while !pending.is_empty() {
        pending.retain(|(k, _, _)| !b.app_dirs.contains(&standalone[*k].dir));
        let targets: Vec<(usize, String)> = pending
            .iter()
            .flat_map(|(k, found, _)| b.source_dirs(found).into_iter().map(move |d| (*k, d)))
            .collect();
        let outermost = |k: usize| {
            !targets
                .iter()
                .any(|(from, d)| *from != k && d == &standalone[k].dir)
        };
        let mut roots: Vec<(usize, Vec<Entry>, Vec<RenderNote>)> = Vec::new();
        let mut rest = Vec::new();
        for candidate in std::mem::take(&mut pending) {
            if outermost(candidate.0) {
                roots.push(candidate);
            } else {
                rest.push(candidate);
            }
        }
        if roots.is_empty() && !rest.is_empty() {
            roots.push(rest.remove(0));
        }
        pending = rest;
        if roots.is_empty() {
            break;
        }
        let start = entries.len();
        for (k, found, notes) in roots {
            let s = &standalone[k];
            b.notes.extend(notes);
            b.notes.push(RenderNote::assumed(
                s.location,
                format!(
                    "{} renders {} and no Application in the repository renders it: taken as an app-of-apps root applied by hand",
                    s.name,
                    count_kinds(&found)
                ),
            ));
            entries.extend(found);
        }
        b.rounds(&mut entries, start);
    }
    if entries.len() > first_root {
        // What those Applications render is theirs, not a unit of its own any more.
        let is_root = |s: &Standalone| {
            entries
                .iter()
                .any(|e| e.root.as_ref().is_some_and(|(_, d)| d == &s.dir))
        };
        let app_dirs = &b.app_dirs;
        let owned = &b.owned;
        standalone.retain(|s| {
            is_root(s)
                || !(app_dirs
                    .iter()
                    .any(|d| d == &s.dir || d.is_empty() || s.dir.starts_with(&format!("{d}/")))
                    || owned_by_app(owned, &s.dir))
        });
    }
    // A failed standalone render that an Application renders too is that Application's failure;
    // one in a directory an Application owns (a plugin's input, which a root's Application may
    // name only now) is no unit of its own, as for the renders that succeeded above.
    for (dir, name, at, error, is_helm) in std::mem::take(&mut b.standalone_failures) {
        let rendered_by_app = b
            .app_dirs
            .iter()
            .any(|d| d == &dir || d.is_empty() || dir.starts_with(&format!("{d}/")));
        if rendered_by_app || owned_by_app(&b.owned, &dir) {
            continue;
        }
        // A chart nothing deploys, refusing its own defaults by design, is a note.
        match is_helm.then(|| helm::refused_defaults(&error)).flatten() {
            Some((why, help)) => {
                b.notes
                    .push(RenderNote::not_rendered(at, format!("{name}: {why}"), help))
            }
            None => b.render_error(error, at, &name),
        }
    }
    b.notes.extend(b.generated.note());
    b.notes.extend(b.renders.note());
    crate::stage_mark("render: roots applied by hand");
    b.assemble(entries, standalone, roots, scopes, clusters_declared)
}

/// "3 Applications": what a root renders, for its note.
fn count_kinds(found: &[Entry]) -> String {
    let generated = found
        .iter()
        .filter(|e| e.app.origin.generator.is_some())
        .count();
    let written = found.len() - generated;
    let plural = |n: usize| format!("{n} Application{}", if n == 1 { "" } else { "s" });
    match (written, generated) {
        (w, 0) => plural(w),
        (0, g) => format!("ApplicationSets that generate {}", plural(g)),
        (w, g) => format!(
            "{} and ApplicationSets that generate {}",
            plural(w),
            plural(g)
        ),
    }
}

/// A unit no Application covers: a top-level kustomization or a Helm chart, rendered as applied
/// by hand.
struct Standalone {
    name: String,
    /// The directory of the kustomization or chart.
    dir: String,
    location: Location,
    docs: Vec<RenderedDocRef>,
}

impl Builder<'_> {
    /// Rounds from `start`: resolve and render the Applications found so far; what they render
    /// may hold more Applications (app-of-apps through Helm or Kustomize).
    fn rounds(&mut self, entries: &mut Vec<Entry>, mut start: usize) {
        while start < entries.len() {
            let end = entries.len();
            let mut jobs: Vec<(usize, Location, RenderRequest)> = Vec::new();
            // Where each source of the round is, found on every core: resolving a local path
            // asks the file system (`canonicalize`, `is_dir`), once per source, and nothing it
            // reads changes during the round. Consumed in entry order below, as before.
            let repos = &self.repos;
            let located: Vec<Vec<Option<Resolution>>> = entries[start..end]
                .par_iter()
                .map(|e| {
                    e.app
                        .sources
                        .iter()
                        .map(|s| s.path.as_ref().map(|p| repos.resolve(&s.repo_url, p)))
                        .collect()
                })
                .collect();
            for (i, located) in (start..end).zip(located) {
                let ancestors = ancestry(entries, i);
                let before = self.notes.len();
                self.resolve(i, &mut entries[i], &ancestors, located, &mut jobs);
                self.notes_about(before, i);
            }
            // Applications in chart templates a directory source deploys (the walk left them
            // unparsed): resolved in the next round, as those written anywhere else.
            let late = std::mem::take(&mut self.late_files);
            if !late.is_empty() {
                let found = self.entries_in(&late);
                entries.extend(found);
            }
            let requests: Vec<&RenderRequest> = jobs.iter().map(|(_, _, r)| r).collect();
            let results = self.render_all(&requests);
            for ((i, at, request), result) in jobs.iter().zip(results) {
                let label = format!("Application `{}`", entries[*i].app.name);
                match result {
                    Ok(rendered) => {
                        self.render_problems(&rendered, *at, &label);
                        let docs = self.integrate(&rendered, request, *at);
                        if docs.is_empty() {
                            let mut note = RenderNote::not_rendered(
                                *at,
                                format!("{label}: `{}` renders no object", rendered.command),
                                "check the chart's values or the kustomization's resources",
                            );
                            note.why = Some("renders no object");
                            note.app = Some(AppIdx(*i));
                            self.notes.push(note);
                        }
                        let children = self.discover(&docs, Some(*i), None, entries);
                        entries[*i].rendered.extend(docs);
                        entries.extend(children);
                    }
                    Err(e) => {
                        let before = self.notes.len();
                        self.render_error(e, *at, &label);
                        self.notes_about(before, *i);
                    }
                }
            }
            start = end;
        }
    }

    /// The local directories the sources of `found` read (before they are resolved).
    fn source_dirs(&self, found: &[Entry]) -> Vec<String> {
        found
            .iter()
            .flat_map(|e| e.app.sources.iter())
            .filter_map(|source| {
                let path = source.path.as_ref()?;
                match self.repos.resolve(&source.repo_url, path) {
                    Resolution::Local { dir, .. } => Some(dir),
                    _ => None,
                }
            })
            .collect()
    }

    /// Every Application written in the tree (and generated by ApplicationSets written there).
    fn written_entries(&mut self) -> Vec<Entry> {
        let files: Vec<FileId> = self
            .sources
            .iter()
            .filter(|(_, f)| !f.generated)
            .map(|(id, _)| id)
            .collect();
        self.entries_in(&files)
    }

    /// The Applications written in `files` (and generated by ApplicationSets written there).
    fn entries_in(&mut self, files: &[FileId]) -> Vec<Entry> {
        let checkouts = argocd::applicationset::Checkouts::new();
        let expander = argocd::applicationset::Expander::new(
            &self.clusters,
            &self.repos,
            &self.settings.root,
            &checkouts,
            self.settings.max_file_size,
        )
        .with_limits(&self.settings.limits)
        .with_tree(self.sources.tree.clone());
        // Each file's Applications read, and its ApplicationSets and scaffolding notes found, on
        // every core (most files of a large tree hold neither); then, in file order, the
        // ApplicationSets expanded one after the other (they share the run's budget of generated
        // Applications) and everything kept in the order one loop over the files would keep it.
        let argocd_namespace = &self.settings.argocd_namespace;
        let sources = &self.sources;
        let found: Vec<Found<'_>> = files
            .par_iter()
            .map(|&file_id| written_in(sources, file_id, argocd_namespace))
            .collect::<Vec<_>>()
            .into_iter()
            .flatten()
            .collect();
        // The ApplicationSets are expanded on every core, a batch at a time, each under the
        // budget left when its batch starts; then charged in file order. An expansion the
        // budget left at its turn would not have cut (`same_under`) is kept; any other is
        // expanded again, alone, under exactly that budget — so what is generated does not
        // depend on the threads or the batches. A batch's expansions share what was left of
        // `generated-bytes` (one may hold no more than its share), so together they hold no
        // more than one expansion may.
        let sets: Vec<&Node> = found
            .iter()
            .filter_map(|f| match f {
                Found::ApplicationSet(_, node) => Some(*node),
                _ => None,
            })
            .collect();
        // Sized once: an Entry is large, and growing the vector moved every one of them.
        let mut entries = Vec::with_capacity(
            found
                .iter()
                .filter(|f| matches!(f, Found::Application(_)))
                .count(),
        );
        let batch = rayon::current_num_threads().saturating_mul(4).max(1);
        let mut ready: std::collections::VecDeque<argocd::applicationset::Expansion> =
            Default::default();
        let mut next = 0;
        for item in found {
            match item {
                Found::Note(note) => self.notes.push(note),
                Found::Application(entry) => entries.push(*entry),
                Found::ApplicationSet(file_id, node) => {
                    if ready.is_empty() && self.generated.ran_out.is_none() {
                        let these = &sets[next..sets.len().min(next + batch)];
                        let at_most = self.generated.left;
                        let bytes = self.generated.bytes_left / these.len().max(1);
                        ready = these
                            .par_iter()
                            .map(|node| expander.expand_at_most(&node.to_json(), at_most, bytes))
                            .collect::<Vec<_>>()
                            .into();
                    }
                    next += 1;
                    let at = |span: Span| Location {
                        file: file_id,
                        span,
                    };
                    for app in expand_appset(
                        node,
                        &at,
                        &expander,
                        self.settings,
                        &mut self.notes,
                        &mut self.generated,
                        ready.pop_front(),
                    ) {
                        entries.push(Entry::new(app, None, None, 0));
                    }
                }
            }
        }
        entries
    }

    /// Resolves an Application's destination and sources: the files its directory sources
    /// select, and the renders its Helm and Kustomize sources need.
    fn resolve(
        &mut self,
        index: usize,
        entry: &mut Entry,
        ancestors: &[(String, Vec<String>)],
        located: Vec<Option<Resolution>>,
        jobs: &mut Vec<(usize, Location, RenderRequest)>,
    ) {
        resolve_destination(&mut entry.app, &self.clusters);
        // `in-cluster` of a cluster's own root is that cluster.
        if let Some(cluster) = &entry.app.origin.root_cluster
            && entry.app.destination.cluster == IN_CLUSTER
        {
            entry.app.destination.cluster.clone_from(cluster);
        }
        let app_name = entry.app.name.clone();
        // First where each source is, so Helm sources can read `$ref` value files. `located`
        // holds `Repos::resolve` of each source's path, in source order (see `rounds`).
        let mut located = located.into_iter();
        for source in &mut entry.app.sources {
            let resolution = located.next().flatten();
            if let SourceKind::Plugin(what) = &source.kind {
                self.notes.push(RenderNote::not_rendered(
                    source.location,
                    format!("Application `{app_name}`: source uses {what}, which cannot be rendered offline"),
                    "a plugin runs code Argo CD's repo-server hosts; manifest-guard never runs it, so check its output in that plugin's own CI",
                ));
                // The directory is the plugin's input (sent whole to its sidecar): its files are
                // neither plain manifests nor a kustomization or chart to render on their own.
                if source.path.is_some()
                    && let Some(Resolution::Local { dir, .. }) = resolution
                {
                    self.owned.push((dir, true));
                }
                continue;
            }
            let Some(path) = source.path.clone() else {
                if !matches!(source.kind, SourceKind::Ref) {
                    self.notes.push(RenderNote::not_rendered(
                        source.location,
                        format!(
                            "Application `{app_name}`: chart `{}` from `{}` is in a remote Helm repository, not available offline",
                            source.chart.as_deref().unwrap_or("?"),
                            source.repo_url
                        ),
                        "vendor the chart into this repository and point the Application at its path",
                    ));
                }
                continue;
            };
            let resolution =
                resolution.unwrap_or_else(|| self.repos.resolve(&source.repo_url, &path));
            match resolution {
                Resolution::NotLocal => self.notes.push(RenderNote::not_rendered(
                    source.location,
                    format!("Application `{app_name}`: repository `{}` is not available offline", source.repo_url),
                    "if it is this repository, or checked out beside it, map its URL to that path under `repositories:` in .manifest-guard.yaml",
                )),
                Resolution::OutsideRoot(why) => self.notes.push(RenderNote::not_rendered(
                    source.location,
                    format!("Application `{app_name}`: {why}"),
                    "check the repository's top level, or a directory that holds this path, to render it",
                )),
                Resolution::Escapes(why) => self.notes.push(RenderNote::broken(
                    source.location,
                    format!("Application `{app_name}`: {why}; not read"),
                    "keep the source path inside the repository; Argo CD refuses paths and symlinks that leave it",
                )),
                Resolution::Local { dir, assumed } => {
                    if assumed {
                        self.notes.push(RenderNote::assumed(
                            source.location,
                            format!(
                                "Application `{app_name}`: `{}` taken as this repository because `{path}` exists here (declare it under `repositories:` to be sure)",
                                source.repo_url
                            ),
                        ));
                    }
                    // Argo CD's repo-server decides the tool from explicit options, then from
                    // the files in the directory.
                    let has = |name: &str| self.files.contains(&join(&dir, name));
                    if !matches!(source.kind, SourceKind::Ref) && !explicit_directory(&source.spec)
                    {
                        // Without an explicit type, Argo CD's `Discover`
                        // (util/app/discovery/discovery.go) walks the path's files in lexical
                        // order and the last match names it: a kustomization file sorts after
                        // `Chart.yaml`, so a directory holding both is a Kustomize source.
                        let kustomization = KUSTOMIZATION_NAMES.iter().any(|n| has(n));
                        source.kind = match &source.kind {
                            SourceKind::Helm => SourceKind::Helm,
                            SourceKind::Kustomize => SourceKind::Kustomize,
                            _ if kustomization => SourceKind::Kustomize,
                            _ if has("Chart.yaml") => SourceKind::Helm,
                            other => other.clone(),
                        };
                    }
                    source.local_dir = Some(dir);
                }
            }
        }
        // A `ref` names its source's repository, whatever its `path` (helm::RefRoot).
        let refs: Vec<(String, helm::RefRoot)> = entry
            .app
            .sources
            .iter()
            .filter_map(|s| {
                let name = s.ref_name.clone().filter(|n| !n.is_empty())?;
                let at = match self.repos.listing(&s.repo_url) {
                    Some(l) => helm::RefRoot::Local {
                        dir: l.dir,
                        prefix: l.prefix,
                        assumed: l.assumed,
                    },
                    None => helm::RefRoot::Remote(s.repo_url.clone()),
                };
                Some((name, at))
            })
            .collect();
        let namespace = if entry.app.destination.namespace.is_empty() {
            DEFAULT_NAMESPACE.to_string()
        } else {
            entry.app.destination.namespace.clone()
        };
        for source in &entry.app.sources {
            let Some(dir) = source.local_dir.clone() else {
                continue;
            };
            let request = match &source.kind {
                SourceKind::Directory {
                    recurse,
                    include,
                    exclude,
                } => {
                    let before = entry.files.len();
                    self.owned.push((dir.clone(), *recurse));
                    // Argo CD's repo-server (reposerver/repository/repository.go,
                    // `findManifests`) walks the directory (its subdirectories with `recurse`),
                    // keeps the names `manifestFile` matches (`.yaml`, `.yml`, `.json`,
                    // `.jsonnet`), then `exclude` and `include`, whatever the files are: a
                    // chart's `templates/` below a recursive source is applied as plain YAML.
                    let mut jsonnet = Vec::new();
                    for (rel, file) in self.files.under(&dir, *recurse) {
                        if !selected(rel, include.as_deref(), exclude.as_deref()) {
                            continue;
                        }
                        let f = self.sources.get(file);
                        if f.generated && f.rel.ends_with(".jsonnet") {
                            jsonnet.push(file);
                            continue;
                        }
                        if f.generated
                            && crate::load::parse_deployed_chart_part(&mut self.sources, file)
                        {
                            self.late_files.push(file);
                        }
                        entry.files.push(file);
                    }
                    for file in &jsonnet {
                        self.notes
                            .push(jsonnet_note(&self.sources, &app_name, *file));
                    }
                    // A directory that is not there is another matter (Argo CD: "app path
                    // does not exist"), left to the source resolution.
                    if entry.files.len() == before
                        && jsonnet.is_empty()
                        && self.settings.root.join(&dir).is_dir()
                    {
                        self.notes
                            .push(empty_directory_note(&app_name, &dir, source.location));
                    }
                    continue;
                }
                SourceKind::Helm => RenderRequest::Helm(helm::HelmRequest {
                    root: self.settings.root.clone(),
                    chart_dir: dir.clone(),
                    release_name: entry.app.name.clone(),
                    namespace: namespace.clone(),
                    options: source.spec.get("helm").cloned(),
                    refs: refs.clone(),
                    kube_version: None,
                }),
                SourceKind::Kustomize => RenderRequest::Kustomize(kustomize::KustomizeRequest {
                    root: self.settings.root.clone(),
                    dir: dir.clone(),
                    options: source.spec.get("kustomize").cloned(),
                    app_namespace: Some(namespace.clone()),
                }),
                SourceKind::Ref | SourceKind::Plugin(_) => continue,
            };
            // The root applied by hand that an Application of its own renders again (a
            // self-managing app-of-apps): already rendered, as the root.
            if entry
                .root
                .as_ref()
                .is_some_and(|(_, root_dir)| root_dir == &dir)
            {
                continue;
            }
            // The same source with the same parameters as an ancestor renders what that
            // ancestor rendered, this Application among it: a cycle, rendered once.
            let key = cycle_key(source, &dir);
            if let Some((ancestor, _)) = ancestors.iter().find(|(_, keys)| keys.contains(&key)) {
                self.notes.push(RenderNote::broken(
                    source.location,
                    format!(
                        "Application `{app_name}` renders `{dir}` with the same parameters as its ancestor Application `{ancestor}`, which renders it: an app-of-apps cycle; not rendered again"
                    ),
                    "break the cycle: an Application must not render the source, with the same parameters, of an Application above it",
                ));
                continue;
            }
            entry.render_keys.push(key);
            self.rendered_dirs.insert(dir.clone());
            self.app_dirs.insert(dir.clone());
            if self.settings.tools.is_none() {
                self.notes.push(RenderNote::not_rendered(
                    source.location,
                    format!("Application `{app_name}`: `{dir}` needs Helm or Kustomize, and rendering is turned off"),
                    "run without `--no-render`, with `helm` and `kustomize` (or `kubectl`) on PATH",
                ));
                continue;
            }
            jobs.push((index, source.location, request));
        }
    }

    /// Runs every render, in parallel, each distinct input once (and from the on-disk cache
    /// when one is set).
    fn render_all(
        &mut self,
        requests: &[&RenderRequest],
    ) -> Vec<Result<Arc<Rendered>, RenderError>> {
        let Some(tools) = &self.settings.tools else {
            return requests
                .iter()
                .map(|_| Err(RenderError::ToolMissing("rendering is turned off".into())))
                .collect();
        };
        self.stats.requested += requests.len();
        // Each request is planned once: the plan gives the key and, unless a render with the
        // same key is already done (here or on disk), the run.
        let prepared: Vec<tool::Prepared> = requests.par_iter().map(|r| r.prepare(tools)).collect();
        let mut unique: Vec<(&tool::Prepared, &RenderRequest)> = Vec::new();
        let mut seen: HashSet<&str> = HashSet::new();
        // Beyond the run's `renders`, a render is not run: an app-of-apps whose chart renders
        // ten Applications of itself with new parameters each asks for 10^depth renders.
        let mut allowed = self.renders.left;
        let mut refused: HashSet<&str> = HashSet::new();
        for (p, request) in prepared.iter().zip(requests) {
            if seen.insert(p.key.as_str()) {
                if p.runs_tool() {
                    if allowed == 0 {
                        refused.insert(p.key.as_str());
                        continue;
                    }
                    allowed -= 1;
                }
                unique.push((p, request));
            }
        }
        let cache_dir = self.settings.cache_dir.clone();
        let memo = self.settings.memo.clone();
        let progress = self.settings.progress.clone();
        if let Some(progress) = &progress {
            progress.0.planned(unique.len());
        }
        // Per key: the result, whether it was reused (disk, the other build) and whether a tool
        // ran for it (what `renders` counts).
        type Done = (String, Result<Arc<Rendered>, RenderError>, bool, bool);
        let done: Vec<Done> = unique
            .par_iter()
            .map(|(p, request)| {
                let mut from_disk = false;
                let mut run = || {
                    if let Some(hit) = cache_dir.as_ref().and_then(|d| cache::read(d, &p.key)) {
                        from_disk = true;
                        return Ok(Arc::new(hit));
                    }
                    let result = p.render(tools);
                    if let (Some(d), Ok(r)) = (&cache_dir, &result) {
                        cache::write(d, &p.key, r);
                    }
                    result.map(Arc::new)
                };
                let (result, ran) = match &memo {
                    Some(m) => m.get_or_render(&p.key, run),
                    None => (run(), true),
                };
                if let Some(progress) = &progress {
                    progress.0.rendered(&unit_name(request));
                }
                // Reused from the other build: not run here.
                let reused = from_disk || !ran;
                (p.key.clone(), result, reused, !reused && p.runs_tool())
            })
            .collect();
        for (_, _, from_disk, ran_tool) in &done {
            if *from_disk {
                self.stats.from_disk += 1;
            } else {
                self.stats.executed += 1;
            }
            if *ran_tool {
                self.renders.left = self.renders.left.saturating_sub(1);
            }
        }
        let by_key: HashMap<String, Result<Arc<Rendered>, RenderError>> =
            done.into_iter().map(|(k, r, _, _)| (k, r)).collect();
        let limit = self.renders.limit;
        prepared
            .iter()
            .map(|p| {
                if refused.contains(p.key.as_str()) {
                    return Err(RenderError::OverBudget(limit as u64));
                }
                by_key
                    .get(&p.key)
                    .cloned()
                    .unwrap_or_else(|| Err(RenderError::Failed("render result lost".into())))
            })
            .collect()
    }

    /// The notes pushed since `before` are about Application `app` (entries and Applications
    /// share their indexes).
    fn notes_about(&mut self, before: usize, app: usize) {
        for note in self.notes.iter_mut().skip(before) {
            note.app = Some(AppIdx(app));
        }
    }

    /// Problems found in a render's inputs, although it went on: `render-failed` findings.
    fn render_problems(&mut self, rendered: &Rendered, at: Location, what: &str) {
        for problem in &rendered.problems {
            self.notes
                .push(RenderNote::failed(at, format!("{what}: {problem}")));
        }
    }

    fn render_error(&mut self, error: RenderError, at: Location, what: &str) {
        match error {
            RenderError::Failed(stderr) => self.notes.push(RenderNote::failed(
                at,
                format!("{what}: the render failed:\n{stderr}"),
            )),
            RenderError::Timeout(t) => self.notes.push(RenderNote::failed(
                at,
                format!(
                    "{what}: the render did not finish within {} s (`render-timeout`) and was stopped",
                    t.as_secs()
                ),
            )),
            RenderError::NotRenderable(why) => self.notes.push(RenderNote::not_rendered(
                at,
                format!("{what}: {why}"),
                "vendor what it needs into the repository (charts, bases), so it renders offline",
            )),
            // One finding for the run, at the first render refused: each further one would
            // say the same.
            RenderError::OverBudget(_) => {
                if self.renders.refused.is_none() {
                    self.renders.refused = Some((at, what.to_string()));
                } else {
                    self.renders.more += 1;
                }
            }
            // Not a limit of working offline: the machine lacks a tool, and the objects go
            // unchecked. A warning, so it is seen; `--no-render` makes it a deliberate note.
            RenderError::ToolMissing(why) => {
                let mut note = RenderNote::not_rendered(
                    at,
                    format!("{what}: {why}; its objects are not checked"),
                    "install `helm` and `kustomize` (or `kubectl`), pass --helm / --kustomize, or --no-render to skip rendering on purpose",
                );
                note.tool_missing = true;
                self.notes.push(note);
            }
        }
    }

    /// Adds a render's output to the sources (one generated file) and returns its documents,
    /// each pointing at the template or resource file it came from.
    fn integrate(
        &mut self,
        rendered: &Rendered,
        request: &RenderRequest,
        fallback: Location,
    ) -> Vec<RenderedDocRef> {
        let mut text = String::new();
        let mut spans = Vec::with_capacity(rendered.documents.len());
        for doc in &rendered.documents {
            let start = text.len();
            text.push_str("---\n");
            text.push_str(doc.text.trim_end_matches('\n'));
            text.push('\n');
            spans.push(Span::new(start, text.len()));
        }
        let dir = match request {
            RenderRequest::Helm(h) => &h.chart_dir,
            RenderRequest::Kustomize(k) => &k.dir,
        };
        let display = format!(
            "{} ({})",
            rendered.command,
            if dir.is_empty() { "." } else { dir }
        );
        let mut file = crate::load::parse_text(
            display.clone(),
            display,
            Arc::from(text),
            crate::load::yaml::Limits::of(&self.settings.limits),
        );
        file.generated = true;
        let documents = file.documents.len();
        let file_id = self.sources.push(file);
        let mut out = Vec::new();
        for (doc_index, doc) in rendered.documents.iter().enumerate().take(documents) {
            let node = self.sources.get(file_id).documents[doc_index].root.clone();
            let (origin, source_doc) = match (&doc.source, &node) {
                (Some(source), Some(node)) => {
                    self.origin_of(source, node).unwrap_or((fallback, None))
                }
                _ => (fallback, None),
            };
            out.push(RenderedDocRef {
                file: file_id,
                doc_index,
                origin,
                source_doc,
            });
        }
        // Every document, parsed or not, maps to a file of the tree: findings on the output
        // itself (a syntax error, a repeated key) are reported there, never at the command.
        let mut parts = Vec::with_capacity(spans.len());
        for (i, (doc, span)) in rendered.documents.iter().zip(spans).enumerate() {
            let origin = match out.get(i) {
                Some(r) => r.origin,
                None => match &doc.source {
                    Some(source) => self.template_location(source).unwrap_or(fallback),
                    None => fallback,
                },
            };
            parts.push(RenderedPart {
                span,
                origin,
                inner: doc.inner.clone().filter(|_| origin != fallback),
            });
        }
        self.sources.get_mut(file_id).rendered = Some(Box::new(RenderedFrom {
            command: rendered.command.clone(),
            fallback,
            parts,
        }));
        out
    }

    /// The start of a template or resource file named by a render's output, when it is a file of
    /// the tree.
    fn template_location(&mut self, source: &str) -> Option<Location> {
        let clean = argocd::repo::clean_relative(source)?;
        let file = self.file_id(&clean).or_else(|| self.template(&clean))?;
        Some(Location {
            file,
            span: Span::new(0, 0),
        })
    }

    /// Where findings on a rendered object point: the matching document of a plain resource file
    /// Kustomize read (its `metadata.name`), or the `kind:` line of the Helm template.
    fn origin_of(
        &mut self,
        source: &str,
        node: &Node,
    ) -> Option<(Location, Option<(FileId, usize)>)> {
        let clean = argocd::repo::clean_relative(source)?;
        let kind = node.get("kind").and_then(Node::as_str).unwrap_or("");
        let name = node
            .path(&["metadata", "name"])
            .and_then(Node::as_str)
            .unwrap_or("");
        if let Some(file_id) = self.file_id(&clean)
            && !self.sources.get(file_id).generated
        {
            self.claimed_by_tools.insert(file_id);
            let file = self.sources.get(file_id);
            let mut best: Option<(usize, &Node)> = None;
            for (i, d) in file.documents.iter().enumerate() {
                let Some(root) = &d.root else { continue };
                if root.get("kind").and_then(Node::as_str) != Some(kind) {
                    continue;
                }
                let doc_name = root
                    .path(&["metadata", "name"])
                    .and_then(Node::as_str)
                    .unwrap_or("");
                let better = best.is_none() || (!doc_name.is_empty() && name.contains(doc_name));
                if better {
                    best = Some((i, root));
                }
            }
            return Some(match best {
                Some((i, root)) => {
                    let span = root
                        .path(&["metadata", "name"])
                        .or_else(|| root.get("kind"))
                        .map_or(root.span, |n| n.span);
                    (
                        Location {
                            file: file_id,
                            span,
                        },
                        Some((file_id, i)),
                    )
                }
                None => (
                    Location {
                        file: file_id,
                        span: Span::new(0, 0),
                    },
                    None,
                ),
            });
        }
        // A Helm template: not YAML until rendered, so it is read as text only.
        let file_id = self.template(&clean)?;
        let text = self.sources.get(file_id).text.clone();
        let needle = format!("kind: {kind}");
        let span = text
            .find(&needle)
            .map_or(Span::new(0, 0), |at| Span::new(at + 6, at + needle.len()));
        Some((
            Location {
                file: file_id,
                span,
            },
            None,
        ))
    }

    fn file_id(&self, rel: &str) -> Option<FileId> {
        let i = self
            .files
            .sorted
            .binary_search_by(|(r, _)| r.as_str().cmp(rel))
            .ok()?;
        Some(self.files.sorted[i].1)
    }

    /// A template file, read once (inside the root, a regular file of bounded size).
    fn template(&mut self, rel: &str) -> Option<FileId> {
        if let Some(&id) = self.templates.get(rel) {
            return Some(id);
        }
        // The walk read the chart's templates already (hidden until a directory source deploys
        // them).
        if let Some(id) = self.file_id(rel) {
            return Some(id);
        }
        // The path comes from the tool's output: it must name a file of the tree, through no
        // link that leaves the root.
        let clean = tool::normalize_rel(rel)?;
        let path = self.settings.root.join(&clean);
        let real = path.canonicalize().ok()?;
        let root = self.settings.root.canonicalize().ok()?;
        if !real.starts_with(&root) {
            return None;
        }
        let meta = std::fs::metadata(&real).ok()?;
        if !meta.is_file() || meta.len() > 4 * 1024 * 1024 {
            return None;
        }
        // A packaged subchart: findings point at the archive (line 1) and name the template
        // inside it in their message; its bytes are not text to show.
        let text = if rel.ends_with(".tgz") || rel.ends_with(".tar.gz") {
            String::new()
        } else {
            std::fs::read_to_string(&real).ok()?
        };
        // A materialised revision is a temporary directory: named by its revision, never by
        // where it was extracted.
        let display = match &self.settings.label {
            Some(label) => format!("{label}{clean}"),
            None => {
                let cwd = std::env::current_dir().unwrap_or_default();
                crate::load::display_path(&path, &cwd)
            }
        };
        let mut file = SourceFile::new(display, rel.to_string(), Arc::from(text));
        file.generated = true;
        let id = self.sources.push(file);
        self.templates.insert(rel.to_string(), id);
        Some(id)
    }

    /// Applications (and ApplicationSets) in what Application `parent` renders, or else the
    /// root applied by hand `root` (its name and directory).
    fn discover(
        &mut self,
        docs: &[RenderedDocRef],
        parent: Option<usize>,
        root: Option<(&str, &str)>,
        entries: &[Entry],
    ) -> Vec<Entry> {
        let depth = parent.map_or(1, |p| entries[p].depth + 1);
        // Descendants of a root applied by hand say so, as its own Applications do.
        let hand_root: Option<(String, String)> = match parent {
            Some(p) => entries[p].root.clone(),
            None => root.map(|(name, dir)| (name.to_string(), dir.to_string())),
        };
        // A root in a `units:` directory (`clusters/<cluster>`) is that cluster's own.
        let root_cluster = match parent {
            Some(p) => entries[p].app.origin.root_cluster.clone(),
            None => root
                .filter(|(_, dir)| !dir.is_empty() && self.settings.unit_dirs.is_match(dir))
                .map(|(_, dir)| dir.rsplit('/').next().unwrap_or(dir).to_string()),
        };
        let origin_of = |mut app: Application| {
            app.origin.root = hand_root.as_ref().map(|(name, _)| name.clone());
            app.origin.root_cluster.clone_from(&root_cluster);
            app
        };
        let mut found = Vec::new();
        let checkouts = argocd::applicationset::Checkouts::new();
        let expander = argocd::applicationset::Expander::new(
            &self.clusters,
            &self.repos,
            &self.settings.root,
            &checkouts,
            self.settings.max_file_size,
        )
        .with_limits(&self.settings.limits)
        .with_tree(self.sources.tree.clone());
        for d in docs {
            // An Application Kustomize read from a file of the tree is that file's Application.
            if d.source_doc.is_some() && entries.iter().any(|e| e.written == d.source_doc) {
                continue;
            }
            for m in manifests(&self.sources.get(d.file).documents[d.doc_index]) {
                let group = group_of(m.api_version);
                let is_app = argocd::is_application(group, m.kind);
                let is_set = argocd::is_applicationset(group, m.kind);
                if !is_app && !is_set {
                    continue;
                }
                let max_depth = self.settings.limits.get_usize(crate::limits::Key::AppDepth);
                if depth > max_depth {
                    self.notes.push(RenderNote::broken(
                        d.origin,
                        format!("Applications rendering Applications nest deeper than {max_depth} levels (`app-depth`) here; the rest is not rendered (a cycle?)"),
                        "break the cycle: an Application must not render itself or its ancestors",
                    ));
                    continue;
                }
                let origin = d.origin;
                if is_set {
                    let at = |_: Span| origin;
                    for app in expand_appset(
                        m.node,
                        &at,
                        &expander,
                        self.settings,
                        &mut self.notes,
                        &mut self.generated,
                        None,
                    ) {
                        let mut entry = Entry::new(origin_of(app), None, parent, depth);
                        entry.root.clone_from(&hand_root);
                        found.push(entry);
                    }
                    continue;
                }
                let json = m.node.to_json();
                // The same definition again (an app rendering itself): a cycle, not a new app.
                let name = json
                    .pointer("/metadata/name")
                    .and_then(|v| v.as_str())
                    .unwrap_or("");
                if let Some(parent) = parent
                    && entries
                        .iter()
                        .chain(found.iter())
                        .any(|e| e.app.name == name && ancestors_include(entries, parent, name))
                {
                    // Itself (a self-managing app-of-apps) is the usual pattern; an Application
                    // further up is a cycle, which stopped here without a word.
                    let parent_name = &entries[parent].app.name;
                    if parent_name != name {
                        self.notes.push(RenderNote::broken(
                            d.origin,
                            format!(
                                "Application `{parent_name}` renders Application `{name}`, which is above it: an app-of-apps cycle; `{name}` is not rendered again"
                            ),
                            "break the cycle: an Application must not render itself or its ancestors",
                        ));
                    }
                    continue;
                }
                let mut app = argocd::application::read(
                    &json,
                    &|_: &[&str]| origin,
                    None,
                    AppOrigin::default(),
                );
                if app.namespace.is_empty() {
                    app.namespace = self.settings.argocd_namespace.clone();
                }
                let mut entry =
                    Entry::new(origin_of(app), Some((d.file, d.doc_index)), parent, depth);
                entry.root.clone_from(&hand_root);
                found.push(entry);
            }
        }
        found
    }

    /// Top-level kustomizations and Helm charts no Application renders, rendered as applied by
    /// hand: each its own unit.
    fn standalone_units(&mut self, entries: &[Entry]) -> Vec<Standalone> {
        if self.settings.tools.is_none() {
            return Vec::new();
        }
        let covered = |dir: &str, rendered: &HashSet<String>| {
            rendered
                .iter()
                .any(|r| r == dir || r.is_empty() || dir.starts_with(&format!("{r}/")))
        };
        let mut jobs: Vec<(String, Location, RenderRequest)> = Vec::new();
        // The files a directory source selects, marked per file (a hash set of every file of a
        // large tree cost more than the few kustomizations and charts it is asked about).
        let mut claimed = vec![false; self.sources.len()];
        for f in entries.iter().flat_map(|e| e.files.iter()) {
            if let Some(c) = claimed.get_mut(f.0) {
                *c = true;
            }
        }
        let claimed = |f: FileId| claimed.get(f.0).copied().unwrap_or(false);
        for (dir, &kfile) in &self.kustomizations.dirs {
            // A Component only makes sense inside the kustomization that includes it (Kustomize
            // refuses to build one alone, or builds it without what its replacements expect).
            if self.kustomizations.included.contains(dir)
                || self.kustomizations.components.contains(dir)
                || covered(dir, &self.rendered_dirs)
                || owned_by_app(&self.owned, dir)
                || claimed(kfile)
            {
                continue;
            }
            jobs.push((
                format!("the kustomization `{}`", self.sources.get(kfile).display),
                Location {
                    file: kfile,
                    span: Span::new(0, 0),
                },
                RenderRequest::Kustomize(kustomize::KustomizeRequest {
                    root: self.settings.root.clone(),
                    dir: dir.clone(),
                    options: None,
                    app_namespace: None,
                }),
            ));
        }
        for (id, file) in self.sources.iter() {
            if file.generated || file.rel.rsplit('/').next() != Some("Chart.yaml") {
                continue;
            }
            let dir = tree::parent_dir(&file.rel).to_string();
            let chart = file.documents.first().and_then(|d| d.root.as_deref());
            // A library chart only provides templates to others; Helm refuses to install it.
            let library =
                chart.and_then(|r| r.get("type")).and_then(Node::as_str) == Some("library");
            if library
                || covered(&dir, &self.rendered_dirs)
                || owned_by_app(&self.owned, &dir)
                || claimed(id)
            {
                continue;
            }
            let name = file
                .documents
                .first()
                .and_then(|d| d.root.as_deref())
                .and_then(|r| r.get("name"))
                .and_then(Node::as_str)
                .unwrap_or("release")
                .to_string();
            let at = file
                .documents
                .first()
                .and_then(|d| d.root.as_deref())
                .and_then(|r| r.get("name"))
                .map_or(Span::new(0, 0), |n| n.span);
            jobs.push((
                format!(
                    "the Helm chart `{}`",
                    if dir.is_empty() { "." } else { &dir }
                ),
                Location { file: id, span: at },
                RenderRequest::Helm(helm::HelmRequest {
                    root: self.settings.root.clone(),
                    chart_dir: dir,
                    release_name: name,
                    namespace: DEFAULT_NAMESPACE.to_string(),
                    options: None,
                    refs: Vec::new(),
                    kube_version: None,
                }),
            ));
        }
        for (_, _, request) in &jobs {
            match request {
                RenderRequest::Helm(h) => self.rendered_dirs.insert(h.chart_dir.clone()),
                RenderRequest::Kustomize(k) => self.rendered_dirs.insert(k.dir.clone()),
            };
        }
        let requests: Vec<&RenderRequest> = jobs.iter().map(|(_, _, r)| r).collect();
        let results = self.render_all(&requests);
        let mut out = Vec::new();
        for ((name, at, request), result) in jobs.iter().zip(results) {
            match result {
                Ok(rendered) => {
                    self.render_problems(&rendered, *at, name);
                    let docs = self.integrate(&rendered, request, *at);
                    out.push(Standalone {
                        name: name.clone(),
                        dir: match request {
                            RenderRequest::Helm(h) => h.chart_dir.clone(),
                            RenderRequest::Kustomize(k) => k.dir.clone(),
                        },
                        location: *at,
                        docs,
                    });
                }
                // Said once the roots' Applications are known: one of them may render it.
                Err(e) => self.standalone_failures.push((
                    match request {
                        RenderRequest::Helm(h) => h.chart_dir.clone(),
                        RenderRequest::Kustomize(k) => k.dir.clone(),
                    },
                    name.clone(),
                    *at,
                    e,
                    matches!(request, RenderRequest::Helm(_)),
                )),
            }
        }
        out
    }

    /// Units, objects, Applications and projects: the finished inventory.
    fn assemble(
        mut self,
        mut entries: Vec<Entry>,
        standalone: Vec<Standalone>,
        roots: &[Root],
        scopes: Scopes,
        clusters_declared: bool,
    ) -> Inventory {
        let mut units: Vec<RenderUnit> = Vec::new();
        for (i, e) in entries.iter_mut().enumerate() {
            e.app.unit = UnitId(units.len());
            units.push(RenderUnit {
                dir: None,
                name: format!("the render of Application `{}`", e.app.name),
                location: Some(e.app.locations.name),
                cluster: e.app.destination.cluster.clone(),
                namespace: if e.app.destination.namespace.is_empty() {
                    DEFAULT_NAMESPACE.to_string()
                } else {
                    e.app.destination.namespace.clone()
                },
                app: Some(AppIdx(i)),
            });
        }

        let mut placer = Placer {
            scopes: &scopes,
            argocd_namespace: &self.settings.argocd_namespace,
            docs: Vec::new(),
        };
        // Directory sources: the files each Application selects. Marked per file (every file
        // of a large tree is looked up once below), and per Application by the last entry that
        // marked it, so a file listed twice by one Application is placed once.
        let mut claimed_by: Vec<Option<usize>> = vec![None; self.sources.len()];
        for (k, e) in entries.iter().enumerate() {
            for &f in &e.files {
                let Some(mark) = claimed_by.get_mut(f.0) else {
                    continue;
                };
                if *mark == Some(k) {
                    continue;
                }
                *mark = Some(k);
                placer.place_file(&self.sources, f, e.app.unit, None);
            }
            for d in &e.rendered {
                placer.place_doc(&self.sources, d, e.app.unit);
            }
        }
        for s in &standalone {
            let unit = UnitId(units.len());
            // A cluster's own root is applied to that cluster.
            let cluster = entries
                .iter()
                .filter(|e| e.parent.is_none() && e.root.as_ref().is_some_and(|(_, d)| d == &s.dir))
                .find_map(|e| e.app.origin.root_cluster.clone())
                .unwrap_or_else(|| IN_CLUSTER.to_string());
            units.push(RenderUnit {
                dir: None,
                name: s.name.clone(),
                location: Some(s.location),
                cluster,
                namespace: DEFAULT_NAMESPACE.to_string(),
                app: None,
            });
            for d in &s.docs {
                placer.place_doc(&self.sources, d, unit);
            }
        }
        // Plain manifests: what nothing above covers.
        let rendered_dirs = self.rendered_dirs.clone();
        let under_rendered = |rel: &str| {
            rendered_dirs.iter().any(|d| {
                d.is_empty()
                    || rel
                        .strip_prefix(d.as_str())
                        .is_some_and(|rest| rest.starts_with('/'))
            })
        };
        let mut kustomize_units: BTreeMap<String, UnitId> = BTreeMap::new();
        let mut dir_units: BTreeMap<String, UnitId> = BTreeMap::new();
        let file_ids: Vec<FileId> = self.sources.iter().map(|(id, _)| id).collect();
        for file_id in file_ids {
            let file = self.sources.get(file_id);
            if file.generated
                || claimed_by.get(file_id.0).is_some_and(Option::is_some)
                || self.claimed_by_tools.contains(&file_id)
                || self.kustomizations.patches.contains(&file.rel)
                || under_rendered(&file.rel)
                || owned_by_app(&self.owned, tree::parent_dir(&file.rel))
            {
                continue;
            }
            let root_rel = roots.get(file.root).map_or("", |r| r.rel.as_str());
            // Without the tools, a kustomization directory is still a unit of its own.
            let unit = match kustomize_dir_of(&self.kustomizations, &file.rel, root_rel) {
                Some(dir) => *kustomize_units.entry(dir.to_string()).or_insert_with(|| {
                    let kfile = self.kustomizations.dirs[dir];
                    units.push(RenderUnit {
                        dir: None,
                        name: format!("the kustomization `{}`", self.sources.get(kfile).display),
                        location: Some(Location {
                            file: kfile,
                            span: Span::new(0, 0),
                        }),
                        cluster: IN_CLUSTER.to_string(),
                        namespace: DEFAULT_NAMESPACE.to_string(),
                        app: None,
                    });
                    UnitId(units.len() - 1)
                }),
                None => {
                    // A directory of plain manifests is applied as one thing, without its
                    // subdirectories (as an Argo CD directory source without `recurse`); a
                    // `units:` glob joins a directory with everything below it.
                    let (dir, joined) =
                        match unit_dir_of(&self.settings.unit_dirs, &file.rel, root_rel) {
                            Some(dir) => (dir, true),
                            None => (tree::parent_dir(&file.rel), false),
                        };
                    *dir_units.entry(dir.to_string()).or_insert_with(|| {
                        let shown = shown_dir(&file.display, &file.rel, dir);
                        units.push(RenderUnit {
                            dir: Some(dir.to_string()),
                            name: if joined {
                                format!("the directory `{shown}` (with its subdirectories)")
                            } else {
                                format!("the directory `{shown}`")
                            },
                            location: None,
                            cluster: IN_CLUSTER.to_string(),
                            namespace: DEFAULT_NAMESPACE.to_string(),
                            app: None,
                        });
                        UnitId(units.len() - 1)
                    })
                }
            };
            placer.place_file(&self.sources, file_id, unit, None);
        }

        // Each Application's own object, and the Application that rendered it.
        let (objects, first) = placer.finish(&self.sources, &units);
        let mut applications: Vec<Application> = Vec::with_capacity(entries.len());
        for e in entries {
            let mut app = e.app;
            if let Some(&o) = e.written.and_then(|at| first.get(&at)) {
                app.object = Some(o);
                app.origin.parent = units[objects[o.0].unit.0].app;
            }
            if let Some(p) = e.parent {
                app.origin.parent = Some(AppIdx(p));
            }
            applications.push(app);
        }
        self.notes.extend(parent_cycles(&applications));
        mark_replaced(
            &mut applications,
            &self.sources,
            &Reaches::new(&units, &objects),
        );

        let mut inventory = Inventory::new(self.sources, units, objects, scopes);
        let mut projects = Vec::new();
        for (idx, o) in inventory.objects() {
            if !argocd::is_project(&o.id.group, &o.id.kind) {
                continue;
            }
            // As with Applications, the last definition of a project is the one Argo CD keeps.
            let project = argocd::project::read(o, idx);
            match projects
                .iter_mut()
                .find(|p: &&mut crate::model::AppProject| {
                    p.name == project.name && p.namespace == project.namespace
                }) {
                Some(known) => *known = project,
                None => projects.push(project),
            }
        }
        inventory.projects = projects;
        inventory.applications = applications;
        inventory.clusters = std::mem::take(&mut self.clusters);
        inventory.clusters_declared = clusters_declared;
        inventory.notes = std::mem::take(&mut self.notes);
        // In file order already: the set is built from sorted runs, not one insert at a time.
        let mut deployed: Vec<FileId> = claimed_by
            .iter()
            .enumerate()
            .filter(|(_, c)| c.is_some())
            .map(|(i, _)| FileId(i))
            .chain(self.app_tool_files.iter().copied())
            .collect();
        deployed.sort_unstable();
        deployed.dedup();
        inventory.deployed_files = deployed.into_iter().collect();
        inventory.argocd_namespace = self.settings.argocd_namespace.clone();
        inventory.render_stats = self.stats;
        inventory
    }
}

/// Applications that deploy each other (`a` holds `b`, `b` holds `a`): each cycle of the
/// app-of-apps graph longer than one, once, at the Application of the cycle defined first. An
/// Application that deploys itself (a self-managing root) is the usual pattern, not a cycle to
/// report. Rendering ends on its own (every Application here is defined once); without this the
/// cycle was silent.
fn parent_cycles(apps: &[Application]) -> Vec<RenderNote> {
    let mut notes = Vec::new();
    // 0 not visited, 1 on the current path, 2 done: each Application is walked once.
    let mut state = vec![0u8; apps.len()];
    for start in 0..apps.len() {
        let mut path: Vec<usize> = Vec::new();
        let mut at = start;
        loop {
            if state[at] == 2 {
                break;
            }
            if state[at] == 1 {
                let Some(from) = path.iter().position(|&p| p == at) else {
                    break;
                };
                let cycle = &path[from..];
                if cycle.len() > 1 {
                    // Named from the Application defined first, following what deploys it.
                    let first = cycle.iter().copied().min().unwrap_or(at);
                    let k = cycle.iter().position(|&c| c == first).unwrap_or(0);
                    let mut names: Vec<String> = cycle[k..]
                        .iter()
                        .chain(&cycle[..k])
                        .map(|&c| format!("`{}`", apps[c].name))
                        .collect();
                    names.push(names[0].clone());
                    let mut note = RenderNote::broken(
                        apps[first].locations.name,
                        format!(
                            "Application `{}` is deployed by an Application it deploys: an app-of-apps cycle ({}, each deployed by the next); no Application of it is a root, so pruning or deleting any of them with cascade removes them all",
                            apps[first].name,
                            names.join(" ← ")
                        ),
                        "break the cycle: keep each Application's definition in the directory, chart or overlay of one Application above it, or in a root applied by hand",
                    );
                    // Everything of it is rendered and checked: the finding is the cycle.
                    note.why = Some(APP_CYCLE);
                    notes.push(note);
                }
                break;
            }
            state[at] = 1;
            path.push(at);
            match apps[at].origin.parent {
                Some(AppIdx(p)) if p < apps.len() && p != at => at = p,
                _ => break,
            }
        }
        for p in path {
            state[p] = 2;
        }
    }
    notes
}

/// The cause of a note about Applications that deploy each other, which hides no object.
pub const APP_CYCLE: &str = "app-of-apps cycle";

/// The name and render keys (`cycle_key`) of each Application above entry `at`, nearest first.
fn ancestry(entries: &[Entry], at: usize) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let mut next = entries[at].parent;
    while let Some(p) = next {
        out.push((entries[p].app.name.clone(), entries[p].render_keys.clone()));
        next = entries[p].parent;
    }
    out
}

/// What makes two Helm or Kustomize sources render the same: the repository, the directory,
/// the revision and the options (`helm:`, `kustomize:`), as written. The Application's name
/// (Helm's release name) is left out on purpose: a chart that renders an Application of itself
/// under a new name each level is the cycle to find.
fn cycle_key(source: &crate::model::argocd::AppSource, dir: &str) -> String {
    let options = |k: &str| {
        source
            .spec
            .get(k)
            .map(|v| v.to_string())
            .unwrap_or_default()
    };
    format!(
        "{}\0{dir}\0{}\0{}\0{}",
        source.repo_url,
        source.target_revision,
        options("helm"),
        options("kustomize")
    )
}

fn ancestors_include(entries: &[Entry], mut at: usize, name: &str) -> bool {
    loop {
        if entries[at].app.name == name {
            return true;
        }
        match entries[at].parent {
            Some(p) => at = p,
            None => return false,
        }
    }
}

impl Entry {
    fn new(
        app: Application,
        written: Option<(FileId, usize)>,
        parent: Option<usize>,
        depth: usize,
    ) -> Self {
        Entry {
            app,
            written,
            parent,
            depth,
            files: Vec::new(),
            rendered: Vec::new(),
            root: None,
            render_keys: Vec::new(),
        }
    }
}

/// Places documents on their unit's cluster and namespace as objects. The documents are taken
/// down in order first and placed at the end on every core (`finish`): the objects come out in
/// the order the documents were taken down, whatever the number of threads.
struct Placer<'a> {
    scopes: &'a Scopes,
    argocd_namespace: &'a str,
    docs: Vec<Placement>,
}

/// One document to place, in a unit.
struct Placement {
    file: FileId,
    doc_index: usize,
    unit: UnitId,
    origin: Option<Location>,
    source_doc: Option<(FileId, usize)>,
}

impl Placer<'_> {
    fn place_file(
        &mut self,
        sources: &Sources,
        file: FileId,
        unit: UnitId,
        origin: Option<Location>,
    ) {
        for (doc_index, doc) in sources.get(file).documents.iter().enumerate() {
            if doc.root.is_some() {
                self.docs.push(Placement {
                    file,
                    doc_index,
                    unit,
                    origin,
                    source_doc: None,
                });
            }
        }
    }

    fn place_doc(&mut self, sources: &Sources, d: &RenderedDocRef, unit: UnitId) {
        let has_root = sources
            .get(d.file)
            .documents
            .get(d.doc_index)
            .is_some_and(|doc| doc.root.is_some());
        if has_root {
            self.docs.push(Placement {
                file: d.file,
                doc_index: d.doc_index,
                unit,
                origin: Some(d.origin),
                source_doc: d.source_doc,
            });
        }
    }

    /// The objects of every document taken down, in that order, and the first object of each
    /// document (and of each tree document a render read), for linking Applications to their
    /// own object.
    fn finish(
        self,
        sources: &Sources,
        units: &[RenderUnit],
    ) -> (Vec<Object>, FxHashMap<(FileId, usize), ObjectIdx>) {
        // In slices, each placed on every core and appended in order: a parallel collect of
        // the whole would hold every object twice at the run's peak of memory (rayon gathers
        // pieces, then copies them into one vector; 17 MB more at 50,000 objects, issue 12).
        // Most documents hold one object, so the vector rarely grows past its first size.
        let mut objects: Vec<Object> = Vec::with_capacity(self.docs.len());
        for slice in self.docs.chunks(PLACE_SLICE) {
            let placed: Vec<Vec<Object>> = slice
                .par_iter()
                .map(|p| self.place(sources, p, units))
                .collect();
            objects.extend(placed.into_iter().flatten());
        }
        let mut first = FxHashMap::default();
        for (i, o) in objects.iter().enumerate() {
            first.entry((o.file, o.doc_index)).or_insert(ObjectIdx(i));
            if let Some(at) = o.source_doc {
                first.entry(at).or_insert(ObjectIdx(i));
            }
        }
        (objects, first)
    }

    /// The objects of one document.
    fn place(&self, sources: &Sources, p: &Placement, units: &[RenderUnit]) -> Vec<Object> {
        let Some((doc, root)) = sources
            .get(p.file)
            .documents
            .get(p.doc_index)
            .and_then(|doc| Some((doc, doc.root.as_ref()?)))
        else {
            return Vec::new();
        };
        let unit = &units[p.unit.0];
        let (cluster, default_ns) = (&unit.cluster, &unit.namespace);
        let applied_by_hand = unit.app.is_none();
        manifests(doc)
            .into_iter()
            .map(|m| {
                let group = group_of(m.api_version);
                let namespaced = self.scopes.namespaced(group, m.kind).unwrap_or(true);
                // Argo CD's own kinds are applied into its namespace (its docs: `kubectl apply
                // -n argocd`), and only read there; an Application's render puts them in its
                // destination namespace, like any object.
                let argocd_kind = argocd::is_application(group, m.kind)
                    || argocd::is_applicationset(group, m.kind)
                    || argocd::is_project(group, m.kind);
                let namespace = match m.namespace {
                    _ if !namespaced => String::new(),
                    Some(ns) => ns.to_string(),
                    None if applied_by_hand && argocd_kind => self.argocd_namespace.to_string(),
                    None => default_ns.to_string(),
                };
                Object {
                    id: ObjectId {
                        cluster: cluster.clone(),
                        group: group.to_string(),
                        kind: m.kind.to_string(),
                        namespace,
                        name: m.name.to_string(),
                    },
                    api_version: m.api_version.to_string(),
                    node: ObjectNode::new(Arc::clone(root), m.list_item),
                    file: p.file,
                    doc_index: p.doc_index,
                    list_item: m.list_item,
                    unit: p.unit,
                    origin: p.origin,
                    namespace_written: m.namespace.is_some(),
                    source_doc: p.source_doc,
                }
            })
            .collect()
    }
}

/// Documents placed on the cores at a time: enough work to share, little to hold twice.
const PLACE_SLICE: usize = 4096;

/// What a file written in the tree holds for Argo CD, in order: an Application read, an
/// ApplicationSet to expand, or a note on a scaffolding template.
enum Found<'a> {
    Application(Box<Entry>),
    ApplicationSet(FileId, &'a Node),
    Note(RenderNote),
}

/// The Applications and ApplicationSets written in `file_id` (pure: read on any thread).
fn written_in<'a>(sources: &'a Sources, file_id: FileId, argocd_namespace: &str) -> Vec<Found<'a>> {
    let mut out = Vec::new();
    let file = sources.get(file_id);
    for (doc_index, doc) in file.documents.iter().enumerate() {
        for m in manifests(doc) {
            let group = group_of(m.api_version);
            let appset = argocd::is_applicationset(group, m.kind);
            let application = argocd::is_application(group, m.kind);
            if !appset && !application {
                continue;
            }
            // A scaffolding template (Backstage's `${{ values.x }}`, GitHub's expressions) is
            // filled in before anything applies it: not an Application of this repository.
            if let Some(line) = scaffold_placeholder_line(file, m.node.span) {
                out.push(Found::Note(RenderNote::not_rendered(
                    Location {
                        file: file_id,
                        span: m.node.get("kind").map_or(m.node.span, |k| k.span),
                    },
                    format!(
                        "not a manifest: template syntax at line {line} (`${{{{ }}}}` placeholders are filled in before this {} is applied)",
                        m.kind
                    ),
                    "a template (such as a Backstage skeleton) is checked in what it generates; exclude its directory in .manifest-guard.yaml to say so",
                )));
                continue;
            }
            if appset {
                out.push(Found::ApplicationSet(file_id, m.node));
                continue;
            }
            let node = m.node;
            let locate = |path: &[&str]| Location {
                file: file_id,
                span: locate_path(node, path)
                    .unwrap_or_else(|| node.get("kind").map_or(node.span, |k| k.span)),
            };
            let mut app =
                argocd::application::read(&node.to_json(), &locate, None, AppOrigin::default());
            if app.namespace.is_empty() {
                app.namespace = argocd_namespace.to_string();
            }
            out.push(Found::Application(Box::new(Entry::new(
                app,
                Some((file_id, doc_index)),
                None,
                0,
            ))));
        }
    }
    out
}

/// Expands an ApplicationSet into generated Applications, each pointing at the template (the
/// same path in `spec.template`) and naming its generator element. `ready`: the ApplicationSet
/// expanded already (on another core, under another budget), used when the budget left now
/// would give the same.
fn expand_appset(
    node: &Node,
    at: &dyn Fn(Span) -> Location,
    expander: &argocd::applicationset::Expander<'_>,
    settings: &Settings,
    notes: &mut Vec<RenderNote>,
    budget: &mut GeneratedBudget,
    ready: Option<argocd::applicationset::Expansion>,
) -> Vec<Application> {
    let mut apps = Vec::new();
    if budget.ran_out.is_some() {
        budget.skipped += 1;
        return apps;
    }
    let appset_name = node
        .path(&["metadata", "name"])
        .and_then(Node::as_str)
        .unwrap_or("")
        .to_string();
    let name_at = at(node
        .path(&["metadata", "name"])
        .or_else(|| node.get("kind"))
        .map_or(node.span, |n| n.span));
    // Argo CD creates the generated Applications in the ApplicationSet's namespace, whatever
    // the template says (applicationset controller: `generatedApp.Namespace =
    // applicationSet.Namespace`); one written without a namespace is in Argo CD's.
    let appset_namespace = node
        .path(&["metadata", "namespace"])
        .and_then(Node::as_str)
        .filter(|ns| !ns.is_empty())
        .unwrap_or(&settings.argocd_namespace)
        .to_string();
    let template = node.path(&["spec", "template"]);
    let locate = |path: &[&str]| match template.and_then(|t| locate_path(t, path)) {
        Some(span) => at(span),
        None => name_at,
    };
    let expansion = match ready.filter(|e| e.same_under(budget.left, budget.bytes_left)) {
        Some(expansion) => expansion,
        None => expander.expand_at_most(&node.to_json(), budget.left, budget.bytes_left),
    };
    budget.left = budget.left.saturating_sub(expansion.apps.len());
    budget.bytes_left = budget.bytes_left.saturating_sub(expansion.bytes);
    if expansion.truncated {
        budget.ran_out = Some((name_at, appset_name.clone()));
    }
    let notes_before = notes.len();
    for why in expansion.partial {
        notes.push(RenderNote::not_rendered(
            name_at,
            format!("ApplicationSet `{appset_name}`: {why}"),
            "check the repository's top level to see every element",
        ));
    }
    for why in expansion.unavailable {
        notes.push(RenderNote::not_rendered(
            name_at,
            format!("ApplicationSet `{appset_name}`: {why}"),
            "generators that ask a live service (SCM providers, pull requests, cluster decision resources, plugins) cannot be evaluated offline; use a list, git or clusters generator where you can",
        ));
    }
    for error in expansion.errors {
        // At the generator that failed (`- git:`), when one did.
        let error_at = error
            .generator
            .and_then(|i| node.path(&["spec", "generators"])?.items().get(i))
            .map_or(name_at, |g| at(g.span));
        if error.limit {
            // A bound of the run (`limits:`): Argo CD would expand it, this run did not.
            notes.push(RenderNote::failed(
                error_at,
                format!("ApplicationSet `{appset_name}` was not expanded: {error}"),
            ));
            continue;
        }
        notes.push(RenderNote::broken(
            error_at,
            format!("ApplicationSet `{appset_name}` cannot be expanded: {error}"),
            "fix the generator or template: Argo CD generates no Application from an ApplicationSet in this state",
        ));
    }
    if expansion.apps.is_empty() && notes.len() == notes_before && !expansion.truncated {
        notes.push(RenderNote::not_rendered(
            name_at,
            format!(
                "ApplicationSet `{appset_name}` generates no Application: {}",
                why_no_element(node.get("spec").and_then(|s| s.get("generators")))
            ),
            "nothing it would generate is checked; give its generators what they read (clusters, elements, directories or files) so they produce elements",
        ));
    }
    let kinds = generator_kinds(node.path(&["spec", "generators"]));
    for generated in expansion.apps {
        let origin = AppOrigin {
            parent: None,
            root: None,
            root_cluster: None,
            generator: Some(crate::model::argocd::Generated {
                appset: appset_name.clone(),
                appset_at: name_at,
                element: generated.element,
                duplicate_of: generated.duplicate_of,
                preserve_resources: expansion.preserve_resources,
                applications_sync: expansion.applications_sync.clone(),
                generators: kinds.clone(),
            }),
        };
        let mut app = argocd::application::read(&generated.manifest, &locate, None, origin);
        app.namespace = appset_namespace.clone();
        apps.push(app);
    }
    apps
}

/// Why generators produced no element, from the generators an ApplicationSet names (looking
/// inside `matrix` and `merge`). Argo CD's cluster generator reads cluster Secrets in its own
/// namespace (applicationset/generators/cluster.go); offline they come from the repository or
/// the configuration.
fn why_no_element(generators: Option<&Node>) -> String {
    let found = generator_kinds(generators);
    let has = |k: &str| found.iter().any(|f| f == k);
    if has("clusters") {
        "its `clusters` generator matches no declared cluster; declare the clusters (with their labels) in `.manifest-guard.yaml` `clusters:`, or as cluster Secrets in the repository".into()
    } else if has("git") {
        "its `git` generator matches no directory or file of the repository".into()
    } else if has("list") {
        "its `list` generator has no elements".into()
    } else {
        "its generators produce no element".into()
    }
}

/// The kinds of generators an ApplicationSet's `spec.generators` names (`list`, `clusters`,
/// `git`…), looking inside `matrix` and `merge`, in the order written.
fn generator_kinds(generators: Option<&Node>) -> Vec<String> {
    fn kinds(generators: Option<&Node>, out: &mut Vec<String>) {
        for g in generators.map(Node::items).unwrap_or(&[]) {
            for e in g.entries() {
                let Some(kind) = e.key.as_scalar_text() else {
                    continue;
                };
                if matches!(kind, "matrix" | "merge") {
                    kinds(e.value.get("generators"), out);
                } else if kind != "selector" {
                    out.push(kind.to_string());
                }
            }
        }
    }
    let mut found = Vec::new();
    kinds(generators, &mut found);
    found
}

/// Whether the source is a directory source by its own options, so that no `Chart.yaml` or
/// kustomization in its path makes it Helm or Kustomize. Argo CD takes an explicit type first
/// (reposerver/repository/repository.go `GetAppSourceType` → `ApplicationSource.ExplicitType`:
/// `source.Directory != nil`), and before that drops a `directory` with nothing set
/// (util/argo/argo.go `NormalizeSource`: a zero `Directory` — no `recurse`, no `jsonnet` — is
/// kept only for its `include` or `exclude`). So `directory: {}` still discovers a chart, and
/// `directory: {exclude: Chart.yaml}` deploys the chart's files as plain manifests.
fn explicit_directory(spec: &serde_json::Value) -> bool {
    let Some(d) = spec.get("directory").filter(|d| d.is_object()) else {
        return false;
    };
    let set = |key: &str| {
        d.get(key)
            .and_then(serde_json::Value::as_str)
            .is_some_and(|s| !s.is_empty())
    };
    let recurse = d
        .get("recurse")
        .is_some_and(|r| r.as_bool() == Some(true) || r.as_str() == Some("true"));
    let jsonnet = d.get("jsonnet").is_some_and(|j| {
        ["tlas", "extVars", "libs"].iter().any(|k| {
            j.get(k)
                .and_then(serde_json::Value::as_array)
                .is_some_and(|a| !a.is_empty())
        })
    });
    recurse || jsonnet || set("include") || set("exclude")
}

/// A directory source that selects no manifest (nor jsonnet): the Application deploys nothing.
fn empty_directory_note(app_name: &str, dir: &str, at: Location) -> RenderNote {
    let shown = if dir.is_empty() { "." } else { dir };
    let mut note = RenderNote::not_rendered(
        at,
        format!(
            "Application `{app_name}`: `{shown}` holds no manifest; the Application deploys no object"
        ),
        "check the source's `path` (and `directory.recurse`, `include`, `exclude`)",
    );
    note.why = Some("renders no object");
    note
}

/// A `.jsonnet` file a directory source selects: Argo CD evaluates it and applies what it yields
/// (repository.go, `findManifests`: `vm.EvaluateFile`, whether or not `directory.jsonnet` is
/// set), and manifest-guard does not. A warning at the file, since the objects it adds are
/// invisible to every rule.
fn jsonnet_note(sources: &Sources, app_name: &str, file: FileId) -> RenderNote {
    let mut note = RenderNote::not_rendered(
        Location {
            file,
            span: Span::new(0, 0),
        },
        format!(
            "Application `{app_name}` deploys what `{}` evaluates to: Argo CD evaluates jsonnet in a directory source and applies the objects it yields; manifest-guard does not evaluate jsonnet, so they are not checked",
            sources.get(file).display
        ),
        "render the jsonnet to YAML in CI and check that output, or leave it out of the source with `directory.exclude` if it is not meant to be applied",
    );
    note.why = Some("jsonnet");
    note.hides_objects = true;
    note
}

/// The span of the value at `path` (mapping keys, or sequence indexes); when the path stops
/// early, the key of the deepest part that exists (`spec:` for a missing `spec.project`).
fn locate_path(node: &Node, path: &[&str]) -> Option<Span> {
    let mut current = node;
    let mut last_key = None;
    for step in path {
        let next = match step.parse::<usize>() {
            Ok(i) if current.is_seq() => current.items().get(i).map(|n| (n.span, n)),
            _ => current.entry(step).map(|e| (e.key.span, &e.value)),
        };
        match next {
            Some((key, value)) => {
                last_key = Some(key);
                current = value;
            }
            None => return last_key,
        }
    }
    Some(current.span)
}

/// Finds the cluster an Application deploys to, by name or by server.
fn resolve_destination(app: &mut Application, clusters: &[Cluster]) {
    let d = &mut app.destination;
    let found = match (&d.name, &d.server) {
        (Some(name), _) => clusters.iter().rev().find(|c| &c.name == name),
        (None, Some(server)) => clusters
            .iter()
            .rev()
            .find(|c| c.server.trim_end_matches('/') == server.trim_end_matches('/')),
        (None, None) => None,
    };
    match found {
        Some(c) => {
            d.cluster = c.name.clone();
            d.server_resolved = c.server.clone();
            d.known = true;
        }
        None => {
            d.cluster = d
                .name
                .clone()
                .or_else(|| d.server.clone())
                .unwrap_or_default();
            d.server_resolved = d.server.clone().unwrap_or_default();
            d.known = false;
        }
    }
}

/// Argo CD keeps one Application per namespace and name: the last one applied. Files are applied
/// in path order and documents in file order, so the last in that order wins.
fn mark_replaced(apps: &mut [Application], sources: &Sources, reaches: &Reaches) {
    let order = |loc: Location| (sources.get(loc.file).display.clone(), loc.span.start);
    // Definitions of one name replace each other only where they meet: written in one directory
    // applied by hand, or one of them applied by Argo CD (rendered by an Application or a
    // root). Two directories applied by hand one at a time are two separate applies.
    let reach: Vec<Reach> = apps.iter().map(|a| reaches.app(a)).collect();
    // An ApplicationSet defined twice: Argo CD keeps the last definition, and only what that one
    // generates exists.
    // Keys hold the cluster of a root applied by hand to a cluster of its own: another
    // cluster's Argo CD is another namespace of names.
    type Key = (Option<String>, String, String);
    let mut appsets: BTreeMap<Key, Vec<(Reach, Location)>> = BTreeMap::new();
    for (a, &r) in apps.iter().zip(&reach) {
        if let Some(g) = &a.origin.generator {
            let key = (
                a.origin.root_cluster.clone(),
                a.namespace.clone(),
                g.appset.clone(),
            );
            let defs = appsets.entry(key).or_default();
            if !defs.iter().any(|(_, at)| *at == g.appset_at) {
                defs.push((r, g.appset_at));
            }
        }
    }
    let mut kept: HashSet<(Key, Location)> = HashSet::new();
    for (key, defs) in appsets {
        for group in Reach::groups(defs) {
            if let Some(last) = group.into_iter().max_by_key(|&at| order(at)) {
                kept.insert((key.clone(), last));
            }
        }
    }
    for a in apps.iter_mut() {
        if let Some(g) = &a.origin.generator {
            let key = (
                a.origin.root_cluster.clone(),
                a.namespace.clone(),
                g.appset.clone(),
            );
            a.appset_replaced = !kept.contains(&(key, g.appset_at));
        }
    }
    let mut by_key: BTreeMap<Key, Vec<(Reach, usize)>> = BTreeMap::new();
    // An Application its ApplicationSet refuses as a duplicate never exists: it replaces nothing.
    for (i, a) in apps
        .iter()
        .enumerate()
        .filter(|(_, a)| !a.appset_replaced && !a.refused_duplicate())
    {
        by_key
            .entry((
                a.origin.root_cluster.clone(),
                a.namespace.clone(),
                a.name.clone(),
            ))
            .or_default()
            .push((reach[i], i));
    }
    for (_, defs) in by_key {
        for mut group in Reach::groups(defs) {
            if group.len() < 2 {
                continue;
            }
            group.sort_by_key(|&i| order(apps[i].locations.name));
            if let Some(&winner) = group.last() {
                for &i in &group[..group.len() - 1] {
                    apps[i].replaced_by = Some(AppIdx(winner));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_keys_point_at_the_nearest_key() {
        let parsed =
            crate::load::yaml::parse("spec:\n  source:\n    path: x\n", Default::default());
        let root = parsed.documents[0].root.clone().expect("root");
        let text = "spec:\n  source:\n    path: x\n";
        let span = locate_path(&root, &["spec", "project"]).expect("span");
        assert_eq!(&text[span.start..span.end], "spec");
        let span = locate_path(&root, &["spec", "source", "path"]).expect("span");
        assert_eq!(&text[span.start..span.end], "x");
    }

    /// The inventory of `files` (path, text) as `check` builds it, on a pool of `threads`.
    fn built_on(threads: usize, files: &[(String, String)]) -> Inventory {
        let sources = Sources::new(
            files
                .iter()
                .map(|(rel, text)| {
                    crate::load::parse_text(
                        rel.clone(),
                        rel.clone(),
                        Arc::from(text.as_str()),
                        Default::default(),
                    )
                })
                .collect(),
        );
        let roots = [Root {
            rel: String::new(),
            display: ".".into(),
        }];
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        pool.install(|| build(sources, &roots, &Settings::default()))
    }

    /// The identity index (`Inventory::by_identity`, `with_identity`) is built in shards on
    /// every core (model/inventory.rs `Identities::new`): whatever the number of threads, the
    /// identities come in the order their first object appears, each with its objects in object
    /// order, and a lookup finds the same objects. Many more identities than shards, repeated
    /// across files and directories (units), some cluster-scoped.
    #[test]
    fn the_identity_index_is_the_same_whatever_the_threads() {
        let mut files = Vec::new();
        for i in 0..600usize {
            let text = if i % 5 == 0 {
                format!(
                    "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns{}\n",
                    i % 23
                )
            } else {
                format!(
                    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm{}\n  namespace: n{}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d{}\n",
                    i % 97,
                    i % 3,
                    i % 41
                )
            };
            files.push((format!("dir{}/f{i:03}.yaml", i % 7), text));
        }
        let one = built_on(1, &files);
        let ids = |inv: &Inventory| -> Vec<(ObjectId, Vec<ObjectIdx>)> {
            inv.by_identity()
                .map(|(id, objects)| (id.clone(), objects.to_vec()))
                .collect()
        };
        let expected = ids(&one);
        // First appearance order, object order within, every object once, under its identity.
        let firsts: Vec<usize> = expected.iter().map(|(_, o)| o[0].0).collect();
        assert!(firsts.windows(2).all(|w| w[0] < w[1]), "{firsts:?}");
        let mut seen = vec![false; one.objects.len()];
        for (id, objects) in &expected {
            assert!(objects.windows(2).all(|w| w[0] < w[1]));
            for o in objects {
                assert_eq!(&one.object(*o).id, id);
                assert!(!std::mem::replace(&mut seen[o.0], true));
            }
            assert_eq!(one.with_identity(id), objects.as_slice());
        }
        assert!(seen.iter().all(|s| *s));
        assert!(expected.len() > 100 && expected.len() < one.objects.len());
        let absent = ObjectId {
            name: "absent".into(),
            ..expected[0].0.clone()
        };
        assert!(one.with_identity(&absent).is_empty());
        for threads in [2, 3, 7] {
            let other = built_on(threads, &files);
            assert_eq!(ids(&other), expected, "{threads} threads");
            for (id, objects) in &expected {
                assert_eq!(other.with_identity(id), objects.as_slice());
            }
        }
    }
}
