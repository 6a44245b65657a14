//! What a rule reports: a finding with a severity, the exact place it points at, why it matters
//! and how to fix it, and the other places that explain it.

pub mod placement;
pub mod suppression;

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::load::Location;
use crate::model::ObjectIdx;

/// Ordered: `Note < Warning < Error`, so `--fail-on` is a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "note" => Ok(Severity::Note),
            "warning" => Ok(Severity::Warning),
            "error" => Ok(Severity::Error),
            other => Err(format!(
                "unknown severity `{other}`; expected `error`, `warning` or `note`"
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Related {
    pub location: Location,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub rule: &'static str,
    pub severity: Severity,
    pub message: String,
    pub help: String,
    pub location: Location,
    /// A few words on the primary span in human output ("defined again here").
    pub label: String,
    /// The object the finding is about, for suppression by annotation and for reports.
    pub object: Option<ObjectIdx>,
    pub related: Vec<Related>,
}

impl Diagnostic {
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = help.into();
        self
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    pub fn with_object(mut self, object: ObjectIdx) -> Self {
        self.object = Some(object);
        self
    }

    /// The object the finding is about, when there is one.
    pub fn with_object_opt(mut self, object: Option<ObjectIdx>) -> Self {
        self.object = object;
        self
    }

    pub fn with_related(mut self, location: Location, message: impl Into<String>) -> Self {
        self.related.push(Related {
            location,
            message: message.into(),
        });
        self
    }
}

/// The first `shown` of `items`, then "and N more", joined by commas: how a message names a
/// list that may be long (a reader needs the first few; thousands make every format slow).
pub fn first_few<I>(items: I, shown: usize) -> String
where
    I: IntoIterator<Item = String>,
    I::IntoIter: ExactSizeIterator,
{
    let items = items.into_iter();
    let total = items.len();
    let mut listed: Vec<String> = items.take(shown).collect();
    if total > shown {
        listed.push(format!("and {} more", total - shown));
    }
    listed.join(", ")
}
