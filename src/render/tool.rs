//! Running the real rendering tools (`helm`, `kustomize`, `kubectl kustomize`) the way Argo CD's
//! repo-server does, inside a sandbox: a private temporary copy of the inputs, a scrubbed
//! environment (no kubeconfig, Helm homes in the temporary directory, a dead proxy and no `PATH`, so
//! neither the tool nor a `git` it might spawn reaches the network), stdin closed, a timeout that
//! kills the whole process group, and a cap on the output.
//!
//! It owns what both runners share: tool discovery and versions, the temporary directory, the
//! process runner, copying a tree without following links out of the scanned root, splitting a
//! YAML stream into documents, and the cache key. It never reads or writes outside the scanned root
//! except its own temporary directory, and never changes the user's files.

use std::collections::{BTreeMap, HashMap};
use std::ffi::{OsStr, OsString};
use std::fmt::Write as _;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, UNIX_EPOCH};

pub use super::helm::HelmRequest;
pub use super::kustomize::KustomizeRequest;

/// Argo CD's repo-server default for one manifest generation is 90 s; a linter run wants less.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Far above any real chart (the largest bitnami charts render to well under 1 MiB).
pub const DEFAULT_MAX_OUTPUT: usize = 64 * 1024 * 1024;
/// How much of a tree is copied for one render before it is refused.
const MAX_TREE_FILES: usize = 20_000;
const MAX_TREE_BYTES: u64 = 256 * 1024 * 1024;
/// What a failure message keeps of the tool's stderr.
const STDERR_LINES: usize = 40;
const STDERR_BYTES: usize = 4096;
/// A proxy nobody listens on: Go's HTTP clients (Helm's schema and chart fetchers) honour it, so
/// a request that would leave the machine fails at once instead of reaching the network.
const DEAD_PROXY: &str = "http://127.0.0.1:9";

/// The external tools a render may run, and the limits every run gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tools {
    pub helm: Option<PathBuf>,
    /// A standalone `kustomize` binary; preferred over `kubectl kustomize`.
    pub kustomize: Option<PathBuf>,
    pub kubectl: Option<PathBuf>,
    pub timeout: Duration,
    pub max_output: usize,
    /// The address space of each process a render starts, in bytes (`render-memory`).
    pub max_memory: u64,
}

impl Tools {
    /// The flags (or configuration) first, else a `PATH` lookup: `helm`; `kustomize`, and
    /// `kubectl` for `kubectl kustomize` when there is no `kustomize`. A `--kustomize` flag that
    /// names a `kubectl` binary is used as `kubectl kustomize`.
    pub fn discover(
        helm_flag: Option<PathBuf>,
        kustomize_flag: Option<PathBuf>,
        timeout: Duration,
    ) -> Tools {
        let helm = helm_flag
            .map(|p| resolve_program(&p).unwrap_or(p))
            .or_else(|| find_on_path("helm"));
        let (kustomize, kubectl) = match kustomize_flag {
            Some(p) => {
                let p = resolve_program(&p).unwrap_or(p);
                let is_kubectl = p
                    .file_name()
                    .and_then(OsStr::to_str)
                    .is_some_and(|n| n.starts_with("kubectl"));
                if is_kubectl {
                    (None, Some(p))
                } else {
                    (Some(p), None)
                }
            }
            None => (find_on_path("kustomize"), find_on_path("kubectl")),
        };
        Tools {
            helm,
            kustomize,
            kubectl,
            timeout,
            max_output: DEFAULT_MAX_OUTPUT,
            max_memory: crate::limits::Limits::default().get(crate::limits::Key::RenderMemory),
        }
    }

    /// The Kustomize program: the binary, the arguments before the directory, and its name in
    /// messages.
    pub(crate) fn kustomize_program(&self) -> Result<KustomizeProgram, RenderError> {
        if let Some(p) = &self.kustomize {
            return Ok(KustomizeProgram {
                path: p.clone(),
                subcommand: "build",
                display: "kustomize build",
            });
        }
        if let Some(p) = &self.kubectl {
            return Ok(KustomizeProgram {
                path: p.clone(),
                subcommand: "kustomize",
                display: "kubectl kustomize",
            });
        }
        Err(RenderError::ToolMissing(
            "neither `kustomize` nor `kubectl` was found on PATH; install one or pass --kustomize"
                .into(),
        ))
    }

    pub(crate) fn helm_program(&self) -> Result<&Path, RenderError> {
        self.helm.as_deref().ok_or_else(|| {
            RenderError::ToolMissing(
                "`helm` was found neither on PATH nor in --helm; install Helm 3 or 4".into(),
            )
        })
    }
}

pub(crate) struct KustomizeProgram {
    pub path: PathBuf,
    pub subcommand: &'static str,
    pub display: &'static str,
}

/// What a render produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub documents: Vec<RenderedDoc>,
    /// The tool and its version, e.g. `helm v4.3.1`.
    pub tool: String,
    /// The command line (with paths relative to the scanned root), for provenance and messages.
    pub command: String,
    /// Problems found in the inputs before the tool ran, which Argo CD would fail on, although
    /// this render went on without the offending part (e.g. a Helm values schema that refers
    /// outside the chart, validated without the schema): `render-failed` findings.
    pub problems: Vec<String>,
}

/// One rendered YAML document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedDoc {
    /// The document, without Kustomize's origin annotations and without Helm's `# Source:` line.
    pub text: String,
    /// The file it came from, relative to the scanned root, `/`-separated: the Helm template
    /// named by `# Source:`, or the file in Kustomize's `config.kubernetes.io/origin`; for a
    /// subchart read from a packaged chart, the archive.
    pub source: Option<String>,
    /// For a template inside a packaged chart: its path as `# Source:` names it.
    pub inner: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// Not renderable offline: a remote base or resource, a chart dependency that is not
    /// vendored, a plugin, a value file outside the scanned root.
    #[error("{0}")]
    NotRenderable(String),
    /// The tool ran and failed; the message holds the end of its stderr.
    #[error("{0}")]
    Failed(String),
    #[error("the render did not finish within {} s (`render-timeout`) and was stopped", .0.as_secs_f64())]
    Timeout(Duration),
    #[error("{0}")]
    ToolMissing(String),
    /// Not run: the run's `renders` bound was reached.
    #[error(
        "not rendered: the run's bound of {0} Helm and Kustomize renders (`renders`) was reached"
    )]
    OverBudget(u64),
}

/// One render, as the cache sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum RenderRequest {
    Helm(HelmRequest),
    Kustomize(KustomizeRequest),
}

impl RenderRequest {
    /// Plans the render (reads its inputs, checks them against the sandbox) and keys it.
    pub fn prepare(&self, tools: &Tools) -> Prepared {
        let planned = match self {
            RenderRequest::Helm(r) => super::helm::plan(r).map(Planned::Helm),
            RenderRequest::Kustomize(r) => super::kustomize::plan(r).map(Planned::Kustomize),
        };
        let key = key_of(self, &planned, tools);
        Prepared { key, planned }
    }

