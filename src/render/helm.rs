//! Helm, run the way Argo CD's repo-server runs it (argo-cd `reposerver/repository/repository.go`
//! `helmTemplate`, `util/helm/cmd.go` `template`):
//!
//! `helm template . --name-template <release> --namespace <ns> [--kube-version v] [--set k=v]…
//! [--set-string k=v]… [--set-file k=path]… [--values file]… [--values <values|valuesObject>]
//! [--api-versions v]… [--include-crds] [--skip-schema-validation] [--skip-tests]`
//!
//! in the chart directory. The release name is `helm.releaseName`, else the Application's name;
//! the namespace `helm.namespace`, else the destination namespace. Value files resolve against
//! the chart directory (`/x` against the repository root, `$ref/x` against the root of the
//! multi-source `ref` source's repository) and may not leave it; missing ones are skipped with `ignoreMissingValueFiles`. `values` or
//! `valuesObject` (which wins) becomes the last value file; `--include-crds` is passed unless
//! `skipCrds`.
//!
//! Differences, all for the sandbox: the chart and its value files are copied into a private
//! temporary directory first (links that leave the scanned root are not followed); nothing is
//! fetched — where Argo CD would run `helm dependency build`, a `file://` dependency inside the
//! scanned root is copied into the copy's `charts/` (`dependencies`), and a remote one missing
//! from `charts/` makes the chart not renderable, with the command that fixes it; remote value
//! files likewise.
//! No `--post-renderer`, no plugins, no repositories, no kubeconfig.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::tool::{
    self, CacheInputs, Entry, RenderError, Rendered, RenderedDoc, TempDir, Tools, Tree,
    display_dir, join_rel, normalize_rel,
};
use crate::load::yaml::{self, Limits};

pub use super::tool::RenderRequest;

mod dependencies;
mod schema;

/// A Helm render.
#[derive(Debug, Clone, PartialEq)]
pub struct HelmRequest {
    /// The scanned root, absolute.
    pub root: PathBuf,
    /// The chart directory, relative to the root, `/`-separated.
    pub chart_dir: String,
    /// The release name when `helm.releaseName` is not set: the Application's name (the chart's
    /// name for a chart no Application renders).
    pub release_name: String,
    /// The destination namespace, unless `helm.namespace` is set.
    pub namespace: String,
    /// The Application's `spec.source.helm`.
    pub options: Option<Value>,
    /// Multi-source `ref` name → where that source's repository is, for `$ref/values.yaml`
    /// value files.
    pub refs: Vec<(String, RefRoot)>,
    /// `--kube-version` when `helm.kubeVersion` is not set (Argo CD passes the cluster's).
    pub kube_version: Option<String>,
}

/// Where the repository of a multi-source `ref` source is. Argo CD resolves `$ref/path` against
/// the root of that source's repository, never against its `path` (reposerver/repository/
/// repository.go `getResolvedRefValueFile`: `ResolveValueFilePathOrUrl(repoPath, repoPath, …)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefRoot {
    /// This repository (or one mapped into the scanned tree): a path `p` of the repository is
    /// `dir/q` of the scanned root when `p` is `prefix/q` (`prefix` is the scanned root's path
    /// in the repository, empty when the root is the repository's top level). `assumed` when
    /// nothing but the lack of other information made it this repository.
    Local {
        dir: String,
        prefix: String,
        assumed: bool,
    },
    /// Another repository, not available offline: its `repoURL`.
    Remote(String),
}

/// Renders the chart at `req.chart_dir` with the Application's Helm options.
pub fn render(req: &HelmRequest, tools: &Tools) -> Result<Rendered, RenderError> {
    run(&plan(req)?, tools)
}

/// Why a chart rendered with nothing but its own defaults (one no Application deploys) did not
/// render, when that is the chart's design rather than a fault: the text of a not-rendered note,
/// and its help. `None` for any other failure, which stays a failure.
///
/// - A template's `required` or `fail` stopped Helm (`execution error at (…)`): the chart asks
///   for values at install time (linkerd-control-plane's identity certificates). Rendered by an
///   Application that leaves them out, the same failure is Argo CD's too, and stays an error.
/// - A template's whole output is a list (`cannot unmarshal array` into Helm's manifest head):
///   Helm cannot template the chart at all, so no Application could deploy it; it is read by a
///   program (linkerd's `patch` chart renders a JSON patch for its CLI).
pub fn refused_defaults(error: &RenderError) -> Option<(String, &'static str)> {
    let RenderError::Failed(message) = error else {
        return None;
    };
    let line = |at: usize| {
        message[at..]
            .lines()
            .next()
            .unwrap_or("")
            .trim()
            .to_string()
    };
    if let Some(at) = message.find("execution error at (") {
        return Some((
            format!(
                "it needs values its defaults do not give, and nothing in the repository deploys it with values, so its objects are not checked (Helm: {})",
                line(at)
            ),
            "deploy it from an Application that sets those values (or check a values file with it) to have its objects checked",
        ));
    }
    if let Some(at) = message.find("YAML parse error on ")
        && message.contains("cannot unmarshal array into Go value")
    {
        return Some((
            format!(
                "a template renders a list, not Kubernetes objects, so Helm cannot template it and nothing could deploy it; not checked (Helm: {})",
                line(at)
            ),
            "if the chart is meant to be installed, make each template render Kubernetes objects",
        ));
    }
    None
}

