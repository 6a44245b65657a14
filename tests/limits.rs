//! The run's bounds on rendering (issue 11 §3): every thing a repository can ask the render stage
//! for — template memory, generated Applications, renders, a child process's memory — ends in a
//! `render-failed` finding with a file and line that names the bound, in seconds, and the rest of
//! the run goes on. Each test lowers the bound in the repository's own `.manifest-guard.yaml`
//! (a repository may lower a bound, never raise it) so no test needs a real multi-GB bomb, and
//! runs the binary under an address-space limit so a regression fails the test instead of the
//! machine.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{Output, json, root, tool_path, write};

/// The address space the binary under test may use: far above what a bounded run needs, far
/// below what an unbounded bomb takes.
const TEST_ADDRESS_SPACE_KB: u64 = 3 * 1024 * 1024;

/// Runs `manifest-guard args...` in `dir` under `ulimit -v`, and how long it took.
fn run_bounded(dir: &Path, args: &[&str]) -> (Output, Duration) {
    let script = format!("ulimit -v {TEST_ADDRESS_SPACE_KB} && exec \"$0\" \"$@\"");
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_manifest-guard"))
        .args(args)
        .current_dir(dir)
        .env("PATH", tool_path())
        .env_remove("NO_COLOR")
        .env_remove("CI");
    let started = Instant::now();
    let out = cmd.output().expect("the binary runs");
    let took = started.elapsed();
    (
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        },
        took,
    )
}

