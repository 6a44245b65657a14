//! Load: walk the given paths, read YAML and JSON files, parse every document with spans.
//!
//! It owns everything that touches the disk for plain files: the walk (never out of the scanned
//! root, never into `.git`), size and encoding checks, and parsing. A file that cannot be read or
//! parsed is kept, with its problem, so a rule can report it; loading never fails as a whole.

pub mod not_manifest;
pub mod source;
pub mod yaml;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use globset::GlobSet;
use rayon::prelude::*;

pub use source::{
    FileId, LineCol, Location, ReadProblem, RenderedFrom, RenderedPart, SourceFile, Sources,
};
pub use yaml::{Document, Node, Span};

/// What the walk needs to know from the configuration.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub exclude: GlobSet,
    pub max_file_size: u64,
    pub limits: yaml::Limits,
    /// YAML nodes all files of the walk may hold together (`yaml-nodes`).
    pub run_nodes: usize,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            exclude: GlobSet::empty(),
            max_file_size: 16 * 1024 * 1024,
            limits: yaml::Limits::default(),
            run_nodes: crate::limits::Limits::default().get_usize(crate::limits::Key::YamlNodes),
        }
    }
}

/// A file found by the walk, not yet read.
#[derive(Debug, Clone)]
struct Found {
    path: PathBuf,
    display: String,
    rel: String,
    problem: Option<ReadProblem>,
    root: usize,
}

fn is_manifest_name(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}

/// `/`-separated path text, for display and globbing on every platform.
pub fn slash_path(path: &Path) -> String {
    let s = path.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

/// The display form of `path`: relative to the working directory when it is below it.
pub fn display_path(path: &Path, cwd: &Path) -> String {
    let shown = path.strip_prefix(cwd).unwrap_or(path);
    let s = slash_path(shown);
    if s.is_empty() { ".".into() } else { s }
}

/// Lists manifest files under `root` (a file or a directory). Like Argo CD's repo-server, which
/// walks a directory source with Go's `filepath.Walk`, it does not descend into linked
/// directories; a linked file is read when its target is a file inside `boundary`. A link out of
/// `boundary` is reported, never followed. Chart templates are not plain YAML and are skipped
/// (rendering reads them).
fn walk(
    root: &Path,
    root_index: usize,
    boundary: &Path,
    cwd: &Path,
    opts: &LoadOptions,
    out: &mut Vec<Found>,
) {
    let rel_of = |p: &Path| slash_path(p.strip_prefix(boundary).unwrap_or(p));
    let real_boundary = boundary.canonicalize().ok();
    // `root` itself is followed when it is a link: it is what the user asked for.
    let mut it = walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter();
    loop {
        let entry = match it.next() {
            None => break,
            Some(Ok(e)) => e,
            Some(Err(err)) => {
                let path = err.path().map(Path::to_path_buf).unwrap_or_default();
                if !is_manifest_name(&path) || opts.exclude.is_match(rel_of(&path)) {
                    continue;
                }
                let problem = ReadProblem::Io(
                    err.io_error()
                        .map_or_else(|| err.to_string(), ToString::to_string),
                );
                out.push(Found {
                    display: display_path(&path, cwd),
                    rel: rel_of(&path),
                    path,
                    problem: Some(problem),
                    root: root_index,
                });
                continue;
            }
        };
        let path = entry.path();
        let rel = rel_of(path);
        if entry.depth() > 0 && opts.exclude.is_match(&rel) {
            if entry.file_type().is_dir() {
                it.skip_current_dir();
            }
            continue;
        }
        let name = entry.file_name().to_string_lossy();
        if entry.file_type().is_dir() {
            if entry.depth() > 0 && name == ".git" {
                it.skip_current_dir();
                continue;
            }
            // A Helm chart's templates are Go templates, not YAML; its subcharts likewise.
            if (name == "templates" || name == "charts")
                && path
                    .parent()
                    .is_some_and(|p| p.join("Chart.yaml").is_file())
            {
                it.skip_current_dir();
            }
            continue;
        }
        let manifest =
            is_manifest_name(path) && !(entry.depth() > 0 && name == crate::config::FILE_NAME);
        if entry.path_is_symlink() {
            if let Some(found) = linked(path, manifest, real_boundary.as_deref(), cwd, &rel) {
                out.push(Found {
                    root: root_index,
                    ..found
                });
            }
            continue;
        }
        if !manifest {
            continue;
        }
        if !entry.file_type().is_file() {
            // A FIFO or device named `x.yaml` would block or never end if read.
            out.push(Found {
                path: path.to_path_buf(),
                display: display_path(path, cwd),
                rel,
                problem: Some(ReadProblem::NotRegular),
                root: root_index,
            });
            continue;
        }
        out.push(Found {
            path: path.to_path_buf(),
            display: display_path(path, cwd),
            rel,
            problem: None,
            root: root_index,
        });
    }
}

/// What the walk makes of a symbolic link: a linked manifest file inside the boundary is read
/// through the link; a link out of the boundary, a loop, and a dangling or unreadable link are
/// problems; a linked directory inside the boundary is not descended (its files are read where
/// they really are).
fn linked(
    path: &Path,
    manifest: bool,
    real_boundary: Option<&Path>,
    cwd: &Path,
    rel: &str,
) -> Option<Found> {
    let found = |problem| Found {
        path: path.to_path_buf(),
        display: display_path(path, cwd),
        rel: rel.to_string(),
        problem,
        root: 0,
    };
    let (real, meta) = match (path.canonicalize(), std::fs::metadata(path)) {
        (Ok(real), Ok(meta)) => (real, meta),
        (Err(e), _) | (_, Err(e)) => {
            return manifest.then(|| found(Some(ReadProblem::Io(e.to_string()))));
        }
    };
    if !real_boundary.is_some_and(|b| real.starts_with(b)) {
        return (manifest || meta.is_dir()).then(|| outside_link(path, cwd, rel.to_string(), 0));
    }
    if meta.is_dir() {
        // A link to a directory that holds it: whatever followed it would never end.
        let loops = path
            .parent()
            .and_then(|p| p.canonicalize().ok())
            .is_some_and(|parent| parent.starts_with(&real));
        return loops.then(|| found(Some(ReadProblem::SymlinkLoop)));
    }
    if !manifest {
        return None;
    }
    if !meta.is_file() {
        return Some(found(Some(ReadProblem::NotRegular)));
    }
    Some(found(None))
}

fn outside_link(path: &Path, cwd: &Path, rel: String, root: usize) -> Found {
    let target = std::fs::read_link(path)
        .map(|t| t.to_string_lossy().into_owned())
        .unwrap_or_default();
    Found {
        path: path.to_path_buf(),
        display: display_path(path, cwd),
        rel,
        problem: Some(ReadProblem::SymlinkOutsideRoot { target }),
        root,
    }
}

fn read(found: Found, opts: &LoadOptions, run: &yaml::RunBudget) -> SourceFile {
    let empty = |problem| {
        let mut f = SourceFile::new(found.display.clone(), found.rel.clone(), Arc::from(""));
        f.read_problem = Some(problem);
        f.root = found.root;
        f
    };
    if let Some(p) = found.problem.clone() {
        return empty(p);
    }
    match std::fs::metadata(&found.path) {
        Ok(m) if m.len() > opts.max_file_size => {
            return empty(ReadProblem::TooLarge {
                size: m.len(),
                limit: opts.max_file_size,
            });
        }
        Ok(_) => {}
        Err(e) => return empty(ReadProblem::Io(e.to_string())),
    }
    let bytes = match std::fs::read(&found.path) {
        Ok(b) => b,
        Err(e) => return empty(ReadProblem::Io(e.to_string())),
    };
    if let Some(encoding) = ReadProblem::encoding_of(&bytes) {
        return empty(encoding);
    }
    if bytes.contains(&0) {
        return empty(ReadProblem::Binary);
    }
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let valid_up_to = e.utf8_error().valid_up_to();
            // Keep the readable part so the finding can show the line where decoding failed.
            let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let mut f = SourceFile::new(found.display, found.rel, Arc::from(lossy));
            f.read_problem = Some(ReadProblem::NotUtf8 { valid_up_to });
            f.root = found.root;
            return f;
        }
    };
    let mut file = SourceFile::new(found.display, found.rel, Arc::from(text));
    file.root = found.root;
    let parsed = yaml::parse_in_run(&file.text, opts.limits, Some(run));
    file.documents = parsed.documents;
    file.yaml_error = parsed.error;
    file
}

