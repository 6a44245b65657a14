//! cargo fuzz target `fasttemplate`: see `manifest_guard::fuzzing::fasttemplate`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| manifest_guard::fuzzing::fasttemplate(data));
