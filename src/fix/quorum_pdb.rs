//! The fix of `quorum-pdb-missing`: a new file `pdb-<name>.yaml` beside the StatefulSet's, with
//! a `policy/v1` PodDisruptionBudget that keeps its quorum (`minAvailable: ⌊n/2⌋+1`), listed in
//! the directory's `kustomization.yaml` when there is one.
//!
//! Unsafe: it adds an object to the cluster, and a person should check what it selects. The
//! selector is the StatefulSet's own `spec.selector.matchLabels` (the API requires the pod
//! template's labels to carry them, and they cannot change), or, when the selector is not plain
//! `matchLabels`, the pod template's labels: either way the pods the finding is about, and not
//! a version label that a rollout changes under the budget.

use serde_json::{Map, Value};

use crate::diagnostic::Diagnostic;
use crate::load::Node;
use crate::model::Inventory;
use crate::model::argocd::SourceKind;
use crate::rules::util::{self, PodIndex, PodOwner};

use super::edit::{self, Edit};
use super::written::{dir_of, disk_path, file_at, in_tree, join, object_of, refuse, written};
use super::{FileChange, Fix, Fixable, NoFix};

/// The names Kustomize looks for in a directory, in its order (`konfig.RecognizedKustomizationFileNames`).
const KUSTOMIZATION_FILES: &[&str] = &["kustomization.yaml", "kustomization.yml", "Kustomization"];

