//! Issue 11 §1: nothing a directory source deploys is hidden from the check. Small trees written
//! here, on the real binary: `.jsonnet` files a directory source deploys, a chart's `templates/`
//! that a directory source deploys as plain manifests, directories that cannot be listed, and
//! the JSON summary's account of every file the walk met.
#![allow(clippy::print_stderr)]

mod common;

use std::path::Path;

use serde_json::Value;

use common::{json, run_in, write};

const CONFIG: &str = "repositories:\n  - url: https://example.com/repo.git\n    path: .\n";

/// An Application deploying `path` from this repository, with `directory` options (YAML
/// flow text, or empty for none).
fn app(name: &str, path: &str, directory: &str) -> String {
    let directory = if directory.is_empty() {
        String::new()
    } else {
        format!("    directory: {directory}\n")
    };
    format!(
        "apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {name}
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://example.com/repo.git
    path: {path}
    targetRevision: HEAD
{directory}  destination:
    server: https://kubernetes.default.svc
    namespace: {name}
"
    )
}

fn config_map(name: &str) -> String {
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: kube-system\n"
    )
}

fn check_json(dir: &Path) -> Value {
    let out = run_in(dir, &["check", ".", "--format", "json", "--no-render"]);
    assert!(out.code == 0 || out.code == 1, "{}", out.stderr);
    json(&out)
}

fn of_rule<'v>(v: &'v Value, rule: &str) -> Vec<&'v Value> {
    v["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["rule"] == rule)
        .collect()
}

fn files_of(v: &Value, rule: &str) -> Vec<String> {
    of_rule(v, rule)
        .iter()
        .map(|d| d["file"].as_str().expect("file").to_string())
        .collect()
}

/// §1.1: Argo CD's directory source evaluates every `.jsonnet` file it selects and applies what
/// it yields, beside the YAML (argoproj/argo-cd reposerver/repository/repository.go:
/// `manifestFile = ^.*\.(yaml|yml|json|jsonnet)$`; `findManifests` applies `exclude`, then
/// `include`, to the path relative to the source, then `vm.EvaluateFile` for `.jsonnet`, with
/// or without `directory.jsonnet`). Each one is a warning naming the file; one the source
/// leaves out (`exclude`, not `recurse`), a `.libsonnet` (not matched by `manifestFile`, only
/// imported) and one nobody deploys are no finding. Before: a directory that also held YAML
/// said nothing at all, and the file was not even counted.
#[test]
fn a_jsonnet_file_a_directory_source_deploys_is_a_warning_naming_it() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    write(dir, ".manifest-guard.yaml", CONFIG);
    write(dir, "apps/web.yaml", app("web", "web", ""));
    write(
        dir,
        "apps/api.yaml",
        app("api", "api", "{exclude: 'skip.jsonnet'}"),
    );
    write(dir, "web/cm.yaml", config_map("web"));
    write(
        dir,
        "web/extra.jsonnet",
        "{ apiVersion: 'v1', kind: 'ConfigMap' }\n",
    );
    write(dir, "web/lib.libsonnet", "{}\n");
    write(dir, "web/sub/deeper.jsonnet", "{}\n");
    write(dir, "api/cm.yaml", config_map("api"));
    write(dir, "api/skip.jsonnet", "{}\n");
    write(dir, "api/kept.jsonnet", "{}\n");
    write(dir, "tools/gen.jsonnet", "{}\n");
    let v = check_json(dir);
    let warned = of_rule(&v, "not-rendered");
    let files: Vec<&str> = warned
        .iter()
        .map(|d| d["file"].as_str().expect("file"))
        .collect();
    assert_eq!(files, ["api/kept.jsonnet", "web/extra.jsonnet"], "{v:#}");
    for d in &warned {
        assert_eq!(d["severity"], "warning", "{d}");
        assert_eq!(d["line"], 1, "{d}");
        let message = d["message"].as_str().expect("message");
        assert!(message.contains("Argo CD evaluates jsonnet"), "{message}");
    }
    assert_eq!(
        v["summary"]["file_counts"]["skipped"]["jsonnet"], 5,
        "{v:#}"
    );
    assert_eq!(
        v["summary"]["not_rendered_by_cause"],
        serde_json::json!({"jsonnet": 2}),
        "{v:#}"
    );
}

