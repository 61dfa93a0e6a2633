//! The global allocator ([`Heap`]) and an owned heap over any backend
//! ([`LocalHeap`]).
//!
//! ```
//! use core::alloc::Layout;
//! use capheap::{backend::NativePages, Config, LocalHeap};
//!
//! let mut heap = LocalHeap::new(NativePages::new(0, 16), Config::DEFAULT.max_memory_pages(4));
//! let p = heap.try_alloc(Layout::new::<[u64; 8]>()).unwrap();
//! unsafe { heap.dealloc(p.as_ptr(), Layout::new::<[u64; 8]>()) };
//! // Asking for more than the cap fails cleanly, without growing.
//! let err = heap.try_alloc(Layout::from_size_align(1 << 20, 8).unwrap()).unwrap_err();
//! assert!(matches!(err, capheap::AllocError::CapExceeded { .. }));
//! ```
//!
//! The algorithm (size classes, large blocks, growth, reset) is described in
//! `docs/src/allocator-design.md` and in the source of the private `engine`
//! module.

use core::alloc::{GlobalAlloc, Layout};
use core::ptr::NonNull;

use crate::backend::PageSource;
use crate::cap::AllocError;
use crate::config::Config;
use crate::engine::Core;
use crate::engine::walk::{HeapShape, InvariantError};
use crate::meter::GrowthMeter;
use crate::stats::Stats;
use crate::sync::Shared;

// ---------------------------------------------------------------------------
// The process-wide heap state behind `Heap`
// ---------------------------------------------------------------------------

/// The backend of the global heaps: the linear memory on wasm32, a static
/// buffer elsewhere.
#[cfg(target_arch = "wasm32")]
pub(crate) type DefaultBackend = crate::backend::WasmMemory;

/// Pages of the static buffer that backs [`Heap`] on non-wasm targets.
///
/// 16,384 pages (1 GiB) by default, enough for ordinary test suites running
/// with capheap as the process allocator. It is zero-initialised `.bss`: the
/// address space is reserved, and only the pages the heap touches cost memory.
///
/// Set the environment variable `CAPHEAP_NATIVE_PAGES` (a decimal page count,
/// 1 to 65,535) when building to change it, e.g. `CAPHEAP_NATIVE_PAGES=32768
/// cargo test` for 2 GiB, or a small value under Miri (which materialises
/// statics). Cargo rebuilds capheap when the variable changes. A value that
/// is not a number in that range is a compile error. On x86-64, statics
/// beyond 2 GiB need a large code model, so stay at or below 32,767 pages
/// there.
///
/// ```
/// // The default, unless the build set CAPHEAP_NATIVE_PAGES.
/// if option_env!("CAPHEAP_NATIVE_PAGES").is_none() {
///     assert_eq!(capheap::heap::NATIVE_HEAP_PAGES, 16_384);
/// }
/// ```
#[cfg(not(target_arch = "wasm32"))]
pub const NATIVE_HEAP_PAGES: u32 = match option_env!("CAPHEAP_NATIVE_PAGES") {
    Some(s) => parse_pages(s),
    None => 16_384,
};

/// Parse `CAPHEAP_NATIVE_PAGES` at compile time (a panic here is a compile
/// error naming the variable).
#[cfg(not(target_arch = "wasm32"))]
const fn parse_pages(s: &str) -> u32 {
    let b = s.as_bytes();
    let mut i = 0;
    let mut v: u32 = 0;
    if b.is_empty() {
        panic!("CAPHEAP_NATIVE_PAGES must be a page count from 1 to 65535");
    }
    while i < b.len() {
        let d = b[i];
        if d < b'0' || d > b'9' || v > 65_535 {
            panic!("CAPHEAP_NATIVE_PAGES must be a page count from 1 to 65535");
        }
        v = v * 10 + (d - b'0') as u32;
        i += 1;
    }
    if v == 0 || v > 65_535 {
        panic!("CAPHEAP_NATIVE_PAGES must be a page count from 1 to 65535");
    }
    v
}

/// The static buffer behind a global heap on non-wasm targets: 64 KiB
/// aligned, zero-initialised `.bss`.
#[cfg(not(target_arch = "wasm32"))]
#[repr(C, align(65536))]
pub(crate) struct NativeMemory([u8; NATIVE_HEAP_PAGES as usize * crate::util::PAGE_SIZE]);

#[cfg(not(target_arch = "wasm32"))]
impl NativeMemory {
    pub(crate) const ZERO: Self = Self([0; NATIVE_HEAP_PAGES as usize * crate::util::PAGE_SIZE]);
}

#[cfg(not(target_arch = "wasm32"))]
static mut NATIVE_MEMORY: NativeMemory = NativeMemory::ZERO;

#[cfg(not(target_arch = "wasm32"))]
pub(crate) type DefaultBackend = crate::backend::NativePages;

/// A backend over `memory`, starting with 0 pages.
///
/// # Safety
/// `memory` is a `static` used by no other backend (it then lives for the
/// whole program, is 64 KiB-aligned and zero-initialised).
#[cfg(not(target_arch = "wasm32"))]
pub(crate) const unsafe fn native_backend(memory: *mut NativeMemory) -> DefaultBackend {
    // SAFETY: the caller gives a static buffer of `NATIVE_HEAP_PAGES` pages
    // that only this backend uses.
    unsafe { crate::backend::NativePages::from_raw(memory.cast::<u8>(), 0, NATIVE_HEAP_PAGES) }
}

// ---------------------------------------------------------------------------
// What the heap handles share
// ---------------------------------------------------------------------------

/// What a heap handle needs from the algorithm behind it: [`Core`] for
/// [`Heap`] and [`LocalHeap`], `MiniCore` for the minimal heaps
/// ([`crate::mini`]). The handles' operations are written once, over this
/// trait (on [`Shared<GlobalState<C>>`] for the global handles and on
/// [`Owned`] for the owned ones), so both heaps have the same API shapes
/// and the same error reporting.
pub(crate) trait Engine {
    /// Allocate `size` bytes at `align`; null on failure (the cause in
    /// [`Engine::last_error`]).
    ///
    /// # Safety
    /// `be` is the backend this engine has always been used with; `align`
    /// is a power of two.
    unsafe fn alloc<B: PageSource>(
        &mut self,
        cfg: &Config,
        be: &mut B,
        size: usize,
        align: usize,
    ) -> *mut u8;

