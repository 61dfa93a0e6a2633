//! Region (bump) allocation over pages from a [`PageSource`].
//!
//! An [`Arena`] hands out memory by bumping a pointer through *chunks* of
//! memory it claims from its backend: the memory that already exists above the
//! backend's `heap_base`, then pages it grows (through the same
//! [`GrowthMeter`] path as the heap, so caps, pricing and budget apply). When
//! growth is contiguous the current chunk is simply extended. Individual frees
//! are no-ops (except that freeing the last allocation gives it back); memory
//! is reclaimed all at once with [`Arena::reset`], [`Arena::reset_to`] a
//! [`Checkpoint`], or at the end of an [`Arena::scope`]. Chunks are kept and
//! reused after a reset; they are never returned to the backend (a wasm memory
//! cannot shrink).
//!
//! ```
//! use core::alloc::Layout;
//! use capheap::arena::Arena;
//! use capheap::backend::NativePages;
//!
//! let mut arena = Arena::new(NativePages::new(0, 8));
//! let x = arena.alloc_value(41u64).unwrap();
//! *x += 1;
//! let n = arena.scope(|a| {
//!     let tmp = a.alloc_slice_copy(&[1u32, 2, 3]).unwrap();
//!     tmp.iter().sum::<u32>()
//! });
//! assert_eq!(n, 6);
//! arena.reset();
//! assert_eq!(arena.stats().live_bytes, 0);
//! ```
//!
//! `Arena` is single-threaded (`!Sync`).

use core::alloc::Layout;
use core::cell::UnsafeCell;
use core::ptr::NonNull;

use crate::backend::{MAX_SPAN, PageSource};
use crate::cap::{self, AllocError, CapKind};
use crate::meter::{GasHook, GrowthMeter, PagePricing};
use crate::stats::{Failures, Stats};
use crate::util::{align_up, pages_for, ptr, rd, wr};

/// Chunk header: `[next chunk][chunk end]`, padded to 16 bytes.
const CH: usize = 16;
const W: usize = core::mem::size_of::<usize>();

/// Arena configuration.
// `Custom`/gas-hook function pointers compare by address.
#[allow(unpredictable_function_pointer_comparisons)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArenaConfig {
    /// Cap on the bytes of memory the arena claims (chunk space, including
    /// 16-byte chunk headers). Checked before growing. `None` = no cap.
    pub max_bytes: Option<usize>,
    /// Cap on the backend's total size in pages. `None` = no cap.
    pub max_memory_pages: Option<u32>,
    /// How growth is priced.
    pub pricing: PagePricing,
    /// Growth budget. `None` = unlimited.
    pub growth_budget: Option<u64>,
    /// Gas hook consulted before every growth.
    pub gas_hook: Option<GasHook>,
}

impl ArenaConfig {
    /// No caps, free growth.
    pub const DEFAULT: Self = Self {
        max_bytes: None,
        max_memory_pages: None,
        pricing: PagePricing::Free,
        growth_budget: None,
        gas_hook: None,
    };

    /// Cap the claimed bytes.
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use capheap::arena::{Arena, ArenaConfig};
    /// use capheap::{backend::NativePages, AllocError, CapKind};
    ///
    /// let mut arena = Arena::with_config(NativePages::new(0, 8), ArenaConfig::DEFAULT.max_bytes(4096));
    /// assert!(arena.try_alloc(Layout::from_size_align(2000, 8).unwrap()).is_ok());
    /// // The arena claimed only what the cap allows of the page it grew.
    /// assert_eq!(arena.stats().heap_bytes, 4096);
    /// assert!(matches!(
    ///     arena.try_alloc(Layout::from_size_align(3000, 8).unwrap()),
    ///     Err(AllocError::CapExceeded { cap: CapKind::ArenaBytes, limit: 4096, .. })
    /// ));
    /// ```
    pub const fn max_bytes(mut self, bytes: usize) -> Self {
        self.max_bytes = Some(bytes);
        self
    }
}

