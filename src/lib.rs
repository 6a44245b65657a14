//! manifest-guard: a GitOps manifest safety linter.
//!
//! `check` runs load → render → inventory → rules; reports are produced from the result. Every
//! stage is a module: `load` reads and parses, `render` builds the inventory, `rules` checks it,
//! `report` formats findings. Nothing here prints: `main.rs` does.

#![forbid(unsafe_code)]

pub mod cli;
pub mod config;
pub mod diagnostic;
pub mod load;
pub mod model;
pub mod render;
pub mod report;
pub mod rules;

use std::path::{Path, PathBuf};

use crate::config::{Config, ConfigError};
use crate::diagnostic::{Diagnostic, Severity};
use crate::model::Inventory;
use crate::rules::Selection;

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
    #[error("cannot determine the working directory: {0}")]
    Cwd(std::io::Error),
}

/// What `check` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    pub paths: Vec<PathBuf>,
    pub config: Option<PathBuf>,
    pub select: Vec<String>,
    pub ignore: Vec<String>,
}

/// The outcome of `check`: the inventory (for reports) and the findings, sorted.
#[derive(Debug)]
pub struct CheckRun {
    pub inventory: Inventory,
    pub diagnostics: Vec<Diagnostic>,
}

impl CheckRun {
    /// Whether a finding is at or above `threshold`.
    pub fn fails(&self, threshold: Option<Severity>) -> bool {
        threshold.is_some_and(|t| self.diagnostics.iter().any(|d| d.severity >= t))
    }
}

/// The scanned root: the one directory given (or a given file's directory), else the working
/// directory. Config is read from it and no symlink is followed out of it.
fn scanned_root(paths: &[PathBuf], cwd: &Path) -> PathBuf {
    match paths {
        [one] if one.is_dir() => one.clone(),
        [one] => one
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| cwd.to_path_buf(), Path::to_path_buf),
        _ => cwd.to_path_buf(),
    }
}

fn check_ids(ids: &[String], flag: &'static str) -> Result<(), Error> {
    for id in ids {
        if rules::find(id).is_none() {
            return Err(Error::UnknownRule {
                id: id.clone(),
                flag,
                help: config::suggest(id),
            });
        }
    }
    Ok(())
}

fn selection(config: &Config, opts: &CheckOptions) -> Result<Selection, Error> {
    check_ids(&opts.select, "--select")?;
    check_ids(&opts.ignore, "--ignore")?;
    let mut s = Selection::default();
    for (id, setting) in &config.rules {
        if !setting.enabled {
            s.disabled.insert(id.clone());
        }
        if let Some(sev) = setting.severity {
            s.severity.insert(id.clone(), sev);
        }
    }
    if !opts.select.is_empty() {
        // An explicit selection runs those rules even when the config turned them off.
        for id in &opts.select {
            s.disabled.remove(id);
        }
        s.only = Some(opts.select.iter().cloned().collect());
    }
    s.disabled.extend(opts.ignore.iter().cloned());
    Ok(s)
}

/// Loads and renders the tree `check` and `render` look at; returns the inventory and the
/// configuration it was built with.
pub fn inventory(
    paths: &[PathBuf],
    config_path: Option<&Path>,
) -> Result<(Inventory, Config), Error> {
    let cwd = std::env::current_dir().map_err(Error::Cwd)?;
    let paths: Vec<PathBuf> = if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths.to_vec()
    };
    for p in &paths {
        if std::fs::symlink_metadata(p).is_err() {
            return Err(Error::MissingPath(p.display().to_string()));
        }
    }
    let root = scanned_root(&paths, &cwd);
    let config = match config_path {
        Some(path) => {
            let display = load::display_path(path, &cwd);
            match Config::read(path, &display).map_err(Box::new)? {
                Some(c) => c,
                None => return Err(Error::MissingPath(display)),
            }
        }
        None => {
            let path = root.join(config::FILE_NAME);
            let display = load::display_path(&path, &cwd);
            Config::read(&path, &display)
                .map_err(Box::new)?
                .unwrap_or_default()
        }
    };
    let mut load_opts = load::LoadOptions {
        exclude: config.exclude_set(),
        ..load::LoadOptions::default()
    };
    if let Some(size) = config.max_file_size {
        load_opts.max_file_size = size;
    }
    let sources = load::load(&paths, &root, &cwd, &load_opts);
    let roots: Vec<render::Root> = paths
        .iter()
        .map(|p| render::Root {
            rel: load::slash_path(p.strip_prefix(&root).unwrap_or(Path::new(""))),
            display: load::display_path(p, &cwd),
        })
        .collect();
    let settings = render::Settings {
        root: root.clone(),
        repositories: config.repositories.clone(),
        clusters: config.clusters.clone(),
        argocd_namespace: config
            .argocd_namespace
            .clone()
            .unwrap_or_else(|| "argocd".to_string()),
    };
    let inventory = render::build(sources, &roots, &settings);
    Ok((inventory, config))
}

/// Runs `check`.
pub fn check(opts: &CheckOptions) -> Result<CheckRun, Error> {
    check_ids(&opts.select, "--select")?;
    check_ids(&opts.ignore, "--ignore")?;
    let (inventory, config) = inventory(&opts.paths, opts.config.as_deref())?;
    let selection = selection(&config, opts)?;
    let diagnostics = rules::run(&inventory, &selection);
    Ok(CheckRun {
        inventory,
        diagnostics,
    })
}
