//! Command-line flags (clap). Parsing only: what the flags mean is `lib::run`'s business.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::report::Format;

#[derive(Debug, Parser)]
#[command(
    name = "manifest-guard",
    version,
    about = "A GitOps manifest safety linter: reads a repository the way Argo CD deploys it and stops the merge that would empty a cluster.",
    after_help = "Exit status: 0 nothing at or above --fail-on, 1 findings at or above it, 2 the tool could not run.\n\n\
                  check and diff print one report on stdout (--format) and can write more to files in the same run:\n  \
                  manifest-guard check --output sarif=results.sarif --output markdown=report.md"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a GitOps repository (default: the current directory).
    Check(CheckArgs),
    /// What a merge or a sync will create, change, recreate and delete, per cluster.
    ///
    /// The configuration is the base's `.manifest-guard.yaml` (or `--config FILE`), used for both
    /// sides: the head's version, which the pull request controls, applies once it is merged.
    Diff(DiffArgs),
    /// Show what the inventory holds: every Application, its destination and origin, and the
    /// objects it renders.
    Render {
        /// Files or directories (default: the current directory).
        paths: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = RenderFormat::Yaml)]
        format: RenderFormat,
        /// Configuration file (default: .manifest-guard.yaml at the scanned root).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Read `.manifest-guard.yaml` (or a --config file of the repository) as git revision REV
        /// has it, not the working tree's, as `check --config-rev` does. REV has none: the
        /// defaults.
        #[arg(long, value_name = "REV")]
        config_rev: Option<String>,
        #[command(flatten)]
        render: RenderArgs,
    },
    /// Fix what is mechanical, in place: runs `check`, applies the fixes of the findings it can
    /// fix, checks again (until nothing more is fixed, at most 8 rounds), and prints what it
    /// changed and what remains.
    ///
    /// Safe fixes are applied; unsafe ones (they add an object, change an Application, or a
    /// person must adjust something with them) are listed, and applied with --unsafe. A file is
    /// written only inside the scanned root, never through a link, atomically, and never when
    /// it changed since the check read it. Rendered output (Helm templates, generated
    /// Applications) is never changed.
    ///
    /// Exit status: 0 nothing at or above --fail-on remains; 1 findings at or above it remain
    /// (or, with --exit-non-zero-on-fix, a file was changed); with --diff, 1 when anything would
    /// change and 0 otherwise; 2 the tool could not run, or a fix could not be written.
    Fix(FixArgs),
    /// Merge `--format json` reports (all of `check`, or all of `diff`) into one: findings of
    /// every report interleaved in a run's order, summaries summed. For a tree checked in parts
    /// (one CI job per repository or app-of-apps root); see the README's "Scaling out".
    Merge(MergeArgs),
    /// List the rules.
    Rules {
        #[arg(long, value_enum, default_value_t = CatalogueFormat::Human)]
        format: CatalogueFormat,
    },
    /// Print a rule's document: what it catches, why it matters, how to fix it.
    Explain {
        /// The rule id, e.g. duplicate-resource.
        rule: String,
    },
    /// Print a shell completion script, e.g. `source <(manifest-guard completions bash)`.
    Completions {
        /// The shell the script is for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// `--output FORMAT=PATH`: one more report, written to a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    pub format: Format,
    pub path: PathBuf,
}

