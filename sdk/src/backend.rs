//! Where memory comes from: a linear memory that can only grow, in 64 KiB pages.
//!
//! [`PageSource`] is the whole interface: "where may I start", "how big is the
//! memory now" and "grow by `n` pages". Three implementations:
//!
//! * `WasmMemory` (wasm32 only): the contract's linear memory via
//!   `memory.size`/`memory.grow`; the heap starts at the linker's `__heap_base`,
//!   above the stack and static data. `WasmFreshPages` (wasm32 only) owns
//!   only pages it grows itself, for arenas next to the global heap.
//! * [`StaticRegion`]: a fixed byte region that never grows.
//! * [`NativePages`]: a host simulation of a linear memory (64 KiB pages, a
//!   maximum, zero-filled growth) over a reserved buffer whose addresses never
//!   move, so every allocator in this crate runs unchanged on the host and can be
//!   tested with proptest. [`NativePages::offset_of`] turns addresses into
//!   deterministic offsets.

pub use crate::util::PAGE_SIZE;

/// A linear memory that grows in [`PAGE_SIZE`] pages and never shrinks.
///
/// Implementations must hand out memory that the owner of the source may read
/// and write freely: every byte in `heap_base()..end()` belongs to whoever owns
/// this `PageSource`, and growth appends pages at the end.
pub trait PageSource {
    /// First address the owner may use (for wasm: `__heap_base`).
    fn heap_base(&self) -> usize;
    /// Current size of the memory in pages (including pages below `heap_base`).
    fn pages(&self) -> u32;
    /// One past the last usable address of the current memory.
    fn end(&self) -> usize;
    /// Grow by `delta` pages. Returns the previous size in pages, or `None` if
    /// the memory cannot grow (nothing changes in that case).
    fn grow(&mut self, delta: u32) -> Option<u32>;
}

/// Largest address range (in bytes) any allocator in this crate manages, so
/// that block sizes always fit in 32 bits (4 GiB minus one page).
pub(crate) const MAX_SPAN: usize = 0xFFFF_0000;

/// `pages * PAGE_SIZE` as an address offset, saturated at `MAX_SPAN`.
#[inline]
pub(crate) const fn page_bytes(pages: u32) -> usize {
    let b = (pages as u64) * (PAGE_SIZE as u64);
    if b > MAX_SPAN as u64 {
        MAX_SPAN
    } else {
        b as usize
    }
}

// ---------------------------------------------------------------------------
// WasmMemory
// ---------------------------------------------------------------------------

/// The contract's own linear memory (memory index 0), from `__heap_base`
/// upward. wasm32 only. This is what [`crate::Heap`] uses.
#[cfg(target_arch = "wasm32")]
#[derive(Clone, Copy, Debug, Default)]
pub struct WasmMemory;

#[cfg(target_arch = "wasm32")]
impl WasmMemory {
    /// Linear memory from `__heap_base` upward.
    pub const fn new() -> Self {
        Self
    }
}

/// The contract's linear memory, but owning only the pages it grows itself:
/// its `heap_base` is the memory end at the moment it is asked. Use it for an
/// [`crate::arena::Arena`] or [`crate::pool::Pool`] that shares linear memory
/// with the global heap (the heap notices the foreign growth and continues
/// above it). wasm32 only.
#[cfg(target_arch = "wasm32")]
#[derive(Clone, Copy, Debug, Default)]
pub struct WasmFreshPages;

#[cfg(target_arch = "wasm32")]
impl WasmFreshPages {
    /// Pages grown from now on.
    pub const fn new() -> Self {
        Self
    }
}

#[cfg(target_arch = "wasm32")]
unsafe extern "C" {
    /// Provided by `wasm-ld`: first byte after the stack and static data.
    static __heap_base: u8;
}

#[cfg(target_arch = "wasm32")]
impl PageSource for WasmMemory {
    #[inline]
    fn heap_base(&self) -> usize {
        // Only the address of the linker symbol is taken; it is never read.
        (&raw const __heap_base).expose_provenance()
    }

    #[inline]
    fn pages(&self) -> u32 {
        core::arch::wasm32::memory_size(0) as u32
    }

    #[inline]
    fn end(&self) -> usize {
        page_bytes(self.pages())
    }

    #[inline]
    fn grow(&mut self, delta: u32) -> Option<u32> {
        let prev = core::arch::wasm32::memory_grow(0, delta as usize);
        if prev == usize::MAX {
            None
        } else {
            Some(prev as u32)
        }
    }
}

#[cfg(target_arch = "wasm32")]
impl PageSource for WasmFreshPages {
    #[inline]
    fn heap_base(&self) -> usize {
        WasmMemory.end()
    }
    #[inline]
    fn pages(&self) -> u32 {
        WasmMemory.pages()
    }
    #[inline]
    fn end(&self) -> usize {
        WasmMemory.end()
    }
    #[inline]
    fn grow(&mut self, delta: u32) -> Option<u32> {
        WasmMemory.grow(delta)
    }
}

