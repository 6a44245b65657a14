//! Clusters Argo CD knows: the implicit `in-cluster`, cluster Secrets in the tree
//! (`argocd.argoproj.io/secret-type: cluster`), and clusters declared in the config.

use std::collections::BTreeMap;

use crate::load::Node;
use crate::model::argocd::{Cluster, ClusterSource, IN_CLUSTER_NAME, IN_CLUSTER_SERVER};

pub const SECRET_TYPE_LABEL: &str = "argocd.argoproj.io/secret-type";

pub fn in_cluster() -> Cluster {
    Cluster {
        name: IN_CLUSTER_NAME.into(),
        server: IN_CLUSTER_SERVER.into(),
        labels: BTreeMap::new(),
        annotations: BTreeMap::new(),
        protected: false,
        source: ClusterSource::Implicit,
    }
}

fn string_map(node: Option<&Node>) -> BTreeMap<String, String> {
    node.map(|n| {
        n.entries()
            .iter()
            .filter_map(|e| {
                Some((
                    e.key.as_scalar_text()?.to_string(),
                    e.value.as_scalar_text()?.to_string(),
                ))
            })
            .collect()
    })
    .unwrap_or_default()
}

/// A field of a cluster Secret: `stringData` as written, or `data` base64-decoded.
fn secret_field(node: &Node, key: &str) -> Option<String> {
    if let Some(v) = node.path(&["stringData", key]).and_then(Node::as_str) {
        return Some(v.to_string());
    }
    let encoded = node.path(&["data", key]).and_then(Node::as_str)?;
    decode_base64(encoded).and_then(|b| String::from_utf8(b).ok())
}

fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf = 0u32;
    let mut bits = 0;
    for c in text
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
    {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        buf = (buf << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
            buf &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// A cluster from a cluster Secret, when the object is one.
pub fn from_secret(node: &Node, location: crate::load::Location) -> Option<Cluster> {
    if node.get("kind").and_then(Node::as_str) != Some("Secret")
        || node
            .path(&["metadata", "labels", SECRET_TYPE_LABEL])
            .and_then(Node::as_str)
            != Some("cluster")
    {
        return None;
    }
    let server = secret_field(node, "server")?;
    let name = secret_field(node, "name").unwrap_or_else(|| server.clone());
    let labels = string_map(node.path(&["metadata", "labels"]));
    Some(Cluster {
        name,
        server,
        labels,
        annotations: string_map(node.path(&["metadata", "annotations"])),
        protected: false,
        source: ClusterSource::Secret(location),
    })
}

#[cfg(test)]
mod tests {
    use super::decode_base64;

    #[test]
    fn base64() {
        assert_eq!(
            decode_base64("aHR0cHM6Ly94").as_deref(),
            Some(&b"https://x"[..])
        );
        assert_eq!(decode_base64("c3RhZ2luZw=="), Some(b"staging".to_vec()));
    }
}
