//! The heap algorithm, independent of where its memory and configuration live.
//!
//! ```text
//!  start = seg_start (8-aligned __heap_base)                   top   end  mem_end
//!  |                                                            |     |    |
//!  v                                                            v     v    v
//!  +-----------------+-------+----------+-----+-----------+-----+----+
//!  | small objects   | large | free blk | RUN | small ... |     |rsv |
//!  +-----------------+-------+----------+-----+-----------+-----+----+
//!  <---------------------- footprint (heap_bytes) ------------->
//! ```
//!
//! * Everything is carved from one bump region `top..end`. `end` is the memory
//!   end minus an 8-byte reserve (room for a sentinel header if another owner
//!   grows memory behind the heap's back), clamped by the heap-bytes cap.
//! * Small objects (1..=512 bytes, align <= 8) have no header. They are carved
//!   back to back in *runs*; a run that follows a large block starts with one
//!   8-byte `DEAD` header so that the large block sees an in-use neighbour (a
//!   run at a segment start needs none). The header's size is 0 while the run
//!   is open and is written when the run closes, so the heap walker
//!   ([`walk`]) can step over it; the end of a segment's first (headerless)
//!   run is kept in `first_end`. While a run is open at the top,
//!   `small_end == end` and carving a small object is a bump; carving a large
//!   block closes the run (`small_end = 0`). A freed small object goes on its
//!   class list (see [`crate::small`]) until the heap resets.
//! * Large blocks (and small sizes with align > 8) carry a header and use
//!   boundary-tag coalescing with O(1) segregated fits (see [`crate::large`]).
//!   A large block freed next to the top merges into the top, so the top is
//!   never adjacent to a free block.
//! * When the last live byte is freed and the segment's footprint exceeds
//!   [`RESET_MIN`], the heap resets in O(1): class lists and the large-class
//!   mask are cleared and `top` returns to the segment start. Below that the
//!   free lists simply stay valid (a reset would only bound memory, and the
//!   footprint is already small), which keeps a tight alloc/free loop cheap.
//! * Growth happens only when no free list, no free large block and not the
//!   top region can serve a request; it grows exactly the pages missing
//!   between `top + need` and the memory end, through [`GrowthMeter::grow`].

use crate::backend::{MAX_SPAN, PageSource};
use crate::cap::{AllocError, CapKind};
use crate::config::Config;
use crate::large::{
    DEAD, FREE, HDR, LargeLists, MIN_BLOCK, PREV_FREE, SIZE_MASK, W, hdr, set_dead, set_hdr,
};
use crate::meter::GrowthMeter;
use crate::small::{GRAN, SMALL_MAX, SmallLists, class_size};
use crate::stats::{Failures, Stats};
use crate::util::{align_up, pages_for, ptr, rd};

/// Bytes the heap keeps unused at the end of memory (room for a sentinel header).
pub const RESERVE: usize = 8;
/// A heap whose live bytes drop to zero resets only if its top is more than
/// this many bytes above the segment start; a smaller footprint is kept with
/// its free lists (bounded by this many bytes, so no memory is lost).
pub const RESET_MIN: usize = crate::util::PAGE_SIZE;
#[cfg(feature = "debug-checks")]
mod checks;
mod grow;
mod realloc;
pub mod walk;

/// Largest size served by the large fast path (`Core::alloc_slow`); above it
/// (near the address-space limit) `block_size` does the checked computation.
const LARGE_FAST_MAX: usize = MAX_SPAN - 16;

/// Block size for a large request: header + size rounded to 8, at least
/// `MIN_BLOCK`. 0 (never a block size) if it cannot fit in the address
/// space: a plain integer, because on wasm32 an `Option<usize>` result goes
/// through the shadow stack.
#[inline]
pub(crate) fn block_size(size: usize) -> usize {
    let n = size.saturating_add(HDR + 7) & !7;
    let n = if n < MIN_BLOCK { MIN_BLOCK } else { n };
    if n > MAX_SPAN { 0 } else { n }
}

