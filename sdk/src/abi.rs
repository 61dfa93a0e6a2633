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
///
/// ```
/// use capheap::abi::{host_alloc_ptr, host_free_ptr};
///
/// static HEAP: capheap::mini::MiniHeap = capheap::mini::MiniHeap::new(capheap::Config::DEFAULT);
///
/// let p = host_alloc_ptr(&HEAP, 100);
/// assert!(!p.is_null());
/// assert!(host_alloc_ptr(&HEAP, -1).is_null());
/// // SAFETY: `p` came from `host_alloc_ptr(&HEAP, 100)` and is not used again.
/// unsafe { host_free_ptr(&HEAP, p, 100) };
/// ```
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
///
/// # Examples
///
/// ```
/// use capheap::abi::{host_alloc_ptr, host_free_ptr};
///
/// static HEAP: capheap::mini::MiniHeap = capheap::mini::MiniHeap::new(capheap::Config::DEFAULT);
///
/// let empty = host_alloc_ptr(&HEAP, 0);
/// assert_eq!(empty as usize, 1, "a dangling pointer for 0 bytes");
/// // SAFETY: `empty` came from `host_alloc_ptr(&HEAP, 0)`; freeing 0 bytes
/// // does nothing.
/// unsafe { host_free_ptr(&HEAP, empty, 0) };
/// ```
pub unsafe fn host_free_ptr<A: GlobalAlloc>(heap: &A, p: *mut u8, len: i32) {
    if p.is_null() || len <= 0 {
        return;
    }
    // SAFETY: `GlobalAlloc::dealloc` needs `p` allocated by `heap` with this
    // layout: the caller promises `p` came from `host_alloc_ptr(heap, len)`,
    // which allocated it with `(len, 1)`, the layout rebuilt here (valid: `len
    // > 0` was checked, and alignment 1).
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
    // SAFETY: `host_free_ptr` needs the pointer to come from
    // `host_alloc_ptr(heap, len)`: our caller promises that of `ptr` (the
    // contract above), and `host_alloc` returned that address as an `i32`,
    // which is turned back into the same pointer here (its provenance was
    // exposed by the backend).
    unsafe {
        host_free_ptr(
            heap,
            core::ptr::with_exposed_provenance_mut(ptr as u32 as usize),
            len,
        )
    }
}

/// The current call's input under capheap's host ABI (the `capheap.input`
/// import): the bytes the host placed with `capheap_alloc`, owned. Dropping
/// it frees them through `heap`, which must be the heap given to
/// [`crate::export_host_abi!`] (the one `capheap_alloc` allocated from).
/// wasm32 only.
///
/// ```ignore
/// #[unsafe(no_mangle)]
/// pub extern "C" fn reverse() {
///     let mut data = capheap::abi::input(&HEAP);
///     data.reverse();
///     capheap::abi::output(&data);
/// }
/// ```
#[cfg(target_arch = "wasm32")]
pub fn input<A: GlobalAlloc>(heap: &A) -> Input<'_, A> {
    #[link(wasm_import_module = "capheap")]
    unsafe extern "C" {
        /// Places the call input via `capheap_alloc` and returns `(ptr << 32) | len`.
        #[link_name = "input"]
        fn host_input() -> i64;
    }
    // SAFETY: a host import without preconditions.
    let region = unsafe { host_input() } as u64;
    Input {
        ptr: core::ptr::with_exposed_provenance_mut((region >> 32) as usize),
        len: (region & 0xffff_ffff) as usize,
        heap,
    }
}

/// Sets the current call's output (the `capheap.output` import: the host
/// copies the bytes). wasm32 only.
#[cfg(target_arch = "wasm32")]
pub fn output(bytes: &[u8]) {
    #[link(wasm_import_module = "capheap")]
    unsafe extern "C" {
        /// Sets the call output to `len` bytes at `ptr`.
        #[link_name = "output"]
        fn host_output(ptr: *const u8, len: usize);
    }
    // SAFETY: `bytes` is a live slice for the duration of the call; the host
    // copies it before returning.
    unsafe { host_output(bytes.as_ptr(), bytes.len()) }
}

/// A call's input, owned (see `abi::input`, wasm32 only): derefs to the
/// bytes; frees them on drop.
#[derive(Debug)]
pub struct Input<'h, A: GlobalAlloc> {
    ptr: *mut u8,
    len: usize,
    heap: &'h A,
}

impl<A: GlobalAlloc> core::ops::Deref for Input<'_, A> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        if self.len == 0 {
            return &[];
        }
        // SAFETY: the host placed exactly `len` bytes at `ptr` in a buffer it
        // got from `capheap_alloc(len)`; this value owns it until dropped.
        unsafe { core::slice::from_raw_parts(self.ptr, self.len) }
    }
}

impl<A: GlobalAlloc> core::ops::DerefMut for Input<'_, A> {
    fn deref_mut(&mut self) -> &mut [u8] {
        if self.len == 0 {
            return &mut [];
        }
        // SAFETY: as for `deref`, and `&mut self` makes this the only access.
        unsafe { core::slice::from_raw_parts_mut(self.ptr, self.len) }
    }
}

impl<A: GlobalAlloc> Drop for Input<'_, A> {
    fn drop(&mut self) {
        if let Ok(len) = i32::try_from(self.len) {
            // SAFETY: the buffer came from `capheap_alloc(len)`, i.e.
            // `host_alloc_ptr(heap, len)`, and is not used after this.
            unsafe { host_free_ptr(self.heap, self.ptr, len) }
        }
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