    pub fn render(&self, tools: &Tools) -> Result<Rendered, RenderError> {
        self.prepare(tools).render(tools)
    }
}

/// A planned render: what it will run, over which files, and its cache key. A render is planned
/// once; the key and the run come from the same plan.
pub struct Prepared {
    /// `cache_key` of the request.
    pub key: String,
    planned: Result<Planned, RenderError>,
}

pub(crate) enum Planned {
    Helm(super::helm::Plan),
    Kustomize(super::kustomize::Plan),
}

impl Prepared {
    /// True when rendering it runs a tool (its plan did not fail already).
    pub fn runs_tool(&self) -> bool {
        self.planned.is_ok()
    }

    pub fn render(&self, tools: &Tools) -> Result<Rendered, RenderError> {
        match &self.planned {
            Ok(Planned::Helm(p)) => super::helm::run(p, tools),
            Ok(Planned::Kustomize(p)) => super::kustomize::run(p, tools),
            Err(e) => Err(e.clone()),
        }
    }
}

/// A SHA-256 (hex) of everything a render depends on: the tool (path, version, size and mtime of
/// the binary), the request with its options, and the path and content of every file the render
/// may read (the chart or every kustomization directory it reaches, value files). Identical inputs
/// give identical keys, across runs; a render whose inputs cannot be read keys on the reason.
pub fn cache_key(request: &RenderRequest, tools: &Tools) -> String {
    request.prepare(tools).key
}

fn key_of(
    request: &RenderRequest,
    planned: &Result<Planned, RenderError>,
    tools: &Tools,
) -> String {
    let mut h = Sha256::new();
    h.field(b"manifest-guard render cache v2");
    match request {
        RenderRequest::Helm(_) => {
            h.field(b"helm");
            tool_identity(&mut h, tools.helm.as_deref());
        }
        RenderRequest::Kustomize(_) => {
            h.field(b"kustomize");
            tool_identity(&mut h, tools.kustomize.as_deref());
            tool_identity(&mut h, tools.kubectl.as_deref());
        }
    }
    let inputs = match planned {
        Ok(Planned::Helm(p)) => Ok(super::helm::cache_inputs(p)),
        Ok(Planned::Kustomize(p)) => Ok(super::kustomize::cache_inputs(p)),
        Err(e) => Err(e),
    };
    match inputs {
        Ok(inputs) => {
            h.field(inputs.request.as_bytes());
            for (rel, abs) in &inputs.files {
                h.field(rel.as_bytes());
                match std::fs::read(abs) {
                    Ok(bytes) => h.field(&bytes),
                    Err(e) => h.field(format!("unreadable: {e}").as_bytes()),
                }
            }
        }
        Err(e) => h.field(format!("error: {e:?}").as_bytes()),
    }
    h.hex()
}

/// What `cache_key` hashes besides the tool.
pub(crate) struct CacheInputs {
    /// The request and its options, in a stable text form.
    pub request: String,
    /// Root-relative path → file on disk, sorted.
    pub files: Vec<(String, PathBuf)>,
}

fn tool_identity(h: &mut Sha256, path: Option<&Path>) {
    match path {
        None => h.field(b"none"),
        Some(p) => {
            h.field(p.as_os_str().as_encoded_bytes());
            if let Ok(meta) = std::fs::metadata(p) {
                let mtime = meta
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_nanos());
                h.field(format!("{} {mtime}", meta.len()).as_bytes());
            }
            h.field(tool_version(p).as_bytes());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Tool discovery and versions

fn is_executable(p: &Path) -> bool {
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

pub(crate) fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| is_executable(p))
}

/// A bare program name is looked up on `PATH`; a path is taken as it is.
fn resolve_program(p: &Path) -> Option<PathBuf> {
    if p.components().count() == 1 {
        p.to_str().and_then(find_on_path)
    } else {
        Some(p.to_path_buf())
    }
}

fn version_cache() -> &'static Mutex<HashMap<PathBuf, String>> {
    static CACHE: OnceLock<Mutex<HashMap<PathBuf, String>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

fn first_semver(text: &str) -> Option<&str> {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(r"v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?").expect("a valid regex")
    });
    re.find(text).map(|m| m.as_str())
}

/// The tool's name and version, e.g. `helm v4.3.1`, `kustomize v5.8.1`,
/// `kubectl v1.37.1 (kustomize v5.8.1)`; asked once per binary and process.
pub(crate) fn tool_version(path: &Path) -> String {
    if let Ok(cache) = version_cache().lock()
        && let Some(v) = cache.get(path)
    {
        return v.clone();
    }
    let name = path
        .file_name()
        .and_then(OsStr::to_str)
        .unwrap_or("tool")
        .to_string();
    let ask = |args: &[&str]| -> Option<String> {
        let tmp = TempDir::new().ok()?;
        let out = run(&Run {
            program: path,
            args: args.iter().map(OsString::from).collect(),
            cwd: tmp.path(),
            env: sandbox_env(tmp.path()),
            timeout: Duration::from_secs(20),
            max_output: 1024 * 1024,
            max_memory: crate::limits::Limits::default().get(crate::limits::Key::RenderMemory),
        })
        .ok()?;
        out.status.success().then(|| {
            let mut s = String::from_utf8_lossy(&out.stdout).into_owned();
            s.push('\n');
            s.push_str(&String::from_utf8_lossy(&out.stderr));
            s
        })
    };
    let version = if name.starts_with("kubectl") {
        ask(&["version", "--client"]).map(|text| {
            let client = text
                .lines()
                .find(|l| l.starts_with("Client Version"))
                .and_then(first_semver);
            let kz = text
                .lines()
                .find(|l| l.starts_with("Kustomize Version"))
                .and_then(first_semver);
            match (client, kz) {
                (Some(c), Some(k)) => format!("kubectl {c} (kustomize {k})"),
                (Some(c), None) => format!("kubectl {c}"),
                _ => "kubectl (version unknown)".to_string(),
            }
        })
    } else if name.starts_with("helm") {
        ask(&["version", "--short"]).and_then(|t| first_semver(&t).map(|v| format!("helm {v}")))
    } else {
        ask(&["version"]).and_then(|t| first_semver(&t).map(|v| format!("kustomize {v}")))
    };
    let version = version.unwrap_or_else(|| format!("{name} (version unknown)"));
    if let Ok(mut cache) = version_cache().lock() {
        cache.insert(path.to_path_buf(), version.clone());
    }
    version
}

// ---------------------------------------------------------------------------------------------
// The private temporary directory

/// A directory only this process can enter, removed on drop (and by the interrupt handler: see
/// `scratch`).
///
/// Its path is the resolved one (no links, no `.` or `//`, absolute): the tools name files by
/// the path they resolve (`evalsymlink failure on '/private/var/…'` where `TMPDIR` is the link
/// `/var/…`, as on macOS), and a message must name the sandbox as `without_sandbox_paths`
/// finds it, else the directory's name (process id, counter, time) reaches the report.
pub(crate) struct TempDir {
    /// Held for its removal on drop.
    _dir: crate::scratch::TempDir,
    resolved: PathBuf,
}

