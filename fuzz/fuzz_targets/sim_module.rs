//! wasm-smith modules through load, check and run, with small fuel and page
//! caps: no panic, caps hold, two runs agree.
#![no_main]

use libfuzzer_sys::arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(wasm) = capheap_fuzz::sim::plain_module(&mut Unstructured::new(data)) {
        capheap_fuzz::sim::sim_module(&wasm);
    }
});
