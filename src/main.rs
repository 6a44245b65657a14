//! The `manifest-guard` binary: parse flags, run, print the report, set the exit status.
//! This is the only place that prints.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use manifest_guard::cli::{
    CatalogueFormat, CheckArgs, Cli, ColorChoice, Command, DiffArgs, FailOn, RenderFormat,
};
use manifest_guard::diagnostic::Severity;
use manifest_guard::report::{self, Format, Report};
use manifest_guard::{CheckOptions, rules};

fn main() -> ExitCode {
    // Before anything is created or spawned: an interrupt removes what the run left (temporary
    // directories, tool processes) and exits 130, whatever the command.
    manifest_guard::scratch::install_interrupt_handler();
    let cli = Cli::parse();
    match cli.command {
        Command::Check(args) => check(args),
        Command::Diff(args) => diff(args),
        Command::Render {
            paths,
            format,
            config,
            render,
        } => match manifest_guard::inventory(&paths, config.as_deref(), &render.flags()) {
            Ok((inventory, _)) => {
                print!(
                    "{}",
                    match format {
                        RenderFormat::Json => report::inventory::render_json(&inventory),
                        RenderFormat::Yaml => report::inventory::render_yaml(&inventory),
                    }
                );
                ExitCode::SUCCESS
            }
            Err(e) => fatal(&e, ColorChoice::Auto),
        },
        Command::Rules { format } => {
            print!("{}", catalogue(format));
            ExitCode::SUCCESS
        }
        Command::Explain { rule } => match rules::find(&rule) {
            Some(r) => {
                print!("{}", r.meta().document);
                ExitCode::SUCCESS
            }
            None => {
                eprintln!(
                    "error: unknown rule `{rule}`; {}",
                    manifest_guard::config::suggest(&rule)
                );
                ExitCode::from(2)
            }
        },
    }
}

fn catalogue(format: CatalogueFormat) -> String {
    let rules = rules::registry();
    match format {
        CatalogueFormat::Json => {
            let list: Vec<_> = rules
                .iter()
                .map(|r| {
                    let m = r.meta();
                    serde_json::json!({
                        "id": m.id,
                        "severity": m.severity.as_str(),
                        "summary": m.summary,
                        "reads": if r.is_change_rule() { "changes" } else { "inventory" },
                    })
                })
                .collect();
            let mut s =
                serde_json::to_string_pretty(&serde_json::json!({"version": 1, "rules": list}))
                    .unwrap_or_default();
            s.push('\n');
            s
        }
        CatalogueFormat::Human => {
            let width = rules.iter().map(|r| r.meta().id.len()).max().unwrap_or(0);
            rules
                .iter()
                .map(|r| {
                    let m = r.meta();
                    let command = if r.is_change_rule() { "diff" } else { "check" };
                    format!(
                        "{:width$}  {:7}  {:5}  {}\n",
                        m.id,
                        m.severity.as_str(),
                        command,
                        m.summary
                    )
                })
                .collect()
        }
    }
}

fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

fn set_jobs(jobs: Option<usize>) {
    if let Some(jobs) = jobs {
        // Only fails when a pool already exists, which cannot happen this early.
        let _ = rayon::ThreadPoolBuilder::new()
            // More threads than this only exhausts the machine (and can abort thread creation).
            .num_threads(jobs.clamp(1, 256))
            .build_global();
    }
}

fn check(args: CheckArgs) -> ExitCode {
    set_jobs(args.jobs);
    let opts = CheckOptions {
        paths: args.paths,
        config: args.config,
        select: args.select,
        ignore: args.ignore,
        render: args.render.flags(),
    };
    let run = match manifest_guard::check(&opts) {
        Ok(run) => run,
        Err(e) => return fatal(&e, args.color),
    };
    let report = Report {
        inventory: &run.inventory,
        diagnostics: &run.diagnostics,
    };
    let threshold = match args.fail_on {
        FailOn::Error => Some(Severity::Error),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Note => Some(Severity::Note),
        FailOn::Never => None,
    };
    let options = report_options(args.color, threshold);
    // In a GitHub Actions log the findings are annotations as well, unless a format was chosen.
    let formats = match args.format {
        Some(format) => vec![format],
        None if env_is("GITHUB_ACTIONS", "true") => vec![Format::Human, Format::Github],
        None => vec![Format::Human],
    };
    for format in formats {
        emit(&report::render(format, &report, &options));
    }
    if run.fails(threshold) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn threshold(fail_on: FailOn) -> Option<Severity> {
    match fail_on {
        FailOn::Error => Some(Severity::Error),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Note => Some(Severity::Note),
        FailOn::Never => None,
    }
}

fn diff(args: DiffArgs) -> ExitCode {
    set_jobs(args.jobs);
    let opts = manifest_guard::diff::DiffOptions {
        base: args.base,
        head: args.head,
        base_dir: args.base_dir,
        head_dir: args.head_dir,
        path: args.path,
        config: args.config,
        render: args.render.flags(),
    };
    let run = match manifest_guard::diff(&opts, &args.select, &args.ignore) {
        Ok(run) => run,
        Err(e) => return fatal(&e, args.color),
    };
    let report = Report {
        inventory: &run.changes.inventory,
        diagnostics: &run.diagnostics,
    };
    let threshold = threshold(args.fail_on);
    let options = report_options(args.color, threshold);
    let formats = match args.format {
        Some(format) => vec![format],
        None if env_is("GITHUB_ACTIONS", "true") => vec![Format::Human, Format::Github],
        None => vec![Format::Human],
    };
    for format in formats {
        let text = match format {
            Format::Human => {
                report::diff::human(&run.changes, &report, options.color, !args.no_diff)
            }
            Format::Json => report::diff::json(&run.changes, &report),
            Format::Markdown => report::diff::markdown(
                &run.changes,
                &report,
                &options,
                report::markdown::COMMENT_LIMIT,
            ),
            other => report::render(other, &report, &options),
        };
        emit(&text);
    }
    if run.fails(threshold) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Writes a report to stdout; a reader that went away (`| head`) is not an error worth a panic.
fn emit(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

fn env_is(name: &str, value: &str) -> bool {
    std::env::var(name).is_ok_and(|v| v == value)
}

fn report_options(color: ColorChoice, fail_on: Option<Severity>) -> report::Options {
    let repository = std::env::current_dir()
        .map(|cwd| report::Repository::discover(&cwd))
        .unwrap_or_default();
    // On GitHub Actions, Markdown links each finding to its line in the commit being checked.
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let blob_url = match (
        var("GITHUB_SERVER_URL"),
        var("GITHUB_REPOSITORY"),
        var("MANIFEST_GUARD_SHA").or_else(|| var("GITHUB_SHA")),
    ) {
        (Some(server), Some(repo), Some(sha)) => Some(format!(
            "{}/{repo}/blob/{sha}",
            server.trim_end_matches('/')
        )),
        _ => None,
    };
    report::Options {
        color: use_color(color),
        fail_on,
        repository,
        blob_url,
    }
}

/// Prints an error that stopped the run (exit status 2).
fn fatal(e: &manifest_guard::Error, color: ColorChoice) -> ExitCode {
    let theme = if use_color(color) {
        miette::GraphicalTheme::unicode()
    } else {
        miette::GraphicalTheme::unicode_nocolor()
    };
    let mut s = String::new();
    if miette::GraphicalReportHandler::new_themed(theme)
        .render_report(&mut s, e)
        .is_err()
    {
        s = format!("error: {e}\n");
    }
    eprint!("{s}");
    ExitCode::from(2)
}