impl TempDir {
    pub fn new() -> Result<TempDir, RenderError> {
        let dir = crate::scratch::TempDir::new().map_err(|e| {
            RenderError::Failed(format!(
                "cannot create a temporary directory in {}: {e}",
                std::env::temp_dir().display()
            ))
        })?;
        let resolved = dir.path().canonicalize().map_err(|e| {
            RenderError::Failed(format!(
                "cannot resolve the temporary directory made in {}: {e}",
                std::env::temp_dir().display()
            ))
        })?;
        Ok(TempDir {
            _dir: dir,
            resolved,
        })
    }

    pub fn path(&self) -> &Path {
        &self.resolved
    }
}

// ---------------------------------------------------------------------------------------------
// Running a tool

/// The environment every tool gets, and nothing else: no `KUBECONFIG`, no user `HOME`, no proxy
/// but a dead one, no `PATH` (so no `git`, no plugin binaries, no exec functions).
pub(crate) fn sandbox_env(tmp: &Path) -> Vec<(OsString, OsString)> {
    let sub = |s: &str| tmp.join(s).into_os_string();
    let mut env: Vec<(OsString, OsString)> = vec![
        ("HOME".into(), tmp.as_os_str().to_os_string()),
        ("TMPDIR".into(), tmp.as_os_str().to_os_string()),
        ("XDG_CACHE_HOME".into(), sub("cache")),
        ("XDG_CONFIG_HOME".into(), sub("config")),
        ("XDG_DATA_HOME".into(), sub("data")),
        ("HELM_CACHE_HOME".into(), sub("cache/helm")),
        ("HELM_CONFIG_HOME".into(), sub("config/helm")),
        ("HELM_DATA_HOME".into(), sub("data/helm")),
        ("HELM_PLUGINS".into(), sub("data/helm/plugins")),
        (
            "HELM_REGISTRY_CONFIG".into(),
            sub("config/helm/registry.json"),
        ),
        (
            "HELM_REPOSITORY_CONFIG".into(),
            sub("config/helm/repositories.yaml"),
        ),
        ("HELM_REPOSITORY_CACHE".into(), sub("cache/helm/repository")),
        ("KUSTOMIZE_PLUGIN_HOME".into(), sub("kustomize-plugins")),
        ("GIT_TERMINAL_PROMPT".into(), "0".into()),
        // A Go tool that panics prints its message without the goroutines' stacks, whose
        // addresses differ from run to run (`trim_stderr` drops a dump that still comes).
        ("GOTRACEBACK".into(), "none".into()),
        ("GIT_CONFIG_NOSYSTEM".into(), "1".into()),
        ("NO_PROXY".into(), "".into()),
        ("no_proxy".into(), "".into()),
    ];
    for key in [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ] {
        env.push((key.into(), DEAD_PROXY.into()));
    }
    env
}

pub(crate) struct Run<'a> {
    pub program: &'a Path,
    pub args: Vec<OsString>,
    pub cwd: &'a Path,
    pub env: Vec<(OsString, OsString)>,
    pub timeout: Duration,
    pub max_output: usize,
    /// The address space the program may use, in bytes (`render-memory`).
    pub max_memory: u64,
}

pub(crate) struct RunOutput {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    /// The last 64 KiB of stderr.
    pub stderr: Vec<u8>,
    /// The address-space limit the program ran under, when one could be set.
    pub memory_limit: Option<u64>,
}

const STDERR_KEEP: usize = 64 * 1024;

/// Runs a program in its own process group with stdin closed. Past the timeout, or once stdout
/// passes `max_output`, the whole group is killed. A non-zero exit is returned, not an error.
pub(crate) fn run(spec: &Run) -> Result<RunOutput, RenderError> {
    let mut cmd = Command::new(spec.program);
    cmd.args(&spec.args)
        .current_dir(spec.cwd)
        .env_clear()
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // Its own process group, registered so that an interrupt kills it (see `scratch`).
    let (mut child, group) = crate::scratch::spawn_group(&mut cmd).map_err(|e| {
        RenderError::ToolMissing(format!(
            "`{}` could not be run: {e}",
            spec.program.display()
        ))
    })?;
    let pid = child.id();
    let memory_limit = match limit_address_space(pid, spec.max_memory) {
        Ok(limit) => limit,
        Err(e) => {
            // Unbounded, a looping chart takes the machine: better no render than that.
            crate::scratch::kill_groups(&[pid]);
            let _ = child.kill();
            let _ = child.wait();
            drop(group);
            return Err(RenderError::Failed(format!(
                "`{}` was stopped: its memory could not be limited (`render-memory`): {e}",
                spec.program.display()
            )));
        }
    };
    let over_cap = Arc::new(AtomicBool::new(false));

    let stdout_reader = child.stdout.take().map(|mut out| {
        let over = Arc::clone(&over_cap);
        let cap = spec.max_output;
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let mut chunk = [0u8; 64 * 1024];
            loop {
                match out.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if buf.len() + n > cap {
                            over.store(true, Ordering::SeqCst);
                            break;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                    }
                }
            }
            buf
        })
    });
    let stderr_reader = child.stderr.take().map(|mut err| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let mut chunk = [0u8; 16 * 1024];
            loop {
                match err.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        buf.extend_from_slice(&chunk[..n]);
                        if buf.len() > 2 * STDERR_KEEP {
                            buf.drain(..buf.len() - STDERR_KEEP);
                        }
                    }
                }
            }
            buf
        })
    });

    let started = Instant::now();
    let mut pause = Duration::from_millis(1);
    let outcome = loop {
        if over_cap.load(Ordering::SeqCst) {
            break Err(RenderError::Failed(format!(
                "output over {} bytes; the render was stopped",
                spec.max_output
            )));
        }
        match child.try_wait() {
            Ok(Some(status)) => break Ok(status),
            Ok(None) => {}
            Err(e) => break Err(RenderError::Failed(format!("waiting for the tool: {e}"))),
        }
        if started.elapsed() >= spec.timeout {
            break Err(RenderError::Timeout(spec.timeout));
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(10));
    };
    // Whatever happened, nothing of the group may outlive the render (a leader that exited may
    // have left children holding the pipes open). While a member lives, the kernel does not reuse
    // the group's id, so this reaches only the tool's own processes.
    crate::scratch::kill_groups(&[pid]);
    if outcome.is_err() {
        let _ = child.kill();
        let _ = child.wait();
    }
    drop(group);
    let stdout = stdout_reader
        .and_then(|t| t.join().ok())
        .unwrap_or_default();
    let stderr = stderr_reader
        .and_then(|t| t.join().ok())
        .unwrap_or_default();
    let status = outcome?;
    if over_cap.load(Ordering::SeqCst) {
        return Err(RenderError::Failed(format!(
            "output over {} bytes; the render was stopped",
            spec.max_output
        )));
    }
    Ok(RunOutput {
        status,
        stdout,
        stderr: without_sandbox_paths(stderr, &spec.env),
        memory_limit,
    })
}

