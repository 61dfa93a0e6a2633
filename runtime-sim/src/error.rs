//! The simulator's error type.
//!
//! Every failure is a [`SimError`] variant: loading (not wasm, invalid wasm,
//! reserved or unknown imports, caps), running (trap, out of fuel, abort,
//! host misuse, caps), snapshots ([`SnapshotError`]). Errors are plain data
//! (`Clone`, `Eq`, `Serialize`) so they can sit inside a
//! [`CallOutcome`](crate::CallOutcome), be compared across replays and be
//! emitted as JSON.

use std::path::PathBuf;

use serde::Serialize;

use crate::limits::Limit;
use crate::memroot::Digest;

/// Everything that can go wrong loading or running a contract.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "type", content = "detail", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum SimError {
    /// A file could not be read.
    #[error("{}: {message}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's description.
        message: String,
    },
    /// The bytes are not a wasm module at all.
    #[error("not a wasm module: {0}")]
    NotWasm(String),
    /// The module is wasm but the simulator's wasmi rejects it (malformed,
    /// invalid, or uses a disabled feature such as SIMD, threads or memory64).
    #[error("invalid wasm module: {0}")]
    InvalidWasm(String),
    /// The load-time rewrite failed on a module wasmi accepted (a simulator
    /// bug: please report it with the module).
    #[error("instrumenting the module failed: {0}")]
    Instrument(String),
    /// The module imports from the simulator's reserved module.
    #[error("import `{module}.{name}` uses the reserved module `{module}`")]
    ReservedImport {
        /// The import's module.
        module: String,
        /// The import's name.
        name: String,
    },
    /// The module exports a name the simulator reserves for itself.
    #[error("export `{name}` uses the reserved prefix `{prefix}`")]
    ReservedExport {
        /// The export.
        name: String,
        /// The reserved prefix.
        prefix: String,
    },
    /// An import that neither the host ABI nor a custom host function provides
    /// (rejected at load under [`UnknownImports::Reject`](crate::UnknownImports),
    /// and always for non-function imports).
    #[error("unknown import `{module}.{name}` ({kind})")]
    UnknownImport {
        /// The import's module.
        module: String,
        /// The import's name.
        name: String,
        /// `func`, `memory`, `global`, `table` or `tag`.
        kind: String,
    },
    /// A known host function imported with the wrong signature.
    #[error("import `{module}.{name}` has signature {found}; the host provides {expected}")]
    ImportSignature {
        /// The import's module.
        module: String,
        /// The import's name.
        name: String,
        /// The module's signature.
        found: String,
        /// The host's signature.
        expected: String,
    },
    /// Two host functions of the same name, or one that shadows the host ABI.
    #[error("host function `{module}.{name}` is defined twice")]
    DuplicateHostFunction {
        /// The module.
        module: String,
        /// The name.
        name: String,
    },
    /// A configuration is inconsistent: the simulator's, a replay's
    /// ([`ReplayOptions`](crate::ReplayOptions)) or a fuzz campaign's
    /// ([`FuzzOptions`](crate::fuzzing::campaign::FuzzOptions)).
    #[error("invalid configuration: {0}")]
    Config(String),
    /// Instantiation failed (start function trapped, ...).
    #[error("cannot instantiate: {0}")]
    Instantiate(String),
    /// The module has no linear memory but the operation needs one.
    #[error("the module has no linear memory")]
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
    /// The call ran out of fuel executing wasm or a host function.
    #[error("out of fuel: the call needed more than its limit of {limit} fuel")]
    OutOfFuel {
        /// The fuel limit of the call.
        limit: u64,
    },
    /// A `memory.grow` could not be paid for; memory is unchanged.
    #[error(
        "out of fuel growing memory by {delta_pages} page(s) from {current_pages}: price {}, fuel left {fuel_left} (limit {limit})",
        match .price { Some(p) => p.to_string(), None => "unpriceable".to_owned() }
    )]
    GrowthOutOfFuel {
        /// Pages before the growth.
        current_pages: u32,
        /// Pages requested.
        delta_pages: u32,
        /// The schedule's price (`None`: the schedule cannot price it).
        price: Option<u64>,
        /// Fuel left when the growth was attempted.
        fuel_left: u64,
        /// The fuel limit of the call.
        limit: u64,
    },
    /// A cap was exceeded.
    #[error("limit exceeded: {limit} is capped at {max}{}", match .value { Some(v) => format!(", got {v}"), None => String::new() })]
    LimitExceeded {
        /// Which cap.
        limit: Limit,
        /// The cap's value.
        max: u64,
        /// The value that exceeded it, when known.
        value: Option<u64>,
    },
    /// The contract trapped.
    #[error("trap in `{export}`: {message}")]
    Trap {
        /// The export called.
        export: String,
        /// wasmi's description.
        message: String,
    },
    /// The contract called `capheap.abort(code, msg_ptr, msg_len)`.
    #[error("contract aborted with code {code}: {message}")]
    Abort {
        /// The contract's code.
        code: i32,
        /// The contract's message (lossy UTF-8).
        message: String,
    },
    /// A host function was misused (a region outside memory, a missing
    /// `capheap_alloc`, ...) or a custom host function failed.
    #[error("host function `{function}`: {message}")]
    Host {
        /// `module.name` of the host function.
        function: String,
        /// What went wrong.
        message: String,
    },
    /// The contract called an import that nothing provides
    /// ([`UnknownImports::Trap`](crate::UnknownImports)).
    #[error("the contract called unknown import `{module}.{name}`")]
    UnknownImportCalled {
        /// The import's module.
        module: String,
        /// The import's name.
        name: String,
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
    /// An export returned an `i64` that, read as capheap's output region
    /// `(ptr << 32) | len`, lies outside memory: usually a plain number
    /// returned as `i64`.
    #[error(
        "`{export}` returned {returned} (an i64), which capheap's call convention reads as the \
         output region (ptr << 32 | len) {ptr:#x}+{len}, outside linear memory ({memory_len} \
         bytes); return a region of the output bytes, or an i32 for a plain value"
    )]
    BadReturn {
        /// The export.
        export: String,
        /// The value it returned.
        returned: i64,
        /// Start of the region it names.
        ptr: u64,
        /// Length of the region it names.
        len: u64,
        /// Memory size in bytes.
        memory_len: usize,
    },
    /// The contract called a host function the simulator does not model
    /// (calls to other contracts, contract creation, unsupported chain
    /// queries): the call ends here rather than returning a made-up
    /// answer.
    #[error("not simulated: {function}")]
    NotSimulated {
        /// `module.name` of the host function (and what was asked of it).
        function: String,
    },
    /// A CosmWasm Region pointer or Region the contract passed is invalid
    /// (null, outside memory, offset 0, length over capacity, too long for
    /// the import).
    #[error("host function `{function}`: bad Region at {ptr:#x}: {reason}")]
    BadRegion {
        /// `module.name` of the host function, or the entry point.
        function: String,
        /// The Region pointer.
        ptr: u32,
        /// What is wrong with it.
        reason: String,
    },
    /// A CosmWasm entry point returned `{"error": ...}`: the contract
    /// refused the message. State changes are rolled back.
    #[error("`{export}` returned an error: {message}")]
    ContractError {
        /// The entry point.
        export: String,
        /// The contract's error message.
        message: String,
    },
    /// A CosmWasm entry point returned something that is not a
    /// `ContractResult`.
    #[error("`{export}` returned an invalid ContractResult: {reason}")]
    InvalidContractResult {
        /// The entry point.
        export: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A Stylus call reverted (`user_entrypoint` returned 1). State changes
    /// are rolled back.
    #[error("reverted{}", if .data.is_empty() { String::new() } else { format!(" with 0x{}", crate::hex::encode(.data)) })]
    Reverted {
        /// The revert data (`write_result`), e.g. an ABI-encoded Solidity error.
        data: Vec<u8>,
    },
    /// A chain-specific input does not fit the call (calldata that does not
    /// match its signature, a message that is not JSON, a bad address).
    #[error("bad call input ({field}): {message}")]
    BadCallInput {
        /// The field at fault (`args`, `sig`, `msg`, `sender`, ...).
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A snapshot could not be read, written or restored.
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
}

impl SimError {
    /// A short kebab-case name of the variant (`out-of-fuel`, `trap`, ...),
    /// the same as the `type` field of its JSON form (`{"type": ..., "detail": ...}`).
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
    /// let sim = Simulator::builder().fuel_limit(1).build()?;
    /// let err = sim.load(&wasm)?.instantiate()?.call("bump", &[]).unwrap_err();
    /// assert_eq!(err.kind(), "out-of-fuel");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            SimError::Io { .. } => "io",
            SimError::NotWasm(_) => "not-wasm",
            SimError::InvalidWasm(_) => "invalid-wasm",
            SimError::Instrument(_) => "instrument",
            SimError::ReservedImport { .. } => "reserved-import",
            SimError::ReservedExport { .. } => "reserved-export",
            SimError::UnknownImport { .. } => "unknown-import",
            SimError::ImportSignature { .. } => "import-signature",
            SimError::DuplicateHostFunction { .. } => "duplicate-host-function",
            SimError::Config(_) => "config",
            SimError::Instantiate(_) => "instantiate",
            SimError::NoMemory => "no-memory",
            SimError::MissingExport(_) => "missing-export",
            SimError::NotAFunction(_) => "not-a-function",
            SimError::WrongSignature { .. } => "wrong-signature",
            SimError::OutOfFuel { .. } => "out-of-fuel",
            SimError::GrowthOutOfFuel { .. } => "growth-out-of-fuel",
            SimError::LimitExceeded { .. } => "limit-exceeded",
            SimError::Trap { .. } => "trap",
            SimError::Abort { .. } => "abort",
            SimError::Host { .. } => "host",
            SimError::UnknownImportCalled { .. } => "unknown-import-called",
            SimError::InputAllocFailed { .. } => "input-alloc-failed",
            SimError::InputTooLarge { .. } => "input-too-large",
            SimError::RegionOutOfBounds { .. } => "region-out-of-bounds",
            SimError::BadReturn { .. } => "bad-return",
            SimError::NotSimulated { .. } => "not-simulated",
            SimError::BadRegion { .. } => "bad-region",
            SimError::ContractError { .. } => "contract-error",
            SimError::InvalidContractResult { .. } => "invalid-contract-result",
            SimError::Reverted { .. } => "reverted",
            SimError::BadCallInput { .. } => "bad-call-input",
            SimError::Snapshot(_) => "snapshot",
        }
    }

    /// Whether the contract ran and the call failed (a trap, a revert, a
    /// contract error, fuel, a cap or limit, a host function refusing), as
    /// opposed to a call that could not be made at all (a bad module, a
    /// missing export, a wrong signature, bad input). `capheap-sim run` exits
    /// 3 for the first kind and 1 for the second.
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
    /// let sim = Simulator::builder().fuel_limit(1).build()?;
    /// let mut instance = sim.load(&wasm)?.instantiate()?;
    /// // The call ran and failed (exit 3 from `capheap-sim run`)...
    /// assert!(instance.call("bump", &[]).unwrap_err().is_call_failure());
    /// // ...or could not be made at all (exit 1).
    /// assert!(!instance.call("missing", &[]).unwrap_err().is_call_failure());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_call_failure(&self) -> bool {
        matches!(
            self,
            SimError::OutOfFuel { .. }
                | SimError::GrowthOutOfFuel { .. }
                | SimError::LimitExceeded { .. }
                | SimError::Trap { .. }
                | SimError::Abort { .. }
                | SimError::Host { .. }
                | SimError::UnknownImportCalled { .. }
                | SimError::InputAllocFailed { .. }
                | SimError::RegionOutOfBounds { .. }
                | SimError::BadReturn { .. }
                | SimError::NotSimulated { .. }
                | SimError::BadRegion { .. }
                | SimError::ContractError { .. }
                | SimError::InvalidContractResult { .. }
                | SimError::Reverted { .. }
        )
    }

    /// Whether the error is "ran out of fuel", in wasm or paying for growth.
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
    /// let sim = Simulator::builder().fuel_limit(1).build()?;
    /// let err = sim.load(&wasm)?.instantiate()?.call("bump", &[]).unwrap_err();
    /// assert!(err.is_out_of_fuel());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_out_of_fuel(&self) -> bool {
        matches!(
            self,
            SimError::OutOfFuel { .. } | SimError::GrowthOutOfFuel { .. }
        )
    }

    pub(crate) fn host(function: &str, message: impl Into<String>) -> Self {
        SimError::Host {
            function: function.to_owned(),
            message: message.into(),
        }
    }
}

