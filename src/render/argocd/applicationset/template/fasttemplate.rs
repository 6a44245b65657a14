//! Argo CD's default (`goTemplate: false`) substitution: `valyala/fasttemplate` with `{{`/`}}`
//! tags, applied to one string field at a time.
//!
//! Argo CD's `Render.Replace` first checks the string against `.*{{.*}}.*` (so only a string
//! with an opening and a closing tag on the same line is templated), then replaces each tag
//! whose space-trimmed name is a string parameter, and writes every other tag back verbatim.
//! Because values are inserted into the decoded string field, not into serialized JSON, quotes
//! and newlines in parameter values need no escaping. An opening tag without a closing one after
//! it makes fasttemplate fail, which Argo CD reports as an invalid template.

use super::go::go_quote;
use super::{MAX_STRING_BYTES, Params, TemplateError};

/// Argo CD's `isTemplatedRegex` (`.*{{.*}}.*`, where `.` does not match a newline): some line
/// holds `{{` followed later by `}}`.
fn is_templated(text: &str) -> bool {
    text.split('\n').any(|line| {
        line.find("{{")
            .is_some_and(|i| line.get(i + 2..).is_some_and(|rest| rest.contains("}}")))
    })
}

/// Substitutes `{{ name }}` tags in `text` with string values from `params`.
pub(super) fn render(text: &str, params: &Params) -> Result<String, TemplateError> {
    if !is_templated(text) {
        return Ok(text.to_owned());
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut offset = 0usize;
    loop {
        let Some(start) = rest.find("{{") else {
            out.push_str(rest);
            break;
        };
        out.push_str(rest.get(..start).unwrap_or(""));
        let after = rest.get(start + 2..).unwrap_or("");
        let Some(end) = after.find("}}") else {
            return Err(TemplateError::FastTemplate {
                offset: offset + start,
                // fasttemplate's own wording, with Go's %q quoting.
                message: format!(
                    "Cannot find end tag=\"}}}}\" in the template={} starting from {}",
                    go_quote(text),
                    go_quote(after)
                ),
            });
        };
        let tag = after.get(..end).unwrap_or("");
        let name = tag.trim();
        match params.get(name) {
            Some(serde_json::Value::String(v)) if !name.is_empty() => out.push_str(v),
            // Unknown tags, and parameters that are not strings, are written back unchanged.
            _ => {
                out.push_str("{{");
                out.push_str(tag);
                out.push_str("}}");
            }
        }
        if out.len() > MAX_STRING_BYTES {
            return Err(TemplateError::Limit {
                what: "output size in bytes",
                limit: MAX_STRING_BYTES,
            });
        }
        let consumed = start + 2 + end + 2;
        offset += consumed;
        rest = rest.get(consumed..).unwrap_or("");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params(v: serde_json::Value) -> Params {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn templated_check_is_per_line() {
        // utils.go isTemplatedRegex ".*{{.*}}.*": the dot does not cross newlines.
        assert!(is_templated("a {{x}} b"));
        assert!(!is_templated("{{x\n}}"));
        assert!(!is_templated("}} {{"));
        assert!(is_templated("{{}}"));
    }

    #[test]
    fn unclosed_tag_on_templated_string_fails() {
        let p = params(json!({"x": "1"}));
        let r = render("{{x}} and {{ y", &p);
        assert!(matches!(r, Err(TemplateError::FastTemplate { .. })));
        // Not templated at all: returned as is.
        assert_eq!(
            render("only {{ open", &p).ok().as_deref(),
            Some("only {{ open")
        );
    }

    #[test]
    fn non_string_params_are_not_substituted() {
        let p = params(json!({"n": 3, "s": "x"}));
        assert_eq!(render("{{n}}-{{ s }}", &p).ok().as_deref(), Some("{{n}}-x"));
    }
}
