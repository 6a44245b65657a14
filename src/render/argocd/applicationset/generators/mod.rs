//! Argo CD ApplicationSet generators, evaluated offline the way the applicationset controller
//! evaluates them. This module owns the public interface (`generate`, `Context`, `Repo`,
//! `Element`, `Outcome`, `GeneratorError`), the dispatch of one `spec.generators` entry to its
//! generator, the interpolation of a matrix child with its sibling's parameters, the post
//! selector, the limits that keep hostile input bounded, and the few Go behaviours every
//! generator shares (`fmt`'s `%v`, `path.Base`/`path.Dir`, the name normaliser, `values`).
//!
//! Each generator lives in its own file: `list`, `cluster`, `git`, `matrix`, `merge`; label
//! selectors (the cluster generator's and the post selector) in `selector`. What needs a network
//! service (SCM provider, pull request, cluster decision resource, plugin, OCI) is reported as
//! [`Outcome::Unavailable`], never guessed.

mod cluster;
mod git;
mod list;
mod matrix;
mod merge;
mod selector;

#[cfg(test)]
mod testkit;
#[cfg(test)]
mod tests;

use std::cell::{Cell, OnceCell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use serde_json::Value;

/// One parameter set, as Argo CD hands it to the template.
pub type Params = serde_json::Map<String, serde_json::Value>;

/// One generated parameter set, and a short human description of where it came from,
/// e.g. `list[0]`, `clusters[staging]`, `git directories[addons/cert-manager]`,
/// `matrix[git directories addons/cert-manager × clusters staging]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Element {
    pub params: Params,
    pub origin: String,
}

/// A cluster Argo CD knows. Clusters that come from a cluster Secret carry that Secret's labels,
/// which always include `argocd.argoproj.io/secret-type: cluster` (that label is how Argo CD finds
/// cluster Secrets, and how the cluster generator tells them apart). The cluster generator lists
/// only those; like Argo CD it adds the local `in-cluster` itself when no selector is set and no
/// Secret already points at `https://kubernetes.default.svc`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cluster {
    pub name: String,
    pub server: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// The Secret's `project` field; empty when it has none (Argo CD then passes `project: ''`).
    pub project: String,
}

/// What a generator needs from the outside world, offline.
pub trait Context {
    fn go_template(&self) -> bool;
    /// Clusters known to Argo CD (cluster Secrets in the repo, config, and in-cluster).
    fn clusters(&self) -> &[Cluster];
    /// The local checkout for a git generator's repoURL, or None when it is not available offline.
    fn repo(&self, repo_url: &str) -> Option<&dyn Repo>;
    /// Render a JSON value (a matrix child's generator spec, or one `values` entry of a cluster or
    /// git generator) with params, using Argo CD templating (fasttemplate or Go template per
    /// `go_template()`).
    fn render(&self, value: &Value, params: &Params) -> Result<Value, String>;
    /// Parse YAML or JSON text into JSON (git files generator, list elementsYaml).
    fn parse_yaml(&self, text: &str) -> Result<Value, String>;
    /// At most this many parameter sets come out of one generator (and out of any of its
    /// children): the run's `applicationset-elements`.
    fn max_elements(&self) -> usize {
        crate::limits::Limits::default().get_usize(crate::limits::Key::ApplicationSetElements)
    }
}

/// A local checkout of a git repository.
pub trait Repo {
    /// Every directory path in the checkout, relative, `/`-separated, sorted (not `.git`).
    /// Shared, not copied: each ApplicationSet with a git generator asks for the whole list.
    fn directories(&self) -> std::sync::Arc<[String]>;
    /// Every file path, relative, `/`-separated, sorted.
    fn files(&self) -> std::sync::Arc<[String]>;
    /// A file's text, or why it cannot be read.
    fn read(&self, path: &str) -> Result<String, String>;
    /// True when nothing declares this checkout to be the repository (no `repositories:`
    /// mapping, no matching `origin` remote): it is only assumed to be.
    fn assumed(&self) -> bool {
        false
    }
}

/// The result of evaluating one generator.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Elements(Vec<Element>),
    /// Not computable offline, with the reason (SCM provider, pull request,
    /// clusterDecisionResource, plugin, a git repo that is not local).
    Unavailable(String),
}

