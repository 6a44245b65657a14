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
    FileCounts, FileId, LineCol, Location, ReadProblem, RenderedFrom, RenderedPart, SkippedCounts,
    SourceFile, Sources,
};
pub use yaml::{Document, Node, Span};

/// The configuration file's name: the walk counts it as no manifest.
pub const CONFIG_FILE: &str = ".manifest-guard.yaml";

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

/// What the walk makes of a file, before reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// A `.yaml`, `.yml` or `.json` file: read and parsed.
    Manifest,
    /// A manifest-named file in `templates/` or `charts/` beside a `Chart.yaml`: a Go template
    /// (or a subchart's) that Helm reads. Read, kept out of sight (`generated`), and parsed only
    /// when a directory source turns out to deploy it (render decides, as Argo CD does from the
    /// Application, not from the tree).
    ChartPart,
    /// A `.jsonnet` file: listed, never read. Argo CD's directory sources evaluate it; the render
    /// stage names each one a directory source deploys.
    Jsonnet,
    /// Excluded by the configuration: counted, not read.
    Excluded,
    /// A name no directory source reads (or the configuration file): counted, not read.
    NotManifest,
}

/// A file found by the walk, not yet read.
#[derive(Debug, Clone)]
struct Found {
    path: PathBuf,
    display: String,
    rel: String,
    problem: Option<ReadProblem>,
    root: usize,
    role: Role,
}

fn is_manifest_name(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}

/// Argo CD's repo-server evaluates these in a directory source (`manifestFile`,
/// `^.*\.(yaml|yml|json|jsonnet)$`: `.libsonnet` is a library it only imports).
fn is_jsonnet_name(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()) == Some("jsonnet")
}

