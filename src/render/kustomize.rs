//! Kustomize, run the way Argo CD's repo-server runs it (argo-cd `util/kustomize/kustomize.go`,
//! `Build`): the Application's `spec.source.kustomize` options are applied to the kustomization
//! file first — Argo CD runs `kustomize edit set nameprefix|namesuffix|image|replicas|namespace`,
//! `kustomize edit add label|annotation|component` and appends `patches` to the file — and then
//! `kustomize build <path>` runs. Here the same edits are made to the kustomization file of a
//! private copy (never to the user's tree), with the same results as those commands, so a
//! `kubectl kustomize`, which has no `edit`, serves too.
//!
//! Before anything runs, every kustomization the build can reach is read: a remote resource,
//! base or component (a URL, `git::`, `github.com/...`), a `helmCharts` chart that is not in the
//! tree (a `repo`) or a generator/transformer plugin (needs `--enable-alpha-plugins`/`--enable-exec`)
//! makes the source not renderable offline, and the tool is not started. The build runs with
//! `--load-restrictor LoadRestrictionsRootOnly` and none of those flags; `--enable-helm` only when
//! every `helmCharts` chart is a local one under `helmGlobals.chartHome`, which Kustomize inflates
//! with `helm template` and fetches nothing. The copy asks Kustomize
//! for `originAnnotations`; they give each object's source file and are then removed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::{Map, Value};

use super::tool::{
    self, CacheInputs, Entry, RenderError, Rendered, RenderedDoc, TempDir, Tools, Tree,
    display_dir, join_rel,
};
use crate::load::yaml::{self, Limits, Node};

/// The file names Kustomize (and Argo CD) look for, in this order.
pub const KUSTOMIZATION_NAMES: [&str; 3] =
    ["kustomization.yaml", "kustomization.yml", "Kustomization"];

const ORIGIN: &str = "config.kubernetes.io/origin";
const TRANSFORMATIONS: &str = "alpha.config.kubernetes.io/transformations";
const INTERNAL_PREFIX: &str = "internal.config.kubernetes.io/";

/// A Kustomize render.
#[derive(Debug, Clone, PartialEq)]
pub struct KustomizeRequest {
    /// The scanned root, absolute.
    pub root: PathBuf,
    /// The kustomization directory, relative to the root, `/`-separated.
    pub dir: String,
    /// The Application's `spec.source.kustomize`.
    pub options: Option<Value>,
    /// The Application's destination namespace. Argo CD does not pass it to Kustomize: objects
    /// without a namespace get it afterwards, from the controller; only `options.namespace`
    /// changes the build (`kustomize edit set namespace`).
    pub app_namespace: Option<String>,
}

/// Builds the kustomization at `req.dir` with the Application's options.
pub fn render(req: &KustomizeRequest, tools: &Tools) -> Result<Rendered, RenderError> {
    run(&plan(req)?, tools)
}

