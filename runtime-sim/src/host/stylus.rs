//! Arbitrum Stylus: the `vm_hooks` imports of stylus-sdk 0.9 and 0.10 (and
//! its `console` debug imports), the entry point `user_entrypoint(len) ->
//! status`, 32-byte storage slots with the SDK's cache-then-flush semantics,
//! EVM logs, and memory priced with the Stylus model.
//!
//! Each import is a typed Rust function registered with
//! [`Linker::func_wrap`]. Calls to other contracts are answered from
//! configuration ([`ContractCall`]), and other accounts' code is the code
//! configured for them ([`StylusEnv::code`]). A call to an address the
//! configuration knows nothing of reaches an account without code and
//! succeeds with nothing returned, as on the EVM; a call to a configured
//! contract that no entry answers, and contract creation, end the call with
//! [`SimError::NotSimulated`] naming the import (the table [`IMPORTS`] says
//! which). See `docs/src/stylus.md`.

use std::collections::BTreeMap;

use alloy_primitives::{Address, B256, U256, keccak256};
use serde::Serialize;
use wasmi::{Caller, Linker};

use super::{AbiType, HostState, charge, charge_abi, read, trap, write};
use crate::error::{Result, SimError};
use crate::outcome::{EvmLog, GrowthResult};

/// Import module of the Stylus host functions.
pub const MODULE: &str = "vm_hooks";
/// Import module of Stylus's debug printing (`console`).
pub const CONSOLE_MODULE: &str = "console";
/// The Stylus entry point: `user_entrypoint(args_len: i32) -> status: i32`.
pub const ENTRY_EXPORT: &str = "user_entrypoint";
/// Most pages a Stylus program may have (nitro's default page limit).
pub const PAGE_LIMIT: u32 = 128;

/// The limits nitro's activation (`WasmBinary::parse_user`) puts on a
/// module besides its pages: anti-DoS bounds a program over which is refused.
/// Nitro checks them on the module after its own instrumentation, which
/// adds a few globals, locals and operators.
pub mod activation_limits {
    /// Most data segments.
    pub const DATA_SEGMENTS: u64 = 128;
    /// Most element segments.
    pub const ELEMENT_SEGMENTS: u64 = 128;
    /// Most exports.
    pub const EXPORTS: u64 = 1_024;
    /// Most defined functions.
    pub const FUNCTIONS: u64 = 4_096;
    /// Most globals.
    pub const GLOBALS: u64 = 32_768;
    /// Most locals of one function.
    pub const FUNCTION_LOCALS: u64 = 348;
    /// Most operators in one function body.
    pub const FUNCTION_OPERATORS: u64 = 65_536;
    /// Most imports (ArbOS 32 and later).
    pub const IMPORTS: u64 = 513;
    /// Most table entries (initial sizes of all tables).
    pub const TABLE_ENTRIES: u64 = 4_096;
    /// Most entries of all element segments.
    pub const ELEMENT_ENTRIES: u64 = 4_096;
    /// Longest export name, and module name in the `name` section.
    pub const NAME_BYTES: u64 = 512;
}
/// The WebAssembly features ArbOS's validator accepts at activation (nitro's
/// `parse_with_version`) before ArbOS 60: MVP, mutable globals, saturating
/// float-to-int, sign extension, multi-value and bulk memory (of whose
/// operators it runs only `memory.copy` and `memory.fill`); no reference
/// types, SIMD, threads, tail calls, exceptions or memory64.
pub const WASM_FEATURES: wasmparser::WasmFeatures = wasmparser::WasmFeatures::MUTABLE_GLOBAL
    .union(wasmparser::WasmFeatures::SATURATING_FLOAT_TO_INT)
    .union(wasmparser::WasmFeatures::SIGN_EXTENSION)
    .union(wasmparser::WasmFeatures::MULTI_VALUE)
    .union(wasmparser::WasmFeatures::BULK_MEMORY)
    .union(wasmparser::WasmFeatures::FLOATS)
    .union(wasmparser::WasmFeatures::GC_TYPES);
/// [`WASM_FEATURES`] from ArbOS 60 on, which turns multi-value off
/// (`ARBOS_VERSION_STYLUS_NO_MULTI_VALUE`).
pub const WASM_FEATURES_ARBOS_60: wasmparser::WasmFeatures =
    WASM_FEATURES.difference(wasmparser::WasmFeatures::MULTI_VALUE);
