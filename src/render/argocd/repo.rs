//! Which Application sources are this repository, and where their paths are in the scanned tree.
//!
//! A source is local when its `repoURL` is mapped in the config (`repositories:`, a directory of
//! the scanned root) or is the `origin` remote of the git checkout the scanned root is in; or,
//! when neither tells, when its path exists in the tree (an assumption, noted). The checkout is
//! found from its files (`.git`, a worktree's `gitdir:` and `commondir`, the config): git is
//! never run, so nothing the repository configures (hooks, `core.fsmonitor`) can execute. An
//! origin source's `path` is read from the checkout's top level, as Argo CD reads it; a path that
//! leaves the repository (`..`, absolute, or a symlink out of it) is refused, and one outside the
//! scanned root is not read: only what the user asked to check is read.

use std::path::{Path, PathBuf};

/// A repository URL reduced to `host/path`, so that ssh and https forms compare equal.
pub fn normalize_url(url: &str) -> String {
    let mut u = url.trim().to_ascii_lowercase();
    for scheme in ["https://", "http://", "ssh://", "git://", "git+ssh://"] {
        if let Some(rest) = u.strip_prefix(scheme) {
            u = rest.to_string();
            break;
        }
    }
    if let Some(at) = u.find('@')
        && u[..at]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        u = u[at + 1..].to_string();
    }
    // scp-like `host:org/repo` → `host/org/repo` (but keep `host:port/...` ports out).
    if let Some(colon) = u.find(':') {
        let (host, rest) = u.split_at(colon);
        let rest = &rest[1..];
        let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit());
        u = format!("{host}/{}", rest.trim_start_matches('/'));
    }
    let u = u.trim_end_matches('/');
    u.strip_suffix(".git").unwrap_or(u).to_string()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// The source's directory, relative to the scanned root; `assumed` when only the path's
    /// existence made it local.
    Local {
        dir: String,
        assumed: bool,
    },
    Escapes(String),
    /// This repository, but a path outside the scanned root: not read.
    OutsideRoot(String),
    NotLocal,
}

/// The git checkout a directory is in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Checkout {
    /// Its top level (the working tree's root).
    pub top: PathBuf,
    /// The URLs of its `origin` remote (one, unless the config lists several).
    pub origin: Vec<String>,
}

/// The largest `.git` file or git config read: far above any real one.
const MAX_GIT_FILE: u64 = 1024 * 1024;

/// A small regular file's text (a `.git` file, `commondir`, a git config), or `None`.
fn read_small(path: &Path) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > MAX_GIT_FILE {
        return None;
    }
    std::fs::read_to_string(path).ok()
}

/// `dir` joined with `path` unless `path` is absolute.
fn relative_to(dir: &Path, path: &str) -> PathBuf {
    let path = Path::new(path.trim());
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        dir.join(path)
    }
}

/// The checkout holding `dir`: the nearest directory at or above it with a `.git` — a
/// directory, or a file `gitdir: <path>` (a worktree, a submodule) — and the `origin` remote
/// from the repository's config (a worktree's shared one, through `commondir`).
pub fn checkout_of(dir: &Path) -> Option<Checkout> {
    let start = dir.canonicalize().ok()?;
    for top in start.ancestors() {
        let dotgit = top.join(".git");
        let Ok(meta) = std::fs::metadata(&dotgit) else {
            continue;
        };
        let git_dir = if meta.is_dir() {
            dotgit
        } else {
            let text = read_small(&dotgit)?;
            let target = text.lines().find_map(|l| l.strip_prefix("gitdir:"))?;
            relative_to(top, target)
        };
        let common = read_small(&git_dir.join("commondir"))
            .map_or_else(|| git_dir.clone(), |c| relative_to(&git_dir, &c));
        let origin = read_small(&common.join("config"))
            .map(|c| remote_urls(&c, "origin"))
            .unwrap_or_default();
        return Some(Checkout {
            top: top.to_path_buf(),
            origin,
        });
    }
    None
}

