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
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            exclude: GlobSet::empty(),
            max_file_size: 16 * 1024 * 1024,
            limits: yaml::Limits::default(),
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

fn read(found: Found, opts: &LoadOptions) -> SourceFile {
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
    let bytes = match utf16_text(&bytes) {
        None => bytes,
        Some(Ok(text)) => text.into_bytes(),
        Some(Err(reason)) => return empty(ReadProblem::Utf16 { reason }),
    };
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
    let parsed = yaml::parse(&file.text, opts.limits);
    file.documents = parsed.documents;
    file.yaml_error = parsed.error.or_else(|| array_of_manifests(&file));
    file
}

/// A top-level sequence of Kubernetes objects, which Argo CD does not apply: its repo-server
/// decodes a `.json` file as one object and a YAML document as one object each
/// (argoproj/argo-cd reposerver/repository/repository.go, `getObjsFromYAMLOrJson` and
/// `splitYAMLOrJSON`); an array fails to decode and the Application's manifests fail to
/// generate. A YAML file that fails so is skipped instead unless its bytes hold `apiVersion:`,
/// `kind:` and `metadata:` (a flow array in JSON style does not), and so is it here. A sequence
/// of anything but objects is no manifest and not a finding.
fn array_of_manifests(file: &SourceFile) -> Option<yaml::YamlError> {
    let json = file.rel.ends_with(".json");
    let argo_reads_as_manifest = json
        || ["apiVersion:", "kind:", "metadata:"]
            .iter()
            .all(|k| file.text.contains(k));
    if !argo_reads_as_manifest {
        return None;
    }
    let seq = file
        .documents
        .iter()
        .filter_map(|d| d.root.as_ref())
        .find(|root| {
            root.is_seq()
                && root
                    .items()
                    .iter()
                    .any(|item| item.get("apiVersion").is_some() && item.get("kind").is_some())
        })?;
    let what = if json { "JSON file" } else { "YAML document" };
    Some(yaml::YamlError {
        kind: yaml::YamlErrorKind::NotAnObject,
        message: format!(
            "this {what} is an array of {} item{}; Argo CD decodes each {} as one object, \
             fails on an array, and applies nothing from the Application that deploys it",
            seq.items().len(),
            if seq.items().len() == 1 { "" } else { "s" },
            if json { "JSON file" } else { "document" },
        ),
        span: yaml::Span::new(seq.span.start, seq.span.start),
    })
}

/// A file that starts with a UTF-16 byte-order mark, decoded (without the mark); or why it cannot
/// be; `None` for any other file. Argo CD's repo-server opens a directory source's files with
/// `utfutil.OpenFile(path, utfutil.UTF8)` (reposerver/repository/repository.go,
/// `getObjsFromYAMLOrJson`): a UTF-16 file with a byte-order mark is decoded and applied, one
/// without is read as UTF-8 — its NUL bytes fail to parse and, as no `apiVersion:` appears in
/// its bytes, the file is skipped without a word. The first is checked like any manifest; the
/// second is named as UTF-16 rather than as binary data.
fn utf16_text(bytes: &[u8]) -> Option<Result<String, String>> {
    let big_endian = match bytes {
        [0xFF, 0xFE, ..] => false,
        [0xFE, 0xFF, ..] => true,
        _ => {
            return looks_like_utf16(bytes).then(|| {
                Err(
                    "has no byte-order mark; Argo CD reads such a file as UTF-8, fails to \
                     parse it and applies nothing from it"
                        .to_string(),
                )
            });
        }
    };
    let body = &bytes[2..];
    if body.len() % 2 != 0 {
        return Some(Err(format!(
            "{} bytes long after its byte-order mark, an odd number; it cannot be decoded",
            body.len()
        )));
    }
    let units = body.chunks_exact(2).map(|pair| {
        let pair = [pair[0], pair[1]];
        if big_endian {
            u16::from_be_bytes(pair)
        } else {
            u16::from_le_bytes(pair)
        }
    });
    let mut text = String::with_capacity(body.len() / 2);
    for (i, c) in char::decode_utf16(units).enumerate() {
        match c {
            Ok(c) => text.push(c),
            Err(e) => {
                return Some(Err(format!(
                    "holds an unpaired surrogate (0x{:04X}) near byte {}; it cannot be decoded",
                    e.unpaired_surrogate(),
                    2 + 2 * i
                )));
            }
        }
    }
    Some(Ok(text))
}

/// Whether a file without a byte-order mark reads as UTF-16 text: in its first bytes, every
/// other byte is NUL and the bytes between are not (ASCII text in UTF-16, little- or
/// big-endian).
fn looks_like_utf16(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(64)];
    if head.len() < 4 || head.len() % 2 != 0 {
        return false;
    }
    let even_nul = head.iter().step_by(2).all(|&b| b == 0);
    let odd_nul = head.iter().skip(1).step_by(2).all(|&b| b == 0);
    let even_text = head.iter().step_by(2).all(|&b| b != 0);
    let odd_text = head.iter().skip(1).step_by(2).all(|&b| b != 0);
    (odd_nul && even_text) || (even_nul && odd_text)
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
    let files: Vec<SourceFile> = found.into_par_iter().map(|f| read(f, opts)).collect();
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
