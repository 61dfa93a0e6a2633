//! Caps: how big a module, how much memory, fuel and stack a call may use.

use serde::Serialize;

/// The wasm page size in bytes.
pub const PAGE_SIZE: u64 = 65_536;

/// Pages a wasm32 memory can ever have (4 GiB).
pub const WASM32_MAX_PAGES: u32 = 65_536;

/// Default fuel limit of one call (also the default cap).
pub const DEFAULT_FUEL_LIMIT: u64 = 10_000_000_000;

/// Default memory cap: 1024 pages (64 MiB).
pub const DEFAULT_MAX_PAGES: u32 = 1024;

/// Default module size cap: 4 MiB.
pub const DEFAULT_MAX_WASM_SIZE: usize = 4 << 20;

/// Default maximum call depth (wasmi's own default).
pub const DEFAULT_MAX_CALL_DEPTH: usize = 1000;

/// Default maximum value-stack height in slots (wasmi's own default).
pub const DEFAULT_MAX_STACK_HEIGHT: usize = 1_000_000;

/// The smallest value-stack height wasmi accepts as a maximum.
pub const MIN_STACK_HEIGHT: usize = 1_000;

/// Which cap a [`SimError::LimitExceeded`](crate::SimError) names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Limit {
    /// Size of the wasm module in bytes ([`Limits::max_wasm_size`]).
    WasmSize,
    /// Pages of linear memory ([`Limits::max_pages`]).
    MemoryPages,
    /// Fuel of one call ([`Limits::max_fuel_per_call`]).
    FuelPerCall,
    /// Call depth or value-stack height ([`Limits::max_call_depth`],
    /// [`Limits::max_stack_height`]).
    CallStack,
}

impl std::fmt::Display for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Limit::WasmSize => "wasm size (bytes)",
            Limit::MemoryPages => "memory (pages)",
            Limit::FuelPerCall => "fuel per call",
            Limit::CallStack => "call depth",
        })
    }
}

/// What a `memory.grow` past [`Limits::max_pages`] does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PageCapPolicy {
    /// `memory.grow` returns -1, as wasm specifies for a failed growth; the
    /// contract sees an allocation failure and memory is unchanged.
    #[default]
    Fail,
    /// The call traps with [`SimError::LimitExceeded`](crate::SimError)
    /// naming [`Limit::MemoryPages`]; memory is unchanged.
    Trap,
}

/// The caps of a [`Simulator`](crate::Simulator).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Limits {
    /// Largest module accepted, in bytes (checked before parsing).
    pub max_wasm_size: usize,
    /// Most pages linear memory may reach, whatever the module declares.
    /// A module whose initial memory exceeds it is rejected at load.
    pub max_pages: u32,
    /// What growth past `max_pages` does.
    pub page_cap_policy: PageCapPolicy,
    /// Largest fuel limit a call may be given.
    pub max_fuel_per_call: u64,
    /// Maximum nesting of wasm calls (wasmi's recursion depth).
    pub max_call_depth: usize,
    /// Maximum height of wasmi's value stack, in slots (at least
    /// [`MIN_STACK_HEIGHT`]).
    pub max_stack_height: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_wasm_size: DEFAULT_MAX_WASM_SIZE,
            max_pages: DEFAULT_MAX_PAGES,
            page_cap_policy: PageCapPolicy::Fail,
            max_fuel_per_call: DEFAULT_FUEL_LIMIT,
            max_call_depth: DEFAULT_MAX_CALL_DEPTH,
            max_stack_height: DEFAULT_MAX_STACK_HEIGHT,
        }
    }
}
