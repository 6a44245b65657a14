//! Files of the tree that Argo CD never applies although they end in `.yaml`: Jinja and Go
//! templates (an Ansible role's `templates/`, text substituted before use), Helm values files and
//! CI configuration. It only names why a file that does not parse is not a manifest; whether that
//! still matters (an Application deploys the file) is the rule's to decide.

/// Why `rel` (relative to the scanned root) with this text is not a Kubernetes manifest, or
/// `None` when it may be one. Only asked of files that do not parse as YAML.
pub fn why(rel: &str, text: &str) -> Option<String> {
    if let Some(line) = template_line(text) {
        return Some(format!("template syntax at line {line}"));
    }
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let stem = name
        .strip_suffix(".yaml")
        .or_else(|| name.strip_suffix(".yml"))
        .unwrap_or(name);
    if stem.starts_with("values") || stem.ends_with("values") {
        return Some("a Helm values file".into());
    }
    let in_dir =
        |dir: &str| rel.starts_with(&format!("{dir}/")) || rel.contains(&format!("/{dir}/"));
    let ci_name = matches!(
        name,
        ".gitlab-ci.yml"
            | ".gitlab-ci.yaml"
            | ".travis.yml"
            | ".drone.yml"
            | "bitbucket-pipelines.yml"
            | ".pre-commit-config.yaml"
            | "codecov.yml"
            | ".goreleaser.yml"
            | ".goreleaser.yaml"
    ) || stem.starts_with("cloudbuild")
        || stem.starts_with("azure-pipelines");
    if ci_name || in_dir(".github") || in_dir(".gitlab") || in_dir(".circleci") {
        return Some("CI configuration".into());
    }
    None
}

/// The first 1-based line holding Jinja (`{% %}`, `{# #}`) or Go/Jinja expression (`{{ }}`)
/// syntax.
fn template_line(text: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            (l.contains("{{") && l.contains("}}"))
                || (l.contains("{%") && l.contains("%}"))
                || (l.contains("{#") && l.contains("#}"))
        })
        .map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_values_and_ci_files_are_named() {
        assert_eq!(
            why(
                "roles/web/templates/deployment.yaml",
                "kind: Deployment\n{% if ha %}\nreplicas: 3\n{% endif %}\n"
            ),
            Some("template syntax at line 2".into())
        );
        assert_eq!(
            why("deploy/svc.yaml", "name: {{ .Values.name }}\n"),
            Some("template syntax at line 1".into())
        );
        assert_eq!(
            why("charts/web/values-prod.yaml", "a: [\n"),
            Some("a Helm values file".into())
        );
        assert_eq!(
            why(".github/workflows/ci.yml", "on: [\n"),
            Some("CI configuration".into())
        );
        assert_eq!(
            why("sample/cloudbuild.yaml", "steps: [\n"),
            Some("CI configuration".into())
        );
        assert_eq!(why("deploy/svc.yaml", "kind: [\n"), None);
    }
}
