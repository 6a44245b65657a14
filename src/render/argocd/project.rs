//! AppProjects: what they allow (destinations, source repositories, source namespaces, resource
//! kinds), read from the tree, and the checks Argo CD applies before a sync.

use crate::load::Node;
use crate::model::argocd::{AppProject, GroupKind, ProjectDestination};
use crate::model::glob::glob_match;
use crate::model::{Object, ObjectIdx};

fn strings(node: Option<&Node>) -> Vec<String> {
    node.map(|n| {
        n.items()
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect()
    })
    .unwrap_or_default()
}

fn group_kinds(node: Option<&Node>) -> Vec<GroupKind> {
    node.map(|n| {
        n.items()
            .iter()
            .map(|i| GroupKind {
                group: i
                    .get("group")
                    .and_then(Node::as_scalar_text)
                    .unwrap_or("")
                    .to_string(),
                kind: i
                    .get("kind")
                    .and_then(Node::as_str)
                    .unwrap_or("")
                    .to_string(),
                name: i.get("name").and_then(Node::as_str).map(str::to_string),
            })
            .collect()
    })
    .unwrap_or_default()
}

pub fn read(object: &Object, idx: ObjectIdx) -> AppProject {
    let spec = object.spec();
    let get = |k: &str| spec.and_then(|s| s.get(k));
    let destinations = get("destinations")
        .map(|d| {
            d.items()
                .iter()
                .map(|i| ProjectDestination {
                    server: i.get("server").and_then(Node::as_str).map(str::to_string),
                    name: i.get("name").and_then(Node::as_str).map(str::to_string),
                    namespace: i
                        .get("namespace")
                        .and_then(Node::as_str)
                        .map(str::to_string),
                })
                .collect()
        })
        .unwrap_or_default();
    AppProject {
        name: object.id.name.clone(),
        namespace: object.id.namespace.clone(),
        source_repos: strings(get("sourceRepos")),
        source_namespaces: strings(get("sourceNamespaces")),
        destinations,
        cluster_allow: group_kinds(get("clusterResourceWhitelist")),
        cluster_deny: group_kinds(get("clusterResourceBlacklist")),
        namespace_allow: get("namespaceResourceWhitelist").map(|n| group_kinds(Some(n))),
        namespace_deny: group_kinds(get("namespaceResourceBlacklist")),
        location: object.name_location(),
        destinations_location: spec
            .and_then(|s| s.entry("destinations"))
            .map(|e| object.locate(e.key.span)),
        cluster_allow_location: spec
            .and_then(|s| s.entry("clusterResourceWhitelist"))
            .map(|e| object.locate(e.key.span)),
        object: idx,
    }
}

/// A pattern list with `!` negations: nothing negated matches, and something allowed does.
fn permitted(patterns: &[String], value: &str) -> bool {
    let denied = patterns
        .iter()
        .filter_map(|p| p.strip_prefix('!'))
        .any(|p| glob_match(p, value));
    !denied
        && patterns
            .iter()
            .filter(|p| !p.starts_with('!'))
            .any(|p| glob_match(p, value))
}

fn field_matches(pattern: Option<&str>, value: &str) -> bool {
    match pattern {
        None => true,
        Some(p) => glob_match(p.trim_start_matches('!'), value),
    }
}

impl ProjectDestination {
    fn negated(&self) -> bool {
        [&self.server, &self.name, &self.namespace]
            .iter()
            .any(|f| f.as_deref().is_some_and(|s| s.starts_with('!')))
    }

    fn matches(&self, server: &str, name: &str, namespace: &str) -> bool {
        let cluster = match (&self.server, &self.name) {
            (Some(s), _) if !s.is_empty() => field_matches(Some(s), server),
            (_, Some(n)) if !n.is_empty() => field_matches(Some(n), name),
            _ => false,
        };
        cluster && field_matches(self.namespace.as_deref(), namespace)
    }
}

fn kind_matches(list: &[GroupKind], group: &str, kind: &str, name: &str) -> bool {
    list.iter().any(|gk| {
        glob_match(&gk.group, group)
            && glob_match(&gk.kind, kind)
            && gk
                .name
                .as_deref()
                .is_none_or(|n| n.is_empty() || glob_match(n, name))
    })
}

/// The checks Argo CD makes against a project before it syncs.
pub trait ProjectRules {
    fn allows_destination(&self, server: &str, name: &str, namespace: &str) -> bool;
    fn allows_source_repo(&self, repo: &str) -> bool;
    fn allows_source_namespace(&self, namespace: &str, argocd_namespace: &str) -> bool;
    fn allows_kind(&self, namespaced: bool, group: &str, kind: &str, name: &str) -> bool;
}

impl ProjectRules for AppProject {
    fn allows_destination(&self, server: &str, name: &str, namespace: &str) -> bool {
        let denied = self
            .destinations
            .iter()
            .filter(|d| d.negated())
            .any(|d| d.matches(server, name, namespace));
        !denied
            && self
                .destinations
                .iter()
                .filter(|d| !d.negated())
                .any(|d| d.matches(server, name, namespace))
    }

    fn allows_source_repo(&self, repo: &str) -> bool {
        permitted(&self.source_repos, repo)
    }

    fn allows_source_namespace(&self, namespace: &str, argocd_namespace: &str) -> bool {
        namespace == argocd_namespace || permitted(&self.source_namespaces, namespace)
    }

    fn allows_kind(&self, namespaced: bool, group: &str, kind: &str, name: &str) -> bool {
        if namespaced {
            let allowed = self
                .namespace_allow
                .as_ref()
                .is_none_or(|allow| kind_matches(allow, group, kind, name));
            allowed && !kind_matches(&self.namespace_deny, group, kind, name)
        } else {
            // With no cluster allow list, Argo CD permits no cluster-scoped kind at all.
            kind_matches(&self.cluster_allow, group, kind, name)
                && !kind_matches(&self.cluster_deny, group, kind, name)
        }
    }
}
