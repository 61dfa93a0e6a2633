//! The heap walker: checks every invariant the engine relies on, from the
//! heap's own memory, without allocating.
//!
//! `Core::check` (behind [`crate::LocalHeap::check_invariants`] and
//! [`crate::Heap::check_invariants`]) walks the current segment block by block from its start
//! to the top (each block's header says its size; a run's size is in its
//! `DEAD` header once closed, the open run reaches the top, and the
//! segment's first run ends at `first_end`), then follows every free list.
//! It checks:
//!
//! * **blocks**: every header is 8-aligned, sizes are multiples of 8 and at
//!   least `MIN_BLOCK` (runs: at least 16; dead gaps left by alignment
//!   padding: 8 to 24), the blocks tile the segment
//!   exactly up to the top, `PREV_FREE` is set exactly after a free block and
//!   that block's footer holds its address, no two free blocks are adjacent
//!   (coalescing is complete) and no free block borders the top;
//! * **large free lists**: each listed block is free, is on the list of its
//!   size class and says so in its header, its back link is its predecessor
//!   on the list, the class mask has a bit exactly for the non-empty lists,
//!   and the free blocks the walk finds are exactly the listed ones of the
//!   segment (no leak, no duplicate);
//! * **small free lists**: each object is 8-aligned and lies wholly inside a
//!   run or is the payload of an in-use block made for its class, never in a
//!   free block, and no two listed objects overlap (a list cannot cycle);
//! * **accounting**: the top is within the heap's end, which is within the
//!   memory; the bytes the statistics call live (plus rounding waste when
//!   detailed statistics are on) fit in the bytes not free; the peak is at
//!   least the live bytes.
//!
//! Segments sealed by foreign growth (see `seal`) are not walked block by
//! block; free blocks listed there are still checked through their tags.
//! Cost: O(blocks × free blocks + small free objects²), for tests, fuzzing
//! and debugging, not for contracts' hot paths.

use super::Core;
use crate::backend::PageSource;
use crate::large::{
    DEAD, FREE, HDR, MIN_BLOCK, NUM_LARGE, PREV_FREE, SIZE_MASK, W, hdr, idx, is_gap, links,
};
use crate::small::{GRAN, NUM_SMALL, class_size};
use crate::util::rd;

/// A heap invariant that does not hold: the heap is corrupt (a bug in
/// capheap, or memory written through a dangling or out-of-bounds pointer).
///
/// `at` is the address where the walker noticed it (0 when no address
/// applies).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvariantError {
    /// Address of the offending block, list entry or object.
    pub at: usize,
    /// Which invariant.
    pub what: &'static str,
}

impl core::fmt::Display for InvariantError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "heap invariant violated at {:#x}: {}",
            self.at, self.what
        )
    }
}

impl core::error::Error for InvariantError {}

/// What a successful walk found (see [`crate::Heap::check_invariants`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HeapShape {
    /// In-use large blocks (including blocks holding one small object) in
    /// the current segment.
    pub used_blocks: usize,
    /// Free large blocks on the lists (all segments).
    pub free_blocks: usize,
    /// Their bytes, headers included.
    pub free_block_bytes: usize,
    /// Runs of small objects in the current segment (open one included).
    pub runs: usize,
    /// Bytes in those runs (headers included).
    pub run_bytes: usize,
    /// Free small objects on the class lists.
    pub small_free: usize,
    /// Their bytes (class sizes).
    pub small_free_bytes: usize,
    /// Bytes in dead gaps left by alignment padding (8 to 24 bytes each,
    /// reclaimed at the next reset).
    pub dead_bytes: usize,
}

/// What the walk knows about the structure holding an address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Holder {
    /// Inside a run of small objects spanning `start..end`.
    Run { start: usize, end: usize },
    /// Inside the block at `b` with header `h` (not a run or gap).
    Block { b: usize, h: usize },
    /// Inside a dead gap left by alignment padding.
    Dead,
    /// Not inside the current segment's `seg_start..top`.
    Outside,
}

fn bad(at: usize, what: &'static str) -> InvariantError {
    InvariantError { at, what }
}