/// Runs a planned build.
pub(crate) fn run(plan: &Plan, tools: &Tools) -> Result<Rendered, RenderError> {
    let program = tools.kustomize_program()?;
    let tmp = TempDir::new()?;
    let tree_dir = tmp.path().join("tree");
    std::fs::create_dir(&tree_dir)
        .map_err(|e| RenderError::Failed(format!("cannot prepare the copy: {e}")))?;
    plan.tree.copy("", &tree_dir)?;
    let mut kustomization = plan.kustomization.clone();
    add_origin_annotations(&mut kustomization);
    let text = serde_json::to_string_pretty(&kustomization)
        .map_err(|e| RenderError::Failed(format!("cannot write the kustomization: {e}")))?;
    // JSON is YAML; Kustomize reads the edited file as it reads any kustomization.
    std::fs::write(tree_dir.join(&plan.kfile), text)
        .map_err(|e| RenderError::Failed(format!("cannot write the kustomization: {e}")))?;

    let build_dir = if plan.dir.is_empty() {
        tree_dir.clone()
    } else {
        tree_dir.join(&plan.dir)
    };
    let mut args: Vec<std::ffi::OsString> = vec![
        program.subcommand.into(),
        build_dir.into_os_string(),
        "--load-restrictor".into(),
        "LoadRestrictionsRootOnly".into(),
    ];
    // Local charts only (checked in the plan): Helm runs in the same sandbox, offline.
    if plan.helm {
        let helm = tools.helm.as_ref().ok_or_else(|| {
            RenderError::ToolMissing(
                "`helmCharts` needs `helm`, which was not found on PATH; install it or pass --helm"
                    .into(),
            )
        })?;
        args.push("--enable-helm".into());
        args.push("--helm-command".into());
        args.push(helm.clone().into_os_string());
    }
    let mut command = plan.edits.clone();
    command.push(format!(
        "{} {} --load-restrictor LoadRestrictionsRootOnly{}",
        program.display,
        display_dir(&plan.dir),
        if plan.helm { " --enable-helm" } else { "" }
    ));
    let command = command.join(" && ");
    let mut out = tool::run(&tool::Run {
        program: &program.path,
        args,
        cwd: &tree_dir,
        env: tool::sandbox_env(tmp.path()),
        timeout: tools.timeout,
        max_output: tools.max_output,
        max_memory: tools.max_memory,
    })?;
    // Kustomize names the Helm it ran by the path it was given (`unable to run: '/opt/…/helm
    // template …' (is '/opt/…/helm' installed?)`): a path of this machine, not of the repository.
    if let Some(helm) = tools.helm.as_ref().filter(|_| plan.helm) {
        out.stderr = tool::with_program_named(std::mem::take(&mut out.stderr), helm, "helm");
    }
    if !out.status.success() {
        return Err(tool::failure(&command, &out, &plan.tree));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let documents = output_documents(&plan.dir, &stdout);
    Ok(Rendered {
        documents,
        tool: tool::tool_version(&program.path),
        command,
        problems: Vec::new(),
    })
}

/// `kustomize build`'s standard output, for the kustomization in `dir`, as documents: each one
/// with content, without Kustomize's build annotations, with the file its origin annotation names.
pub(crate) fn output_documents(dir: &str, stdout: &str) -> Vec<RenderedDoc> {
    tool::split_documents(stdout)
        .iter()
        .filter(|d| tool::has_content(d))
        .map(|d| {
            let (text, origin) = strip_build_annotations(d);
            RenderedDoc {
                text: tool::tidy(&text),
                source: origin.and_then(|o| origin_source(dir, &o)),
                inner: None,
            }
        })
        .collect()
}

/// The plan and every file the build may read, for the cache key.
pub(crate) fn cache_inputs(plan: &Plan) -> CacheInputs {
    let request = serde_json::json!({
        "dir": plan.dir,
        "edits": plan.edits,
        "kustomization": plan.kustomization,
        "helm": plan.helm,
    })
    .to_string();
    CacheInputs {
        request,
        files: plan
            .tree
            .files
            .iter()
            .map(|(rel, real)| (rel.clone(), real.clone()))
            .collect(),
    }
}

/// What a build needs, decided before anything runs.
pub(crate) struct Plan {
    dir: String,
    /// The top kustomization file, root-relative.
    kfile: String,
    /// Its content with the Application's options applied.
    kustomization: Value,
    /// The `kustomize edit` commands Argo CD would have run, for provenance.
    edits: Vec<String>,
    /// Every kustomization directory the build reaches.
    tree: Tree,
    /// Whether a kustomization inflates a local chart (`helmCharts`): `--enable-helm`.
    helm: bool,
}

pub(crate) fn plan(req: &KustomizeRequest) -> Result<Plan, RenderError> {
    let root = tool::canonical_root(&req.root)?;
    let dir = tool::source_dir(&root, &req.dir, "built", |dir| {
        RenderError::Failed(format!("`{dir}` is not a directory"))
    })?;
    let name = kustomization_name(&root, &dir).ok_or_else(|| {
        RenderError::Failed(format!(
            "`{}` holds no kustomization.yaml, kustomization.yml or Kustomization",
            display_dir(&dir)
        ))
    })?;
    let kfile = join_rel(&dir, name).unwrap_or_else(|| name.to_string());
    let mut kustomization = read_kustomization(&root, &kfile)?;
    let mut edits = Vec::new();
    if let Some(options) = &req.options {
        apply_options(&mut kustomization, options, &root, &dir, &mut edits)?;
    }

    // Every kustomization the build reaches, checked before anything runs.
    let mut tree = Tree::default();
    let mut helm = false;
    let mut seen = BTreeSet::new();
    let mut queue = vec![dir.clone()];
    while let Some(d) = queue.pop() {
        if !seen.insert(d.clone()) {
            continue;
        }
        tree.add_dir(&root, &d)?;
        let (file, k) = if d == dir {
            (kfile.clone(), kustomization.clone())
        } else {
            let Some(name) = kustomization_name(&root, &d) else {
                continue; // Kustomize reports the missing kustomization itself.
            };
            let file = join_rel(&d, name).unwrap_or_else(|| name.to_string());
            match read_kustomization(&root, &file) {
                Ok(k) => (file, k),
                Err(_) => continue, // Kustomize reports the malformed file itself.
            }
        };
        helm |= k
            .get("helmCharts")
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty());
        queue.extend(references(&root, &d, &file, &k)?);
    }
    Ok(Plan {
        dir,
        kfile,
        kustomization,
        edits,
        tree,
        helm,
    })
}

fn kustomization_name(root: &Path, dir: &str) -> Option<&'static str> {
    KUSTOMIZATION_NAMES.into_iter().find(|name| {
        let rel = join_rel(dir, name).unwrap_or_default();
        tool::entry(root, &rel) == Entry::File
    })
}

