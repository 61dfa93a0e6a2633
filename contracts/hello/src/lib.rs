//! `hello`: the first capheap contract.
//!
//! Exports (call convention v0, see `docs/src/simulator.md`):
//! - `capheap_alloc(len) -> ptr` / `capheap_free(ptr, len)`: the host places
//!   call input into contract memory through these (capheap's host ABI).
//! - `capheap_stats() -> i64`: capheap's statistics, borsh-encoded.
//! - `reverse(ptr, len) -> i64`: returns a region `(out_ptr << 32) | out_len`
//!   holding the input reversed.
//! - `checksum(ptr, len) -> i64`: returns a region holding the Adler-32 of the
//!   input as 4 little-endian bytes.
#![no_std]

extern crate alloc;

use alloc::vec::Vec;

use capheap::{Config, Heap};

#[global_allocator]
static HEAP: Heap = Heap::new(Config::DEFAULT.detailed_stats(true));

capheap::export_host_abi!(HEAP);
capheap::export_stats!(HEAP);

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

/// Borrows the host-written input.
fn input<'a>(ptr: u32, len: u32) -> &'a [u8] {
    // SAFETY: the host wrote `len` bytes at `ptr`, a buffer it obtained from
    // `capheap_alloc(len)` (or a dangling non-null pointer when `len` is 0);
    // nothing else aliases it during the call.
    unsafe { core::slice::from_raw_parts(ptr as *const u8, len as usize) }
}

/// Leaks `out` and returns it as a packed region `(ptr << 32) | len`.
fn region(out: Vec<u8>) -> i64 {
    let out = out.leak();
    (((out.as_ptr() as u64) << 32) | out.len() as u64) as i64
}

/// Reverses the input.
#[unsafe(no_mangle)]
pub extern "C" fn reverse(ptr: u32, len: u32) -> i64 {
    let mut out = Vec::from(input(ptr, len));
    out.reverse();
    region(out)
}

/// Adler-32 of the input, as 4 little-endian bytes.
#[unsafe(no_mangle)]
pub extern "C" fn checksum(ptr: u32, len: u32) -> i64 {
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in input(ptr, len) {
        a = (a + u32::from(byte)) % 65521;
        b = (b + a) % 65521;
    }
    region(Vec::from(((b << 16) | a).to_le_bytes()))
}
