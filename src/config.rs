//! `.manifest-guard.yaml`: per-rule severity and enablement, path excludes, limits.
//!
//! Unknown keys, unknown rule ids and invalid values are errors that point at the offending span
//! of the config file (exit status 2): a typo must never silently turn a rule off.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use globset::{Glob, GlobSet, GlobSetBuilder};
use miette::{NamedSource, SourceSpan};

use crate::diagnostic::Severity;
use crate::limits::{Key, Limits};
use crate::load::yaml::{self, Node};
use crate::model::argocd::{Cluster, ClusterSource};
use crate::model::options::{RuleOptions, TrackingMethod};
use crate::rules;

/// The repository's config file (the walk skips it as a manifest, so it lives with `load`).
pub const FILE_NAME: &str = crate::load::CONFIG_FILE;

/// A rule's configured state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleSetting {
    pub enabled: bool,
    pub severity: Option<Severity>,
}

#[derive(Debug, Clone, Default)]
pub struct Config {
    pub rules: BTreeMap<String, RuleSetting>,
    pub exclude: Vec<String>,
    /// The run's bounds (`limits:`, `max-file-size`, `render.timeout`): the defaults, changed
    /// freely by an operator's config and only lowered by the repository's.
    pub limits: Limits,
    /// Repository URL → directory (relative to the scanned root) holding its checkout.
    pub repositories: Vec<(String, String)>,
    pub clusters: Vec<Cluster>,
    pub argocd_namespace: Option<String>,
    pub render: RenderConfig,
    /// `options:`: thresholds and Argo CD settings rules read (carried on the inventory).
    pub options: RuleOptions,
    /// Directory globs whose plain manifests (those no Application, chart or kustomization
    /// covers) are applied with everything below them, e.g. one directory per cluster: each
    /// matching directory and its subdirectories are one unit (any other directory is a unit
    /// without its subdirectories). `None`: `DEFAULT_UNITS`.
    pub units: Option<Vec<String>>,
}

/// The top-level keys of `.manifest-guard.yaml`. The parser's messages and the JSON Schema
/// (`config_schema`) read these lists, and a test checks the schema and the parser agree on them.
pub const KEYS: &[&str] = &[
    "rules",
    "exclude",
    "units",
    "max-file-size",
    "limits",
    "repositories",
    "clusters",
    "render",
    "argocd-namespace",
    "options",
];
/// The keys of a rule's mapping form (`rules: {id: {severity: …, enabled: …}}`).
pub const RULE_SETTING_KEYS: &[&str] = &["severity", "enabled"];
/// The keys of one `repositories:` entry.
pub const REPOSITORY_KEYS: &[&str] = &["url", "path"];
/// The keys of one `clusters:` entry.
pub const CLUSTER_KEYS: &[&str] = &["name", "server", "labels", "protected"];
/// The keys of `render:`.
pub const RENDER_KEYS: &[&str] = &["timeout", "enabled", "helm", "kustomize"];

/// The layout Flux documents, `clusters/<cluster>/`: each cluster's manifests are applied to
/// that cluster alone.
pub const DEFAULT_UNITS: &[&str] = &["clusters/*"];

/// `render:` — the tools and limits for Helm and Kustomize.
#[derive(Debug, Clone, Default)]
pub struct RenderConfig {
    pub helm: Option<String>,
    pub kustomize: Option<String>,
    /// `false` renders nothing (each Helm or Kustomize source is a note).
    pub enabled: Option<bool>,
}

/// An invalid configuration, shown with the config file's source.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{message}")]
#[diagnostic(code(config))]
pub struct ConfigError {
    pub message: String,
    #[source_code]
    pub source_code: NamedSource<Arc<str>>,
    #[label("here")]
    pub span: SourceSpan,
    #[help]
    pub help: Option<String>,
}

struct Reader<'a> {
    name: &'a str,
    text: &'a Arc<str>,
    origin: Origin,
}

/// Who wrote a config file, which decides what it may set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The scanned repository's own file (`.manifest-guard.yaml`, or any file inside the scanned
    /// root): written by whoever opens the pull request.
    Repository,
    /// A file outside the scanned root, given with `--config`: the operator's. Only it may name
    /// the Helm and Kustomize programs to run.
    Operator,
}