fn read_kustomization(root: &Path, file: &str) -> Result<Value, RenderError> {
    let text = tool::read_regular(&root.join(file))
        .map_err(|e| RenderError::Failed(format!("cannot read `{file}`: {e}")))?;
    let parsed = yaml::parse(&text, Limits::default());
    if let Some(e) = parsed.error {
        return Err(RenderError::Failed(format!(
            "`{file}` is not valid YAML: {}",
            e.message
        )));
    }
    match parsed.documents.first().and_then(|d| d.root.as_deref()) {
        None => Ok(Value::Object(Map::new())),
        Some(node) => match node.to_json() {
            v @ Value::Object(_) => Ok(v),
            Value::Null => Ok(Value::Object(Map::new())),
            _ => Err(RenderError::Failed(format!("`{file}` is not a mapping"))),
        },
    }
}

fn strings(v: Option<&Value>) -> impl Iterator<Item = &str> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
}

/// A URL or a git remote, whatever the tree holds.
fn is_url(s: &str) -> bool {
    s.contains("://") || s.starts_with("git::") || s.starts_with("git@") || s.starts_with("gh:")
}

/// What Kustomize would fetch when no such local path exists: a host-like first segment
/// (`github.com/org/repo`), a `?ref=` or a `.git` repository.
fn looks_remote(s: &str) -> bool {
    let host_like = s
        .split_once('/')
        .is_some_and(|(first, _)| first.contains('.') && !first.starts_with('.'));
    host_like || s.contains("?ref=") || s.contains("?version=") || s.contains(".git")
}

fn remote(file: &str, field: &str, entry: &str) -> RenderError {
    RenderError::NotRenderable(format!(
        "`{file}` has the remote {field} entry `{entry}`; remote bases and resources are not fetched (Kustomize would go to the network)"
    ))
}

fn outside(file: &str, field: &str, entry: &str) -> RenderError {
    RenderError::NotRenderable(format!(
        "`{file}` {field} entry `{entry}` points outside the scanned root; it is not read"
    ))
}

/// The chart directories of a kustomization's `helmCharts` when every one is a chart of the tree
/// (no `repo`, found in `helmGlobals.chartHome`, default `charts`): Kustomize then runs `helm
/// template` on the local chart and fetches nothing. A chart from a repository is not rendered.
fn local_charts(root: &Path, dir: &str, file: &str, k: &Value) -> Result<Vec<String>, RenderError> {
    let charts: Vec<&Value> = k
        .get("helmCharts")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    if charts.is_empty() {
        return Ok(Vec::new());
    }
    let home = k
        .pointer("/helmGlobals/chartHome")
        .and_then(Value::as_str)
        .unwrap_or("charts");
    let Some(home_rel) = join_rel(dir, home) else {
        return Err(outside(file, "helmGlobals.chartHome", home));
    };
    let mut dirs = Vec::new();
    for chart in charts {
        let name = chart.get("name").and_then(Value::as_str).unwrap_or("");
        let repo = chart.get("repo").and_then(Value::as_str).unwrap_or("");
        let local = (!name.is_empty() && repo.is_empty())
            .then(|| join_rel(&home_rel, name))
            .flatten()
            .filter(|rel| {
                matches!(tool::entry(root, rel), Entry::Dir)
                    && matches!(tool::entry(root, &format!("{rel}/Chart.yaml")), Entry::File)
            });
        match local {
            Some(rel) => dirs.push(rel),
            None => {
                return Err(RenderError::NotRenderable(format!(
                    "`{file}` uses `helmCharts` with the chart `{name}`{}, which is not a chart of this repository under `{home_rel}`; `kustomize build --enable-helm` would fetch it over the network",
                    if repo.is_empty() {
                        String::new()
                    } else {
                        format!(" from `{repo}`")
                    }
                )));
            }
        }
    }
    Ok(dirs)
}