    /// Free a block allocated with `(size, align)`.
    ///
    /// # Safety
    /// `p` was returned by this engine's `alloc`/`realloc` with this layout
    /// and not freed since.
    unsafe fn dealloc(&mut self, cfg: &Config, p: *mut u8, size: usize, align: usize);

    /// Resize; null on failure (the old block is then untouched).
    ///
    /// # Safety
    /// As for [`Engine::dealloc`] for `(p, size, align)`, and `be` as for
    /// [`Engine::alloc`].
    unsafe fn realloc<B: PageSource>(
        &mut self,
        cfg: &Config,
        be: &mut B,
        p: *mut u8,
        size: usize,
        align: usize,
        new_size: usize,
    ) -> *mut u8;

    /// Current statistics.
    fn stats(&self) -> Stats;
    /// The most recent failure.
    fn last_error(&self) -> Option<AllocError>;
    /// Growth budget left for a heap configured with `cfg`.
    fn budget_for(&self, cfg: &Config) -> Option<u64>;
    /// Replace the growth budget.
    fn set_budget(&mut self, budget: Option<u64>);
}

/// `impl Engine for $core` by its inherent methods of the same names and
/// signatures (both engines have them: they are also called directly inside
/// each engine).
macro_rules! forward_engine {
    ($core:ident) => {
        impl $crate::heap::Engine for $core {
            #[inline(always)]
            unsafe fn alloc<B: PageSource>(
                &mut self,
                cfg: &Config,
                be: &mut B,
                size: usize,
                align: usize,
            ) -> *mut u8 {
                // SAFETY: the inherent `alloc`'s contract is this method's,
                // which our caller upholds.
                unsafe { $core::alloc(self, cfg, be, size, align) }
            }
            #[inline(always)]
            unsafe fn dealloc(&mut self, cfg: &Config, p: *mut u8, size: usize, align: usize) {
                // SAFETY: the inherent `dealloc`'s contract is this method's,
                // which our caller upholds.
                unsafe { $core::dealloc(self, cfg, p, size, align) }
            }
            #[inline(always)]
            unsafe fn realloc<B: PageSource>(
                &mut self,
                cfg: &Config,
                be: &mut B,
                p: *mut u8,
                size: usize,
                align: usize,
                new_size: usize,
            ) -> *mut u8 {
                // SAFETY: the inherent `realloc`'s contract is this method's,
                // which our caller upholds.
                unsafe { $core::realloc(self, cfg, be, p, size, align, new_size) }
            }
            fn stats(&self) -> Stats {
                $core::stats(self)
            }
            fn last_error(&self) -> Option<AllocError> {
                $core::last_error(self)
            }
            fn budget_for(&self, cfg: &Config) -> Option<u64> {
                $core::budget_for(self, cfg)
            }
            fn set_budget(&mut self, budget: Option<u64>) {
                $core::set_budget(self, budget)
            }
        }
    };
}
pub(crate) use forward_engine;

forward_engine!(Core);

/// A failed allocation's result: the engine's last error.
#[inline(always)]
fn result<C: Engine>(c: &C, p: *mut u8) -> Result<NonNull<u8>, AllocError> {
    NonNull::new(p).ok_or_else(|| c.last_error().unwrap_or(AllocError::OutOfMemory))
}

/// A global heap's state: its engine (`Core`, or the minimal heap's) and the
/// memory backend.
pub(crate) struct GlobalState<C> {
    pub(crate) core: C,
    pub(crate) backend: DefaultBackend,
}

impl<C: Engine> Shared<GlobalState<C>> {
    /// Run `f` on the state for a handle configured with `cfg`, or `busy`
    /// if the state is taken (re-entry from user code).
    ///
    /// (`f` is called directly between `enter` and `leave`: a closure layer
    /// that LLVM inlines only late makes it miss that `cfg` is a constant,
    /// and nothing folds: measured, 2,800 bytes more code and twice the fuel
    /// per call.)
    #[inline(always)]
    pub(crate) fn with<R>(
        &self,
        cfg: &Config,
        busy: impl FnOnce() -> R,
        f: impl FnOnce(&mut C, &mut DefaultBackend, &Config) -> R,
    ) -> R {
        let user = cfg.runs_user_code();
        if !self.enter(user) {
            return busy();
        }
        // SAFETY: entered just above, left just below.
        let state = unsafe { self.state() };
        let r = f(&mut state.core, &mut state.backend, cfg);
        self.leave(user);
        r
    }

    /// `try_alloc` of a global handle configured with `cfg`.
    #[inline(always)]
    pub(crate) fn try_alloc(
        &self,
        cfg: &Config,
        layout: Layout,
    ) -> Result<NonNull<u8>, AllocError> {
        self.with(
            cfg,
            || Err(self.refuse()),
            |c, b, cfg| {
                // SAFETY: `Layout` guarantees a power-of-two alignment; the
                // backend is the one this engine always uses (`with` passes
                // the global state's own).
                let p = unsafe { c.alloc(cfg, b, layout.size(), layout.align()) };
                result(c, p)
            },
        )
    }

    /// `try_realloc` of a global handle configured with `cfg`.
    ///
    /// # Safety
    /// `ptr` is a live allocation of this heap with `layout`.
    #[inline(always)]
    pub(crate) unsafe fn try_realloc(
        &self,
        cfg: &Config,
        ptr: NonNull<u8>,
        layout: Layout,
        new_size: usize,
    ) -> Result<NonNull<u8>, AllocError> {
        if Layout::from_size_align(new_size, layout.align()).is_err() {
            return Err(AllocError::LayoutTooLarge);
        }
        self.with(
            cfg,
            || Err(self.refuse()),
            |c, b, cfg| {
                // SAFETY: `Engine::realloc` needs `ptr` live in this engine
                // with `layout` and the engine's own backend: the caller
                // promises the first (every handle shares the one global
                // engine), and `with` passes the global state's own backend.
                let p = unsafe {
                    c.realloc(
                        cfg,
                        b,
                        ptr.as_ptr(),
                        layout.size(),
                        layout.align(),
                        new_size,
                    )
                };
                result(c, p)
            },
        )
    }