/// The bulk memory operators ArbOS activates; it refuses the others
/// (`memory.init`, `data.drop`, `table.copy`, `table.init`, `elem.drop`).
pub const BULK_MEMORY_RUN: &[&str] = &["memory.copy", "memory.fill"];
/// Most topics an EVM log may have.
pub const MAX_TOPICS: u32 = 4;

use AbiType::{F32, F64, I32, I64};

import_table! {
    #[doc = "Every import stylus-sdk 0.9/0.10 declares, and whether it is simulated."]
    MODULE "read_args" (I32) -> () true "copies the calldata to `dest`";
    MODULE "write_result" (I32, I32) -> () true "sets the call's return data (or revert data)";
    MODULE "msg_sender" (I32) -> () true "the caller's 20-byte address (the scenario call's `sender`)";
    MODULE "msg_value" (I32) -> () true "the call's value, 32 bytes big-endian (the scenario call's `value`)";
    MODULE "msg_reentrant" () -> (I32) true "always 0: the simulator runs no other contract's code";
    MODULE "contract_address" (I32) -> () true "the program's address (`[stylus] contract_address`)";
    MODULE "tx_origin" (I32) -> () true "the transaction origin (`[stylus] tx_origin`, default the sender)";
    MODULE "tx_gas_price" (I32) -> () true "`[stylus] gas_price`, 32 bytes big-endian";
    MODULE "tx_ink_price" () -> (I32) true "`[stylus] ink_price`";
    MODULE "block_basefee" (I32) -> () true "`[stylus] basefee`, 32 bytes big-endian";
    MODULE "block_coinbase" (I32) -> () true "`[stylus] coinbase`";
    MODULE "block_gas_limit" () -> (I64) true "`[stylus] gas_limit`";
    MODULE "block_number" () -> (I64) true "`[stylus] block_number`";
    MODULE "block_timestamp" () -> (I64) true "`[stylus] block_timestamp`";
    MODULE "chainid" () -> (I64) true "`[stylus] chain_id`";
    MODULE "evm_gas_left" () -> (I64) true "fuel left in the call";
    MODULE "evm_ink_left" () -> (I64) true "fuel left in the call";
    MODULE "account_balance" (I32, I32) -> () true "`[stylus.balances]`, 0 for any other account";
    MODULE "storage_load_bytes32" (I32, I32) -> () true "the slot's value: the call's cache, else storage, else zero";
    MODULE "storage_cache_bytes32" (I32, I32) -> () true "writes a slot to the call's cache";
    MODULE "storage_flush_cache" (I32) -> () true "persists the cache to storage (a zero value deletes the slot)";
    MODULE "emit_log" (I32, I32, I32) -> () true "an EVM log: the first 32·topics bytes are topics (at most 4)";
    MODULE "native_keccak256" (I32, I32, I32) -> () true "Keccak-256";
    MODULE "pay_for_memory_grow" (I32) -> () true "0 pages: the import check stylus-sdk makes; n pages: charged as growth by n (the simulator charges real growth at `memory.grow`)";
    MODULE "return_data_size" () -> (I32) true "the length of the last call's return (or revert) data; 0 before any call";
    MODULE "read_return_data" (I32, I32, I32) -> (I32) true "copies what there is of the last call's return data in [offset, offset + size) to `dest`; returns the bytes copied";
    MODULE "call_contract" (I32, I32, I32, I32, I64, I32) -> (I32) true "answered from `[[stylus.contract_call]]` (address and calldata): status 0 and its output, or 1 and its revert data; to an address with no entry and no code: status 0, no data (an account without code); to a contract with no matching entry: not simulated";
    MODULE "delegate_call_contract" (I32, I32, I32, I64, I32) -> (I32) true "as `call_contract` (without value)";
    MODULE "static_call_contract" (I32, I32, I32, I64, I32) -> (I32) true "as `call_contract` (without value)";
    MODULE "create1" (I32, I32, I32, I32, I32) -> () false "not simulated: contract creation";
    MODULE "create2" (I32, I32, I32, I32, I32, I32) -> () false "not simulated: contract creation";
    MODULE "account_code" (I32, I32, I32, I32) -> (I32) true "copies what there is of the account's code (`[stylus.code]`, else none) in [offset, offset + size) to `dest`; returns the bytes copied";
    MODULE "account_code_size" (I32) -> (I32) true "the length of the account's code (`[stylus.code]`, else 0)";
    MODULE "account_codehash" (I32, I32) -> () true "Keccak-256 of the account's code if `[stylus.code]` has it, else zero (an account that does not exist)";
    CONSOLE_MODULE "log_txt" (I32, I32) -> () true "appends the text to the call's logs";
    CONSOLE_MODULE "log_i32" (I32) -> () true "appends the number to the call's logs";
    CONSOLE_MODULE "log_i64" (I64) -> () true "appends the number to the call's logs";
    CONSOLE_MODULE "log_f32" (F32) -> () true "appends the number to the call's logs";
    CONSOLE_MODULE "log_f64" (F64) -> () true "appends the number to the call's logs";
}