/// Why a snapshot could not be read, taken or restored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "type", content = "detail", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum SnapshotError {
    /// The file ends early.
    #[error("snapshot truncated: {len} bytes, expected {expected}")]
    Truncated {
        /// Bytes present.
        len: u64,
        /// Bytes the header promises (or the minimum).
        expected: u64,
    },
    /// The file is not a capheap snapshot.
    #[error("not a capheap snapshot (no `CAPHSNAP` magic)")]
    Foreign,
    /// A snapshot of another format version.
    #[error(
        "snapshot format version {found} is not supported (this simulator reads version {supported})"
    )]
    UnsupportedVersion {
        /// The file's version.
        found: u32,
        /// The version this simulator reads.
        supported: u32,
    },
    /// The checksum does not match: the file is corrupt.
    #[error("snapshot checksum mismatch: the file is corrupt")]
    ChecksumMismatch,
    /// The checksum matches but the content is inconsistent.
    #[error("malformed snapshot: {0}")]
    Malformed(String),
    /// The snapshot was taken of another contract.
    #[error("snapshot is of contract {found}, not {expected}")]
    WrongContract {
        /// The contract being restored into.
        expected: Digest,
        /// The contract the snapshot was taken of.
        found: Digest,
    },
    /// The snapshot does not fit the contract (memory smaller than its
    /// initial memory, a global that is not there, ...).
    #[error("cannot restore snapshot: {0}")]
    Incompatible(String),
    /// The instance holds state snapshots cannot express.
    #[error("cannot snapshot: {0}")]
    Unsupported(String),
}

