//! Prebuilt binaries (issue 15): the release workflow's packing (`scripts/release-package`) and
//! the Action's download (`scripts/action-install`, called by `action.yml`), tested against a
//! stand-in release served on loopback by `python3 -m http.server`: a good checksum installs a
//! binary that runs; a bad one, a missing line or file, a server that is down are refused with
//! a clear error. The workflow itself is checked with actionlint and GitHub's workflow schema.
//!
//! Tools come from `scripts/install-test-tools` (`.tools/`) or PATH. Without one a test is
//! skipped with its reason, except in CI (`CI=true`), where it fails.

// A skipped test says why on stderr.
#![allow(clippy::print_stderr)]

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use common::{readme_block, required_tool, root};

const VERSION: &str = env!("CARGO_PKG_VERSION");
const LINUX_X64: &str = "x86_64-unknown-linux-musl";

struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Ran {
    fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// Runs `cmd` without the variables a runner (or this test's caller) set that the test must
/// choose itself; those `cmd` sets explicitly stay.
fn run(cmd: &mut Command) -> Ran {
    let chosen: Vec<std::ffi::OsString> = cmd.get_envs().map(|(k, _)| k.to_owned()).collect();
    for (key, _) in std::env::vars_os() {
        let k = key.to_string_lossy();
        let runners = k.starts_with("GITHUB_")
            || k.starts_with("RUNNER_")
            || k.starts_with("MG_")
            || k.starts_with("MANIFEST_GUARD_");
        if runners && !chosen.contains(&key) {
            cmd.env_remove(&key);
        }
    }
    let out = cmd.output().expect("the command runs");
    Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn sha256_hex(path: &Path) -> String {
    use sha2::Digest;
    let bytes = std::fs::read(path).expect("read");
    sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `python3 -m http.server` on 127.0.0.1, on a port the system picks, serving `dir`.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(dir: &Path) -> Option<Server> {
        let python = required_tool("python3")?;
        let mut child = Command::new(python)
            .args([
                "-u",
                "-m",
                "http.server",
                "0",
                "--bind",
                "127.0.0.1",
                "--directory",
            ])
            .arg(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 starts");
        // "Serving HTTP on 127.0.0.1 port 41234 (http://127.0.0.1:41234/) ..."
        let mut line = String::new();
        let stdout = child.stdout.take().expect("stdout");
        BufReader::new(stdout).read_line(&mut line).expect("read");
        let port = line
            .split_whitespace()
            .skip_while(|w| *w != "port")
            .nth(1)
            .and_then(|p| p.parse::<u16>().ok())
            .unwrap_or_else(|| panic!("http.server said: {line}"));
        Some(Server {
            child,
            url: format!("http://127.0.0.1:{port}"),
        })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A binary for the stand-in release: the real one (130 MB in a debug build: packing and
/// serving it takes seconds), or a small script that answers `--version` as it does.
#[derive(Clone, Copy, PartialEq)]
enum Binary {
    Real,
    StandIn,
}

/// A stand-in release `v<VERSION>/` under `dir`: `binary` packed by `scripts/release-package`
/// for `target`, and `SHA256SUMS` over it as the workflow writes it.
fn stand_in_release(dir: &Path, target: &str, binary: Binary) -> PathBuf {
    let release = dir.join(format!("v{VERSION}"));
    let program = match binary {
        Binary::Real => PathBuf::from(env!("CARGO_BIN_EXE_manifest-guard")),
        Binary::StandIn => {
            std::fs::create_dir_all(dir).expect("mkdir");
            let script = dir.join("stand-in-manifest-guard");
            std::fs::write(
                &script,
                format!("#!/bin/sh\necho 'manifest-guard {VERSION}'\n"),
            )
            .expect("write");
            chmod_x(&script);
            script
        }
    };
    let ran = run(Command::new(root().join("scripts/release-package"))
        .arg(&program)
        .arg(VERSION)
        .arg(target)
        .arg(&release));
    assert_eq!(ran.code, 0, "{}", ran.all());
    let asset = format!("manifest-guard-{VERSION}-{target}.tar.gz");
    assert_eq!(
        ran.stdout.trim(),
        release.join(&asset).to_string_lossy(),
        "release-package names the archive"
    );
    let sums = format!(
        "{}  {asset}\n{}  manifest-guard-{VERSION}-other-target.tar.gz\n",
        sha256_hex(&release.join(&asset)),
        "0".repeat(64)
    );
    std::fs::write(release.join("SHA256SUMS"), sums).expect("write");
    release
}

/// Runs `scripts/action-install install` as the Action's install step would on a Linux X64
/// runner, against the release at `url`, into `dir/install`.
fn install(dir: &Path, url: &str, runner: (&str, &str)) -> Ran {
    run(Command::new(root().join("scripts/action-install"))
        .arg("install")
        .env("MG_VERSION", VERSION)
        .env("MG_ROOT", dir.join("install"))
        .env("RUNNER_OS", runner.0)
        .env("RUNNER_ARCH", runner.1)
        .env("RUNNER_TEMP", dir)
        .env("MANIFEST_GUARD_RELEASE_URL", url))
}

fn installed(dir: &Path) -> PathBuf {
    dir.join("install/bin/manifest-guard")
}

#[test]
fn a_release_binary_with_a_good_checksum_is_installed_and_runs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let served = dir.path().join("served");
    stand_in_release(&served, LINUX_X64, Binary::StandIn);
    let Some(server) = Server::start(&served) else {
        return;
    };
    let ran = install(dir.path(), &server.url, ("Linux", "X64"));
    assert_eq!(ran.code, 0, "{}", ran.all());
    assert!(ran.stdout.contains("checksum verified: "), "{}", ran.all());
    let version = run(Command::new(installed(dir.path())).arg("--version"));
    assert_eq!(version.stdout.trim(), format!("manifest-guard {VERSION}"));
    // `v` before the version is the same release.
    let again = run(Command::new(root().join("scripts/action-install"))
        .arg("install")
        .env("MG_VERSION", format!("v{VERSION}"))
        .env("MG_ROOT", dir.path().join("install"))
        .env("RUNNER_OS", "Linux")
        .env("RUNNER_ARCH", "X64")
        .env("RUNNER_TEMP", dir.path())
        .env("MANIFEST_GUARD_RELEASE_URL", &server.url));
    assert_eq!(again.code, 0, "{}", again.all());
    // The temporary download directory is gone.
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .expect("read_dir")
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("manifest-guard-install")
        })
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_checksum_mismatch_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let served = dir.path().join("served");
    let release = stand_in_release(&served, LINUX_X64, Binary::StandIn);
    // The archive is replaced after SHA256SUMS was written (a tampered or truncated asset).
    let asset = release.join(format!("manifest-guard-{VERSION}-{LINUX_X64}.tar.gz"));
    let mut bytes = std::fs::read(&asset).expect("read");
    bytes.truncate(bytes.len() / 2);
    std::fs::write(&asset, bytes).expect("write");
    let Some(server) = Server::start(&served) else {
        return;
    };
    let ran = install(dir.path(), &server.url, ("Linux", "X64"));
    assert_eq!(ran.code, 2, "{}", ran.all());
    assert!(
        ran.stderr.contains(&format!(
            "::error title=manifest-guard::checksum mismatch for manifest-guard-{VERSION}-{LINUX_X64}.tar.gz"
        )) && ran.stderr.contains("refusing to install it"),
        "{}",
        ran.all()
    );
    assert!(!installed(dir.path()).exists(), "nothing is installed");
}

#[test]
fn a_release_without_a_checksum_for_the_asset_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let served = dir.path().join("served");
    let release = stand_in_release(&served, LINUX_X64, Binary::StandIn);
    let Some(server) = Server::start(&served) else {
        return;
    };
    // SHA256SUMS lists other files only.
    std::fs::write(
        release.join("SHA256SUMS"),
        format!(
            "{}  manifest-guard-{VERSION}-other.tar.gz\n",
            "0".repeat(64)
        ),
    )
    .expect("write");
    let ran = install(dir.path(), &server.url, ("Linux", "X64"));
    assert_eq!(ran.code, 2, "{}", ran.all());
    assert!(
        ran.stderr.contains(&format!(
            "the SHA256SUMS of release v{VERSION} has no line for manifest-guard-{VERSION}-{LINUX_X64}.tar.gz: refusing an unverified binary"
        )),
        "{}",
        ran.all()
    );
    // No SHA256SUMS at all.
    std::fs::remove_file(release.join("SHA256SUMS")).expect("rm");
    let ran = install(dir.path(), &server.url, ("Linux", "X64"));
    assert_eq!(ran.code, 2, "{}", ran.all());
    assert!(
        ran.stderr.contains(&format!(
            "cannot download the checksums of release v{VERSION}"
        )) && ran
            .stderr
            .contains("without them the binary is not installed"),
        "{}",
        ran.all()
    );
    assert!(!installed(dir.path()).exists(), "nothing is installed");
}

#[test]
fn a_missing_asset_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let served = dir.path().join("served");
    let release = stand_in_release(&served, LINUX_X64, Binary::StandIn);
    // The checksum is published, the archive is not.
    std::fs::remove_file(release.join(format!("manifest-guard-{VERSION}-{LINUX_X64}.tar.gz")))
        .expect("rm");
    let Some(server) = Server::start(&served) else {
        return;
    };
    let ran = install(dir.path(), &server.url, ("Linux", "X64"));
    assert_eq!(ran.code, 2, "{}", ran.all());
    assert!(
        ran.stderr.contains(&format!(
            "cannot download manifest-guard-{VERSION}-{LINUX_X64}.tar.gz ({}/v{VERSION}/manifest-guard-{VERSION}-{LINUX_X64}.tar.gz): release v{VERSION} has no binary for {LINUX_X64}",
            server.url
        )),
        "{}",
        ran.all()
    );
    // A macOS ARM64 runner asks for its own target, which this release does not have either.
    let ran = install(dir.path(), &server.url, ("macOS", "ARM64"));
    assert_eq!(ran.code, 2, "{}", ran.all());
    assert!(
        ran.stderr.contains("has no line for manifest-guard-")
            && ran.stderr.contains("-aarch64-apple-darwin.tar.gz"),
        "{}",
        ran.all()
    );
    assert!(!installed(dir.path()).exists(), "nothing is installed");
}

#[test]
fn a_server_that_is_down_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A port nothing listens on: bound, then closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let ran = install(dir.path(), &url, ("Linux", "X64"));
    assert_eq!(ran.code, 2, "{}", ran.all());
    assert!(
        ran.stderr.contains(&format!(
            "::error title=manifest-guard::cannot download the checksums of release v{VERSION} ({url}/v{VERSION}/SHA256SUMS)"
        )),
        "{}",
        ran.all()
    );
    // curl says why (connection refused), on the line before.
    assert!(ran.stderr.contains("curl: ("), "{}", ran.all());
    assert!(!installed(dir.path()).exists(), "nothing is installed");
}

