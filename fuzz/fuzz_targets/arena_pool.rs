//! Arena and pool operations against a model: aligned, in memory, no
//! overlap, exact live bytes, stale checkpoints refused.
#![no_main]

use capheap_fuzz::arena::{ArenaOp, arena_pool};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|ops: Vec<ArenaOp>| arena_pool(&ops));
