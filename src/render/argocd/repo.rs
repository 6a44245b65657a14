//! Which Application sources are this repository, and where their paths are in the scanned tree.
//!
//! A source is local when its `repoURL` is mapped in the config (`repositories:`) or equals the
//! checkout's `origin` remote (read from `.git/config`, never by running git), or, when neither
//! tells, when its path exists in the tree (an assumption, noted). A path that leaves the tree
//! (`..`, absolute, or a symlink out of it) is refused and never read.

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
    if let Some(at) = u.find('@') {
        if u[..at]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            u = u[at + 1..].to_string();
        }
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
    NotLocal,
}

#[derive(Debug, Clone, Default)]
pub struct Repos {
    root: PathBuf,
    /// Normalised URL → directory relative to the root.
    mappings: Vec<(String, String)>,
    origin: Option<String>,
}

/// The `origin` URL from `<root>/.git/config`, if the root is a checkout.
pub fn origin_of(root: &Path) -> Option<String> {
    let text = std::fs::read_to_string(root.join(".git/config")).ok()?;
    let mut in_origin = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_origin = line.replace(' ', "") == "[remote\"origin\"]";
            continue;
        }
        if in_origin {
            if let Some((k, v)) = line.split_once('=') {
                if k.trim() == "url" {
                    return Some(v.trim().to_string());
                }
            }
        }
    }
    None
}

/// `a/./b/../c` → `a/c`; `None` when it climbs out, is absolute or holds a backslash (a path in
/// an Application or the config is `/`-separated).
pub fn clean_relative(path: &str) -> Option<String> {
    if path.contains('\\') {
        return None;
    }
    crate::render::tool::normalize_rel(path)
}

impl Repos {
    pub fn new(root: &Path, mappings: &[(String, String)]) -> Self {
        Repos {
            root: root.to_path_buf(),
            mappings: mappings
                .iter()
                .map(|(url, dir)| (normalize_url(url), clean_relative(dir).unwrap_or_default()))
                .collect(),
            origin: origin_of(root).map(|u| normalize_url(&u)),
        }
    }

    /// Whether the config or the checkout says which repositories are local.
    fn knows_repositories(&self) -> bool {
        !self.mappings.is_empty() || self.origin.is_some()
    }

    pub fn resolve(&self, repo_url: &str, path: &str) -> Resolution {
        let url = normalize_url(repo_url);
        let base = if let Some((_, dir)) = self.mappings.iter().find(|(u, _)| *u == url) {
            Some(dir.clone())
        } else if self.origin.as_deref() == Some(url.as_str()) {
            Some(String::new())
        } else {
            None
        };
        if base.is_none() && self.knows_repositories() {
            return Resolution::NotLocal;
        }
        let Some(rel) = clean_relative(path) else {
            return Resolution::Escapes(format!(
                "path `{path}` leaves the repository (absolute, or `..` above its root)"
            ));
        };
        let dir = match &base {
            Some(b) if !b.is_empty() && !rel.is_empty() => format!("{b}/{rel}"),
            Some(b) if !b.is_empty() => b.clone(),
            _ => rel,
        };
        let full = self.root.join(&dir);
        if let (Ok(real), Ok(root)) = (full.canonicalize(), self.root.canonicalize()) {
            if !real.starts_with(&root) {
                return Resolution::Escapes(format!(
                    "path `{path}` resolves through a symlink to `{}`, outside the repository",
                    real.display()
                ));
            }
        } else if base.is_none() {
            return Resolution::NotLocal;
        }
        if base.is_none() && !full.is_dir() {
            return Resolution::NotLocal;
        }
        Resolution::Local {
            dir,
            assumed: base.is_none(),
        }
    }
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
    fn relative_paths() {
        assert_eq!(clean_relative("a/./b/../c").as_deref(), Some("a/c"));
        assert_eq!(clean_relative("."), Some(String::new()));
        assert_eq!(clean_relative("../x"), None);
        assert_eq!(clean_relative("/etc"), None);
    }
}
