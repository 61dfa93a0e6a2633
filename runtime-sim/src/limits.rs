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

/// Default cap on the elements of one table.
pub const DEFAULT_MAX_TABLE_ELEMENTS: u32 = 65_536;

/// Default cap on the number of tables.
pub const DEFAULT_MAX_TABLES: u32 = 8;

/// Default cap on host → wasm → host nesting (a host function that calls
/// the contract's allocator, which calls a host function, ...).
pub const DEFAULT_MAX_HOST_NESTING: u32 = 8;

/// Default cap on the bytes a call may log (all log imports together).
pub const DEFAULT_MAX_LOG_BYTES_PER_CALL: u64 = 1 << 20;

/// Default cap on one stored value, in bytes.
pub const DEFAULT_MAX_STORAGE_VALUE: u64 = 128 << 10;

/// Default cap on all of a contract's storage (keys and values), in bytes.
pub const DEFAULT_MAX_STORAGE_BYTES: u64 = 64 << 20;

/// Most calls a scenario may make, repeats expanded.
pub const MAX_SCENARIO_CALLS: usize = 1_000_000;

/// Most runs a replay may make.
pub const MAX_REPLAY_RUNS: usize = 1_000;

/// Largest scenario file read.
pub const MAX_SCENARIO_FILE: u64 = 1 << 20;

/// Largest call input read from a file.
pub const MAX_INPUT_FILE: u64 = 64 << 20;

/// Largest snapshot (state) file read.
pub const MAX_SNAPSHOT_FILE: u64 = 1 << 30;

/// Reads at most `max` bytes of `path`; a larger file is
/// [`Limit::FileSize`], found after reading `max + 1` bytes at most (so
/// `/dev/zero` or a huge file never fills memory).
///
/// ```
/// use capheap_sim::limits::read_capped;
///
/// let path = std::env::temp_dir().join("capheap-sim-doc-read-capped.bin");
/// std::fs::write(&path, [0u8; 100])?;
/// assert_eq!(read_capped(&path, 100)?.len(), 100);
/// // One byte over: refused after reading at most `max + 1` bytes.
/// assert!(read_capped(&path, 99).is_err());
/// std::fs::remove_file(&path)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_capped(path: &std::path::Path, max: u64) -> Result<Vec<u8>, crate::SimError> {
    use std::io::Read as _;
    let io = |e: std::io::Error| crate::SimError::Io {
        path: path.to_owned(),
        message: e.to_string(),
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > max {
        return Err(crate::SimError::LimitExceeded {
            limit: Limit::FileSize,
            max,
            value: None,
        });
    }
    Ok(bytes)
}

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
    /// Elements of one table ([`Limits::max_table_elements`]).
    TableElements,
    /// Number of tables ([`Limits::max_tables`]).
    Tables,
    /// Host → wasm → host nesting ([`Limits::max_host_nesting`]).
    HostNesting,
    /// Bytes logged by one call ([`Limits::max_log_bytes_per_call`]).
    LogBytes,
    /// Size of one stored value ([`Limits::max_storage_value`]).
    StorageValue,
    /// All storage of a contract ([`Limits::max_storage_bytes`]).
    StorageBytes,
    /// Size of a file read (wasm, scenario, input, snapshot).
    FileSize,
    /// Calls of a scenario, repeats expanded ([`MAX_SCENARIO_CALLS`]).
    ScenarioCalls,
    /// Runs of a replay ([`MAX_REPLAY_RUNS`]).
    ReplayRuns,
}

impl std::fmt::Display for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Limit::WasmSize => "wasm size (bytes)",
            Limit::MemoryPages => "memory (pages)",
            Limit::FuelPerCall => "fuel per call",
            Limit::CallStack => "call depth",
            Limit::TableElements => "table elements",
            Limit::Tables => "tables",
            Limit::HostNesting => "host call nesting",
            Limit::LogBytes => "log bytes per call",
            Limit::StorageValue => "storage value (bytes)",
            Limit::StorageBytes => "storage (bytes)",
            Limit::FileSize => "file size (bytes)",
            Limit::ScenarioCalls => "scenario calls",
            Limit::ReplayRuns => "replay runs",
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
    /// Most elements one table may have, initially or grown (`table.grow`
    /// past it returns -1).
    pub max_table_elements: u32,
    /// Most tables a module may have.
    pub max_tables: u32,
    /// Most host → wasm → host nesting: a host function that places data
    /// through the contract's allocator counts one level.
    pub max_host_nesting: u32,
    /// Most bytes one call may log, over every log import.
    pub max_log_bytes_per_call: u64,
    /// Largest value one storage write may store.
    pub max_storage_value: u64,
    /// Most bytes of storage (keys and values) a contract may hold.
    pub max_storage_bytes: u64,
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
            max_table_elements: DEFAULT_MAX_TABLE_ELEMENTS,
            max_tables: DEFAULT_MAX_TABLES,
            max_host_nesting: DEFAULT_MAX_HOST_NESTING,
            max_log_bytes_per_call: DEFAULT_MAX_LOG_BYTES_PER_CALL,
            max_storage_value: DEFAULT_MAX_STORAGE_VALUE,
            max_storage_bytes: DEFAULT_MAX_STORAGE_BYTES,
        }
    }
}