/// Limits the address space of the child `pid` (and of whatever it starts later) to `bytes`,
/// or to the hard limit this process runs under when that is lower (a process may lower a
/// child's limit, never raise it); the limit set, or `None` where it cannot be set.
///
/// The limit is set right after `spawn` returned, from outside, by `prlimit(2)`: the crate
/// forbids unsafe code, and `pre_exec` (the only way to call `setrlimit` between fork and
/// exec) is unsafe. The window is harmless: `spawn` returns once the exec succeeded, and what
/// the tool does before our next system call is its runtime's start-up (a Go runtime maps a few
/// MiB); it reads no chart, renders nothing and starts no process in that time.
#[cfg(target_os = "linux")]
fn limit_address_space(pid: u32, bytes: u64) -> std::io::Result<Option<u64>> {
    use rustix::process::{Pid, Resource, Rlimit, getrlimit, prlimit};
    let Some(pid) = i32::try_from(pid).ok().and_then(Pid::from_raw) else {
        return Err(std::io::Error::other("no such process id"));
    };
    let ours = getrlimit(Resource::As);
    let bytes = ours.maximum.map_or(bytes, |hard| hard.min(bytes));
    prlimit(
        Some(pid),
        Resource::As,
        Rlimit {
            current: Some(bytes),
            maximum: Some(bytes),
        },
    )?;
    Ok(Some(bytes))
}

/// Elsewhere the address space is not limited (the README says so); time and output still are.
#[cfg(not(target_os = "linux"))]
fn limit_address_space(_pid: u32, _bytes: u64) -> std::io::Result<Option<u64>> {
    Ok(None)
}

/// What runtimes print when an allocation fails: Go (`fatal error: out of memory`,
/// `failed to reserve page summary memory`), glibc and shells (`Cannot allocate memory`,
/// `cannot allocate`), Rust (`memory allocation of N bytes failed`), C++ (`std::bad_alloc`).
const OUT_OF_MEMORY: &[&str] = &[
    "out of memory",
    "cannot allocate",
    "failed to reserve",
    "memory allocation of",
    "bad_alloc",
];

/// What `stderr` says when an allocation failed (the phrase, not the line: the line holds byte
/// counts that differ from run to run, and the report must not).
fn out_of_memory_phrase(stderr: &str) -> Option<&'static str> {
    let lower = stderr.to_ascii_lowercase();
    OUT_OF_MEMORY.iter().copied().find(|p| lower.contains(p))
}

/// A tool's message names files by their path in the sandbox, a temporary directory that is gone
/// once the run ends and differs from run to run: the copied tree's paths become the repository's
/// (relative to the scanned root), anything else in the sandbox `<sandbox>`.
fn without_sandbox_paths(stderr: Vec<u8>, env: &[(OsString, OsString)]) -> Vec<u8> {
    let Some(home) = env
        .iter()
        .find(|(k, _)| k == "HOME")
        .and_then(|(_, v)| v.to_str())
        .filter(|h| h.len() > 1)
    else {
        return stderr;
    };
    let text = String::from_utf8_lossy(&stderr);
    if !text.contains(home) {
        return stderr;
    }
    let text = text
        .replace(&format!("{home}/tree/"), "")
        .replace(home, "<sandbox>");
    without_temp_names(&text).into_bytes()
}

/// `stderr` with the program at `path` named `name`: a tool that names another it ran (Kustomize
/// its Helm) names it by the path it was given, which is this machine's.
pub(crate) fn with_program_named(stderr: Vec<u8>, path: &Path, name: &str) -> Vec<u8> {
    let Some(path) = path.to_str().filter(|p| p.len() > 1 && *p != name) else {
        return stderr;
    };
    let text = String::from_utf8_lossy(&stderr);
    if !text.contains(path) {
        return stderr;
    }
    text.replace(path, name).into_bytes()
}

/// A directory or file a tool made in the sandbox with Go's `os.MkdirTemp` or `os.CreateTemp`
/// has a random number in its name (`<sandbox>/kustomize-helm-2395599683/…`, where Kustomize
/// inflates a chart): the number becomes `*`. The sandbox's own entries (`tree`, `chart`,
/// `inputs`, the Helm and XDG homes) have no digits in their names.
fn without_temp_names(text: &str) -> String {
    const SANDBOX: &str = "<sandbox>/";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(SANDBOX) {
        let (before, after) = rest.split_at(at + SANDBOX.len());
        out.push_str(before);
        let end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
            .unwrap_or(after.len());
        let mut digits = false;
        for c in after[..end].chars() {
            if c.is_ascii_digit() {
                if !digits {
                    out.push('*');
                }
                digits = true;
            } else {
                out.push(c);
                digits = false;
            }
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// The message of a line a Go tool logged through klog (`E1206 06:11:33.675337   11420
/// run.go:72] "command failed" err="..."`, as some kubectl builds print a failed `kustomize`):
/// the header holds the time and the process id, which differ from run to run, and the report
/// must not. Any other line is kept whole.
fn without_klog_header(line: &str) -> &str {
    let b = line.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    // `Lmmdd hh:mm:ss.`: a level letter, the date, the time to the second.
    let header = b.len() > 16
        && matches!(b[0], b'I' | b'W' | b'E' | b'F')
        && digits(1..5)
        && b[5] == b' '
        && digits(6..8)
        && b[8] == b':'
        && digits(9..11)
        && b[11] == b':'
        && digits(12..14)
        && b[14] == b'.';
    if !header {
        return line;
    }
    // Then microseconds, spaces, the thread id, and `file:line] `.
    let rest = line[15..].trim_start_matches(|c: char| c.is_ascii_digit());
    let rest = rest.trim_start_matches(' ');
    let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit());
    match rest.strip_prefix(' ').and_then(|r| r.split_once("] ")) {
        Some((place, message)) if !place.is_empty() && !place.contains(' ') => message,
        _ => line,
    }
}

/// Whether a line, indentation aside (klog indents a multi-line value with tabs), is part of the
/// stack dump a Go program prints when it crashes: `goroutine 7 [running]:`, a frame
/// `pkg.(*T).f(0xc000123456, …)` with its `\t/src/file.go:12 +0x1d fp=0x… sp=0x… pc=0x…`,
/// `created by … in goroutine 1`, `...additional frames elided...`. The addresses, goroutine
/// numbers and the goroutines dumped differ from run to run (and with the build), so the
/// report keeps the panic's message, not its dump.
fn is_go_trace_line(line: &str) -> bool {
    let l = line.trim();
    let goroutine_header = is_goroutine_header(l);
    let source_line = l.starts_with('/') || l.contains(".go:") || l.contains(".s:");
    // `main.main()`, `panic({0x1d2e3c0?, 0x3b4a5c0?})`, `pkg.(*T).f(0xc000123456, 0x3)`.
    let frame = l.ends_with(')')
        && l.split_once('(')
            .is_some_and(|(name, _)| !name.is_empty() && !name.contains(char::is_whitespace));
    goroutine_header
        || (source_line && (l.contains(" +0x") || l.ends_with(|c: char| c.is_ascii_digit())))
        || frame
        || l.starts_with("created by ")
        || (l.starts_with("...") && l.ends_with("elided..."))
}

/// `goroutine 7 [running]:`, `goroutine 1 gp=0xc000002380 m=0 mp=0x3fd4c00 [running]:`.
fn is_goroutine_header(l: &str) -> bool {
    l.strip_prefix("goroutine ").is_some_and(|r| {
        let n = r.split(' ').next().unwrap_or("");
        !n.is_empty()
            && n.bytes().all(|b| b.is_ascii_digit())
            && r.contains(" [")
            && r.ends_with("]:")
    })
}

/// The lines of a tool's stderr without a Go stack dump (see [`is_go_trace_line`]): from a
/// `goroutine N [state]:` header, the dump's lines and the blank lines between its goroutines
/// become one `[Go stack trace omitted]`; what follows the dump stays. A crash's addresses
/// outside the dump (`[signal SIGSEGV: … addr=0x18 pc=0x1c4f2b3]`, `runtime: sp=0x… stack=[…]`)
/// become `0x…`.
fn without_go_traces<'a>(lines: &[&'a str]) -> Vec<std::borrow::Cow<'a, str>> {
    use std::borrow::Cow;
    let mut out: Vec<Cow<'a, str>> = Vec::with_capacity(lines.len());
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if is_goroutine_header(line.trim()) {
            let indent = &line[..line.len() - line.trim_start().len()];
            let mut end = i + 1;
            while end < lines.len()
                && (lines[end].trim().is_empty() || is_go_trace_line(lines[end]))
            {
                end += 1;
            }
            // Blank lines the dump ended with belong to what follows.
            while end > i + 1 && lines[end - 1].trim().is_empty() {
                end -= 1;
            }
            out.push(Cow::Owned(format!("{indent}[Go stack trace omitted]")));
            i = end;
            continue;
        }
        let t = line.trim_start();
        if t.starts_with("[signal ") || t.starts_with("runtime: ") {
            out.push(Cow::Owned(without_hex_addresses(line)));
        } else {
            out.push(Cow::Borrowed(line));
        }
        i += 1;
    }
    out
}