/// One step of the block walk.
struct Step {
    at: usize,
    h: usize,
    size: usize,
    run: bool,
    gap: bool,
}

impl Core {
    /// Walk the current segment, calling `f` for each block or run, in
    /// address order. Stops early (without error) when `f` returns `false`.
    fn blocks(&self, mut f: impl FnMut(&Step) -> bool) -> Result<(), InvariantError> {
        if !self.ready {
            return Ok(());
        }
        let (seg, top) = (self.seg_start, self.top);
        if seg > top || top > self.end.max(seg) {
            return Err(bad(top, "top outside the segment"));
        }
        let mut pos = if self.first_end == 0 {
            if self.small_end == 0 || self.run_at != seg {
                return Err(bad(seg, "segment's first run neither open nor closed"));
            }
            top
        } else if self.first_end < seg || self.first_end > top {
            return Err(bad(self.first_end, "first run ends outside the segment"));
        } else {
            self.first_end
        };
        if pos > seg {
            let s = Step {
                at: seg,
                h: 0,
                size: pos - seg,
                run: true,
                gap: false,
            };
            if !f(&s) {
                return Ok(());
            }
        }
        let mut prev_free = 0;
        let mut open_seen = false;
        while pos < top {
            if pos % GRAN != 0 || top - pos < HDR {
                return Err(bad(pos, "misaligned or truncated header"));
            }
            // SAFETY: `seg_start <= pos`, `pos + HDR <= top`: heap memory.
            let h = unsafe { hdr(pos) };
            let pf = h & PREV_FREE;
            if (pf != 0) != (prev_free != 0) {
                return Err(bad(pos, "PREV_FREE disagrees with the previous block"));
            }
            // SAFETY: `pos >= seg_start + W` whenever a free block precedes it.
            if pf != 0 && unsafe { rd(pos - W) } != prev_free {
                return Err(bad(pos, "free predecessor's footer is not its address"));
            }
            let mut size = h & SIZE_MASK;
            let dead = h & DEAD != 0;
            // SAFETY: a `DEAD` header was written by `set_dead`.
            let gap = dead && size != 0 && unsafe { is_gap(pos) };
            let run = dead && !gap;
            if dead && h & FREE != 0 {
                return Err(bad(pos, "block both free and dead"));
            }
            if run && size == 0 {
                // The open run: it reaches the top.
                if self.small_end == 0 || self.run_at != pos + HDR {
                    return Err(bad(pos, "open-run header without an open run"));
                }
                open_seen = true;
                size = top - pos;
            } else if size > top - pos {
                return Err(bad(pos, "block size beyond the top"));
            } else if gap && size >= MIN_BLOCK {
                return Err(bad(pos, "dead gap that could have been a free block"));
            } else if size
                < if run {
                    HDR + GRAN
                } else if gap {
                    GRAN
                } else {
                    MIN_BLOCK
                }
            {
                return Err(bad(pos, "block smaller than the smallest block"));
            }
            if h & FREE != 0 {
                if prev_free != 0 {
                    return Err(bad(pos, "two adjacent free blocks (not coalesced)"));
                }
                if pos + size == top {
                    return Err(bad(pos, "free block borders the top"));
                }
                // SAFETY: `pos + size <= top`, so the footer word is heap memory.
                if unsafe { rd(pos + size - W) } != pos {
                    return Err(bad(pos, "free block's footer is not its address"));
                }
                prev_free = pos;
            } else {
                prev_free = 0;
            }
            if !f(&Step {
                at: pos,
                h,
                size,
                run,
                gap,
            }) {
                return Ok(());
            }
            pos += size;
        }
        if pos != top {
            return Err(bad(pos, "blocks do not end at the top"));
        }
        let open = self.small_end != 0;
        if open && self.first_end != 0 && !open_seen {
            return Err(bad(top, "a run is open but has no open-run header"));
        }
        Ok(())
    }

