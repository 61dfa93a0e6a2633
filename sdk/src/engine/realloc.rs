//! Realloc: in place when the block can grow or shrink where it is (same
//! class, end of the open run, a large block at the top or next to a free
//! block, a shrinking large block), else allocate, copy and free.

use super::*;

impl Core {
    /// Resize in place when possible (same class, end of the open run, large
    /// block at the top, shrinking a large block), else move.
    ///
    /// # Safety
    /// As for [`Core::dealloc`] for `(p, size, align)` (so `align`, a
    /// `Layout`'s, is a power of two), and `be` is the backend this core has
    /// always been used with (as for [`Core::alloc`]).
    #[inline(always)]
    pub(crate) unsafe fn realloc<B: PageSource>(
        &mut self,
        cfg: &Config,
        be: &mut B,
        p: *mut u8,
        size: usize,
        align: usize,
        new_size: usize,
    ) -> *mut u8 {
        #[cfg(feature = "debug-checks")]
        if let Err(e) = self.check_live(p as usize, size, is_small(size, align)) {
            return self.fail(e);
        }
        // SAFETY: `resize` and `realloc_move` have this function's own
        // contract (`p` live with `(size, align)`, `be` ours), which our
        // caller upholds; `p` is still live with that layout when `realloc_move`
        // runs: a `resize` that returns false has not touched the block
        // (it may have grown memory or sealed the segment, nothing else).
        unsafe {
            // With a constant `Config` that turns in-place resizing off, this
            // folds to `false` and neither resize function is linked.
            let done = cfg.realloc_in_place
                && if is_small(size, align) && is_small(new_size, align) {
                    self.resize_small(cfg, p as usize, size, new_size)
                } else {
                    self.resize(cfg, be, p as usize, size, align, new_size)
                };
            if done {
                return p;
            }
            self.realloc_move(cfg, be, p, size, align, new_size)
        }
    }

    /// Resize a small object to another small size in place: same class, or
    /// the object ends the open run (move the top). False if it must move.
    #[inline(never)]
    pub(super) fn resize_small(
        &mut self,
        cfg: &Config,
        a: usize,
        size: usize,
        new_size: usize,
    ) -> bool {
        let old_cap = (size + GRAN - 1) & !(GRAN - 1);
        let new_cap = (new_size + GRAN - 1) & !(GRAN - 1);
        if old_cap != new_cap {
            if a + old_cap != self.top || a + new_cap > self.small_end {
                return false;
            }
            self.top = a + new_cap;
        }
        self.note_resize(cfg, size, new_size, old_cap, new_cap);
        true
    }

    #[inline(always)]
    pub(super) fn note_resize(
        &mut self,
        cfg: &Config,
        size: usize,
        new_size: usize,
        old_cap: usize,
        new_cap: usize,
    ) {
        self.live = self.live - size + new_size;
        if cfg.detailed_stats {
            self.reallocs += 1;
            if self.live > self.peak {
                self.peak = self.live;
            }
            self.waste = self.waste - (old_cap - size) + (new_cap - new_size);
        }
    }

    /// Resize a large block in place: at the top (move the top, growing
    /// exactly the missing pages), into a free neighbour, or shrinking (the
    /// tail goes back to the free lists if it can stand alone).
    ///
    /// # Safety
    /// As for [`Core::realloc`].
    #[inline(never)]
    pub(super) unsafe fn resize<B: PageSource>(
        &mut self,
        cfg: &Config,
        be: &mut B,
        a: usize,
        size: usize,
        align: usize,
        new_size: usize,
    ) -> bool {
        // Only a large block that stays large resizes here (small to small is
        // `resize_small`; zero-size blocks and class changes move).
        if size == 0 || new_size == 0 || is_small(size, align) || is_small(new_size, align) {
            return false;
        }
        let b = a - HDR;
        // SAFETY: `b` is an in-use large block of this heap (caller).
        let h = unsafe { hdr(b) };
        let bsz = h & SIZE_MASK;
        let old_cap = bsz - HDR;
        let new_cap;
        let n = block_size(new_size);
        if n == 0 {
            return false;
        }
        if b + bsz == self.top {
            // At the top: move the top (grow or shrink). Growing may fail
            // (a cap, the budget): then the block must move, or stay; and
            // `room` may seal the segment (foreign growth), after which the
            // block is no longer at the top.
            if n > bsz && !self.room(cfg, be, n - bsz, GRAN) {
                return false;
            }
            if b + bsz != self.top {
                return false;
            }
            // SAFETY: `b..b+n` is inside the memory (`room`).
            unsafe { set_hdr(b, n | (h & PREV_FREE)) };
            self.top = b + n;
            new_cap = n - HDR;
        } else {
            // SAFETY: `b` is an in-use block of this heap, not at the top.
            new_cap = unsafe { self.resize_within(b, h, n) };
            if new_cap == 0 {
                return false;
            }
        }
        self.note_resize(cfg, size, new_size, old_cap, new_cap);
        true
    }

    /// Resize the in-use block `b` (header `h`, not at the top) to `n` bytes
    /// without moving it: shrink, giving back a tail that can stand alone, or
    /// grow into a free physical successor. The new payload capacity, or
    /// 0 if it must move (a plain integer: an `Option<usize>` result goes
    /// through the shadow stack on wasm32).
    ///
    /// # Safety
    /// `b` is an in-use large block of this heap whose end is not the top.
    #[inline(never)]
    pub(super) unsafe fn resize_within(&mut self, b: usize, h: usize, n: usize) -> usize {
        let bsz = h & SIZE_MASK;
        let pf = h & PREV_FREE;
        // SAFETY: boundary tags: the word at `b + bsz` is the next block's
        // header (the block does not end at the top); a free successor is
        // listed, so it can be unlinked, and the block after it has
        // `PREV_FREE` set, which is what `split` expects of a free block.
        unsafe {
            if n <= bsz {
                if bsz - n >= MIN_BLOCK {
                    // Give the tail back as if it were a freed block (it
                    // coalesces with a free successor or the top).
                    set_hdr(b, n | pf);
                    set_hdr(b + n, bsz - n);
                    self.free_block(b + n);
                    return n - HDR;
                }
                return bsz - HDR;
            }
            let next = b + bsz;
            let nh = hdr(next);
            let nsz = nh & SIZE_MASK;
            if nh & FREE == 0 || bsz + nsz < n {
                return 0;
            }
            self.large.unlink(next);
            set_hdr(b, (bsz + nsz) | pf);
            self.split(b, n);
            (hdr(b) & SIZE_MASK) - HDR
        }
    }

    /// # Safety
    /// As for [`Core::realloc`].
    #[inline(never)]
    pub(super) unsafe fn realloc_move<B: PageSource>(
        &mut self,
        cfg: &Config,
        be: &mut B,
        p: *mut u8,
        size: usize,
        align: usize,
        new_size: usize,
    ) -> *mut u8 {
        // SAFETY: `alloc` needs this core's own backend and a power-of-two
        // `align`: `realloc`'s contract gives both (`align` is the live
        // block's layout alignment).
        let q = unsafe { self.alloc(cfg, be, new_size, align) };
        if !q.is_null() {
            // SAFETY: both blocks are live and distinct (a zero-size one is
            // dangling and copies nothing).
            unsafe {
                core::ptr::copy_nonoverlapping(p, q, size.min(new_size));
                self.dealloc(cfg, p, size, align);
            }
            if cfg.detailed_stats {
                self.allocs -= (new_size != 0) as usize;
                self.frees -= (size != 0) as usize;
                self.reallocs += 1;
            }
        }
        q
    }
}
