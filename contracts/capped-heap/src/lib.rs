//! `capped-heap`: a capheap heap with a hard cap of 256 KiB of heap bytes and
//! 32 pages of linear memory, under Stylus page pricing.
//!
//! Exports (call convention v0):
//! - `hold(ptr, len) -> i64`: input is a little-endian `u32` byte count. Tries
//!   to allocate that many bytes through [`Heap::try_alloc`] and keeps the
//!   block. Returns a region holding UTF-8 text: `ok <address>` or
//!   `err <AllocError>`. A cap hit is an error *value*, never a trap.
//! - `release() -> i32`: frees every held block; returns how many.
//! - `capheap_alloc`, `capheap_free`, `capheap_stats`: capheap's host ABI and
//!   statistics export.
//!
//! The reply is written into a static buffer, not the heap, so reporting a
//! full heap cannot itself fail.
#![no_std]

use core::alloc::Layout;
use core::cell::UnsafeCell;
use core::fmt::Write;
use core::ptr::NonNull;

use capheap::{Config, Heap, PagePricing};

/// Heap bytes the contract may hold at once.
pub const HEAP_CAP: usize = 256 * 1024;

#[global_allocator]
static HEAP: Heap = Heap::new(
    Config::DEFAULT
        .max_heap_bytes(HEAP_CAP)
        .max_memory_pages(32)
        .pricing(PagePricing::STYLUS)
        .detailed_stats(true),
);

capheap::export_host_abi!(HEAP);
capheap::export_stats!(HEAP);

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

const MAX_HELD: usize = 64;

/// Contract state that lives in static memory, not on the heap.
struct State {
    held: [Option<(NonNull<u8>, Layout)>; MAX_HELD],
    reply: [u8; 256],
}

struct Global(UnsafeCell<State>);
// SAFETY: wasm32 contracts are single-threaded; exports never re-enter.
unsafe impl Sync for Global {}

static STATE: Global = Global(UnsafeCell::new(State {
    held: [None; MAX_HELD],
    reply: [0; 256],
}));

fn state() -> &'static mut State {
    // SAFETY: single-threaded, and each export takes this reference once and
    // drops it before returning, so no two `&mut` exist at a time.
    unsafe { &mut *STATE.0.get() }
}

/// A `fmt::Write` into a fixed buffer that truncates instead of failing.
struct Reply<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl Write for Reply<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let room = self.buf.len() - self.len;
        let n = s.len().min(room);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

fn input_u32(ptr: u32, len: u32) -> Option<u32> {
    if len != 4 {
        return None;
    }
    // SAFETY: the host wrote `len` (= 4) bytes at `ptr`, obtained from
    // `capheap_alloc(4)`.
    let bytes = unsafe { core::slice::from_raw_parts(ptr as *const u8, 4) };
    Some(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
}

/// Allocates the requested bytes and keeps them; replies `ok <addr>` or `err <why>`.
#[unsafe(no_mangle)]
pub extern "C" fn hold(ptr: u32, len: u32) -> i64 {
    let st = state();
    let mut reply = Reply {
        buf: &mut st.reply,
        len: 0,
    };
    let _ = match input_u32(ptr, len).map(|n| Layout::from_size_align(n as usize, 8)) {
        None => write!(reply, "err input must be a little-endian u32"),
        Some(Err(_)) => write!(reply, "err invalid layout"),
        Some(Ok(layout)) => match st.held.iter_mut().find(|slot| slot.is_none()) {
            None => write!(reply, "err already holding {MAX_HELD} blocks"),
            Some(slot) => match HEAP.try_alloc(layout) {
                Ok(block) => {
                    *slot = Some((block, layout));
                    write!(reply, "ok {}", block.as_ptr() as usize)
                }
                Err(e) => write!(reply, "err {e}"),
            },
        },
    };
    // SAFETY: host-provided input buffer, no longer used: give it back.
    unsafe { capheap::abi::host_free_ptr(&HEAP, ptr as *mut u8, len as i32) };
    let len = reply.len;
    ((st.reply.as_ptr() as u64) << 32 | len as u64) as i64
}

/// Frees every held block; returns how many were freed.
#[unsafe(no_mangle)]
pub extern "C" fn release() -> i32 {
    let mut freed = 0;
    for slot in state().held.iter_mut() {
        if let Some((block, layout)) = slot.take() {
            // SAFETY: `block` came from `HEAP.try_alloc(layout)` and is freed once.
            unsafe { core::alloc::GlobalAlloc::dealloc(&HEAP, block.as_ptr(), layout) };
            freed += 1;
        }
    }
    freed
}
