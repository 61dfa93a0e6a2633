//! `word-stats`: per-call scratch in a capheap [`Arena`].
//!
//! Each call splits its input into words, collects them in an
//! `allocator_api2::vec::Vec` that lives in the arena, sorts and deduplicates
//! them, and outputs three little-endian `u32`s: words, distinct words,
//! longest word. All scratch goes away at the end of [`Arena::scope`] in one
//! step, so repeated calls reuse the same arena memory and never grow it
//! again. The arena is capped at 1 MiB: a bigger input gets the error code
//! `u32::MAX` in the first field instead of a trap.
//!
//! Exports: `word_stats()` (input via `capheap.input`, output via
//! `capheap.output`), capheap's host ABI and `capheap_stats`.
#![no_std]

extern crate alloc;

use core::cell::UnsafeCell;

use allocator_api2::vec::Vec as ArenaVec;
use capheap::arena::{Arena, ArenaConfig};
use capheap::backend::WasmFreshPages;
use capheap::{Config, Heap};

/// The global heap (the host places the input through it).
#[global_allocator]
static HEAP: Heap = Heap::new(Config::DEFAULT.detailed_stats(true));

capheap::export_host_abi!(HEAP);
capheap::export_stats!(HEAP);

/// Most bytes the scratch arena may claim.
pub const ARENA_CAP: usize = 1 << 20;

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

struct ScratchCell(UnsafeCell<Option<Arena<WasmFreshPages>>>);
// SAFETY: wasm32 contracts are single-threaded and exports never re-enter.
unsafe impl Sync for ScratchCell {}
static SCRATCH: ScratchCell = ScratchCell(UnsafeCell::new(None));

fn scratch() -> &'static mut Arena<WasmFreshPages> {
    // SAFETY: single-threaded; `word_stats` takes this reference once per
    // call and no other code touches `SCRATCH`.
    let slot = unsafe { &mut *SCRATCH.0.get() };
    slot.get_or_insert_with(|| {
        Arena::with_config(
            WasmFreshPages::new(),
            ArenaConfig::DEFAULT.max_bytes(ARENA_CAP),
        )
    })
}

fn output(fields: [u32; 3]) {
    let mut bytes = [0u8; 12];
    for (chunk, v) in bytes.chunks_exact_mut(4).zip(fields) {
        chunk.copy_from_slice(&v.to_le_bytes());
    }
    capheap::abi::output(&bytes);
}

/// Counts words, distinct words and the longest word of the input.
#[unsafe(no_mangle)]
pub extern "C" fn word_stats() {
    let input = capheap::abi::input(&HEAP);
    let text: &[u8] = &input;
    let result = scratch().scope(|arena| {
        let mut words = ArenaVec::new_in(arena);
        for word in text
            .split(|b| b.is_ascii_whitespace())
            .filter(|w| !w.is_empty())
        {
            words.try_reserve(1).map_err(|_| ())?;
            words.push(word);
        }
        let total = words.len() as u32;
        let longest = words.iter().map(|w| w.len()).max().unwrap_or(0) as u32;
        words.sort_unstable();
        words.dedup();
        Ok::<_, ()>([total, words.len() as u32, longest])
    });
    output(result.unwrap_or([u32::MAX, 0, 0]));
}
