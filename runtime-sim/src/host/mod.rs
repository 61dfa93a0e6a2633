//! The host side: one module per chain ABI, the growth hook, custom host
//! functions and the per-instance state they share.
//!
//! - [`capheap`]: capheap's own host ABI (module `capheap`, call convention v0).
//! - [`stylus`]: Arbitrum Stylus (`vm_hooks`, `user_entrypoint`).
//! - [`cosmwasm`]: CosmWasm 2.x (`env`, `interface_version_8`, Regions).
//!
//! Each environment is a set of typed Rust functions registered with wasmi's
//! [`Linker::func_wrap`] (one function per import, as cosmwasm-vm's
//! `imports.rs`), plus a table ([`AbiFunction`]) that `check` and the docs
//! read. Which environment a module gets is its [`Abi`], detected from its
//! imports and exports or set explicitly. See `docs/src/host-abi.md`.

/// Declares an environment's import table: `module "name" (params) ->
/// (results) simulated "summary";` per import (one home for the layout of
/// [`AbiFunction`] tables).
macro_rules! import_table {
    ($(#[$doc:meta])* $( $module:ident $name:literal ( $($p:ident),* ) -> ( $($r:ident),* ) $sim:literal $summary:literal ;)*) => {
        $(#[$doc])*
        pub const IMPORTS: &[$crate::host::AbiFunction] = &[
            $($crate::host::AbiFunction {
                module: $module,
                name: $name,
                params: &[$($p),*],
                results: &[$($r),*],
                summary: $summary,
                simulated: $sim,
            },)*
        ];
    };
}

pub mod capheap;
pub mod cosmwasm;
pub mod stylus;

use std::sync::Arc;

use ::capheap::meter::{GrowthRequest, PagePricing};
use serde::{Deserialize, Serialize};
use wasmi::{Caller, Extern, Func, FuncType, Linker, Memory, Val, ValType};

use crate::error::{Result, SimError};
use crate::instrument::{GROW_IMPORT, MEMORY_EXPORT, ModuleInfo, RESERVED_MODULE};
use crate::limits::{Limit, Limits, PageCapPolicy, WASM32_MAX_PAGES};
use crate::outcome::{GrowthEvent, GrowthResult};
use crate::storage::Storage;

pub use self::capheap::{ALLOC_EXPORT, HOST_ABI, HOST_ABI_VERSION, HOST_MODULE, abi_function};
use self::cosmwasm::CosmWasmEnv;
use self::stylus::StylusEnv;

/// The host ABI a contract is written against: which imports it gets and how
/// its entry points are called.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Abi {
    /// capheap's host ABI (module `capheap`), exports under call convention v0.
    #[default]
    Capheap,
    /// Arbitrum Stylus: module `vm_hooks`, entry point `user_entrypoint`.
    Stylus,
    /// CosmWasm 2.x: module `env`, `interface_version_8`, `instantiate`,
    /// `execute`, `query`, `migrate`.
    CosmWasm,
}

impl Abi {
    /// All ABIs, in a fixed order.
    pub const ALL: [Abi; 3] = [Abi::Capheap, Abi::Stylus, Abi::CosmWasm];

    /// The name used on the command line and in scenario files.
    ///
    /// ```
    /// use capheap_sim::Abi;
    ///
    /// let names: Vec<&str> = Abi::ALL.iter().map(|a| a.name()).collect();
    /// assert_eq!(names, ["capheap", "stylus", "cosmwasm"]);
    /// assert_eq!("stylus".parse::<Abi>(), Ok(Abi::Stylus));
    /// assert_eq!(
    ///     "evm".parse::<Abi>(),
    ///     Err("unknown ABI `evm` (expected capheap, stylus or cosmwasm)".into())
    /// );
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Abi::Capheap => "capheap",
            Abi::Stylus => "stylus",
            Abi::CosmWasm => "cosmwasm",
        }
    }

    /// The import table of this ABI.
    ///
    /// ```
    /// use capheap_sim::Abi;
    ///
    /// assert!(Abi::Stylus.imports().iter().any(|f| f.name == "storage_load_bytes32"));
    /// assert!(Abi::CosmWasm.imports().iter().all(|f| f.module == "env"));
    /// ```
    pub fn imports(self) -> &'static [AbiFunction] {
        match self {
            Abi::Capheap => HOST_ABI,
            Abi::Stylus => stylus::IMPORTS,
            Abi::CosmWasm => cosmwasm::IMPORTS,
        }
    }

    /// The import table entry `module.name` of this ABI.
    ///
    /// ```
    /// use capheap_sim::Abi;
    ///
    /// let read = Abi::CosmWasm.import("env", "db_read").unwrap();
    /// assert_eq!((read.params.len(), read.results.len()), (1, 1));
    /// assert!(Abi::CosmWasm.import("env", "no_such_import").is_none());
    /// ```
    pub fn import(self, module: &str, name: &str) -> Option<&'static AbiFunction> {
        self.imports()
            .iter()
            .find(|f| f.module == module && f.name == name)
    }

    /// Detects the ABI of a wasm module, with the reason; a module that
    /// does not parse is an error. The rules: `user_entrypoint` or a
    /// `vm_hooks` import means Stylus; an `interface_version_*` export or an
    /// `env` import of CosmWasm's means CosmWasm; anything else is capheap's
    /// ABI.
    ///
    /// ```
    /// use capheap_sim::Abi;
    ///
    /// let cosmwasm = wat::parse_str(
    ///     r#"(module (import "env" "db_read" (func (param i32) (result i32)))
    ///          (memory (export "memory") 1))"#,
    /// )?;
    /// assert_eq!(Abi::detect_wasm(&cosmwasm)?.0, Abi::CosmWasm);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn detect_wasm(wasm: &[u8]) -> Result<(Abi, String)> {
        if wasm.get(..4) != Some(b"\0asm") {
            return Err(SimError::NotWasm(
                "missing the `\\0asm` magic number".to_owned(),
            ));
        }
        let info = crate::instrument::scan(wasm).map_err(SimError::InvalidWasm)?;
        Ok(Abi::detect(&info))
    }

    /// Detects the ABI from a module's imports and exports, by the rules
    /// given on [`Abi::detect_wasm`]. The reason is returned for reports.
    pub(crate) fn detect(info: &ModuleInfo) -> (Abi, String) {
        let exports = || info.exports.iter().map(|e| e.name.as_str());
        if exports().any(|e| e == stylus::ENTRY_EXPORT) {
            return (Abi::Stylus, format!("exports `{}`", stylus::ENTRY_EXPORT));
        }
        if let Some(i) = info.imports.iter().find(|i| i.module == stylus::MODULE) {
            return (Abi::Stylus, format!("imports `{}.{}`", i.module, i.name));
        }
        if let Some(e) = exports().find(|e| e.starts_with("interface_version_")) {
            return (Abi::CosmWasm, format!("exports `{e}`"));
        }
        if let Some(i) = info
            .imports
            .iter()
            .find(|i| Abi::CosmWasm.import(&i.module, &i.name).is_some())
        {
            return (Abi::CosmWasm, format!("imports `{}.{}`", i.module, i.name));
        }
        (
            Abi::Capheap,
            "no Stylus or CosmWasm imports or exports".to_owned(),
        )
    }
}

