//! `hello`: the first capheap contract, and a well-behaved one: every call
//! frees what it allocates, so capheap reuses the freed memory (and resets an
//! emptied heap whose footprint passed 64 KiB) and the contract never grows
//! memory after its first call.
//!
//! Exports (see `docs/src/host-abi.md`):
//! - `reverse()`: outputs the call input reversed.
//! - `checksum()`: outputs the Adler-32 of the call input, 4 bytes little-endian.
//! - `capheap_alloc` / `capheap_free` (capheap's host ABI: the simulator places
//!   the input through them) and `capheap_stats` (capheap's statistics).
//!
//! The input comes from the host import `capheap.input` (placed in a buffer
//! from `capheap_alloc`, which the contract takes ownership of and frees) and
//! the result goes out through `capheap.output` (the host copies it).
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

#[link(wasm_import_module = "capheap")]
unsafe extern "C" {
    /// Places the call input via `capheap_alloc` and returns `(ptr << 32) | len`.
    #[link_name = "input"]
    fn host_input() -> i64;
    /// Sets the call output to `len` bytes at `ptr` (the host copies them).
    #[link_name = "output"]
    fn host_output(ptr: *const u8, len: usize);
}

/// The call input, owned: dropping it frees the host-placed buffer.
fn input() -> Vec<u8> {
    // SAFETY: a host import without preconditions.
    let region = unsafe { host_input() } as u64;
    let (ptr, len) = ((region >> 32) as usize, (region & 0xffff_ffff) as usize);
    if len == 0 {
        return Vec::new();
    }
    // SAFETY: the host placed exactly `len` bytes at `ptr` in a buffer it got
    // from `capheap_alloc(len)`, i.e. `HEAP.alloc(Layout(len, 1))`, which is the
    // layout `Vec<u8>` with capacity `len` frees with; nothing else owns it.
    unsafe { Vec::from_raw_parts(ptr as *mut u8, len, len) }
}

fn output(bytes: &[u8]) {
    // SAFETY: `bytes` is a live slice for the duration of the call.
    unsafe { host_output(bytes.as_ptr(), bytes.len()) }
}

/// Reverses the input.
#[unsafe(no_mangle)]
pub extern "C" fn reverse() {
    let mut data = input();
    data.reverse();
    output(&data);
}

/// Adler-32 of the input, as 4 little-endian bytes.
#[unsafe(no_mangle)]
pub extern "C" fn checksum() {
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in &input() {
        a = (a + u32::from(byte)) % 65521;
        b = (b + a) % 65521;
    }
    output(&((b << 16) | a).to_le_bytes());
}
