//! Running the real binary the way a user does, with the environment that changes output removed.

#![allow(dead_code, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `manifest-guard args...` in `dir`.
pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_manifest-guard"));
    cmd.args(args).current_dir(dir).env("PATH", tool_path());
    for (key, _) in std::env::vars_os() {
        let k = key.to_string_lossy();
        if k == "NO_COLOR" || k == "CI" || k.starts_with("GITHUB_") || k == "CLICOLOR_FORCE" {
            cmd.env_remove(&key);
        }
    }
    let out = cmd.output().expect("the binary runs");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `manifest-guard args...` from the repository root.
pub fn run(args: &[&str]) -> Output {
    run_in(&root(), args)
}

pub fn json(out: &Output) -> serde_json::Value {
    serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("JSON output ({e}):\n{}\n{}", out.stdout, out.stderr))
}

/// `(rule, file, line, column)` of every diagnostic in JSON output.
pub fn positions(v: &serde_json::Value) -> Vec<(String, String, u64, u64)> {
    v["diagnostics"]
        .as_array()
        .map(|ds| {
            ds.iter()
                .map(|d| {
                    (
                        d["rule"].as_str().unwrap_or("").to_string(),
                        d["file"].as_str().unwrap_or("").to_string(),
                        d["line"].as_u64().unwrap_or(0),
                        d["column"].as_u64().unwrap_or(0),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The rule ids the binary knows, from `rules --format json`.
pub fn rule_ids() -> Vec<String> {
    let out = run(&["rules", "--format", "json"]);
    json(&out)["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_string())
        .collect()
}

/// The ids of the rules that read a change set (`diff`) rather than one inventory.
pub fn change_rule_ids() -> Vec<String> {
    let out = run(&["rules", "--format", "json"]);
    json(&out)["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .filter(|r| r["reads"] == "changes")
        .map(|r| r["id"].as_str().expect("id").to_string())
        .collect()
}

/// The arguments that check a fixture directory with the command its rule needs: `check DIR`,
/// or `diff --base-dir DIR/base --head-dir DIR/head` for a rule about changes.
pub fn fixture_args(dir: &str, change_rule: bool) -> Vec<String> {
    if change_rule {
        vec![
            "diff".into(),
            "--base-dir".into(),
            format!("{dir}/base"),
            "--head-dir".into(),
            format!("{dir}/head"),
        ]
    } else {
        vec!["check".into(), dir.into()]
    }
}

/// PATH with the test tools (`.tools/bin`, installed by scripts/install-test-tools) first.
pub fn tool_path() -> std::ffi::OsString {
    let mut paths = vec![root().join(".tools/bin")];
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(paths).unwrap_or_default()
}

/// A tool found on [`tool_path`].
pub fn find_tool(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&tool_path())
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// Whether this is CI (`CI=true` or `1`), where a missing test tool fails instead of skipping.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Skips the calling test (or fails it in CI) when something it needs is missing.
pub fn missing(what: &str) {
    let reason = format!("{what} is missing; run scripts/install-test-tools (or scripts/test)");
    assert!(!in_ci(), "{reason}");
    eprintln!("SKIPPED: {reason}");
}

/// A tool a test needs, from `.tools/bin` or PATH; `None` after [`missing`] said so.
pub fn required_tool(name: &str) -> Option<PathBuf> {
    let found = find_tool(name);
    if found.is_none() {
        missing(name);
    }
    found
}

/// Whether helm and kubectl are there for render tests. In CI a missing tool fails the test;
/// elsewhere the test is skipped with a printed reason.
pub fn render_tools() -> bool {
    if find_tool("helm").is_some() && find_tool("kubectl").is_some() {
        return true;
    }
    assert!(
        std::env::var("CI").is_err(),
        "helm and kubectl are required in CI (scripts/install-test-tools installs them)"
    );
    eprintln!("skipped: helm or kubectl not found; run scripts/test to install them");
    false
}

/// Render flags that name the test tools explicitly (the library does not read PATH changes).
pub fn render_flags() -> manifest_guard::RenderFlags {
    manifest_guard::RenderFlags {
        helm: find_tool("helm"),
        kustomize: find_tool("kubectl"),
        ..Default::default()
    }
}

/// Writes `dir/rel`, making its directories.
pub fn write(dir: &Path, rel: &str, contents: impl AsRef<[u8]>) {
    let path = dir.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(path, contents).expect("write");
}

/// Runs git in `dir`, isolated from the machine's git configuration; its stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=manifest-guard tests",
            "-c",
            "user.email=tests@example.com",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The environment variable naming the real-world corpus (a directory of repositories, one
/// folder each). The corpus is not part of this repository: a fresh clone runs every test that
/// owns its input, and the corpus tests only where the variable is set (`.ci/run` sets it).
pub const CORPUS_VAR: &str = "MANIFEST_GUARD_CORPUS";

/// The corpus directory, or `None` when [`CORPUS_VAR`] is not set. A variable that is set but
/// names no directory fails the test: whoever set it expects the corpus tests to run.
pub fn corpus_dir() -> Option<PathBuf> {
    let value = std::env::var_os(CORPUS_VAR).filter(|v| !v.is_empty())?;
    // Relative to the crate root (cargo's working directory for tests), made absolute because
    // tests run the binary in other directories.
    let dir = std::fs::canonicalize(&value).unwrap_or_else(|e| {
        panic!(
            "{CORPUS_VAR}={} is not a directory: {e}",
            PathBuf::from(&value).display()
        )
    });
    assert!(
        dir.is_dir(),
        "{CORPUS_VAR}={} is not a directory",
        dir.display()
    );
    Some(dir)
}

/// Whether the running test must be skipped for want of the corpus; if so, prints the one line
/// that says so. Written to the process's stderr, not through `eprintln!`, so that cargo's output
/// capture does not swallow it: a skip must be seen, never pass silently.
pub fn skip_without_corpus() -> bool {
    if corpus_dir().is_some() {
        return false;
    }
    let thread = std::thread::current();
    // libtest runs each test on a thread named after it.
    let test = thread.name().unwrap_or("a test");
    let line =
        format!("skipped: {test} needs the real-world corpus; set {CORPUS_VAR}=../shared/corpus\n");
    let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
    true
}

/// One repository folder of the corpus. Call only after [`skip_without_corpus`] said no: a
/// missing variable or folder fails the test.
pub fn corpus(folder: &str) -> PathBuf {
    let dir = corpus_dir()
        .unwrap_or_else(|| panic!("{CORPUS_VAR} is not set"))
        .join(folder);
    assert!(
        dir.is_dir(),
        "the corpus folder {} is missing",
        dir.display()
    );
    dir
}

/// A small chart of our own standing in for the corpus's bitnami charts: `db/` depends on the
/// library chart `lib` (vendored into `db/charts/lib` when `vendor_lib`, as `helm dependency
/// build` would leave it), names its objects through the library's `lib.fullname`, and renders
/// a primary StatefulSet with `volumeClaimTemplates` plus, picked from values as bitnami redis
/// picks its workload kind, a replica StatefulSet or a Deployment.
pub fn stateful_chart(root: &Path, vendor_lib: bool) {
    write(
        root,
        "db/Chart.yaml",
        "apiVersion: v2\nname: db\nversion: 1.0.0\ndependencies:\n  - name: lib\n    version: 1.x.x\n    repository: oci://registry.example.com/charts\n",
    );
    write(
        root,
        "db/values.yaml",
        "architecture: replication\npersistence:\n  size: 8Gi\n",
    );
    write(
        root,
        "db/templates/primary/statefulset.yaml",
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: {{ include \"lib.fullname\" . }}\n  namespace: {{ .Release.Namespace }}\nspec:\n  serviceName: {{ include \"lib.fullname\" . }}\n  selector:\n    matchLabels:\n      app: db\n  template:\n    metadata:\n      labels:\n        app: db\n    spec:\n      containers:\n        - name: db\n          image: postgres:17\n  volumeClaimTemplates:\n    - metadata:\n        name: data\n      spec:\n        accessModes: [ReadWriteOnce]\n        resources:\n          requests:\n            storage: {{ .Values.persistence.size }}\n",
    );
    write(
        root,
        "db/templates/replicas.yaml",
        "{{- if eq .Values.architecture \"replication\" }}\napiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: {{ include \"lib.fullname\" . }}-replicas\nspec:\n  serviceName: {{ include \"lib.fullname\" . }}\n  selector:\n    matchLabels:\n      app: db-replica\n  template:\n    metadata:\n      labels:\n        app: db-replica\n    spec:\n      containers:\n        - name: db\n          image: postgres:17\n  volumeClaimTemplates:\n    - metadata:\n        name: data\n      spec:\n        accessModes: [ReadWriteOnce]\n        resources:\n          requests:\n            storage: {{ .Values.persistence.size }}\n{{- else }}\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ include \"lib.fullname\" . }}-replicas\nspec:\n  selector:\n    matchLabels:\n      app: db-replica\n  template:\n    metadata:\n      labels:\n        app: db-replica\n    spec:\n      containers:\n        - name: db\n          image: postgres:17\n{{- end }}\n",
    );
    write(
        root,
        "db/templates/service.yaml",
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ include \"lib.fullname\" . }}\nspec:\n  ports:\n    - port: 5432\n",
    );
    if vendor_lib {
        write(
            root,
            "db/charts/lib/Chart.yaml",
            "apiVersion: v2\nname: lib\ntype: library\nversion: 1.2.0\n",
        );
        write(
            root,
            "db/charts/lib/templates/_names.tpl",
            "{{- define \"lib.fullname\" -}}\n{{- printf \"%s-%s\" .Release.Name .Chart.Name | trunc 63 | trimSuffix \"-\" -}}\n{{- end -}}\n",
        );
    }
}

/// A small tree of our own in the layout of the corpus's flux2-kustomize-helm-example: a base
/// (`apps/base/podinfo`: a Namespace and a Flux HelmRelease), `apps/staging` and
/// `apps/production` overlays that patch the release's values from a patch file (a fragment,
/// never an object of its own), and `clusters/staging/flux-system`, whose `gotk-components.yaml`
/// is a comment-only placeholder as checked out before `flux bootstrap`.
pub fn flux_tree(root: &Path) {
    write(
        root,
        "apps/base/podinfo/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - namespace.yaml\n  - release.yaml\n",
    );
    write(
        root,
        "apps/base/podinfo/namespace.yaml",
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: podinfo\n",
    );
    write(
        root,
        "apps/base/podinfo/release.yaml",
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: podinfo\n  namespace: podinfo\nspec:\n  interval: 50m\n  chart:\n    spec:\n      chart: podinfo\n      sourceRef:\n        kind: HelmRepository\n        name: podinfo\n  values:\n    httpRoute:\n      enabled: true\n",
    );
    for env in ["staging", "production"] {
        write(
            root,
            &format!("apps/{env}/kustomization.yaml"),
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../base/podinfo\npatches:\n  - path: podinfo-values.yaml\n    target:\n      kind: HelmRelease\n      name: podinfo\n",
        );
        write(
            root,
            &format!("apps/{env}/podinfo-values.yaml"),
            format!(
                "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: podinfo\n  namespace: podinfo\nspec:\n  values:\n    httpRoute:\n      hostnames: [\"podinfo.{env}\"]\n"
            ),
        );
    }
    write(
        root,
        "clusters/staging/flux-system/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - gotk-components.yaml\n",
    );
    write(
        root,
        "clusters/staging/flux-system/gotk-components.yaml",
        "# This manifest was generated by flux. DO NOT EDIT.\n# Placeholder: written by `flux bootstrap`.\n",
    );
}

/// The first fenced block of `lang` after `marker` (a heading or a phrase) in README.md: what a
/// reader copies, for the tests that run or lint it.
pub fn readme_block(marker: &str, lang: &str) -> String {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README");
    let after = readme
        .split_once(marker)
        .unwrap_or_else(|| panic!("README has no `{marker}`"))
        .1;
    let fence = format!("```{lang}\n");
    let block = after.split_once(&fence).expect("a fenced block").1;
    block
        .split_once("```")
        .expect("closing fence")
        .0
        .to_string()
}

/// `(rule, message)` of each diagnostic of a JSON report, in its order.
pub fn rules_and_messages(v: &serde_json::Value) -> Vec<(String, String)> {
    v["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().unwrap_or("").to_string(),
                d["message"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}
