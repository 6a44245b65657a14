//! A chart's dependencies, laid out offline the way Argo CD's repo-server gets them built.
//!
//! Argo CD runs `helm template`; when Helm says a dependency is missing from `charts/`, it runs
//! `helm dependency build` and templates again (argo-cd reposerver/repository/repository.go
//! `helmTemplate`: `helm.IsMissingDependencyErr` → `runHelmBuild` / `h.DependencyBuild()`).
//! For a `file://` dependency that build packages the directory it names, resolved against the
//! chart directory, into `charts/`. Here, with no network and no writes to the user's tree,
//! each `file://` dependency that `charts/` lacks is copied into the render copy's `charts/`
//! instead, provided it is a chart directory inside the scanned root. `condition`, `alias`,
//! `tags` and `import-values` stay Helm's business: the copy only puts the chart where Helm looks.
//!
//! Only the chart's own dependencies are built, as `helm dependency build` does: it does not
//! recurse, so a dependency's own dependencies render only when its `charts/` holds them (Helm
//! 4.3.1, checked: `a` → `file://../b` → `file://../c` renders `a` and `b`, without `c`).
//! Remote dependencies (Helm or OCI repositories) are never fetched: the chart is not renderable,
//! and the note names them. This module reads files; it never runs a tool.

use std::path::Path;

use serde_json::Value;

use super::super::tool::{self, Entry, RenderError, Tree, display_dir, join_rel};
use super::read_yaml;

/// A `file://` dependency to copy into the render copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LocalDependency {
    /// Its name in the chart's dependency list (what Helm matches a subchart by).
    pub name: String,
    /// Its `alias`, which names it in `# Source:` lines instead.
    pub alias: Option<String>,
    /// The dependency chart's directory, relative to the scanned root.
    pub dir: String,
    /// Where the copy goes, relative to the copied chart: `charts/<name>`.
    pub dest: String,
    /// Files of `dir` (relative to it) that its `.helmignore` leaves out of the package.
    pub ignored: Vec<String>,
}

/// The dependencies the chart at `chart_dir` declares (`Chart.yaml` `dependencies`, and for a
/// Helm 2 chart, `apiVersion: v1`, `requirements.yaml`), split into the `file://` ones to copy
/// (their files added to `tree`, which bounds their size and keys the cache on their content)
/// and an error naming the ones that cannot be had offline.
pub(crate) fn local(
    root: &Path,
    chart_dir: &str,
    chart: &Value,
    tree: &mut Tree,
) -> Result<Vec<LocalDependency>, RenderError> {
    let mut dependencies: Vec<Value> = chart
        .get("dependencies")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if chart.get("apiVersion").and_then(Value::as_str) == Some("v1") {
        let requirements = join_rel(chart_dir, "requirements.yaml").unwrap_or_default();
        if let Some(r) = read_yaml(root, &requirements) {
            dependencies.extend(
                r.get("dependencies")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default(),
            );
        }
    }
    if dependencies.is_empty() {
        return Ok(Vec::new());
    }
    let vendored = vendored_charts(root, chart_dir);
    let mut local: Vec<LocalDependency> = Vec::new();
    let mut missing = Vec::new();
    for d in &dependencies {
        let Some(name) = d
            .get("name")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
        else {
            continue;
        };
        let present = vendored.iter().any(|v| match v {
            Vendored::Dir(n) => n == name,
            Vendored::Archive(file) => file
                .strip_prefix(name)
                .and_then(|rest| rest.strip_prefix('-'))
                .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit())),
        });
        if present {
            continue;
        }
        let repo = d.get("repository").and_then(Value::as_str).unwrap_or("");
        let Some(path) = repo.strip_prefix("file://") else {
            missing.push(if repo.is_empty() {
                format!("`{name}`")
            } else {
                format!("`{name}` from {repo}")
            });
            continue;
        };
        let alias = d
            .get("alias")
            .and_then(Value::as_str)
            .filter(|a| !a.is_empty())
            .map(str::to_string);
        // The same chart listed twice (under two aliases) is one copy: Helm aliases it.
        if let Some(known) = local.iter().find(|l| l.name == name) {
            let dir = dependency_dir(root, chart_dir, name, repo, path)?;
            if known.dir != dir {
                return Err(RenderError::Failed(format!(
                    "two dependencies named `{name}` come from different directories (`{}` and `{dir}`)",
                    known.dir
                )));
            }
            local.push(LocalDependency {
                alias,
                ..known.clone()
            });
            continue;
        }
        let dir = dependency_dir(root, chart_dir, name, repo, path)?;
        tree.add_dir(root, &dir)?;
        let ignored = ignored_files(&dir, tree)
            .map_err(|e| RenderError::Failed(format!("dependency `{name}` ({repo}): {e}")))?;
        local.push(LocalDependency {
            name: name.to_string(),
            alias,
            dest: format!("charts/{}", dest_name(name)),
            dir,
            ignored,
        });
    }
    if !missing.is_empty() {
        let dir = display_dir(chart_dir);
        return Err(RenderError::NotRenderable(format!(
            "chart dependencies missing from `{}/charts/`: {}; run `helm dependency build {dir}` and commit the charts/ directory (charts are never fetched)",
            dir.trim_end_matches('/'),
            missing.join(", ")
        )));
    }
    Ok(local)
}