/// The `url` values of `[remote "<name>"]` in a git config text: section names and keys are
/// case-insensitive, the remote's name is not; values may be quoted and end at a comment.
fn remote_urls(config: &str, name: &str) -> Vec<String> {
    let mut urls = Vec::new();
    let mut inside = false;
    for line in config.lines() {
        let line = line.trim();
        if let Some(header) = line.strip_prefix('[') {
            let header = header.split(']').next().unwrap_or("").trim();
            inside = match header.split_once(char::is_whitespace) {
                Some((section, sub)) => {
                    section.eq_ignore_ascii_case("remote") && sub.trim() == format!("\"{name}\"")
                }
                // The old `[remote.origin]` form, which git lower-cases.
                None => header.eq_ignore_ascii_case(&format!("remote.{name}")),
            };
            continue;
        }
        if !inside {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        if key.trim().eq_ignore_ascii_case("url") {
            let value = config_value(value);
            if !value.is_empty() {
                urls.push(value);
            }
        }
    }
    urls
}

/// A git config value: quotes removed, a `#` or `;` comment outside quotes dropped.
fn config_value(raw: &str) -> String {
    let mut out = String::new();
    let mut quoted = false;
    let mut chars = raw.trim().chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => quoted = !quoted,
            '\\' => {
                if let Some(next) = chars.next() {
                    out.push(next);
                }
            }
            '#' | ';' if !quoted => break,
            c => out.push(c),
        }
    }
    out.trim().to_string()
}

pub use crate::load::clean_relative;

/// Where the repositories that Application sources name are, for one scanned root.
#[derive(Debug, Clone, Default)]
pub struct Repos {
    root: PathBuf,
    /// Normalised URL → directory relative to the root.
    mappings: Vec<(String, String)>,
    /// The checkout's `origin` URLs, normalised.
    origin: Vec<String>,
    /// The scanned root's path below the checkout's top level, `/`-separated (empty when it is
    /// the top level); `None` without a checkout.
    root_in_repo: Option<String>,
    /// The root with its links resolved, once (every local source is checked against it).
    real_root: Option<PathBuf>,
    /// The real paths of the directories below the root asked about so far.
    reals: RealDirs,
}

/// Directories below the root with their links resolved, each asked of the file system once:
/// `canonicalize` reads every component of a path (`readlink` on each, `getcwd` for a relative
/// root), and five thousand Applications in `teams/<team>/services/<app>` asked thirty thousand
/// times for the same few parents. Shared by the threads that resolve sources; a clone starts
/// empty (the file system may have changed).
#[derive(Default)]
struct RealDirs(std::sync::Mutex<rustc_hash::FxHashMap<String, Option<(PathBuf, bool)>>>);

impl Clone for RealDirs {
    fn clone(&self) -> Self {
        RealDirs::default()
    }
}

impl std::fmt::Debug for RealDirs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RealDirs")
    }
}

/// Where a git generator lists a repository: from `dir` (relative to the scanned root), each
/// path shown as the repository has it, below `prefix` (the scanned root's path in the
/// repository, when the root is a subdirectory of the checkout: the generator then sees only
/// that part of it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub dir: String,
    pub prefix: String,
    pub assumed: bool,
}

impl Repos {
    pub fn new(root: &Path, mappings: &[(String, String)], checkout: Option<&Checkout>) -> Self {
        let root_in_repo = checkout.and_then(|c| {
            let top = c.top.canonicalize().ok()?;
            let below = root.canonicalize().ok()?;
            Some(crate::load::slash_path(below.strip_prefix(top).ok()?))
        });
        Repos {
            root: root.to_path_buf(),
            mappings: mappings
                .iter()
                .map(|(url, dir)| (normalize_url(url), clean_relative(dir).unwrap_or_default()))
                .collect(),
            origin: checkout
                .map(|c| c.origin.iter().map(|u| normalize_url(u)).collect())
                .unwrap_or_default(),
            root_in_repo,
            real_root: root.canonicalize().ok(),
            reals: RealDirs::default(),
        }
    }

