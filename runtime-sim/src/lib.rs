//! capheap-sim: run contract wasm the way a chain would, and see what memory costs.
//!
//! The simulator compiles a contract once with wasmi (fuel metering on, eager
//! compilation so fuel replays exactly), instantiates it per run and calls its
//! exports. Its build pipeline turns a contract crate into wasm32 on whichever
//! toolchain this machine has.
//!
//! ```
//! use capheap_sim::Contract;
//!
//! // A contract that reports its memory size, written in the text format.
//! let wasm = wat::parse_str(
//!     r#"(module
//!          (memory (export "memory") 1)
//!          (func (export "pages") (result i32) (memory.size)))"#,
//! )?;
//! let contract = Contract::from_bytes(&wasm)?;
//! let mut instance = contract.instantiate()?;
//! let outcome = instance.call("pages", &[])?;
//! assert_eq!(outcome.returned, Some(1));
//! assert_eq!(outcome.pages_after, 1);
//! // Fuel is deterministic: a fresh instance spends exactly the same.
//! let again = contract.instantiate()?.call("pages", &[])?;
//! assert_eq!(again.fuel, outcome.fuel);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

pub mod error;
pub mod pipeline;
pub mod sim;

pub use error::SimError;
pub use pipeline::{BuildError, BuildOptions, BuiltContract, Toolchain, build_contract};
pub use sim::{CallOutcome, Contract, Instance};