/// A malformed generator, or one Argo CD itself would fail on. `at` names the key, as a dotted
/// path inside the generator entry (e.g. `matrix.generators[1].list.elements[0].port`).
#[derive(Debug, thiserror::Error)]
pub enum GeneratorError {
    #[error("{at}: {message}")]
    Malformed { at: String, message: String },
    #[error(
        "{at}: no generator (expected one of list, clusters, git, matrix, merge, scmProvider, pullRequest, clusterDecisionResource, plugin)"
    )]
    Empty { at: String },
    #[error("{at}: unknown generator `{key}`")]
    UnknownGenerator { at: String, key: String },
    #[error(
        "{at}: more than one generator in one entry ({keys}); a matrix or merge child holds exactly one"
    )]
    MoreThanOne { at: String, keys: String },
    #[error("{at}: a matrix combines exactly two child generators, found {found}")]
    MatrixArity { at: String, found: usize },
    #[error("{at}: a merge needs two or more child generators, found {found}")]
    MergeArity { at: String, found: usize },
    #[error("{at}: a merge needs at least one merge key")]
    NoMergeKeys { at: String },
    #[error(
        "{at}: the parameter sets of child generator {child} are not unique by mergeKeys; duplicate key {key}"
    )]
    DuplicateMergeKey {
        at: String,
        child: usize,
        key: String,
    },
    #[error(
        "{at}: found duplicate key `{key}` with different values ({first:?} and {second:?}); in fasttemplate mode matrix children may not disagree"
    )]
    MatrixConflict {
        at: String,
        key: String,
        first: String,
        second: String,
    },
    #[error("{at}: combination generators (matrix, merge) can only be nested once")]
    TooDeep { at: String },
    #[error("{at}: more than {limit} parameter sets (`applicationset-elements`); not evaluated")]
    TooManyElements { at: String, limit: usize },
    #[error("{at}: more than {limit} path matches against the checkout; not evaluated")]
    TooMuchScanning { at: String, limit: usize },
    #[error("{at}: templating failed: {reason}")]
    Render { at: String, reason: String },
    #[error("{at}: unable to process file `{path}`: {reason}")]
    File {
        at: String,
        path: String,
        reason: String,
    },
}

impl GeneratorError {
    /// A bound of this tool, not an error of the ApplicationSet.
    pub fn is_limit(&self) -> bool {
        matches!(
            self,
            GeneratorError::TooManyElements { .. } | GeneratorError::TooMuchScanning { .. }
        )
    }
}

/// At most this many parameter sets are produced in total while evaluating one entry, children
/// and matrix re-evaluations included, so a nested matrix cannot make quadratic work.
pub const MAX_WORK: usize = 200_000;
/// At most this many (path, pattern) tests while evaluating one entry: a templated git child of
/// a matrix is evaluated once per parameter set of its sibling, over the whole checkout.
pub const MAX_SCAN: usize = 20_000_000;
/// Values nested deeper than this (from list elements, YAML files, renders) are refused, so the
/// recursive helpers below stay within the stack.
pub const MAX_VALUE_DEPTH: usize = 64;

/// Evaluate one entry of `spec.generators` (a JSON object with one generator key, plus optional
/// `selector`).
pub fn generate(generator: &Value, ctx: &dyn Context) -> Result<Outcome, GeneratorError> {
    let eval = Eval {
        ctx,
        produced: Cell::new(0),
        scanned: Cell::new(0),
        checkouts: RefCell::new(HashMap::new()),
    };
    Ok(match eval.entry(generator, "", 0, false, None)? {
        Generated::Items(items) => {
            Outcome::Elements(items.into_iter().map(|i| i.element).collect())
        }
        Generated::Unavailable(reason) => Outcome::Unavailable(reason),
    })
}

/// The generator keys of an entry, in the order of Argo CD's `ApplicationSetGenerator` fields:
/// a top-level entry holding several is evaluated generator by generator in this order.
const GENERATOR_KEYS: [&str; 10] = [
    "list",
    "clusters",
    "git",
    "scmProvider",
    "clusterDecisionResource",
    "pullRequest",
    "plugin",
    "matrix",
    "merge",
    "oci",
];

/// The generators an entry of `spec.generators` holds (keys with a non-null value), in the
/// order Argo CD evaluates them.
pub fn kinds_of(entry: &Value) -> Vec<&'static str> {
    let Some(obj) = entry.as_object() else {
        return Vec::new();
    };
    GENERATOR_KEYS
        .iter()
        .copied()
        .filter(|k| obj.get(*k).is_some_and(|v| !v.is_null()))
        .collect()
}

/// A generated parameter set while evaluation is under way. `opaque` lists the dotted paths of
/// params that Argo CD holds as typed Go values (`map[string]string`, `[]string`, ...), which its
/// post-selector flattening does not descend into; see `selector::flatten_params`.
#[derive(Debug, Clone)]
pub(super) struct Item {
    pub(super) element: Element,
    pub(super) opaque: Vec<String>,
}

impl Item {
    fn new(params: Params, origin: String) -> Self {
        Item {
            element: Element { params, origin },
            opaque: Vec::new(),
        }
    }
}

pub(super) enum Generated {
    Items(Vec<Item>),
    Unavailable(String),
}

/// One evaluation: the context, the work done so far, and what was read from checkouts (a matrix
/// re-evaluates its second child once per parameter set of its first, so each checkout is
/// listed, and each file parsed, once per entry rather than once per evaluation).
pub(super) struct Eval<'a> {
    pub(super) ctx: &'a dyn Context,
    produced: Cell<usize>,
    scanned: Cell<usize>,
    checkouts: RefCell<HashMap<String, Rc<Checkout>>>,
}