/// Checks one kustomization for what cannot be built offline and returns the directories it
/// reaches (resources, bases, components and generator/transformer directories).
fn references(root: &Path, dir: &str, file: &str, k: &Value) -> Result<Vec<String>, RenderError> {
    let mut dirs = local_charts(root, dir, file, k)?;
    // The older generator form names its chart source inline: not read, as it may fetch.
    let key = "helmChartInflationGenerator";
    let used = match k.get(key) {
        None | Some(Value::Null) => false,
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
        Some(_) => true,
    };
    if used {
        return Err(RenderError::NotRenderable(format!(
            "`{file}` uses `{key}`, which needs `kustomize build --enable-helm`; Helm-in-Kustomize is not enabled (it fetches charts over the network)"
        )));
    }
    for key in ["resources", "bases", "components"] {
        for entry in strings(k.get(key)) {
            if is_url(entry) {
                return Err(remote(file, key, entry));
            }
            let Some(rel) = join_rel(dir, entry) else {
                return Err(outside(file, key, entry));
            };
            match tool::entry(root, &rel) {
                Entry::Dir => dirs.push(rel),
                Entry::File => {}
                Entry::Outside => return Err(outside(file, key, entry)),
                Entry::Missing if looks_remote(entry) => return Err(remote(file, key, entry)),
                Entry::Missing => {} // Kustomize reports it.
            }
        }
    }
    for key in ["generators", "transformers", "validators"] {
        for item in k.get(key).and_then(Value::as_array).into_iter().flatten() {
            match item {
                Value::String(entry) => {
                    if is_url(entry) {
                        return Err(remote(file, key, entry));
                    }
                    let Some(rel) = join_rel(dir, entry) else {
                        return Err(outside(file, key, entry));
                    };
                    match tool::entry(root, &rel) {
                        Entry::Dir => dirs.push(rel),
                        Entry::File => check_plugin_file(root, &rel, file)?,
                        Entry::Outside => return Err(outside(file, key, entry)),
                        Entry::Missing if looks_remote(entry) => {
                            return Err(remote(file, key, entry));
                        }
                        Entry::Missing => {}
                    }
                }
                Value::Object(_) => check_plugin(item, file)?,
                _ => {}
            }
        }
    }
    let mut paths: Vec<(&str, &str)> = Vec::new();
    for key in ["crds", "configurations"] {
        paths.extend(strings(k.get(key)).map(|s| (key, s)));
    }
    paths.extend(
        strings(k.get("patchesStrategicMerge"))
            .filter(|s| !s.contains('\n'))
            .map(|s| ("patchesStrategicMerge", s)),
    );
    for key in ["patches", "patchesJson6902", "replacements"] {
        for item in k.get(key).and_then(Value::as_array).into_iter().flatten() {
            if let Some(p) = item.get("path").and_then(Value::as_str) {
                paths.push((key, p));
            }
        }
    }
    if let Some(p) = k.pointer("/openapi/path").and_then(Value::as_str) {
        paths.push(("openapi", p));
    }
    for key in ["configMapGenerator", "secretGenerator"] {
        for item in k.get(key).and_then(Value::as_array).into_iter().flatten() {
            for field in ["files", "envs"] {
                for f in strings(item.get(field)) {
                    paths.push((key, f.split_once('=').map_or(f, |(_, p)| p)));
                }
            }
            if let Some(env) = item.get("env").and_then(Value::as_str) {
                paths.push((key, env));
            }
        }
    }
    if let Some((key, entry)) = paths.into_iter().find(|(_, p)| is_url(p)) {
        return Err(remote(file, key, entry));
    }
    Ok(dirs)
}

fn check_plugin_file(root: &Path, rel: &str, file: &str) -> Result<(), RenderError> {
    let Ok(text) = tool::read_regular(&root.join(rel)) else {
        return Ok(()); // Kustomize reports it.
    };
    let parsed = yaml::parse(&text, Limits::default());
    for doc in &parsed.documents {
        if let Some(node) = &doc.root {
            check_plugin(&node.to_json(), file)?;
        }
    }
    Ok(())
}

/// Kustomize's built-in generators and transformers carry `apiVersion: builtin`; anything else is
/// an external plugin or a KRM function, which needs flags that stay off.
fn check_plugin(config: &Value, file: &str) -> Result<(), RenderError> {
    let api = config
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("");
    if api == "builtin" {
        return Ok(());
    }
    let kind = config.get("kind").and_then(Value::as_str).unwrap_or("?");
    Err(RenderError::NotRenderable(format!(
        "`{file}` uses the Kustomize plugin `{kind}` (apiVersion `{api}`); plugins and KRM functions need --enable-alpha-plugins/--enable-exec, which stay off"
    )))
}

/// Asks Kustomize to record each object's source file.
fn add_origin_annotations(k: &mut Value) {
    let Value::Object(map) = k else { return };
    let list = map
        .entry("buildMetadata")
        .or_insert_with(|| Value::Array(Vec::new()));
    if !list.is_array() {
        *list = Value::Array(Vec::new());
    }
    if let Value::Array(items) = list
        && !items.iter().any(|v| v == "originAnnotations")
    {
        items.push(Value::String("originAnnotations".into()));
    }
}

// ---------------------------------------------------------------------------------------------
// spec.source.kustomize, as the `kustomize edit` commands Argo CD runs would apply it

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

/// A scalar as the string Argo CD's typed fields hold.
fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn edit(words: &[&str]) -> String {
    let words: Vec<String> = ["kustomize", "edit"]
        .iter()
        .chain(words)
        .map(|w| w.to_string())
        .collect();
    tool::shell_words(&words)
}

fn edit_failed(command: &str, message: &str) -> RenderError {
    RenderError::Failed(format!(
        "`kustomize edit {command}` (from spec.source.kustomize) failed: {message}"
    ))
}

