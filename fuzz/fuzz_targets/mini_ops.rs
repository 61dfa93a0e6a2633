//! Random operations on the minimal heap (`capheap::mini`) under random caps:
//! no overlap, alignment honoured, contents preserved, caps never crossed,
//! failed requests grow nothing, and the same operations replay exactly.
#![no_main]

use capheap_fuzz::{Input, run_mini};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: Input| {
    let first = run_mini(&input);
    assert_eq!(
        first,
        run_mini(&input),
        "same requests, different heap behaviour"
    );
});
