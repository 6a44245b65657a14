//! ApplicationSets, expanded offline: each `spec.generators` entry is evaluated (generators/),
//! every element's parameters are applied to `spec.template` (template/, fasttemplate or Go
//! template as the ApplicationSet asks) and `templatePatch`, and the result is an Application
//! that knows the element that produced it. Generators that need a network service, and git
//! repositories that are not local, are reported, never guessed.

pub mod generators;
pub mod template;

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::load::yaml;
use crate::model::argocd::{Cluster, ClusterSource};

use super::cluster::SECRET_TYPE_LABEL;

use super::repo::{Listing, Repos, clean_relative};
use generators::{Context, Element, Outcome, Params, Repo};
use template::TemplateOptions;

/// An Application generated from one element.
#[derive(Debug, Clone)]
pub struct GeneratedApp {
    pub manifest: Value,
    pub element: String,
    /// Set when an earlier element generated an Application of the same name: the element whose
    /// Application the controller keeps. Argo CD never creates this one.
    pub duplicate_of: Option<String>,
}

/// What one ApplicationSet expands to.
#[derive(Debug, Clone, Default)]
pub struct Expansion {
    pub apps: Vec<GeneratedApp>,
    pub preserve_resources: bool,
    pub applications_sync: Option<String>,
    /// Generators that could not be evaluated offline, and why.
    pub unavailable: Vec<String>,
    /// Git generators that saw only the scanned subdirectory of their repository.
    pub partial: Vec<String>,
    /// What makes the ApplicationSet invalid: Argo CD would generate nothing from it.
    pub errors: Vec<ExpansionError>,
    /// Its elements were more than the Applications it was allowed to generate
    /// (`generated-applications`, what is left of it in the run), or its Applications more bytes
    /// (`generated-bytes`): `apps` holds the first ones.
    pub truncated: bool,
    /// The bytes of the strings, keys and scalars of `apps` (`generated-bytes`).
    pub bytes: usize,
    /// What this expansion took of the two budgets it was given: the elements its generators
    /// produced, and the bytes of the Applications it rendered before any were dropped. Under
    /// any budgets at least this large, and not truncated, expanding again gives the same.
    pub needed: (usize, usize),
}

impl Expansion {
    /// Whether this expansion is what expanding with `at_most` Applications and `bytes` would
    /// give: it was not cut short, and took no more than either.
    pub fn same_under(&self, at_most: usize, bytes: usize) -> bool {
        !self.truncated && self.needed.0 <= at_most && self.needed.1 <= bytes
    }
}

/// Why an ApplicationSet generates nothing, and which `spec.generators` entry says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpansionError {
    /// The index in `spec.generators` of the generator that failed, when one did.
    pub generator: Option<usize>,
    pub message: String,
    /// A bound of this tool was reached (`limits:`), not an error Argo CD would make: the
    /// ApplicationSet is unchecked, not broken.
    pub limit: bool,
}

impl std::fmt::Display for ExpansionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<String> for ExpansionError {
    fn from(message: String) -> Self {
        ExpansionError {
            generator: None,
            message,
            limit: false,
        }
    }
}

/// A directory of the scanned tree, listed once, as a git generator sees the repository.
pub struct LocalRepo {
    base: PathBuf,
    /// The part of the repository above `base`, when the scanned root is a subdirectory of the
    /// checkout: every path listed starts with it, and nothing outside it is seen.
    prefix: String,
    directories: std::sync::Arc<[String]>,
    files: std::sync::Arc<[String]>,
    assumed: bool,
    /// The largest file it reads, in bytes: the walk's `max-file-size`.
    max_file_size: u64,
}

