//! Heap configuration: caps, growth pricing, growth budget, gas hook.
//!
//! `Config` is `Copy` and const-constructible, and [`crate::Heap`] keeps it in
//! an immutable `static`. After inlining, every field is a compile-time
//! constant in the contract, so a cap that is `None`, a pricing model that is
//! not used, or an absent gas hook generates no code at all.

use crate::meter::{GasHook, PagePricing};

/// Heap configuration. Use `Config::DEFAULT` / [`Config::new`] and either the
/// builder methods or struct update syntax (`Config { max_memory_pages:
/// Some(32), ..Config::DEFAULT }`).
// `Custom`/gas-hook function pointers compare by address.
#[allow(unpredictable_function_pointer_comparisons)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// Cap on the whole linear memory in pages, counting memory that existed
    /// before the heap (stack, static data). `None` = no cap.
    pub max_memory_pages: Option<u32>,
    /// Cap on the heap footprint in bytes (heap start to heap top: live
    /// blocks, free blocks below the top and headers). `None` = no cap.
    pub max_heap_bytes: Option<usize>,
    /// How growth is priced.
    pub pricing: PagePricing,
    /// Growth budget in pricing units. `None` = unlimited.
    pub growth_budget: Option<u64>,
    /// Host gas hook consulted before every growth; growth it cannot pay for
    /// fails with [`crate::AllocError::GasHookRefused`]. Must not allocate.
    pub gas_hook: Option<GasHook>,
    /// Maintain `allocs`, `frees`, `reallocs`, `peak_live_bytes` and
    /// `rounding_waste_bytes` in [`crate::Stats`]. Off by default: it costs a
    /// dozen wasm instructions per alloc/free pair (about 40% more fuel on a
    /// tight alloc/free loop). Without it those five fields stay 0;
    /// `live_bytes`, `heap_bytes`, growth, reset and failure statistics are
    /// always maintained.
    pub detailed_stats: bool,
    /// With the `debug-checks` feature: trap (wasm `unreachable`; on the host,
    /// abort with a message) when [`core::alloc::GlobalAlloc::dealloc`] or
    /// [`crate::LocalHeap::dealloc`] detects an invalid free, instead of
    /// counting it and ignoring the free. `try_dealloc` always returns the
    /// error instead. Without `debug-checks` nothing is detected and this
    /// does nothing.
    pub trap_on_invalid_free: bool,
    /// Resize blocks in place where they can grow or shrink (on by
    /// default). Off, every `realloc` allocates, copies and frees, and the
    /// in-place code is not linked (see [`Config::realloc_in_place`]).
    pub realloc_in_place: bool,
}

impl Config {
    /// No caps, free growth, unlimited budget, no gas hook, no detailed
    /// statistics.
    pub const DEFAULT: Self = Self {
        max_memory_pages: None,
        max_heap_bytes: None,
        pricing: PagePricing::Free,
        growth_budget: None,
        gas_hook: None,
        detailed_stats: false,
        trap_on_invalid_free: false,
        realloc_in_place: true,
    };

    /// Same as [`Config::DEFAULT`].
    ///
    /// ```
    /// assert_eq!(capheap::Config::new(), capheap::Config::DEFAULT);
    /// ```
    pub const fn new() -> Self {
        Self::DEFAULT
    }

    /// Cap the whole linear memory at `pages` pages.
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use capheap::{backend::NativePages, AllocError, CapKind, Config, LocalHeap};
    ///
    /// // Two pages in all, counting the one that is already there.
    /// let mut heap = LocalHeap::new(NativePages::new(1, 16), Config::DEFAULT.max_memory_pages(2));
    /// assert!(heap.try_alloc(Layout::from_size_align(100_000, 8).unwrap()).is_ok());
    /// assert!(matches!(
    ///     heap.try_alloc(Layout::from_size_align(100_000, 8).unwrap()),
    ///     Err(AllocError::CapExceeded { cap: CapKind::MemoryPages, limit: 2, requested: 4 })
    /// ));
    /// ```
    pub const fn max_memory_pages(mut self, pages: u32) -> Self {
        self.max_memory_pages = Some(pages);
        self
    }

    /// Cap the heap footprint at `bytes`.
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use capheap::{backend::NativePages, AllocError, CapKind, Config, LocalHeap};
    ///
    /// let mut heap = LocalHeap::new(NativePages::new(0, 16), Config::DEFAULT.max_heap_bytes(1024));
    /// assert!(heap.try_alloc(Layout::from_size_align(1000, 8).unwrap()).is_ok());
    /// assert!(matches!(
    ///     heap.try_alloc(Layout::from_size_align(100, 8).unwrap()),
    ///     Err(AllocError::CapExceeded { cap: CapKind::HeapBytes, limit: 1024, .. })
    /// ));
    /// ```
    pub const fn max_heap_bytes(mut self, bytes: usize) -> Self {
        self.max_heap_bytes = Some(bytes);
        self
    }

    /// Price growth with `pricing`.
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use capheap::{backend::NativePages, Config, LocalHeap, PagePricing};
    ///
    /// let cfg = Config::DEFAULT.pricing(PagePricing::Flat { per_page: 1_000 });
    /// let mut heap = LocalHeap::new(NativePages::new(0, 16), cfg);
    /// heap.try_alloc(Layout::from_size_align(200_000, 8).unwrap()).unwrap();
    /// assert_eq!(heap.stats().growth_price_charged, 4 * 1_000);
    /// ```
    pub const fn pricing(mut self, pricing: PagePricing) -> Self {
        self.pricing = pricing;
        self
    }