    /// The structure holding address `a` in the current segment.
    pub(crate) fn holder(&self, a: usize) -> Result<Holder, InvariantError> {
        if !self.ready || a < self.seg_start || a >= self.top {
            return Ok(Holder::Outside);
        }
        let mut found = Holder::Outside;
        self.blocks(|s| {
            if a < s.at + s.size {
                found = if s.gap {
                    Holder::Dead
                } else if s.run {
                    // The headerless first run, or a run after its header.
                    Holder::Run {
                        start: s.at + if s.h == 0 { 0 } else { HDR },
                        end: s.at + s.size,
                    }
                } else {
                    Holder::Block { b: s.at, h: s.h }
                };
                return false;
            }
            true
        })?;
        Ok(found)
    }

    /// Check every invariant (see the module docs).
    pub(crate) fn check<B: PageSource>(
        &self,
        be: &B,
        detailed: bool,
    ) -> Result<HeapShape, InvariantError> {
        let mut shape = HeapShape::default();
        if !self.ready {
            if !self.small.is_empty() || self.large.mask() != 0 || self.live != 0 {
                return Err(bad(0, "uninitialised heap has free or live memory"));
            }
            return Ok(shape);
        }
        if self.end > self.mem_end.saturating_sub(crate::engine::RESERVE)
            || self.mem_end > be.end()
            || self.start > self.seg_start
        {
            return Err(bad(self.end, "heap end beyond the memory"));
        }
        if !matches!(self.small_end, 0 | 1) && self.small_end != self.end {
            return Err(bad(self.small_end, "open run's end is not the heap's end"));
        }
        // Blocks of the current segment.
        let mut seg_free = 0usize;
        self.blocks(|s| {
            if s.gap {
                shape.dead_bytes += s.size;
            } else if s.run {
                shape.runs += 1;
                shape.run_bytes += s.size;
            } else if s.h & FREE != 0 {
                seg_free += 1;
            } else {
                shape.used_blocks += 1;
            }
            true
        })?;
        // Large free lists.
        let max_entries = (self.top - self.start) / MIN_BLOCK + 1;
        let mut listed_in_seg = 0usize;
        for i in 0..NUM_LARGE {
            let head = self.large.head(i);
            if (self.large.mask() >> i & 1 == 1) != (head != 0) {
                return Err(bad(head, "class mask disagrees with the list head"));
            }
            let (mut prev, mut b) = (0, head);
            while b != 0 {
                shape.free_blocks += 1;
                if shape.free_blocks > max_entries {
                    return Err(bad(
                        b,
                        "large free lists hold more blocks than fit (cycle?)",
                    ));
                }
                if b < self.start || b % GRAN != 0 || self.top - b < MIN_BLOCK {
                    return Err(bad(b, "listed free block outside the heap"));
                }
                // SAFETY: `start <= b`, `b + MIN_BLOCK <= top`, 8-aligned.
                let (h, (cls, next, back)) = unsafe { (hdr(b), links(b)) };
                let size = h & SIZE_MASK;
                if h & FREE == 0 || h & DEAD != 0 {
                    return Err(bad(b, "listed block is not free"));
                }
                if size < MIN_BLOCK || size > self.top - b {
                    return Err(bad(b, "listed free block's size is out of range"));
                }
                if idx(size) != i || cls != i {
                    return Err(bad(b, "free block on the wrong class list"));
                }
                if back != prev {
                    return Err(bad(b, "free list back link is wrong"));
                }
                // SAFETY: `b + size <= top`.
                if unsafe { rd(b + size - W) } != b {
                    return Err(bad(b, "free block's footer is not its address"));
                }
                if b + size < self.top {
                    // SAFETY: the word after a free block is a header.
                    if unsafe { hdr(b + size) } & PREV_FREE == 0 {
                        return Err(bad(b + size, "block after a free block lacks PREV_FREE"));
                    }
                }
                if b >= self.seg_start {
                    // Must be a block the walk found.
                    if self.holder(b)? != (Holder::Block { b, h }) {
                        return Err(bad(b, "listed free block is not a block of the heap"));
                    }
                    listed_in_seg += 1;
                }
                shape.free_block_bytes += size;
                prev = b;
                b = next;
            }
        }
        if listed_in_seg != seg_free {
            return Err(bad(
                self.seg_start,
                "free blocks on the lists != free blocks in the heap",
            ));
        }
        // Small free lists.
        let max_small = (self.top - self.start) / GRAN + 1;
        for c in 0..NUM_SMALL {
            let cs = class_size(c);
            let mut a = self.small.head(c);
            while a != 0 {
                shape.small_free += 1;
                if shape.small_free > max_small {
                    return Err(bad(
                        a,
                        "small free lists hold more objects than fit (cycle?)",
                    ));
                }
                if a < self.start || a % GRAN != 0 || a > self.top || self.top - a < cs {
                    return Err(bad(a, "free small object outside the heap"));
                }
                self.check_small_home(a, cs)?;
                shape.small_free_bytes += cs;
                // SAFETY: a listed free object's first word links to the next.
                a = unsafe { rd(a) };
            }
        }
        self.check_small_overlaps()?;
        // Accounting.
        let footprint = self.footprint();
        let free = shape.free_block_bytes + shape.small_free_bytes;
        let used = if detailed {
            self.live + self.waste
        } else {
            self.live
        };
        if free > footprint || used > footprint - free {
            return Err(bad(0, "live bytes do not fit in the bytes not free"));
        }
        if detailed && self.peak < self.live {
            return Err(bad(0, "peak below live bytes"));
        }
        if self.meter.pages_grown() > u64::from(be.pages()) {
            return Err(bad(0, "more pages grown than the memory has"));
        }
        Ok(shape)
    }

