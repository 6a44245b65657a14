//! Reads an Argo CD Application (hand-written or generated) into the model: sources and their
//! kind, destination, project, sync policy, finalizers, and the locations findings point at.

use serde_json::Value;

use crate::load::Location;
use crate::load::yaml::go_bool;
use crate::model::argocd::{
    AppLocations, AppOrigin, AppSource, Application, Destination, IgnoreDifference, SourceKind,
    SyncPolicy,
};
use crate::model::{ObjectIdx, UnitId};

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(v, |v, k| v.get(k))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn bool_at(v: &Value, path: &[&str]) -> bool {
    path.iter()
        .try_fold(v, |v, k| v.get(k))
        .is_some_and(|b| go_bool(b) == Some(true))
}

/// What kind of source this is, the way Argo CD's repo-server decides: explicit options first,
/// then a chart, then the files found in the directory (decided later, when the tree is known).
fn kind_of(source: &Value) -> SourceKind {
    if source
        .get("ref")
        .is_some_and(|r| r.as_str().is_some_and(|s| !s.is_empty()))
        && source.get("path").is_none()
        && source.get("chart").is_none()
    {
        return SourceKind::Ref;
    }
    if let Some(plugin) = source.get("plugin") {
        let name = str_at(plugin, &["name"]).unwrap_or("config management plugin");
        return SourceKind::Plugin(format!("plugin `{name}`"));
    }
    // `directory.jsonnet` only sets how `.jsonnet` files are evaluated (top-level arguments,
    // external variables, library paths): the source stays a directory source whose YAML is
    // applied as any other, and whose jsonnet files render names one by one.
    if source.get("helm").is_some() || source.get("chart").is_some() {
        return SourceKind::Helm;
    }
    if source.get("kustomize").is_some() {
        return SourceKind::Kustomize;
    }
    SourceKind::Directory {
        recurse: bool_at(source, &["directory", "recurse"]),
        include: str_at(source, &["directory", "include"]).map(str::to_string),
        exclude: str_at(source, &["directory", "exclude"]).map(str::to_string),
    }
}