/// Runs a planned render.
pub(crate) fn run(plan: &Plan, tools: &Tools) -> Result<Rendered, RenderError> {
    let helm = tools.helm_program()?;
    let tmp = TempDir::new()?;
    let chart = tmp.path().join("chart");
    let inputs = tmp.path().join("inputs");
    for dir in [&chart, &inputs] {
        std::fs::create_dir(dir)
            .map_err(|e| RenderError::Failed(format!("cannot prepare the copy: {e}")))?;
    }
    plan.tree.copy(&plan.chart_dir, &chart)?;
    // What `helm dependency build` would have put into `charts/` (see `dependencies`).
    let mut copied = std::collections::BTreeSet::new();
    for d in &plan.dependencies {
        if copied.insert(&d.dest) {
            plan.tree
                .copy_except(&d.dir, &chart.join(&d.dest), &d.ignored)?;
        }
    }
    let mut args: Vec<OsString> = Vec::with_capacity(plan.words.len());
    for word in &plan.words {
        args.push(match word {
            Word::Plain(s) => s.into(),
            Word::File { prefix, input, .. } => {
                let target = inputs.join(format!("{input}"));
                match &plan.inputs[*input] {
                    Input::File { real, rel } => {
                        std::fs::copy(real, &target).map_err(|e| {
                            RenderError::Failed(format!("cannot copy `{rel}` for rendering: {e}"))
                        })?;
                    }
                    Input::Text(text) => {
                        std::fs::write(&target, text).map_err(|e| {
                            RenderError::Failed(format!("cannot write the inline values: {e}"))
                        })?;
                    }
                }
                let mut arg = OsString::from(prefix);
                arg.push(target.as_os_str());
                arg
            }
        });
    }
    let command = plan.command();
    let mut out = tool::run(&tool::Run {
        program: helm,
        args,
        cwd: &chart,
        env: tool::sandbox_env(tmp.path()),
        timeout: tools.timeout,
        max_output: tools.max_output,
        max_memory: tools.max_memory,
    })?;
    if !out.status.success() {
        out.stderr = repository_paths(plan, std::mem::take(&mut out.stderr));
        let stderr = tool::trim_stderr(&out.stderr);
        if stderr.contains("found in Chart.yaml, but missing in charts/ directory") {
            return Err(RenderError::NotRenderable(format!(
                "{}; run `helm dependency build {}` and commit its charts/ directory (Helm says: {stderr})",
                "the chart's dependencies are not all vendored",
                display_dir(&plan.chart_dir)
            )));
        }
        return Err(tool::failure(&command, &out, &plan.tree));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let root = &plan.root;
    let mut charts = SubchartDirs::default();
    // A `file://` dependency's templates are in its own directory, not below `charts/`.
    for d in &plan.dependencies {
        for name in std::iter::once(&d.name).chain(d.alias.as_ref()) {
            charts.known.insert(
                (plan.chart_dir.clone(), name.clone()),
                Subchart::Dir(d.dir.clone()),
            );
        }
    }
    let documents = output_documents(&stdout)
        .into_iter()
        .map(|(text, source)| {
            let mapped = source.and_then(|s| charts.map_source(root, &plan.chart_dir, &s));
            let (source, inner) = mapped.map_or((None, None), |(s, inner)| (Some(s), inner));
            RenderedDoc {
                text,
                source,
                inner,
            }
        })
        .collect();
    Ok(Rendered {
        documents,
        tool: tool::tool_version(helm),
        command,
        problems: plan.problems.clone(),
    })
}

/// The plan's command and every file the render may read, for the cache key.
pub(crate) fn cache_inputs(plan: &Plan) -> CacheInputs {
    let mut files: BTreeMap<String, PathBuf> = plan.tree.files.clone();
    let mut texts = Vec::new();
    for input in &plan.inputs {
        match input {
            Input::File { rel, real } => {
                files.insert(rel.clone(), real.clone());
            }
            Input::Text(t) => texts.push(t.clone()),
        }
    }
    CacheInputs {
        request: serde_json::json!({
            "command": plan.command(),
            "inline": texts,
            "dependencies": plan.dependencies.iter().map(|d| [&d.dir, &d.dest]).collect::<Vec<_>>(),
        })
        .to_string(),
        files: files.into_iter().collect(),
    }
}

/// One argument of the `helm template` command line.
enum Word {
    Plain(String),
    /// A file copied into the temporary directory: `prefix` + its path there.
    File {
        prefix: String,
        input: usize,
        shown: String,
    },
}

enum Input {
    File { rel: String, real: PathBuf },
    Text(String),
}

/// Helm's words with the sandbox's files (as `tool::run` left them: `<sandbox>/chart/…`,
/// `<sandbox>/inputs/0`) named as the repository has them: the chart's directory, a `file://`
/// dependency's own directory for its copy in `charts/`, a value file as the command shows it
/// (`failed to parse charts/app/values-prod.yaml`, not `<sandbox>/inputs/0`).
fn repository_paths(plan: &Plan, stderr: Vec<u8>) -> Vec<u8> {
    let text = String::from_utf8_lossy(&stderr);
    if !text.contains("<sandbox>/") {
        return stderr;
    }
    let mut names: Vec<(String, &str)> = Vec::new();
    for d in &plan.dependencies {
        names.push((format!("<sandbox>/chart/{}", d.dest), d.dir.as_str()));
    }
    names.push(("<sandbox>/chart".to_string(), plan.chart_dir.as_str()));
    for word in &plan.words {
        if let Word::File { input, shown, .. } = word {
            names.push((format!("<sandbox>/inputs/{input}"), shown.as_str()));
        }
    }
    // The longest first: a dependency's copy is below the chart's.
    names.sort_by_key(|(from, _)| std::cmp::Reverse(from.len()));
    let mut text = text.into_owned();
    for (from, to) in &names {
        text = replace_path(&text, from, to);
    }
    text.into_bytes()
}

/// `text` with the path `from` (where it is a whole path or a directory of one) as `to`; an
/// empty `to` is the scanned root: `from/x` becomes `x`, `from` alone `.`.
fn replace_path(text: &str, from: &str, to: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(from) {
        out.push_str(&rest[..at]);
        let after = &rest[at + from.len()..];
        match after.chars().next() {
            Some(c) if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') => {
                out.push_str(from);
                rest = after;
            }
            Some('/') if to.is_empty() => rest = &after[1..],
            _ => {
                out.push_str(if to.is_empty() { "." } else { to });
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// What a render needs, decided before anything runs.
pub(crate) struct Plan {
    /// The scanned root, canonical.
    root: PathBuf,
    chart_dir: String,
    tree: Tree,
    words: Vec<Word>,
    inputs: Vec<Input>,
    /// `file://` dependencies to copy into the copy's `charts/`.
    dependencies: Vec<dependencies::LocalDependency>,
    /// See `Rendered::problems`.
    problems: Vec<String>,
}

impl Plan {
    /// The command line as a user would type it from the scanned root.
    fn command(&self) -> String {
        let mut words = vec!["helm".to_string()];
        for w in &self.words {
            words.push(match w {
                Word::Plain(s) if s == "." => display_dir(&self.chart_dir).to_string(),
                Word::Plain(s) => s.clone(),
                Word::File { prefix, shown, .. } => format!("{prefix}{shown}"),
            });
        }
        tool::shell_words(&words)
    }
}

fn option_str<'a>(options: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    options
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn option_bool(options: &Map<String, Value>, key: &str) -> bool {
    options
        .get(key)
        .and_then(crate::load::yaml::go_bool)
        .unwrap_or(false)
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Argo CD escapes commas in `--set` values so that Helm does not split them, except in a
/// `{a,b}` list (util/helm/cmd.go `cleanSetParameters`).
fn clean_set_parameter(value: &str) -> String {
    if value.starts_with('{') && value.ends_with('}') {
        return value.to_string();
    }
    let mut out = String::with_capacity(value.len());
    let mut previous = None;
    for c in value.chars() {
        if c == ',' && previous != Some('\\') {
            out.push_str("\\,");
        } else {
            out.push(c);
        }
        previous = Some(c);
    }
    out
}

pub(crate) fn plan(req: &HelmRequest) -> Result<Plan, RenderError> {
    let root = tool::canonical_root(&req.root)?;
    let chart_dir = tool::source_dir(&root, &req.chart_dir, "rendered", |dir| {
        RenderError::NotRenderable(format!(
            "there is no chart directory `{dir}` in the scanned tree (a chart from a Helm or OCI repository is not fetched)"
        ))
    })?;
    let chart_file = join_rel(&chart_dir, "Chart.yaml").unwrap_or_default();
    if tool::entry(&root, &chart_file) != Entry::File {
        return Err(RenderError::NotRenderable(format!(
            "`{}` has no Chart.yaml; it is not a Helm chart",
            display_dir(&chart_dir)
        )));
    }
    let chart = read_yaml(&root, &chart_file).unwrap_or(Value::Null);
    let mut tree = Tree::default();
    tree.add_dir(&root, &chart_dir)?;
    let dependencies = dependencies::local(&root, &chart_dir, &chart, &mut tree)?;

    let empty = Map::new();
    let options = match &req.options {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(o)) => o,
        Some(_) => {
            return Err(RenderError::Failed(
                "spec.source.helm is not a mapping".into(),
            ));
        }
    };
    let release = option_str(options, "releaseName").unwrap_or(&req.release_name);
    if release.is_empty() {
        return Err(RenderError::Failed(
            "no Helm release name: neither helm.releaseName nor an Application name".into(),
        ));
    }
    let namespace = option_str(options, "namespace").unwrap_or(&req.namespace);
    let kube_version = option_str(options, "kubeVersion").or(req.kube_version.as_deref());

    let mut words: Vec<Word> = Vec::new();
    let mut inputs: Vec<Input> = Vec::new();
    let plain = |words: &mut Vec<Word>, s: &str| words.push(Word::Plain(s.to_string()));
    for w in ["template", ".", "--name-template", release] {
        plain(&mut words, w);
    }
    if !namespace.is_empty() {
        plain(&mut words, "--namespace");
        plain(&mut words, namespace);
    }
    if let Some(v) = kube_version.filter(|v| !v.is_empty()) {
        plain(&mut words, "--kube-version");
        plain(&mut words, v);
    }

    // Parameters: a name given twice keeps its last value (Argo CD collects them in a map).
    let mut set = BTreeMap::new();
    let mut set_string = BTreeMap::new();
    for p in options
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(name) = p
            .get("name")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
        else {
            continue;
        };
        let value = p.get("value").map(scalar_text).unwrap_or_default();
        let force = p
            .get("forceString")
            .and_then(crate::load::yaml::go_bool)
            .unwrap_or(false);
        if force {
            set.remove(name);
            set_string.insert(name.to_string(), value);
        } else {
            set_string.remove(name);
            set.insert(name.to_string(), value);
        }
    }
    for (flag, map) in [("--set", &set), ("--set-string", &set_string)] {
        for (name, value) in map {
            plain(&mut words, flag);
            plain(
                &mut words,
                &format!("{name}={}", clean_set_parameter(value)),
            );
        }
    }
    let mut file_params = BTreeMap::new();
    for p in options
        .get("fileParameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = p.get("name").and_then(Value::as_str).unwrap_or("");
        let path = p.get("path").and_then(Value::as_str).unwrap_or("");
        if name.is_empty() || path.is_empty() {
            continue;
        }
        file_params.insert(name.to_string(), path.to_string());
    }
    for (name, path) in file_params {
        let rel = match resolve_value_file(&root, &chart_dir, &[], &path)? {
            Resolved::Found(rel) => rel,
            Resolved::Missing(rel, _) => {
                return Err(RenderError::Failed(format!(
                    "helm.fileParameters `{name}`: file `{path}` does not exist (resolved to `{rel}`)"
                )));
            }
        };
        words.push(Word::Plain("--set-file".into()));
        words.push(Word::File {
            prefix: format!("{name}="),
            input: inputs.len(),
            shown: rel.clone(),
        });
        inputs.push(Input::File {
            real: root.join(&rel),
            rel,
        });
    }

    let ignore_missing = option_bool(options, "ignoreMissingValueFiles");
    for raw in options
        .get("valueFiles")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        let rel = match resolve_value_file(&root, &chart_dir, &req.refs, raw)? {
            Resolved::Found(rel) => rel,
            // Argo CD skips a missing file, `$ref` ones too (`getResolvedValueFiles`).
            Resolved::Missing(..) if ignore_missing => continue,
            // The `ref` repository was only guessed to be this one: a file missing here may be
            // in the real one, so this is not a failure of the chart.
            Resolved::Missing(rel, Some(name)) => {
                return Err(RenderError::NotRenderable(format!(
                    "value file `{raw}` is not in the scanned tree (looked at `{rel}`); the repository of the multi-source ref `{name}` was taken to be this one because nothing says which it is: declare it under `repositories:` in .manifest-guard.yaml"
                )));
            }
            Resolved::Missing(rel, None) => {
                return Err(RenderError::Failed(format!(
                    "value file `{raw}` does not exist (resolved to `{rel}`); set helm.ignoreMissingValueFiles to skip missing value files"
                )));
            }
        };
        words.push(Word::Plain("--values".into()));
        words.push(Word::File {
            prefix: String::new(),
            input: inputs.len(),
            shown: rel.clone(),
        });
        inputs.push(Input::File {
            real: root.join(&rel),
            rel,
        });
    }
    // `valuesObject` takes precedence over `values` (Argo CD `ValuesYAML`).
    let inline = match (options.get("valuesObject"), options.get("values")) {
        (Some(obj), _) if !obj.is_null() => Some((
            "<helm.valuesObject>",
            serde_json::to_string(obj).unwrap_or_default(),
        )),
        (_, Some(Value::String(s))) if !s.is_empty() => Some(("<helm.values>", s.clone())),
        (_, Some(Value::Object(_))) => {
            return Err(RenderError::Failed(
                "helm.values must be a string (a YAML document); use helm.valuesObject for a mapping"
                    .into(),
            ));
        }
        _ => None,
    };
    if let Some((shown, text)) = inline {
        words.push(Word::Plain("--values".into()));
        words.push(Word::File {
            prefix: String::new(),
            input: inputs.len(),
            shown: shown.into(),
        });
        inputs.push(Input::Text(text));
    }
    for v in options
        .get("apiVersions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        plain(&mut words, "--api-versions");
        plain(&mut words, v);
    }
    if !option_bool(options, "skipCrds") {
        plain(&mut words, "--include-crds");
    }
    // Helm resolves a values schema's `$ref`s on the machine that renders: a schema that refers
    // outside the chart would have Helm read files there (or, older Helm, fetch URLs). Such a
    // chart is rendered without schema validation, and the reference reported.
    let mut problems = Vec::new();
    if option_bool(options, "skipSchemaValidation") {
        plain(&mut words, "--skip-schema-validation");
    } else if let Some(found) = schema::outside_reference(&tree, &chart_dir).or_else(|| {
        // A `file://` dependency's schema is validated as a subchart's.
        dependencies
            .iter()
            .find_map(|d| schema::outside_reference(&tree, &d.dir))
    }) {
        problems.push(format!(
            "{found}: Helm would load it from the machine that renders (Argo CD's repo-server), \
             outside the chart, and fail or read that machine's files; manifest-guard rendered the chart \
             with --skip-schema-validation. Make the schema self-contained (definitions under `$defs`, \
             referred to as `#/$defs/...`), or set helm.skipSchemaValidation"
        ));
        plain(&mut words, "--skip-schema-validation");
    }
    if option_bool(options, "skipTests") {
        plain(&mut words, "--skip-tests");
    }
    Ok(Plan {
        root,
        chart_dir,
        tree,
        words,
        inputs,
        dependencies,
        problems,
    })
}

fn read_yaml(root: &Path, rel: &str) -> Option<Value> {
    let text = tool::read_regular(&root.join(rel)).ok()?;
    let parsed = yaml::parse(&text, Limits::default());
    parsed
        .documents
        .first()
        .and_then(|d| d.root.as_deref())
        .map(yaml::Node::to_json)
}

enum Resolved {
    Found(String),
    /// Not there: the path looked at, and, for a `$ref` file whose repository was only assumed
    /// to be this one, that repository's URL.
    Missing(String, Option<String>),
}

fn outside_root(raw: &str) -> RenderError {
    // Argo CD's words (util/io/path `ResolveValueFilePathOrUrl`).
    RenderError::Failed(format!(
        "value file '{raw}' resolved to outside repository root"
    ))
}

/// A value file as Argo CD resolves it: `$ref/path` against the root of the `ref` source's
/// repository, an absolute path against the repository root, anything else against the chart
/// directory; the result may not leave the root (or the `ref` source's repository).
fn resolve_value_file(
    root: &Path,
    chart_dir: &str,
    refs: &[(String, RefRoot)],
    raw: &str,
) -> Result<Resolved, RenderError> {
    if let Some((scheme, _)) = raw.split_once("://") {
        let plain_scheme = !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c));
        if plain_scheme {
            return Err(if scheme == "http" || scheme == "https" {
                RenderError::NotRenderable(format!(
                    "value file `{raw}` is remote; it is not fetched"
                ))
            } else {
                RenderError::Failed(format!("the URL scheme '{scheme}' is not allowed"))
            });
        }
    }
    // A `$name` that names no `ref` source is an ordinary path (Argo CD `getReferencedSource`).
    let referenced = raw.strip_prefix('$').and_then(|rest| {
        let (name, path) = rest.split_once('/').unwrap_or((rest, ""));
        refs.iter()
            .find(|(n, _)| n == name)
            .map(|(name, at)| (name.as_str(), at, path))
    });
    let mut guess = None;
    let rel = match referenced {
        Some((name, at, path)) => {
            // The first segment is the repository's root: `..` may not climb above it.
            let in_repo =
                normalize_rel(path.trim_start_matches('/')).ok_or_else(|| outside_root(raw))?;
            let (dir, prefix, assumed) = match at {
                RefRoot::Remote(url) => {
                    return Err(RenderError::NotRenderable(format!(
                        "value file `{raw}` is in `{url}`, the repository of the multi-source ref `{name}`, which is not available offline; if it is this repository or checked out beside it, map its URL to that path under `repositories:` in .manifest-guard.yaml"
                    )));
                }
                RefRoot::Local {
                    dir,
                    prefix,
                    assumed,
                } => (dir, prefix, *assumed),
            };
            let below = if prefix.is_empty() {
                Some(in_repo.as_str())
            } else if in_repo == *prefix {
                Some("")
            } else {
                in_repo.strip_prefix(&format!("{prefix}/"))
            };
            let Some(below) = below else {
                return Err(RenderError::NotRenderable(format!(
                    "value file `{raw}` is `{in_repo}` of the repository, outside the scanned directory `{prefix}`; not read"
                )));
            };
            if assumed {
                guess = Some(name.to_string());
            }
            join_rel(dir, below).ok_or_else(|| outside_root(raw))?
        }
        None if raw.starts_with('/') => {
            normalize_rel(raw.trim_start_matches('/')).ok_or_else(|| outside_root(raw))?
        }
        None => join_rel(chart_dir, raw).ok_or_else(|| outside_root(raw))?,
    };
    match tool::entry(root, &rel) {
        Entry::File => Ok(Resolved::Found(rel)),
        Entry::Missing => Ok(Resolved::Missing(rel, guess)),
        Entry::Outside => Err(outside_root(raw)),
        Entry::Dir => Err(RenderError::Failed(format!(
            "value file `{raw}` is a directory (`{rel}`)"
        ))),
    }
}