/// The chain a Stylus program runs on: the values its getters return. Every
/// field is configurable (`[stylus]` in a scenario file).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StylusEnv {
    /// The program's own address.
    pub contract_address: Address,
    /// The sender of calls that name none.
    pub default_sender: Address,
    /// `tx_origin` (default: the call's sender).
    pub tx_origin: Option<Address>,
    /// `chainid` (default 412346, nitro's dev chain).
    pub chain_id: u64,
    /// `block_number`.
    pub block_number: u64,
    /// `block_timestamp` (seconds).
    pub block_timestamp: u64,
    /// `block_basefee` (wei).
    pub basefee: U256,
    /// `block_coinbase`.
    pub coinbase: Address,
    /// `block_gas_limit`.
    pub gas_limit: u64,
    /// `tx_gas_price` (wei).
    pub gas_price: U256,
    /// `tx_ink_price` (ink per gas).
    pub ink_price: u32,
    /// Balances `account_balance` reports (wei); others are 0.
    pub balances: BTreeMap<Address, U256>,
    /// Calls to other contracts and what they answer (the first entry that
    /// matches a call answers it). A call to an address that has neither an
    /// entry here nor [`code`](Self::code) succeeds with no return data (an
    /// account without code); one to an address that has either, but no
    /// matching entry, is [`SimError::NotSimulated`].
    pub contract_calls: Vec<ContractCall>,
    /// Other accounts' code (`account_code`, `account_code_size`,
    /// `account_codehash`); an account not here does not exist.
    pub code: BTreeMap<Address, Vec<u8>>,
}

/// A call to another contract answered from configuration
/// (`[[stylus.contract_call]]` in a scenario file): a `call_contract`,
/// `static_call_contract` or `delegate_call_contract` to `to` with exactly
/// `calldata` succeeds with `output` as its return data, or, if `reverts`,
/// fails with `output` as its revert data. Nothing else happens: no code
/// runs, no value moves, no storage changes (a delegate call's effects on
/// the caller's storage are not simulated).
///
/// ```
/// use capheap_sim::StylusEnv;
/// use capheap_sim::host::stylus::ContractCall;
/// use alloy_primitives::Address;
///
/// let token = Address::repeat_byte(0x70);
/// let env = StylusEnv {
///     contract_calls: vec![ContractCall {
///         to: token,
///         calldata: capheap_sim::calldata::encode_call("decimals()", &[] as &[&str])?,
///         output: capheap_sim::calldata::encode_values("uint8", &["18"])?,
///         reverts: false,
///     }],
///     ..StylusEnv::default()
/// };
/// assert_eq!(env.contract_calls[0].output[31], 18);
/// # Ok::<(), capheap_sim::SimError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ContractCall {
    /// The called contract.
    pub to: Address,
    /// The calldata this entry answers (selector and arguments).
    #[serde(with = "crate::hex::serde_bytes")]
    pub calldata: Vec<u8>,
    /// The return data, or the revert data if `reverts`.
    #[serde(with = "crate::hex::serde_bytes")]
    pub output: Vec<u8>,
    /// Whether the call reverts.
    pub reverts: bool,
}

impl Default for StylusEnv {
    fn default() -> Self {
        StylusEnv {
            contract_address: Address::repeat_byte(0xc0),
            default_sender: Address::repeat_byte(0xa1),
            tx_origin: None,
            chain_id: 412_346,
            block_number: 1,
            block_timestamp: 1_700_000_000,
            basefee: U256::from(100_000_000u64),
            coinbase: Address::ZERO,
            gas_limit: 32_000_000,
            gas_price: U256::from(100_000_000u64),
            ink_price: 10_000,
            balances: BTreeMap::new(),
            contract_calls: Vec::new(),
            code: BTreeMap::new(),
        }
    }
}

