//! Edge cases of the autoscaling and health-check rules (issue 13) that the one bad and one
//! good fixture per rule do not show: how Argo CD matches `ignoreDifferences`, when a namespace
//! counts as known, which metrics read CPU requests, and the options the rules read. Each case
//! is a small tree written to a temporary directory and checked with the real binary.

mod common;

use common::{json, positions, run_in};

/// Writes `files` (path, text) under a fresh temporary directory, runs `check . --select rule`
/// there and returns the findings' (file, line).
fn findings(rule: &str, files: &[(&str, &str)]) -> Vec<(String, u64)> {
    let dir = tempfile::tempdir().expect("tempdir");
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    let out = run_in(
        dir.path(),
        &["check", ".", "--select", rule, "--format", "json"],
    );
    positions(&json(&out))
        .into_iter()
        .filter(|(r, ..)| r == rule)
        .map(|(_, file, line, _)| (file, line))
        .collect()
}

const CONFIG: (&str, &str) = (
    ".manifest-guard.yaml",
    "repositories:\n  - url: https://git.example.com/shop/gitops.git\n    path: .\n",
);

/// An Application deploying `web/` to namespace `web`, with extra lines under `spec:`.
fn app(spec_extra: &str) -> String {
    format!(
        "apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://git.example.com/shop/gitops.git
    path: web
  destination:
    name: in-cluster
    namespace: web
{spec_extra}"
    )
}

const AUTOMATED: &str = "  syncPolicy:
    automated:
      selfHeal: true
";

const RESPECT: &str = "    syncOptions:
      - RespectIgnoreDifferences=true
";

const DEPLOYMENT_WITH_REPLICAS: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: registry.example.com/web:1.0.0
          resources:
            requests:
              cpu: 100m
";

const HPA: &str = "apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: web
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: web
  minReplicas: 2
  maxReplicas: 10
";

fn replicas_conflict(spec_extra: &str) -> Vec<(String, u64)> {
    findings(
        "hpa-replicas-conflict",
        &[
            CONFIG,
            ("apps/web.yaml", &app(spec_extra)),
            ("web/deployment.yaml", DEPLOYMENT_WITH_REPLICAS),
            ("web/hpa.yaml", HPA),
        ],
    )
}

/// Argo CD matches an `ignoreDifferences` entry to a resource in `ignoreNormalizer.Normalize`
/// (argoproj/argo-cd, util/argo/normalizers/diff_normalizer.go): `glob.Match` (util/glob,
/// gobwas/glob) on group and on kind, so `*` matches any; `name` and `namespace` only when set,
/// and then equal. The sync keeps live values only with `RespectIgnoreDifferences=true`
/// (controller/sync.go, `normalizeTargetResources`, called when
/// `syncOp.SyncOptions.HasOption("RespectIgnoreDifferences=true")`).
#[test]
fn ignore_differences_match_as_argo_cd_matches_them() {
    let wildcard = format!(
        "{AUTOMATED}{RESPECT}  ignoreDifferences:\n    - group: \"*\"\n      kind: \"*\"\n      jsonPointers:\n        - /spec/replicas\n"
    );
    assert_eq!(
        replicas_conflict(&wildcard),
        vec![],
        "`*` matches apps/Deployment"
    );

    let named = format!(
        "{AUTOMATED}{RESPECT}  ignoreDifferences:\n    - group: apps\n      kind: Deployment\n      name: web\n      namespace: web\n      jsonPointers:\n        - /spec\n"
    );
    assert_eq!(
        replicas_conflict(&named),
        vec![],
        "a parent pointer removes replicas too"
    );

    let other_name = format!(
        "{AUTOMATED}{RESPECT}  ignoreDifferences:\n    - group: apps\n      kind: Deployment\n      name: api\n      jsonPointers:\n        - /spec/replicas\n"
    );
    assert_eq!(
        replicas_conflict(&other_name),
        vec![("web/deployment.yaml".to_string(), 6)],
        "an entry for another name does not cover this one"
    );

    let wrong_group = format!(
        "{AUTOMATED}{RESPECT}  ignoreDifferences:\n    - kind: Deployment\n      jsonPointers:\n        - /spec/replicas\n"
    );
    assert_eq!(
        replicas_conflict(&wrong_group).len(),
        1,
        "no group is the core group, not `apps`"
    );

    // managedFieldsManagers only changes the comparison; the sync keeps what JSON pointers and
    // jq paths remove.
    let managers = format!(
        "{AUTOMATED}{RESPECT}  ignoreDifferences:\n    - group: apps\n      kind: Deployment\n      managedFieldsManagers:\n        - kube-controller-manager\n"
    );
    assert_eq!(replicas_conflict(&managers).len(), 1);

    // A person starts each sync: not this rule's case.
    assert_eq!(replicas_conflict(""), vec![]);
}

/// The HPA's namespace is not known in full when another Application deploying there was not
/// rendered (here, a chart from a repository that is not available offline): its Deployment may
/// well be in that chart. The same Application aimed at another namespace leaves this one known.
#[test]
fn target_missing_is_silent_when_the_namespace_is_not_all_rendered() {
    let hpa_app = app("");
    let chart_app = |namespace: &str| {
        format!(
            "apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web-chart
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://charts.example.com/stable
    chart: web
    targetRevision: 1.2.3
  destination:
    name: in-cluster
    namespace: {namespace}
"
        )
    };
    let run = |namespace: &str| {
        findings(
            "hpa-target-missing",
            &[
                CONFIG,
                ("apps/web.yaml", &hpa_app),
                ("apps/web-chart.yaml", &chart_app(namespace)),
                ("web/hpa.yaml", HPA),
            ],
        )
    };
    assert_eq!(run("web"), vec![]);
    assert_eq!(run("other"), vec![("web/hpa.yaml".to_string(), 9)]);
}