/// `helm template`'s standard output as documents: each one with content, tidied, with the path
/// its `# Source:` line names (as Helm writes it, not yet mapped to a file of the tree).
pub(crate) fn output_documents(stdout: &str) -> Vec<(String, Option<String>)> {
    tool::split_documents(stdout)
        .iter()
        .filter(|d| tool::has_content(d))
        .map(|d| {
            let (text, source) = take_source(d);
            (tool::tidy(&text), source)
        })
        .filter(|(text, _)| tool::has_content(text))
        .collect()
}

/// Takes the `# Source:` line out of one `helm template` document.
fn take_source(doc: &str) -> (String, Option<String>) {
    let mut source = None;
    let mut text = String::with_capacity(doc.len());
    for line in doc.split_inclusive('\n') {
        if source.is_none()
            && let Some(s) = line.trim_end().strip_prefix("# Source: ")
        {
            source = Some(s.trim().to_string());
            continue;
        }
        text.push_str(line);
    }
    (text, source)
}

/// Subchart directories found so far: (parent chart dir, name in `# Source:`) → where it is.
#[derive(Default)]
struct SubchartDirs {
    known: BTreeMap<(String, String), Subchart>,
}

#[derive(Clone)]
enum Subchart {
    Dir(String),
    /// A packaged subchart; its templates cannot be pointed at, the archive can.
    Archive(String),
    Unknown,
}