    /// Limit the total growth price to `budget`.
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use capheap::{backend::NativePages, AllocError, Config, LocalHeap, PagePricing};
    ///
    /// let cfg = Config::DEFAULT.pricing(PagePricing::Flat { per_page: 1_000 }).growth_budget(3_000);
    /// let mut heap = LocalHeap::new(NativePages::new(0, 16), cfg);
    /// assert_eq!(
    ///     heap.try_alloc(Layout::from_size_align(200_000, 8).unwrap()),
    ///     Err(AllocError::BudgetExhausted { price: 4_000, remaining: 3_000 })
    /// );
    /// // Nothing was grown.
    /// assert_eq!(heap.stats().pages_grown, 0);
    /// ```
    pub const fn growth_budget(mut self, budget: u64) -> Self {
        self.growth_budget = Some(budget);
        self
    }

    /// Consult `hook` (gas left) before every growth.
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use capheap::{backend::NativePages, AllocError, Config, LocalHeap, PagePricing};
    ///
    /// // The host says 1,500 gas is left: one page at 1,000 is affordable, two are not.
    /// fn gas_left() -> i64 {
    ///     1_500
    /// }
    /// let cfg = Config::DEFAULT.pricing(PagePricing::Flat { per_page: 1_000 }).gas_hook(gas_left);
    /// let mut heap = LocalHeap::new(NativePages::new(0, 16), cfg);
    /// assert!(heap.try_alloc(Layout::from_size_align(60_000, 8).unwrap()).is_ok());
    /// assert_eq!(
    ///     heap.try_alloc(Layout::from_size_align(100_000, 8).unwrap()),
    ///     Err(AllocError::GasHookRefused { price: 2_000, gas_left: 1_500 })
    /// );
    /// ```
    pub const fn gas_hook(mut self, hook: GasHook) -> Self {
        self.gas_hook = Some(hook);
        self
    }

    /// Import `gas_left() -> i64` from module `"capheap"` and consult it before
    /// every growth (wasm32 only).
    #[cfg(target_arch = "wasm32")]
    pub const fn host_gas_hook(mut self) -> Self {
        self.gas_hook = crate::meter::HOST_GAS_HOOK;
        self
    }

    /// Maintain (or not) the per-call statistics.
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use capheap::{backend::NativePages, Config, LocalHeap};
    ///
    /// let layout = Layout::from_size_align(10, 1).unwrap();
    /// let mut plain = LocalHeap::new(NativePages::new(0, 4), Config::DEFAULT);
    /// let mut detailed = LocalHeap::new(NativePages::new(0, 4), Config::DEFAULT.detailed_stats(true));
    /// plain.alloc(layout);
    /// detailed.alloc(layout);
    /// assert_eq!(plain.stats().allocs, 0, "not kept by default");
    /// assert_eq!(detailed.stats().allocs, 1);
    /// assert_eq!(detailed.stats().rounding_waste_bytes, 6);
    /// ```
    pub const fn detailed_stats(mut self, on: bool) -> Self {
        self.detailed_stats = on;
        self
    }

    /// Trap (or not) on an invalid free detected by `debug-checks`.
    ///
    /// ```
    /// let cfg = capheap::Config::DEFAULT.trap_on_invalid_free(true);
    /// assert!(cfg.trap_on_invalid_free);
    /// ```
    pub const fn trap_on_invalid_free(mut self, on: bool) -> Self {
        self.trap_on_invalid_free = on;
        self
    }

    /// Resize in place where possible (the default), or always move: a
    /// `realloc` that allocates the new size, copies and frees the old
    /// block. Moving keeps the in-place code out of the contract and skips
    /// the in-place attempt, which costs its call even when the block cannot
    /// stay (most small vectors are not at the top of the heap). What it
    /// gives up: a block that could have grown where it is (at the top, or
    /// into a free neighbour) is copied, which can cost memory; on
    /// [`crate::mini::MiniHeap`] the old block is not reused until the heap
    /// empties. The benchmark page's "What each option costs" table has the
    /// bytes, fuel and pages for `Heap`.
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use capheap::{backend::NativePages, Config, LocalHeap};
    ///
    /// let layout = Layout::from_size_align(1000, 8).unwrap();
    /// let grow = |cfg: Config| {
    ///     let mut heap = LocalHeap::new(NativePages::new(0, 4), cfg);
    ///     let p = heap.try_alloc(layout).unwrap();
    ///     // SAFETY: `p` is live with `layout`.
    ///     let q = unsafe { heap.try_realloc(p, layout, 2000) }.unwrap();
    ///     (p == q, heap.stats().live_bytes)
    /// };
    /// // At the top of the heap the block grows where it is...
    /// assert_eq!(grow(Config::DEFAULT), (true, 2000));
    /// // ...unless in-place resizing is off: then it moves.
    /// assert_eq!(grow(Config::DEFAULT.realloc_in_place(false)), (false, 2000));
    /// ```
    pub const fn realloc_in_place(mut self, on: bool) -> Self {
        self.realloc_in_place = on;
        self
    }

    /// Whether this configuration calls user code while the heap is busy.
    pub(crate) const fn runs_user_code(&self) -> bool {
        self.gas_hook.is_some() || self.pricing.runs_user_code()
    }
}

impl Default for Config {
    fn default() -> Self {
        Self::DEFAULT
    }
}
