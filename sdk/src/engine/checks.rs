//! `debug-checks`: every free and realloc is checked against the heap's own
//! memory before it changes anything (see [`Core::check_live`]); a bad one
//! is recorded and ignored, and freed memory is poisoned.

use super::{Core, walk};
use crate::cap::AllocError;
use crate::large::{DEAD, FREE, HDR, SIZE_MASK, hdr};
use crate::small::{GRAN, class_size};
use crate::util::rd;

impl Core {
    /// Validate a small free and poison the object; false (recorded) if invalid.
    #[inline(never)]
    pub(super) fn check_small_free(&mut self, a: usize, size: usize, c: usize) -> bool {
        if let Err(e) = self.check_live(a, size, true) {
            self.record(e);
            return false;
        }
        // SAFETY: the object is the heap's again.
        unsafe { crate::util::poison(a, class_size(c), 0xDE) };
        true
    }

    /// Check that `(a, size)` (`small`: of a small class) is a live allocation of this heap as far
    /// as the heap's own memory can tell (`debug-checks`): inside the heap,
    /// not free, and made for this layout.
    ///
    /// * A small layout must name an object wholly inside a run, or the
    ///   payload of a block made for one object of its class.
    /// * A large layout must name the payload of an in-use block whose size
    ///   is what the heap makes for that size (`block_size` plus a tail too
    ///   small to stand alone).
    ///
    /// Blocks in segments sealed by foreign growth are checked by their
    /// header only. Small objects in a run cannot be told apart from their
    /// neighbours, so a small layout of a smaller class than the object's is
    /// not detected there.
    #[inline(never)]
    pub(crate) fn check_live(&self, a: usize, size: usize, small: bool) -> Result<(), AllocError> {
        use walk::{Holder, small_block_fits};
        if size == 0 {
            return Ok(());
        }
        if !self.ready
            || a < self.start.saturating_add(if small { 0 } else { HDR })
            || a % GRAN != 0
            || a >= self.top
        {
            return Err(AllocError::InvalidPointer);
        }
        let Ok(holder) = self.holder(a) else {
            return Err(AllocError::InvalidPointer);
        };
        if small {
            let c = (size - 1) / GRAN;
            let cs = class_size(c);
            match holder {
                Holder::Run { start, end } if a >= start => {
                    if a + cs > end {
                        return Err(AllocError::LayoutMismatch);
                    }
                }
                Holder::Block { h, .. } if h & FREE != 0 => return Err(AllocError::DoubleFree),
                Holder::Block { b, h } if a == b + HDR => {
                    if !small_block_fits(h, cs) {
                        return Err(AllocError::LayoutMismatch);
                    }
                }
                Holder::Outside if a < self.seg_start => {}
                _ => return Err(AllocError::InvalidPointer),
            }
            let mut q = self.small.head(c);
            while q != 0 {
                if q == a {
                    return Err(AllocError::DoubleFree);
                }
                // SAFETY: list members are free objects whose first word links on.
                q = unsafe { rd(q) };
            }
        } else {
            self.check_live_large(a, size, holder)?;
        }
        // Everything checks out but the bytes are not live: freed before.
        if size > self.live {
            return Err(AllocError::DoubleFree);
        }
        Ok(())
    }

    /// The large-layout half of [`Core::check_live`].
    fn check_live_large(
        &self,
        a: usize,
        size: usize,
        holder: walk::Holder,
    ) -> Result<(), AllocError> {
        use walk::{Holder, large_block_fits};
        let b = a - HDR;
        match holder {
            Holder::Block { b: at, h } if at == b => {
                if h & FREE != 0 {
                    return Err(AllocError::DoubleFree);
                }
                if !large_block_fits(h & SIZE_MASK, size) {
                    return Err(AllocError::LayoutMismatch);
                }
            }
            // A block freed earlier and merged into a free predecessor.
            Holder::Block { h, .. } if h & FREE != 0 => return Err(AllocError::DoubleFree),
            // A small object freed with a large layout.
            Holder::Run { .. } => return Err(AllocError::LayoutMismatch),
            Holder::Outside if a < self.seg_start => {
                // SAFETY: `start <= b < seg_start`, 8-aligned: a word of the heap.
                let h = unsafe { hdr(b) };
                if h & FREE != 0 {
                    return Err(AllocError::DoubleFree);
                }
                if h & DEAD != 0 || !large_block_fits(h & SIZE_MASK, size) {
                    return Err(AllocError::LayoutMismatch);
                }
            }
            _ => return Err(AllocError::InvalidPointer),
        }
        Ok(())
    }
}
