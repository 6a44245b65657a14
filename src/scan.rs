//! One scan: the paths a run reads, the scanned root they are in, the configuration (from the
//! root, a `--config` file, or a git revision) and the inventory built from them. `check`,
//! `render` and both sides of `diff` run through it.

use std::path::{Path, PathBuf};

use crate::config::{self, Config};
use crate::error::Error;
use crate::model::Inventory;
use crate::model::argocd::NamespaceOrigin;
use crate::{config_change, git, limits, load, render};

/// How Helm and Kustomize run, from the flags (the config's `render:` fills what they leave).
#[derive(Debug, Clone, Default)]
pub struct RenderFlags {
    pub helm: Option<PathBuf>,
    pub kustomize: Option<PathBuf>,
    pub cache_dir: Option<PathBuf>,
    pub no_render: bool,
    /// Renders shared with another build of this process (set by `diff` for its two sides).
    pub memo: Option<std::sync::Arc<render::cache::Memo>>,
    /// Told of each render (the binary's progress bar on a terminal).
    pub progress: Option<render::ProgressHook>,
}

impl RenderFlags {
    /// The tools to render with, or `None` when rendering is off.
    pub fn tools(&self, config: &Config) -> Option<render::tool::Tools> {
        if self.no_render || config.render.enabled == Some(false) {
            return None;
        }
        let timeout =
            std::time::Duration::from_secs(config.limits.get(crate::limits::Key::RenderTimeout));
        let mut tools = render::tool::Tools::discover(
            self.helm
                .clone()
                .or_else(|| config.render.helm.clone().map(PathBuf::from)),
            self.kustomize
                .clone()
                .or_else(|| config.render.kustomize.clone().map(PathBuf::from)),
            timeout,
        );
        tools.max_memory = config.limits.get(crate::limits::Key::RenderMemory);
        Some(tools)
    }
}

/// The scanned root: the one directory given (or a given file's directory), else the working
/// directory. Config is read from it and no symlink is followed out of it.
fn scanned_root(paths: &[PathBuf], cwd: &Path) -> PathBuf {
    match paths {
        [one] if one.is_dir() => one.clone(),
        [one] => one
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| cwd.to_path_buf(), Path::to_path_buf),
        _ => cwd.to_path_buf(),
    }
}

/// What one scan reads: the path arguments, the scanned root they are in, and how files are
/// named in reports.
#[derive(Debug, Clone)]
pub struct Scan {
    pub paths: Vec<PathBuf>,
    pub root: PathBuf,
    /// When set, files are shown as this prefix plus their path below the root (a revision
    /// materialised in a temporary directory: `HEAD~1:apps/apps.yaml`), not relative to the
    /// working directory.
    pub label: Option<String>,
    /// The git checkout the root is in, when it is known without looking (a materialised
    /// revision has no `.git`); otherwise found from the root's `.git` when the scan runs.
    pub checkout: Option<render::argocd::repo::Checkout>,
}

/// Whose a config file given with `--config` is: the repository's when it, or the link that
/// names it, lies inside any of `dirs` (the scanned root, the working directory — the checkout,
/// in CI) or cannot be placed; else the operator's. A link the repository holds is the
/// repository's wherever it points: a pull request must not make its file the operator's by
/// linking it out of the tree.
pub(crate) fn config_origin(path: &Path, dirs: &[&Path]) -> config::Origin {
    let inside = |file: &Path| {
        dirs.iter()
            .any(|dir| dir.canonicalize().map_or(true, |dir| file.starts_with(dir)))
    };
    let named = match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) => {
            let parent = if parent.as_os_str().is_empty() {
                Path::new(".")
            } else {
                parent
            };
            parent.canonicalize().ok().map(|p| p.join(name))
        }
        _ => None,
    };
    let repository = match (path.canonicalize(), named) {
        (Ok(file), Some(named)) => inside(&file) || inside(&named),
        (Ok(file), None) => inside(&file),
        (Err(_), _) => true,
    };
    if repository {
        config::Origin::Repository
    } else {
        config::Origin::Operator
    }
}