    /// `GlobalAlloc::alloc` of a handle configured with `cfg`.
    #[inline(always)]
    pub(crate) fn alloc(&self, cfg: &Config, layout: Layout) -> *mut u8 {
        self.with(
            cfg,
            || self.refuse_null(),
            |c, b, cfg| {
                // SAFETY: `Layout` alignment is a power of two; `with`
                // passes the global state's own backend.
                unsafe { c.alloc(cfg, b, layout.size(), layout.align()) }
            },
        )
    }

    /// `GlobalAlloc::dealloc` of a handle configured with `cfg`.
    ///
    /// # Safety
    /// `ptr` was allocated by this heap with `layout` and is not used
    /// afterwards.
    #[inline(always)]
    pub(crate) unsafe fn dealloc(&self, cfg: &Config, ptr: *mut u8, layout: Layout) {
        self.with(
            cfg,
            || (),
            |c, _, cfg| {
                // SAFETY: `Engine::dealloc` needs `ptr` returned by this
                // engine with `layout` and not freed since: the caller
                // promises it (every handle shares the one global engine).
                unsafe { c.dealloc(cfg, ptr, layout.size(), layout.align()) }
            },
        )
    }

    /// `GlobalAlloc::realloc` of a handle configured with `cfg`.
    ///
    /// # Safety
    /// `ptr` is a live allocation of this heap with `layout`.
    #[inline(always)]
    pub(crate) unsafe fn realloc(
        &self,
        cfg: &Config,
        ptr: *mut u8,
        layout: Layout,
        new_size: usize,
    ) -> *mut u8 {
        self.with(
            cfg,
            || self.refuse_null(),
            |c, b, cfg| {
                // SAFETY: `Engine::realloc` needs `ptr` live in this engine
                // with `layout` and the engine's own backend: the caller
                // promises the first (every handle shares the one global
                // engine), and `with` passes the global state's own backend.
                unsafe { c.realloc(cfg, b, ptr, layout.size(), layout.align(), new_size) }
            },
        )
    }

    /// `stats` of a global handle: the engine's, plus the requests refused
    /// because the state was busy.
    pub(crate) fn stats(&self, cfg: &Config) -> Stats {
        let mut s = self.with(cfg, Stats::default, |c, _, _| c.stats());
        s.failed_reentrant += self.refused();
        s
    }

    /// `last_error` of a global handle (`Reentrant` while the state is busy).
    pub(crate) fn last_error(&self, cfg: &Config) -> Option<AllocError> {
        self.with(
            cfg,
            || Some(AllocError::Reentrant),
            |c, _, _| c.last_error(),
        )
    }

    /// `growth_budget` of a global handle.
    pub(crate) fn growth_budget(&self, cfg: &Config) -> Option<u64> {
        self.with(cfg, || None, |c, _, cfg| c.budget_for(cfg))
    }

    /// `set_growth_budget` of a global handle.
    pub(crate) fn set_growth_budget(&self, cfg: &Config, budget: Option<u64>) {
        self.with(cfg, || (), |c, _, _| c.set_budget(budget))
    }
}

/// An owned heap: an engine, the backend it always uses, and its config
/// (behind [`LocalHeap`] and [`crate::mini::LocalMiniHeap`]).
#[derive(Debug)]
pub(crate) struct Owned<C, B> {
    pub(crate) core: C,
    pub(crate) backend: B,
    pub(crate) cfg: Config,
}

impl<C: Engine, B: PageSource> Owned<C, B> {
    /// Allocate; null on failure.
    #[inline]
    pub(crate) fn alloc(&mut self, layout: Layout) -> *mut u8 {
        // SAFETY: `Layout` alignment is a power of two; `self.backend` is the
        // only backend this engine has ever used.
        unsafe {
            self.core
                .alloc(&self.cfg, &mut self.backend, layout.size(), layout.align())
        }
    }

    /// Allocate, returning why on failure.
    #[inline]
    pub(crate) fn try_alloc(&mut self, layout: Layout) -> Result<NonNull<u8>, AllocError> {
        let p = self.alloc(layout);
        result(&self.core, p)
    }

    /// Free.
    ///
    /// # Safety
    /// `ptr` was allocated by this heap with `layout` and is not used
    /// afterwards.
    #[inline]
    pub(crate) unsafe fn dealloc(&mut self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `Engine::dealloc` needs `ptr` returned by this engine with
        // `layout` and not freed since: the caller promises it, and this
        // heap owns its engine.
        unsafe {
            self.core
                .dealloc(&self.cfg, ptr, layout.size(), layout.align())
        }
    }

    /// Resize; null on failure.
    ///
    /// # Safety
    /// `ptr` is a live allocation of this heap with `layout`.
    #[inline]
    pub(crate) unsafe fn realloc(
        &mut self,
        ptr: *mut u8,
        layout: Layout,
        new_size: usize,
    ) -> *mut u8 {
        // SAFETY: `Engine::realloc` needs `ptr` live in this engine with
        // `layout` and the engine's own backend: the caller promises the
        // first, and `self.backend` is the only backend this engine has
        // ever used.
        unsafe {
            self.core.realloc(
                &self.cfg,
                &mut self.backend,
                ptr,
                layout.size(),
                layout.align(),
                new_size,
            )
        }
    }

    /// Resize, returning why on failure.
    ///
    /// # Safety
    /// As for [`Owned::realloc`].
    #[inline]
    pub(crate) unsafe fn try_realloc(
        &mut self,
        ptr: NonNull<u8>,
        layout: Layout,
        new_size: usize,
    ) -> Result<NonNull<u8>, AllocError> {
        if Layout::from_size_align(new_size, layout.align()).is_err() {
            return Err(AllocError::LayoutTooLarge);
        }
        // SAFETY: `realloc` has this function's contract, which our caller
        // upholds; `new_size` was checked above to form a valid layout.
        let p = unsafe { self.realloc(ptr.as_ptr(), layout, new_size) };
        result(&self.core, p)
    }