impl Default for ArenaConfig {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// A position to [`Arena::reset_to`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    chunk: usize,
    ptr: usize,
    live: usize,
    /// The arena's generation when it was taken: a full reset starts a new
    /// one, and a checkpoint from an older generation is void.
    generation: u64,
}

struct Inner<B> {
    backend: B,
    cfg: ArenaConfig,
    meter: GrowthMeter,
    ready: bool,
    first: usize,
    cur: usize,
    ptr: usize,
    end: usize,
    claimed: usize,
    last: usize,
    live: usize,
    peak: usize,
    allocs: u64,
    resets: u64,
    /// Full resets so far: checkpoints of an earlier generation are void.
    generation: u64,
    /// Failure counters and the most recent failure (as the heaps keep them).
    failures: Failures,
}

/// Chunk fields.
///
/// # Safety (all three)
/// `c` is a chunk header written by this arena.
#[inline]
unsafe fn next(c: usize) -> usize {
    // SAFETY: `rd` needs an aligned word of owned memory: `c` is a chunk
    // header this arena wrote (the contract above), 8-aligned, whose first
    // word is `next`.
    unsafe { rd(c) }
}
#[inline]
unsafe fn chunk_end(c: usize) -> usize {
    // SAFETY: `rd` needs an aligned word of owned memory: `c` is a chunk
    // header this arena wrote (the contract above), 8-aligned, whose second
    // word is the end.
    unsafe { rd(c + W) }
}
#[inline]
unsafe fn write_chunk(c: usize, next: usize, end: usize) {
    // SAFETY: `wr` needs aligned, writable words of owned memory: `c` is the
    // 8-aligned start of a chunk this arena owns (the contract above), and the
    // header's 16 bytes are inside it.
    unsafe {
        wr(c, next);
        wr(c + W, end);
    }
}

/// Aligned position for `size` bytes in `from..end`, if it fits.
#[inline(always)]
fn fit(from: usize, end: usize, size: usize, align: usize) -> Option<usize> {
    let p = align_up(from, align)?;
    if p <= end && size <= end - p {
        Some(p)
    } else {
        None
    }
}

/// A bump arena over a [`PageSource`].
pub struct Arena<B: PageSource> {
    inner: UnsafeCell<Inner<B>>,
}

impl<B: PageSource> core::fmt::Debug for Arena<B> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Arena")
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

/// The growth plan computed under a short borrow, priced without one.
struct Plan {
    current_pages: u32,
    delta: u32,
    meter: GrowthMeter,
    chunk: usize,
    mem_end: usize,
}

impl<B: PageSource> Arena<B> {
    /// An arena over `backend` with no caps.
    ///
    /// ```
    /// use capheap::{arena::Arena, backend::NativePages};
    ///
    /// let arena = Arena::new(NativePages::new(0, 8));
    /// assert_eq!(arena.first_chunk(), None, "no memory is claimed before the first allocation");
    /// ```
    pub fn new(backend: B) -> Self {
        Self::with_config(backend, ArenaConfig::DEFAULT)
    }

    /// An arena over `backend` with `cfg`.
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use capheap::arena::{Arena, ArenaConfig};
    /// use capheap::{backend::NativePages, PagePricing};
    ///
    /// let cfg = ArenaConfig {
    ///     pricing: PagePricing::Flat { per_page: 7 },
    ///     ..ArenaConfig::DEFAULT
    /// };
    /// let arena = Arena::with_config(NativePages::new(0, 8), cfg);
    /// arena.try_alloc(Layout::from_size_align(100_000, 8).unwrap()).unwrap();
    /// assert_eq!(arena.stats().growth_price_charged, 2 * 7);
    /// ```
    pub fn with_config(backend: B, cfg: ArenaConfig) -> Self {
        Self {
            inner: UnsafeCell::new(Inner {
                backend,
                cfg,
                meter: GrowthMeter::new(cfg.growth_budget),
                ready: false,
                first: 0,
                cur: 0,
                ptr: 0,
                end: 0,
                claimed: 0,
                last: 0,
                live: 0,
                peak: 0,
                allocs: 0,
                resets: 0,
                generation: 0,
                failures: Failures::new(),
            }),
        }
    }