impl StylusEnv {
    /// Whether the scenario knows the account at `address`: it has
    /// [`code`](Self::code), or [`contract_calls`](Self::contract_calls)
    /// name it. A call to an account it does not know reaches an account
    /// without code and succeeds with nothing returned (as the EVM's does:
    /// ether sent to a wallet); a call to one it knows that no entry answers
    /// is not simulated.
    ///
    /// ```
    /// use alloy_primitives::Address;
    /// use capheap_sim::StylusEnv;
    ///
    /// let receiver = Address::repeat_byte(0xc1);
    /// let mut env = StylusEnv::default();
    /// assert!(!env.knows_account(&receiver));
    /// env.code.insert(receiver, vec![0xef, 0xf0, 0x00]);
    /// assert!(env.knows_account(&receiver));
    /// ```
    pub fn knows_account(&self, address: &Address) -> bool {
        self.code.contains_key(address) || self.contract_calls.iter().any(|c| c.to == *address)
    }
}

/// Stylus state of the call in progress.
#[derive(Debug, Default)]
pub(crate) struct StylusCall {
    pub sender: Address,
    pub value: U256,
    /// Return (or revert) data set by `write_result`.
    pub result: Vec<u8>,
    pub logs: Vec<EvmLog>,
    /// Slots written with `storage_cache_bytes32` and not yet flushed.
    pub cache: BTreeMap<B256, B256>,
    /// The last call's return (or revert) data.
    pub return_data: Vec<u8>,
}

type Ctx<'a> = Caller<'a, HostState>;
type HostResult<T> = std::result::Result<T, wasmi::Error>;

fn f(name: &str) -> String {
    format!("{MODULE}.{name}")
}

fn env<'a>(caller: &'a Ctx<'_>) -> &'a StylusEnv {
    &caller.data().config.stylus
}

fn read_array<const N: usize>(caller: &Ctx<'_>, function: &str, ptr: u32) -> HostResult<[u8; N]> {
    let bytes = read(caller, function, ptr, N as u32).map_err(trap)?;
    let mut out = [0u8; N];
    out.copy_from_slice(&bytes);
    Ok(out)
}

/// Charges the base cost, then writes `bytes` at `ptr`.
fn put(mut caller: Ctx<'_>, name: &str, ptr: u32, bytes: &[u8]) -> HostResult<()> {
    charge_abi(&mut caller, bytes.len()).map_err(trap)?;
    write(&mut caller, &f(name), ptr, bytes).map_err(trap)
}

fn getter<T>(mut caller: Ctx<'_>, value: impl FnOnce(&Ctx<'_>) -> T) -> HostResult<T> {
    charge_abi(&mut caller, 0).map_err(trap)?;
    Ok(value(&caller))
}

fn as_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn read_args(mut caller: Ctx<'_>, dest: u32) -> HostResult<()> {
    let args = std::mem::take(&mut caller.data_mut().call.input);
    let done = charge_abi(&mut caller, args.len())
        .and_then(|()| write(&mut caller, &f("read_args"), dest, &args));
    caller.data_mut().call.input = args;
    done.map_err(trap)
}

fn write_result(mut caller: Ctx<'_>, ptr: u32, len: u32) -> HostResult<()> {
    charge_abi(&mut caller, len as usize).map_err(trap)?;
    let data = read(&caller, &f("write_result"), ptr, len).map_err(trap)?;
    caller.data_mut().call.stylus.result = data;
    Ok(())
}

fn storage_load_bytes32(mut caller: Ctx<'_>, key: u32, dest: u32) -> HostResult<()> {
    let name = f("storage_load_bytes32");
    charge_abi(&mut caller, 64).map_err(trap)?;
    let key = B256::from(read_array::<32>(&caller, &name, key)?);
    let state = caller.data();
    let value = match state.call.stylus.cache.get(&key) {
        Some(v) => *v,
        None => state
            .storage
            .get(key.as_slice())
            .and_then(|v| B256::try_from(v).ok())
            .unwrap_or(B256::ZERO),
    };
    write(&mut caller, &name, dest, value.as_slice()).map_err(trap)
}

fn storage_cache_bytes32(mut caller: Ctx<'_>, key: u32, value: u32) -> HostResult<()> {
    let name = f("storage_cache_bytes32");
    charge_abi(&mut caller, 64).map_err(trap)?;
    let key = B256::from(read_array::<32>(&caller, &name, key)?);
    let value = B256::from(read_array::<32>(&caller, &name, value)?);
    caller.data_mut().call.stylus.cache.insert(key, value);
    Ok(())
}

