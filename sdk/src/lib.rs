//! capheap: deterministic, capped, gas-metered memory for wasm smart contracts.
//!
//! * [`Heap`]: a `#[global_allocator]` with headerless size classes for small
//!   objects, O(1) coalescing segregated fits for large blocks, in-place
//!   realloc, an O(1) reset when nothing is live (and the footprint exceeds
//!   [`layout::RESET_MIN`]), hard caps, and metered
//!   growth priced by [`PagePricing`] (EVM, Stylus, NEAR, flat, custom).
//! * [`mini::MiniHeap`]: the same caps, pricing and gas hook around a
//!   smaller allocator (size classes and a stack-like top; large blocks freed
//!   below the top wait for the heap to empty), for contracts where code size
//!   comes first.
//! * [`arena::Arena`] (bump regions with checkpoints and scopes),
//!   [`pool::Pool`] (typed O(1) pools) and [`pool::ClassPools`].
//! * [`Stats`] readable in the contract and exportable to the host
//!   ([`export_stats!`]), and a host allocation ABI ([`export_host_abi!`]).
//!
//! Everything is integer-only and deterministic: no hashing, no time, no
//! randomness, no floats. Contracts are single-threaded; on the host the same
//! code runs over [`backend::NativePages`] (and behind a lock when used as the
//! process allocator).
//!
//! ```
//! use core::alloc::Layout;
//! use capheap::{AllocError, Config, Heap, PagePricing};
//!
//! // On wasm32 this heap lives in linear memory above `__heap_base`; on the
//! // host (where this example runs) in a simulated memory of
//! // `heap::NATIVE_HEAP_PAGES` pages (1 GiB by default).
//! #[global_allocator]
//! static HEAP: Heap = Heap::new(Config {
//!     max_memory_pages: Some(64),
//!     pricing: PagePricing::STYLUS,
//!     ..Config::DEFAULT
//! });
//!
//! fn main() {
//!     let v: Vec<u64> = (0..1000).collect();
//!     assert_eq!(v.iter().sum::<u64>(), 499_500);
//!     assert!(HEAP.stats().live_bytes >= 8000);
//!
//!     // A request that would cross the cap is an error value, not a trap,
//!     // and nothing is grown.
//!     let grown = HEAP.stats().pages_grown;
//!     let big = Layout::from_size_align(8 << 20, 8).unwrap();
//!     let err = HEAP.try_alloc(big).unwrap_err();
//!     assert!(matches!(err, AllocError::CapExceeded { .. }));
//!     assert_eq!(HEAP.stats().pages_grown, grown);
//!     assert_eq!(HEAP.stats().failed_cap, 1);
//! }
//! ```
//!
//! See `docs/src/allocator-design.md`, `caps-and-errors.md`,
//! `growth-pricing.md` and `linking.md` in the repository for the design,
//! the growth bound, pricing formulas and a complete contract.
#![no_std]
#![deny(missing_docs)]
#![forbid(unsafe_op_in_unsafe_fn)]

extern crate alloc;

#[cfg(test)]
extern crate std;

pub mod abi;
pub mod arena;
pub mod backend;
pub mod cap;
mod config;
mod engine;
pub mod heap;
mod large;
pub mod meter;
pub mod mini;
pub mod pool;
mod small;
pub mod stats;
mod sync;
mod util;

pub use abi::{HOST_ALLOC_EXPORT, HOST_FREE_EXPORT, Region};
pub use cap::{AllocError, CapKind};
pub use config::Config;
pub use engine::walk;
pub use heap::{Heap, LocalHeap};
pub use meter::{GrowthMeter, GrowthRequest, PagePricing, ParsePricingError};
pub use stats::{STATS_EXPORT, Stats, StatsLenError};
pub use util::PAGE_SIZE;
pub use walk::{HeapShape, InvariantError};

/// Size-class and block-layout constants (for tests, tools and the docs).
pub mod layout {
    pub use crate::engine::{RESERVE, RESET_MIN};
    pub use crate::large::{HDR as LARGE_HEADER, MIN_BLOCK};
    pub use crate::small::{
        GRAN as SMALL_ALIGN, NUM_SMALL as NUM_CLASSES, SMALL_MAX, class_of, class_size,
    };
}