    /// Growth budget left.
    pub(crate) fn growth_budget(&self) -> Option<u64> {
        self.core.budget_for(&self.cfg)
    }
}

static GLOBAL: Shared<GlobalState<Core>> = Shared::new(GlobalState {
    core: Core::new(),
    #[cfg(target_arch = "wasm32")]
    backend: crate::backend::WasmMemory::new(),
    // SAFETY: `NATIVE_MEMORY` is used by this backend only.
    #[cfg(not(target_arch = "wasm32"))]
    backend: unsafe { native_backend(&raw mut NATIVE_MEMORY) },
});

// ---------------------------------------------------------------------------
// Heap
// ---------------------------------------------------------------------------

/// The global allocator.
///
/// ```
/// #[global_allocator]
/// static HEAP: capheap::Heap = capheap::Heap::new(capheap::Config::DEFAULT);
/// # fn main() {}
/// ```
///
/// `Heap` is a handle holding the [`Config`]; the heap state itself is one per
/// program, because there is one linear memory. Declare exactly one `Heap`
/// (two handles would share the state but apply different caps).
///
/// * **wasm32**: the backend is the linear memory from `__heap_base` upward
///   (`backend::WasmMemory`). Contracts are single-threaded: without
///   the `atomics` target feature the heap takes no lock at all (zero cost),
///   unless the config runs user code (a custom pricing function or a gas
///   hook), in which case a busy flag makes re-entry fail with
///   [`AllocError::Reentrant`].
/// * **native**: the backend is a static buffer of
///   [`NATIVE_HEAP_PAGES`] simulated pages
///   (1 GiB unless `CAPHEAP_NATIVE_PAGES` says otherwise at build time,
///   starting with 0 pages; only touched pages cost memory) and every
///   call takes a spin lock, so `Heap` is sound as a process allocator in
///   multi-threaded host tests. A pricing function or gas hook that allocates
///   would deadlock there.
///
/// The config is kept in an immutable `static`, so with a constant `Config`
/// the compiler removes every check for a cap that is `None`, every pricing
/// model that is not selected and the gas hook import when it is absent.
#[derive(Debug)]
pub struct Heap {
    cfg: Config,
}

impl Heap {
    /// A heap handle with configuration `cfg`.
    ///
    /// ```
    /// #[global_allocator]
    /// static HEAP: capheap::Heap = capheap::Heap::new(
    ///     capheap::Config::DEFAULT
    ///         .max_memory_pages(256)
    ///         .pricing(capheap::PagePricing::STYLUS),
    /// );
    ///
    /// fn main() {
    ///     let v = vec![1u8; 1000];
    ///     assert!(HEAP.live_bytes() >= 1000);
    ///     drop(v);
    /// }
    /// ```
    pub const fn new(cfg: Config) -> Self {
        Self { cfg }
    }

    /// The configuration.
    ///
    /// ```
    /// static HEAP: capheap::Heap = capheap::Heap::new(capheap::Config::DEFAULT.max_memory_pages(64));
    ///
    /// assert_eq!(HEAP.config().max_memory_pages, Some(64));
    /// assert_eq!(HEAP.config().max_heap_bytes, None);
    /// ```
    pub const fn config(&self) -> &Config {
        &self.cfg
    }

    #[inline(always)]
    fn with<R>(
        &self,
        busy: impl FnOnce() -> R,
        f: impl FnOnce(&mut Core, &mut DefaultBackend, &Config) -> R,
    ) -> R {
        GLOBAL.with(&self.cfg, busy, f)
    }

    /// Allocate, returning why on failure (a cap, the budget, the gas hook,
    /// the backend, or an impossible layout). Zero-size layouts get a
    /// dangling, well-aligned pointer.
    ///
    /// ```
    /// use core::alloc::Layout;
    ///
    /// #[global_allocator]
    /// static HEAP: capheap::Heap =
    ///     capheap::Heap::new(capheap::Config::DEFAULT.max_heap_bytes(1 << 20));
    ///
    /// fn main() {
    ///     let layout = Layout::from_size_align(4096, 64).unwrap();
    ///     let p = HEAP.try_alloc(layout).unwrap();
    ///     assert_eq!(p.as_ptr() as usize % 64, 0);
    ///     // Past the 1 MiB cap: an error value, and nothing is grown.
    ///     let pages = HEAP.stats().pages_grown;
    ///     let err = HEAP.try_alloc(Layout::from_size_align(2 << 20, 8).unwrap()).unwrap_err();
    ///     assert!(matches!(err, capheap::AllocError::CapExceeded { .. }));
    ///     assert_eq!(HEAP.stats().pages_grown, pages);
    ///     // SAFETY: `p` was allocated with `layout` and is not used again.
    ///     unsafe { HEAP.try_dealloc(p, layout) }.unwrap();
    /// }
    /// ```
    pub fn try_alloc(&self, layout: Layout) -> Result<NonNull<u8>, AllocError> {
        GLOBAL.try_alloc(&self.cfg, layout)
    }

    /// Free, reporting detected misuse (`debug-checks`: double free, foreign
    /// pointer; the free is then ignored). Without `debug-checks` this always
    /// returns `Ok(())`.
    ///
    /// # Safety
    /// `ptr` was allocated by this heap with `layout` and is not used afterwards.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::alloc::Layout;
    ///
    /// static HEAP: capheap::Heap = capheap::Heap::new(capheap::Config::DEFAULT);
    ///
    /// let layout = Layout::new::<[u64; 4]>();
    /// let p = HEAP.try_alloc(layout).unwrap();
    /// // SAFETY: `p` was allocated by `HEAP` with `layout` and is not used again.
    /// assert_eq!(unsafe { HEAP.try_dealloc(p, layout) }, Ok(()));
    /// ```
    pub unsafe fn try_dealloc(&self, ptr: NonNull<u8>, layout: Layout) -> Result<(), AllocError> {
        // SAFETY: `try_dealloc_raw` has this function's contract (`ptr`
        // allocated by this heap with `layout`, unused afterwards), which our
        // caller upholds.
        unsafe { self.try_dealloc_raw(ptr.as_ptr(), layout) }
    }