/// Moves the call's cached slots to storage (a zero slot is deleted, as the
/// EVM stores it).
pub(crate) fn flush(state: &mut HostState) -> Result<()> {
    for (key, value) in std::mem::take(&mut state.call.stylus.cache) {
        if value == B256::ZERO {
            state.storage.remove(key.as_slice());
        } else {
            state.store(key.to_vec(), value.to_vec())?;
        }
    }
    Ok(())
}

fn storage_flush_cache(mut caller: Ctx<'_>, _clear: i32) -> HostResult<()> {
    let slots = caller.data().call.stylus.cache.len();
    charge_abi(&mut caller, slots.saturating_mul(64)).map_err(trap)?;
    flush(caller.data_mut()).map_err(trap)
}

fn emit_log(mut caller: Ctx<'_>, ptr: u32, len: u32, topics: u32) -> HostResult<()> {
    let name = f("emit_log");
    charge_abi(&mut caller, len as usize).map_err(trap)?;
    if topics > MAX_TOPICS {
        return Err(trap(SimError::host(
            &name,
            format!("{topics} topics (an EVM log has at most {MAX_TOPICS})"),
        )));
    }
    caller.data_mut().count_log(len as usize).map_err(trap)?;
    let bytes = read(&caller, &name, ptr, len).map_err(trap)?;
    let topic_bytes = (topics as usize) * 32;
    if bytes.len() < topic_bytes {
        return Err(trap(SimError::host(
            &name,
            format!("{len} bytes cannot hold {topics} topics of 32 bytes"),
        )));
    }
    let (head, data) = bytes.split_at(topic_bytes);
    let log = EvmLog {
        topics: head.chunks_exact(32).map(B256::from_slice).collect(),
        data: data.to_vec(),
    };
    caller.data_mut().call.stylus.logs.push(log);
    Ok(())
}

fn native_keccak256(mut caller: Ctx<'_>, ptr: u32, len: u32, out: u32) -> HostResult<()> {
    let name = f("native_keccak256");
    charge_abi(&mut caller, len as usize).map_err(trap)?;
    let bytes = read(&caller, &name, ptr, len).map_err(trap)?;
    write(&mut caller, &name, out, keccak256(&bytes).as_slice()).map_err(trap)
}

fn account_balance(mut caller: Ctx<'_>, address: u32, dest: u32) -> HostResult<()> {
    let name = f("account_balance");
    charge_abi(&mut caller, 52).map_err(trap)?;
    let address = Address::from(read_array::<20>(&caller, &name, address)?);
    let balance = env(&caller)
        .balances
        .get(&address)
        .copied()
        .unwrap_or(U256::ZERO);
    write(&mut caller, &name, dest, &balance.to_be_bytes::<32>()).map_err(trap)
}

/// `pay_for_memory_grow(pages)`: stylus-sdk calls it with 0 so that the
/// import exists (Stylus activation requires it where memory can grow). The
/// simulator charges real growth where it happens (every `memory.grow` goes
/// through its growth hook), so a call with n > 0 pages charges as a growth
/// by n pages from the current size would, without growing, as Stylus charges
/// a voluntary call.
fn pay_for_memory_grow(mut caller: Ctx<'_>, pages: i32) -> HostResult<()> {
    charge_abi(&mut caller, 0).map_err(trap)?;
    let pages = (pages as u32) & 0xffff;
    if pages == 0 {
        return Ok(());
    }
    let state = caller.data();
    let current = state
        .memory
        .map(|m| u32::try_from(m.size(&caller)).unwrap_or(u32::MAX))
        .unwrap_or(0);
    let request = ::capheap::meter::GrowthRequest {
        current_pages: current,
        high_water_pages: state.high_water_pages.max(current),
        delta_pages: pages,
    };
    let price = state.config.pricing.price(request).ok_or_else(|| {
        trap(SimError::host(
            &f("pay_for_memory_grow"),
            format!("{pages} pages from {current} cannot be priced"),
        ))
    })?;
    charge(&mut caller, price).map_err(trap)?;
    let call = &mut caller.data_mut().call;
    call.host_fuel = call.host_fuel.saturating_sub(price);
    call.growth_fuel = call.growth_fuel.saturating_add(price);
    call.growth.push(crate::outcome::GrowthEvent {
        current_pages: current,
        delta_pages: pages,
        high_water_pages: request.high_water_pages,
        price: Some(price),
        result: GrowthResult::Paid,
    });
    Ok(())
}