/// A file's content as parsed by `Context::parse_yaml`, or why it cannot be read or parsed.
pub(super) type ParsedFile = Rc<Result<Value, String>>;

/// What has been read from one checkout during an evaluation.
#[derive(Default)]
pub(super) struct Checkout {
    pub(super) directories: OnceCell<std::sync::Arc<[String]>>,
    pub(super) files: OnceCell<std::sync::Arc<[String]>>,
    /// Parsed file contents by path.
    pub(super) parsed: RefCell<HashMap<String, ParsedFile>>,
}

impl Eval<'_> {
    pub(super) fn go_template(&self) -> bool {
        self.ctx.go_template()
    }

    /// Count `n` more parameter sets against `MAX_WORK`.
    pub(super) fn count(&self, n: usize, at: &str) -> Result<(), GeneratorError> {
        let total = self.produced.get().saturating_add(n);
        self.produced.set(total);
        if total > MAX_WORK {
            return Err(GeneratorError::TooManyElements {
                at: display_at(at),
                limit: MAX_WORK,
            });
        }
        Ok(())
    }

    /// Count `n` more path tests against `MAX_SCAN`.
    pub(super) fn scan(&self, n: usize, at: &str) -> Result<(), GeneratorError> {
        let total = self.scanned.get().saturating_add(n);
        self.scanned.set(total);
        if total > MAX_SCAN {
            return Err(GeneratorError::TooMuchScanning {
                at: display_at(at),
                limit: MAX_SCAN,
            });
        }
        Ok(())
    }

    /// The cache of a checkout, by repoURL.
    pub(super) fn checkout(&self, repo_url: &str) -> Rc<Checkout> {
        self.checkouts
            .borrow_mut()
            .entry(repo_url.to_string())
            .or_default()
            .clone()
    }

    /// Evaluate one generator entry. `depth` counts the combination generators around it;
    /// `nested` is true for a matrix or merge child (which must hold exactly one generator);
    /// `params`, when non-empty, are a matrix sibling's parameters to interpolate into the entry.
    pub(super) fn entry(
        &self,
        entry: &Value,
        at: &str,
        depth: usize,
        nested: bool,
        params: Option<&Params>,
    ) -> Result<Generated, GeneratorError> {
        let Some(obj) = entry.as_object() else {
            return Err(malformed(at, "a generator must be a mapping"));
        };
        let mut kinds: Vec<&str> = Vec::new();
        let mut unknown: Vec<&str> = Vec::new();
        for (key, value) in obj {
            if key == "selector" {
                continue;
            }
            let Some(kind) = GENERATOR_KEYS.iter().find(|k| **k == key.as_str()) else {
                unknown.push(key);
                continue;
            };
            // `list:` with nothing after it is null in YAML; Argo CD's Go struct then holds a nil
            // pointer, which is the same as the key being absent.
            if !value.is_null() {
                kinds.push(kind);
            }
        }
        if let Some(first) = unknown.first() {
            if let Some(reason) = misplaced_network_fields(obj, &unknown) {
                let reason = if depth > 0 {
                    format!("{reason} (at {})", display_at(at))
                } else {
                    reason
                };
                return Ok(Generated::Unavailable(reason));
            }
            return Err(GeneratorError::UnknownGenerator {
                at: display_at(at),
                key: (*first).to_string(),
            });
        }
        kinds.sort_by_key(|k| GENERATOR_KEYS.iter().position(|g| g == k));
        if kinds.is_empty() {
            return Err(GeneratorError::Empty { at: display_at(at) });
        }
        if nested && kinds.len() > 1 {
            return Err(GeneratorError::MoreThanOne {
                at: display_at(at),
                keys: kinds.join(", "),
            });
        }
        // The post selector is parsed from the entry as written: Argo CD builds it before it
        // interpolates the generator, so `{{...}}` in a selector is never rendered.
        let post_selector = match obj.get("selector") {
            None | Some(Value::Null) => None,
            Some(sel) => Some(selector::parse(
                sel,
                &join(at, "selector"),
                selector::ValueRule::Any,
            )?),
        };
        // Argo CD interpolates only when the sibling's parameter set is non-empty.
        let params = params.filter(|p| !p.is_empty());

        let mut items = Vec::new();
        for kind in kinds {
            let kat = join(at, kind);
            let spec = &obj[kind];
            let generated = if kind == "matrix" {
                // A nested matrix is not rendered as a whole: its second child must still see its
                // first child's parameters, so the inherited ones are passed down instead.
                matrix::generate(self, spec, &kat, depth, params)?
            } else {
                match params {
                    Some(p) => {
                        let rendered = self.interpolate(spec, p, &kat)?;
                        self.generator(kind, &rendered, &kat, depth)?
                    }
                    None => self.generator(kind, spec, &kat, depth)?,
                }
            };
            match generated {
                Generated::Items(more) => items.extend(more),
                // One part not computable makes the whole entry not computable.
                Generated::Unavailable(reason) => {
                    // Say where, once: the innermost nested entry knows.
                    let reason = if depth > 0 && !reason.contains(" (at ") {
                        format!("{reason} (at {})", display_at(&kat))
                    } else {
                        reason
                    };
                    return Ok(Generated::Unavailable(reason));
                }
            }
        }
        // Counted before the post selector, so work it throws away still counts.
        self.count(items.len(), at)?;
        if let Some(sel) = post_selector {
            let mut kept = Vec::with_capacity(items.len());
            for item in items {
                if sel.matches(&selector::flatten_params(&item)) {
                    kept.push(item);
                }
            }
            items = kept;
        }
        check_len(items.len(), self.ctx, at)?;
        Ok(Generated::Items(items))
    }

    fn generator(
        &self,
        kind: &str,
        spec: &Value,
        at: &str,
        depth: usize,
    ) -> Result<Generated, GeneratorError> {
        Ok(match kind {
            "list" => Generated::Items(list::generate(spec, self.ctx, at)?),
            "clusters" => Generated::Items(cluster::generate(spec, self.ctx, at)?),
            "git" => git::generate(self, spec, at)?,
            "merge" => merge::generate(self, spec, at, depth)?,
            "matrix" => matrix::generate(self, spec, at, depth, None)?,
            "oci" => unavailable("oci", "the OCI registry to list the artifact's contents"),
            network => {
                let what = NETWORK_GENERATORS
                    .iter()
                    .find(|(name, _, _)| *name == network)
                    .map_or("a live service", |(_, what, _)| what);
                unavailable(network, what)
            }
        })
    }

    /// Render a generator spec with a matrix sibling's parameters (Argo CD's
    /// `InterpolateGenerator`), through `Context::render`.
    fn interpolate(
        &self,
        spec: &Value,
        params: &Params,
        at: &str,
    ) -> Result<Value, GeneratorError> {
        let rendered = self
            .ctx
            .render(spec, params)
            .map_err(|reason| GeneratorError::Render {
                at: display_at(at),
                reason,
            })?;
        check_depth(&rendered, at)?;
        Ok(rendered)
    }
}