impl Abi {
    /// The import table as a markdown table (import, signature, simulated,
    /// what it does): the docs embed it verbatim, and a test keeps them equal.
    ///
    /// ```
    /// use capheap_sim::Abi;
    ///
    /// let table = Abi::Capheap.imports_markdown();
    /// assert!(table.starts_with('|'));
    /// assert!(table.contains("`capheap.input`"));
    /// ```
    pub fn imports_markdown(self) -> String {
        let mut out = String::from(
            "| import | signature | simulated | what the simulator does |\n|---|---|---|---|\n",
        );
        for f in self.imports() {
            let ty = f.func_type();
            out.push_str(&format!(
                "| `{}.{}` | `{}` | {} | {} |\n",
                f.module,
                f.name,
                crate::error::signature(ty.params(), ty.results()),
                if f.simulated { "yes" } else { "**no**" },
                f.summary
            ));
        }
        out
    }
}

impl std::fmt::Display for Abi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Abi {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        Abi::ALL
            .into_iter()
            .find(|a| a.name() == s)
            .ok_or_else(|| crate::error::unknown_name("ABI", s, Abi::ALL.map(Abi::name)))
    }
}

/// A value type of a host import.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AbiType {
    /// `i32`.
    I32,
    /// `i64`.
    I64,
    /// `f32`.
    F32,
    /// `f64`.
    F64,
}

impl AbiType {
    fn val_type(self) -> ValType {
        match self {
            AbiType::I32 => ValType::I32,
            AbiType::I64 => ValType::I64,
            AbiType::F32 => ValType::F32,
            AbiType::F64 => ValType::F64,
        }
    }
}

/// One import of a host environment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct AbiFunction {
    /// Import module.
    pub module: &'static str,
    /// Import name.
    pub name: &'static str,
    /// Parameter types.
    pub params: &'static [AbiType],
    /// Result types.
    pub results: &'static [AbiType],
    /// What it does (and, for an import that is not simulated, why).
    pub summary: &'static str,
    /// Whether the simulator runs it; calling one that is not ends the call
    /// with [`SimError::NotSimulated`].
    pub simulated: bool,
}

impl AbiFunction {
    /// The wasmi function type.
    ///
    /// ```
    /// use capheap_sim::{Abi, ValType};
    ///
    /// let read = Abi::CosmWasm.import("env", "db_read").unwrap();
    /// assert_eq!(read.func_type().params(), [ValType::I32]);
    /// ```
    pub fn func_type(&self) -> FuncType {
        FuncType::new(
            self.params.iter().map(|t| t.val_type()),
            self.results.iter().map(|t| t.val_type()),
        )
    }
}

