//! The minimal heap: capheap's caps, metered growth and gas hook around the
//! smallest allocator that still reuses memory, for contracts where code
//! size comes first (Stylus caps a contract at 24 KB compressed).
//!
//! ```text
//!  start (8-aligned __heap_base)                          top      end
//!  |                                                       |        |
//!  v                                                       v        v
//!  +------+------+---------+------+--------------+--------+--------+
//!  | obj  | obj  | large   | obj  | large        | obj    |  free  |
//!  +------+------+---------+------+--------------+--------+--------+
//! ```
//!
//! * Every block is carved from the top: `size` rounded up to 8 bytes, at
//!   its alignment. Blocks have no header: `dealloc` gets the layout back.
//! * A freed block that ends at the top lowers the top (last in, first out,
//!   as a stack). A freed small block (1..=512 bytes, align <= 8) elsewhere
//!   goes on its size class's list (8, 16, ..., 512 bytes) and serves the next
//!   request of that class. A freed large block elsewhere is not reused until
//!   the heap empties.
//! * When the last live byte is freed and the footprint exceeds
//!   [`RESET_MIN`](crate::layout::RESET_MIN) bytes, the heap resets in O(1):
//!   the class lists are cleared and the top returns to the start.
//! * `realloc` resizes in place at the top (growing exactly the missing
//!   pages), shrinks in place anywhere, and otherwise moves. With
//!   [`Config::realloc_in_place`]`(false)` every realloc moves and the
//!   in-place code is not linked: the smallest configuration of capheap
//!   (the book's benchmark page measures what it saves).
//! * Growth, caps, pricing, the budget and the gas hook are [`Heap`]'s:
//!   [`crate::GrowthMeter::grow`] with the same [`Config`].
//!
//! What it gives up against [`Heap`]: a large block freed below the top is
//! not reused until the heap empties, so a long-lived instance that frees
//! large buffers out of order keeps growing (the benchmark's `large_buffers`
//! workload grows as a bump allocator does). Contracts whose calls run on a
//! fresh instance (Stylus) or free what they allocate lose nothing; the
//! simulator's fuzzer finds the contracts that do grow.
//!
//! [`Heap`]: crate::Heap

use core::alloc::{GlobalAlloc, Layout};
use core::ptr::NonNull;

use crate::backend::{MAX_SPAN, PageSource};
use crate::cap::{AllocError, CapKind};
use crate::config::Config;
use crate::heap::{GlobalState, Owned};
use crate::meter::GrowthMeter;
use crate::small::{GRAN, SmallLists, class_of};
use crate::stats::{Failures, Stats};
use crate::sync::Shared;
use crate::util::{align_up, pages_for, ptr};

/// An emptied heap resets only if its top is more than this many bytes above
/// its start (as [`crate::Heap`]).
const RESET_MIN: usize = crate::engine::RESET_MIN;

/// `size` rounded up to the 8-byte granule (`size <= isize::MAX`, as a
/// `Layout` guarantees, so this cannot overflow).
#[inline(always)]
fn granules(size: usize) -> usize {
    (size + (GRAN - 1)) & !(GRAN - 1)
}

/// The minimal heap's state. All-zero is the initial state.
#[derive(Debug)]
pub(crate) struct MiniCore {
    small: SmallLists,
    top: usize,
    /// Where the top may go without growing: the memory end, clamped by the
    /// heap-bytes cap.
    end: usize,
    live: usize,
    /// `seg_start + RESET_MIN` (wrapping): reset when emptied above this.
    reset_above: usize,
    /// Where the top returns on a reset: the start, or the end of memory
    /// someone else grew (see `make_room`).
    seg_start: usize,
    start: usize,
    /// Bytes of memory others grew between the start and the top.
    foreign: usize,
    mem_end: usize,
    ready: bool,
    budget_set: bool,
    meter: GrowthMeter,
    resets: usize,
    failures: Failures,
    /// Why the last `make_room` failed (recorded if the caller gives up).
    pending: AllocError,
}

impl MiniCore {
    pub(crate) const fn new() -> Self {
        Self {
            small: SmallLists::new(),
            top: 0,
            end: 0,
            live: 0,
            reset_above: 0,
            seg_start: 0,
            start: 0,
            foreign: 0,
            mem_end: 0,
            ready: false,
            budget_set: false,
            meter: GrowthMeter::new(None),
            resets: 0,
            failures: Failures::new(),
            pending: AllocError::ZERO,
        }
    }

