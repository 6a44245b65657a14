//! The `manifest-guard` binary: parse flags, run, print the report, set the exit status.
//! This is the only place that prints.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::fs::File;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use manifest_guard::cli::{
    CatalogueFormat, CheckArgs, Cli, ColorChoice, Command, DiffArgs, FailOn, FixArgs, MergeArgs,
    MergeFormat, OutputFile, RenderFormat, ReportArgs,
};
use manifest_guard::diagnostic::Severity;
use manifest_guard::render::{Progress, ProgressHook};
use manifest_guard::report::{self, Format, Report};
use manifest_guard::{CheckOptions, RenderFlags, rules};
use std::sync::Arc;

/// mimalloc: the run allocates millions of small nodes from several threads at once, where the
/// system allocator spends its time on arena locks (issue 12's profile: a third of the run in
/// malloc, free and futex wake-ups).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Progress of the Helm and Kustomize renders on stderr (renders done / planned, the unit that
/// last finished), only when stderr is a terminal: never in a pipe, a log or a report. Cleared
/// before the report is printed.
struct RenderBar {
    bar: ProgressBar,
}

impl RenderBar {
    /// A bar when stderr is a terminal, else `None`.
    fn on_terminal() -> Option<Arc<RenderBar>> {
        if !std::io::stderr().is_terminal() {
            return None;
        }
        // Drawn once the first renders are planned: a run without renders shows nothing.
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::hidden());
        if let Ok(style) =
            ProgressStyle::with_template("{spinner} rendering {pos}/{len} [{elapsed}] {wide_msg}")
        {
            bar.set_style(style);
        }
        Some(Arc::new(RenderBar { bar }))
    }

    /// The render flags with this bar told of every render.
    fn observe(bar: Option<&Arc<RenderBar>>, mut flags: RenderFlags) -> RenderFlags {
        flags.progress = bar.map(|b| ProgressHook(Arc::clone(b) as Arc<dyn Progress>));
        flags
    }

    fn finish(bar: Option<&Arc<RenderBar>>) {
        if let Some(b) = bar {
            b.bar.finish_and_clear();
        }
    }
}

impl Progress for RenderBar {
    fn planned(&self, renders: usize) {
        if self.bar.is_hidden() && renders > 0 {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            self.bar
                .enable_steady_tick(std::time::Duration::from_millis(120));
        }
        self.bar.inc_length(renders as u64);
    }

    fn rendered(&self, unit: &str) {
        // The directory comes from the repository: no escape sequence reaches the terminal.
        self.bar.set_message(report::printable(unit).into_owned());
        self.bar.inc(1);
    }
}

fn main() -> ExitCode {
    // Before anything is created or spawned: an interrupt removes what the run left (temporary
    // directories, tool processes) and exits 130, whatever the command.
    manifest_guard::scratch::install_interrupt_handler();
    let cli = Cli::parse();
    match cli.command {
        Command::Check(args) => check(args),
        Command::Diff(args) => diff(args),
        Command::Fix(args) => fix(args),
        Command::Render {
            paths,
            format,
            config,
            config_rev,
            render,
        } => show_inventory(
            &paths,
            format,
            config.as_deref(),
            config_rev.as_deref(),
            &render,
        ),
        Command::Merge(args) => merge(args),
        Command::Rules { format } => {
            print!("{}", catalogue(format));
            ExitCode::SUCCESS
        }
        Command::Completions { shell } => {
            emit(&manifest_guard::manual::completions(shell));
            ExitCode::SUCCESS
        }
        Command::Explain { rule } => match rules::find(&rule) {
            Some(r) => {
                print!("{}", r.meta().document);
                ExitCode::SUCCESS
            }
            None => {
                eprintln!(
                    "error: unknown rule `{}`; {}",
                    report::printable(&rule),
                    report::printable(&manifest_guard::config::suggest(&rule))
                );
                ExitCode::from(2)
            }
        },
    }
}