/// The status `call_contract` and its kin return: 0 the call succeeded, 1 it
/// reverted (nitro's `UserOutcomeKind`).
const CALL_SUCCESS: i32 = 0;
const CALL_REVERTED: i32 = 1;

/// `call_contract`, `static_call_contract` and `delegate_call_contract`:
/// reads the address, the calldata and (for `call_contract`) the value,
/// answers from [`StylusEnv::contract_calls`], keeps the output as the return
/// data and writes its length at `return_data_len`. An address the scenario
/// knows nothing of (no entry, no code) is an account without code, and the
/// call succeeds with no return data, as the EVM's does (sending ether to a
/// wallet); a call to a contract the scenario names that no entry answers
/// ends the call with [`SimError::NotSimulated`] naming the address and the
/// selector.
fn contract_call(
    mut caller: Ctx<'_>,
    name: &'static str,
    [to, calldata, calldata_len]: [u32; 3],
    value: Option<u32>,
    return_data_len: u32,
) -> HostResult<i32> {
    let function = f(name);
    let value_len = if value.is_some() { 32 } else { 0 };
    charge_abi(&mut caller, 20 + value_len + calldata_len as usize).map_err(trap)?;
    let to = Address::from(read_array::<20>(&caller, &function, to)?);
    let calldata = read(&caller, &function, calldata, calldata_len).map_err(trap)?;
    if let Some(value) = value {
        read_array::<32>(&caller, &function, value)?;
    }
    let env = env(&caller);
    let answer = env
        .contract_calls
        .iter()
        .find(|c| c.to == to && c.calldata == calldata);
    let (output, status) = match answer {
        Some(c) if c.reverts => (c.output.clone(), CALL_REVERTED),
        Some(c) => (c.output.clone(), CALL_SUCCESS),
        // An address the scenario knows nothing of has no code, and no code
        // runs: the call succeeds with nothing returned.
        None if !env.knows_account(&to) => (Vec::new(), CALL_SUCCESS),
        None => {
            let what = match calldata.get(..4) {
                Some(selector) => format!(
                    "selector 0x{}, {} bytes of calldata",
                    crate::hex::encode(selector),
                    calldata.len()
                ),
                None if calldata.is_empty() => "no calldata".to_owned(),
                None => format!("calldata 0x{}", crate::hex::encode(&calldata)),
            };
            return Err(trap(SimError::NotSimulated {
                function: format!(
                    "{function} (to {to}, {what}: no [[stylus.contract_call]] answers it)"
                ),
            }));
        }
    };
    charge_abi(&mut caller, output.len()).map_err(trap)?;
    let len = u32::try_from(output.len()).unwrap_or(u32::MAX);
    write(&mut caller, &function, return_data_len, &len.to_le_bytes()).map_err(trap)?;
    caller.data_mut().call.stylus.return_data = output;
    Ok(status)
}

/// What there is of `data[offset..offset + size]` (no padding: nitro's
/// `read_return_data` and `account_code`).
fn part_of(data: &[u8], offset: u32, size: u32) -> &[u8] {
    let start = (offset as usize).min(data.len());
    let end = start.saturating_add(size as usize).min(data.len());
    &data[start..end]
}

/// Writes `part` (from [`part_of`]) at `dest`, returning the bytes written.
fn copy_out(caller: &mut Ctx<'_>, name: &str, part: &[u8], dest: u32) -> HostResult<i32> {
    charge_abi(caller, part.len()).map_err(trap)?;
    write(caller, &f(name), dest, part).map_err(trap)?;
    Ok(i32::try_from(part.len()).unwrap_or(i32::MAX))
}

fn read_return_data(mut caller: Ctx<'_>, dest: u32, offset: u32, size: u32) -> HostResult<i32> {
    let data = std::mem::take(&mut caller.data_mut().call.stylus.return_data);
    let copied = copy_out(
        &mut caller,
        "read_return_data",
        part_of(&data, offset, size),
        dest,
    );
    caller.data_mut().call.stylus.return_data = data;
    copied
}

/// The code configured for the account at `address` (empty if none), by
/// reference: only what a call copies out is copied.
fn account_code_of<'a>(caller: &'a Ctx<'_>, name: &str, address: u32) -> HostResult<&'a [u8]> {
    let address = Address::from(read_array::<20>(caller, &f(name), address)?);
    Ok(env(caller).code.get(&address).map_or(&[], Vec::as_slice))
}