    /// `dir` (relative to the root, `/`-separated) with its links resolved, as `canonicalize`
    /// of the root joined with it gives it, and whether it is a directory: `None` when it does
    /// not exist. Built from the real path of its parent (asked once per directory) and one
    /// `lstat` of its last component; a link is resolved by `canonicalize`. A path that is not
    /// plain names (`.`, `..`, empty parts) is handed to `canonicalize` whole.
    fn real_dir(&self, dir: &str) -> Option<(PathBuf, bool)> {
        // Bounded depth (each component is one call): a longer path goes to `canonicalize`,
        // which refuses what the system does.
        let plain = dir.len() <= 1024
            && dir.split('/').count() <= 64
            && dir
                .split('/')
                .all(|c| !c.is_empty() && c != "." && c != "..");
        let real_root = self.real_root.as_ref();
        if let (Some(real_root), true) = (real_root, dir.is_empty()) {
            return Some((real_root.clone(), real_root.is_dir()));
        }
        let (Some(_), true) = (real_root, plain) else {
            let full = self.root.join(dir);
            let real = full.canonicalize().ok()?;
            return Some((real, full.is_dir()));
        };
        let cached = |d: &str| {
            self.reals
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .get(d)
                .cloned()
        };
        if let Some(known) = cached(dir) {
            return known;
        }
        let (parent, name) = dir.rsplit_once('/').unwrap_or(("", dir));
        let found = self.real_dir(parent).and_then(|(real_parent, _)| {
            let full = self.root.join(dir);
            let meta = std::fs::symlink_metadata(&full).ok()?;
            if meta.file_type().is_symlink() {
                Some((full.canonicalize().ok()?, full.is_dir()))
            } else {
                Some((real_parent.join(name), meta.is_dir()))
            }
        });
        self.reals
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(dir.to_string(), found.clone());
        found
    }

    /// Whether the config or the checkout says which repositories are local. The origin says
    /// so only for a check of the checkout's top level: a subdirectory may hold a copy of
    /// another repository (vendored, a test fixture), found by its paths as before.
    fn knows_repositories(&self) -> bool {
        !self.mappings.is_empty()
            || (!self.origin.is_empty() && self.root_in_repo.as_deref() == Some(""))
    }

    /// The scanned root's path in the repository, when `url` is the checkout's origin.
    fn origin_root(&self, url: &str) -> Option<&str> {
        self.root_in_repo
            .as_deref()
            .filter(|_| self.origin.iter().any(|o| o == url))
    }

    pub fn resolve(&self, repo_url: &str, path: &str) -> Resolution {
        let url = normalize_url(repo_url);
        let base = if let Some((_, dir)) = self.mappings.iter().find(|(u, _)| *u == url) {
            Some(dir.clone())
        } else if let Some(sub) = self.origin_root(&url) {
            // Argo CD reads `path` from the repository's top level; the scanned root is `sub`
            // below it, and only what is inside the root is read.
            let Some(rel) = clean_relative(path) else {
                return escapes(path);
            };
            let dir = if sub.is_empty() {
                rel
            } else if rel == sub {
                String::new()
            } else if let Some(inside) = rel.strip_prefix(&format!("{sub}/")) {
                inside.to_string()
            } else {
                return Resolution::OutsideRoot(format!(
                    "path `{path}` is outside the scanned directory `{sub}`; not read"
                ));
            };
            return self.inside_root(path, dir, true);
        } else {
            None
        };
        if base.is_none() && self.knows_repositories() {
            return Resolution::NotLocal;
        }
        let Some(rel) = clean_relative(path) else {
            return escapes(path);
        };
        let dir = match &base {
            Some(b) if !b.is_empty() && !rel.is_empty() => format!("{b}/{rel}"),
            Some(b) if !b.is_empty() => b.clone(),
            _ => rel,
        };
        self.inside_root(path, dir, base.is_some())
    }

    /// `dir` (relative to the root) as a local source, unless a symlink takes it out of the
    /// root; an undeclared one only when it exists.
    fn inside_root(&self, path: &str, dir: String, declared: bool) -> Resolution {
        let real = self.real_dir(&dir);
        if let (Some((real, _)), Some(root)) = (&real, &self.real_root) {
            if !real.starts_with(root) {
                return Resolution::Escapes(format!(
                    "path `{path}` resolves through a symlink to `{}`, outside the repository",
                    real.display()
                ));
            }
        } else if !declared {
            return Resolution::NotLocal;
        }
        if !declared && !real.is_some_and(|(_, is_dir)| is_dir) {
            return Resolution::NotLocal;
        }
        Resolution::Local {
            dir,
            assumed: !declared,
        }
    }