impl SubchartDirs {
    /// `<chart>/templates/x.yaml` → `<chart_dir>/templates/x.yaml`;
    /// `<chart>/charts/<sub>/templates/y.yaml` → the subchart's directory (found by directory
    /// name, by Chart.yaml name or by dependency alias) or its archive, with the template's path
    /// inside the archive.
    fn map_source(
        &mut self,
        root: &Path,
        chart_dir: &str,
        source: &str,
    ) -> Option<(String, Option<String>)> {
        let parts: Vec<&str> = source.split('/').collect();
        let rest = parts.get(1..)?;
        let mut dir = chart_dir.to_string();
        let mut i = 0;
        while i + 2 < rest.len() && rest[i] == "charts" {
            match self.find(root, &dir, rest[i + 1]) {
                Subchart::Dir(d) => dir = d,
                Subchart::Archive(file) => return Some((file, Some(rest[i + 1..].join("/")))),
                Subchart::Unknown => break,
            }
            i += 2;
        }
        join_rel(&dir, &rest[i..].join("/")).map(|p| (p, None))
    }

    fn find(&mut self, root: &Path, parent: &str, name: &str) -> Subchart {
        let key = (parent.to_string(), name.to_string());
        if let Some(s) = self.known.get(&key) {
            return s.clone();
        }
        let found = find_subchart(root, parent, name);
        self.known.insert(key, found.clone());
        found
    }
}