/// `0x` and the hex digits after it, each such number as `0x…`.
fn without_hex_addresses(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(at) = rest.find("0x") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let end = after
            .find(|c: char| !c.is_ascii_hexdigit())
            .unwrap_or(after.len());
        if end == 0 {
            out.push_str("0x");
        } else {
            out.push_str("0x…");
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// The end of a tool's stderr: the last 40 lines, at most 4 KiB, trimmed, klog's headers taken
/// off ([`without_klog_header`]), a Go stack dump left out ([`without_go_traces`]).
pub(crate) fn trim_stderr(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text.trim().lines().map(without_klog_header).collect();
    let lines = without_go_traces(&lines);
    let mut tail = lines[lines.len().saturating_sub(STDERR_LINES)..].join("\n");
    if tail.len() > STDERR_BYTES {
        let mut cut = tail.len() - STDERR_BYTES;
        while !tail.is_char_boundary(cut) {
            cut += 1;
        }
        tail = format!("…{}", &tail[cut..]);
    }
    tail
}

/// A failed run as a `Failed` error: the command (so it can be run again by hand), then the
/// tool's words, else its exit status, then the links the copy of `tree` left out. The words
/// already name files as the repository has them (`run` rewrites the sandbox's paths).
pub(crate) fn failure(command: &str, out: &RunOutput, tree: &Tree) -> RenderError {
    // Out of memory under `render-memory`: the bound is the finding, not the runtime's dump.
    if let Some(limit) = out.memory_limit {
        let text = String::from_utf8_lossy(&out.stderr);
        let killed = {
            use std::os::unix::process::ExitStatusExt;
            // The kernel's OOM killer sends SIGKILL; our own kills (timeout, output cap,
            // interrupt) end the run before a failure is read.
            out.status.signal() == Some(9)
        };
        let said = out_of_memory_phrase(&text)
            .map(|p| format!("it said \"{p}\""))
            .or_else(|| killed.then(|| "it was killed".to_string()));
        if let Some(said) = said {
            return RenderError::Failed(format!(
                "`{command}` ran out of memory under the bound of {} of address space per process (`render-memory`): {said}",
                crate::limits::bytes(limit)
            ));
        }
    }
    let stderr = trim_stderr(&out.stderr);
    let outside = tree.outside_note();
    if stderr.is_empty() {
        RenderError::Failed(format!("`{command}` failed ({}){outside}", out.status))
    } else {
        RenderError::Failed(format!("`{command}` failed: {stderr}{outside}"))
    }
}

// ---------------------------------------------------------------------------------------------
// Paths and trees

pub(crate) use crate::load::normalize_rel;

/// `dir` joined with a relative `path`, normalised; `None` when it leaves the root.
pub(crate) fn join_rel(dir: &str, path: &str) -> Option<String> {
    if path.starts_with('/') {
        return None;
    }
    if dir.is_empty() {
        normalize_rel(path)
    } else {
        normalize_rel(&format!("{dir}/{path}"))
    }
}

/// The scanned root, resolved.
/// A render's source directory, root-relative: normalised, and checked to be a directory of the
/// tree that no link takes outside the root. `verb` says what is not done to it ("rendered");
/// `not_dir` is the error when it is missing or a file.
pub(crate) fn source_dir(
    root: &Path,
    dir: &str,
    verb: &str,
    not_dir: impl FnOnce(&str) -> RenderError,
) -> Result<String, RenderError> {
    let clean = normalize_rel(dir).ok_or_else(|| {
        RenderError::NotRenderable(format!("`{dir}` leaves the scanned root; it is not {verb}"))
    })?;
    match entry(root, &clean) {
        Entry::Dir => Ok(clean),
        Entry::Outside => Err(RenderError::NotRenderable(format!(
            "`{}` links outside the scanned root; it is not {verb}",
            display_dir(&clean)
        ))),
        Entry::File | Entry::Missing => Err(not_dir(display_dir(&clean))),
    }
}

pub(crate) fn canonical_root(root: &Path) -> Result<PathBuf, RenderError> {
    root.canonicalize().map_err(|e| {
        RenderError::Failed(format!(
            "the scanned root {} cannot be read: {e}",
            root.display()
        ))
    })
}

/// What a root-relative path is on disk, following links only within the root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Entry {
    Missing,
    File,
    Dir,
    /// Exists, but resolves (through a link) outside the root.
    Outside,
}

/// A file's text, read only when it is a regular file: a FIFO named `Chart.yaml` or
/// `kustomization.yaml` would block the read forever, and a device would never end.
pub(crate) fn read_regular(path: &Path) -> std::io::Result<String> {
    crate::load::read_regular_text(path, u64::MAX)
}

pub(crate) fn entry(root: &Path, rel: &str) -> Entry {
    let path = if rel.is_empty() {
        root.to_path_buf()
    } else {
        root.join(rel)
    };
    match path.canonicalize() {
        Err(_) => Entry::Missing,
        Ok(real) if !real.starts_with(root) => Entry::Outside,
        Ok(real) if real.is_dir() => Entry::Dir,
        Ok(_) => Entry::File,
    }
}

/// The files below a directory of the root, sorted: root-relative path → real path. Links are
/// followed while they stay in the root; the ones that leave it are listed in `outside` and not
/// read. `.git` directories are skipped.
#[derive(Debug, Default)]
pub(crate) struct Tree {
    pub files: BTreeMap<String, PathBuf>,
    pub outside: Vec<String>,
}

impl Tree {
    pub fn add_dir(&mut self, root: &Path, rel_dir: &str) -> Result<(), RenderError> {
        let start = if rel_dir.is_empty() {
            root.to_path_buf()
        } else {
            root.join(rel_dir)
        };
        let mut bytes: u64 = self
            .files
            .values()
            .filter_map(|p| std::fs::metadata(p).ok())
            .map(|m| m.len())
            .sum();
        let mut outside = Vec::new();
        let walker = walkdir::WalkDir::new(&start)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| {
                if e.depth() > 0 && e.file_type().is_dir() && e.file_name() == ".git" {
                    return false;
                }
                if e.path_is_symlink() {
                    let inside = e
                        .path()
                        .canonicalize()
                        .is_ok_and(|real| real.starts_with(root));
                    if !inside {
                        outside.push(e.path().to_path_buf());
                        return false;
                    }
                }
                true
            });
        for item in walker {
            let Ok(item) = item else { continue };
            if !item.file_type().is_file() {
                continue;
            }
            let Ok(below) = item.path().strip_prefix(&start) else {
                continue;
            };
            let Some(below) = below.to_str() else {
                continue;
            };
            let rel = if rel_dir.is_empty() {
                below.to_string()
            } else {
                format!("{rel_dir}/{below}")
            };
            if self.files.contains_key(&rel) {
                continue;
            }
            bytes += item.metadata().map_or(0, |m| m.len());
            if self.files.len() >= MAX_TREE_FILES || bytes > MAX_TREE_BYTES {
                return Err(RenderError::NotRenderable(format!(
                    "`{}` holds more than {MAX_TREE_FILES} files or {} MiB; too large to copy for rendering",
                    display_dir(rel_dir),
                    MAX_TREE_BYTES / (1024 * 1024)
                )));
            }
            self.files.insert(rel, item.path().to_path_buf());
        }
        for p in outside {
            if let Ok(below) = p.strip_prefix(&start) {
                let below = below.to_string_lossy();
                self.outside.push(if rel_dir.is_empty() {
                    below.into_owned()
                } else {
                    format!("{rel_dir}/{below}")
                });
            }
        }
        Ok(())
    }

    /// Copies the files whose root-relative path starts with `prefix` to `dest`, at their path
    /// below `prefix`.
    pub fn copy(&self, prefix: &str, dest: &Path) -> Result<(), RenderError> {
        self.copy_except(prefix, dest, &[])
    }

    /// `copy`, leaving out the files whose path below `prefix` is in `skip`.
    pub fn copy_except(
        &self,
        prefix: &str,
        dest: &Path,
        skip: &[String],
    ) -> Result<(), RenderError> {
        for (rel, real) in &self.files {
            // After an interrupt the destination is being removed: writing on would recreate it.
            if crate::scratch::interrupted() {
                return Err(RenderError::Failed("interrupted".into()));
            }
            let below = if prefix.is_empty() {
                rel.as_str()
            } else if let Some(b) = rel.strip_prefix(prefix).and_then(|b| b.strip_prefix('/')) {
                b
            } else {
                continue;
            };
            if skip.iter().any(|s| s == below) {
                continue;
            }
            let target = dest.join(below);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).map_err(|e| copy_error(rel, &e))?;
            }
            std::fs::copy(real, &target).map_err(|e| copy_error(rel, &e))?;
            // The copy keeps the source's mode; a read-only checkout must not make the copy
            // read-only, since the kustomization file is edited there.
            std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600))
                .map_err(|e| copy_error(rel, &e))?;
        }
        Ok(())
    }

    /// A note for a failure message: links the copy left out because they leave the root.
    pub fn outside_note(&self) -> String {
        if self.outside.is_empty() {
            String::new()
        } else {
            format!(
                "\n(not copied, because they link outside the scanned root: {})",
                self.outside.join(", ")
            )
        }
    }
}