    /// Allocate `size` bytes at `align` (a power of two); null on failure
    /// (the cause is in `last_error`). The hot path pops a class list; the
    /// carve from the top is out of line (wasmi charges a function's whole
    /// straight-line body on entry, so a cold path inside it costs fuel on
    /// every call).
    ///
    /// # Safety
    /// `be` is the backend this core has always been used with; `align` is a
    /// power of two.
    #[inline(never)]
    pub(crate) unsafe fn alloc<B: PageSource>(
        &mut self,
        cfg: &Config,
        be: &mut B,
        size: usize,
        align: usize,
    ) -> *mut u8 {
        if let Some(c) = class_of(size, align) {
            // SAFETY: `c < NUM_SMALL`; listed objects are free memory of this
            // heap.
            let p = unsafe { self.small.pop(c) };
            if p != 0 {
                self.live += size;
                return ptr(p);
            }
        }
        self.carve(cfg, be, size, align)
    }

    /// Carve `size` bytes (rounded up to 8) at `align` from the top, growing
    /// if needed.
    #[inline(never)]
    fn carve<B: PageSource>(
        &mut self,
        cfg: &Config,
        be: &mut B,
        size: usize,
        align: usize,
    ) -> *mut u8 {
        if size == 0 {
            return core::ptr::without_provenance_mut(align);
        }
        if !self.ready {
            self.init(cfg, be);
        }
        if size > MAX_SPAN || align > MAX_SPAN {
            return self.fail(AllocError::LayoutTooLarge);
        }
        let n = granules(size);
        loop {
            // `top`, `n` and `align` are below 2^32 on wasm32 and far below
            // `usize::MAX` elsewhere, but the sums are checked all the same.
            let e = match align_up(self.top, align) {
                Some(b) => b.checked_add(n).map(|e| (b, e)),
                None => None,
            };
            let Some((b, e)) = e else {
                return self.fail(AllocError::LayoutTooLarge);
            };
            if e <= self.end {
                self.top = e;
                self.live += size;
                return ptr(b);
            }
            // Grows, or moves the top above memory someone else grew (then
            // the carve is recomputed).
            if !self.make_room(cfg, be, e) {
                return self.fail(self.pending);
            }
        }
    }

    /// Set the heap up at the backend's heap base.
    #[cold]
    #[inline(never)]
    fn init<B: PageSource>(&mut self, cfg: &Config, be: &mut B) {
        let start = align_up(be.heap_base(), GRAN).unwrap_or(usize::MAX & !(GRAN - 1));
        self.start = start;
        self.seg_start = start;
        self.top = start;
        // Wrapping: a heap within `RESET_MIN` of the address-space end resets
        // every time it empties (safe).
        self.reset_above = start.wrapping_add(RESET_MIN);
        self.mem_end = be.end();
        if !self.budget_set {
            self.meter.set_budget(cfg.growth_budget);
        }
        self.ready = true;
        self.set_end(cfg);
    }

    /// `end` from the memory end and the heap-bytes cap.
    fn set_end(&mut self, cfg: &Config) {
        self.end = match cfg.max_heap_bytes {
            Some(cap) => self
                .start
                .saturating_add(self.foreign)
                .saturating_add(cap)
                .min(self.mem_end),
            None => self.mem_end,
        };
    }

    /// Make the top able to reach `want` (`> end`): grow exactly the missing
    /// pages, or, if someone else grew the memory since we last looked,
    /// continue above their pages (true: the caller recomputes). False with
    /// `pending` set if a cap, the budget, the gas hook or the backend
    /// refuses; nothing has changed then.
    #[cold]
    #[inline(never)]
    fn make_room<B: PageSource>(&mut self, cfg: &Config, be: &mut B, want: usize) -> bool {
        let cur_end = be.end();
        if cur_end > self.mem_end {
            // What lies between the top and the old memory end stays unused;
            // a reset returns to the new segment's start.
            self.foreign += cur_end - self.mem_end;
            self.seg_start = cur_end;
            self.reset_above = cur_end.wrapping_add(RESET_MIN);
            self.top = cur_end;
            self.mem_end = cur_end;
            self.set_end(cfg);
            return true;
        }
        if let Some(cap) = cfg.max_heap_bytes {
            let footprint = want.saturating_sub(self.start.saturating_add(self.foreign));
            if footprint > cap {
                self.pending = AllocError::CapExceeded {
                    cap: CapKind::HeapBytes,
                    limit: cap as u64,
                    requested: footprint as u64,
                };
                return false;
            }
        }
        // Under the cap, so `want > end` means `want > mem_end`.
        let pages = pages_for(want.saturating_sub(self.mem_end));
        if pages + be.pages() as usize > 65_535 {
            self.pending = AllocError::OutOfMemory;
            return false;
        }
        if let Err(e) = self.meter.grow(
            be,
            &cfg.pricing,
            cfg.max_memory_pages,
            cfg.gas_hook,
            pages as u32,
        ) {
            self.pending = e;
            return false;
        }
        self.mem_end = be.end();
        self.set_end(cfg);
        true
    }

