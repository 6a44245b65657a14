//! Render: decide the render units of the scanned tree and turn each into objects placed on a
//! cluster and namespace. It owns provenance (which unit, file and Application an object came
//! from) and the Argo CD model (which Applications exist, what each deploys, where).
//!
//! Units: each Argo CD Application is one unit, holding the objects of the files its local
//! directory source selects (so an app-of-apps yields the child Applications, which are units in
//! turn). Files no Application selects are plain manifests: one unit per path argument, and one
//! per Kustomize directory, whose patch files are fragments, not objects.

pub mod argocd;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;

use crate::load::{FileId, Location, Node, Sources, Span};
use crate::model::argocd::{
    AppIdx, AppOrigin, Application, Cluster, IN_CLUSTER_NAME, RenderNote, SourceKind,
};
use crate::model::glob::glob_match;
use crate::model::{
    Inventory, Object, ObjectId, ObjectIdx, RenderUnit, Scopes, UnitId, group_of, manifests_of,
};

use argocd::repo::{Repos, Resolution};

/// The cluster name Argo CD gives the cluster it runs in; plain manifests land there.
pub const IN_CLUSTER: &str = IN_CLUSTER_NAME;
pub const DEFAULT_NAMESPACE: &str = "default";

const KUSTOMIZATION_NAMES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

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
    pub clusters: Vec<Cluster>,
    pub argocd_namespace: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            root: PathBuf::from("."),
            repositories: Vec::new(),
            clusters: Vec::new(),
            argocd_namespace: "argocd".into(),
        }
    }
}

fn parent_dir(rel: &str) -> &str {
    rel.rsplit_once('/').map_or("", |(dir, _)| dir)
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// Kustomization files by directory, and the files they name as patches.
struct Kustomizations {
    dirs: BTreeMap<String, FileId>,
    patches: HashSet<String>,
}

fn kustomizations(sources: &Sources) -> Kustomizations {
    let mut dirs = BTreeMap::new();
    let mut patches = HashSet::new();
    for (id, file) in sources.iter() {
        let name = file.rel.rsplit('/').next().unwrap_or("");
        if !KUSTOMIZATION_NAMES.contains(&name) {
            continue;
        }
        let dir = parent_dir(&file.rel).to_string();
        if let Some(root) = file.documents.first().and_then(|d| d.root.as_ref()) {
            let mut add = |p: &str| {
                if let Some(n) = argocd::repo::clean_relative(&join(&dir, p)) {
                    patches.insert(n);
                }
            };
            for item in root
                .get("patchesStrategicMerge")
                .map(Node::items)
                .unwrap_or(&[])
            {
                if let Some(p) = item.as_str() {
                    add(p);
                }
            }
            for key in ["patches", "patchesJson6902"] {
                for item in root.get(key).map(Node::items).unwrap_or(&[]) {
                    if let Some(p) = item.get("path").and_then(Node::as_str) {
                        add(p);
                    }
                }
            }
        }
        dirs.insert(dir, id);
    }
    Kustomizations { dirs, patches }
}

/// The nearest directory at or above the file's (not above `stop`) that holds a kustomization.
fn kustomize_dir_of<'a>(k: &'a Kustomizations, rel: &str, stop: &str) -> Option<&'a str> {
    let mut dir = parent_dir(rel);
    loop {
        if let Some((d, _)) = k.dirs.get_key_value(dir) {
            return Some(d.as_str());
        }
        if dir == stop || dir.is_empty() {
            return None;
        }
        dir = parent_dir(dir);
    }
}

/// Files by relative path, sorted, for selecting a directory source's files by prefix.
struct FileIndex {
    sorted: Vec<(String, FileId)>,
}

impl FileIndex {
    fn new(sources: &Sources) -> Self {
        let mut sorted: Vec<(String, FileId)> =
            sources.iter().map(|(id, f)| (f.rel.clone(), id)).collect();
        sorted.sort();
        FileIndex { sorted }
    }

    /// Files under `dir` (direct children only unless `recurse`).
    fn under(&self, dir: &str, recurse: bool) -> Vec<(&str, FileId)> {
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        let start = self
            .sorted
            .partition_point(|(rel, _)| rel.as_str() < prefix.as_str());
        self.sorted[start..]
            .iter()
            .take_while(|(rel, _)| rel.starts_with(&prefix))
            .filter(|(rel, _)| recurse || !rel[prefix.len()..].contains('/'))
            .map(|(rel, id)| (&rel[prefix.len()..], *id))
            .collect()
    }

