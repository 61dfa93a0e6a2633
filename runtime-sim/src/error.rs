//! The simulator's error type.

use std::path::PathBuf;

/// Everything that can go wrong loading or running a contract.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// A file could not be read.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The bytes are not a wasm module at all.
    #[error("not a wasm module: {0}")]
    NotWasm(String),
    /// The module is wasm but wasmi rejects it (malformed, invalid, or uses a
    /// disabled feature).
    #[error("invalid wasm module: {0}")]
    InvalidWasm(String),
    /// Instantiation failed (unresolved import, start function trapped, ...).
    #[error("cannot instantiate: {0}")]
    Instantiate(String),
    /// The module exports no linear memory named `memory`.
    #[error("the module exports no linear memory named `memory`")]
    NoMemory,
    /// No export of that name.
    #[error("no export named `{0}`")]
    MissingExport(String),
    /// The export exists but is not a function.
    #[error("export `{0}` is not a function")]
    NotAFunction(String),
    /// The export's signature does not fit the call convention.
    #[error("export `{export}` has signature {found}; expected {expected}")]
    WrongSignature {
        /// The export.
        export: String,
        /// Its signature.
        found: String,
        /// What the call needs.
        expected: String,
    },
    /// The contract ran out of fuel.
    #[error("out of fuel: the call needed more than its limit of {limit} fuel")]
    OutOfFuel {
        /// The fuel limit of the call.
        limit: u64,
    },
    /// The contract trapped.
    #[error("trap in `{export}`: {message}")]
    Trap {
        /// The export called.
        export: String,
        /// wasmi's description.
        message: String,
    },
    /// The contract's `capheap_alloc` returned null for the call input.
    #[error("`capheap_alloc({len})` returned 0: the contract could not place the input")]
    InputAllocFailed {
        /// Input length.
        len: usize,
    },
    /// The input does not fit in a wasm32 length.
    #[error("input of {len} bytes is larger than wasm32 can address")]
    InputTooLarge {
        /// Input length.
        len: usize,
    },
    /// A region returned by the contract lies outside its memory.
    #[error("region {ptr:#x}+{len} is outside linear memory ({memory_len} bytes)")]
    RegionOutOfBounds {
        /// Start.
        ptr: u64,
        /// Length.
        len: u64,
        /// Memory size in bytes.
        memory_len: usize,
    },
}

/// Shorthand for results of the simulator.
pub type Result<T, E = SimError> = std::result::Result<T, E>;
