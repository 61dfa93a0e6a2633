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

use capheap::{Config, Heap};

#[global_allocator]
static HEAP: Heap = Heap::new(Config::DEFAULT.detailed_stats(true));

capheap::export_host_abi!(HEAP);
capheap::export_stats!(HEAP);

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

/// Reverses the input.
#[unsafe(no_mangle)]
pub extern "C" fn reverse() {
    let mut data = capheap::abi::input(&HEAP);
    data.reverse();
    capheap::abi::output(&data);
}

/// Adler-32 of the input, as 4 little-endian bytes.
#[unsafe(no_mangle)]
pub extern "C" fn checksum() {
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in capheap::abi::input(&HEAP).iter() {
        a = (a + u32::from(byte)) % 65521;
        b = (b + a) % 65521;
    }
    capheap::abi::output(&((b << 16) | a).to_le_bytes());
}