/// What to do with an import that neither the host ABI nor a custom host
/// function provides.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum UnknownImports {
    /// Refuse the module at load with [`SimError::UnknownImport`].
    #[default]
    Reject,
    /// Load it; calling the import traps with
    /// [`SimError::UnknownImportCalled`]. Non-function imports are always
    /// refused.
    Trap,
}

/// Everything a [`Simulator`] was configured with.
pub(crate) struct SimConfig {
    pub pricing: PagePricing,
    pub limits: Limits,
    pub host_costs: HostCosts,
    pub unknown_imports: UnknownImports,
    pub host_funcs: Vec<HostFuncDef>,
    pub fuel_limit: u64,
    pub memory_roots: bool,
    pub read_stats: bool,
    pub floats: bool,
    pub abi: Option<Abi>,
    pub keep_failed_writes: bool,
    pub stylus: StylusEnv,
    pub cosmwasm: CosmWasmEnv,
}

/// Fuel the host ABI charges, on top of wasm execution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct HostCosts {
    /// Charged on every host ABI call.
    pub base: u64,
    /// Charged per byte moved between the host and contract memory (input,
    /// output, storage keys and values, logs).
    pub per_byte: u64,
}

impl Default for HostCosts {
    fn default() -> Self {
        HostCosts {
            base: 100,
            per_byte: 1,
        }
    }
}

/// An error returned by a custom host function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostFnError(HostFnErrorInner);

#[derive(Clone, Debug, PartialEq, Eq)]
enum HostFnErrorInner {
    Message(String),
    Sim(SimError),
}

impl HostFnError {
    /// A failure described by `message`; the call ends with
    /// [`SimError::Host`] naming the function.
    ///
    /// ```
    /// use capheap_sim::{HostContext, HostFnError, Simulator, Val, ValType};
    ///
    /// let sim = Simulator::builder()
    ///     .host_func("env", "f", [], [], |cx: &mut HostContext<'_>, args: &[Val], out: &mut [Val]| {
    ///         Err(HostFnError::new("the oracle is down"))
    ///     })
    ///     .build()?;
    /// let wasm = wat::parse_str(
    ///     r#"(module (import "env" "f" (func $f ))
    ///          (memory (export "memory") 1)
    ///          (func (export "run") (result i32) (call $f) (i32.const 0)))"#,
    /// )?;
    /// let mut instance = sim.load(&wasm)?.instantiate()?;
    /// let err = instance.call("run", &[]).unwrap_err();
    /// assert!(err.to_string().contains("the oracle is down"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(message: impl Into<String>) -> Self {
        HostFnError(HostFnErrorInner::Message(message.into()))
    }

    fn into_sim(self, function: &str) -> SimError {
        match self.0 {
            HostFnErrorInner::Message(m) => SimError::host(function, m),
            HostFnErrorInner::Sim(e) => e,
        }
    }
}

impl From<SimError> for HostFnError {
    fn from(e: SimError) -> Self {
        HostFnError(HostFnErrorInner::Sim(e))
    }
}

/// A custom host function: `(context, params, results)`.
pub type HostFn =
    dyn Fn(&mut HostContext<'_>, &[Val], &mut [Val]) -> Result<(), HostFnError> + Send + Sync;

/// A custom host function registered with
/// [`SimulatorBuilder::host_func`](crate::SimulatorBuilder::host_func).
#[derive(Clone)]
pub(crate) struct HostFuncDef {
    pub module: String,
    pub name: String,
    pub ty: FuncType,
    pub func: Arc<HostFn>,
}

/// What a custom host function can see and do.
pub struct HostContext<'a> {
    caller: Caller<'a, HostState>,
    function: String,
}