/// `path`, relative to the repository's top `top` and `/`-separated, when it names a file of
/// the repository (whether or not the working tree holds it); `None` for a path elsewhere.
///
/// Links are followed only outside the repository (an operator's path to the checkout); inside
/// it the path is taken as written, as git names it, and no link of the working tree is
/// followed: the working tree is the change under review, and a link it makes (the config file,
/// or a directory above it, turned into a link to another file of the repository, to one the
/// base does not have, or out of the repository) must not choose which file is read as the
/// base's, nor have a file outside the repository read from disk as the operator's.
pub(crate) fn repository_path(top: &Path, path: &Path) -> Option<String> {
    use std::path::Component;
    let top = top.canonicalize().ok()?;
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().ok()?.join(path)
    };
    let mut at = PathBuf::from("/");
    for component in absolute.components() {
        match component {
            Component::Prefix(_) | Component::RootDir | Component::CurDir => {}
            // `at` holds no link: its parent is the directory above it.
            Component::ParentDir => {
                at.pop();
            }
            Component::Normal(name) => {
                let inside = at.starts_with(&top);
                at.push(name);
                if !inside && let Ok(real) = at.canonicalize() {
                    at = real;
                }
            }
        }
    }
    let rel = at.strip_prefix(&top).ok()?;
    (!rel.as_os_str().is_empty()).then(|| crate::load::slash_path(rel))
}

/// Refuses a config file of the repository that is a link out of `dirs`: the tool reads nothing
/// outside the repository on its behalf.
fn refuse_link_out(path: &Path, display: &str, dirs: &[&Path]) -> Result<(), Error> {
    let Ok(file) = path.canonicalize() else {
        return Ok(());
    };
    let inside = dirs
        .iter()
        .any(|dir| dir.canonicalize().is_ok_and(|dir| file.starts_with(dir)));
    if inside {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "config file `{display}` is a link to a file outside the repository; not read (a repository's config must be a file of the repository)"
    )))
}

impl Scan {
    /// The paths as given (default `.`), checked to exist, and their scanned root.
    pub fn of(paths: &[PathBuf]) -> Result<Scan, Error> {
        let cwd = std::env::current_dir().map_err(Error::Cwd)?;
        let paths: Vec<PathBuf> = if paths.is_empty() {
            vec![PathBuf::from(".")]
        } else {
            paths.to_vec()
        };
        for p in &paths {
            if std::fs::symlink_metadata(p).is_err() {
                return Err(Error::MissingPath(p.display().to_string()));
            }
        }
        let root = scanned_root(&paths, &cwd);
        Ok(Scan {
            paths,
            root,
            label: None,
            checkout: None,
        })
    }

    /// The configuration: `config_path`, else `.manifest-guard.yaml` at the scanned root.
    pub fn config(&self, config_path: Option<&Path>) -> Result<Config, Error> {
        let cwd = std::env::current_dir().map_err(Error::Cwd)?;
        match config_path {
            Some(path) => {
                let display = load::display_path(path, &cwd);
                let origin = config_origin(path, &[&self.root, &cwd]);
                if origin == config::Origin::Repository {
                    refuse_link_out(path, &display, &[&self.root, &cwd])?;
                }
                match Config::read(path, &display, origin).map_err(Box::new)? {
                    Some(c) => Ok(c),
                    None => Err(Error::MissingPath(display)),
                }
            }
            None => {
                let path = self.root.join(config::FILE_NAME);
                let display = load::display_path(&path, &cwd);
                refuse_link_out(&path, &display, &[&self.root])?;
                Ok(Config::read(&path, &display, config::Origin::Repository)
                    .map_err(Box::new)?
                    .unwrap_or_default())
            }
        }
    }

