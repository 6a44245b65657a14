//! Test support: writes a synthetic GitOps repository for benchmarks (`scripts/bench`).
//!
//! `cargo run --release --example generate_tree -- DIR APPS OBJECTS_PER_APP`
//! DIR gets a root app-of-apps, one Application per file under `apps/`, and for each Application
//! a directory of OBJECTS_PER_APP manifests (Deployments, Services, ConfigMaps, and a StatefulSet
//! with a volume claim template), one object per file, all in a restricted AppProject: a healthy
//! repository, so the run measures the work, not the reporting.

#![allow(clippy::print_stdout, clippy::print_stderr, clippy::unwrap_used)]

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

const REPO: &str = "https://git.example.com/platform/gitops.git";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        eprintln!("usage: generate_tree DIR APPS OBJECTS_PER_APP");
        std::process::exit(2);
    }
    let dir = Path::new(&args[1]);
    let apps: usize = args[2].parse().unwrap();
    let per_app: usize = args[3].parse().unwrap();
    let _ = fs::remove_dir_all(dir);
    write(
        &dir.join(".manifest-guard.yaml"),
        &format!("repositories:\n  - url: {REPO}\n    path: .\n"),
    );
    let mut destinations = String::new();
    for i in 0..apps {
        let _ = write!(
            destinations,
            "    - name: in-cluster\n      namespace: team-{i}\n"
        );
    }
    write(
        &dir.join("projects/platform.yaml"),
        &format!(
            "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata:\n  name: platform\n  namespace: argocd\nspec:\n  sourceRepos:\n    - {REPO}\n  destinations:\n    - name: in-cluster\n      namespace: argocd\n{destinations}  clusterResourceWhitelist: []\n"
        ),
    );
    write(
        &dir.join("root.yaml"),
        &format!(
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: root\n  namespace: argocd\nspec:\n  project: platform\n  source:\n    repoURL: {REPO}\n    path: apps\n  destination:\n    name: in-cluster\n    namespace: argocd\n"
        ),
    );
    let mut objects = 0;
    for i in 0..apps {
        let ns = format!("team-{i}");
        write(
            &dir.join(format!("apps/app-{i}.yaml")),
            &format!(
                "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: app-{i}\n  namespace: argocd\nspec:\n  project: platform\n  source:\n    repoURL: {REPO}\n    path: services/app-{i}\n  destination:\n    name: in-cluster\n    namespace: {ns}\n  syncPolicy:\n    automated:\n      prune: true\n"
            ),
        );
        for j in 0..per_app {
            let name = format!("svc-{j}");
            let text = match j % 4 {
                0 => format!(
                    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  labels:\n    app: {name}\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: {name}\n  template:\n    metadata:\n      labels:\n        app: {name}\n    spec:\n      containers:\n        - name: main\n          image: registry.example.com/{name}:1.{j}.0\n          ports:\n            - containerPort: 8080\n"
                ),
                1 => format!(
                    "apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\nspec:\n  selector:\n    app: {name}\n  ports:\n    - port: 80\n      targetPort: 8080\n"
                ),
                2 => format!(
                    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  settings.yaml: |\n    level: info\n    replicas: {j}\n"
                ),
                _ => format!(
                    "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: {name}\nspec:\n  serviceName: {name}\n  replicas: 3\n  selector:\n    matchLabels:\n      app: {name}\n  template:\n    metadata:\n      labels:\n        app: {name}\n    spec:\n      containers:\n        - name: db\n          image: registry.example.com/db:16\n  volumeClaimTemplates:\n    - metadata:\n        name: data\n      spec:\n        accessModes: [ReadWriteOnce]\n        resources:\n          requests:\n            storage: 10Gi\n"
                ),
            };
            write(&dir.join(format!("services/app-{i}/{name}.yaml")), &text);
            objects += 1;
        }
    }
    println!(
        "wrote {apps} Applications and {objects} objects under {}",
        dir.display()
    );
}