fn find_subchart(root: &Path, parent: &str, name: &str) -> Subchart {
    let charts = join_rel(parent, "charts").unwrap_or_default();
    let direct = format!("{charts}/{name}");
    if tool::entry(root, &format!("{direct}/Chart.yaml")) == Entry::File {
        return Subchart::Dir(direct);
    }
    // An alias renames the subchart in `# Source:`; the directory keeps the chart's name.
    let chart = read_yaml(root, &join_rel(parent, "Chart.yaml").unwrap_or_default());
    let real_name = chart
        .as_ref()
        .and_then(|c| c.get("dependencies"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|d| d.get("alias").and_then(Value::as_str) == Some(name))
        .and_then(|d| d.get("name").and_then(Value::as_str))
        .unwrap_or(name)
        .to_string();
    let Ok(read) = std::fs::read_dir(root.join(&charts)) else {
        return Subchart::Unknown;
    };
    let mut entries: Vec<String> = read
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .collect();
    entries.sort();
    for file in &entries {
        let rel = format!("{charts}/{file}");
        match tool::entry(root, &rel) {
            Entry::Dir => {
                let n = read_yaml(root, &format!("{rel}/Chart.yaml"))
                    .and_then(|c| c.get("name").and_then(Value::as_str).map(str::to_string));
                if n.as_deref() == Some(real_name.as_str()) || *file == real_name {
                    return Subchart::Dir(rel);
                }
            }
            Entry::File
                if (file.ends_with(".tgz") || file.ends_with(".tar.gz"))
                    && file
                        .strip_prefix(real_name.as_str())
                        .and_then(|r| r.strip_prefix('-'))
                        .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit())) =>
            {
                return Subchart::Archive(rel);
            }
            _ => {}
        }
    }
    Subchart::Unknown
}