/// Where a block whose payload is `align`-aligned starts when carved at
/// `top` (see `pad_top` for the gap); `usize::MAX` on overflow. (A plain
/// integer rather than an `Option`: on wasm32 an `Option<usize>` result goes
/// through the shadow stack, which costs every caller a stack frame.)
#[inline]
fn aligned_start(top: usize, align: usize) -> usize {
    match align_up(top.saturating_add(HDR), align) {
        Some(b) => b - HDR,
        None => usize::MAX,
    }
}

/// Whether `(size, align)` is served by a small class.
#[inline(always)]
fn is_small(size: usize, align: usize) -> bool {
    size.wrapping_sub(1) < SMALL_MAX && align <= GRAN
}

/// Mark the unlinked free block `b` (header `h`) in use whole: its tail is
/// too small to stand alone. Out of line: most reused blocks are split, and
/// wasmi would charge this branch on every split.
///
/// # Safety
/// As for `Core::split`.
#[cold]
#[inline(never)]
unsafe fn use_whole(b: usize, h: usize) {
    // SAFETY: `b` was a free block, so the word after it is the next block's
    // header (it is not the top).
    unsafe {
        set_hdr(b, h & (SIZE_MASK | PREV_FREE));
        let next = b + (h & SIZE_MASK);
        set_hdr(next, hdr(next) & !PREV_FREE);
    }
}

/// Heap state. All addresses are plain integers; see [`crate::util`]. The
/// all-zero value is the initial state (so a `static` of it lives in `.bss`).
#[derive(Debug)]
pub(crate) struct Core {
    // Hot.
    small: SmallLists,
    top: usize,
    /// `end` while a small run is open at the top, else 0.
    small_end: usize,
    live: usize,
    /// `seg_start + RESET_MIN` (wrapping, see `init`): reset when emptied
    /// while the top is above this.
    reset_above: usize,
    /// First object address of the open run (only meaningful while a run is
    /// open, `small_end != 0`): `seg_start` for a segment's first run, else
    /// just after the run's `DEAD` header.
    run_at: usize,
    /// End of the current segment's first (headerless) run once it is
    /// closed; 0 while it is still the open run.
    first_end: usize,
    // Detailed statistics (only maintained with `Config::detailed_stats`).
    allocs: usize,
    frees: usize,
    reallocs: usize,
    peak: usize,
    waste: usize,
    // Large blocks and the top region.
    large: LargeLists,
    end: usize,
    seg_start: usize,
    start: usize,
    mem_end: usize,
    cap_end: usize,
    foreign: usize,
    ready: bool,
    budget_set: bool,
    meter: GrowthMeter,
    resets: usize,
    failures: Failures,
    /// Why the last `room` failed (recorded by the caller if it gives up).
    pending: AllocError,
}

impl Core {
    pub(crate) const fn new() -> Self {
        Self {
            small: SmallLists::new(),
            top: 0,
            small_end: 0,
            live: 0,
            reset_above: 0,
            run_at: 0,
            first_end: 0,
            allocs: 0,
            frees: 0,
            reallocs: 0,
            peak: 0,
            waste: 0,
            large: LargeLists::new(),
            end: 0,
            seg_start: 0,
            start: 0,
            mem_end: 0,
            cap_end: 0,
            foreign: 0,
            ready: false,
            budget_set: false,
            meter: GrowthMeter::new(None),
            resets: 0,
            failures: Failures::new(),
            pending: AllocError::ZERO,
        }
    }

    // -----------------------------------------------------------------------
    // Hot paths
    // -----------------------------------------------------------------------