    /// The scanned root as git revision `rev` has it: the repository's top, the commit, and the
    /// root's place below the top.
    pub fn at_rev(&self, rev: &str) -> Result<AtRev, Error> {
        let top = PathBuf::from(git::git(&self.root, &["rev-parse", "--show-toplevel"])?);
        let sub = self
            .root
            .canonicalize()
            .ok()
            .and_then(|p| {
                p.strip_prefix(top.canonicalize().ok()?)
                    .ok()
                    .map(load::slash_path)
            })
            .unwrap_or_default();
        // Resolved first and passed after `--end-of-options`: a REV such as `--output=x` or
        // `-c` is a revision that does not exist, never an option to git.
        let commit = git::resolve(&top, rev)?;
        Ok(AtRev {
            rev: rev.to_string(),
            top,
            commit,
            sub,
        })
    }

    /// The configuration as the git revision `rev` has it (`check --config-rev`): its
    /// `.manifest-guard.yaml` at the scanned root's place in the repository, read from git (no
    /// checkout, no link followed), the defaults when it has none. The working tree's file is not
    /// used; it is returned beside, to report what it loosens.
    pub fn config_at_rev(
        &self,
        rev: &str,
        file: Option<&Path>,
    ) -> Result<(Config, Option<config_change::Sides>), Error> {
        let cwd = std::env::current_dir().map_err(Error::Cwd)?;
        let at = self.at_rev(rev)?;
        // `--config FILE`: an operator's file outside the repository is read from disk (the
        // pull request did not write it); one of the repository as REV has it, like the default.
        // A file of the repository is named as written: no link of the working tree (the change
        // under review) is followed to choose which file is read, or to have one outside the
        // repository read from disk as the operator's.
        let in_repository = file.and_then(|path| repository_path(&at.top, path));
        let (rel, head_path, head_rel) = match file {
            Some(path)
                if in_repository.is_none()
                    && config_origin(path, &[&self.root, &cwd]) == config::Origin::Operator =>
            {
                return Ok((self.config(Some(path))?, None));
            }
            Some(path) => {
                let absolute = if path.is_absolute() {
                    path.to_path_buf()
                } else {
                    cwd.join(path)
                };
                let Some(below_top) = in_repository else {
                    return Err(Error::Usage(format!(
                        "--config {} is not in the git repository --config-rev reads",
                        load::display_path(path, &cwd)
                    )));
                };
                let head_rel = match below_top.strip_prefix(&format!("{}/", at.sub)) {
                    Some(below_root) if !at.sub.is_empty() => below_root.to_string(),
                    _ => below_top.clone(),
                };
                (below_top, absolute, head_rel)
            }
            None => (
                at.path_of(config::FILE_NAME),
                self.root.join(config::FILE_NAME),
                config::FILE_NAME.to_string(),
            ),
        };
        let shown = format!("{rev}:{rel}");
        let base = git::file_at(&at.top, &at.commit, &rel, &shown)?;
        let config = match &base {
            Some(text) => {
                Config::parse(&shown, std::sync::Arc::from(text.as_str())).map_err(Box::new)?
            }
            None => Config::default(),
        };
        let sides = config_change::Sides {
            base,
            head: config_change::read_head(&head_path),
            head_display: load::display_path(&head_path, &cwd),
            head_rel,
        };
        Ok((config, Some(sides)))
    }

    /// Loads and renders the scan into an inventory.
    pub fn inventory(&self, config: &Config, flags: &RenderFlags) -> Result<Inventory, Error> {
        let sources = self.load(config, None)?;
        self.render(sources, config, flags)
    }

    /// The load half of [`Scan::inventory`]: the files read and parsed, taking the parse of each
    /// manifest whose text `parsed` holds (another side of a `diff`) instead of parsing it again.
    pub(crate) fn load(
        &self,
        config: &Config,
        parsed: Option<load::ParsedFiles>,
    ) -> Result<load::Sources, Error> {
        let cwd = std::env::current_dir().map_err(Error::Cwd)?;
        crate::stage_mark(&self.stage("start"));
        let sources =
            load::load_reusing(&self.paths, &self.root, &cwd, &load_options(config), parsed);
        crate::stage_mark(&self.stage("load: walked, read, parsed"));
        Ok(sources)
    }

    /// A stage's name for `MANIFEST_GUARD_STAGES`, with the revision a `diff` side reads.
    fn stage(&self, name: &str) -> String {
        match &self.label {
            Some(label) => format!("{label} {name}"),
            None => name.to_string(),
        }
    }

