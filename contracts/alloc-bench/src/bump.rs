//! The 20-line bump allocator of `contracts/hello`: never frees; the floor.

use core::alloc::{GlobalAlloc, Layout};
use core::arch::wasm32::{memory_grow, memory_size};
use core::cell::Cell;

const PAGE: usize = 65536;

/// Never frees; grows linear memory a page-multiple at a time.
pub struct Bump;

struct Top(Cell<usize>);
// SAFETY: wasm32 contracts are single-threaded.
unsafe impl Sync for Top {}
static TOP: Top = Top(Cell::new(0));

// SAFETY: returns either null or a fresh, aligned, unaliased block of at least
// `layout.size()` bytes inside linear memory that nothing else uses.
unsafe impl GlobalAlloc for Bump {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let mut top = TOP.0.get();
        if top == 0 {
            top = memory_size(0) * PAGE;
        }
        let Some(start) = top.checked_next_multiple_of(layout.align()) else {
            return core::ptr::null_mut();
        };
        let Some(end) = start.checked_add(layout.size()) else {
            return core::ptr::null_mut();
        };
        let have = memory_size(0) * PAGE;
        if end > have && memory_grow(0, (end - have).div_ceil(PAGE)) == usize::MAX {
            return core::ptr::null_mut();
        }
        TOP.0.set(end);
        start as *mut u8
    }
    unsafe fn dealloc(&self, _ptr: *mut u8, _layout: Layout) {}
}