    /// Allocate `size` bytes at `align` (a power of two). Null on failure (the
    /// cause is in `last_error` and the failure counters).
    ///
    /// The hot path only pops a class list; everything else is out of line.
    /// (Keeping it tiny matters twice: for code size, and because a wasm
    /// interpreter like wasmi charges fuel for every instruction of each
    /// straight-line region it enters, executed or not.)
    ///
    /// Out of line itself: the global allocator's `__rust_alloc` becomes a
    /// bare call to it (which LTO inlines into its callers), and realloc's
    /// move calls the same copy instead of inlining a second one. That costs
    /// one fuel per call and saves about 240 bytes of code.
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
        if !is_small(size, align) {
            // SAFETY: `alloc_slow` needs this core's own backend and a
            // power-of-two `align`: both are `alloc`'s own contract.
            return unsafe { self.alloc_slow(cfg, be, size, align) };
        }
        let c = (size - 1) / GRAN;
        // SAFETY: `c < NUM_SMALL` because `size <= SMALL_MAX`; listed objects
        // are free memory of this heap.
        let p = unsafe { self.small.pop(c) };
        if p == 0 {
            // SAFETY: `alloc_small_top` has `alloc`'s contract (this core's
            // own backend), which our caller upholds.
            return unsafe { self.alloc_small_top(cfg, be, size) };
        }
        self.note_alloc(cfg, size, class_size(c));
        ptr(p)
    }

    /// Free a block allocated with the same `(size, align)`.
    ///
    /// # Safety
    /// `p` was returned by `alloc`/`realloc` of this core with this layout and
    /// not freed since (with `debug-checks`, violations are detected where
    /// possible and the free is ignored).
    ///
    /// Out of line for the same reason as [`Core::alloc`].
    #[inline(never)]
    pub(crate) unsafe fn dealloc(&mut self, cfg: &Config, p: *mut u8, size: usize, align: usize) {
        if !is_small(size, align) {
            // SAFETY: `dealloc_large` needs `p` to be a live large block of
            // this core allocated with `size`: `dealloc`'s contract gives the
            // layout, and a layout that is not small was served by the large
            // path (`alloc` splits on the same `is_small`).
            return unsafe { self.dealloc_large(cfg, p, size) };
        }
        let a = p as usize;
        let c = (size - 1) / GRAN;
        #[cfg(feature = "debug-checks")]
        if !self.check_small_free(a, size, c) {
            return;
        }
        self.live = self.live.wrapping_sub(size);
        if cfg.detailed_stats {
            self.frees += 1;
            self.waste -= class_size(c) - size;
        }
        if self.live == 0 && self.top > self.reset_above {
            return self.reset(cfg);
        }
        // SAFETY: `c < NUM_SMALL`; `a` is a free object of class `c` (caller).
        unsafe { self.small.push(c, a) }
    }

    #[inline(always)]
    fn note_alloc(&mut self, cfg: &Config, size: usize, payload: usize) {
        debug_assert!(size <= payload, "{size} bytes in a {payload}-byte block");
        debug_assert!(self.top <= self.end || !self.ready, "top beyond the end");
        self.live += size;
        if cfg.detailed_stats {
            self.allocs += 1;
            if self.live > self.peak {
                self.peak = self.live;
            }
            self.waste += payload - size;
        }
    }

    /// Forget everything: nothing is live. O(1): a fixed 64-word fill and a
    /// few stores. The top returns to the segment start and a small run is
    /// open there (no run header is needed at a segment start: no block of
    /// ours precedes it).
    #[inline(never)]
    #[cold]
    fn reset(&mut self, cfg: &Config) {
        self.small.clear();
        self.large.clear();
        self.top = self.seg_start;
        self.small_end = self.end;
        self.run_at = self.seg_start;
        self.first_end = 0;
        self.resets += 1;
        if cfg.detailed_stats {
            self.waste = 0;
        }
    }

    /// A small object whose class list is empty: bump the open run.
    ///
    /// # Safety
    /// As for [`Core::alloc`].
    #[inline(never)]
    unsafe fn alloc_small_top<B: PageSource>(
        &mut self,
        cfg: &Config,
        be: &mut B,
        size: usize,
    ) -> *mut u8 {
        let cs = (size + GRAN - 1) & !(GRAN - 1);
        let t = self.top;
        if t + cs <= self.small_end {
            self.top = t + cs;
            self.note_alloc(cfg, size, cs);
            return ptr(t);
        }
        if !self.ready {
            return self.alloc_first(cfg, be, size, cs);
        }
        // SAFETY: `alloc_small_slow` needs this core's own backend (our
        // contract) and an initialised heap (`ready` was checked above).
        unsafe { self.alloc_small_slow(cfg, be, size, cs) }
    }

    /// The very first allocation (a small one): initialise the heap and bump
    /// the object in one short function, so the first call costs little more
    /// than any other.
    #[inline(never)]
    #[cold]
    fn alloc_first<B: PageSource>(
        &mut self,
        cfg: &Config,
        be: &mut B,
        size: usize,
        cs: usize,
    ) -> *mut u8 {
        self.init(cfg, be);
        let t = self.top;
        if t + cs <= self.end {
            self.top = t + cs;
            self.note_alloc(cfg, size, cs);
            return ptr(t);
        }
        // SAFETY: initialised; the backend is ours.
        unsafe { self.alloc_small_slow(cfg, be, size, cs) }
    }

    /// The open run is full (or closed): open a run at the top if there is
    /// room, else reuse a free large block or grow.
    ///
    /// # Safety
    /// As for [`Core::alloc`].
    #[inline(never)]
    #[cold]
    unsafe fn alloc_small_slow<B: PageSource>(
        &mut self,
        cfg: &Config,
        be: &mut B,
        size: usize,
        cs: usize,
    ) -> *mut u8 {
        // `alloc_first` initialised the heap before anything reaches here.
        debug_assert!(self.ready);
        let need = cs + if self.small_end == 0 { HDR } else { 0 };
        if self.top + need <= self.end {
            return self.bump_run(cfg, size, cs);
        }
        // SAFETY: `alloc_small_grow` needs this core's own backend, which
        // is our own contract.
        unsafe { self.alloc_small_grow(cfg, be, size, cs, need) }
    }

    /// Reuse a free large block for a small object, or grow and bump.
    ///
    /// # Safety
    /// As for [`Core::alloc`].
    #[inline(never)]
    #[cold]
    unsafe fn alloc_small_grow<B: PageSource>(
        &mut self,
        cfg: &Config,
        be: &mut B,
        size: usize,
        cs: usize,
        need: usize,
    ) -> *mut u8 {
        let n = HDR + cs;
        let n = if n < MIN_BLOCK { MIN_BLOCK } else { n };
        // SAFETY: lists are consistent.
        let b = unsafe { self.large.take(n) };
        if b != 0 {
            // SAFETY: `b` is an unlinked free block of at least `n` bytes.
            unsafe { self.split(b, n) };
            self.note_alloc(cfg, size, cs);
            return ptr(b + HDR);
        }
        if !self.room(cfg, be, need, GRAN) {
            return self.fail_pending();
        }
        self.bump_run(cfg, size, cs)
    }

    /// Carve a small object at the top, opening a run (header) if none is
    /// open. The caller made room for it.
    fn bump_run(&mut self, cfg: &Config, size: usize, cs: usize) -> *mut u8 {
        let mut p = self.top;
        if self.small_end == 0 {
            // SAFETY: the caller made `top..top+HDR+cs` part of the memory.
            // Size 0: open (see `close_run`).
            unsafe { set_dead(p, 0, false) };
            p += HDR;
            self.run_at = p;
        }
        self.top = p + cs;
        self.small_end = self.end;
        self.note_alloc(cfg, size, cs);
        ptr(p)
    }

    /// Large requests (and zero-size and over-aligned ones, out of line).
    ///
    /// The common case (a large block at the default alignment) is kept
    /// short: reuse a listed free block, else carve from the top.
    ///
    /// # Safety
    /// As for [`Core::alloc`].
    #[inline(never)]
    unsafe fn alloc_slow<B: PageSource>(
        &mut self,
        cfg: &Config,
        be: &mut B,
        size: usize,
        align: usize,
    ) -> *mut u8 {
        if align > GRAN || size.wrapping_sub(1) >= LARGE_FAST_MAX {
            // SAFETY: `alloc_odd` needs this core's own backend and a
            // power-of-two `align`: both are our own contract.
            return unsafe { self.alloc_odd(cfg, be, size, align) };
        }
        // `SMALL_MAX < size <= LARGE_FAST_MAX`: no overflow, and
        // `MIN_BLOCK <= n < MAX_SPAN` (the same value as `block_size`).
        let n = (size + HDR + 7) & !7;
        // SAFETY: lists are consistent (an uninitialised heap has none);
        // `MIN_BLOCK < SMALL_MAX < n < MAX_SPAN`.
        let b = unsafe { self.large.take(n) };
        if b == 0 {
            // SAFETY: `alloc_large_top` needs this core's own backend (our
            // contract) and `n` a block size for `size` (computed above).
            return unsafe { self.alloc_large_top(cfg, be, size, n) };
        }
        // SAFETY: `b` is an unlinked free block of at least `n` bytes, not
        // adjacent to the top (the top never borders a free block).
        unsafe { self.split(b, n) };
        if cfg.detailed_stats {
            // SAFETY: `b` is the in-use block just formed.
            let payload = (unsafe { hdr(b) } & SIZE_MASK) - HDR;
            self.note_alloc(cfg, size, payload);
        } else {
            self.live += size;
        }
        ptr(b + HDR)
    }

    /// A large block at the default alignment that no free block can serve:
    /// carve it from the top (initialising the heap or growing if needed).
    ///
    /// # Safety
    /// As for [`Core::alloc`]; `n` is `block_size(size)`.
    #[inline(never)]
    unsafe fn alloc_large_top<B: PageSource>(
        &mut self,
        cfg: &Config,
        be: &mut B,
        size: usize,
        n: usize,
    ) -> *mut u8 {
        if !self.ready {
            self.init(cfg, be);
        }
        let t = self.top;
        let end = self.end;
        // `top` is 8-aligned, so a default-aligned block needs no padding.
        if t > end || end - t < n {
            return self.alloc_large_grow(cfg, be, size, n);
        }
        // SAFETY: `t..t+n` lies in `top..end`, inside the memory and unused;
        // the block before the top is never free (no `PREV_FREE`).
        unsafe { set_hdr(t, n) };
        if self.small_end != 0 {
            self.close_run(t);
        }
        self.top = t + n;
        self.note_alloc(cfg, size, n - HDR);
        ptr(t + HDR)
    }

    /// The top region has no room for an `n`-byte block: grow (or fail).
    #[inline(never)]
    #[cold]
    fn alloc_large_grow<B: PageSource>(
        &mut self,
        cfg: &Config,
        be: &mut B,
        size: usize,
        n: usize,
    ) -> *mut u8 {
        let b = self.carve(cfg, be, n, GRAN);
        if b == 0 {
            return core::ptr::null_mut();
        }
        self.note_alloc(cfg, size, n - HDR);
        ptr(b + HDR)
    }

    /// Zero-size, over-aligned and huge requests.
    ///
    /// # Safety
    /// As for [`Core::alloc`].
    #[inline(never)]
    #[cold]
    unsafe fn alloc_odd<B: PageSource>(
        &mut self,
        cfg: &Config,
        be: &mut B,
        size: usize,
        align: usize,
    ) -> *mut u8 {
        if size == 0 {
            return core::ptr::without_provenance_mut(align);
        }
        let n = block_size(size);
        if n == 0 || align > MAX_SPAN {
            return self.fail(AllocError::LayoutTooLarge);
        }
        if !self.ready {
            self.init(cfg, be);
        }
        // SAFETY: lists are consistent; the backend is ours.
        let b = unsafe {
            match self.take_fit(n, align) {
                0 => self.carve(cfg, be, n, align),
                b => b,
            }
        };
        if b == 0 {
            return core::ptr::null_mut();
        }
        // SAFETY: `b` is the in-use block just formed.
        let payload = (unsafe { hdr(b) } & SIZE_MASK) - HDR;
        self.note_alloc(cfg, size, payload);
        ptr(b + HDR)
    }

    /// Reuse a free block for an `n`-byte block at `align`; 0 if none fits.
    ///
    /// # Safety
    /// Lists are consistent.
    #[inline(never)]
    unsafe fn take_fit(&mut self, n: usize, align: usize) -> usize {
        // Over-aligned: room for a leading gap that can stand alone.
        let want = n + if align > GRAN { align + MIN_BLOCK } else { 0 };
        if want > MAX_SPAN {
            return 0;
        }
        // SAFETY: lists are consistent.
        let b = unsafe { self.large.take(want) };
        if b == 0 {
            return 0;
        }
        // SAFETY: `b` is an unlinked free block of at least `want` bytes;
        // see `place` for why the aligned block fits.
        unsafe {
            if align > GRAN {
                self.place(b, n, align)
            } else {
                self.split(b, n);
                b
            }
        }
    }

    /// Carve an `n`-byte block at `align` from the top, growing if needed;
    /// 0 (recorded) on failure.
    #[inline(never)]
    fn carve<B: PageSource>(&mut self, cfg: &Config, be: &mut B, n: usize, align: usize) -> usize {
        if !self.room(cfg, be, n, align) {
            self.fail_pending();
            return 0;
        }
        if self.small_end != 0 {
            self.close_run(self.top);
        }
        let mut b = self.top;
        let mut pf = 0;
        if align > GRAN {
            let at = self.pad_top(align);
            (b, pf) = (at & SIZE_MASK, at & PREV_FREE);
        }
        // SAFETY: `room` made `b..b+n` part of the memory; nothing is there.
        unsafe { set_hdr(b, n | pf) };
        self.top = b + n;
        b
    }

    /// Close the open run at `at` (the top): record its size in its `DEAD`
    /// header, or the end of a segment's first run in `first_end`. Out of
    /// line: runs close only when a large block is carved at the top.
    #[cold]
    #[inline(never)]
    fn close_run(&mut self, at: usize) {
        let r = self.run_at;
        if r == self.seg_start && self.first_end == 0 {
            self.first_end = at;
        } else {
            let h = r - HDR;
            // SAFETY: an open run that is not a segment's first starts after
            // its `DEAD` header, written by `bump_run`; it is ours.
            unsafe { set_hdr(h, (hdr(h) & PREV_FREE) | DEAD | (at - h)) };
        }
        self.small_end = 0;
    }

    /// Pad the top so that `top + HDR` is `align`-aligned: a gap that can
    /// stand alone becomes a free block, a smaller one (8 to 24 bytes) a dead
    /// gap until the next reset (cheaper in memory than moving the block up
    /// until the gap could stand alone: on `random_sizes` that cost a page).
    /// Returns the new block address with its `PREV_FREE` flag or-ed in (a
    /// single integer: a pair would go through the shadow stack on wasm32).
    #[inline(never)]
    fn pad_top(&mut self, align: usize) -> usize {
        let b = self.top;
        // `room` succeeded for this alignment, so the start exists.
        let nb = aligned_start(b, align);
        debug_assert!(nb != usize::MAX && nb >= b);
        let gap = nb - b;
        // SAFETY: `room` made `top..nb` part of the memory and nothing there
        // is in use; the block before the top is never free.
        unsafe {
            if gap >= MIN_BLOCK {
                self.large.make_free(b, gap, 0);
                return nb | PREV_FREE;
            } else if gap != 0 {
                set_dead(b, gap, true);
            }
        }
        nb
    }

    /// Turn the unlinked free block `b` into an in-use `n`-byte block whose
    /// payload is `align`-aligned (`align > 8`); free what is left on either
    /// side.
    ///
    /// # Safety
    /// `b` has a valid header, is on no list, and is at least
    /// `n + align + MIN_BLOCK` bytes.
    #[inline(never)]
    unsafe fn place(&mut self, b: usize, n: usize, align: usize) -> usize {
        // SAFETY: `b` was a free block: its header is valid, its predecessor
        // is not free, and the word after it is a header.
        unsafe {
            let bsz = hdr(b) & SIZE_MASK;
            let mut p = align_up(b + HDR, align).unwrap_or(0);
            if p != b + HDR {
                // A leading gap must be able to stand alone as a free block.
                p = align_up(b + HDR + MIN_BLOCK, align).unwrap_or(0);
            }
            let nb = p - HDR;
            let lead = nb - b;
            // lead < MIN_BLOCK + align, so lead + n fits in bsz.
            if lead != 0 {
                self.large.make_free(b, lead, 0);
                set_hdr(nb, (bsz - lead) | PREV_FREE);
            }
            self.split(nb, n);
            nb
        }
    }

    /// Mark the unlinked free block `b` in use as an `n`-byte block, freeing
    /// the tail if it can stand alone.
    ///
    /// # Safety
    /// `b` has a valid header, is on no list, is at least `n` bytes and is not
    /// adjacent to the top.
    unsafe fn split(&mut self, b: usize, n: usize) {
        // SAFETY: the word after a former free block is a header.
        unsafe {
            let h = hdr(b);
            let bsz = h & SIZE_MASK;
            let pf = h & PREV_FREE;
            debug_assert!(n <= bsz && n >= MIN_BLOCK && n % 8 == 0);
            debug_assert!(b + bsz != self.top, "split block {b:#x} borders the top");
            if bsz - n < MIN_BLOCK {
                return use_whole(b, h);
            }
            set_hdr(b, n | pf);
            // The block after the tail already has PREV_FREE set.
            self.large.make_free(b + n, bsz - n, 0);
        }
    }

    /// Record `e` and return null.
    #[inline(always)]
    fn fail(&mut self, e: AllocError) -> *mut u8 {
        self.pending = e;
        self.fail_pending()
    }

    /// Record the error in `pending` and return null. (The error is read
    /// from the state rather than passed: on wasm32 a by-value `AllocError`
    /// is a copy on the shadow stack in every caller.)
    #[inline(never)]
    #[cold]
    fn fail_pending(&mut self) -> *mut u8 {
        self.record(self.pending);
        core::ptr::null_mut()
    }

    fn record(&mut self, e: AllocError) {
        self.failures.record(e);
    }

    /// Free a large (or over-aligned, or zero-size) block.
    ///
    /// # Safety
    /// As for [`Core::dealloc`].
    #[inline(never)]
    unsafe fn dealloc_large(&mut self, cfg: &Config, p: *mut u8, size: usize) {
        if size == 0 {
            return;
        }
        let b = (p as usize).wrapping_sub(HDR);
        #[cfg(feature = "debug-checks")]
        if let Err(e) = self.check_live(b + HDR, size, false) {
            self.record(e);
            return;
        }
        self.live = self.live.wrapping_sub(size);
        if cfg.detailed_stats {
            self.frees += 1;
            // SAFETY: `b` is an in-use block of this heap (caller).
            self.waste -= (unsafe { hdr(b) } & SIZE_MASK) - HDR - size;
        }
        if self.live == 0 && self.top > self.reset_above {
            return self.reset(cfg);
        }
        // SAFETY: `b` is an in-use block being freed.
        unsafe { self.free_block(b) };
    }

    /// Coalesce the in-use block `b` with free neighbours (or the top) and
    /// list it.
    ///
    /// # Safety
    /// `b` is an in-use block of this heap that nobody uses any more.
    unsafe fn free_block(&mut self, b: usize) {
        // SAFETY: boundary tags: `PREV_FREE` means the word before `b` holds
        // the previous block's address; the word at `b + size` is a header
        // unless it is the top.
        unsafe {
            let h = hdr(b);
            debug_assert!(
                h & (FREE | DEAD) == 0,
                "freeing {b:#x}, not an in-use block"
            );
            debug_assert!(b + (h & SIZE_MASK) <= self.top, "block {b:#x} past the top");
            #[cfg(feature = "debug-checks")]
            {
                set_hdr(b, h | FREE);
                crate::util::poison(b + HDR, (h & SIZE_MASK) - HDR, 0xDE);
            }
            let mut b = b;
            let mut sz = h & SIZE_MASK;
            if h & PREV_FREE != 0 {
                let prev = rd(b - W);
                let psz = hdr(prev) & SIZE_MASK;
                self.large.unlink(prev);
                sz += psz;
                b = prev;
            }
            let next = b + sz;
            if next == self.top {
                self.top = b;
                return;
            }
            let nh = hdr(next);
            if nh & FREE != 0 {
                let nsz = nh & SIZE_MASK;
                self.large.unlink(next);
                sz += nsz;
            } else {
                set_hdr(next, nh | PREV_FREE);
            }
            self.large.make_free(b, sz, 0);
        }
    }

    // -----------------------------------------------------------------------
    // Introspection
    // -----------------------------------------------------------------------

    pub(crate) fn stats(&self) -> Stats {
        self.failures.fill(Stats {
            live_bytes: self.live as u64,
            peak_live_bytes: self.peak as u64,
            heap_bytes: self.footprint() as u64,
            pages_grown: self.meter.pages_grown(),
            growth_price_charged: self.meter.charged(),
            allocs: self.allocs as u64,
            frees: self.frees as u64,
            reallocs: self.reallocs as u64,
            resets: self.resets as u64,
            rounding_waste_bytes: self.waste as u64,
            ..Stats::default()
        })
    }

    /// Bytes between the heap start and the top, minus foreign gaps.
    pub(crate) fn footprint(&self) -> usize {
        if self.ready {
            self.top - self.start - self.foreign
        } else {
            0
        }
    }

    pub(crate) fn last_error(&self) -> Option<AllocError> {
        self.failures.last()
    }

    pub(crate) fn take_last_error(&mut self) -> Option<AllocError> {
        self.failures.take_last()
    }

    pub(crate) fn invalid_frees(&self) -> u64 {
        self.failures.invalid_frees()
    }

    /// [`Core::dealloc`], reporting a free that `debug-checks` refused (the
    /// error it recorded); always `Ok` without `debug-checks`.
    ///
    /// # Safety
    /// As for [`Core::dealloc`].
    pub(crate) unsafe fn checked_dealloc(
        &mut self,
        cfg: &Config,
        p: *mut u8,
        size: usize,
        align: usize,
    ) -> Result<(), AllocError> {
        let before = self.invalid_frees();
        // SAFETY: this function's contract is `dealloc`'s.
        unsafe { self.dealloc(cfg, p, size, align) };
        if self.invalid_frees() == before {
            Ok(())
        } else {
            Err(self.last_error().unwrap_or(AllocError::InvalidPointer))
        }
    }

    /// Budget left for a heap with config `cfg` (before first use: the
    /// configured one).
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

    pub(crate) fn meter(&self) -> &GrowthMeter {
        &self.meter
    }

    /// Usable bytes of a live block.
    ///
    /// # Safety
    /// `(p, size, align)` is a live allocation of this core.
    pub(crate) unsafe fn usable_size(&self, p: *mut u8, size: usize, align: usize) -> usize {
        if size == 0 {
            0
        } else if is_small(size, align) {
            class_size((size - 1) / GRAN)
        } else {
            // SAFETY: `p` is a live large block (caller).
            (unsafe { hdr(p as usize - HDR) } & SIZE_MASK) - HDR
        }
    }

    /// Heap start address and current top (for tests and tools).
    pub(crate) fn bounds(&self) -> (usize, usize) {
        (self.start, self.top)
    }
}