    /// Free a block allocated with `(size, align)`.
    ///
    /// # Safety
    /// `p` was returned by `alloc`/`realloc` of this core with this layout
    /// and not freed since.
    #[inline(never)]
    pub(crate) unsafe fn dealloc(&mut self, _: &Config, p: *mut u8, size: usize, align: usize) {
        if size == 0 {
            return;
        }
        self.live = self.live.wrapping_sub(size);
        if self.live == 0 && self.top > self.reset_above {
            return self.reset();
        }
        let a = p as usize;
        // Wrapping: a valid block never wraps, and a bogus pointer must not
        // panic here (it just is not at the top).
        if a.wrapping_add(granules(size)) == self.top {
            self.top = a;
        } else if let Some(c) = class_of(size, align) {
            // SAFETY: `c < NUM_SMALL`; `a` is a free block of at least the
            // class size (caller), below the top.
            unsafe { self.small.push(c, a) }
        }
    }

    /// Nothing is live: forget every free block, return to the start.
    #[cold]
    #[inline(never)]
    fn reset(&mut self) {
        self.small.clear();
        self.top = self.seg_start;
        self.resets += 1;
    }

    /// Resize in place when the block ends at the top (move the top) or
    /// shrinks, else move.
    ///
    /// # Safety
    /// As for [`MiniCore::dealloc`] for `(p, size, align)`.
    #[inline(never)]
    pub(crate) unsafe fn realloc<B: PageSource>(
        &mut self,
        cfg: &Config,
        be: &mut B,
        p: *mut u8,
        size: usize,
        align: usize,
        new_size: usize,
    ) -> *mut u8 {
        let a = p as usize;
        // A constant `Config` without in-place resizing folds this away.
        if cfg.realloc_in_place
            && size != 0
            && new_size != 0
            && align <= GRAN
            && new_size <= MAX_SPAN
        {
            let (n, m) = (granules(size), granules(new_size));
            // Wrapping, as in `dealloc`.
            let at_top = a.wrapping_add(n) == self.top;
            // A block keeps its bytes when it shrinks, so a later free by
            // the new layout finds at least what that layout needs.
            let fits = match a.checked_add(m) {
                Some(e) if at_top => {
                    e <= self.end || (self.make_room(cfg, be, e) && a.wrapping_add(n) == self.top)
                }
                _ => m <= n,
            };
            if fits {
                if at_top {
                    // `a + m` did not overflow (`fits`).
                    self.top = a.wrapping_add(m);
                }
                self.live = self.live.wrapping_sub(size).wrapping_add(new_size);
                return p;
            }
        }
        // SAFETY: `align` is a power of two (caller).
        let q = unsafe { self.alloc(cfg, be, new_size, align) };
        if !q.is_null() {
            // SAFETY: both blocks are live and distinct (a zero-size one is
            // dangling and copies nothing); the old one is freed once.
            unsafe {
                core::ptr::copy_nonoverlapping(p, q, size.min(new_size));
                self.dealloc(cfg, p, size, align);
            }
        }
        q
    }

    #[inline(always)]
    fn fail(&mut self, e: AllocError) -> *mut u8 {
        self.pending = e;
        self.fail_pending()
    }

    /// Record `pending`, return null (the error is read from the state: a
    /// by-value `AllocError` is a shadow-stack copy in every caller).
    #[cold]
    #[inline(never)]
    fn fail_pending(&mut self) -> *mut u8 {
        self.failures.record(self.pending);
        core::ptr::null_mut()
    }

    pub(crate) fn stats(&self) -> Stats {
        self.failures.fill(Stats {
            live_bytes: self.live as u64,
            heap_bytes: self.footprint() as u64,
            pages_grown: self.meter.pages_grown(),
            growth_price_charged: self.meter.charged(),
            resets: self.resets as u64,
            ..Stats::default()
        })
    }

    /// Bytes between the start and the top, minus memory others grew.
    fn footprint(&self) -> usize {
        if self.ready {
            self.top - self.start - self.foreign
        } else {
            0
        }
    }

    pub(crate) fn last_error(&self) -> Option<AllocError> {
        self.failures.last()
    }

    /// Budget left (before first use: the configured one).
    pub(crate) fn budget_for(&self, cfg: &Config) -> Option<u64> {
        if self.budget_set || self.ready {
            self.meter.remaining()
        } else {
            cfg.growth_budget
        }
    }