impl HostContext<'_> {
    /// The instance's seed: a value the embedder sets per replay run
    /// ([`ReplayOptions::seeds`](crate::ReplayOptions)) to model host inputs
    /// that may differ between runs. Deterministic host functions ignore it.
    ///
    /// ```
    /// use capheap_sim::{HostContext, HostFnError, Simulator, Val, ValType};
    ///
    /// let sim = Simulator::builder()
    ///     .host_func("env", "f", [], [ValType::I32], |cx: &mut HostContext<'_>, args: &[Val], out: &mut [Val]| {
    ///         out[0] = Val::I32(cx.seed() as i32);
    ///         Ok(())
    ///     })
    ///     .build()?;
    /// let wasm = wat::parse_str(
    ///     r#"(module (import "env" "f" (func $f (result i32)))
    ///          (memory (export "memory") 1)
    ///          (func (export "run") (result i32) (call $f)))"#,
    /// )?;
    /// let mut instance = sim.load(&wasm)?.instantiate()?;
    /// instance.set_seed(17);
    /// assert_eq!(instance.call("run", &[])?.returned, Some(17));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn seed(&self) -> u64 {
        self.caller.data().seed
    }

    /// Fuel left in the call.
    ///
    /// ```
    /// use capheap_sim::{HostContext, HostFnError, Simulator, Val, ValType};
    ///
    /// let sim = Simulator::builder()
    ///     .host_func("env", "f", [], [ValType::I32], |cx: &mut HostContext<'_>, args: &[Val], out: &mut [Val]| {
    ///         out[0] = Val::I32((cx.fuel_left() > 0) as i32);
    ///         Ok(())
    ///     })
    ///     .build()?;
    /// let wasm = wat::parse_str(
    ///     r#"(module (import "env" "f" (func $f (result i32)))
    ///          (memory (export "memory") 1)
    ///          (func (export "run") (result i32) (call $f)))"#,
    /// )?;
    /// let mut instance = sim.load(&wasm)?.instantiate()?;
    /// assert_eq!(instance.call("run", &[])?.returned, Some(1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fuel_left(&self) -> u64 {
        self.caller.get_fuel().unwrap_or(0)
    }

    /// Charges `fuel` to the call (reported as host fuel); out of fuel ends
    /// the call.
    ///
    /// ```
    /// use capheap_sim::{HostContext, HostFnError, Simulator, Val, ValType};
    ///
    /// let sim = Simulator::builder()
    ///     .host_func("env", "f", [], [], |cx: &mut HostContext<'_>, args: &[Val], out: &mut [Val]| {
    ///         cx.charge(5_000)
    ///     })
    ///     .build()?;
    /// let wasm = wat::parse_str(
    ///     r#"(module (import "env" "f" (func $f ))
    ///          (memory (export "memory") 1)
    ///          (func (export "run") (result i32) (call $f) (i32.const 0)))"#,
    /// )?;
    /// let mut instance = sim.load(&wasm)?.instantiate()?;
    /// let outcome = instance.call("run", &[])?;
    /// assert!(outcome.fuel.host >= 5_000);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn charge(&mut self, fuel: u64) -> Result<(), HostFnError> {
        charge(&mut self.caller, fuel).map_err(HostFnError::from)
    }

    /// Reads `len` bytes at `ptr` of contract memory.
    ///
    /// ```
    /// use capheap_sim::{HostContext, HostFnError, Simulator, Val, ValType};
    ///
    /// let sim = Simulator::builder()
    ///     .host_func("env", "f", [], [ValType::I32], |cx: &mut HostContext<'_>, args: &[Val], out: &mut [Val]| {
    ///         let bytes = cx.read(0, 4)?;
    ///         out[0] = Val::I32(i32::from_le_bytes(bytes.try_into().unwrap()));
    ///         Ok(())
    ///     })
    ///     .build()?;
    /// let wasm = wat::parse_str(
    ///     r#"(module (import "env" "f" (func $f (result i32)))
    ///          (memory (export "memory") 1)
    ///          (func (export "run") (result i32) (i32.store (i32.const 0) (i32.const 99)) (call $f)))"#,
    /// )?;
    /// let mut instance = sim.load(&wasm)?.instantiate()?;
    /// assert_eq!(instance.call("run", &[])?.returned, Some(99));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read(&self, ptr: u32, len: u32) -> Result<Vec<u8>, HostFnError> {
        read(&self.caller, &self.function, ptr, len).map_err(HostFnError::from)
    }

    /// Writes `bytes` at `ptr` of contract memory.
    ///
    /// ```
    /// use capheap_sim::{HostContext, HostFnError, Simulator, Val, ValType};
    ///
    /// let sim = Simulator::builder()
    ///     .host_func("env", "f", [], [], |cx: &mut HostContext<'_>, args: &[Val], out: &mut [Val]| {
    ///         cx.write(8, &7i32.to_le_bytes())
    ///     })
    ///     .build()?;
    /// let wasm = wat::parse_str(
    ///     r#"(module (import "env" "f" (func $f ))
    ///          (memory (export "memory") 1)
    ///          (func (export "run") (result i32) (call $f) (i32.load (i32.const 8))))"#,
    /// )?;
    /// let mut instance = sim.load(&wasm)?.instantiate()?;
    /// assert_eq!(instance.call("run", &[])?.returned, Some(7));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write(&mut self, ptr: u32, bytes: &[u8]) -> Result<(), HostFnError> {
        write(&mut self.caller, &self.function, ptr, bytes).map_err(HostFnError::from)
    }

    /// Contract storage.
    ///
    /// ```
    /// use capheap_sim::{HostContext, HostFnError, Simulator, Val, ValType};
    ///
    /// let sim = Simulator::builder()
    ///     .host_func("env", "f", [], [ValType::I32], |cx: &mut HostContext<'_>, args: &[Val], out: &mut [Val]| {
    ///         out[0] = Val::I32(cx.storage().len() as i32);
    ///         Ok(())
    ///     })
    ///     .build()?;
    /// let wasm = wat::parse_str(
    ///     r#"(module (import "env" "f" (func $f (result i32)))
    ///          (memory (export "memory") 1)
    ///          (func (export "run") (result i32) (call $f)))"#,
    /// )?;
    /// let mut instance = sim.load(&wasm)?.instantiate()?;
    /// instance.storage_mut().insert(b"k".to_vec(), b"v".to_vec());
    /// assert_eq!(instance.call("run", &[])?.returned, Some(1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn storage(&self) -> &Storage {
        &self.caller.data().storage
    }

    /// Contract storage, mutably.
    ///
    /// ```
    /// use capheap_sim::{HostContext, HostFnError, Simulator, Val, ValType};
    ///
    /// let sim = Simulator::builder()
    ///     .host_func("env", "f", [], [], |cx: &mut HostContext<'_>, args: &[Val], out: &mut [Val]| {
    ///         cx.storage_mut().insert(b"visited".to_vec(), vec![1]);
    ///         Ok(())
    ///     })
    ///     .build()?;
    /// let wasm = wat::parse_str(
    ///     r#"(module (import "env" "f" (func $f ))
    ///          (memory (export "memory") 1)
    ///          (func (export "run") (result i32) (call $f) (i32.const 0)))"#,
    /// )?;
    /// let mut instance = sim.load(&wasm)?.instantiate()?;
    /// instance.call("run", &[])?;
    /// assert_eq!(instance.storage().get(b"visited"), Some(&[1u8][..]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn storage_mut(&mut self) -> &mut Storage {
        &mut self.caller.data_mut().storage
    }

    /// Appends a line to the call's logs (counted against
    /// [`Limits::max_log_bytes_per_call`]).
    ///
    /// ```
    /// use capheap_sim::{HostContext, HostFnError, Simulator, Val, ValType};
    ///
    /// let sim = Simulator::builder()
    ///     .host_func("env", "f", [], [], |cx: &mut HostContext<'_>, args: &[Val], out: &mut [Val]| {
    ///         cx.log("hello from the host")
    ///     })
    ///     .build()?;
    /// let wasm = wat::parse_str(
    ///     r#"(module (import "env" "f" (func $f ))
    ///          (memory (export "memory") 1)
    ///          (func (export "run") (result i32) (call $f) (i32.const 0)))"#,
    /// )?;
    /// let mut instance = sim.load(&wasm)?.instantiate()?;
    /// assert_eq!(instance.call("run", &[])?.logs, ["hello from the host"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn log(&mut self, line: impl Into<String>) -> Result<(), HostFnError> {
        self.caller
            .data_mut()
            .push_log(line.into())
            .map_err(HostFnError::from)
    }
}

