//! Allocation statistics, readable by the contract and exportable to the host.
//!
//! [`Stats`] is plain integers with a fixed encoding, borsh's
//! ([`Stats::ENCODED_LEN`] bytes: every field as little-endian `u64`, in
//! declaration order). Contracts export it with [`crate::export_stats!`]; the
//! host decodes it with [`Stats::decode`]. Neither needs the borsh crate;
//! the `borsh` feature adds its traits for hosts that want them.

use crate::cap::AllocError;

/// Name of the stats export defined by [`crate::export_stats!`]:
/// `capheap_stats() -> i64` returning `(ptr << 32) | len`.
pub const STATS_EXPORT: &str = "capheap_stats";

/// Declares [`Stats`] from one list of its fields, and from the same list
/// its field count, its fields as an array in declaration order and the
/// inverse: the encoding's order is the declaration's, written once.
macro_rules! stats_fields {
    (
        $(#[$meta:meta])*
        pub struct Stats { $($(#[$doc:meta])* pub $field:ident: u64,)* }
    ) => {
        $(#[$meta])*
        pub struct Stats { $($(#[$doc])* pub $field: u64,)* }

        impl Stats {
            /// Number of `u64` fields.
            pub const FIELDS: usize = [$(stringify!($field)),*].len();

            /// The fields in declaration order.
            fn fields(&self) -> [u64; Self::FIELDS] {
                [$(self.$field),*]
            }

            /// The inverse of [`Stats::fields`].
            fn from_fields(words: [u64; Self::FIELDS]) -> Stats {
                let [$($field),*] = words;
                Stats { $($field),* }
            }
        }
    };
}

stats_fields! {
/// Allocation statistics. All counters are cumulative since the allocator was
/// created, except `live_bytes`, `heap_bytes` and `rounding_waste_bytes`,
/// which describe the current state.
///
/// With the `serde` feature it also implements `serde::Serialize` and
/// `Deserialize` (a struct of its fields, by name); with the `borsh` feature,
/// `BorshSerialize` and `BorshDeserialize` (the bytes of
/// [`Stats::encode_into`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "borsh",
    derive(borsh::BorshSerialize, borsh::BorshDeserialize)
)]
pub struct Stats {
    /// Bytes currently allocated (sum of requested sizes).
    pub live_bytes: u64,
    /// Highest `live_bytes` ever.
    pub peak_live_bytes: u64,
    /// Current footprint: bytes between the heap start and its top.
    pub heap_bytes: u64,
    /// Pages grown by this allocator.
    pub pages_grown: u64,
    /// Total growth price charged.
    pub growth_price_charged: u64,
    /// Successful allocations (not counting reallocations).
    pub allocs: u64,
    /// Frees.
    pub frees: u64,
    /// Successful reallocations.
    pub reallocs: u64,
    /// Times the allocator reset itself because nothing was live (only done
    /// when its footprint exceeded `layout::RESET_MIN`).
    pub resets: u64,
    /// Requests refused by a cap.
    pub failed_cap: u64,
    /// Requests refused by the growth budget (including unpriceable growth).
    pub failed_budget: u64,
    /// Requests refused by the host gas hook.
    pub failed_gas_hook: u64,
    /// Requests refused because the backend would not grow.
    pub failed_oom: u64,
    /// Requests that could never be served (size/alignment overflow).
    pub failed_layout: u64,
    /// Invalid frees detected and ignored (`debug-checks`: double frees,
    /// foreign pointers, layouts that do not match the allocation).
    pub invalid_frees: u64,
    /// Bytes lost to size-class rounding in currently live blocks.
    pub rounding_waste_bytes: u64,
    /// Requests refused because the allocator was re-entered (a pricing
    /// function or gas hook allocating from the heap it prices).
    pub failed_reentrant: u64,
}
}

impl Stats {
    /// Encoded size in bytes (borsh: each field as little-endian `u64`).
    pub const ENCODED_LEN: usize = Self::FIELDS * 8;

    /// Encode into a fixed buffer without allocating: every field as a
    /// little-endian `u64`, in declaration order, the bytes borsh writes for
    /// this struct.
    ///
    /// ```
    /// use capheap::Stats;
    ///
    /// let stats = Stats { live_bytes: 640, pages_grown: 2, ..Stats::default() };
    /// let mut buf = [0u8; Stats::ENCODED_LEN];
    /// stats.encode_into(&mut buf);
    /// assert_eq!(buf[..8], 640u64.to_le_bytes());
    /// assert_eq!(buf[24..32], 2u64.to_le_bytes());
    /// assert_eq!(Stats::decode(&buf), Ok(stats));
    /// ```
    pub fn encode_into(&self, out: &mut [u8; Self::ENCODED_LEN]) {
        for (chunk, v) in out.chunks_exact_mut(8).zip(self.fields()) {
            chunk.copy_from_slice(&v.to_le_bytes());
        }
    }

    /// Decode the bytes of [`Stats::encode_into`] (or of borsh): exactly
    /// [`Stats::ENCODED_LEN`] bytes, else a [`StatsLenError`].
    ///
    /// ```
    /// use capheap::{Stats, StatsLenError};
    ///
    /// let mut buf = [0u8; Stats::ENCODED_LEN];
    /// Stats { resets: 3, ..Stats::default() }.encode_into(&mut buf);
    /// assert_eq!(Stats::decode(&buf).unwrap().resets, 3);
    /// // Truncated input is an error, not a panic.
    /// assert_eq!(Stats::decode(&buf[..10]), Err(StatsLenError { len: 10 }));
    /// ```
    pub fn decode(bytes: &[u8]) -> Result<Stats, StatsLenError> {
        let bytes: &[u8; Self::ENCODED_LEN] = bytes
            .try_into()
            .map_err(|_| StatsLenError { len: bytes.len() })?;
        let mut words = [0u64; Self::FIELDS];
        for (word, chunk) in words.iter_mut().zip(bytes.chunks_exact(8)) {
            let mut le = [0u8; 8];
            le.copy_from_slice(chunk);
            *word = u64::from_le_bytes(le);
        }
        Ok(Stats::from_fields(words))
    }

    /// Total failed requests, all causes.
    ///
    /// ```
    /// use capheap::Stats;
    ///
    /// let s = Stats { failed_cap: 2, failed_oom: 1, ..Stats::default() };
    /// assert_eq!(s.failed(), 3);
    /// ```
    pub fn failed(&self) -> u64 {
        self.failed_cap
            + self.failed_budget
            + self.failed_gas_hook
            + self.failed_oom
            + self.failed_layout
            + self.failed_reentrant
    }
}

/// Encoded [`Stats`] of the wrong length ([`Stats::decode`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatsLenError {
    /// The length given.
    pub len: usize,
}

impl core::fmt::Display for StatsLenError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "encoded capheap stats are {} bytes ({} little-endian u64), not {}",
            Stats::ENCODED_LEN,
            Stats::FIELDS,
            self.len
        )
    }
}

impl core::error::Error for StatsLenError {}

/// Failure counters by [`AllocError::code`] and the most recent failure: the
/// part of [`Stats`] every allocator keeps the same way.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Failures {
    counts: [u64; AllocError::CODES],
    has_last: bool,
    last: AllocError,
}

impl Failures {
    /// None yet (all zero: a `static` of it stays in `.bss`).
    pub(crate) const fn new() -> Self {
        Self {
            counts: [0; AllocError::CODES],
            has_last: false,
            last: AllocError::ZERO,
        }
    }

    /// Count `e` and keep it as the most recent failure.
    pub(crate) fn record(&mut self, e: AllocError) {
        self.has_last = true;
        self.last = e;
        // `code() < CODES` always; `get_mut` keeps a panic path out of the
        // contract.
        if let Some(n) = self.counts.get_mut(e.code() as usize) {
            *n += 1;
        }
    }

    /// The most recent failure, if any.
    pub(crate) fn last(&self) -> Option<AllocError> {
        if self.has_last { Some(self.last) } else { None }
    }

    /// The most recent failure, forgetting it.
    pub(crate) fn take_last(&mut self) -> Option<AllocError> {
        let e = self.last();
        self.has_last = false;
        e
    }

    /// Failures recorded with `e`'s variant.
    fn count(&self, e: AllocError) -> u64 {
        self.counts[e.code() as usize]
    }

    /// Invalid frees (double frees, foreign pointers, wrong layouts).
    pub(crate) fn invalid_frees(&self) -> u64 {
        self.count(AllocError::DoubleFree)
            + self.count(AllocError::InvalidPointer)
            + self.count(AllocError::LayoutMismatch)
    }

    /// `s` with its failure fields set from these counters.
    pub(crate) fn fill(&self, s: Stats) -> Stats {
        Stats {
            failed_cap: self.count(AllocError::ZERO),
            failed_budget: self.count(AllocError::BudgetExhausted {
                price: 0,
                remaining: 0,
            }) + self.count(AllocError::Unpriceable {
                current_pages: 0,
                delta_pages: 0,
            }),
            failed_gas_hook: self.count(AllocError::GasHookRefused {
                price: 0,
                gas_left: 0,
            }),
            failed_oom: self.count(AllocError::OutOfMemory),
            failed_layout: self.count(AllocError::LayoutTooLarge),
            failed_reentrant: self.count(AllocError::Reentrant),
            invalid_frees: self.invalid_frees(),
            ..s
        }
    }
}

/// Static buffer for [`crate::export_stats!`]. Not public API.
///
/// Only defined for single-threaded wasm (no `atomics` target feature): with
/// shared memory, two threads could encode into it at once and the host could
/// read a torn record, so `export_stats!` refuses to compile there.
#[doc(hidden)]
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
pub struct ExportBuffer(core::cell::UnsafeCell<[u8; Stats::ENCODED_LEN]>);

// SAFETY: `Sync` lets the `static` below exist; it is sound because this impl
// only exists without the `atomics` target feature, where wasm has no shared
// memory and no threads, so no two accesses can ever overlap.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
unsafe impl Sync for ExportBuffer {}

#[doc(hidden)]
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
pub static EXPORT_BUFFER: ExportBuffer =
    ExportBuffer(core::cell::UnsafeCell::new([0; Stats::ENCODED_LEN]));

/// Encode `stats` into the static export buffer and return `(ptr << 32) | len`.
/// Used by [`crate::export_stats!`]; wasm32 only. Not public API.
#[doc(hidden)]
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
pub fn export(stats: &Stats) -> i64 {
    let p = EXPORT_BUFFER.0.get();
    // SAFETY: single-threaded wasm, and no reference to the buffer outlives
    // this call, so this is the only access.
    stats.encode_into(unsafe { &mut *p });
    ((p as usize as u32 as i64) << 32) | Stats::ENCODED_LEN as i64
}

/// Define `#[unsafe(no_mangle)] extern "C" fn capheap_stats() -> i64` (wasm32
/// only) returning `(ptr << 32) | len` of the borsh-encoded [`Stats`] of
/// `$heap`, written into a static buffer inside the contract (no heap
/// allocation). The host reads `len` bytes at `ptr` and calls
/// [`Stats::decode`]. On wasm with the `atomics` target feature (shared
/// memory, threads) the macro is a compile error: one static buffer cannot
/// serve concurrent readers.
///
/// ```
/// #[global_allocator]
/// static HEAP: capheap::Heap = capheap::Heap::new(capheap::Config::DEFAULT);
/// capheap::export_stats!(HEAP);
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! export_stats {
    ($heap:path) => {
        #[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
        ::core::compile_error!(
            "capheap::export_stats! needs single-threaded wasm (no `atomics` target feature)"
        );
        /// capheap statistics export: `(ptr << 32) | len` of borsh-encoded `capheap::Stats`.
        #[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
        #[unsafe(no_mangle)]
        pub extern "C" fn capheap_stats() -> i64 {
            $crate::stats::export(&$heap.stats())
        }
    };
}