    pub(crate) fn set_budget(&mut self, budget: Option<u64>) {
        self.meter.set_budget(budget);
        self.budget_set = true;
    }

    /// Heap start and current top.
    pub(crate) fn bounds(&self) -> (usize, usize) {
        (self.start, self.top)
    }
}

crate::heap::forward_engine!(MiniCore);

// ---------------------------------------------------------------------------
// The global minimal heap
// ---------------------------------------------------------------------------

#[cfg(not(target_arch = "wasm32"))]
static mut MINI_NATIVE_MEMORY: crate::heap::NativeMemory = crate::heap::NativeMemory::ZERO;

static MINI: Shared<GlobalState<MiniCore>> = Shared::new(GlobalState {
    core: MiniCore::new(),
    #[cfg(target_arch = "wasm32")]
    backend: crate::backend::WasmMemory::new(),
    // SAFETY: `MINI_NATIVE_MEMORY` is used by this backend only.
    #[cfg(not(target_arch = "wasm32"))]
    backend: unsafe { crate::heap::native_backend(&raw mut MINI_NATIVE_MEMORY) },
});

/// The minimal global allocator: [`crate::Heap`]'s caps, pricing, budget and
/// gas hook around a top-of-heap allocator with size-class reuse (see the
/// [module documentation](self) for what it reuses and what it does not).
///
/// ```
/// #[global_allocator]
/// static HEAP: capheap::mini::MiniHeap =
///     capheap::mini::MiniHeap::new(capheap::Config::DEFAULT.max_memory_pages(64));
///
/// fn main() {
///     let before = HEAP.live_bytes();
///     let v: Vec<u64> = (0..100).collect();
///     assert_eq!(HEAP.live_bytes(), before + 800);
///     drop(v);
///     assert_eq!(HEAP.live_bytes(), before);
/// }
/// ```
///
/// Like `Heap`, it is a handle holding the [`Config`]; the state is one per
/// program. Declare one (and not a `Heap` beside it as the global
/// allocator: both would take pages from the same memory, which each
/// handles as memory someone else grew).
#[derive(Debug)]
pub struct MiniHeap {
    cfg: Config,
}

impl MiniHeap {
    /// A handle with configuration `cfg`.
    ///
    /// ```
    /// #[global_allocator]
    /// static HEAP: capheap::mini::MiniHeap = capheap::mini::MiniHeap::new(
    ///     capheap::Config::DEFAULT
    ///         .max_memory_pages(128)
    ///         .pricing(capheap::PagePricing::STYLUS),
    /// );
    ///
    /// fn main() {
    ///     let s = format!("{} pages at most", 128);
    ///     assert!(HEAP.live_bytes() >= s.len());
    /// }
    /// ```
    pub const fn new(cfg: Config) -> Self {
        Self { cfg }
    }

    /// The configuration.
    ///
    /// ```
    /// static HEAP: capheap::mini::MiniHeap =
    ///     capheap::mini::MiniHeap::new(capheap::Config::DEFAULT.max_memory_pages(64));
    ///
    /// assert_eq!(HEAP.config().max_memory_pages, Some(64));
    /// ```
    pub const fn config(&self) -> &Config {
        &self.cfg
    }

    /// Allocate, returning why on failure.
    ///
    /// ```
    /// use core::alloc::Layout;
    /// static HEAP: capheap::mini::MiniHeap =
    ///     capheap::mini::MiniHeap::new(capheap::Config::DEFAULT.max_heap_bytes(4096));
    ///
    /// let p = HEAP.try_alloc(Layout::new::<[u8; 64]>()).unwrap();
    /// let err = HEAP.try_alloc(Layout::new::<[u8; 8192]>()).unwrap_err();
    /// assert!(matches!(err, capheap::AllocError::CapExceeded { .. }));
    /// // SAFETY: `p` was allocated with this layout and is not used again.
    /// unsafe { HEAP.dealloc_nonnull(p, Layout::new::<[u8; 64]>()) };
    /// ```
    pub fn try_alloc(&self, layout: Layout) -> Result<NonNull<u8>, AllocError> {
        MINI.try_alloc(&self.cfg, layout)
    }