    /// Run `f` with exclusive access to the state. `f` must not call user code.
    #[inline(always)]
    fn with<R>(&self, f: impl FnOnce(&mut Inner<B>) -> R) -> R {
        // SAFETY: `Arena` is `!Sync`, and every borrow of the state is confined
        // to one `with` call that runs no user code (pricing functions and gas
        // hooks are called between borrows, see `grow_and_alloc`), so no two
        // references to the state ever coexist.
        f(unsafe { &mut *self.inner.get() })
    }

    /// Allocate; null on failure.
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use capheap::{arena::Arena, backend::NativePages};
    ///
    /// let arena = Arena::new(NativePages::new(0, 1));
    /// let a = arena.alloc(Layout::new::<u32>());
    /// let b = arena.alloc(Layout::new::<u32>());
    /// assert_eq!(b as usize - a as usize, 4, "bump allocation: back to back");
    /// // More than the backend can ever hold: null.
    /// assert!(arena.alloc(Layout::from_size_align(1 << 20, 8).unwrap()).is_null());
    /// ```
    #[inline]
    pub fn alloc(&self, layout: Layout) -> *mut u8 {
        match self.try_alloc(layout) {
            Ok(p) => p.as_ptr(),
            Err(_) => core::ptr::null_mut(),
        }
    }

    /// Allocate, returning why on failure. Zero-size layouts get a dangling,
    /// well-aligned pointer.
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use capheap::{arena::Arena, backend::NativePages, AllocError};
    ///
    /// let arena = Arena::new(NativePages::new(0, 1));
    /// let p = arena.try_alloc(Layout::from_size_align(64, 64).unwrap()).unwrap();
    /// assert_eq!(p.as_ptr() as usize % 64, 0);
    /// let err = arena.try_alloc(Layout::from_size_align(1 << 20, 8).unwrap()).unwrap_err();
    /// assert_eq!(err, AllocError::OutOfMemory);
    /// assert_eq!(arena.stats().failed_oom, 1);
    /// ```
    #[inline]
    pub fn try_alloc(&self, layout: Layout) -> Result<NonNull<u8>, AllocError> {
        let (size, align) = (layout.size(), layout.align());
        if size == 0 {
            // SAFETY: `align >= 1`, so the pointer is not null.
            return Ok(unsafe { NonNull::new_unchecked(core::ptr::without_provenance_mut(align)) });
        }
        let hit = self.with(|i| {
            let p = fit(i.ptr, i.end, size, align)?;
            i.ptr = p + size;
            i.note(p, size);
            Some(p)
        });
        match hit {
            // SAFETY: chunk memory is never at address 0.
            Some(p) => Ok(unsafe { NonNull::new_unchecked(ptr(p)) }),
            None => self.grow_and_alloc(size, align),
        }
    }

    #[inline(never)]
    fn grow_and_alloc(&self, size: usize, align: usize) -> Result<NonNull<u8>, AllocError> {
        self.slow(size, align).map_err(|e| self.refused(e))
    }

    /// Count a refused request in this arena's statistics (also for the
    /// pools built on it, whose own caps refuse before the arena is asked)
    /// and hand the error back.
    #[cold]
    pub(crate) fn refused(&self, e: AllocError) -> AllocError {
        self.with(|i| i.failures.record(e));
        e
    }

    fn slow(&self, size: usize, align: usize) -> Result<NonNull<u8>, AllocError> {
        if size > MAX_SPAN || align > MAX_SPAN {
            return Err(AllocError::LayoutTooLarge);
        }
        // Phase 1 (borrowed): reuse the next chunk, or plan a growth.
        let plan = self.with(|i| i.plan(size, align))?;
        let plan = match plan {
            Ok(p) => return Ok(p),
            Err(plan) => plan,
        };
        // Phase 2 (no borrow held): price; may run user code.
        let cfg = self.with(|i| i.cfg);
        let price = plan.meter.check(
            &cfg.pricing,
            cfg.max_memory_pages,
            cfg.gas_hook,
            plan.current_pages,
            plan.delta,
        )?;
        // Phase 3 (borrowed): the state must be as planned, then grow.
        self.with(|i| i.commit(&plan, price, size, align))
    }

