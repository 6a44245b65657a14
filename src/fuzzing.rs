//! Entry points for the `cargo fuzz` targets in `fuzz/` (issue 11 §4): each takes the raw bytes
//! libFuzzer hands it and drives one parser or evaluator that reads what a pull request writes,
//! the way a run would. They must never panic, allocate without bound or hang, whatever the
//! bytes; a target that does is a bug in the library, not in the entry point.
//!
//! Not a public API: hidden from the docs and free to change with the fuzz targets. Regression
//! inputs found by the fuzzer are replayed through these same functions in `tests/fuzz.rs`.

use std::cell::OnceCell;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};

use crate::config::{Config, Origin};
use crate::load::{self, yaml};
use crate::render::argocd::applicationset::generators::{self, Cluster, Context, Params, Repo};
use crate::render::argocd::applicationset::template::{self, TemplateOptions};
use crate::report::{self, Report};

/// A template and its parameters in one input: the template, a NUL byte, then the parameters as
/// a JSON object. Without the NUL (or when the rest is no JSON object), `default` stands in, so
/// seeds that are plain templates still reach parameter lookups.
fn split_template(data: &[u8], default: Value) -> (String, Params) {
    let (text, params) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let params = serde_json::from_slice::<Value>(params)
        .ok()
        .and_then(|v| v.as_object().cloned())
        .or_else(|| default.as_object().cloned())
        .unwrap_or_default();
    (String::from_utf8_lossy(text).into_owned(), params)
}

/// Renders `text` alone and as both a value and a key of a template object, so the per-field
/// walk and the budget shared across fields are exercised too.
fn render_both_ways(text: &str, params: &Params, opts: &TemplateOptions) {
    let _ = template::render_string(text, params, opts);
    let tpl = json!({"metadata": {"name": text, "labels": {text: "x"}}, "spec": [text]});
    let _ = template::render_template(&tpl, params, opts);
}

/// The step budget of a fuzzed template, an eightieth of a real one's. What fuzzing checks is
/// that each step costs a bounded amount: under AddressSanitizer even a linear run of the full
/// 20 million steps outlasts `fuzz/run`'s timeout (a 100,000-iteration `range` did), while a
/// step whose cost grows with the data (a map re-measured on each `set`, 35 s natively) still
/// times out within this budget.
const FUZZ_TEMPLATE_STEPS: u64 = 250_000;

/// The Go template engine (`goTemplate: true`, Sprig functions): template × parameters. An odd
/// input length turns on `missingkey=error`, so both modes are reached without a flag byte that
/// would spoil template seeds.
pub fn go_template(data: &[u8]) {
    let (text, params) = split_template(
        data,
        json!({
            "name": "guestbook",
            "path": {"path": "apps/guestbook", "basename": "guestbook", "segments": ["apps", "guestbook"]},
            "server": "https://kubernetes.default.svc",
            "n": 3,
            "list": [1, "two", {"three": 3}],
            "values": {"env": "prod", "replicas": "2"},
        }),
    );
    let opts = TemplateOptions {
        go_template: true,
        missing_key_error: data.len() % 2 == 1,
        steps: FUZZ_TEMPLATE_STEPS,
        ..TemplateOptions::default()
    };
    render_both_ways(&text, &params, &opts);
}

/// fasttemplate (`goTemplate: false`): template × flat parameters.
pub fn fasttemplate(data: &[u8]) {
    let (text, params) = split_template(
        data,
        json!({
            "name": "guestbook",
            "path": "apps/guestbook",
            "path.basename": "guestbook",
            "path[1]": "guestbook",
            "server": "https://kubernetes.default.svc",
            "n": 3,
        }),
    );
    render_both_ways(&text, &params, &TemplateOptions::default());
}

/// The config parser, as the repository's file and as an operator's (which may set more), and
/// the glob sets a parsed config compiles.
pub fn config(data: &[u8]) {
    let text: Arc<str> = Arc::from(String::from_utf8_lossy(data).as_ref());
    for origin in [Origin::Repository, Origin::Operator] {
        if let Ok(config) = Config::parse_from(".manifest-guard.yaml", text.clone(), origin) {
            let _ = config.exclude_set();
            let _ = config.unit_set();
        }
    }
}

/// Helm's and Kustomize's standard output: split into documents, `# Source:` lines and
/// Kustomize's build annotations taken out, each document then parsed as a run parses it.
pub fn render_output(data: &[u8]) {
    let stdout = String::from_utf8_lossy(data);
    for (text, _source) in crate::render::helm::output_documents(&stdout) {
        parse_rendered(text);
    }
    for doc in crate::render::kustomize::output_documents("apps/guestbook", &stdout) {
        parse_rendered(doc.text);
    }
}

fn parse_rendered(text: String) {
    let file = load::parse_text(
        "rendered".into(),
        "rendered".into(),
        Arc::from(text),
        yaml::Limits::default(),
    );
    for doc in &file.documents {
        if let Some(root) = &doc.root {
            let _ = crate::model::manifests_of(root);
            let _ = crate::model::manifests(doc);
            let _ = root.to_json();
        }
    }
}

/// A checkout holding one file, the fuzz input.
struct OneFile(String);

const GIT_FILE: &str = "apps/guestbook/config.yaml";