/// `(i32, i64) -> (i32)` style rendering of a signature, for messages.
pub(crate) fn signature(params: &[wasmi::ValType], results: &[wasmi::ValType]) -> String {
    let list = |tys: &[wasmi::ValType]| {
        tys.iter()
            .map(|t| format!("{t:?}").to_lowercase())
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!("({}) -> ({})", list(params), list(results))
}

/// The message for a name that is none of `names`: "unknown {what} `{name}`
/// (expected a, b or c)", the names in the order given.
pub(crate) fn unknown_name<'a>(
    what: &str,
    name: &str,
    names: impl IntoIterator<Item = &'a str>,
) -> String {
    let names: Vec<&str> = names.into_iter().collect();
    let expected = match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        Some((last, _)) => (*last).to_owned(),
        None => "nothing".to_owned(),
    };
    format!("unknown {what} `{name}` (expected {expected})")
}

/// Shorthand for results of the simulator.
pub type Result<T, E = SimError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::unknown_name;

    #[test]
    fn an_unknown_name_lists_the_known_ones_in_order() {
        assert_eq!(
            unknown_name("thing", "x", ["a", "b", "c"]),
            "unknown thing `x` (expected a, b or c)"
        );
        assert_eq!(
            unknown_name("thing", "x", ["a", "b"]),
            "unknown thing `x` (expected a or b)"
        );
        assert_eq!(
            unknown_name("thing", "x", ["a"]),
            "unknown thing `x` (expected a)"
        );
        assert_eq!(
            unknown_name("thing", "x", []),
            "unknown thing `x` (expected nothing)"
        );
    }
}
