//! Hard caps and the error type.
//!
//! A cap is checked *before* anything changes: a request that would cross a
//! cap fails with [`AllocError::CapExceeded`] and no page is grown, no block is
//! split, no statistic other than the failure counter moves.
//!
//! | cap | where it is set | what it bounds |
//! |---|---|---|
//! | [`CapKind::MemoryPages`] | [`crate::Config::max_memory_pages`], [`crate::arena::ArenaConfig::max_memory_pages`] | the whole linear memory in pages, *including* pages that existed before the heap (stack, data) |
//! | [`CapKind::HeapBytes`] | [`crate::Config::max_heap_bytes`] | the heap's footprint: bytes from the heap start to its top (live blocks, free blocks below the top, headers) |
//! | [`CapKind::ArenaBytes`] | [`crate::arena::ArenaConfig::max_bytes`] | bytes of memory an arena has claimed |
//! | [`CapKind::PoolItems`] | [`crate::pool::Pool::with_max_items`] | live items of one pool |

/// Which cap a request hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum CapKind {
    /// Total linear-memory pages (including memory that existed before the heap).
    MemoryPages,
    /// Heap footprint in bytes.
    HeapBytes,
    /// Bytes claimed by one arena.
    ArenaBytes,
    /// Live items in one pool.
    PoolItems,
}

/// Why an allocation (or a free, with `debug-checks`) failed.
///
/// `try_*` APIs return it; [`core::alloc::GlobalAlloc`] methods return null
/// instead and the cause is counted in [`crate::Stats`] and kept as
/// [`crate::Heap::last_error`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum AllocError {
    /// The request would cross a hard cap. Nothing was grown.
    CapExceeded {
        /// The cap that was hit.
        cap: CapKind,
        /// The cap's value (pages, bytes or items, see [`CapKind`]).
        limit: u64,
        /// The value the request would have reached.
        requested: u64,
    },
    /// Growing would cost more than the remaining growth budget. Nothing was grown.
    BudgetExhausted {
        /// Price of the growth that was refused.
        price: u64,
        /// Budget left (unchanged by the refusal).
        remaining: u64,
    },
    /// The pricing model cannot price this growth (overflow, or beyond its
    /// table, e.g. Stylus above 128 pages): treated as unaffordable.
    Unpriceable {
        /// Pages before the growth.
        current_pages: u32,
        /// Pages requested.
        delta_pages: u32,
    },
    /// The host gas hook reported less gas than the growth costs.
    GasHookRefused {
        /// Price of the growth.
        price: u64,
        /// What the host reported.
        gas_left: i64,
    },
    /// Size or alignment too large to ever be served (address-space overflow).
    LayoutTooLarge,
    /// The backend refused to grow (e.g. the wasm memory maximum).
    OutOfMemory,
    /// A free of a block that is already free (`debug-checks`).
    DoubleFree,
    /// A pointer this allocator did not hand out (`debug-checks`), or a
    /// checkpoint from another arena.
    InvalidPointer,
    /// The allocator was entered again while busy (a pricing function or gas
    /// hook tried to allocate from the heap it is pricing).
    Reentrant,
    /// A free (or realloc) whose layout is not the one the block was
    /// allocated with: a different size class or block size, or a small
    /// layout for a large block and the reverse (`debug-checks`).
    LayoutMismatch,
}

impl core::fmt::Display for AllocError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            Self::CapExceeded {
                cap,
                limit,
                requested,
            } => write!(
                f,
                "{cap:?} cap exceeded: limit {limit}, requested {requested}"
            ),
            Self::BudgetExhausted { price, remaining } => {
                write!(
                    f,
                    "growth budget exhausted: price {price}, remaining {remaining}"
                )
            }
            Self::Unpriceable {
                current_pages,
                delta_pages,
            } => write!(
                f,
                "growth of {delta_pages} pages from {current_pages} pages is unpriceable"
            ),
            Self::GasHookRefused { price, gas_left } => {
                write!(
                    f,
                    "gas hook refused growth: price {price}, gas left {gas_left}"
                )
            }
            Self::LayoutTooLarge => f.write_str("layout too large"),
            Self::OutOfMemory => f.write_str("out of memory: the backend refused to grow"),
            Self::DoubleFree => f.write_str("double free"),
            Self::InvalidPointer => f.write_str("pointer not owned by this allocator"),
            Self::Reentrant => f.write_str("allocator re-entered"),
            Self::LayoutMismatch => {
                f.write_str("free with a layout that does not match the allocation")
            }
        }
    }
}

impl core::error::Error for AllocError {}

impl AllocError {
    /// Number of distinct [`AllocError::code`] values.
    pub const CODES: usize = 10;

    /// The variant's index in declaration order (`CapExceeded` = 0 ...
    /// `LayoutMismatch` = 9).
    ///
    /// ```
    /// use capheap::AllocError;
    ///
    /// assert_eq!(AllocError::LayoutTooLarge.code(), 4);
    /// assert!(AllocError::LayoutMismatch.code() < AllocError::CODES as u8);
    /// ```
    pub const fn code(&self) -> u8 {
        // SAFETY: `AllocError` is `repr(u8)`, so its first byte is the
        // discriminant, which is the declaration index (no explicit values).
        unsafe { *(self as *const Self as *const u8) }
    }

    /// Whether this error is about a free (an invalid pointer or layout, or
    /// a double free) rather than a refused allocation.
    ///
    /// ```
    /// use capheap::AllocError;
    ///
    /// assert!(AllocError::DoubleFree.is_invalid_free());
    /// assert!(!AllocError::OutOfMemory.is_invalid_free());
    /// ```
    pub const fn is_invalid_free(&self) -> bool {
        matches!(
            self,
            Self::DoubleFree | Self::InvalidPointer | Self::LayoutMismatch
        )
    }

    /// An all-zero value (`repr(u8)`: tag 0, zero fields), used as the
    /// "no error yet" filler so that a `static` heap state stays in `.bss`.
    pub(crate) const ZERO: Self = Self::CapExceeded {
        cap: CapKind::MemoryPages,
        limit: 0,
        requested: 0,
    };
}

/// Check `requested <= limit` for an optional cap.
#[inline]
pub(crate) fn check(cap: CapKind, limit: Option<u64>, requested: u64) -> Result<(), AllocError> {
    match limit {
        Some(limit) if requested > limit => Err(AllocError::CapExceeded {
            cap,
            limit,
            requested,
        }),
        _ => Ok(()),
    }
}
