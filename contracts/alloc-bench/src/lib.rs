//! `alloc-bench`: one allocation workload, built once per global allocator.
//!
//! The `#[global_allocator]` is chosen by exactly one cargo feature: `bump`
//! (the default; 20 lines, never frees: the floor), `capheap`, `dlmalloc`,
//! `talc`, `rlsf`, `lol_alloc` or `wee_alloc`. Everything else is the same
//! source, so fuel, page and code-size differences between the variants are
//! the allocator's.
//!
//! Exports (call convention v0, see `docs/src/simulator.md`); numeric
//! arguments arrive as the call input, little-endian `u32`s:
//! - `capheap_alloc(len) -> ptr`: hands the host a *static* 64-byte input
//!   buffer, so placing the input never touches the allocator under test.
//! - `alloc_free`, `vec_push`, `churn`, `btree`, `strings`, `large_buffers`
//!   `(n) -> checksum`: the workloads of [`workloads`].
//! - `one_alloc(size) -> ptr`, `one_free(ptr, size) -> 0` and
//!   `one_realloc(ptr, old_size, new_size) -> ptr`: exactly one allocator
//!   call (align 8), for per-call fuel. Called with size 0 / a null pointer
//!   they skip the allocator: the host subtracts that call's fuel.
//! - `large_buffers_w4`, `_w16`, `_w64`, `_w256` `(n) -> checksum` (feature
//!   `large-windows`): [`workloads::large_buffers_in`] with that many slots.
//! - `allocator_id() -> id`: which allocator this build links (see [`ALLOCATOR_ID`]).
#![no_std]

extern crate alloc;

use core::alloc::Layout;

pub mod workloads;

#[cfg(feature = "bump")]
mod bump;

#[cfg(not(any(
    feature = "bump",
    feature = "capheap",
    feature = "capheap-mini",
    feature = "dlmalloc",
    feature = "talc",
    feature = "rlsf",
    feature = "lol_alloc",
    feature = "wee_alloc"
)))]
compile_error!(
    "alloc-bench needs one allocator feature: bump, capheap, capheap-mini, dlmalloc, talc, rlsf, lol_alloc or wee_alloc"
);

/// How many allocator features are on: exactly one may be.
const ALLOCATORS_ENABLED: usize = cfg!(feature = "bump") as usize
    + cfg!(feature = "capheap") as usize
    + cfg!(feature = "capheap-mini") as usize
    + cfg!(feature = "dlmalloc") as usize
    + cfg!(feature = "talc") as usize
    + cfg!(feature = "rlsf") as usize
    + cfg!(feature = "lol_alloc") as usize
    + cfg!(feature = "wee_alloc") as usize;
const _: () = assert!(
    ALLOCATORS_ENABLED == 1,
    "alloc-bench: enable exactly one allocator feature (with --no-default-features for any but bump)"
);

#[cfg(feature = "bump")]
#[global_allocator]
static ALLOC: bump::Bump = bump::Bump;

#[cfg(feature = "capheap")]
#[global_allocator]
static ALLOC: capheap::Heap = capheap::Heap::new(CAPHEAP_CONFIG);

#[cfg(feature = "capheap-mini")]
#[global_allocator]
static ALLOC: capheap::mini::MiniHeap = capheap::mini::MiniHeap::new(
    // `capheap-mini-moving`: the smallest configuration (every realloc moves).
    capheap::Config::DEFAULT.realloc_in_place(!cfg!(feature = "capheap-mini-moving")),
);

/// capheap's configuration: the default, or one option turned on by a
/// `capheap-*` feature (see `Cargo.toml`), for the benchmark page's table of
/// what each option costs.
#[cfg(feature = "capheap")]
const CAPHEAP_CONFIG: capheap::Config = {
    let mut cfg = capheap::Config::DEFAULT;
    if cfg!(feature = "capheap-stats") {
        cfg = cfg.detailed_stats(true);
    }
    if cfg!(feature = "capheap-caps") {
        cfg = cfg.max_memory_pages(1024).max_heap_bytes(48 << 20);
    }
    if cfg!(feature = "capheap-moving") {
        cfg = cfg.realloc_in_place(false);
    }
    #[cfg(all(feature = "capheap-metered", target_arch = "wasm32"))]
    {
        cfg = cfg
            .pricing(capheap::PagePricing::STYLUS)
            .growth_budget(1 << 40)
            .host_gas_hook();
    }
    cfg
};