impl LocalRepo {
    /// `tree`: the scanned root's listing from the walk, used instead of walking again when
    /// the repository is the scanned root itself.
    fn new(
        root: &Path,
        listing: &Listing,
        max_file_size: u64,
        tree: Option<&crate::load::source::TreeListing>,
    ) -> Self {
        let base = root.join(&listing.dir);
        let prefix = listing.prefix.clone();
        let (mut directories, mut files) = (Vec::new(), Vec::new());
        // The directories that hold the listed part are directories of the repository too.
        let mut above = prefix.as_str();
        while !above.is_empty() {
            directories.push(above.to_string());
            above = above.rsplit_once('/').map_or("", |(parent, _)| parent);
        }
        let with_prefix = |rel: &str| {
            if prefix.is_empty() {
                rel.to_string()
            } else {
                format!("{prefix}/{rel}")
            }
        };
        match tree.filter(|_| listing.dir.is_empty()) {
            Some(tree) => {
                // The walk's own listing: the same entries (links not followed, `.git`
                // directories left out), less a `.git` file, which `filter_entry` below drops.
                directories.extend(tree.directories.iter().map(|d| with_prefix(d)));
                files.extend(
                    tree.files
                        .iter()
                        .filter(|f| f.rsplit('/').next() != Some(".git"))
                        .map(|f| with_prefix(f)),
                );
            }
            None => {
                let walk = walkdir::WalkDir::new(&base)
                    .follow_links(false)
                    .sort_by_file_name()
                    .into_iter()
                    .filter_entry(|e| e.file_name() != ".git");
                for entry in walk.flatten() {
                    let Ok(rel) = entry.path().strip_prefix(&base) else {
                        continue;
                    };
                    let rel = crate::load::slash_path(rel);
                    if rel.is_empty() {
                        continue;
                    }
                    if entry.file_type().is_dir() {
                        directories.push(with_prefix(&rel));
                    } else if entry.file_type().is_file() {
                        files.push(with_prefix(&rel));
                    }
                }
            }
        }
        // Sorted as strings, as `Repo` promises and `read` searches (the walk's order puts
        // `a/x` before `a-b`).
        directories.sort();
        files.sort();
        LocalRepo {
            base,
            prefix,
            directories: directories.into(),
            files: files.into(),
            assumed: listing.assumed,
            max_file_size,
        }
    }
}

impl Repo for LocalRepo {
    fn directories(&self) -> std::sync::Arc<[String]> {
        self.directories.clone()
    }

    fn files(&self) -> std::sync::Arc<[String]> {
        self.files.clone()
    }

    fn read(&self, path: &str) -> Result<String, String> {
        use std::io::Read;
        let cannot = |why: String| format!("the file cannot be read{why}");
        // Only files the listing holds: nothing outside the tree, nothing through a link.
        let clean = clean_relative(path).ok_or_else(|| cannot(String::new()))?;
        self.files
            .binary_search(&clean)
            .map_err(|_| cannot(String::new()))?;
        let limit = self.max_file_size;
        let too_large = |size: u64| {
            format!(
                "the file is {size} bytes, over the {limit}-byte limit (`max-file-size`); not read"
            )
        };
        let on_disk = if self.prefix.is_empty() {
            clean.as_str()
        } else {
            clean
                .strip_prefix(&format!("{}/", self.prefix))
                .ok_or_else(|| cannot(String::new()))?
        };
        let full = self.base.join(on_disk);
        let meta = std::fs::symlink_metadata(&full).map_err(|e| cannot(format!(": {e}")))?;
        if !meta.is_file() {
            return Err(cannot(": not a regular file".into()));
        }
        if meta.len() > limit {
            return Err(too_large(meta.len()));
        }
        // At most one byte over the limit, should the file have grown since it was listed.
        let mut bytes = Vec::new();
        std::fs::File::open(&full)
            .and_then(|f| f.take(limit.saturating_add(1)).read_to_end(&mut bytes))
            .map_err(|e| cannot(format!(": {e}")))?;
        if bytes.len() as u64 > limit {
            return Err(too_large(bytes.len() as u64));
        }
        String::from_utf8(bytes).map_err(|_| cannot(": it is not valid UTF-8".into()))
    }

    fn assumed(&self) -> bool {
        self.assumed
    }
}

/// What expanding needs across every ApplicationSet of a run: the clusters, the repositories,
/// and each local checkout listed once.
pub struct Expander<'a> {
    clusters: Vec<generators::Cluster>,
    repos: &'a Repos,
    root: &'a Path,
    max_file_size: u64,
    /// The run's bounds: elements per generator, template memory.
    limits: crate::limits::Limits,
    checkouts: &'a Checkouts,
    /// The scanned root's listing from the walk, when it walked the root.
    tree: Option<std::sync::Arc<crate::load::source::TreeListing>>,
}

/// The checkouts an [`Expander`] has listed, by repoURL: each listed once, shared by the
/// ApplicationSets expanded on every core (the first to ask lists it while the others wait).
#[derive(Default)]
pub struct Checkouts(std::sync::Mutex<Vec<(String, std::sync::Arc<LocalRepo>)>>);

