//! Random heap operations under random caps: no overlap, alignment honoured,
//! contents preserved, caps never crossed, failed requests grow nothing.
#![no_main]

use capheap_fuzz::{Input, run};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: Input| {
    run(&input);
});
