//! The availability rules (issue 13, "quorum and disruptions") on small trees written in a
//! temporary directory: Kubernetes' arithmetic and selector semantics, pinned case by case
//! against the Kubernetes source each follows, and the cases where a rule must stay silent
//! because the pods it would reason about are not in view.

mod common;

use common::{json, run_in, write};

/// A StatefulSet `name` in `ns` with `replicas` (none: the field left out) and pod labels
/// `labels`, spread over nodes so that only the budget rules speak, whose members find each
/// other by name (`PEERS: name-0.name,…`), as a quorum system's do.
fn statefulset(name: &str, ns: &str, replicas: Option<u64>, labels: &[(&str, &str)]) -> String {
    let peers: Vec<String> = (0..replicas.unwrap_or(1))
        .map(|i| format!("{name}-{i}.{name}"))
        .collect();
    let peers = peers.join(",");
    let replicas = replicas.map_or_else(String::new, |n| format!("\n  replicas: {n}"));
    let pod: String = labels
        .iter()
        .map(|(k, v)| format!("\n        {k}: {v}"))
        .collect();
    let sel: String = labels
        .iter()
        .map(|(k, v)| format!("\n      {k}: {v}"))
        .collect();
    let anti: String = labels
        .iter()
        .map(|(k, v)| format!("\n                  {k}: {v}"))
        .collect();
    format!(
        "apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: {name}
  namespace: {ns}
spec:
  serviceName: {name}{replicas}
  selector:
    matchLabels:{sel}
  template:
    metadata:
      labels:{pod}
    spec:
      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            - topologyKey: kubernetes.io/hostname
              labelSelector:
                matchLabels:{anti}
      containers:
        - name: {name}
          image: registry.example.com/{name}:1.0.0
          env:
            - name: PEERS
              value: {peers}
"
    )
}

/// A PodDisruptionBudget: `limit` is its `maxUnavailable:`/`minAvailable:` line (or empty),
/// `selector` the YAML under `spec.selector` at two spaces (`None`: no selector at all).
fn budget(api: &str, name: &str, ns: &str, limit: &str, selector: Option<&str>) -> String {
    let selector = selector.map_or_else(String::new, |s| {
        let body: String = s.lines().map(|l| format!("\n    {l}")).collect();
        format!("\n  selector:{body}")
    });
    format!(
        "apiVersion: {api}
kind: PodDisruptionBudget
metadata:
  name: {name}
  namespace: {ns}
spec:
  {limit}{selector}
"
    )
}

