//! capheap's integration tests, one binary for all of them (except
//! `global_heap`, which installs a global allocator and so needs a binary of
//! its own). Each file is a module.

#[path = "../common/mod.rs"]
mod common;

mod arena_pool;
mod debug_checks;
mod edge;
mod heap_model;
mod mini_model;
mod pricing;
mod release_frees;
