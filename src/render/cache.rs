//! The optional on-disk render cache (`--cache-dir`): one JSON file per render, named by the
//! render's input key (`tool::cache_key`), so a repeated local run or `diff`'s second revision
//! renders only what changed. A cache entry that cannot be read is a miss, never an error.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{Value, json};

use super::tool::{RenderError, Rendered, RenderedDoc};

fn path_of(dir: &Path, key: &str) -> Option<PathBuf> {
    // Keys are hex digests; anything else is not a file name this cache writes.
    if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    Some(dir.join(format!("{key}.json")))
}

pub fn read(dir: &Path, key: &str) -> Option<Rendered> {
    let text = std::fs::read_to_string(path_of(dir, key)?).ok()?;
    let v: Value = serde_json::from_str(&text).ok()?;
    let documents = v
        .get("documents")?
        .as_array()?
        .iter()
        .map(|d| {
            Some(RenderedDoc {
                text: d.get("text")?.as_str()?.to_string(),
                source: d.get("source").and_then(Value::as_str).map(str::to_string),
                inner: d.get("inner").and_then(Value::as_str).map(str::to_string),
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Some(Rendered {
        documents,
        tool: v.get("tool")?.as_str()?.to_string(),
        command: v.get("command")?.as_str()?.to_string(),
        problems: v
            .get("problems")?
            .as_array()?
            .iter()
            .map(|p| p.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()?,
    })
}

pub fn write(dir: &Path, key: &str, rendered: &Rendered) {
    let Some(path) = path_of(dir, key) else {
        return;
    };
    let v = json!({
        "tool": rendered.tool,
        "command": rendered.command,
        "problems": rendered.problems,
        "documents": rendered.documents.iter().map(|d| json!({"text": d.text, "source": d.source, "inner": d.inner})).collect::<Vec<_>>(),
    });
    // Write then rename, so a concurrent reader never sees half a file.
    let tmp = dir.join(format!(".{key}.{}.tmp", std::process::id()));
    if std::fs::create_dir_all(dir).is_ok() && std::fs::write(&tmp, v.to_string()).is_ok() {
        let _ = std::fs::rename(&tmp, &path);
    }
}

/// One render result, shared.
pub type Shared = Result<Arc<Rendered>, RenderError>;

/// Renders shared by the builds of one process (`diff`'s base and head), by input key: a render
/// whose inputs (files, options, tool) are identical on both sides runs once, so both sides get
/// the same output. Without it, a chart using `randAlphaNum` or `genCA` renders differently each
/// time, and `diff` reports a change no one made.
#[derive(Default)]
pub struct Memo {
    renders: Mutex<HashMap<String, Arc<OnceLock<Shared>>>>,
}

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Memo")
    }
}

impl Memo {
    /// The result for `key`: `render`'s, when this is the first ask for it (then `true`), else the
    /// first ask's — waiting for it while it runs (then `false`). A render never waits for
    /// another, so waiting cannot form a cycle.
    pub fn get_or_render(&self, key: &str, render: impl FnOnce() -> Shared) -> (Shared, bool) {
        let slot = {
            let mut renders = match self.renders.lock() {
                Ok(r) => r,
                // A panic elsewhere while holding the lock leaves the map intact: keep using it.
                Err(poisoned) => poisoned.into_inner(),
            };
            renders.entry(key.to_string()).or_default().clone()
        };
        let mut ran = false;
        let result = slot.get_or_init(|| {
            ran = true;
            render()
        });
        (result.clone(), ran)
    }
}
