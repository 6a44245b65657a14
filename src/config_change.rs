//! What a change to `.manifest-guard.yaml` loosens: the configuration the run is judged by (the
//! base's, or `--config-rev`'s) compared with the one the change under review writes.
//!
//! The change's own configuration is never applied to its own run (issue 11 §2): this only
//! says, at the key that does it, what it would turn off, lower, hide or stop rendering once
//! merged, so a reviewer sees it. It reads two parsed configurations and the head file's YAML
//! for spans; it reads no file and runs nothing. The `config-loosened` rule reports the result.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use globset::{Glob, GlobSetBuilder};

use crate::config::{Config, DEFAULT_UNITS};
use crate::diagnostic::Severity;
use crate::load::Location;
use crate::load::source::{SourceFile, Suppressions};
use crate::load::yaml::{self, Node, Span};
use crate::model::Inventory;
use crate::rules;

/// One way the head's configuration judges less than the base's, at a span of the head's file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loosening {
    pub span: Span,
    /// A warning when it turns off or lowers what is an error in the base; a note otherwise.
    pub severity: Severity,
    pub message: String,
}

pub use crate::model::ConfigFinding;

/// The config file on both sides of a change: the base's text (the one the run is judged by,
/// `None`: the defaults) and the head's (`None`: the change deletes it, or never had one).
#[derive(Debug, Clone, Default)]
pub struct Sides {
    pub base: Option<String>,
    pub head: Option<String>,
    /// The head's file as reports name it, and its path below the scanned root.
    pub head_display: String,
    pub head_rel: String,
}

/// Records in `inventory` what the head's config file loosens against `base` (the configuration
/// the run was judged by, parsed from `sides.base`), with the head's file added to the sources so
/// that each finding has its line. Nothing when both sides have the same text.
pub fn attach(inventory: &mut Inventory, base: &Config, sides: Sides) {
    if sides.base == sides.head {
        return;
    }
    // The files this run checks, the head's own (a diff's inventory also holds the base's).
    let own = inventory.own.map_or(inventory.sources.len(), |o| o.files);
    let files: BTreeSet<&str> = inventory
        .sources
        .iter()
        .take(own)
        .filter(|(_, f)| !f.generated && f.rendered.is_none())
        .map(|(_, f)| f.rel.as_str())
        .collect();
    let files: Vec<&str> = files.into_iter().collect();
    let text = sides.head.clone().unwrap_or_default();
    let found = match &sides.head {
        None => loosenings(base, Head::Deleted, &files),
        Some(text) => {
            let parsed = Config::parse(&sides.head_display, Arc::from(text.as_str()));
            let config = match &parsed {
                Ok(c) => Ok(c),
                Err(e) => Err((
                    e.message.clone(),
                    Span::new(e.span.offset(), e.span.offset() + e.span.len()),
                )),
            };
            loosenings(base, Head::File { text, config }, &files)
        }
    };
    if found.is_empty() {
        return;
    }
    let mut file = SourceFile::new(sides.head_display, sides.head_rel, Arc::from(text));
    // The change wrote this file: a suppression comment in it must not silence what it loosens.
    file.suppressions = Suppressions::default();
    let id = inventory.sources.push(file);
    inventory.config_changes = found
        .into_iter()
        .map(|l| ConfigFinding {
            location: Location {
                file: id,
                span: l.span,
            },
            warning: l.severity == Severity::Warning,
            message: l.message,
        })
        .collect();
}

/// The text of the head's config file at `path`, for comparison only: `None` when there is
/// none, or when it is not a regular file (a link is not followed: it could name any file of the
/// machine), over a config file's 1 MiB or not UTF-8 — reading it is `check`'s and `diff`'s business, not this comparison's.
pub fn read_head(path: &std::path::Path) -> Option<String> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.is_file() {
        return None;
    }
    // At most a config file's size, as the base's is read: a regular file of the change may be
    // any size.
    crate::config::read_config_text(path).ok()
}

