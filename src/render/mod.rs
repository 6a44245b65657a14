//! Render: decide the render units of the scanned tree and turn each into objects placed on a
//! cluster and namespace. It owns provenance (which unit and file an object came from).
//!
//! Units today: each path argument is one unit of plain manifests, and each Kustomize directory
//! inside it is a unit of its own whose patch files are not objects (they are fragments applied
//! to another unit's objects, so counting them would report false duplicates).

use std::collections::{BTreeMap, HashSet};

use crate::load::{FileId, Location, Node, Sources, Span};
use crate::model::{
    Inventory, Object, ObjectId, RenderUnit, Scopes, UnitId, group_of, manifests_of,
};

/// The cluster name Argo CD gives the cluster it runs in; plain manifests land there.
pub const IN_CLUSTER: &str = "in-cluster";
pub const DEFAULT_NAMESPACE: &str = "default";

const KUSTOMIZATION_NAMES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// A path argument of the run, as the render stage needs it.
#[derive(Debug, Clone)]
pub struct Root {
    /// `/`-separated, relative to the scanned root (empty for the root itself).
    pub rel: String,
    /// As the user wrote it.
    pub display: String,
}

fn parent_dir(rel: &str) -> &str {
    rel.rsplit_once('/').map_or("", |(dir, _)| dir)
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// Normalises `a/b/../c` to `a/c`; `None` when it climbs above the start.
fn normalize(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// Kustomization files by directory, and the files they name as patches.
struct Kustomizations {
    dirs: BTreeMap<String, FileId>,
    patches: HashSet<String>,
}

fn kustomizations(sources: &Sources) -> Kustomizations {
    let mut dirs = BTreeMap::new();
    let mut patches = HashSet::new();
    for (id, file) in sources.iter() {
        let name = file.rel.rsplit('/').next().unwrap_or("");
        if !KUSTOMIZATION_NAMES.contains(&name) {
            continue;
        }
        let dir = parent_dir(&file.rel).to_string();
        let Some(root) = file.documents.first().and_then(|d| d.root.as_ref()) else {
            dirs.insert(dir, id);
            continue;
        };
        let mut add = |p: &str| {
            if let Some(n) = normalize(&join(&dir, p)) {
                patches.insert(n);
            }
        };
        for key in ["patchesStrategicMerge"] {
            for item in root.get(key).map(Node::items).unwrap_or(&[]) {
                if let Some(p) = item.as_str() {
                    add(p);
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
        dirs.insert(dir, id);
    }
    Kustomizations { dirs, patches }
}

/// The nearest directory at or above `dir` (not above `stop`) that holds a kustomization.
fn kustomize_dir_of<'a>(k: &'a Kustomizations, rel: &str, stop: &str) -> Option<&'a str> {
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

/// Builds the inventory of plain manifests: every object of every parsed file, in its unit.
pub fn plain_inventory(sources: Sources, roots: &[Root]) -> Inventory {
    let mut scopes = Scopes::default();
    for (_, file) in sources.iter() {
        for doc in &file.documents {
            let Some(root) = &doc.root else { continue };
            for m in manifests_of(root) {
                if Scopes::is_crd(m.api_version, m.kind) {
                    scopes.learn_crd(m.node);
                }
            }
        }
    }

    let k = kustomizations(&sources);
    let mut units: Vec<RenderUnit> = roots
        .iter()
        .map(|r| RenderUnit {
            name: format!("`{}`", r.display),
            location: None,
            cluster: IN_CLUSTER.to_string(),
            namespace: DEFAULT_NAMESPACE.to_string(),
        })
        .collect();
    let mut kustomize_units: BTreeMap<String, UnitId> = BTreeMap::new();

    let mut objects = Vec::new();
    for (file_id, file) in sources.iter() {
        if k.patches.contains(&file.rel) {
            continue;
        }
        let root_rel = roots.get(file.root).map_or("", |r| r.rel.as_str());
        let unit = match kustomize_dir_of(&k, &file.rel, root_rel) {
            Some(dir) => *kustomize_units.entry(dir.to_string()).or_insert_with(|| {
                let kfile = k.dirs[dir];
                units.push(RenderUnit {
                    name: format!("the kustomization `{}`", sources.get(kfile).display),
                    location: Some(Location {
                        file: kfile,
                        span: Span::new(0, 0),
                    }),
                    cluster: IN_CLUSTER.to_string(),
                    namespace: DEFAULT_NAMESPACE.to_string(),
                });
                UnitId(units.len() - 1)
            }),
            None => UnitId(file.root.min(units.len().saturating_sub(1))),
        };
        let (cluster, default_ns) = {
            let u = &units[unit.0];
            (u.cluster.clone(), u.namespace.clone())
        };
        for (doc_index, doc) in file.documents.iter().enumerate() {
            let Some(root) = &doc.root else { continue };
            for m in manifests_of(root) {
                let group = group_of(m.api_version);
                let namespaced = scopes.namespaced(group, m.kind).unwrap_or(true);
                let namespace = if namespaced {
                    m.namespace.unwrap_or(&default_ns).to_string()
                } else {
                    String::new()
                };
                objects.push(Object {
                    id: ObjectId {
                        cluster: cluster.clone(),
                        group: group.to_string(),
                        kind: m.kind.to_string(),
                        namespace,
                        name: m.name.to_string(),
                    },
                    api_version: m.api_version.to_string(),
                    node: m.node.clone(),
                    file: file_id,
                    doc_index,
                    list_item: m.list_item,
                    unit,
                    origin: None,
                    namespace_written: m.namespace.is_some(),
                });
            }
        }
    }
    Inventory::new(sources, units, objects, scopes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_paths() {
        assert_eq!(normalize("a/b/../c").as_deref(), Some("a/c"));
        assert_eq!(normalize("./a").as_deref(), Some("a"));
        assert_eq!(normalize("../a"), None);
    }
}