    /// Give back the most recent allocation if `p` is it (a cheap free).
    ///
    /// # Safety
    /// `p` was allocated from this arena with `layout` and is not used afterwards.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use capheap::{arena::Arena, backend::NativePages};
    ///
    /// let arena = Arena::new(NativePages::new(0, 1));
    /// let layout = Layout::new::<[u8; 32]>();
    /// let a = arena.try_alloc(layout).unwrap();
    /// let b = arena.try_alloc(layout).unwrap();
    /// // SAFETY: `b` was allocated from `arena` with `layout` and is not used
    /// // again. It is the newest allocation: it is given back.
    /// unsafe { arena.dealloc(b, layout) };
    /// assert_eq!(arena.stats().live_bytes, 32);
    /// // SAFETY: as for `b`. `a` is not the newest any more: nothing happens
    /// // until a reset.
    /// unsafe { arena.dealloc(a, layout) };
    /// assert_eq!(arena.stats().live_bytes, 32);
    /// ```
    pub unsafe fn dealloc(&self, p: NonNull<u8>, layout: Layout) {
        self.with(|i| {
            let a = p.as_ptr() as usize;
            if layout.size() != 0 && a == i.last && a + layout.size() == i.ptr {
                i.ptr = a;
                i.live -= layout.size();
                i.last = 0;
            }
        })
    }

    /// Move `value` into the arena. Its destructor will not run.
    ///
    /// ```
    /// use capheap::{arena::Arena, backend::NativePages};
    ///
    /// let arena = Arena::new(NativePages::new(0, 1));
    /// let point = arena.alloc_value((3i32, 4i32)).unwrap();
    /// point.0 += 1;
    /// assert_eq!(*point, (4, 4));
    /// ```
    #[allow(clippy::mut_from_ref)] // bump allocation: each call returns fresh memory
    pub fn alloc_value<T>(&self, value: T) -> Result<&mut T, AllocError> {
        let p = self.try_alloc(Layout::new::<T>())?.cast::<T>();
        // SAFETY: `p` is fresh, aligned, sized for `T` and exclusively ours for
        // as long as `&self` is borrowed (resets need `&mut self`).
        unsafe {
            p.as_ptr().write(value);
            Ok(&mut *p.as_ptr())
        }
    }

    /// Copy a slice into the arena.
    ///
    /// ```
    /// use capheap::{arena::Arena, backend::NativePages};
    ///
    /// let arena = Arena::new(NativePages::new(0, 1));
    /// let v = arena.alloc_slice_copy(&[3u16, 1, 2]).unwrap();
    /// v.sort();
    /// assert_eq!(v, &[1, 2, 3]);
    /// ```
    #[allow(clippy::mut_from_ref)] // bump allocation: each call returns fresh memory
    pub fn alloc_slice_copy<T: Copy>(&self, src: &[T]) -> Result<&mut [T], AllocError> {
        let layout = Layout::array::<T>(src.len()).map_err(|_| AllocError::LayoutTooLarge)?;
        let p = self.try_alloc(layout)?.cast::<T>();
        // SAFETY: `p` is fresh and sized for `src.len()` values of `T`.
        unsafe {
            core::ptr::copy_nonoverlapping(src.as_ptr(), p.as_ptr(), src.len());
            Ok(core::slice::from_raw_parts_mut(p.as_ptr(), src.len()))
        }
    }

