//! The scanned tree as the render stage reads it: files by path, Kustomize directories (their
//! patches, and which of them another kustomization includes), Helm charts, and Argo CD's
//! directory-source `include`/`exclude` globs.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use crate::load::{FileId, Node, Sources};
use crate::model::glob::glob_match;

use super::argocd::repo::clean_relative;

pub use super::kustomize::KUSTOMIZATION_NAMES;

pub fn parent_dir(rel: &str) -> &str {
    rel.rsplit_once('/').map_or("", |(dir, _)| dir)
}

pub fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// Kustomization files by directory, and the files they name as patches.
pub struct Kustomizations {
    pub dirs: BTreeMap<String, FileId>,
    pub patches: HashSet<String>,
    /// Kustomization directories another kustomization includes (as a resource, base or
    /// component): not rendered on their own.
    pub included: BTreeSet<String>,
    /// Directories whose kustomization is a `kind: Component`: a piece other kustomizations
    /// include (`components:`), never built on its own.
    pub components: BTreeSet<String>,
}

pub fn kustomizations(sources: &Sources) -> Kustomizations {
    let mut dirs = BTreeMap::new();
    let mut patches = HashSet::new();
    let mut referenced = BTreeSet::new();
    let mut components = BTreeSet::new();
    for (id, file) in sources.iter() {
        // A chart's templates are not kustomizations, whatever their names.
        if file.generated {
            continue;
        }
        let name = file.rel.rsplit('/').next().unwrap_or("");
        if !KUSTOMIZATION_NAMES.contains(&name) {
            continue;
        }
        let dir = parent_dir(&file.rel).to_string();
        if let Some(root) = file.documents.first().and_then(|d| d.root.as_deref()) {
            if root.get("kind").and_then(Node::as_str) == Some("Component") {
                components.insert(dir.clone());
            }
            let mut add = |p: &str| {
                if let Some(n) = clean_relative(&join(&dir, p)) {
                    patches.insert(n);
                }
            };
            for item in root
                .get("patchesStrategicMerge")
                .map(Node::items)
                .unwrap_or(&[])
            {
                if let Some(p) = item.as_str() {
                    add(p);
                }
            }
            for key in ["resources", "bases", "components"] {
                for item in root.get(key).map(Node::items).unwrap_or(&[]) {
                    if let Some(n) = item.as_str().and_then(|p| clean_relative(&join(&dir, p))) {
                        referenced.insert(n);
                    }
                }
            }
            for key in ["patches", "patchesJson6902"] {
                for item in root.get(key).map(Node::items).unwrap_or(&[]) {
                    if let Some(p) = item.get("path").and_then(Node::as_str) {
                        add(p);
                    }
                }
            }
        }
        dirs.insert(dir, id);
    }
    let included = referenced
        .into_iter()
        .filter(|d| dirs.contains_key(d))
        .collect();
    Kustomizations {
        dirs,
        patches,
        included,
        components,
    }
}

/// The nearest directory at or above the file's (not above `stop`) that holds a kustomization.
pub fn kustomize_dir_of<'a>(k: &'a Kustomizations, rel: &str, stop: &str) -> Option<&'a str> {
    let mut dir = parent_dir(rel);
    loop {
        if let Some((d, _)) = k.dirs.get_key_value(dir) {
            return Some(d.as_str());
        }
        if dir == stop || dir.is_empty() {
            return None;
        }
        dir = parent_dir(dir);
    }
}

/// The deepest directory holding `rel` (below `stop`, or `stop` itself) that `units` names.
pub fn unit_dir_of<'a>(units: &globset::GlobSet, rel: &'a str, stop: &str) -> Option<&'a str> {
    if units.is_empty() {
        return None;
    }
    let mut dir = parent_dir(rel);
    while !dir.is_empty() && (stop.is_empty() || dir.len() >= stop.len()) {
        if units.is_match(dir) {
            return Some(dir);
        }
        if dir == stop {
            break;
        }
        dir = parent_dir(dir);
    }
    None
}

