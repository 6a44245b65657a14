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

/// Argo CD's `globMatch(pattern, val, allowNegation, separators...)`
/// (pkg/apis/application/v1alpha1/app_project_types.go): a pattern starting with `!` matches
/// every value the rest does not match; `*` alone matches anything.
fn glob_negatable(pattern: &str, value: &str, separator: Option<u8>) -> bool {
    if let Some(rest) = pattern.strip_prefix('!') {
        return !glob_with(rest, value, separator);
    }
    pattern == "*" || glob_with(pattern, value, separator)
}

fn glob_with(pattern: &str, value: &str, separator: Option<u8>) -> bool {
    match separator {
        None => glob_match(pattern, value),
        Some(sep) => glob_match_separated(pattern, value, sep),
    }
}

/// gobwas/glob compiled with a separator, as Argo CD matches `sourceRepos`: `*` and `?` stop at
/// the separator, `**` crosses it.
fn glob_match_separated(pattern: &str, value: &str, sep: u8) -> bool {
    let (p, t) = (pattern.as_bytes(), value.as_bytes());
    // The set of text positions reachable after each pattern token: linear in pattern × text,
    // no backtracking, and patterns and URLs are short.
    let mut reach = vec![false; t.len() + 1];
    reach[0] = true;
    let mut pi = 0;
    while pi < p.len() {
        let mut next = vec![false; t.len() + 1];
        if p[pi] == b'*' {
            let crosses = p.get(pi + 1) == Some(&b'*');
            let mut ti = 0;
            while ti <= t.len() {
                if reach[ti] {
                    next[ti] = true;
                    let mut j = ti;
                    while j < t.len() && (crosses || t[j] != sep) {
                        j += 1;
                        next[j] = true;
                    }
                }
                ti += 1;
            }
            pi += if crosses { 2 } else { 1 };
        } else {
            for ti in 0..t.len() {
                if reach[ti] && ((p[pi] == b'?' && t[ti] != sep) || p[pi] == t[ti]) {
                    next[ti + 1] = true;
                }
            }
            pi += 1;
        }
        reach = next;
    }
    reach[t.len()]
}

/// Argo CD's `git.NormalizeGitURL`, as far as matching needs it: case and a `.git` suffix do
/// not make another repository.
fn normalize_repo(url: &str) -> String {
    let url = url.trim().to_ascii_lowercase();
    let url = url.trim_end_matches('/');
    url.strip_suffix(".git").unwrap_or(url).to_string()
}

/// `AppProject.IsSourcePermitted`: a `!` pattern that the repository matches refuses it at
/// once; otherwise any pattern that matches (a `!` pattern matches what it does not name)
/// permits it. So a list of only `!` patterns permits every repository it does not name.
fn source_repo_permitted(patterns: &[String], repo: &str) -> bool {
    let repo = normalize_repo(repo);
    let mut any = false;
    for pattern in patterns {
        let normalized = match pattern.strip_prefix('!') {
            Some(rest) => format!("!{}", normalize_repo(rest)),
            None => normalize_repo(pattern),
        };
        if glob_negatable(&normalized, &repo, Some(b'/')) {
            any = true;
        } else if normalized.starts_with('!') {
            return false;
        }
    }
    any
}

/// `AppProject.IsAppNamespacePermitted` → `glob.MatchStringInList(sourceNamespaces, ns,
/// glob.REGEXP)` (util/glob/list.go): a glob, or a regular expression written `/…/`. There is no
/// `!` negation here: `!team-a` names no namespace.
fn source_namespace_permitted(patterns: &[String], namespace: &str) -> bool {
    patterns.iter().any(|p| {
        let regex = p.len() >= 2 && p.starts_with('/') && p.ends_with('/');
        (regex && regex::Regex::new(&p[1..p.len() - 1]).is_ok_and(|re| re.is_match(namespace)))
            || glob_match(p, namespace)
    })
}

