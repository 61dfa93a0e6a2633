//! Large blocks: boundary tags plus a two-per-octave segregated fit
//! ("TLSF with one second-level bit"), O(1) insert, remove and search.
//!
//! ```text
//!  in-use block                       free block
//!  +--------+---------------------+   +--------+------+------+-----+--------+
//!  | header | payload ...         |   | header | next | prev | ... | footer |
//!  +--------+---------------------+   +--------+------+------+-----+--------+
//!  header = size | FREE(1) | PREV_FREE(2) | DEAD(4)   footer = block start
//! ```
//!
//! The header is 8 bytes so payloads are 8-aligned: a 32-bit `size | flags`
//! word (sizes are below 2^32, see `MAX_SPAN`) and, in a free block, the
//! 32-bit index of the class list it is on (so unlinking needs no class
//! computation). A free block's address is written in its last word, and the next
//! block's `PREV_FREE` bit says so; that is how a freed block finds and merges
//! with its physical predecessor in O(1). Free block sizes fall in 54 classes
//! (`[2^k, 1.5*2^k)` and `[1.5*2^k, 2^(k+1))` for k = 5..=31) tracked by a
//! 64-bit mask (searched with one `ctz`); an empty list has head 0.

use crate::util::{rd_at, wr_at};

/// Header bytes in front of every large block's payload.
pub const HDR: usize = 8;
/// Machine word.
pub(crate) const W: usize = core::mem::size_of::<usize>();
/// Smallest block (header + two links + footer, rounded to 8).
pub const MIN_BLOCK: usize = 32;
/// Header flag: this block is free.
pub(crate) const FREE: usize = 1;
/// Header flag: the previous physical block is free (its footer is valid).
pub(crate) const PREV_FREE: usize = 2;
/// Header flag: an in-use block that is never freed as a block: a run of
/// small objects (size 0 while the run is open at the top), a dead gap left
/// by alignment padding, or the dead tail of a sealed segment.
pub(crate) const DEAD: usize = 4;
/// Header bits holding the size.
pub(crate) const SIZE_MASK: usize = !7;
/// Number of free-block classes.
pub(crate) const NUM_LARGE: usize = 54;

/// Class of a free block of `s` bytes (`MIN_BLOCK <= s < 2^32`).
#[inline(always)]
pub(crate) fn idx(s: usize) -> usize {
    let k = (usize::BITS - 1 - s.leading_zeros()) as usize;
    (k - 5) * 2 + ((s >> (k - 1)) & 1)
}

/// Read a block header.
///
/// # Safety
/// `b` is the 8-aligned start of a block (or a run/sentinel header) in owned memory.
#[inline(always)]
pub(crate) unsafe fn hdr(b: usize) -> usize {
    // SAFETY: a `u32` read needs a 4-aligned, readable address with
    // provenance: the caller promises an 8-aligned block start in memory the
    // heap owns, whose provenance its backend exposed (see `crate::util`).
    unsafe { core::ptr::with_exposed_provenance::<u32>(b).read() as usize }
}

/// Write a block header.
///
/// # Safety
/// As for [`hdr`], and the header word is writable.
#[inline(always)]
pub(crate) unsafe fn set_hdr(b: usize, v: usize) {
    debug_assert!(v <= u32::MAX as usize);
    // SAFETY: a `u32` write needs a 4-aligned, writable address with
    // provenance: the caller promises an 8-aligned, writable block start in
    // memory the heap owns, whose provenance its backend exposed (see
    // `crate::util`).
    unsafe { core::ptr::with_exposed_provenance_mut::<u32>(b).write(v as u32) }
}

/// Offset of a free block's class index (the second half of its header).
const CLS: usize = 4;

/// Second half of a dead gap's header; a run has 0 there (see [`set_dead`]).
const GAP_MARK: u32 = u32::MAX;

