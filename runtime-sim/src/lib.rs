//! capheap-sim: run contract wasm the way a chain would, and see what memory costs.
//!
//! A [`Simulator`] holds the configuration: a page pricing schedule
//! ([`PagePricing`], the SDK's single source of truth for prices), caps
//! ([`Limits`]), host ABI costs, custom host functions and the policy for
//! unknown imports. [`Simulator::load`] validates a module, rewrites every
//! `memory.grow` into a call to the simulator's growth hook (so every page
//! grown is priced and charged as fuel, whoever grows it) and compiles it
//! once with wasmi (fuel metering, eager compilation, NaN canonicalisation).
//! A [`Contract`] is instantiated per run; an [`Instance`] is called under
//! call convention v0 and reports a [`CallOutcome`]: output, a
//! [`FuelBreakdown`] (execution, page growth, host), pages, the memory and
//! storage roots, logs and the contract's allocator stats.
//!
//! Determinism tooling: [`replay()`] runs a [`Scenario`] several times on fresh
//! instances and once from a restored [`Snapshot`] and locates any divergence
//! to a call, page and byte; [`Simulator::check`] is a static report on a
//! module. The [`pipeline`] builds contract crates to wasm32.
//!
//! ```
//! use capheap::meter::PagePricing;
//! use capheap_sim::{ReplayOptions, Scenario, ScenarioCall, Simulator};
//!
//! // A contract that grows memory by one page per call, in the text format.
//! let wasm = wat::parse_str(
//!     r#"(module
//!          (memory (export "memory") 1)
//!          (func (export "grow") (result i32) (memory.grow (i32.const 1))))"#,
//! )?;
//! let sim = Simulator::builder()
//!     .pricing(PagePricing::Flat { per_page: 500 })
//!     .build()?;
//! let contract = sim.load(&wasm)?;
//! let mut instance = contract.instantiate()?;
//! let outcome = instance.call("grow", &[])?;
//! assert_eq!(outcome.returned, Some(1)); // the old size, as memory.grow returns
//! assert_eq!((outcome.pages_before, outcome.pages_after), (1, 2));
//! assert_eq!(outcome.fuel.growth, 500); // exactly the schedule's price
//! assert_eq!(outcome.fuel.total, outcome.fuel.execution + outcome.fuel.growth);
//!
//! // Fuel is deterministic: replays on fresh instances and from a snapshot agree.
//! let scenario = Scenario::new().call(ScenarioCall::new("grow", []).repeat(4));
//! let report = contract.replay(&scenario, &ReplayOptions::default())?;
//! assert!(report.deterministic);
//! assert_eq!(report.calls[3].outcome.pages_after, 5);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

pub mod calldata;
pub mod check;
mod contract;
pub mod demo;
pub mod deploy;
mod engine;
pub mod error;
pub mod fuzzing;
pub mod hex;
pub mod host;
mod instance;
pub mod instrument;
pub mod limits;
pub mod memroot;
mod outcome;
pub mod pipeline;
pub mod replay;
pub mod report;
mod scenario;
pub mod scenario_file;
pub mod snapshot;
pub mod stats;
mod storage;
pub mod testing;

pub use capheap::meter::{GrowthRequest, PagePricing};
pub use capheap::stats::Stats;
pub use check::{CheckReport, Finding, Level};
pub use contract::Contract;
pub use engine::{Simulator, SimulatorBuilder, UnknownImports};
pub use error::{Result, SimError};
pub use host::cosmwasm::{Coin, CosmWasmEnv};
pub use host::stylus::StylusEnv;
pub use host::{
    ALLOC_EXPORT, Abi, CallEnv, HOST_ABI, HOST_ABI_VERSION, HOST_MODULE, HostContext, HostCosts,
    HostFnError,
};
pub use instance::Instance;
pub use limits::{DEFAULT_FUEL_LIMIT, Limit, Limits, PAGE_SIZE, PageCapPolicy};
pub use memroot::{Digest, MemoryRoot};
pub use outcome::{
    CallOutcome, ChainOutcome, CosmResponse, EvmLog, FuelBreakdown, GrowthEvent, GrowthResult,
    Refusals, StartOutcome,
};
pub use pipeline::{Allocator, BuildError, BuildOptions, BuiltContract, Toolchain, build_contract};
pub use replay::{Divergence, ReplayOptions, ReplayReport, SnapshotPoint, replay};
pub use scenario::{CallRecord, Isolation, Scenario, ScenarioCall, ScenarioRun};
pub use snapshot::{Snapshot, SnapshotError};
pub use storage::Storage;
pub use wasmi::{Val, ValType};
