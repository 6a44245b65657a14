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
use crate::model::argocd::Cluster;

use super::repo::{Repos, Resolution, clean_relative};
use generators::{Context, Element, Outcome, Params, Repo};
use template::TemplateOptions;

/// An Application generated from one element.
#[derive(Debug, Clone)]
pub struct GeneratedApp {
    pub manifest: Value,
    pub element: String,
}

/// What one ApplicationSet expands to.
#[derive(Debug, Clone, Default)]
pub struct Expansion {
    pub apps: Vec<GeneratedApp>,
    pub preserve_resources: bool,
    pub applications_sync: Option<String>,
    /// Generators that could not be evaluated offline, and why.
    pub unavailable: Vec<String>,
    /// What makes the ApplicationSet invalid: Argo CD would generate nothing from it.
    pub errors: Vec<String>,
}

/// A directory of the scanned tree, listed once, as a git generator sees the repository.
pub struct LocalRepo {
    base: PathBuf,
    directories: Vec<String>,
    files: Vec<String>,
}

impl LocalRepo {
    fn new(root: &Path, dir: &str) -> Self {
        let base = root.join(dir);
        let (mut directories, mut files) = (Vec::new(), Vec::new());
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
                directories.push(rel);
            } else if entry.file_type().is_file() {
                files.push(rel);
            }
        }
        LocalRepo {
            base,
            directories,
            files,
        }
    }
}

impl Repo for LocalRepo {
    fn directories(&self) -> Vec<String> {
        self.directories.clone()
    }

    fn files(&self) -> Vec<String> {
        self.files.clone()
    }

    fn read(&self, path: &str) -> Option<String> {
        // Only files the listing holds: nothing outside the tree, nothing through a link.
        let clean = clean_relative(path)?;
        self.files.binary_search(&clean).ok()?;
        std::fs::read_to_string(self.base.join(clean)).ok()
    }
}

/// What expanding needs across every ApplicationSet of a run: the clusters, the repositories,
/// and each local checkout listed once.
pub struct Expander<'a> {
    clusters: Vec<generators::Cluster>,
    repos: &'a Repos,
    root: &'a Path,
    arena: &'a typed_arena::Arena<LocalRepo>,
    checkouts: std::cell::RefCell<Vec<(String, &'a LocalRepo)>>,
}

/// The arena that holds the checkouts an [`Expander`] lists.
pub type Checkouts = typed_arena::Arena<LocalRepo>;

impl<'a> Expander<'a> {
    pub fn new(
        clusters: &[Cluster],
        repos: &'a Repos,
        root: &'a Path,
        arena: &'a Checkouts,
    ) -> Self {
        Expander {
            clusters: clusters
                .iter()
                .map(|c| generators::Cluster {
                    name: c.name.clone(),
                    server: c.server.clone(),
                    labels: c.labels.clone(),
                    annotations: c.annotations.clone(),
                    project: String::new(),
                })
                .collect(),
            repos,
            root,
            arena,
            checkouts: std::cell::RefCell::new(Vec::new()),
        }
    }

    fn checkout(&self, repo_url: &str) -> Option<&'a LocalRepo> {
        if let Some((_, r)) = self.checkouts.borrow().iter().find(|(u, _)| u == repo_url) {
            return Some(*r);
        }
        let Resolution::Local { dir, .. } = self.repos.resolve(repo_url, ".") else {
            return None;
        };
        let repo: &'a LocalRepo = self.arena.alloc(LocalRepo::new(self.root, &dir));
        self.checkouts
            .borrow_mut()
            .push((repo_url.to_string(), repo));
        Some(repo)
    }
}

struct Env<'e, 'a> {
    options: TemplateOptions,
    expander: &'e Expander<'a>,
}

impl Context for Env<'_, '_> {
    fn go_template(&self) -> bool {
        self.options.go_template
    }

    fn clusters(&self) -> &[generators::Cluster] {
        &self.expander.clusters
    }

    fn repo(&self, repo_url: &str) -> Option<&dyn Repo> {
        self.expander.checkout(repo_url).map(|r| r as &dyn Repo)
    }

    fn render(&self, value: &Value, params: &Params) -> Result<Value, String> {
        template::render_template(value, params, &self.options).map_err(|e| e.to_string())
    }

    fn parse_yaml(&self, text: &str) -> Result<Value, String> {
        parse_yaml(text)
    }
}

fn parse_yaml(text: &str) -> Result<Value, String> {
    let parsed = yaml::parse(text, yaml::Limits::default());
    if let Some(e) = parsed.error {
        return Err(e.message);
    }
    Ok(parsed
        .documents
        .first()
        .and_then(|d| d.root.as_ref())
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

impl Expander<'_> {
    /// Expands one ApplicationSet (its whole manifest, as JSON).
    pub fn expand(&self, appset: &Value) -> Expansion {
        expand(appset, self)
    }
}

fn expand(appset: &Value, expander: &Expander<'_>) -> Expansion {
    let mut out = Expansion::default();
    let spec = appset.get("spec").cloned().unwrap_or(Value::Null);
    let options = TemplateOptions {
        go_template: spec
            .get("goTemplate")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        missing_key_error: spec
            .get("goTemplateOptions")
            .and_then(Value::as_array)
            .is_some_and(|o| o.iter().any(|x| x.as_str() == Some("missingkey=error"))),
    };
    let env = Env { options, expander };
    out.preserve_resources = spec
        .pointer("/syncPolicy/preserveResourcesOnDeletion")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    out.applications_sync = spec
        .pointer("/syncPolicy/applicationsSync")
        .and_then(Value::as_str)
        .map(str::to_string);
    let Some(template_spec) = spec.get("template") else {
        out.errors.push("`spec.template` is missing".into());
        return out;
    };
    let mut elements: Vec<Element> = Vec::new();
    for (i, generator) in spec
        .get("generators")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
        .iter()
        .enumerate()
    {
        match generators::generate(generator, &env) {
            Ok(Outcome::Elements(found)) => elements.extend(found),
            Ok(Outcome::Unavailable(why)) => out.unavailable.push(why),
            Err(e) => out.errors.push(format!("generators[{i}]: {e}")),
        }
    }
    if !out.errors.is_empty() {
        // Argo CD generates nothing from an ApplicationSet whose generators fail.
        return out;
    }
    let patch = spec.get("templatePatch").and_then(Value::as_str);
    let namespace = appset.pointer("/metadata/namespace").cloned();
    for element in elements {
        let rendered = template::render_template(template_spec, &element.params, &options)
            .map_err(|e| e.to_string())
            .and_then(|mut manifest| {
                if let Some(patch) = patch {
                    let text = template::render_string(patch, &element.params, &options)
                        .map_err(|e| format!("templatePatch: {e}"))?;
                    merge(
                        &mut manifest,
                        parse_yaml(&text).map_err(|e| format!("templatePatch: {e}"))?,
                    );
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
                out.apps.push(GeneratedApp {
                    manifest,
                    element: element.origin,
                });
            }
            Err(e) => out.errors.push(format!("element {}: {e}", element.origin)),
        }
    }
    out
}
