//! The host side: the `capheap` host ABI, the growth hook, custom host
//! functions and the per-instance state they share.
//!
//! See `docs/src/host-abi.md` for the contract-facing description.

use std::sync::Arc;

use capheap::meter::GrowthRequest;
use serde::Serialize;
use wasmi::{Caller, Extern, Func, FuncType, Linker, Memory, Val, ValType};

use crate::engine::{SimConfig, UnknownImports};
use crate::error::{Result, SimError};
use crate::instrument::{GROW_IMPORT, MEMORY_EXPORT, ModuleInfo, RESERVED_MODULE};
use crate::limits::{Limit, PageCapPolicy, WASM32_MAX_PAGES};
use crate::outcome::{GrowthEvent, GrowthResult};
use crate::storage::Storage;

/// Version of the host ABI below. Bumped on any incompatible change.
pub const HOST_ABI_VERSION: u32 = 1;

/// Module name of the host ABI imports.
pub const HOST_MODULE: &str = "capheap";

/// Export through which the host places data in contract memory:
/// `capheap_alloc(len: i32) -> ptr: i32`.
pub const ALLOC_EXPORT: &str = "capheap_alloc";

/// A value type of the host ABI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AbiType {
    /// `i32`.
    I32,
    /// `i64`.
    I64,
}

impl AbiType {
    fn val_type(self) -> ValType {
        match self {
            AbiType::I32 => ValType::I32,
            AbiType::I64 => ValType::I64,
        }
    }
}

/// One function of the host ABI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct AbiFunction {
    /// Import name (module [`HOST_MODULE`]).
    pub name: &'static str,
    /// Parameter types.
    pub params: &'static [AbiType],
    /// Result types.
    pub results: &'static [AbiType],
    /// What it does.
    pub summary: &'static str,
}

impl AbiFunction {
    /// The wasmi function type.
    pub fn func_type(&self) -> FuncType {
        FuncType::new(
            self.params.iter().map(|t| t.val_type()),
            self.results.iter().map(|t| t.val_type()),
        )
    }
}

use AbiType::{I32, I64};

/// The host ABI, version [`HOST_ABI_VERSION`]: every function a contract may
/// import from module [`HOST_MODULE`].
pub const HOST_ABI: &[AbiFunction] = &[
    AbiFunction {
        name: "input",
        params: &[],
        results: &[I64],
        summary: "places the call input in memory through `capheap_alloc` and returns its region `(ptr << 32) | len` (0 when empty)",
    },
    AbiFunction {
        name: "input_len",
        params: &[],
        results: &[I32],
        summary: "length of the call input",
    },
    AbiFunction {
        name: "output",
        params: &[I32, I32],
        results: &[],
        summary: "sets the call output to the bytes at `(ptr, len)` (overrides a returned region)",
    },
    AbiFunction {
        name: "storage_read",
        params: &[I32, I32],
        results: &[I64],
        summary: "value under key `(ptr, len)`, placed through `capheap_alloc`: region, or -1 when absent",
    },
    AbiFunction {
        name: "storage_write",
        params: &[I32, I32, I32, I32],
        results: &[I32],
        summary: "sets key `(kptr, klen)` to value `(vptr, vlen)`; 1 if it replaced a value, else 0",
    },
    AbiFunction {
        name: "storage_remove",
        params: &[I32, I32],
        results: &[I32],
        summary: "removes key `(ptr, len)`; 1 if it was present, else 0",
    },
    AbiFunction {
        name: "log",
        params: &[I32, I32],
        results: &[],
        summary: "appends the bytes at `(ptr, len)` (lossy UTF-8) to the call's logs",
    },
    AbiFunction {
        name: "abort",
        params: &[I32, I32, I32],
        results: &[],
        summary: "`abort(code, msg_ptr, msg_len)`: ends the call with `SimError::Abort`",
    },
    AbiFunction {
        name: "gas_left",
        params: &[],
        results: &[I64],
        summary: "fuel left in the call after this import's own cost",
    },
];

