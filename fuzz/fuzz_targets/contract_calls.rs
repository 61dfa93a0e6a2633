//! Fuzz a contract's export with arbitrary input for unbounded growth, page
//! caps and nondeterminism (`capheap_sim::fuzzing::check_call`).
//!
//! By default it fuzzes `reverse` of contracts/hello (build it first with
//! `capheap-sim build contracts/hello`). Point it at your own contract with
//! `CAPHEAP_FUZZ_WASM=path/to/contract.wasm CAPHEAP_FUZZ_EXPORT=name`, and set
//! the page bound with `CAPHEAP_FUZZ_MAX_PAGES` (default 256).
#![no_main]

use std::sync::OnceLock;

use capheap_sim::fuzzing::{Bounds, check_call};
use capheap_sim::{Contract, Simulator};
use libfuzzer_sys::fuzz_target;

const DEFAULT_WASM: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../contracts/target/capheap-wasm/wasm32-unknown-unknown/release/hello.wasm"
);

struct Target {
    contract: Contract,
    export: String,
    bounds: Bounds,
}

fn target() -> &'static Target {
    static TARGET: OnceLock<Target> = OnceLock::new();
    TARGET.get_or_init(|| {
        let wasm = std::env::var("CAPHEAP_FUZZ_WASM").unwrap_or_else(|_| DEFAULT_WASM.to_owned());
        let bytes = std::fs::read(&wasm).unwrap_or_else(|e| {
            panic!("{wasm}: {e} (build it with `capheap-sim build contracts/hello`, or set CAPHEAP_FUZZ_WASM)")
        });
        let contract = Simulator::new().load(&bytes).unwrap_or_else(|e| panic!("{wasm}: {e}"));
        let max_pages = std::env::var("CAPHEAP_FUZZ_MAX_PAGES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(256);
        Target {
            contract,
            export: std::env::var("CAPHEAP_FUZZ_EXPORT").unwrap_or_else(|_| "reverse".to_owned()),
            bounds: Bounds { max_pages, repeats: 3, warmup: 1 },
        }
    })
}

fuzz_target!(|input: &[u8]| {
    let t = target();
    if let Err(finding) = check_call(&t.contract, &t.export, input, &t.bounds) {
        panic!("{finding}");
    }
});