    /// [`Heap::try_dealloc`] for a raw pointer.
    ///
    /// # Safety
    /// As for [`Heap::try_dealloc`].
    unsafe fn try_dealloc_raw(&self, ptr: *mut u8, layout: Layout) -> Result<(), AllocError> {
        self.with(
            || Err(AllocError::Reentrant),
            |c, _, cfg| {
                // SAFETY: `Core::checked_dealloc` needs `ptr` returned by this
                // core with `layout` and not freed since: the caller promises
                // it was allocated by this heap with `layout` and is not used
                // afterwards (the contract above), and every handle of this
                // heap shares the one global core.
                unsafe { c.checked_dealloc(cfg, ptr, layout.size(), layout.align()) }
            },
        )
    }

    /// Resize, returning why on failure (the old block is then untouched).
    ///
    /// # Safety
    /// As for [`GlobalAlloc::realloc`], except that `new_size` may be 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::alloc::Layout;
    ///
    /// static HEAP: capheap::Heap = capheap::Heap::new(capheap::Config::DEFAULT);
    ///
    /// let old = Layout::from_size_align(16, 8).unwrap();
    /// let p = HEAP.try_alloc(old).unwrap();
    /// // SAFETY: `p` is a live block of 16 writable bytes.
    /// unsafe { p.as_ptr().write_bytes(7, 16) };
    /// // SAFETY: `p` is live with `old`; it is replaced by `q`.
    /// let q = unsafe { HEAP.try_realloc(p, old, 4000) }.unwrap();
    /// // SAFETY: `q` holds the first 16 bytes of the old block.
    /// assert_eq!(unsafe { *q.as_ptr().add(15) }, 7);
    /// let new = Layout::from_size_align(4000, 8).unwrap();
    /// // SAFETY: `q` is live with `new` and is not used again.
    /// unsafe { HEAP.try_dealloc(q, new) }.unwrap();
    /// ```
    pub unsafe fn try_realloc(
        &self,
        ptr: NonNull<u8>,
        layout: Layout,
        new_size: usize,
    ) -> Result<NonNull<u8>, AllocError> {
        // SAFETY: `ptr` is a live allocation of this heap with `layout`: the
        // contract above, which our caller upholds.
        unsafe { GLOBAL.try_realloc(&self.cfg, ptr, layout, new_size) }
    }

    /// Current statistics.
    ///
    /// ```
    /// #[global_allocator]
    /// static HEAP: capheap::Heap = capheap::Heap::new(capheap::Config::DEFAULT);
    ///
    /// fn main() {
    ///     let before = HEAP.stats();
    ///     let v: Vec<u64> = Vec::with_capacity(100);
    ///     let s = HEAP.stats();
    ///     assert_eq!(s.live_bytes, before.live_bytes + 800);
    ///     assert_eq!(s.failed(), 0);
    ///     drop(v);
    ///     assert_eq!(HEAP.stats().live_bytes, before.live_bytes);
    /// }
    /// ```
    pub fn stats(&self) -> Stats {
        GLOBAL.stats(&self.cfg)
    }

    /// Walk the whole heap and check every invariant the allocator relies
    /// on (block tags, free lists, coalescing, accounting; see
    /// [`crate::walk`]). O(blocks × free blocks): for tests, fuzzing and
    /// debugging. An `Err` means the heap is corrupt.
    ///
    /// ```
    /// #[global_allocator]
    /// static HEAP: capheap::Heap = capheap::Heap::new(capheap::Config::DEFAULT);
    ///
    /// fn main() {
    ///     let v: Vec<String> = (0..100).map(|i| i.to_string()).collect();
    ///     drop(v);
    ///     let shape = HEAP.check_invariants().expect("heap is consistent");
    ///     assert!(shape.small_free >= 1);
    /// }
    /// ```
    pub fn check_invariants(&self) -> Result<HeapShape, InvariantError> {
        self.with(
            || {
                Err(InvariantError {
                    at: 0,
                    what: "heap busy (re-entered)",
                })
            },
            |c, b, cfg| c.check(b, cfg.detailed_stats),
        )
    }

    /// The most recent failure, if any.
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use capheap::{AllocError, CapKind};
    ///
    /// #[global_allocator]
    /// static HEAP: capheap::Heap = capheap::Heap::new(capheap::Config::DEFAULT.max_memory_pages(512));
    ///
    /// fn main() {
    ///     let huge = Layout::from_size_align(64 << 20, 8).unwrap();
    ///     // Through `GlobalAlloc` a refusal is only a null pointer; the heap
    ///     // keeps why.
    ///     // SAFETY: `huge` has a non-zero size.
    ///     assert!(unsafe { std::alloc::alloc(huge) }.is_null());
    ///     assert!(matches!(
    ///         HEAP.last_error(),
    ///         Some(AllocError::CapExceeded { cap: CapKind::MemoryPages, limit: 512, .. })
    ///     ));
    /// }
    /// ```
    pub fn last_error(&self) -> Option<AllocError> {
        GLOBAL.last_error(&self.cfg)
    }

    /// Growth budget left (`None` = unlimited).
    ///
    /// ```
    /// #[global_allocator]
    /// static HEAP: capheap::Heap = capheap::Heap::new(
    ///     capheap::Config::DEFAULT
    ///         .pricing(capheap::PagePricing::Flat { per_page: 10 })
    ///         .growth_budget(5_000),
    /// );
    ///
    /// fn main() {
    ///     let spent = HEAP.stats().growth_price_charged;
    ///     assert_eq!(HEAP.growth_budget(), Some(5_000 - spent));
    ///     let v = vec![0u8; 1 << 20];
    ///     // 16 more pages at 10 each (at least: the vector needs them).
    ///     assert!(HEAP.growth_budget() <= Some(5_000 - spent - 160));
    ///     drop(v);
    /// }
    /// ```
    pub fn growth_budget(&self) -> Option<u64> {
        GLOBAL.growth_budget(&self.cfg)
    }