/// Write the header of an in-use block that is never freed as a block
/// (`DEAD`): a run of small objects (`gap == false`; size 0 while the run is
/// open) or a dead gap left by alignment padding, told apart by the second
/// half of the header.
///
/// # Safety
/// `b..b + HDR` is 8-aligned owned memory nobody else uses.
pub(crate) unsafe fn set_dead(b: usize, size: usize, gap: bool) {
    // SAFETY: the caller owns the 8-byte header at `b`.
    unsafe {
        set_hdr(b, size | DEAD);
        core::ptr::with_exposed_provenance_mut::<u32>(b + CLS).write(if gap {
            GAP_MARK
        } else {
            0
        });
    }
}

/// Whether the `DEAD` block at `b` is a dead gap (not a run).
///
/// # Safety
/// `b` is the header of a `DEAD` block written by [`set_dead`].
pub(crate) unsafe fn is_gap(b: usize) -> bool {
    // SAFETY: the header is readable (caller).
    unsafe { core::ptr::with_exposed_provenance::<u32>(b + CLS).read() == GAP_MARK }
}

/// A listed free block's class index, next and previous list links (for the
/// heap walker).
///
/// # Safety
/// `b..b + MIN_BLOCK` is readable, 8-aligned memory of this heap.
pub(crate) unsafe fn links(b: usize) -> (usize, usize, usize) {
    // SAFETY: the caller guarantees the first MIN_BLOCK bytes are readable.
    unsafe {
        (
            core::ptr::with_exposed_provenance::<u32>(b + CLS).read() as usize,
            rd_at(b, HDR),
            rd_at(b, HDR + W),
        )
    }
}

/// Free lists of the large classes.
#[derive(Debug)]
pub(crate) struct LargeLists {
    mask: u64,
    heads: [usize; NUM_LARGE],
}

impl LargeLists {
    pub(crate) const fn new() -> Self {
        Self {
            mask: 0,
            heads: [0; NUM_LARGE],
        }
    }

    /// Empty every list in O(1): a fixed 54-word fill.
    #[inline(always)]
    pub(crate) fn clear(&mut self) {
        self.mask = 0;
        self.heads = [0; NUM_LARGE];
    }

    /// Turn `b..b+size` into a free block (header, footer) and list it.
    ///
    /// # Safety
    /// `b` is 8-aligned owned memory of `size >= MIN_BLOCK` bytes nobody uses;
    /// the block before `b` is not free (`prev_free` says otherwise only if
    /// the caller intends it, which it never does after coalescing).
    pub(crate) unsafe fn make_free(&mut self, b: usize, size: usize, prev_free: usize) {
        debug_assert!(b % 8 == 0 && size >= MIN_BLOCK && size % 8 == 0);
        debug_assert!(size <= SIZE_MASK as u32 as usize, "block of {size} bytes");
        // SAFETY: `b..b+size` is owned, aligned and at least MIN_BLOCK long, so
        // header, both links and the footer are in bounds and aligned.
        unsafe {
            set_hdr(b, size | FREE | prev_free);
            wr_at(b, size - W, b);
            self.link(b, size);
        }
    }

    /// # Safety
    /// `b` is a free block of `size` bytes with a valid header.
    #[inline]
    unsafe fn link(&mut self, b: usize, size: usize) {
        let i = idx(size);
        // SAFETY: `b..b+HDR` is this free block's header (caller).
        unsafe { core::ptr::with_exposed_provenance_mut::<u32>(b + CLS).write(i as u32) };
        let bit = 1u64 << i;
        // SAFETY: `i < NUM_LARGE` because sizes are below 2^32.
        let head = unsafe { self.heads.get_unchecked_mut(i) };
        let next = *head;
        // SAFETY: `b` is free and at least MIN_BLOCK long (links in bounds);
        // `next`, if any, is a listed free block.
        unsafe {
            wr_at(b, HDR, next);
            wr_at(b, HDR + W, 0);
            if next != 0 {
                wr_at(next, HDR + W, b);
            }
        }
        *head = b;
        self.mask |= bit;
    }