impl Reader<'_> {
    fn error(&self, node: &Node, message: impl Into<String>, help: Option<String>) -> ConfigError {
        ConfigError {
            message: message.into(),
            source_code: NamedSource::new(self.name, self.text.clone()),
            span: (node.span.start, node.span.len()).into(),
            help,
        }
    }

    fn string_list(&self, node: &Node, what: &str) -> Result<Vec<String>, ConfigError> {
        if node.is_null() {
            return Ok(Vec::new());
        }
        if !node.is_seq() {
            return Err(self.error(node, format!("`{what}` must be a list of strings"), None));
        }
        node.items()
            .iter()
            .map(|n| {
                n.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| self.error(n, format!("`{what}` entries must be strings"), None))
            })
            .collect()
    }

    fn mapping_list<'n>(&self, node: &'n Node, what: &str) -> Result<&'n [Node], ConfigError> {
        if node.is_null() {
            return Ok(&[]);
        }
        if !node.is_seq() || node.items().iter().any(|i| !i.is_map()) {
            return Err(self.error(node, format!("`{what}` must be a list of mappings"), None));
        }
        Ok(node.items())
    }

    fn required(&self, item: &Node, key: &str, what: &str) -> Result<String, ConfigError> {
        item.get(key)
            .and_then(Node::as_str)
            .map(str::to_string)
            .ok_or_else(|| self.error(item, format!("each `{what}` entry needs `{key}`"), None))
    }

    fn only_keys(&self, item: &Node, keys: &[&str]) -> Result<(), ConfigError> {
        for e in item.entries() {
            let k = e.key.as_scalar_text().unwrap_or("");
            if !keys.contains(&k) {
                return Err(self.error(
                    &e.key,
                    format!("unknown key `{k}`"),
                    Some(format!("expected one of: {}", keys.join(", "))),
                ));
            }
        }
        Ok(())
    }

    fn repositories(&self, node: &Node) -> Result<Vec<(String, String)>, ConfigError> {
        self.mapping_list(node, "repositories")?
            .iter()
            .map(|item| {
                self.only_keys(item, REPOSITORY_KEYS)?;
                let url = self.required(item, "url", "repositories")?;
                let path = item
                    .get("path")
                    .and_then(Node::as_str)
                    .unwrap_or(".")
                    .to_string();
                if crate::load::clean_relative(&path).is_none() {
                    return Err(self.error(
                        item.get("path").unwrap_or(item),
                        "a repository path must stay inside the scanned root",
                        None,
                    ));
                }
                Ok((url, path))
            })
            .collect()
    }

    fn clusters(&self, node: &Node) -> Result<Vec<Cluster>, ConfigError> {
        self.mapping_list(node, "clusters")?
            .iter()
            .map(|item| {
                self.only_keys(item, CLUSTER_KEYS)?;
                let name = self.required(item, "name", "clusters")?;
                let server = item
                    .get("server")
                    .and_then(Node::as_str)
                    .unwrap_or("")
                    .to_string();
                let protected = match item.get("protected") {
                    None => false,
                    Some(p) => p
                        .as_bool()
                        .ok_or_else(|| self.error(p, "`protected` must be true or false", None))?,
                };
                let labels = item
                    .get("labels")
                    .map(|l| {
                        l.entries()
                            .iter()
                            .filter_map(|e| {
                                Some((
                                    e.key.as_scalar_text()?.to_string(),
                                    e.value.as_scalar_text()?.to_string(),
                                ))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                Ok(Cluster {
                    name,
                    server,
                    labels,
                    annotations: BTreeMap::new(),
                    protected,
                    source: ClusterSource::Config,
                })
            })
            .collect()
    }

    fn render(&self, node: &Node, limits: &mut Limits) -> Result<RenderConfig, ConfigError> {
        if node.is_null() {
            return Ok(RenderConfig::default());
        }
        if !node.is_map() {
            return Err(self.error(node, "`render` must be a mapping", None));
        }
        // The repository under review must not choose which programs run: tool paths come from
        // the command line or from the operator's config, outside the repository.
        if self.origin == Origin::Repository {
            for key in ["helm", "kustomize"] {
                if let Some(e) = node.entry(key) {
                    return Err(self.error(
                        &e.key,
                        format!("`render.{key}` is not allowed in a config file inside the scanned repository"),
                        Some(format!(
                            "pass --{key} on the command line, or set it in a config file outside the repository \
                             (`--config /etc/manifest-guard.yaml`); a pull request must not choose the program manifest-guard runs"
                        )),
                    ));
                }
            }
        }
        self.only_keys(node, RENDER_KEYS)?;
        let string = |k: &str| -> Result<Option<String>, ConfigError> {
            match node.get(k) {
                None => Ok(None),
                Some(v) => v
                    .as_str()
                    .map(|s| Some(s.to_string()))
                    .ok_or_else(|| self.error(v, format!("`render.{k}` must be a path"), None)),
            }
        };
        if let Some(v) = node.get("timeout") {
            self.limit(v, Key::RenderTimeout, "render.timeout", limits)?;
        }
        let enabled = match node.get("enabled") {
            None => None,
            Some(v) => Some(
                v.as_bool()
                    .ok_or_else(|| self.error(v, "`render.enabled` must be true or false", None))?,
            ),
        };
        Ok(RenderConfig {
            helm: string("helm")?,
            kustomize: string("kustomize")?,
            enabled,
        })
    }

    /// `limits:`: each key a bound of `crate::limits`.
    fn limits(&self, node: &Node, limits: &mut Limits) -> Result<(), ConfigError> {
        if node.is_null() {
            return Ok(());
        }
        if !node.is_map() {
            return Err(self.error(node, "`limits` must map limit names to numbers", None));
        }
        for e in node.entries() {
            let name = e.key.as_scalar_text().unwrap_or("");
            let Some(key) = Key::named(name) else {
                let known: Vec<&str> = crate::limits::LIMITS.iter().map(|l| l.key).collect();
                return Err(self.error(
                    &e.key,
                    format!("unknown limit `{name}`"),
                    Some(format!("known limits: {}", known.join(", "))),
                ));
            };
            self.limit(&e.value, key, &format!("limits.{name}"), limits)?;
        }
        Ok(())
    }

    /// One bound: a positive whole number; from the repository's own config, no higher than the
    /// default (the operator's bound), since the pull request under review wrote it.
    fn limit(
        &self,
        value: &Node,
        key: Key,
        what: &str,
        limits: &mut Limits,
    ) -> Result<(), ConfigError> {
        let limit = key.limit();
        let n = value.to_json().as_u64().filter(|&n| n > 0).ok_or_else(|| {
            let unit = match limit.unit {
                crate::limits::Unit::Bytes => "bytes",
                crate::limits::Unit::Seconds => "seconds",
                crate::limits::Unit::Count => "",
            };
            let message = if unit.is_empty() {
                format!("`{what}` must be a positive whole number")
            } else {
                format!("`{what}` must be a positive whole number of {unit}")
            };
            self.error(value, message, None)
        })?;
        if self.origin == Origin::Repository && n > limits.get(key) {
            return Err(self.error(
                value,
                format!(
                    "`{what}` may only lower the bound ({}) in a config file inside the scanned repository",
                    limit.unit.describe(limits.get(key))
                ),
                Some(
                    "raise it in a config file outside the repository (`--config /etc/manifest-guard.yaml`); \
                     a pull request must not buy itself more time or memory than the operator allows"
                        .into(),
                ),
            ));
        }
        limits.set(key, n);
        Ok(())
    }

    /// `options:`: the thresholds the stateful and availability rules read.
    fn options(&self, node: &Node) -> Result<RuleOptions, ConfigError> {
        let mut options = RuleOptions::default();
        if node.is_null() {
            return Ok(options);
        }
        if !node.is_map() {
            return Err(self.error(node, "`options` must map option names to values", None));
        }
        let whole = |value: &Node, name: &str| {
            value
                .as_str()
                .and_then(|s| s.parse::<u64>().ok())
                .ok_or_else(|| {
                    self.error(
                        value,
                        format!("`options.{name}` must be a whole number"),
                        None,
                    )
                })
        };
        for e in node.entries() {
            let name = e.key.as_scalar_text().unwrap_or("");
            match name {
                "quorum-replicas" => {
                    options.quorum_replicas = whole(&e.value, name)?;
                    if options.quorum_replicas < 2 {
                        return Err(self.error(
                            &e.value,
                            "`options.quorum-replicas` must be 2 or more: one replica has no quorum to lose",
                            None,
                        ));
                    }
                }
                "slow-start-seconds" => options.slow_start_seconds = whole(&e.value, name)?,
                "tracking-method" => {
                    options.tracking_method = e
                        .value
                        .as_str()
                        .and_then(TrackingMethod::parse)
                        .ok_or_else(|| {
                            self.error(
                                &e.value,
                                "`options.tracking-method` is Argo CD's `application.resourceTrackingMethod`",
                                Some("use `annotation` (Argo CD 3's default), `label` or `annotation+label`".into()),
                            )
                        })?;
                }
                _ => {
                    return Err(self.error(
                        &e.key,
                        format!("unknown option `{name}`"),
                        Some(format!(
                            "known options: {}",
                            crate::model::options::OPTION_KEYS.join(", ")
                        )),
                    ));
                }
            }
        }
        Ok(options)
    }

    fn rule_setting(&self, value: &Node) -> Result<RuleSetting, ConfigError> {
        if let Some(s) = value.as_str() {
            if s == "off" {
                return Ok(RuleSetting {
                    enabled: false,
                    severity: None,
                });
            }
            let severity = s.parse::<Severity>().map_err(|e| {
                self.error(
                    value,
                    e,
                    Some("use `error`, `warning`, `note` or `off`".into()),
                )
            })?;
            return Ok(RuleSetting {
                enabled: true,
                severity: Some(severity),
            });
        }
        if !value.is_map() {
            return Err(self.error(
                value,
                "a rule setting is a severity (`error`, `warning`, `note`, `off`) or a mapping with `severity` and `enabled`",
                None,
            ));
        }
        let mut setting = RuleSetting {
            enabled: true,
            severity: None,
        };
        for e in value.entries() {
            match e.key.as_scalar_text().unwrap_or("") {
                "enabled" => {
                    setting.enabled = e.value.as_bool().ok_or_else(|| {
                        self.error(&e.value, "`enabled` must be true or false", None)
                    })?;
                }
                "severity" => {
                    let s = e.value.as_str().unwrap_or("");
                    setting.severity = Some(
                        s.parse::<Severity>()
                            .map_err(|m| self.error(&e.value, m, None))?,
                    );
                }
                other => {
                    return Err(self.error(
                        &e.key,
                        format!("unknown rule setting `{other}`"),
                        Some("a rule takes `severity` and `enabled`".into()),
                    ));
                }
            }
        }
        Ok(setting)
    }
}

/// The most a config file may hold. A real one is a few kilobytes; git can store a symlink
/// `.manifest-guard.yaml -> /dev/zero`, which would otherwise be read until memory runs out.
const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// A config file's text: only a regular file (a FIFO, socket or device — reachable through a
/// symlink git stores — would block or never end), and at most [`MAX_CONFIG_BYTES`].
pub(crate) fn read_config_text(path: &Path) -> std::io::Result<String> {
    crate::load::read_regular_text(path, MAX_CONFIG_BYTES)
}

impl Config {
    /// Reads and validates a config file. `None` when the file does not exist.
    pub fn read(path: &Path, display: &str, origin: Origin) -> Result<Option<Config>, ConfigError> {
        let text = match read_config_text(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(ConfigError {
                    message: format!("cannot read config file `{display}`: {e}"),
                    source_code: NamedSource::new(display, Arc::from("")),
                    span: (0, 0).into(),
                    help: None,
                });
            }
        };
        Config::parse_from(display, Arc::from(text), origin).map(Some)
    }

    /// Parses a repository's config file.
    pub fn parse(name: &str, text: Arc<str>) -> Result<Config, ConfigError> {
        Config::parse_from(name, text, Origin::Repository)
    }

    pub fn parse_from(name: &str, text: Arc<str>, origin: Origin) -> Result<Config, ConfigError> {
        let reader = Reader {
            name,
            text: &text,
            origin,
        };
        let parsed = yaml::parse(&text, yaml::Limits::default());
        if let Some(e) = &parsed.error {
            return Err(ConfigError {
                message: format!("config file is not valid YAML: {}", e.message),
                source_code: NamedSource::new(name, text.clone()),
                span: (e.span.start, e.span.len()).into(),
                help: None,
            });
        }
        let mut config = Config::default();
        let Some(root) = parsed.documents.first().and_then(|d| d.root.as_deref()) else {
            return Ok(config);
        };
        if let Some((first, again)) = first_duplicate_key(root) {
            let key = again.as_scalar_text().unwrap_or("");
            let line = crate::load::source::LineIndex::new(&text)
                .line_col(&text, first.span.start)
                .line;
            return Err(reader.error(
                again,
                format!("key `{key}` is defined twice in this mapping (first on line {line})"),
                Some("keep one of them: YAML keeps only the last, so the earlier setting would be dropped without a word".into()),
            ));
        }
        if root.is_null() {
            return Ok(config);
        }
        if !root.is_map() {
            return Err(reader.error(root, "the config file must be a mapping", None));
        }
        for e in root.entries() {
            let key = e.key.as_scalar_text().unwrap_or("");
            match key {
                "rules" => {
                    if e.value.is_null() {
                        continue;
                    }
                    if !e.value.is_map() {
                        return Err(reader.error(
                            &e.value,
                            "`rules` must map rule ids to settings",
                            None,
                        ));
                    }
                    for r in e.value.entries() {
                        let id = r.key.as_scalar_text().unwrap_or("");
                        if rules::find(id).is_none() {
                            return Err(reader.error(
                                &r.key,
                                format!("unknown rule `{id}`"),
                                Some(suggest(id)),
                            ));
                        }
                        config
                            .rules
                            .insert(id.to_string(), reader.rule_setting(&r.value)?);
                    }
                }
                "units" => {
                    let globs = reader.string_list(&e.value, "units")?;
                    for (g, n) in globs.iter().zip(e.value.items()) {
                        if let Err(err) = Glob::new(g) {
                            return Err(reader.error(n, format!("invalid glob: {err}"), None));
                        }
                    }
                    config.units = Some(globs);
                }
                "exclude" => {
                    let globs = reader.string_list(&e.value, "exclude")?;
                    for (g, n) in globs.iter().zip(e.value.items()) {
                        if let Err(err) = Glob::new(g) {
                            return Err(reader.error(n, format!("invalid glob: {err}"), None));
                        }
                    }
                    config.exclude = globs;
                }
                "max-file-size" => {
                    reader.limit(
                        &e.value,
                        Key::MaxFileSize,
                        "max-file-size",
                        &mut config.limits,
                    )?;
                }
                "limits" => {
                    reader.limits(&e.value, &mut config.limits)?;
                }
                "repositories" => {
                    config.repositories = reader.repositories(&e.value)?;
                }
                "clusters" => {
                    config.clusters = reader.clusters(&e.value)?;
                }
                "render" => {
                    config.render = reader.render(&e.value, &mut config.limits)?;
                }
                "options" => {
                    config.options = reader.options(&e.value)?;
                }
                "argocd-namespace" => {
                    let ns = e.value.as_str().ok_or_else(|| {
                        reader.error(
                            &e.value,
                            "`argocd-namespace` must be a namespace name",
                            None,
                        )
                    })?;
                    config.argocd_namespace = Some(ns.to_string());
                }
                other => {
                    return Err(reader.error(
                        &e.key,
                        format!("unknown config key `{other}`"),
                        Some(format!(
                            "known keys: {}",
                            KEYS.iter()
                                .map(|k| format!("`{k}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )),
                    ));
                }
            }
        }
        Ok(config)
    }

    /// The exclude globs, matched against paths relative to the scanned root. A glob also
    /// excludes everything below a directory it matches.
    /// `units` (or the default) as a set: directories, `/`-separated, relative to the root.
    pub fn unit_set(&self) -> GlobSet {
        let mut b = GlobSetBuilder::new();
        let default: Vec<String> = DEFAULT_UNITS.iter().map(|g| g.to_string()).collect();
        for g in self.units.as_ref().unwrap_or(&default) {
            // `*` stays within one directory name: `clusters/*` is `clusters/prod`, not below it.
            if let Ok(glob) = globset::GlobBuilder::new(g.trim_end_matches('/'))
                .literal_separator(true)
                .build()
            {
                b.add(glob);
            }
        }
        b.build().unwrap_or_else(|_| GlobSet::empty())
    }

    pub fn exclude_set(&self) -> GlobSet {
        let mut b = GlobSetBuilder::new();
        for g in &self.exclude {
            for pattern in [g.clone(), format!("{}/**", g.trim_end_matches('/'))] {
                if let Ok(glob) = Glob::new(&pattern) {
                    b.add(glob);
                }
            }
        }
        b.build().unwrap_or_else(|_| GlobSet::empty())
    }
}

/// The first key in the file (by position) written again in its mapping, with the key it
/// repeats.
fn first_duplicate_key(node: &Node) -> Option<(&Node, &Node)> {
    let mut found: Option<(&Node, &Node)> = None;
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        let mut seen: std::collections::HashMap<&str, &Node> = std::collections::HashMap::new();
        for e in n.entries() {
            if let Some(k) = e.key.as_scalar_text() {
                match seen.get(k) {
                    Some(first) => {
                        if found.is_none_or(|(_, again)| e.key.span.start < again.span.start) {
                            found = Some((first, &e.key));
                        }
                    }
                    None => {
                        seen.insert(k, &e.key);
                    }
                }
            }
            stack.push(&e.value);
        }
        stack.extend(n.items());
    }
    found
}

/// "did you mean" for a mistyped rule id.
pub fn suggest(id: &str) -> String {
    let ids: Vec<&str> = rules::registry().iter().map(|r| r.meta().id).collect();
    let close = ids
        .iter()
        .copied()
        .min_by_key(|known| edit_distance(id, known))
        .filter(|known| edit_distance(id, known) <= 3);
    match close {
        Some(k) => format!("did you mean `{k}`? (`manifest-guard rules` lists them all)"),
        None => "`manifest-guard rules` lists the rule ids".into(),
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rules_and_excludes() {
        let c = Config::parse(
            "c",
            Arc::from("rules:\n  one-object-per-file: off\n  duplicate-resource:\n    severity: warning\nexclude: [vendor]\n"),
        )
        .expect("valid");
        assert!(!c.rules["one-object-per-file"].enabled);
        assert_eq!(
            c.rules["duplicate-resource"].severity,
            Some(Severity::Warning)
        );
        assert!(c.exclude_set().is_match("vendor/x.yaml"));
    }

    #[test]
    fn unknown_rule_points_at_the_key() {
        let text = "rules:\n  duplicate-resorce: off\n";
        let e = Config::parse("c", Arc::from(text)).expect_err("invalid");
        assert_eq!(
            e.span.offset(),
            text.find("duplicate-resorce").expect("key")
        );
        assert!(e.help.unwrap_or_default().contains("duplicate-resource"));
    }

    #[test]
    fn only_the_operators_config_names_the_programs_to_run() {
        let text = "render:\n  timeout: 5\n  helm: /opt/helm/bin/helm\n";
        let e = Config::parse("c", Arc::from(text)).expect_err("a repository may not");
        assert_eq!(
            e.message,
            "`render.helm` is not allowed in a config file inside the scanned repository"
        );
        assert_eq!(
            &text[e.span.offset()..e.span.offset() + e.span.len()],
            "helm"
        );
        let c =
            Config::parse_from("c", Arc::from(text), Origin::Operator).expect("the operator may");
        assert_eq!(c.render.helm.as_deref(), Some("/opt/helm/bin/helm"));
        assert_eq!(c.limits.get(Key::RenderTimeout), 5);
    }

    // Issue 11 §2: a pull request wrote the repository's config, so it may lower a bound but
    // never raise one (`render.timeout: 4294967295` used to be accepted); the operator's config
    // may set any.
    #[test]
    fn the_repository_may_only_lower_a_limit() {
        let raise = "render:\n  timeout: 4294967295\n";
        let e = Config::parse("c", Arc::from(raise)).expect_err("a raise is refused");
        assert!(
            e.message.contains("may only lower the bound (60 s)"),
            "{}",
            e.message
        );
        assert_eq!(
            &raise[e.span.offset()..e.span.offset() + e.span.len()],
            "4294967295"
        );
        let c = Config::parse_from("c", Arc::from(raise), Origin::Operator).expect("operator");
        assert_eq!(c.limits.get(Key::RenderTimeout), 4_294_967_295);

        let lower = "max-file-size: 1024\nlimits:\n  renders: 10\n  yaml-nodes: 5\n";
        let c = Config::parse("c", Arc::from(lower)).expect("lowering is fine");
        assert_eq!(c.limits.get(Key::MaxFileSize), 1024);
        assert_eq!(c.limits.get(Key::Renders), 10);
        assert_eq!(c.limits.get(Key::YamlNodes), 5);

        let e = Config::parse("c", Arc::from("limits:\n  render-memory: 99999999999999\n"))
            .expect_err("raise");
        assert!(e.message.contains("(4 GiB)"), "{}", e.message);
        let e = Config::parse("c", Arc::from("limits:\n  renderz: 1\n")).expect_err("unknown");
        assert_eq!(e.message, "unknown limit `renderz`");
        assert!(Config::parse("c", Arc::from("limits:\n  renders: 0\n")).is_err());
        assert!(Config::parse("c", Arc::from("limits:\n  renders: -1\n")).is_err());
    }

    #[test]
    fn a_duplicate_key_points_at_its_second_occurrence() {
        let text = "exclude: [a]\nrules:\n  yaml-syntax: off\n  yaml-syntax: error\nexclude: [b]\n";
        let e = Config::parse("c", Arc::from(text)).expect_err("duplicate");
        // Both `yaml-syntax` (line 4) and `exclude` (line 5) repeat; the first in the file wins.
        assert_eq!(e.span.offset(), text.rfind("yaml-syntax").expect("key"));
        assert_eq!(
            e.message,
            "key `yaml-syntax` is defined twice in this mapping (first on line 3)"
        );
        // Equal keys in different mappings are not duplicates.
        assert!(Config::parse("c", Arc::from("clusters:\n  - name: a\n  - name: b\n")).is_ok());
    }

    #[test]
    fn unknown_key_and_bad_severity() {
        assert!(Config::parse("c", Arc::from("rulez: {}\n")).is_err());
        assert!(Config::parse("c", Arc::from("rules:\n  yaml-syntax: fatal\n")).is_err());
    }

    #[test]
    fn reads_options_and_rejects_unknown_ones_at_their_key() {
        let c = Config::parse(
            "c",
            Arc::from("options:\n  quorum-replicas: 5\n  tracking-method: label\n  slow-start-seconds: 90\n"),
        )
        .expect("valid");
        assert_eq!(c.options.quorum_replicas, 5);
        assert_eq!(c.options.tracking_method, TrackingMethod::Label);
        assert_eq!(c.options.slow_start_seconds, 90);
        assert_eq!(Config::default().options, RuleOptions::default());
        let text = "options:\n  quorum-replica: 5\n";
        let e = Config::parse("c", Arc::from(text)).expect_err("unknown option");
        assert_eq!(e.span.offset(), text.find("quorum-replica").expect("key"));
        assert!(e.help.unwrap_or_default().contains("quorum-replicas"));
        let text = "options:\n  tracking-method: labels\n";
        let e = Config::parse("c", Arc::from(text)).expect_err("bad method");
        assert_eq!(e.span.offset(), text.find("labels").expect("value"));
        assert!(Config::parse("c", Arc::from("options:\n  quorum-replicas: 1\n")).is_err());
        assert!(Config::parse("c", Arc::from("options:\n  slow-start-seconds: soon\n")).is_err());
    }
}