/// Applies the options in Argo CD's order: name prefix, name suffix, images, replicas, common
/// labels, common annotations, namespace, patches, components.
fn apply_options(
    k: &mut Value,
    options: &Value,
    root: &Path,
    dir: &str,
    edits: &mut Vec<String>,
) -> Result<(), RenderError> {
    let options = match options {
        Value::Null => return Ok(()),
        Value::Object(o) => o,
        _ => {
            return Err(RenderError::Failed(
                "spec.source.kustomize is not a mapping".into(),
            ));
        }
    };
    let Value::Object(map) = k else {
        return Ok(());
    };
    if let Some(prefix) = option_str(options, "namePrefix") {
        map.insert("namePrefix".into(), prefix.into());
        edits.push(edit(&["set", "nameprefix", "--", prefix]));
    }
    if let Some(suffix) = option_str(options, "nameSuffix") {
        map.insert("nameSuffix".into(), suffix.into());
        edits.push(edit(&["set", "namesuffix", "--", suffix]));
    }
    let images: Vec<String> = options
        .get("images")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(scalar_text)
        .collect();
    if !images.is_empty() {
        set_images(map, &images)?;
        let mut words = vec!["set", "image"];
        words.extend(images.iter().map(String::as_str));
        edits.push(edit(&words));
    }
    let replicas = options
        .get("replicas")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if !replicas.is_empty() {
        let args = set_replicas(map, &replicas)?;
        let mut words = vec!["set", "replicas"];
        words.extend(args.iter().map(String::as_str));
        edits.push(edit(&words));
    }
    if let Some(labels) = options.get("commonLabels").and_then(Value::as_object)
        && !labels.is_empty()
    {
        let force = option_bool(options, "forceCommonLabels");
        let without_selector = option_bool(options, "labelWithoutSelector");
        let include_templates = option_bool(options, "labelIncludeTemplates");
        let mut words = vec!["add", "label"];
        if force {
            words.push("--force");
        }
        if without_selector {
            words.push("--without-selector");
        }
        if include_templates {
            words.push("--include-templates");
        }
        let pairs = sorted_pairs(labels);
        let args: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}:{v}")).collect();
        words.extend(args.iter().map(String::as_str));
        let command = edit(&words);
        if without_selector {
            let mut label = Map::new();
            label.insert(
                "pairs".into(),
                Value::Object(
                    pairs
                        .iter()
                        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                        .collect(),
                ),
            );
            if include_templates {
                label.insert("includeTemplates".into(), true.into());
            }
            push_to_list(map, "labels", Value::Object(label))
                .map_err(|m| edit_failed("add label", &m))?;
        } else {
            add_to_map(map, "commonLabels", &pairs, force, "label")
                .map_err(|m| edit_failed("add label", &m))?;
        }
        edits.push(command);
    }
    if let Some(annotations) = options.get("commonAnnotations").and_then(Value::as_object)
        && !annotations.is_empty()
    {
        let force = option_bool(options, "forceCommonAnnotations");
        let pairs = sorted_pairs(annotations);
        add_to_map(map, "commonAnnotations", &pairs, force, "annotation")
            .map_err(|m| edit_failed("add annotation", &m))?;
        let args: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}:{v}")).collect();
        let mut words = vec!["add", "annotation"];
        if force {
            words.push("--force");
        }
        words.extend(args.iter().map(String::as_str));
        edits.push(edit(&words));
    }
    if let Some(namespace) = option_str(options, "namespace") {
        map.insert("namespace".into(), namespace.into());
        edits.push(edit(&["set", "namespace", "--", namespace]));
    }
    if let Some(patches) = options.get("patches").and_then(Value::as_array)
        && !patches.is_empty()
    {
        for p in patches {
            push_to_list(map, "patches", p.clone()).map_err(|m| {
                RenderError::Failed(format!(
                    "spec.source.kustomize.patches cannot be added: {m}"
                ))
            })?;
        }
        edits
            .push("# spec.source.kustomize.patches appended to the kustomization's patches".into());
    }
    let components: Vec<&str> = strings(options.get("components")).collect();
    if !components.is_empty() {
        let ignore_missing = option_bool(options, "ignoreMissingComponents");
        let mut added = Vec::new();
        for c in components {
            if is_url(c) {
                return Err(remote("spec.source.kustomize", "components", c));
            }
            let Some(rel) = join_rel(dir, c) else {
                return Err(outside("spec.source.kustomize", "components", c));
            };
            match tool::entry(root, &rel) {
                Entry::Outside => return Err(outside("spec.source.kustomize", "components", c)),
                Entry::Missing if ignore_missing => continue,
                Entry::Missing => {
                    return Err(edit_failed(
                        &format!("add component {c}"),
                        &format!("{c} has no match (set ignoreMissingComponents to skip it)"),
                    ));
                }
                Entry::Dir | Entry::File => {}
            }
            let list = map
                .entry("components")
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(items) = list
                && !items.iter().any(|v| v == c)
            {
                items.push(Value::String(c.to_string()));
            }
            added.push(c);
        }
        if !added.is_empty() {
            let mut words = vec!["add", "component"];
            words.extend(added);
            edits.push(edit(&words));
        }
    }
    Ok(())
}

