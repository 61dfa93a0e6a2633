//! wasm-smith modules written against a chain's host functions (capheap's
//! ABI, Stylus hostio, CosmWasm's `env`), calling them with arbitrary
//! arguments from arbitrary code, with the entry points the simulator calls:
//! no panic, caps hold, two runs agree.
#![no_main]

use capheap_sim::Abi;
use libfuzzer_sys::arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let abi = Abi::ALL[usize::from(pick) % Abi::ALL.len()];
    if let Ok(wasm) = capheap_fuzz::sim::host_module(abi, &mut Unstructured::new(rest)) {
        capheap_fuzz::sim::sim_host(abi, &wasm);
    }
});