/// `a/./b/../c` → `a/c`; `None` when the path climbs above its start or is absolute.
pub fn normalize_rel(path: &str) -> Option<String> {
    if path.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// `a/./b/../c` → `a/c`; `None` when it climbs out, is absolute or holds a backslash (a path in
/// an Application or the config is `/`-separated).
pub fn clean_relative(path: &str) -> Option<String> {
    if path.contains('\\') {
        return None;
    }
    normalize_rel(path)
}

/// A file's text, read only when it is a regular file (a FIFO would block the read forever, a
/// device would never end) of at most `limit` bytes. For the files read outside the walk: the
/// config file, a chart's `Chart.yaml`, a `kustomization.yaml`.
pub fn read_regular_text(path: &Path, limit: u64) -> std::io::Result<String> {
    use std::io::Read;
    if !std::fs::metadata(path)?.is_file() {
        return Err(std::io::Error::other(
            "not a regular file (a FIFO, socket or device); not read",
        ));
    }
    let mut text = String::new();
    std::fs::File::open(path)?
        .take(limit.saturating_add(1))
        .read_to_string(&mut text)?;
    if text.len() as u64 > limit {
        return Err(std::io::Error::other(format!(
            "over the {limit}-byte limit; not read"
        )));
    }
    Ok(text)
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

/// Below this depth a directory's entries are visited in parallel (rayon, one task per
/// subdirectory and per file, recursively); a directory this deep or deeper is walked by one
/// task with an explicit stack, so that no nesting a repository writes can overflow a worker
/// thread's stack (a real GitOps tree is rarely 10 levels deep).
const PARALLEL_DEPTH: usize = 16;

/// A directory the walk lists, with what it knows of it from above.
struct Dir {
    path: PathBuf,
    depth: usize,
    /// Excluded by the configuration, or inside an excluded directory: listed (for the tree
    /// listing and the counts), nothing read, no problem of it reported.
    excluded: bool,
    /// A chart's `templates/` or `charts/` (beside a `Chart.yaml`), or inside one.
    chart_part: bool,
    /// How the files directly inside are named, when a prefix says it (see [`child_prefix`]).
    display_prefix: Option<String>,
    rel_prefix: Option<String>,
}

/// One entry of a listed directory, in walk order, before anything is read.
enum Step {
    /// A directory (`true`) or regular file (`false`) of the tree listing, by its `rel`.
    Listed(bool, String),
    /// A file (or a problem) to hand to the walk's visitor.
    Visit(Found),
    /// A subdirectory to walk.
    Descend(Dir),
}

/// What a walk produced, in walk order: a subdirectory walked by another task is nested, and
/// [`flatten`] puts it back in place.
enum Walked<T> {
    Listed(bool, String),
    Met(T),
    Sub(Vec<Walked<T>>),
}

/// What one walk shares between its tasks.
struct Walker<'a, V> {
    root_index: usize,
    boundary: &'a Path,
    cwd: &'a Path,
    opts: &'a LoadOptions,
    real_boundary: Option<PathBuf>,
    listing: bool,
    visit: &'a V,
}

/// `path` made `/`-separated as [`slash_path`] makes it, and the prefix that names the entries
/// of the directory `path` the same way (`prefix + name` equals `slash_path` of
/// `path.join(name)` relative to `base`): `None` when the path's text is unusual (not UTF-8, a
/// backslash, `//`, a trailing `/`, a `.` past its start), or `base` lies below it, and each
/// entry is then named by the full computation. Saves two path parses and four allocations per
/// file (issue 12).
fn child_prefix(path: &Path, base: &Path, shown: &str) -> Option<String> {
    let text = path.as_os_str().to_str()?;
    let clean = !text.is_empty()
        && !text.ends_with('/')
        && !text.contains('\\')
        && !text.contains("//")
        && text.split('/').skip(1).all(|part| part != ".");
    if !clean || (path.strip_prefix(base).is_err() && base.starts_with(path)) {
        return None;
    }
    Some(match shown {
        "" | "." => String::new(),
        _ => format!("{shown}/"),
    })
}

/// A file name's extension as [`Path::extension`] gives it (none for `.yaml` or `..`), without
/// parsing a path: [`is_manifest_name`] and [`is_jsonnet_name`] for an entry of a listing.
fn name_extension(name: &str) -> Option<&str> {
    if name == ".." {
        return None;
    }
    match name.rsplit_once('.') {
        Some((before, after)) if !before.is_empty() => Some(after),
        _ => None,
    }
}

/// `prefix` followed by `name` made `/`-separated: a file's name below a directory.
fn prefixed(prefix: &str, name: &str) -> String {
    let mut s = String::with_capacity(prefix.len() + name.len());
    s.push_str(prefix);
    if name.contains('\\') {
        s.push_str(&name.replace('\\', "/"));
    } else {
        s.push_str(name);
    }
    s
}

impl<'a, T: Send, V: Fn(Found) -> T + Sync> Walker<'a, V> {
    fn rel_of(&self, path: &Path) -> String {
        slash_path(path.strip_prefix(self.boundary).unwrap_or(path))
    }

    fn found(&self, path: PathBuf, rel: String, problem: Option<ReadProblem>, role: Role) -> Found {
        Found {
            display: display_path(&path, self.cwd),
            path,
            rel,
            problem,
            root: self.root_index,
            role,
        }
    }

    /// A file of `dir` to visit, named by the directory's prefixes when it has them.
    fn file(
        &self,
        dir: &Dir,
        path: PathBuf,
        rel: String,
        name: &str,
        role: Role,
        problem: Option<ReadProblem>,
    ) -> Step {
        let display = match &dir.display_prefix {
            Some(prefix) => prefixed(prefix, name),
            None => display_path(&path, self.cwd),
        };
        Step::Visit(Found {
            path,
            display,
            rel,
            problem,
            root: self.root_index,
            role,
        })
    }

    /// A directory that could not be listed, or an entry of it that could not be read: a
    /// problem at `path` (which is empty when the system named no entry).
    fn problem(&self, path: PathBuf, err: &std::io::Error) -> Step {
        let why = err.to_string();
        let problem = if path.is_dir() {
            ReadProblem::UnlistableDir(why)
        } else {
            ReadProblem::Io(why)
        };
        let rel = self.rel_of(&path);
        Step::Visit(self.found(path, rel, Some(problem), Role::Manifest))
    }

    /// A directory to list at `path`, its naming prefixes worked out once.
    fn dir(&self, path: PathBuf, depth: usize, excluded: bool, chart_part: bool) -> Dir {
        let display_prefix = child_prefix(&path, self.cwd, &display_path(&path, self.cwd));
        let rel_prefix = child_prefix(&path, self.boundary, &self.rel_of(&path));
        Dir {
            path,
            depth,
            excluded,
            chart_part,
            display_prefix,
            rel_prefix,
        }
    }

    /// The root as `walkdir` meets it (followed when it is a link, as the user named it), then
    /// what is below it.
    fn root(&self, root: &Path) -> Vec<Walked<T>> {
        let ty = match std::fs::symlink_metadata(root) {
            Ok(meta) => meta.file_type(),
            Err(e) => return self.run(vec![self.problem(root.to_path_buf(), &e)], 0),
        };
        let mut steps = Vec::new();
        if ty.is_dir() {
            let name = root.file_name().unwrap_or(root.as_os_str());
            let chart_part = (name == "templates" || name == "charts")
                && root
                    .parent()
                    .is_some_and(|p| p.join("Chart.yaml").is_file());
            steps.push(Step::Descend(self.dir(
                root.to_path_buf(),
                0,
                false,
                chart_part,
            )));
            return self.run(steps, 0);
        }
        let mut below = None;
        if ty.is_symlink() {
            match std::fs::metadata(root) {
                Err(e) => return self.run(vec![self.problem(root.to_path_buf(), &e)], 0),
                Ok(meta) if meta.is_dir() => {
                    below = Some(self.dir(root.to_path_buf(), 0, false, false));
                }
                Ok(_) => {}
            }
        }
        // The root named as a file: the configuration file's name is no exception here.
        let role = if is_jsonnet_name(root) {
            Role::Jsonnet
        } else if !is_manifest_name(root) {
            Role::NotManifest
        } else {
            Role::Manifest
        };
        let rel = self.rel_of(root);
        let path = root.to_path_buf();
        if ty.is_symlink() {
            if let Linked::File(problem) = linked(root, role, self.real_boundary.as_deref()) {
                steps.push(Step::Visit(self.found(path, rel, problem, role)));
            }
        } else if role == Role::Manifest && !ty.is_file() {
            steps.push(Step::Visit(self.found(
                path,
                rel,
                Some(ReadProblem::NotRegular),
                role,
            )));
        } else {
            steps.push(Step::Visit(self.found(path, rel, None, role)));
        }
        steps.extend(below.map(Step::Descend));
        self.run(steps, 0)
    }

    /// The steps of a directory at `depth`: files visited and subdirectories walked, in
    /// parallel while shallow, the results in the order of `steps`.
    fn run(&self, steps: Vec<Step>, depth: usize) -> Vec<Walked<T>> {
        if depth >= PARALLEL_DEPTH {
            return self.run_deep(steps);
        }
        steps
            .into_par_iter()
            .map(|step| match step {
                Step::Listed(dir, rel) => Walked::Listed(dir, rel),
                Step::Visit(found) => Walked::Met((self.visit)(found)),
                Step::Descend(dir) => {
                    let depth = dir.depth;
                    Walked::Sub(self.run(self.list(&dir), depth + 1))
                }
            })
            .collect()
    }

    /// [`Walker::run`] by one task with an explicit stack: for nesting past [`PARALLEL_DEPTH`].
    fn run_deep(&self, steps: Vec<Step>) -> Vec<Walked<T>> {
        let mut out = Vec::new();
        let mut stack = vec![steps.into_iter()];
        while let Some(top) = stack.last_mut() {
            match top.next() {
                None => {
                    stack.pop();
                }
                Some(Step::Listed(dir, rel)) => out.push(Walked::Listed(dir, rel)),
                Some(Step::Visit(found)) => out.push(Walked::Met((self.visit)(found))),
                Some(Step::Descend(dir)) => stack.push(self.list(&dir).into_iter()),
            }
        }
        out
    }

    /// Lists `dir` as `walkdir` (`sort_by_file_name`, links not followed) would yield its
    /// entries: the entries it could not read first, then the rest sorted by file name; each
    /// entry with what the walk makes of it.
    fn list(&self, dir: &Dir) -> Vec<Step> {
        let read = match std::fs::read_dir(&dir.path) {
            Ok(read) => read,
            // An excluded directory is not read, so nothing is missed.
            Err(_) if dir.excluded => return Vec::new(),
            Err(e) => return vec![self.problem(dir.path.clone(), &e)],
        };
        let mut steps = Vec::new();
        let mut entries = Vec::new();
        for entry in read {
            match entry.and_then(|e| e.file_type().map(|ty| (e, ty))) {
                Ok((e, ty)) => entries.push((e.file_name(), ty)),
                Err(_) if dir.excluded => {}
                // `walkdir` names no path for an entry the listing could not return.
                Err(e) => steps.push(self.problem(PathBuf::new(), &e)),
            }
        }
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let depth = dir.depth + 1;
        let exclude =
            (!dir.excluded && !self.opts.exclude.is_empty()).then_some(&self.opts.exclude);
        for (name, ty) in entries {
            let lossy = name.to_string_lossy();
            let is_dir = ty.is_dir();
            if is_dir && lossy == ".git" {
                continue;
            }
            let path = dir.path.join(&name);
            let rel = match &dir.rel_prefix {
                Some(prefix) => prefixed(prefix, &lossy),
                None => self.rel_of(&path),
            };
            if self.listing && (is_dir || ty.is_file()) {
                steps.push(Step::Listed(is_dir, rel.clone()));
            }
            if exclude.is_some_and(|set| set.is_match(&rel)) {
                steps.push(match is_dir {
                    true => Step::Descend(self.dir(path, depth, true, dir.chart_part)),
                    false => self.file(dir, path, rel, &lossy, Role::Excluded, None),
                });
                continue;
            }
            if is_dir {
                // A Helm chart's templates are Go templates, not YAML; its subcharts likewise.
                let chart_part = dir.chart_part
                    || ((lossy == "templates" || lossy == "charts")
                        && dir.path.join("Chart.yaml").is_file());
                steps.push(Step::Descend(self.dir(
                    path,
                    depth,
                    dir.excluded,
                    chart_part,
                )));
                continue;
            }
            if dir.excluded {
                steps.push(self.file(dir, path, rel, &lossy, Role::Excluded, None));
                continue;
            }
            let extension = name_extension(&lossy);
            let role = if extension == Some("jsonnet") {
                Role::Jsonnet
            } else if !matches!(extension, Some("yaml" | "yml" | "json")) || lossy == CONFIG_FILE {
                Role::NotManifest
            } else if dir.chart_part {
                Role::ChartPart
            } else {
                Role::Manifest
            };
            if ty.is_symlink() {
                if let Linked::File(problem) = linked(&path, role, self.real_boundary.as_deref()) {
                    steps.push(self.file(dir, path, rel, &lossy, role, problem));
                }
                continue;
            }
            if matches!(role, Role::Manifest | Role::ChartPart) && !ty.is_file() {
                // A FIFO or device named `x.yaml` would block or never end if read.
                steps.push(self.file(dir, path, rel, &lossy, role, Some(ReadProblem::NotRegular)));
                continue;
            }
            steps.push(self.file(dir, path, rel, &lossy, role, None));
        }
        steps
    }
}

/// Puts a walk's nested output in walk order: what the visitor made of each file to `sink`,
/// the directories and files of the tree listing into `tree`. No recursion: a subdirectory's
/// output is a stack entry.
fn flatten<T>(
    walked: Vec<Walked<T>>,
    mut sink: impl FnMut(T),
    mut tree: Option<&mut source::TreeListing>,
) {
    let mut stack = vec![walked.into_iter()];
    while let Some(top) = stack.last_mut() {
        match top.next() {
            None => {
                stack.pop();
            }
            Some(Walked::Met(t)) => sink(t),
            Some(Walked::Sub(sub)) => stack.push(sub.into_iter()),
            Some(Walked::Listed(dir, rel)) => {
                if let Some(tree) = tree.as_deref_mut() {
                    match dir {
                        true => tree.directories.push(rel),
                        false => tree.files.push(rel),
                    }
                }
            }
        }
    }
}

/// How many files a walk's nested output holds (to size what receives them).
fn met_count<T>(walked: &[Walked<T>]) -> usize {
    let mut n = 0;
    let mut stack = vec![walked.iter()];
    while let Some(top) = stack.last_mut() {
        match top.next() {
            None => {
                stack.pop();
            }
            Some(Walked::Met(_)) => n += 1,
            Some(Walked::Sub(sub)) => stack.push(sub.iter()),
            Some(Walked::Listed(..)) => {}
        }
    }
    n
}

/// Lists every file under `root` (a file or a directory), each with its role, and hands each
/// to `visit` as it is found, on every core; returns what `visit` made of them, for
/// [`flatten`] to put in walk order (each directory's entries sorted by file name, a
/// directory's files after it and before its next sibling: `walkdir`'s order with
/// `sort_by_file_name`). Like Argo CD's repo-server, which walks a directory source with Go's
/// `filepath.Walk`, it does not descend into linked directories; a linked file is read when its
/// target is a file inside `boundary`. A link out of `boundary` is reported, never followed. A
/// directory that cannot be listed is reported, never skipped in silence. Files of excluded
/// directories are counted, not read. With `listing`, the directories and regular files below
/// the root (`.git` aside) are listed for the tree listing.
fn walk<T: Send>(
    root: &Path,
    root_index: usize,
    boundary: &Path,
    cwd: &Path,
    opts: &LoadOptions,
    listing: bool,
    visit: &(impl Fn(Found) -> T + Sync),
) -> Vec<Walked<T>> {
    let walker = Walker {
        root_index,
        boundary,
        cwd,
        opts,
        real_boundary: boundary.canonicalize().ok(),
        listing,
        visit,
    };
    walker.root(root)
}

/// What the walk makes of a symbolic link: a linked file inside the boundary is read through
/// the link; a link out of the boundary, a loop, and a dangling or unreadable link are problems
/// (for a link with no extension too: it may stand for a directory); a linked directory inside
/// the boundary is not descended (its files are read where they really are).
fn linked(path: &Path, role: Role, real_boundary: Option<&Path>) -> Linked {
    let read = matches!(role, Role::Manifest | Role::ChartPart);
    let (real, meta) = match (path.canonicalize(), std::fs::metadata(path)) {
        (Ok(real), Ok(meta)) => (real, meta),
        (Err(e), _) | (_, Err(e)) => {
            let maybe_dir = path.extension().is_none();
            return match read || maybe_dir {
                true => Linked::File(Some(ReadProblem::Io(e.to_string()))),
                false => Linked::File(None),
            };
        }
    };
    if !real_boundary.is_some_and(|b| real.starts_with(b)) {
        let target = std::fs::read_link(path)
            .map(|t| t.to_string_lossy().into_owned())
            .unwrap_or_default();
        return match read || meta.is_dir() {
            true => Linked::File(Some(ReadProblem::SymlinkOutsideRoot { target })),
            false => Linked::File(None),
        };
    }
    if meta.is_dir() {
        // A link to a directory that holds it: whatever followed it would never end.
        let loops = path
            .parent()
            .and_then(|p| p.canonicalize().ok())
            .is_some_and(|parent| parent.starts_with(&real));
        return match loops {
            true => Linked::File(Some(ReadProblem::SymlinkLoop)),
            false => Linked::Directory,
        };
    }
    Linked::File((read && !meta.is_file()).then_some(ReadProblem::NotRegular))
}

/// A symbolic link as the walk counts it.
enum Linked {
    /// A file to count: read through the link, or this problem instead.
    File(Option<ReadProblem>),
    /// A directory inside the boundary: its files are met where they really are.
    Directory,
}

/// The parses of another load of the same run, by path below its scanned root, to take instead
/// of parsing again: `diff` loads the head first, and the base takes the parse of every file
/// whose text is the head's (a parse reads nothing but the text, the limits and, for a JSON
/// array of manifests, the path's extension — the key). Only what a parse made is taken (the
/// documents, shared, the YAML error, the line index, the suppression comments); the name, the
/// root and the role are the taking walk's own.
#[derive(Debug, Default)]
pub struct ParsedFiles {
    files: std::collections::HashMap<String, SourceFile>,
    limits: yaml::Limits,
}

impl ParsedFiles {
    /// The manifests `sources` parsed in full: not those a run's budget cut short (a parse of
    /// what was left of another run's budget), nor chart parts, unreadable files or tool output.
    /// Copies (the documents shared), so that `sources` can go on to be rendered meanwhile.
    pub fn of(sources: &Sources) -> ParsedFiles {
        let files = sources
            .iter()
            .map(|(_, f)| f)
            .filter(|f| !f.generated && f.read_problem.is_none() && f.rendered.is_none())
            .filter(|f| {
                f.yaml_error
                    .as_ref()
                    .is_none_or(|e| e.kind != yaml::YamlErrorKind::RunNodeLimit)
            })
            .map(|f| (f.rel.clone(), f.clone()))
            .collect();
        ParsedFiles {
            files,
            limits: sources.parse_limits,
        }
    }
}

/// `candidate` (the parse held for a file's path), when its text is `text`, its nodes taken
/// from `run`; `None` (nothing taken) otherwise, or when `run` has not enough left (the file is
/// then parsed, and meets the budget's end as it would have).
fn take_parsed(
    candidate: Option<SourceFile>,
    text: &str,
    run: &yaml::RunBudget,
) -> Option<SourceFile> {
    let file = candidate.filter(|f| *f.text == *text)?;
    let nodes = file
        .documents
        .iter()
        .filter_map(|d| d.root.as_deref())
        .map(yaml::node_count)
        .sum();
    run.take(nodes).then_some(file)
}

/// Reads one file the walk found, by its role. Only manifests are parsed here; a chart part is
/// read and hidden (`generated`) until a directory source deploys it; a jsonnet file is named,
/// not read. The `Found` back for a file that is only counted (excluded, or no manifest, and no
/// problem). Parsing draws on the run's node budget; a manifest whose text is `parsed`'s (another load's parse of its path) takes that instead.
fn read(
    found: Found,
    opts: &LoadOptions,
    run: &yaml::RunBudget,
    parsed: Option<SourceFile>,
) -> Result<SourceFile, Found> {
    if found.problem.is_none() && matches!(found.role, Role::Excluded | Role::NotManifest) {
        return Err(found);
    }
    let empty = |problem: Option<ReadProblem>| {
        let mut f = SourceFile::new(found.display.clone(), found.rel.clone(), Arc::from(""));
        f.read_problem = problem;
        f.root = found.root;
        f.generated = matches!(found.role, Role::ChartPart | Role::Jsonnet);
        f
    };
    if let Some(p) = found.problem.clone() {
        return Ok(empty(Some(p)));
    }
    match found.role {
        Role::Manifest | Role::ChartPart => {}
        Role::Jsonnet | Role::Excluded | Role::NotManifest => return Ok(empty(None)),
    }
    // One open and one `fstat` per file (not a `stat` by path and another inside `fs::read`):
    // the size bound is checked on the open file, and the buffer is sized from it.
    let bytes = match read_bounded(&found.path, opts.max_file_size) {
        Ok(Ok(b)) => b,
        Ok(Err(size)) => {
            return Ok(empty(Some(ReadProblem::TooLarge {
                size,
                limit: opts.max_file_size,
            })));
        }
        Err(e) => return Ok(empty(Some(ReadProblem::Io(e.to_string())))),
    };
    // UTF-32 is named, never decoded (Argo CD reads it as UTF-8 and fails); UTF-16 with a
    // byte-order mark is decoded as Argo CD decodes it, and without one named.
    if let Some(utf32) = ReadProblem::encoding_of(&bytes)
        .filter(|p| matches!(p, ReadProblem::Encoding(name) if name.starts_with("UTF-32")))
    {
        return Ok(empty(Some(utf32)));
    }
    let bytes = match utf16_text(&bytes) {
        None => bytes,
        Some(Ok(text)) => text.into_bytes(),
        Some(Err(reason)) => return Ok(empty(Some(ReadProblem::Utf16 { reason }))),
    };
    if let Some(encoding) = ReadProblem::encoding_of(&bytes) {
        return Ok(empty(Some(encoding)));
    }
    if bytes.contains(&0) {
        return Ok(empty(Some(ReadProblem::Binary)));
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
            f.generated = found.role == Role::ChartPart;
            return Ok(f);
        }
    };
    if found.role == Role::Manifest
        && let Some(mut file) = take_parsed(parsed, &text, run)
    {
        file.display = found.display;
        file.root = found.root;
        return Ok(file);
    }
    let mut file = SourceFile::new(found.display, found.rel, Arc::from(text));
    file.root = found.root;
    if found.role == Role::ChartPart {
        file.generated = true;
        return Ok(file);
    }
    let parsed = yaml::parse_in_run(&file.text, opts.limits, Some(run));
    file.documents = parsed.documents;
    file.run_peak = parsed.peak;
    file.yaml_error = parsed.error.or_else(|| array_of_manifests(&file));
    Ok(file)
}