fn sorted_pairs(m: &Map<String, Value>) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = m
        .iter()
        .map(|(k, v)| (k.clone(), scalar_text(v).unwrap_or_default()))
        .collect();
    pairs.sort();
    pairs
}

/// `kustomize edit add label|annotation`: an existing key is an error unless forced.
fn add_to_map(
    map: &mut Map<String, Value>,
    key: &str,
    pairs: &[(String, String)],
    force: bool,
    what: &str,
) -> Result<(), String> {
    let target = map.entry(key).or_insert_with(|| Value::Object(Map::new()));
    if target.is_null() {
        *target = Value::Object(Map::new());
    }
    let Value::Object(target) = target else {
        return Err(format!("`{key}` in the kustomization is not a mapping"));
    };
    for (k, v) in pairs {
        if target.contains_key(k) && !force {
            return Err(format!("{what} {k} already in kustomization file"));
        }
        target.insert(k.clone(), Value::String(v.clone()));
    }
    Ok(())
}

fn push_to_list(map: &mut Map<String, Value>, key: &str, item: Value) -> Result<(), String> {
    let list = map.entry(key).or_insert_with(|| Value::Array(Vec::new()));
    if list.is_null() {
        *list = Value::Array(Vec::new());
    }
    match list {
        Value::Array(items) => {
            items.push(item);
            Ok(())
        }
        _ => Err(format!("`{key}` in the kustomization is not a list")),
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Image {
    name: String,
    new_name: String,
    new_tag: String,
    digest: String,
}

const PRESERVE: &str = "*";

fn image_tag_pattern() -> &'static regex::Regex {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    RE.get_or_init(|| regex::Regex::new(r"^(.*):([a-zA-Z0-9._-]*|\*)$").expect("a valid regex"))
}

/// `kustomize edit set image` argument syntax: `name=newName:tag`, `name=newName@digest`,
/// `name=newName`, `name:tag`, `name@digest` (kustomize `commands/edit/set/setimage.go`).
fn parse_image(arg: &str) -> Result<Image, String> {
    fn overwrite(arg: &str, rename: bool) -> Option<(String, String, String)> {
        if let Some((name, digest)) = arg.split_once('@') {
            return Some((name.to_string(), String::new(), digest.to_string()));
        }
        if let Some(c) = image_tag_pattern().captures(arg) {
            return Some((c[1].to_string(), c[2].to_string(), String::new()));
        }
        (rename && !arg.is_empty()).then(|| (arg.to_string(), String::new(), String::new()))
    }
    let invalid = || {
        format!(
            "invalid format of image `{arg}`, use one of <image>=<newimage>:<newtag>, <image>=<newimage>@<digest>, <image>=<newimage>, <image>:<newtag>, <image>@<digest>"
        )
    };
    let parts: Vec<&str> = arg.split('=').collect();
    if parts.len() == 2 {
        let (new_name, new_tag, digest) = overwrite(parts[1], true).ok_or_else(invalid)?;
        return Ok(Image {
            name: parts[0].to_string(),
            new_name,
            new_tag,
            digest,
        });
    }
    let (name, new_tag, digest) = overwrite(arg, false).ok_or_else(invalid)?;
    Ok(Image {
        name,
        new_name: String::new(),
        new_tag,
        digest,
    })
}

fn image_from(v: &Value) -> Image {
    let field = |k: &str| v.get(k).and_then(scalar_text).unwrap_or_default();
    Image {
        name: field("name"),
        new_name: field("newName"),
        new_tag: field("newTag"),
        digest: field("digest"),
    }
}

fn image_value(i: &Image) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), i.name.clone().into());
    for (key, v) in [
        ("newName", &i.new_name),
        ("newTag", &i.new_tag),
        ("digest", &i.digest),
    ] {
        if !v.is_empty() {
            m.insert(key.into(), v.clone().into());
        }
    }
    Value::Object(m)
}

/// `kustomize edit set image`: an argument replaces the entry of the same name (`*` keeps the
/// existing part), other entries stay, and the list ends sorted by name.
fn set_images(map: &mut Map<String, Value>, args: &[String]) -> Result<(), RenderError> {
    let mut wanted: std::collections::BTreeMap<String, (Image, Option<Value>)> = Default::default();
    for arg in args {
        let image = parse_image(arg).map_err(|m| edit_failed("set image", &m))?;
        wanted.insert(image.name.clone(), (image, None));
    }
    let existing = map
        .get("images")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for v in existing {
        let old = image_from(&v);
        match wanted.get_mut(&old.name) {
            Some((new, _)) => {
                if new.new_name == PRESERVE {
                    new.new_name = old.new_name.clone();
                }
                if new.new_tag == PRESERVE {
                    new.new_tag = old.new_tag.clone();
                }
                if new.digest == PRESERVE {
                    new.digest = old.digest.clone();
                }
            }
            None => {
                wanted.insert(old.name.clone(), (old, Some(v)));
            }
        }
    }
    let images = wanted
        .into_values()
        .map(|(mut image, original)| match original {
            Some(v) => v,
            None => {
                for part in [&mut image.new_name, &mut image.new_tag, &mut image.digest] {
                    if part == PRESERVE {
                        part.clear();
                    }
                }
                image_value(&image)
            }
        })
        .collect();
    map.insert("images".into(), Value::Array(images));
    Ok(())
}