    fn contains(&self, rel: &str) -> bool {
        self.sorted
            .binary_search_by(|(r, _)| r.as_str().cmp(rel))
            .is_ok()
    }
}

/// An Argo CD directory source's `include`/`exclude`: globs, with `{a,b}` alternatives, on the
/// path relative to the source directory.
fn selected(rel: &str, include: Option<&str>, exclude: Option<&str>) -> bool {
    let any = |pattern: &str| {
        expand_braces(pattern)
            .iter()
            .any(|p| glob_match(p, rel) || glob_match(p, rel.rsplit('/').next().unwrap_or(rel)))
    };
    include.is_none_or(any) && !exclude.is_some_and(any)
}

fn expand_braces(pattern: &str) -> Vec<String> {
    let (Some(open), Some(close)) = (pattern.find('{'), pattern.find('}')) else {
        return vec![pattern.to_string()];
    };
    if close < open {
        return vec![pattern.to_string()];
    }
    pattern[open + 1..close]
        .split(',')
        .map(|alt| format!("{}{}{}", &pattern[..open], alt, &pattern[close + 1..]))
        .collect()
}

/// Builds the inventory: Argo CD's Applications and what each renders, and the plain manifests
/// no Application selects.
pub fn build(sources: Sources, roots: &[Root], settings: &Settings) -> Inventory {
    let mut scopes = Scopes::default();
    let mut clusters = vec![argocd::cluster::in_cluster()];
    let mut clusters_declared = false;
    for (file_id, file) in sources.iter() {
        for doc in &file.documents {
            let Some(root) = &doc.root else { continue };
            for m in manifests_of(root) {
                if Scopes::is_crd(m.api_version, m.kind) {
                    scopes.learn_crd(m.node);
                }
                let at = Location {
                    file: file_id,
                    span: m.node.get("kind").map_or(m.node.span, |k| k.span),
                };
                if let Some(c) = argocd::cluster::from_secret(m.node, at) {
                    clusters_declared = true;
                    clusters.push(c);
                }
            }
        }
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

    let repos = Repos::new(&settings.root, &settings.repositories);
    let files = FileIndex::new(&sources);
    let k = kustomizations(&sources);
    let mut notes = Vec::new();

    // Every Application written in the tree, in file order.
    let mut apps: Vec<(Application, Option<(FileId, usize)>)> = Vec::new();
    let checkouts = argocd::applicationset::Checkouts::new();
    let expander =
        argocd::applicationset::Expander::new(&clusters, &repos, &settings.root, &checkouts);
    for (file_id, file) in sources.iter() {
        for (doc_index, doc) in file.documents.iter().enumerate() {
            let Some(root) = &doc.root else { continue };
            for m in manifests_of(root) {
                let group = group_of(m.api_version);
                if argocd::is_applicationset(group, m.kind) {
                    expand_appset(m.node, file_id, &expander, settings, &mut apps, &mut notes);
                    continue;
                }
                if !argocd::is_application(group, m.kind) {
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
                    app.namespace = settings.argocd_namespace.clone();
                }
                apps.push((app, Some((file_id, doc_index))));
            }
        }
    }

    // Destinations and sources.
    let mut claims: HashMap<FileId, Vec<usize>> = HashMap::new();
    for (i, (app, _)) in apps.iter_mut().enumerate() {
        resolve_destination(app, &clusters);
        for source in &mut app.sources {
            if matches!(source.kind, SourceKind::Ref) {
                continue;
            }
            if let SourceKind::Plugin(what) = &source.kind {
                notes.push(RenderNote::not_rendered(
                    source.location,
                    format!(
                        "Application `{}`: source uses {what}, which cannot be rendered offline",
                        app.name
                    ),
                    "a plugin runs code Argo CD's repo-server hosts; manifest-guard never runs it, so check its output in that plugin's own CI",
                ));
                continue;
            }
            let Some(path) = source.path.clone() else {
                notes.push(RenderNote::not_rendered(
                    source.location,
                    format!(
                        "Application `{}`: chart `{}` from `{}` is in a remote Helm repository, not available offline",
                        app.name,
                        source.chart.as_deref().unwrap_or("?"),
                        source.repo_url
                    ),
                    "vendor the chart into this repository and point the Application at its path",
                ));
                continue;
            };
            match repos.resolve(&source.repo_url, &path) {
                Resolution::NotLocal => notes.push(RenderNote::not_rendered(
                    source.location,
                    format!(
                        "Application `{}`: repository `{}` is not available offline",
                        app.name, source.repo_url
                    ),
                    "if it is this repository, or checked out beside it, map its URL to that path under `repositories:` in .manifest-guard.yaml",
                )),
                Resolution::Escapes(why) => notes.push(RenderNote::broken(
                    source.location,
                    format!("Application `{}`: {why}; not read", app.name),
                    "keep the source path inside the repository; Argo CD refuses paths and symlinks that leave it",
                )),
                Resolution::Local { dir, assumed } => {
                    if assumed {
                        notes.push(RenderNote::assumed(
                            source.location,
                            format!(
                                "Application `{}`: `{}` taken as this repository because `{path}` exists here (declare it under `repositories:` to be sure)",
                                app.name, source.repo_url
                            ),
                        ));
                    }
                    let has = |name: &str| files.contains(&join(&dir, name));
                    let detected = if KUSTOMIZATION_NAMES.iter().any(|n| has(n)) {
                        Some("Kustomize")
                    } else if has("Chart.yaml") || matches!(source.kind, SourceKind::Helm) {
                        Some("Helm")
                    } else if matches!(source.kind, SourceKind::Kustomize) {
                        Some("Kustomize")
                    } else {
                        None
                    };
                    if let Some(tool) = detected {
                        source.kind = if tool == "Helm" {
                            SourceKind::Helm
                        } else {
                            SourceKind::Kustomize
                        };
                        notes.push(RenderNote::not_rendered(
                            source.location,
                            format!(
                                "Application `{}`: `{dir}` is a {tool} source; rendering {tool} is not supported yet, so its objects are not checked as this Application's",
                                app.name
                            ),
                            "rendering Helm and Kustomize sources is the next step of manifest-guard",
                        ));
                    } else if let SourceKind::Directory {
                        recurse,
                        include,
                        exclude,
                    } = &source.kind
                    {
                        for (rel, file) in files.under(&dir, *recurse) {
                            if selected(rel, include.as_deref(), exclude.as_deref()) {
                                claims.entry(file).or_default().push(i);
                            }
                        }
                    }
                    source.local_dir = Some(dir);
                }
            }
        }
    }

    // Units: one per path argument, one per Kustomize directory, one per Application.
    let mut units: Vec<RenderUnit> = roots
        .iter()
        .map(|r| RenderUnit {
            name: format!("`{}`", r.display),
            location: None,
            cluster: IN_CLUSTER.to_string(),
            namespace: DEFAULT_NAMESPACE.to_string(),
            app: None,
        })
        .collect();
    for (i, (app, _)) in apps.iter_mut().enumerate() {
        app.unit = UnitId(units.len());
        units.push(RenderUnit {
            name: format!("the render of Application `{}`", app.name),
            location: Some(app.locations.name),
            cluster: app.destination.cluster.clone(),
            namespace: if app.destination.namespace.is_empty() {
                DEFAULT_NAMESPACE.to_string()
            } else {
                app.destination.namespace.clone()
            },
            app: Some(AppIdx(i)),
        });
    }
    let mut kustomize_units: BTreeMap<String, UnitId> = BTreeMap::new();

    let mut objects: Vec<Object> = Vec::new();
    let mut first_object: HashMap<(FileId, usize), ObjectIdx> = HashMap::new();
    for (file_id, file) in sources.iter() {
        if k.patches.contains(&file.rel) {
            continue;
        }
        let targets: Vec<UnitId> = match claims.get(&file_id) {
            Some(app_ids) => {
                let mut seen = HashSet::new();
                app_ids
                    .iter()
                    .filter(|a| seen.insert(**a))
                    .map(|&a| apps[a].0.unit)
                    .collect()
            }
            None => {
                let root_rel = roots.get(file.root).map_or("", |r| r.rel.as_str());
                vec![match kustomize_dir_of(&k, &file.rel, root_rel) {
                    Some(dir) => *kustomize_units.entry(dir.to_string()).or_insert_with(|| {
                        let kfile = k.dirs[dir];
                        units.push(RenderUnit {
                            name: format!("the kustomization `{}`", sources.get(kfile).display),
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
                    None => UnitId(file.root.min(roots.len().saturating_sub(1))),
                }]
            }
        };
        for unit in targets {
            let (cluster, default_ns) = (
                units[unit.0].cluster.clone(),
                units[unit.0].namespace.clone(),
            );
            for (doc_index, doc) in file.documents.iter().enumerate() {
                let Some(root) = &doc.root else { continue };
                for m in manifests_of(root) {
                    let group = group_of(m.api_version);
                    let namespaced = scopes.namespaced(group, m.kind).unwrap_or(true);
                    let namespace = if namespaced {
                        m.namespace.unwrap_or(&default_ns).to_string()
                    } else {
                        String::new()
                    };
                    first_object
                        .entry((file_id, doc_index))
                        .or_insert(ObjectIdx(objects.len()));
                    objects.push(Object {
                        id: ObjectId {
                            cluster: cluster.clone(),
                            group: group.to_string(),
                            kind: m.kind.to_string(),
                            namespace,
                            name: m.name.to_string(),
                        },
                        api_version: m.api_version.to_string(),
                        node: m.node.clone(),
                        file: file_id,
                        doc_index,
                        list_item: m.list_item,
                        unit,
                        origin: None,
                        namespace_written: m.namespace.is_some(),
                    });
                }
            }
        }
    }

    // Each Application's own object, and the Application that rendered it (app-of-apps).
    let mut applications: Vec<Application> = Vec::with_capacity(apps.len());
    for (mut app, written) in apps {
        if let Some(&o) = written.and_then(|at| first_object.get(&at)) {
            app.object = Some(o);
            app.origin.parent = units[objects[o.0].unit.0].app;
        }
        applications.push(app);
    }
    mark_replaced(&mut applications, &sources);

    let mut inventory = Inventory::new(sources, units, objects, scopes);
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
    inventory.clusters = clusters;
    inventory.clusters_declared = clusters_declared;
    inventory.notes = notes;
    inventory.argocd_namespace = settings.argocd_namespace.clone();
    inventory
}

/// Expands an ApplicationSet into generated Applications, each pointing at the template (the
/// same path in `spec.template`) and naming its generator element.
fn expand_appset(
    node: &Node,
    file: FileId,
    expander: &argocd::applicationset::Expander<'_>,
    settings: &Settings,
    apps: &mut Vec<(Application, Option<(FileId, usize)>)>,
    notes: &mut Vec<RenderNote>,
) {
    let appset_name = node
        .path(&["metadata", "name"])
        .and_then(Node::as_str)
        .unwrap_or("")
        .to_string();
    let name_at = Location {
        file,
        span: node
            .path(&["metadata", "name"])
            .or_else(|| node.get("kind"))
            .map_or(node.span, |n| n.span),
    };
    let template = node.path(&["spec", "template"]);
    let locate = |path: &[&str]| Location {
        file,
        span: template
            .and_then(|t| locate_path(t, path))
            .unwrap_or(name_at.span),
    };
    let expansion = expander.expand(&node.to_json());
    for why in expansion.unavailable {
        notes.push(RenderNote::not_rendered(
            name_at,
            format!("ApplicationSet `{appset_name}`: {why}"),
            "generators that ask a live service (SCM providers, pull requests, cluster decision resources, plugins) cannot be evaluated offline; use a list, git or clusters generator where you can",
        ));
    }
    for error in expansion.errors {
        notes.push(RenderNote::broken(
            name_at,
            format!("ApplicationSet `{appset_name}` cannot be expanded: {error}"),
            "fix the generator or template: Argo CD generates no Application from an ApplicationSet in this state",
        ));
    }
    for generated in expansion.apps {
        let origin = AppOrigin {
            parent: None,
            generator: Some(crate::model::argocd::Generated {
                appset: appset_name.clone(),
                element: generated.element,
                preserve_resources: expansion.preserve_resources,
                applications_sync: expansion.applications_sync.clone(),
            }),
        };
        let mut app = argocd::application::read(&generated.manifest, &locate, None, origin);
        if app.namespace.is_empty() {
            app.namespace = settings.argocd_namespace.clone();
        }
        apps.push((app, None));
    }
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
fn mark_replaced(apps: &mut [Application], sources: &Sources) {
    let mut by_key: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for (i, a) in apps.iter().enumerate() {
        by_key
            .entry((a.namespace.clone(), a.name.clone()))
            .or_default()
            .push(i);
    }
    for (_, mut group) in by_key {
        if group.len() < 2 {
            continue;
        }
        group.sort_by_key(|&i| {
            let loc = apps[i].locations.name;
            (sources.get(loc.file).display.clone(), loc.span.start)
        });
        if let Some(&winner) = group.last() {
            for &i in &group[..group.len() - 1] {
                apps[i].replaced_by = Some(AppIdx(winner));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn include_exclude_globs() {
        assert!(selected("a.yaml", Some("{*.yml,*.yaml}"), None));
        assert!(!selected("a.json", Some("{*.yml,*.yaml}"), None));
        assert!(!selected("config.yaml", None, Some("config.yaml")));
        assert!(selected("sub/x.yaml", Some("*.yaml"), None));
    }
}
