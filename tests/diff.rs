//! `diff` through the real binary, in throw-away git repositories: what issue 5 calls done.
//! Each test builds a repository (its `origin` is the URL the Applications name, so their
//! sources are local), commits a base and a head, and runs `diff` the way CI would.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Output, json, positions};

const REPO_URL: &str = "https://git.example.com/platform/gitops.git";
/// 3 replicas × 200Gi.
const KAFKA_BYTES: u64 = 3 * 200 * 1024 * 1024 * 1024;

/// A temporary directory holding the repository (`repo/`) and the `TMPDIR` the binary is given
/// (`tmp/`), so that what `diff` materialises can be looked for afterwards.
struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("repo")).expect("mkdir repo");
        std::fs::create_dir_all(dir.path().join("tmp")).expect("mkdir tmp");
        let sandbox = Sandbox { dir };
        sandbox.git(&["init", "--quiet", "--initial-branch=main"]);
        sandbox.git(&["remote", "add", "origin", REPO_URL]);
        sandbox
    }

    fn repo(&self) -> PathBuf {
        self.dir.path().join("repo")
    }

    fn tmp(&self) -> PathBuf {
        self.dir.path().join("tmp")
    }

    /// Runs git in the repository, isolated from the machine's git configuration.
    fn git(&self, args: &[&str]) -> String {
        common::git(&self.repo(), args)
    }

    fn write(&self, rel: &str, text: &str) {
        common::write(&self.repo(), rel, text);
    }

    fn commit(&self, message: &str) {
        self.git(&["add", "--all"]);
        self.git(&["commit", "--quiet", "--message", message]);
    }

    /// Runs `manifest-guard args...` in the repository with `TMPDIR` pointing into the sandbox,
    /// the environment that changes output removed.
    fn run(&self, args: &[&str]) -> Output {
        run_with_tmpdir(&self.repo(), &self.tmp(), args)
    }

    /// Nothing left behind: git knows only the main worktree, and the temporary directory holds
    /// no `manifest-guard-*` extraction.
    fn assert_clean(&self, after: &str) {
        let worktrees: Vec<String> = self
            .git(&["worktree", "list", "--porcelain"])
            .lines()
            .filter(|l| l.starts_with("worktree "))
            .map(str::to_string)
            .collect();
        assert_eq!(worktrees.len(), 1, "after {after}: {worktrees:?}");
        let left: Vec<String> = std::fs::read_dir(self.tmp())
            .expect("tmp")
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("manifest-guard-"))
            .collect();
        assert!(left.is_empty(), "after {after}: left in TMPDIR: {left:?}");
    }
}

