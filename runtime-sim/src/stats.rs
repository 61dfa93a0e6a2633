//! The contract's own allocator statistics (`capheap::stats::Stats`), read
//! through its `capheap_stats() -> i64` export after each call.

pub use capheap::stats::STATS_EXPORT;

/// Fuel budget of the `capheap_stats` call (not charged to the call it
/// follows).
pub const STATS_FUEL: u64 = 100_000_000;