    /// Free what [`MiniHeap::try_alloc`] returned.
    ///
    /// # Safety
    /// `ptr` was allocated by this heap with `layout` and is not used
    /// afterwards.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::alloc::Layout;
    ///
    /// #[global_allocator]
    /// static HEAP: capheap::mini::MiniHeap = capheap::mini::MiniHeap::new(capheap::Config::DEFAULT);
    ///
    /// fn main() {
    ///     let layout = Layout::new::<[u64; 16]>();
    ///     let before = HEAP.live_bytes();
    ///     let p = HEAP.try_alloc(layout).unwrap();
    ///     // SAFETY: `p` was allocated with `layout` and is not used again.
    ///     unsafe { HEAP.dealloc_nonnull(p, layout) };
    ///     assert_eq!(HEAP.live_bytes(), before);
    /// }
    /// ```
    pub unsafe fn dealloc_nonnull(&self, ptr: NonNull<u8>, layout: Layout) {
        // SAFETY: the caller promises `ptr` was allocated by this heap with
        // `layout` and is not used afterwards (the contract above).
        unsafe { MINI.dealloc(&self.cfg, ptr.as_ptr(), layout) }
    }

    /// Resize, returning why on failure (the old block is then untouched).
    ///
    /// # Safety
    /// `ptr` is a live allocation of this heap with `layout`; `new_size`
    /// rounded up to `layout.align()` does not overflow `isize`.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::alloc::Layout;
    ///
    /// #[global_allocator]
    /// static HEAP: capheap::mini::MiniHeap = capheap::mini::MiniHeap::new(capheap::Config::DEFAULT);
    ///
    /// fn main() {
    ///     let old = Layout::from_size_align(24, 8).unwrap();
    ///     let p = HEAP.try_alloc(old).unwrap();
    ///     // SAFETY: `p` is a live block of 24 writable bytes.
    ///     unsafe { p.as_ptr().write_bytes(9, 24) };
    ///     // SAFETY: `p` is live with `old`; it is replaced by `q`.
    ///     let q = unsafe { HEAP.try_realloc(p, old, 2000) }.unwrap();
    ///     // SAFETY: `q` holds the old block's 24 bytes.
    ///     assert_eq!(unsafe { *q.as_ptr().add(23) }, 9);
    ///     // SAFETY: `q` is live with this layout and is not used again.
    ///     unsafe { HEAP.dealloc_nonnull(q, Layout::from_size_align(2000, 8).unwrap()) };
    /// }
    /// ```
    pub unsafe fn try_realloc(
        &self,
        ptr: NonNull<u8>,
        layout: Layout,
        new_size: usize,
    ) -> Result<NonNull<u8>, AllocError> {
        // SAFETY: `ptr` is a live allocation of this heap with `layout`: the
        // contract above, which our caller upholds.
        unsafe { MINI.try_realloc(&self.cfg, ptr, layout, new_size) }
    }

    /// Current statistics (`allocs`, `frees`, `reallocs`, `peak_live_bytes`
    /// and `rounding_waste_bytes` are not kept: 0).
    ///
    /// ```
    /// #[global_allocator]
    /// static HEAP: capheap::mini::MiniHeap = capheap::mini::MiniHeap::new(capheap::Config::DEFAULT);
    ///
    /// fn main() {
    ///     let before = HEAP.stats();
    ///     let v: Vec<u32> = Vec::with_capacity(10);
    ///     assert_eq!(HEAP.stats().live_bytes, before.live_bytes + 40);
    ///     assert_eq!(HEAP.stats().failed(), 0);
    ///     drop(v);
    /// }
    /// ```
    pub fn stats(&self) -> Stats {
        MINI.stats(&self.cfg)
    }

    /// The most recent failure, if any.
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use capheap::{AllocError, CapKind};
    ///
    /// #[global_allocator]
    /// static HEAP: capheap::mini::MiniHeap =
    ///     capheap::mini::MiniHeap::new(capheap::Config::DEFAULT.max_memory_pages(512));
    ///
    /// fn main() {
    ///     let huge = Layout::from_size_align(64 << 20, 8).unwrap();
    ///     // SAFETY: `huge` has a non-zero size.
    ///     assert!(unsafe { std::alloc::alloc(huge) }.is_null());
    ///     assert!(matches!(
    ///         HEAP.last_error(),
    ///         Some(AllocError::CapExceeded { cap: CapKind::MemoryPages, limit: 512, .. })
    ///     ));
    /// }
    /// ```
    pub fn last_error(&self) -> Option<AllocError> {
        MINI.last_error(&self.cfg)
    }

    /// Growth budget left (`None` = unlimited).
    ///
    /// ```
    /// #[global_allocator]
    /// static HEAP: capheap::mini::MiniHeap = capheap::mini::MiniHeap::new(
    ///     capheap::Config::DEFAULT
    ///         .pricing(capheap::PagePricing::Flat { per_page: 10 })
    ///         .growth_budget(5_000),
    /// );
    ///
    /// fn main() {
    ///     let spent = HEAP.stats().growth_price_charged;
    ///     assert_eq!(HEAP.growth_budget(), Some(5_000 - spent));
    /// }
    /// ```
    pub fn growth_budget(&self) -> Option<u64> {
        MINI.growth_budget(&self.cfg)
    }