/// Builds an Application. `locate` maps a JSON path of the manifest to its source location (for
/// a generated Application, the matching place in the ApplicationSet's template).
pub fn read(
    manifest: &Value,
    locate: &dyn Fn(&[&str]) -> Location,
    object: Option<ObjectIdx>,
    origin: AppOrigin,
) -> Application {
    let spec = manifest.get("spec").unwrap_or(&Value::Null);
    let mut sources = Vec::new();
    let listed: Vec<(&Value, Vec<String>)> = match spec.get("sources").and_then(Value::as_array) {
        Some(list) if !list.is_empty() => list
            .iter()
            .enumerate()
            .map(|(i, s)| (s, vec!["spec".into(), "sources".into(), i.to_string()]))
            .collect(),
        _ => spec
            .get("source")
            .map(|s| vec![(s, vec!["spec".to_string(), "source".to_string()])])
            .unwrap_or_default(),
    };
    for (source, path) in listed {
        let path: Vec<&str> = path.iter().map(String::as_str).collect();
        sources.push(AppSource {
            repo_url: str_at(source, &["repoURL"]).unwrap_or("").to_string(),
            path: str_at(source, &["path"]).map(str::to_string),
            chart: str_at(source, &["chart"]).map(str::to_string),
            target_revision: str_at(source, &["targetRevision"])
                .unwrap_or("HEAD")
                .to_string(),
            ref_name: str_at(source, &["ref"]).map(str::to_string),
            kind: kind_of(source),
            local_dir: None,
            location: locate(&path),
            spec: source.clone(),
        });
    }
    // `automated: {enabled: false}` (Argo CD 3.x) keeps the policy written but switches it off.
    let automated = spec
        .pointer("/syncPolicy/automated")
        .is_some_and(|a| !a.is_null() && a.get("enabled").and_then(go_bool) != Some(false));
    let sync = SyncPolicy {
        automated,
        prune: automated && bool_at(spec, &["syncPolicy", "automated", "prune"]),
        self_heal: automated && bool_at(spec, &["syncPolicy", "automated", "selfHeal"]),
        allow_empty: automated && bool_at(spec, &["syncPolicy", "automated", "allowEmpty"]),
        options: spec
            .pointer("/syncPolicy/syncOptions")
            .and_then(Value::as_array)
            .map(|o| {
                o.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
        ignore_differences: spec
            .get("ignoreDifferences")
            .and_then(Value::as_array)
            .map(|list| list.iter().map(ignore_difference).collect())
            .unwrap_or_default(),
    };
    let finalizers = manifest
        .pointer("/metadata/finalizers")
        .and_then(Value::as_array)
        .map(|f| {
            f.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    Application {
        name: str_at(manifest, &["metadata", "name"])
            .unwrap_or("")
            .to_string(),
        namespace: str_at(manifest, &["metadata", "namespace"])
            .unwrap_or("")
            .to_string(),
        project: str_at(spec, &["project"]).unwrap_or("default").to_string(),
        destination: Destination {
            server: str_at(spec, &["destination", "server"]).map(str::to_string),
            name: str_at(spec, &["destination", "name"]).map(str::to_string),
            namespace: str_at(spec, &["destination", "namespace"])
                .unwrap_or("")
                .to_string(),
            ..Destination::default()
        },
        sources,
        sync,
        finalizers,
        locations: AppLocations {
            name: locate(&["metadata", "name"]),
            namespace: locate(&["metadata", "namespace"]),
            project: locate(&["spec", "project"]),
            destination: locate(&["spec", "destination"]),
            destination_namespace: locate(&["spec", "destination", "namespace"]),
        },
        origin,
        object,
        unit: UnitId(0),
        replaced_by: None,
        appset_replaced: false,
    }
}

/// One `ignoreDifferences` entry (Argo CD's `ResourceIgnoreDifferences`).
fn ignore_difference(entry: &Value) -> IgnoreDifference {
    let strings = |key: &str| -> Vec<String> {
        entry
            .get(key)
            .and_then(Value::as_array)
            .map(|l| {
                l.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    IgnoreDifference {
        group: str_at(entry, &["group"]).unwrap_or("").to_string(),
        kind: str_at(entry, &["kind"]).unwrap_or("").to_string(),
        name: str_at(entry, &["name"]).map(str::to_string),
        namespace: str_at(entry, &["namespace"]).map(str::to_string),
        json_pointers: strings("jsonPointers"),
        jq_path_expressions: strings("jqPathExpressions"),
        managed_fields_managers: strings("managedFieldsManagers"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{FileId, Span};

    fn app(yaml: &str) -> Application {
        let parsed = crate::load::yaml::parse(yaml, Default::default());
        let root = parsed.documents[0].root.clone().expect("root");
        let at = |_: &[&str]| Location {
            file: FileId(0),
            span: Span::default(),
        };
        read(&root.to_json(), &at, None, AppOrigin::default())
    }

    // Argo CD decodes these fields as Go bools with sigs.k8s.io/yaml (goyaml.v2, resolve.go
    // `resolveMapList`): `yes`, `on`, `y` are true and `no`, `off`, `n` false, as `true`/`false`.
    #[test]
    fn yaml_1_1_booleans_in_the_sync_policy_and_directory_options() {
        let a = app(
            "spec:\n  source:\n    path: x\n    directory:\n      recurse: yes\n  syncPolicy:\n    automated:\n      prune: on\n      selfHeal: Y\n",
        );
        assert_eq!(
            a.sources[0].kind,
            SourceKind::Directory {
                recurse: true,
                include: None,
                exclude: None
            }
        );
        assert!(a.sync.automated && a.sync.prune && a.sync.self_heal);
        let a = app(
            "spec:\n  source:\n    path: x\n  syncPolicy:\n    automated:\n      enabled: no\n      prune: yes\n",
        );
        assert!(!a.sync.automated && !a.sync.prune);
        let a =
            app("spec:\n  source:\n    path: x\n  syncPolicy:\n    automated:\n      prune: off\n");
        assert!(a.sync.automated && !a.sync.prune);
    }

    // Argo CD's `SyncPolicyAutomated.AllowEmpty` (pkg/apis/application/v1alpha1/types.go) and
    // `ResourceIgnoreDifferences` (group, kind, name, namespace, jsonPointers,
    // jqPathExpressions, managedFieldsManagers).
    #[test]
    fn allow_empty_and_ignore_differences_are_read() {
        let a = app(
            "spec:\n  syncPolicy:\n    automated:\n      prune: true\n      allowEmpty: true\n    syncOptions: [RespectIgnoreDifferences=true]\n  ignoreDifferences:\n  - group: apps\n    kind: Deployment\n    jsonPointers: [/spec/replicas]\n  - kind: ConfigMap\n    name: x\n    jqPathExpressions: [.data]\n",
        );
        assert!(a.sync.allow_empty && a.sync.has_option("RespectIgnoreDifferences=true"));
        let d = &a.sync.ignore_differences;
        assert_eq!(
            (d[0].group.as_str(), d[0].kind.as_str()),
            ("apps", "Deployment")
        );
        assert_eq!(d[0].json_pointers, ["/spec/replicas"]);
        assert_eq!(
            (d[1].name.as_deref(), d[1].jq_path_expressions.len()),
            (Some("x"), 1)
        );
        // `allowEmpty` means nothing without automated sync.
        let a = app(
            "spec:\n  syncPolicy:\n    automated:\n      enabled: false\n      allowEmpty: true\n",
        );
        assert!(!a.sync.allow_empty);
    }
}