/// Where a `file://` dependency is, as `helm dependency build` resolves it (against the chart
/// directory), refused when it leaves the scanned root, is no chart, or holds the chart itself
/// (its copy would hold the chart again, without end).
fn dependency_dir(
    root: &Path,
    chart_dir: &str,
    name: &str,
    repo: &str,
    path: &str,
) -> Result<String, RenderError> {
    let not_local = |why: String| {
        RenderError::NotRenderable(format!("dependency `{name}` ({repo}) {why}; not read"))
    };
    let dir = join_rel(chart_dir, path)
        .ok_or_else(|| not_local("leaves the scanned root".to_string()))?;
    if dir.is_empty() || chart_dir == dir || chart_dir.starts_with(&format!("{dir}/")) {
        return Err(RenderError::Failed(format!(
            "dependency `{name}` ({repo}) is `{}`, which contains the chart itself",
            display_dir(&dir)
        )));
    }
    match tool::entry(root, &dir) {
        Entry::Dir => {}
        Entry::Outside => return Err(not_local("links outside the scanned root".into())),
        Entry::Missing | Entry::File => {
            // A missing local chart is the chart's own error, as Helm reports it to Argo CD.
            return Err(RenderError::Failed(format!(
                "dependency `{name}` ({repo}): directory `{}` does not exist",
                display_dir(&dir)
            )));
        }
    }
    if tool::entry(root, &join_rel(&dir, "Chart.yaml").unwrap_or_default()) != Entry::File {
        return Err(RenderError::Failed(format!(
            "dependency `{name}` ({repo}): `{}` has no Chart.yaml",
            display_dir(&dir)
        )));
    }
    Ok(dir)
}

/// A directory name for the copy: the dependency's name, kept to one plain path segment.
fn dest_name(name: &str) -> String {
    let clean: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if clean.is_empty() || clean.chars().all(|c| c == '.') {
        "dependency".to_string()
    } else {
        clean
    }
}

/// The files below `dir` (relative to it) that the chart's `.helmignore` leaves out. `helm
/// dependency build` packages a `file://` dependency with `loader.LoadDir`, which applies the
/// chart's `.helmignore` and the default `templates/.?*` (helm pkg/chart/loader `LoadDir`,
/// pkg/ignore `Rules.Ignore`); a chart directory placed in `charts/` would have Helm read all of
/// it (checked with Helm 4.3.1), so the copy leaves these files out.
fn ignored_files(dir: &str, tree: &Tree) -> Result<Vec<String>, String> {
    let file = join_rel(dir, ".helmignore").unwrap_or_default();
    let text = match tree.files.get(&file) {
        Some(real) => std::fs::read_to_string(real).unwrap_or_default(),
        None => String::new(),
    };
    let rules = HelmIgnore::parse(&text)?;
    let prefix = format!("{dir}/");
    let mut ignored = Vec::new();
    for rel in tree.files.keys() {
        let Some(below) = rel.strip_prefix(&prefix) else {
            continue;
        };
        // Helm skips an ignored directory with everything in it.
        let parts: Vec<&str> = below.split('/').collect();
        let dir_ignored = (1..parts.len()).any(|n| rules.ignore(&parts[..n].join("/"), true));
        if below == ".helmignore" || dir_ignored || rules.ignore(below, false) {
            ignored.push(below.to_string());
        }
    }
    Ok(ignored)
}

/// Helm's `.helmignore` rules (pkg/ignore `parseRule`, `Rules.Ignore`), with their quirks: a rule
/// with a `/` matches the whole path, one without matches the base name, a trailing `/` only
/// directories, and a `!` rule ignores every path it does *not* match. Patterns are Go's
/// `filepath.Match` (`*` and `?` stop at `/`); a `**` fails, as in Helm.
struct HelmIgnore {
    rules: Vec<IgnoreRule>,
}