fn unavailable(name: &str, what: &str) -> Generated {
    Generated::Unavailable(unavailable_reason(name, what))
}

fn unavailable_reason(name: &str, what: &str) -> String {
    format!("{name} generator needs {what}; not evaluated offline")
}

/// What each generator that needs a live service asks for, and the fields of its spec (Argo
/// CD's `SCMProviderGenerator`, `DuckTypeGenerator`, `PullRequestGenerator`, `PluginGenerator`).
const NETWORK_GENERATORS: [(&str, &str, &[&str]); 4] = [
    (
        "scmProvider",
        "the SCM provider's API to list an organisation's repositories",
        &[
            "github",
            "gitlab",
            "bitbucket",
            "bitbucketServer",
            "gitea",
            "azureDevOps",
            "awsCodeCommit",
            "filters",
            "cloneProtocol",
            "requeueAfterSeconds",
            "template",
            "values",
        ],
    ),
    (
        "clusterDecisionResource",
        "a live duck-typed resource (and its ConfigMap) in the Argo CD cluster",
        &[
            "configMapRef",
            "name",
            "labelSelector",
            "requeueAfterSeconds",
            "template",
            "values",
        ],
    ),
    (
        "pullRequest",
        "the SCM provider's API to list open pull requests",
        &[
            "github",
            "gitlab",
            "gitea",
            "bitbucketServer",
            "bitbucket",
            "azuredevops",
            "awsCodeCommit",
            "filters",
            "requeueAfterSeconds",
            "template",
            "values",
            "continueOnRepoNotFoundError",
        ],
    ),
    (
        "plugin",
        "a call to the plugin's HTTP service",
        &[
            "configMapRef",
            "input",
            "requeueAfterSeconds",
            "template",
            "values",
        ],
    ),
];

/// An entry that names a generator needing a live service, with that generator's own fields
/// written beside its key instead of under it (`- plugin:` then `configMapRef:` at the same
/// indentation, as in Argo CD's "ApplicationSet Specification" reference listing). Whatever
/// the indentation, such a generator cannot be evaluated offline, so it is reported as one, and
/// the note says where its fields went: as written, Kubernetes drops (or, with strict field
/// validation, refuses) the stray keys and Argo CD sees an empty generator.
fn misplaced_network_fields(
    obj: &serde_json::Map<String, Value>,
    unknown: &[&str],
) -> Option<String> {
    let (name, what, _) = NETWORK_GENERATORS.iter().find(|(name, _, fields)| {
        obj.contains_key(*name) && unknown.iter().all(|key| fields.contains(key))
    })?;
    let keys: Vec<String> = unknown.iter().map(|k| format!("`{k}`")).collect();
    Some(format!(
        "{} (its fields {} sit beside `{name}:`, not under it: as written, Argo CD receives an empty `{name}` and generates nothing from it)",
        unavailable_reason(name, what),
        keys.join(", ")
    ))
}