#[test]
fn an_unsupported_runner_or_address_is_refused_before_any_download() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ran = install(dir.path(), "http://127.0.0.1:9", ("Windows", "X64"));
    assert_eq!(ran.code, 2, "{}", ran.all());
    assert!(
        ran.stderr
            .contains("no prebuilt manifest-guard for Windows/X64")
            && ran
                .stderr
                .contains("set version: main to build from source"),
        "{}",
        ran.all()
    );
    // Plain http anywhere but loopback would make the checksum worthless.
    let ran = install(
        dir.path(),
        "http://mirror.example.com/releases",
        ("Linux", "X64"),
    );
    assert_eq!(ran.code, 2, "{}", ran.all());
    assert!(
        ran.stderr
            .contains("MANIFEST_GUARD_RELEASE_URL must be https"),
        "{}",
        ran.all()
    );
}

// --- the Action's steps, as the runner runs them -------------------------------------------------

/// The `run:` script of the action step named `name`.
fn action_step(name: &str) -> String {
    let text = std::fs::read_to_string(root().join("action.yml")).expect("read");
    let parsed = manifest_guard::load::yaml::parse(&text, Default::default());
    let action = parsed.documents[0].root.as_ref().expect("a document");
    let steps = action.path(&["runs", "steps"]).expect("runs.steps").items();
    steps
        .iter()
        .find(|s| s.get("name").and_then(|n| n.as_str()) == Some(name))
        .and_then(|s| s.get("run"))
        .and_then(|r| r.as_str())
        .unwrap_or_else(|| panic!("no step `{name}` with a script"))
        .to_string()
}

