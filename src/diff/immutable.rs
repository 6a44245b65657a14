//! Fields Kubernetes refuses to change on a live object. A change to one cannot be applied: the
//! sync fails, and the only way through is delete-and-create (Argo CD's `Replace=true` or a
//! forced sync), which for storage means the data goes with it.

use serde_json::Value;

use super::quantity;

/// One refused change: the field, and what it was and would be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImmutableChange {
    pub field: String,
    pub before: String,
    pub after: String,
}

fn show(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "(unset)".into(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

fn pointer<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    v.pointer(path).filter(|x| !x.is_null())
}

/// The immutable fields of `(group, kind)`, as JSON pointers under the object.
fn fields(group: &str, kind: &str) -> &'static [&'static str] {
    match (group, kind) {
        ("apps", "StatefulSet") => &[
            "/spec/selector",
            "/spec/serviceName",
            "/spec/podManagementPolicy",
            "/spec/volumeClaimTemplates",
        ],
        ("apps", "Deployment" | "DaemonSet" | "ReplicaSet") => &["/spec/selector"],
        ("", "PersistentVolumeClaim") => &[
            "/spec/storageClassName",
            "/spec/accessModes",
            "/spec/volumeName",
            "/spec/volumeMode",
            "/spec/dataSource",
            "/spec/dataSourceRef",
        ],
        ("batch", "Job") => &["/spec/selector", "/spec/template", "/spec/completionMode"],
        _ => &[],
    }
}

/// Every immutable field that differs between `before` and `after` (same object).
pub fn changes(group: &str, kind: &str, before: &Value, after: &Value) -> Vec<ImmutableChange> {
    let mut out = Vec::new();
    for path in fields(group, kind) {
        let (b, a) = (pointer(before, path), pointer(after, path));
        if b != a {
            out.push(ImmutableChange {
                field: path.trim_start_matches('/').replace('/', "."),
                before: show(b),
                after: show(a),
            });
        }
    }
    // A claim may grow (when its class allows expansion) but never shrink.
    if (group, kind) == ("", "PersistentVolumeClaim") {
        let size = |v: &Value| {
            pointer(v, "/spec/resources/requests/storage")
                .and_then(Value::as_str)
                .and_then(quantity::bytes)
        };
        if let (Some(b), Some(a)) = (size(before), size(after))
            && a < b
        {
            out.push(ImmutableChange {
                field: "spec.resources.requests.storage (decrease)".into(),
                before: show(pointer(before, "/spec/resources/requests/storage")),
                after: show(pointer(after, "/spec/resources/requests/storage")),
            });
        }
    }
    // A Service's cluster IP is fixed once allocated; only a change between two set values counts.
    if (group, kind) == ("", "Service") {
        let ip = |v: &Value| {
            pointer(v, "/spec/clusterIP")
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        if let (Some(b), Some(a)) = (ip(before), ip(after))
            && a != b
        {
            out.push(ImmutableChange {
                field: "spec.clusterIP".into(),
                before: b,
                after: a,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn statefulset_claim_template_size() {
        let before = json!({"spec": {"volumeClaimTemplates": [{"spec": {"resources": {"requests": {"storage": "200Gi"}}}}]}});
        let after = json!({"spec": {"volumeClaimTemplates": [{"spec": {"resources": {"requests": {"storage": "400Gi"}}}}]}});
        let c = changes("apps", "StatefulSet", &before, &after);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].field, "spec.volumeClaimTemplates");
    }

    #[test]
    fn image_change_is_mutable() {
        let before = json!({"spec": {"template": {"spec": {"containers": [{"image": "a:1"}]}}}});
        let after = json!({"spec": {"template": {"spec": {"containers": [{"image": "a:2"}]}}}});
        assert!(changes("apps", "StatefulSet", &before, &after).is_empty());
        assert!(changes("apps", "Deployment", &before, &after).is_empty());
    }

    #[test]
    fn pvc_shrink_but_not_grow() {
        let pvc = |s: &str| json!({"spec": {"resources": {"requests": {"storage": s}}}});
        assert_eq!(
            changes("", "PersistentVolumeClaim", &pvc("10Gi"), &pvc("5Gi")).len(),
            1
        );
        assert!(changes("", "PersistentVolumeClaim", &pvc("10Gi"), &pvc("20Gi")).is_empty());
    }
}