/// `kustomize edit set replicas name=N ...`: the same merge as images, sorted by name. The
/// count is an integer or a string holding one, as Argo CD's `GetIntCount` reads it.
fn set_replicas(
    map: &mut Map<String, Value>,
    replicas: &[Value],
) -> Result<Vec<String>, RenderError> {
    let mut wanted: std::collections::BTreeMap<String, Value> = Default::default();
    let mut args = Vec::new();
    for r in replicas {
        let name = r.get("name").and_then(Value::as_str).unwrap_or("");
        let count = match r.get("count") {
            Some(Value::Number(n)) => n.as_i64(),
            Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
            _ => None,
        };
        let Some(count) = count else {
            return Err(RenderError::Failed(format!(
                "spec.source.kustomize.replicas: expected integer value for count of `{name}`, got {}",
                r.get("count")
                    .map_or_else(|| "nothing".to_string(), Value::to_string)
            )));
        };
        if name.is_empty() {
            return Err(edit_failed(
                "set replicas",
                "a replica override has no name",
            ));
        }
        args.push(format!("{name}={count}"));
        wanted.insert(
            name.to_string(),
            serde_json::json!({"name": name, "count": count}),
        );
    }
    for v in map
        .get("replicas")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
    {
        let name = v
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        wanted.entry(name).or_insert(v);
    }
    map.insert(
        "replicas".into(),
        Value::Array(wanted.into_values().collect()),
    );
    Ok(args)
}

// ---------------------------------------------------------------------------------------------
// Output

fn is_build_annotation(key: &str) -> bool {
    key == ORIGIN || key == TRANSFORMATIONS || key.starts_with(INTERNAL_PREFIX)
}

fn line_start(text: &str, pos: usize) -> usize {
    text[..pos].rfind('\n').map_or(0, |i| i + 1)
}

/// The end of the line holding the last non-blank byte before `end`, past its newline.
fn line_end_after(text: &str, end: usize) -> usize {
    let content_end = text[..end].trim_end().len();
    text[content_end..]
        .find('\n')
        .map_or(text.len(), |i| content_end + i + 1)
}

/// Removes Kustomize's build annotations from one output document and returns the document and
/// the origin annotation's value. Kustomize writes block YAML, so whole lines go; anything else
/// is rewritten as JSON without those keys.
fn strip_build_annotations(doc: &str) -> (String, Option<String>) {
    let parsed = yaml::parse(doc, Limits::default());
    let Some(root) = parsed.documents.first().and_then(|d| d.root.as_deref()) else {
        return (doc.to_string(), None);
    };
    let Some(annotations_entry) = root.get("metadata").and_then(|m| m.entry("annotations")) else {
        return (doc.to_string(), None);
    };
    let annotations = &annotations_entry.value;
    let entries = annotations.entries();
    let origin = entries
        .iter()
        .find(|e| e.key.as_str() == Some(ORIGIN))
        .and_then(|e| e.value.as_str())
        .map(str::to_string);
    let removed: Vec<_> = entries
        .iter()
        .filter(|e| e.key.as_str().is_some_and(is_build_annotation))
        .collect();
    if removed.is_empty() {
        return (doc.to_string(), origin);
    }
    let block = entries.iter().all(|e| {
        line_start(doc, e.key.span.start) != line_start(doc, annotations_entry.key.span.start)
    });
    if !block || parsed.documents.len() > 1 {
        return (as_json_without_build_annotations(root), origin);
    }
    let mut cuts: Vec<(usize, usize)> = if removed.len() == entries.len() {
        vec![(
            line_start(doc, annotations_entry.key.span.start),
            line_end_after(doc, annotations.span.end),
        )]
    } else {
        removed
            .iter()
            .map(|e| {
                (
                    line_start(doc, e.key.span.start),
                    line_end_after(doc, e.value.span.end.max(e.key.span.end)),
                )
            })
            .collect()
    };
    cuts.sort();
    let mut out = String::with_capacity(doc.len());
    let mut at = 0;
    for (start, end) in cuts {
        if start >= at {
            out.push_str(&doc[at..start]);
            at = end;
        }
    }
    out.push_str(&doc[at.min(doc.len())..]);
    (out, origin)
}