/// Runs one step's script with bash, with the files and variables the runner hands a step.
fn step(dir: &Path, name: &str, env: &[(&str, &str)], path_first: Option<&Path>) -> Ran {
    let script = dir.join("step.sh");
    std::fs::write(&script, action_step(name)).expect("write");
    for f in ["output", "path"] {
        std::fs::write(dir.join(f), "").expect("write");
    }
    let mut path = path_first
        .map(Path::to_path_buf)
        .into_iter()
        .collect::<Vec<_>>();
    path.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    let mut cmd = Command::new("bash");
    cmd.arg("-e")
        .arg(&script)
        .current_dir(root())
        .env("PATH", std::env::join_paths(path).expect("PATH"))
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_ACTION_PATH", root())
        .env("GITHUB_OUTPUT", dir.join("output"))
        .env("GITHUB_PATH", dir.join("path"))
        .env("RUNNER_TEMP", dir)
        .env("RUNNER_TOOL_CACHE", dir.join("toolcache"))
        .env("RUNNER_OS", "Linux")
        .env("RUNNER_ARCH", "X64")
        .envs(env.iter().copied());
    run(&mut cmd)
}

const SETUP_STEP: &str = "Check inputs and find the cache key";
const INSTALL_STEP: &str = "Install manifest-guard";