/// Makes the run's node budget (`yaml-nodes`) fall on the same files whatever order the parallel
/// reads finished in: files keep their nodes in display order while the budget lasts, and the
/// first file past it (and any later one that does not fit what is left) is dropped with a
/// finding at the node where the budget ran out. Only needed when a read hit the budget;
/// memory stays within the budget plus one file's.
fn settle_run_budget(files: &mut [SourceFile], opts: &LoadOptions) {
    let run_limited = |f: &SourceFile| {
        f.yaml_error
            .as_ref()
            .is_some_and(|e| e.kind == yaml::YamlErrorKind::RunNodeLimit)
    };
    if !files.iter().any(run_limited) {
        return;
    }
    let held = |documents: &[Document]| -> usize {
        documents
            .iter()
            .filter_map(|d| d.root.as_ref())
            .map(yaml::node_count)
            .sum()
    };
    let mut used = 0usize;
    for file in files.iter_mut() {
        let own = held(&file.documents);
        if !run_limited(file) && used.saturating_add(own) <= opts.run_nodes {
            used += own;
            continue;
        }
        // Parse again with what is left of the run's budget.
        file.documents = Vec::new();
        let left = yaml::RunBudget::rest(opts.run_nodes.saturating_sub(used), opts.run_nodes);
        let parsed = yaml::parse_in_run(&file.text, opts.limits, Some(&left));
        used += held(&parsed.documents);
        file.documents = parsed.documents;
        file.yaml_error = parsed.error;
    }
}

/// Walks `paths` (each a file or directory inside `boundary`) and reads every manifest found,
/// in parallel. Files are returned sorted by display path, each once.
pub fn load(paths: &[PathBuf], boundary: &Path, cwd: &Path, opts: &LoadOptions) -> Sources {
    let mut found = Vec::new();
    for (i, p) in paths.iter().enumerate() {
        walk(p, i, boundary, cwd, opts, &mut found);
    }
    found.sort_by(|a, b| a.display.cmp(&b.display));
    found.dedup_by(|a, b| a.display == b.display);
    let run = yaml::RunBudget::new(opts.run_nodes);
    let mut files: Vec<SourceFile> = found.into_par_iter().map(|f| read(f, opts, &run)).collect();
    settle_run_budget(&mut files, opts);
    Sources::new(files)
}

/// Parses text that did not come from the walk (rendered output, a config file).
pub fn parse_text(
    display: String,
    rel: String,
    text: Arc<str>,
    limits: yaml::Limits,
) -> SourceFile {
    let mut file = SourceFile::new(display, rel, text);
    let parsed = yaml::parse(&file.text, limits);
    file.documents = parsed.documents;
    file.yaml_error = parsed.error;
    file
}