    /// Replace the growth budget (e.g. at the start of each call).
    ///
    /// ```
    /// use core::alloc::Layout;
    ///
    /// #[global_allocator]
    /// static HEAP: capheap::mini::MiniHeap = capheap::mini::MiniHeap::new(
    ///     capheap::Config::DEFAULT.pricing(capheap::PagePricing::Flat { per_page: 10 }),
    /// );
    ///
    /// fn main() {
    ///     HEAP.set_growth_budget(Some(20));
    ///     let big = Layout::from_size_align(1 << 20, 8).unwrap();
    ///     assert!(matches!(
    ///         HEAP.try_alloc(big),
    ///         Err(capheap::AllocError::BudgetExhausted { remaining: 20, .. })
    ///     ));
    ///     HEAP.set_growth_budget(None);
    ///     assert_eq!(HEAP.growth_budget(), None);
    /// }
    /// ```
    pub fn set_growth_budget(&self, budget: Option<u64>) {
        MINI.set_growth_budget(&self.cfg, budget)
    }

    /// Bytes currently allocated.
    ///
    /// ```
    /// #[global_allocator]
    /// static HEAP: capheap::mini::MiniHeap = capheap::mini::MiniHeap::new(capheap::Config::DEFAULT);
    ///
    /// fn main() {
    ///     let before = HEAP.live_bytes();
    ///     let b = Box::new([0u16; 10]);
    ///     assert_eq!(HEAP.live_bytes(), before + 20);
    ///     drop(b);
    ///     assert_eq!(HEAP.live_bytes(), before);
    /// }
    /// ```
    pub fn live_bytes(&self) -> usize {
        self.stats().live_bytes as usize
    }
}

// SAFETY: `alloc` returns null or `size` bytes (rounded up to 8) at
// `align` carved from the top, which no live block overlaps (blocks below
// the top are live, listed in a class of their exact granule size, or
// abandoned until a reset, which happens only when nothing is live);
// `realloc` keeps the contents up to `min(old, new)` bytes.
unsafe impl GlobalAlloc for MiniHeap {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        MINI.alloc(&self.cfg, layout)
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `GlobalAlloc::dealloc`'s contract, which our caller
        // upholds, says `ptr` came from this allocator with `layout`.
        unsafe { MINI.dealloc(&self.cfg, ptr, layout) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `GlobalAlloc::realloc`'s contract, which our caller
        // upholds, says `ptr` is live in this allocator with `layout`.
        unsafe { MINI.realloc(&self.cfg, ptr, layout, new_size) }
    }
}

// ---------------------------------------------------------------------------
// LocalMiniHeap
// ---------------------------------------------------------------------------

/// The minimal heap over an owned backend: for host tests, simulators and
/// model checks.
///
/// ```
/// use core::alloc::Layout;
/// use capheap::{backend::NativePages, mini::LocalMiniHeap, Config};
///
/// let mut heap = LocalMiniHeap::new(NativePages::new(0, 16), Config::DEFAULT);
/// let small = Layout::new::<[u64; 4]>();
/// let a = heap.try_alloc(small).unwrap();
/// let b = heap.try_alloc(small).unwrap();
/// // `a` is below the top: freed, it serves the next request of its class.
/// unsafe { heap.dealloc(a.as_ptr(), small) };
/// assert_eq!(heap.try_alloc(small).unwrap(), a);
/// // `b` ends at the top: freed, it lowers the top.
/// let (_, top) = heap.bounds();
/// unsafe { heap.dealloc(b.as_ptr(), small) };
/// assert_eq!(heap.bounds().1, top - 32);
/// ```
#[derive(Debug)]
pub struct LocalMiniHeap<B: PageSource> {
    h: Owned<MiniCore, B>,
}

impl<B: PageSource> LocalMiniHeap<B> {
    /// A heap over `backend` with `cfg`.
    ///
    /// ```
    /// use capheap::{backend::NativePages, mini::LocalMiniHeap, Config};
    ///
    /// let heap = LocalMiniHeap::new(NativePages::new(0, 16), Config::DEFAULT.max_memory_pages(4));
    /// assert_eq!(heap.bounds(), (0, 0), "nothing is set up before the first allocation");
    /// ```
    pub fn new(backend: B, cfg: Config) -> Self {
        Self {
            h: Owned {
                core: MiniCore::new(),
                backend,
                cfg,
            },
        }
    }