/// State of the call in progress.
#[derive(Debug, Default)]
pub(crate) struct CallState {
    pub input: Vec<u8>,
    pub output: Option<Vec<u8>>,
    pub logs: Vec<String>,
    pub growth_fuel: u64,
    pub host_fuel: u64,
    pub growth: Vec<GrowthEvent>,
    pub fuel_limit: u64,
    /// Bytes logged so far (every log import).
    pub log_bytes: u64,
    pub stylus: stylus::StylusCall,
    pub cosmwasm: cosmwasm::CosmCall,
}

/// Who makes a call and what it sends: the per-call context of the chain
/// ABIs (capheap's ABI ignores it).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallEnv {
    /// The caller: a `0x` address (Stylus `msg_sender`) or a bech32 address
    /// (CosmWasm `info.sender`). Default: the chain environment's sender.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender: Option<String>,
    /// Stylus `msg_value` in wei (decimal, or `0x` hex). Default 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// CosmWasm `info.funds`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub funds: Vec<cosmwasm::Coin>,
}

impl CallEnv {
    /// Whether nothing is set.
    ///
    /// ```
    /// use capheap_sim::CallEnv;
    ///
    /// assert!(CallEnv::default().is_empty());
    /// assert!(!CallEnv { value: Some("1".into()), ..CallEnv::default() }.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        *self == CallEnv::default()
    }
}

/// The store data of an instance.
pub(crate) struct HostState {
    pub config: Arc<SimConfig>,
    pub memory: Option<Memory>,
    pub storage: Storage,
    pub high_water_pages: u32,
    pub seed: u64,
    pub call: CallState,
    /// Host functions now calling into the contract (re-entrancy depth).
    pub host_nesting: u32,
    /// The simulator is reading `capheap_stats`: growth and host writes are
    /// refused so that the read leaves no trace.
    pub reading_stats: bool,
    /// The contract's allocator statistics as of the end of the last call on
    /// this store (all zero on a fresh instance; read from memory after a
    /// snapshot restore; `None` when unknown): the base of the next call's
    /// refusal counts.
    pub stats_base: Option<::capheap::stats::Stats>,
    /// wasmi's limits on tables and instances.
    pub store_limits: wasmi::StoreLimits,
}

impl HostState {
    /// Refuses a side effect while `capheap_stats` is read.
    pub(crate) fn deny_during_stats(&self, function: &str) -> Result<()> {
        if self.reading_stats {
            return Err(SimError::host(
                function,
                "not allowed in `capheap_stats`: reading statistics must leave no trace",
            ));
        }
        Ok(())
    }