/// Looks up a host ABI function by name.
pub fn abi_function(name: &str) -> Option<&'static AbiFunction> {
    HOST_ABI.iter().find(|f| f.name == name)
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
    pub fn seed(&self) -> u64 {
        self.caller.data().seed
    }

    /// Fuel left in the call.
    pub fn fuel_left(&self) -> u64 {
        self.caller.get_fuel().unwrap_or(0)
    }

    /// Charges `fuel` to the call (reported as host fuel); out of fuel ends
    /// the call.
    pub fn charge(&mut self, fuel: u64) -> Result<(), HostFnError> {
        charge(&mut self.caller, fuel).map_err(HostFnError::from)
    }

    /// Reads `len` bytes at `ptr` of contract memory.
    pub fn read(&self, ptr: u32, len: u32) -> Result<Vec<u8>, HostFnError> {
        read(&self.caller, &self.function, ptr, len).map_err(HostFnError::from)
    }

    /// Writes `bytes` at `ptr` of contract memory.
    pub fn write(&mut self, ptr: u32, bytes: &[u8]) -> Result<(), HostFnError> {
        write(&mut self.caller, &self.function, ptr, bytes).map_err(HostFnError::from)
    }

    /// Contract storage.
    pub fn storage(&self) -> &Storage {
        &self.caller.data().storage
    }

    /// Contract storage, mutably.
    pub fn storage_mut(&mut self) -> &mut Storage {
        &mut self.caller.data_mut().storage
    }

    /// Appends a line to the call's logs.
    pub fn log(&mut self, line: impl Into<String>) {
        self.caller.data_mut().call.logs.push(line.into());
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
}