    /// Replace the growth budget (e.g. at the start of each call).
    ///
    /// ```
    /// use core::alloc::Layout;
    ///
    /// #[global_allocator]
    /// static HEAP: capheap::Heap = capheap::Heap::new(
    ///     capheap::Config::DEFAULT.pricing(capheap::PagePricing::Flat { per_page: 10 }),
    /// );
    ///
    /// fn main() {
    ///     // A call may grow at most 2 pages' worth.
    ///     HEAP.set_growth_budget(Some(20));
    ///     let big = Layout::from_size_align(1 << 20, 8).unwrap();
    ///     assert!(matches!(
    ///         HEAP.try_alloc(big),
    ///         Err(capheap::AllocError::BudgetExhausted { price: 160, remaining: 20 })
    ///     ));
    ///     HEAP.set_growth_budget(None);
    ///     assert_eq!(HEAP.growth_budget(), None);
    /// }
    /// ```
    pub fn set_growth_budget(&self, budget: Option<u64>) {
        GLOBAL.set_growth_budget(&self.cfg, budget)
    }

    /// Bytes currently allocated.
    ///
    /// ```
    /// #[global_allocator]
    /// static HEAP: capheap::Heap = capheap::Heap::new(capheap::Config::DEFAULT);
    ///
    /// fn main() {
    ///     let before = HEAP.live_bytes();
    ///     let s = String::from("capheap");
    ///     assert_eq!(HEAP.live_bytes(), before + s.len());
    /// }
    /// ```
    pub fn live_bytes(&self) -> usize {
        self.stats().live_bytes as usize
    }
}

// SAFETY: `alloc` returns either null or a block of at least `layout.size()`
// bytes aligned to `layout.align()` that no other live allocation overlaps
// (size classes and boundary-tagged blocks are disjoint, see `engine`);
// `dealloc`/`realloc` follow the `GlobalAlloc` contract, preserving contents
// up to `min(old, new)` bytes on realloc.
unsafe impl GlobalAlloc for Heap {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        GLOBAL.alloc(&self.cfg, layout)
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        #[cfg(feature = "debug-checks")]
        if self.cfg.trap_on_invalid_free {
            // SAFETY: `try_dealloc_raw` has `GlobalAlloc::dealloc`'s contract
            // (`ptr` allocated by this allocator with `layout`), which our
            // caller upholds.
            if let Err(e) = unsafe { self.try_dealloc_raw(ptr, layout) } {
                // The lock is released: the trap may report (and allocate).
                trap_invalid_free(e);
            }
            return;
        }
        // SAFETY: `GlobalAlloc::dealloc`'s contract, which our caller
        // upholds, says `ptr` came from this allocator with `layout`.
        unsafe { GLOBAL.dealloc(&self.cfg, ptr, layout) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `GlobalAlloc::realloc`'s contract, which our caller
        // upholds, says `ptr` is live in this allocator with `layout`.
        unsafe { GLOBAL.realloc(&self.cfg, ptr, layout, new_size) }
    }
}

// ---------------------------------------------------------------------------
// LocalHeap
// ---------------------------------------------------------------------------

/// A heap that owns its backend and state: the same algorithm as [`Heap`],
/// for host tests, simulators, or a second heap inside a region.
///
/// Pointers it returns are valid until freed or until the `LocalHeap` (and its
/// backend memory) is dropped.
pub struct LocalHeap<B: PageSource> {
    h: Owned<Core, B>,
}

impl<B: PageSource> core::fmt::Debug for LocalHeap<B> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("LocalHeap")
            .field("cfg", &self.h.cfg)
            .field("stats", &self.h.core.stats())
            .finish_non_exhaustive()
    }
}

impl<B: PageSource> LocalHeap<B> {
    /// A heap over `backend` with `cfg`.
    ///
    /// ```
    /// use capheap::{backend::NativePages, Config, LocalHeap};
    ///
    /// // A heap over 16 simulated pages, starting with none, capped at 4.
    /// let heap = LocalHeap::new(NativePages::new(0, 16), Config::DEFAULT.max_memory_pages(4));
    /// assert_eq!(heap.stats().live_bytes, 0);
    /// ```
    pub fn new(backend: B, cfg: Config) -> Self {
        Self {
            h: Owned {
                core: Core::new(),
                backend,
                cfg,
            },
        }
    }

    /// The backend.
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use capheap::{backend::{NativePages, PageSource}, Config, LocalHeap};
    ///
    /// let mut heap = LocalHeap::new(NativePages::new(0, 16), Config::DEFAULT);
    /// heap.try_alloc(Layout::from_size_align(100_000, 8).unwrap()).unwrap();
    /// // 100,000 bytes and a header need exactly 2 pages.
    /// assert_eq!(heap.backend().pages(), 2);
    /// ```
    pub fn backend(&self) -> &B {
        &self.h.backend
    }

    /// The configuration.
    ///
    /// ```
    /// use capheap::{backend::NativePages, Config, LocalHeap};
    ///
    /// let heap = LocalHeap::new(NativePages::new(0, 16), Config::DEFAULT.max_heap_bytes(4096));
    /// assert_eq!(heap.config().max_heap_bytes, Some(4096));
    /// ```
    pub fn config(&self) -> &Config {
        &self.h.cfg
    }

    /// Allocate; null on failure (see [`LocalHeap::last_error`]).
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use capheap::{backend::NativePages, AllocError, Config, LocalHeap};
    ///
    /// let mut heap = LocalHeap::new(NativePages::new(0, 1), Config::DEFAULT);
    /// let p = heap.alloc(Layout::new::<u64>());
    /// assert!(!p.is_null());
    /// // More than the backend's one page: null, and the reason is kept.
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
    /// use capheap::{backend::NativePages, AllocError, CapKind, Config, LocalHeap};
    ///
    /// let mut heap = LocalHeap::new(NativePages::new(0, 16), Config::DEFAULT.max_memory_pages(2));
    /// let p = heap.try_alloc(Layout::from_size_align(256, 256).unwrap()).unwrap();
    /// assert_eq!(p.as_ptr() as usize % 256, 0);
    /// let err = heap.try_alloc(Layout::from_size_align(200_000, 8).unwrap()).unwrap_err();
    /// assert!(matches!(err, AllocError::CapExceeded { cap: CapKind::MemoryPages, limit: 2, .. }));
    /// ```
    pub fn try_alloc(&mut self, layout: Layout) -> Result<NonNull<u8>, AllocError> {
        self.h.try_alloc(layout)
    }