fn account_code(
    mut caller: Ctx<'_>,
    address: u32,
    offset: u32,
    size: u32,
    dest: u32,
) -> HostResult<i32> {
    charge_abi(&mut caller, 20).map_err(trap)?;
    let part = part_of(
        account_code_of(&caller, "account_code", address)?,
        offset,
        size,
    )
    .to_vec();
    copy_out(&mut caller, "account_code", &part, dest)
}

fn account_code_size(mut caller: Ctx<'_>, address: u32) -> HostResult<i32> {
    charge_abi(&mut caller, 20).map_err(trap)?;
    let code = account_code_of(&caller, "account_code_size", address)?;
    Ok(i32::try_from(code.len()).unwrap_or(i32::MAX))
}

/// `account_codehash`: Keccak-256 of the configured code, or zero for an
/// account that is not configured (the EVM's `EXTCODEHASH` of an account
/// that does not exist; stylus-sdk's `has_code` is then false).
fn account_codehash(mut caller: Ctx<'_>, address: u32, dest: u32) -> HostResult<()> {
    let name = f("account_codehash");
    charge_abi(&mut caller, 52).map_err(trap)?;
    let address = Address::from(read_array::<20>(&caller, &name, address)?);
    let hash = env(&caller)
        .code
        .get(&address)
        .map_or(B256::ZERO, keccak256);
    write(&mut caller, &name, dest, hash.as_slice()).map_err(trap)
}

fn console_line(mut caller: Ctx<'_>, line: String) -> HostResult<()> {
    charge_abi(&mut caller, line.len()).map_err(trap)?;
    caller.data_mut().push_log(line).map_err(trap)
}

fn not_simulated(name: &'static str) -> wasmi::Error {
    trap(SimError::NotSimulated { function: f(name) })
}

