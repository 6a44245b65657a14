//! The JSON Schema of `.manifest-guard.yaml`, for editors (yaml-language-server completes and
//! validates the file with it) and for other tools.
//!
//! It is built from the tables the parser in `config` reads — its key lists, `limits::LIMITS`,
//! the rule registry, `Severity`, `TrackingMethod`, `RuleOptions::default()` — so a new key,
//! limit or rule reaches the schema without a second list to keep. The committed copy,
//! `schema/manifest-guard.schema.json`, is [`text`]'s output; `tests/config_schema.rs` fails when
//! it is stale and checks that schema and parser accept and refuse the same files.
//!
//! What a schema cannot say, the parser still checks: that a glob compiles, that a key is not
//! written twice, that a repository `path` stays inside the root, and what only an operator's
//! file outside the repository may do (name `render.helm`/`render.kustomize`, raise a limit
//! above its default). The schema allows those, since one schema serves both kinds of file.
//! Where the parser reads any scalar as text (`argocd-namespace: 123`) or a quoted whole number
//! as a number (`quorum-replicas: "5"`), the schema asks for the plain form.

use serde_json::{Map, Value, json};

use crate::config::{CLUSTER_KEYS, KEYS, RENDER_KEYS, REPOSITORY_KEYS, RULE_SETTING_KEYS};
use crate::diagnostic::Severity;
use crate::limits::{Key, LIMITS, Limit, Unit};
use crate::model::options::{OPTION_KEYS, RuleOptions, TrackingMethod};
use crate::rules;

/// Where the schema is published: the repository file, on its default branch. The README's
/// `# yaml-language-server: $schema=…` line names the same address.
pub const URL: &str = "https://raw.githubusercontent.com/manifest-guard/manifest-guard/main/schema/manifest-guard.schema.json";

/// The committed file, relative to the repository root.
pub const PATH: &str = "schema/manifest-guard.schema.json";

/// Every severity, most severe first. The `match` makes a new variant a compile error here.
fn severities() -> [&'static str; 3] {
    let all = [Severity::Error, Severity::Warning, Severity::Note];
    for s in all {
        match s {
            Severity::Error | Severity::Warning | Severity::Note => {}
        }
    }
    all.map(Severity::as_str)
}

/// A mapping that may also be left empty (`rules:` with nothing under it): the parser takes a
/// null wherever it takes a mapping or a list.
fn nullable(kind: &str) -> Value {
    json!([kind, "null"])
}

/// A string list such as `exclude:` or `units:`.
fn globs(description: &str) -> Value {
    json!({
        "description": description,
        "type": nullable("array"),
        "items": {"type": "string"},
    })
}

/// One bound of `limits:` (and `max-file-size`, `render.timeout`): a positive whole number.
fn limit(l: &Limit, description: &str) -> Value {
    let unit = match l.unit {
        Unit::Bytes => "In bytes",
        Unit::Seconds => "In seconds",
        Unit::Count => "A count",
    };
    json!({
        "description": format!(
            "{description}. {unit}; default {}. A config file inside the scanned repository may only lower it; an operator's file outside it (`--config`) may set any value.",
            l.unit.describe(l.default)
        ),
        "type": "integer",
        "minimum": 1,
        "default": l.default,
    })
}

/// The two forms of a rule's setting: a word, or a mapping with `severity` and `enabled`.
fn rule_setting() -> Value {
    let severities = severities();
    let mut words: Vec<&str> = severities.to_vec();
    words.push("off");
    let mut properties = Map::new();
    for key in RULE_SETTING_KEYS {
        let schema = match *key {
            "severity" => json!({
                "description": "The severity of the rule's findings.",
                "enum": severities,
            }),
            "enabled" => json!({
                "description": "`false` turns the rule off.",
                "type": "boolean",
            }),
            other => unreachable_key("rule setting", other),
        };
        properties.insert((*key).to_string(), schema);
    }
    json!({
        "oneOf": [
            {
                "description": "`off`, or the severity of the rule's findings.",
                "enum": words,
            },
            {
                "type": "object",
                "additionalProperties": false,
                "properties": properties,
            },
        ]
    })
}

/// `rules:`: one property per registered rule, so an editor completes the ids and an unknown
/// id is an error, as in the parser.
fn rules() -> Value {
    let mut properties = Map::new();
    for rule in rules::registry() {
        let meta = rule.meta();
        properties.insert(
            meta.id.to_string(),
            json!({
                "description": format!(
                    "{}. Default severity: {}. `manifest-guard explain {}` prints its runbook.",
                    capitalised(meta.summary.trim_end_matches('.')),
                    meta.severity,
                    meta.id
                ),
                // draft-07 ignores a `$ref`'s siblings: the description stays beside an `allOf`.
                "allOf": [{"$ref": "#/definitions/ruleSetting"}],
            }),
        );
    }
    json!({
        "description": "Per-rule severity and enablement, by rule id (`manifest-guard rules` lists them).",
        "type": nullable("object"),
        "additionalProperties": false,
        "properties": properties,
    })
}

fn repositories() -> Value {
    let mut properties = Map::new();
    for key in REPOSITORY_KEYS {
        let schema = match *key {
            "url" => json!({
                "description": "A repository URL (ssh and https forms of one repository match).",
                "type": "string",
            }),
            "path" => json!({
                "description": "The directory, relative to the scanned root, that holds this checkout (default `.`).",
                "type": "string",
                "default": ".",
            }),
            other => unreachable_key("repositories", other),
        };
        properties.insert((*key).to_string(), schema);
    }
    json!({
        "description": "Repository URLs that are this checkout, so Applications whose `repoURL` names them are read from here.",
        "type": nullable("array"),
        "items": {
            "type": "object",
            "additionalProperties": false,
            "required": ["url"],
            "properties": properties,
        },
    })
}

