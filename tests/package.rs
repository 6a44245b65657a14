//! What `cargo package` puts in the crate (issue 15): everything the crate needs to build and
//! nothing else. `cargo package --list` needs no network; `.ci/run` also runs `cargo publish
//! --dry-run`, which builds the packaged crate on its own.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use common::root;

/// The files `cargo package` would ship, relative to the package root.
fn package_list() -> BTreeSet<String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .args(["package", "--list", "--allow-dirty", "--offline"])
        .current_dir(root())
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo package --list: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// Every `.rs` file under `dir`, relative to the root, `/`-separated.
fn rust_files(dir: &Path, into: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).expect("read_dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path.strip_prefix(root()).expect("under the root");
            into.insert(rel.to_string_lossy().replace('\\', "/"));
        }
    }
}

/// The files `include_str!`/`include_bytes!` in `src/` read, relative to the root (the rule
/// runbooks today).
fn embedded_files(sources: &BTreeSet<String>) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for file in sources {
        let text = std::fs::read_to_string(root().join(file)).expect("read");
        for marker in ["include_str!(\"", "include_bytes!(\""] {
            for (at, _) in text.match_indices(marker) {
                let rest = &text[at + marker.len()..];
                let Some(end) = rest.find('"') else { continue };
                let target = Path::new(file)
                    .parent()
                    .expect("a directory")
                    .join(&rest[..end]);
                // Resolve `..` by hand: the target need not exist for the test to say so.
                let mut parts: Vec<String> = Vec::new();
                for c in target.components() {
                    match c {
                        std::path::Component::ParentDir => {
                            parts.pop();
                        }
                        std::path::Component::Normal(p) => {
                            parts.push(p.to_string_lossy().into_owned());
                        }
                        _ => {}
                    }
                }
                found.insert(parts.join("/"));
            }
        }
    }
    found
}

#[test]
fn the_package_holds_what_the_crate_needs_and_nothing_else() {
    let listed = package_list();
    let mut sources = BTreeSet::new();
    rust_files(&root().join("src"), &mut sources);
    let embedded = embedded_files(&sources);
    assert!(
        embedded.len() >= 40 && embedded.iter().all(|f| f.starts_with("rules/")),
        "the rule runbooks are embedded: {embedded:?}"
    );
    let mut needed: BTreeSet<String> = ["Cargo.toml", "Cargo.lock", "README.md", "LICENSE"]
        .into_iter()
        .map(str::to_string)
        .collect();
    needed.extend(sources);
    needed.extend(embedded);
    let missing: Vec<&String> = needed.difference(&listed).collect();
    assert!(
        missing.is_empty(),
        "the package lacks files the crate needs: {missing:?}"
    );
    // Cargo adds these two of its own.
    let generated = ["Cargo.toml.orig", ".cargo_vcs_info.json"];
    let extra: Vec<&String> = listed
        .difference(&needed)
        .filter(|f| !generated.contains(&f.as_str()))
        .collect();
    assert!(
        extra.is_empty(),
        "the package holds files the crate does not need: {extra:?}"
    );
    for dir in [
        "fixtures/",
        "tests/",
        "fuzz/",
        ".tools/",
        "examples/",
        "scripts/",
    ] {
        assert!(
            !listed.iter().any(|f| f.starts_with(dir)),
            "nothing from {dir} is packaged"
        );
    }
}

/// crates.io shows these; `cargo publish` refuses a crate without a description and license.
#[test]
fn the_manifest_has_what_crates_io_shows() {
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).expect("Cargo.toml");
    for key in [
        "description",
        "license",
        "repository",
        "readme",
        "keywords",
        "categories",
    ] {
        assert!(
            manifest
                .lines()
                .any(|l| l.starts_with(&format!("{key} = "))),
            "Cargo.toml lacks `{key}`"
        );
    }
    let license = std::fs::read_to_string(root().join("LICENSE")).expect("LICENSE");
    assert!(
        manifest.contains("license = \"Apache-2.0\"")
            && license.contains("Apache License")
            && license.contains("Version 2.0, January 2004"),
        "the license file is the license Cargo.toml names"
    );
}