    /// Copy a string into the arena.
    ///
    /// ```
    /// use capheap::{arena::Arena, backend::NativePages};
    ///
    /// let arena = Arena::new(NativePages::new(0, 1));
    /// let s = arena.alloc_str("capheap").unwrap();
    /// s.make_ascii_uppercase();
    /// assert_eq!(s, "CAPHEAP");
    /// ```
    #[allow(clippy::mut_from_ref)] // bump allocation: each call returns fresh memory
    pub fn alloc_str(&self, s: &str) -> Result<&mut str, AllocError> {
        let b = self.alloc_slice_copy(s.as_bytes())?;
        // SAFETY: copied from a `str`, so valid UTF-8.
        Ok(unsafe { core::str::from_utf8_unchecked_mut(b) })
    }

    /// The current position.
    ///
    /// ```
    /// use capheap::{arena::Arena, backend::NativePages};
    ///
    /// let mut arena = Arena::new(NativePages::new(0, 1));
    /// arena.alloc_str("kept").unwrap();
    /// let cp = arena.checkpoint();
    /// arena.alloc_str("temporary").unwrap();
    /// arena.reset_to(cp).unwrap();
    /// assert_eq!(arena.stats().live_bytes, 4);
    /// ```
    pub fn checkpoint(&self) -> Checkpoint {
        self.with(|i| Checkpoint {
            chunk: i.cur,
            ptr: i.ptr,
            live: i.live,
            generation: i.generation,
        })
    }

    /// Free everything allocated after `cp`. Fails with
    /// [`AllocError::InvalidPointer`] if `cp` is not a position of this arena
    /// now: taken from another arena, before a [`reset`](Self::reset), or
    /// ahead of the current position (after an earlier `reset_to`), so that
    /// `live_bytes` always counts what is really allocated.
    ///
    /// ```
    /// use capheap::{arena::Arena, backend::NativePages, AllocError};
    ///
    /// let mut arena = Arena::new(NativePages::new(0, 1));
    /// let cp = arena.checkpoint();
    /// arena.alloc_value(1u64).unwrap();
    /// assert_eq!(arena.reset_to(cp), Ok(()));
    /// assert_eq!(arena.stats().live_bytes, 0);
    /// // A checkpoint from before a reset is refused.
    /// arena.reset();
    /// assert_eq!(arena.reset_to(cp), Err(AllocError::InvalidPointer));
    /// ```
    pub fn reset_to(&mut self, cp: Checkpoint) -> Result<(), AllocError> {
        let i = self.inner.get_mut();
        if cp.generation != i.generation {
            return Err(AllocError::InvalidPointer);
        }
        if cp.chunk == 0 {
            i.rewind();
            return Ok(());
        }
        let mut c = i.first;
        while c != 0 {
            if c == cp.chunk {
                // SAFETY: `c` is one of our chunks.
                let end = unsafe { chunk_end(c) };
                let ahead = c == i.cur && cp.ptr > i.ptr;
                if cp.ptr < c + CH || cp.ptr > end || ahead {
                    return Err(AllocError::InvalidPointer);
                }
                i.cur = c;
                i.ptr = cp.ptr;
                i.end = end;
                i.live = cp.live;
                i.last = 0;
                i.resets += 1;
                return Ok(());
            }
            if c == i.cur {
                // `cp` lies in a later chunk: ahead of the current position.
                return Err(AllocError::InvalidPointer);
            }
            // SAFETY: `c` is one of our chunks.
            c = unsafe { next(c) };
        }
        Err(AllocError::InvalidPointer)
    }

    /// Free everything. Chunks are kept for reuse.
    ///
    /// ```
    /// use capheap::{arena::Arena, backend::NativePages};
    ///
    /// let mut arena = Arena::new(NativePages::new(0, 4));
    /// let first = arena.alloc_value(1u64).unwrap() as *mut u64;
    /// arena.reset();
    /// // The memory is reused: no page is grown again.
    /// let again = arena.alloc_value(2u64).unwrap() as *mut u64;
    /// assert_eq!(first, again);
    /// assert_eq!(arena.stats().pages_grown, 1);
    /// ```
    pub fn reset(&mut self) {
        let i = self.inner.get_mut();
        i.rewind();
        // Every checkpoint taken so far is void (see `reset_to`).
        i.generation += 1;
    }

