//! `manifest-guard render`: what the inventory holds — every Application (hand-written,
//! rendered by a parent, or generated) with its destination and origin, and the objects each
//! renders — as JSON (version 1, read by tests and tools) or YAML (for people).

use serde_json::{Value, json};

use crate::load::Location;
use crate::model::argocd::SourceKind;
use crate::model::{Inventory, Object};

fn position(inventory: &Inventory, loc: Location) -> (String, usize) {
    let file = inventory.sources.get(loc.file);
    (file.display.clone(), file.line_col(loc.span.start).line)
}

fn object_json(inventory: &Inventory, o: &Object) -> Value {
    let (file, line) = position(inventory, o.location());
    json!({
        "apiVersion": o.api_version,
        "kind": o.id.kind,
        "namespace": o.id.namespace,
        "name": o.id.name,
        "file": file,
        "line": line,
    })
}

fn kind_name(kind: &SourceKind) -> &'static str {
    match kind {
        SourceKind::Directory { .. } => "directory",
        SourceKind::Kustomize => "kustomize",
        SourceKind::Helm => "helm",
        SourceKind::Plugin(_) => "plugin",
        SourceKind::Ref => "ref",
    }
}

pub fn to_json(inventory: &Inventory) -> Value {
    let mut apps: Vec<_> = inventory.apps().collect();
    apps.sort_by(|(ia, a), (ib, b)| (&a.namespace, &a.name, ia).cmp(&(&b.namespace, &b.name, ib)));
    let applications: Vec<Value> = apps
        .iter()
        .map(|(_, app)| {
            let (file, line) = position(inventory, app.locations.name);
            let mut origin = json!({"file": file, "line": line});
            if let Some(g) = &app.origin.generator {
                origin["applicationSet"] = json!(g.appset);
                origin["generator"] = json!(g.element);
                if let Some(first) = &g.duplicate_of {
                    // The controller refuses a second Application of a name; only `first`'s exists.
                    origin["refusedDuplicateOf"] = json!(first);
                }
                if app.appset_replaced {
                    // A later definition of the ApplicationSet replaces the one that made this.
                    origin["applicationSetReplaced"] = json!(true);
                }
            }
            if let Some(parent) = app.origin.parent {
                origin["parent"] = json!(inventory.app(parent).name);
            }
            if let Some(root) = &app.origin.root {
                // No Application renders its app-of-apps root: it was applied by hand.
                origin["root"] = json!(format!("{root} (a root applied by hand)"));
            }
            if let Some(winner) = app.replaced_by {
                let (file, line) = position(inventory, inventory.app(winner).locations.name);
                origin["replacedBy"] = json!(format!("{file}:{line}"));
            }
            let sources: Vec<Value> = app
                .sources
                .iter()
                .map(|s| {
                    let mut v = json!({
                        "repoURL": s.repo_url,
                        "targetRevision": s.target_revision,
                        "kind": kind_name(&s.kind),
                    });
                    if let Some(p) = &s.path {
                        v["path"] = json!(p);
                    }
                    if let Some(c) = &s.chart {
                        v["chart"] = json!(c);
                    }
                    if let Some(r) = &s.ref_name {
                        v["ref"] = json!(r);
                    }
                    if let Some(d) = &s.local_dir {
                        v["localPath"] = json!(d);
                    }
                    v
                })
                .collect();
            let objects: Vec<Value> = inventory
                .in_unit(app.unit)
                .iter()
                .map(|&o| object_json(inventory, inventory.object(o)))
                .collect();
            json!({
                "name": app.name,
                "namespace": app.namespace,
                "project": app.project,
                "destination": {
                    "cluster": app.destination.cluster,
                    "server": app.destination.server_resolved,
                    "namespace": app.destination.namespace,
                },
                "sources": sources,
                "syncPolicy": {
                    "automated": app.sync.automated,
                    "prune": app.sync.prune,
                    "selfHeal": app.sync.self_heal,
                    "syncOptions": app.sync.options,
                },
                "origin": origin,
                "objects": objects,
            })
        })
        .collect();
    let objects: Vec<Value> = inventory
        .objects()
        .filter(|(_, o)| inventory.unit(o.unit).app.is_none())
        .map(|(_, o)| {
            let mut v = object_json(inventory, o);
            v["cluster"] = json!(o.id.cluster);
            v
        })
        .collect();
    let notes: Vec<Value> = inventory
        .notes
        .iter()
        .map(|n| {
            let (file, line) = position(inventory, n.location);
            json!({"file": file, "line": line, "message": n.message, "rendered": !n.not_rendered})
        })
        .collect();
    json!({
        "version": 1,
        "applications": applications,
        "objects": objects,
        "notes": notes,
    })
}

pub fn render_json(inventory: &Inventory) -> String {
    super::json_text(&to_json(inventory))
}

pub fn render_yaml(inventory: &Inventory) -> String {
    crate::load::yaml::emit(&to_json(inventory))
}
