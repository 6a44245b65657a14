//! cargo fuzz target `config`: see `manifest_guard::fuzzing::config`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| manifest_guard::fuzzing::config(data));