    /// Run `f`, then free everything it allocated.
    ///
    /// ```
    /// use capheap::{arena::Arena, backend::NativePages};
    ///
    /// let mut arena = Arena::new(NativePages::new(0, 4));
    /// let total = arena.scope(|a| {
    ///     let words = a.alloc_slice_copy(&[10u32, 20, 30]).unwrap();
    ///     words.iter().sum::<u32>()
    /// });
    /// assert_eq!(total, 60);
    /// assert_eq!(arena.stats().live_bytes, 0);
    /// ```
    pub fn scope<R>(&mut self, f: impl FnOnce(&Self) -> R) -> R {
        let cp = self.checkpoint();
        let r = f(self);
        let ok = self.reset_to(cp);
        debug_assert!(ok.is_ok());
        r
    }

    /// Statistics: `live_bytes` = bytes allocated since the last reset,
    /// `heap_bytes` = bytes claimed.
    ///
    /// ```
    /// use capheap::{arena::Arena, backend::NativePages};
    ///
    /// let arena = Arena::new(NativePages::new(0, 4));
    /// arena.alloc_str("abc").unwrap();
    /// arena.alloc_str("de").unwrap();
    /// let s = arena.stats();
    /// assert_eq!((s.live_bytes, s.allocs, s.pages_grown), (5, 2, 1));
    /// // One page claimed as one chunk.
    /// assert_eq!(s.heap_bytes, 65_536);
    /// ```
    pub fn stats(&self) -> Stats {
        self.with(|i| {
            i.failures.fill(Stats {
                live_bytes: i.live as u64,
                peak_live_bytes: i.peak as u64,
                heap_bytes: i.claimed as u64,
                pages_grown: i.meter.pages_grown(),
                growth_price_charged: i.meter.charged(),
                allocs: i.allocs,
                resets: i.resets,
                ..Stats::default()
            })
        })
    }

    /// The most recent failure, if any (as [`crate::Heap::last_error`]).
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use capheap::{arena::Arena, backend::NativePages, AllocError};
    ///
    /// let arena = Arena::new(NativePages::new(0, 1));
    /// assert_eq!(arena.last_error(), None);
    /// // Through `alloc` a refusal is only a null pointer; the arena keeps why.
    /// assert!(arena.alloc(Layout::from_size_align(1 << 20, 8).unwrap()).is_null());
    /// assert_eq!(arena.last_error(), Some(AllocError::OutOfMemory));
    /// ```
    pub fn last_error(&self) -> Option<AllocError> {
        self.with(|i| i.failures.last())
    }

    /// Bytes still available in the current chunk without growing.
    ///
    /// ```
    /// use capheap::{arena::Arena, backend::NativePages};
    ///
    /// let arena = Arena::new(NativePages::new(0, 4));
    /// arena.alloc_str("abc").unwrap();
    /// // A 64 KiB chunk, less its 16-byte header and the 3 bytes.
    /// assert_eq!(arena.remaining_in_chunk(), 65_536 - 16 - 3);
    /// ```
    pub fn remaining_in_chunk(&self) -> usize {
        self.with(|i| i.end - i.ptr)
    }

    /// The backend.
    ///
    /// ```
    /// use capheap::{arena::Arena, backend::{NativePages, PageSource}};
    ///
    /// let mut arena = Arena::new(NativePages::new(0, 4));
    /// arena.alloc_str("abc").unwrap();
    /// assert_eq!(arena.backend().pages(), 1);
    /// ```
    pub fn backend(&mut self) -> &B {
        &self.inner.get_mut().backend
    }

    /// Address of the first chunk, or `None` before the arena claimed memory.
    ///
    /// ```
    /// use capheap::{arena::Arena, backend::NativePages};
    ///
    /// let arena = Arena::new(NativePages::new(0, 4));
    /// assert_eq!(arena.first_chunk(), None);
    /// let s = arena.alloc_str("abc").unwrap();
    /// // The first object follows the chunk's 16-byte header.
    /// assert_eq!(arena.first_chunk(), Some(s.as_ptr() as usize - 16));
    /// ```
    pub fn first_chunk(&self) -> Option<usize> {
        self.with(|i| if i.first == 0 { None } else { Some(i.first) })
    }
}

