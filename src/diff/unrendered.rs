//! Sources whose inputs changed between the two sides but that could not be rendered on one side
//! or both: their changes are invisible to the comparison of objects, so `diff` lists them
//! rather than print "No object changes" over a change it could not see.
//!
//! A source's inputs are what Argo CD's repo-server renders it from: the source as written (its
//! `helm:`/`kustomize:` options, chart and revision), the Application's name and destination,
//! the files of its directory, and the value files it reads from other sources (`$ref/…`).

use std::collections::BTreeMap;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::load::Location;
use crate::model::{Application, Inventory, RenderNote};

/// Which side could not render the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sides {
    Base,
    Head,
    Both,
}

impl Sides {
    pub fn as_str(self) -> &'static str {
        match self {
            Sides::Base => "base",
            Sides::Head => "head",
            Sides::Both => "base and head",
        }
    }
}

/// A source whose inputs changed and that could not be rendered.
#[derive(Debug, Clone)]
pub struct Unrendered {
    /// How reports name it: "Application `db`, source `charts/db`".
    pub source: String,
    pub application: Option<String>,
    /// Where it could not be rendered.
    pub sides: Sides,
    /// Why (the first line of the render note; the head's when both sides failed).
    pub reason: String,
    /// The source as written, in the merged inventory (the head's, else the base's).
    pub location: Location,
}

/// One side's view of a source.
struct Seen {
    source: String,
    application: Option<String>,
    /// Why it was not rendered; `None` when it rendered.
    failed: Option<(String, Location)>,
    location: Location,
    inputs: Inputs,
}

/// A source's inputs: digested at once for a unit outside any Application (it failed), or
/// where to digest them from, when the comparison needs it — only where a side failed to
/// render: digesting every source's directory on both sides read the whole tree twice more.
enum Inputs {
    Digest(String),
    App {
        app: crate::model::AppIdx,
        source: usize,
    },
}

impl Inputs {
    fn digest(&self, inv: &Inventory, root: &Path) -> String {
        match self {
            Inputs::Digest(d) => d.clone(),
            Inputs::App { app, source } => {
                let app = inv.app(*app);
                app.sources
                    .get(*source)
                    .map_or_else(String::new, |s| app_inputs(app, s, root))
            }
        }
    }
}

/// The sources of an inventory whose render is attempted, keyed across sides, with a digest of
/// their inputs read from `root` (the side's scanned root on disk).
fn sources(inv: &Inventory, root: &Path) -> BTreeMap<String, Seen> {
    let failed_at = |at: Location| -> Option<&RenderNote> {
        inv.notes
            .iter()
            .find(|n| n.location == at && (n.not_rendered || n.render_failed))
    };
    let mut out = BTreeMap::new();
    let mut matched: Vec<Location> = Vec::new();
    for (app_idx, app) in inv.live_apps() {
        for (source_idx, source) in app.sources.iter().enumerate() {
            if matches!(source.kind, crate::model::argocd::SourceKind::Ref) {
                continue;
            }
            let what = match (&source.path, &source.chart) {
                (Some(path), _) => format!("`{path}`"),
                (None, Some(chart)) => format!("chart `{chart}` from `{}`", source.repo_url),
                (None, None) => format!("`{}`", source.repo_url),
            };
            let key = format!(
                "app {}/{} {} {}",
                app.namespace,
                app.name,
                source.repo_url,
                source
                    .path
                    .as_deref()
                    .or(source.chart.as_deref())
                    .unwrap_or("")
            );
            let note = failed_at(source.location);
            if note.is_some() {
                matched.push(source.location);
            }
            out.insert(
                key,
                Seen {
                    source: format!("Application `{}`, source {what}", app.name),
                    application: Some(app.name.clone()),
                    failed: note.map(|n| (first_line(&n.message), n.location)),
                    location: source.location,
                    inputs: Inputs::App {
                        app: app_idx,
                        source: source_idx,
                    },
                },
            );
        }
    }
    // What no Application covers and still failed: a kustomization or chart rendered on its own.
    for note in &inv.notes {
        if !(note.not_rendered || note.render_failed) || matched.contains(&note.location) {
            continue;
        }
        let rel = &inv.sources.get(note.location.file).rel;
        let name = rel.rsplit('/').next().unwrap_or("");
        if !matches!(
            name,
            "kustomization.yaml" | "kustomization.yml" | "Kustomization" | "Chart.yaml"
        ) {
            continue;
        }
        let dir = rel.rsplit_once('/').map_or("", |(d, _)| d).to_string();
        let mut h = Sha256::new();
        dir_digest(&mut h, root, &dir);
        out.insert(
            format!("dir {dir}"),
            Seen {
                source: format!(
                    "`{}` (outside any Application)",
                    if dir.is_empty() { "." } else { &dir }
                ),
                application: None,
                failed: Some((first_line(&note.message), note.location)),
                location: note.location,
                inputs: Inputs::Digest(hex(h)),
            },
        );
    }
    out
}