fn copy_error(rel: &str, e: &std::io::Error) -> RenderError {
    RenderError::Failed(format!("cannot copy `{rel}` for rendering: {e}"))
}

pub(crate) fn display_dir(rel: &str) -> &str {
    if rel.is_empty() { "." } else { rel }
}

// ---------------------------------------------------------------------------------------------
// Output

/// Splits a YAML stream at its `---` lines. Blank lines around separators (Helm 4.2+ writes one
/// before some `---`) do not matter; the pieces are returned as they are.
pub(crate) fn split_documents(text: &str) -> Vec<String> {
    let mut docs = Vec::new();
    let mut current = String::new();
    for line in text.split_inclusive('\n') {
        let bare = line.trim_end();
        let is_separator =
            bare == "---" || bare.starts_with("--- ") || bare.starts_with("---\t") || bare == "...";
        if is_separator {
            docs.push(std::mem::take(&mut current));
            // `--- key: value` keeps its content.
            if let Some(rest) = bare.strip_prefix("---").map(str::trim_start)
                && !rest.is_empty()
                && !rest.starts_with('#')
            {
                current.push_str(rest);
                current.push('\n');
            }
        } else {
            current.push_str(line);
        }
    }
    docs.push(current);
    docs
}

/// Whether a document holds anything but comments and blank lines.
pub(crate) fn has_content(doc: &str) -> bool {
    doc.lines().any(|l| {
        let t = l.trim();
        !t.is_empty() && !t.starts_with('#')
    })
}

/// The document without leading and trailing blank lines, ending in one newline.
pub(crate) fn tidy(doc: &str) -> String {
    let lines: Vec<&str> = doc.lines().collect();
    let start = lines
        .iter()
        .position(|l| !l.trim().is_empty())
        .unwrap_or(lines.len());
    let end = lines
        .iter()
        .rposition(|l| !l.trim().is_empty())
        .map_or(start, |i| i + 1);
    let mut out = lines[start..end.max(start)].join("\n");
    out.push('\n');
    out
}

