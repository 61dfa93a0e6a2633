//! capheap's own host ABI (import module `capheap`), version
//! [`HOST_ABI_VERSION`]: call input and output, byte-keyed storage, logs,
//! abort and the gas hook, with call convention v0 for exports (see
//! `docs/src/host-abi.md`). Each import is a typed Rust function registered
//! with [`Linker::func_wrap`].

use wasmi::{Caller, Linker};

use super::{AbiFunction, AbiType, HostState, charge_abi, place, read, region, trap};
use crate::error::{Result, SimError};

/// Version of the host ABI below. Bumped on any incompatible change.
pub const HOST_ABI_VERSION: u32 = 1;

/// Module name of the host ABI imports.
pub const HOST_MODULE: &str = "capheap";

/// Export through which the host places data in contract memory:
/// `capheap_alloc(len: i32) -> ptr: i32`.
pub const ALLOC_EXPORT: &str = "capheap_alloc";

use AbiType::{I32, I64};

/// The host ABI, version [`HOST_ABI_VERSION`]: every function a contract may
/// import from module [`HOST_MODULE`].
pub const HOST_ABI: &[AbiFunction] = &[
    AbiFunction {
        module: HOST_MODULE,
        name: "input",
        params: &[],
        results: &[I64],
        summary: "places the call input in memory through `capheap_alloc` and returns its region `(ptr << 32) | len` (0 when empty)",
        simulated: true,
    },
    AbiFunction {
        module: HOST_MODULE,
        name: "input_len",
        params: &[],
        results: &[I32],
        summary: "length of the call input",
        simulated: true,
    },
    AbiFunction {
        module: HOST_MODULE,
        name: "output",
        params: &[I32, I32],
        results: &[],
        summary: "sets the call output to the bytes at `(ptr, len)` (overrides a returned region)",
        simulated: true,
    },
    AbiFunction {
        module: HOST_MODULE,
        name: "storage_read",
        params: &[I32, I32],
        results: &[I64],
        summary: "value under key `(ptr, len)`, placed through `capheap_alloc`: region, or -1 when absent",
        simulated: true,
    },
    AbiFunction {
        module: HOST_MODULE,
        name: "storage_write",
        params: &[I32, I32, I32, I32],
        results: &[I32],
        summary: "sets key `(kptr, klen)` to value `(vptr, vlen)`; 1 if it replaced a value, else 0",
        simulated: true,
    },
    AbiFunction {
        module: HOST_MODULE,
        name: "storage_remove",
        params: &[I32, I32],
        results: &[I32],
        summary: "removes key `(ptr, len)`; 1 if it was present, else 0",
        simulated: true,
    },
    AbiFunction {
        module: HOST_MODULE,
        name: "log",
        params: &[I32, I32],
        results: &[],
        summary: "appends the bytes at `(ptr, len)` (lossy UTF-8) to the call's logs",
        simulated: true,
    },
    AbiFunction {
        module: HOST_MODULE,
        name: "abort",
        params: &[I32, I32, I32],
        results: &[],
        summary: "`abort(code, msg_ptr, msg_len)`: ends the call with `SimError::Abort`",
        simulated: true,
    },
    AbiFunction {
        module: HOST_MODULE,
        name: "gas_left",
        params: &[],
        results: &[I64],
        summary: "fuel left in the call after this import's own cost",
        simulated: true,
    },
];

/// Looks up a host ABI function by name.
///
/// ```
/// use capheap_sim::host::capheap::abi_function;
///
/// let output = abi_function("output").unwrap();
/// assert_eq!((output.module, output.params.len()), ("capheap", 2));
/// assert!(abi_function("no_such_function").is_none());
/// ```
pub fn abi_function(name: &str) -> Option<&'static AbiFunction> {
    HOST_ABI.iter().find(|f| f.name == name)
}

type Ctx<'a> = Caller<'a, HostState>;
type HostResult<T> = std::result::Result<T, wasmi::Error>;

fn name(import: &str) -> String {
    format!("{HOST_MODULE}.{import}")
}

fn input(mut caller: Ctx<'_>) -> HostResult<i64> {
    let input = std::mem::take(&mut caller.data_mut().call.input);
    let outcome = charge_abi(&mut caller, input.len())
        .map_err(trap)
        .and_then(|()| {
            if input.is_empty() {
                Ok(0)
            } else {
                let len = u32::try_from(input.len())
                    .map_err(|_| trap(SimError::InputTooLarge { len: input.len() }))?;
                place(&mut caller, ALLOC_EXPORT, &name("input"), &input).map(|ptr| region(ptr, len))
            }
        });
    caller.data_mut().call.input = input;
    outcome
}

fn input_len(mut caller: Ctx<'_>) -> HostResult<i32> {
    charge_abi(&mut caller, 0).map_err(trap)?;
    let len = caller.data().call.input.len();
    Ok(i32::try_from(len).unwrap_or(i32::MAX))
}

