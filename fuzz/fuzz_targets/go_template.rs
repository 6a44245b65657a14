//! cargo fuzz target `go_template`: see `manifest_guard::fuzzing::go_template`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| manifest_guard::fuzzing::go_template(data));
