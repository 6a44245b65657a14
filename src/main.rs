//! The `manifest-guard` binary: parse flags, run, print the report, set the exit status.
//! This is the only place that prints.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use manifest_guard::cli::{
    CatalogueFormat, CheckArgs, Cli, ColorChoice, Command, FailOn, RenderFormat,
};
use manifest_guard::diagnostic::Severity;
use manifest_guard::report::{self, Report};
use manifest_guard::{CheckOptions, rules};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check(args) => check(args),
        Command::Render {
            paths,
            format,
            config,
        } => match manifest_guard::inventory(&paths, config.as_deref()) {
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
                    serde_json::json!({"id": m.id, "severity": m.severity.as_str(), "summary": m.summary})
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
                    format!(
                        "{:width$}  {:7}  {}\n",
                        m.id,
                        m.severity.as_str(),
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

fn check(args: CheckArgs) -> ExitCode {
    if let Some(jobs) = args.jobs {
        // Only fails when a pool already exists, which cannot happen this early.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(jobs.max(1))
            .build_global();
    }
    let opts = CheckOptions {
        paths: args.paths,
        config: args.config,
        select: args.select,
        ignore: args.ignore,
    };
    let run = match manifest_guard::check(&opts) {
        Ok(run) => run,
        Err(e) => return fatal(&e, args.color),
    };
    let report = Report {
        inventory: &run.inventory,
        diagnostics: &run.diagnostics,
    };
    print!(
        "{}",
        report::render(args.format, &report, use_color(args.color))
    );
    let threshold = match args.fail_on {
        FailOn::Error => Some(Severity::Error),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Note => Some(Severity::Note),
        FailOn::Never => None,
    };
    if run.fails(threshold) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
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