fn output(mut caller: Ctx<'_>, ptr: u32, len: u32) -> HostResult<()> {
    caller
        .data()
        .deny_during_stats(&name("output"))
        .map_err(trap)?;
    charge_abi(&mut caller, len as usize).map_err(trap)?;
    let bytes = read(&caller, &name("output"), ptr, len).map_err(trap)?;
    caller.data_mut().call.output = Some(bytes);
    Ok(())
}

fn storage_read(mut caller: Ctx<'_>, ptr: u32, len: u32) -> HostResult<i64> {
    let f = name("storage_read");
    let key = read(&caller, &f, ptr, len).map_err(trap)?;
    let value = caller.data().storage.get(&key).map(<[u8]>::to_vec);
    let moved = key.len().saturating_add(value.as_ref().map_or(0, Vec::len));
    charge_abi(&mut caller, moved).map_err(trap)?;
    Ok(match value {
        None => -1,
        Some(v) if v.is_empty() => 0,
        Some(v) => {
            let len = u32::try_from(v.len())
                .map_err(|_| trap(SimError::host(&f, "value larger than wasm32 can address")))?;
            region(place(&mut caller, ALLOC_EXPORT, &f, &v)?, len)
        }
    })
}

fn storage_write(
    mut caller: Ctx<'_>,
    kptr: u32,
    klen: u32,
    vptr: u32,
    vlen: u32,
) -> HostResult<i32> {
    let f = name("storage_write");
    caller.data().deny_during_stats(&f).map_err(trap)?;
    charge_abi(&mut caller, (klen as usize).saturating_add(vlen as usize)).map_err(trap)?;
    let key = read(&caller, &f, kptr, klen).map_err(trap)?;
    let value = read(&caller, &f, vptr, vlen).map_err(trap)?;
    let replaced = caller.data_mut().store(key, value).map_err(trap)?.is_some();
    Ok(i32::from(replaced))
}

fn storage_remove(mut caller: Ctx<'_>, ptr: u32, len: u32) -> HostResult<i32> {
    caller
        .data()
        .deny_during_stats(&name("storage_remove"))
        .map_err(trap)?;
    charge_abi(&mut caller, len as usize).map_err(trap)?;
    let key = read(&caller, &name("storage_remove"), ptr, len).map_err(trap)?;
    let removed = caller.data_mut().storage.remove(&key).is_some();
    Ok(i32::from(removed))
}

fn log(mut caller: Ctx<'_>, ptr: u32, len: u32) -> HostResult<()> {
    caller
        .data()
        .deny_during_stats(&name("log"))
        .map_err(trap)?;
    charge_abi(&mut caller, len as usize).map_err(trap)?;
    let bytes = read(&caller, &name("log"), ptr, len).map_err(trap)?;
    let line = String::from_utf8_lossy(&bytes).into_owned();
    caller.data_mut().push_log(line).map_err(trap)
}

fn abort(caller: Ctx<'_>, code: i32, ptr: u32, len: u32) -> HostResult<()> {
    let bytes = read(&caller, &name("abort"), ptr, len).map_err(trap)?;
    let message = String::from_utf8_lossy(&bytes).into_owned();
    Err(trap(SimError::Abort { code, message }))
}

fn gas_left(mut caller: Ctx<'_>) -> HostResult<i64> {
    charge_abi(&mut caller, 0).map_err(trap)?;
    let left = caller.get_fuel().unwrap_or(0);
    Ok(i64::try_from(left).unwrap_or(i64::MAX))
}

/// Whether the module can read call input through this ABI's `input` or
/// `input_len`.
pub(crate) fn imports_input(info: &crate::instrument::ModuleInfo) -> bool {
    info.imports
        .iter()
        .any(|i| i.module == HOST_MODULE && (i.name == "input" || i.name == "input_len"))
}

/// Registers every function of [`HOST_ABI`] under [`HOST_MODULE`].
pub(crate) fn link(linker: &mut Linker<HostState>) -> Result<()> {
    let m = HOST_MODULE;
    let e = super::link_err;
    linker.func_wrap(m, "input", input).map_err(e)?;
    linker.func_wrap(m, "input_len", input_len).map_err(e)?;
    linker.func_wrap(m, "output", output).map_err(e)?;
    linker
        .func_wrap(m, "storage_read", storage_read)
        .map_err(e)?;
    linker
        .func_wrap(m, "storage_write", storage_write)
        .map_err(e)?;
    linker
        .func_wrap(m, "storage_remove", storage_remove)
        .map_err(e)?;
    linker.func_wrap(m, "log", log).map_err(e)?;
    linker.func_wrap(m, "abort", abort).map_err(e)?;
    linker.func_wrap(m, "gas_left", gas_left).map_err(e)?;
    Ok(())
}