fn as_json_without_build_annotations(root: &Node) -> String {
    let mut v = root.to_json();
    if let Some(Value::Object(a)) = v.pointer_mut("/metadata/annotations") {
        a.retain(|k, _| !is_build_annotation(k));
        if a.is_empty()
            && let Some(Value::Object(m)) = v.pointer_mut("/metadata")
        {
            m.remove("annotations");
        }
    }
    serde_json::to_string_pretty(&v).unwrap_or_default()
}

/// The root-relative file an origin annotation names: `path` for a resource file,
/// `configuredIn` for a generated object; none for a remote origin.
fn origin_source(dir: &str, origin: &str) -> Option<String> {
    let parsed = yaml::parse(origin, Limits::default());
    let root = parsed.documents.first()?.root.as_deref()?;
    if root.get("repo").is_some() {
        return None;
    }
    let path = root
        .get("path")
        .or_else(|| root.get("configuredIn"))
        .and_then(Node::as_str)?;
    join_rel(dir, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_entries_are_recognised() {
        for s in [
            "https://github.com/org/repo//deploy?ref=v1",
            "git::https://example.com/repo.git",
            "git@github.com:org/repo.git",
            "ssh://git@example.com/repo",
        ] {
            assert!(is_url(s), "{s}");
        }
        for s in [
            "github.com/org/repo//deploy?ref=v1",
            "gitlab.com/org/repo",
            "example.com/repo.git",
            "../base?ref=main",
        ] {
            assert!(looks_remote(s), "{s}");
        }
        for s in ["../base", "deployment.yaml", "./svc.yml", ".hidden/dir"] {
            assert!(!is_url(s) && !looks_remote(s), "{s}");
        }
    }

    #[test]
    fn images_merge_as_kustomize_edit_set_image_does() {
        let mut k = serde_json::json!({"images": [
            {"name": "nginx", "newTag": "1.0"},
            {"name": "redis", "newName": "my/redis", "newTag": "6"},
        ]});
        let Value::Object(map) = &mut k else {
            unreachable!()
        };
        set_images(
            map,
            &[
                "redis=*:7".to_string(),
                "alpine@sha256:abc".to_string(),
                "busybox=my/busybox".to_string(),
            ],
        )
        .expect("valid images");
        assert_eq!(
            k["images"],
            serde_json::json!([
                {"name": "alpine", "digest": "sha256:abc"},
                {"name": "busybox", "newName": "my/busybox"},
                {"name": "nginx", "newTag": "1.0"},
                {"name": "redis", "newName": "my/redis", "newTag": "7"},
            ])
        );
        assert!(parse_image("justaname").is_err());
        assert_eq!(
            parse_image("postgres=eu.gcr.io/p/postgres:latest"),
            Ok(Image {
                name: "postgres".into(),
                new_name: "eu.gcr.io/p/postgres".into(),
                new_tag: "latest".into(),
                digest: String::new()
            })
        );
    }

    #[test]
    fn labels_already_present_need_force() {
        let mut map = Map::new();
        map.insert("commonLabels".into(), serde_json::json!({"team": "a"}));
        let pairs = vec![("team".to_string(), "b".to_string())];
        assert_eq!(
            add_to_map(&mut map, "commonLabels", &pairs, false, "label"),
            Err("label team already in kustomization file".to_string())
        );
        add_to_map(&mut map, "commonLabels", &pairs, true, "label").expect("forced");
        assert_eq!(map["commonLabels"]["team"], "b");
    }

    #[test]
    fn build_annotations_are_removed_and_the_origin_kept() {
        let doc = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  annotations:\n    alpha.config.kubernetes.io/transformations: |\n      - configuredIn: kustomization.yaml\n        configuredBy:\n          apiVersion: builtin\n          kind: PrefixTransformer\n    config.kubernetes.io/origin: |\n      path: ../base/cm.yaml\n    keep: \"1\"\n  name: p-x\n";
        let (text, origin) = strip_build_annotations(doc);
        assert_eq!(
            text,
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  annotations:\n    keep: \"1\"\n  name: p-x\n"
        );
        assert_eq!(
            origin_source("apps/overlay", &origin.expect("an origin")).as_deref(),
            Some("apps/base/cm.yaml")
        );

        let only = "kind: Service\nmetadata:\n  annotations:\n    config.kubernetes.io/origin: |\n      configuredIn: kustomization.yaml\n      configuredBy:\n        kind: ConfigMapGenerator\n  name: s\nspec: {}\n";
        let (text, origin) = strip_build_annotations(only);
        assert_eq!(text, "kind: Service\nmetadata:\n  name: s\nspec: {}\n");
        assert_eq!(
            origin_source("", &origin.expect("an origin")).as_deref(),
            Some("kustomization.yaml")
        );

        let remote = "repo: https://github.com/x/y\nref: main\npath: deploy.yaml\n";
        assert_eq!(origin_source("a", remote), None);
    }
}