/// §1.1: `directory.jsonnet` only configures how jsonnet is evaluated; the source is still a
/// directory source whose YAML Argo CD applies (repository.go `findManifests` reads the YAML
/// whatever `directory.jsonnet` holds; `makeJsonnetVm` takes its `tlas`/`extVars`/`libs`).
/// Before: such a source was taken for a plugin, and its YAML went unchecked: a duplicate in it
/// passed.
#[test]
fn a_source_with_directory_jsonnet_still_has_its_yaml_checked() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    write(dir, ".manifest-guard.yaml", CONFIG);
    write(
        dir,
        "apps/j.yaml",
        app("j", "j", "{jsonnet: {tlas: [{name: env, value: prod}]}}"),
    );
    write(dir, "j/a.yaml", config_map("twice"));
    write(dir, "j/b.yaml", config_map("twice"));
    write(dir, "j/main.jsonnet", "function(env) {}\n");
    let v = check_json(dir);
    let dup = files_of(&v, "duplicate-resource");
    assert!(dup.iter().any(|f| f.starts_with("j/")), "{v:#}");
    assert_eq!(files_of(&v, "not-rendered"), ["j/main.jsonnet"], "{v:#}");
}

/// A chart whose `templates/` holds a plain manifest (a ConfigMap in `kube-system`) and a Go
/// template, beside a plain ConfigMap of the same name elsewhere.
fn chart_tree(dir: &Path, chart: &str) {
    write(dir, ".manifest-guard.yaml", CONFIG);
    write(
        dir,
        &format!("{chart}/Chart.yaml"),
        "apiVersion: v2\nname: c\nversion: 1.0.0\n",
    );
    write(
        dir,
        &format!("{chart}/templates/cm.yaml"),
        format!("# plain YAML, no template\n{}", config_map("shared")),
    );
    write(
        dir,
        &format!("{chart}/templates/tpl.yaml"),
        "{{- if .Values.x }}\napiVersion: v1\nkind: Secret\n{{- end }}\n",
    );
    write(dir, "other/cm.yaml", config_map("shared"));
    write(dir, "apps/other.yaml", app("other", "other", ""));
}

/// The line at which the chart's template file is named by a finding that the ConfigMap is
/// deployed twice (`shared-resource`: by two Applications; `duplicate-resource`: by one), as
/// primary or related location.
fn template_duplicate(v: &Value, template: &str) -> Option<u64> {
    ["shared-resource", "duplicate-resource"]
        .iter()
        .flat_map(|rule| of_rule(v, rule))
        .flat_map(|d| std::iter::once(d).chain(d["related"].as_array().into_iter().flatten()))
        .find(|d| d["file"] == template)
        .and_then(|d| d["line"].as_u64())
}

/// §1.2: a `recurse: true` directory source above a chart deploys its `templates/` as plain
/// manifests: Argo CD's `findManifests` walks every subdirectory with `recurse` and reads every
/// name `manifestFile` matches; it never asks whether a directory is a chart (only
/// `GetAppSourceType` does, for the source's own path). Before: the walk skipped `templates/`
/// beside a `Chart.yaml`, so the duplicate ConfigMap in `kube-system` passed.
#[test]
fn a_recursive_directory_source_above_a_chart_deploys_its_templates() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    chart_tree(dir, "apps-dir/chart");
    write(
        dir,
        "apps/all.yaml",
        app("all", "apps-dir", "{recurse: true}"),
    );
    let v = check_json(dir);
    // Its own line in the template file: the `name:` on line 5 (after the comment).
    assert_eq!(
        template_duplicate(&v, "apps-dir/chart/templates/cm.yaml"),
        Some(5),
        "{v:#}"
    );
    // The Go template is deployed too, and Argo CD fails on it as well: said at its file.
    assert!(
        files_of(&v, "yaml-syntax").contains(&"apps-dir/chart/templates/tpl.yaml".to_string()),
        "{v:#}"
    );
    assert_eq!(v["summary"]["file_counts"]["rendered_only"], 0, "{v:#}");
}

