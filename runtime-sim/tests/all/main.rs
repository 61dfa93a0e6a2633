//! capheap-sim's integration tests, one binary (one link) for all of them,
//! as bumpalo's `tests/all`: each file is a module named for what it tests.

/// The checkout's root (runtime-sim's parent directory): where the
/// contracts, scenarios, docs and lock files the tests read live.
fn repo() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

mod caps;
mod chains;
mod check;
mod cli_chains;
mod cli_new;
mod cli_run;
mod cli_scenarios;
mod cosmwasm_crypto;
mod demo;
mod determinism_claims;
mod docs_tables;
mod fuzz_campaign;
mod host_abi;
mod hostile;
mod instrument;
mod pricing;
mod replay;
mod snapshot;
mod stylus_calls;