    /// Free. With `debug-checks` and [`Config::trap_on_invalid_free`], an
    /// invalid free traps; otherwise it is counted and ignored.
    ///
    /// # Safety
    /// `ptr` was allocated by this heap with `layout` and is not used afterwards.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use capheap::{backend::NativePages, Config, LocalHeap};
    ///
    /// let mut heap = LocalHeap::new(NativePages::new(0, 16), Config::DEFAULT);
    /// let layout = Layout::new::<[u8; 48]>();
    /// let p = heap.alloc(layout);
    /// // SAFETY: `p` was allocated by `heap` with `layout` and is not used again.
    /// unsafe { heap.dealloc(p, layout) };
    /// assert_eq!(heap.stats().live_bytes, 0);
    /// // The freed object serves the next request of its size class.
    /// assert_eq!(heap.alloc(layout), p);
    /// ```
    pub unsafe fn dealloc(&mut self, ptr: *mut u8, layout: Layout) {
        #[cfg(feature = "debug-checks")]
        if self.h.cfg.trap_on_invalid_free {
            // SAFETY: `checked_dealloc` has this function's contract (`ptr`
            // allocated by this heap with `layout`, unused afterwards), which
            // our caller upholds.
            if let Err(e) = unsafe { self.checked_dealloc(ptr, layout) } {
                trap_invalid_free(e);
            }
            return;
        }
        // SAFETY: `Owned::dealloc` has this function's contract (`ptr`
        // allocated by this heap with `layout`, unused afterwards), which our
        // caller upholds.
        unsafe { self.h.dealloc(ptr, layout) }
    }

    /// Free, reporting detected misuse (`debug-checks`).
    ///
    /// # Safety
    /// As for [`LocalHeap::dealloc`] (with `debug-checks`, double frees and
    /// foreign pointers are detected where possible and ignored).
    ///
    /// # Examples
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use capheap::{backend::NativePages, Config, LocalHeap};
    ///
    /// let mut heap = LocalHeap::new(NativePages::new(0, 16), Config::DEFAULT);
    /// let layout = Layout::new::<[u8; 48]>();
    /// let p = heap.try_alloc(layout).unwrap();
    /// // SAFETY: `p` was allocated by `heap` with `layout` and is not used again.
    /// assert_eq!(unsafe { heap.try_dealloc(p, layout) }, Ok(()));
    /// // With the `debug-checks` feature, freeing `p` again would be
    /// // `Err(AllocError::DoubleFree)` and change nothing.
    /// ```
    pub unsafe fn try_dealloc(
        &mut self,
        ptr: NonNull<u8>,
        layout: Layout,
    ) -> Result<(), AllocError> {
        // SAFETY: `checked_dealloc` has this function's contract (`ptr`
        // allocated by this heap with `layout`, unused afterwards), which our
        // caller upholds.
        unsafe { self.checked_dealloc(ptr.as_ptr(), layout) }
    }