fn setup_env(version: &str) -> Vec<(&'static str, String)> {
    vec![
        ("MG_MODE", "check".into()),
        ("MG_FAIL_ON", "error".into()),
        ("MG_SARIF", "true".into()),
        ("MG_COMMENT", "false".into()),
        ("MG_CONFIG_FROM_BASE", "true".into()),
        ("MG_VERSION", version.into()),
    ]
}

fn as_refs<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// `version: x.y.z` through the Action's own steps: the setup step picks the release (and no
/// build cache), the install step downloads, verifies and puts the binary on PATH.
#[test]
fn the_action_installs_a_release_version_without_compiling() {
    let dir = tempfile::tempdir().expect("tempdir");
    let served = dir.path().join("served");
    stand_in_release(&served, LINUX_X64, Binary::Real);
    let Some(server) = Server::start(&served) else {
        return;
    };
    let ran = step(dir.path(), SETUP_STEP, &as_refs(&setup_env(VERSION)), None);
    assert_eq!(ran.code, 0, "{}", ran.all());
    let outputs = std::fs::read_to_string(dir.path().join("output")).expect("output");
    assert!(
        outputs.contains(&format!("key=release-{VERSION}\n")) && outputs.contains("mode=release\n"),
        "{outputs}"
    );
    // No cargo on PATH: a stand-in that fails the test if the step compiles anything.
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).expect("mkdir");
    let cargo = bin.join("cargo");
    std::fs::write(&cargo, "#!/bin/sh\necho 'cargo was called' >&2\nexit 99\n").expect("write");
    chmod_x(&cargo);
    let root_dir = dir.path().join("toolcache/manifest-guard/install");
    let root_str = root_dir.to_string_lossy().into_owned();
    let key = format!("release-{VERSION}");
    let ran = step(
        dir.path(),
        INSTALL_STEP,
        &[
            ("MG_VERSION", VERSION),
            ("MG_KEY", &key),
            ("MG_MODE", "release"),
            ("MG_REV", ""),
            ("MG_ROOT", &root_str),
            ("MANIFEST_GUARD_RELEASE_URL", &server.url),
        ],
        Some(&bin),
    );
    assert_eq!(ran.code, 0, "{}", ran.all());
    assert!(!ran.all().contains("cargo was called"), "{}", ran.all());
    assert!(
        ran.stdout.contains(&format!("manifest-guard {VERSION}\n")),
        "the step runs the installed binary: {}",
        ran.all()
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("path")).expect("path"),
        format!("{root_str}/bin\n")
    );
    // A release binary is downloaded and verified again even when one is there with its key:
    // the cache is for builds.
    let ran = step(
        dir.path(),
        INSTALL_STEP,
        &[
            ("MG_VERSION", VERSION),
            ("MG_KEY", &key),
            ("MG_MODE", "release"),
            ("MG_REV", ""),
            ("MG_ROOT", &root_str),
            ("MANIFEST_GUARD_RELEASE_URL", &server.url),
        ],
        Some(&bin),
    );
    assert_eq!(ran.code, 0, "{}", ran.all());
    assert!(ran.stdout.contains("checksum verified"), "{}", ran.all());
}

