//! What one call did: output, fuel breakdown, pages, roots, logs, stats.

use alloy_primitives::B256;
use capheap::stats::Stats;
use serde::Serialize;
use serde_json::Value;

use crate::error::{Result, SimError};
use crate::memroot::Digest;

/// Where a call's fuel went. `total = execution + growth + host`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FuelBreakdown {
    /// All fuel the call consumed (input placement included).
    pub total: u64,
    /// wasm execution as wasmi meters it (including `capheap_alloc` calls
    /// that placed the input and host-ABI results).
    pub execution: u64,
    /// Page growth, priced by the simulator's
    /// [`PagePricing`](capheap::meter::PagePricing) schedule.
    pub growth: u64,
    /// Host ABI calls ([`HostCosts`](crate::HostCosts)) and custom host
    /// functions' [`charge`](crate::HostContext::charge)s.
    pub host: u64,
    /// The call's fuel limit.
    pub limit: u64,
}

/// How a `memory.grow` ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum GrowthResult {
    /// Memory grew and the price was charged.
    Grown,
    /// Past the module's declared maximum: `memory.grow` returned -1.
    DeclaredMaximum,
    /// Past [`Limits::max_pages`](crate::Limits): returned -1 or trapped,
    /// per [`PageCapPolicy`](crate::PageCapPolicy).
    PageCap,
    /// The price exceeded the fuel left (or was unpriceable): the call trapped.
    OutOfFuel,
    /// The host could not allocate the memory: returned -1, price refunded.
    HostRefused,
    /// Not a growth: the chain's charge, on entry, for the module's initial
    /// pages (Stylus prices them as if grown from 0 at the start of each call).
    EntryCharge,
    /// Not a growth: pages paid for explicitly (Stylus's
    /// `pay_for_memory_grow` with a non-zero count).
    Paid,
}

/// One `memory.grow` executed by the contract (growth by 0 pages is a size
/// query: free and not recorded).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct GrowthEvent {
    /// Pages before.
    pub current_pages: u32,
    /// Pages requested.
    pub delta_pages: u32,
    /// The pricing high-water mark before the growth.
    pub high_water_pages: u32,
    /// The schedule's price (`None`: unpriceable, or refused before pricing).
    pub price: Option<u64>,
    /// How it ended.
    pub result: GrowthResult,
}

/// What the module's start function did when the instance was created. It
/// runs under the simulator's per-call fuel limit
/// ([`SimulatorBuilder::fuel_limit`](crate::SimulatorBuilder::fuel_limit), or
/// the instance's own after [`Instance::set_fuel_limit`](crate::Instance::set_fuel_limit)),
/// and its growth is priced like a call's.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StartOutcome {
    /// Fuel the start function consumed (0 without one).
    pub fuel: u64,
    /// Of which page growth.
    pub growth_fuel: u64,
    /// Its `memory.grow`s.
    pub growth: Vec<GrowthEvent>,
}

/// What one call did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CallOutcome {
    /// The export called.
    pub export: String,
    /// Output bytes: set by `capheap.output`, else the returned region's
    /// bytes (empty when the export returns no region).
    #[serde(with = "crate::hex::serde_bytes")]
    pub output: Vec<u8>,
    /// The raw return value, if the export returns one.
    pub returned: Option<i64>,
    /// Fuel consumed, by cause.
    pub fuel: FuelBreakdown,
    /// Pages of linear memory before the call.
    pub pages_before: u32,
    /// Pages after the call.
    pub pages_after: u32,
    /// Most pages during the call. wasm memory never shrinks, so this equals
    /// `pages_after`; it is kept so reports need not know that.
    pub peak_pages: u32,
    /// The pricing high-water mark after the call (persists across the
    /// calls of an instance and across [`Instance::reset`](crate::Instance::reset)).
    pub high_water_pages: u32,
    /// Every `memory.grow` of the call, in order.
    pub growth: Vec<GrowthEvent>,
    /// Root of linear memory after the call (`None` when the simulator was
    /// built with memory roots off).
    pub memory_root: Option<Digest>,
    /// Digests of the pages behind `memory_root`.
    #[serde(skip)]
    pub page_digests: Vec<Digest>,
    /// Root of storage after the call.
    pub storage_root: Digest,
    /// Lines logged with `capheap.log` or by custom host functions.
    pub logs: Vec<String>,
    /// The contract's allocator statistics after the call, if it exports
    /// `capheap_stats` (and the simulator reads them).
    pub stats: Option<Stats>,
    /// Why reading `capheap_stats` failed, if it did: a stats export that
    /// traps, or tries a side effect (growth, storage, logs), which the
    /// simulator refuses; the call itself is unaffected.
    pub stats_error: Option<SimError>,
    /// Requests the contract's allocator refused during this call (from its
    /// statistics before and after; `None` without statistics). A failed
    /// call's are counted too: its statistics are read before it is undone,
    /// while [`stats`](Self::stats) is the state after the undo.
    pub refused: Option<Refusals>,
    /// What the chain ABI adds: Stylus status and EVM logs, or CosmWasm's
    /// decoded `Response` (`None` under capheap's ABI).
    pub chain: Option<ChainOutcome>,
    /// Why the call failed, if it did.
    pub error: Option<SimError>,
}

