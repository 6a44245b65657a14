//! The inventory: every object the scanned tree deploys, with the files it came from and the
//! render units that produced it. Built once by the render stage, then read-only: rules share it
//! across threads.

use std::collections::{BTreeMap, HashMap};

use crate::load::{FileId, Location, Node, Sources};

use super::argocd::{AppIdx, AppProject, Application, Cluster, RenderNote};
use super::identity::{ObjectId, group_of};
use super::object::{Object, ObjectIdx, UnitId};

/// What produced a group of objects. Duplicate detection is per unit: one unit is one thing
/// Kubernetes receives in one apply.
#[derive(Debug, Clone)]
pub struct RenderUnit {
    /// A short description: the directory, or the Application.
    pub name: String,
    /// Where the unit is declared (the Application's name, the kustomization file).
    pub location: Option<Location>,
    pub cluster: String,
    /// The namespace given to namespaced objects that do not name one.
    pub namespace: String,
    /// The Application this unit renders, if any.
    pub app: Option<AppIdx>,
    /// For a directory of plain manifests: the directory, relative to the scanned root (the
    /// same on both sides of a diff, where the name shows a revision's path).
    pub dir: Option<String>,
}

/// Whether `(group, kind)` is namespaced: built-in kinds from k8s-openapi, plus the
/// CustomResourceDefinitions found in the tree.
#[derive(Debug, Clone)]
pub struct Scopes {
    known: HashMap<(String, String), bool>,
}

impl Default for Scopes {
    fn default() -> Self {
        let mut known = HashMap::new();
        for (group, kind, namespaced) in super::kinds::builtin() {
            known.insert((group.to_string(), kind.to_string()), namespaced);
        }
        Scopes { known }
    }
}

impl Scopes {
    /// `Some(true)` namespaced, `Some(false)` cluster-scoped, `None` unknown (a custom kind
    /// whose definition is not in the tree).
    pub fn namespaced(&self, group: &str, kind: &str) -> Option<bool> {
        self.known
            .get(&(group.to_string(), kind.to_string()))
            .copied()
    }

    /// Learns the scope of the custom kind a CustomResourceDefinition declares.
    pub fn learn_crd(&mut self, crd: &Node) {
        let spec = crd.get("spec");
        let group = spec.and_then(|s| s.get("group")).and_then(Node::as_str);
        let kind = spec
            .and_then(|s| s.path(&["names", "kind"]))
            .and_then(Node::as_str);
        let scope = spec.and_then(|s| s.get("scope")).and_then(Node::as_str);
        if let (Some(group), Some(kind)) = (group, kind) {
            self.known.insert(
                (group.to_string(), kind.to_string()),
                scope != Some("Cluster"),
            );
        }
    }

    pub fn is_crd(api_version: &str, kind: &str) -> bool {
        kind == "CustomResourceDefinition" && group_of(api_version) == "apiextensions.k8s.io"
    }
}

/// Where another inventory's files and objects start after [`Inventory::absorb`].
#[derive(Debug, Clone, Copy)]
pub struct Offsets {
    pub files: usize,
    pub objects: usize,
}

#[derive(Debug, Default)]
pub struct Inventory {
    pub sources: Sources,
    pub units: Vec<RenderUnit>,
    pub objects: Vec<Object>,
    pub scopes: Scopes,
    pub applications: Vec<Application>,
    pub projects: Vec<AppProject>,
    pub clusters: Vec<Cluster>,
    /// Whether any cluster was declared (a cluster Secret or the config), beyond `in-cluster`.
    pub clusters_declared: bool,
    pub notes: Vec<RenderNote>,
    /// Files an Application deploys (its directory source selects them) or a render of one
    /// read: a problem in them is a problem of that Application's deployment.
    pub deployed_files: std::collections::BTreeSet<FileId>,
    /// The namespace Argo CD runs in.
    pub argocd_namespace: String,
    /// Whether the configuration set it, or it was inferred or assumed.
    pub argocd_namespace_origin: crate::render::argocd::namespace::NamespaceOrigin,
    pub render_stats: crate::render::RenderStats,
    /// Set once another inventory was absorbed (a diff's base): what is this inventory's own.
    pub own: Option<Offsets>,
    by_id: BTreeMap<ObjectId, Vec<ObjectIdx>>,
    by_file: HashMap<FileId, Vec<ObjectIdx>>,
    by_unit: HashMap<UnitId, Vec<ObjectIdx>>,
}

