//! Go `text/template` with Sprig functions, the engine behind `goTemplate: true`.
//!
//! Argo CD parses every string field of the template with
//! `template.New("").Funcs(sprigFuncMap).Parse(text)`, applies `goTemplateOptions`, and executes
//! it against the generator's parameter map. This module reproduces that pipeline offline:
//! `lexer` and `parse` build the tree (rejecting what Go rejects), `exec` walks it with Go's
//! evaluation rules, `funcs` holds the Go builtins and the function table, `sprig` the Sprig
//! and Argo CD functions, `printf` Go's `fmt` verbs and `encode` the JSON/YAML/base64/hash
//! encoders those functions need. Every stage is bounded (steps, depth, output size, and the
//! bytes of values built, `exec::Memory`) because the template text comes from pull requests.

mod encode;
mod exec;
mod funcs;
mod lexer;
mod parse;
mod printf;
mod sprig;
mod value;

pub(super) use value::{Value, go_quote};

use super::TemplateError;

/// Why an evaluation step failed, before it is placed at a position in the template.
#[derive(Debug, Clone)]
pub(super) enum Fail {
    /// An ordinary Go error message.
    Msg(String),
    /// A function that Argo CD provides but this renderer does not implement.
    Unsupported(String),
    /// A safety limit of this renderer was hit.
    Limit(&'static str, usize),
}

impl Fail {
    pub(super) fn msg(m: impl Into<String>) -> Fail {
        Fail::Msg(m.into())
    }

    pub(super) fn limit(what: &'static str, limit: usize) -> Fail {
        Fail::Limit(what, limit)
    }
}

/// 1-based line and column (in characters) of byte offset `pos` in `text`.
pub(super) fn line_col(text: &str, pos: usize) -> (usize, usize) {
    let pos = pos.min(text.len());
    let before = text.get(..pos).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let col = before
        .get(line_start..)
        .map(|s| s.chars().count())
        .unwrap_or(0)
        + 1;
    (line, col)
}

/// Parses and executes one template string against `data`, as Argo CD's `Render.Replace` does
/// in goTemplate mode.
pub(super) fn render(
    text: &str,
    data: &Value,
    missing_key_error: bool,
    budget: &mut exec::Budget,
) -> Result<String, TemplateError> {
    let set = parse::parse(text, &funcs::exists).map_err(|e| {
        let (line, column) = line_col(text, e.pos);
        TemplateError::Parse {
            offset: e.pos,
            line,
            column,
            message: e.msg,
        }
    })?;
    exec::execute(&set, data, missing_key_error, budget).map_err(|e| e.into_template_error(text))
}

pub(super) use exec::{Budget, MAX_STEPS};
