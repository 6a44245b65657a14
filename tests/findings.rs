//! Where findings are reported and how often (issue 10 §3), and what a run says it did not check
//! (§4), on the real binary over small trees written here: a Helm chart whose template loops
//! without `---`, a packaged subchart, a Kustomize resource file with two objects, ApplicationSets
//! whose generated Applications share a template line, an ApplicationSet that generates nothing
//! and a jsonnet directory source.

mod common;

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use common::{find_tool, json, render_tools, root, run_in, write};

/// A chart whose template emits one ConfigMap per queue with no `---` between them.
fn loop_chart(dir: &Path) {
    write(
        dir,
        "charts/loop/Chart.yaml",
        "apiVersion: v2\nname: loop\nversion: 1.0.0\n",
    );
    write(
        dir,
        "charts/loop/values.yaml",
        "queues: [orders, payments, refunds]\n",
    );
    write(
        dir,
        "charts/loop/templates/queues.yaml",
        "{{- range .Values.queues }}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: queue-{{ . }}\ndata:\n  queue: {{ . }}\n{{- end }}\n",
    );
}

/// A chart `app` with the subchart `sub` packaged as `charts/app/charts/sub-1.0.0.tgz` (by
/// `helm package`), whose template also loops without `---`.
fn packaged_subchart(dir: &Path) {
    write(
        dir,
        "src/sub/Chart.yaml",
        "apiVersion: v2\nname: sub\nversion: 1.0.0\n",
    );
    write(
        dir,
        "src/sub/templates/cm.yaml",
        "{{- range list \"a\" \"b\" }}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: sub-{{ . }}\n{{- end }}\n",
    );
    write(
        dir,
        "charts/app/Chart.yaml",
        "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n  - name: sub\n    version: 1.0.0\n",
    );
    write(
        dir,
        "charts/app/templates/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n",
    );
    let helm = find_tool("helm").expect("helm");
    let out = Command::new(helm)
        .args(["package", "src/sub", "-d", "charts/app/charts"])
        .current_dir(dir)
        .env("HELM_CACHE_HOME", dir.join(".helm"))
        .env("HELM_CONFIG_HOME", dir.join(".helm"))
        .env("HELM_DATA_HOME", dir.join(".helm"))
        .output()
        .expect("helm runs");
    assert!(out.status.success(), "{out:?}");
    std::fs::remove_dir_all(dir.join("src")).expect("remove the unpackaged subchart");
    std::fs::remove_dir_all(dir.join(".helm")).ok();
}

/// A kustomization whose one resource file holds two objects.
fn kustomize_two_objects(dir: &Path) {
    write(
        dir,
        "kz/kustomization.yaml",
        "resources:\n  - queues.yaml\n",
    );
    write(
        dir,
        "kz/queues.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: one\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: two\n",
    );
}

const TEAMS: &str = "apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: teams
  namespace: argocd
spec:
  generators:
    - list:
        elements:
          - team: alpha
          - team: beta
          - team: gamma
          - team: delta
          - team: epsilon
          - team: zeta
          - team: eta
  template:
    metadata:
      name: '{{team}}-web'
    spec:
      project: default
      source:
        repoURL: https://example.com/nowhere.git
        path: web
        targetRevision: HEAD
      destination:
        server: https://kubernetes.default.svc
        namespace: '{{team}}'
";

const PER_CLUSTER: &str = "apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: per-cluster
  namespace: argocd
spec:
  generators:
    - clusters:
        selector:
          matchLabels:
            env: prod
  template:
    metadata:
      name: '{{name}}-web'
    spec:
      project: default
      source:
        repoURL: https://example.com/nowhere.git
        path: web
        targetRevision: HEAD
      destination:
        server: '{{server}}'
        namespace: web
";

const JSONNET_APP: &str = "apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: jsonnet
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://example.com/fx.git
    path: jsonnet-app
    targetRevision: HEAD
  destination:
    server: https://kubernetes.default.svc
    namespace: j