/// Joins command-line words for display, quoting the ones a shell would split.
pub(crate) fn shell_words(words: &[String]) -> String {
    let mut out = String::new();
    for (i, w) in words.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let plain = !w.is_empty()
            && w.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@+%^[]{}".contains(c));
        if plain {
            out.push_str(w);
        } else {
            out.push('\'');
            out.push_str(&w.replace('\'', r"'\''"));
            out.push('\'');
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// SHA-256 (FIPS 180-4), for the cache key; small enough not to need a dependency.

/// SHA-256 with length-prefixed fields, for cache keys.
pub(crate) struct Sha256(sha2::Sha256);

impl Sha256 {
    pub fn new() -> Sha256 {
        Sha256(sha2::Sha256::default())
    }

    pub fn update(&mut self, data: &[u8]) {
        sha2::Digest::update(&mut self.0, data);
    }

    /// A length-prefixed field, so that `("ab", "c")` and `("a", "bc")` hash differently.
    pub fn field(&mut self, data: &[u8]) {
        self.update(&(data.len() as u64).to_be_bytes());
        self.update(data);
    }

    pub fn hex(self) -> String {
        let mut out = String::with_capacity(64);
        for byte in sha2::Digest::finalize(self.0) {
            let _ = write!(out, "{byte:02x}");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha(data: &[u8]) -> String {
        let mut h = Sha256::new();
        h.update(data);
        h.hex()
    }

    #[test]
    fn sha256_matches_the_standard_vectors() {
        assert_eq!(
            sha(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            sha(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            sha(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
        // Fed in uneven pieces, the same.
        let data = vec![b'a'; 1_000];
        let mut h = Sha256::new();
        for piece in data.chunks(7) {
            h.update(piece);
        }
        assert_eq!(h.hex(), sha(&data));
    }

    #[test]
    fn relative_paths_never_climb_out() {
        assert_eq!(normalize_rel("a/./b/../c").as_deref(), Some("a/c"));
        assert_eq!(normalize_rel("").as_deref(), Some(""));
        assert_eq!(normalize_rel("a/../.."), None);
        assert_eq!(normalize_rel("/etc/passwd"), None);
        assert_eq!(
            join_rel("apps/staging", "../base").as_deref(),
            Some("apps/base")
        );
        assert_eq!(join_rel("", "../x"), None);
    }

    #[test]
    fn split_accepts_helm_3_and_helm_4_separators() {
        let helm3 = "---\n# Source: c/templates/a.yaml\nkind: A\n---\n# Source: c/templates/b.yaml\nkind: B\n";
        let helm4 = "---\n# Source: c/templates/a.yaml\nkind: A\n\n---\n# Source: c/templates/b.yaml\nkind: B\n";
        for text in [helm3, helm4] {
            let docs: Vec<String> = split_documents(text)
                .into_iter()
                .filter(|d| has_content(d))
                .map(|d| tidy(&d))
                .collect();
            assert_eq!(
                docs,
                vec![
                    "# Source: c/templates/a.yaml\nkind: A\n",
                    "# Source: c/templates/b.yaml\nkind: B\n"
                ]
            );
        }
    }

    fn sh(script: &str, timeout: Duration, max_output: usize) -> Result<RunOutput, RenderError> {
        let tmp = TempDir::new().expect("a temporary directory");
        run(&Run {
            program: Path::new("/bin/sh"),
            args: vec!["-c".into(), script.into()],
            cwd: tmp.path(),
            env: sandbox_env(tmp.path()),
            timeout,
            max_output,
            max_memory: crate::limits::Limits::default().get(crate::limits::Key::RenderMemory),
        })
    }

    // issue 11 §3: a looping chart took helm to 24 GB; the output cap did not help, as helm
    // buffers everything. Each child runs under `render-memory` of address space (prlimit right
    // after spawn), and a child that runs out of it is a failure naming the bound.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_child_runs_under_the_render_memory_limit() {
        let tmp = TempDir::new().expect("a temporary directory");
        let run_in = |program: &str, script: &str, max_memory: u64| {
            run(&Run {
                program: Path::new(program),
                args: vec!["-c".into(), script.into()],
                cwd: tmp.path(),
                env: sandbox_env(tmp.path()),
                timeout: Duration::from_secs(30),
                max_output: 1024 * 1024,
                max_memory,
            })
            .expect("the shell runs")
        };
        // The shell's own limits (`$$`), read after the limit is set: a process the shell
        // forked in the instant before `prlimit` would not be this test's subject.
        let out = run_in("/bin/sh", "sleep 0.2; cat /proc/$$/limits", 256 << 20);
        let limits = String::from_utf8_lossy(&out.stdout);
        let line = limits
            .lines()
            .find(|l| l.starts_with("Max address space"))
            .unwrap_or("");
        assert_eq!(
            line.split_whitespace()
                .filter(|w| *w == "268435456")
                .count(),
            2,
            "{limits}"
        );
        assert_eq!(out.memory_limit, Some(256 << 20));
        // A program that keeps allocating fails under 64 MiB, and the failure names the bound.
        if !Path::new("/bin/bash").is_file() {
            return;
        }
        let out = run_in(
            "/bin/bash",
            "sleep 0.2; x=x; while :; do x=$x$x; done",
            64 << 20,
        );
        assert!(!out.status.success());
        let RenderError::Failed(message) = failure("bash -c …", &out, &Tree::default()) else {
            panic!("not a failure")
        };
        assert!(
            message.contains("ran out of memory under the bound of 64 MiB")
                && message.contains("`render-memory`")
                && message.contains("it said \"cannot allocate\""),
            "{message}"
        );
    }

    #[test]
    fn a_run_sees_only_the_sandbox_environment() {
        let out = sh(
            "echo home=$HOME kube=${KUBECONFIG:-none} path=${PATH:-none} proxy=$HTTPS_PROXY; echo oops >&2; exit 3",
            Duration::from_secs(10),
            1024,
        )
        .expect("sh runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("home=/"), "{stdout}");
        assert!(stdout.contains("kube=none"), "{stdout}");
        assert!(stdout.contains(&format!("proxy={DEAD_PROXY}")), "{stdout}");
        assert!(!stdout.contains(&format!(
            "home={}",
            std::env::var("HOME").unwrap_or_default()
        )));
        assert_eq!(out.status.code(), Some(3));
        assert_eq!(trim_stderr(&out.stderr), "oops");
    }

    #[test]
    fn a_run_past_its_timeout_is_killed_with_its_children() {
        let started = Instant::now();
        let marker = std::env::temp_dir().join(format!("mg-timeout-{}", std::process::id()));
        let script = format!(
            "(/bin/sleep 2; echo survived > {}) & /bin/sleep 30",
            marker.display()
        );
        let err = sh(&script, Duration::from_millis(300), 1024).err();
        assert_eq!(err, Some(RenderError::Timeout(Duration::from_millis(300))));
        assert!(started.elapsed() < Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(2500));
        assert!(!marker.exists(), "a child of the tool outlived the timeout");
    }

    #[test]
    fn output_over_the_cap_stops_the_run() {
        let err = sh(
            "while :; do echo xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; done",
            Duration::from_secs(20),
            100_000,
        )
        .err();
        match err {
            Some(RenderError::Failed(m)) => assert!(m.contains("output over 100000 bytes"), "{m}"),
            other => panic!("expected Failed, got {other:?}"),
        }
    }

    // Some kubectl builds log a failed `kustomize` through klog: `E1206 06:11:33.675337   11420
    // run.go:72] "command failed" err="..."` (seen with kubectl v1.32.4 on the corpus'
    // gitops-standards-repo-template). The time and process id changed the report from run to
    // run; the message alone is kept, and a line that only looks like a header stays whole.
    #[test]
    fn klog_headers_are_taken_off_a_tools_words() {
        let stderr = "E1206 06:11:33.675337   11420 run.go:72] \"command failed\" err=\"accumulating resources: x\"\n\
                      W0101 00:00:00.000001 7 warnings.go:70] two words\n\
                      E1206 not a header] kept\n\
                      Error: plain";
        assert_eq!(
            trim_stderr(stderr.as_bytes()),
            "\"command failed\" err=\"accumulating resources: x\"\ntwo words\nE1206 not a header] kept\nError: plain"
        );
        assert_eq!(
            without_klog_header("E1206 06:11:33.675337"),
            "E1206 06:11:33.675337"
        );
        assert_eq!(
            without_klog_header("I0102 03:04:05.6 9 a b] x"),
            "I0102 03:04:05.6 9 a b] x"
        );
    }

    // A Go tool that crashes prints a stack dump whose goroutine numbers and addresses differ
    // from run to run (heap addresses, a position-independent build's pc): the panic's message
    // stays, the dump is one line, the crash header's addresses are `0x…`, and what follows the
    // dump (Kustomize's words about the Helm it ran, klog's closing `>`) stays.
    #[test]
    fn a_go_stack_dump_is_left_out_of_a_tools_words() {
        let dump = |goroutine: u32, address: &str| {
            format!(
                "panic: runtime error: invalid memory address or nil pointer dereference\n\
                 [signal SIGSEGV: segmentation violation code=0x1 addr=0x18 pc={address}]\n\
                 \n\
                 goroutine {goroutine} gp=0xc000002380 m=0 mp=0x3fd4c00 [running]:\n\
                 helm.sh/helm/v3/pkg/engine.(*Engine).render(0xc000{address}, {{0x1d2e3c0?, 0x3b4a5c0?}})\n\
                 \t/home/runner/work/helm/pkg/engine/engine.go:391 +0x2b3 fp=0xc00{goroutine} sp=0xc00 pc={address}\n\
                 panic({{0x1d2e3c0?, 0x3b4a5c0?}})\n\
                 \truntime/panic.go:792 +0x132\n\
                 ...additional frames elided...\n\
                 \n\
                 goroutine 1{goroutine} [chan receive, 2 minutes]:\n\
                 main.main()\n\
                 \t/src/cmd/helm/helm.go:12 +0x1d\n\
                 created by os/signal.Notify.func2.1 in goroutine {goroutine}\n\
                 \tos/signal/signal.go:164 +0x1f\n\
                 : unable to run: 'helm template' (is 'helm' installed?): exit status 2\n\
                 >"
            )
        };
        let first = trim_stderr(dump(7, "0x1c4f2b3").as_bytes());
        assert_eq!(
            first,
            "panic: runtime error: invalid memory address or nil pointer dereference\n\
             [signal SIGSEGV: segmentation violation code=0x… addr=0x… pc=0x…]\n\
             \n\
             [Go stack trace omitted]\n\
             : unable to run: 'helm template' (is 'helm' installed?): exit status 2\n\
             >"
        );
        assert_eq!(first, trim_stderr(dump(4242, "0x55d1e0a4f2b3").as_bytes()));
        // Indented, as klog quotes a multi-line value.
        let indented: String = dump(9, "0x1").lines().map(|l| format!("\t{l}\n")).collect();
        assert!(
            trim_stderr(indented.as_bytes())
                .contains("\n\t[Go stack trace omitted]\n\t: unable to run"),
            "{}",
            trim_stderr(indented.as_bytes())
        );
        // `runtime:` lines of a fatal error lose their addresses too; other words keep theirs.
        assert_eq!(
            trim_stderr(b"runtime: sp=0xc0200e0388 stack=[0xc0200e0000, 0xc0400e0000]\nfatal error: stack overflow\nError: bad value 0x10"),
            "runtime: sp=0x… stack=[0x…, 0x…]\nfatal error: stack overflow\nError: bad value 0x10"
        );
    }

    #[test]
    fn stderr_is_cut_to_its_last_lines() {
        let long: String = (0..100).map(|i| format!("line {i}\n")).collect();
        let t = trim_stderr(long.as_bytes());
        assert!(t.starts_with("line 60\n"));
        assert!(t.ends_with("line 99"));
        let wide = "é".repeat(5000);
        assert!(trim_stderr(wide.as_bytes()).len() <= STDERR_BYTES + 4);
    }

    #[test]
    fn messages_name_no_temporary_directory() {
        let env = vec![(
            OsString::from("HOME"),
            OsString::from("/tmp/manifest-guard-1-2-3"),
        )];
        let stderr = b"lstat /tmp/manifest-guard-1-2-3/tree/apps/base: no such file; in /tmp/manifest-guard-1-2-3/chart".to_vec();
        assert_eq!(
            String::from_utf8_lossy(&without_sandbox_paths(stderr, &env)),
            "lstat apps/base: no such file; in <sandbox>/chart"
        );
    }

    // Kustomize inflating a chart makes `os.MkdirTemp("", "kustomize-helm-")` in the sandbox and
    // names it, and the Helm it ran by its path on this machine: the number changed the report
    // from run to run, and the path from machine to machine.
    #[test]
    fn temporary_names_and_program_paths_in_a_tools_words_are_stable() {
        let env = vec![(
            OsString::from("HOME"),
            OsString::from("/tmp/manifest-guard-1-2-3"),
        )];
        let words = |n: &str| {
            format!(
                "unable to run: '/opt/bin/helm template inner charts/inner -f /tmp/manifest-guard-1-2-3/kustomize-helm-{n}/inner-kustomize-values.yaml' with env=[HELM_CONFIG_HOME=/tmp/manifest-guard-1-2-3/kustomize-helm-{n}/helm] (is '/opt/bin/helm' installed?); /tmp/manifest-guard-1-2-3/values-{n}.yaml; /tmp/manifest-guard-1-2-3/data/helm"
            )
        };
        let clean = |n: &str| {
            let out = without_sandbox_paths(words(n).into_bytes(), &env);
            String::from_utf8(with_program_named(out, Path::new("/opt/bin/helm"), "helm"))
                .expect("UTF-8")
        };
        assert_eq!(
            clean("2395599683"),
            "unable to run: 'helm template inner charts/inner -f <sandbox>/kustomize-helm-*/inner-kustomize-values.yaml' with env=[HELM_CONFIG_HOME=<sandbox>/kustomize-helm-*/helm] (is 'helm' installed?); <sandbox>/values-*.yaml; <sandbox>/data/helm"
        );
        assert_eq!(clean("2395599683"), clean("7"));
    }

    // The sandbox is named by its resolved path, the one a tool prints after resolving links
    // (`evalsymlink failure on '/private/var/…'` where `TMPDIR` is a link, as on macOS).
    #[test]
    fn the_sandbox_path_is_resolved() {
        let tmp = TempDir::new().expect("a temporary directory");
        assert!(tmp.path().is_absolute());
        assert_eq!(
            tmp.path().canonicalize().expect("it exists"),
            tmp.path().to_path_buf()
        );
    }

    #[test]
    fn shell_words_quote_what_a_shell_would_split() {
        let words = ["helm", "--set", "a=b c", "--values", "$x/v.yaml"].map(String::from);
        assert_eq!(
            shell_words(&words),
            "helm --set 'a=b c' --values '$x/v.yaml'"
        );
    }
}