/// The head's configuration file as the change writes it.
pub enum Head<'a> {
    /// The change deletes the file: the defaults apply once it is merged.
    Deleted,
    /// The file's text, and what it parses to (an error message with its span when it is not
    /// a valid configuration).
    File {
        text: &'a str,
        config: Result<&'a Config, (String, Span)>,
    },
}

/// The config is judged by `base`; `head` is what the change writes. `files` are the paths (below
/// the scanned root) the run checks, to say how many a new exclude would hide.
pub fn loosenings(base: &Config, head: Head<'_>, files: &[&str]) -> Vec<Loosening> {
    let (default, parsed);
    let deleted = matches!(head, Head::Deleted);
    let (head, root): (&Config, Option<&Node>) = match head {
        Head::Deleted => {
            default = Config::default();
            (&default, None)
        }
        Head::File {
            config: Err((message, span)),
            ..
        } => {
            return vec![Loosening {
                span,
                severity: Severity::Warning,
                message: format!(
                    "the change makes `.manifest-guard.yaml` invalid ({message}): once merged, every run stops with exit status 2 until it is fixed"
                ),
            }];
        }
        Head::File {
            text,
            config: Ok(config),
        } => {
            parsed = yaml::parse(text, yaml::Limits::default());
            let root = parsed.documents.first().and_then(|d| d.root.as_deref());
            (config, root)
        }
    };
    let at = |path: &[&str]| locate(root, path);
    let mut out = Vec::new();
    let mut push = |span: Span, severity: Severity, message: String| {
        out.push(Loosening {
            span,
            severity,
            message,
        });
    };

    // Rules turned off or lowered: a warning when the base has the rule at error level.
    for rule in rules::registry() {
        let meta = rule.meta();
        let (Some(was), now) = (
            effective(base, meta.id, meta.severity),
            effective(head, meta.id, meta.severity),
        ) else {
            continue;
        };
        let what = match now {
            None => format!(
                "turns off rule `{}` ({} in the base)",
                meta.id,
                was.as_str()
            ),
            Some(now) if now < was => format!(
                "lowers rule `{}` from {} to {}",
                meta.id,
                was.as_str(),
                now.as_str()
            ),
            Some(_) => continue,
        };
        let severity = if was == Severity::Error {
            Severity::Warning
        } else {
            Severity::Note
        };
        push(at(&["rules", meta.id]), severity, what);
    }

    // Excludes it adds: whatever they match is not read at all.
    for (i, glob) in head.exclude.iter().enumerate() {
        if base.exclude.contains(glob) {
            continue;
        }
        let hidden = count_matching(glob, files);
        let span = root
            .and_then(|r| r.get("exclude"))
            .and_then(|n| n.items().get(i))
            .map_or_else(|| at(&["exclude"]), |n| n.span);
        push(
            span,
            Severity::Note,
            format!(
                "adds exclude `{glob}`: the files it matches are not checked ({hidden} of the {} files this run checks)",
                files.len()
            ),
        );
    }

    // Units decide which objects are applied together, so which repeats are duplicates.
    let units = |c: &Config| -> Vec<String> {
        c.units
            .clone()
            .unwrap_or_else(|| DEFAULT_UNITS.iter().map(|g| g.to_string()).collect())
    };
    let (base_units, head_units) = (units(base), units(head));
    for glob in head_units.iter().filter(|g| !base_units.contains(g)) {
        let i = head_units.iter().position(|g2| g2 == glob).unwrap_or(0);
        let span = root
            .and_then(|r| r.get("units"))
            .and_then(|n| n.items().get(i))
            .map_or_else(|| at(&["units"]), |n| n.span);
        push(
            span,
            Severity::Note,
            format!(
                "adds unit `{glob}`: objects repeated in different units are not duplicates of each other"
            ),
        );
    }
    for glob in base_units.iter().filter(|g| !head_units.contains(g)) {
        push(
            at(&["units"]),
            Severity::Note,
            format!(
                "removes unit `{glob}`: its subdirectories become units of their own, and objects repeated across them are not duplicates of each other"
            ),
        );
    }

    // Clusters: a protected one unprotected is `protected-cluster-change` (an error) turned off
    // for it.
    let by_name = |c: &Config| -> BTreeMap<String, (usize, crate::model::argocd::Cluster)> {
        c.clusters
            .iter()
            .enumerate()
            .map(|(i, cl)| (cl.name.clone(), (i, cl.clone())))
            .collect()
    };
    let (base_clusters, head_clusters) = (by_name(base), by_name(head));
    let cluster_node = |i: usize| {
        root.and_then(|r| r.get("clusters"))
            .and_then(|n| n.items().get(i))
    };
    for (name, (_, was)) in &base_clusters {
        match head_clusters.get(name) {
            None => push(
                at(&["clusters"]),
                if was.protected {
                    Severity::Warning
                } else {
                    Severity::Note
                },
                if was.protected {
                    format!(
                        "removes protected cluster `{name}`: `protected-cluster-change` no longer guards it"
                    )
                } else {
                    format!("removes cluster `{name}`")
                },
            ),
            Some((i, now)) => {
                let node = cluster_node(*i);
                if was.protected && !now.protected {
                    let span = node
                        .and_then(|n| n.entry("protected"))
                        .map(|e| e.value.span)
                        .or(node.map(|n| n.span))
                        .unwrap_or_else(|| at(&["clusters"]));
                    push(
                        span,
                        Severity::Warning,
                        format!(
                            "unprotects cluster `{name}`: `protected-cluster-change` no longer guards it"
                        ),
                    );
                }
                if was.server != now.server || was.labels != now.labels {
                    push(
                        node.map_or_else(|| at(&["clusters"]), |n| n.span),
                        Severity::Note,
                        format!(
                            "changes cluster `{name}` (its server or labels): Applications and cluster generators may resolve to other clusters"
                        ),
                    );
                }
            }
        }
    }
    for (name, (i, _)) in &head_clusters {
        if !base_clusters.contains_key(name) {
            push(
                cluster_node(*i).map_or_else(|| at(&["clusters"]), |n| n.span),
                Severity::Note,
                format!(
                    "declares cluster `{name}`: `unknown-cluster` accepts destinations that name it"
                ),
            );
        }
    }

    if base.argocd_namespace != head.argocd_namespace {
        push(
            at(&["argocd-namespace"]),
            Severity::Note,
            format!(
                "changes Argo CD's namespace from {} to {}: which objects count as Argo CD's own changes",
                shown(base.argocd_namespace.as_deref()),
                shown(head.argocd_namespace.as_deref())
            ),
        );
    }

    // A repository mapping decides which files stand for a remote repository's sources.
    for (i, (url, path)) in head.repositories.iter().enumerate() {
        if base.repositories.iter().any(|(u, p)| u == url && p == path) {
            continue;
        }
        let span = root
            .and_then(|r| r.get("repositories"))
            .and_then(|n| n.items().get(i))
            .map_or_else(|| at(&["repositories"]), |n| n.span);
        push(
            span,
            Severity::Note,
            format!(
                "maps repository `{url}` to `{path}`: the sources Applications take from it are read from there"
            ),
        );
    }
    for (url, path) in &base.repositories {
        if !head.repositories.iter().any(|(u, p)| u == url && p == path) {
            push(
                at(&["repositories"]),
                Severity::Note,
                format!(
                    "removes the mapping of repository `{url}` to `{path}`: its sources are no longer rendered"
                ),
            );
        }
    }

    if head.render.enabled == Some(false) && base.render.enabled != Some(false) {
        push(
            at(&["render", "enabled"]),
            Severity::Note,
            "turns rendering off: Helm and Kustomize sources become notes and the objects they render are not checked".to_string(),
        );
    }

    // Bounds back up towards the operator's (never above: that is a config error).
    for ((limit, was), (_, now)) in base.limits.iter().zip(head.limits.iter()) {
        if now > was {
            push(
                locate_limit(root, limit.key),
                Severity::Note,
                format!(
                    "raises limit `{}` from {} to {}",
                    limit.key,
                    limit.unit.describe(was),
                    limit.unit.describe(now)
                ),
            );
        }
    }
    out.extend(option_loosenings(base, head, root, |id| {
        rules::find(id).map(|r| r.meta().severity)
    }));

    if deleted {
        // There is no key to point at: say what the deletion itself does.
        for l in &mut out {
            l.message = format!("deleting the file {}", l.message);
        }
    }
    out.sort_by(|a, b| (a.span, &a.message).cmp(&(b.span, &b.message)));
    out
}

