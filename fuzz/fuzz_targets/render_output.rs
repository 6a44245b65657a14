//! cargo fuzz target `render_output`: see `manifest_guard::fuzzing::render_output`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| manifest_guard::fuzzing::render_output(data));