/// `render`: what the inventory holds.
fn show_inventory(
    paths: &[std::path::PathBuf],
    format: RenderFormat,
    config: Option<&std::path::Path>,
    config_rev: Option<&str>,
    render: &manifest_guard::cli::RenderArgs,
) -> ExitCode {
    let bar = RenderBar::on_terminal();
    let built = manifest_guard::inventory_with(
        paths,
        config,
        config_rev,
        &RenderBar::observe(bar.as_ref(), render.flags()),
    );
    RenderBar::finish(bar.as_ref());
    match built {
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
                        "reads": m.reads.as_str(),
                        "commands": m.reads.commands(),
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
                    let command = match m.reads.commands() {
                        [_, _] => "both",
                        [one] => one,
                        _ => "",
                    };
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
    set_jobs(args.report.jobs);
    let files = match create_outputs(&args.report.outputs) {
        Ok(files) => files,
        Err(code) => return code,
    };
    let bar = RenderBar::on_terminal();
    let opts = CheckOptions {
        paths: args.paths,
        config: args.config,
        config_rev: args.config_rev,
        select: args.report.select.clone(),
        ignore: args.report.ignore.clone(),
        render: RenderBar::observe(bar.as_ref(), args.render.flags()),
    };
    let run = manifest_guard::check(&opts);
    RenderBar::finish(bar.as_ref());
    let run = match run {
        Ok(run) => run,
        Err(e) => return fatal(&e, args.report.color),
    };
    let code = deliver_check(&args.report, files, &run, false);
    manifest_guard::stage_mark("report written");
    // The process ends here: its memory goes back at once, where freeing the inventory's
    // million nodes one by one would take a tenth of the run.
    std::mem::forget(run);
    code
}

/// `fix`: the changes made (or, with `--diff`, the unified diff of those it would make), then
/// the report of the check that followed them.
fn fix(args: FixArgs) -> ExitCode {
    use manifest_guard::fix::driver;
    set_jobs(args.report.jobs);
    let files = match create_outputs(&args.report.outputs) {
        Ok(files) => files,
        Err(code) => return code,
    };
    let bar = RenderBar::on_terminal();
    let opts = driver::FixOptions {
        check: CheckOptions {
            paths: args.paths,
            config: args.config,
            config_rev: args.config_rev,
            select: args.report.select.clone(),
            ignore: args.report.ignore.clone(),
            render: RenderBar::observe(bar.as_ref(), args.render.flags()),
        },
        unsafe_fixes: args.unsafe_fixes,
        diff_only: args.diff,
    };
    let run = driver::run(&opts);
    RenderBar::finish(bar.as_ref());
    let run = match run {
        Ok(run) => run,
        Err(e) => return fatal(&e, args.report.color),
    };
    let summary = report::fix::summary(&run, args.diff);
    if args.diff {
        // The diff alone on stdout, so that it can be applied with `git apply` / `patch -p1`;
        // as a Markdown section for a pull request (the Action's `suggest-fixes`).
        match args.report.format {
            Some(Format::Markdown) => emit(&report::fix::markdown(
                &run,
                report::markdown::COMMENT_LIMIT / 2,
            )),
            _ => emit(&report::fix::unified_diff(&run.applied)),
        }
        eprint!("{summary}");
        let code = if run.changed() {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        };
        std::mem::forget(run);
        return code;
    }
    // With a machine format on stdout, what was changed goes to stderr.
    match args.report.format {
        Some(Format::Human) | None => emit(&summary),
        Some(_) => eprint!("{summary}"),
    }
    let code = deliver_check(
        &args.report,
        files,
        &run.check,
        args.exit_non_zero_on_fix && run.changed(),
    );
    let code = if run.refused.is_empty() {
        code
    } else {
        ExitCode::from(2)
    };
    std::mem::forget(run);
    code
}

/// Writes a check's report as `args` asks (stdout and `--output` files) and gives the exit
/// status: 1 when a finding reaches `--fail-on`, or when `also_fails` (fix's
/// `--exit-non-zero-on-fix`); `check` and `fix` end alike.
fn deliver_check(
    args: &ReportArgs,
    files: Vec<(OutputFile, File)>,
    run: &manifest_guard::CheckRun,
    also_fails: bool,
) -> ExitCode {
    let report = Report {
        inventory: &run.inventory,
        diagnostics: &run.diagnostics,
        suppressed: &run.suppressed,
    };
    let threshold = threshold(args.fail_on);
    let options = report::Options {
        statistics: args.statistics,
        ..report_options(threshold)
    };
    let text = |format: Format, color: bool| {
        let options = report::Options {
            color,
            ..options.clone()
        };
        report::render(format, &report, &options)
    };
    deliver(args, files, text, run.fails(threshold) || also_fails)
}

/// `merge`: reads every report (a file that cannot be read, or is not a report of this version,
/// stops it with status 2, naming the file), prints the merged one, and fails per `--fail-on`
/// over the merged findings.
fn merge(args: MergeArgs) -> ExitCode {
    let mut reports = Vec::with_capacity(args.reports.len());
    for path in &args.reports {
        let name = report::printable(&path.to_string_lossy()).into_owned();
        match std::fs::read_to_string(path) {
            Ok(text) => reports.push((name, text)),
            Err(e) => {
                eprintln!("error: cannot read {name}: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let mut merged = match report::merge::merge(&reports) {
        Ok(merged) => merged,
        // The reasons quote the reports (a key, a version), which may come from anywhere.
        Err(e) => {
            eprintln!("error: {}", report::printable(&e.to_string()));
            return ExitCode::from(2);
        }
    };
    if args.unique {
        merged.drop_repeated();
    }
    if args.statistics {
        merged.add_statistics();
    }
    emit(&match args.format {
        MergeFormat::Json => merged.json(),
        MergeFormat::Human => merged.human(),
        MergeFormat::Github => merged.github(&report_options(None).repository),
    });
    let fails = threshold(args.fail_on).is_some_and(|t| merged.worst().is_some_and(|w| w >= t));
    if fails {
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
    set_jobs(args.report.jobs);
    let files = match create_outputs(&args.report.outputs) {
        Ok(files) => files,
        Err(code) => return code,
    };
    let bar = RenderBar::on_terminal();
    let opts = manifest_guard::diff::DiffOptions {
        base: args.base,
        head: args.head,
        base_dir: args.base_dir,
        head_dir: args.head_dir,
        path: args.path,
        config: args.config,
        render: RenderBar::observe(bar.as_ref(), args.render.flags()),
    };
    let run = manifest_guard::diff(&opts, &args.report.select, &args.report.ignore);
    RenderBar::finish(bar.as_ref());
    let run = match run {
        Ok(run) => run,
        Err(e) => return fatal(&e, args.report.color),
    };
    let report = Report {
        inventory: &run.changes.inventory,
        diagnostics: &run.diagnostics,
        suppressed: &run.suppressed,
    };
    let threshold = threshold(args.report.fail_on);
    let options = report::Options {
        statistics: args.report.statistics,
        ..report_options(threshold)
    };
    let text = |format: Format, color: bool| {
        let options = report::Options {
            color,
            ..options.clone()
        };
        match format {
            Format::Human => report::diff::human(&run.changes, &report, &options, !args.no_diff),
            Format::Concise => report::diff::concise(&run.changes, &report, &options),
            Format::Json => report::diff::json(&run.changes, &report, &options),
            Format::Markdown => report::diff::markdown(
                &run.changes,
                &report,
                &options,
                report::markdown::COMMENT_LIMIT,
            ),
            other => report::render(other, &report, &options),
        }
    };
    let fails = run.fails(threshold);
    let code = deliver(&args.report, files, text, fails);
    // The process ends here: its memory goes back at once, where freeing the inventory's
    // million nodes one by one would take a tenth of the run.
    std::mem::forget(run);
    code
}

/// Opens every `--output` file before the run, so that a path that cannot be written stops it
/// at once (exit status 2) instead of after minutes of rendering.
fn create_outputs(outputs: &[OutputFile]) -> Result<Vec<(OutputFile, File)>, ExitCode> {
    let mut files: Vec<(OutputFile, File)> = Vec::new();
    for output in outputs {
        if files.iter().any(|(o, _)| o.path == output.path) {
            eprintln!(
                "error: --output names `{}` twice; give each report a file of its own",
                report::printable(&output.path.to_string_lossy())
            );
            return Err(ExitCode::from(2));
        }
        match File::create(&output.path) {
            Ok(file) => files.push((output.clone(), file)),
            Err(e) => {
                eprintln!("error: cannot write {}: {e}", output_flag(output));
                return Err(ExitCode::from(2));
            }
        }
    }
    Ok(files)
}

/// `--output FORMAT=PATH` as the user wrote it, for messages.
fn output_flag(output: &OutputFile) -> String {
    let format = output
        .format
        .to_possible_value()
        .map(|v| v.get_name().to_string())
        .unwrap_or_default();
    format!(
        "--output {format}={}",
        report::printable(&output.path.to_string_lossy())
    )
}

/// Prints the `--format` report, writes the `--output` reports, and gives the exit status: 1
/// when the run `fails` per `--fail-on`, 2 when a report file could not be written.
fn deliver(
    args: &ReportArgs,
    files: Vec<(OutputFile, File)>,
    text: impl Fn(Format, bool) -> String,
    fails: bool,
) -> ExitCode {
    let (format, color) = (args.format, args.color);
    let on_actions = env_is("GITHUB_ACTIONS", "true");
    let stdout_color = use_color(color);
    // The human report echoes the repository (names, source lines, diffs, cluster names at the
    // start of a line), and the Actions runner takes any line that starts with `::`, after
    // spaces, for a workflow command: in a GitHub Actions log it is printed with commands
    // stopped, under a token the repository cannot know.
    let human = || {
        let mut human = text(Format::Human, stdout_color);
        if on_actions {
            if !human.ends_with('\n') {
                human.push('\n');
            }
            let token = report::github::stop_commands_token();
            human = format!(
                "{}{human}{}",
                report::github::stop_commands(&token),
                report::github::resume_commands(&token)
            );
        }
        human
    };
    match format {
        Some(Format::Human) | None => {
            let mut human = human();
            // A long report on a terminal ends by saying how to make it short; never in a CI log,
            // a pipe or a file.
            let on_terminal = !on_actions && std::io::stdout().is_terminal();
            if let Some(hint) =
                report::long_report_hint(human.lines().count(), on_terminal, args.statistics)
            {
                human.push_str(&hint);
                human.push('\n');
            }
            emit(&human)
        }
        Some(format) => emit(&text(format, stdout_color)),
    }
    // In a GitHub Actions log the findings are annotations as well, unless a format was chosen;
    // they come after commands resume.
    if format.is_none() && on_actions {
        emit(&text(Format::Github, stdout_color));
    }
    // Files get colour only when asked for it: a file is not a terminal.
    let file_color = color == ColorChoice::Always;
    let mut written = true;
    for (output, mut file) in files {
        let report = text(output.format, file_color);
        if let Err(e) = file
            .write_all(report.as_bytes())
            .and_then(|()| file.flush())
        {
            eprintln!("error: cannot write {}: {e}", output_flag(&output));
            written = false;
        }
    }
    if !written {
        ExitCode::from(2)
    } else if fails {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Writes a report to stdout; a reader that went away (`| head`) is not an error worth a panic.
fn emit(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

fn env_is(name: &str, value: &str) -> bool {
    std::env::var(name).is_ok_and(|v| v == value)
}

/// What every format needs besides the findings; `color` is set per report.
fn report_options(fail_on: Option<Severity>) -> report::Options {
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
        color: false,
        fail_on,
        repository,
        blob_url,
        statistics: false,
    }
}

/// Prints an error that stopped the run (exit status 2). It can quote the repository (a
/// configuration key, wrapped onto a line of its own): in a GitHub Actions log, with commands
/// stopped like the human report.
fn fatal(e: &manifest_guard::Error, color: ColorChoice) -> ExitCode {
    let mut text = report::human::render_error(e, use_color(color));
    if env_is("GITHUB_ACTIONS", "true") {
        if !text.ends_with('\n') {
            text.push('\n');
        }
        let token = report::github::stop_commands_token();
        text = format!(
            "{}{text}{}",
            report::github::stop_commands(&token),
            report::github::resume_commands(&token)
        );
    }
    eprint!("{text}");
    ExitCode::from(2)
}