    /// Counts `bytes` against the call's log cap.
    pub(crate) fn count_log(&mut self, bytes: usize) -> Result<()> {
        let max = self.config.limits.max_log_bytes_per_call;
        let total = self.call.log_bytes.saturating_add(bytes as u64);
        if total > max {
            return Err(SimError::LimitExceeded {
                limit: Limit::LogBytes,
                max,
                value: Some(total),
            });
        }
        self.call.log_bytes = total;
        Ok(())
    }

    /// Appends a log line, counted against the call's log cap.
    pub(crate) fn push_log(&mut self, line: String) -> Result<()> {
        self.count_log(line.len())?;
        self.call.logs.push(line);
        Ok(())
    }

    /// Stores `value` under `key` within the storage caps (one value, and
    /// all of storage).
    pub(crate) fn store(&mut self, key: Vec<u8>, value: Vec<u8>) -> Result<Option<Vec<u8>>> {
        let limits = &self.config.limits;
        if value.len() as u64 > limits.max_storage_value {
            return Err(SimError::LimitExceeded {
                limit: Limit::StorageValue,
                max: limits.max_storage_value,
                value: Some(value.len() as u64),
            });
        }
        let old = self
            .storage
            .get(&key)
            .map_or(0, |v| (key.len() + v.len()) as u64);
        let after = self
            .storage
            .bytes()
            .saturating_sub(old)
            .saturating_add((key.len() + value.len()) as u64);
        if after > limits.max_storage_bytes {
            return Err(SimError::LimitExceeded {
                limit: Limit::StorageBytes,
                max: limits.max_storage_bytes,
                value: Some(after),
            });
        }
        Ok(self.storage.insert(key, value))
    }
}

/// Carries a [`SimError`] through wasmi as a host trap.
#[derive(Debug)]
pub(crate) struct HostTrap(pub SimError);

impl std::fmt::Display for HostTrap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl wasmi::errors::HostError for HostTrap {}

pub(crate) fn trap(e: SimError) -> wasmi::Error {
    wasmi::Error::host(HostTrap(e))
}

pub(crate) fn link_err(e: wasmi::errors::LinkerError) -> SimError {
    SimError::Instrument(e.to_string())
}

pub(crate) fn memory_of(caller: &Caller<'_, HostState>) -> Result<Memory> {
    if let Some(memory) = caller.data().memory {
        return Ok(memory);
    }
    caller
        .get_export(MEMORY_EXPORT)
        .and_then(Extern::into_memory)
        .ok_or(SimError::NoMemory)
}

pub(crate) fn charge(caller: &mut Caller<'_, HostState>, fuel: u64) -> Result<()> {
    let left = caller.get_fuel().unwrap_or(0);
    let limit = caller.data().call.fuel_limit;
    let rest = left
        .checked_sub(fuel)
        .ok_or(SimError::OutOfFuel { limit })?;
    caller
        .set_fuel(rest)
        .map_err(|e| SimError::host("fuel", e.to_string()))?;
    let state = caller.data_mut();
    state.call.host_fuel = state.call.host_fuel.saturating_add(fuel);
    Ok(())
}

/// Charges an ABI call moving `bytes` bytes.
pub(crate) fn charge_abi(caller: &mut Caller<'_, HostState>, bytes: usize) -> Result<()> {
    let costs = caller.data().config.host_costs;
    let fuel = costs
        .per_byte
        .saturating_mul(bytes as u64)
        .saturating_add(costs.base);
    charge(caller, fuel)
}

pub(crate) fn read(
    caller: &Caller<'_, HostState>,
    function: &str,
    ptr: u32,
    len: u32,
) -> Result<Vec<u8>> {
    let memory = memory_of(caller)?;
    let data = memory.data(caller);
    let start = ptr as usize;
    start
        .checked_add(len as usize)
        .and_then(|end| data.get(start..end))
        .map(<[u8]>::to_vec)
        .ok_or_else(|| {
            SimError::host(
                function,
                format!(
                    "region {ptr:#x}+{len} is outside linear memory ({} bytes)",
                    data.len()
                ),
            )
        })
}

pub(crate) fn write(
    caller: &mut Caller<'_, HostState>,
    function: &str,
    ptr: u32,
    bytes: &[u8],
) -> Result<()> {
    let memory = memory_of(caller)?;
    let data = memory.data_mut(caller);
    let memory_len = data.len();
    let start = ptr as usize;
    start
        .checked_add(bytes.len())
        .and_then(|end| data.get_mut(start..end))
        .ok_or_else(|| {
            SimError::host(
                function,
                format!(
                    "region {ptr:#x}+{} is outside linear memory ({memory_len} bytes)",
                    bytes.len()
                ),
            )
        })?
        .copy_from_slice(bytes);
    Ok(())
}

/// Packs a region as capheap's ABI returns it: `(ptr << 32) | len`.
pub(crate) fn region(ptr: u32, len: u32) -> i64 {
    ((u64::from(ptr) << 32) | u64::from(len)) as i64
}