fn chmod_x(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mut perms = std::fs::metadata(path).expect("meta").permissions();
    perms.set_mode(0o755);
    std::fs::set_permissions(path, perms).expect("chmod");
}

/// `main` and a commit build from source, at the commit (`main` resolved first, so the cache key
/// names what is built); anything else is refused.
#[test]
fn the_action_builds_main_or_a_commit_from_source() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A stand-in upstream repository with a `main` branch.
    let upstream = dir.path().join("upstream");
    std::fs::create_dir(&upstream).expect("mkdir");
    common::git(&upstream, &["init", "-q", "-b", "main"]);
    common::write(&upstream, "README.md", "x\n");
    common::git(&upstream, &["add", "."]);
    common::git(&upstream, &["commit", "-q", "-m", "one"]);
    let head = common::git(&upstream, &["rev-parse", "HEAD"]);
    let head = head.trim();
    let git_url = upstream.to_string_lossy().into_owned();

    let mut env = setup_env("main");
    env.push(("MANIFEST_GUARD_GIT_URL", git_url.clone()));
    let ran = step(dir.path(), SETUP_STEP, &as_refs(&env), None);
    assert_eq!(ran.code, 0, "{}", ran.all());
    let outputs = std::fs::read_to_string(dir.path().join("output")).expect("output");
    assert!(
        outputs.contains(&format!("key=git-{head}\nrev={head}\nmode=git\n")),
        "{outputs}"
    );

    // The install step runs cargo install at that commit (a stand-in cargo records it).
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).expect("mkdir");
    let log = dir.path().join("cargo.log");
    let cargo = bin.join("cargo");
    std::fs::write(
        &cargo,
        format!(
            "#!/usr/bin/env bash\nprintf '%s\\n' \"$*\" >> '{}'\nroot=\"\"\nwhile [[ $# -gt 0 ]]; do if [[ $1 == --root ]]; then root=$2; fi; shift; done\nmkdir -p \"$root/bin\"\ncp '{}' \"$root/bin/manifest-guard\"\n",
            log.display(),
            env!("CARGO_BIN_EXE_manifest-guard")
        ),
    )
    .expect("write");
    chmod_x(&cargo);
    let root_str = dir.path().join("install").to_string_lossy().into_owned();
    let key = format!("git-{head}");
    let ran = step(
        dir.path(),
        INSTALL_STEP,
        &[
            ("MG_VERSION", "main"),
            ("MG_KEY", &key),
            ("MG_MODE", "git"),
            ("MG_REV", head),
            ("MG_ROOT", &root_str),
            ("MANIFEST_GUARD_GIT_URL", &git_url),
        ],
        Some(&bin),
    );
    assert_eq!(ran.code, 0, "{}", ran.all());
    assert_eq!(
        std::fs::read_to_string(&log).expect("cargo ran"),
        format!(
            "install --locked --force --root {root_str} --git {git_url} --rev {head} manifest-guard\n"
        )
    );

    // A commit SHA is its own key; a version that is none of these is refused.
    let ran = step(
        dir.path(),
        SETUP_STEP,
        &as_refs(&setup_env("0123abcd")),
        None,
    );
    assert_eq!(ran.code, 0, "{}", ran.all());
    let outputs = std::fs::read_to_string(dir.path().join("output")).expect("output");
    assert!(outputs.contains("key=git-0123abcd\n"), "{outputs}");
    for bad in ["latest", "1.2", "--help", "main; rm -rf /"] {
        let ran = step(dir.path(), SETUP_STEP, &as_refs(&setup_env(bad)), None);
        assert_eq!(ran.code, 2, "{bad}: {}", ran.all());
        assert!(
            ran.all().contains(&format!(
                "::error title=manifest-guard::version '{bad}' is not a release (x.y.z), `main` or a commit SHA"
            )),
            "{bad}: {}",
            ran.all()
        );
    }
}

// --- the workflow ----------------------------------------------------------------------------------

