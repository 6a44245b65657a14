//! Object identity: what makes two manifests "the same object" to Kubernetes and Argo CD.

use std::fmt;

/// `(cluster, group, kind, namespace, name)`. `namespace` is empty for cluster-scoped kinds.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectId {
    pub cluster: String,
    pub group: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl ObjectId {
    /// `kind/name` or `kind namespace/name`, as a person would say it.
    pub fn short(&self) -> String {
        if self.namespace.is_empty() {
            format!("{} `{}`", self.kind, self.name)
        } else {
            format!("{} `{}/{}`", self.kind, self.namespace, self.name)
        }
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} on cluster `{}`", self.short(), self.cluster)
    }
}

/// The group of an `apiVersion` (`apps/v1` → `apps`, `v1` → the core group, empty).
pub fn group_of(api_version: &str) -> &str {
    match api_version.rsplit_once('/') {
        Some((group, _version)) => group,
        None => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups() {
        assert_eq!(group_of("apps/v1"), "apps");
        assert_eq!(group_of("v1"), "");
        assert_eq!(group_of("argoproj.io/v1alpha1"), "argoproj.io");
    }
}
