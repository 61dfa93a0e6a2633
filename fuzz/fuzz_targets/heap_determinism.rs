//! The same operations on two fresh heaps give the same offsets, errors,
//! statistics and growth: determinism is the product.
#![no_main]

use capheap_fuzz::{Input, run};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: Input| {
    let first = run(&input);
    let second = run(&input);
    assert_eq!(first, second, "same requests, different heap behaviour");
});
