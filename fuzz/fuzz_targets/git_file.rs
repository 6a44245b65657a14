//! cargo fuzz target `git_file`: see `manifest_guard::fuzzing::git_file`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| manifest_guard::fuzzing::git_file(data));