    /// Where a git generator lists `repo_url`, if it is here.
    pub fn listing(&self, repo_url: &str) -> Option<Listing> {
        let url = normalize_url(repo_url);
        let mapped = self.mappings.iter().any(|(u, _)| *u == url);
        if let (false, Some(sub)) = (mapped, self.origin_root(&url)) {
            return Some(Listing {
                dir: String::new(),
                prefix: sub.to_string(),
                assumed: false,
            });
        }
        match self.resolve(repo_url, ".") {
            Resolution::Local { dir, assumed } => Some(Listing {
                dir,
                prefix: String::new(),
                assumed,
            }),
            _ => None,
        }
    }
}

fn escapes(path: &str) -> Resolution {
    Resolution::Escapes(format!(
        "path `{path}` leaves the repository (absolute, or `..` above its root)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_forms_compare_equal() {
        let a = normalize_url("https://github.com/Org/Repo.git");
        assert_eq!(a, "github.com/org/repo");
        assert_eq!(normalize_url("git@github.com:org/repo.git"), a);
        assert_eq!(normalize_url("ssh://git@github.com/org/repo"), a);
        assert_eq!(normalize_url("https://github.com/org/repo/"), a);
        assert_eq!(
            normalize_url("ssh://git@host:2222/org/repo.git"),
            "host/org/repo"
        );
    }

    #[test]
    fn origin_from_a_git_config() {
        let config = "[core]\n\tbare = false\n[remote \"upstream\"]\n\turl = https://a/x\n\
                      [Remote \"origin\"]\n\tURL = \"git@host:org/repo.git\" ; a comment\n\
                      \tfetch = +refs/heads/*:refs/remotes/origin/*\n[branch \"main\"]\n\turl = no\n";
        assert_eq!(remote_urls(config, "origin"), ["git@host:org/repo.git"]);
        assert_eq!(
            remote_urls("[remote.origin]\nurl=https://h/r\n", "origin"),
            ["https://h/r"]
        );
        assert!(remote_urls(config, "Origin").is_empty());
    }

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    // `git worktree add` writes `<worktree>/.git` as `gitdir: <main>/.git/worktrees/<name>`,
    // and that directory's `commondir` points back at the shared git directory (its config
    // holds the remotes): git-worktree(1), "DETAILS".
    #[test]
    fn a_worktree_finds_its_top_level_and_the_shared_origin() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let main = tmp.path().join("main");
        write(
            &main.join(".git/config"),
            "[remote \"origin\"]\n\turl = https://git.example.com/org/repo.git\n",
        );
        write(&main.join(".git/worktrees/wt/commondir"), "../..\n");
        let wt = tmp.path().join("wt");
        write(
            &wt.join(".git"),
            &format!("gitdir: {}\n", main.join(".git/worktrees/wt").display()),
        );
        std::fs::create_dir_all(wt.join("apps/team")).expect("mkdir");
        let found = checkout_of(&wt.join("apps/team")).expect("a checkout");
        assert_eq!(found.top, wt.canonicalize().expect("canonical"));
        assert_eq!(found.origin, ["https://git.example.com/org/repo.git"]);
        let main_found = checkout_of(&main).expect("the main checkout");
        assert_eq!(main_found.origin, found.origin);
    }

    #[test]
    fn origin_paths_are_read_from_the_top_level() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let top = tmp.path();
        std::fs::create_dir_all(top.join("gitops/apps")).expect("mkdir");
        std::fs::create_dir_all(top.join("other")).expect("mkdir");
        let checkout = Checkout {
            top: top.to_path_buf(),
            origin: vec!["git@git.example.com:org/repo.git".into()],
        };
        let repos = Repos::new(&top.join("gitops"), &[], Some(&checkout));
        let url = "https://git.example.com/org/repo";
        assert_eq!(
            repos.resolve(url, "gitops/apps"),
            Resolution::Local {
                dir: "apps".into(),
                assumed: false
            }
        );
        assert_eq!(
            repos.resolve(url, "./gitops"),
            Resolution::Local {
                dir: String::new(),
                assumed: false
            }
        );
        assert!(matches!(
            repos.resolve(url, "other"),
            Resolution::OutsideRoot(_)
        ));
        assert!(matches!(repos.resolve(url, "../x"), Resolution::Escapes(_)));
        // Another repository whose path exists in the subdirectory is still assumed to be here.
        assert_eq!(
            repos.resolve("https://elsewhere/r", "apps"),
            Resolution::Local {
                dir: "apps".into(),
                assumed: true
            }
        );
        assert_eq!(
            repos.listing(url),
            Some(Listing {
                dir: String::new(),
                prefix: "gitops".into(),
                assumed: false
            })
        );
        // At the top level, the origin tells: every other repository is not here.
        let repos = Repos::new(top, &[], Some(&checkout));
        assert_eq!(
            repos.resolve("https://elsewhere/r", "gitops"),
            Resolution::NotLocal
        );
    }

    /// Directories are resolved from their parent's real path and one `lstat` each
    /// (`Repos::real_dir`), with the answers `canonicalize` gave (`inside_root`): a link out of
    /// the root, and anything below it, escapes, asked before or after its parent; a link
    /// inside stays local; a file or a missing directory is not a local source. Asked twice,
    /// the cached answer is the same.
    #[cfg(unix)]
    #[test]
    fn links_are_followed_as_canonicalize_does() {
        let tmp = tempfile::tempdir().expect("tmp");
        let root = tmp.path().join("repo");
        for d in ["repo/apps/a/deep", "outside/sub"] {
            std::fs::create_dir_all(tmp.path().join(d)).expect("mkdir");
        }
        std::fs::write(root.join("apps/file.yaml"), "a: 1\n").expect("write");
        std::os::unix::fs::symlink("a", root.join("apps/in")).expect("link");
        std::os::unix::fs::symlink("../../outside", root.join("apps/out")).expect("link");
        std::os::unix::fs::symlink("../outside", root.join("top-out")).expect("link");
        let repos = Repos::new(&root, &[], None);
        let url = "https://example.com/other.git";
        let local = |dir: &str| Resolution::Local {
            dir: dir.to_string(),
            assumed: true,
        };
        let escapes = |path: &str| {
            let real = tmp.path().canonicalize().expect("real").join("outside");
            let real = match path.split_once("sub") {
                Some(_) => real.join("sub"),
                None => real,
            };
            Resolution::Escapes(format!(
                "path `{path}` resolves through a symlink to `{}`, outside the repository",
                real.display()
            ))
        };
        for _ in 0..2 {
            assert_eq!(repos.resolve(url, "apps/out/sub"), escapes("apps/out/sub"));
            assert_eq!(repos.resolve(url, "apps/out"), escapes("apps/out"));
            assert_eq!(repos.resolve(url, "top-out"), escapes("top-out"));
            assert_eq!(repos.resolve(url, "apps/a/deep"), local("apps/a/deep"));
            assert_eq!(repos.resolve(url, "apps/in/deep"), local("apps/in/deep"));
            assert_eq!(repos.resolve(url, "apps/in"), local("apps/in"));
            assert_eq!(repos.resolve(url, "apps"), local("apps"));
            assert_eq!(repos.resolve(url, "apps/file.yaml"), Resolution::NotLocal);
            assert_eq!(repos.resolve(url, "apps/missing/x"), Resolution::NotLocal);
            assert_eq!(repos.resolve(url, "./apps//a"), local("apps/a"));
        }
    }

    #[test]
    fn relative_paths() {
        assert_eq!(clean_relative("a/./b/../c").as_deref(), Some("a/c"));
        assert_eq!(clean_relative("."), Some(String::new()));
        assert_eq!(clean_relative("../x"), None);
        assert_eq!(clean_relative("/etc"), None);
    }
}