/// §1.2: an Application in a chart's `templates/` that a recursive directory source deploys is an
/// Application Argo CD creates (app-of-apps through a directory source), so a second definition
/// of an existing name there is `duplicate-application`. Before: the file was never read.
#[test]
fn an_application_in_deployed_chart_templates_is_an_application() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    chart_tree(dir, "apps-dir/chart");
    write(
        dir,
        "apps/all.yaml",
        app("all", "apps-dir", "{recurse: true}"),
    );
    // `other` again, pointed elsewhere.
    write(
        dir,
        "apps-dir/chart/templates/again.yaml",
        app("other", "elsewhere", ""),
    );
    let v = check_json(dir);
    let dup = of_rule(&v, "duplicate-application");
    assert!(
        dup.iter().any(|d| {
            d["file"] == "apps-dir/chart/templates/again.yaml"
                || d["related"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|r| r["file"] == "apps-dir/chart/templates/again.yaml")
        }),
        "{v:#}"
    );
}

/// §1.2: a source whose own path is a chart is a directory source when it says so: Argo CD takes
/// the explicit type first (reposerver/repository/repository.go `GetAppSourceType` →
/// `ApplicationSource.ExplicitType`, `source.Directory != nil`), so `directory: {recurse: true,
/// exclude: Chart.yaml}` applies the chart's files as plain YAML. Before: the `Chart.yaml`
/// made it a Helm source (with `--no-render`, not rendered; its templates never checked).
#[test]
fn an_explicit_directory_source_on_a_chart_path_deploys_plain_files() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    chart_tree(dir, "chart");
    write(
        dir,
        "apps/chart.yaml",
        app("chart", "chart", "{recurse: true, exclude: Chart.yaml}"),
    );
    let v = check_json(dir);
    assert_eq!(
        template_duplicate(&v, "chart/templates/cm.yaml"),
        Some(5),
        "{v:#}"
    );
    // Without `recurse` the explicit directory source reads the chart's top level only (Argo CD
    // `findManifests`: `filepath.SkipDir` below the path): a directory source, templates untouched.
    write(
        dir,
        "apps/chart.yaml",
        app("chart", "chart", "{exclude: Chart.yaml}"),
    );
    let v = check_json(dir);
    assert_eq!(
        template_duplicate(&v, "chart/templates/cm.yaml"),
        None,
        "{v:#}"
    );
    let out = run_in(dir, &["render", "--format", "json", "--no-render"]);
    let r = json(&out);
    let kinds: Vec<&Value> = r["applications"]
        .as_array()
        .expect("applications")
        .iter()
        .filter(|a| a["name"] == "chart")
        .map(|a| &a["sources"][0]["kind"])
        .collect();
    assert_eq!(kinds, [&Value::from("directory")], "{r:#}");
}

/// §1.2, the other direction: what no directory source deploys stays the chart's. A chart no
/// Application names, and one behind `directory: {}` (which Argo CD drops as empty,
/// util/argo/argo.go `NormalizeSource`, and so discovers the chart), keep their templates out
/// of the plain manifests: no syntax finding on a Go template, no duplicate.
#[test]
fn chart_templates_no_directory_source_deploys_stay_unparsed() {
    for directory in ["", "{}"] {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path();
        chart_tree(dir, "chart");
        if directory == "{}" {
            write(dir, "apps/chart.yaml", app("chart", "chart", directory));
        }
        let v = check_json(dir);
        assert_eq!(
            template_duplicate(&v, "chart/templates/cm.yaml"),
            None,
            "{v:#}"
        );
        assert!(files_of(&v, "yaml-syntax").is_empty(), "{v:#}");
        assert_eq!(v["summary"]["file_counts"]["rendered_only"], 2, "{v:#}");
    }
}