impl Checkouts {
    pub fn new() -> Self {
        Checkouts::default()
    }
}

impl<'a> Expander<'a> {
    /// `max_file_size` caps the files git generators read, as it caps the walk's.
    pub fn new(
        clusters: &[Cluster],
        repos: &'a Repos,
        root: &'a Path,
        checkouts: &'a Checkouts,
        max_file_size: u64,
    ) -> Self {
        Expander {
            clusters: clusters.iter().map(generator_cluster).collect(),
            repos,
            root,
            max_file_size,
            limits: crate::limits::Limits::default(),
            checkouts,
            tree: None,
        }
    }

    /// Lists the scanned root from the walk's listing instead of walking it again.
    pub fn with_tree(
        mut self,
        tree: Option<std::sync::Arc<crate::load::source::TreeListing>>,
    ) -> Self {
        self.tree = tree;
        self
    }

    /// The run's bounds instead of the defaults.
    pub fn with_limits(mut self, limits: &crate::limits::Limits) -> Self {
        self.limits = limits.clone();
        self
    }

    fn checkout(&self, repo_url: &str) -> Option<std::sync::Arc<LocalRepo>> {
        let mut checkouts = self
            .checkouts
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((_, r)) = checkouts.iter().find(|(u, _)| u == repo_url) {
            return Some(r.clone());
        }
        let listing = self.repos.listing(repo_url)?;
        let repo = std::sync::Arc::new(LocalRepo::new(
            self.root,
            &listing,
            self.max_file_size,
            self.tree.as_deref(),
        ));
        checkouts.push((repo_url.to_string(), repo.clone()));
        Some(repo)
    }
}

/// A cluster as the cluster generator sees it. Argo CD's generator lists cluster Secrets (the
/// ones labelled `argocd.argoproj.io/secret-type: cluster`); a cluster declared in
/// `.manifest-guard.yaml` stands for such a Secret, and so does the local cluster once it is
/// given labels (Argo CD can only label `in-cluster` through a Secret). The bare implicit
/// `in-cluster` stays unlabelled: the generator adds it itself when no selector is set.
fn generator_cluster(c: &Cluster) -> generators::Cluster {
    let mut labels = c.labels.clone();
    let declared = !matches!(c.source, ClusterSource::Implicit) || !labels.is_empty();
    if declared {
        labels
            .entry(SECRET_TYPE_LABEL.to_string())
            .or_insert_with(|| "cluster".to_string());
    }
    generators::Cluster {
        name: c.name.clone(),
        server: c.server.clone(),
        labels,
        annotations: c.annotations.clone(),
        project: String::new(),
    }
}

struct Env<'e, 'a> {
    options: TemplateOptions,
    expander: &'e Expander<'a>,
    /// The repositories a git generator saw only part of (the scanned subdirectory).
    partial: std::cell::RefCell<std::collections::BTreeSet<(String, String)>>,
    /// The checkouts this expansion was given, held for as long as it borrows them.
    held: typed_arena::Arena<std::sync::Arc<LocalRepo>>,
}

impl Context for Env<'_, '_> {
    fn go_template(&self) -> bool {
        self.options.go_template
    }

    fn clusters(&self) -> &[generators::Cluster] {
        &self.expander.clusters
    }

    fn repo(&self, repo_url: &str) -> Option<&dyn Repo> {
        let repo = self.expander.checkout(repo_url)?;
        if !repo.prefix.is_empty() {
            self.partial
                .borrow_mut()
                .insert((repo_url.to_string(), repo.prefix.clone()));
        }
        let repo: &LocalRepo = self.held.alloc(repo);
        Some(repo as &dyn Repo)
    }

    fn render(&self, value: &Value, params: &Params) -> Result<Value, String> {
        template::render_template(value, params, &self.options).map_err(|e| e.to_string())
    }

    fn parse_yaml(&self, text: &str) -> Result<Value, String> {
        parse_yaml(text)
    }

    fn max_elements(&self) -> usize {
        self.expander
            .limits
            .get_usize(crate::limits::Key::ApplicationSetElements)
    }
}

/// A git generator file or `elementsYaml` as Argo CD reads it: its first document as JSON.
pub(crate) fn parse_yaml(text: &str) -> Result<Value, String> {
    let parsed = yaml::parse(text, yaml::Limits::default());
    if let Some(e) = parsed.error {
        return Err(e.message);
    }
    Ok(parsed
        .documents
        .first()
        .and_then(|d| d.root.as_deref())
        .map_or(Value::Null, yaml::Node::to_json))
}