#[cfg(test)]
mod tests {
    use super::*;

    // Helm names a value file it cannot parse by its copy in the sandbox (`failed to parse
    // <sandbox>/inputs/0`): the report names it as the command line and the repository do.
    #[test]
    fn sandbox_paths_become_the_repositorys() {
        assert_eq!(
            replace_path(
                "parse <sandbox>/inputs/1: x; <sandbox>/inputs/10; <sandbox>/inputs/1/",
                "<sandbox>/inputs/1",
                "charts/a/v.yaml"
            ),
            "parse charts/a/v.yaml: x; <sandbox>/inputs/10; charts/a/v.yaml/"
        );
        assert_eq!(
            replace_path(
                "<sandbox>/chart/templates/a.yaml in <sandbox>/chart",
                "<sandbox>/chart",
                ""
            ),
            "templates/a.yaml in ."
        );
        assert_eq!(
            replace_path("<sandbox>/charts/a", "<sandbox>/chart", "c"),
            "<sandbox>/charts/a"
        );
    }

    #[test]
    fn commas_are_escaped_outside_lists() {
        assert_eq!(clean_set_parameter("a,b"), r"a\,b");
        assert_eq!(clean_set_parameter(r"a\,b"), r"a\,b");
        assert_eq!(clean_set_parameter("{a,b}"), "{a,b}");
        assert_eq!(clean_set_parameter("plain"), "plain");
    }

