//! cargo fuzz target `loader`: see `manifest_guard::fuzzing::loader`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| manifest_guard::fuzzing::loader(data));