";

/// Argo CD objects: Applications generated from one template line, an ApplicationSet that
/// generates nothing, and an Application whose directory holds only jsonnet.
fn argocd_tree(dir: &Path) {
    write(dir, "appsets/teams.yaml", TEAMS);
    write(dir, "appsets/per-cluster.yaml", PER_CLUSTER);
    write(dir, "apps/jsonnet.yaml", JSONNET_APP);
    write(
        dir,
        "jsonnet-app/main.jsonnet",
        "{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'j' } }\n",
    );
    write(
        dir,
        ".manifest-guard.yaml",
        "repositories:\n  - url: https://example.com/fx.git\n    path: .\n",
    );
}

fn check_json(dir: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["check", ".", "--format", "json"];
    args.extend_from_slice(extra);
    let out = run_in(dir, &args);
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

/// Every file a report names: JSON `file` (and related), SARIF artifact URIs, GitHub `file=`.
fn named_files(dir: &Path, args: &[&str]) -> Vec<String> {
    let mut files = Vec::new();
    let run = |format: &str| {
        let mut a: Vec<&str> = args.to_vec();
        a.extend_from_slice(&["--format", format]);
        let out = run_in(dir, &a);
        assert!(out.code == 0 || out.code == 1, "{format}: {}", out.stderr);
        out.stdout
    };
    let v: Value = serde_json::from_str(&run("json")).expect("JSON");
    for d in v["diagnostics"].as_array().expect("diagnostics") {
        files.push(d["file"].as_str().expect("file").to_string());
        for r in d["related"].as_array().into_iter().flatten() {
            files.push(r["file"].as_str().expect("related file").to_string());
        }
    }
    let sarif: Value = serde_json::from_str(&run("sarif")).expect("SARIF");
    for result in sarif["runs"][0]["results"].as_array().expect("results") {
        let locations = result["locations"]
            .as_array()
            .into_iter()
            .chain(result["relatedLocations"].as_array())
            .flatten();
        for l in locations {
            let uri = &l["physicalLocation"]["artifactLocation"]["uri"];
            files.push(uri.as_str().expect("uri").to_string());
        }
    }
    for line in run("github").lines() {
        if let Some(rest) = line.split_once(" file=").map(|(_, r)| r) {
            files.push(rest.split(',').next().unwrap_or("").to_string());
        }
    }
    files
}

/// Where the repository root of `dir` is, as SARIF and annotations resolve paths.
fn repository_root(dir: &Path) -> std::path::PathBuf {
    dir.ancestors()
        .find(|d| d.join(".git").exists())
        .unwrap_or(dir)
        .to_path_buf()
}

fn assert_files_exist(dir: &Path, args: &[&str]) {
    let repo = repository_root(dir);
    for f in named_files(dir, args) {
        // A path of the tree (a symlink loop the `unreadable-file` fixture reports is one too).
        let exists = [dir.join(&f), repo.join(&f)]
            .iter()
            .any(|p| std::fs::symlink_metadata(p).is_ok_and(|m| !m.is_dir()));
        assert!(
            exists,
            "`{f}` (from `{}`) is not a file of the repository",
            args.join(" ")
        );
    }
}

/// §3: every finding carries a real path. Before, the findings on the Helm output of both charts
/// were reported at `helm template charts/loop … (charts/loop)`, which no one can open and to
/// which code scanning attaches nothing.
#[test]
fn every_reported_file_exists_in_the_repository() {
    if !render_tools() {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    loop_chart(tmp.path());
    packaged_subchart(tmp.path());
    kustomize_two_objects(tmp.path());
    argocd_tree(tmp.path());
    assert_files_exist(tmp.path(), &["check", "."]);
    // And over every fixture of the project, rendered.
    let fixtures = root().join("fixtures");
    let mut dirs: Vec<_> = std::fs::read_dir(&fixtures)
        .expect("fixtures")
        .flatten()
        .flat_map(|rule| {
            std::fs::read_dir(rule.path())
                .into_iter()
                .flatten()
                .flatten()
        })
        .map(|case| case.path())
        .filter(|p| p.is_dir() && !p.join("base").exists())
        .collect();
    dirs.sort();
    assert!(dirs.len() > 20, "{dirs:?}");
    for d in dirs {
        let rel = d
            .strip_prefix(root())
            .expect("inside")
            .to_string_lossy()
            .into_owned();
        assert_files_exist(&root(), &["check", &rel]);
    }
}

/// §3: a template that loops without `---` yields one mapping with every key repeated. That is
/// one cause: one finding at the template, saying the documents are not separated — not one
/// `duplicate-yaml-key` per repeated key (9 before: `apiVersion`, `kind`, `metadata`, `data`, …).
#[test]
fn documents_run_together_are_one_finding_at_the_template() {
    if !render_tools() {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    loop_chart(tmp.path());
    let v = check_json(tmp.path(), &[]);
    let found = of_rule(&v, "duplicate-yaml-key");
    assert_eq!(found.len(), 1, "{found:#?}");
    let d = found[0];
    assert_eq!(d["file"], "charts/loop/templates/queues.yaml");
    let message = d["message"].as_str().expect("message");
    assert!(
        message.starts_with("3 Kubernetes objects run together"),
        "{message}"
    );
    assert!(message.contains("not separated by `---`"), "{message}");
    assert!(d["help"].as_str().expect("help").contains("`---`"), "{d}");
}

/// §3: a subchart read from a packaged chart is reported at the archive, with the template's path
/// inside it in the message (helm names it in `# Source: app/charts/sub/templates/cm.yaml`).
#[test]
fn a_packaged_subchart_is_reported_at_the_archive_naming_the_template() {
    if !render_tools() {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    packaged_subchart(tmp.path());
    let v = check_json(tmp.path(), &[]);
    let found = of_rule(&v, "duplicate-yaml-key");
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["file"], "charts/app/charts/sub-1.0.0.tgz");
    let message = found[0]["message"].as_str().expect("message");
    assert!(
        message.contains("`sub/templates/cm.yaml` inside the packaged chart"),
        "{message}"
    );
    // The human report shows it too (an archive has no text to quote).
    let out = run_in(tmp.path(), &["check", "."]);
    assert!(
        out.stdout.contains("charts/app/charts/sub-1.0.0.tgz"),
        "{}",
        out.stdout
    );
}

/// §3: the same warning at the same template line for each Application an ApplicationSet
/// generates is one finding that names them (first five, then "and N more"). Before: seven
/// `project-unrestricted` warnings and seven `not-rendered` notes at `appsets/teams.yaml`.
#[test]
fn one_finding_per_template_line_for_generated_applications() {
    let tmp = tempfile::tempdir().expect("tmp");
    write(tmp.path(), "appsets/teams.yaml", TEAMS);
    let v = check_json(tmp.path(), &["--no-render"]);
    let unrestricted = of_rule(&v, "project-unrestricted");
    assert_eq!(unrestricted.len(), 1, "{unrestricted:#?}");
    assert_eq!(unrestricted[0]["line"], 21);
    assert_eq!(
        unrestricted[0]["message"],
        "Application `alpha-web` is in the `default` project, which allows every source, cluster, \
         namespace and kind (the same for 6 more Applications from this line: `beta-web`, \
         `delta-web`, `epsilon-web`, `eta-web`, `gamma-web`, and 1 more)"
    );
    assert_eq!(of_rule(&v, "not-rendered").len(), 1, "{v:#}");
}

/// §4: an ApplicationSet that generates nothing says why. Argo CD's cluster generator produces one
/// element per cluster Secret in its namespace that matches the selector
/// (argoproj/argo-cd applicationset/generators/cluster.go, `GenerateParams`; docs
/// operator-manual/applicationset/Generators-Cluster.md): offline, with no cluster declared,
/// nothing matches. Before: silence, and nothing it would deploy was checked.
#[test]
fn an_applicationset_that_generates_nothing_is_a_note_saying_why() {
    let tmp = tempfile::tempdir().expect("tmp");
    write(tmp.path(), "appsets/per-cluster.yaml", PER_CLUSTER);
    let v = check_json(tmp.path(), &["--no-render"]);
    let notes = of_rule(&v, "not-rendered");
    assert_eq!(notes.len(), 1, "{v:#}");
    assert_eq!(notes[0]["severity"], "note");
    assert_eq!(notes[0]["file"], "appsets/per-cluster.yaml");
    let message = notes[0]["message"].as_str().expect("message");
    assert!(
        message.starts_with("ApplicationSet `per-cluster` generates no Application"),
        "{message}"
    );
    assert!(
        message.contains("`.manifest-guard.yaml` `clusters:`"),
        "{message}"
    );
    // Once the cluster is declared, it generates and the note goes.
    write(
        tmp.path(),
        ".manifest-guard.yaml",
        "clusters:\n  - name: prod-eu\n    server: https://prod-eu.example.com\n    labels:\n      env: prod\n",
    );
    let v = check_json(tmp.path(), &["--no-render"]);
    assert!(
        of_rule(&v, "not-rendered")
            .iter()
            .all(|d| !d["message"].as_str().unwrap_or("").contains("generates no")),
        "{v:#}"
    );
}

/// §4: a directory source holding only jsonnet renders nothing here, though Argo CD evaluates it
/// (argoproj/argo-cd reposerver/repository/repository.go, `findManifests`: files matching
/// `^.*\.(yaml|yml|json|jsonnet)$`, `.jsonnet` evaluated by `makeJsonnetVM`). Issue 11 §1 made
/// it a warning at the jsonnet file itself (it was a note at the Application), and the summary
/// still counts the Application as not rendered. Before: silence, and `0 objects` looked clean.
#[test]
fn a_jsonnet_directory_source_is_a_warning_at_the_file() {
    let tmp = tempfile::tempdir().expect("tmp");
    argocd_tree(tmp.path());
    let v = check_json(tmp.path(), &["--no-render"]);
    let jsonnet: Vec<_> = of_rule(&v, "not-rendered")
        .into_iter()
        .filter(|d| d["file"] == "jsonnet-app/main.jsonnet")
        .collect();
    assert_eq!(jsonnet.len(), 1, "{v:#}");
    assert_eq!(jsonnet[0]["severity"], "warning", "{v:#}");
    assert!(
        jsonnet[0]["message"]
            .as_str()
            .expect("message")
            .contains("Application `jsonnet` deploys what `jsonnet-app/main.jsonnet` evaluates to"),
        "{v:#}"
    );
}

/// §4: the summary counts Applications found, rendered and not (by cause), ApplicationSets and
/// what they generated, and says plainly when no Application was checked. The six fields JSON
/// version 1 had are unchanged.
#[test]
fn the_summary_says_what_was_not_checked() {
    let tmp = tempfile::tempdir().expect("tmp");
    argocd_tree(tmp.path());
    let v = check_json(tmp.path(), &["--no-render"]);
    let s = &v["summary"];
    assert_eq!(v["version"], 1);
    for old in [
        "files",
        "objects",
        "applications",
        "errors",
        "warnings",
        "notes",
    ] {
        assert!(s[old].is_u64(), "{old}: {s}");
    }
    assert_eq!(s["applications"], 8, "{s}");
    assert_eq!(s["generated_applications"], 7, "{s}");
    assert_eq!(s["applicationsets"], 2, "{s}");
    assert_eq!(s["applications_rendered"], 0, "{s}");
    assert_eq!(s["applications_not_rendered"], 8, "{s}");
    assert_eq!(
        s["not_rendered_by_cause"],
        serde_json::json!({"jsonnet": 1, "not available offline": 7})
    );
    assert_eq!(s["no_application_checked"], true, "{s}");
    let out = run_in(tmp.path(), &["check", ".", "--no-render"]);
    assert!(
        out.stdout.contains(
            "Applications: 8 found (7 generated by 2 ApplicationSets), 0 rendered, 8 not rendered (1 jsonnet, 7 not available offline)"
        ),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("no Application was checked"),
        "{}",
        out.stdout
    );
    // The pull request comment says it beside the verdict.
    let md = run_in(
        tmp.path(),
        &["check", ".", "--no-render", "--format", "markdown"],
    );
    assert!(
        md.stdout.contains("**⚠️ No Application was checked**"),
        "{}",
        md.stdout
    );

    // A tree without Argo CD says nothing about Applications.
    let plain = tempfile::tempdir().expect("tmp");
    kustomize_two_objects(plain.path());
    let out = run_in(plain.path(), &["check", ".", "--no-render"]);
    assert!(!out.stdout.contains("Applications:"), "{}", out.stdout);
    assert_eq!(
        json(&run_in(
            plain.path(),
            &["check", ".", "--no-render", "--format", "json"]
        ))["summary"]["no_application_checked"],
        false
    );
}

/// §4: `one-object-per-file` answers the same with and without rendering. Before, the Kustomize
/// resource file holding two objects was a warning with `--no-render` and silent when rendered
/// (its objects became the render's output).
#[test]
fn one_object_per_file_is_the_same_rendered_or_not() {
    if !render_tools() {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    kustomize_two_objects(tmp.path());
    let position = |extra: &[&str]| -> Vec<(String, u64, String)> {
        of_rule(&check_json(tmp.path(), extra), "one-object-per-file")
            .iter()
            .map(|d| {
                (
                    d["file"].as_str().unwrap_or("").to_string(),
                    d["line"].as_u64().unwrap_or(0),
                    d["message"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    };
    let rendered = position(&[]);
    assert_eq!(rendered, position(&["--no-render"]));
    assert_eq!(rendered.len(), 1);
    assert_eq!(rendered[0].0, "kz/queues.yaml");
    assert_eq!(rendered[0].1, 7);
}

/// Judged on kubernetes/examples (`_archived/openshift-origin/etcd-controller.yaml`: `selector`
/// twice with the same value): nothing is replaced today, so a warning that says so, not the
/// error that claims the later value replaces the earlier.
#[test]
fn the_same_value_twice_is_a_warning() {
    let tmp = tempfile::tempdir().expect("tmp");
    write(
        tmp.path(),
        "cm.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ntype: \"kubernetes.io/quobyte\"\ndata: {}\ntype: kubernetes.io/quobyte\n",
    );
    let v = check_json(tmp.path(), &["--no-render"]);
    let found = of_rule(&v, "duplicate-yaml-key");
    assert_eq!(found.len(), 1, "{v:#}");
    assert_eq!(found[0]["severity"], "warning");
    assert!(
        found[0]["message"]
            .as_str()
            .expect("message")
            .contains("with the same value"),
        "{v:#}"
    );
}

/// Issue 13's rule kit: a finding on an object an Application deploys says which Application,
/// once, in the one wording (`Meta::on_object`/`Meta::at_node`, "rendered by Application `x`").
/// The stateful, quorum and autoscaling rules built their findings by hand and left it out, so
/// a reviewer reading `templates/deployment.yaml:12` could not tell which Application (which
/// cluster, which environment) deploys it. One Application here deploys something each of them
/// reports.
#[test]
fn availability_and_autoscaling_findings_name_the_application_that_deploys_the_object() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write(
        d,
        ".manifest-guard.yaml",
        "repositories:\n  - url: https://git.example.com/shop/gitops.git\n    path: .\n",
    );
    write(
        d,
        "apps/stack.yaml",
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: stack\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: https://git.example.com/shop/gitops.git\n    targetRevision: main\n    path: stack\n  destination:\n    name: in-cluster\n    namespace: shop\n",
    );
    // A quorum StatefulSet (its pods name their members) of 3: no budget, no spread, Parallel.
    let statefulset = |name: &str, extra: &str| {
        format!(
            "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: {name}\nspec:\n  serviceName: {name}\n  replicas: 3\n{extra}  selector:\n    matchLabels:\n      app: {name}\n  template:\n    metadata:\n      labels:\n        app: {name}\n    spec:\n      containers:\n        - name: {name}\n          image: registry.example.com/{name}:1.0.0\n          args: [\"--peers={name}-0.{name},{name}-1.{name},{name}-2.{name}\"]\n          resources:\n            requests:\n              cpu: 100m\n"
        )
    };
    write(
        d,
        "stack/zk.yaml",
        statefulset("zk", "  podManagementPolicy: Parallel\n"),
    );
    write(d, "stack/etcd.yaml", statefulset("etcd", ""));
    write(
        d,
        "stack/etcd-pdb.yaml",
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: etcd\nspec:\n  maxUnavailable: 2\n  selector:\n    matchLabels:\n      app: etcd\n",
    );
    write(
        d,
        "stack/frozen-pdb.yaml",
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: frozen\nspec:\n  maxUnavailable: 0\n  selector:\n    matchLabels:\n      app: gone\n",
    );
    write(
        d,
        "stack/web.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n        - name: web\n          image: registry.example.com/web:1.0.0\n          livenessProbe:\n            initialDelaySeconds: 90\n            httpGet:\n              path: /health\n              port: 8080\n          readinessProbe:\n            httpGet:\n              path: /health\n              port: 8080\n",
    );
    write(
        d,
        "stack/web-hpa.yaml",
        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\nspec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: web\n  minReplicas: 2\n  maxReplicas: 6\n  metrics:\n    - type: Resource\n      resource:\n        name: cpu\n        target:\n          type: Utilization\n          averageUtilization: 70\n",
    );
    write(
        d,
        "stack/api-hpa.yaml",
        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: api\nspec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: api\n  minReplicas: 8\n  maxReplicas: 4\n",
    );
    write(
        d,
        "stack/claim.yaml",
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\n  annotations:\n    argocd.argoproj.io/sync-options: Replace=true\nspec:\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n      storage: 1Gi\n",
    );
    let rules = [
        "hpa-cpu-without-requests",
        "hpa-min-exceeds-max",
        "hpa-target-missing",
        "liveness-equals-readiness",
        "liveness-without-startup",
        "parallel-pod-management-quorum",
        "pdb-blocks-eviction",
        "pdb-quorum-unsafe",
        "pdb-selects-nothing",
        "quorum-pdb-missing",
        "quorum-spread-missing",
        "replace-on-stateful",
    ];
    let out = run_in(
        d,
        &[
            "check",
            ".",
            "--select",
            &rules.join(","),
            "--format",
            "json",
        ],
    );
    let v = json(&out);
    let diagnostics = v["diagnostics"].as_array().expect("diagnostics");
    for rule in rules {
        let found: Vec<&Value> = diagnostics.iter().filter(|f| f["rule"] == rule).collect();
        assert!(!found.is_empty(), "{rule} does not fire:\n{}", out.stdout);
        for f in found {
            let provenance: Vec<&Value> = f["related"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|r| r["message"] == "rendered by Application `stack`")
                .collect();
            assert_eq!(
                provenance.len(),
                1,
                "{rule}: {} names its Application once, at its name",
                f["message"]
            );
            assert_eq!(provenance[0]["file"], "apps/stack.yaml");
            assert_eq!(provenance[0]["line"], 4);
        }
    }
}
