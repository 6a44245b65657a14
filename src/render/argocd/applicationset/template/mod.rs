//! Renders Argo CD ApplicationSet templates offline, exactly as the applicationset controller
//! does for one generator element.
//!
//! Argo CD (`applicationset/utils/utils.go`, `Render.RenderTemplateParams`) walks the typed
//! `Application` template and runs `Render.Replace` on every string value and every string map
//! key, one field at a time, with either fasttemplate (`goTemplate: false`, flat string
//! parameters) or Go `text/template` plus Sprig (`goTemplate: true`, nested parameters). This
//! module does the same walk over the template as JSON: [`fasttemplate`] implements the first
//! engine and [`go`] the second. Templates come from pull requests, so every rendering is bounded
//! in time, memory and recursion and returns an error instead of hanging or panicking.

mod fasttemplate;
mod go;
#[cfg(test)]
mod tests;

use std::fmt::Write as _;

/// One generator element's parameters. In fasttemplate mode these are flat (`path.basename`),
/// in goTemplate mode nested (`{"path": {"basename": ...}}`).
pub type Params = serde_json::Map<String, serde_json::Value>;

/// Largest string one template string may render to.
pub const MAX_STRING_BYTES: usize = 1 << 20;
/// Largest total output of all strings of one rendered template.
pub const MAX_TOTAL_BYTES: usize = 16 << 20;
/// Evaluation steps all strings of one rendered template may take together (each string is
/// also limited on its own), so many moderately expensive fields cannot add up to a hang.
pub const MAX_TOTAL_STEPS: u64 = 20_000_000;

/// Why a template could not be rendered. Offsets are byte offsets into the template string
/// that failed; lines and columns are 1-based.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TemplateError {
    /// Go `text/template` rejected the text (Argo CD: "failed to parse template").
    #[error("template: {line}:{column}: {message}")]
    Parse {
        offset: usize,
        line: usize,
        column: usize,
        message: String,
    },
    /// Execution failed (Argo CD: "failed to execute go template"); `context` is the
    /// expression being evaluated, as Go shows it.
    #[error("template: {line}:{column}: executing at <{context}>: {message}")]
    Exec {
        offset: usize,
        line: usize,
        column: usize,
        context: String,
        message: String,
    },
    /// fasttemplate found an opening tag without a closing one (Argo CD: "invalid template").
    #[error("invalid template: {message}")]
    FastTemplate { offset: usize, message: String },
    /// The template calls a function Argo CD provides but this renderer does not evaluate
    /// (time, randomness, cryptography, ...). Argo CD itself would have rendered it.
    #[error(
        "template: {line}:{column}: function {name:?} is not supported by this offline renderer"
    )]
    Unsupported {
        offset: usize,
        line: usize,
        column: usize,
        name: String,
    },
    /// A safety limit of this renderer was reached.
    #[error("template: {what} limit of {limit} exceeded")]
    Limit { what: &'static str, limit: usize },
    /// An error in one field of a template, with the field's path (e.g.
    /// `spec.source.helm.valueFiles[0]`).
    #[error("{path}: {source}")]
    InField {
        path: String,
        source: Box<TemplateError>,
    },
}

impl TemplateError {
    /// A bound of this renderer (steps, output, memory, depth), which Argo CD does not have.
    pub fn is_limit(&self) -> bool {
        match self {
            TemplateError::Limit { .. } => true,
            TemplateError::InField { source, .. } => source.is_limit(),
            _ => false,
        }
    }
}

/// How to render: the ApplicationSet's `spec.goTemplate` and `spec.goTemplateOptions`, and the
/// run's `template-memory`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TemplateOptions {
    pub go_template: bool,
    /// `goTemplateOptions: ["missingkey=error"]`.
    pub missing_key_error: bool,
    /// Bytes of values one rendering (one element) may create (`template-memory`).
    pub memory: usize,
    /// Evaluation steps all strings of one rendering may take together (each string at most
    /// `MAX_STEPS` of them): `MAX_TOTAL_STEPS`, lowered by the fuzz targets so that a step
    /// that costs more than it should shows as a timeout rather than hiding in a long budget.
    pub steps: u64,
}

/// `template-memory`'s default, for options built without the run's limits.
pub const DEFAULT_TEMPLATE_MEMORY: usize = 64 * 1024 * 1024;

impl Default for TemplateOptions {
    fn default() -> Self {
        TemplateOptions {
            go_template: false,
            missing_key_error: false,
            memory: DEFAULT_TEMPLATE_MEMORY,
            steps: MAX_TOTAL_STEPS,
        }
    }
}

