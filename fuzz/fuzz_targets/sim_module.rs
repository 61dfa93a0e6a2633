//! wasm-smith modules through load, check and run, with small fuel and page
//! caps: no panic, caps hold, two runs agree.
#![no_main]

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;

fn module(u: &mut Unstructured<'_>) -> Result<Vec<u8>> {
    let mut config = wasm_smith::Config {
        max_imports: 0,
        max_memories: 1,
        max_memory32_bytes: 16 << 16,
        memory64_enabled: false,
        simd_enabled: false,
        relaxed_simd_enabled: false,
        threads_enabled: false,
        exceptions_enabled: false,
        gc_enabled: false,
        reference_types_enabled: false,
        tail_call_enabled: false,
        max_tables: 2,
        ..wasm_smith::Config::default()
    };
    config.export_everything = true;
    Ok(wasm_smith::Module::new(config, u)?.to_bytes())
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    if let Ok(wasm) = module(&mut u) {
        capheap_fuzz::sim::sim_module(&wasm);
    }
});
