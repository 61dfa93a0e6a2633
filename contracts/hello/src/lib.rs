//! `hello`: the first capheap contract.
//!
//! Exports (call convention v0, see `docs/src/simulator.md`):
//! - `capheap_alloc(len) -> ptr` / `capheap_free(ptr, len)`: the host places
//!   call input into contract memory through these.
//! - `reverse(ptr, len) -> i64`: returns a region `(out_ptr << 32) | out_len`
//!   holding the input reversed.
//! - `checksum(ptr, len) -> i64`: returns a region holding the Adler-32 of the
//!   input as 4 little-endian bytes.
#![no_std]

extern crate alloc;

use alloc::vec::Vec;

mod bump;

#[global_allocator]
static ALLOC: bump::Bump = bump::Bump;

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

/// Allocates `len` bytes for the host to write call input into.
#[unsafe(no_mangle)]
pub extern "C" fn capheap_alloc(len: u32) -> u32 {
    let mut buf: Vec<u8> = Vec::with_capacity(len as usize);
    let ptr = buf.as_mut_ptr();
    core::mem::forget(buf);
    ptr as u32
}

/// Releases a buffer from [`capheap_alloc`] (the bump allocator never frees).
#[unsafe(no_mangle)]
pub extern "C" fn capheap_free(_ptr: u32, _len: u32) {}

/// Borrows the host-written input.
fn input<'a>(ptr: u32, len: u32) -> &'a [u8] {
    // SAFETY: the host wrote `len` bytes at `ptr`, a buffer it obtained from
    // `capheap_alloc(len)`; nothing else aliases it during the call.
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