fn run_with_tmpdir(dir: &Path, tmp: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_manifest-guard"));
    cmd.args(args)
        .current_dir(dir)
        .env("TMPDIR", tmp)
        .env("PATH", common::tool_path());
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

fn application(name: &str, path: &str, cluster: &str, namespace: &str) -> String {
    format!(
        "apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {name}
  namespace: argocd
  finalizers:
    - resources-finalizer.argocd.argoproj.io
spec:
  project: default
  source:
    repoURL: {REPO_URL}
    targetRevision: main
    path: {path}
  destination:
    name: {cluster}
    namespace: {namespace}
  syncPolicy:
    automated:
      prune: true
      selfHeal: true
"
    )
}

fn cluster_secret(name: &str) -> String {
    format!(
        "apiVersion: v1
kind: Secret
metadata:
  name: {name}
  namespace: argocd
  labels:
    argocd.argoproj.io/secret-type: cluster
type: Opaque
stringData:
  name: {name}
  server: https://{name}.k8s.example.com
"
    )
}

fn kafka(name: &str, image: &str, size: &str) -> String {
    format!(
        "apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: {name}
spec:
  serviceName: kafka
  replicas: 3
  selector:
    matchLabels:
      app: kafka
  template:
    metadata:
      labels:
        app: kafka
    spec:
      containers:
        - name: kafka
          image: {image}
          volumeMounts:
            - name: data
              mountPath: /var/lib/kafka/data
  volumeClaimTemplates:
    - metadata:
        name: data
      spec:
        accessModes: [\"ReadWriteOnce\"]
        resources:
          requests:
            storage: {size}
"
    )
}

/// The base commit: Application `kafka` deploys a three-broker StatefulSet with 200Gi claims to
/// `central-eu-cluster`.
fn kafka_repository() -> Sandbox {
    let s = Sandbox::new();
    s.write(
        "apps/kafka.yaml",
        &application("kafka", "kafka", "central-eu-cluster", "streaming"),
    );
    s.write(
        "clusters/central-eu-cluster.yaml",
        &cluster_secret("central-eu-cluster"),
    );
    s.write(
        "clusters/staging-eu-cluster.yaml",
        &cluster_secret("staging-eu-cluster"),
    );
    s.write(
        "kafka/statefulset.yaml",
        &kafka("kafka", "apache/kafka:3.7.0", "200Gi"),
    );
    s.commit("base: kafka on central-eu-cluster");
    s
}

fn rules_of(v: &serde_json::Value) -> Vec<String> {
    positions(v).into_iter().map(|(rule, ..)| rule).collect()
}

fn changes(v: &serde_json::Value) -> Vec<serde_json::Value> {
    v["changes"].as_array().expect("changes").clone()
}

/// The head of case (a): the StatefulSet renamed, nothing else.
fn renamed_kafka() -> Sandbox {
    let s = kafka_repository();
    s.write(
        "kafka/statefulset.yaml",
        &kafka("kafka-broker", "apache/kafka:3.7.0", "200Gi"),
    );
    s.commit("head: rename kafka to kafka-broker");
    s
}

#[test]
fn renaming_a_statefulset_fails_and_counts_600gi_at_risk() {
    let s = renamed_kafka();
    let out = s.run(&["diff", "--base", "HEAD~1", "--format", "json"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let v = json(&out);
    let rules = rules_of(&v);
    assert!(
        rules
            .iter()
            .any(|r| r == "stateful-rename" || r == "stateful-delete"),
        "{rules:?}"
    );
    let radius = &v["blast_radius"]["central-eu-cluster"];
    assert_eq!(radius["storageAtRiskBytes"], KAFKA_BYTES, "{radius}");
    assert_eq!(radius["storageAtRisk"], "600Gi");
    assert_eq!(radius["counts"]["renamed"], 1);
    let change = &changes(&v)[0];
    assert_eq!(
        (
            change["kind"].as_str(),
            change["name"].as_str(),
            change["renamedFrom"].as_str()
        ),
        (Some("renamed"), Some("kafka-broker"), Some("kafka"))
    );
    s.assert_clean("a rename");
}

// `diff --base REV gitops` compares the `gitops/` directory of both revisions; the
// Applications there name paths from the repository's top level (`gitops/kafka`), as Argo CD
// reads them, and both revisions know they are this repository (the origin remote).
#[test]
fn a_subdirectory_diff_resolves_this_repositorys_paths_from_the_top_level() {
    let s = Sandbox::new();
    s.write(
        "gitops/apps/kafka.yaml",
        &application("kafka", "gitops/kafka", "central-eu-cluster", "streaming"),
    );
    s.write(
        "gitops/clusters/central-eu-cluster.yaml",
        &cluster_secret("central-eu-cluster"),
    );
    s.write(
        "gitops/kafka/statefulset.yaml",
        &kafka("kafka", "apache/kafka:3.7.0", "200Gi"),
    );
    s.commit("base");
    s.write(
        "gitops/kafka/statefulset.yaml",
        &kafka("kafka-broker", "apache/kafka:3.7.0", "200Gi"),
    );
    s.commit("head: rename");
    let out = s.run(&["diff", "--base", "HEAD~1", "gitops", "--format", "json"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let v = json(&out);
    let radius = &v["blast_radius"]["central-eu-cluster"];
    assert_eq!(radius["storageAtRiskBytes"], KAFKA_BYTES, "{}", out.stdout);
    let change = &changes(&v)[0];
    assert_eq!(change["application"], "kafka", "{change}");
    s.assert_clean("a subdirectory diff");
}

#[test]
fn renaming_a_statefulset_human_output() {
    let s = renamed_kafka();
    let out = s.run(&["diff", "--base", "HEAD~1", "--color", "never"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    insta::assert_snapshot!("kafka-rename-human", out.stdout);
}

// `--format concise` of a diff: one line a finding, the blast radius table (a line per
// cluster), the summary; the per-Application change lists are the human report's. With
// `--statistics` in JSON, the counts follow the summary as in `check`'s.
#[test]
fn renaming_a_statefulset_concise_output() {
    let s = renamed_kafka();
    let out = s.run(&[
        "diff",
        "--base",
        "HEAD~1",
        "--format",
        "concise",
        "--statistics",
    ]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    insta::assert_snapshot!("kafka-rename-concise", out.stdout);
    let v = json(&s.run(&[
        "diff",
        "--base",
        "HEAD~1",
        "--format",
        "json",
        "--statistics",
    ]));
    let keys: Vec<&String> = v.as_object().expect("an object").keys().collect();
    assert_eq!(
        keys,
        [
            "version",
            "base",
            "config",
            "summary",
            "statistics",
            "diagnostics",
            "changes",
            "unrendered",
            "blast_radius"
        ]
    );
    let findings = v["diagnostics"].as_array().expect("diagnostics").len() as u64;
    let counted: u64 = v["statistics"]
        .as_array()
        .expect("statistics")
        .iter()
        .map(|s| s["count"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(counted, findings);
}

#[test]
fn renaming_a_statefulset_markdown_output() {
    let s = renamed_kafka();
    let out = s.run(&["diff", "--base", "HEAD~1", "--format", "markdown"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    insta::assert_snapshot!("kafka-rename-markdown", out.stdout);
}

// A pull request comment is read top down and cut at GitHub's size limit from the end: the
// verdict, the blast radius and the findings come before the per-Application change lists, so
// a head whose change lists alone pass the limit still shows its findings whole.
#[test]
fn markdown_puts_blast_radius_and_findings_before_the_change_lists() {
    let s = kafka_repository();
    let settings = |i: usize, value: &str| {
        config_map(
            &format!("settings-{i:03}"),
            &[("value", &value.repeat(300))],
        )
    };
    for i in 0..150 {
        s.write(&format!("kafka/settings-{i:03}.yaml"), &settings(i, "a"));
    }
    s.commit("base: settings");
    s.write(
        "kafka/statefulset.yaml",
        &kafka("kafka-broker", "apache/kafka:3.7.0", "200Gi"),
    );
    for i in 0..150 {
        s.write(&format!("kafka/settings-{i:03}.yaml"), &settings(i, "b"));
    }
    s.commit("head: rename kafka, change every setting");
    let out = s.run(&["diff", "--base", "HEAD~1", "--format", "markdown"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let md = &out.stdout;
    let at = |what: &str| {
        md.find(what)
            .unwrap_or_else(|| panic!("no `{what}` in:\n{md}"))
    };
    assert!(at("**❌ Fails**") < at("### Blast radius"), "{md}");
    assert!(at("### Blast radius") < at("### Findings"), "{md}");
    assert!(at("### Findings") < at("### Changes"), "{md}");
    assert!(at("### Findings") < at("`stateful-rename`"), "{md}");
    assert!(at("`stateful-rename`") < at("### Changes"), "{md}");
    assert!(md.contains("more Application's changes not shown"), "{md}");
    assert!(md.chars().count() <= 65_536);
}

#[test]
fn renaming_a_statefulset_json_output() {
    let s = renamed_kafka();
    let out = s.run(&["diff", "--base", "HEAD~1", "--format", "json"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    insta::assert_snapshot!("kafka-rename-json", out.stdout);
}

#[test]
fn an_image_tag_is_one_modified_object_and_exit_0() {
    let s = kafka_repository();
    s.write(
        "kafka/statefulset.yaml",
        &kafka("kafka", "apache/kafka:3.7.1", "200Gi"),
    );
    s.commit("head: kafka 3.7.1");
    let out = s.run(&["diff", "--base", "HEAD~1", "--format", "json"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let v = json(&out);
    assert!(rules_of(&v).is_empty(), "{}", out.stdout);
    let all = changes(&v);
    assert_eq!(all.len(), 1, "{}", out.stdout);
    let change = &all[0];
    assert_eq!(change["kind"], "modified");
    assert_eq!(change["objectKind"], "StatefulSet");
    assert_eq!(change["name"], "kafka");
    let diff = change["diff"].as_str().expect("a unified diff");
    assert!(
        diff.contains("-      - image: \"apache/kafka:3.7.0\"")
            && diff.contains("+      - image: \"apache/kafka:3.7.1\""),
        "{diff}"
    );
    assert_eq!(
        v["blast_radius"]["central-eu-cluster"]["storageAtRiskBytes"],
        0
    );

    // The working tree is the head by default: the same change, uncommitted, reads the same.
    s.write(
        "kafka/statefulset.yaml",
        &kafka("kafka", "apache/kafka:3.8.0", "200Gi"),
    );
    let out = s.run(&["diff", "--base", "HEAD", "--color", "never"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .contains("modified  StatefulSet `streaming/kafka`")
    );
    assert!(
        out.stdout
            .contains("+      - image: \"apache/kafka:3.8.0\"")
    );
    // `--no-diff` hides the bodies.
    let out = s.run(&["diff", "--base", "HEAD", "--no-diff", "--color", "never"]);
    assert!(!out.stdout.contains("apache/kafka:3.8.0"), "{}", out.stdout);
    s.assert_clean("an image change");
}

#[test]
fn a_claim_template_size_is_an_immutable_field_change() {
    let s = kafka_repository();
    s.write(
        "kafka/statefulset.yaml",
        &kafka("kafka", "apache/kafka:3.7.0", "400Gi"),
    );
    s.commit("head: 400Gi per broker");
    let out = s.run(&["diff", "--base", "HEAD~1", "--format", "json"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let v = json(&out);
    assert_eq!(rules_of(&v), ["immutable-field-change"], "{}", out.stdout);
    let change = &changes(&v)[0];
    assert_eq!(change["kind"], "recreated");
    assert_eq!(
        change["immutableFields"][0]["field"],
        "spec.volumeClaimTemplates"
    );
    // The finding points at the changed claim template (`- metadata:`) in the head.
    let d = &v["diagnostics"][0];
    assert_eq!(
        (d["file"].as_str(), d["line"].as_u64()),
        (Some("kafka/statefulset.yaml"), Some(23))
    );
    s.assert_clean("a claim template change");
}

#[test]
fn moving_the_application_to_another_cluster_is_a_retarget() {
    let s = kafka_repository();
    s.write(
        "apps/kafka.yaml",
        &application("kafka", "kafka", "staging-eu-cluster", "streaming"),
    );
    s.commit("head: kafka to staging");
    let out = s.run(&["diff", "--base", "HEAD~1", "--format", "json"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let v = json(&out);
    assert_eq!(rules_of(&v), ["application-retarget"], "{}", out.stdout);
    let d = &v["diagnostics"][0];
    assert_eq!(
        d["severity"], "error",
        "it manages a StatefulSet with claims"
    );
    let message = d["message"].as_str().unwrap_or("");
    assert!(
        message.contains("from cluster `central-eu-cluster` to `staging-eu-cluster`"),
        "{message}"
    );
    // The old cluster keeps its brokers, unmanaged; the new one gets new ones.
    let kinds: Vec<(String, String)> = changes(&v)
        .iter()
        .filter(|c| c["objectKind"] == "StatefulSet")
        .map(|c| {
            (
                c["cluster"].as_str().unwrap_or("").to_string(),
                c["kind"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("central-eu-cluster".to_string(), "orphaned".to_string()),
            ("staging-eu-cluster".to_string(), "created".to_string())
        ]
    );
    s.assert_clean("a retarget");
}

#[test]
fn a_second_application_with_the_same_name_deletes_what_the_first_deployed() {
    let s = kafka_repository();
    // `apps/loadtest.yaml` comes after `apps/kafka.yaml`: Argo CD keeps this definition.
    s.write(
        "apps/loadtest.yaml",
        &application("kafka", "loadtest", "central-eu-cluster", "kafka-loadtest"),
    );
    s.write(
        "loadtest/configmap.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: loadtest\ndata:\n  rate: \"1000\"\n",
    );
    s.commit("head: a load test, under the same name");
    let out = s.run(&["diff", "--base", "HEAD~1", "--format", "json"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let v = json(&out);
    let deleted: Vec<String> = changes(&v)
        .iter()
        .filter(|c| c["kind"] == "deleted")
        .map(|c| {
            format!(
                "{} {}/{}",
                c["objectKind"].as_str().unwrap_or(""),
                c["namespace"].as_str().unwrap_or(""),
                c["name"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(deleted, ["StatefulSet streaming/kafka"], "{}", out.stdout);
    assert!(
        rules_of(&v).contains(&"stateful-delete".to_string()),
        "{}",
        out.stdout
    );
    // The Application object itself is the later definition (Argo CD keeps the last copy).
    let app = changes(&v)
        .into_iter()
        .find(|c| c["objectKind"] == "Application")
        .expect("the Application object changes");
    assert_eq!(app["kind"], "modified");
    assert!(
        app["diff"]
            .as_str()
            .unwrap_or("")
            .contains("+    namespace: kafka-loadtest"),
        "{app}"
    );
    s.assert_clean("a duplicate Application");
}

#[test]
fn no_temporary_tree_is_left_after_any_run() {
    let s = renamed_kafka();

    let ok = s.run(&["diff", "--base", "HEAD"]);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    s.assert_clean("a run without findings");

    let findings = s.run(&["diff", "--base", "HEAD~1"]);
    assert_eq!(findings.code, 1, "{}", findings.stderr);
    s.assert_clean("a run with findings");

    let both = s.run(&["diff", "--base", "HEAD~1", "--head", "HEAD"]);
    assert_eq!(both.code, 1, "{}", both.stderr);
    s.assert_clean("a run that materialises both revisions");

    let missing = s.run(&["diff", "--base", "no-such-branch"]);
    assert_eq!(missing.code, 2, "{}", missing.stdout);
    assert!(
        missing.stderr.contains("no-such-branch")
            && missing.stderr.contains("fatal: Needed a single revision"),
        "git's message: {}",
        missing.stderr
    );
    s.assert_clean("a base revision that does not exist");

    // The base is materialised before the head turns out not to exist.
    let missing_head = s.run(&["diff", "--base", "HEAD~1", "--head", "no-such-tag"]);
    assert_eq!(missing_head.code, 2, "{}", missing_head.stdout);
    assert!(
        missing_head.stderr.contains("no-such-tag"),
        "{}",
        missing_head.stderr
    );
    s.assert_clean("a head revision that does not exist");

    let bad_flag = s.run(&["diff", "--base", "HEAD~1", "--no-such-flag"]);
    assert_eq!(bad_flag.code, 2, "{}", bad_flag.stdout);
    s.assert_clean("a bad flag");

    let bad_format = s.run(&["diff", "--base", "HEAD~1", "--format", "yaml"]);
    assert_eq!(bad_format.code, 2, "{}", bad_format.stdout);
    s.assert_clean("a bad format");
}

#[test]
fn a_revision_outside_a_git_repository_is_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tmp = dir.path().join("tmp");
    std::fs::create_dir_all(&tmp).expect("mkdir");
    let out = run_with_tmpdir(dir.path(), &tmp, &["diff", "--base", "HEAD~1"]);
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(
        out.stderr.contains("not a git repository"),
        "{}",
        out.stderr
    );
}

/// A crafted base whose tree names `..` (git's fsck refuses it, `hash-object --literally`
/// writes it) is refused before anything is written, with one message naming the revision and
/// the path. (Before, the message said "cannot extract `<rev>`" twice.)
#[test]
fn a_base_tree_that_names_a_parent_directory_is_exit_2_said_once() {
    let s = kafka_repository();
    let blob = s.git(&["rev-parse", "HEAD:kafka/statefulset.yaml"]);
    let object: Vec<u8> = (0..blob.len() / 2)
        .map(|i| u8::from_str_radix(&blob[2 * i..2 * i + 2], 16).expect("hex"))
        .collect();
    let mut tree = b"100644 ..\0".to_vec();
    tree.extend_from_slice(&object);
    std::fs::write(s.tmp().join("tree"), &tree).expect("write");
    let tree_file = s.tmp().join("tree").to_string_lossy().into_owned();
    let tree = s.git(&["hash-object", "-t", "tree", "-w", "--literally", &tree_file]);
    std::fs::remove_file(s.tmp().join("tree")).expect("remove");
    let commit = s.git(&["commit-tree", tree.trim(), "-m", "crafted"]);
    let commit = commit.trim();
    let out = s.run(&["diff", "--base", commit]);
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(
        out.stderr.contains("the path `..` leaves the tree"),
        "{}",
        out.stderr
    );
    assert_eq!(
        out.stderr.matches("cannot extract").count(),
        1,
        "{}",
        out.stderr
    );
    s.assert_clean("a crafted tree");
}

/// A partial clone (`--filter=blob:none`, an option of `actions/checkout`) lacks the base's
/// blobs until they are read, and git then fetches each from the remote: the tool uses no
/// network, so git is run with `GIT_NO_LAZY_FETCH` and the missing blob is exit 2 with a note
/// saying how to fetch it; the clone still lacks it afterwards. (Before, `diff` fetched it from
/// the remote, one request per blob, with the remote's settings from the clone's config.)
#[test]
fn a_partial_clone_is_not_fetched_from() {
    let s = renamed_kafka();
    s.git(&["config", "uploadpack.allowFilter", "true"]);
    s.git(&["config", "uploadpack.allowAnySHA1InWant", "true"]);
    let base_blob = s.git(&["rev-parse", "HEAD~1:kafka/statefulset.yaml"]);
    let base_blob = base_blob.trim();
    let url = format!("file://{}", s.repo().display());
    common::git(
        s.dir.path(),
        &["clone", "--quiet", "--filter=blob:none", &url, "partial"],
    );
    let partial = s.dir.path().join("partial");
    let has_base_blob = || {
        Command::new("git")
            .args(["cat-file", "-e", base_blob])
            .current_dir(&partial)
            .env("GIT_NO_LAZY_FETCH", "1")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .status()
            .expect("git runs")
            .success()
    };
    assert!(
        !has_base_blob(),
        "the clone was expected to lack the base's blob"
    );
    let out = run_with_tmpdir(&partial, &s.tmp(), &["diff", "--base", "HEAD~1"]);
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("not in this clone"), "{}", out.stderr);
    assert!(!has_base_blob(), "diff fetched the base's blob");
    s.assert_clean("a partial clone");
}

#[test]
fn two_directories_compare_without_git() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (base, head) = (dir.path().join("base"), dir.path().join("head"));
    for (side, name) in [(&base, "kafka"), (&head, "kafka-broker")] {
        std::fs::create_dir_all(side).expect("mkdir");
        std::fs::write(
            side.join("statefulset.yaml"),
            kafka(name, "apache/kafka:3.7.0", "200Gi"),
        )
        .expect("write");
    }
    let out = run_with_tmpdir(
        dir.path(),
        dir.path(),
        &[
            "diff",
            "--base-dir",
            "base",
            "--head-dir",
            "head",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    let v = json(&out);
    assert_eq!(rules_of(&v), ["stateful-rename"], "{}", out.stdout);
    assert_eq!(v["base"], "base");
    assert_eq!(
        v["blast_radius"]["in-cluster"]["storageAtRiskBytes"],
        KAFKA_BYTES
    );
    assert_eq!(v["diagnostics"][0]["file"], "head/statefulset.yaml");

    // Unchanged directories: no changes, exit 0.
    let same = run_with_tmpdir(
        dir.path(),
        dir.path(),
        &[
            "diff",
            "--base-dir",
            "base",
            "--head-dir",
            "base",
            "--format",
            "json",
        ],
    );
    assert_eq!(same.code, 0, "{}", same.stderr);
    assert!(changes(&json(&same)).is_empty());

    // One directory without the other is a usage error.
    let half = run_with_tmpdir(dir.path(), dir.path(), &["diff", "--base-dir", "base"]);
    assert_eq!(half.code, 2);
    let missing = run_with_tmpdir(
        dir.path(),
        dir.path(),
        &["diff", "--base-dir", "base", "--head-dir", "nowhere"],
    );
    assert_eq!(missing.code, 2);
}

/// `Prune=false` in the Application's `syncOptions` keeps what leaves Git, as it does on the
/// object itself: the claim is orphaned, not deleted.
#[test]
fn application_level_prune_false_keeps_a_claim() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pvc = "apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: uploads
spec:
  accessModes: [\"ReadWriteOnce\"]
  resources:
    requests:
      storage: 50Gi
";
    let config = format!("repositories:\n  - url: {REPO_URL}\n    path: .\n");
    for side in ["base", "head"] {
        let root = dir.path().join(side);
        std::fs::create_dir_all(root.join("web")).expect("mkdir");
        std::fs::write(root.join(".manifest-guard.yaml"), &config).expect("write");
    }
    let app = |prune_false: bool| {
        let mut a = application("web", "web", "in-cluster", "web");
        if prune_false {
            a.push_str("    syncOptions:\n      - Prune=false\n");
        }
        a
    };
    let write = |side: &str, rel: &str, text: &str| {
        std::fs::write(dir.path().join(side).join(rel), text).expect("write");
    };
    write("base", "web/pvc.yaml", pvc);
    write(
        "base",
        "web/configmap.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n",
    );
    write(
        "head",
        "web/configmap.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n",
    );
    let diff = |prune_false: bool| {
        write("base", "app.yaml", &app(prune_false));
        write("head", "app.yaml", &app(prune_false));
        let out = run_with_tmpdir(
            dir.path(),
            dir.path(),
            &[
                "diff",
                "--base-dir",
                "base",
                "--head-dir",
                "head",
                "--format",
                "json",
            ],
        );
        json(&out)
    };
    let kept = diff(true);
    let claim = changes(&kept)
        .into_iter()
        .find(|c| c["objectKind"] == "PersistentVolumeClaim")
        .expect("the claim");
    assert_eq!(claim["kind"], "orphaned", "{claim}");
    assert!(rules_of(&kept).is_empty(), "{kept}");

    let pruned = diff(false);
    assert_eq!(rules_of(&pruned), ["stateful-delete"], "{pruned}");
}

// ---------------------------------------------------------------------------------------------
// The configuration is the base's

/// A config that turns the rules about the kafka rename off and unprotects its cluster: what a
/// pull request that wants to get through would write.
const PERMISSIVE_CONFIG: &str = "rules:
  stateful-rename: off
  stateful-delete: off
  protected-cluster-change: off
";

const PROTECTING_CONFIG: &str = "clusters:
  - name: central-eu-cluster
    server: https://central-eu-cluster.k8s.example.com
    protected: true
";

fn note_of(v: &serde_json::Value) -> (String, serde_json::Value, bool) {
    let c = &v["config"];
    (
        c["from"].as_str().unwrap_or("").to_string(),
        c["file"].clone(),
        c["headDiffers"].as_bool().unwrap_or(false),
    )
}

#[test]
fn the_base_config_decides_which_rules_run() {
    let s = kafka_repository();
    s.write(".manifest-guard.yaml", PROTECTING_CONFIG);
    s.commit("base: central-eu-cluster is protected");
    // The pull request renames the StatefulSet and, in the same change, turns off the rules
    // that would stop it and unprotects the cluster.
    s.write(
        "kafka/statefulset.yaml",
        &kafka("kafka-broker", "apache/kafka:3.7.0", "200Gi"),
    );
    s.write(".manifest-guard.yaml", PERMISSIVE_CONFIG);
    s.commit("head: rename kafka, quietly");

    let out = s.run(&["diff", "--base", "HEAD~1", "--format", "json"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let v = json(&out);
    let rules = rules_of(&v);
    assert!(
        rules.contains(&"stateful-rename".to_string())
            && rules.contains(&"protected-cluster-change".to_string()),
        "{rules:?}"
    );
    assert_eq!(
        note_of(&v),
        (
            "base".to_string(),
            serde_json::json!("HEAD~1:.manifest-guard.yaml"),
            true
        )
    );

    // The human report says why the head's config is not in force.
    let human = s.run(&["diff", "--base", "HEAD~1", "--color", "never"]);
    assert_eq!(human.code, 1, "{}", human.stderr);
    assert!(
        human.stdout.starts_with(
            "note: the head changes `.manifest-guard.yaml`; diff runs with the base's (`HEAD~1:.manifest-guard.yaml`): the head's rules and settings apply once it is merged\n"
        ),
        "{}",
        human.stdout
    );
    let markdown = s.run(&["diff", "--base", "HEAD~1", "--format", "markdown"]);
    assert!(
        markdown
            .stdout
            .contains("> **Note:** the head changes `.manifest-guard.yaml`"),
        "{}",
        markdown.stdout
    );

    // Once merged (the base has it too), it applies, and nothing is noted.
    let merged = s.run(&["diff", "--base", "HEAD", "--format", "json"]);
    assert_eq!(merged.code, 0, "{}", merged.stderr);
    let merged = json(&merged);
    assert_eq!(
        note_of(&merged),
        (
            "base".to_string(),
            serde_json::json!("HEAD:.manifest-guard.yaml"),
            false
        )
    );
    let human = s.run(&["diff", "--base", "HEAD", "--color", "never"]);
    assert!(!human.stdout.contains("note:"), "{}", human.stdout);

    // The same with the head as a revision.
    let both = s.run(&[
        "diff", "--base", "HEAD~1", "--head", "HEAD", "--format", "json",
    ]);
    assert_eq!(both.code, 1, "{}", both.stderr);
    assert!(rules_of(&json(&both)).contains(&"stateful-rename".to_string()));
    s.assert_clean("a config change");
}

#[test]
fn a_config_only_in_the_head_is_not_applied() {
    let s = renamed_kafka();
    s.write(".manifest-guard.yaml", PERMISSIVE_CONFIG);
    let out = s.run(&["diff", "--base", "HEAD~1", "--format", "json"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let v = json(&out);
    assert!(rules_of(&v).contains(&"stateful-rename".to_string()));
    assert_eq!(
        note_of(&v),
        ("defaults".to_string(), serde_json::Value::Null, true)
    );
    let human = s.run(&["diff", "--base", "HEAD~1", "--color", "never"]);
    assert!(
        human.stdout.starts_with(
            "note: the head changes `.manifest-guard.yaml`; diff runs with the defaults (the base has none)"
        ),
        "{}",
        human.stdout
    );
    // A head config that is not even valid does not stop the diff: it is not read.
    s.write(".manifest-guard.yaml", "rules:\n  no-such-rule: off\n");
    let out = s.run(&["diff", "--base", "HEAD~1", "--format", "json"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    s.assert_clean("a config only in the head");
}

#[test]
fn a_config_flag_wins_over_the_base() {
    let s = renamed_kafka();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("reviewed.yaml");
    std::fs::write(&file, PERMISSIVE_CONFIG).expect("write");
    let file = file.to_string_lossy().into_owned();
    let out = s.run(&[
        "diff", "--base", "HEAD~1", "--config", &file, "--format", "json",
    ]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let v = json(&out);
    assert!(rules_of(&v).is_empty(), "{}", out.stdout);
    assert_eq!(
        note_of(&v),
        ("flag".to_string(), serde_json::json!(file), false)
    );
    let missing = s.run(&["diff", "--base", "HEAD~1", "--config", "nowhere.yaml"]);
    assert_eq!(missing.code, 2, "{}", missing.stdout);
}

/// `--config` naming a file of the repository (the Action's `config` input) is read as the base
/// has it, like the default file: the pull request's version of it does not apply.
#[test]
fn a_config_flag_inside_the_repository_is_read_from_the_base() {
    let s = kafka_repository();
    s.write("ci/manifest-guard.yaml", PROTECTING_CONFIG);
    s.commit("base: the reviewed config");
    s.write(
        "kafka/statefulset.yaml",
        &kafka("kafka-broker", "apache/kafka:3.7.0", "200Gi"),
    );
    s.write("ci/manifest-guard.yaml", PERMISSIVE_CONFIG);
    s.commit("head: rename kafka, and loosen the config");
    let (_, v) = diff_with_protecting_config(&s, "HEAD~1", "a config flag inside the repository");
    assert_eq!(
        note_of(&v),
        (
            "base".to_string(),
            serde_json::json!("HEAD~1:ci/manifest-guard.yaml"),
            true
        )
    );
    let human = s.run(&[
        "diff",
        "--base",
        "HEAD~1",
        "--config",
        "ci/manifest-guard.yaml",
        "--color",
        "never",
    ]);
    assert!(
        human.stdout.starts_with(
            "note: the head changes `ci/manifest-guard.yaml`; diff runs with the base's"
        ),
        "{}",
        human.stdout
    );
    s.assert_clean("a config flag inside the repository");
}

/// `diff --base BASE --config ci/manifest-guard.yaml --format json` in `s`: exit 1, with the
/// rename and the protected cluster's change found (the base's protecting config applied); the
/// run's output and its report.
fn diff_with_protecting_config(s: &Sandbox, base: &str, what: &str) -> (Output, serde_json::Value) {
    let out = s.run(&[
        "diff",
        "--base",
        base,
        "--config",
        "ci/manifest-guard.yaml",
        "--format",
        "json",
    ]);
    assert_eq!(out.code, 1, "{what}: {}\n{}", out.stdout, out.stderr);
    let v = json(&out);
    let rules = rules_of(&v);
    assert!(
        rules.contains(&"stateful-rename".to_string())
            && rules.contains(&"protected-cluster-change".to_string()),
        "{what}: {rules:?}"
    );
    (out, v)
}

/// `--config` naming a file of the repository that the working tree (the change under review)
/// turns into a link is still read as the base has it, at the path the operator named: the link
/// is not followed. (Before, the path was resolved through the link: a link out of the
/// repository was read from disk as the operator's file — its rules applied, and a link to
/// `/proc/self/environ` printed the run's environment, secrets included, in the config error —
/// and a link to a file the base does not have gave the defaults.)
#[test]
fn a_config_flag_the_head_turns_into_a_link_is_still_read_from_the_base() {
    let s = kafka_repository();
    s.write("ci/manifest-guard.yaml", PROTECTING_CONFIG);
    s.commit("base: the reviewed config");
    s.write(
        "kafka/statefulset.yaml",
        &kafka("kafka-broker", "apache/kafka:3.7.0", "200Gi"),
    );
    let outside = tempfile::tempdir().expect("tempdir");
    let permissive = outside.path().join("permissive.yaml");
    std::fs::write(&permissive, PERMISSIVE_CONFIG).expect("write");
    s.write("ci/loose.yaml", PERMISSIVE_CONFIG);
    let link = s.repo().join("ci/manifest-guard.yaml");
    let targets = [
        permissive.clone(),
        PathBuf::from("loose.yaml"),
        PathBuf::from("/proc/self/environ"),
    ];
    for target in &targets {
        std::fs::remove_file(&link).expect("remove");
        std::os::unix::fs::symlink(target, &link).expect("link");
        let (out, v) = diff_with_protecting_config(&s, "HEAD", &format!("{target:?}"));
        assert_eq!(
            note_of(&v),
            (
                "base".to_string(),
                serde_json::json!("HEAD:ci/manifest-guard.yaml"),
                true
            ),
            "{target:?}"
        );
        assert!(
            !out.stdout.contains("TMPDIR=") && !out.stderr.contains("TMPDIR="),
            "{target:?}: the environment was read: {}",
            out.stderr
        );
    }
    // The same through a link to the directory above it.
    std::fs::remove_file(&link).expect("remove");
    std::fs::rename(s.repo().join("ci"), s.repo().join("ci2")).expect("move");
    std::fs::write(s.repo().join("ci2/manifest-guard.yaml"), PERMISSIVE_CONFIG).expect("write");
    std::os::unix::fs::symlink("ci2", s.repo().join("ci")).expect("link");
    let out = s.run(&[
        "diff",
        "--base",
        "HEAD",
        "--config",
        "ci/manifest-guard.yaml",
        "--format",
        "json",
    ]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(rules_of(&json(&out)).contains(&"protected-cluster-change".to_string()));
    // A file of the repository neither side has is still a mistake (exit 2), not the defaults.
    let missing = s.run(&["diff", "--base", "HEAD", "--config", "ci/nowhere.yaml"]);
    assert_eq!(missing.code, 2, "{}", missing.stdout);
    s.assert_clean("a config flag the head links elsewhere");
}

/// The head's `.manifest-guard.yaml` is only compared with the base's, and read as `check`
/// reads the head's file for that comparison: a link is not followed. (Before, it was read
/// through the link to its end: a link to a FIFO never returned, and one to `/dev/zero` was
/// read until memory ran out.)
#[test]
fn a_head_config_linked_to_a_fifo_or_a_device_is_not_read() {
    let s = renamed_kafka();
    let outside = tempfile::tempdir().expect("tempdir");
    let fifo = outside.path().join("fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    for target in [fifo.as_path(), Path::new("/dev/zero")] {
        let link = s.repo().join(".manifest-guard.yaml");
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(target, &link).expect("link");
        let mut child = Command::new(env!("CARGO_BIN_EXE_manifest-guard"))
            .args(["diff", "--base", "HEAD~1", "--format", "json"])
            .current_dir(s.repo())
            .env("TMPDIR", s.tmp())
            .env("PATH", common::tool_path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("the binary runs");
        let start = std::time::Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait") {
                break Some(status);
            }
            if start.elapsed() > std::time::Duration::from_secs(60) {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        };
        let status = status.unwrap_or_else(|| panic!("{target:?}: still running after 60 s"));
        assert_eq!(status.code(), Some(1), "{target:?}");
    }
    s.assert_clean("a head config linked to a FIFO");
}

/// A suppression the pull request itself adds does not silence its finding: the change under
/// review does not choose the rules that judge it. A deliberate rename with its acknowledgement
/// passes the gate (the finding is a warning at most) and the reviewer sees what it silences,
/// pointed at the directive. Once merged, the base has the suppression and it silences.
#[test]
fn a_suppression_the_head_adds_is_shown_as_a_warning_not_silenced() {
    let annotated = kafka("kafka-broker", "apache/kafka:3.7.0", "200Gi").replace(
        "  name: kafka-broker\n",
        "  name: kafka-broker\n  annotations:\n    manifest-guard.dev/ignore: stateful-rename\n",
    );
    let commented = kafka("kafka-broker", "apache/kafka:3.7.0", "200Gi").replace(
        "  name: kafka-broker\n",
        "  # manifest-guard: ignore[stateful-rename]\n  name: kafka-broker\n",
    );
    for (head, by) in [(annotated, "annotation"), (commented, "comment")] {
        let s = kafka_repository();
        s.write("kafka/statefulset.yaml", &head);
        s.commit("head: a deliberate rename");
        let out = s.run(&["diff", "--base", "HEAD~1", "--format", "json"]);
        assert_eq!(
            out.code, 0,
            "a warning passes the default gate: {}",
            out.stdout
        );
        let v = json(&out);
        assert_eq!(changes(&v)[0]["kind"], "renamed", "{}", out.stdout);
        let finding = v["diagnostics"]
            .as_array()
            .and_then(|d| d.iter().find(|d| d["rule"] == "stateful-rename"))
            .unwrap_or_else(|| panic!("{by}: the rename is still reported: {}", out.stdout));
        assert_eq!(finding["severity"], "warning", "{by}: {finding}");
        assert!(
            finding["message"]
                .as_str()
                .is_some_and(|m| m.contains("that this change adds")),
            "{by}: {finding}"
        );
        assert!(
            finding["related"]
                .as_array()
                .is_some_and(|r| r.iter().any(|r| r["file"] == "kafka/statefulset.yaml")),
            "{by}: the directive is a related location: {finding}"
        );
        // Merged, the suppression is the base's: a later rename under the same annotation is
        // silenced (and counted). A comment covers the line below it, so renaming the line it
        // covers is a new suppression; the annotation covers the object.
        if by == "annotation" {
            s.write(
                "kafka/statefulset.yaml",
                &head.replace("name: kafka-broker\n", "name: kafka-broker-2\n"),
            );
            s.commit("later: another deliberate rename");
            let later = json(&s.run(&["diff", "--base", "HEAD~1", "--format", "json"]));
            assert_eq!(changes(&later)[0]["kind"], "renamed", "{later}");
            assert!(
                !rules_of(&later).contains(&"stateful-rename".to_string()),
                "{later}"
            );
            assert_eq!(
                later["summary"]["suppressed"]["stateful-rename"], 1,
                "{later}"
            );
        }
    }
}

#[test]
fn two_directories_read_the_base_directory_config() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (side, name) in [("base", "kafka"), ("head", "kafka-broker")] {
        std::fs::create_dir_all(dir.path().join(side)).expect("mkdir");
        std::fs::write(
            dir.path().join(side).join("statefulset.yaml"),
            kafka(name, "apache/kafka:3.7.0", "200Gi"),
        )
        .expect("write");
    }
    std::fs::write(
        dir.path().join("head/.manifest-guard.yaml"),
        PERMISSIVE_CONFIG,
    )
    .expect("write");
    let args = [
        "diff",
        "--base-dir",
        "base",
        "--head-dir",
        "head",
        "--format",
        "json",
    ];
    let out = run_with_tmpdir(dir.path(), dir.path(), &args);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let v = json(&out);
    // The head's config turning three rules off is reported too, at its keys (issue 11 §2).
    let (loosened, found): (Vec<String>, Vec<String>) = rules_of(&v)
        .into_iter()
        .partition(|r| r == "config-loosened");
    assert_eq!(found, ["stateful-rename"], "{}", out.stdout);
    assert_eq!(loosened.len(), 3, "{}", out.stdout);
    assert_eq!(
        note_of(&v),
        ("defaults".to_string(), serde_json::Value::Null, true)
    );
    // The base directory's config is the one used.
    std::fs::write(
        dir.path().join("base/.manifest-guard.yaml"),
        PERMISSIVE_CONFIG,
    )
    .expect("write");
    let out = run_with_tmpdir(dir.path(), dir.path(), &args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        note_of(&json(&out)),
        (
            "base".to_string(),
            serde_json::json!("base/.manifest-guard.yaml"),
            false
        )
    );
}

// ---------------------------------------------------------------------------------------------
// Renames at scale

/// 3,000 renames at once: 2,000 ConfigMaps in one namespace (one bucket; each an exact copy
/// under its new name) and 1,000 Services in 100 namespaces (each also changing its target
/// port, so they pair by similarity). Every one is found, with its own new name.
#[test]
fn thousands_of_renames_are_each_paired_with_their_new_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config_map = |name: &str, i: usize| {
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: settings\ndata:\n  tenant: \"tenant-{i}\"\n  shard: \"{}\"\n  limit: \"{}\"\n",
            i % 17,
            i * 3
        )
    };
    let service = |name: &str, ns: usize, i: usize, port: u32| {
        format!(
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: team-{ns}\nspec:\n  selector:\n    app: svc-{i}\n  ports:\n    - port: 80\n      targetPort: {port}\n"
        )
    };
    for (side, suffix, port) in [("base", "", 8080), ("head", "-v2", 8081)] {
        let root = dir.path().join(side);
        std::fs::create_dir_all(&root).expect("mkdir");
        let maps: Vec<String> = (0..2000)
            .map(|i| config_map(&format!("cm-{i}{suffix}"), i))
            .collect();
        std::fs::write(root.join("configmaps.yaml"), maps.join("---\n")).expect("write");
        for ns in 0..100 {
            let services: Vec<String> = (0..10)
                .map(|i| service(&format!("svc-{i}{suffix}"), ns, i, port))
                .collect();
            std::fs::write(root.join(format!("team-{ns}.yaml")), services.join("---\n"))
                .expect("write");
        }
    }
    let out = run_with_tmpdir(
        dir.path(),
        dir.path(),
        &[
            "diff",
            "--base-dir",
            "base",
            "--head-dir",
            "head",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let all = changes(&json(&out));
    assert_eq!(all.len(), 3000);
    for c in &all {
        let (from, to) = (
            c["renamedFrom"].as_str().unwrap_or(""),
            c["name"].as_str().unwrap_or(""),
        );
        assert_eq!(c["kind"], "renamed", "{c}");
        assert_eq!(format!("{from}-v2"), to, "{c}");
    }
    let services = all.iter().filter(|c| c["objectKind"] == "Service").count();
    assert_eq!(services, 1000);
}

#[test]
fn the_base_config_is_read_below_the_compared_path_and_must_be_valid() {
    let s = Sandbox::new();
    s.write(
        "gitops/statefulset.yaml",
        &kafka("kafka", "apache/kafka:3.7.0", "200Gi"),
    );
    s.write(
        "gitops/.manifest-guard.yaml",
        "rules:\n  stateful-rename: warning\n",
    );
    s.commit("base");
    s.write(
        "gitops/statefulset.yaml",
        &kafka("kafka-broker", "apache/kafka:3.7.0", "200Gi"),
    );
    s.write("gitops/.manifest-guard.yaml", PERMISSIVE_CONFIG);
    s.commit("head");
    // The base's `gitops/.manifest-guard.yaml` makes the finding a warning (exit 0); the head's
    // would have turned it off.
    let out = s.run(&["diff", "--base", "HEAD~1", "gitops", "--format", "json"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let v = json(&out);
    // The head's config turning three rules off is reported too, at its keys (issue 11 §2).
    let (loosened, found): (Vec<String>, Vec<String>) = rules_of(&v)
        .into_iter()
        .partition(|r| r == "config-loosened");
    assert_eq!(found, ["stateful-rename"], "{}", out.stdout);
    assert_eq!(loosened.len(), 3, "{}", out.stdout);
    let rename = v["diagnostics"]
        .as_array()
        .and_then(|ds| ds.iter().find(|d| d["rule"] == "stateful-rename"))
        .expect("stateful-rename");
    assert_eq!(rename["severity"], "warning");
    assert_eq!(
        note_of(&v),
        (
            "base".to_string(),
            serde_json::json!("HEAD~1:gitops/.manifest-guard.yaml"),
            true
        )
    );

    // An invalid base config stops the run (exit 2), named as it is in the base.
    s.write(
        "gitops/.manifest-guard.yaml",
        "rules:\n  no-such-rule: off\n",
    );
    s.commit("an invalid config");
    let out = s.run(&["diff", "--base", "HEAD", "gitops"]);
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(
        out.stderr.contains("HEAD:gitops/.manifest-guard.yaml"),
        "{}",
        out.stderr
    );

    // A link is not followed (it could point anywhere on the machine running the diff).
    std::fs::remove_file(s.repo().join("gitops/.manifest-guard.yaml")).expect("rm");
    std::os::unix::fs::symlink(
        "/etc/hostname",
        s.repo().join("gitops/.manifest-guard.yaml"),
    )
    .expect("symlink");
    s.commit("a linked config");
    let out = s.run(&["diff", "--base", "HEAD", "gitops"]);
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(
        out.stderr.contains("is not a regular file"),
        "{}",
        out.stderr
    );
    s.assert_clean("a config below the compared path");
}

// ---- issue 10 §7: `diff` on real histories ----

fn config_map(name: &str, data: &[(&str, &str)]) -> String {
    let mut text = format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n");
    for (k, v) in data {
        text.push_str(&format!("  {k}: \"{v}\"\n"));
    }
    text
}

/// `(kind, cluster, application, name)` of every change.
fn change_rows(v: &serde_json::Value) -> Vec<(String, String, String, String)> {
    changes(v)
        .iter()
        .map(|c| {
            (
                c["kind"].as_str().unwrap_or("").to_string(),
                c["cluster"].as_str().unwrap_or("").to_string(),
                c["application"].as_str().unwrap_or("").to_string(),
                c["name"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn row(kind: &str, cluster: &str, app: &str, name: &str) -> (String, String, String, String) {
    (kind.into(), cluster.into(), app.into(), name.into())
}

// Two Applications render the same directory to the same cluster and namespace: one identity,
// two owners. Retargeting one of them orphans its copy on the old cluster; comparing one copy
// per identity (the old code) kept the other Application's copy and showed nothing moving off
// `central-eu-cluster`. Argo CD tracks each resource by the Application that applied it
// (argoproj/argo-cd, controller/cache/cache.go, `isRootAppNode`/tracking via
// `argocd.argoproj.io/tracking-id` or the instance label), so each Application's copy is its own.
#[test]
fn a_retarget_of_one_of_two_applications_sharing_objects_shows_its_moves() {
    let s = Sandbox::new();
    s.write(
        "apps/a.yaml",
        &application("a", "common", "central-eu-cluster", "shared"),
    );
    s.write(
        "apps/b.yaml",
        &application("b", "common", "central-eu-cluster", "shared"),
    );
    for c in ["central-eu-cluster", "staging-eu-cluster"] {
        s.write(&format!("clusters/{c}.yaml"), &cluster_secret(c));
    }
    s.write(
        "common/settings.yaml",
        &config_map("settings", &[("a", "1")]),
    );
    s.commit("base: a and b render common/");
    s.write(
        "apps/a.yaml",
        &application("a", "common", "staging-eu-cluster", "shared"),
    );
    s.commit("head: a to staging");
    let out = s.run(&["diff", "--base", "HEAD~1", "--format", "json"]);
    let v = json(&out);
    let rows = change_rows(&v);
    assert!(
        rows.contains(&row("orphaned", "central-eu-cluster", "a", "settings")),
        "{rows:?}\n{}",
        out.stdout
    );
    assert!(
        rows.contains(&row("created", "staging-eu-cluster", "a", "settings")),
        "{rows:?}"
    );
    assert!(
        !rows.iter().any(|r| r.2 == "b"),
        "b does not change: {rows:?}"
    );
    let orphan = changes(&v)
        .into_iter()
        .find(|c| c["kind"] == "orphaned")
        .expect("the orphan");
    assert_eq!(
        orphan["sharedWith"],
        serde_json::json!(["Application `b`"]),
        "{orphan}"
    );
    let human = s.run(&["diff", "--base", "HEAD~1", "--color", "never"]);
    assert!(
        human
            .stdout
            .contains("shared: also rendered by Application `b`"),
        "{}",
        human.stdout
    );
    s.assert_clean("a shared retarget");
}

// A Kustomize base used by two Applications' overlays that render the same identities: an edit
// to the base is a change in both Applications (the old code showed it once, as one of them).
#[test]
fn an_edit_to_a_kustomize_base_shows_in_every_application_using_it() {
    let s = Sandbox::new();
    s.write(
        "apps/dev.yaml",
        &application("dev", "overlays/dev", "in-cluster", "web"),
    );
    s.write(
        "apps/prod.yaml",
        &application("prod", "overlays/prod", "in-cluster", "web"),
    );
    s.write("base/kustomization.yaml", "resources:\n  - settings.yaml\n");
    s.write(
        "base/settings.yaml",
        &config_map("settings", &[("level", "info")]),
    );
    for o in ["dev", "prod"] {
        s.write(
            &format!("overlays/{o}/kustomization.yaml"),
            "resources:\n  - ../../base\n",
        );
    }
    s.commit("base");
    s.write(
        "base/settings.yaml",
        &config_map("settings", &[("level", "debug")]),
    );
    s.commit("head: edit the base");
    let out = s.run(&["diff", "--base", "HEAD~1", "--format", "json"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let v = json(&out);
    assert_eq!(
        change_rows(&v),
        [
            row("modified", "in-cluster", "dev", "settings"),
            row("modified", "in-cluster", "prod", "settings")
        ],
        "{}",
        out.stdout
    );
    s.assert_clean("a shared base");
}

// Deleting a file no Application deploys (a note) and deleting a file of a repository without
// Applications (an error) are `crd-delete`'s named cases: fixtures/crd-delete/bad-unowned-example-file
// and fixtures/crd-delete/bad-no-applications (tests/rules.rs runs them).

// An overlay that switches its base from `base-a` to `base-b` (two standalone kustomizations,
// no Application): the overlay's objects are renamed within the overlay, and `base-a` and
// `base-b`, applied by hand, gain and lose theirs. The old code paired `base-b`'s deletion
// with `base-a`'s creation: a rename across directories.
#[test]
fn renames_stay_within_one_source() {
    let s = Sandbox::new();
    let data = [("a", "1"), ("b", "2"), ("c", "3"), ("d", "4")];
    for b in ["a", "b"] {
        s.write(
            &format!("base-{b}/kustomization.yaml"),
            "resources:\n  - settings.yaml\n",
        );
        s.write(
            &format!("base-{b}/settings.yaml"),
            &config_map(&format!("settings-{b}"), &data),
        );
    }
    s.write(
        "overlays/prod/kustomization.yaml",
        "namePrefix: prod-\nresources:\n  - ../../base-a\n",
    );
    s.commit("base");
    s.write(
        "overlays/prod/kustomization.yaml",
        "namePrefix: prod-\nresources:\n  - ../../base-b\n",
    );
    s.commit("head: the overlay uses base-b");
    let out = s.run(&["diff", "--base", "HEAD~1", "--format", "json"]);
    let v = json(&out);
    let renamed: Vec<(String, String)> = changes(&v)
        .iter()
        .filter(|c| c["kind"] == "renamed")
        .map(|c| {
            (
                c["renamedFrom"].as_str().unwrap_or("").to_string(),
                c["name"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        renamed,
        [("prod-settings-a".to_string(), "prod-settings-b".to_string())],
        "{}",
        out.stdout
    );
}

fn appset(namespace: &str) -> String {
    format!(
        "apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: web
  namespace: {namespace}
spec:
  goTemplate: true
  generators:
    - list:
        elements:
          - env: dev
          - env: prod
  template:
    metadata:
      name: 'web-{{{{.env}}}}'
    spec:
      project: default
      source:
        repoURL: {REPO_URL}
        targetRevision: main
        path: web
      destination:
        name: in-cluster
        namespace: 'web-{{{{.env}}}}'
      syncPolicy:
        automated:
          prune: true
"
    )
}

// An ApplicationSet moved to another namespace under the same name is one ApplicationSet
// moving, not a deletion, and the Applications it generates follow it (Argo CD creates them in
// the ApplicationSet's namespace: argoproj/argo-cd, applicationset/controllers/
// applicationset_controller.go, `getDesiredApplications` sets `app.Namespace =
// applicationSetInfo.Namespace`). Deleting the old one deletes its Applications with their
// resources unless `preserveResourcesOnDeletion` (docs/operator-manual/applicationset/
// Application-Deletion.md): the move says so. The old code showed a deletion and a creation.
#[test]
fn an_applicationset_moved_to_another_namespace_is_a_move() {
    let s = Sandbox::new();
    s.write("apps/web.yaml", &appset("argocd"));
    s.write("web/settings.yaml", &config_map("settings", &[("a", "1")]));
    s.commit("base");
    s.write("apps/web.yaml", &appset("argocd-apps"));
    s.commit("head: move the ApplicationSet");
    let out = s.run(&["diff", "--base", "HEAD~1", "--format", "json"]);
    let v = json(&out);
    let rows = change_rows(&v);
    assert_eq!(
        rows,
        [row("renamed", "in-cluster", "", "web")],
        "{}",
        out.stdout
    );
    let change = &changes(&v)[0];
    assert_eq!(change["renamedFromNamespace"], "argocd", "{change}");
    assert_eq!(change["namespace"], "argocd-apps", "{change}");
    let effect = change["effect"].as_str().unwrap_or("");
    assert!(
        effect.contains("`web-dev`, `web-prod` move with it"),
        "{effect}"
    );
    assert!(effect.contains("preserveResourcesOnDeletion"), "{effect}");
}

/// A Helm chart, deployed by Application `kafka`, whose StatefulSet `values.yaml` can turn off.
fn kafka_chart(s: &Sandbox, enabled: bool) {
    s.write(
        "apps/kafka.yaml",
        &application("kafka", "charts/kafka", "in-cluster", "streaming"),
    );
    s.write(
        "charts/kafka/Chart.yaml",
        "apiVersion: v2\nname: kafka\nversion: 1.0.0\n",
    );
    s.write("charts/kafka/values.yaml", &format!("enabled: {enabled}\n"));
    s.write(
        "charts/kafka/templates/statefulset.yaml",
        &format!(
            "{{{{- if .Values.enabled }}}}\n{}{{{{- end }}}}\n",
            kafka("kafka", "apache/kafka:3.7.0", "200Gi")
        ),
    );
}

// Findings on the base side of a rendered object point at the base revision's template as
// `<rev>:path`, like every other base file — not into the temporary directory the revision was
// extracted to (gone when the report is read). The old code named `…/manifest-guard-…/charts/…`.
#[test]
fn base_side_locations_of_rendered_objects_name_the_revision() {
    let s = Sandbox::new();
    kafka_chart(&s, true);
    s.commit("base");
    kafka_chart(&s, false);
    s.commit("head: turn kafka off");
    let out = s.run(&["diff", "--base", "HEAD~1", "--format", "json"]);
    let v = json(&out);
    let files: Vec<String> = positions(&v).into_iter().map(|(_, f, ..)| f).collect();
    assert!(!files.is_empty(), "{}\n{}", out.stdout, out.stderr);
    for f in &files {
        assert_eq!(
            f, "HEAD~1:charts/kafka/templates/statefulset.yaml",
            "{}",
            out.stdout
        );
    }
    let change = &changes(&v)[0];
    assert_eq!(
        change["base"]["file"], "HEAD~1:charts/kafka/templates/statefulset.yaml",
        "{change}"
    );
    for format in ["human", "markdown", "sarif", "github"] {
        let out = s.run(&[
            "diff", "--base", "HEAD~1", "--format", format, "--color", "never",
        ]);
        assert!(
            !out.stdout.contains("manifest-guard-"),
            "{format}: {}",
            out.stdout
        );
    }
    s.assert_clean("a rendered deletion");
}

// A chart whose output is random (`randAlphaNum`, as charts generate passwords): its inputs are
// the same on both sides, so the head reuses the base's render (keyed as the render cache keys
// it: tool, options, every input file — `RenderRequest::prepare`) and nothing changes. Argo CD
// caches manifests per revision and inputs the same way (argoproj/argo-cd, reposerver/repository/
// repository.go, `GenerateManifests` keyed by `manifestCacheKey`). The old code rendered each
// side anew: the Secret was `modified` in every run.
#[test]
fn unchanged_inputs_give_unchanged_output() {
    let s = Sandbox::new();
    s.write(
        "apps/db.yaml",
        &application("db", "charts/db", "in-cluster", "db"),
    );
    s.write(
        "charts/db/Chart.yaml",
        "apiVersion: v2\nname: db\nversion: 1.0.0\n",
    );
    s.write(
        "charts/db/templates/secret.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db-password\nstringData:\n  password: {{ randAlphaNum 24 | quote }}\n",
    );
    s.write(
        "apps/web.yaml",
        &application("web", "web", "in-cluster", "web"),
    );
    s.write("web/settings.yaml", &config_map("settings", &[("a", "1")]));
    s.commit("base");
    s.write("web/settings.yaml", &config_map("settings", &[("a", "2")]));
    s.commit("head: only web changes");
    for _ in 0..2 {
        let out = s.run(&["diff", "--base", "HEAD~1", "--format", "json"]);
        let v = json(&out);
        assert_eq!(
            change_rows(&v),
            [row("modified", "in-cluster", "web", "settings")],
            "{}\n{}",
            out.stdout,
            out.stderr
        );
    }
    s.assert_clean("a random chart");
}

/// An Application rendering a chart from a remote Helm repository (out of reach offline) with
/// value files from this repository (`$values/…`, argoproj/argo-cd docs/user-guide/
/// multiple_sources.md "Helm value files from external Git repository").
fn remote_chart_app() -> String {
    format!(
        "apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: redis
  namespace: argocd
spec:
  project: default
  sources:
    - repoURL: https://charts.bitnami.com/bitnami
      chart: redis
      targetRevision: 19.0.0
      helm:
        valueFiles:
          - $values/values/redis.yaml
    - repoURL: {REPO_URL}
      targetRevision: main
      ref: values
  destination:
    name: in-cluster
    namespace: redis
"
    )
}

// A commit that changes only the value file of a chart that cannot be rendered offline: the
// old code printed "No object changes" and said nothing of it. Listed in every format, with
// where the source is written and why it was not rendered; a commit that leaves its inputs
// alone lists nothing.
#[test]
fn a_changed_source_that_cannot_be_rendered_is_listed() {
    let s = Sandbox::new();
    s.write("apps/redis.yaml", &remote_chart_app());
    s.write("values/redis.yaml", "replicas: 1\n");
    s.write("web/settings.yaml", &config_map("settings", &[("a", "1")]));
    s.commit("base");
    s.write("values/redis.yaml", "replicas: 3\n");
    s.commit("head: more replicas");
    let out = s.run(&["diff", "--base", "HEAD~1", "--format", "json"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let v = json(&out);
    let listed = v["unrendered"].as_array().cloned().unwrap_or_default();
    assert_eq!(listed.len(), 1, "{}", out.stdout);
    let u = &listed[0];
    assert_eq!(u["application"], "redis", "{u}");
    assert_eq!(u["notRenderedOn"], "both", "{u}");
    assert_eq!(u["file"], "apps/redis.yaml", "{u}");
    assert!(
        u["reason"]
            .as_str()
            .unwrap_or("")
            .contains("not available offline"),
        "{u}"
    );
    let human = s.run(&["diff", "--base", "HEAD~1", "--color", "never"]);
    assert!(
        human.stdout.contains("No object changes among the sources that could be rendered; 1 changed source could not be rendered")
            && human.stdout.contains("Changed but not rendered")
            && human.stdout.contains("Application `redis`, source chart `redis`"),
        "{}",
        human.stdout
    );
    let md = s.run(&["diff", "--base", "HEAD~1", "--format", "markdown"]);
    assert!(
        md.stdout.contains("### Changed but not rendered"),
        "{}",
        md.stdout
    );

    // Another commit that leaves the chart's inputs alone: nothing listed.
    s.write("web/settings.yaml", &config_map("settings", &[("a", "2")]));
    s.commit("head: web only");
    let out = s.run(&["diff", "--base", "HEAD~1", "--format", "json"]);
    let v = json(&out);
    assert_eq!(v["unrendered"], serde_json::json!([]), "{}", out.stdout);
    assert_eq!(change_rows(&v).len(), 1, "{}", out.stdout);
    s.assert_clean("an unrendered source");
}

// ---- issue 12: the base read from git's objects ----

/// The base revision is the blobs git stores, whatever the repository's `.gitattributes` asks
/// of an archive: `export-ignore` once hid a file from the base (so an unchanged object showed
/// as created) and `export-subst` rewrote `$Format:…$` in another (so an unchanged object
/// showed as modified). Read from the objects (`git cat-file --batch`), nothing changed.
#[test]
fn the_base_is_the_blobs_whatever_gitattributes_says() {
    let s = kafka_repository();
    s.write(
        ".gitattributes",
        "kafka/hidden.yaml export-ignore\nkafka/stamped.yaml export-subst\n* text eol=crlf\n",
    );
    s.write("kafka/hidden.yaml", &config_map("hidden", &[("a", "1")]));
    s.write(
        "kafka/stamped.yaml",
        &config_map("stamped", &[("commit", "$Format:%H$")]),
    );
    s.commit("attributes");
    s.write("README.md", "a change no manifest sees\n");
    s.commit("head: a README");
    let out = s.run(&["diff", "--base", "HEAD~1", "--format", "json"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let v = json(&out);
    assert_eq!(
        changes(&v),
        Vec::<serde_json::Value>::new(),
        "{}",
        out.stdout
    );
    s.assert_clean("a base with .gitattributes");
}

/// A link committed in the base is written as a link and never followed by the extraction:
/// one to a directory outside the repository, one to a file outside it, and a file of the same
/// directory, all unchanged in the head, give no change; a submodule is an empty directory; a
/// blob at several paths (files, a file and a link) is written to each.
#[test]
fn links_in_the_base_are_links_and_lead_nowhere() {
    let s = kafka_repository();
    std::os::unix::fs::symlink("/etc", s.repo().join("kafka/etc")).expect("symlink");
    std::os::unix::fs::symlink("/etc/hostname", s.repo().join("kafka/host.yaml")).expect("symlink");
    s.write("kafka/more.yaml", &config_map("more", &[("a", "1")]));
    // One blob at several paths (read from git once, written to each): two files with the
    // same bytes, and a file holding what the link `host.yaml` holds.
    s.write(
        "kafka/more-copy/more.yaml",
        &config_map("more", &[("a", "1")]),
    );
    s.write("kafka/target.txt", "/etc/hostname");
    s.commit("links");
    // A submodule entry (a gitlink), as `git submodule add` leaves it in the index.
    let head = s.git(&["rev-parse", "HEAD"]);
    s.git(&[
        "update-index",
        "--add",
        "--cacheinfo",
        &format!("160000,{},vendor/sub", head.trim()),
    ]);
    s.git(&["commit", "--quiet", "--message", "a submodule"]);
    s.write("README.md", "a change no manifest sees\n");
    s.commit("head: a README");
    let out = s.run(&["diff", "--base", "HEAD~1", "--format", "json"]);
    assert!(out.code <= 1, "{}{}", out.stdout, out.stderr);
    let v = json(&out);
    assert_eq!(
        changes(&v),
        Vec::<serde_json::Value>::new(),
        "{}",
        out.stdout
    );
    s.assert_clean("a base with links");
}

/// `TMPDIR` inside the checkout (`tmp/` below the compared directory): the base's directories
/// are made there, and the head's walk of the working tree must never meet them. Here an
/// ApplicationSet generates an Application per directory of `tmp/`: the head holds exactly the
/// one the tree has, on every run. (When the base's directories were made while the head's
/// files were read, the walk met the extraction `manifest-guard-<pid>-…` in about half the
/// runs, and the head gained an Application named after it.)
#[test]
fn a_tmpdir_inside_the_checkout_is_not_read_as_the_head() {
    let s = Sandbox::new();
    s.write("tmp/kept/cm.yaml", &config_map("kept", &[("a", "1")]));
    s.write(
        "appset.yaml",
        &format!(
            "apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: per-dir
  namespace: argocd
spec:
  goTemplate: true
  generators:
  - git:
      repoURL: {REPO_URL}
      revision: HEAD
      directories:
      - path: 'tmp/*'
  template:
    metadata:
      name: 'dir-{{{{.path.basename}}}}'
    spec:
      project: default
      source:
        repoURL: {REPO_URL}
        path: '{{{{.path.path}}}}'
      destination:
        name: in-cluster
        namespace: dirs
"
        ),
    );
    for i in 0..100 {
        s.write(&format!("bulk/d{i:03}/cm.yaml"), &config_map("bulk", &[]));
    }
    s.commit("base");
    s.write("tmp/kept/cm.yaml", &config_map("kept", &[("a", "2")]));
    let tmp = s.repo().join("tmp");
    for _ in 0..8 {
        let out = run_with_tmpdir(
            &s.repo(),
            &tmp,
            &["diff", "--base", "HEAD", "--format", "json"],
        );
        assert!(out.code <= 1, "{}{}", out.stdout, out.stderr);
        let v = json(&out);
        assert_eq!(v["summary"]["applications"], 1, "{}", out.stdout);
        assert_eq!(
            change_rows(&v),
            [row("modified", "in-cluster", "dir-kept", "kept")],
            "{}",
            out.stdout
        );
    }
}
