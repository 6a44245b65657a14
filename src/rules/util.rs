//! Helpers shared by rules: describing objects and lines the same way in every message.

use crate::diagnostic::{Diagnostic, Severity};
use crate::load::Location;
use crate::model::{Inventory, Object, ObjectIdx};
use crate::render::argocd::namespace::NamespaceOrigin;

/// `text` as a message quotes it: whole when short, else its first characters and its length.
/// A key or name can be a mebibyte long on one line; a message is read by a person.
pub fn shortened(text: &str) -> std::borrow::Cow<'_, str> {
    const SHOWN: usize = 80;
    match text.char_indices().nth(SHOWN) {
        None => std::borrow::Cow::Borrowed(text),
        Some((end, _)) => std::borrow::Cow::Owned(format!(
            "{}… ({} characters)",
            &text[..end],
            text.chars().count()
        )),
    }
}

/// `file:line`, as used inside messages that name another place.
pub fn file_line(inventory: &Inventory, location: Location) -> String {
    let file = inventory.sources.get(location.file);
    format!(
        "{}:{}",
        file.display,
        file.line_col(location.span.start).line
    )
}

/// The line of a location, 1-based.
pub fn line(inventory: &Inventory, location: Location) -> usize {
    inventory.sources.line_col(location).line
}

/// Whether the object was written by hand in a file of the tree (not rendered by a tool).
pub fn hand_written(object: &Object) -> bool {
    object.origin.is_none()
}

/// Argo CD's own kinds: Application, ApplicationSet, AppProject.
pub fn is_argocd_kind(object: &Object) -> bool {
    object.id.group == "argoproj.io"
        && matches!(
            object.id.kind.as_str(),
            "Application" | "ApplicationSet" | "AppProject"
        )
}

/// `Application `name``, with the namespace when it is not Argo CD's own.
pub fn app_name(inventory: &Inventory, app: &crate::model::Application) -> String {
    if app.namespace == inventory.argocd_namespace {
        format!("Application `{}`", app.name)
    } else {
        format!("Application `{}/{}`", app.namespace, app.name)
    }
}

pub use crate::model::is_stateful;

/// Where an object comes from, as a related location, in the one wording every rule uses: the
/// Application that deploys it ("rendered by Application `x`", at the Application's name), or,
/// for a tool's output that no Application deploys, the kustomization or chart that rendered it.
/// `None` for a file applied as it is, outside any Application: its own location says it all.
pub fn provenance(inventory: &Inventory, idx: ObjectIdx) -> Option<(Location, String)> {
    let object = inventory.object(idx);
    let unit = inventory.unit(object.unit);
    if let Some(app) = unit.app {
        let app = inventory.app(app);
        // An Application is not its own provenance (an app-of-apps child names its parent).
        if app.object == Some(idx) {
            return None;
        }
        return Some((
            app.locations.name,
            format!("rendered by {}", app_name(inventory, app)),
        ));
    }
    let at = unit.location.filter(|_| object.origin.is_some())?;
    Some((at, format!("rendered by {}", unit.name)))
}

/// ` (Application `x`)` when the change belongs to one.
pub fn in_app(change: &crate::diff::change::Change) -> String {
    change
        .application
        .as_ref()
        .map(|a| format!(" (Application `{a}`)"))
        .unwrap_or_default()
}

/// A finding that holds only if Argo CD runs in `inventory.argocd_namespace`: when that was
/// inferred or assumed rather than configured, it is a warning that says so, never an error.
pub fn on_argocd_namespace(inventory: &Inventory, mut d: Diagnostic) -> Diagnostic {
    let ns = &inventory.argocd_namespace;
    match inventory.argocd_namespace_origin {
        NamespaceOrigin::Config => d,
        NamespaceOrigin::Inferred(at) => {
            d.severity = Severity::Warning;
            d.message.push_str(&format!(
                " (Argo CD's namespace `{ns}` is inferred from {}; set `argocd-namespace` in .manifest-guard.yaml to make this an error)",
                file_line(inventory, at)
            ));
            d.with_related(
                at,
                format!("Argo CD's namespace inferred as `{ns}` from here"),
            )
        }
        NamespaceOrigin::Assumed => {
            d.severity = Severity::Warning;
            d.message.push_str(&format!(
                " (Argo CD's namespace is assumed to be `{ns}`: neither the configuration nor the repository says; set `argocd-namespace` in .manifest-guard.yaml)"
            ));
            d
        }
    }
}
