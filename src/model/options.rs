//! Rule options: the thresholds and Argo CD settings the stateful and availability rules read,
//! set under `options:` in `.manifest-guard.yaml` and carried on the inventory, so rules stay
//! pure (they read the inventory only).

/// How Argo CD marks the resources an Application manages (`application.resourceTrackingMethod`
/// in `argocd-cm`). Argo CD 3.0 made `annotation` the default (`argocd.argoproj.io/tracking-id`);
/// `label` is the older `app.kubernetes.io/instance` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TrackingMethod {
    #[default]
    Annotation,
    Label,
    AnnotationAndLabel,
}

impl TrackingMethod {
    /// The spelling `argocd-cm` and `.manifest-guard.yaml` use.
    pub fn as_str(self) -> &'static str {
        match self {
            TrackingMethod::Annotation => "annotation",
            TrackingMethod::Label => "label",
            TrackingMethod::AnnotationAndLabel => "annotation+label",
        }
    }

    /// Every method, for the config's JSON Schema and its parser alike.
    pub const ALL: [TrackingMethod; 3] = [
        TrackingMethod::Annotation,
        TrackingMethod::Label,
        TrackingMethod::AnnotationAndLabel,
    ];

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == text)
    }

    /// Whether Argo CD reads the `app.kubernetes.io/instance` label to tell which Application
    /// owns a resource: under `label` only. With `annotation+label` it writes both but reads the
    /// annotation (argo-cd `util/argo/resource_tracking.go`, `GetAppName`: the
    /// `TrackingMethodAnnotationAndLabel` case returns the annotation's application name).
    pub fn uses_label(self) -> bool {
        matches!(self, TrackingMethod::Label)
    }
}

/// `options:` of `.manifest-guard.yaml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleOptions {
    /// `quorum-replicas`: a StatefulSet with at least this many replicas, whose pods name their
    /// own members, is a quorum workload (etcd, ZooKeeper, Kafka controllers, Consul): it needs
    /// a majority of its members up.
    pub quorum_replicas: u64,
    /// `tracking-method`: how the cluster's Argo CD tracks resources.
    pub tracking_method: TrackingMethod,
    /// `slow-start-seconds`: a liveness probe's `initialDelaySeconds` at or above this suggests a
    /// slow start that a `startupProbe` should cover.
    pub slow_start_seconds: u64,
}

impl Default for RuleOptions {
    fn default() -> Self {
        RuleOptions {
            quorum_replicas: 3,
            tracking_method: TrackingMethod::default(),
            slow_start_seconds: 60,
        }
    }
}

/// The keys of `options:`, for messages.
pub const OPTION_KEYS: &[&str] = &["quorum-replicas", "tracking-method", "slow-start-seconds"];