/// Calls the contract's allocation export `alloc(len) -> ptr` (capheap's
/// `capheap_alloc`, CosmWasm's `allocate`) from inside a host function, for
/// `function`. Fuel of the nested call is execution fuel. A missing export, a
/// wrong signature or a null pointer is a typed error naming `function`.
pub(crate) fn call_alloc(
    caller: &mut Caller<'_, HostState>,
    alloc: &str,
    function: &str,
    len: usize,
) -> Result<u32, wasmi::Error> {
    let len = i32::try_from(len).map_err(|_| trap(SimError::InputTooLarge { len }))?;
    let func = caller
        .get_export(alloc)
        .and_then(Extern::into_func)
        .ok_or_else(|| {
            trap(SimError::host(
                function,
                format!("the contract exports no `{alloc}`"),
            ))
        })?;
    let typed = func.typed::<i32, i32>(&*caller).map_err(|_| {
        trap(SimError::host(
            function,
            format!("`{alloc}` is not (i32) -> (i32)"),
        ))
    })?;
    // A host function calling the contract, which may call a host function
    // again: bound the nesting, or the native stack overflows.
    let nesting = caller.data().host_nesting.saturating_add(1);
    let max = caller.data().config.limits.max_host_nesting;
    if nesting > max {
        return Err(trap(SimError::LimitExceeded {
            limit: Limit::HostNesting,
            max: u64::from(max),
            value: Some(u64::from(nesting)),
        }));
    }
    caller.data_mut().host_nesting = nesting;
    let result = typed.call(&mut *caller, len);
    caller.data_mut().host_nesting = nesting - 1;
    let ptr = result? as u32;
    if ptr == 0 {
        return Err(trap(SimError::host(
            function,
            format!("`{alloc}({len})` returned 0"),
        )));
    }
    Ok(ptr)
}

/// Places `bytes` in contract memory through the allocation export `alloc`
/// and returns the pointer.
pub(crate) fn place(
    caller: &mut Caller<'_, HostState>,
    alloc: &str,
    function: &str,
    bytes: &[u8],
) -> Result<u32, wasmi::Error> {
    let ptr = call_alloc(caller, alloc, function, bytes.len())?;
    write(caller, function, ptr, bytes).map_err(trap)?;
    Ok(ptr)
}
/// The growth hook every `memory.grow` is rewritten to call.
fn memory_grow(caller: &mut Caller<'_, HostState>, delta: i32) -> Result<i32, wasmi::Error> {
    let Ok(memory) = memory_of(caller) else {
        return Ok(-1);
    };
    let current = u32::try_from(memory.size(&*caller)).unwrap_or(u32::MAX);
    // `memory.grow`'s operand is unsigned.
    let delta = delta as u32;
    if delta == 0 {
        return Ok(current as i32);
    }
    if caller.data().reading_stats {
        // The statistics read may not grow memory: it fails as a refused
        // growth does, and nothing is charged or recorded.
        return Ok(-1);
    }
    let config = Arc::clone(&caller.data().config);
    let high_water = caller.data().high_water_pages.max(current);
    let mut event = GrowthEvent {
        current_pages: current,
        delta_pages: delta,
        high_water_pages: high_water,
        price: None,
        result: GrowthResult::Grown,
    };
    let new_pages = u64::from(current) + u64::from(delta);
    let declared_max = memory
        .ty(&*caller)
        .maximum()
        .unwrap_or(u64::from(WASM32_MAX_PAGES))
        .min(u64::from(WASM32_MAX_PAGES));
    let refuse = |caller: &mut Caller<'_, HostState>, mut event: GrowthEvent, why| {
        event.result = why;
        caller.data_mut().call.growth.push(event);
    };
    if new_pages > declared_max {
        refuse(caller, event, GrowthResult::DeclaredMaximum);
        return Ok(-1);
    }
    // The pricing model's own limit binds too: Stylus prices at most
    // 128 pages (its exponent table ends there), as nitro's page limit does.
    let model_limit = match config.pricing {
        PagePricing::Stylus { .. } => stylus::PAGE_LIMIT,
        _ => WASM32_MAX_PAGES,
    };
    let cap = config.limits.max_pages.min(model_limit);
    if new_pages > u64::from(cap) {
        refuse(caller, event, GrowthResult::PageCap);
        return match config.limits.page_cap_policy {
            PageCapPolicy::Fail => Ok(-1),
            PageCapPolicy::Trap => Err(trap(SimError::LimitExceeded {
                limit: Limit::MemoryPages,
                max: u64::from(cap),
                value: Some(new_pages),
            })),
        };
    }
    let price = config.pricing.price(GrowthRequest {
        current_pages: current,
        high_water_pages: high_water,
        delta_pages: delta,
    });
    event.price = price;
    let left = caller.get_fuel().unwrap_or(0);
    let Some(price) = price.filter(|&p| p <= left) else {
        refuse(caller, event, GrowthResult::OutOfFuel);
        return Err(trap(SimError::GrowthOutOfFuel {
            current_pages: current,
            delta_pages: delta,
            price: event.price,
            fuel_left: left,
            limit: caller.data().call.fuel_limit,
        }));
    };
    // Charge first, then grow; refund if the host cannot allocate.
    caller.set_fuel(left - price)?;
    if memory.grow(&mut *caller, u64::from(delta)).is_err() {
        caller.set_fuel(left)?;
        refuse(caller, event, GrowthResult::HostRefused);
        return Ok(-1);
    }
    let state = caller.data_mut();
    state.call.growth_fuel = state.call.growth_fuel.saturating_add(price);
    state.high_water_pages = high_water.max(new_pages as u32);
    state.call.growth.push(event);
    Ok(current as i32)
}

