//! Benchmark support: the parse-only floor (`scripts/bench`). Walks DIR with walkdir, reads and
//! parses every `.yaml`, `.yml` and `.json` file with saphyr-parser in parallel with rayon, and
//! does nothing else: the least any linter built on the same parser must spend on the tree.
//!
//! `cargo run --release --example floor -- DIR` prints the files, bytes and parser events seen
//! (the events are counted so that the optimiser cannot drop the parse).

#![allow(clippy::print_stdout, clippy::print_stderr, clippy::unwrap_used)]

use rayon::prelude::*;
use saphyr_parser::Parser;
use walkdir::WalkDir;

fn main() {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: floor DIR");
        std::process::exit(2);
    };
    let paths: Vec<_> = WalkDir::new(&dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(walkdir::DirEntry::into_path)
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| matches!(e, "yaml" | "yml" | "json"))
        })
        .collect();
    let (bytes, events, errors) = paths
        .par_iter()
        .map(|path| {
            let Ok(text) = std::fs::read_to_string(path) else {
                return (0, 0, 1);
            };
            let mut parser = Parser::new_from_str(&text);
            let (mut events, mut errors) = (0usize, 0usize);
            while let Some(next) = parser.next_event() {
                match next {
                    Ok(_) => events += 1,
                    Err(_) => {
                        errors += 1;
                        break;
                    }
                }
            }
            (text.len(), events, errors)
        })
        .reduce(|| (0, 0, 0), |a, b| (a.0 + b.0, a.1 + b.1, a.2 + b.2));
    println!(
        "floor: {} files, {bytes} bytes, {events} events, {errors} errors",
        paths.len()
    );
}