#[test]
fn the_release_workflow_passes_actionlint_and_the_workflow_schema() {
    let (Some(actionlint), Some(cjs)) = (
        required_tool("actionlint"),
        required_tool("check-jsonschema"),
    ) else {
        return;
    };
    let workflow = ".github/workflows/release.yml";
    // actionlint runs shellcheck over the `run:` scripts when it finds it on PATH.
    let ran = run(Command::new(&actionlint)
        .arg(workflow)
        .current_dir(root())
        .env("PATH", common::tool_path()));
    assert_eq!(ran.code, 0, "{}", ran.all());
    let ran = run(Command::new(&cjs)
        .args(["--builtin-schema", "vendor.github-workflows", workflow])
        .current_dir(root()));
    assert_eq!(ran.code, 0, "{}", ran.all());
}

#[test]
fn the_install_and_pack_scripts_pass_shellcheck() {
    let Some(shellcheck) = required_tool("shellcheck") else {
        return;
    };
    let ran = run(Command::new(&shellcheck)
        .args([
            "--shell=bash",
            "--severity=style",
            "scripts/action-install",
            "scripts/release-package",
        ])
        .current_dir(root()));
    assert_eq!(ran.code, 0, "{}", ran.all());
}

/// The workflow builds exactly the targets the install script asks for, packs them with the
/// script whose names the install script downloads, and publishes SHA256SUMS.
#[test]
fn the_workflow_builds_every_target_the_action_downloads() {
    let text =
        std::fs::read_to_string(root().join(".github/workflows/release.yml")).expect("release.yml");
    let parsed = manifest_guard::load::yaml::parse(&text, Default::default());
    let workflow = parsed.documents[0].root.as_ref().expect("a document");
    let on_tags = workflow
        .path(&["on", "push", "tags"])
        .expect("on.push.tags")
        .to_json();
    assert_eq!(on_tags, serde_json::json!(["v*"]));
    let mut built: Vec<String> = workflow
        .path(&["jobs", "build", "strategy", "matrix", "include"])
        .expect("the build matrix")
        .items()
        .iter()
        .filter_map(|i| i.get("target").and_then(|t| t.as_str()).map(str::to_string))
        .collect();
    built.sort();
    let script = std::fs::read_to_string(root().join("scripts/action-install")).expect("script");
    let mut downloaded: Vec<String> = script
        .lines()
        .filter_map(|l| {
            let (runner, rest) = l.trim().split_once(") echo ")?;
            runner
                .contains('/')
                .then(|| rest.trim_end_matches(" ;;").to_string())
        })
        .collect();
    downloaded.sort();
    assert_eq!(built, downloaded);
    assert_eq!(built.len(), 4, "Linux and macOS, x86_64 and aarch64");
    assert!(
        text.contains("scripts/release-package "),
        "packed by the script"
    );
    assert!(
        text.contains("sha256sum -- *.tar.gz > SHA256SUMS"),
        "checksums published"
    );
}

// --- the README's install section ------------------------------------------------------------------

const PUBLISHED: &str = "https://github.com/manifest-guard/manifest-guard/releases/download";