#[cfg(feature = "dlmalloc")]
#[global_allocator]
static ALLOC: dlmalloc::GlobalDlmalloc = dlmalloc::GlobalDlmalloc;

#[cfg(feature = "talc")]
#[global_allocator]
static ALLOC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

#[cfg(feature = "rlsf")]
#[global_allocator]
static ALLOC: rlsf::GlobalTlsf = rlsf::GlobalTlsf::new();

#[cfg(feature = "lol_alloc")]
#[global_allocator]
// SAFETY: wasm32 contracts are single-threaded.
static ALLOC: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };

#[cfg(feature = "wee_alloc")]
#[global_allocator]
static ALLOC: wee_alloc::WeeAlloc = wee_alloc::WeeAlloc::INIT;

/// The linked allocator, as `allocator_id()` reports it: bump 1, capheap 2,
/// dlmalloc 3, talc 4, rlsf 5, lol_alloc 6, wee_alloc 7, capheap's
/// `MiniHeap` 8.
pub const ALLOCATOR_ID: u32 = if cfg!(feature = "bump") {
    1
} else if cfg!(feature = "capheap") {
    2
} else if cfg!(feature = "capheap-mini") {
    8
} else if cfg!(feature = "dlmalloc") {
    3
} else if cfg!(feature = "talc") {
    4
} else if cfg!(feature = "rlsf") {
    5
} else if cfg!(feature = "lol_alloc") {
    6
} else {
    7
};

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

/// Size of the static input buffer.
const INPUT_CAP: usize = 64;

struct InputBuf(core::cell::UnsafeCell<[u8; INPUT_CAP]>);
// SAFETY: wasm32 contracts are single-threaded.
unsafe impl Sync for InputBuf {}
static INPUT: InputBuf = InputBuf(core::cell::UnsafeCell::new([0; INPUT_CAP]));

/// Where the host writes call input: a static buffer (0 when `len` does not
/// fit), so input placement costs the same fuel for every allocator.
#[unsafe(no_mangle)]
pub extern "C" fn capheap_alloc(len: u32) -> u32 {
    if len as usize <= INPUT_CAP {
        INPUT.0.get() as u32
    } else {
        0
    }
}

/// Argument `i` of the input: a little-endian `u32` at byte `4 * i` (0 if absent).
fn arg(ptr: u32, len: u32, i: u32) -> u32 {
    if len < 4 * (i + 1) {
        return 0;
    }
    // SAFETY: the host wrote `len` bytes at `ptr` (a buffer from
    // `capheap_alloc`), and `4 * i + 4 <= len`.
    unsafe { core::ptr::read_unaligned((ptr + 4 * i) as *const u32) }
}

/// Which allocator this build links ([`ALLOCATOR_ID`]).
#[unsafe(no_mangle)]
pub extern "C" fn allocator_id() -> u32 {
    ALLOCATOR_ID
}

macro_rules! export_workloads {
    ($($name:ident),*) => {$(
        #[doc = concat!("Runs [`workloads::", stringify!($name), "`] with `n` from the input.")]
        #[unsafe(no_mangle)]
        pub extern "C" fn $name(ptr: u32, len: u32) -> u32 {
            workloads::$name(arg(ptr, len, 0))
        }
    )*};
}
export_workloads!(
    alloc_free,
    vec_push,
    churn,
    btree,
    strings,
    large_buffers,
    random_sizes
);

/// `large_buffers` with more slots (feature `large-windows`, a build of its
/// own so that these exports do not change the measured code size).
#[cfg(feature = "large-windows")]
macro_rules! export_large_windows {
    ($($name:ident = $w:literal),*) => {$(
        #[doc = concat!("Runs [`workloads::large_buffers_in`] with ", stringify!($w), " slots and `n` from the input.")]
        #[unsafe(no_mangle)]
        pub extern "C" fn $name(ptr: u32, len: u32) -> u32 {
            workloads::large_buffers_in::<$w>(arg(ptr, len, 0))
        }
    )*};
}
#[cfg(feature = "large-windows")]
export_large_windows!(
    large_buffers_w4 = 4,
    large_buffers_w16 = 16,
    large_buffers_w64 = 64,
    large_buffers_w256 = 256
);
#[cfg(feature = "large-windows")]
const _: () = assert!(
    workloads::LARGE_WINDOWS.len() == 4
        && workloads::LARGE_WINDOWS[0] == 4
        && workloads::LARGE_WINDOWS[1] == 16
        && workloads::LARGE_WINDOWS[2] == 64
        && workloads::LARGE_WINDOWS[3] == 256,
    "export_large_windows! must export every window of LARGE_WINDOWS"
);