    /// The backend.
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use capheap::{backend::{NativePages, PageSource}, mini::LocalMiniHeap, Config};
    ///
    /// let mut heap = LocalMiniHeap::new(NativePages::new(0, 16), Config::DEFAULT);
    /// heap.try_alloc(Layout::from_size_align(100_000, 8).unwrap()).unwrap();
    /// assert_eq!(heap.backend().pages(), 2);
    /// ```
    pub fn backend(&self) -> &B {
        &self.h.backend
    }

    /// The configuration.
    ///
    /// ```
    /// use capheap::{backend::NativePages, mini::LocalMiniHeap, Config};
    ///
    /// let heap = LocalMiniHeap::new(NativePages::new(0, 16), Config::DEFAULT.max_heap_bytes(4096));
    /// assert_eq!(heap.config().max_heap_bytes, Some(4096));
    /// ```
    pub fn config(&self) -> &Config {
        &self.h.cfg
    }

    /// Allocate; null on failure (see [`LocalMiniHeap::last_error`]).
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use capheap::{backend::NativePages, mini::LocalMiniHeap, AllocError, Config};
    ///
    /// let mut heap = LocalMiniHeap::new(NativePages::new(0, 1), Config::DEFAULT);
    /// let a = heap.alloc(Layout::new::<u32>());
    /// let b = heap.alloc(Layout::new::<u32>());
    /// // Carved back to back from the top, each rounded up to 8 bytes.
    /// assert_eq!(b as usize - a as usize, 8);
    /// assert!(heap.alloc(Layout::from_size_align(1 << 20, 8).unwrap()).is_null());
    /// assert_eq!(heap.last_error(), Some(AllocError::OutOfMemory));
    /// ```
    pub fn alloc(&mut self, layout: Layout) -> *mut u8 {
        self.h.alloc(layout)
    }

    /// Allocate, returning why on failure.
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use capheap::{backend::NativePages, mini::LocalMiniHeap, AllocError, CapKind, Config};
    ///
    /// let cfg = Config::DEFAULT.max_heap_bytes(1000);
    /// let mut heap = LocalMiniHeap::new(NativePages::new(0, 16), cfg);
    /// assert!(heap.try_alloc(Layout::from_size_align(600, 8).unwrap()).is_ok());
    /// let err = heap.try_alloc(Layout::from_size_align(600, 8).unwrap()).unwrap_err();
    /// assert!(matches!(err, AllocError::CapExceeded { cap: CapKind::HeapBytes, limit: 1000, .. }));
    /// ```
    pub fn try_alloc(&mut self, layout: Layout) -> Result<NonNull<u8>, AllocError> {
        self.h.try_alloc(layout)
    }

    /// Free.
    ///
    /// # Safety
    /// `ptr` was allocated by this heap with `layout` and is not used
    /// afterwards.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use capheap::{backend::NativePages, mini::LocalMiniHeap, Config};
    ///
    /// let mut heap = LocalMiniHeap::new(NativePages::new(0, 16), Config::DEFAULT);
    /// let big = Layout::from_size_align(5000, 8).unwrap();
    /// let p = heap.alloc(big);
    /// let (_, top) = heap.bounds();
    /// // SAFETY: `p` was allocated with `big` and is not used again. It ends
    /// // at the top, so the top comes down over it.
    /// unsafe { heap.dealloc(p, big) };
    /// assert_eq!(heap.bounds().1, top - 5000);
    /// ```
    pub unsafe fn dealloc(&mut self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `Owned::dealloc` has this function's contract (`ptr`
        // allocated by this heap with `layout`, unused afterwards), which our
        // caller upholds.
        unsafe { self.h.dealloc(ptr, layout) }
    }

    /// Resize; null on failure (the old block is then untouched).
    ///
    /// # Safety
    /// `ptr` is a live allocation of this heap with `layout`; `new_size`
    /// rounded up to `layout.align()` does not overflow `isize`.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use capheap::{backend::NativePages, mini::LocalMiniHeap, Config};
    ///
    /// let mut heap = LocalMiniHeap::new(NativePages::new(0, 16), Config::DEFAULT);
    /// let layout = Layout::from_size_align(100, 8).unwrap();
    /// let p = heap.alloc(layout);
    /// // SAFETY: `p` is live with `layout`. At the top it grows in place.
    /// let q = unsafe { heap.realloc(p, layout, 30_000) };
    /// assert_eq!(q, p);
    /// ```
    pub unsafe fn realloc(&mut self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `Owned::realloc` needs `ptr` live in this heap with
        // `layout`: the contract above, which our caller upholds.
        unsafe { self.h.realloc(ptr, layout, new_size) }
    }

