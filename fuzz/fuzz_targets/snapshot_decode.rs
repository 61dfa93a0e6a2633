//! Arbitrary bytes as a snapshot file: an error or a snapshot, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| capheap_fuzz::sim::snapshot_decode(data));