fn signature_of(ty: &FuncType) -> String {
    crate::error::signature(ty.params(), ty.results())
}

fn wasmparser_to_wasmi(ty: &wasmparser::FuncType) -> Option<FuncType> {
    let conv = |t: &wasmparser::ValType| match t {
        wasmparser::ValType::I32 => Some(ValType::I32),
        wasmparser::ValType::I64 => Some(ValType::I64),
        wasmparser::ValType::F32 => Some(ValType::F32),
        wasmparser::ValType::F64 => Some(ValType::F64),
        wasmparser::ValType::Ref(r) if r.is_func_ref() => Some(ValType::FuncRef),
        wasmparser::ValType::Ref(r) if r.is_extern_ref() => Some(ValType::ExternRef),
        _ => None,
    };
    let params: Option<Vec<_>> = ty.params().iter().map(conv).collect();
    let results: Option<Vec<_>> = ty.results().iter().map(conv).collect();
    Some(FuncType::new(params?, results?))
}

/// Builds the linker of one module: the growth hook, the host environment
/// of `abi`, custom host functions and, under [`UnknownImports::Trap`],
/// trapping stubs. Every import is checked against the environment's table
/// first, so a mismatch is a typed error naming the import.
pub(crate) fn linker(
    engine: &wasmi::Engine,
    config: &SimConfig,
    info: &ModuleInfo,
    abi: Abi,
) -> Result<Linker<HostState>> {
    let mut linker = Linker::<HostState>::new(engine);
    linker
        .func_wrap(
            RESERVED_MODULE,
            GROW_IMPORT,
            |mut caller: Caller<'_, HostState>, delta: i32| memory_grow(&mut caller, delta),
        )
        .map_err(link_err)?;
    let mut stubbed = std::collections::BTreeSet::new();
    for import in &info.imports {
        let found = import.func.as_ref().and_then(wasmparser_to_wasmi);
        let custom = config
            .host_funcs
            .iter()
            .find(|h| h.module == import.module && h.name == import.name);
        let expected = match (abi.import(&import.module, &import.name), custom) {
            (Some(f), _) => Some(f.func_type()),
            (None, Some(custom)) => Some(custom.ty.clone()),
            (None, None) => None,
        };
        let Some(found) = found else {
            // Memories, globals, tables and tags are never provided.
            return Err(SimError::UnknownImport {
                module: import.module.clone(),
                name: import.name.clone(),
                kind: import.kind.to_owned(),
            });
        };
        match expected {
            Some(expected) if expected != found => {
                return Err(SimError::ImportSignature {
                    module: import.module.clone(),
                    name: import.name.clone(),
                    found: signature_of(&found),
                    expected: signature_of(&expected),
                });
            }
            Some(_) => {}
            None if config.unknown_imports == UnknownImports::Reject => {
                return Err(SimError::UnknownImport {
                    module: import.module.clone(),
                    name: import.name.clone(),
                    kind: import.kind.to_owned(),
                });
            }
            None => {
                let (module, name) = (import.module.clone(), import.name.clone());
                if !stubbed.insert((module.clone(), name.clone())) {
                    continue;
                }
                linker
                    .func_new(&import.module, &import.name, found, move |_, _, _| {
                        Err(trap(SimError::UnknownImportCalled {
                            module: module.clone(),
                            name: name.clone(),
                        }))
                    })
                    .map_err(link_err)?;
            }
        }
    }
    match abi {
        Abi::Capheap => capheap::link(&mut linker)?,
        Abi::Stylus => stylus::link(&mut linker)?,
        Abi::CosmWasm => cosmwasm::link(&mut linker)?,
    }
    for def in &config.host_funcs {
        let func = Arc::clone(&def.func);
        let function = format!("{}.{}", def.module, def.name);
        linker
            .func_new(
                &def.module,
                &def.name,
                def.ty.clone(),
                move |caller, args, results| {
                    let mut cx = HostContext {
                        caller,
                        function: function.clone(),
                    };
                    func(&mut cx, args, results).map_err(|e| trap(e.into_sim(&function)))
                },
            )
            .map_err(link_err)?;
    }
    Ok(linker)
}

/// Looks up a function export by name.
pub(crate) fn export_func(
    instance: &wasmi::Instance,
    store: &wasmi::Store<HostState>,
    name: &str,
) -> Result<Func> {
    instance
        .get_export(store, name)
        .ok_or_else(|| SimError::MissingExport(name.to_owned()))?
        .into_func()
        .ok_or_else(|| SimError::NotAFunction(name.to_owned()))
}
