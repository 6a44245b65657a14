//! Test support: writes a synthetic, seeded GitOps monorepo for benchmarks (`scripts/bench`,
//! `scripts/bench-diff`) and for the benchmark's smoke test (`tests/bench_smoke.rs`).
//!
//! `cargo run --release --example generate_tree -- DIR APPS OBJECTS_PER_APP [--seed S]
//! [--plant N] [--expected FILE] [--layout flat] [--overlays N] [--charts N]`
//!
//! DIR gets a root Application reading `apps/`, one app-of-apps Application per team there, and
//! under `teams/team-T/`: one Application per file in `apps/`, each reading a directory of
//! OBJECTS_PER_APP manifests (at least 4: a Deployment, its Service, ServiceAccount and ConfigMap,
//! then a seeded mix of Deployments, Services, ConfigMaps, ServiceAccounts, StatefulSets with a
//! volume claim template, PodDisruptionBudgets and HorizontalPodAutoscalers), one object per
//! file; an ApplicationSet with a list generator (two environments) per team, and on every
//! other team one with a git directory generator. All Applications are in one AppProject
//! restricted to `team-*` namespaces: a healthy repository, so a run measures the work.
//!
//! `--plant N` adds N findings of each of `duplicate-application`, `duplicate-resource` and
//! `one-object-per-file` (in seeded Applications); `--expected FILE` writes, as JSON, the count
//! of findings per rule a correct `check` reports (every rule absent from it: zero). The same
//! arguments always write the same bytes.
//!
//! `--overlays N --charts M` (the render-heavy mode) adds N Kustomize overlays of one base and M
//! local Helm charts under `render/`, each deployed by its own Application from `apps/`; they
//! need `kustomize` (or `kubectl`) and `helm` on PATH, and plant nothing.

#![allow(clippy::print_stdout, clippy::print_stderr, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

const REPO: &str = "https://git.example.com/platform/gitops.git";
/// Applications per team; a team has one app-of-apps Application and its ApplicationSets.
const TEAM_SIZE: usize = 25;
const ENVS: [&str; 2] = ["dev", "staging"];
const TOOLS: [&str; 2] = ["metrics", "backup"];

/// splitmix64: a seeded generator small enough to keep here, so the tree depends on no crate's
/// version of a random number generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

struct Writer {
    files: usize,
    objects: usize,
}

impl Writer {
    /// Writes one file holding `objects` Kubernetes objects.
    fn write(&mut self, path: &Path, text: &str, objects: usize) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
        self.files += 1;
        self.objects += objects;
    }
}

struct Args {
    dir: String,
    apps: usize,
    per_app: usize,
    seed: u64,
    plant: usize,
    expected: Option<String>,
    flat: bool,
    overlays: usize,
    charts: usize,
}

fn usage() -> ! {
    eprintln!(
        "usage: generate_tree DIR APPS OBJECTS_PER_APP [--seed S] [--plant N] [--expected FILE] [--layout flat] [--overlays N] [--charts N]"
    );
    std::process::exit(2);
}

fn parse_args() -> Args {
    let mut positional = Vec::new();
    let (mut seed, mut plant, mut expected, mut flat) = (1, 0, None, false);
    let (mut overlays, mut charts) = (0, 0);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage());
        match arg.as_str() {
            "--seed" => seed = value().parse().unwrap_or_else(|_| usage()),
            "--plant" => plant = value().parse().unwrap_or_else(|_| usage()),
            "--overlays" => overlays = value().parse().unwrap_or_else(|_| usage()),
            "--charts" => charts = value().parse().unwrap_or_else(|_| usage()),
            "--expected" => expected = Some(value()),
            "--layout" => {
                flat = match value().as_str() {
                    "flat" => true,
                    "teams" => false,
                    _ => usage(),
                }
            }
            _ if arg.starts_with("--") => usage(),
            _ => positional.push(arg),
        }
    }
    if positional.len() != 3 {
        usage();
    }
    let apps: usize = positional[1].parse().unwrap_or_else(|_| usage());
    let per_app: usize = positional[2].parse().unwrap_or_else(|_| usage());
    if apps == 0 || (per_app < 4 && !flat) {
        eprintln!("generate_tree: APPS must be at least 1 and OBJECTS_PER_APP at least 4");
        std::process::exit(2);
    }
    Args {
        dir: positional[0].clone(),
        apps,
        per_app,
        seed,
        plant,
        expected,
        flat,
        overlays,
        charts,
    }
}

