//! Helpers shared by rules: describing objects and lines the same way in every message.

use crate::diagnostic::{Diagnostic, Severity};
use crate::load::Location;
use crate::model::{Inventory, Object};
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

/// Where a change is shown: the head's object, or the base's for what goes away.
pub fn change_location(
    set: &crate::diff::change::ChangeSet,
    change: &crate::diff::change::Change,
) -> Option<(crate::model::ObjectIdx, Location)> {
    let idx = change.head.or(change.base)?;
    Some((idx, set.inventory.object(idx).name_location()))
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

// --- data protection ---

/// The annotation that carries an object's own Argo CD sync options.
pub const SYNC_OPTIONS_ANNOTATION: &str = "argocd.argoproj.io/sync-options";

/// The sync options written on an object, as Argo CD reads them: the annotation's value split on
/// commas, each item trimmed, empty items dropped (gitops-engine `pkg/sync/resource`
/// `GetAnnotationCSVs`, which `HasAnnotationOption` compares whole items against).
pub fn object_sync_options(object: &Object) -> Vec<&str> {
    object
        .annotation(SYNC_OPTIONS_ANNOTATION)
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

/// Whether the object's `argocd.argoproj.io/sync-options` holds `option` (`Prune=false`).
pub fn has_object_sync_option(object: &Object, option: &str) -> bool {
    object_sync_options(object).contains(&option)
}

/// Where a finding about an object's sync options points: the annotation's value, or the
/// object's name when it has none.
pub fn sync_options_location(object: &Object) -> Location {
    object
        .node
        .path(&["metadata", "annotations", SYNC_OPTIONS_ANNOTATION])
        .map_or_else(|| object.name_location(), |n| object.locate(n.span))
}

/// The Application Argo CD keeps that deploys `object`, if any.
pub fn live_app_of<'a>(
    inventory: &'a Inventory,
    object: &Object,
) -> Option<(crate::model::AppIdx, &'a crate::model::Application)> {
    let idx = inventory.unit(object.unit).app?;
    let app = inventory.app(idx);
    app.is_live().then_some((idx, app))
}

/// The ApplicationSet object that generated `app`, when it is generated.
pub fn appset_of<'a>(
    inventory: &'a Inventory,
    app: &crate::model::Application,
) -> Option<&'a Object> {
    let generated = app.origin.generator.as_ref()?;
    inventory.objects.iter().find(|o| {
        o.id.group == "argoproj.io"
            && o.id.kind == "ApplicationSet"
            && o.name_location() == generated.appset_at
    })
}

/// Where a key of an Application's `spec` is written: in the Application's own manifest, or for
/// a generated one in its ApplicationSet's `spec.template.spec` (the line every generated
/// Application comes from). `key_of_last` points at the last key rather than its value. Falls
/// back to the Application's name (a key set by `templatePatch` or a parent's render has no
/// line of its own).
pub fn app_spec_location(
    inventory: &Inventory,
    app: &crate::model::Application,
    path: &[&str],
    key_of_last: bool,
) -> Location {
    let find = |object: &Object, prefix: &[&str]| -> Option<Location> {
        let (last, parents) = path.split_last()?;
        let mut full: Vec<&str> = prefix.to_vec();
        full.extend_from_slice(parents);
        let parent = object.node.path(&full)?;
        let entry = parent.entry(last)?;
        let node = if key_of_last {
            &entry.key
        } else {
            &entry.value
        };
        Some(object.locate(node.span))
    };
    let written = app
        .object
        .and_then(|o| find(inventory.object(o), &["spec"]));
    written
        .or_else(|| appset_of(inventory, app).and_then(|o| find(o, &["spec", "template", "spec"])))
        .unwrap_or(app.locations.name)
}

/// Where one item of an Application's `spec.syncPolicy.syncOptions` is written (the item equal
/// to `option`), or the list, or the Application's name.
pub fn app_sync_option_location(
    inventory: &Inventory,
    app: &crate::model::Application,
    option: &str,
) -> Location {
    let find = |object: &Object, prefix: &[&str]| -> Option<Location> {
        let mut full: Vec<&str> = prefix.to_vec();
        full.extend_from_slice(&["syncPolicy", "syncOptions"]);
        let list = object.node.path(&full)?;
        let at = list
            .items()
            .iter()
            .find(|i| i.as_str() == Some(option))
            .map_or(list.span, |i| i.span);
        Some(object.locate(at))
    };
    app.object
        .and_then(|o| find(inventory.object(o), &["spec"]))
        .or_else(|| appset_of(inventory, app).and_then(|o| find(o, &["spec", "template", "spec"])))
        .unwrap_or(app.locations.name)
}

/// Whether deleting `app` deletes what it deployed: it carries the
/// `resources-finalizer.argocd.argoproj.io` finalizer, or an ApplicationSet generated it without
/// `preserveResourcesOnDeletion` from a template that names no finalizer — the ApplicationSet
/// controller then adds that finalizer itself (argo-cd `applicationset/utils/utils.go`
/// `RenderTemplateParams`: "Add the 'resources-finalizer' finalizer if the template application
/// doesn't have any finalizers, and there is no syncPolicy or preserveResourcesOnDeletion is
/// false").
pub fn deletion_cascades(app: &crate::model::Application) -> bool {
    app.has_cascade_finalizer()
        || app
            .origin
            .generator
            .as_ref()
            .is_some_and(|g| !g.preserve_resources && app.finalizers.is_empty())
}

/// Whether deleting the object deletes data: a claim; a volume whose
/// `persistentVolumeReclaimPolicy` is `Delete` (or the deprecated `Recycle`); a StatefulSet whose
/// `persistentVolumeClaimRetentionPolicy.whenDeleted` is `Delete`. A StatefulSet deleted with the
/// default `Retain` leaves its claims, and a StatefulSet of the same name adopts them again
/// (Kubernetes, StatefulSets "PersistentVolumeClaim retention"); a volume written by hand defaults
/// to `Retain`, and deleting its object leaves the disk (Persistent Volumes, "Reclaiming").
pub fn deletion_loses_data(object: &Object) -> bool {
    if !is_stateful(object) {
        return false;
    }
    let text = |path: &[&str]| object.node.path(path).and_then(|n| n.as_str());
    match object.id.kind.as_str() {
        "StatefulSet" => {
            text(&[
                "spec",
                "persistentVolumeClaimRetentionPolicy",
                "whenDeleted",
            ]) == Some("Delete")
        }
        "PersistentVolume" => matches!(
            text(&["spec", "persistentVolumeReclaimPolicy"]),
            Some("Delete" | "Recycle")
        ),
        _ => true,
    }
}

/// The Applications (with their stateful objects) whose setting is written at one line: a
/// generated Application's is in its ApplicationSet's template, shared by all it generates.
pub type AppsAtLine = (
    Location,
    Vec<(crate::model::AppIdx, Vec<crate::model::ObjectIdx>)>,
);
