//! Test support only: a `Context` with a fake cluster list, in-memory and on-disk `Repo`s, YAML
//! loading through the crate's own YAML loader, and a deliberately small renderer that
//! covers what the tests template: fasttemplate `{{key}}` and Go-template `{{.a.b}}`, `{{.a |
//! toJson}}`. The real renderer is the lead's.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{Cluster, Context, Params, Repo, go_format};

pub(crate) struct TestContext {
    go: bool,
    clusters: Vec<Cluster>,
    repos: BTreeMap<String, Box<dyn Repo>>,
}

impl TestContext {
    pub(crate) fn fast() -> Self {
        TestContext {
            go: false,
            clusters: Vec::new(),
            repos: BTreeMap::new(),
        }
    }

    pub(crate) fn go() -> Self {
        TestContext {
            go: true,
            ..TestContext::fast()
        }
    }

    pub(crate) fn mode(go: bool) -> Self {
        if go { Self::go() } else { Self::fast() }
    }

    pub(crate) fn with_clusters(mut self, clusters: Vec<Cluster>) -> Self {
        self.clusters = clusters;
        self
    }

    pub(crate) fn with_repo(mut self, url: &str, repo: impl Repo + 'static) -> Self {
        self.repos.insert(url.to_string(), Box::new(repo));
        self
    }
}

impl Context for TestContext {
    fn go_template(&self) -> bool {
        self.go
    }

    fn clusters(&self) -> &[Cluster] {
        &self.clusters
    }

    fn repo(&self, repo_url: &str) -> Option<&dyn Repo> {
        self.repos.get(repo_url).map(|r| r.as_ref())
    }

    fn render(&self, value: &Value, params: &Params) -> Result<Value, String> {
        Ok(match value {
            Value::String(s) => Value::String(render_str(s, params, self.go)),
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|v| self.render(v, params))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| Ok((k.clone(), self.render(v, params)?)))
                    .collect::<Result<_, String>>()?,
            ),
            other => other.clone(),
        })
    }

    fn parse_yaml(&self, text: &str) -> Result<Value, String> {
        parse_yaml(text)
    }
}

pub(crate) fn parse_yaml(text: &str) -> Result<Value, String> {
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    let parsed = crate::load::yaml::parse(text, crate::load::yaml::Limits::default());
    if let Some(e) = parsed.error {
        return Err(e.message);
    }
    Ok(parsed
        .documents
        .first()
        .and_then(|d| d.root.as_deref())
        .map_or(Value::Null, crate::load::yaml::Node::to_json))
}

/// Every YAML document of a file.
pub(crate) fn load_yaml_docs(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).expect("read YAML file");
    let parsed = crate::load::yaml::parse(&text, crate::load::yaml::Limits::default());
    assert!(
        parsed.error.is_none(),
        "{}: {:?}",
        path.display(),
        parsed.error
    );
    parsed
        .documents
        .iter()
        .filter_map(|d| d.root.as_deref())
        .map(crate::load::yaml::Node::to_json)
        .filter(|v| !v.is_null())
        .collect()
}

fn render_str(s: &str, params: &Params, go: bool) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start + 2..].find("}}") else {
            break;
        };
        let tag = &rest[start + 2..start + 2 + len];
        out.push_str(&rest[..start]);
        let whole = &rest[start..start + 2 + len + 2];
        match if go {
            go_tag(tag, params)
        } else {
            fast_tag(tag, params)
        } {
            Some(text) => out.push_str(&text),
            None => out.push_str(whole),
        }
        rest = &rest[start + 2 + len + 2..];
    }
    out.push_str(rest);
    out
}