/// The store data of an instance.
pub(crate) struct HostState {
    pub config: Arc<SimConfig>,
    pub memory: Option<Memory>,
    pub storage: Storage,
    pub high_water_pages: u32,
    pub seed: u64,
    pub call: CallState,
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

fn trap(e: SimError) -> wasmi::Error {
    wasmi::Error::host(HostTrap(e))
}

fn memory_of(caller: &Caller<'_, HostState>) -> Result<Memory> {
    if let Some(memory) = caller.data().memory {
        return Ok(memory);
    }
    caller
        .get_export(MEMORY_EXPORT)
        .and_then(Extern::into_memory)
        .ok_or(SimError::NoMemory)
}

fn charge(caller: &mut Caller<'_, HostState>, fuel: u64) -> Result<()> {
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
fn charge_abi(caller: &mut Caller<'_, HostState>, bytes: usize) -> Result<()> {
    let costs = caller.data().config.host_costs;
    let fuel = costs
        .per_byte
        .saturating_mul(bytes as u64)
        .saturating_add(costs.base);
    charge(caller, fuel)
}

fn read(caller: &Caller<'_, HostState>, function: &str, ptr: u32, len: u32) -> Result<Vec<u8>> {
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

fn write(caller: &mut Caller<'_, HostState>, function: &str, ptr: u32, bytes: &[u8]) -> Result<()> {
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

/// Packs a region as the ABI returns it.
pub(crate) fn region(ptr: u32, len: u32) -> i64 {
    ((u64::from(ptr) << 32) | u64::from(len)) as i64
}

/// Places `bytes` in contract memory through its `capheap_alloc` export and
/// returns the pointer. Fuel of the nested call is execution fuel.
fn place(
    caller: &mut Caller<'_, HostState>,
    function: &str,
    bytes: &[u8],
) -> Result<u32, wasmi::Error> {
    let len = i32::try_from(bytes.len())
        .map_err(|_| trap(SimError::InputTooLarge { len: bytes.len() }))?;
    let alloc = caller
        .get_export(crate::host::ALLOC_EXPORT)
        .and_then(Extern::into_func)
        .ok_or_else(|| {
            trap(SimError::host(
                function,
                "the contract exports no `capheap_alloc`",
            ))
        })?;
    let mut out = [Val::I32(0)];
    alloc.call(&mut *caller, &[Val::I32(len)], &mut out)?;
    let ptr = out[0].i32().unwrap_or(0) as u32;
    if ptr == 0 {
        return Err(trap(SimError::host(
            function,
            format!("`capheap_alloc({len})` returned 0"),
        )));
    }
    write(caller, function, ptr, bytes).map_err(trap)?;
    Ok(ptr)
}

fn arg_u32(args: &[Val], i: usize) -> u32 {
    args.get(i).and_then(Val::i32).unwrap_or(0) as u32
}

/// Runs the ABI function `name`.
fn abi_call(
    caller: &mut Caller<'_, HostState>,
    name: &str,
    args: &[Val],
    results: &mut [Val],
) -> Result<(), wasmi::Error> {
    let function = format!("{HOST_MODULE}.{name}");
    let f = function.as_str();
    let ret = |results: &mut [Val], v: Val| {
        if let Some(slot) = results.first_mut() {
            *slot = v;
        }
    };
    match name {
        "input" => {
            let input = std::mem::take(&mut caller.data_mut().call.input);
            let outcome = charge_abi(caller, input.len())
                .map_err(trap)
                .and_then(|()| {
                    if input.is_empty() {
                        Ok(0)
                    } else {
                        let len = input.len() as u32;
                        place(caller, f, &input).map(|ptr| region(ptr, len))
                    }
                });
            caller.data_mut().call.input = input;
            ret(results, Val::I64(outcome?));
        }
        "input_len" => {
            charge_abi(caller, 0).map_err(trap)?;
            let len = caller.data().call.input.len() as i32;
            ret(results, Val::I32(len));
        }
        "output" => {
            let len = arg_u32(args, 1);
            charge_abi(caller, len as usize).map_err(trap)?;
            let bytes = read(caller, f, arg_u32(args, 0), len).map_err(trap)?;
            caller.data_mut().call.output = Some(bytes);
        }
        "storage_read" => {
            let key = read(caller, f, arg_u32(args, 0), arg_u32(args, 1)).map_err(trap)?;
            let value = caller.data().storage.get(&key).map(<[u8]>::to_vec);
            let moved = key.len() + value.as_ref().map_or(0, Vec::len);
            charge_abi(caller, moved).map_err(trap)?;
            let packed = match value {
                None => -1,
                Some(v) if v.is_empty() => 0,
                Some(v) => region(place(caller, f, &v)?, v.len() as u32),
            };
            ret(results, Val::I64(packed));
        }
        "storage_write" => {
            let (klen, vlen) = (arg_u32(args, 1), arg_u32(args, 3));
            charge_abi(caller, (klen as usize).saturating_add(vlen as usize)).map_err(trap)?;
            let key = read(caller, f, arg_u32(args, 0), klen).map_err(trap)?;
            let value = read(caller, f, arg_u32(args, 2), vlen).map_err(trap)?;
            let replaced = caller.data_mut().storage.insert(key, value).is_some();
            ret(results, Val::I32(i32::from(replaced)));
        }
        "storage_remove" => {
            let len = arg_u32(args, 1);
            charge_abi(caller, len as usize).map_err(trap)?;
            let key = read(caller, f, arg_u32(args, 0), len).map_err(trap)?;
            let removed = caller.data_mut().storage.remove(&key).is_some();
            ret(results, Val::I32(i32::from(removed)));
        }
        "log" => {
            let len = arg_u32(args, 1);
            charge_abi(caller, len as usize).map_err(trap)?;
            let bytes = read(caller, f, arg_u32(args, 0), len).map_err(trap)?;
            let line = String::from_utf8_lossy(&bytes).into_owned();
            caller.data_mut().call.logs.push(line);
        }
        "abort" => {
            let code = args.first().and_then(Val::i32).unwrap_or(0);
            let bytes = read(caller, f, arg_u32(args, 1), arg_u32(args, 2)).map_err(trap)?;
            let message = String::from_utf8_lossy(&bytes).into_owned();
            return Err(trap(SimError::Abort { code, message }));
        }
        "gas_left" => {
            charge_abi(caller, 0).map_err(trap)?;
            let left = caller.get_fuel().unwrap_or(0);
            ret(results, Val::I64(i64::try_from(left).unwrap_or(i64::MAX)));
        }
        other => {
            return Err(trap(SimError::host(
                f,
                format!("no host ABI function `{other}`"),
            )));
        }
    }
    Ok(())
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
    let cap = config.limits.max_pages;
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
    crate::instance::signature(ty.params(), ty.results())
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

/// Builds the linker of one module: the growth hook, the host ABI, custom
/// host functions and, under [`UnknownImports::Trap`], trapping stubs.
pub(crate) fn linker(
    engine: &wasmi::Engine,
    config: &SimConfig,
    info: &ModuleInfo,
) -> Result<Linker<HostState>> {
    let link_err = |e: wasmi::errors::LinkerError| SimError::Instrument(e.to_string());
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
        let abi = (import.module == HOST_MODULE)
            .then(|| abi_function(&import.name))
            .flatten();
        let expected = match (abi, custom) {
            (Some(abi), _) => Some(abi.func_type()),
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
    for abi in HOST_ABI {
        let name = abi.name;
        linker
            .func_new(
                HOST_MODULE,
                name,
                abi.func_type(),
                move |mut caller, args, results| abi_call(&mut caller, name, args, results),
            )
            .map_err(link_err)?;
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