fn application(name: &str, path: &str, namespace: &str, revision: &str) -> String {
    format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {name}\n  namespace: argocd\nspec:\n  project: platform\n  source:\n    repoURL: {REPO}\n    targetRevision: {revision}\n    path: {path}\n  destination:\n    name: in-cluster\n    namespace: {namespace}\n  syncPolicy:\n    automated:\n      prune: true\n"
    )
}

/// A Deployment; `replicas: None` leaves the count to a HorizontalPodAutoscaler (an automated
/// sync would otherwise reset what it scaled: `hpa-replicas-conflict`).
fn deployment(name: &str, image: &str, replicas: Option<usize>) -> String {
    let replicas = replicas.map_or(String::new(), |r| format!("  replicas: {r}\n"));
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  labels:\n    app: {name}\nspec:\n{replicas}  selector:\n    matchLabels:\n      app: {name}\n  template:\n    metadata:\n      labels:\n        app: {name}\n    spec:\n      serviceAccountName: web\n      containers:\n        - name: main\n          image: {image}\n          ports:\n            - containerPort: 8080\n          resources:\n            requests:\n              cpu: 100m\n              memory: 128Mi\n"
    )
}

fn service(name: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\nspec:\n  selector:\n    app: {name}\n  ports:\n    - port: 80\n      targetPort: 8080\n"
    )
}

fn config_map(name: &str, level: &str, replicas: usize) -> String {
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  settings.yaml: |\n    level: {level}\n    replicas: {replicas}\n"
    )
}

fn service_account(name: &str) -> String {
    format!("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {name}\n")
}

fn stateful_set(name: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: {name}\nspec:\n  serviceName: {name}\n  replicas: 3\n  selector:\n    matchLabels:\n      app: {name}\n  template:\n    metadata:\n      labels:\n        app: {name}\n    spec:\n      containers:\n        - name: db\n          image: registry.example.com/db:16\n  volumeClaimTemplates:\n    - metadata:\n        name: data\n      spec:\n        accessModes: [ReadWriteOnce]\n        resources:\n          requests:\n            storage: 10Gi\n"
    )
}

fn pdb(name: &str) -> String {
    format!(
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: {name}\nspec:\n  minAvailable: 1\n  selector:\n    matchLabels:\n      app: web\n"
    )
}

fn hpa(name: &str) -> String {
    format!(
        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: {name}\nspec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: web\n  minReplicas: 2\n  maxReplicas: 10\n  metrics:\n    - type: Resource\n      resource:\n        name: cpu\n        target:\n          type: Utilization\n          averageUtilization: 70\n"
    )
}

fn list_application_set(team: usize) -> String {
    let mut elements = String::new();
    for env in ENVS {
        let _ = writeln!(elements, "          - env: {env}");
    }
    format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: team-{team}-web\n  namespace: argocd\nspec:\n  goTemplate: true\n  goTemplateOptions: [\"missingkey=error\"]\n  generators:\n    - list:\n        elements:\n{elements}  template:\n    metadata:\n      name: 'team-{team}-web-{{{{.env}}}}'\n    spec:\n      project: platform\n      source:\n        repoURL: {REPO}\n        targetRevision: HEAD\n        path: 'teams/team-{team}/envs/{{{{.env}}}}'\n      destination:\n        name: in-cluster\n        namespace: 'team-{team}-web-{{{{.env}}}}'\n"
    )
}

fn git_application_set(team: usize) -> String {
    format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: team-{team}-tools\n  namespace: argocd\nspec:\n  goTemplate: true\n  goTemplateOptions: [\"missingkey=error\"]\n  generators:\n    - git:\n        repoURL: {REPO}\n        revision: HEAD\n        directories:\n          - path: 'teams/team-{team}/tools/*'\n  template:\n    metadata:\n      name: 'team-{team}-tool-{{{{.path.basename}}}}'\n    spec:\n      project: platform\n      source:\n        repoURL: {REPO}\n        targetRevision: HEAD\n        path: '{{{{.path.path}}}}'\n      destination:\n        name: in-cluster\n        namespace: 'team-{team}-tool-{{{{.path.basename}}}}'\n"
    )
}