/// `at` joined with a key, for error locations.
pub(super) fn join(at: &str, key: &str) -> String {
    if at.is_empty() {
        key.to_string()
    } else {
        format!("{at}.{key}")
    }
}

pub(super) fn display_at(at: &str) -> String {
    if at.is_empty() {
        "generator".to_string()
    } else {
        at.to_string()
    }
}

pub(super) fn malformed(at: &str, message: impl Into<String>) -> GeneratorError {
    GeneratorError::Malformed {
        at: display_at(at),
        message: message.into(),
    }
}

pub(super) fn check_len(len: usize, ctx: &dyn Context, at: &str) -> Result<(), GeneratorError> {
    let limit = ctx.max_elements();
    if len > limit {
        return Err(GeneratorError::TooManyElements {
            at: display_at(at),
            limit,
        });
    }
    Ok(())
}

/// Refuse values nested deeper than `MAX_VALUE_DEPTH`; walks with an explicit stack so the
/// check itself cannot overflow.
pub(super) fn check_depth(value: &Value, at: &str) -> Result<(), GeneratorError> {
    let mut stack = vec![(value, 0usize)];
    while let Some((v, depth)) = stack.pop() {
        if depth > MAX_VALUE_DEPTH {
            return Err(malformed(
                at,
                format!("value nested deeper than {MAX_VALUE_DEPTH} levels"),
            ));
        }
        match v {
            Value::Array(items) => stack.extend(items.iter().map(|i| (i, depth + 1))),
            Value::Object(map) => stack.extend(map.values().map(|i| (i, depth + 1))),
            _ => {}
        }
    }
    Ok(())
}

/// A spec that must be a mapping; YAML's bare `key:` (null) counts as an empty one.
pub(super) fn spec_object<'v>(
    spec: &'v Value,
    at: &str,
) -> Result<Option<&'v Params>, GeneratorError> {
    match spec {
        Value::Null => Ok(None),
        Value::Object(map) => Ok(Some(map)),
        _ => Err(malformed(at, "must be a mapping")),
    }
}

/// An optional string field of a spec.
pub(super) fn opt_str<'v>(
    obj: Option<&'v Params>,
    key: &str,
    at: &str,
) -> Result<Option<&'v str>, GeneratorError> {
    match obj.and_then(|o| o.get(key)) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(malformed(&join(at, key), "must be a string")),
    }
}

/// A `values` map (`map[string]string` in Argo CD's types), in its written order.
pub(super) fn string_map(
    obj: Option<&Params>,
    key: &str,
    at: &str,
) -> Result<Vec<(String, String)>, GeneratorError> {
    let vat = join(at, key);
    match obj.and_then(|o| o.get(key)) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                _ => Err(malformed(&join(&vat, k), "must be a string")),
            })
            .collect(),
        Some(_) => Err(malformed(&vat, "must be a mapping of strings")),
    }
}

/// Argo CD's `appendTemplatedValues`: each `values` entry is rendered with the parameters the
/// generator has made so far (not with the other values), then added as `values.<key>`
/// (fasttemplate) or under a `values` map (goTemplate). The values are rendered first and added
/// after, so one value can never see another.
pub(super) fn append_values(
    values: &[(String, String)],
    item: &mut Item,
    ctx: &dyn Context,
    at: &str,
) -> Result<(), GeneratorError> {
    if values.is_empty() {
        return Ok(());
    }
    let mut rendered = Vec::with_capacity(values.len());
    for (key, template) in values {
        let out = if template.contains("{{") {
            let value = ctx
                .render(&Value::String(template.clone()), &item.element.params)
                .map_err(|reason| GeneratorError::Render {
                    at: display_at(&join(&join(at, "values"), key)),
                    reason,
                })?;
            match value {
                Value::String(s) => s,
                other => go_format(&other),
            }
        } else {
            // Neither engine changes text without `{{`.
            template.clone()
        };
        rendered.push((key.clone(), out));
    }
    let params = &mut item.element.params;
    if ctx.go_template() {
        let map: Params = rendered
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
        params.insert("values".to_string(), Value::Object(map));
        // Argo CD builds this as a map[string]string.
        item.opaque.push("values".to_string());
    } else {
        for (k, v) in rendered {
            params.insert(format!("values.{k}"), Value::String(v));
        }
    }
    Ok(())
}

/// Go's `fmt.Sprintf("%v", v)` of a JSON-decoded value, as Argo CD stringifies parameters in
/// fasttemplate mode: numbers are float64 (`1e+06` for a million), null is `<nil>`, maps print as
/// `map[k:v]` with sorted keys, lists as `[a b]`.
pub(super) fn go_format(value: &Value) -> String {
    match value {
        Value::Null => "<nil>".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => go_format_float(n.as_f64().unwrap_or(f64::NAN)),
        Value::String(s) => s.clone(),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(go_format).collect();
            format!("[{}]", parts.join(" "))
        }
        Value::Object(map) => {
            let mut parts: Vec<(&String, String)> =
                map.iter().map(|(k, v)| (k, go_format(v))).collect();
            parts.sort_by(|a, b| a.0.cmp(b.0));
            let parts: Vec<String> = parts.into_iter().map(|(k, v)| format!("{k}:{v}")).collect();
            format!("map[{}]", parts.join(" "))
        }
    }
}

