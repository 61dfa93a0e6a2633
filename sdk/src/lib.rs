//! capheap: deterministic, capped, gas-metered memory for wasm smart contracts.
#![no_std]