    /// The render half of [`Scan::inventory`], from what [`Scan::load`] read.
    pub(crate) fn render(
        &self,
        mut sources: load::Sources,
        config: &Config,
        flags: &RenderFlags,
    ) -> Result<Inventory, Error> {
        let cwd = std::env::current_dir().map_err(Error::Cwd)?;
        let mut roots: Vec<render::Root> = self
            .paths
            .iter()
            .map(|p| render::Root {
                rel: load::slash_path(p.strip_prefix(&self.root).unwrap_or(Path::new(""))),
                display: load::display_path(p, &cwd),
            })
            .collect();
        if let Some(label) = &self.label {
            sources.relabel(|rel| format!("{label}{rel}"));
            for r in &mut roots {
                r.display = format!("{label}{}", r.rel);
            }
        }
        // Without `argocd-namespace`, the namespace the repository's own Argo CD manifests
        // name; findings that depend on it then say it is inferred.
        let inferred = match &config.argocd_namespace {
            Some(_) => None,
            None => render::argocd::namespace::infer(&sources),
        };
        let settings = render::Settings {
            root: self.root.clone(),
            repositories: config.repositories.clone(),
            checkout: self
                .checkout
                .clone()
                .or_else(|| render::argocd::repo::checkout_of(&self.root)),
            clusters: config.clusters.clone(),
            unit_dirs: config.unit_set(),
            argocd_namespace: config
                .argocd_namespace
                .clone()
                .or_else(|| inferred.as_ref().map(|(ns, _)| ns.clone()))
                .unwrap_or_else(|| "argocd".to_string()),
            tools: flags.tools(config),
            cache_dir: flags.cache_dir.clone(),
            max_file_size: config.limits.get(limits::Key::MaxFileSize),
            limits: config.limits.clone(),
            label: self.label.clone(),
            memo: flags.memo.clone(),
            progress: flags.progress.clone(),
        };
        let mut inventory = render::build(sources, &roots, &settings);
        crate::stage_mark(&self.stage("render: placement, inventory built"));
        inventory.options = config.options;
        inventory.root = self.root.clone();
        inventory.argocd_namespace_origin = match (&config.argocd_namespace, inferred) {
            (Some(_), _) => NamespaceOrigin::Config,
            (None, Some((ns, at))) => {
                inventory.notes.push(crate::model::RenderNote::assumed(
                    at,
                    format!("Argo CD's namespace taken as `{ns}`, inferred from this manifest (set `argocd-namespace` in .manifest-guard.yaml to be sure)"),
                ));
                NamespaceOrigin::Inferred(at)
            }
            (None, None) => NamespaceOrigin::Assumed,
        };
        Ok(inventory)
    }
}

/// What the walk needs of the configuration.
fn load_options(config: &Config) -> load::LoadOptions {
    load::LoadOptions {
        exclude: config.exclude_set(),
        max_file_size: config.limits.get(limits::Key::MaxFileSize),
        limits: load::yaml::Limits::of(&config.limits),
        run_nodes: config.limits.get_usize(limits::Key::YamlNodes),
    }
}

/// The scanned root at a git revision (`check --config-rev`).
#[derive(Debug, Clone)]
pub struct AtRev {
    rev: String,
    top: PathBuf,
    commit: String,
    /// The scanned root below the repository's top (`/`-separated; empty at the top).
    sub: String,
}

impl AtRev {
    /// A path below the scanned root as a path below the repository's top.
    fn path_of(&self, rel: &str) -> String {
        if self.sub.is_empty() {
            rel.to_string()
        } else {
            format!("{}/{rel}", self.sub)
        }
    }

    /// The text of a file below the scanned root as the revision has it; `None` when it has no
    /// such file (or it is not a regular file, or not text).
    pub fn text(&self, rel: &str) -> Option<String> {
        let path = self.path_of(rel);
        let shown = format!("{}:{path}", self.rev);
        git::file_at(&self.top, &self.commit, &path, &shown)
            .ok()
            .flatten()
    }
}