// ---------------------------------------------------------------------------
// StaticRegion
// ---------------------------------------------------------------------------

/// A fixed byte region that never grows.
#[derive(Debug)]
pub struct StaticRegion {
    start: usize,
    len: usize,
}

impl StaticRegion {
    /// Use a `'static` buffer as the whole memory.
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use capheap::{arena::Arena, backend::{PageSource, StaticRegion}};
    ///
    /// let buf: &'static mut [u8] = Box::leak(vec![0u8; 4096].into_boxed_slice());
    /// let arena = Arena::new(StaticRegion::new(buf));
    /// assert!(arena.try_alloc(Layout::from_size_align(1000, 8).unwrap()).is_ok());
    /// // It never grows: more than the region is refused.
    /// assert!(arena.try_alloc(Layout::from_size_align(8000, 8).unwrap()).is_err());
    /// ```
    pub fn new(buf: &'static mut [u8]) -> Self {
        let len = buf.len().min(MAX_SPAN);
        Self {
            start: buf.as_mut_ptr().expose_provenance(),
            len,
        }
    }

    /// Use `len` bytes at `start`.
    ///
    /// # Safety
    /// `start..start+len` must be valid for reads and writes, not used by
    /// anything else, and outlive every allocation made from this region.
    ///
    /// # Examples
    ///
    /// ```
    /// use capheap::backend::{PageSource, StaticRegion};
    ///
    /// let buf = Box::leak(vec![0u64; 512].into_boxed_slice());
    /// // SAFETY: the leaked buffer lives for the rest of the program, is used by
    /// // nothing else, and is 4096 bytes long.
    /// let region = unsafe { StaticRegion::from_raw(buf.as_mut_ptr().cast(), 4096) };
    /// assert_eq!(region.end() - region.heap_base(), 4096);
    /// ```
    pub unsafe fn from_raw(start: *mut u8, len: usize) -> Self {
        Self {
            start: start.expose_provenance(),
            len: len.min(MAX_SPAN),
        }
    }
}

impl PageSource for StaticRegion {
    fn heap_base(&self) -> usize {
        self.start
    }
    fn pages(&self) -> u32 {
        (self.len / PAGE_SIZE) as u32
    }
    fn end(&self) -> usize {
        self.start + self.len
    }
    fn grow(&mut self, delta: u32) -> Option<u32> {
        if delta == 0 { Some(self.pages()) } else { None }
    }
}

// ---------------------------------------------------------------------------
// NativePages
// ---------------------------------------------------------------------------

/// A simulated linear memory for the host: 64 KiB pages, a maximum page count,
/// zero-filled growth, and a reserved buffer whose addresses never move.
///
/// Page 0 starts at [`NativePages::base`], which is 64 KiB-aligned, so offsets
/// (`addr - base`) and every alignment decision are identical across runs and
/// identical to what the same sequence does in wasm with the same heap base.
pub struct NativePages {
    base: *mut u8,
    pages: u32,
    max_pages: u32,
    heap_base_offset: usize,
    /// Bytes to give back to the global allocator on drop (0 = borrowed).
    owned_len: usize,
}

// SAFETY: `NativePages` owns (or exclusively borrows, see `from_raw`) its
// buffer; moving it to another thread moves that exclusive ownership.
unsafe impl Send for NativePages {}

impl core::fmt::Debug for NativePages {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("NativePages")
            .field("pages", &self.pages)
            .field("max_pages", &self.max_pages)
            .field("heap_base_offset", &self.heap_base_offset)
            .finish()
    }
}

impl NativePages {
    /// Reserve `max_pages` pages (zeroed, 64 KiB-aligned) from the process
    /// allocator, with `initial_pages` of them "already there" (like the
    /// initial memory of a wasm module).
    ///
    /// # Panics
    /// If `initial_pages > max_pages`, `max_pages > 65_535`, or the host cannot
    /// reserve the buffer.
    ///
    /// ```
    /// use capheap::backend::{NativePages, PageSource, PAGE_SIZE};
    ///
    /// let mut memory = NativePages::new(1, 4);
    /// assert_eq!(memory.pages(), 1);
    /// assert_eq!(memory.grow(2), Some(1));
    /// assert_eq!(memory.end() - memory.base() as usize, 3 * PAGE_SIZE);
    /// // Past the maximum: refused, like `memory.grow` returning -1.
    /// assert_eq!(memory.grow(2), None);
    /// ```
    pub fn new(initial_pages: u32, max_pages: u32) -> Self {
        assert!(initial_pages <= max_pages && max_pages <= 65_535);
        let len = (max_pages as usize).max(1) * PAGE_SIZE;
        let layout = core::alloc::Layout::from_size_align(len, PAGE_SIZE).expect("layout");
        // SAFETY: `layout` has non-zero size.
        let p = unsafe { alloc::alloc::alloc_zeroed(layout) };
        assert!(!p.is_null(), "NativePages: cannot reserve {len} bytes");
        Self {
            base: p,
            pages: initial_pages,
            max_pages,
            heap_base_offset: 0,
            owned_len: len,
        }
    }