/// The tree of the first benchmarks (`--layout flat`, kept so that `scripts/bench-renames`
/// figures stay comparable): a root app-of-apps, `apps/app-N.yaml`, and `services/app-N/svc-J.yaml`
/// cycling Deployment, Service, ConfigMap and StatefulSet.
fn write_flat(dir: &Path, apps: usize, per_app: usize) {
    write_file(
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
    write_file(
        &dir.join("projects/platform.yaml"),
        &format!(
            "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata:\n  name: platform\n  namespace: argocd\nspec:\n  sourceRepos:\n    - {REPO}\n  destinations:\n    - name: in-cluster\n      namespace: argocd\n{destinations}  clusterResourceWhitelist: []\n"
        ),
    );
    write_file(
        &dir.join("root.yaml"),
        &format!(
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: root\n  namespace: argocd\nspec:\n  project: platform\n  source:\n    repoURL: {REPO}\n    path: apps\n  destination:\n    name: in-cluster\n    namespace: argocd\n"
        ),
    );
    let mut objects = 0;
    for i in 0..apps {
        let ns = format!("team-{i}");
        write_file(
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
            write_file(&dir.join(format!("services/app-{i}/{name}.yaml")), &text);
            objects += 1;
        }
    }
    println!(
        "wrote {apps} Applications and {objects} objects under {}",
        dir.display()
    );
}

fn write_file(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// The rules `--plant N` plants N findings of; every other rule must stay silent.
pub const PLANTED_RULES: [&str; 3] = [
    "duplicate-application",
    "duplicate-resource",
    "one-object-per-file",
];

fn main() {
    let args = parse_args();
    let dir = Path::new(&args.dir);
    let _ = fs::remove_dir_all(dir);
    if args.flat {
        write_flat(dir, args.apps, args.per_app);
        return;
    }
    let (mut files, mut objects, teams) =
        generate(dir, args.apps, args.per_app, args.seed, args.plant);
    let (render_files, render_objects) = generate_render(dir, args.overlays, args.charts);
    files += render_files;
    objects += render_objects;
    if let Some(expected) = &args.expected {
        let rules: Vec<String> = PLANTED_RULES
            .iter()
            .map(|rule| format!("    \"{rule}\": {}", args.plant))
            .collect();
        fs::write(
            expected,
            format!(
                "{{\n  \"seed\": {},\n  \"rules\": {{\n{}\n  }}\n}}\n",
                args.seed,
                rules.join(",\n")
            ),
        )
        .unwrap();
    }
    println!(
        "wrote {} Applications in {teams} teams, {files} files, {objects} objects as written (before ApplicationSets) under {}; {} planted findings of each of {} rules (seed {})",
        args.apps,
        dir.display(),
        args.plant,
        PLANTED_RULES.len(),
        args.seed
    );
}

/// Writes the team layout under `dir` (which must not exist); returns the files and objects
/// written and the number of teams. Each of `PLANTED_RULES` then has `plant` findings.
pub fn generate(
    dir: &Path,
    apps: usize,
    per_app: usize,
    seed: u64,
    plant: usize,
) -> (usize, usize, usize) {
    let mut rng = Rng(seed);
    let mut out = Writer {
        files: 0,
        objects: 0,
    };
    fs::create_dir_all(dir).unwrap();
    fs::write(
        dir.join(".manifest-guard.yaml"),
        format!("repositories:\n  - url: {REPO}\n    path: .\n"),
    )
    .unwrap();
    out.write(
        &dir.join("projects/platform.yaml"),
        &format!(
            "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata:\n  name: platform\n  namespace: argocd\nspec:\n  sourceRepos:\n    - {REPO}\n  destinations:\n    - name: in-cluster\n      namespace: argocd\n    - name: in-cluster\n      namespace: 'team-*'\n  clusterResourceWhitelist: []\n"
        ),
        1,
    );
    out.write(
        &dir.join("root.yaml"),
        &application("root", "apps", "argocd", "HEAD"),
        1,
    );

    // Which Applications get a planted finding: N draws (an Application may get several).
    let mut plants: BTreeMap<usize, usize> = BTreeMap::new();
    for _ in 0..plant {
        *plants.entry(rng.below(apps)).or_default() += 1;
    }

    let teams = apps.div_ceil(TEAM_SIZE);
    for team in 0..teams {
        let team_dir = dir.join(format!("teams/team-{team}"));
        out.write(
            &dir.join(format!("apps/team-{team}.yaml")),
            &application(
                &format!("team-{team}"),
                &format!("teams/team-{team}/apps"),
                "argocd",
                "HEAD",
            ),
            1,
        );
        out.write(
            &team_dir.join("apps/appset-web.yaml"),
            &list_application_set(team),
            1,
        );
        for env in ENVS {
            let name = "web";
            out.write(
                &team_dir.join(format!("envs/{env}/deployment.yaml")),
                &deployment(name, "registry.example.com/web:2.4.1", Some(1)),
                1,
            );
            out.write(
                &team_dir.join(format!("envs/{env}/service.yaml")),
                &service(name),
                1,
            );
            out.write(
                &team_dir.join(format!("envs/{env}/serviceaccount.yaml")),
                &service_account(name),
                1,
            );
        }
        if team % 2 == 0 {
            out.write(
                &team_dir.join("apps/appset-tools.yaml"),
                &git_application_set(team),
                1,
            );
            for tool in TOOLS {
                out.write(
                    &team_dir.join(format!("tools/{tool}/deployment.yaml")),
                    &deployment(
                        "web",
                        &format!("registry.example.com/{tool}:0.9.0"),
                        Some(1),
                    ),
                    1,
                );
                out.write(
                    &team_dir.join(format!("tools/{tool}/serviceaccount.yaml")),
                    &service_account("web"),
                    1,
                );
            }
        }
    }

    for app in 0..apps {
        let team = app / TEAM_SIZE;
        let name = format!("app-{app}");
        let path = format!("teams/team-{team}/services/{name}");
        let apps_dir = dir.join(format!("teams/team-{team}/apps"));
        out.write(
            &apps_dir.join(format!("{name}.yaml")),
            &application(&name, &path, &format!("team-{team}-{name}"), "HEAD"),
            1,
        );
        let svc_dir = dir.join(&path);
        let image = format!("registry.example.com/{name}:1.{}.0", rng.below(20));
        let mut mix = Vec::new();
        for j in 4..per_app {
            // The mix of a typical service directory: mostly workloads and their configuration.
            let (file, text) = match rng.below(100) {
                0..25 => (
                    format!("worker-{j}-deployment.yaml"),
                    deployment(&format!("worker-{j}"), &image, Some(1)),
                ),
                25..40 => (
                    format!("worker-{j}-service.yaml"),
                    service(&format!("worker-{j}")),
                ),
                40..65 => (
                    format!("config-{j}-configmap.yaml"),
                    config_map(&format!("config-{j}"), "debug", j),
                ),
                65..75 => (
                    format!("sa-{j}-serviceaccount.yaml"),
                    service_account(&format!("sa-{j}")),
                ),
                75..85 => (
                    format!("db-{j}-statefulset.yaml"),
                    stateful_set(&format!("db-{j}")),
                ),
                85..93 => (format!("pdb-{j}.yaml"), pdb(&format!("pdb-{j}"))),
                _ => (format!("hpa-{j}.yaml"), hpa(&format!("hpa-{j}"))),
            };
            mix.push((file, text));
        }
        // An HPA of the mix scales `web`: then the Deployment leaves `replicas` to it (an
        // automated sync would otherwise reset what it scaled: `hpa-replicas-conflict`), and
        // otherwise asks for two, so that a PodDisruptionBudget of one leaves room to evict.
        let scaled = mix.iter().any(|(file, _)| file.starts_with("hpa-"));
        out.write(
            &svc_dir.join("deployment.yaml"),
            &deployment("web", &image, (!scaled).then_some(2)),
            1,
        );
        out.write(&svc_dir.join("service.yaml"), &service("web"), 1);
        out.write(
            &svc_dir.join("serviceaccount.yaml"),
            &service_account("web"),
            1,
        );
        out.write(
            &svc_dir.join("configmap.yaml"),
            &config_map("web-config", "info", 2),
            1,
        );
        for (file, text) in mix {
            out.write(&svc_dir.join(file), &text, 1);
        }
        for k in 0..plants.get(&app).copied().unwrap_or(0) {
            // duplicate-application: an earlier file (`-` sorts before `.`) with the same name
            // and another revision; the later `app-N.yaml` wins and this one is reported.
            out.write(
                &apps_dir.join(format!("{name}-copy-{k}.yaml")),
                &application(&name, &path, &format!("team-{team}-{name}"), "release"),
                1,
            );
            // duplicate-resource: the ConfigMap `web-config` again, in the same directory.
            out.write(
                &svc_dir.join(format!("configmap-override-{k}.yaml")),
                &config_map("web-config", "warn", 3),
                1,
            );
            // one-object-per-file: two ConfigMaps of distinct names in one file.
            out.write(
                &svc_dir.join(format!("extras-{k}.yaml")),
                &format!(
                    "{}---\n{}",
                    config_map(&format!("extra-{k}-a"), "info", 1),
                    config_map(&format!("extra-{k}-b"), "info", 1)
                ),
                2,
            );
        }
    }

    (out.files, out.objects, teams)
}

/// The render-heavy part: `overlays` Kustomize overlays of one base and `charts` local Helm
/// charts, each with its Application in `apps/`. Returns the files and objects written (the
/// Applications; what renders is counted by `check`).
pub fn generate_render(dir: &Path, overlays: usize, charts: usize) -> (usize, usize) {
    let mut out = Writer {
        files: 0,
        objects: 0,
    };
    if overlays > 0 {
        let base = dir.join("render/base");
        fs::create_dir_all(&base).unwrap();
        fs::write(
            base.join("kustomization.yaml"),
            "resources:\n  - deployment.yaml\n  - service.yaml\n",
        )
        .unwrap();
        fs::write(
            base.join("deployment.yaml"),
            deployment("web", "registry.example.com/web:3.0.0", Some(2)),
        )
        .unwrap();
        fs::write(base.join("service.yaml"), service("web")).unwrap();
    }
    for k in 0..overlays {
        let path = format!("render/overlays/o{k}");
        fs::create_dir_all(dir.join(&path)).unwrap();
        fs::write(
            dir.join(&path).join("kustomization.yaml"),
            format!("namePrefix: o{k}-\nlabels:\n  - pairs:\n      overlay: o{k}\nresources:\n  - ../../base\n"),
        )
        .unwrap();
        out.write(
            &dir.join(format!("apps/render-o{k}.yaml")),
            &application(
                &format!("render-o{k}"),
                &path,
                &format!("team-render-o{k}"),
                "HEAD",
            ),
            1,
        );
    }
    for k in 0..charts {
        let path = format!("render/charts/c{k}");
        let chart = dir.join(&path);
        fs::create_dir_all(chart.join("templates")).unwrap();
        fs::write(
            chart.join("Chart.yaml"),
            format!("apiVersion: v2\nname: c{k}\nversion: 1.0.{k}\n"),
        )
        .unwrap();
        fs::write(
            chart.join("values.yaml"),
            "replicas: 2\nimage: registry.example.com/chart:1.0.0\nport: 8080\n",
        )
        .unwrap();
        fs::write(
            chart.join("templates/deployment.yaml"),
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n  labels:\n    app: {{ .Release.Name }}\nspec:\n  replicas: {{ .Values.replicas }}\n  selector:\n    matchLabels:\n      app: {{ .Release.Name }}\n  template:\n    metadata:\n      labels:\n        app: {{ .Release.Name }}\n    spec:\n      containers:\n        - name: main\n          image: {{ .Values.image | quote }}\n          ports:\n            - containerPort: {{ .Values.port }}\n",
        )
        .unwrap();
        fs::write(
            chart.join("templates/service.yaml"),
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  selector:\n    app: {{ .Release.Name }}\n  ports:\n    - port: 80\n      targetPort: {{ .Values.port }}\n",
        )
        .unwrap();
        out.write(
            &dir.join(format!("apps/render-c{k}.yaml")),
            &application(
                &format!("render-c{k}"),
                &path,
                &format!("team-render-c{k}"),
                "HEAD",
            ),
            1,
        );
    }
    (out.files, out.objects)
}