/// `(rule, file, line, message)` of every finding of `check . --format json` in `dir`.
fn check(dir: &Path, extra: &[&str]) -> (Vec<(String, String, u64, String)>, Output) {
    let mut args = vec!["check", ".", "--format", "json"];
    args.extend(extra);
    let (out, took) = run_bounded(dir, &args);
    assert!(
        out.code == 0 || out.code == 1,
        "exit {} after {took:?}: {}",
        out.code,
        out.stderr
    );
    assert!(took < Duration::from_secs(60), "took {took:?}");
    let v = json(&out);
    let found = v["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().unwrap_or("").into(),
                d["file"].as_str().unwrap_or("").into(),
                d["line"].as_u64().unwrap_or(0),
                d["message"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    (found, out)
}

fn copy_fixture(case: &str, to: &Path) {
    let from = root().join("tests/bombs").join(case);
    for entry in walk(&from) {
        let rel = entry.strip_prefix(&from).expect("below the fixture");
        write(
            to,
            &rel.to_string_lossy(),
            std::fs::read(&entry).expect("read"),
        );
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read_dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

// issue 11 §3: the 529-byte ApplicationSet that `set`s a fresh 1 MB string 100,000 times
// aborted the process ("memory allocation of 1000016 bytes failed", no report at all). At the
// default `template-memory` (64 MiB) it is one `render-failed` finding at the ApplicationSet.
#[test]
fn a_template_memory_bomb_is_a_finding_at_the_applicationset() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_fixture("template-memory", dir.path());
    write(
        dir.path(),
        "zz-good.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fine\n",
    );
    let (found, out) = check(dir.path(), &["--no-render"]);
    let failed: Vec<_> = found.iter().filter(|f| f.0 == "render-failed").collect();
    assert_eq!(failed.len(), 1, "{found:#?}");
    let (_, file, line, message) = failed[0];
    assert_eq!((file.as_str(), *line), ("appset.yaml", 4), "{message}");
    assert!(
        message.contains("`template-memory`") && message.contains("67108864"),
        "{message}"
    );
    // The rest of the run is unaffected.
    assert!(json(&out)["summary"]["objects"].as_u64().unwrap_or(0) >= 1);
}

// The bound is the operator's, and a repository may lower it: a template that builds 2 MB of
// strings is fine at the default and a finding under `template-memory: 1048576`.
#[test]
fn template_memory_is_lowered_by_the_repository_config() {
    let appset = r#"apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: builds
  namespace: argocd
spec:
  goTemplate: true
  generators:
    - list:
        elements:
          - n: "1"
  template:
    metadata:
      name: '{{ $d := dict }}{{ range $i := until 20 }}{{ $_ := set $d (toString $i) (repeat 100000 "x") }}{{ end }}app-{{ .n }}'
    spec:
      project: default
      source: {repoURL: https://example.com/r.git, path: app}
      destination: {server: https://kubernetes.default.svc, namespace: app}
"#;
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "appset.yaml", appset);
    let (found, _) = check(dir.path(), &["--no-render"]);
    assert!(found.iter().all(|f| f.0 != "render-failed"), "{found:#?}");
    write(
        dir.path(),
        ".manifest-guard.yaml",
        "limits:\n  template-memory: 1048576\n",
    );
    let (found, _) = check(dir.path(), &["--no-render"]);
    let failed: Vec<_> = found.iter().filter(|f| f.0 == "render-failed").collect();
    assert_eq!(failed.len(), 1, "{found:#?}");
    assert_eq!((failed[0].1.as_str(), failed[0].2), ("appset.yaml", 4));
    assert!(failed[0].3.contains("`template-memory`"), "{}", failed[0].3);
}

/// An ApplicationSet `name` whose list generator has `n` elements, each an Application of a
/// directory `apps/<name>-<i>`.
fn list_appset(name: &str, n: usize) -> String {
    let elements: String = (0..n)
        .map(|i| format!("          - i: \"{i}\"\n"))
        .collect();
    format!(
        r#"apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: {name}
  namespace: argocd
spec:
  generators:
    - list:
        elements:
{elements}  template:
    metadata:
      name: '{name}-{{{{i}}}}'
    spec:
      project: default
      source: {{repoURL: https://example.com/r.git, path: 'apps/{name}-{{{{i}}}}'}}
      destination: {{server: https://kubernetes.default.svc, namespace: '{name}-{{{{i}}}}'}}
"#
    )
}

// issue 11 §3: the 10,000-Application cap was per ApplicationSet, so 200 of them (400 KB of
// YAML) took 10 GB. `generated-applications` bounds the run's total; reaching it is ONE finding,
// at the ApplicationSet where it ran out, counting the ApplicationSets not expanded after it.
#[test]
fn generated_applications_are_bounded_for_the_whole_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    for name in ["a", "b", "c", "d"] {
        write(dir.path(), &format!("{name}.yaml"), list_appset(name, 5));
    }
    let (found, out) = check(dir.path(), &["--no-render"]);
    assert!(found.iter().all(|f| f.0 != "render-failed"), "{found:#?}");
    assert_eq!(json(&out)["summary"]["applications"], 20);

    write(
        dir.path(),
        ".manifest-guard.yaml",
        "limits:\n  generated-applications: 7\n",
    );
    let (found, out) = check(dir.path(), &["--no-render"]);
    let failed: Vec<_> = found.iter().filter(|f| f.0 == "render-failed").collect();
    assert_eq!(failed.len(), 1, "{found:#?}");
    let (_, file, line, message) = failed[0];
    assert_eq!((file.as_str(), *line), ("b.yaml", 4), "{message}");
    assert!(
        message.contains("more than 7 Applications (`generated-applications`)")
            && message.contains("2 more ApplicationSets were not expanded"),
        "{message}"
    );
    // The first seven are generated and checked; no "generates no Application" for c and d.
    assert_eq!(json(&out)["summary"]["applications"], 7);
    assert!(
        found.iter().all(|f| f.1 != "c.yaml" && f.1 != "d.yaml"),
        "{found:#?}"
    );
}

// ApplicationSets are expanded on every core, a batch at a time, and charged against
// `generated-applications` in file order (render/mod.rs `entries_in`): the bound is reached at
// the same ApplicationSet, with the same Applications generated, whatever the number of
// threads and so of batches (1 thread: batches of 4; 3: of 12). Forty ApplicationSets of three
// under a bound of 100: 33 whole, the 34th cut to one, six not expanded.
#[test]
fn generated_applications_are_charged_in_file_order_whatever_the_threads() {
    let dir = tempfile::tempdir().expect("tempdir");
    for i in 0..40 {
        write(
            dir.path(),
            &format!("s{i:02}.yaml"),
            list_appset(&format!("s{i:02}"), 3),
        );
    }
    write(
        dir.path(),
        ".manifest-guard.yaml",
        "limits:\n  generated-applications: 100\n",
    );
    let (found, out) = check(dir.path(), &["--no-render", "--jobs", "1"]);
    let failed: Vec<_> = found.iter().filter(|f| f.0 == "render-failed").collect();
    assert_eq!(failed.len(), 1, "{found:#?}");
    let (_, file, line, message) = failed[0];
    assert_eq!((file.as_str(), *line), ("s33.yaml", 4), "{message}");
    assert!(
        message.contains("6 more ApplicationSets were not expanded"),
        "{message}"
    );
    assert_eq!(json(&out)["summary"]["applications"], 100);
    for jobs in ["2", "3", "7"] {
        let (_, again) = check(dir.path(), &["--no-render", "--jobs", jobs]);
        assert!(
            again.stdout == out.stdout,
            "--jobs {jobs} differs from --jobs 1"
        );
    }
}

// The render stage resolves each round's sources on every core (render/mod.rs `rounds`, each
// directory's real path asked once: argocd/repo.rs `Repos::real_dir`), places documents on
// every core, and builds the identity index in hash shards on every core, numbered by first
// object (model/inventory.rs `Identities::new`). Sixty Applications whose directories repeat
// object names into shared namespaces (shared-resource: which definition is first and which
// second), some whose directory is missing (a note each, in Application order), some through a
// link out of the tree (refused), plus plain directories with duplicates of their own
// (duplicate-resource): the report is the same byte for byte whatever the number of threads.
#[test]
fn render_and_identities_are_the_same_whatever_the_threads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let outside = tempfile::tempdir().expect("outside");
    write(
        outside.path(),
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: far\n",
    );
    #[cfg(unix)]
    std::os::unix::fs::symlink(outside.path(), dir.path().join("linked")).expect("link");
    for i in 0..60 {
        let path = match i % 10 {
            7 => format!("missing/s{i:02}"),
            9 => "linked".to_string(),
            _ => format!("svc/team-{}/s{i:02}", i % 4),
        };
        write(
            dir.path(),
            &format!("apps/app-{i:02}.yaml"),
            format!(
                "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: app-{i:02}\n  namespace: argocd\nspec:\n  project: default\n  source: {{repoURL: https://example.com/r.git, path: {path}}}\n  destination: {{server: https://kubernetes.default.svc, namespace: ns-{}}}\n",
                i % 3
            ),
        );
        for k in 0..3 {
            write(
                dir.path(),
                &format!("svc/team-{}/s{i:02}/cm-{k}.yaml", i % 4),
                format!(
                    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared-{}\ndata:\n  k: \"{i}\"\n",
                    (i + k) % 11
                ),
            );
        }
    }
    for d in 0..5 {
        for k in 0..4 {
            write(
                dir.path(),
                &format!("plain/d{d}/f{k}.yaml"),
                format!(
                    "apiVersion: v1\nkind: Service\nmetadata:\n  name: svc-{}\n  namespace: plain\nspec:\n  ports: [{{port: 80}}]\n",
                    k % 2
                ),
            );
        }
    }
    let (found, out) = check(dir.path(), &["--no-render", "--jobs", "1"]);
    let count = |rule: &str| found.iter().filter(|f| f.0 == rule).count();
    assert!(count("duplicate-resource") >= 10, "{found:#?}");
    assert!(count("shared-resource") >= 100, "{found:#?}");
    assert!(
        found
            .iter()
            .any(|f| f.1 == "apps/app-07.yaml" && f.3.contains("not available offline")),
        "{found:#?}"
    );
    #[cfg(unix)]
    assert!(
        found
            .iter()
            .any(|f| f.1 == "apps/app-09.yaml" && f.3.contains("outside the repository")),
        "{found:#?}"
    );
    for jobs in ["2", "3", "7"] {
        let (_, again) = check(dir.path(), &["--no-render", "--jobs", jobs]);
        assert!(
            again.stdout == out.stdout,
            "--jobs {jobs} differs from --jobs 1"
        );
    }
}

/// Checks a copy of fixture `case` (with `config` as its `.manifest-guard.yaml`, when given),
/// rendering with the real tools.
fn check_rendered(case: &str, config: Option<&str>) -> Vec<(String, String, u64, String)> {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_fixture(case, dir.path());
    if let Some(config) = config {
        write(dir.path(), ".manifest-guard.yaml", config);
    }
    check(dir.path(), &[]).0
}

// issue 11 §3: a chart that renders Applications of itself with new parameters each time was
// bounded only in depth (8 levels: 10^8 renders with ten children). `renders` bounds the Helm
// and Kustomize processes of a run; reaching it is one `render-failed` finding, at the first
// Application not rendered, counting the others.
#[test]
fn renders_per_run_are_bounded_and_reported_once() {
    if !common::render_tools() {
        return;
    }
    let found = check_rendered("app-of-apps-fanout", Some("limits:\n  renders: 5\n"));
    let failed: Vec<_> = found.iter().filter(|f| f.0 == "render-failed").collect();
    assert_eq!(failed.len(), 1, "{found:#?}");
    let (_, file, _, message) = failed[0];
    // The Application refused is written in the chart's template.
    assert_eq!(file, "loop/templates/apps.yaml", "{message}");
    assert!(
        message.contains("bound of 5 Helm and Kustomize renders (`renders`)")
            && message.contains("more renders"),
        "{message}"
    );
}

// Cycle detection by what is rendered. Argo CD has none (its app-of-apps is just Applications
// syncing Applications); its repo-server keys a manifest generation on the revision and the
// `ApplicationSource` — repoURL, path, targetRevision, `helm:`/`kustomize:` options — plus the
// Application's name and namespace (argoproj/argo-cd reposerver/repository/repository.go,
// `getManifestCacheEntry` → `cache.GetManifests`). We take the source and its options and leave
// the name out on purpose: an Application that renders the same source with the same parameters
// as an Application above it renders that ancestor's output again, itself among it under a new
// name. Found at once and named, instead of rendered down to `app-depth`.
#[test]
fn the_same_source_rendered_again_below_itself_is_a_cycle() {
    if !common::render_tools() {
        return;
    }
    let found = check_rendered("helm-cycle", None);
    let cycles: Vec<_> = found
        .iter()
        .filter(|f| f.3.contains("app-of-apps cycle"))
        .collect();
    assert_eq!(cycles.len(), 1, "{found:#?}");
    let (rule, file, _, message) = cycles[0];
    assert_eq!(
        (rule.as_str(), file.as_str()),
        ("not-rendered", "self/templates/app.yaml")
    );
    assert!(
        message.contains("`child-root`") && message.contains("ancestor Application `root`"),
        "{message}"
    );
    assert!(
        found.iter().all(|f| !f.3.contains("`app-depth`")),
        "{found:#?}"
    );
}

// Chart `a` renders Application `b`, chart `b` renders Application `a` again: the render stopped
// at `a` without a word. An Application rendering itself (a self-managing root) stays silent.
#[test]
fn an_application_rendering_its_ancestor_by_name_is_a_cycle() {
    if !common::render_tools() {
        return;
    }
    let found = check_rendered("name-cycle", None);
    let cycles: Vec<_> = found
        .iter()
        .filter(|f| f.3.contains("app-of-apps cycle"))
        .collect();
    assert_eq!(cycles.len(), 1, "{found:#?}");
    assert_eq!(cycles[0].1, "b/templates/app-a.yaml");
    assert!(
        cycles[0]
            .3
            .contains("Application `b` renders Application `a`, which is above it"),
        "{}",
        cycles[0].3
    );
}

// Directory `a` holds the Application of `b`, directory `b` the one of `a`: each is deployed by
// the other, which was silent. One finding, at the Application defined first.
#[test]
fn applications_deploying_each_other_from_directories_are_a_cycle() {
    let found = check_rendered("directory-cycle", None);
    let cycles: Vec<_> = found
        .iter()
        .filter(|f| f.3.contains("app-of-apps cycle"))
        .collect();
    assert_eq!(cycles.len(), 1, "{found:#?}");
    let (rule, file, line, message) = cycles[0];
    assert_eq!(
        (rule.as_str(), file.as_str(), *line),
        ("not-rendered", "a/app-b.yaml", 4)
    );
    assert!(message.contains("(`b` ← `a` ← `b`"), "{message}");
}

// issue 11 §3: a looping chart took helm to 24 GB. Each Helm and Kustomize process runs under
// `render-memory` of address space; the real helm runs normally under the default (every
// render test does), and a chart that needs more is a `render-failed` finding naming the bound
// — here 1 GiB, set by the repository's config, against a chart that builds a 1 GiB string.
#[test]
fn a_render_over_its_memory_is_a_finding_naming_the_bound() {
    if !common::render_tools() {
        return;
    }
    let found = check_rendered(
        "render-memory",
        Some("limits:\n  render-memory: 1073741824\n"),
    );
    let failed: Vec<_> = found.iter().filter(|f| f.0 == "render-failed").collect();
    assert_eq!(failed.len(), 1, "{found:#?}");
    let (_, file, line, message) = failed[0];
    assert_eq!((file.as_str(), *line), ("app.yaml", 9), "{message}");
    assert!(
        message.contains("ran out of memory under the bound of 1 GiB of address space per process (`render-memory`)"),
        "{message}"
    );
}

// Each element may render up to 16 MiB, so 10,000 elements of a 100 KB ApplicationSet could be
// 160 GB: `generated-bytes` bounds what the run keeps of generated Applications, reported once
// like `generated-applications`.
#[test]
fn generated_bytes_are_bounded_for_the_whole_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    for name in ["a", "b", "c"] {
        let appset = list_appset(name, 5)
            .replace(
                "spec:\n  generators",
                "spec:\n  goTemplate: true\n  generators",
            )
            .replace("{{i}}", "{{.i}}")
            .replace(
                "    metadata:\n",
                "    metadata:\n      annotations:\n        pad: '{{ repeat 20000 \"x\" }}'\n",
            );
        write(dir.path(), &format!("{name}.yaml"), appset);
    }
    let (found, out) = check(dir.path(), &["--no-render"]);
    assert!(found.iter().all(|f| f.0 != "render-failed"), "{found:#?}");
    assert_eq!(json(&out)["summary"]["applications"], 15);

    write(
        dir.path(),
        ".manifest-guard.yaml",
        "limits:\n  generated-bytes: 150000\n",
    );
    let (found, out) = check(dir.path(), &["--no-render"]);
    let failed: Vec<_> = found.iter().filter(|f| f.0 == "render-failed").collect();
    assert_eq!(failed.len(), 1, "{found:#?}");
    let (_, file, line, message) = failed[0];
    assert_eq!((file.as_str(), *line), ("b.yaml", 4), "{message}");
    assert!(
        message.contains("Applications of more than 150000 bytes (`generated-bytes`)")
            && message.contains("1 more ApplicationSet was not expanded"),
        "{message}"
    );
    // a's five and the two of b that fit.
    assert_eq!(json(&out)["summary"]["applications"], 7);
}

// The bounds below existed before issue 11 but only as constants; each is now a `limits:` key,
// lowered here in the repository's own config (a repository may lower a bound), and reaching it
// is a finding with a file and line that names the key.

#[test]
fn yaml_depth_and_alias_nodes_are_findings_naming_their_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        ".manifest-guard.yaml",
        "limits:\n  yaml-depth: 4\n  yaml-alias-nodes: 10\n",
    );
    write(
        dir.path(),
        "deep.yaml",
        "a:\n  b:\n    c:\n      d:\n        e:\n          f: 1\n",
    );
    write(
        dir.path(),
        "laughs.yaml",
        "a: &a [1, 2, 3, 4, 5]\nb: &b [*a, *a, *a]\nc: [*b, *b, *b]\n",
    );
    let (found, _) = check(dir.path(), &[]);
    let at = |file: &str| {
        found
            .iter()
            .find(|f| f.1 == file && f.0 == "yaml-syntax")
            .unwrap_or_else(|| panic!("{file}: {found:#?}"))
    };
    let deep = at("deep.yaml");
    assert!(
        deep.3.contains("deeper than 4 levels (`yaml-depth`)"),
        "{deep:?}"
    );
    assert_eq!(deep.2, 5, "{deep:?}");
    let laughs = at("laughs.yaml");
    assert!(
        laughs.3.contains("exceeds 10 nodes (`yaml-alias-nodes`)"),
        "{laughs:?}"
    );
    assert_eq!(laughs.2, 2, "{laughs:?}");
}

#[test]
fn applicationset_elements_are_a_finding_naming_their_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        ".manifest-guard.yaml",
        "limits:\n  applicationset-elements: 3\n",
    );
    write(dir.path(), "appset.yaml", list_appset("many", 5));
    let (found, _) = check(dir.path(), &["--no-render"]);
    let failed: Vec<_> = found.iter().filter(|f| f.0 == "render-failed").collect();
    assert_eq!(failed.len(), 1, "{found:#?}");
    assert_eq!(failed[0].1, "appset.yaml");
    assert!(
        failed[0]
            .3
            .contains("more than 3 parameter sets (`applicationset-elements`)"),
        "{}",
        failed[0].3
    );
}

// The fan-out chart renders two Applications of itself per level: `app-depth` stops it.
#[test]
fn app_depth_is_a_finding_naming_its_key() {
    if !common::render_tools() {
        return;
    }
    let found = check_rendered("app-of-apps-fanout", Some("limits:\n  app-depth: 2\n"));
    assert!(
        found
            .iter()
            .any(|f| f.3.contains("nest deeper than 2 levels (`app-depth`)")),
        "{found:#?}"
    );
}

// A chart whose template loops for minutes (ten billion empty iterations over two small lists)
// is stopped at `render-timeout` by the real helm.
#[test]
fn render_timeout_is_a_finding_naming_its_key() {
    if !common::render_tools() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        ".manifest-guard.yaml",
        "limits:\n  render-timeout: 2\n",
    );
    write(
        dir.path(),
        "slow/Chart.yaml",
        "apiVersion: v2\nname: slow\nversion: 1.0.0\n",
    );
    write(
        dir.path(),
        "slow/templates/cm.yaml",
        "{{- range until 100000 }}{{- range until 100000 }}{{- end }}{{- end }}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: slow\n",
    );
    let started = Instant::now();
    let (found, _) = check(dir.path(), &[]);
    assert!(started.elapsed() < Duration::from_secs(30));
    let failed: Vec<_> = found.iter().filter(|f| f.0 == "render-failed").collect();
    assert_eq!(failed.len(), 1, "{found:#?}");
    assert!(
        failed[0].3.contains("within 2 s (`render-timeout`)"),
        "{}",
        failed[0].3
    );
}

/// Issue 11 §3: "every limit ... has a test that reaches it". Each key of the limits table is
/// lowered in a config written by a test of this suite; a new bound without one fails here.
#[test]
fn every_limit_is_reached_by_a_test() {
    let mut texts = String::new();
    for entry in std::fs::read_dir(root().join("tests")).expect("tests") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "rs") {
            texts.push_str(&std::fs::read_to_string(&path).expect("read"));
        }
    }
    let missing: Vec<&str> = manifest_guard::limits::LIMITS
        .iter()
        .map(|l| l.key)
        .filter(|key| {
            !texts.contains(&format!("  {key}: ")) && !texts.contains(&format!("\\n{key}: "))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "no test lowers these limits in a config: {missing:?}"
    );
}