/// `check --format json --no-render` in `dir`, run without the capabilities that let root read
/// any directory (`setpriv`, util-linux) when the test runs as root; `None` when running as root
/// without `setpriv`.
fn check_json_unprivileged(dir: &Path, as_root: bool) -> Option<Value> {
    let bin = env!("CARGO_BIN_EXE_manifest-guard");
    let args = ["check", ".", "--format", "json", "--no-render"];
    let mut cmd = if as_root {
        let setpriv = ["/usr/bin/setpriv", "/bin/setpriv"]
            .into_iter()
            .find(|p| Path::new(p).exists())?;
        let mut c = std::process::Command::new(setpriv);
        c.args(["--bounding-set=-dac_override,-dac_read_search", "--", bin]);
        c
    } else {
        std::process::Command::new(bin)
    };
    let out = cmd
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the binary runs");
    assert!(matches!(out.status.code(), Some(0 | 1)), "{out:?}");
    Some(serde_json::from_slice(&out.stdout).expect("JSON"))
}

/// §1.3: a directory the walk cannot list is an `unreadable-file` finding naming it, not a silent
/// gap (Argo CD's `findManifests` walks with `filepath.Walk` and fails the source on the error).
/// So is a link that stands for a directory (no extension) whose target is gone. Before: walk
/// errors were dropped unless the path ended in `.yaml`, and so were such links. As root, the
/// binary runs without `CAP_DAC_OVERRIDE` (setpriv), else `chmod 000` would not stop it.
#[test]
fn a_directory_that_cannot_be_listed_is_a_finding() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    write(dir, "manifests/ok.yaml", config_map("ok"));
    write(dir, "manifests/locked/hidden.yaml", config_map("hidden"));
    // An excluded directory is never listed, so that it cannot be is no finding.
    write(
        dir,
        ".manifest-guard.yaml",
        "exclude: ['manifests/private']\n",
    );
    write(dir, "manifests/private/p.yaml", config_map("p"));
    std::os::unix::fs::symlink("../gone", dir.join("manifests/base")).expect("symlink");
    let locked = dir.join("manifests/locked");
    let private = dir.join("manifests/private");
    for d in [&locked, &private] {
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    }
    let as_root = std::fs::read_dir(&locked).is_ok();
    let v = check_json_unprivileged(dir, as_root);
    for d in [&locked, &private] {
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let Some(v) = v else {
        eprintln!("SKIPPED: running as root without setpriv, chmod 000 cannot be tested");
        return;
    };
    let unreadable = of_rule(&v, "unreadable-file");
    let named = |f: &str| unreadable.iter().find(|d| d["file"] == f).copied();
    let locked = named("manifests/locked").unwrap_or_else(|| panic!("locked: {v:#}"));
    assert!(
        locked["message"]
            .as_str()
            .is_some_and(|m| m.contains("cannot list directory")),
        "{locked}"
    );
    assert!(named("manifests/private").is_none(), "{v:#}");
    let base = named("manifests/base").unwrap_or_else(|| panic!("dangling link: {v:#}"));
    assert!(
        base["message"]
            .as_str()
            .is_some_and(|m| m.contains("cannot read")),
        "{base}"
    );
    assert_eq!(
        v["summary"]["file_counts"]["skipped"]["unreadable"], 2,
        "{v:#}"
    );
}