struct IgnoreRule {
    negate: bool,
    must_dir: bool,
    whole_path: bool,
    glob: globset::GlobMatcher,
}

impl HelmIgnore {
    fn parse(text: &str) -> Result<HelmIgnore, String> {
        let mut rules = Vec::new();
        // `AddDefaults` comes after the file's rules.
        for line in text.lines().chain(std::iter::once("templates/.?*")) {
            let mut rule = line.trim();
            if rule.is_empty() || rule.starts_with('#') {
                continue;
            }
            if rule.contains("**") {
                return Err(format!(
                    "`.helmignore` rule `{rule}`: double-star (**) syntax is not supported"
                ));
            }
            let negate = rule.starts_with('!') && rule.len() > 1;
            if negate {
                rule = &rule[1..];
            }
            let must_dir = rule.ends_with('/');
            let rule = rule.trim_end_matches('/');
            let whole_path = rule.contains('/');
            let rule = rule.trim_start_matches('/');
            // A pattern Go cannot compile matches nothing there; here it is dropped.
            let Ok(glob) = globset::GlobBuilder::new(rule)
                .literal_separator(true)
                .backslash_escape(true)
                .build()
            else {
                continue;
            };
            rules.push(IgnoreRule {
                negate,
                must_dir,
                whole_path,
                glob: glob.compile_matcher(),
            });
        }
        Ok(HelmIgnore { rules })
    }

    fn ignore(&self, path: &str, is_dir: bool) -> bool {
        for r in &self.rules {
            let name = if r.whole_path {
                path
            } else {
                path.rsplit('/').next().unwrap_or(path)
            };
            let matched = r.glob.is_match(name);
            if r.negate {
                if (r.must_dir && !is_dir) || !matched {
                    return true;
                }
                continue;
            }
            if r.must_dir && !is_dir {
                continue;
            }
            if matched {
                return true;
            }
        }
        false
    }
}

enum Vendored {
    /// A chart directory, by the name in its Chart.yaml.
    Dir(String),
    /// A packaged chart, by file name.
    Archive(String),
}

fn vendored_charts(root: &Path, chart_dir: &str) -> Vec<Vendored> {
    let charts = join_rel(chart_dir, "charts").unwrap_or_default();
    if tool::entry(root, &charts) != Entry::Dir {
        return Vec::new();
    }
    let Ok(read) = std::fs::read_dir(root.join(&charts)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for item in read.flatten() {
        let Some(file) = item.file_name().to_str().map(str::to_string) else {
            continue;
        };
        let rel = format!("{charts}/{file}");
        match tool::entry(root, &rel) {
            Entry::Dir => {
                let name = read_yaml(root, &format!("{rel}/Chart.yaml"))
                    .and_then(|c| c.get("name").and_then(Value::as_str).map(str::to_string))
                    .unwrap_or_else(|| file.clone());
                out.push(Vendored::Dir(name));
            }
            Entry::File if file.ends_with(".tgz") || file.ends_with(".tar.gz") => {
                out.push(Vendored::Archive(file));
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Helm's own cases and quirks (helm pkg/ignore `Rules.Ignore`, `parseRule`).
    #[test]
    fn helmignore_rules_match_as_helm_matches_them() {
        let rules = HelmIgnore::parse("# comment\n\n*.bak\ndocs/\n/root-only.txt\nci/*.yaml\n")
            .expect("parses");
        let ignored = |p: &str, dir: bool| rules.ignore(p, dir);
        // No `/`: the base name, at any depth.
        assert!(ignored("a.bak", false));
        assert!(ignored("templates/x.bak", false));
        // A trailing `/`: directories only.
        assert!(ignored("docs", true));
        assert!(!ignored("docs", false));
        assert!(ignored("sub/docs", true));
        // A `/`: the whole path, `*` not crossing `/`.
        assert!(ignored("root-only.txt", false));
        assert!(!ignored("sub/root-only.txt", false));
        assert!(ignored("ci/test.yaml", false));
        assert!(!ignored("ci/deep/test.yaml", false));
        // The default `templates/.?*`.
        assert!(ignored("templates/.hidden.yaml", false));
        assert!(!ignored("templates/cm.yaml", false));
        // A `!` rule ignores what it does not match.
        let negated = HelmIgnore::parse("!*.yaml\n").expect("parses");
        assert!(negated.ignore("notes.txt", false));
        assert!(!negated.ignore("cm.yaml", false));
        assert!(HelmIgnore::parse("docs/**\n").is_err());
    }
}
