//! Progress of long runs (issue 12, "Render-heavy trees"): the render stage tells an observer of
//! every render it plans and finishes, across the rounds of an app-of-apps tree; the binary draws
//! a bar from it on a terminal only, never into a pipe (or a report). Requires `helm` and
//! `kubectl`, like every test that renders.

mod common;

use std::sync::{Arc, Mutex};

use common::{render_flags, render_tools, run_in, write};
use manifest_guard::render::{Progress, ProgressHook};

/// What the observer was told, in order.
#[derive(Default)]
struct Recorder {
    events: Mutex<Vec<Event>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Event {
    Planned(usize),
    Rendered(String),
}

impl Progress for Recorder {
    fn planned(&self, renders: usize) {
        self.events
            .lock()
            .expect("lock")
            .push(Event::Planned(renders));
    }

    fn rendered(&self, unit: &str) {
        self.events
            .lock()
            .expect("lock")
            .push(Event::Rendered(unit.to_string()));
    }
}

const REPO: &str = "https://git.example.com/platform/gitops.git";

/// A root Application rendering the Helm chart `root` (round 1), whose templates are three
/// Applications, each rendering an overlay (round 2); `shared` is rendered by two of them with
/// the same inputs (one render), and a standalone overlay no Application renders.
fn tree(dir: &std::path::Path) {
    write(
        dir,
        ".manifest-guard.yaml",
        format!("repositories:\n  - url: {REPO}\n    path: .\n"),
    );
    let app = |name: &str, path: &str| {
        format!(
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {name}\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: {REPO}\n    path: {path}\n  destination:\n    name: in-cluster\n    namespace: apps\n"
        )
    };
    write(dir, "root.yaml", app("root", "root"));
    write(
        dir,
        "root/Chart.yaml",
        "apiVersion: v2\nname: root\nversion: 1.0.0\n",
    );
    for (name, path) in [
        ("a", "overlays/a"),
        ("b", "overlays/shared"),
        ("c", "overlays/shared"),
    ] {
        write(dir, &format!("root/templates/{name}.yaml"), app(name, path));
    }
    for overlay in ["overlays/a", "overlays/shared", "standalone"] {
        write(
            dir,
            &format!("{overlay}/kustomization.yaml"),
            "resources:\n  - cm.yaml\n",
        );
        write(
            dir,
            &format!("{overlay}/cm.yaml"),
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n",
        );
    }
}

#[test]
fn the_observer_hears_of_every_render_once_with_the_totals_of_each_round() {
    if !render_tools() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    tree(dir.path());
    let recorder = Arc::new(Recorder::default());
    let flags = manifest_guard::RenderFlags {
        progress: Some(ProgressHook(recorder.clone())),
        ..render_flags()
    };
    let (inventory, _) =
        manifest_guard::inventory(&[dir.path().to_path_buf()], None, &flags).expect("inventory");
    assert_eq!(inventory.applications.len(), 4, "{:?}", inventory.notes);
    let events = recorder.events.lock().expect("lock").clone();
    let planned: Vec<usize> = events
        .iter()
        .filter_map(|e| match e {
            Event::Planned(n) => Some(*n),
            Event::Rendered(_) => None,
        })
        .collect();
    let mut rendered: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            Event::Rendered(unit) => Some(unit.clone()),
            Event::Planned(_) => None,
        })
        .collect();
    rendered.sort();
    // Round 1 the root chart, round 2 two distinct overlays (the shared one once), then the
    // standalone overlay as a unit of its own.
    assert_eq!(planned, [1, 2, 1], "{events:?}");
    assert_eq!(
        rendered,
        [
            "helm root",
            "kustomize overlays/a",
            "kustomize overlays/shared",
            "kustomize standalone"
        ]
    );
    // Every render of a round is heard of after the round is planned, before the next one.
    let mut open = 0usize;
    for e in &events {
        match e {
            Event::Planned(n) => {
                assert_eq!(open, 0, "a round is planned before the last one finished");
                open = *n;
            }
            Event::Rendered(_) => open -= 1,
        }
    }
    assert_eq!(open, 0);
}

// Tests run with stderr a pipe: the bar must not draw a byte there (nor in the report).
#[test]
fn no_progress_is_drawn_when_stderr_is_not_a_terminal() {
    if !render_tools() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    tree(dir.path());
    let out = run_in(dir.path(), &["check", "--format", "json"]);
    assert!(out.code <= 1, "{}", out.stderr);
    assert_eq!(
        out.stderr, "",
        "nothing on stderr when it is not a terminal"
    );
    assert!(!out.stdout.contains("rendering"), "{}", out.stdout);
    let summary = common::json(&out)["summary"].clone();
    assert_eq!(summary["applications_rendered"], 4, "{summary}");
}