    #[test]
    fn the_source_line_is_taken_out() {
        let (text, source) =
            take_source("# Source: web/templates/svc.yaml\napiVersion: v1\nkind: Service\n");
        assert_eq!(source.as_deref(), Some("web/templates/svc.yaml"));
        assert_eq!(text, "apiVersion: v1\nkind: Service\n");
    }

    fn write(root: &Path, rel: &str, text: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().expect("a parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }

    #[test]
    fn sources_map_to_files_of_the_scanned_root() {
        let tmp = TempDir::new().expect("tmp");
        let root = tmp.path().canonicalize().expect("canonical");
        write(
            &root,
            "apps/db/Chart.yaml",
            "apiVersion: v2\nname: postgresql\nversion: 1.0.0\ndependencies:\n- name: common\n  alias: lib\n  version: 2.x\n",
        );
        write(
            &root,
            "apps/db/charts/common/Chart.yaml",
            "name: common\nversion: 2.0.0\n",
        );
        write(&root, "apps/db/charts/other-1.2.3.tgz", "");
        let mut dirs = SubchartDirs::default();
        let mut map = |s: &str| dirs.map_source(&root, "apps/db", s).map(|(p, _)| p);
        assert_eq!(
            map("postgresql/templates/primary/statefulset.yaml").as_deref(),
            Some("apps/db/templates/primary/statefulset.yaml")
        );
        assert_eq!(
            map("postgresql/charts/common/templates/x.yaml").as_deref(),
            Some("apps/db/charts/common/templates/x.yaml")
        );
        assert_eq!(
            map("postgresql/charts/lib/templates/x.yaml").as_deref(),
            Some("apps/db/charts/common/templates/x.yaml")
        );
        assert_eq!(
            map("postgresql/charts/other/templates/y.yaml").as_deref(),
            Some("apps/db/charts/other-1.2.3.tgz")
        );
        // A template inside a packaged chart: the archive, and the path inside it.
        assert_eq!(
            dirs.map_source(&root, "apps/db", "postgresql/charts/other/templates/y.yaml"),
            Some((
                "apps/db/charts/other-1.2.3.tgz".to_string(),
                Some("other/templates/y.yaml".to_string())
            ))
        );
    }

    #[test]
    fn value_files_resolve_as_argo_cd_resolves_them() {
        let tmp = TempDir::new().expect("tmp");
        let root = tmp.path().canonicalize().expect("canonical");
        write(&root, "charts/web/values-prod.yaml", "a: 1\n");
        write(&root, "env/prod/values.yaml", "b: 2\n");
        write(&root, "shared.yaml", "c: 3\n");
        write(&root, "vendor/cfg/prod.yaml", "d: 4\n");
        let local = |dir: &str, prefix: &str, assumed: bool| RefRoot::Local {
            dir: dir.into(),
            prefix: prefix.into(),
            assumed,
        };
        let refs = vec![
            // This repository, scanned at its top level.
            ("cfg".to_string(), local("", "", false)),
            // This repository, scanned from its `gitops/` directory.
            ("sub".to_string(), local("", "gitops", false)),
            // Another repository, mapped to `vendor/cfg` of the scanned tree.
            ("mapped".to_string(), local("vendor/cfg", "", false)),
            ("guess".to_string(), local("", "", true)),
            (
                "far".to_string(),
                RefRoot::Remote("https://git.example.com/values.git".into()),
            ),
        ];
        let found = |raw: &str| match resolve_value_file(&root, "charts/web", &refs, raw) {
            Ok(Resolved::Found(rel)) => Ok(rel),
            Ok(Resolved::Missing(rel, guess)) => Err(format!("missing {rel} {guess:?}")),
            Err(e) => Err(e.to_string()),
        };
        assert_eq!(
            found("values-prod.yaml").as_deref(),
            Ok("charts/web/values-prod.yaml")
        );
        // `$ref/…` is relative to the ref repository's root (Argo CD
        // `getResolvedRefValueFile`), a leading `/` changing nothing.
        assert_eq!(
            found("$cfg/env/prod/values.yaml").as_deref(),
            Ok("env/prod/values.yaml")
        );
        assert_eq!(
            found("$cfg//env/prod/values.yaml").as_deref(),
            Ok("env/prod/values.yaml")
        );
        assert_eq!(
            found("$sub/gitops/env/prod/values.yaml").as_deref(),
            Ok("env/prod/values.yaml")
        );
        let outside = found("$sub/docs/values.yaml").expect_err("outside the scanned directory");
        assert!(
            outside.contains(
                "is `docs/values.yaml` of the repository, outside the scanned directory `gitops`"
            ),
            "{outside}"
        );
        assert_eq!(
            found("$mapped/prod.yaml").as_deref(),
            Ok("vendor/cfg/prod.yaml")
        );
        assert_eq!(
            found("$guess/nope.yaml"),
            Err("missing nope.yaml Some(\"guess\")".into())
        );
        let far = found("$far/prod.yaml").expect_err("not offline");
        assert!(
            far.contains("is in `https://git.example.com/values.git`, the repository of the multi-source ref `far`, which is not available offline"),
            "{far}"
        );
        assert_eq!(found("/shared.yaml").as_deref(), Ok("shared.yaml"));
        assert_eq!(found("../../shared.yaml").as_deref(), Ok("shared.yaml"));
        assert_eq!(
            found("nope.yaml"),
            Err("missing charts/web/nope.yaml None".into())
        );
        assert_eq!(
            found("../../../etc/passwd"),
            Err("value file '../../../etc/passwd' resolved to outside repository root".into())
        );
        // `..` may not climb above the ref repository's root, nor a mapped one's.
        assert_eq!(
            found("$cfg/../shared.yaml"),
            Err("value file '$cfg/../shared.yaml' resolved to outside repository root".into())
        );
        assert_eq!(
            found("$mapped/../../shared.yaml"),
            Err(
                "value file '$mapped/../../shared.yaml' resolved to outside repository root".into()
            )
        );
        assert!(matches!(
            resolve_value_file(&root, "charts/web", &refs, "https://example.com/v.yaml"),
            Err(RenderError::NotRenderable(_))
        ));
        // A `$name` that is no ref is an ordinary path (Argo CD `getReferencedSource`).
        assert_eq!(
            found("$nope/v.yaml"),
            Err("missing charts/web/$nope/v.yaml None".into())
        );
    }
}
