//! End-to-end tests, one binary (one link) for all of them: contracts built
//! to wasm32 and run in the simulator. Each file is a module.

// `alloc_bench` includes the contract's workloads, written against `alloc`.
extern crate alloc;

mod alloc_bench;
mod arena_in_wasm;
mod book_contract;
mod fuzz_harness;
mod gas_hook;
mod hello;
mod locks;
mod pipeline;
mod real_contracts;
mod sdk_in_wasm;
mod sim_replay;
