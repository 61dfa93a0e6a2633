//! `gas-aware`: capheap asks the host how much gas is left (`capheap.gas_left`)
//! before every page it grows, prices the growth with the chain's schedule
//! (Arbitrum Stylus's memory model, `PagePricing::STYLUS`, which the simulator
//! charges too: `pricing = "stylus"`), and
//! refuses growth the call cannot pay for: the contract gets an error value
//! and can answer gracefully, instead of trapping out of gas.
//!
//! Exports:
//! - `reserve(ptr, len) -> i32`: input is a little-endian `u32` byte count;
//!   allocates that many bytes through [`Heap::try_alloc`], frees them, and
//!   returns `0` (done), `1` (cap), `2` (budget), `3` (gas hook refused the
//!   growth) or `4` (other error).
//! - capheap's host ABI and `capheap_stats`.
#![no_std]

use core::alloc::{GlobalAlloc, Layout};

use capheap::{AllocError, Config, Heap, PagePricing};

/// The chain's page pricing: must equal the simulator's (`--pricing stylus`).
pub const PRICING: PagePricing = PagePricing::STYLUS;

#[global_allocator]
static HEAP: Heap = Heap::new(Config::DEFAULT.pricing(PRICING).host_gas_hook());

capheap::export_host_abi!(HEAP);
capheap::export_stats!(HEAP);

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

/// Allocates and frees the requested bytes; returns what happened as a code.
#[unsafe(no_mangle)]
pub extern "C" fn reserve(ptr: u32, len: u32) -> i32 {
    let bytes = if len == 4 {
        // SAFETY: the host wrote 4 bytes at `ptr`, from `capheap_alloc(4)`.
        let b = unsafe { core::slice::from_raw_parts(ptr as *const u8, 4) };
        u32::from_le_bytes([b[0], b[1], b[2], b[3]])
    } else {
        return 4;
    };
    // SAFETY: the input block came from `capheap_alloc(len)`; it is not used again.
    unsafe { capheap::abi::host_free_ptr(&HEAP, ptr as *mut u8, len as i32) };
    let Ok(layout) = Layout::from_size_align(bytes as usize, 8) else {
        return 4;
    };
    match HEAP.try_alloc(layout) {
        Ok(block) => {
            // SAFETY: `block` came from `HEAP.try_alloc(layout)`, freed once.
            unsafe { HEAP.dealloc(block.as_ptr(), layout) };
            0
        }
        Err(AllocError::CapExceeded { .. }) => 1,
        Err(AllocError::BudgetExhausted { .. }) => 2,
        Err(AllocError::GasHookRefused { .. }) => 3,
        Err(_) => 4,
    }
}
