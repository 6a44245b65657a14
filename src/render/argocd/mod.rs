//! Argo CD, modelled offline: Applications (and those an app-of-apps renders), clusters,
//! projects and which repository paths are local. Reads manifests; never talks to Argo CD.

pub mod application;
pub mod applicationset;
pub mod cluster;
pub mod namespace;
pub mod project;
pub mod repo;

pub const APPLICATION_GROUP: &str = "argoproj.io";

pub fn is_application(group: &str, kind: &str) -> bool {
    group == APPLICATION_GROUP && kind == "Application"
}

pub fn is_applicationset(group: &str, kind: &str) -> bool {
    group == APPLICATION_GROUP && kind == "ApplicationSet"
}

pub fn is_project(group: &str, kind: &str) -> bool {
    group == APPLICATION_GROUP && kind == "AppProject"
}
