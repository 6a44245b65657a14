//! `unknown-project`: an Application names an AppProject the repository does not define.

use crate::diagnostic::{Diagnostic, Severity};
use crate::model::Inventory;

use super::{Meta, Reads, Rule, util};

pub static META: Meta = Meta {
    id: "unknown-project",
    severity: Severity::Warning,
    summary: "an Application names an AppProject that is not defined in the repository",
    document: include_str!("../../rules/unknown-project.md"),
    reads: Reads::Inventory,
};

pub struct UnknownProject;

impl Rule for UnknownProject {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check(&self, inventory: &Inventory) -> Vec<Diagnostic> {
        let defined: Vec<&str> = inventory.projects.iter().map(|p| p.name.as_str()).collect();
        inventory
            .live_apps()
            .filter(|(_, a)| a.project != "default" && inventory.project(&inventory.argocd_namespace, &a.project).is_none())
            .map(|(_, app)| {
                let known = if defined.is_empty() {
                    "no AppProject is defined here".to_string()
                } else {
                    format!("defined here: {}", defined.join(", "))
                };
                let mut d = META
                    .diagnostic(
                        app.locations.project,
                        format!(
                            "{} uses AppProject `{}`, which is not defined in the repository ({known}); its permissions cannot be checked",
                            util::app_name(inventory, app),
                            app.project
                        ),
                    )
                    .with_label("unknown project")
                    .with_help(
                        "fix the project name, or add the AppProject to the repository; if projects live elsewhere, \
                         set this rule to `off` in .manifest-guard.yaml",
                    );
                d.object = app.object;
                d
            })
            .collect()
    }
}