/// The live set of the steady-state export, kept across calls.
struct Steady(core::cell::UnsafeCell<workloads::RandomSizes>);

// SAFETY: `Sync` lets the `static` exist; wasm32 without the `atomics`
// target feature (how every contract here is built) has no threads, so no
// two accesses can overlap.
unsafe impl Sync for Steady {}

static STEADY: Steady = Steady(core::cell::UnsafeCell::new(workloads::RandomSizes::new()));

/// Steady state: runs `n` (input 0) more operations of
/// [`workloads::RandomSizes`] on the live set this instance has kept since
/// its first call (nothing is freed at the end), and returns the set's peak
/// live bytes during this call. The host calls it many times on one
/// instance and watches the pages.
#[unsafe(no_mangle)]
pub extern "C" fn random_steady(ptr: u32, len: u32) -> u32 {
    // SAFETY: single-threaded wasm, no re-entry (the allocator does not call
    // back into the contract): this is the only reference to the state.
    let set = unsafe { &mut *STEADY.0.get() };
    core::hint::black_box(set.run(arg(ptr, len, 0)));
    set.peak as u32
}

/// The layout of a per-call block: `size` bytes, align 8 (`None` for 0).
fn layout(size: u32) -> Option<Layout> {
    if size == 0 {
        return None;
    }
    Layout::from_size_align(size as usize, 8).ok()
}

// The per-call exports reach the allocator through these never-inlined
// wrappers, so every variant's allocator code sits in a function of its own
// (inlined into the wrapper, or called from it) that the skipped baseline
// call never enters: wasmi charges a function's straight-line body on entry,
// and an allocator inlined straight into the export would otherwise be
// charged to the baseline as well.

#[inline(never)]
fn do_alloc(layout: Layout) -> *mut u8 {
    // SAFETY: callers pass a non-zero-size layout.
    unsafe { alloc::alloc::alloc(layout) }
}

#[inline(never)]
fn do_dealloc(block: *mut u8, layout: Layout) {
    // SAFETY: callers pass a live block allocated with `layout`.
    unsafe { alloc::alloc::dealloc(block, layout) }
}

#[inline(never)]
fn do_realloc(block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
    // SAFETY: callers pass a live block allocated with `layout` and a
    // non-zero `new_size`.
    unsafe { alloc::alloc::realloc(block, layout, new_size) }
}

/// Exactly one allocation of `size` (input 0) bytes, align 8; returns the
/// pointer. With `size` 0 it returns 0 without calling the allocator: that
/// call is the host's fuel baseline, so the difference is the allocator's.
#[unsafe(no_mangle)]
pub extern "C" fn one_alloc(ptr: u32, len: u32) -> u32 {
    match layout(arg(ptr, len, 0)) {
        Some(layout) => do_alloc(layout) as u32,
        None => 0,
    }
}

/// Exactly one free of the block at `ptr` (input 0) of `size` (input 1)
/// bytes. With a null `ptr` it frees nothing: the fuel baseline.
#[unsafe(no_mangle)]
pub extern "C" fn one_free(ptr: u32, len: u32) -> u32 {
    let block = arg(ptr, len, 0);
    if let (true, Some(layout)) = (block != 0, layout(arg(ptr, len, 1))) {
        // The host passes back a pointer `one_alloc(size)` or
        // `one_realloc(.., size)` returned, with that size, exactly once.
        do_dealloc(block as *mut u8, layout);
    }
    0
}

/// Exactly one realloc of the block at `ptr` (input 0) from `old_size`
/// (input 1) to `new_size` (input 2) bytes; returns the new pointer. With a
/// null `ptr` it does nothing and returns 0: the fuel baseline.
#[unsafe(no_mangle)]
pub extern "C" fn one_realloc(ptr: u32, len: u32) -> u32 {
    let block = arg(ptr, len, 0);
    let new_size = arg(ptr, len, 2);
    match (block != 0 && new_size != 0, layout(arg(ptr, len, 1))) {
        // The host passes back a live block from `one_alloc` / `one_realloc`
        // with its current size, and uses only the returned pointer afterwards.
        (true, Some(layout)) => do_realloc(block as *mut u8, layout, new_size as usize) as u32,
        _ => 0,
    }
}
