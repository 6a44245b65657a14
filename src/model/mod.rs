//! The data model every stage shares: identities, objects with provenance, the inventory.

pub mod argocd;
pub mod glob;
pub mod identity;
pub mod inventory;
pub mod kinds;
pub mod object;
pub mod options;

pub use argocd::{AppIdx, AppProject, Application, Cluster, RenderNote};
pub use identity::{ObjectId, group_of};
pub use inventory::{ConfigFinding, Inventory, Reach, Reaches, RenderStats, RenderUnit, Scopes};
pub use object::{
    IGNORE_ANNOTATION, Manifest, Object, ObjectIdx, UnitId, is_stateful, manifests, manifests_of,
};
pub use options::{RuleOptions, TrackingMethod};