/// `strconv.FormatFloat(f, 'g', -1, 64)`, which `%v` uses: the shortest digits that round-trip,
/// in exponent form (`1.5e+06`, exponent of at least two digits) when the decimal exponent is
/// below -4 or at least 6, because Go decides with precision 6 when printing the shortest form.
pub(super) fn go_format_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.to_string();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    // Rust's `{:e}` prints the shortest round-trip digits as `d.ddde±x`.
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..6).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.unsigned_abs())
    } else {
        // Rust's `Display` prints the same shortest digits without an exponent.
        format!("{f}")
    }
}

/// Argo CD's `utils.SanitizeName` (the `nameNormalized`/`basenameNormalized` parameters):
/// lower-case, every character outside `[-a-z0-9.]` becomes `-`, at most 253 characters, then
/// `-` and `.` trimmed from both ends.
pub(super) fn sanitize_name(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            // Go's ToLower maps one rune to one rune; Rust's may expand (İ), so take the first.
            let lower = c.to_lowercase().next().unwrap_or(c);
            if lower.is_ascii_lowercase() || lower.is_ascii_digit() || lower == '-' || lower == '.'
            {
                lower
            } else {
                '-'
            }
        })
        .collect();
    // Every character is ASCII now, so byte length is character length.
    out.truncate(253);
    out.trim_matches(|c| c == '-' || c == '.').to_string()
}

/// Go's `path.Base` for the clean, relative paths a checkout yields.
pub(super) fn go_path_base(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    if path.is_empty() {
        return ".".to_string();
    }
    if trimmed.is_empty() {
        return "/".to_string();
    }
    match trimmed.rsplit_once('/') {
        Some((_, base)) => base.to_string(),
        None => trimmed.to_string(),
    }
}

/// Go's `path.Dir` for the clean, relative paths a checkout yields (`config.json` → `.`).
pub(super) fn go_path_dir(path: &str) -> String {
    match path.rsplit_once('/') {
        Some(("", _)) => "/".to_string(),
        Some((dir, _)) => {
            let dir = dir.trim_end_matches('/');
            if dir.is_empty() { "/" } else { dir }.to_string()
        }
        None => ".".to_string(),
    }
}

/// Merge `src` into `dst` the way `mergo.Merge(dst, src, mergo.WithOverride)` does for
/// `map[string]any`: nested maps merge key by key, anything else in `src` replaces `dst`'s.
pub(super) fn deep_merge(dst: &mut Params, src: &Params) {
    for (key, value) in src {
        match (dst.get_mut(key), value) {
            (Some(Value::Object(d)), Value::Object(s)) => deep_merge(d, s),
            _ => {
                dst.insert(key.clone(), value.clone());
            }
        }
    }
}

/// An origin like `list[0]` as it reads inside a combined origin: `list 0`.
pub(super) fn origin_inner(origin: &str) -> String {
    match origin.split_once('[') {
        Some((head, rest)) if origin.ends_with(']') => {
            format!("{head} {}", &rest[..rest.len() - 1])
        }
        _ => origin.to_string(),
    }
}