/// The bytes of the file at `path`, or its size when that is over `limit` (nothing read).
/// Reads at most `limit + 1` bytes whatever the size said, should the file grow meanwhile.
fn read_bounded(path: &Path, limit: u64) -> std::io::Result<Result<Vec<u8>, u64>> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let size = file.metadata()?.len();
    if size > limit {
        return Ok(Err(size));
    }
    if size == 0 {
        // Nothing said, or a file whose size the system does not know (`/proc`): read to the end,
        // up to one byte past the limit.
        let mut bytes = Vec::new();
        file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
        if bytes.len() as u64 > limit {
            return Ok(Err(bytes.len() as u64));
        }
        return Ok(Ok(bytes));
    }
    // The `size` bytes `fstat` gave, and no more: one `read` for a manifest, not a second to
    // find the end (57,000 system calls fewer at 50,000 objects, issue 12). A file that grows
    // meanwhile is read as it was when it was opened; one that shrinks, up to its new end.
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    let mut bytes = vec![0; size];
    let mut filled = 0;
    let mut file = file;
    while filled < size {
        match file.read(&mut bytes[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    bytes.truncate(filled);
    Ok(Ok(bytes))
}

/// The bucket of [`FileCounts`] a file of the walk lands in, once read.
fn count(counts: &mut FileCounts, role: Role, file: Option<&SourceFile>) {
    counts.seen += 1;
    let skipped = &mut counts.skipped;
    let bucket = match (role, file.and_then(|f| f.read_problem.as_ref())) {
        (Role::Excluded, _) => &mut skipped.excluded,
        (_, Some(ReadProblem::TooLarge { .. })) => &mut skipped.too_large,
        (
            _,
            Some(
                ReadProblem::Binary
                | ReadProblem::NotUtf8 { .. }
                | ReadProblem::Encoding(_)
                | ReadProblem::Utf16 { .. },
            ),
        ) => &mut skipped.not_text,
        (_, Some(_)) => &mut skipped.unreadable,
        (Role::NotManifest, None) => &mut skipped.not_a_manifest,
        (Role::Jsonnet, None) => &mut skipped.jsonnet,
        (Role::ChartPart, None) => &mut counts.rendered_only,
        (Role::Manifest, None) => &mut counts.parsed,
    };
    *bucket += 1;
}

/// Makes the run's node budget (`yaml-nodes`) fall on the same files whatever order the parallel
/// reads finished in: files keep their nodes in display order while the budget lasts, and the
/// first file past it (and any later one that does not fit what is left) is dropped with a
/// finding at the node where the budget ran out. Each file ends as its parse with what the
/// files before it left would end: a parse that counted more than that at once (`run_peak`:
/// a file stopped by `yaml-nodes-per-file` or a syntax error holds fewer nodes than it
/// counted) is parsed again, whether or not the budget happened to stop it. Only needed when a
/// read hit the budget, or could have; memory stays within the budget plus one file's.
fn settle_run_budget(files: &mut [SourceFile], opts: &LoadOptions) {
    let run_limited = |f: &SourceFile| {
        f.yaml_error
            .as_ref()
            .is_some_and(|e| e.kind == yaml::YamlErrorKind::RunNodeLimit)
    };
    // A file holds at most what it counted: when all the counts fit together, every file fits
    // what the files before it left.
    let counted = files
        .iter()
        .fold(0usize, |sum, f| sum.saturating_add(f.run_peak));
    if !files.iter().any(run_limited) && counted <= opts.run_nodes {
        return;
    }
    let held = |documents: &[Document]| -> usize {
        documents
            .iter()
            .filter_map(|d| d.root.as_deref())
            .map(yaml::node_count)
            .sum()
    };
    let mut used = 0usize;
    for file in files.iter_mut() {
        let own = held(&file.documents);
        if !run_limited(file) && used.saturating_add(own.max(file.run_peak)) <= opts.run_nodes {
            used += own;
            continue;
        }
        // Parse again with what is left of the run's budget.
        file.documents = Vec::new();
        let left = yaml::RunBudget::rest(opts.run_nodes.saturating_sub(used), opts.run_nodes);
        let parsed = yaml::parse_in_run(&file.text, opts.limits, Some(&left));
        used += held(&parsed.documents);
        file.documents = parsed.documents;
        file.run_peak = parsed.peak;
        file.yaml_error = parsed.error;
    }
}

/// A top-level sequence of Kubernetes objects, which Argo CD does not apply: its repo-server
/// decodes a `.json` file as one object and a YAML document as one object each
/// (argoproj/argo-cd reposerver/repository/repository.go, `getObjsFromYAMLOrJson` and
/// `splitYAMLOrJSON`); an array fails to decode and the Application's manifests fail to
/// generate. A YAML file that fails so is skipped instead unless its bytes hold `apiVersion:`,
/// `kind:` and `metadata:` (a flow array in JSON style does not), and so is it here. A sequence
/// of anything but objects is no manifest and not a finding.
fn array_of_manifests(file: &SourceFile) -> Option<yaml::YamlError> {
    // The documents first: a top-level sequence is rare, and the text is scanned only then.
    let seq = file
        .documents
        .iter()
        .filter_map(|d| d.root.as_deref())
        .find(|root| {
            root.is_seq()
                && root
                    .items()
                    .iter()
                    .any(|item| item.get("apiVersion").is_some() && item.get("kind").is_some())
        })?;
    let json = file.rel.ends_with(".json");
    let argo_reads_as_manifest = json
        || ["apiVersion:", "kind:", "metadata:"]
            .iter()
            .all(|k| file.text.contains(k));
    if !argo_reads_as_manifest {
        return None;
    }
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
    if !body.len().is_multiple_of(2) {
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
    if head.len() < 4 || !head.len().is_multiple_of(2) {
        return false;
    }
    let even_nul = head.iter().step_by(2).all(|&b| b == 0);
    let odd_nul = head.iter().skip(1).step_by(2).all(|&b| b == 0);
    let even_text = head.iter().step_by(2).all(|&b| b != 0);
    let odd_text = head.iter().skip(1).step_by(2).all(|&b| b != 0);
    (odd_nul && even_text) || (even_nul && odd_text)
}

/// Walks `paths` (each a file or directory inside `boundary`) and reads every manifest found,
/// in parallel. Files are returned sorted by display path, each once, with what the walk did
/// with every file it met (`Sources::counts`).
pub fn load(paths: &[PathBuf], boundary: &Path, cwd: &Path, opts: &LoadOptions) -> Sources {
    load_reusing(paths, boundary, cwd, opts, None)
}

/// A file of the walk once visited: its role, and the file read (`Err`: its display path, for a
/// file only counted).
type Visited = (Role, Result<SourceFile, String>);

/// Reads what the walk found, unless it is only counted.
fn visit(
    found: Found,
    opts: &LoadOptions,
    run: &yaml::RunBudget,
    held: Option<SourceFile>,
) -> Visited {
    let role = found.role;
    (role, read(found, opts, run, held).map_err(|f| f.display))
}

/// A file of the walk in [`Loaded`]: its role, and its display path or the index of its file.
struct Seen {
    role: Role,
    display: String,
    file: Option<usize>,
}

/// What a load met, in walk order: every file, and beside them the files read (held apart, so
/// that the files are moved into place at most once more and end up in their vector without a
/// copy: the load's memory peak, issue 12).
#[derive(Default)]
struct Loaded {
    seen: Vec<Seen>,
    files: Vec<Option<SourceFile>>,
}

impl Loaded {
    fn push(&mut self, (role, visited): Visited) {
        let (display, file) = match visited {
            Ok(file) => {
                self.files.push(Some(file));
                (String::new(), Some(self.files.len() - 1))
            }
            Err(display) => (display, None),
        };
        self.seen.push(Seen {
            role,
            display,
            file,
        });
    }

    /// The files sorted by display path, each once (a path met twice keeps its first), and the
    /// counts of what the walk did with every file it met.
    fn finish(self) -> (Vec<SourceFile>, FileCounts) {
        let Loaded {
            mut seen,
            mut files,
        } = self;
        let key = |files: &[Option<SourceFile>], s: &Seen| -> String {
            match s.file.and_then(|i| files.get(i)).and_then(Option::as_ref) {
                Some(f) => f.display.clone(),
                None => s.display.clone(),
            }
        };
        fn name<'a>(files: &'a [Option<SourceFile>], s: &'a Seen) -> &'a str {
            match s.file.and_then(|i| files.get(i)).and_then(Option::as_ref) {
                Some(f) => &f.display,
                None => &s.display,
            }
        }
        let in_order = seen
            .windows(2)
            .all(|w| name(&files, &w[0]) < name(&files, &w[1]));
        if !in_order {
            // The walk's order differs where a name sorts before `/` (`a-b/x` comes after
            // `a/x` in the walk, before it here), or a path was met twice (several roots,
            // or names alike once made UTF-8). Rare: keys are copied.
            let mut keyed: Vec<(String, Seen)> =
                seen.into_iter().map(|s| (key(&files, &s), s)).collect();
            keyed.sort_by(|a, b| a.0.cmp(&b.0));
            let mut order = Vec::with_capacity(files.len());
            let mut dropped = Vec::new();
            let mut kept: Vec<Seen> = Vec::with_capacity(keyed.len());
            let mut last: Option<String> = None;
            for (k, s) in keyed {
                if last.as_deref() == Some(k.as_str()) {
                    dropped.extend(s.file);
                    continue;
                }
                order.extend(s.file);
                last = Some(k);
                kept.push(s);
            }
            let keep = order.len();
            for &i in &dropped {
                if let Some(slot) = files.get_mut(i) {
                    *slot = None;
                }
            }
            order.extend(dropped);
            permute(&mut files, &order);
            files.truncate(keep);
            // The kept files now sit in order.
            let mut next = 0;
            for s in &mut kept {
                if s.file.is_some() {
                    s.file = Some(next);
                    next += 1;
                }
            }
            seen = kept;
        }
        let mut counts = FileCounts::default();
        for s in &seen {
            let file = s.file.and_then(|i| files.get(i)).and_then(Option::as_ref);
            count(&mut counts, s.role, file);
        }
        // Collected in place (an `Option<SourceFile>` is the size of a `SourceFile`): the files
        // are not held twice while the vector is made. `filter_map` reuses the buffer;
        // `flatten`, which clippy prefers, does not (Rust 1.95), and costs 15 MB more at 50,000
        // files.
        #[allow(clippy::filter_map_identity)]
        let files = files.into_iter().filter_map(|f| f).collect();
        (files, counts)
    }
}

/// Puts `items` in the order `order` says, in place: `items[k]` becomes what `items[order[k]]`
/// was. `order` is a permutation of the indices of `items`.
fn permute<T>(items: &mut [T], order: &[usize]) {
    let mut placed = vec![false; items.len()];
    for start in 0..items.len().min(order.len()) {
        if placed[start] {
            continue;
        }
        let mut k = start;
        loop {
            placed[k] = true;
            let next = order[k];
            if next == start || next >= items.len() || placed[next] {
                break;
            }
            items.swap(k, next);
            k = next;
        }
    }
}

/// [`load`], taking the parse of each manifest whose text `parsed` holds at its path.
pub fn load_reusing(
    paths: &[PathBuf],
    boundary: &Path,
    cwd: &Path,
    opts: &LoadOptions,
    parsed: Option<ParsedFiles>,
) -> Sources {
    let run = yaml::RunBudget::new(opts.run_nodes);
    // Each path's held parse goes with it (paths are unique once deduplicated); parses made
    // under other limits are not taken.
    let mut parsed = parsed
        .filter(|p| p.limits == opts.limits)
        .unwrap_or_default();
    let mut tree = None;
    let mut loaded = Loaded::default();
    if let [root] = paths {
        // One root meets each file once: each is read and parsed by the task that found it, so
        // the cores never wait for the walk. The order in which files meet the run's budget is
        // then the scheduler's; `settle_run_budget` makes the result the display order's.
        let mut listing = (root == boundary).then(source::TreeListing::default);
        let held = std::sync::Mutex::new(std::mem::take(&mut parsed.files));
        let take = |rel: &str| -> Option<SourceFile> {
            let mut held = held.lock().ok()?;
            if held.is_empty() {
                None
            } else {
                held.remove(rel)
            }
        };
        let visitor = |found: Found| {
            let held = take(&found.rel);
            visit(found, opts, &run, held)
        };
        let walked = walk(root, 0, boundary, cwd, opts, listing.is_some(), &visitor);
        // Sized once: no vector of files is copied as it grows.
        let n = met_count(&walked);
        loaded.seen.reserve_exact(n);
        loaded.files.reserve_exact(n);
        flatten(walked, |v| loaded.push(v), listing.as_mut());
        tree = listing;
        crate::stage_mark("load: walked, read and parsed");
    } else {
        // Several roots can list the same file: found first, each read once.
        let mut found = Vec::new();
        for (i, p) in paths.iter().enumerate() {
            // The root's own listing, for git generators, when the root itself is walked.
            let mut listing = (p == boundary && tree.is_none()).then(source::TreeListing::default);
            let walked = walk(p, i, boundary, cwd, opts, listing.is_some(), &|f: Found| f);
            flatten(walked, |f| found.push(f), listing.as_mut());
            if listing.is_some() {
                tree = listing;
            }
        }
        crate::stage_mark("load: walked");
        found.sort_by(|a, b| a.display.cmp(&b.display));
        found.dedup_by(|a, b| a.display == b.display);
        let found: Vec<(Found, Option<SourceFile>)> = found
            .into_iter()
            .map(|f| {
                let held = parsed.files.remove(&f.rel);
                (f, held)
            })
            .collect();
        let visited: Vec<Visited> = found
            .into_par_iter()
            .map(|(f, held)| visit(f, opts, &run, held))
            .collect();
        loaded.seen.reserve_exact(visited.len());
        loaded.files.reserve_exact(visited.len());
        for v in visited {
            loaded.push(v);
        }
        crate::stage_mark("load: read and parsed");
    }
    let (mut files, counts) = loaded.finish();
    settle_run_budget(&mut files, opts);
    let mut sources = Sources::new(files);
    sources.counts = counts;
    sources.tree = tree.map(std::sync::Arc::new);
    sources.parse_limits = opts.limits;
    sources
}

/// Parses a file the walk read without parsing (a chart template), now that a directory source
/// deploys it: from here on it is a manifest of the tree like any other. Whether it was such a
/// file (and is now a manifest).
pub fn parse_deployed_chart_part(sources: &mut Sources, id: FileId) -> bool {
    let limits = sources.parse_limits;
    let file = sources.get_mut(id);
    if !file.generated || file.rel.ends_with(".jsonnet") {
        return false;
    }
    file.generated = false;
    if file.read_problem.is_none() {
        let parsed = yaml::parse(&file.text, limits);
        file.documents = parsed.documents;
        file.yaml_error = parsed.error;
        sources.counts.rendered_only = sources.counts.rendered_only.saturating_sub(1);
        sources.counts.parsed += 1;
    }
    true
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

/// The walk as it was (serial, `walkdir`): kept for tests, as the order and the findings the
/// parallel [`walk`] must reproduce exactly. Lists every file under `root` (a file or a
/// directory), each with its role. Like Argo CD's
/// repo-server, which walks a directory source with Go's `filepath.Walk`, it does not descend
/// into linked directories; a linked file is read when its target is a file inside `boundary`.
/// A link out of `boundary` is reported, never followed. A directory that cannot be listed is
/// reported, never skipped in silence. Files of excluded directories are counted, not read.
#[cfg(test)]
fn walk_with_walkdir(
    root: &Path,
    root_index: usize,
    boundary: &Path,
    cwd: &Path,
    opts: &LoadOptions,
    out: &mut Vec<Found>,
    mut tree: Option<&mut source::TreeListing>,
) {
    let rel_of = |p: &Path| slash_path(p.strip_prefix(boundary).unwrap_or(p));
    let real_boundary = boundary.canonicalize().ok();
    let found = |path: &Path, rel: String, problem, role| Found {
        path: path.to_path_buf(),
        display: display_path(path, cwd),
        rel,
        problem,
        root: root_index,
        role,
    };
    // `root` itself is followed when it is a link: it is what the user asked for.
    let mut it = walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter();
    // The depth of the excluded directory, or of the chart's `templates/`/`charts/`, that the
    // walk is inside of (entries come depth first, so leaving it is reaching that depth again).
    let mut excluded_at: Option<usize> = None;
    let mut chart_part_at: Option<usize> = None;
    loop {
        let entry = match it.next() {
            None => break,
            Some(Ok(e)) => e,
            Some(Err(err)) => {
                // An excluded directory (or one inside it) is not read, so nothing is missed.
                if excluded_at.is_some_and(|d| err.depth() >= d) {
                    continue;
                }
                let path = err.path().map(Path::to_path_buf).unwrap_or_default();
                let why = err
                    .io_error()
                    .map_or_else(|| err.to_string(), ToString::to_string);
                let problem = if path.is_dir() {
                    ReadProblem::UnlistableDir(why)
                } else {
                    ReadProblem::Io(why)
                };
                out.push(found(&path, rel_of(&path), Some(problem), Role::Manifest));
                continue;
            }
        };
        let depth = entry.depth();
        if excluded_at.is_some_and(|d| depth <= d) {
            excluded_at = None;
        }
        if chart_part_at.is_some_and(|d| depth <= d) {
            chart_part_at = None;
        }
        let path = entry.path();
        let rel = rel_of(path);
        let is_dir = entry.file_type().is_dir();
        let name = entry.file_name().to_string_lossy();
        if is_dir && depth > 0 && name == ".git" {
            it.skip_current_dir();
            continue;
        }
        if let Some(tree) = tree.as_deref_mut().filter(|_| depth > 0) {
            if is_dir {
                tree.directories.push(rel.clone());
            } else if entry.file_type().is_file() {
                tree.files.push(rel.clone());
            }
        }
        if excluded_at.is_none() && depth > 0 && opts.exclude.is_match(&rel) {
            if is_dir {
                excluded_at = Some(depth);
            } else {
                out.push(found(path, rel, None, Role::Excluded));
            }
            continue;
        }
        if is_dir {
            // A Helm chart's templates are Go templates, not YAML; its subcharts likewise.
            if chart_part_at.is_none()
                && (name == "templates" || name == "charts")
                && path
                    .parent()
                    .is_some_and(|p| p.join("Chart.yaml").is_file())
            {
                chart_part_at = Some(depth);
            }
            continue;
        }
        if excluded_at.is_some() {
            out.push(found(path, rel, None, Role::Excluded));
            continue;
        }
        let role = if is_jsonnet_name(path) {
            Role::Jsonnet
        } else if !is_manifest_name(path) || (depth > 0 && name == CONFIG_FILE) {
            Role::NotManifest
        } else if chart_part_at.is_some() {
            Role::ChartPart
        } else {
            Role::Manifest
        };
        if entry.path_is_symlink() {
            if let Linked::File(problem) = linked(path, role, real_boundary.as_deref()) {
                out.push(found(path, rel, problem, role));
            }
            continue;
        }
        if matches!(role, Role::Manifest | Role::ChartPart) && !entry.file_type().is_file() {
            // A FIFO or device named `x.yaml` would block or never end if read.
            out.push(found(path, rel, Some(ReadProblem::NotRegular), role));
            continue;
        }
        out.push(found(path, rel, None, role));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, rel: &str, text: &[u8]) {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    /// A parse taken from another load draws on the taking run's node budget as its own parse
    /// would: with a `yaml-nodes` budget for two of three files, the third meets its end with or
    /// without the parses of a load that had no such budget, and every file ends the same. (Were
    /// a taken parse not charged, the third would be taken whole and hold no finding.)
    /// The nodes of every document a load parsed.
    fn nodes_of(sources: &Sources) -> usize {
        sources
            .iter()
            .flat_map(|(_, f)| &f.documents)
            .filter_map(|d| d.root.as_deref())
            .map(yaml::node_count)
            .sum()
    }

    /// The run's node budget ends each file the same way whatever order the parallel reads
    /// took. Four files of 690 nodes come first in display order, and `a.yaml` (a small
    /// document, then one past the 1,000-node `yaml-nodes-per-file`) last, with a `yaml-nodes`
    /// of 3,000: what the four leave cannot hold what `a.yaml` counts before its own limit, so
    /// it meets the run's. (Before, when `a.yaml` was read first its own limit stopped it, it
    /// gave its nodes back, nothing met the run's budget and nothing was settled: the first
    /// order said `NodeLimit`, the second `RunNodeLimit`, as the threads ran.)
    #[test]
    fn the_run_budget_ends_a_file_the_same_whichever_read_came_first() {
        let cm = |name: &str, keys: usize| -> String {
            let mut text =
                format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n");
            for k in 0..keys {
                text.push_str(&format!("  k{k}: v\n"));
            }
            text
        };
        let mut texts: Vec<(String, String)> = (0..4)
            .map(|i| (format!("{i}.yaml"), cm("f", 340)))
            .collect();
        texts.push((
            "a.yaml".into(),
            format!("{}---\n{}", cm("small", 2), cm("huge", 1500)),
        ));
        let opts = LoadOptions {
            limits: yaml::Limits {
                nodes: 1000,
                ..yaml::Limits::default()
            },
            run_nodes: 3000,
            ..LoadOptions::default()
        };
        let read_in = |order: &[usize]| -> Vec<String> {
            let run = yaml::RunBudget::new(opts.run_nodes);
            let mut read: Vec<Option<SourceFile>> = texts.iter().map(|_| None).collect();
            for &i in order {
                let (rel, text) = &texts[i];
                let mut file = SourceFile::new(rel.clone(), rel.clone(), Arc::from(text.as_str()));
                let parsed = yaml::parse_in_run(&file.text, opts.limits, Some(&run));
                file.documents = parsed.documents;
                file.run_peak = parsed.peak;
                file.yaml_error = parsed.error;
                read[i] = Some(file);
            }
            let mut files: Vec<SourceFile> = read.into_iter().flatten().collect();
            settle_run_budget(&mut files, &opts);
            files
                .iter()
                .map(|f| {
                    let kind = f.yaml_error.as_ref().map(|e| &e.kind);
                    format!("{} {} {kind:?}", f.rel, f.documents.len())
                })
                .collect()
        };
        let in_order = read_in(&[0, 1, 2, 3, 4]);
        assert_eq!(in_order[4], "a.yaml 0 Some(RunNodeLimit)");
        assert_eq!(
            in_order[..4]
                .iter()
                .filter(|f| f.ends_with(" 1 None"))
                .count(),
            4
        );
        for order in [[4, 0, 1, 2, 3], [0, 4, 1, 2, 3], [3, 2, 1, 0, 4]] {
            assert_eq!(read_in(&order), in_order, "{order:?}");
        }
    }

    #[test]
    fn a_taken_parse_is_charged_to_the_run_budget() {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path();
        let doc = "a:\n  b: [1, 2, 3]\n  c: {d: 4, e: 5}\n";
        for name in ["1.yaml", "2.yaml", "3.yaml"] {
            write(dir, name, doc.as_bytes());
        }
        let unbounded = load(&[dir.to_path_buf()], dir, dir, &LoadOptions::default());
        let one = nodes_of(&unbounded) / 3;
        let opts = LoadOptions {
            run_nodes: 2 * one,
            ..LoadOptions::default()
        };
        let summary = |sources: &Sources| -> Vec<String> {
            sources
                .iter()
                .map(|(_, f)| format!("{} {:?} {:?}", f.rel, f.documents, f.yaml_error))
                .collect()
        };
        let fresh = load(&[dir.to_path_buf()], dir, dir, &opts);
        let taking = load_reusing(
            &[dir.to_path_buf()],
            dir,
            dir,
            &opts,
            Some(ParsedFiles::of(&unbounded)),
        );
        assert!(
            fresh.iter().any(|(_, f)| f
                .yaml_error
                .as_ref()
                .is_some_and(|e| e.kind == yaml::YamlErrorKind::RunNodeLimit)),
            "{:?}",
            summary(&fresh)
        );
        assert_eq!(summary(&taking), summary(&fresh));
        // The parse of the first file was taken, not made again: one tree for both loads.
        let root = |s: &Sources| {
            s.iter()
                .next()
                .and_then(|(_, f)| f.documents[0].root.clone())
        };
        assert!(std::sync::Arc::ptr_eq(
            &root(&taking).expect("root"),
            &root(&unbounded).expect("root")
        ));
    }

    /// The walk's whole account of a tree: every file met (path, names, problem, role) and the
    /// tree listing, in order.
    fn walked(
        root: &Path,
        boundary: &Path,
        cwd: &Path,
        opts: &LoadOptions,
        reference: bool,
    ) -> (Vec<String>, source::TreeListing) {
        let mut found = Vec::new();
        let mut tree = source::TreeListing::default();
        if reference {
            walk_with_walkdir(root, 0, boundary, cwd, opts, &mut found, Some(&mut tree));
        } else {
            let walked = walk(root, 0, boundary, cwd, opts, true, &|f: Found| f);
            flatten(walked, |f| found.push(f), Some(&mut tree));
        }
        let found = found.iter().map(|f| format!("{f:?}")).collect();
        (found, tree)
    }

    /// The parallel walk meets what the serial `walkdir` walk met, in the same order, with the
    /// same names, roles and problems, and lists the same tree: on names that sort differently
    /// as paths and as components (`a/`, `a-b/`, `a.yaml`, `A/`, a backslash, a name that is
    /// not UTF-8), an excluded directory, chart parts, links (in, out, to a directory, a loop,
    /// dangling), a FIFO, `.git`, and nesting past the parallel depth; from roots and working
    /// directories written in the ways a user can write them (a trailing `/`, a `.` inside,
    /// the working directory inside the root, a linked root, a file as the root).
    #[cfg(unix)]
    #[test]
    fn the_parallel_walk_meets_what_the_serial_walk_met() {
        use std::os::unix::ffi::OsStrExt;
        use std::os::unix::fs::symlink;
        let tmp = tempfile::tempdir().expect("tmp");
        let top = tmp.path().canonicalize().expect("canonical");
        let dir = top.join("repo");
        for rel in [
            "a/x.yaml",
            "a/b/y.yml",
            "a-b/x.yaml",
            "a.yaml",
            "A/x.json",
            "a.b/c.yaml",
            "back\\slash/z.yaml",
            "ex/skip.yaml",
            "ex/deeper/skip.yaml",
            "keep/ex/skip.yaml",
            "chart/Chart.yaml",
            "chart/values.yaml",
            "chart/templates/t.yaml",
            "chart/templates/_h.tpl",
            "chart/charts/sub/Chart.yaml",
            "chart/charts/sub/templates/s.yaml",
            "templates/not-a-chart.yaml",
            "lib.jsonnet",
            "README.md",
            ".manifest-guard.yaml",
            "sub/.manifest-guard.yaml",
            ".git/config.yaml",
            "sub/.git",
        ] {
            write(&dir, rel, b"a: 1\n");
        }
        let odd = std::ffi::OsStr::from_bytes(b"odd\xff\xfe");
        std::fs::create_dir_all(dir.join(odd)).expect("mkdir");
        std::fs::write(dir.join(odd).join("n.yaml"), b"a: 1\n").expect("write");
        let bad = std::ffi::OsStr::from_bytes(b"bad\xffname.yaml");
        std::fs::write(dir.join(bad), b"a: 1\n").expect("write");
        let mut deep = dir.join("deep");
        for i in 0..(PARALLEL_DEPTH + 4) {
            deep = deep.join(format!("d{i}"));
            write(&deep, "f.yaml", b"a: 1\n");
            write(&deep, "g-h.yaml", b"a: 1\n");
        }
        write(&top, "outside.yaml", b"a: 1\n");
        symlink(dir.join("a.yaml"), dir.join("link-in.yaml")).expect("link");
        symlink(dir.join("a"), dir.join("link-dir")).expect("link");
        symlink(&top, dir.join("link-up")).expect("link");
        symlink(top.join("outside.yaml"), dir.join("link-out.yaml")).expect("link");
        symlink(dir.join("missing.yaml"), dir.join("dangling.yaml")).expect("link");
        symlink(&dir, dir.join("a/loop")).expect("link");
        symlink(&dir, top.join("repo-link")).expect("link");
        let fifo = std::process::Command::new("mkfifo")
            .arg(dir.join("pipe.yaml"))
            .status();
        assert!(fifo.is_ok_and(|s| s.success()), "mkfifo");
        let mut exclude = globset::GlobSetBuilder::new();
        exclude.add(globset::Glob::new("ex").expect("glob"));
        exclude.add(globset::Glob::new("**/deeper").expect("glob"));
        let with_exclude = LoadOptions {
            exclude: exclude.build().expect("set"),
            ..LoadOptions::default()
        };
        let slash = |p: &Path| PathBuf::from(format!("{}/", p.display()));
        let cases: Vec<(PathBuf, PathBuf, PathBuf)> = vec![
            (dir.clone(), dir.clone(), dir.clone()),
            (dir.clone(), dir.clone(), top.clone()),
            (dir.clone(), dir.clone(), dir.join("a")),
            (dir.clone(), top.clone(), PathBuf::from("/elsewhere")),
            (slash(&dir), dir.clone(), top.clone()),
            (top.join(".").join("repo"), top.join("repo"), top.clone()),
            (top.join("repo-link"), top.join("repo-link"), top.clone()),
            (dir.join("chart/templates"), dir.clone(), top.clone()),
            (dir.join("a.yaml"), dir.clone(), top.clone()),
            (dir.join("link-in.yaml"), dir.clone(), dir.clone()),
            (dir.join("missing"), dir.clone(), dir.clone()),
        ];
        for opts in [&LoadOptions::default(), &with_exclude] {
            for (root, boundary, cwd) in &cases {
                let serial = walked(root, boundary, cwd, opts, true);
                let parallel = walked(root, boundary, cwd, opts, false);
                assert!(!serial.0.is_empty(), "{root:?}");
                assert_eq!(
                    parallel, serial,
                    "root {root:?} boundary {boundary:?} cwd {cwd:?}"
                );
            }
        }
        // The tree holds what it was written to hold (the reference cannot agree by accident
        // on an empty walk).
        let (found, tree) = walked(&dir, &dir, &top, &with_exclude, false);
        assert!(
            tree.directories
                .iter()
                .any(|d| d == "deep/d0/d1/d2/d3/d4/d5/d6/d7/d8/d9/d10/d11/d12/d13/d14/d15/d16/d17")
        );
        assert!(
            found.iter().any(|f| f.contains("SymlinkOutsideRoot")),
            "{found:#?}"
        );
        assert!(found.iter().any(|f| f.contains("ChartPart")), "{found:#?}");
        assert!(found.iter().any(|f| f.contains("Excluded")), "{found:#?}");
    }

    /// The run's node budget falls on the same files whatever order the walk's tasks parsed
    /// them in: files are parsed by the task that found them, in the scheduler's order, and
    /// `settle_run_budget` makes the outcome the display order's. A tree over the budget, in
    /// nested directories, loaded on 1 and on 4 threads (several times), gives one result.
    #[test]
    fn the_run_budget_ends_at_the_same_file_on_one_and_four_threads() {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path();
        let doc = "a:\n  b: [1, 2, 3]\n  c: {d: 4, e: 5}\n";
        for d in 0..6 {
            for f in 0..8 {
                write(
                    dir,
                    &format!("d{d}/sub-{}/f{f}.yaml", f % 3),
                    doc.as_bytes(),
                );
            }
        }
        let whole = load(&[dir.to_path_buf()], dir, dir, &LoadOptions::default());
        let all = nodes_of(&whole);
        let opts = LoadOptions {
            run_nodes: all / 3 + 1,
            ..LoadOptions::default()
        };
        let summary = |threads: usize| -> Vec<String> {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("pool");
            let sources = pool.install(|| load(&[dir.to_path_buf()], dir, dir, &opts));
            sources
                .iter()
                .map(|(_, f)| format!("{} {:?} {:?}", f.display, f.documents, f.yaml_error))
                .collect()
        };
        let one = summary(1);
        let limited = one.iter().filter(|f| f.contains("RunNodeLimit")).count();
        assert!(limited > 0 && limited < one.len(), "{one:#?}");
        for _ in 0..5 {
            assert_eq!(summary(4), one);
        }
    }

    /// Files come out sorted by display path and each once, where the walk's order is not the
    /// display order (`a/`, then `a-b/` and `a.yaml` in the walk; `a-b/`, `a.yaml`, `a/` by
    /// path) and where two roots list the same files; the counts count each file once.
    #[test]
    fn files_come_out_in_display_order_each_once() {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path();
        for rel in [
            "a/x.yaml",
            "a/y.md",
            "a-b/x.yaml",
            "a.yaml",
            "a.b/x.yaml",
            "b.md",
        ] {
            write(dir, rel, b"k: v\n");
        }
        let names = |s: &Sources| -> Vec<String> { s.iter().map(|(_, f)| f.rel.clone()).collect() };
        let want = ["a-b/x.yaml", "a.b/x.yaml", "a.yaml", "a/x.yaml"];
        let one = load(&[dir.to_path_buf()], dir, dir, &LoadOptions::default());
        let twice = load(
            &[dir.to_path_buf(), dir.join("a"), dir.join("a.yaml")],
            dir,
            dir,
            &LoadOptions::default(),
        );
        for sources in [&one, &twice] {
            assert_eq!(names(sources), want);
            let counts = &sources.counts;
            assert_eq!((counts.seen, counts.parsed), (6, 4), "{counts:?}");
        }
    }

    #[test]
    fn permute_puts_items_where_the_order_says() {
        let mut items = vec!['a', 'b', 'c', 'd', 'e'];
        permute(&mut items, &[3, 0, 4, 1, 2]);
        assert_eq!(items, ['d', 'a', 'e', 'b', 'c']);
    }

    /// Every file below the path is met exactly once, with one role, and so lands in exactly one
    /// bucket of the counts (`count` is one `match` over the role and the read problem); `.git`
    /// is no part of the tree.
    #[test]
    fn the_walk_meets_every_file_once_with_one_role() {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path();
        for (rel, text) in [
            ("a.yaml", &b"kind: A\n"[..]),
            ("chart/Chart.yaml", b"name: c\n"),
            ("chart/templates/t.yaml", b"{{ x }}\n"),
            ("chart/templates/_h.tpl", b"\n"),
            ("chart/charts/sub/Chart.yaml", b"name: s\n"),
            ("ex/x.yaml", b"a: 1\n"),
            ("README.md", b"#\n"),
            ("x.jsonnet", b"{}\n"),
            (".git/HEAD", b"ref\n"),
        ] {
            write(dir, rel, text);
        }
        let mut exclude = globset::GlobSetBuilder::new();
        exclude.add(globset::Glob::new("ex").expect("glob"));
        let opts = LoadOptions {
            exclude: exclude.build().expect("set"),
            ..LoadOptions::default()
        };
        let mut found = Vec::new();
        let walked = walk(dir, 0, dir, dir, &opts, false, &|f: Found| f);
        flatten(walked, |f| found.push(f), None);
        let roles: Vec<(&str, Role)> = found.iter().map(|f| (f.rel.as_str(), f.role)).collect();
        assert_eq!(
            roles,
            [
                ("README.md", Role::NotManifest),
                ("a.yaml", Role::Manifest),
                ("chart/Chart.yaml", Role::Manifest),
                ("chart/charts/sub/Chart.yaml", Role::ChartPart),
                ("chart/templates/_h.tpl", Role::NotManifest),
                ("chart/templates/t.yaml", Role::ChartPart),
                ("ex/x.yaml", Role::Excluded),
                ("x.jsonnet", Role::Jsonnet),
            ]
        );
        let sources = load(&[dir.to_path_buf()], dir, dir, &opts);
        let c = sources.counts;
        assert_eq!((c.seen, c.total()), (8, 8), "{c:?}");
        assert_eq!((c.parsed, c.rendered_only), (2, 2), "{c:?}");
        // What is not read is not held: the two manifests, the two chart parts, the jsonnet name.
        assert_eq!(sources.len(), 5);
    }
}
