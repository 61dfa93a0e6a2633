//! Small size classes: 64 classes of 8, 16, ..., 512 bytes.
//!
//! The class is derived from the `Layout` alone (`(size - 1) / 8`), so a small
//! object needs no header: `dealloc` gets the same layout back. Each class has
//! an intrusive LIFO free list whose link lives in the freed object's first
//! word; an empty list has head 0. Clearing all lists is a fixed 64-word fill
//! (one `memory.fill` with bulk memory), which keeps the heap's
//! reset-when-empty O(1).

use crate::util::{rd, wr};

/// Largest size served by a size class.
pub const SMALL_MAX: usize = 512;
/// Class granularity and the alignment every small object gets.
pub const GRAN: usize = 8;
/// Number of small classes.
pub const NUM_SMALL: usize = SMALL_MAX / GRAN;

/// The class serving `(size, align)`, if any (`size` in `1..=512`, `align <= 8`).
///
/// ```
/// use capheap::layout::class_of;
///
/// assert_eq!(class_of(1, 1), Some(0));
/// assert_eq!(class_of(13, 4), Some(1));
/// assert_eq!(class_of(512, 8), Some(63));
/// // Zero, larger than 512 bytes, or aligned above 8: a large block.
/// assert_eq!(class_of(0, 1), None);
/// assert_eq!(class_of(513, 8), None);
/// assert_eq!(class_of(64, 16), None);
/// ```
#[inline(always)]
pub const fn class_of(size: usize, align: usize) -> Option<usize> {
    if size.wrapping_sub(1) < SMALL_MAX && align <= GRAN {
        Some((size - 1) / GRAN)
    } else {
        None
    }
}

/// Bytes of one object of class `c`.
///
/// ```
/// use capheap::layout::{class_of, class_size};
///
/// assert_eq!(class_size(class_of(13, 1).unwrap()), 16);
/// ```
#[inline(always)]
pub const fn class_size(c: usize) -> usize {
    (c + 1) * GRAN
}

/// Free lists of the small classes (of the heap and of
/// [`crate::pool::ClassPools`]).
#[derive(Debug)]
pub(crate) struct SmallLists {
    heads: [usize; NUM_SMALL],
}

impl SmallLists {
    pub(crate) const fn new() -> Self {
        Self {
            heads: [0; NUM_SMALL],
        }
    }

    /// Empty every list in O(1): a fixed 64-word fill.
    #[inline(always)]
    pub(crate) fn clear(&mut self) {
        self.heads = [0; NUM_SMALL];
    }

    /// Head of class `c`'s list (0 if empty), for checks and the walker.
    pub(crate) fn head(&self, c: usize) -> usize {
        self.heads[c]
    }

    /// Whether every list is empty.
    pub(crate) fn is_empty(&self) -> bool {
        self.heads.iter().all(|&h| h == 0)
    }

    /// Pop an object of class `c`, or 0 if the list is empty.
    ///
    /// # Safety
    /// `c < NUM_SMALL`, and every object on the list is owned free memory.
    #[inline(always)]
    pub(crate) unsafe fn pop(&mut self, c: usize) -> usize {
        // SAFETY: `c < NUM_SMALL` (caller).
        let head = unsafe { self.heads.get_unchecked_mut(c) };
        let p = *head;
        if p != 0 {
            debug_assert!(p % GRAN == 0, "misaligned free object {p:#x}");
            // SAFETY: a non-zero head is a free object whose first word links on.
            *head = unsafe { rd(p) };
        }
        p
    }

    /// Push the free object `p` of class `c`.
    ///
    /// # Safety
    /// `c < NUM_SMALL`; `p` is an 8-aligned object of class `c` that nobody uses.
    #[inline(always)]
    pub(crate) unsafe fn push(&mut self, c: usize, p: usize) {
        debug_assert!(c < NUM_SMALL && p != 0 && p % GRAN == 0);
        // SAFETY: `c < NUM_SMALL` (caller).
        let head = unsafe { self.heads.get_unchecked_mut(c) };
        debug_assert!(*head != p, "object {p:#x} pushed twice in a row");
        // SAFETY: `p` is free, aligned and at least one word long (caller).
        unsafe { wr(p, *head) };
        *head = p;
    }
}