    /// # Safety
    /// As for [`LocalHeap::dealloc`].
    unsafe fn checked_dealloc(&mut self, ptr: *mut u8, layout: Layout) -> Result<(), AllocError> {
        // SAFETY: `Core::checked_dealloc` needs `ptr` returned by this core
        // with `layout` and not freed since: the caller promises it, and this
        // heap owns its core.
        unsafe {
            self.h
                .core
                .checked_dealloc(&self.h.cfg, ptr, layout.size(), layout.align())
        }
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
    /// use capheap::{backend::NativePages, Config, LocalHeap};
    ///
    /// let mut heap = LocalHeap::new(NativePages::new(0, 16), Config::DEFAULT);
    /// let layout = Layout::from_size_align(10_000, 8).unwrap();
    /// let p = heap.alloc(layout);
    /// // SAFETY: `p` is live with `layout`. At the top of the heap a block
    /// // grows in place.
    /// let q = unsafe { heap.realloc(p, layout, 20_000) };
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
    /// As for [`LocalHeap::realloc`].
    ///
    /// # Examples
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use capheap::{backend::NativePages, Config, LocalHeap};
    ///
    /// let mut heap = LocalHeap::new(NativePages::new(0, 16), Config::DEFAULT.max_heap_bytes(8192));
    /// let layout = Layout::from_size_align(1000, 8).unwrap();
    /// let p = heap.try_alloc(layout).unwrap();
    /// // SAFETY: `p` is live with `layout`; a refused resize leaves it so.
    /// let err = unsafe { heap.try_realloc(p, layout, 100_000) }.unwrap_err();
    /// assert!(matches!(err, capheap::AllocError::CapExceeded { .. }));
    /// assert_eq!(heap.stats().live_bytes, 1000);
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

    /// Usable bytes of a live allocation (size class or block payload).
    ///
    /// # Safety
    /// `ptr` is a live allocation of this heap with `layout`.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use capheap::{backend::NativePages, Config, LocalHeap};
    ///
    /// let mut heap = LocalHeap::new(NativePages::new(0, 16), Config::DEFAULT);
    /// let layout = Layout::from_size_align(13, 1).unwrap();
    /// let p = heap.alloc(layout);
    /// // SAFETY: `p` is live with `layout`. 13 bytes take a 16-byte class.
    /// assert_eq!(unsafe { heap.usable_size(p, layout) }, 16);
    /// ```
    pub unsafe fn usable_size(&self, ptr: *mut u8, layout: Layout) -> usize {
        // SAFETY: `Core::usable_size` needs `ptr` live in this core with
        // `layout`: the caller promises it is a live allocation of this heap
        // with `layout` (the contract above), and this heap owns its core.
        unsafe { self.h.core.usable_size(ptr, layout.size(), layout.align()) }
    }

    /// Current statistics.
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use capheap::{backend::NativePages, Config, LocalHeap};
    ///
    /// let mut heap = LocalHeap::new(NativePages::new(0, 16), Config::DEFAULT.detailed_stats(true));
    /// let layout = Layout::from_size_align(13, 1).unwrap();
    /// heap.alloc(layout);
    /// let s = heap.stats();
    /// assert_eq!((s.live_bytes, s.allocs, s.rounding_waste_bytes), (13, 1, 3));
    /// assert_eq!(s.pages_grown, 1);
    /// ```
    pub fn stats(&self) -> Stats {
        self.h.core.stats()
    }

    /// The most recent failure, if any.
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use capheap::{backend::NativePages, AllocError, Config, LocalHeap};
    ///
    /// let mut heap = LocalHeap::new(NativePages::new(0, 16), Config::DEFAULT);
    /// assert_eq!(heap.last_error(), None);
    /// assert!(heap.alloc(Layout::from_size_align(1 << 30, 8).unwrap()).is_null());
    /// assert_eq!(heap.last_error(), Some(AllocError::OutOfMemory));
    /// ```
    pub fn last_error(&self) -> Option<AllocError> {
        self.h.core.last_error()
    }

    /// Take (and clear) the most recent failure.
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use capheap::{backend::NativePages, AllocError, Config, LocalHeap};
    ///
    /// let mut heap = LocalHeap::new(NativePages::new(0, 16), Config::DEFAULT);
    /// assert!(heap.alloc(Layout::from_size_align(1 << 30, 8).unwrap()).is_null());
    /// assert_eq!(heap.take_last_error(), Some(AllocError::OutOfMemory));
    /// assert_eq!(heap.last_error(), None);
    /// ```
    pub fn take_last_error(&mut self) -> Option<AllocError> {
        self.h.core.take_last_error()
    }

    /// Growth budget left (`None` = unlimited).
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use capheap::{backend::NativePages, Config, LocalHeap, PagePricing};
    ///
    /// let cfg = Config::DEFAULT.pricing(PagePricing::Flat { per_page: 100 }).growth_budget(250);
    /// let mut heap = LocalHeap::new(NativePages::new(0, 16), cfg);
    /// assert_eq!(heap.growth_budget(), Some(250));
    /// heap.try_alloc(Layout::from_size_align(100_000, 8).unwrap()).unwrap();
    /// // Two pages at 100 each.
    /// assert_eq!(heap.growth_budget(), Some(50));
    /// ```
    pub fn growth_budget(&self) -> Option<u64> {
        self.h.growth_budget()
    }

    /// Replace the growth budget.
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use capheap::{backend::NativePages, AllocError, Config, LocalHeap, PagePricing};
    ///
    /// let cfg = Config::DEFAULT.pricing(PagePricing::Flat { per_page: 100 });
    /// let mut heap = LocalHeap::new(NativePages::new(0, 16), cfg);
    /// heap.set_growth_budget(Some(50));
    /// let page = Layout::from_size_align(60_000, 8).unwrap();
    /// assert_eq!(
    ///     heap.try_alloc(page),
    ///     Err(AllocError::BudgetExhausted { price: 100, remaining: 50 })
    /// );
    /// heap.set_growth_budget(Some(100));
    /// assert!(heap.try_alloc(page).is_ok());
    /// assert_eq!(heap.growth_budget(), Some(0));
    /// ```
    pub fn set_growth_budget(&mut self, budget: Option<u64>) {
        self.h.core.set_budget(budget);
    }

    /// The growth meter (pages grown, price charged, high-water mark).
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use capheap::{backend::NativePages, Config, LocalHeap, PagePricing};
    ///
    /// let mut heap = LocalHeap::new(NativePages::new(0, 16), Config::DEFAULT.pricing(PagePricing::NEAR));
    /// heap.try_alloc(Layout::from_size_align(100_000, 8).unwrap()).unwrap();
    /// let m = heap.meter();
    /// assert_eq!((m.pages_grown(), m.high_water_pages()), (2, 2));
    /// // NEAR's preset: a base per growth plus a price per page.
    /// assert_eq!(m.charged(), 822_756 + 2 * 822_756);
    /// ```
    pub fn meter(&self) -> &GrowthMeter {
        self.h.core.meter()
    }

    /// `(heap start address, current top address)`; `top - start` minus any
    /// foreign gaps is [`Stats::heap_bytes`].
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use capheap::{backend::NativePages, Config, LocalHeap};
    ///
    /// let mut heap = LocalHeap::new(NativePages::new(0, 16), Config::DEFAULT);
    /// heap.alloc(Layout::new::<[u8; 40]>());
    /// let (start, top) = heap.bounds();
    /// assert_eq!(top - start, 40);
    /// assert_eq!(heap.stats().heap_bytes, 40);
    /// ```
    pub fn bounds(&self) -> (usize, usize) {
        self.h.core.bounds()
    }

    /// Walk the whole heap and check every invariant (see
    /// [`Heap::check_invariants`] and [`crate::walk`]).
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use capheap::{backend::NativePages, Config, LocalHeap};
    ///
    /// let mut heap = LocalHeap::new(NativePages::new(0, 16), Config::DEFAULT);
    /// let big = Layout::from_size_align(4000, 8).unwrap();
    /// let a = heap.alloc(big);
    /// let b = heap.alloc(big);
    /// unsafe { heap.dealloc(a, big) };
    /// let shape = heap.check_invariants().unwrap();
    /// assert_eq!((shape.used_blocks, shape.free_blocks), (1, 1));
    /// # unsafe { heap.dealloc(b, big) };
    /// ```
    pub fn check_invariants(&self) -> Result<HeapShape, InvariantError> {
        self.h
            .core
            .check(&self.h.backend, self.h.cfg.detailed_stats)
    }
}

/// Stop the program on an invalid free ([`Config::trap_on_invalid_free`]).
#[cfg(feature = "debug-checks")]
#[cold]
#[inline(never)]
fn trap_invalid_free(e: AllocError) -> ! {
    #[cfg(target_arch = "wasm32")]
    {
        let _ = e;
        core::arch::wasm32::unreachable()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        /// A panic cannot unwind out of an `extern "C"` function: Rust aborts
        /// the process after printing the message (no unwinding through the
        /// allocator, which would be undefined behaviour).
        extern "C" fn abort(code: u8) -> ! {
            panic!("capheap: invalid free detected (AllocError code {code}); aborting")
        }
        abort(e.code())
    }
}
