//! What stops the tool from running at all (exit status 2).

use crate::config::ConfigError;

/// What stops the tool from running at all (exit status 2).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum Error {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Config(#[from] Box<ConfigError>),
    #[error("path `{0}` does not exist")]
    #[diagnostic(code(usage))]
    MissingPath(String),
    #[error("unknown rule `{id}` in {flag}")]
    #[diagnostic(code(usage), help("{help}"))]
    UnknownRule {
        id: String,
        flag: &'static str,
        help: String,
    },
    #[error("{0}")]
    #[diagnostic(code(git))]
    Git(String),
    #[error("{0}")]
    #[diagnostic(code(usage))]
    Usage(String),
    #[error("cannot determine the working directory: {0}")]
    Cwd(std::io::Error),
}