/// Render an ApplicationSet `spec.template` (as JSON) with one generator element's params,
/// returning the rendered Application template, as Argo CD does.
///
/// As in Argo CD: with no parameters the template is returned untouched; every string value and
/// object key is rendered independently (a control structure cannot span fields); numbers,
/// booleans and nulls in arrays are kept; object members whose value is `null` are dropped, as
/// Go's map copy skips nil values.
pub fn render_template(
    template: &serde_json::Value,
    params: &Params,
    opts: &TemplateOptions,
) -> Result<serde_json::Value, TemplateError> {
    if params.is_empty() {
        return Ok(template.clone());
    }
    let mut r = Renderer::new(params, opts);
    let mut path = String::new();
    r.walk(template, &mut path, 0)
}

/// Render one string (used for templatePatch text, and for values).
pub fn render_string(
    text: &str,
    params: &Params,
    opts: &TemplateOptions,
) -> Result<String, TemplateError> {
    Renderer::new(params, opts).string(text)
}

/// Deepest template JSON nesting walked; beyond it rendering fails rather than recursing.
const MAX_JSON_DEPTH: usize = 256;

/// State shared by all fields of one rendering: the parameters converted once (so Sprig's
/// `set` on a parameter map is visible to later fields, as in Argo CD where every field sees
/// the same map) and the resource budget.
struct Renderer<'p> {
    params: &'p Params,
    opts: TemplateOptions,
    data: Option<go::Value>,
    budget: go::Budget,
    steps_left: u64,
}

impl<'p> Renderer<'p> {
    fn new(params: &'p Params, opts: &TemplateOptions) -> Renderer<'p> {
        Renderer {
            params,
            opts: *opts,
            data: None,
            budget: go::Budget::new(0, MAX_TOTAL_BYTES, opts.memory),
            steps_left: opts.steps.min(MAX_TOTAL_STEPS),
        }
    }

    fn string(&mut self, text: &str) -> Result<String, TemplateError> {
        if !self.opts.go_template {
            let out = fasttemplate::render(text, self.params)?;
            self.budget.output =
                self.budget
                    .output
                    .checked_sub(out.len())
                    .ok_or(TemplateError::Limit {
                        what: "total output size in bytes",
                        limit: MAX_TOTAL_BYTES,
                    })?;
            return Ok(out);
        }
        let data = self
            .data
            .get_or_insert_with(|| {
                go::Value::from_json(&serde_json::Value::Object(self.params.clone()))
            })
            .clone();
        // Each string may use up to its own step allowance out of what the template has left;
        // output is accounted across all strings.
        if self.budget.output == 0 || self.steps_left == 0 {
            let (what, limit) = if self.steps_left == 0 {
                (
                    "total execution steps",
                    self.opts.steps.min(MAX_TOTAL_STEPS) as usize,
                )
            } else {
                ("total output size in bytes", MAX_TOTAL_BYTES)
            };
            return Err(TemplateError::Limit { what, limit });
        }
        let allowed = go::MAX_STEPS.min(self.steps_left);
        self.budget.steps = allowed;
        let result = go::render(text, &data, self.opts.missing_key_error, &mut self.budget);
        self.steps_left -= allowed - self.budget.steps.min(allowed);
        result
    }

    fn walk(
        &mut self,
        v: &serde_json::Value,
        path: &mut String,
        depth: usize,
    ) -> Result<serde_json::Value, TemplateError> {
        use serde_json::Value as J;
        if depth > MAX_JSON_DEPTH {
            return Err(TemplateError::Limit {
                what: "template nesting depth",
                limit: MAX_JSON_DEPTH,
            });
        }
        Ok(match v {
            J::String(s) => J::String(self.string(s).map_err(|e| in_field(path, e))?),
            J::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    let len = path.len();
                    let _ = write!(path, "[{i}]");
                    out.push(self.walk(item, path, depth + 1)?);
                    path.truncate(len);
                }
                J::Array(out)
            }
            J::Object(map) => {
                let mut out = serde_json::Map::with_capacity(map.len());
                for (k, item) in map {
                    // Go skips nil map values when copying the template.
                    if item.is_null() {
                        continue;
                    }
                    let len = path.len();
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(k);
                    let value = self.walk(item, path, depth + 1)?;
                    let key = self.string(k).map_err(|e| in_field(path, e))?;
                    path.truncate(len);
                    out.insert(key, value);
                }
                J::Object(out)
            }
            other => other.clone(),
        })
    }
}

fn in_field(path: &str, e: TemplateError) -> TemplateError {
    if path.is_empty() {
        return e;
    }
    TemplateError::InField {
        path: path.to_owned(),
        source: Box::new(e),
    }
}