    /// A free small object of class size `cs` at `a` lies in a run, or is
    /// the payload of an in-use block made for a small object.
    fn check_small_home(&self, a: usize, cs: usize) -> Result<(), InvariantError> {
        match self.holder(a)? {
            Holder::Run { start, end } if a >= start && a + cs <= end => Ok(()),
            Holder::Block { b, h } if h & FREE == 0 && a == b + HDR && small_block_fits(h, cs) => {
                Ok(())
            }
            Holder::Outside if a < self.seg_start => Ok(()), // sealed segment
            Holder::Block { h, .. } if h & FREE != 0 => {
                Err(bad(a, "free small object inside a free block"))
            }
            _ => Err(bad(
                a,
                "free small object not inside a run or its own block",
            )),
        }
    }

    /// No two listed small objects overlap (which also rules out an object
    /// listed twice).
    fn check_small_overlaps(&self) -> Result<(), InvariantError> {
        for c in 0..NUM_SMALL {
            let mut a = self.small.head(c);
            while a != 0 {
                let a_end = a + class_size(c);
                for d in c..NUM_SMALL {
                    let mut q = if d == c {
                        // SAFETY: listed objects were checked to lie in the
                        // heap; their first word links on.
                        unsafe { rd(a) }
                    } else {
                        self.small.head(d)
                    };
                    while q != 0 {
                        if q < a_end && a < q + class_size(d) {
                            return Err(bad(q, "free small objects overlap"));
                        }
                        // SAFETY: as above.
                        q = unsafe { rd(q) };
                    }
                }
                // SAFETY: as above.
                a = unsafe { rd(a) };
            }
        }
        Ok(())
    }
}

/// Whether an in-use block with header `h` is what `alloc_small_grow` makes
/// for one object of class size `cs`: `max(HDR + cs, MIN_BLOCK)` bytes plus a
/// tail too small to stand alone.
pub(crate) fn small_block_fits(h: usize, cs: usize) -> bool {
    let n = (HDR + cs).max(MIN_BLOCK);
    let bsz = h & SIZE_MASK;
    bsz >= n && bsz - n < MIN_BLOCK
}

/// Whether an in-use block of `bsz` bytes is what the heap makes for a large
/// request of `size` bytes: `block_size(size)` plus a tail too small to stand
/// alone.
#[cfg(feature = "debug-checks")]
pub(crate) fn large_block_fits(bsz: usize, size: usize) -> bool {
    let n = super::block_size(size);
    n != 0 && bsz >= n && bsz - n < MIN_BLOCK
}
