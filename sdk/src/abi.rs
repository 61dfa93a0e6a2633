//! Host allocation ABI (CosmWasm `allocate`/`deallocate` style).
//!
//! [`crate::export_host_abi!`] exports from the contract:
//!
//! * `capheap_alloc(len: i32) -> i32`: allocate `len` bytes at alignment 1;
//!   returns 0 on failure (or negative `len`), and a non-zero dangling pointer
//!   (1) for `len == 0`.
//! * `capheap_free(ptr: i32, len: i32)`: free what `capheap_alloc(len)`
//!   returned; `ptr == 0` or `len <= 0` is a no-op.
//!
//! The host (simulator) places call input into contract memory through
//! `capheap_alloc`, so host-placed data is accounted, capped and metered like
//! any other allocation. [`Region`] is the usual `{ptr, capacity, len}`
//! descriptor for passing buffers across the boundary.

use core::alloc::{GlobalAlloc, Layout};

/// Export name of the host allocation function.
pub const HOST_ALLOC_EXPORT: &str = "capheap_alloc";
/// Export name of the host free function.
pub const HOST_FREE_EXPORT: &str = "capheap_free";

/// A buffer in contract memory, as passed between host and contract
/// (`#[repr(C)]`, 12 bytes, little-endian `u32` fields).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Region {
    /// Address of the first byte.
    pub ptr: u32,
    /// Bytes allocated.
    pub capacity: u32,
    /// Bytes in use.
    pub len: u32,
}

impl Region {
    /// Size of the encoded struct.
    pub const SIZE: usize = 12;
}

/// Allocate `len` bytes at alignment 1 from `heap`: null on failure or
/// negative `len`; a dangling non-null pointer (address 1) for `len == 0`.
pub fn host_alloc_ptr<A: GlobalAlloc>(heap: &A, len: i32) -> *mut u8 {
    if len < 0 {
        return core::ptr::null_mut();
    }
    if len == 0 {
        return core::ptr::without_provenance_mut(1);
    }
    // SAFETY: `len > 0` and alignment 1 always form a valid, non-zero layout.
    unsafe { heap.alloc(Layout::from_size_align_unchecked(len as usize, 1)) }
}

/// Free what [`host_alloc_ptr`] returned for the same `len`.
///
/// # Safety
/// `p` came from `host_alloc_ptr(heap, len)` and is not used afterwards.
pub unsafe fn host_free_ptr<A: GlobalAlloc>(heap: &A, p: *mut u8, len: i32) {
    if p.is_null() || len <= 0 {
        return;
    }
    // SAFETY: forwarded; the layout is the one used to allocate.
    unsafe { heap.dealloc(p, Layout::from_size_align_unchecked(len as usize, 1)) }
}

/// `capheap_alloc` body (wasm32). Not public API.
#[doc(hidden)]
#[cfg(target_arch = "wasm32")]
pub fn host_alloc<A: GlobalAlloc>(heap: &A, len: i32) -> i32 {
    host_alloc_ptr(heap, len) as usize as i32
}

/// `capheap_free` body (wasm32). Not public API.
///
/// # Safety
/// See [`host_free_ptr`].
#[doc(hidden)]
#[cfg(target_arch = "wasm32")]
pub unsafe fn host_free<A: GlobalAlloc>(heap: &A, ptr: i32, len: i32) {
    // SAFETY: forwarded.
    unsafe {
        host_free_ptr(
            heap,
            core::ptr::with_exposed_provenance_mut(ptr as u32 as usize),
            len,
        )
    }
}

/// Export the host allocation ABI for `$heap` (wasm32 only):
/// `capheap_alloc(len: i32) -> i32` and `capheap_free(ptr: i32, len: i32)`.
///
/// ```
/// #[global_allocator]
/// static HEAP: capheap::Heap = capheap::Heap::new(capheap::Config::DEFAULT);
/// capheap::export_host_abi!(HEAP);
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! export_host_abi {
    ($heap:path) => {
        /// Allocate `len` bytes (align 1) for the host; 0 on failure.
        #[cfg(target_arch = "wasm32")]
        #[unsafe(no_mangle)]
        pub extern "C" fn capheap_alloc(len: i32) -> i32 {
            $crate::abi::host_alloc(&$heap, len)
        }

        /// Free what `capheap_alloc(len)` returned.
        ///
        /// # Safety
        /// Called by the host with a pointer from `capheap_alloc(len)`.
        #[cfg(target_arch = "wasm32")]
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn capheap_free(ptr: i32, len: i32) {
            // SAFETY: the host contract: `ptr` came from `capheap_alloc(len)`.
            unsafe { $crate::abi::host_free(&$heap, ptr, len) }
        }
    };
}