fn is_deny(pattern: Option<&str>) -> bool {
    pattern.is_some_and(|p| p.starts_with('!'))
}

/// `AppProject.isDestinationMatched`: a destination is permitted when some entry matches it
/// (server or name, and namespace — a `!` field matches what it does not name) and no entry
/// with a `!` field fails on that field. `server` and `name` are the Application's, empty when
/// it has none.
fn destination_matched(
    destinations: &[ProjectDestination],
    server: &str,
    name: &str,
    namespace: &str,
) -> bool {
    let mut any = false;
    let mut no_deny = true;
    for item in destinations {
        let (item_server, item_name, item_namespace) = (
            item.server.as_deref(),
            item.name.as_deref(),
            item.namespace.as_deref(),
        );
        let name_matched = !name.is_empty() && glob_negatable(item_name.unwrap_or(""), name, None);
        let server_matched =
            !server.is_empty() && glob_negatable(item_server.unwrap_or(""), server, None);
        let namespace_matched = glob_negatable(item_namespace.unwrap_or(""), namespace, None);
        if (server_matched || name_matched) && namespace_matched {
            any = true;
        } else if (!name_matched && is_deny(item_name))
            || (!server_matched && is_deny(item_server))
            || (!namespace_matched && is_deny(item_namespace))
        {
            no_deny = false;
        }
    }
    any && no_deny
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
        destination_matched(&self.destinations, server, name, namespace)
    }

    fn allows_source_repo(&self, repo: &str) -> bool {
        source_repo_permitted(&self.source_repos, repo)
    }

    fn allows_source_namespace(&self, namespace: &str, argocd_namespace: &str) -> bool {
        namespace.is_empty()
            || namespace == argocd_namespace
            || source_namespace_permitted(&self.source_namespaces, namespace)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn dest(server: Option<&str>, name: Option<&str>, namespace: &str) -> ProjectDestination {
        ProjectDestination {
            server: server.map(str::to_string),
            name: name.map(str::to_string),
            namespace: Some(namespace.to_string()),
        }
    }

    const IN_CLUSTER: &str = "https://kubernetes.default.svc";

    /// (what, destinations, server, name, namespace, permitted)
    type Case<'a> = (
        &'a str,
        &'a [ProjectDestination],
        &'a str,
        &'a str,
        &'a str,
        bool,
    );

    // Argo CD, pkg/apis/application/v1alpha1/app_project_types.go, `isDestinationMatched` and
    // `globMatch(pattern, val, allowNegation=true)`: an entry whose field starts with `!`
    // matches every value the rest does not name, so an entry `{server: '*', namespace:
    // '!kube-system'}` is itself an allow rule for every other namespace; an entry with a `!`
    // field that fails on that field refuses the destination whatever else matches. The
    // documentation (user-guide/projects.md) only shows deny entries next to an allow entry;
    // the source permits with deny entries alone, and we follow the source.
    #[test]
    fn destinations_match_as_argo_cds_is_destination_matched() {
        let deny_kube_system = [dest(Some("*"), None, "!kube-system")];
        let deny_and_allow = [
            dest(Some("*"), None, "*"),
            dest(Some("*"), None, "!kube-system"),
        ];
        let deny_cluster = [
            dest(Some("*"), None, "*"),
            dest(Some("!https://prod.example.com"), None, "*"),
        ];
        let deny_by_name = [dest(None, Some("!prod"), "*")];
        let other_cluster_deny = [
            dest(Some(IN_CLUSTER), None, "team-*"),
            dest(Some("https://other.example.com"), None, "!kube-system"),
        ];
        #[rustfmt::skip]
        let cases: &[Case<'_>] = &[
            // (what, destinations, server, name, namespace, permitted)
            ("all negated: another namespace", &deny_kube_system, IN_CLUSTER, "in-cluster", "default", true),
            ("all negated: the negated namespace", &deny_kube_system, IN_CLUSTER, "in-cluster", "kube-system", false),
            ("mixed: another namespace", &deny_and_allow, IN_CLUSTER, "", "apps", true),
            ("mixed: the negated namespace wins over `*`", &deny_and_allow, IN_CLUSTER, "", "kube-system", false),
            ("negated server: another cluster", &deny_cluster, "https://dev.example.com", "", "apps", true),
            ("negated server: that cluster", &deny_cluster, "https://prod.example.com", "", "apps", false),
            ("negated name: another cluster", &deny_by_name, IN_CLUSTER, "dev", "apps", true),
            ("negated name: that cluster", &deny_by_name, "https://prod.example.com", "prod", "apps", false),
            // A deny entry for another server does not apply: its server does not match, and
            // only the `!` field failing refuses.
            ("deny of another server", &other_cluster_deny, IN_CLUSTER, "", "team-a", true),
            ("no entry matches", &other_cluster_deny, IN_CLUSTER, "", "default", false),
            ("nothing listed", &[], IN_CLUSTER, "in-cluster", "default", false),
        ];
        for (what, destinations, server, name, namespace, permitted) in cases {
            assert_eq!(
                destination_matched(destinations, server, name, namespace),
                *permitted,
                "{what}"
            );
        }
    }

    // Argo CD, app_project_types.go `IsSourcePermitted`: repository URLs are normalised
    // (`git.NormalizeGitURL`) and matched with `globMatch(…, true, '/')` — `*` stops at `/`;
    // a `!` pattern the repository matches returns false at once, and otherwise any matching
    // pattern permits (a `!` pattern matches every repository it does not name).
    #[test]
    fn source_repos_match_as_argo_cds_is_source_permitted() {
        let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        #[rustfmt::skip]
        let cases: &[(&str, &[&str], &str, bool)] = &[
            ("all negated: another repository", &["!https://github.com/evil/*"], "https://github.com/org/apps.git", true),
            ("all negated: the negated one", &["!https://github.com/evil/*"], "https://github.com/evil/x", false),
            ("mixed: the deny wins", &["https://github.com/org/*", "!https://github.com/org/secret"], "https://github.com/org/secret.git", false),
            ("mixed: allowed", &["https://github.com/org/*", "!https://github.com/org/secret"], "https://github.com/org/apps", true),
            ("`*` stops at `/`", &["https://github.com/*"], "https://github.com/org/apps", false),
            ("`**` crosses `/`", &["https://github.com/**"], "https://github.com/org/apps", true),
            ("case and .git", &["https://GitHub.com/Org/Apps.git"], "https://github.com/org/apps", true),
            ("`*` alone", &["*"], "git@github.com:org/apps.git", true),
            ("nothing listed", &[], "https://github.com/org/apps", false),
        ];
        for (what, patterns, repo, permitted) in cases {
            assert_eq!(
                source_repo_permitted(&strings(patterns), repo),
                *permitted,
                "{what}"
            );
        }
    }

    // Argo CD, app_project_types.go `IsAppNamespacePermitted` → util/glob/list.go
    // `MatchStringInList(…, glob.REGEXP)`: globs, and `/…/` regular expressions; no negation.
    #[test]
    fn source_namespaces_match_as_argo_cds_is_app_namespace_permitted() {
        let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        #[rustfmt::skip]
        let cases: &[(&[&str], &str, bool)] = &[
            (&["team-*"], "team-a", true),
            (&["/^team-[a-z]+$/"], "team-a", true),
            (&["/^team-[a-z]+$/"], "team-1", false),
            (&["!team-a"], "team-b", false),
            (&["!team-a"], "team-a", false),
        ];
        for (patterns, namespace, permitted) in cases {
            assert_eq!(
                source_namespace_permitted(&strings(patterns), namespace),
                *permitted,
                "{patterns:?} {namespace}"
            );
        }
    }
}