/// Allocation requests the contract's capheap refused during one call: the
/// SDK's caps and budget at work, reported as values by the contract.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Refusals {
    /// Refused by a cap (`Stats::failed_cap`).
    pub cap: u64,
    /// Refused by the growth budget or the gas hook
    /// (`failed_budget + failed_gas_hook`).
    pub budget: u64,
}

impl Refusals {
    /// The refusals between two statistics of one allocator.
    ///
    /// ```
    /// use capheap_sim::{Refusals, Stats};
    ///
    /// let before = Stats { failed_cap: 1, ..Stats::default() };
    /// let after = Stats { failed_cap: 3, failed_gas_hook: 1, ..Stats::default() };
    /// let r = Refusals::between(&before, &after);
    /// assert_eq!((r.cap, r.budget), (2, 1));
    /// ```
    pub fn between(before: &Stats, after: &Stats) -> Self {
        Refusals {
            cap: after.failed_cap.saturating_sub(before.failed_cap),
            budget: (after.failed_budget + after.failed_gas_hook)
                .saturating_sub(before.failed_budget + before.failed_gas_hook),
        }
    }
}

impl CallOutcome {
    /// Whether the call completed.
    ///
    /// ```
    /// use capheap_sim::Simulator;
    ///
    /// let wasm = wat::parse_str(
    ///     r#"(module
    ///          (memory (export "memory") 1)
    ///          (global $n (mut i32) (i32.const 0))
    ///          (func (export "bump") (result i32)
    ///            (global.set $n (i32.add (global.get $n) (i32.const 1)))
    ///            (i32.store (i32.const 1024) (global.get $n))
    ///            (global.get $n))
    ///          (func (export "grow") (result i32) (memory.grow (i32.const 1))))"#,
    /// )?;
    /// let mut instance = Simulator::new().load(&wasm)?.instantiate()?;
    /// assert!(instance.execute("bump", &[]).is_ok());
    /// assert!(!instance.execute("missing", &[]).is_ok());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_ok(&self) -> bool {
        self.error.is_none()
    }

    /// The outcome, or its error.
    ///
    /// ```
    /// use capheap_sim::Simulator;
    ///
    /// let wasm = wat::parse_str(
    ///     r#"(module
    ///          (memory (export "memory") 1)
    ///          (global $n (mut i32) (i32.const 0))
    ///          (func (export "bump") (result i32)
    ///            (global.set $n (i32.add (global.get $n) (i32.const 1)))
    ///            (i32.store (i32.const 1024) (global.get $n))
    ///            (global.get $n))
    ///          (func (export "grow") (result i32) (memory.grow (i32.const 1))))"#,
    /// )?;
    /// let mut instance = Simulator::new().load(&wasm)?.instantiate()?;
    /// let outcome = instance.execute("missing", &[]);
    /// assert!(outcome.into_result().is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn into_result(self) -> Result<CallOutcome> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(self),
        }
    }

    /// Pages added by the call's successful growths.
    ///
    /// ```
    /// use capheap_sim::Simulator;
    ///
    /// let wasm = wat::parse_str(
    ///     r#"(module
    ///          (memory (export "memory") 1)
    ///          (global $n (mut i32) (i32.const 0))
    ///          (func (export "bump") (result i32)
    ///            (global.set $n (i32.add (global.get $n) (i32.const 1)))
    ///            (i32.store (i32.const 1024) (global.get $n))
    ///            (global.get $n))
    ///          (func (export "grow") (result i32) (memory.grow (i32.const 1))))"#,
    /// )?;
    /// let mut instance = Simulator::new().load(&wasm)?.instantiate()?;
    /// assert_eq!(instance.call("grow", &[])?.growth_pages(), 1);
    /// assert_eq!(instance.call("bump", &[])?.growth_pages(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn growth_pages(&self) -> u64 {
        self.growth
            .iter()
            .filter(|g| g.result == GrowthResult::Grown)
            .map(|g| u64::from(g.delta_pages))
            .sum()
    }
}

/// One EVM log a Stylus call emitted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EvmLog {
    /// Topics (at most 4), the first usually the event signature's hash.
    pub topics: Vec<B256>,
    /// The non-indexed data.
    #[serde(with = "crate::hex::serde_bytes")]
    pub data: Vec<u8>,
}

/// What a CosmWasm entry point returned, decoded from its `ContractResult`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CosmResponse {
    /// `Response.data` (or a query's result), base64-decoded.
    #[serde(with = "crate::hex::serde_bytes")]
    pub data: Vec<u8>,
    /// `Response.attributes` as `(key, value)`.
    pub attributes: Vec<(String, String)>,
    /// `Response.events`: type and attributes.
    pub events: Vec<(String, Vec<(String, String)>)>,
    /// `Response.messages` (sub-messages), as the contract wrote them.
    pub messages: Vec<Value>,
}

/// What a chain ABI reports about a call, beyond output and fuel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "abi", rename_all = "lowercase")]
pub enum ChainOutcome {
    /// A Stylus call.
    Stylus {
        /// `user_entrypoint`'s status: 0 success, 1 revert.
        status: i32,
        /// EVM logs emitted (kept only when the call succeeded).
        logs: Vec<EvmLog>,
    },
    /// A CosmWasm call.
    #[serde(rename = "cosmwasm")]
    CosmWasm {
        /// The decoded `Response` (or query result).
        response: CosmResponse,
    },
}