fn clusters() -> Value {
    let mut properties = Map::new();
    for key in CLUSTER_KEYS {
        let schema = match *key {
            "name" => json!({
                "description": "The cluster's name, as Applications' `destination.name` gives it.",
                "type": "string",
            }),
            "server" => json!({
                "description": "The cluster's API server URL, as Applications' `destination.server` gives it.",
                "type": "string",
            }),
            "labels" => json!({
                "description": "Labels an ApplicationSet cluster generator's selector matches.",
                "type": "object",
                "additionalProperties": {"type": ["string", "number", "boolean"]},
            }),
            "protected" => json!({
                "description": "`true`: in `diff`, any delete or recreate on this cluster is a `protected-cluster-change` finding.",
                "type": "boolean",
                "default": false,
            }),
            other => unreachable_key("clusters", other),
        };
        properties.insert((*key).to_string(), schema);
    }
    json!({
        "description": "Cluster definitions: the destinations Applications may name.",
        "type": nullable("array"),
        "items": {
            "type": "object",
            "additionalProperties": false,
            "required": ["name"],
            "properties": properties,
        },
    })
}

fn render() -> Value {
    let mut properties = Map::new();
    for key in RENDER_KEYS {
        let schema = match *key {
            "timeout" => limit(
                Key::RenderTimeout.limit(),
                "Seconds one Helm or Kustomize process may run (the `render-timeout` limit)",
            ),
            "enabled" => json!({
                "description": "`false` renders nothing, like `--no-render`.",
                "type": "boolean",
            }),
            "helm" | "kustomize" => json!({
                "description": format!(
                    "The `{key}` program to run. Only in an operator's config file outside the repository (`--config`): in the repository's own file it is an error, since a pull request must not choose what runs."
                ),
                "type": "string",
            }),
            other => unreachable_key("render", other),
        };
        properties.insert((*key).to_string(), schema);
    }
    json!({
        "description": "How Helm charts and Kustomize overlays are rendered.",
        "type": nullable("object"),
        "additionalProperties": false,
        "properties": properties,
    })
}

fn limits() -> Value {
    let mut properties = Map::new();
    for l in LIMITS {
        let what = capitalised(l.what);
        properties.insert(l.key.to_string(), limit(l, &what));
    }
    json!({
        "description": "The run's bounds on what a repository may make it spend.",
        "type": nullable("object"),
        "additionalProperties": false,
        "properties": properties,
    })
}

fn options() -> Value {
    let defaults = RuleOptions::default();
    let mut properties = Map::new();
    for key in OPTION_KEYS {
        let schema = match *key {
            "quorum-replicas" => json!({
                "description": "A StatefulSet with this many replicas or more, whose pods name their own members (etcd's --initial-cluster), is a quorum workload.",
                "type": "integer",
                "minimum": 2,
                "default": defaults.quorum_replicas,
            }),
            "tracking-method" => json!({
                "description": "Argo CD's `application.resourceTrackingMethod` (argocd-cm): `annotation` is Argo CD 3's default.",
                "enum": TrackingMethod::ALL.map(TrackingMethod::as_str),
                "default": defaults.tracking_method.as_str(),
            }),
            "slow-start-seconds" => json!({
                "description": "A liveness probe's initialDelaySeconds at or above this wants a startupProbe.",
                "type": "integer",
                "minimum": 0,
                "default": defaults.slow_start_seconds,
            }),
            other => unreachable_key("options", other),
        };
        properties.insert((*key).to_string(), schema);
    }
    json!({
        "description": "What the stateful and availability rules assume.",
        "type": nullable("object"),
        "additionalProperties": false,
        "properties": properties,
    })
}

/// A key the parser lists but this module does not describe: a programming error caught by the
/// first test run (`tests/config_schema.rs` builds the schema), never by input.
fn unreachable_key(section: &str, key: &str) -> Value {
    panic!("config_schema: `{section}` key `{key}` has no schema; describe it here")
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The schema, as a JSON value (JSON Schema draft-07, which yaml-language-server reads).
pub fn schema() -> Value {
    let mut properties = Map::new();
    for key in KEYS {
        let schema = match *key {
            "rules" => rules(),
            "exclude" => globs(
                "Globs relative to the scanned root; a matching file, or everything below a matching directory, is not checked.",
            ),
            "units" => globs(
                "Directory globs applied with everything below them, as one unit (default `clusters/*`, Flux's layout); any other directory is a unit of its own.",
            ),
            "max-file-size" => limit(
                Key::MaxFileSize.limit(),
                "Size of one file read; larger files are reported, not read (the `max-file-size` limit)",
            ),
            "limits" => limits(),
            "repositories" => repositories(),
            "clusters" => clusters(),
            "render" => render(),
            "argocd-namespace" => json!({
                "description": "The namespace Argo CD runs in. Unset: inferred from the repository (argocd-cm, ArgoCD, AppProjects, Applications), and a finding that depends on it is only a warning.",
                "type": "string",
            }),
            "options" => options(),
            other => unreachable_key("top level", other),
        };
        properties.insert((*key).to_string(), schema);
    }
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": URL,
        "title": "manifest-guard configuration (.manifest-guard.yaml)",
        "description": "Configuration of manifest-guard, a GitOps manifest safety linter. Generated from the parser's tables (src/config_schema.rs); do not edit by hand.",
        "type": nullable("object"),
        "additionalProperties": false,
        "properties": properties,
        "definitions": {
            "ruleSetting": rule_setting(),
        },
    })
}

/// The schema as the committed file holds it: pretty-printed, two-space indent, a final newline.
pub fn text() -> String {
    let mut out = serde_json::to_string_pretty(&schema()).unwrap_or_default();
    out.push('\n');
    out
}