/// Files by relative path, sorted, for selecting a directory source's files by prefix.
pub struct FileIndex {
    pub sorted: Vec<(String, FileId)>,
}

impl FileIndex {
    pub fn new(sources: &Sources) -> Self {
        let mut sorted: Vec<(String, FileId)> =
            sources.iter().map(|(id, f)| (f.rel.clone(), id)).collect();
        // Each (path, id) is distinct: an unstable sort gives the one order there is.
        rayon::slice::ParallelSliceMut::par_sort_unstable(&mut sorted[..]);
        FileIndex { sorted }
    }

    /// Files under `dir` (direct children only unless `recurse`).
    pub fn under(&self, dir: &str, recurse: bool) -> Vec<(&str, FileId)> {
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        let start = self
            .sorted
            .partition_point(|(rel, _)| rel.as_str() < prefix.as_str());
        self.sorted[start..]
            .iter()
            .take_while(|(rel, _)| rel.starts_with(&prefix))
            .filter(|(rel, _)| recurse || !rel[prefix.len()..].contains('/'))
            .map(|(rel, id)| (&rel[prefix.len()..], *id))
            .collect()
    }

    pub fn contains(&self, rel: &str) -> bool {
        self.sorted
            .binary_search_by(|(r, _)| r.as_str().cmp(rel))
            .is_ok()
    }
}

/// An Argo CD directory source's `include`/`exclude`: globs, with `{a,b}` alternatives, on the
/// path relative to the source directory.
pub fn selected(rel: &str, include: Option<&str>, exclude: Option<&str>) -> bool {
    let any = |pattern: &str| {
        expand_braces(pattern)
            .iter()
            .any(|p| glob_match(p, rel) || glob_match(p, rel.rsplit('/').next().unwrap_or(rel)))
    };
    include.is_none_or(any) && !exclude.is_some_and(any)
}

fn expand_braces(pattern: &str) -> Vec<String> {
    let (Some(open), Some(close)) = (pattern.find('{'), pattern.find('}')) else {
        return vec![pattern.to_string()];
    };
    if close < open {
        return vec![pattern.to_string()];
    }
    pattern[open + 1..close]
        .split(',')
        .map(|alt| format!("{}{}{}", &pattern[..open], alt, &pattern[close + 1..]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deepest_unit_directory_below_the_path_argument_wins() {
        let mut b = globset::GlobSetBuilder::new();
        for g in ["clusters/*", "clusters/*/apps"] {
            let glob = globset::GlobBuilder::new(g)
                .literal_separator(true)
                .build()
                .expect("glob");
            b.add(glob);
        }
        let units = b.build().expect("set");
        assert_eq!(
            unit_dir_of(&units, "clusters/prod/a.yaml", ""),
            Some("clusters/prod")
        );
        assert_eq!(
            unit_dir_of(&units, "clusters/prod/apps/x/a.yaml", ""),
            Some("clusters/prod/apps")
        );
        assert_eq!(unit_dir_of(&units, "clusters/a.yaml", ""), None);
        assert_eq!(unit_dir_of(&units, "other/prod/a.yaml", ""), None);
        // Never above the path argument.
        assert_eq!(
            unit_dir_of(&units, "clusters/prod/x/a.yaml", "clusters/prod/x"),
            None
        );
        assert_eq!(
            unit_dir_of(&units, "clusters/prod/a.yaml", "clusters/prod"),
            Some("clusters/prod")
        );
    }

    #[test]
    fn include_exclude_globs() {
        assert!(selected("a.yaml", Some("{*.yml,*.yaml}"), None));
        assert!(!selected("a.json", Some("{*.yml,*.yaml}"), None));
        assert!(!selected("config.yaml", None, Some("config.yaml")));
        assert!(selected("sub/x.yaml", Some("*.yaml"), None));
    }
}
