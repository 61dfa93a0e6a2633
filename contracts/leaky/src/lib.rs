//! `leaky`: a contract with the bug `capheap-sim fuzz` exists to find. Its
//! `remember` export keeps a copy of every input in a list that nothing ever
//! trims (a "cache" without eviction), so live memory rises with every call
//! until the heap's cap refuses it. `forget` is the well-behaved twin: it
//! only reports how many inputs are remembered.
//!
//! `capheap-sim fuzz contracts/leaky --entry remember` flags the growth and
//! writes a shrunk scenario that `capheap-sim replay` reproduces; `--entry
//! forget` reports it clean.
#![no_std]

extern crate alloc;

use alloc::vec::Vec;
use core::cell::RefCell;

use capheap::{Config, Heap};

#[global_allocator]
static HEAP: Heap = Heap::new(Config::DEFAULT.max_memory_pages(64).detailed_stats(true));

capheap::export_host_abi!(HEAP);
capheap::export_stats!(HEAP);

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

/// Single-threaded wasm: a `RefCell` in a static is sound here.
struct Remembered(RefCell<Vec<Vec<u8>>>);

// SAFETY: wasm32-unknown-unknown without the atomics feature has one thread;
// no other thread can observe the cell.
unsafe impl Sync for Remembered {}

static REMEMBERED: Remembered = Remembered(RefCell::new(Vec::new()));

/// Remembers the input, forever: the leak.
#[unsafe(no_mangle)]
pub extern "C" fn remember() {
    let data = capheap::abi::input(&HEAP).to_vec();
    let mut list = REMEMBERED.0.borrow_mut();
    list.push(data);
    let count = list.len() as u32;
    capheap::abi::output(&count.to_le_bytes());
}

/// Reads the input and frees it: steady.
#[unsafe(no_mangle)]
pub extern "C" fn forget() {
    drop(capheap::abi::input(&HEAP));
    let count = REMEMBERED.0.borrow().len() as u32;
    capheap::abi::output(&count.to_le_bytes());
}
