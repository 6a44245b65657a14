//! `--format json`, version 1: the stable machine format described in DESIGN.md. With
//! `--statistics`, a `statistics` array follows the summary.

use serde_json::{Value, json};

use super::Report;

pub const VERSION: u32 = 1;

pub fn diagnostic_json(report: &Report<'_>, d: &crate::diagnostic::Diagnostic) -> Value {
    let (file, line, column) = report.position(d.location);
    let mut v = json!({
        "rule": d.rule,
        "severity": d.severity.as_str(),
        "message": d.message,
        "help": d.help,
        "file": file,
        "line": line,
        "column": column,
        // Whether `manifest-guard fix` repairs it: planned here as `fix` would, nothing written.
        "fixable": crate::fix::fixable(report.inventory, d).as_str(),
    });
    if let Some(o) = d.object {
        let o = report.inventory.object(o);
        v["object"] = json!({
            "apiVersion": o.api_version,
            "kind": o.id.kind,
            "namespace": o.id.namespace,
            "name": o.id.name,
            "cluster": o.id.cluster,
        });
    }
    let related: Vec<Value> = d
        .related
        .iter()
        .map(|r| {
            let (file, line, column) = report.position(r.location);
            json!({"file": file, "line": line, "column": column, "message": r.message})
        })
        .collect();
    v["related"] = Value::Array(related);
    v
}

pub fn render(report: &Report<'_>, options: &super::Options) -> String {
    // The summary reads every object: on a thread of its own while this one writes the
    // findings. Each finding is planned as `fix` would plan it (is it fixable?), and a plan may
    // build an index with rayon inside a memo's `OnceLock` (`fix::one_object_per_file`): that
    // must stay here, off rayon's pool, where no pool thread can wait on the same lock.
    let (diagnostics, summary) = std::thread::scope(|scope| {
        let summary = scope.spawn(|| report.summary());
        let diagnostics: Vec<Value> = report
            .diagnostics
            .iter()
            .map(|d| diagnostic_json(report, d))
            .collect();
        let summary = summary
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (diagnostics, summary)
    });
    let mut out = json!({
        "version": VERSION,
        "summary": summary,
    });
    if options.statistics {
        out["statistics"] = super::statistics_json(&super::report_statistics(report));
    }
    out["diagnostics"] = Value::Array(diagnostics);
    super::json_text(&out)
}
