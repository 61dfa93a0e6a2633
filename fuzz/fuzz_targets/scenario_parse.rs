//! Arbitrary bytes as a scenario file: an error or a scenario, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| capheap_fuzz::sim::scenario_parse(data));
