//! The namespace Argo CD runs in, when the configuration does not say: inferred from the
//! repository's own Argo CD manifests (its `argocd-cm` ConfigMap, the operator's `ArgoCD`
//! resource, its AppProjects, its Applications). Reads loaded files only; never guesses silently —
//! the caller reports what was inferred and from where.

use std::collections::BTreeMap;

use rayon::prelude::*;

use crate::load::{FileId, Location, Sources};
use crate::model::object::manifests;

use super::APPLICATION_GROUP;

pub use crate::model::argocd::NamespaceOrigin;

/// Evidence, strongest first: Argo CD reads its settings (`argocd-cm` and its siblings) from
/// its own namespace; the operator installs Argo CD into the namespace of its `ArgoCD`
/// resource (OpenShift GitOps: `openshift-gitops`); Argo CD reads AppProjects only in its own
/// namespace; Applications usually live there too, but may not (apps in any namespace).
fn evidence_rank(api_version: &str, kind: &str, name: &str) -> Option<usize> {
    let group = api_version.split_once('/').map_or("", |(g, _)| g);
    let settings = [
        "argocd-cm",
        "argocd-cmd-params-cm",
        "argocd-rbac-cm",
        "argocd-secret",
    ];
    match (group, kind) {
        ("", "ConfigMap" | "Secret") if settings.contains(&name) => Some(0),
        (APPLICATION_GROUP, "ArgoCD") => Some(1),
        (APPLICATION_GROUP, "AppProject") => Some(2),
        (APPLICATION_GROUP, "Application" | "ApplicationSet") => Some(3),
        _ => None,
    }
}

/// The namespace most of the strongest evidence names, and the first place it is written.
/// Generated files (tool output) are not evidence: they are not the repository's manifests.
pub fn infer(sources: &Sources) -> Option<(String, Location)> {
    // The evidence of each file, found on every core, then counted in file order.
    let found: Vec<Vec<(usize, &str, Location)>> = (0..sources.len())
        .into_par_iter()
        .map(|i| {
            let file = FileId(i);
            let source = sources.get(file);
            let mut out = Vec::new();
            if source.generated {
                return out;
            }
            for doc in &source.documents {
                for m in manifests(doc) {
                    let Some(rank) = evidence_rank(m.api_version, m.kind, m.name) else {
                        continue;
                    };
                    let Some(ns_node) = m
                        .node
                        .path(&["metadata", "namespace"])
                        .filter(|n| n.as_str().is_some_and(is_namespace_name))
                    else {
                        continue;
                    };
                    let Some(ns) = ns_node.as_str() else { continue };
                    let at = Location {
                        file,
                        span: ns_node.span,
                    };
                    out.push((rank, ns, at));
                }
            }
            out
        })
        .collect();
    // rank → namespace → (count, first location)
    let mut seen: BTreeMap<usize, BTreeMap<String, (usize, Location)>> = BTreeMap::new();
    for (rank, ns, at) in found.into_iter().flatten() {
        seen.entry(rank)
            .or_default()
            .entry(ns.to_string())
            .and_modify(|(count, _)| *count += 1)
            .or_insert((1, at));
    }
    let (_, namespaces) = seen.into_iter().next()?;
    // The most named; on a tie, the one written first (files are in path order).
    namespaces
        .into_iter()
        .max_by(|(_, (ca, la)), (_, (cb, lb))| {
            ca.cmp(cb)
                .then_with(|| (lb.file, lb.span.start).cmp(&(la.file, la.span.start)))
        })
        .map(|(ns, (_, at))| (ns, at))
}

/// A plain DNS label: a template placeholder (`{{ .Release.Namespace }}`, `${NS}`) is not a
/// namespace.
fn is_namespace_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::parse_text;

    fn sources(files: &[(&str, &str)]) -> Sources {
        Sources::new(
            files
                .iter()
                .map(|(name, text)| {
                    parse_text(
                        name.to_string(),
                        name.to_string(),
                        (*text).into(),
                        Default::default(),
                    )
                })
                .collect(),
        )
    }

    fn inferred(files: &[(&str, &str)]) -> Option<(String, String)> {
        let s = sources(files);
        infer(&s).map(|(ns, at)| (ns, s.get(at.file).display.clone()))
    }

    const APP_IN_TEAM: &str = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: a\n  namespace: team-a\n";
    const PROJECT: &str = "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata:\n  name: p\n  namespace: openshift-gitops\n";
    // The OpenShift GitOps operator's instance: Argo CD runs in the namespace of its `ArgoCD`.
    const OPERATOR: &str = "apiVersion: argoproj.io/v1beta1\nkind: ArgoCD\nmetadata:\n  name: openshift-gitops\n  namespace: openshift-gitops\n";
    const SETTINGS: &str =
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-cm\n  namespace: gitops\n";

    #[test]
    fn the_strongest_evidence_names_the_namespace() {
        assert_eq!(
            inferred(&[("app.yaml", APP_IN_TEAM)]),
            Some(("team-a".into(), "app.yaml".into()))
        );
        assert_eq!(
            inferred(&[("app.yaml", APP_IN_TEAM), ("project.yaml", PROJECT)]),
            Some(("openshift-gitops".into(), "project.yaml".into()))
        );
        assert_eq!(
            inferred(&[("app.yaml", APP_IN_TEAM), ("argocd.yaml", OPERATOR)]),
            Some(("openshift-gitops".into(), "argocd.yaml".into()))
        );
        assert_eq!(
            inferred(&[
                ("cm.yaml", SETTINGS),
                ("argocd.yaml", OPERATOR),
                ("project.yaml", PROJECT)
            ]),
            Some(("gitops".into(), "cm.yaml".into()))
        );
    }

    #[test]
    fn placeholders_and_silence_are_no_evidence() {
        let templated = "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata:\n  name: p\n  namespace: '{{ .Release.Namespace }}'\n";
        let unnamespaced =
            "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata:\n  name: p\n";
        assert_eq!(
            inferred(&[("a.yaml", templated), ("b.yaml", unnamespaced)]),
            None
        );
    }

    #[test]
    fn the_most_named_namespace_wins_within_one_kind_of_evidence() {
        let app = |ns: &str| APP_IN_TEAM.replace("team-a", ns);
        assert_eq!(
            inferred(&[
                ("1.yaml", &app("team-a")),
                ("2.yaml", &app("argocd")),
                ("3.yaml", &app("argocd"))
            ]),
            Some(("argocd".into(), "2.yaml".into()))
        );
    }
}
