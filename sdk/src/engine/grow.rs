//! The top region and growth: making room at the top (growing exactly the
//! missing pages through the meter), setting the heap up at the backend's
//! heap base, and sealing a segment when someone else grew the memory.

use super::*;

impl Core {
    /// Make sure the top region can take `n` bytes after padding the top so
    /// that `top + HDR` is `align`-aligned, growing exactly the missing pages.
    /// On failure (false) nothing has changed but `pending`, which says why:
    /// the caller records it if it gives up. (A `bool` rather than a
    /// `Result<(), AllocError>`: on wasm32 the latter goes through the shadow
    /// stack, a stack frame in every caller.)
    #[inline(always)]
    pub(super) fn room<B: PageSource>(
        &mut self,
        cfg: &Config,
        be: &mut B,
        n: usize,
        align: usize,
    ) -> bool {
        self.want(n, align) <= self.end || self.room_slow(cfg, be, n, align)
    }

    #[inline(never)]
    #[cold]
    pub(super) fn room_slow<B: PageSource>(
        &mut self,
        cfg: &Config,
        be: &mut B,
        n: usize,
        align: usize,
    ) -> bool {
        let cur_end = be.end();
        if cur_end > self.mem_end {
            // Someone else grew memory: seal this segment, continue above.
            self.seal(cfg, cur_end);
        }
        let want = self.want(n, align);
        if want <= self.end {
            return true;
        }
        match self.grow(cfg, be, want) {
            Ok(()) => true,
            Err(e) => {
                self.pending = e;
                false
            }
        }
    }

    /// Address the top must reach for `n` bytes at `align` (saturating).
    pub(super) fn want(&self, n: usize, align: usize) -> usize {
        aligned_start(self.top, align).saturating_add(n)
    }

    pub(super) fn grow<B: PageSource>(
        &mut self,
        cfg: &Config,
        be: &mut B,
        want: usize,
    ) -> Result<(), AllocError> {
        if want > self.cap_end {
            return Err(match cfg.max_heap_bytes {
                Some(limit) => AllocError::CapExceeded {
                    cap: CapKind::HeapBytes,
                    limit: limit as u64,
                    requested: (want - self.start - self.foreign) as u64,
                },
                None => AllocError::LayoutTooLarge,
            });
        }
        let pages = pages_for(want + RESERVE - self.mem_end);
        if pages + be.pages() as usize > 65_535 {
            return Err(AllocError::OutOfMemory);
        }
        self.meter.grow(
            be,
            &cfg.pricing,
            cfg.max_memory_pages,
            cfg.gas_hook,
            pages as u32,
        )?;
        self.mem_end = be.end();
        self.set_end();
        Ok(())
    }

    /// Set up the heap at the backend's heap base with a run open at the
    /// start (`foreign` is 0: nothing was sealed yet).
    #[cold]
    #[inline(never)]
    pub(super) fn init<B: PageSource>(&mut self, cfg: &Config, be: &mut B) {
        let start = align_up(be.heap_base(), GRAN).unwrap_or(usize::MAX & !(GRAN - 1));
        self.start = start;
        self.seg_start = start;
        // Wrapping: a heap within `RESET_MIN` of the address-space end gets a
        // tiny `reset_above`, i.e. it resets every time it empties (safe).
        self.reset_above = start.wrapping_add(RESET_MIN);
        self.top = start;
        let mem_end = be.end();
        self.mem_end = mem_end;
        if !self.budget_set {
            self.meter.set_budget(cfg.growth_budget);
        }
        self.cap_end = start.saturating_add(Self::cap(cfg));
        let end = mem_end.saturating_sub(RESERVE).min(self.cap_end);
        self.end = end;
        self.small_end = end;
        self.run_at = start;
        self.first_end = 0;
        self.ready = true;
    }

    /// The heap-bytes cap as a span (`MAX_SPAN` when uncapped).
    #[inline(always)]
    pub(super) fn cap(cfg: &Config) -> usize {
        match cfg.max_heap_bytes {
            Some(c) if c < MAX_SPAN => c,
            _ => MAX_SPAN,
        }
    }

    /// Recompute `cap_end` (after `start` or `foreign` changed) and `end`.
    pub(super) fn set_limits(&mut self, cfg: &Config) {
        self.cap_end = self
            .start
            .saturating_add(self.foreign)
            .saturating_add(Self::cap(cfg));
        self.set_end();
    }

    pub(super) fn set_end(&mut self) {
        self.end = self.mem_end.saturating_sub(RESERVE).min(self.cap_end);
        if self.small_end != 0 {
            self.small_end = self.end;
        }
    }

    /// Seal the current segment and continue at `cur_end` (foreign growth):
    /// everything from the top to the old memory end becomes one dead block,
    /// and a run is open at the new segment start.
    #[cold]
    pub(super) fn seal(&mut self, cfg: &Config, cur_end: usize) {
        if self.small_end != 0 {
            self.close_run(self.top);
        }
        if self.top + RESERVE <= self.mem_end {
            // SAFETY: `top..mem_end` is our unused memory (at least the reserve).
            unsafe { set_dead(self.top, self.mem_end - self.top, true) };
        }
        self.foreign += cur_end - self.mem_end;
        self.seg_start = cur_end;
        self.reset_above = cur_end.wrapping_add(RESET_MIN);
        self.top = cur_end;
        self.mem_end = cur_end;
        // A run is open at the new segment start (headerless); 1 makes the
        // next small request take the slow path, which sets the real end.
        self.small_end = 1;
        self.run_at = cur_end;
        self.first_end = 0;
        self.set_limits(cfg);
    }
}