/// Deep merge of a rendered `templatePatch` into the rendered template (maps merge, everything
/// else is replaced), as Argo CD applies the patch.
fn merge(base: &mut Value, patch: Value) {
    match (base, patch) {
        (Value::Object(b), Value::Object(p)) => {
            for (k, v) in p {
                match b.get_mut(&k) {
                    Some(existing) => merge(existing, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (slot, p) => *slot = p,
    }
}

/// A generator's own `template` (`list.template`, `matrix.template`, ...), when it writes one.
fn own_template<'v>(entry: &'v Value, kind: &str) -> Option<&'v Value> {
    entry
        .get(kind)?
        .get("template")
        .filter(|t| t.as_object().is_some_and(|o| !o.is_empty()))
}

/// One `spec.generators` entry as Argo CD's `Transform` sees it: each generator it holds is
/// evaluated with its own template. An entry holds one generator (or its generators share the
/// ApplicationSet's template) in all but odd cases, and is then evaluated whole; otherwise it is
/// split into one entry per generator, each keeping the post selector.
fn split_by_template(entry: &Value) -> Vec<(Value, Option<&Value>)> {
    let kinds = generators::kinds_of(entry);
    if kinds.len() <= 1 || kinds.iter().all(|k| own_template(entry, k).is_none()) {
        let template = kinds.first().and_then(|k| own_template(entry, k));
        return vec![(entry.clone(), template)];
    }
    kinds
        .iter()
        .map(|kind| {
            let mut part = serde_json::Map::new();
            part.insert((*kind).to_string(), entry[*kind].clone());
            if let Some(selector) = entry.get("selector") {
                part.insert("selector".to_string(), selector.clone());
            }
            (Value::Object(part), own_template(entry, kind))
        })
        .collect()
}

/// Argo CD's `mergeGeneratorTemplate`: `mergo.Merge(generatorTemplate, specTemplate)` without
/// override, so what the generator's template writes wins and every field it leaves empty
/// (absent, null, `""`, `false`, `0`, an empty list or mapping) comes from `spec.template`;
/// mappings merge key by key.
fn fill_empty(own: &mut Value, base: &Value) {
    match (own, base) {
        (Value::Object(o), Value::Object(b)) => {
            for (key, value) in b {
                match o.get_mut(key) {
                    Some(existing) if !is_empty(existing) => fill_empty(existing, value),
                    _ => {
                        o.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (slot, base) if is_empty(slot) => *slot = base.clone(),
        _ => {}
    }
}

/// Go's zero value, as mergo's `isEmptyValue` judges a field.
fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

impl Expander<'_> {
    /// Expands one ApplicationSet (its whole manifest, as JSON).
    pub fn expand(&self, appset: &Value) -> Expansion {
        expand(appset, self, usize::MAX, usize::MAX)
    }

    /// Expands one ApplicationSet into at most `at_most` Applications of at most `bytes` in all:
    /// generators stop being evaluated, and elements rendered, once it has more elements than
    /// that, or its Applications more bytes (`truncated`).
    pub fn expand_at_most(&self, appset: &Value, at_most: usize, bytes: usize) -> Expansion {
        expand(appset, self, at_most, bytes)
    }
}

/// The bytes a JSON value holds in strings, keys and scalars (8 for each scalar or container),
/// walked without recursion.
fn json_bytes(v: &Value) -> usize {
    let mut total = 0usize;
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        total = total.saturating_add(8);
        match v {
            Value::String(s) => total = total.saturating_add(s.len()),
            Value::Array(items) => stack.extend(items.iter()),
            Value::Object(map) => {
                for (k, item) in map {
                    total = total.saturating_add(k.len());
                    stack.push(item);
                }
            }
            _ => {}
        }
    }
    total
}

fn expand(appset: &Value, expander: &Expander<'_>, at_most: usize, bytes: usize) -> Expansion {
    let mut out = Expansion::default();
    let spec = appset.get("spec").cloned().unwrap_or(Value::Null);
    let options = TemplateOptions {
        go_template: spec
            .get("goTemplate")
            .and_then(crate::load::yaml::go_bool)
            .unwrap_or(false),
        missing_key_error: spec
            .get("goTemplateOptions")
            .and_then(Value::as_array)
            .is_some_and(|o| o.iter().any(|x| x.as_str() == Some("missingkey=error"))),
        memory: expander
            .limits
            .get_usize(crate::limits::Key::TemplateMemory),
        ..TemplateOptions::default()
    };
    let env = Env {
        options,
        expander,
        partial: Default::default(),
        held: typed_arena::Arena::new(),
    };
    out.preserve_resources = spec
        .pointer("/syncPolicy/preserveResourcesOnDeletion")
        .and_then(crate::load::yaml::go_bool)
        .unwrap_or(false);
    out.applications_sync = spec
        .pointer("/syncPolicy/applicationsSync")
        .and_then(Value::as_str)
        .map(str::to_string);
    let Some(template_spec) = spec.get("template") else {
        out.errors
            .push(String::from("`spec.template` is missing").into());
        return out;
    };
    // Each element with the template it is rendered with (an index into `templates`).
    let mut elements: Vec<(Element, usize)> = Vec::new();
    let mut templates: Vec<Value> = Vec::new();
    for (i, generator) in spec
        .get("generators")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
        .iter()
        .enumerate()
    {
        for (entry, own_template) in split_by_template(generator) {
            if out.truncated {
                break;
            }
            match generators::generate(&entry, &env) {
                Ok(Outcome::Elements(found)) => {
                    let mut merged = own_template.cloned().unwrap_or(Value::Null);
                    fill_empty(&mut merged, template_spec);
                    let index = match templates.iter().position(|t| *t == merged) {
                        Some(index) => index,
                        None => {
                            templates.push(merged);
                            templates.len() - 1
                        }
                    };
                    elements.extend(found.into_iter().map(|e| (e, index)));
                    // More elements than Applications it may still generate: the run's
                    // bound is reached, and further generators would only add to what is
                    // dropped.
                    if elements.len() > at_most {
                        elements.truncate(at_most);
                        out.truncated = true;
                    }
                }
                Ok(Outcome::Unavailable(why)) => out.unavailable.push(why),
                Err(e) => out.errors.push(ExpansionError {
                    generator: Some(i),
                    message: format!("generators[{i}]: {e}"),
                    limit: e.is_limit(),
                }),
            }
        }
    }
    out.needed.0 = elements.len();
    out.partial = env
        .partial
        .take()
        .into_iter()
        .map(|(url, prefix)| {
            format!(
                "a git generator of {url} sees only `{prefix}/`, the part of the repository that is scanned; what the rest of the repository would generate is not here"
            )
        })
        .collect();
    if !out.errors.is_empty() {
        // Argo CD generates nothing from an ApplicationSet whose generators fail.
        return out;
    }
    let patch = spec.get("templatePatch").and_then(Value::as_str);
    let namespace = appset.pointer("/metadata/namespace").cloned();
    let mut failed: Vec<(String, bool, Vec<String>)> = Vec::new();
    for (element, template_index) in elements {
        let template_spec = &templates[template_index];
        let mut limit = false;
        let mut note_limit = |e: &template::TemplateError| limit |= e.is_limit();
        let rendered = template::render_template(template_spec, &element.params, &options)
            .map_err(|e| {
                note_limit(&e);
                e.to_string()
            })
            .and_then(|mut manifest| {
                if let Some(patch) = patch {
                    let text =
                        template::render_string(patch, &element.params, &options).map_err(|e| {
                            note_limit(&e);
                            format!("templatePatch: {e}")
                        })?;
                    let patch = parse_yaml(&text).map_err(|e| format!("templatePatch: {e}"))?;
                    // A patch that renders to nothing (a `{{- if }}` false for this element) is
                    // JSON `null`, which a strategic merge patch leaves the Application unchanged
                    // by (Argo CD: applicationset/controllers/template/patch.go,
                    // applyTemplatePatch); merged as a value it would replace the whole manifest.
                    if !patch.is_null() {
                        merge(&mut manifest, patch);
                    }
                }
                Ok(manifest)
            });
        match rendered {
            Ok(mut manifest) => {
                if let Value::Object(m) = &mut manifest {
                    m.insert(
                        "apiVersion".into(),
                        Value::String("argoproj.io/v1alpha1".into()),
                    );
                    m.insert("kind".into(), Value::String("Application".into()));
                    // Generated Applications are created in the ApplicationSet's namespace.
                    if let (Some(ns), Some(Value::Object(meta))) =
                        (&namespace, m.get_mut("metadata"))
                    {
                        meta.insert("namespace".into(), ns.clone());
                    }
                }
                // Each element may render up to 16 MiB: 10,000 of them are 160 GB, so what
                // the run keeps of them is bounded too.
                let size = json_bytes(&manifest);
                if out.bytes.saturating_add(size) > bytes {
                    out.truncated = true;
                    break;
                }
                out.bytes += size;
                out.apps.push(GeneratedApp {
                    manifest,
                    element: element.origin,
                    duplicate_of: None,
                });
            }
            Err(e) => match failed.iter_mut().find(|(error, _, _)| *error == e) {
                Some((_, _, origins)) => origins.push(element.origin),
                None => failed.push((e, limit, vec![element.origin])),
            },
        }
    }
    out.needed.1 = out.bytes;
    // One cause, one finding: elements failing with the same error (a key no element has) are
    // one error naming the first element and counting the rest.
    for (e, limit, origins) in failed {
        let more = match origins.len() {
            1 => String::new(),
            n => format!(
                " (and {} more element{} failing the same way: {})",
                n - 1,
                if n == 2 { "" } else { "s" },
                crate::diagnostic::first_few(origins[1..].iter().map(|o| format!("`{o}`")), 3)
            ),
        };
        out.errors.push(ExpansionError {
            generator: None,
            message: format!("element {}: {e}{more}", origins[0]),
            limit,
        });
    }
    // Argo CD, applicationset/controllers/applicationset_controller.go
    // `validateGeneratedApplications`: the first Application of a name passes, every later one
    // of that name gets "ApplicationSet … contains applications with duplicate name" and is
    // left out of `validApps`, so it is never created or updated.
    let mut first_of: std::collections::BTreeMap<String, String> = Default::default();
    for app in &mut out.apps {
        let name = app
            .manifest
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        match first_of.get(&name) {
            Some(first) => app.duplicate_of = Some(first.clone()),
            None => {
                first_of.insert(name, app.element.clone());
            }
        }
    }
    if !out.errors.is_empty() {
        // Argo CD, applicationset/controllers/template/template.go `GenerateApplications`
        // returns its first render error, and `Reconcile` then returns before
        // `createOrUpdateInCluster` and `deleteInCluster`: while one element fails, no
        // Application of the set is created, updated or deleted.
        let rendered = std::mem::take(&mut out.apps).len();
        out.bytes = 0;
        let consequence = if rendered == 0 {
            "; the ApplicationSet controller creates, updates and deletes no Application of this ApplicationSet while an element fails".to_string()
        } else {
            format!(
                "; the ApplicationSet controller creates, updates and deletes no Application of this ApplicationSet while an element fails, so the {rendered} Application{} the other elements render {} not checked",
                if rendered == 1 { "" } else { "s" },
                if rendered == 1 { "is" } else { "are" },
            )
        };
        for error in &mut out.errors {
            if error.limit {
                // Argo CD would have rendered it: what is missing is this tool's check.
                error.message.push_str(
                    "; manifest-guard stops rendering this ApplicationSet there, so none of its Applications is checked",
                );
            } else {
                error.message.push_str(&consequence);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn cluster(name: &str, source: ClusterSource, labels: &[(&str, &str)]) -> Cluster {
        Cluster {
            name: name.into(),
            server: format!("https://{name}"),
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            annotations: BTreeMap::new(),
            protected: false,
            source,
        }
    }

    // Docs: "Template" → "Generator templates": "the generator's template field takes
    // precedence over the spec's template fields" — Argo CD merges them with
    // `mergo.Merge(generatorTemplate, specTemplate)`, which fills only what the generator's
    // template leaves empty (Go zero values: "", false, 0, empty lists and maps).
    #[test]
    fn generator_template_fills_only_its_empty_fields_from_the_spec() {
        let mut own = serde_json::json!({
            "metadata": {},
            "spec": {"project": "project2", "source": {"path": "x-override", "targetRevision": ""},
                     "syncPolicy": {"automated": {"prune": false}}, "destination": {}}
        });
        let base = serde_json::json!({
            "metadata": {"name": "{{.cluster}}-guestbook", "labels": {"a": "b"}},
            "spec": {"project": "project", "source": {"repoURL": "r", "path": "guestbook", "targetRevision": "HEAD"},
                     "syncPolicy": {"automated": {"prune": true}, "syncOptions": ["CreateNamespace=true"]},
                     "destination": {"server": "{{.url}}", "namespace": "guestbook"}}
        });
        fill_empty(&mut own, &base);
        assert_eq!(
            own,
            serde_json::json!({
                "metadata": {"name": "{{.cluster}}-guestbook", "labels": {"a": "b"}},
                "spec": {"project": "project2",
                         "source": {"path": "x-override", "targetRevision": "HEAD", "repoURL": "r"},
                         // `false` is Go's zero value: mergo takes the spec's `true`.
                         "syncPolicy": {"automated": {"prune": true}, "syncOptions": ["CreateNamespace=true"]},
                         "destination": {"server": "{{.url}}", "namespace": "guestbook"}}
            })
        );
    }

    // Docs: "Template" → "Generator templates", on the design-doc example: two list generators,
    // each with its own template (project and path), over one spec template.
    #[test]
    fn each_generator_renders_with_its_own_template() {
        let root = std::env::temp_dir().join("manifest-guard-no-such-checkout");
        let repos = Repos::new(&root, &[], None);
        let arena = Checkouts::new();
        let expander = Expander::new(&[], &repos, &root, &arena, u64::MAX);
        let appset = serde_json::json!({"spec": {
            "goTemplate": true,
            "goTemplateOptions": ["missingkey=error"],
            "generators": [
                {"list": {"elements": [{"cluster": "engineering-dev", "url": "https://1.2.3.4"}],
                          "template": {"metadata": {}, "spec": {"project": "project",
                              "source": {"repoURL": "r", "path": "{{.cluster}}-override"}, "destination": {}}}}},
                {"list": {"elements": [{"cluster": "engineering-prod", "url": "https://1.2.3.4"}],
                          "template": {"metadata": {}, "spec": {"project": "project2",
                              "source": {"repoURL": "r", "path": "{{.cluster}}-override2"}, "destination": {}}}}},
                {"list": {"elements": [{"cluster": "plain", "url": "https://5.6.7.8"}]}}
            ],
            "template": {"metadata": {"name": "{{.cluster}}-guestbook"},
                         "spec": {"project": "project",
                                  "source": {"repoURL": "r", "targetRevision": "HEAD", "path": "guestbook/{{.cluster}}"},
                                  "destination": {"server": "{{.url}}", "namespace": "guestbook"}}}
        }});
        let expansion = expander.expand(&appset);
        assert!(expansion.errors.is_empty(), "{:?}", expansion.errors);
        let got: Vec<(&str, &str, &str, &str)> = expansion
            .apps
            .iter()
            .map(|a| {
                let m = &a.manifest;
                (
                    m["metadata"]["name"].as_str().unwrap_or(""),
                    m["spec"]["project"].as_str().unwrap_or(""),
                    m["spec"]["source"]["path"].as_str().unwrap_or(""),
                    m["spec"]["source"]["targetRevision"].as_str().unwrap_or(""),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "engineering-dev-guestbook",
                    "project",
                    "engineering-dev-override",
                    "HEAD"
                ),
                (
                    "engineering-prod-guestbook",
                    "project2",
                    "engineering-prod-override2",
                    "HEAD"
                ),
                ("plain-guestbook", "project", "guestbook/plain", "HEAD"),
            ]
        );
        assert_eq!(
            expansion.apps[1].manifest["spec"]["destination"]["server"],
            "https://1.2.3.4"
        );
    }

    // Argo CD's `Transform` evaluates each generator of an entry with its own template; an
    // entry holding two generators with different templates is split, the selector kept on both.
    #[test]
    fn an_entry_with_two_templated_generators_is_split() {
        let entry = serde_json::json!({
            "list": {"elements": [{"a": "1"}], "template": {"spec": {"project": "p1"}}},
            "clusters": {"template": {"spec": {"project": "p2"}}},
            "selector": {"matchLabels": {"a": "1"}}
        });
        let parts = split_by_template(&entry);
        assert_eq!(parts.len(), 2);
        assert!(parts[0].0.get("list").is_some() && parts[0].0.get("selector").is_some());
        assert_eq!(
            parts[1].1,
            Some(&serde_json::json!({"spec": {"project": "p2"}}))
        );
        let single = serde_json::json!({"list": {"elements": []}, "unknown": 1});
        assert_eq!(split_by_template(&single), vec![(single.clone(), None)]);
    }

    // `read` looks a path up in the sorted listing: the walk's own order (`a/x.json` before
    // `a-b.json`, directory by directory) is not string order, and `a-b.json` was not found.
    // A listing below a subdirectory names paths as the repository has them.
    #[test]
    fn the_listing_is_sorted_and_read_finds_every_file() {
        let tmp = tempfile::tempdir().expect("tempdir");
        for rel in ["gitops/a/x.json", "gitops/a-b.json"] {
            let path = tmp.path().join(rel);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, "{}").expect("write");
        }
        let whole = Listing {
            dir: "gitops".into(),
            prefix: String::new(),
            assumed: false,
        };
        let repo = LocalRepo::new(tmp.path(), &whole, 1024, None);
        assert_eq!(*repo.files(), ["a-b.json", "a/x.json"]);
        assert_eq!(repo.read("a-b.json").as_deref(), Ok("{}"));
        let below = Listing {
            dir: String::new(),
            prefix: "repo/sub".into(),
            assumed: false,
        };
        let repo = LocalRepo::new(&tmp.path().join("gitops"), &below, 1024, None);
        assert_eq!(*repo.directories(), ["repo", "repo/sub", "repo/sub/a"]);
        assert_eq!(repo.read("repo/sub/a-b.json").as_deref(), Ok("{}"));
        assert!(repo.read("a-b.json").is_err());
    }

    /// The walk's listing of the scanned root (issue 12: one walk, not two) lists what a walk of
    /// its own would: every directory and regular file, `.git` left out (a directory, and a
    /// submodule's `.git` file), links not followed; with and without a prefix.
    #[test]
    fn the_walks_listing_is_the_listing_a_walk_of_its_own_gives() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path();
        for rel in [
            "a/x.json",
            "a-b.json",
            "apps/one/config.yaml",
            "vendor/.git",
            ".git/HEAD",
            "docs/README.md",
        ] {
            let path = root.join(rel);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, "{}").expect("write");
        }
        #[cfg(unix)]
        std::os::unix::fs::symlink(root.join("apps"), root.join("linked")).expect("symlink");
        let opts = crate::load::LoadOptions {
            exclude: globset::GlobSet::empty(),
            max_file_size: 1024,
            limits: crate::load::yaml::Limits::default(),
            run_nodes: usize::MAX,
        };
        let sources = crate::load::load(&[root.to_path_buf()], root, root, &opts);
        let tree = sources.tree.as_deref().expect("the root was walked");
        for prefix in ["", "repo/sub"] {
            let listing = Listing {
                dir: String::new(),
                prefix: prefix.into(),
                assumed: false,
            };
            let walked = LocalRepo::new(root, &listing, 1024, None);
            let reused = LocalRepo::new(root, &listing, 1024, Some(tree));
            assert_eq!(
                reused.directories(),
                walked.directories(),
                "prefix {prefix:?}"
            );
            assert_eq!(reused.files(), walked.files(), "prefix {prefix:?}");
            assert!(!walked.files().iter().any(|f| f.ends_with(".git")));
        }
    }

    // Docs: "Cluster Generator": the generator lists the clusters Argo CD stores as Secrets and
    // matches its selector against the Secret's labels. A cluster declared in the config is such
    // a Secret (so `matchLabels: {argocd.argoproj.io/secret-type: cluster}` selects it); the
    // implicit local cluster has no Secret until it is given labels.
    #[test]
    fn declared_clusters_are_cluster_secrets_to_the_generator() {
        let config = generator_cluster(&cluster(
            "staging",
            ClusterSource::Config,
            &[("env", "staging")],
        ));
        assert_eq!(
            config.labels.get(SECRET_TYPE_LABEL).map(String::as_str),
            Some("cluster")
        );
        assert_eq!(
            config.labels.get("env").map(String::as_str),
            Some("staging")
        );
        let local = generator_cluster(&cluster("in-cluster", ClusterSource::Implicit, &[]));
        assert!(local.labels.is_empty());
        let labelled_local = generator_cluster(&cluster(
            "in-cluster",
            ClusterSource::Implicit,
            &[("env", "dev")],
        ));
        assert_eq!(
            labelled_local
                .labels
                .get(SECRET_TYPE_LABEL)
                .map(String::as_str),
            Some("cluster")
        );
    }
}