/// The README's commands for a release binary, run as written against a stand-in release (the
/// address and `/usr/local/bin/` swapped for the test's): they install a binary that runs, and
/// stop before unpacking when the checksum does not match.
#[test]
fn the_readme_release_commands_verify_then_install() {
    let script = readme_block("**A release binary.**", "sh");
    assert!(
        script.starts_with(&format!("version={VERSION}\n")),
        "the README shows the current version (Cargo.toml's): {script}"
    );
    assert!(script.contains(&format!("base={PUBLISHED}\n")), "{script}");
    let dir = tempfile::tempdir().expect("tempdir");
    let served = dir.path().join("served");
    let release = stand_in_release(&served, LINUX_X64, Binary::StandIn);
    let Some(server) = Server::start(&served) else {
        return;
    };
    let dest = dir.path().join("bin");
    std::fs::create_dir(&dest).expect("mkdir");
    let local = script
        .replace(PUBLISHED, &server.url)
        .replace("sudo install", "install")
        .replace("/usr/local/bin/", &format!("{}/", dest.display()));
    let work = dir.path().join("work");
    let run_snippet = |name: &str| {
        let cwd = work.join(name);
        std::fs::create_dir_all(&cwd).expect("mkdir");
        run(Command::new("bash")
            .args(["-euo", "pipefail", "-c", &local])
            .current_dir(&cwd))
    };
    let ran = run_snippet("good");
    assert_eq!(ran.code, 0, "{}", ran.all());
    assert!(
        ran.stdout
            .contains(&format!("manifest-guard-{VERSION}-{LINUX_X64}.tar.gz: OK")),
        "{}",
        ran.all()
    );
    let installed = run(Command::new(dest.join("manifest-guard")).arg("--version"));
    assert_eq!(installed.stdout.trim(), format!("manifest-guard {VERSION}"));

    // A tampered archive: the check fails, nothing is unpacked or installed.
    std::fs::remove_file(dest.join("manifest-guard")).expect("rm");
    let asset = release.join(format!("manifest-guard-{VERSION}-{LINUX_X64}.tar.gz"));
    let mut bytes = std::fs::read(&asset).expect("read");
    bytes.truncate(bytes.len() - 10);
    std::fs::write(&asset, bytes).expect("write");
    let ran = run_snippet("bad");
    assert_ne!(ran.code, 0, "{}", ran.all());
    assert!(ran.all().contains("FAILED"), "{}", ran.all());
    assert!(!dest.join("manifest-guard").exists());
    assert!(
        !work
            .join("bad")
            .join(format!("manifest-guard-{VERSION}-{LINUX_X64}"))
            .exists()
    );
}

/// The README's Action snippets and the example workflow ask for the current release: a
/// version bump must update them (or users would download an older binary).
#[test]
fn the_readme_action_snippets_name_the_current_version() {
    let install = readme_block("**In GitHub Actions**", "yaml");
    assert!(
        install.contains(&format!("uses: manifest-guard/manifest-guard@v{VERSION}\n"))
            && install.contains(&format!("version: {VERSION}\n")),
        "{install}"
    );
    let workflow = readme_block("## In a pull request: the GitHub Action", "yaml");
    assert!(
        workflow.contains(&format!("version: {VERSION} ")),
        "{workflow}"
    );
    let example =
        std::fs::read_to_string(root().join("examples/github-workflow.yml")).expect("example");
    assert!(
        example.contains(&format!("          version: {VERSION}\n")),
        "examples/github-workflow.yml asks for the current release"
    );
}

/// `version:` left empty on an action pinned to a release tag: the runner unpacks the action
/// into `_actions/<owner>/<repo>/<ref>` (`github.action_ref` itself is empty in composite
/// actions, actions/runner#2473), so a directory named `v<version>` holding a Cargo.toml of that
/// version is that release, and its binary is downloaded: nothing is compiled. A branch, or a
/// directory name its Cargo.toml does not confirm, still builds the checkout.
#[test]
fn an_action_pinned_to_a_release_tag_uses_that_release_by_default() {
    let dir = tempfile::tempdir().expect("tempdir");
    let action_at = |name: &str, version: &str| {
        let path = dir.path().join("_actions/o/manifest-guard").join(name);
        std::fs::create_dir_all(&path).expect("mkdir");
        std::os::unix::fs::symlink(root().join("scripts"), path.join("scripts")).expect("link");
        std::fs::write(
            path.join("Cargo.toml"),
            format!("[package]\nname = \"manifest-guard\"\nversion = \"{version}\"\n"),
        )
        .expect("write");
        path.to_string_lossy().into_owned()
    };
    let outputs_for = |action_path: &str| {
        let mut env = setup_env("");
        env.push(("GITHUB_ACTION_PATH", action_path.to_owned()));
        let ran = step(dir.path(), SETUP_STEP, &as_refs(&env), None);
        assert_eq!(ran.code, 0, "{}", ran.all());
        std::fs::read_to_string(dir.path().join("output")).expect("output")
    };
    let tagged = outputs_for(&action_at(&format!("v{VERSION}"), VERSION));
    assert!(
        tagged.contains(&format!("key=release-{VERSION}\n")) && tagged.contains("mode=release\n"),
        "{tagged}"
    );
    for (name, version) in [("main", VERSION), ("v9.9.9", VERSION)] {
        let built = outputs_for(&action_at(name, version));
        assert!(built.contains("mode=source\n"), "{name}: {built}");
    }
}