impl Repo for OneFile {
    fn directories(&self) -> std::sync::Arc<[String]> {
        ["apps".to_string(), "apps/guestbook".to_string()].into()
    }
    fn files(&self) -> std::sync::Arc<[String]> {
        [GIT_FILE.to_string()].into()
    }
    fn read(&self, path: &str) -> Result<String, String> {
        if path == GIT_FILE {
            Ok(self.0.clone())
        } else {
            Err(format!("{path}: no such file"))
        }
    }
}

/// The real renderer and YAML reading, as an ApplicationSet's expansion uses them, around the
/// one-file checkout.
struct OneFileContext {
    go: bool,
    repo: OneFile,
}

impl Context for OneFileContext {
    fn go_template(&self) -> bool {
        self.go
    }
    fn clusters(&self) -> &[Cluster] {
        &[]
    }
    fn repo(&self, _repo_url: &str) -> Option<&dyn Repo> {
        Some(&self.repo)
    }
    fn render(&self, value: &Value, params: &Params) -> Result<Value, String> {
        let opts = TemplateOptions {
            go_template: self.go,
            missing_key_error: false,
            ..TemplateOptions::default()
        };
        template::render_template(value, params, &opts).map_err(|e| e.to_string())
    }
    fn parse_yaml(&self, text: &str) -> Result<Value, String> {
        crate::render::argocd::applicationset::parse_yaml(text)
    }
}

/// The git generator's files subtype over one file holding the input: the file parsed as JSON or
/// YAML and flattened into parameter sets, in both template modes, with templated `values`.
pub fn git_file(data: &[u8]) {
    let text = String::from_utf8_lossy(data).into_owned();
    for go in [false, true] {
        let value = if go {
            "{{ .path.basename }}-{{ .name }}"
        } else {
            "{{path.basename}}-{{name}}"
        };
        let spec = json!({"git": {
            "repoURL": "https://example.invalid/gitops.git",
            "files": [{"path": "apps/*/config.yaml"}],
            "values": {"v": value},
        }});
        let ctx = OneFileContext {
            go,
            repo: OneFile(text.clone()),
        };
        let _ = generators::generate(&spec, &ctx);
    }
}

/// An empty directory of this thread's own, the scanned root of [`loader`] runs (tests replay
/// inputs on several threads at once).
fn scratch_root() -> Option<PathBuf> {
    thread_local! {
        static ROOT: OnceCell<Option<PathBuf>> = const { OnceCell::new() };
    }
    ROOT.with(|root| {
        root.get_or_init(|| {
            static NEXT: AtomicUsize = AtomicUsize::new(0);
            let dir = std::env::temp_dir().join(format!(
                "manifest-guard-fuzz-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::create_dir_all(&dir).ok()?;
            dir.canonicalize().ok()
        })
        .clone()
    })
}

/// The loader and everything after it: the bytes written as one manifest file of an otherwise
/// empty repository and checked as `check --no-render` checks it — the walk reads and decodes
/// it, the YAML loader parses it, its documents become objects (Applications and
/// ApplicationSets are expanded), every rule runs, and the reports are written.
pub fn loader(data: &[u8]) {
    let Some(root) = scratch_root() else { return };
    let file = root.join("manifest.yaml");
    if std::fs::write(&file, data).is_err() {
        return;
    }
    let scan = crate::Scan {
        paths: vec![root.clone()],
        root: root.clone(),
        label: None,
        checkout: None,
    };
    let config = Config::default();
    let flags = crate::RenderFlags {
        no_render: true,
        ..crate::RenderFlags::default()
    };
    let Ok(inventory) = scan.inventory(&config, &flags) else {
        return;
    };
    let (diagnostics, suppressed) =
        crate::rules::run_accounted(&inventory, &crate::rules::Selection::default());
    for d in &diagnostics {
        for at in std::iter::once(&d.location).chain(d.related.iter().map(|r| &r.location)) {
            check_location(&inventory.sources, at, d.rule);
        }
    }
    let report = Report {
        inventory: &inventory,
        diagnostics: &diagnostics,
        suppressed: &suppressed,
    };
    let options = report::Options {
        repository: report::Repository {
            root,
            cwd_prefix: String::new(),
        },
        ..report::Options::default()
    };
    // SARIF is left out: most of it is the rules' own documents, the same for every input and
    // costly to write each time; the findings in it go through the same escaping as JSON's.
    for format in [
        report::Format::Human,
        report::Format::Concise,
        report::Format::Json,
        report::Format::Github,
        report::Format::Markdown,
    ] {
        let _ = report::render(format, &report, &options);
    }
    let _ = report::inventory::render_json(&inventory);
}

/// A finding must point into its file, at character boundaries: reports cut the line it names
/// out of the text. The fuzzer reports a panic here as a crash, which is what it is for.
fn check_location(sources: &load::Sources, at: &load::Location, rule: &str) {
    assert!(
        at.file.0 < sources.len(),
        "{rule}: finding in a file that does not exist"
    );
    let text = &sources.get(at.file).text;
    let (start, end) = (at.span.start, at.span.end);
    assert!(
        start <= end && end <= text.len(),
        "{rule}: span {start}..{end} outside a file of {} bytes",
        text.len()
    );
    assert!(
        text.is_char_boundary(start) && text.is_char_boundary(end),
        "{rule}: span {start}..{end} cuts a character"
    );
}