    /// Remove the listed free block `b`.
    ///
    /// # Safety
    /// `b` is on the list of its class (so `link` recorded that class in its
    /// header).
    pub(crate) unsafe fn unlink(&mut self, b: usize) {
        // SAFETY: `b` is a listed free block, so its class index and links are
        // valid; so are its neighbours' on the list.
        unsafe {
            let i = core::ptr::with_exposed_provenance::<u32>(b + CLS).read() as usize;
            debug_assert!(hdr(b) & FREE != 0, "unlinking in-use block {b:#x}");
            debug_assert!(
                i == idx(hdr(b) & SIZE_MASK),
                "block {b:#x} on the wrong list"
            );
            let next = rd_at(b, HDR);
            let prev = rd_at(b, HDR + W);
            debug_assert!(prev != 0 || self.heads[i] == b, "list head is not {b:#x}");
            if prev != 0 {
                wr_at(prev, HDR, next);
            } else {
                *self.heads.get_unchecked_mut(i) = next;
                if next == 0 {
                    self.mask &= !(1u64 << i);
                }
            }
            if next != 0 {
                wr_at(next, HDR + W, prev);
            }
        }
    }

    /// Find, unlink and return a free block of at least `n` bytes, or 0.
    /// O(1): the head of `n`'s own class if it is big enough (the closest
    /// fit), else the head of the first non-empty class above it, whose
    /// every block is bigger than `n` (a "good fit", as in TLSF), found with
    /// one `ctz`.
    ///
    /// # Safety
    /// The lists are consistent; `MIN_BLOCK <= n < 2^32`.
    #[inline(never)]
    pub(crate) unsafe fn take(&mut self, n: usize) -> usize {
        debug_assert!(n >= MIN_BLOCK);
        // Own class first: its head, if big enough, is a closer fit than
        // any block of a class above (less splitting, less fragmentation).
        // One mask search from the own class up finds either: only a head of
        // the own class can be too small, and then the next non-empty class
        // is a good fit. (One search rather than a bit test and then a
        // search: wasmi charges every instruction of the function on entry,
        // so the shorter body is cheaper on every large allocation.)
        // `idx(n) < NUM_LARGE < 64` for `n < 2^32`.
        let mut m = self.mask & (!0u64 << (idx(n) & 63));
        if m == 0 {
            return 0;
        }
        // SAFETY: bit `ctz(m)` is set, so it is below `NUM_LARGE` and its
        // list's head is a listed free block; the same for the next bit. The
        // head has no predecessor, and its successor (if any) is listed.
        unsafe {
            let mut j = m.trailing_zeros() as usize;
            let mut b = *self.heads.get_unchecked(j);
            if hdr(b) & SIZE_MASK < n {
                // The own class's head is too small: the next class up.
                m &= m - 1;
                if m == 0 {
                    return 0;
                }
                j = m.trailing_zeros() as usize;
                b = *self.heads.get_unchecked(j);
            }
            debug_assert!(hdr(b) & SIZE_MASK >= n, "good fit {b:#x} smaller than {n}");
            debug_assert!(rd_at(b, HDR + W) == 0, "list head {b:#x} has a predecessor");
            // Pop the head in line (cheaper than the general `unlink`, which
            // also handles a predecessor and reads the class from the block).
            let next = rd_at(b, HDR);
            *self.heads.get_unchecked_mut(j) = next;
            if next != 0 {
                wr_at(next, HDR + W, 0);
            } else {
                self.mask &= !(1u64 << j);
            }
            b
        }
    }
}

impl LargeLists {
    /// Head of class list `i` (0 if empty), for the heap walker.
    pub(crate) fn head(&self, i: usize) -> usize {
        self.heads[i]
    }

    /// Which class lists are non-empty, for the heap walker.
    pub(crate) fn mask(&self) -> u64 {
        self.mask
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_pointer_width = "64")]
    fn classes_are_monotone_and_bounded() {
        let mut last = 0;
        let mut s = MIN_BLOCK;
        while s < (1usize << 32) - 8 {
            let i = idx(s);
            assert!(i >= last && i < NUM_LARGE);
            last = i;
            s += s / 7 + 8;
        }
        assert_eq!(idx(32), 0);
        assert_eq!(idx(47), 0);
        assert_eq!(idx(48), 1);
        assert_eq!(idx(64), 2);
        assert_eq!(idx((1usize << 32) - 8), NUM_LARGE - 1);
    }
}