/// fasttemplate as Argo CD drives it: a string parameter replaces the tag, anything else leaves
/// it as written.
fn fast_tag(tag: &str, params: &Params) -> Option<String> {
    params
        .get(tag.trim())
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// `.a.b` and `.a.b | toJson`; a missing key prints `<no value>` (Go's default).
fn go_tag(tag: &str, params: &Params) -> Option<String> {
    let (path, to_json) = match tag.split_once('|') {
        Some((path, func)) if func.trim() == "toJson" => (path.trim(), true),
        Some(_) => return None,
        None => (tag.trim(), false),
    };
    let path = path.strip_prefix('.')?;
    let mut current: Option<&Value> = None;
    for (i, part) in path.split('.').enumerate() {
        current = if i == 0 {
            params.get(part)
        } else {
            current.and_then(|c| c.get(part))
        };
    }
    Some(match current {
        None => "<no value>".to_string(),
        Some(v) if to_json => v.to_string(),
        Some(v) => go_format(v),
    })
}

/// A cluster from a Secret: its labels include the cluster Secret type label.
pub(crate) fn secret(name: &str, server: &str, labels: &[(&str, &str)]) -> Cluster {
    let mut c = cluster(name, server, labels);
    c.labels.insert(
        "argocd.argoproj.io/secret-type".to_string(),
        "cluster".to_string(),
    );
    c
}

/// A cluster with only the given labels (no Secret unless they say so).
pub(crate) fn cluster(name: &str, server: &str, labels: &[(&str, &str)]) -> Cluster {
    Cluster {
        name: name.to_string(),
        server: server.to_string(),
        labels: labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..Cluster::default()
    }
}

/// A repository held in memory: files and their text; directories are their parents.
pub(crate) struct MemRepo {
    files: BTreeMap<String, String>,
}

impl MemRepo {
    pub(crate) fn new(files: &[(&str, &str)]) -> Self {
        MemRepo {
            files: files
                .iter()
                .map(|(p, t)| (p.to_string(), t.to_string()))
                .collect(),
        }
    }
}

impl Repo for MemRepo {
    fn directories(&self) -> std::sync::Arc<[String]> {
        let mut dirs = BTreeSet::new();
        for path in self.files.keys() {
            let mut dir = path.as_str();
            while let Some((parent, _)) = dir.rsplit_once('/') {
                dirs.insert(parent.to_string());
                dir = parent;
            }
        }
        dirs.into_iter().collect()
    }

    fn files(&self) -> std::sync::Arc<[String]> {
        self.files.keys().cloned().collect()
    }

    fn read(&self, path: &str) -> Result<String, String> {
        self.files
            .get(path)
            .cloned()
            .ok_or_else(|| "the file cannot be read".to_string())
    }
}

/// A repository on disk: a corpus directory standing in for a checkout.
pub(crate) struct DirRepo {
    root: PathBuf,
    dirs: Vec<String>,
    files: Vec<String>,
}

impl DirRepo {
    pub(crate) fn new(root: &Path) -> Self {
        let mut dirs = Vec::new();
        let mut files = Vec::new();
        let mut stack = vec![(root.to_path_buf(), String::new())];
        while let Some((dir, rel)) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("read corpus directory") {
                let entry = entry.expect("directory entry");
                let name = entry.file_name().to_string_lossy().into_owned();
                let child_rel = if rel.is_empty() {
                    name.clone()
                } else {
                    format!("{rel}/{name}")
                };
                let kind = entry.file_type().expect("file type");
                if kind.is_dir() {
                    if name == ".git" {
                        continue;
                    }
                    dirs.push(child_rel.clone());
                    stack.push((entry.path(), child_rel));
                } else if kind.is_file() {
                    files.push(child_rel);
                }
            }
        }
        dirs.sort();
        files.sort();
        DirRepo {
            root: root.to_path_buf(),
            dirs,
            files,
        }
    }
}

impl Repo for DirRepo {
    fn directories(&self) -> std::sync::Arc<[String]> {
        self.dirs.clone().into()
    }

    fn files(&self) -> std::sync::Arc<[String]> {
        self.files.clone().into()
    }

    fn read(&self, path: &str) -> Result<String, String> {
        std::fs::read_to_string(self.root.join(path)).map_err(|e| e.to_string())
    }
}

/// The environment variable naming the real-world corpus. It is not part of the repository:
/// without it the tests that read it are skipped, so a fresh clone still passes.
pub(crate) const CORPUS_VAR: &str = "MANIFEST_GUARD_CORPUS";

/// The corpus folder `folder`, or `None` (after printing the one line that says the running test
/// is skipped) when `MANIFEST_GUARD_CORPUS` is not set. A variable that is set but names no
/// directory, or a folder missing from it, fails the test.
pub(crate) fn corpus(folder: &str) -> Option<PathBuf> {
    let Some(value) = std::env::var_os(CORPUS_VAR).filter(|v| !v.is_empty()) else {
        let thread = std::thread::current();
        // libtest runs each test on a thread named after it.
        let test = thread.name().unwrap_or("a test");
        let line = format!(
            "skipped: {test} needs the real-world corpus; set {CORPUS_VAR}=../shared/corpus\n"
        );
        // Straight to stderr: `eprintln!` would be captured by the test harness, and a skip
        // must be seen.
        let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
        return None;
    };
    let dir = Path::new(&value).join(folder);
    assert!(
        dir.is_dir(),
        "{CORPUS_VAR}={}: the corpus folder {folder} is missing",
        Path::new(&value).display()
    );
    Some(dir)
}