fn deployment(containers: &str) -> String {
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
{containers}"
    )
}

fn cpu(hpa: &str, containers: &str) -> Vec<(String, u64)> {
    findings(
        "hpa-cpu-without-requests",
        &[
            ("web/deployment.yaml", &deployment(containers)),
            ("web/hpa.yaml", hpa),
        ],
    )
}

/// Which containers a CPU metric reads: every container for a `Resource` metric, the named one
/// for `ContainerResource`; a CPU limit is a request (the API server defaults the request to
/// it); `autoscaling/v2` without `metrics` defaults to 80% CPU utilization (the v2 API's
/// `HorizontalPodAutoscalerSpec.metrics`: "If not set, the default metric will be set to 80%
/// average CPU utilization"), and an `AverageValue` target needs no request.
#[test]
fn cpu_metrics_read_the_requests_they_divide_by() {
    let app_with_request = "        - name: app
          image: registry.example.com/web:1.0.0
          resources:
            requests:
              cpu: 100m
";
    let sidecar_without = "        - name: proxy
          image: registry.example.com/proxy:1.0.0
";
    let sidecar_with_limit = "        - name: proxy
          image: registry.example.com/proxy:1.0.0
          resources:
            limits:
              cpu: 200m
";
    let metric = |body: &str| format!("{HPA}  metrics:\n{body}");
    let resource = metric(
        "    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: 70
",
    );
    let container_resource = metric(
        "    - type: ContainerResource
      containerResource:
        name: cpu
        container: app
        target:
          type: Utilization
          averageUtilization: 70
",
    );
    let average_value = metric(
        "    - type: Resource
      resource:
        name: cpu
        target:
          type: AverageValue
          averageValue: 500m
",
    );
    let both = format!("{app_with_request}{sidecar_without}");
    assert_eq!(
        cpu(&resource, &both),
        vec![("web/hpa.yaml".to_string(), 15)]
    );
    assert_eq!(cpu(&container_resource, &both), vec![]);
    assert_eq!(cpu(&average_value, &both), vec![]);
    assert_eq!(
        cpu(
            &resource,
            &format!("{app_with_request}{sidecar_with_limit}")
        ),
        vec![]
    );
    assert_eq!(cpu(HPA, &both), vec![("web/hpa.yaml".to_string(), 4)]);
}

/// `slow-start-seconds` under `options:` is the threshold; the default is 60.
#[test]
fn slow_start_threshold_is_an_option() {
    let pod = "apiVersion: v1
kind: Pod
metadata:
  name: search
spec:
  containers:
    - name: search
      image: registry.example.com/search:1.0.0
      livenessProbe:
        tcpSocket:
          port: 9200
        initialDelaySeconds: 90
";
    let with = |config: &str| {
        let mut files = vec![("pod.yaml", pod)];
        if !config.is_empty() {
            files.push((".manifest-guard.yaml", config));
        }
        findings("liveness-without-startup", &files)
    };
    assert_eq!(with(""), vec![("pod.yaml".to_string(), 12)]);
    assert_eq!(with("options:\n  slow-start-seconds: 120\n"), vec![]);
}

/// The probes are compared as the kubelet runs them: `8080` and `"8080"` are one port, a
/// missing `path` is `/`; and what decides which probe acts first is failureThreshold ×
/// periodSeconds (defaults 3 and 10), not failureThreshold alone.
#[test]
fn probes_compare_by_what_they_check_and_when_they_act() {
    let pod = |liveness: &str, readiness: &str| {
        format!(
            "apiVersion: v1
kind: Pod
metadata:
  name: api
spec:
  containers:
    - name: api
      image: registry.example.com/api:1.0.0
      livenessProbe:
{liveness}      readinessProbe:
{readiness}"
        )
    };
    let check = |liveness: &str, readiness: &str| {
        findings(
            "liveness-equals-readiness",
            &[("pod.yaml", &pod(liveness, readiness))],
        )
    };
    let root_number = "        httpGet:\n          port: 8080\n";
    let root_text = "        httpGet:\n          path: /\n          port: \"8080\"\n";
    assert_eq!(check(root_number, root_text).len(), 1);
    let patient = "        httpGet:\n          port: 8080\n        periodSeconds: 30\n";
    let eager_threshold = "        httpGet:\n          port: 8080\n        failureThreshold: 5\n";
    // Liveness acts after 90s, readiness after 50s: readiness drains first.
    assert_eq!(check(patient, eager_threshold), vec![]);
    // A higher failureThreshold with a shorter period acts sooner: 4 × 5s < 3 × 10s.
    let hasty = "        httpGet:\n          port: 8080\n        failureThreshold: 4\n        periodSeconds: 5\n";
    assert_eq!(check(hasty, root_number).len(), 1);
    let other_path = "        httpGet:\n          path: /livez\n          port: 8080\n";
    assert_eq!(check(other_path, root_number), vec![]);
}