impl Inventory {
    pub fn new(
        sources: Sources,
        units: Vec<RenderUnit>,
        objects: Vec<Object>,
        scopes: Scopes,
    ) -> Self {
        let mut by_id: BTreeMap<ObjectId, Vec<ObjectIdx>> = BTreeMap::new();
        let mut by_file: HashMap<FileId, Vec<ObjectIdx>> = HashMap::new();
        let mut by_unit: HashMap<UnitId, Vec<ObjectIdx>> = HashMap::new();
        for (i, o) in objects.iter().enumerate() {
            by_id.entry(o.id.clone()).or_default().push(ObjectIdx(i));
            by_file.entry(o.file).or_default().push(ObjectIdx(i));
            by_unit.entry(o.unit).or_default().push(ObjectIdx(i));
        }
        Inventory {
            sources,
            units,
            objects,
            scopes,
            applications: Vec::new(),
            projects: Vec::new(),
            clusters: Vec::new(),
            clusters_declared: false,
            notes: Vec::new(),
            deployed_files: Default::default(),
            argocd_namespace: "argocd".to_string(),
            argocd_namespace_origin: Default::default(),
            render_stats: Default::default(),
            own: None,
            by_id,
            by_file,
            by_unit,
        }
    }

    pub fn app(&self, idx: AppIdx) -> &Application {
        &self.applications[idx.0]
    }

    pub fn apps(&self) -> impl Iterator<Item = (AppIdx, &Application)> {
        self.applications
            .iter()
            .enumerate()
            .map(|(i, a)| (AppIdx(i), a))
    }

    /// Appends another inventory's files and objects (the base revision of a diff), so one
    /// report can point into both. The appended objects belong to one unit of their own and are
    /// not indexed: rules are not run on a merged inventory.
    pub fn absorb(&mut self, other: Inventory) -> Offsets {
        let offsets = Offsets {
            files: self.sources.len(),
            objects: self.objects.len(),
        };
        self.own.get_or_insert(offsets);
        let unit = UnitId(self.units.len());
        self.units.push(RenderUnit {
            dir: None,
            name: "the base revision".into(),
            location: None,
            cluster: String::new(),
            namespace: String::new(),
            app: None,
        });
        let Inventory {
            sources, objects, ..
        } = other;
        for (_, file) in sources.iter() {
            let mut file = file.clone();
            if let Some(rendered) = &mut file.rendered {
                rendered.shift(offsets.files);
            }
            self.sources.push(file);
        }
        for mut o in objects {
            o.file = FileId(o.file.0 + offsets.files);
            if let Some(origin) = &mut o.origin {
                origin.file = FileId(origin.file.0 + offsets.files);
            }
            if let Some((file, _)) = &mut o.source_doc {
                *file = FileId(file.0 + offsets.files);
            }
            o.unit = unit;
            self.objects.push(o);
        }
        offsets
    }

    /// The Applications Argo CD keeps (see `Application::is_live`).
    pub fn live_apps(&self) -> impl Iterator<Item = (AppIdx, &Application)> {
        self.apps().filter(|(_, a)| a.is_live())
    }

    /// The Application that renders an object, if any.
    pub fn app_of(&self, object: &Object) -> Option<&Application> {
        self.unit(object.unit).app.map(|a| self.app(a))
    }

    pub fn project(&self, namespace: &str, name: &str) -> Option<&AppProject> {
        // Argo CD looks projects up in its own namespace; an Application in another namespace
        // still names a project there.
        self.projects
            .iter()
            .rev()
            .find(|p| p.name == name && (p.namespace == namespace || namespace.is_empty()))
            .or_else(|| self.projects.iter().rev().find(|p| p.name == name))
    }

    pub fn cluster(&self, name: &str) -> Option<&Cluster> {
        self.clusters.iter().rev().find(|c| c.name == name)
    }

    pub fn object(&self, idx: ObjectIdx) -> &Object {
        &self.objects[idx.0]
    }

    pub fn unit(&self, id: UnitId) -> &RenderUnit {
        &self.units[id.0]
    }

    pub fn objects(&self) -> impl Iterator<Item = (ObjectIdx, &Object)> {
        self.objects
            .iter()
            .enumerate()
            .map(|(i, o)| (ObjectIdx(i), o))
    }

    /// Every identity with the objects that carry it, in identity order.
    pub fn by_identity(&self) -> impl Iterator<Item = (&ObjectId, &[ObjectIdx])> {
        self.by_id.iter().map(|(id, v)| (id, v.as_slice()))
    }

    pub fn with_identity(&self, id: &ObjectId) -> &[ObjectIdx] {
        self.by_id.get(id).map_or(&[], Vec::as_slice)
    }

    /// The objects a unit renders, in file and document order.
    pub fn in_unit(&self, unit: UnitId) -> &[ObjectIdx] {
        self.by_unit.get(&unit).map_or(&[], Vec::as_slice)
    }

    /// The objects read from one file, in document order.
    pub fn in_file(&self, file: FileId) -> &[ObjectIdx] {
        self.by_file.get(&file).map_or(&[], Vec::as_slice)
    }
}