pub fn plan(inventory: &Inventory, diagnostic: &Diagnostic) -> Result<Fix, NoFix> {
    let (idx, object) = object_of(inventory, diagnostic)?;
    // The pods of the StatefulSet's namespace, as the rule reads them (one index of the run).
    let Some(ns) = PodIndex::namespace_of(inventory, idx) else {
        return refuse("the StatefulSet is in no namespace of the inventory");
    };
    let Some(owner) = ns.owners.iter().find(|o| o.idx == idx) else {
        return refuse("the object runs no pods");
    };
    let Some(n) = util::quorum_size(owner, inventory.options.quorum_replicas) else {
        return refuse("the object is not a quorum StatefulSet");
    };
    let target = written(inventory, object, &[])?;
    // As written: a kustomization's `commonLabels` apply to the budget as to the StatefulSet.
    let Some(labels) = selector_labels(target.node.path(&["spec", "selector"])).or_else(|| {
        plain_labels(
            target
                .node
                .path(&["spec", "template", "metadata", "labels"]),
        )
    }) else {
        return refuse(
            "the pod template has no labels a budget can select by: write the budget by hand",
        );
    };
    if let Some(app) = util::live_app_of(inventory, object).map(|(_, a)| a) {
        let filtered = app.sources.iter().any(|s| {
            matches!(&s.kind, SourceKind::Directory { include, exclude, .. }
                if include.is_some() || exclude.is_some())
        });
        if filtered {
            return refuse(format!(
                "{} reads its directory through `directory.include`/`exclude`: a new file may not be deployed; write the budget where those patterns take it",
                util::app_name(inventory, app)
            ));
        }
    }
    let dir = dir_of(&target.file.rel);
    let kustomization = KUSTOMIZATION_FILES
        .iter()
        .find_map(|name| file_at(inventory, &join(dir, name)));
    let listed_elsewhere = object.origin.is_some() && kustomization.is_none();
    if listed_elsewhere {
        return refuse(format!(
            "{} is rendered by a kustomization in another directory: add the budget to the kustomization that lists {}",
            object.id.short(),
            target.file.display
        ));
    }
    let in_tree = |rel: &str| in_tree(inventory, rel);
    if kustomization.is_none()
        && KUSTOMIZATION_FILES
            .iter()
            .any(|name| in_tree(&join(dir, name)))
    {
        return refuse(format!(
            "the kustomization of {} was not read: add the budget to it by hand",
            if dir.is_empty() { "." } else { dir }
        ));
    }
    // The names as written: a kustomization's `namePrefix` and `namespace` apply to the budget
    // as they do to the StatefulSet.
    let written_name = target
        .node
        .path(&["metadata", "name"])
        .and_then(Node::as_str)
        .unwrap_or(&object.id.name);
    let written_namespace = target
        .node
        .path(&["metadata", "namespace"])
        .and_then(Node::as_str)
        .filter(|ns| !ns.is_empty());
    let stem: String = written_name
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
        .collect();
    let stem = stem.trim_start_matches('.');
    let file_name = (1..)
        .map(|i| {
            if i == 1 {
                format!("pdb-{stem}.yaml")
            } else {
                format!("pdb-{stem}-{i}.yaml")
            }
        })
        .find(|name| !in_tree(&join(dir, name)))
        .unwrap_or_else(|| format!("pdb-{stem}.yaml"));
    // The budget counts every pod of the namespace its selector matches, as the disruption
    // controller does: with other workloads' pods among them, `minAvailable` is every matched
    // pod but the members the quorum can spare, or it would let the quorum go (the rule
    // `pdb-quorum-unsafe` checks the same arithmetic).
    let matched: Vec<&PodOwner<'_>> = ns
        .owners
        .iter()
        .filter(|o| labels.iter().all(|(k, v)| o.labels.get(k) == v.as_str()))
        .collect();
    let Some(total) = matched.iter().map(|o| o.replicas).sum::<Option<u64>>() else {
        return refuse(
            "the StatefulSet's labels also select pods whose count the manifests do not fix (a DaemonSet): write the budget by hand",
        );
    };
    let quorum = total.max(n) - util::quorum_tolerates(n);
    let others: Vec<String> = matched
        .iter()
        .filter(|o| o.idx != idx)
        .map(|o| o.object.id.short())
        .collect();
    // The StatefulSet's name, unless a budget of the namespace has it (two definitions of one
    // object would be `duplicate-resource`): then `<name>-quorum`, `<name>-quorum-2`… Compared
    // as rendered, with the prefix and suffix a kustomization adds to the StatefulSet's name.
    let (prefix, suffix) = match object.id.name.find(written_name) {
        Some(at) => (
            &object.id.name[..at],
            &object.id.name[at + written_name.len()..],
        ),
        None => ("", ""),
    };
    let taken = |name: &str| {
        let rendered = format!("{prefix}{name}{suffix}");
        ns.budgets.iter().any(|b| b.object.id.name == rendered)
    };
    let pdb_name = std::iter::once(written_name.to_string())
        .chain((1..).map(|i| {
            if i == 1 {
                format!("{written_name}-quorum")
            } else {
                format!("{written_name}-quorum-{i}")
            }
        }))
        .find(|name| !taken(name))
        .unwrap_or_else(|| format!("{written_name}-quorum"));
    let mut metadata = Map::new();
    metadata.insert("name".into(), Value::from(pdb_name.as_str()));
    if let Some(ns) = written_namespace {
        metadata.insert("namespace".into(), Value::from(ns));
    }
    let mut manifest = Map::new();
    manifest.insert("apiVersion".into(), Value::from("policy/v1"));
    manifest.insert("kind".into(), Value::from("PodDisruptionBudget"));
    manifest.insert("metadata".into(), Value::Object(metadata));
    let mut spec = Map::new();
    spec.insert("minAvailable".into(), Value::from(quorum));
    let mut selector = Map::new();
    selector.insert("matchLabels".into(), Value::Object(labels));
    spec.insert("selector".into(), Value::Object(selector));
    manifest.insert("spec".into(), Value::Object(spec));
    let mut text = edit::block(&Value::Object(manifest), true);
    if target.file.text.contains("\r\n") {
        text = text.replace('\n', "\r\n");
    }
    let rel = join(dir, &file_name);
    let display = join(dir_of(&target.file.display), &file_name);
    let mut changes = vec![FileChange {
        path: disk_path(inventory, &rel),
        display: display.clone(),
        before: None,
        after: Some(text),
    }];
    if let Some(k) = kustomization {
        let edit = Edit::Append {
            path: vec!["resources".into()],
            value: Value::from(file_name.clone()),
        };
        let after = edit::edit_document(&k.text, &k.documents, 0, &[edit]).map_err(|e| NoFix {
            reason: format!("{}: {e}", k.display),
        })?;
        changes.push(FileChange {
            path: disk_path(inventory, &k.rel),
            display: k.display.clone(),
            before: Some(k.text.clone()),
            after: Some(after),
        });
    }
    let caution = if others.is_empty() {
        format!(
            "a new object: check that its selector picks only the pods of StatefulSet `{}`, and that {quorum} of {n} members is the quorum it keeps",
            object.id.name
        )
    } else {
        format!(
            "a new object whose selector also picks the pods of {} ({total} pods in all, so `minAvailable: {quorum}`): give StatefulSet `{}` a label of its own and select by it",
            others.join(", "),
            object.id.name
        )
    };
    // A budget of the namespace that selects no pod was perhaps meant for this StatefulSet
    // (`pdb-selects-nothing`): correcting its selector may be the better fix.
    let stray: Vec<String> = ns
        .budgets
        .iter()
        .filter(|b| ns.selected(b).is_some_and(|s| s.is_empty()))
        .map(|b| format!("`{}`", b.object.id.name))
        .collect();
    let stray = if stray.is_empty() {
        String::new()
    } else {
        format!(
            "; PodDisruptionBudget {} of the namespace selects no pod: if it was meant for this StatefulSet, correct its selector instead",
            stray.join(", ")
        )
    };
    Ok(Fix {
        rule: diagnostic.rule,
        safety: Fixable::Unsafe,
        title: format!(
            "add PodDisruptionBudget `{pdb_name}` (minAvailable: {quorum}) in {display}{}",
            kustomization.map_or(String::new(), |k| format!(", listed in {}", k.display))
        ),
        caution: Some(format!("{caution}{stray}")),
        changes,
    })
}

/// `matchLabels` of a selector that is only that, as a map of strings.
fn selector_labels(selector: Option<&Node>) -> Option<Map<String, Value>> {
    let selector = selector?;
    if selector
        .entries()
        .iter()
        .any(|e| e.key.as_str() != Some("matchLabels"))
    {
        return None;
    }
    plain_labels(selector.get("matchLabels"))
}

/// A labels mapping whose keys and values are all scalars, in order; `None` when empty.
fn plain_labels(labels: Option<&Node>) -> Option<Map<String, Value>> {
    let mut out = Map::new();
    for e in labels?.entries() {
        let key = e.key.as_scalar_text()?;
        let value = e.value.as_scalar_text()?;
        out.insert(key.to_string(), Value::from(value));
    }
    (!out.is_empty()).then_some(out)
}