/// The dotted path of an opaque value, joined under a parent key.
pub(super) fn opaque_under(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

#[cfg(test)]
mod unit_tests {
    use serde_json::{Value, json};

    use super::testkit::{TestContext, secret};
    use super::*;

    fn params_of(outcome: Outcome) -> Vec<Value> {
        match outcome {
            Outcome::Elements(e) => e.into_iter().map(|e| Value::Object(e.params)).collect(),
            Outcome::Unavailable(r) => panic!("unavailable: {r}"),
        }
    }

    #[test]
    fn go_float_formatting() {
        for (f, want) in [
            (1234567.0, "1.234567e+06"),
            (100000.0, "100000"),
            (1e6, "1e+06"),
            (123456.7, "123456.7"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (-2.5, "-2.5"),
            (1e21, "1e+21"),
            (1e100, "1e+100"),
            (0.0, "0"),
            (3.0, "3"),
        ] {
            assert_eq!(go_format_float(f), want, "{f}");
        }
        assert_eq!(go_format(&json!(null)), "<nil>");
        assert_eq!(
            go_format(&json!({"b": 1, "a": [true, "x"]})),
            "map[a:[true x] b:1]"
        );
    }

    // Docs: "Cluster Generator": `nameNormalized` is "'name' but normalized to contain only
    // lowercase alphanumeric characters, '-' or '.'"; Go Template's `normalize` also truncates
    // at 253 characters.
    #[test]
    fn name_normalisation() {
        assert_eq!(sanitize_name("My_Cluster"), "my-cluster");
        assert_eq!(sanitize_name("-.a b.-"), "a-b");
        assert_eq!(sanitize_name("directory_2"), "directory-2");
        assert_eq!(sanitize_name(&"a".repeat(300)).len(), 253);
        assert_eq!(sanitize_name("."), "");
    }

    #[test]
    fn go_paths() {
        assert_eq!(go_path_base("a/b/c"), "c");
        assert_eq!(go_path_base("c"), "c");
        assert_eq!(go_path_base(""), ".");
        assert_eq!(go_path_dir("a/b/config.json"), "a/b");
        assert_eq!(go_path_dir("config.json"), ".");
    }

    // Docs: "Generators": SCM Provider, Pull Request, Cluster Decision Resource and Plugin
    // generators depend on external services.
    #[test]
    fn network_generators_are_unavailable() {
        let ctx = TestContext::fast();
        for (key, what) in [
            ("scmProvider", "SCM provider's API"),
            ("pullRequest", "open pull requests"),
            ("clusterDecisionResource", "duck-typed resource"),
            ("plugin", "plugin's HTTP service"),
        ] {
            let outcome = generate(&json!({key: {}}), &ctx).expect("not an error");
            let Outcome::Unavailable(reason) = outcome else {
                panic!("{key} should be unavailable")
            };
            assert!(
                reason.starts_with(&format!("{key} generator needs")),
                "{reason}"
            );
            assert!(reason.contains(what), "{reason}");
            assert!(reason.ends_with("; not evaluated offline"), "{reason}");
        }
    }

    // Docs: "ApplicationSet Specification" (docs/operator-manual/applicationset.yaml) lists
    // `- plugin:` and `- clusterDecisionResource:` with their fields (`configMapRef`, `input`,
    // `name`, `labelSelector`) at the generator key's own indentation, i.e. beside it. Argo CD's
    // `PluginGenerator` and `DuckTypeGenerator` own those fields; an entry that names such a
    // generator is a network-only generator whatever its indentation: a note naming it and the
    // misplaced fields, not an unknown-generator error. A key no such generator has stays an
    // error.
    #[test]
    fn misplaced_fields_of_a_network_generator_are_a_note() {
        let ctx = TestContext::fast();
        let plugin = json!({
            "plugin": null,
            "configMapRef": {"name": "my-plugin"},
            "input": {"parameters": {"key1": "value1"}}
        });
        let Outcome::Unavailable(reason) = generate(&plugin, &ctx).expect("a note") else {
            panic!("plugin should be unavailable")
        };
        assert!(
            reason.starts_with("plugin generator needs a call to the plugin's HTTP service"),
            "{reason}"
        );
        assert!(
            reason.contains("`configMapRef`, `input` sit beside `plugin:`"),
            "{reason}"
        );
        let duck = json!({
            "clusterDecisionResource": null,
            "configMapRef": "my-configmap",
            "name": "quak",
            "labelSelector": {"matchLabels": {"duck": "spotted"}},
            "requeueAfterSeconds": 60
        });
        let Outcome::Unavailable(reason) = generate(&duck, &ctx).expect("a note") else {
            panic!("clusterDecisionResource should be unavailable")
        };
        assert!(
            reason.starts_with("clusterDecisionResource generator needs"),
            "{reason}"
        );
        // Inside a matrix the note says where.
        let nested = json!({"matrix": {"generators": [
            {"list": {"elements": [{"a": "b"}]}},
            {"plugin": null, "configMapRef": {"name": "p"}}
        ]}});
        let Outcome::Unavailable(reason) = generate(&nested, &ctx).expect("a note") else {
            panic!("nested plugin should be unavailable")
        };
        assert!(reason.ends_with("(at matrix.generators[1])"), "{reason}");
        // `elements` is no plugin field: still an unknown generator key.
        assert!(matches!(
            generate(&json!({"plugin": null, "elements": []}), &ctx),
            Err(GeneratorError::UnknownGenerator { ref key, .. }) if key == "elements"
        ));
        // A list generator's stray keys are not excused.
        assert!(matches!(
            generate(&json!({"list": null, "elements": []}), &ctx),
            Err(GeneratorError::UnknownGenerator { .. })
        ));
    }

    #[test]
    fn malformed_entries() {
        let ctx = TestContext::fast();
        assert!(matches!(
            generate(&json!({"lists": {}}), &ctx),
            Err(GeneratorError::UnknownGenerator { ref key, .. }) if key == "lists"
        ));
        assert!(matches!(
            generate(&json!({"selector": {}}), &ctx),
            Err(GeneratorError::Empty { .. })
        ));
        assert!(matches!(
            generate(&json!({"list": null}), &ctx),
            Err(GeneratorError::Empty { .. })
        ));
        assert!(matches!(
            generate(&json!("list"), &ctx),
            Err(GeneratorError::Malformed { .. })
        ));
    }

    // Argo CD's Transform evaluates every generator an entry holds; at the top level an entry
    // with two generators yields both (only matrix and merge children are limited to one).
    #[test]
    fn a_top_level_entry_with_two_generators_yields_both() {
        let ctx = TestContext::fast();
        let got = params_of(
            generate(
                &json!({"clusters": {}, "list": {"elements": [{"a": "b"}]}}),
                &ctx,
            )
            .expect("two generators"),
        );
        assert_eq!(got.len(), 2);
        assert_eq!(
            got[0],
            json!({"a": "b"}),
            "list comes first, as in Argo CD's struct"
        );
    }

    // Docs: "Post Selector all generators" → "Example: List generator + Post Selector".
    #[test]
    fn post_selector_doc_example() {
        let ctx = TestContext::fast();
        let spec = json!({
            "list": {"elements": [
                {"cluster": "engineering-dev", "url": "https://kubernetes.default.svc", "env": "staging"},
                {"cluster": "engineering-prod", "url": "https://kubernetes.default.svc", "env": "prod"}
            ]},
            "selector": {"matchLabels": {"env": "staging"}}
        });
        assert_eq!(
            params_of(generate(&spec, &ctx).expect("selects")),
            vec![
                json!({"cluster": "engineering-dev", "url": "https://kubernetes.default.svc", "env": "staging"})
            ]
        );
        // Values are not label-checked: a URL can be selected on.
        let by_url = json!({
            "list": {"elements": [{"url": "https://a"}, {"url": "https://b"}]},
            "selector": {"matchExpressions": [{"key": "url", "operator": "In", "values": ["https://b"]}]}
        });
        assert_eq!(
            params_of(generate(&by_url, &ctx).expect("selects")).len(),
            1
        );
    }

    // Argo CD flattens parameters for the post selector with a library that descends only into
    // JSON-decoded maps and lists; the cluster generator's goTemplate labels are a Go
    // map[string]string, printed whole. So in goTemplate mode `metadata.labels.<key>` is not a
    // selectable key, while in fasttemplate mode it is.
    #[test]
    fn post_selector_on_cluster_labels_depends_on_the_template_mode() {
        let clusters = vec![
            secret("a", "https://a", &[("env", "prod")]),
            secret("b", "https://b", &[("env", "dev")]),
        ];
        let spec = json!({
            "clusters": {"selector": {"matchLabels": {"argocd.argoproj.io/secret-type": "cluster"}}},
            "selector": {"matchLabels": {"metadata.labels.env": "prod"}}
        });
        let fast = TestContext::fast().with_clusters(clusters.clone());
        assert_eq!(params_of(generate(&spec, &fast).expect("fast")).len(), 1);
        let go = TestContext::go().with_clusters(clusters);
        assert_eq!(params_of(generate(&spec, &go).expect("go")).len(), 0);
        // `name` is a plain string parameter in both modes.
        let by_name = json!({"clusters": {}, "selector": {"matchLabels": {"name": "b"}}});
        let go = TestContext::go().with_clusters(vec![secret("b", "https://b", &[])]);
        assert_eq!(params_of(generate(&by_name, &go).expect("go")).len(), 1);
    }

    #[test]
    fn limits_turn_hostile_input_into_errors() {
        let ctx = TestContext::fast();
        let many: Vec<Value> = (0..=ctx.max_elements())
            .map(|i| json!({"i": i.to_string()}))
            .collect();
        assert!(matches!(
            generate(&json!({"list": {"elements": many}}), &ctx),
            Err(GeneratorError::TooManyElements { .. })
        ));
        // 150 × 150 = 22,500 combinations: over the per-generator limit.
        let some: Vec<Value> = (0..150).map(|i| json!({"a": i.to_string()})).collect();
        let other: Vec<Value> = (0..150).map(|i| json!({"b": i.to_string()})).collect();
        let product = json!({"matrix": {"generators": [
            {"list": {"elements": some}}, {"list": {"elements": other}}
        ]}});
        assert!(matches!(
            generate(&product, &ctx),
            Err(GeneratorError::TooManyElements { .. })
        ));
        // Deeply nested values are refused, not recursed into.
        let mut deep = json!("leaf");
        for _ in 0..(MAX_VALUE_DEPTH + 2) {
            deep = json!({"x": deep});
        }
        let go = TestContext::go();
        let err = generate(&json!({"list": {"elements": [deep]}}), &go).expect_err("too deep");
        assert!(err.to_string().contains("nested deeper"), "{err}");
    }

    // A matrix whose second child is re-evaluated for every first-child set counts all the work,
    // including sets a post selector then drops.
    #[test]
    fn discarded_work_still_counts() {
        let ctx = TestContext::fast();
        let first: Vec<Value> = (0..2_000).map(|i| json!({"a": i.to_string()})).collect();
        let second: Vec<Value> = (0..200).map(|i| json!({"b": i.to_string()})).collect();
        let spec = json!({"matrix": {"generators": [
            {"list": {"elements": first}},
            {"list": {"elements": second}, "selector": {"matchLabels": {"b": "none"}}}
        ]}});
        assert!(matches!(
            generate(&spec, &ctx),
            Err(GeneratorError::TooManyElements {
                limit: MAX_WORK,
                ..
            })
        ));
    }
}