/// The rules that read each of `options:` (issue 13 names them): what a change to the option
/// loosens. A rule listed here that this build does not register is skipped.
const OPTION_READERS: &[(&str, &[&str])] = &[
    (
        "quorum-replicas",
        &[
            "parallel-pod-management-quorum",
            "pdb-quorum-unsafe",
            "quorum-pdb-missing",
            "quorum-spread-missing",
        ],
    ),
    ("slow-start-seconds", &["liveness-without-startup"]),
    (
        "tracking-method",
        &["tracking-label-in-volume-claim-template"],
    ),
];

/// What the head's `options:` loosen against the base's: a higher `quorum-replicas` or
/// `slow-start-seconds` checks fewer workloads or probes; another `tracking-method` changes which
/// labels count as Argo CD's tracking (dropping the label one stops checking it). A warning when
/// a rule that reads the option is at error level in the base (`default_severity` gives a rule's
/// default, `None` when it is not registered), like a rule turned down; a note otherwise.
fn option_loosenings(
    base: &Config,
    head: &Config,
    root: Option<&Node>,
    default_severity: impl Fn(&str) -> Option<Severity>,
) -> Vec<Loosening> {
    let (was, now) = (base.options, head.options);
    let mut out = Vec::new();
    for &(key, readers) in OPTION_READERS {
        let registered: Vec<(&str, Severity)> = readers
            .iter()
            .filter_map(|&id| Some((id, default_severity(id)?)))
            .collect();
        let readers: Vec<(&str, Severity)> = registered
            .iter()
            .filter_map(|&(id, default)| Some((id, effective(base, id, default)?)))
            .collect();
        let named = if registered.is_empty() {
            "the rules that read it (none in this version)".to_string()
        } else if readers.is_empty() {
            "the rules that read it (all off in the base)".to_string()
        } else {
            readers
                .iter()
                .map(|(id, _)| format!("`{id}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let message = match key {
            "quorum-replicas" if now.quorum_replicas > was.quorum_replicas => format!(
                "raises `options.quorum-replicas` from {} to {}: StatefulSets of {} to {} replicas are no longer checked as quorum workloads by {named}",
                was.quorum_replicas,
                now.quorum_replicas,
                was.quorum_replicas,
                now.quorum_replicas - 1
            ),
            "slow-start-seconds" if now.slow_start_seconds > was.slow_start_seconds => format!(
                "raises `options.slow-start-seconds` from {} to {}: liveness probes that wait {} to {} seconds are no longer reported by {named}",
                was.slow_start_seconds,
                now.slow_start_seconds,
                was.slow_start_seconds,
                now.slow_start_seconds - 1
            ),
            "tracking-method" if now.tracking_method != was.tracking_method => {
                let consequence = if was.tracking_method.uses_label()
                    && !now.tracking_method.uses_label()
                {
                    format!(
                        "Argo CD's `app.kubernetes.io/instance` tracking label is no longer checked by {named}"
                    )
                } else {
                    format!(
                        "what {named} counts as Argo CD's tracking changes; it holds only if the cluster's `argocd-cm` says the same (`application.resourceTrackingMethod`)"
                    )
                };
                format!(
                    "changes `options.tracking-method` from `{}` to `{}`: {consequence}",
                    was.tracking_method.as_str(),
                    now.tracking_method.as_str()
                )
            }
            _ => continue,
        };
        // Only dropping the label loosens the tracking check; another method is for review.
        let loosens = key != "tracking-method"
            || (was.tracking_method.uses_label() && !now.tracking_method.uses_label());
        let severity = if loosens && readers.iter().any(|(_, s)| *s == Severity::Error) {
            Severity::Warning
        } else {
            Severity::Note
        };
        out.push(Loosening {
            span: locate(root, &["options", key]),
            severity,
            message,
        });
    }
    out
}

/// A rule's severity under `config`, `None` when it is off.
fn effective(config: &Config, id: &str, default: Severity) -> Option<Severity> {
    match config.rules.get(id) {
        Some(s) if !s.enabled => None,
        Some(s) => Some(s.severity.unwrap_or(default)),
        None => Some(default),
    }
}

fn shown(ns: Option<&str>) -> String {
    ns.map_or_else(|| "the default".to_string(), |n| format!("`{n}`"))
}

/// How many of `files` an exclude glob hides, matched as `Config::exclude_set` matches.
fn count_matching(glob: &str, files: &[&str]) -> usize {
    let mut b = GlobSetBuilder::new();
    for pattern in [
        glob.to_string(),
        format!("{}/**", glob.trim_end_matches('/')),
    ] {
        if let Ok(g) = Glob::new(&pattern) {
            b.add(g);
        }
    }
    let Ok(set) = b.build() else {
        return 0;
    };
    files.iter().filter(|f| set.is_match(f)).count()
}

/// The span of the key at `path` in the head's file: the deepest key of it that exists, else the
/// file's start (line 1).
fn locate(root: Option<&Node>, path: &[&str]) -> Span {
    let mut span = Span::new(0, 0);
    let mut node = root;
    for key in path {
        let Some(entry) = node.and_then(|n| n.entry(key)) else {
            break;
        };
        span = entry.key.span;
        node = Some(&entry.value);
    }
    span
}

/// Where a bound is set: `limits.<key>`, or the older spellings `max-file-size` and
/// `render.timeout`.
fn locate_limit(root: Option<&Node>, key: &str) -> Span {
    let in_limits = root
        .and_then(|r| r.get("limits"))
        .and_then(|l| l.entry(key))
        .map(|e| e.key.span);
    in_limits.unwrap_or_else(|| match key {
        "max-file-size" => locate(root, &["max-file-size"]),
        "render-timeout" => locate(root, &["render", "timeout"]),
        _ => locate(root, &["limits"]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // The head's file is read as the base's is, at most 1 MiB: a regular file the change adds
    // may be any size, and it was read whole for the comparison.
    #[test]
    fn a_head_file_over_a_config_files_size_is_not_read() {
        let tmp = tempfile::tempdir().expect("tmp");
        let path = tmp.path().join(".manifest-guard.yaml");
        std::fs::write(&path, "rules: {}\n").expect("write");
        assert_eq!(read_head(&path).as_deref(), Some("rules: {}\n"));
        std::fs::write(&path, "#".repeat(2 << 20)).expect("write");
        assert_eq!(read_head(&path), None);
    }

    fn config(text: &str) -> Config {
        Config::parse("c", Arc::from(text)).expect("valid")
    }

    fn changes(base: &str, head: &str) -> Vec<(String, Severity, String)> {
        let (b, h) = (config(base), config(head));
        loosenings(
            &b,
            Head::File {
                text: head,
                config: Ok(&h),
            },
            &["apps/a.yaml", "apps/b.yaml", "vendor/c.yaml"],
        )
        .into_iter()
        .map(|l| {
            (
                head[l.span.start..l.span.end].to_string(),
                l.severity,
                l.message,
            )
        })
        .collect()
    }

    #[test]
    fn turning_off_an_error_rule_is_a_warning_at_its_key() {
        let found = changes(
            "rules:\n  one-object-per-file: warning\n",
            "rules:\n  duplicate-application: off\n  one-object-per-file: note\n  stateful-delete:\n    severity: warning\n",
        );
        assert_eq!(
            found,
            vec![
                (
                    "duplicate-application".to_string(),
                    Severity::Warning,
                    "turns off rule `duplicate-application` (error in the base)".to_string()
                ),
                (
                    "one-object-per-file".to_string(),
                    Severity::Note,
                    "lowers rule `one-object-per-file` from warning to note".to_string()
                ),
                (
                    "stateful-delete".to_string(),
                    Severity::Warning,
                    "lowers rule `stateful-delete` from error to warning".to_string()
                ),
            ]
        );
        // Raising a rule, or keeping it, loosens nothing.
        assert!(changes("", "rules:\n  one-object-per-file: error\n").is_empty());
        assert!(changes("exclude: [a]\n", "exclude: [a]\n").is_empty());
    }

    #[test]
    fn excludes_units_clusters_namespace_repositories_rendering_are_notes() {
        let base = "clusters:\n  - name: prod\n    server: https://prod\n    protected: true\n  - name: dev\n";
        let head = "exclude: ['**']\nunits: [envs/*]\nargocd-namespace: gitops\nrepositories:\n  - url: https://x\n    path: vendor\nrender:\n  enabled: false\nclusters:\n  - name: prod\n    server: https://prod\n    protected: false\n";
        let found = changes(base, head);
        let at = |s: &str| {
            found
                .iter()
                .find(|f| f.2.contains(s))
                .unwrap_or_else(|| panic!("{s}: {found:#?}"))
        };
        assert_eq!(at("adds exclude").0, "'**'");
        assert!(
            at("adds exclude").2.contains("(3 of the 3 files"),
            "{found:#?}"
        );
        assert_eq!(at("adds unit `envs/*`").0, "envs/*");
        assert_eq!(at("removes unit `clusters/*`").0, "units");
        assert_eq!(at("Argo CD's namespace").0, "argocd-namespace");
        assert_eq!(at("maps repository `https://x`").1, Severity::Note);
        assert_eq!(at("turns rendering off").0, "enabled");
        assert_eq!(
            at("unprotects cluster `prod`"),
            &(
                "false".to_string(),
                Severity::Warning,
                at("unprotects").2.clone()
            )
        );
        assert_eq!(at("removes cluster `dev`").0, "clusters");
        assert_eq!(found.iter().filter(|f| f.1 == Severity::Warning).count(), 1);
    }

    /// The severities issue 13 gives the rules that read `options:` (they are registered by
    /// their own change; this pins how a loosened option is weighed against them).
    fn issue13_severity(id: &str) -> Option<Severity> {
        match id {
            "pdb-quorum-unsafe" | "tracking-label-in-volume-claim-template" => {
                Some(Severity::Error)
            }
            "quorum-pdb-missing" | "quorum-spread-missing" => Some(Severity::Warning),
            "parallel-pod-management-quorum" | "liveness-without-startup" => Some(Severity::Note),
            _ => None,
        }
    }

    fn option_changes(
        base: &str,
        head: &str,
        severity: impl Fn(&str) -> Option<Severity>,
    ) -> Vec<(String, Severity, String)> {
        option_changes_from(config(base), head, severity)
    }

    fn option_changes_from(
        b: Config,
        head: &str,
        severity: impl Fn(&str) -> Option<Severity>,
    ) -> Vec<(String, Severity, String)> {
        let h = config(head);
        let parsed = yaml::parse(head, yaml::Limits::default());
        let root = parsed.documents.first().and_then(|d| d.root.as_deref());
        option_loosenings(&b, &h, root, severity)
            .into_iter()
            .map(|l| {
                (
                    head[l.span.start..l.span.end].to_string(),
                    l.severity,
                    l.message,
                )
            })
            .collect()
    }

    #[test]
    fn raising_a_threshold_or_dropping_label_tracking_loosens_the_rules_that_read_it() {
        let found = option_changes(
            "options:\n  tracking-method: label\n",
            "options:\n  quorum-replicas: 5\n  slow-start-seconds: 300\n  tracking-method: annotation\n",
            issue13_severity,
        );
        assert_eq!(
            found,
            vec![
                (
                    "quorum-replicas".to_string(),
                    Severity::Warning,
                    "raises `options.quorum-replicas` from 3 to 5: StatefulSets of 3 to 4 replicas are no longer checked as quorum workloads by `parallel-pod-management-quorum`, `pdb-quorum-unsafe`, `quorum-pdb-missing`, `quorum-spread-missing`".to_string()
                ),
                (
                    "slow-start-seconds".to_string(),
                    Severity::Note,
                    "raises `options.slow-start-seconds` from 60 to 300: liveness probes that wait 60 to 299 seconds are no longer reported by `liveness-without-startup`".to_string()
                ),
                (
                    "tracking-method".to_string(),
                    Severity::Warning,
                    "changes `options.tracking-method` from `label` to `annotation`: Argo CD's `app.kubernetes.io/instance` tracking label is no longer checked by `tracking-label-in-volume-claim-template`".to_string()
                ),
            ]
        );
        // The error-level reader turned off in the base: what is left to loosen is a note.
        // (Built by hand: this build's configuration refuses a rule it does not register.)
        let mut base = config("");
        base.rules.insert(
            "pdb-quorum-unsafe".into(),
            crate::config::RuleSetting {
                enabled: false,
                severity: None,
            },
        );
        let found = option_changes_from(base, "options:\n  quorum-replicas: 4\n", issue13_severity);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].1, Severity::Note, "{found:#?}");
        assert!(!found[0].2.contains("pdb-quorum-unsafe"), "{found:#?}");
        // Tightening loosens nothing; another tracking method that keeps the label is a note.
        assert!(
            option_changes(
                "options:\n  quorum-replicas: 5\n  slow-start-seconds: 120\n",
                "options:\n  quorum-replicas: 3\n  slow-start-seconds: 30\n",
                issue13_severity,
            )
            .is_empty()
        );
        let found = option_changes(
            "",
            "options:\n  tracking-method: annotation+label\n",
            issue13_severity,
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].1, Severity::Note, "{found:#?}");
        assert!(found[0].2.contains("`argocd-cm`"), "{found:#?}");
    }

    /// Through `loosenings`, with the rules this build registers: a removed option goes back to
    /// its default, and the finding points at the `options` key that is left.
    #[test]
    fn options_are_compared_by_loosenings() {
        let found = changes(
            "options:\n  quorum-replicas: 2\n",
            "options:\n  tracking-method: annotation\n",
        );
        let option = found
            .iter()
            .find(|f| f.2.contains("options.quorum-replicas"))
            .unwrap_or_else(|| panic!("{found:#?}"));
        assert_eq!(option.0, "options");
        assert!(
            option
                .2
                .starts_with("raises `options.quorum-replicas` from 2 to 3")
        );
        // A warning exactly when this build registers an error-level rule that reads it.
        let error_reader = OPTION_READERS
            .iter()
            .filter(|(k, _)| *k == "quorum-replicas")
            .flat_map(|(_, ids)| ids.iter())
            .any(|id| rules::find(id).is_some_and(|r| r.meta().severity == Severity::Error));
        let expected = if error_reader {
            Severity::Warning
        } else {
            Severity::Note
        };
        assert_eq!(option.1, expected);
    }

    /// Every option is classified: a new one must say which rules read it.
    #[test]
    fn every_option_has_its_readers() {
        let classified: Vec<&str> = OPTION_READERS.iter().map(|(k, _)| *k).collect();
        let mut keys = crate::model::options::OPTION_KEYS.to_vec();
        keys.sort_unstable();
        assert_eq!(classified, keys);
    }

    #[test]
    fn a_deleted_or_invalid_head_file() {
        let base = config("rules:\n  one-object-per-file: error\nmax-file-size: 1024\n");
        let found = loosenings(&base, Head::Deleted, &[]);
        let messages: Vec<&str> = found.iter().map(|l| l.message.as_str()).collect();
        assert_eq!(
            messages,
            vec![
                "deleting the file lowers rule `one-object-per-file` from error to warning",
                "deleting the file raises limit `max-file-size` from 1 KiB to 16 MiB",
            ]
        );
        assert_eq!(found[0].severity, Severity::Warning);
        let found = loosenings(
            &base,
            Head::File {
                text: "rulez: 1\n",
                config: Err(("unknown config key `rulez`".into(), Span::new(0, 5))),
            },
            &[],
        );
        assert_eq!(found.len(), 1);
        assert!(
            found[0]
                .message
                .contains("invalid (unknown config key `rulez`)")
        );
    }
}