impl<B: PageSource> Inner<B> {
    #[inline(always)]
    fn note(&mut self, p: usize, size: usize) {
        self.last = p;
        self.live += size;
        if self.live > self.peak {
            self.peak = self.live;
        }
        self.allocs += 1;
    }

    fn rewind(&mut self) {
        self.cur = self.first;
        if self.first != 0 {
            self.ptr = self.first + CH;
            // SAFETY: `first` is our chunk.
            self.end = unsafe { chunk_end(self.first) };
        }
        self.live = 0;
        self.last = 0;
        self.resets += 1;
    }

    fn cap_left(&self) -> usize {
        match self.cfg.max_bytes {
            Some(m) => m.saturating_sub(self.claimed),
            None => MAX_SPAN,
        }
    }

    fn init(&mut self) {
        self.ready = true;
        let Some(base) = align_up(self.backend.heap_base(), CH) else {
            return;
        };
        let mem = self.backend.end();
        let end = mem.min(base.saturating_add(self.cap_left()));
        if end >= base + 2 * CH {
            // SAFETY: `base..end` is backend memory we own.
            unsafe { write_chunk(base, 0, end) };
            self.first = base;
            self.cur = base;
            self.ptr = base + CH;
            self.end = end;
            self.claimed = end - base;
        }
    }

    /// Serve from the next chunk, or describe the growth needed.
    fn plan(&mut self, size: usize, align: usize) -> Result<Result<NonNull<u8>, Plan>, AllocError> {
        if !self.ready {
            self.init();
            if let Some(p) = fit(self.ptr, self.end, size, align) {
                return Ok(Ok(self.take(p, size)));
            }
        }
        if self.cur != 0 {
            // SAFETY: `cur` and its successor are our chunks.
            let nx = unsafe { next(self.cur) };
            if nx != 0 {
                // SAFETY: as above.
                let end = unsafe { chunk_end(nx) };
                if let Some(p) = fit(nx + CH, end, size, align) {
                    self.cur = nx;
                    self.end = end;
                    return Ok(Ok(self.take(p, size)));
                }
            }
        }
        let mem = self.backend.end();
        let (from, need_end) = self.placement(mem, size, align)?;
        let add = need_end - from;
        cap::check(
            CapKind::ArenaBytes,
            self.cfg.max_bytes.map(|m| m as u64),
            (self.claimed + add) as u64,
        )?;
        let delta = pages_for(need_end - mem);
        if delta as u64 + self.backend.pages() as u64 > 65_535 {
            return Err(AllocError::OutOfMemory);
        }
        Ok(Err(Plan {
            current_pages: self.backend.pages(),
            delta: delta as u32,
            meter: self.meter,
            chunk: self.cur,
            mem_end: mem,
        }))
    }

    /// Where the allocation goes after growth: `(claim start, needed end)`.
    fn placement(
        &self,
        mem: usize,
        size: usize,
        align: usize,
    ) -> Result<(usize, usize), AllocError> {
        let extend = self.cur != 0
            // SAFETY: `cur` is our chunk.
            && unsafe { next(self.cur) == 0 && chunk_end(self.cur) == mem };
        let (from, p) = if extend {
            (mem, align_up(self.ptr, align))
        } else {
            let c = align_up(mem, CH).ok_or(AllocError::LayoutTooLarge)?;
            (mem, align_up(c + CH, align))
        };
        let p = p.ok_or(AllocError::LayoutTooLarge)?;
        let need_end = p.checked_add(size).ok_or(AllocError::LayoutTooLarge)?;
        Ok((from, need_end))
    }

