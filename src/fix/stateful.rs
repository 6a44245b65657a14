//! The fix of `stateful-deletion-unprotected`: add `Prune=false` and/or `Delete=false` (what the
//! finding says is missing) to the object's `argocd.argoproj.io/sync-options` annotation.
//!
//! Safe: it changes nothing Argo CD deploys but the annotation that keeps the object out of a
//! prune or a cascading deletion. The options already there are kept as written; the new ones
//! are appended, comma-separated, the way gitops-engine reads the annotation
//! (`pkg/sync/resource/annotations.go`, `GetAnnotationCSVs`: split on `,`, each item trimmed,
//! empty items dropped).

use serde_json::Value;

use crate::diagnostic::Diagnostic;
use crate::model::Inventory;
use crate::rules::util::{self, SYNC_OPTIONS_ANNOTATION};

use super::edit::Edit;
use super::written::{change, object_of, refuse, written};
use super::{Fix, Fixable, NoFix};

const ANNOTATION_PATH: &[&str] = &["metadata", "annotations", SYNC_OPTIONS_ANNOTATION];

pub fn plan(inventory: &Inventory, diagnostic: &Diagnostic) -> Result<Fix, NoFix> {
    let (_, object) = object_of(inventory, diagnostic)?;
    let Some((_, app)) = util::live_app_of(inventory, object) else {
        return refuse("no Application deploys the object");
    };
    let missing = util::missing_deletion_options(object, app);
    if missing.is_empty() {
        return refuse("the object already has the sync options it needs");
    }
    let target = written(inventory, object, &[ANNOTATION_PATH])?;
    let edit = match target.node.path(ANNOTATION_PATH) {
        Some(node) => {
            let Some(current) = node.as_str() else {
                return refuse(format!(
                    "`{SYNC_OPTIONS_ANNOTATION}` is not a string: edit it by hand"
                ));
            };
            // Keep what is written, as written; only a trailing separator is not doubled.
            let kept = current.trim_end().trim_end_matches(',').trim_end();
            let value = if kept.is_empty() {
                missing.join(",")
            } else {
                format!("{kept},{}", missing.join(","))
            };
            Edit::Set {
                path: ANNOTATION_PATH.iter().map(|s| s.to_string()).collect(),
                value: Value::String(value),
            }
        }
        None => Edit::Add {
            path: vec!["metadata".into(), "annotations".into()],
            key: SYNC_OPTIONS_ANNOTATION.into(),
            value: Value::String(missing.join(",")),
        },
    };
    let file_change = change(inventory, &target, &[edit])?;
    Ok(Fix {
        rule: diagnostic.rule,
        safety: Fixable::Safe,
        title: format!(
            "add {} to the sync options of {} in {}",
            missing.join(" and "),
            object.id.short(),
            target.file.display
        ),
        caution: None,
        changes: vec![file_change],
    })
}
