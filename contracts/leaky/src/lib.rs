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

#[link(wasm_import_module = "capheap")]
unsafe extern "C" {
    #[link_name = "input"]
    fn host_input() -> i64;
    #[link_name = "output"]
    fn host_output(ptr: *const u8, len: usize);
}

fn input() -> Vec<u8> {
    // SAFETY: a host import without preconditions.
    let region = unsafe { host_input() } as u64;
    let (ptr, len) = ((region >> 32) as usize, (region & 0xffff_ffff) as usize);
    if len == 0 {
        return Vec::new();
    }
    // SAFETY: the host placed exactly `len` bytes at `ptr` in a buffer from
    // `capheap_alloc(len)` (`Layout(len, 1)`, what a `Vec<u8>` of capacity
    // `len` frees with); nothing else owns it.
    unsafe { Vec::from_raw_parts(ptr as *mut u8, len, len) }
}

/// Remembers the input, forever: the leak.
#[unsafe(no_mangle)]
pub extern "C" fn remember() {
    let data = input();
    let mut list = REMEMBERED.0.borrow_mut();
    list.push(data);
    let count = list.len() as u32;
    // SAFETY: a live 4-byte buffer for the duration of the call.
    unsafe { host_output(count.to_le_bytes().as_ptr(), 4) }
}

/// Reads the input and frees it: steady.
#[unsafe(no_mangle)]
pub extern "C" fn forget() {
    drop(input());
    let count = REMEMBERED.0.borrow().len() as u32;
    // SAFETY: a live 4-byte buffer for the duration of the call.
    unsafe { host_output(count.to_le_bytes().as_ptr(), 4) }
}
