//! The contract's own allocator statistics (`capheap::stats::Stats`), read
//! through its `capheap_stats() -> i64` export after each call.

use capheap::stats::Stats;
use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

pub use capheap::stats::STATS_EXPORT;

/// Fuel budget of the `capheap_stats` call (not charged to the call it
/// follows).
pub const STATS_FUEL: u64 = 100_000_000;

/// Serialises `Stats` (which has no serde impl: the SDK is `no_std` and
/// borsh-only) as a struct of its integer fields. Destructured without `..`
/// so a new field in the SDK fails to compile here instead of going missing.
pub(crate) fn serialize_opt<S: Serializer>(stats: &Option<Stats>, s: S) -> Result<S::Ok, S::Error> {
    match stats {
        Some(stats) => s.serialize_some(&StatsSer(stats)),
        None => s.serialize_none(),
    }
}

struct StatsSer<'a>(&'a Stats);

impl Serialize for StatsSer<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        stats_fields(self.0, s)
    }
}

fn stats_fields<S: Serializer>(stats: &Stats, s: S) -> Result<S::Ok, S::Error> {
    let Stats {
        live_bytes,
        peak_live_bytes,
        heap_bytes,
        pages_grown,
        growth_price_charged,
        allocs,
        frees,
        reallocs,
        resets,
        failed_cap,
        failed_budget,
        failed_gas_hook,
        failed_oom,
        failed_layout,
        invalid_frees,
        rounding_waste_bytes,
    } = *stats;
    let fields = [
        ("live_bytes", live_bytes),
        ("peak_live_bytes", peak_live_bytes),
        ("heap_bytes", heap_bytes),
        ("pages_grown", pages_grown),
        ("growth_price_charged", growth_price_charged),
        ("allocs", allocs),
        ("frees", frees),
        ("reallocs", reallocs),
        ("resets", resets),
        ("failed_cap", failed_cap),
        ("failed_budget", failed_budget),
        ("failed_gas_hook", failed_gas_hook),
        ("failed_oom", failed_oom),
        ("failed_layout", failed_layout),
        ("invalid_frees", invalid_frees),
        ("rounding_waste_bytes", rounding_waste_bytes),
    ];
    let mut st = s.serialize_struct("Stats", fields.len())?;
    for (name, value) in fields {
        st.serialize_field(name, &value)?;
    }
    st.end()
}