    fn commit(
        &mut self,
        plan: &Plan,
        price: u64,
        size: usize,
        align: usize,
    ) -> Result<NonNull<u8>, AllocError> {
        if self.meter != plan.meter || self.cur != plan.chunk || self.backend.end() != plan.mem_end
        {
            return Err(AllocError::Reentrant);
        }
        let mem = plan.mem_end;
        let extend = self.cur != 0
            // SAFETY: `cur` is our chunk.
            && unsafe { next(self.cur) == 0 && chunk_end(self.cur) == mem };
        let cap_left = self.cap_left();
        self.meter.commit(&mut self.backend, price, plan.delta)?;
        let new_mem = self.backend.end();
        if extend {
            let end = new_mem.min(mem + cap_left);
            // SAFETY: `cur` is our chunk; `mem..end` is memory we just grew.
            unsafe { write_chunk(self.cur, 0, end) };
            self.claimed += end - mem;
            self.end = end;
        } else {
            let c = align_up(mem, CH).ok_or(AllocError::LayoutTooLarge)?;
            let end = new_mem.min(mem + cap_left);
            let after = if self.cur != 0 {
                // SAFETY: `cur` is our chunk.
                unsafe { next(self.cur) }
            } else {
                0
            };
            // SAFETY: `c..end` is memory we just grew; `cur` is our chunk.
            unsafe {
                write_chunk(c, after, end);
                if self.cur != 0 {
                    wr(self.cur, c);
                } else {
                    self.first = c;
                }
            }
            self.claimed += end - mem;
            self.cur = c;
            self.ptr = c + CH;
            self.end = end;
        }
        let p = fit(self.ptr, self.end, size, align).ok_or(AllocError::OutOfMemory)?;
        Ok(self.take(p, size))
    }

    fn take(&mut self, p: usize, size: usize) -> NonNull<u8> {
        self.ptr = p + size;
        self.note(p, size);
        // SAFETY: chunk memory is never at address 0.
        unsafe { NonNull::new_unchecked(ptr(p)) }
    }
}

#[cfg(feature = "allocator-api2")]
// SAFETY: blocks come from `try_alloc` (fresh, aligned, disjoint) and stay
// valid until the arena is reset, which needs `&mut Arena`, i.e. no `&Arena`
// (and so no collection using it) can be alive. `grow` preserves contents.
unsafe impl<B: PageSource> allocator_api2::alloc::Allocator for &Arena<B> {
    fn allocate(&self, layout: Layout) -> Result<NonNull<[u8]>, allocator_api2::alloc::AllocError> {
        let p = (**self)
            .try_alloc(layout)
            .map_err(|_| allocator_api2::alloc::AllocError)?;
        Ok(NonNull::slice_from_raw_parts(p, layout.size()))
    }

    unsafe fn deallocate(&self, ptr: NonNull<u8>, layout: Layout) {
        // SAFETY: `Arena::dealloc` needs `ptr` allocated from this arena with
        // `layout` and unused afterwards: `Allocator::deallocate`'s contract,
        // which our caller upholds, says exactly that (`&Arena` allocates from
        // the arena it points to).
        unsafe { (**self).dealloc(ptr, layout) }
    }

    unsafe fn grow(
        &self,
        ptr: NonNull<u8>,
        old: Layout,
        new: Layout,
    ) -> Result<NonNull<[u8]>, allocator_api2::alloc::AllocError> {
        let a = ptr.as_ptr() as usize;
        let in_place = self.with(|i| {
            if old.size() != 0
                && a == i.last
                && a + old.size() == i.ptr
                && (a & (new.align() - 1)) == 0
                && new.size() - old.size() <= i.end - i.ptr
            {
                i.ptr = a + new.size();
                i.live += new.size() - old.size();
                if i.live > i.peak {
                    i.peak = i.live;
                }
                true
            } else {
                false
            }
        });
        if in_place {
            return Ok(NonNull::slice_from_raw_parts(ptr, new.size()));
        }
        let q = self.allocate(new)?;
        // SAFETY: `ptr` holds `old.size()` initialised bytes (allocator
        // contract); `q` is a fresh, larger, disjoint block.
        unsafe {
            core::ptr::copy_nonoverlapping(ptr.as_ptr(), q.as_ptr().cast::<u8>(), old.size());
        }
        Ok(q)
    }
}