fn first_line(message: &str) -> String {
    message
        .lines()
        .next()
        .unwrap_or("")
        .trim_end_matches(':')
        .to_string()
}

fn hex(h: Sha256) -> String {
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// A digest of what Argo CD renders `source` of `app` from.
fn app_inputs(app: &Application, source: &crate::model::argocd::AppSource, root: &Path) -> String {
    let mut h = Sha256::new();
    let field = |h: &mut Sha256, bytes: &[u8]| {
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    field(&mut h, source.spec.to_string().as_bytes());
    field(&mut h, app.name.as_bytes());
    field(&mut h, app.destination.cluster.as_bytes());
    field(&mut h, app.destination.namespace.as_bytes());
    if let Some(dir) = &source.local_dir {
        dir_digest(&mut h, root, dir);
    }
    // Value files read from another source of the Application (`$values/envs/prod.yaml`).
    let value_files = source
        .spec
        .pointer("/helm/valueFiles")
        .and_then(serde_json::Value::as_array)
        .cloned()
        .unwrap_or_default();
    for file in value_files.iter().filter_map(serde_json::Value::as_str) {
        let Some((name, rest)) = file.strip_prefix('$').and_then(|f| f.split_once('/')) else {
            continue;
        };
        // A `ref:` source names no path: the repository's top. When it was not placed in the
        // tree (the render never needed it), the file is read below the scanned root: this
        // repository's, as far as this run can tell.
        let Some(source) = app
            .sources
            .iter()
            .find(|s| s.ref_name.as_deref() == Some(name))
        else {
            continue;
        };
        let dir = source.local_dir.as_deref().unwrap_or("");
        {
            let rel = if dir.is_empty() {
                rest.to_string()
            } else {
                format!("{dir}/{rest}")
            };
            field(&mut h, rel.as_bytes());
            match std::fs::read(root.join(&rel)) {
                Ok(bytes) => field(&mut h, &bytes),
                Err(_) => field(&mut h, b"(missing)"),
            }
        }
    }
    hex(h)
}

/// Every file below `root/dir` (its path and content; a link's target), in name order. `.git`
/// is left out.
fn dir_digest(h: &mut Sha256, root: &Path, dir: &str) {
    let base = root.join(dir);
    let walk = walkdir::WalkDir::new(&base)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || e.file_name() != ".git");
    for entry in walk.filter_map(Result::ok) {
        let rel = entry.path().strip_prefix(&base).unwrap_or(entry.path());
        let rel = crate::load::slash_path(rel);
        h.update((rel.len() as u64).to_le_bytes());
        h.update(rel.as_bytes());
        let ty = entry.file_type();
        let content = if ty.is_symlink() {
            std::fs::read_link(entry.path())
                .map(|t| t.to_string_lossy().into_owned().into_bytes())
                .unwrap_or_default()
        } else if ty.is_file() {
            std::fs::read(entry.path()).unwrap_or_default()
        } else {
            b"(dir)".to_vec()
        };
        h.update((content.len() as u64).to_le_bytes());
        h.update(&content);
    }
}

/// The sources whose inputs differ between the sides (or that exist on one side only) and that
/// could not be rendered on at least one side. `base_files` is where the base's files start in
/// the merged inventory (`Inventory::absorb`'s offset), for the base's locations.
pub fn find(
    base: &Inventory,
    head: &Inventory,
    base_root: &Path,
    head_root: &Path,
    base_files: usize,
) -> Vec<Unrendered> {
    let (mut b, mut h) = (sources(base, base_root), sources(head, head_root));
    let keys: std::collections::BTreeSet<String> = b.keys().chain(h.keys()).cloned().collect();
    let mut out = Vec::new();
    for key in keys {
        let (bs, hs) = (b.remove(&key), h.remove(&key));
        let shift = |at: Location| Location {
            file: crate::load::FileId(at.file.0 + base_files),
            span: at.span,
        };
        let (sides, seen, reason) = match (&bs, &hs) {
            (Some(bs), Some(hs)) => {
                if bs.failed.is_none() && hs.failed.is_none() {
                    continue;
                }
                if bs.inputs.digest(base, base_root) == hs.inputs.digest(head, head_root) {
                    continue;
                }
                match (&bs.failed, &hs.failed) {
                    (Some(_), Some((why, _))) => (Sides::Both, hs, why.clone()),
                    (Some((why, _)), None) => (Sides::Base, hs, why.clone()),
                    (None, Some((why, _))) => (Sides::Head, hs, why.clone()),
                    (None, None) => continue,
                }
            }
            (None, Some(hs)) => match &hs.failed {
                Some((why, _)) => (Sides::Head, hs, why.clone()),
                None => continue,
            },
            (Some(bs), None) => match &bs.failed {
                Some((why, _)) => (Sides::Base, bs, why.clone()),
                None => continue,
            },
            (None, None) => continue,
        };
        let location = if hs.is_some() {
            seen.location
        } else {
            shift(seen.location)
        };
        out.push(Unrendered {
            source: seen.source.clone(),
            application: seen.application.clone(),
            sides,
            reason,
            location,
        });
    }
    out
}