    /// Use caller-provided memory. `base` must be 64 KiB-aligned.
    ///
    /// # Safety
    /// `base..base + max_pages * PAGE_SIZE` must be valid for reads and writes,
    /// zero-filled beyond `initial_pages`, used by nothing else, and outlive
    /// this value and every allocation made from it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::alloc::{alloc_zeroed, Layout};
    /// use capheap::backend::{NativePages, PageSource, PAGE_SIZE};
    ///
    /// let layout = Layout::from_size_align(2 * PAGE_SIZE, PAGE_SIZE).unwrap();
    /// // SAFETY: a non-zero layout.
    /// let base = unsafe { alloc_zeroed(layout) };
    /// assert!(!base.is_null());
    /// // SAFETY: two zeroed, 64 KiB-aligned pages used by nothing else; the
    /// // buffer is leaked, so it outlives the memory and its allocations.
    /// let mut memory = unsafe { NativePages::from_raw(base, 0, 2) };
    /// assert_eq!(memory.grow(2), Some(0));
    /// assert_eq!(memory.grow(1), None);
    /// ```
    pub const unsafe fn from_raw(base: *mut u8, initial_pages: u32, max_pages: u32) -> Self {
        Self {
            base,
            pages: initial_pages,
            max_pages,
            heap_base_offset: 0,
            owned_len: 0,
        }
    }

    /// Simulate static data and stack below the heap: the owner starts at
    /// `offset` bytes into page 0 (like `__heap_base`).
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use capheap::{backend::NativePages, Config, LocalHeap};
    ///
    /// // 1,000 bytes of "static data" below the heap, in a page that exists.
    /// let memory = NativePages::new(1, 4).with_heap_base(1000);
    /// let base = memory.base() as usize;
    /// let mut heap = LocalHeap::new(memory, Config::DEFAULT);
    /// let p = heap.alloc(Layout::new::<u64>());
    /// assert_eq!(p as usize - base, 1000);
    /// ```
    pub const fn with_heap_base(mut self, offset: usize) -> Self {
        self.heap_base_offset = offset;
        self
    }

    /// Address of page 0.
    ///
    /// ```
    /// use capheap::backend::{NativePages, PAGE_SIZE};
    ///
    /// let memory = NativePages::new(0, 4);
    /// assert_eq!(memory.base() as usize % PAGE_SIZE, 0, "page 0 is 64 KiB-aligned");
    /// ```
    pub fn base(&self) -> *mut u8 {
        self.base
    }

    /// Offset of `p` from page 0 (deterministic across runs).
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use capheap::{backend::NativePages, Config, LocalHeap};
    ///
    /// let mut heap = LocalHeap::new(NativePages::new(0, 4), Config::DEFAULT);
    /// let a = heap.alloc(Layout::new::<[u8; 24]>());
    /// let b = heap.alloc(Layout::new::<[u8; 24]>());
    /// // The same offsets on every run, whatever address the buffer got.
    /// assert_eq!(heap.backend().offset_of(a), 0);
    /// assert_eq!(heap.backend().offset_of(b), 24);
    /// ```
    pub fn offset_of(&self, p: *const u8) -> usize {
        (p as usize).wrapping_sub(self.base as usize)
    }

    /// Maximum size in pages.
    ///
    /// ```
    /// use capheap::backend::NativePages;
    ///
    /// assert_eq!(NativePages::new(0, 12).max_pages(), 12);
    /// ```
    pub fn max_pages(&self) -> u32 {
        self.max_pages
    }
}

impl Drop for NativePages {
    fn drop(&mut self) {
        if self.owned_len != 0 {
            let layout = core::alloc::Layout::from_size_align(self.owned_len, PAGE_SIZE)
                .expect("layout was valid at construction");
            // SAFETY: the buffer was allocated in `new` with exactly this layout
            // and is not used after `self` is dropped (allocations made from it
            // must not outlive it, as documented on every owner).
            unsafe { alloc::alloc::dealloc(self.base, layout) }
        }
    }
}

impl PageSource for NativePages {
    fn heap_base(&self) -> usize {
        // Expose the buffer's provenance so that addresses computed from it can
        // be turned back into pointers (see `crate::util`).
        self.base.expose_provenance() + self.heap_base_offset
    }
    fn pages(&self) -> u32 {
        self.pages
    }
    fn end(&self) -> usize {
        self.base as usize + page_bytes(self.pages)
    }
    fn grow(&mut self, delta: u32) -> Option<u32> {
        let new = self.pages.checked_add(delta)?;
        if new > self.max_pages {
            return None;
        }
        let prev = self.pages;
        self.pages = new;
        Some(prev)
    }
}