/// `(rule, file, line, message, cluster)` of what `rule` finds in a tree of `files`.
fn findings(files: &[(&str, String)], rule: &str) -> Vec<(String, String, u64, String, String)> {
    let dir = tempfile::tempdir().expect("tempdir");
    for (path, text) in files {
        write(dir.path(), path, text);
    }
    let out = run_in(
        dir.path(),
        &["check", ".", "--select", rule, "--format", "json"],
    );
    let v = json(&out);
    v["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| {
            (
                d["rule"].as_str().unwrap_or("").to_string(),
                d["file"].as_str().unwrap_or("").to_string(),
                d["line"].as_u64().unwrap_or(0),
                d["message"].as_str().unwrap_or("").to_string(),
                d["object"]["cluster"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn zk(replicas: Option<u64>) -> (&'static str, String) {
    (
        "kafka/statefulset.yaml",
        statefulset("zookeeper", "kafka", replicas, &[("app", "zookeeper")]),
    )
}

fn zk_budget(limit: &str) -> (&'static str, String) {
    (
        "kafka/pdb.yaml",
        budget(
            "policy/v1",
            "zookeeper",
            "kafka",
            limit,
            Some("matchLabels:\n  app: zookeeper"),
        ),
    )
}

/// Percentages round UP, for `maxUnavailable` and `minAvailable` alike. Kubernetes
/// `pkg/controller/disruption/disruption.go`, `getExpectedPodCount`: `maxUnavailable` (read
/// first) and a string `minAvailable` go through
/// `intstr.GetScaledValueFromIntOrPercent(value, expectedCount, true)` — `true` is roundUp —
/// with `expectedCount` from `getExpectedScale`, the sum of the selected controllers' scale.
#[test]
fn budget_percentages_round_up_as_the_disruption_controller_does() {
    let unsafe_at = |replicas: u64, limit: &str| {
        !findings(&[zk(Some(replicas)), zk_budget(limit)], "pdb-quorum-unsafe").is_empty()
    };
    // 34% of 3 = 1.02, rounded up to 2: two of three members may go. Rounding down says 1.
    assert!(unsafe_at(3, "maxUnavailable: \"34%\""));
    // 33% of 3 = 0.99, rounded up to 1: the quorum of 2 holds.
    assert!(!unsafe_at(3, "maxUnavailable: 33%"));
    // minAvailable 59% of 5 = 2.95, rounded up to 3 = the quorum: safe. Rounding down says 2.
    assert!(!unsafe_at(5, "minAvailable: 59%"));
    // minAvailable 40% of 5 = 2: three may go.
    assert!(unsafe_at(5, "minAvailable: 40%"));
    // Integers: ⌊(n−1)/2⌋ may go, ⌊n/2⌋+1 must stay.
    assert!(!unsafe_at(5, "maxUnavailable: 2"));
    assert!(unsafe_at(5, "maxUnavailable: 3"));
    assert!(!unsafe_at(4, "minAvailable: 3"));
    assert!(unsafe_at(4, "minAvailable: 2"));
    // `replicas` unset is 1: below the quorum floor, nothing to say.
    assert!(!unsafe_at_unset());

    fn unsafe_at_unset() -> bool {
        !findings(
            &[zk(None), zk_budget("maxUnavailable: 1")],
            "pdb-quorum-unsafe",
        )
        .is_empty()
    }
}

/// The finding names the StatefulSet, its replicas and its quorum, at the budget's value.
#[test]
fn pdb_quorum_unsafe_points_at_the_value_and_names_the_quorum() {
    let found = findings(
        &[zk(Some(5)), zk_budget("maxUnavailable: 50%")],
        "pdb-quorum-unsafe",
    );
    assert_eq!(found.len(), 1, "{found:#?}");
    let (_, file, line, message, _) = &found[0];
    assert_eq!((file.as_str(), *line), ("kafka/pdb.yaml", 7));
    assert!(
        message.contains("`maxUnavailable: 50%` of 5 pods rounds up to 3")
            && message.contains("StatefulSet `zookeeper`")
            && message.contains("5 replicas need 3 up (at most 2 down)"),
        "{message}"
    );
}

/// Selectors as `metav1.LabelSelectorAsSelector` (k8s.io/apimachinery
/// `pkg/apis/meta/v1/helpers.go`) builds them and `labels.Requirement.Matches`
/// (`pkg/labels/selector.go`) applies them: a nil selector is `labels.Nothing()`, one with no
/// requirement `labels.Everything()`; `NotIn` and `DoesNotExist` hold for a missing label.
#[test]
fn label_selectors_match_as_kubernetes_matches_them() {
    let labels = [("app", "zookeeper"), ("tier", "quorum")];
    let protected = |api: &str, selector: Option<&str>| {
        let files = [
            (
                "kafka/statefulset.yaml",
                statefulset("zookeeper", "kafka", Some(3), &labels),
            ),
            (
                "kafka/pdb.yaml",
                budget(api, "zookeeper", "kafka", "minAvailable: 2", selector),
            ),
        ];
        findings(&files, "quorum-pdb-missing").is_empty()
    };
    let v1 = "policy/v1";
    assert!(protected(v1, Some("matchLabels:\n  app: zookeeper")));
    assert!(!protected(
        v1,
        Some("matchLabels:\n  app: zookeeper\n  tier: data")
    ));
    assert!(protected(
        v1,
        Some("matchExpressions:\n  - key: app\n    operator: In\n    values: [kafka, zookeeper]")
    ));
    assert!(!protected(
        v1,
        Some("matchExpressions:\n  - key: app\n    operator: NotIn\n    values: [zookeeper]")
    ));
    // NotIn on a label the pods do not carry holds.
    assert!(protected(
        v1,
        Some("matchExpressions:\n  - key: release\n    operator: NotIn\n    values: [canary]")
    ));
    assert!(protected(
        v1,
        Some("matchExpressions:\n  - key: tier\n    operator: Exists")
    ));
    assert!(!protected(
        v1,
        Some("matchExpressions:\n  - key: tier\n    operator: DoesNotExist")
    ));
    assert!(protected(
        v1,
        Some("matchExpressions:\n  - key: canary\n    operator: DoesNotExist")
    ));
    // matchLabels and matchExpressions are ANDed.
    assert!(!protected(
        v1,
        Some(
            "matchLabels:\n  app: zookeeper\nmatchExpressions:\n  - key: tier\n    operator: In\n    values: [data]"
        )
    ));
    // policy/v1: `{}` selects every pod of the namespace; no selector selects none.
    assert!(protected(v1, Some("{}")));
    assert!(!protected(v1, None));
    // policy/v1beta1 gave `{}` the opposite meaning: no pod (Kubernetes, "Specifying a
    // Disruption Budget for your Application": "An empty selector in policy/v1beta1 matches zero
    // pods").
    assert!(!protected("policy/v1beta1", Some("{}")));
}

/// `options: quorum-replicas` in `.manifest-guard.yaml` is the floor every quorum rule reads.
#[test]
fn the_quorum_floor_is_the_configured_option() {
    let config = (
        ".manifest-guard.yaml",
        "options:\n  quorum-replicas: 5\n".to_string(),
    );
    for rule in ["quorum-pdb-missing", "quorum-spread-missing"] {
        let three = statefulset("zookeeper", "kafka", Some(3), &[("app", "zookeeper")])
            .replace("      affinity:\n", "      affinityx:\n");
        let five = statefulset("etcd", "etcd", Some(5), &[("app", "etcd")])
            .replace("      affinity:\n", "      affinityx:\n");
        let files = [
            config.clone(),
            ("kafka/statefulset.yaml", three),
            ("etcd/statefulset.yaml", five),
        ];
        let found = findings(&files, rule);
        let files: Vec<&str> = found.iter().map(|f| f.1.as_str()).collect();
        assert_eq!(files, ["etcd/statefulset.yaml"], "{rule}: {found:#?}");
    }
}

/// A budget counts for pods of its own cluster only: two Applications deploy one StatefulSet
/// to two clusters, and only one of them also deploys its budget.
#[test]
fn a_budget_protects_its_own_cluster_only() {
    let app = |name: &str, path: &str, cluster: &str| {
        format!(
            "apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {name}
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://git.example.com/platform/gitops.git
    targetRevision: main
    path: {path}
  destination:
    name: {cluster}
    namespace: kafka
"
        )
    };
    let files = [
        (
            ".manifest-guard.yaml",
            "repositories:
  - url: https://git.example.com/platform/gitops.git
    path: .
clusters:
  - name: production
    server: https://production.example.com
  - name: staging
    server: https://staging.example.com
"
            .to_string(),
        ),
        (
            "apps/zookeeper-production.yaml",
            app("zk-production", "zookeeper", "production"),
        ),
        (
            "apps/zookeeper-staging.yaml",
            app("zk-staging", "zookeeper", "staging"),
        ),
        (
            "apps/budgets-production.yaml",
            app("budgets-production", "budgets", "production"),
        ),
        (
            "zookeeper/statefulset.yaml",
            statefulset("zookeeper", "kafka", Some(3), &[("app", "zookeeper")]),
        ),
        (
            "budgets/pdb.yaml",
            budget(
                "policy/v1",
                "zookeeper",
                "kafka",
                "minAvailable: 2",
                Some("matchLabels:\n  app: zookeeper"),
            ),
        ),
    ];
    let found = findings(&files, "quorum-pdb-missing");
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].4, "staging", "{found:#?}");
}

/// With a HorizontalPodAutoscaler, the count a budget must leave room in is its `minReplicas`;
/// and a Deployment without `replicas` runs 1.
#[test]
fn pdb_blocks_eviction_counts_the_autoscaler_floor_and_the_default_replica() {
    let deployment = |replicas: &str| {
        format!(
            "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: payments
spec:{replicas}
  selector:
    matchLabels:
      app: api
  template:
    metadata:
      labels:
        app: api
    spec:
      containers:
        - name: api
          image: registry.example.com/api:1.0.0
"
        )
    };
    let hpa = |min: u64| {
        format!(
            "apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: api
  namespace: payments
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: api
  minReplicas: {min}
  maxReplicas: 10
"
        )
    };
    let pdb = budget(
        "policy/v1",
        "api",
        "payments",
        "minAvailable: 2",
        Some("matchLabels:\n  app: api"),
    );
    let blocks = |files: Vec<(&str, String)>| !findings(&files, "pdb-blocks-eviction").is_empty();
    // replicas 4: two may go.
    assert!(!blocks(vec![
        ("payments/deployment.yaml", deployment("\n  replicas: 4")),
        ("payments/pdb.yaml", pdb.clone()),
    ]));
    // replicas 4, but the autoscaler may shrink it to 2, and then none may go.
    assert!(blocks(vec![
        ("payments/deployment.yaml", deployment("\n  replicas: 4")),
        ("payments/hpa.yaml", hpa(2)),
        ("payments/pdb.yaml", pdb.clone()),
    ]));
    assert!(!blocks(vec![
        ("payments/deployment.yaml", deployment("")),
        ("payments/hpa.yaml", hpa(3)),
        ("payments/pdb.yaml", pdb.clone()),
    ]));
    // No replicas and no autoscaler: 1 pod, and `minAvailable: 2` keeps it forever.
    assert!(blocks(vec![
        ("payments/deployment.yaml", deployment("")),
        ("payments/pdb.yaml", pdb.clone()),
    ]));
}

/// `pdb-selects-nothing` speaks only when every pod of the namespace is in view: not when the
/// namespace holds no workload (the pods are deployed from elsewhere), nor when it holds a
/// custom resource an operator may turn into pods.
#[test]
fn pdb_selects_nothing_is_silent_when_the_pods_may_come_from_elsewhere() {
    let pdb = (
        "kafka/pdb.yaml",
        budget(
            "policy/v1",
            "kafka-brokers",
            "kafka",
            "maxUnavailable: 1",
            Some("matchLabels:\n  strimzi.io/name: main-kafka"),
        ),
    );
    // Alone in its namespace.
    assert!(findings(std::slice::from_ref(&pdb), "pdb-selects-nothing").is_empty());
    // Next to a workload it does not select: a mistake.
    let with_zk = [pdb.clone(), zk(Some(3))];
    assert_eq!(findings(&with_zk, "pdb-selects-nothing").len(), 1);
    // The same, with the Kafka custom resource whose operator runs the brokers.
    let kafka = (
        "kafka/kafka.yaml",
        "apiVersion: kafka.strimzi.io/v1beta2
kind: Kafka
metadata:
  name: main
  namespace: kafka
spec:
  kafka:
    replicas: 3
"
        .to_string(),
    );
    assert!(findings(&[pdb, zk(Some(3)), kafka], "pdb-selects-nothing").is_empty());
}

/// A StatefulSet is a quorum system when its pods name their own members (`<name>-N`) in an
/// argument, command or environment value, or in a ConfigMap they mount; one that never does (a
/// web server with a per-pod volume, kubernetes/examples' vSphere `web`) or that names only its
/// headless Service (a read replica reaching its primary through it) has no majority to lose.
#[test]
fn only_statefulsets_that_name_their_members_are_quorum_systems() {
    let web = |extra: &str| {
        format!(
            "apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
  namespace: web
spec:
  serviceName: nginx
  replicas: 14
  selector:
    matchLabels:
      app: nginx
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
        - name: nginx
          image: registry.k8s.io/nginx-slim:0.8{extra}
"
        )
    };
    let config_map = (
        "web/peers.yaml",
        "apiVersion: v1
kind: ConfigMap
metadata:
  name: peers
  namespace: web
data:
  sentinel.conf: |
    sentinel monitor main web-0.nginx.web.svc 6379 2
"
        .to_string(),
    );
    let not_quorum = [
        "",
        // A label that only starts like a member's name is not one.
        "\n          args: [\"--cache=web-cache\"]",
        // The headless Service alone, or another StatefulSet's member through it.
        "\n          env:\n            - name: PRIMARY\n              value: db-0.nginx.web.svc",
        "\n          env:\n            - name: SEEDS\n              value: nginx",
    ];
    let quorum = [
        "\n          args: [\"--join=web-0.nginx.web.svc:26257\"]",
        "\n          command: [\"/bin/run\", \"--peers\", \"http://web-{0...13}.nginx/data\"]",
        "\n          env:\n            - name: SEEDS\n              value: web-0.nginx",
    ];
    let mounted = "\n          volumeMounts:\n            - name: conf\n              mountPath: /conf\n      volumes:\n        - name: conf\n          configMap:\n            name: peers";
    for rule in ["quorum-pdb-missing", "quorum-spread-missing"] {
        for extra in not_quorum {
            let files = [("web/statefulset.yaml", web(extra))];
            assert!(findings(&files, rule).is_empty(), "{rule}: {extra}");
        }
        for extra in quorum {
            let files = [("web/statefulset.yaml", web(extra))];
            assert_eq!(findings(&files, rule).len(), 1, "{rule}: {extra}");
        }
        // Peers in a mounted ConfigMap (Redis Sentinel's `sentinel monitor`): a quorum; the same
        // ConfigMap not mounted: not.
        let files = [("web/statefulset.yaml", web(mounted)), config_map.clone()];
        assert_eq!(findings(&files, rule).len(), 1, "{rule}: mounted");
        let files = [("web/statefulset.yaml", web("")), config_map.clone()];
        assert!(findings(&files, rule).is_empty(), "{rule}: not mounted");
    }
}