/// Registers every import of [`IMPORTS`].
pub(crate) fn link(linker: &mut Linker<HostState>) -> Result<()> {
    let e = super::link_err;
    let m = MODULE;
    linker.func_wrap(m, "read_args", read_args).map_err(e)?;
    linker
        .func_wrap(m, "write_result", write_result)
        .map_err(e)?;
    linker
        .func_wrap(m, "msg_sender", |c: Ctx<'_>, dest: u32| {
            let sender = c.data().call.stylus.sender;
            put(c, "msg_sender", dest, sender.as_slice())
        })
        .map_err(e)?;
    linker
        .func_wrap(m, "msg_value", |c: Ctx<'_>, dest: u32| {
            let value = c.data().call.stylus.value.to_be_bytes::<32>();
            put(c, "msg_value", dest, &value)
        })
        .map_err(e)?;
    linker
        .func_wrap(m, "msg_reentrant", |c: Ctx<'_>| getter(c, |_| 0i32))
        .map_err(e)?;
    linker
        .func_wrap(m, "contract_address", |c: Ctx<'_>, dest: u32| {
            let address = env(&c).contract_address;
            put(c, "contract_address", dest, address.as_slice())
        })
        .map_err(e)?;
    linker
        .func_wrap(m, "tx_origin", |c: Ctx<'_>, dest: u32| {
            let origin = env(&c).tx_origin.unwrap_or(c.data().call.stylus.sender);
            put(c, "tx_origin", dest, origin.as_slice())
        })
        .map_err(e)?;
    linker
        .func_wrap(m, "tx_gas_price", |c: Ctx<'_>, dest: u32| {
            let price = env(&c).gas_price.to_be_bytes::<32>();
            put(c, "tx_gas_price", dest, &price)
        })
        .map_err(e)?;
    linker
        .func_wrap(m, "tx_ink_price", |c: Ctx<'_>| {
            getter(c, |c| env(c).ink_price as i32)
        })
        .map_err(e)?;
    linker
        .func_wrap(m, "block_basefee", |c: Ctx<'_>, dest: u32| {
            let fee = env(&c).basefee.to_be_bytes::<32>();
            put(c, "block_basefee", dest, &fee)
        })
        .map_err(e)?;
    linker
        .func_wrap(m, "block_coinbase", |c: Ctx<'_>, dest: u32| {
            let coinbase = env(&c).coinbase;
            put(c, "block_coinbase", dest, coinbase.as_slice())
        })
        .map_err(e)?;
    linker
        .func_wrap(m, "block_gas_limit", |c: Ctx<'_>| {
            getter(c, |c| as_i64(env(c).gas_limit))
        })
        .map_err(e)?;
    linker
        .func_wrap(m, "block_number", |c: Ctx<'_>| {
            getter(c, |c| as_i64(env(c).block_number))
        })
        .map_err(e)?;
    linker
        .func_wrap(m, "block_timestamp", |c: Ctx<'_>| {
            getter(c, |c| as_i64(env(c).block_timestamp))
        })
        .map_err(e)?;
    linker
        .func_wrap(m, "chainid", |c: Ctx<'_>| {
            getter(c, |c| as_i64(env(c).chain_id))
        })
        .map_err(e)?;
    for name in ["evm_gas_left", "evm_ink_left"] {
        linker
            .func_wrap(m, name, |c: Ctx<'_>| {
                getter(c, |c| as_i64(c.get_fuel().unwrap_or(0)))
            })
            .map_err(e)?;
    }
    linker
        .func_wrap(m, "account_balance", account_balance)
        .map_err(e)?;
    linker
        .func_wrap(m, "storage_load_bytes32", storage_load_bytes32)
        .map_err(e)?;
    linker
        .func_wrap(m, "storage_cache_bytes32", storage_cache_bytes32)
        .map_err(e)?;
    linker
        .func_wrap(m, "storage_flush_cache", storage_flush_cache)
        .map_err(e)?;
    linker.func_wrap(m, "emit_log", emit_log).map_err(e)?;
    linker
        .func_wrap(m, "native_keccak256", native_keccak256)
        .map_err(e)?;
    linker
        .func_wrap(m, "pay_for_memory_grow", pay_for_memory_grow)
        .map_err(e)?;
    linker
        .func_wrap(m, "return_data_size", |c: Ctx<'_>| {
            getter(c, |c| {
                i32::try_from(c.data().call.stylus.return_data.len()).unwrap_or(i32::MAX)
            })
        })
        .map_err(e)?;
    linker
        .func_wrap(m, "read_return_data", read_return_data)
        .map_err(e)?;
    linker
        .func_wrap(
            m,
            "call_contract",
            |c: Ctx<'_>, to: u32, data: u32, len: u32, value: u32, _gas: u64, out_len: u32| {
                contract_call(c, "call_contract", [to, data, len], Some(value), out_len)
            },
        )
        .map_err(e)?;
    for name in ["delegate_call_contract", "static_call_contract"] {
        linker
            .func_wrap(
                m,
                name,
                move |c: Ctx<'_>, to: u32, data: u32, len: u32, _gas: u64, out_len: u32| {
                    contract_call(c, name, [to, data, len], None, out_len)
                },
            )
            .map_err(e)?;
    }
    linker
        .func_wrap(
            m,
            "create1",
            |_: Ctx<'_>, _: u32, _: u32, _: u32, _: u32, _: u32| -> HostResult<()> {
                Err(not_simulated("create1"))
            },
        )
        .map_err(e)?;
    linker
        .func_wrap(
            m,
            "create2",
            |_: Ctx<'_>, _: u32, _: u32, _: u32, _: u32, _: u32, _: u32| -> HostResult<()> {
                Err(not_simulated("create2"))
            },
        )
        .map_err(e)?;
    linker
        .func_wrap(m, "account_code", account_code)
        .map_err(e)?;
    linker
        .func_wrap(m, "account_code_size", account_code_size)
        .map_err(e)?;
    linker
        .func_wrap(m, "account_codehash", account_codehash)
        .map_err(e)?;
    let c = CONSOLE_MODULE;
    linker
        .func_wrap(c, "log_txt", |caller: Ctx<'_>, ptr: u32, len: u32| {
            let text = read(&caller, "console.log_txt", ptr, len).map_err(trap)?;
            console_line(caller, String::from_utf8_lossy(&text).into_owned())
        })
        .map_err(e)?;
    linker
        .func_wrap(c, "log_i32", |caller: Ctx<'_>, v: i32| {
            console_line(caller, v.to_string())
        })
        .map_err(e)?;
    linker
        .func_wrap(c, "log_i64", |caller: Ctx<'_>, v: i64| {
            console_line(caller, v.to_string())
        })
        .map_err(e)?;
    linker
        .func_wrap(c, "log_f32", |caller: Ctx<'_>, v: f32| {
            console_line(caller, format!("{:#010x}", v.to_bits()))
        })
        .map_err(e)?;
    linker
        .func_wrap(c, "log_f64", |caller: Ctx<'_>, v: f64| {
            console_line(caller, format!("{:#018x}", v.to_bits()))
        })
        .map_err(e)?;
    Ok(())
}