/// §1.4: the JSON summary accounts for every file of the tree: one of each kind, each in
/// exactly one bucket, and the buckets add up to `seen`, which is every file below the path
/// (counted here independently, `.git` aside). `summary.files` keeps its version-1 meaning.
#[test]
fn every_file_lands_in_exactly_one_bucket() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    write(
        dir,
        ".manifest-guard.yaml",
        "exclude: ['vendor/**', 'skip.yaml']\nmax-file-size: 4096\n",
    );
    write(dir, "plain/cm.yaml", config_map("a")); // parsed
    write(dir, "plain/broken.yaml", "a: [\n"); // parsed (a syntax finding)
    write(
        dir,
        "chart/Chart.yaml",
        "apiVersion: v2\nname: c\nversion: 1.0.0\n",
    ); // parsed
    write(dir, "chart/templates/t.yaml", "{{ .Values.x }}\n"); // rendered_only
    write(dir, "chart/templates/_helpers.tpl", "{{/* */}}\n"); // not_a_manifest
    write(dir, "vendor/a/x.yaml", config_map("v")); // excluded (directory)
    write(dir, "skip.yaml", config_map("s")); // excluded (file)
    write(dir, "big.yaml", "#".repeat(5000)); // too_large
    write(dir, "README.md", "# hi\n"); // not_a_manifest
    write(dir, "bin.yaml", b"a\0b"); // not_text
    write(dir, "utf16.yaml", b"\xff\xfea\x00:\x00"); // parsed: UTF-16 with a mark is decoded
    std::os::unix::fs::symlink("nowhere.yaml", dir.join("dangling.yaml")).expect("link"); // unreadable
    write(dir, "x.jsonnet", "{}\n"); // jsonnet
    write(dir, ".git/HEAD", "ref: refs/heads/main\n"); // not part of the tree
    let v = check_json(dir);
    let c = &v["summary"]["file_counts"];
    let expected = serde_json::json!({
        "seen": 14,
        "parsed": 4,
        "rendered_only": 1,
        "skipped": {
            "excluded": 2,
            "too_large": 1,
            "not_a_manifest": 3,
            "not_text": 1,
            "unreadable": 1,
            "jsonnet": 1,
        },
    });
    assert_eq!(c, &expected, "{v:#}");
    // Independently: every entry below the root but `.git` (the link counts as a file).
    let on_disk = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_entry(|e| e.file_name() != ".git")
        .flatten()
        .filter(|e| !e.file_type().is_dir())
        .count();
    assert_eq!(c["seen"], on_disk as u64, "{v:#}");
    let sum = ["parsed", "rendered_only"]
        .iter()
        .map(|k| c[k].as_u64().expect("count"))
        .chain(
            c["skipped"]
                .as_object()
                .expect("skipped")
                .values()
                .map(|n| n.as_u64().expect("count")),
        )
        .sum::<u64>();
    assert_eq!(sum, c["seen"].as_u64().expect("seen"), "{v:#}");
    assert!(v["summary"]["files"].is_u64(), "{v:#}");
}

/// §1.2: without an explicit type, a path holding both a `Chart.yaml` and a kustomization is a
/// Kustomize source: Argo CD's `Discover` (util/app/discovery/discovery.go) walks the path's files
/// in lexical order and the last match sets `apps["."]`; `kustomization.yaml` (and
/// `Kustomization`) sort after `Chart.yaml`. An explicit `helm:` keeps it a Helm source. Before:
/// the `Chart.yaml` won.
#[test]
fn a_kustomization_beside_a_chart_makes_a_kustomize_source() {
    for (options, kind) in [("", "kustomize"), ("    helm: {releaseName: x}\n", "helm")] {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path();
        write(dir, ".manifest-guard.yaml", CONFIG);
        write(
            dir,
            "both/Chart.yaml",
            "apiVersion: v2\nname: c\nversion: 1.0.0\n",
        );
        write(dir, "both/kustomization.yaml", "resources:\n- cm.yaml\n");
        write(dir, "both/cm.yaml", config_map("k"));
        let app = app("a", "both", "").replace(
            "    targetRevision: HEAD\n",
            &format!("    targetRevision: HEAD\n{options}"),
        );
        write(dir, "apps/a.yaml", app);
        let out = run_in(dir, &["render", "--format", "json", "--no-render"]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        let v = json(&out);
        assert_eq!(
            v["applications"][0]["sources"][0]["kind"], kind,
            "{options}: {v:#}"
        );
    }
}