    /// Resize, returning why on failure.
    ///
    /// # Safety
    /// `ptr` is a live allocation of this heap with `layout`.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use capheap::{backend::NativePages, mini::LocalMiniHeap, AllocError, Config};
    ///
    /// let mut heap = LocalMiniHeap::new(NativePages::new(0, 16), Config::DEFAULT.max_heap_bytes(4096));
    /// let layout = Layout::from_size_align(100, 8).unwrap();
    /// let p = heap.try_alloc(layout).unwrap();
    /// // SAFETY: `p` is live with `layout`; the refused resize leaves it so.
    /// let err = unsafe { heap.try_realloc(p, layout, 10_000) }.unwrap_err();
    /// assert!(matches!(err, AllocError::CapExceeded { .. }));
    /// assert_eq!(heap.stats().live_bytes, 100);
    /// ```
    pub unsafe fn try_realloc(
        &mut self,
        ptr: NonNull<u8>,
        layout: Layout,
        new_size: usize,
    ) -> Result<NonNull<u8>, AllocError> {
        // SAFETY: `Owned::try_realloc` needs `ptr` live in this heap with
        // `layout`: the contract above, which our caller upholds.
        unsafe { self.h.try_realloc(ptr, layout, new_size) }
    }

    /// Current statistics (as [`MiniHeap::stats`]).
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use capheap::{backend::NativePages, mini::LocalMiniHeap, Config};
    ///
    /// let mut heap = LocalMiniHeap::new(NativePages::new(0, 16), Config::DEFAULT);
    /// heap.alloc(Layout::from_size_align(13, 1).unwrap());
    /// let s = heap.stats();
    /// assert_eq!((s.live_bytes, s.heap_bytes, s.pages_grown), (13, 16, 1));
    /// ```
    pub fn stats(&self) -> Stats {
        self.h.core.stats()
    }

    /// The most recent failure, if any.
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use capheap::{backend::NativePages, mini::LocalMiniHeap, AllocError, Config};
    ///
    /// let mut heap = LocalMiniHeap::new(NativePages::new(0, 16), Config::DEFAULT);
    /// assert_eq!(heap.last_error(), None);
    /// assert!(heap.alloc(Layout::from_size_align(1 << 30, 8).unwrap()).is_null());
    /// assert_eq!(heap.last_error(), Some(AllocError::OutOfMemory));
    /// ```
    pub fn last_error(&self) -> Option<AllocError> {
        self.h.core.last_error()
    }

    /// Growth budget left (`None` = unlimited).
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use capheap::{backend::NativePages, mini::LocalMiniHeap, Config, PagePricing};
    ///
    /// let cfg = Config::DEFAULT.pricing(PagePricing::Flat { per_page: 100 }).growth_budget(250);
    /// let mut heap = LocalMiniHeap::new(NativePages::new(0, 16), cfg);
    /// assert_eq!(heap.growth_budget(), Some(250));
    /// heap.try_alloc(Layout::from_size_align(100_000, 8).unwrap()).unwrap();
    /// assert_eq!(heap.growth_budget(), Some(50));
    /// ```
    pub fn growth_budget(&self) -> Option<u64> {
        self.h.growth_budget()
    }

    /// Replace the growth budget.
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use capheap::{backend::NativePages, mini::LocalMiniHeap, AllocError, Config, PagePricing};
    ///
    /// let cfg = Config::DEFAULT.pricing(PagePricing::Flat { per_page: 100 });
    /// let mut heap = LocalMiniHeap::new(NativePages::new(0, 16), cfg);
    /// heap.set_growth_budget(Some(50));
    /// let page = Layout::from_size_align(60_000, 8).unwrap();
    /// assert_eq!(
    ///     heap.try_alloc(page),
    ///     Err(AllocError::BudgetExhausted { price: 100, remaining: 50 })
    /// );
    /// ```
    pub fn set_growth_budget(&mut self, budget: Option<u64>) {
        self.h.core.set_budget(budget);
    }

    /// Heap start address and current top (0, 0 before the first
    /// allocation).
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use capheap::{backend::NativePages, mini::LocalMiniHeap, Config};
    ///
    /// let mut heap = LocalMiniHeap::new(NativePages::new(0, 16), Config::DEFAULT);
    /// heap.alloc(Layout::new::<[u8; 40]>());
    /// let (start, top) = heap.bounds();
    /// assert_eq!(top - start, 40);
    /// ```
    pub fn bounds(&self) -> (usize, usize) {
        self.h.core.bounds()
    }
}