/// Parses `FORMAT=PATH`.
fn output_file(s: &str) -> Result<OutputFile, String> {
    let names = || {
        Format::value_variants()
            .iter()
            .filter_map(|f| f.to_possible_value().map(|v| v.get_name().to_string()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (format, path) = s
        .split_once('=')
        .ok_or_else(|| format!("expected FORMAT=PATH, FORMAT one of {}", names()))?;
    let format = Format::from_str(format, true)
        .map_err(|_| format!("unknown format `{format}`; expected one of {}", names()))?;
    if path.is_empty() {
        return Err("expected FORMAT=PATH; the path is empty".into());
    }
    Ok(OutputFile {
        format,
        path: PathBuf::from(path),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RenderFormat {
    Yaml,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MergeFormat {
    /// One report of the same shape as its inputs.
    Json,
    /// One line a finding (no source snippets: a JSON report holds no source text) and the
    /// summary lines.
    Human,
    /// GitHub Actions annotations (each at its first line and column: a JSON report has no end).
    Github,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The reports, written by `check --format json` or `diff --format json` (or their
    /// `--output json=PATH`).
    #[arg(required = true, value_name = "REPORT.json")]
    pub reports: Vec<PathBuf>,
    /// Output format. SARIF and Markdown quote source regions a JSON report does not hold:
    /// merge the SARIF files themselves (code scanning takes several) or run `check` once.
    #[arg(long, value_enum, default_value_t = MergeFormat::Json)]
    pub format: MergeFormat,
    /// Lowest severity that makes the exit status 1, over the merged findings.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    /// Keep one of the findings that say the same (rule, severity, message, help) at the same
    /// place: parts given the same files report theirs once per part. Errors, warnings and notes
    /// are counted again; the other counts stay sums.
    #[arg(long)]
    pub unique: bool,
    /// Count the merged findings per rule and severity (human: after the findings; JSON: a
    /// `statistics` array, also written when any input has one).
    #[arg(long)]
    pub statistics: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CatalogueFormat {
    Human,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Note,
    Never,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files or directories to check.
    pub paths: Vec<PathBuf>,
    /// Configuration file (default: .manifest-guard.yaml at the scanned root).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Read `.manifest-guard.yaml` as git revision REV has it (a pull request's base), not the
    /// working tree's: the change under review does not choose the rules that judge it. REV has
    /// none: the defaults. What the working tree's file loosens is reported (`config-loosened`),
    /// and a suppression comment or annotation the change adds is a warning, not silence. With
    /// --config, a file of the repository is read as REV has it too; an operator's file outside
    /// it is read from disk.
    #[arg(long, value_name = "REV")]
    pub config_rev: Option<String>,
    #[command(flatten)]
    pub report: ReportArgs,
    #[command(flatten)]
    pub render: RenderArgs,
}

#[derive(Debug, Args)]
pub struct FixArgs {
    /// Files or directories to fix (default: the current directory).
    pub paths: Vec<PathBuf>,
    /// Print a unified diff of every change (created and removed files too) and write nothing;
    /// exit status 1 when anything would change.
    #[arg(long)]
    pub diff: bool,
    /// Apply unsafe fixes too (read what they say first).
    #[arg(long = "unsafe")]
    pub unsafe_fixes: bool,
    /// Exit status 1 when a file was changed, even if nothing remains (pre-commit's convention).
    #[arg(long)]
    pub exit_non_zero_on_fix: bool,
    /// Configuration file (default: .manifest-guard.yaml at the scanned root).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Read `.manifest-guard.yaml` as git revision REV has it, as `check --config-rev` does.
    #[arg(long, value_name = "REV")]
    pub config_rev: Option<String>,
    #[command(flatten)]
    pub report: ReportArgs,
    #[command(flatten)]
    pub render: RenderArgs,
}

/// The rules a run applies, and what it reports where: shared by `check` and `diff`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Output format [default: human; under GitHub Actions (GITHUB_ACTIONS=true), human and
    /// github annotations both, the human report between ::stop-commands:: lines so that the
    /// runner reads no command in what it quotes from the repository].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Also write the report in FORMAT to PATH, in the same run (repeatable; FORMAT is human,
    /// concise, json, sarif, github or markdown). --format still goes to stdout; the exit status is the
    /// same. A PATH that cannot be written is exit status 2, before anything is checked.
    #[arg(long = "output", value_name = "FORMAT=PATH", value_parser = output_file)]
    pub outputs: Vec<OutputFile>,
    /// Run only these rules (comma-separated ids).
    #[arg(long, value_delimiter = ',')]
    pub select: Vec<String>,
    /// Do not run these rules (comma-separated ids).
    #[arg(long, value_delimiter = ',')]
    pub ignore: Vec<String>,
    /// Lowest severity that makes the exit status 1.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    /// Worker threads (default: one per core).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Colour in human output: auto (a terminal without NO_COLOR), always or never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Count the findings per rule and severity, most frequent first: after the findings in
    /// human and concise reports, a `statistics` array in JSON.
    #[arg(long)]
    pub statistics: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The directory to compare, inside a git repository (default: the current directory).
    pub path: Option<PathBuf>,
    /// The base revision (a commit, branch or tag).
    #[arg(long, conflicts_with = "base_dir")]
    pub base: Option<String>,
    /// The head revision (default: the working tree).
    #[arg(long, requires = "base")]
    pub head: Option<String>,
    /// Compare two plain directories instead of two revisions.
    #[arg(long, requires = "head_dir")]
    pub base_dir: Option<PathBuf>,
    #[arg(long, requires = "base_dir")]
    pub head_dir: Option<PathBuf>,
    /// Configuration file: one of the repository is read as the BASE has it, one outside it
    /// from disk [default: the BASE's .manifest-guard.yaml (the defaults when the base has
    /// none); the head's is not used until it is merged].
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Hide the unified diffs of modified objects.
    #[arg(long)]
    pub no_diff: bool,
    #[command(flatten)]
    pub report: ReportArgs,
    #[command(flatten)]
    pub render: RenderArgs,
}

/// How Helm and Kustomize sources are rendered.
#[derive(Debug, Clone, Args)]
pub struct RenderArgs {
    /// The `helm` binary (default: `helm` on PATH).
    #[arg(long)]
    pub helm: Option<PathBuf>,
    /// The `kustomize` binary, or `kubectl` for `kubectl kustomize` (default: `kustomize`, else
    /// `kubectl` on PATH).
    #[arg(long)]
    pub kustomize: Option<PathBuf>,
    /// Keep renders on disk here, keyed by their inputs, to reuse them across runs.
    #[arg(long)]
    pub cache_dir: Option<PathBuf>,
    /// Render nothing: Helm and Kustomize sources become notes.
    #[arg(long)]
    pub no_render: bool,
}

impl RenderArgs {
    pub fn flags(&self) -> crate::RenderFlags {
        crate::RenderFlags {
            helm: self.helm.clone(),
            kustomize: self.kustomize.clone(),
            cache_dir: self.cache_dir.clone(),
            no_render: self.no_render,
            memo: None,
            progress: None,
        }
    }
}
