//! CosmWasm 2.x (`interface_version_8`): the `env` imports of cosmwasm-std
//! 2.x, the Region ABI through the contract's own `allocate`, validated as
//! cosmwasm-vm validates it, storage with iterators, bech32 addresses,
//! signature verification and BLS12-381 (aggregation, pairing equality,
//! hashing to the curve) through the `cosmwasm-crypto` crate, and bank and
//! smart queries answered from configured state.
//!
//! Each import is a typed Rust function registered with
//! [`Linker::func_wrap`], following cosmwasm-vm's `imports.rs` (return codes,
//! error regions, limits). See `docs/src/cosmwasm.md`.

use std::collections::BTreeMap;

use base64::Engine as _;
use bech32::{Bech32, Hrp};
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use wasmi::{Caller, Linker};

use super::{AbiType, HostState, call_alloc, charge, charge_abi, read, trap, write};
use crate::error::{Result, SimError};
use crate::outcome::CosmResponse;

/// Import module of the CosmWasm host functions.
pub const MODULE: &str = "env";
/// The export through which the host allocates Regions: `allocate(len) -> region_ptr`.
pub const ALLOCATE_EXPORT: &str = "allocate";
/// The export that frees a Region: `deallocate(region_ptr)`.
pub const DEALLOCATE_EXPORT: &str = "deallocate";
/// The interface marker export of CosmWasm 2.x contracts.
pub const INTERFACE_EXPORT: &str = "interface_version_8";
/// Entry points that take `(env, info, msg)`; every other entry point takes
/// `(env, msg)`.
pub const ENTRY_POINTS_WITH_INFO: &[&str] = &["instantiate", "execute"];
/// Every entry point the simulator calls (the ones cw-plus contracts export).
pub const ENTRY_POINTS: &[&str] = &[
    "instantiate",
    "execute",
    "query",
    "migrate",
    "sudo",
    "reply",
];

/// The limits cosmwasm-vm's static validation (`check_wasm`, run when code
/// is stored) puts on a module: its defaults as of cosmwasm-vm 3.0.9
/// (`WasmLimits`; a chain may pass others through wasmd).
pub mod vm_limits {
    /// Most pages of initial memory (the maximum must be unset).
    pub const INITIAL_MEMORY_PAGES: u64 = 512;
    /// Largest declared maximum of the one table (which must have one).
    pub const TABLE_SIZE_ELEMENTS: u64 = 2_500;
    /// Most imports.
    pub const IMPORTS: usize = 100;
    /// Most defined functions.
    pub const FUNCTIONS: usize = 20_000;
    /// Most parameters of any function type.
    pub const FUNCTION_PARAMS: usize = 100;
    /// Most parameters of all defined functions together.
    pub const TOTAL_FUNCTION_PARAMS: usize = 10_000;
    /// Most results of any function type.
    pub const FUNCTION_RESULTS: usize = 1;
    /// Most locals (besides parameters) of one function (since 3.0.9).
    pub const FUNCTION_LOCALS: usize = 100;
    /// Most locals of all defined functions together (since 3.0.9).
    pub const TOTAL_FUNCTION_LOCALS: usize = 10_000;
}

/// The WebAssembly features cosmwasm-vm's validator accepts when code is
/// stored (`ParsedWasm::parse`, cosmwasm-vm 3.0.9): MVP, mutable globals,
/// saturating float-to-int, sign extension, multi-value and reference types
/// (which rustc 1.82 and later need for their `call_indirect` encoding); no
/// bulk memory, SIMD, threads or memory64. Its gatekeeper then refuses
/// every operator of the reference types proposal.
pub const WASM_FEATURES: wasmparser::WasmFeatures = wasmparser::WasmFeatures::MUTABLE_GLOBAL
    .union(wasmparser::WasmFeatures::SATURATING_FLOAT_TO_INT)
    .union(wasmparser::WasmFeatures::SIGN_EXTENSION)
    .union(wasmparser::WasmFeatures::MULTI_VALUE)
    .union(wasmparser::WasmFeatures::FLOATS)
    .union(wasmparser::WasmFeatures::REFERENCE_TYPES)
    .union(wasmparser::WasmFeatures::GC_TYPES);

/// The capabilities cosmwasm-vm documents as built in (a contract requires
/// one with a `requires_<name>` export; which ones a chain offers is its
/// configuration, and chains may define others).
pub const BUILT_IN_CAPABILITIES: &[&str] = &[
    "iterator",
    "stargate",
    "staking",
    "ibc2",
    "cosmwasm_1_1",
    "cosmwasm_1_2",
    "cosmwasm_1_3",
    "cosmwasm_1_4",
    "cosmwasm_2_0",
    "cosmwasm_2_1",
    "cosmwasm_2_2",
    "cosmwasm_3_0",
];

/// Largest storage key (cosmwasm-vm's `MAX_LENGTH_DB_KEY`).
pub const MAX_LENGTH_DB_KEY: u32 = 64 * 1024;
/// Largest storage value (cosmwasm-vm's `MAX_LENGTH_DB_VALUE`).
pub const MAX_LENGTH_DB_VALUE: u32 = 128 * 1024;
/// Largest human address.
pub const MAX_LENGTH_HUMAN_ADDRESS: u32 = 256;
/// Largest canonical address.
pub const MAX_LENGTH_CANONICAL_ADDRESS: u32 = 64;
/// Largest debug or abort message.
pub const MAX_LENGTH_DEBUG: u32 = 2 * 1024 * 1024;
/// Largest query request.
pub const MAX_LENGTH_QUERY_CHAIN_REQUEST: u32 = 64 * 1024;
/// Largest message for `ed25519_verify`.
const MAX_LENGTH_ED25519_MESSAGE: u32 = 128 * 1024;
/// Most signatures in one `ed25519_batch_verify`.
const MAX_COUNT_ED25519_BATCH: u32 = 256;
/// Bytes of a compressed BLS12-381 G1 point (cosmwasm-core's
/// `BLS12_381_G1_POINT_LEN`).
pub const BLS12_381_G1_POINT_LEN: u32 = 48;
/// Bytes of a compressed BLS12-381 G2 point (cosmwasm-core's
/// `BLS12_381_G2_POINT_LEN`).
pub const BLS12_381_G2_POINT_LEN: u32 = 96;
/// Largest list of points for the BLS12-381 aggregations and pairings
/// (cosmwasm-vm's `BLS12_381_MAX_AGGREGATE_SIZE`).
const BLS12_381_MAX_AGGREGATE_SIZE: u32 = 2 * 1024 * 1024;
/// Largest message to hash to a BLS12-381 curve (cosmwasm-vm's
/// `BLS12_381_MAX_MESSAGE_SIZE`).
const BLS12_381_MAX_MESSAGE_SIZE: u32 = 5 * 1024 * 1024;
/// Largest domain separation tag to hash with (cosmwasm-vm's
/// `BLS12_381_MAX_DST_SIZE`).
const BLS12_381_MAX_DST_SIZE: u32 = 5 * 1024;

/// What cosmwasm-vm charges for the cryptography behind its imports, in
/// CosmWasm gas (`GasConfig::default()`, cosmwasm-vm 3.0.9: microseconds of
/// its benchmark machine at a million gas each), and how the simulator turns
/// that into fuel: one fuel is one wasm operation, for which cosmwasm-vm
/// charges [`crypto_gas::GAS_PER_OPERATION`]. So an import costs the fuel of
/// as many wasm operations as cosmwasm-vm prices its work at, charged, as
/// cosmwasm-vm charges it, after the Regions are read and before the work is
/// done: a call whose fuel runs out does no cryptography.
pub mod crypto_gas {
    /// CosmWasm gas per microsecond of cosmwasm-vm's benchmark machine.
    const GAS_PER_US: u64 = 1_000_000;
    /// CosmWasm gas cosmwasm-vm charges per ordinary wasm operation
    /// (`GAS_PER_OPERATION` of its engine).
    pub const GAS_PER_OPERATION: u64 = 115;
    /// `secp256k1_verify`.
    pub const SECP256K1_VERIFY: u64 = 96 * GAS_PER_US;
    /// `secp256k1_recover_pubkey`.
    pub const SECP256K1_RECOVER_PUBKEY: u64 = 194 * GAS_PER_US;
    /// `secp256r1_verify`.
    pub const SECP256R1_VERIFY: u64 = 279 * GAS_PER_US;
    /// `secp256r1_recover_pubkey`.
    pub const SECP256R1_RECOVER_PUBKEY: u64 = 592 * GAS_PER_US;
    /// `ed25519_verify`.
    pub const ED25519_VERIFY: u64 = 35 * GAS_PER_US;
    /// `ed25519_batch_verify`: base and per signature.
    pub const ED25519_BATCH_VERIFY: (u64, u64) = (24 * GAS_PER_US, 21 * GAS_PER_US);
    /// `ed25519_batch_verify` with one public key: base and per signature.
    pub const ED25519_BATCH_VERIFY_ONE_PUBKEY: (u64, u64) = (36 * GAS_PER_US, 10 * GAS_PER_US);
    /// `bls12_381_aggregate_g1`: base and per point (cosmwasm-vm halves its
    /// benchmark, assuming production machines have more than 4 cores).
    pub const BLS12_381_AGGREGATE_G1: (u64, u64) = (136 * GAS_PER_US / 2, 24 * GAS_PER_US / 2);
    /// `bls12_381_aggregate_g2`: base and per point (halved likewise).
    pub const BLS12_381_AGGREGATE_G2: (u64, u64) = (207 * GAS_PER_US / 2, 49 * GAS_PER_US / 2);
    /// `bls12_381_hash_to_g1`.
    pub const BLS12_381_HASH_TO_G1: u64 = 563 * GAS_PER_US;
    /// `bls12_381_hash_to_g2`.
    pub const BLS12_381_HASH_TO_G2: u64 = 871 * GAS_PER_US;
    /// `bls12_381_pairing_equality`: base and per pairing (the `n` pairs and
    /// `(r, s)`).
    pub const BLS12_381_PAIRING_EQUALITY: (u64, u64) = (2112 * GAS_PER_US, 163 * GAS_PER_US);

    /// A base-plus-per-item price for `items` items (saturating: a price
    /// that overflows is more fuel than any call has).
    pub const fn linear((base, per_item): (u64, u64), items: u64) -> u64 {
        base.saturating_add(per_item.saturating_mul(items))
    }

    /// The fuel for `gas` CosmWasm gas: that many wasm operations' worth,
    /// rounded up.
    ///
    /// ```
    /// use capheap_sim::host::cosmwasm::crypto_gas;
    ///
    /// // An ed25519 verification: 35 µs, 35,000,000 gas, 304,348 operations.
    /// assert_eq!(crypto_gas::fuel(crypto_gas::ED25519_VERIFY), 304_348);
    /// ```
    pub const fn fuel(gas: u64) -> u64 {
        gas.div_ceil(GAS_PER_OPERATION)
    }
}

/// Charges `gas` CosmWasm gas of cryptography as fuel ([`crypto_gas`]).
fn charge_crypto(caller: &mut Ctx<'_>, gas: u64) -> HostResult<()> {
    charge(caller, crypto_gas::fuel(gas)).map_err(trap)
}

use AbiType::{I32, I64};

import_table! {
    #[doc = "Every import cosmwasm-std 2.x declares, and whether it is simulated."]
    MODULE "db_read" (I32) -> (I32) true "the value under the key, in a Region from `allocate` (0 when absent)";
    MODULE "db_write" (I32, I32) -> () true "sets a key (refused in `query`)";
    MODULE "db_remove" (I32) -> () true "removes a key (refused in `query`)";
    MODULE "db_scan" (I32, I32, I32) -> (I32) true "opens an iterator over [start, end) in order 1 (ascending) or 2 (descending)";
    MODULE "db_next" (I32) -> (I32) true "the next key and value as sections (both empty at the end)";
    MODULE "db_next_key" (I32) -> (I32) true "the next key (0 at the end)";
    MODULE "db_next_value" (I32) -> (I32) true "the next value (0 at the end)";
    MODULE "addr_validate" (I32) -> (I32) true "0 if the address is valid bech32 with the chain's prefix, in normal form; else an error message Region";
    MODULE "addr_canonicalize" (I32, I32) -> (I32) true "bech32 data bytes into the destination Region; 0, or an error message Region";
    MODULE "addr_humanize" (I32, I32) -> (I32) true "bech32 with the chain's prefix into the destination Region; 0, or an error message Region";
    MODULE "secp256k1_verify" (I32, I32, I32) -> (I32) true "cosmwasm-crypto: 0 valid, 1 invalid, else an error code";
    MODULE "secp256k1_recover_pubkey" (I32, I32, I32) -> (I64) true "cosmwasm-crypto: the key's Region in the low half, or an error code in the high half";
    MODULE "secp256r1_verify" (I32, I32, I32) -> (I32) true "cosmwasm-crypto: 0 valid, 1 invalid, else an error code";
    MODULE "secp256r1_recover_pubkey" (I32, I32, I32) -> (I64) true "cosmwasm-crypto: the key's Region in the low half, or an error code in the high half";
    MODULE "ed25519_verify" (I32, I32, I32) -> (I32) true "cosmwasm-crypto: 0 valid, 1 invalid, else an error code";
    MODULE "ed25519_batch_verify" (I32, I32, I32) -> (I32) true "cosmwasm-crypto, one signature at a time (deterministic): 0 all valid, 1 not, else an error code";
    MODULE "bls12_381_aggregate_g1" (I32, I32) -> (I32) true "cosmwasm-crypto: the sum of the G1 points into the destination Region; 0, else an error code";
    MODULE "bls12_381_aggregate_g2" (I32, I32) -> (I32) true "cosmwasm-crypto: the sum of the G2 points into the destination Region; 0, else an error code";
    MODULE "bls12_381_pairing_equality" (I32, I32, I32, I32) -> (I32) true "cosmwasm-crypto: 0 if e(p1, q1) * ... * e(pn, qn) = e(r, s), 1 if not, else an error code";
    MODULE "bls12_381_hash_to_g1" (I32, I32, I32, I32) -> (I32) true "cosmwasm-crypto: the message hashed to G1 (RFC 9380, hash function 0 = SHA-256) into the destination Region; 0, else an error code";
    MODULE "bls12_381_hash_to_g2" (I32, I32, I32, I32) -> (I32) true "cosmwasm-crypto: the message hashed to G2 (RFC 9380, hash function 0 = SHA-256) into the destination Region; 0, else an error code";
    MODULE "debug" (I32) -> () true "appends the message to the call's logs";
    MODULE "abort" (I32) -> () true "ends the call with `SimError::Abort` carrying the message";
    MODULE "query_chain" (I32) -> (I32) true "bank balance, all balances, smart and raw queries from `[cosmwasm]` state; other queries are not simulated";
}

/// A native token amount.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
pub struct Coin {
    /// Denomination.
    pub denom: String,
    /// Amount, a decimal `Uint128` string.
    pub amount: String,
}

/// A smart query answered from configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SmartQuery {
    /// The queried contract's address.
    pub contract: String,
    /// The query message it answers.
    pub msg: Value,
    /// The response (JSON).
    pub response: Value,
}

/// A raw query (a read of another contract's storage, cosmwasm-std's
/// `query_wasm_raw`) answered from configuration: the value stored under
/// `key` in `contract`'s storage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RawQuery {
    /// The queried contract's address.
    pub contract: String,
    /// The storage key (as cw-storage-plus lays it out: an `Item`'s key is
    /// its name).
    #[serde(with = "crate::hex::serde_bytes")]
    pub key: Vec<u8>,
    /// The stored bytes (cw-storage-plus stores JSON).
    #[serde(with = "crate::hex::serde_bytes")]
    pub value: Vec<u8>,
}

/// The chain a CosmWasm contract runs on: `Env`, addresses and what
/// `query_chain` answers. Every field is configurable (`[cosmwasm]` in a
/// scenario file).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CosmWasmEnv {
    /// `env.block.chain_id`.
    pub chain_id: String,
    /// The bech32 prefix of addresses.
    pub bech32_prefix: String,
    /// `env.contract.address` (default: derived from the prefix).
    pub contract_address: Option<String>,
    /// The sender of calls that name none (default: derived from the prefix).
    pub default_sender: Option<String>,
    /// `env.block.height`.
    pub block_height: u64,
    /// `env.block.time`, nanoseconds since the epoch.
    pub block_time_nanos: u64,
    /// Bank balances by address.
    pub balances: BTreeMap<String, Vec<Coin>>,
    /// Smart queries to other contracts.
    pub smart_queries: Vec<SmartQuery>,
    /// Raw queries of other contracts' storage. A contract named here has
    /// no other keys: a raw query of one not listed reads as empty, as a
    /// missing key does on chain.
    pub raw_queries: Vec<RawQuery>,
}

impl Default for CosmWasmEnv {
    fn default() -> Self {
        CosmWasmEnv {
            chain_id: "capheap-sim-1".to_owned(),
            bech32_prefix: "cosmwasm".to_owned(),
            contract_address: None,
            default_sender: None,
            block_height: 12_345,
            block_time_nanos: 1_700_000_000_000_000_000,
            balances: BTreeMap::new(),
            smart_queries: Vec::new(),
            raw_queries: Vec::new(),
        }
    }
}

impl CosmWasmEnv {
    /// Whether a `smart_queries` or `raw_queries` entry names `contract`:
    /// the contracts that exist besides the one simulated.
    ///
    /// ```
    /// use capheap_sim::CosmWasmEnv;
    /// use capheap_sim::host::cosmwasm::RawQuery;
    ///
    /// let mut env = CosmWasmEnv::default();
    /// assert!(!env.knows_contract("token"));
    /// env.raw_queries.push(RawQuery {
    ///     contract: "token".to_owned(),
    ///     key: b"config".to_vec(),
    ///     value: b"{}".to_vec(),
    /// });
    /// assert!(env.knows_contract("token"));
    /// ```
    pub fn knows_contract(&self, contract: &str) -> bool {
        self.smart_queries.iter().any(|q| q.contract == contract)
            || self.raw_queries.iter().any(|q| q.contract == contract)
    }

    /// A valid address under this chain's prefix, derived from `seed`: the
    /// bech32 of `SHA-256(seed)` (32 bytes, as contract addresses are).
    ///
    /// ```
    /// use capheap_sim::CosmWasmEnv;
    ///
    /// let env = CosmWasmEnv::default();
    /// let alice = env.address("alice")?;
    /// assert!(alice.starts_with(&env.bech32_prefix));
    /// assert_eq!(env.address("alice")?, alice, "the same seed, the same address");
    /// assert!(env.validate(&alice).is_ok());
    /// # Ok::<(), capheap_sim::SimError>(())
    /// ```
    pub fn address(&self, seed: &str) -> Result<String> {
        let hrp = Hrp::parse(&self.bech32_prefix).map_err(|e| {
            SimError::Config(format!("bech32 prefix `{}`: {e}", self.bech32_prefix))
        })?;
        let data = Sha256::digest(seed.as_bytes());
        bech32::encode::<Bech32>(hrp, &data)
            .map_err(|e| SimError::Config(format!("bech32 address: {e}")))
    }

    /// `env.contract.address`.
    ///
    /// ```
    /// use capheap_sim::CosmWasmEnv;
    ///
    /// let env = CosmWasmEnv::default();
    /// assert!(env.validate(&env.contract()?).is_ok());
    /// # Ok::<(), capheap_sim::SimError>(())
    /// ```
    pub fn contract(&self) -> Result<String> {
        match &self.contract_address {
            Some(a) => Ok(a.clone()),
            None => self.address("contract"),
        }
    }

    /// The default sender.
    ///
    /// ```
    /// use capheap_sim::CosmWasmEnv;
    ///
    /// let env = CosmWasmEnv::default();
    /// assert_ne!(env.sender()?, env.contract()?);
    /// # Ok::<(), capheap_sim::SimError>(())
    /// ```
    pub fn sender(&self) -> Result<String> {
        match &self.default_sender {
            Some(a) => Ok(a.clone()),
            None => self.address("sender"),
        }
    }

    /// The `Env` JSON passed to every entry point.
    ///
    /// ```
    /// use capheap_sim::CosmWasmEnv;
    ///
    /// let env = CosmWasmEnv { chain_id: "testnet-1".into(), ..CosmWasmEnv::default() };
    /// let json = String::from_utf8(env.env_json()?).unwrap();
    /// assert!(json.contains("\"chain_id\":\"testnet-1\""));
    /// # Ok::<(), capheap_sim::SimError>(())
    /// ```
    pub fn env_json(&self) -> Result<Vec<u8>> {
        let env = json!({
            "block": {
                "height": self.block_height,
                "time": self.block_time_nanos.to_string(),
                "chain_id": self.chain_id,
            },
            "transaction": { "index": 0 },
            "contract": { "address": self.contract()? },
        });
        Ok(env.to_string().into_bytes())
    }

    /// Canonicalizes a bech32 address with this chain's prefix (the
    /// cosmwasm-vm mock API's rules: correct prefix, 1 to 255 data bytes,
    /// lowercase normal form). `Err` holds the message the contract sees.
    ///
    /// ```
    /// use capheap_sim::CosmWasmEnv;
    ///
    /// let env = CosmWasmEnv::default();
    /// let human = env.address("bob")?;
    /// let canonical = env.canonicalize(&human).unwrap();
    /// assert_eq!(canonical.len(), 32);
    /// assert!(env.canonicalize("not-an-address").is_err());
    /// # Ok::<(), capheap_sim::SimError>(())
    /// ```
    pub fn canonicalize(&self, human: &str) -> std::result::Result<Vec<u8>, String> {
        if human.is_empty() {
            return Err("Input is empty".to_owned());
        }
        let (hrp, data) =
            bech32::decode(human).map_err(|e| format!("Error decoding bech32: {e}"))?;
        if hrp.to_lowercase() != self.bech32_prefix {
            return Err("Wrong bech32 prefix".to_owned());
        }
        if data.is_empty() || data.len() > 255 {
            return Err("Invalid canonical address length".to_owned());
        }
        Ok(data)
    }

    /// Humanizes canonical bytes with this chain's prefix.
    ///
    /// ```
    /// use capheap_sim::CosmWasmEnv;
    ///
    /// let env = CosmWasmEnv::default();
    /// let human = env.address("bob")?;
    /// assert_eq!(env.humanize(&env.canonicalize(&human).unwrap()).unwrap(), human);
    /// assert!(env.humanize(&[]).is_err());
    /// # Ok::<(), capheap_sim::SimError>(())
    /// ```
    pub fn humanize(&self, canonical: &[u8]) -> std::result::Result<String, String> {
        if canonical.is_empty() || canonical.len() > 255 {
            return Err("Invalid canonical address length".to_owned());
        }
        let hrp = Hrp::parse(&self.bech32_prefix).map_err(|e| e.to_string())?;
        bech32::encode::<Bech32>(hrp, canonical).map_err(|e| e.to_string())
    }

    /// Validates a human address: it must round-trip unchanged.
    ///
    /// ```
    /// use capheap_sim::CosmWasmEnv;
    ///
    /// let env = CosmWasmEnv::default();
    /// let human = env.address("carol")?;
    /// assert!(env.validate(&human).is_ok());
    /// // Not the normal (lowercase) form: refused.
    /// assert!(env.validate(&human.to_uppercase()).is_err());
    /// # Ok::<(), capheap_sim::SimError>(())
    /// ```
    pub fn validate(&self, human: &str) -> std::result::Result<(), String> {
        let canonical = self.canonicalize(human)?;
        if self.humanize(&canonical)? != human {
            return Err("Invalid address: not normalized".to_owned());
        }
        Ok(())
    }
}

/// An open `db_scan` iterator: the entries it will return, in order.
#[derive(Debug, Default)]
pub(crate) struct ScanIterator {
    entries: Vec<(Vec<u8>, Vec<u8>)>,
    next: usize,
}

/// CosmWasm state of the call in progress.
#[derive(Debug, Default)]
pub(crate) struct CosmCall {
    /// `query` may not write.
    pub read_only: bool,
    pub iterators: Vec<ScanIterator>,
}

type Ctx<'a> = Caller<'a, HostState>;
type HostResult<T> = std::result::Result<T, wasmi::Error>;

fn f(name: &str) -> String {
    format!("{MODULE}.{name}")
}

fn env<'a>(caller: &'a Ctx<'_>) -> &'a CosmWasmEnv {
    &caller.data().config.cosmwasm
}

/// A Region as cosmwasm-std lays it out: three little-endian `u32`s.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Region {
    pub offset: u32,
    pub capacity: u32,
    pub length: u32,
}

/// Reads and validates the Region at `ptr` as cosmwasm-vm does: `ptr` and
/// the Region inside memory, offset not 0, length within capacity, and the
/// whole capacity inside memory.
pub(crate) fn get_region(memory: &[u8], function: &str, ptr: u32) -> Result<Region> {
    let bad = |why: String| SimError::BadRegion {
        function: function.to_owned(),
        ptr,
        reason: why,
    };
    if ptr == 0 {
        return Err(bad("null Region pointer".to_owned()));
    }
    let start = ptr as usize;
    let raw = start
        .checked_add(12)
        .and_then(|end| memory.get(start..end))
        .ok_or_else(|| {
            bad(format!(
                "the Region struct is outside memory ({} bytes)",
                memory.len()
            ))
        })?;
    let word = |i: usize| u32::from_le_bytes([raw[i], raw[i + 1], raw[i + 2], raw[i + 3]]);
    let region = Region {
        offset: word(0),
        capacity: word(4),
        length: word(8),
    };
    if region.offset == 0 {
        return Err(bad("offset is 0".to_owned()));
    }
    if region.length > region.capacity {
        return Err(bad(format!(
            "length {} exceeds capacity {}",
            region.length, region.capacity
        )));
    }
    let end = u64::from(region.offset) + u64::from(region.capacity);
    if end > memory.len() as u64 {
        return Err(bad(format!(
            "offset {:#x} + capacity {} is outside memory ({} bytes)",
            region.offset,
            region.capacity,
            memory.len()
        )));
    }
    Ok(region)
}

fn memory<'a>(caller: &'a Ctx<'_>) -> Result<&'a [u8]> {
    let memory = caller.data().memory.ok_or(SimError::NoMemory)?;
    Ok(memory.data(caller))
}

/// Reads the bytes of the Region at `ptr` (at most `max` of them), charging
/// per byte.
fn read_region(caller: &mut Ctx<'_>, name: &str, ptr: u32, max: u32) -> HostResult<Vec<u8>> {
    let function = f(name);
    let region = get_region(memory(caller).map_err(trap)?, &function, ptr).map_err(trap)?;
    if region.length > max {
        return Err(trap(SimError::BadRegion {
            function,
            ptr,
            reason: format!(
                "length {} exceeds this import's limit of {max}",
                region.length
            ),
        }));
    }
    charge_abi(caller, region.length as usize).map_err(trap)?;
    read(caller, &function, region.offset, region.length).map_err(trap)
}

/// `ptr == 0` means "none" (for `db_scan`'s bounds).
fn maybe_read_region(
    caller: &mut Ctx<'_>,
    name: &str,
    ptr: u32,
    max: u32,
) -> HostResult<Option<Vec<u8>>> {
    if ptr == 0 {
        Ok(None)
    } else {
        read_region(caller, name, ptr, max).map(Some)
    }
}

/// Writes `data` into the Region at `ptr`, which must be large enough, and
/// sets its length.
pub(crate) fn write_region(
    caller: &mut Ctx<'_>,
    function: &str,
    ptr: u32,
    data: &[u8],
) -> Result<()> {
    let region = get_region(memory(caller)?, function, ptr)?;
    let len = u32::try_from(data.len()).map_err(|_| SimError::InputTooLarge { len: data.len() })?;
    if len > region.capacity {
        return Err(SimError::BadRegion {
            function: function.to_owned(),
            ptr,
            reason: format!("{len} bytes do not fit its capacity {}", region.capacity),
        });
    }
    write(caller, function, region.offset, data)?;
    write(caller, function, ptr.saturating_add(8), &len.to_le_bytes())
}

/// Allocates a Region through the contract's `allocate`, fills it with
/// `data` and returns its pointer (cosmwasm-vm's `write_to_contract`).
pub(crate) fn write_to_contract(
    caller: &mut Ctx<'_>,
    function: &str,
    data: &[u8],
) -> HostResult<u32> {
    charge_abi(caller, data.len()).map_err(trap)?;
    let ptr = call_alloc(caller, ALLOCATE_EXPORT, function, data.len())?;
    write_region(caller, function, ptr, data).map_err(trap)?;
    Ok(ptr)
}

fn db_read(mut caller: Ctx<'_>, key: u32) -> HostResult<u32> {
    let key = read_region(&mut caller, "db_read", key, MAX_LENGTH_DB_KEY)?;
    let value = caller.data().storage.get(&key).map(<[u8]>::to_vec);
    match value {
        None => Ok(0),
        Some(v) => write_to_contract(&mut caller, &f("db_read"), &v),
    }
}

fn deny_write(caller: &Ctx<'_>, name: &str) -> HostResult<()> {
    if caller.data().call.cosmwasm.read_only {
        return Err(trap(SimError::host(
            &f(name),
            "write access denied: storage is read-only in a query",
        )));
    }
    Ok(())
}

fn db_write(mut caller: Ctx<'_>, key: u32, value: u32) -> HostResult<()> {
    deny_write(&caller, "db_write")?;
    let key = read_region(&mut caller, "db_write", key, MAX_LENGTH_DB_KEY)?;
    let value = read_region(&mut caller, "db_write", value, MAX_LENGTH_DB_VALUE)?;
    caller.data_mut().store(key, value).map_err(trap)?;
    Ok(())
}

fn db_remove(mut caller: Ctx<'_>, key: u32) -> HostResult<()> {
    deny_write(&caller, "db_remove")?;
    let key = read_region(&mut caller, "db_remove", key, MAX_LENGTH_DB_KEY)?;
    caller.data_mut().storage.remove(&key);
    Ok(())
}

fn db_scan(mut caller: Ctx<'_>, start: u32, end: u32, order: i32) -> HostResult<u32> {
    let start = maybe_read_region(&mut caller, "db_scan", start, MAX_LENGTH_DB_KEY)?;
    let end = maybe_read_region(&mut caller, "db_scan", end, MAX_LENGTH_DB_KEY)?;
    if order != 1 && order != 2 {
        return Err(trap(SimError::host(
            &f("db_scan"),
            format!("invalid order {order} (1 ascending, 2 descending)"),
        )));
    }
    let mut entries: Vec<(Vec<u8>, Vec<u8>)> = caller
        .data()
        .storage
        .iter()
        .filter(|(k, _)| start.as_deref().is_none_or(|s| *k >= s))
        .filter(|(k, _)| end.as_deref().is_none_or(|e| *k < e))
        .map(|(k, v)| (k.to_vec(), v.to_vec()))
        .collect();
    if order == 2 {
        entries.reverse();
    }
    let moved: usize = entries.iter().map(|(k, v)| k.len() + v.len()).sum();
    charge_abi(&mut caller, moved).map_err(trap)?;
    let iterators = &mut caller.data_mut().call.cosmwasm.iterators;
    iterators.push(ScanIterator { entries, next: 0 });
    Ok(u32::try_from(iterators.len()).unwrap_or(u32::MAX))
}

fn next_entry(caller: &mut Ctx<'_>, name: &str, id: u32) -> HostResult<Option<(Vec<u8>, Vec<u8>)>> {
    let index = (id as usize).checked_sub(1);
    let iterator = index
        .and_then(|i| caller.data_mut().call.cosmwasm.iterators.get_mut(i))
        .ok_or_else(|| {
            trap(SimError::host(
                &f(name),
                format!("no iterator with id {id}"),
            ))
        })?;
    let entry = iterator.entries.get(iterator.next).cloned();
    if entry.is_some() {
        iterator.next += 1;
    }
    Ok(entry)
}

/// cosmwasm-std's sections: each section followed by its length as a
/// big-endian `u32`.
fn encode_sections(sections: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for s in sections {
        out.extend_from_slice(s);
        out.extend_from_slice(&(s.len() as u32).to_be_bytes());
    }
    out
}

fn decode_sections(data: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let split = rest.len().checked_sub(4)?;
        let (head, len) = rest.split_at(split);
        let len = u32::from_be_bytes(len.try_into().ok()?) as usize;
        let start = head.len().checked_sub(len)?;
        out.push(head[start..].to_vec());
        rest = &head[..start];
    }
    out.reverse();
    Some(out)
}

fn db_next(mut caller: Ctx<'_>, id: u32) -> HostResult<u32> {
    let (key, value) = next_entry(&mut caller, "db_next", id)?.unwrap_or_default();
    write_to_contract(
        &mut caller,
        &f("db_next"),
        &encode_sections(&[&key, &value]),
    )
}

fn db_next_key(mut caller: Ctx<'_>, id: u32) -> HostResult<u32> {
    match next_entry(&mut caller, "db_next_key", id)? {
        None => Ok(0),
        Some((key, _)) => write_to_contract(&mut caller, &f("db_next_key"), &key),
    }
}

fn db_next_value(mut caller: Ctx<'_>, id: u32) -> HostResult<u32> {
    match next_entry(&mut caller, "db_next_value", id)? {
        None => Ok(0),
        Some((_, value)) => write_to_contract(&mut caller, &f("db_next_value"), &value),
    }
}

fn human_input(
    caller: &mut Ctx<'_>,
    name: &str,
    ptr: u32,
) -> HostResult<std::result::Result<String, &'static str>> {
    let bytes = read_region(caller, name, ptr, MAX_LENGTH_HUMAN_ADDRESS)?;
    if bytes.is_empty() {
        return Ok(Err("Input is empty"));
    }
    Ok(String::from_utf8(bytes).map_err(|_| "Input is not valid UTF-8"))
}

fn addr_validate(mut caller: Ctx<'_>, src: u32) -> HostResult<u32> {
    let name = f("addr_validate");
    let human = match human_input(&mut caller, "addr_validate", src)? {
        Ok(h) => h,
        Err(msg) => return write_to_contract(&mut caller, &name, msg.as_bytes()),
    };
    match env(&caller).validate(&human) {
        Ok(()) => Ok(0),
        Err(msg) => write_to_contract(&mut caller, &name, msg.as_bytes()),
    }
}

fn addr_canonicalize(mut caller: Ctx<'_>, src: u32, dest: u32) -> HostResult<u32> {
    let name = f("addr_canonicalize");
    let human = match human_input(&mut caller, "addr_canonicalize", src)? {
        Ok(h) => h,
        Err(msg) => return write_to_contract(&mut caller, &name, msg.as_bytes()),
    };
    match env(&caller).canonicalize(&human) {
        Ok(canonical) => {
            write_region(&mut caller, &name, dest, &canonical).map_err(trap)?;
            Ok(0)
        }
        Err(msg) => write_to_contract(&mut caller, &name, msg.as_bytes()),
    }
}

fn addr_humanize(mut caller: Ctx<'_>, src: u32, dest: u32) -> HostResult<u32> {
    let name = f("addr_humanize");
    let canonical = read_region(
        &mut caller,
        "addr_humanize",
        src,
        MAX_LENGTH_CANONICAL_ADDRESS,
    )?;
    match env(&caller).humanize(&canonical) {
        Ok(human) => {
            write_region(&mut caller, &name, dest, human.as_bytes()).map_err(trap)?;
            Ok(0)
        }
        Err(msg) => write_to_contract(&mut caller, &name, msg.as_bytes()),
    }
}

/// Return code of a verification: 0 valid, 1 invalid, else
/// [`cosmwasm_crypto::CryptoError::code`].
fn verify_code(result: cosmwasm_crypto::CryptoResult<bool>) -> u32 {
    match result {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(e) => e.code(),
    }
}

type Verify = fn(&[u8], &[u8], &[u8]) -> cosmwasm_crypto::CryptoResult<bool>;

fn verify(
    caller: &mut Ctx<'_>,
    name: &str,
    ptrs: [u32; 3],
    max: [u32; 3],
    (gas, check): (u64, Verify),
) -> HostResult<u32> {
    let a = read_region(caller, name, ptrs[0], max[0])?;
    let b = read_region(caller, name, ptrs[1], max[1])?;
    let c = read_region(caller, name, ptrs[2], max[2])?;
    charge_crypto(caller, gas)?;
    Ok(verify_code(check(&a, &b, &c)))
}

type Recover = fn(&[u8], &[u8], u8) -> std::result::Result<Vec<u8>, cosmwasm_crypto::CryptoError>;

fn recover(
    mut caller: Ctx<'_>,
    name: &str,
    [hash, sig, param]: [u32; 3],
    (gas, recover): (u64, Recover),
) -> HostResult<u64> {
    let hash = read_region(
        &mut caller,
        name,
        hash,
        cosmwasm_crypto::MESSAGE_HASH_MAX_LEN as u32,
    )?;
    let sig = read_region(
        &mut caller,
        name,
        sig,
        cosmwasm_crypto::ECDSA_SIGNATURE_LEN as u32,
    )?;
    let Ok(param) = u8::try_from(param) else {
        return Ok(u64::from(cosmwasm_crypto::CryptoError::invalid_recovery_param().code()) << 32);
    };
    charge_crypto(&mut caller, gas)?;
    match recover(&hash, &sig, param) {
        Ok(pubkey) => Ok(u64::from(write_to_contract(
            &mut caller,
            &f(name),
            &pubkey,
        )?)),
        Err(e) => Ok(u64::from(e.code()) << 32),
    }
}

/// Batch verification as cosmwasm-crypto defines its shapes (n messages, n
/// signatures and n keys; or one message; or one key), one signature at a
/// time so that the verdict needs no randomness.
fn ed25519_batch(
    messages: &[Vec<u8>],
    signatures: &[Vec<u8>],
    keys: &[Vec<u8>],
) -> cosmwasm_crypto::CryptoResult<bool> {
    let n = signatures.len();
    let pick = |list: &[Vec<u8>], i: usize| -> Option<Vec<u8>> {
        match list.len() {
            1 => list.first().cloned(),
            len if len == n => list.get(i).cloned(),
            _ => None,
        }
    };
    if (messages.len() != n && messages.len() != 1) || (keys.len() != n && keys.len() != 1) {
        return Err(cosmwasm_crypto::CryptoError::batch_err(
            "Mismatched / erroneous number of messages / signatures / public keys",
        ));
    }
    for (i, signature) in signatures.iter().enumerate() {
        let (Some(m), Some(k)) = (pick(messages, i), pick(keys, i)) else {
            return Err(cosmwasm_crypto::CryptoError::batch_err("shape"));
        };
        if !cosmwasm_crypto::ed25519_verify(&m, signature, &k)? {
            return Ok(false);
        }
    }
    Ok(true)
}

fn ed25519_batch_verify(
    mut caller: Ctx<'_>,
    messages: u32,
    signatures: u32,
    keys: u32,
) -> HostResult<u32> {
    let name = "ed25519_batch_verify";
    let per = |item: u32| (item + 4).saturating_mul(MAX_COUNT_ED25519_BATCH);
    let messages = read_region(&mut caller, name, messages, per(MAX_LENGTH_ED25519_MESSAGE))?;
    let signatures = read_region(&mut caller, name, signatures, per(64))?;
    let keys = read_region(
        &mut caller,
        name,
        keys,
        per(cosmwasm_crypto::EDDSA_PUBKEY_LEN as u32),
    )?;
    let decode = |data: &[u8], what: &str| {
        decode_sections(data).ok_or_else(|| {
            trap(SimError::host(
                &f(name),
                format!("malformed {what} sections"),
            ))
        })
    };
    let (messages, signatures, keys) = (
        decode(&messages, "message")?,
        decode(&signatures, "signature")?,
        decode(&keys, "public key")?,
    );
    let price = if keys.len() == 1 {
        crypto_gas::ED25519_BATCH_VERIFY_ONE_PUBKEY
    } else {
        crypto_gas::ED25519_BATCH_VERIFY
    };
    charge_crypto(
        &mut caller,
        crypto_gas::linear(price, signatures.len() as u64),
    )?;
    Ok(verify_code(ed25519_batch(&messages, &signatures, &keys)))
}

fn query_chain(mut caller: Ctx<'_>, request: u32) -> HostResult<u32> {
    let name = f("query_chain");
    let bytes = read_region(
        &mut caller,
        "query_chain",
        request,
        MAX_LENGTH_QUERY_CHAIN_REQUEST,
    )?;
    let request: Value = serde_json::from_slice(&bytes)
        .map_err(|e| trap(SimError::host(&name, format!("request is not JSON: {e}"))))?;
    let answer = answer_query(env(&caller), &request).map_err(|what| {
        trap(SimError::NotSimulated {
            function: format!("{name} ({what})"),
        })
    })?;
    let serialized = answer.to_string();
    write_to_contract(&mut caller, &name, serialized.as_bytes())
}

/// `SystemResult::Ok(ContractResult::Ok(bytes))`.
fn ok_bytes(bytes: &[u8]) -> Value {
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    json!({ "ok": { "ok": encoded } })
}

/// A JSON answer, as a contract's smart query returns it.
fn ok_binary(value: &Value) -> Value {
    ok_bytes(value.to_string().as_bytes())
}

/// `SystemResult::Err(SystemError::NoSuchContract)`.
fn no_such_contract(contract: &str) -> Value {
    json!({ "error": { "no_such_contract": { "addr": contract } } })
}

/// Answers a `QueryRequest` as a `SystemResult<ContractResult<Binary>>`, or
/// names the kind of query that is not simulated.
fn answer_query(env: &CosmWasmEnv, request: &Value) -> std::result::Result<Value, String> {
    if let Some(bank) = request.get("bank") {
        let coins = |addr: &str| env.balances.get(addr).cloned().unwrap_or_default();
        if let Some(q) = bank.get("balance") {
            let address = q.get("address").and_then(Value::as_str).unwrap_or_default();
            let denom = q.get("denom").and_then(Value::as_str).unwrap_or_default();
            let amount = coins(address)
                .into_iter()
                .find(|c| c.denom == denom)
                .map_or_else(|| "0".to_owned(), |c| c.amount);
            return Ok(ok_binary(
                &json!({ "amount": { "denom": denom, "amount": amount } }),
            ));
        }
        if let Some(q) = bank.get("all_balances") {
            let address = q.get("address").and_then(Value::as_str).unwrap_or_default();
            return Ok(ok_binary(&json!({ "amount": coins(address) })));
        }
        return Err("bank query other than balance or all_balances".to_owned());
    }
    if let Some(smart) = request.get("wasm").and_then(|w| w.get("smart")) {
        let contract = smart
            .get("contract_addr")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let msg = smart
            .get("msg")
            .and_then(Value::as_str)
            .and_then(|m| base64::engine::general_purpose::STANDARD.decode(m).ok())
            .and_then(|m| serde_json::from_slice::<Value>(&m).ok())
            .unwrap_or(Value::Null);
        if let Some(q) = env
            .smart_queries
            .iter()
            .find(|q| q.contract == contract && q.msg == msg)
        {
            return Ok(ok_binary(&q.response));
        }
        // A contract the scenario names exists: what it would answer this
        // message is not known, so it is not made up.
        if env.knows_contract(contract) {
            return Err(format!(
                "smart query {msg} to {contract}: no [[cosmwasm.smart_query]] answers it"
            ));
        }
        return Ok(no_such_contract(contract));
    }
    if let Some(raw) = request.get("wasm").and_then(|w| w.get("raw")) {
        let contract = raw
            .get("contract_addr")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let Some(key) = raw
            .get("key")
            .and_then(Value::as_str)
            .and_then(|k| base64::engine::general_purpose::STANDARD.decode(k).ok())
        else {
            return Err("raw query without a base64 key".to_owned());
        };
        if !env.knows_contract(contract) {
            return Ok(no_such_contract(contract));
        }
        // A key nobody configured reads as empty, as a missing key does.
        let value = env
            .raw_queries
            .iter()
            .find(|q| q.contract == contract && q.key == key)
            .map_or(&[][..], |q| &q.value);
        return Ok(ok_bytes(value));
    }
    let kind = request
        .as_object()
        .and_then(|o| o.keys().next().cloned())
        .unwrap_or_else(|| "unknown".to_owned());
    Err(format!("{kind} query"))
}

type Aggregate = fn(&[u8]) -> cosmwasm_crypto::CryptoResult<Vec<u8>>;

/// `bls12_381_aggregate_g1`/`_g2`: the points (compressed, 48 or 96 bytes
/// each) summed into the destination Region; 0, or the error's code
/// (no points, a length that is not a multiple, a point not on the curve or
/// not in the subgroup). As cosmwasm-vm's `do_bls12_381_aggregate_g1`.
fn bls_aggregate(
    mut caller: Ctx<'_>,
    name: &str,
    [points, out]: [u32; 2],
    (point_len, price, aggregate): (u32, (u64, u64), Aggregate),
) -> HostResult<u32> {
    let points = read_region(&mut caller, name, points, BLS12_381_MAX_AGGREGATE_SIZE)?;
    // The points the list would hold (cosmwasm-vm's estimate: a list of the
    // wrong length is an error code, after the charge).
    let count = points.len() / point_len as usize;
    charge_crypto(&mut caller, crypto_gas::linear(price, count as u64))?;
    match aggregate(&points) {
        Ok(sum) => {
            write_point(&mut caller, name, out, &sum)?;
            Ok(0)
        }
        Err(err) => Ok(err.code()),
    }
}

/// Writes a point into the contract's destination Region, charging per byte.
fn write_point(caller: &mut Ctx<'_>, name: &str, out: u32, point: &[u8]) -> HostResult<()> {
    charge_abi(caller, point.len()).map_err(trap)?;
    write_region(caller, &f(name), out, point).map_err(trap)
}

/// `bls12_381_pairing_equality(ps, qs, r, s)`: whether
/// e(p1, q1) * ... * e(pn, qn) = e(r, s) for the n G1 points `ps` and the n G2
/// points `qs`: 0 yes, 1 no, else the error's code (lists of unequal length
/// or not a multiple of the point size, a point not on the curve).
fn bls_pairing_equality(mut caller: Ctx<'_>, ps: u32, qs: u32, r: u32, s: u32) -> HostResult<u32> {
    let name = "bls12_381_pairing_equality";
    let ps = read_region(&mut caller, name, ps, BLS12_381_MAX_AGGREGATE_SIZE)?;
    let qs = read_region(&mut caller, name, qs, BLS12_381_MAX_AGGREGATE_SIZE)?;
    let r = read_region(&mut caller, name, r, BLS12_381_G1_POINT_LEN)?;
    let s = read_region(&mut caller, name, s, BLS12_381_G2_POINT_LEN)?;
    // The n pairs of the lists (estimated from `ps`, as cosmwasm-vm does)
    // and (r, s).
    let pairs = ps.len() / BLS12_381_G1_POINT_LEN as usize + 1;
    charge_crypto(
        &mut caller,
        crypto_gas::linear(crypto_gas::BLS12_381_PAIRING_EQUALITY, pairs as u64),
    )?;
    Ok(verify_code(cosmwasm_crypto::bls12_381_pairing_equality(
        &ps, &qs, &r, &s,
    )))
}

type HashToCurve = fn(cosmwasm_crypto::HashFunction, &[u8], &[u8]) -> Vec<u8>;

/// `bls12_381_hash_to_g1`/`_g2(function, msg, dst, out)`: `msg` hashed to
/// the curve under the domain separation tag `dst` (RFC 9380's
/// `hash_to_curve`) into the destination Region; 0, or the code of an
/// unknown hash function (only 0, SHA-256, is known). The Regions are read
/// before the function is checked, as cosmwasm-vm reads them.
fn bls_hash_to_curve(
    mut caller: Ctx<'_>,
    name: &str,
    function: u32,
    [msg, dst, out]: [u32; 3],
    (gas, hash): (u64, HashToCurve),
) -> HostResult<u32> {
    let msg = read_region(&mut caller, name, msg, BLS12_381_MAX_MESSAGE_SIZE)?;
    let dst = read_region(&mut caller, name, dst, BLS12_381_MAX_DST_SIZE)?;
    charge_crypto(&mut caller, gas)?;
    let function = match cosmwasm_crypto::HashFunction::from_u32(function) {
        Ok(function) => function,
        Err(err) => return Ok(err.code()),
    };
    write_point(&mut caller, name, out, &hash(function, &msg, &dst))?;
    Ok(0)
}

/// Registers every import of [`IMPORTS`].
pub(crate) fn link(linker: &mut Linker<HostState>) -> Result<()> {
    use cosmwasm_crypto as cc;
    let e = super::link_err;
    let m = MODULE;
    linker.func_wrap(m, "db_read", db_read).map_err(e)?;
    linker.func_wrap(m, "db_write", db_write).map_err(e)?;
    linker.func_wrap(m, "db_remove", db_remove).map_err(e)?;
    linker.func_wrap(m, "db_scan", db_scan).map_err(e)?;
    linker.func_wrap(m, "db_next", db_next).map_err(e)?;
    linker.func_wrap(m, "db_next_key", db_next_key).map_err(e)?;
    linker
        .func_wrap(m, "db_next_value", db_next_value)
        .map_err(e)?;
    linker
        .func_wrap(m, "addr_validate", addr_validate)
        .map_err(e)?;
    linker
        .func_wrap(m, "addr_canonicalize", addr_canonicalize)
        .map_err(e)?;
    linker
        .func_wrap(m, "addr_humanize", addr_humanize)
        .map_err(e)?;
    let ecdsa = [
        cc::MESSAGE_HASH_MAX_LEN as u32,
        cc::ECDSA_SIGNATURE_LEN as u32,
        cc::ECDSA_PUBKEY_MAX_LEN as u32,
    ];
    use crypto_gas as gas;
    let verifiers: [(&'static str, [u32; 3], u64, Verify); 3] = [
        (
            "secp256k1_verify",
            ecdsa,
            gas::SECP256K1_VERIFY,
            cc::secp256k1_verify,
        ),
        (
            "secp256r1_verify",
            ecdsa,
            gas::SECP256R1_VERIFY,
            cc::secp256r1_verify,
        ),
        (
            "ed25519_verify",
            [MAX_LENGTH_ED25519_MESSAGE, 64, cc::EDDSA_PUBKEY_LEN as u32],
            gas::ED25519_VERIFY,
            cc::ed25519_verify,
        ),
    ];
    for (name, max, price, check) in verifiers {
        linker
            .func_wrap(m, name, move |mut c: Ctx<'_>, a: u32, b: u32, k: u32| {
                verify(&mut c, name, [a, b, k], max, (price, check))
            })
            .map_err(e)?;
    }
    let recoveries: [(&'static str, u64, Recover); 2] = [
        (
            "secp256k1_recover_pubkey",
            gas::SECP256K1_RECOVER_PUBKEY,
            cc::secp256k1_recover_pubkey,
        ),
        (
            "secp256r1_recover_pubkey",
            gas::SECP256R1_RECOVER_PUBKEY,
            cc::secp256r1_recover_pubkey,
        ),
    ];
    for (name, price, recovery) in recoveries {
        linker
            .func_wrap(m, name, move |c: Ctx<'_>, h: u32, s: u32, p: u32| {
                recover(c, name, [h, s, p], (price, recovery))
            })
            .map_err(e)?;
    }
    linker
        .func_wrap(m, "ed25519_batch_verify", ed25519_batch_verify)
        .map_err(e)?;
    let aggregations: [(&'static str, u32, (u64, u64), Aggregate); 2] = [
        (
            "bls12_381_aggregate_g1",
            BLS12_381_G1_POINT_LEN,
            gas::BLS12_381_AGGREGATE_G1,
            |points| cc::bls12_381_aggregate_g1(points).map(Vec::from),
        ),
        (
            "bls12_381_aggregate_g2",
            BLS12_381_G2_POINT_LEN,
            gas::BLS12_381_AGGREGATE_G2,
            |points| cc::bls12_381_aggregate_g2(points).map(Vec::from),
        ),
    ];
    for (name, point_len, price, aggregate) in aggregations {
        linker
            .func_wrap(m, name, move |c: Ctx<'_>, points: u32, out: u32| {
                bls_aggregate(c, name, [points, out], (point_len, price, aggregate))
            })
            .map_err(e)?;
    }
    linker
        .func_wrap(m, "bls12_381_pairing_equality", bls_pairing_equality)
        .map_err(e)?;
    let hashes: [(&'static str, u64, HashToCurve); 2] = [
        (
            "bls12_381_hash_to_g1",
            gas::BLS12_381_HASH_TO_G1,
            |h, msg, dst| cc::bls12_381_hash_to_g1(h, msg, dst).to_vec(),
        ),
        (
            "bls12_381_hash_to_g2",
            gas::BLS12_381_HASH_TO_G2,
            |h, msg, dst| cc::bls12_381_hash_to_g2(h, msg, dst).to_vec(),
        ),
    ];
    for (name, price, hash) in hashes {
        linker
            .func_wrap(
                m,
                name,
                move |c: Ctx<'_>, function: u32, msg: u32, dst: u32, out: u32| {
                    bls_hash_to_curve(c, name, function, [msg, dst, out], (price, hash))
                },
            )
            .map_err(e)?;
    }
    linker
        .func_wrap(m, "debug", |mut c: Ctx<'_>, ptr: u32| {
            let bytes = read_region(&mut c, "debug", ptr, MAX_LENGTH_DEBUG)?;
            c.data_mut()
                .call
                .logs
                .push(String::from_utf8_lossy(&bytes).into_owned());
            Ok(())
        })
        .map_err(e)?;
    linker
        .func_wrap(m, "abort", |mut c: Ctx<'_>, ptr: u32| -> HostResult<()> {
            let bytes = read_region(&mut c, "abort", ptr, MAX_LENGTH_DEBUG)?;
            Err(trap(SimError::Abort {
                code: 0,
                message: String::from_utf8_lossy(&bytes).into_owned(),
            }))
        })
        .map_err(e)?;
    linker.func_wrap(m, "query_chain", query_chain).map_err(e)?;
    Ok(())
}

/// Decodes an entry point's `ContractResult` JSON: `{"ok": ...}` or
/// `{"error": "..."}`. `query` returns base64 `Binary`; the others a
/// `Response`.
pub(crate) fn decode_result(export: &str, bytes: &[u8]) -> Result<CosmResponse> {
    let invalid = |why: String| SimError::InvalidContractResult {
        export: export.to_owned(),
        reason: why,
    };
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| invalid(format!("not JSON: {e}")))?;
    if let Some(message) = value.get("error") {
        return Err(SimError::ContractError {
            export: export.to_owned(),
            message: message
                .as_str()
                .map_or_else(|| message.to_string(), str::to_owned),
        });
    }
    let ok = value
        .get("ok")
        .ok_or_else(|| invalid("neither `ok` nor `error`".to_owned()))?;
    let b64 = |v: &Value| -> Result<Vec<u8>> {
        match v {
            Value::Null => Ok(Vec::new()),
            Value::String(s) => base64::engine::general_purpose::STANDARD
                .decode(s)
                .map_err(|e| invalid(format!("data is not base64: {e}"))),
            other => Err(invalid(format!("data is not a string: {other}"))),
        }
    };
    if export == "query" {
        return Ok(CosmResponse {
            data: b64(ok)?,
            ..CosmResponse::default()
        });
    }
    let pairs = |v: Option<&Value>| -> Vec<(String, String)> {
        v.and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .map(|a| {
                        let s = |k| {
                            a.get(k)
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                                .to_owned()
                        };
                        (s("key"), s("value"))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    Ok(CosmResponse {
        data: b64(ok.get("data").unwrap_or(&Value::Null))?,
        attributes: pairs(ok.get("attributes")),
        events: ok
            .get("events")
            .and_then(Value::as_array)
            .map(|events| {
                events
                    .iter()
                    .map(|ev| {
                        let ty = ev.get("type").and_then(Value::as_str).unwrap_or_default();
                        (ty.to_owned(), pairs(ev.get("attributes")))
                    })
                    .collect()
            })
            .unwrap_or_default(),
        messages: ok
            .get("messages")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_round_trip() {
        let encoded = encode_sections(&[b"key", b"", b"value"]);
        assert_eq!(encoded, b"key\0\0\0\x03\0\0\0\0value\0\0\0\x05");
        assert_eq!(
            decode_sections(&encoded).unwrap(),
            vec![b"key".to_vec(), Vec::new(), b"value".to_vec()]
        );
        assert_eq!(decode_sections(b"\0\0\0\x09"), None);
    }

    #[test]
    fn regions_are_validated_as_cosmwasm_vm_does() {
        let mut memory = vec![0u8; 64];
        for (at, r) in [
            (0, [32u32, 16, 8]),
            (12, [0, 4, 0]),
            (24, [40, 4, 8]),
            (36, [60, 8, 0]),
        ] {
            for (i, w) in r.iter().enumerate() {
                memory[at + 4 * i..at + 4 * i + 4].copy_from_slice(&w.to_le_bytes());
            }
        }
        let f = "env.db_read";
        assert_eq!(
            get_region(&memory, f, 0).unwrap_err().to_string(),
            "host function `env.db_read`: bad Region at 0x0: null Region pointer"
        );
        let at = |ptr| get_region(&memory, f, ptr).unwrap_err().to_string();
        assert!(at(12).contains("offset is 0"), "{}", at(12));
        assert!(at(24).contains("length 8 exceeds capacity 4"), "{}", at(24));
        assert!(at(36).contains("outside memory"), "{}", at(36));
        assert!(at(60).contains("Region struct is outside"), "{}", at(60));
        assert_eq!(get_region(&memory, f, 12).unwrap_err().kind(), "bad-region");
        // The same Region bytes at a non-null pointer are valid.
        memory.copy_within(0..12, 48);
        assert_eq!(
            get_region(&memory, f, 48).unwrap(),
            Region {
                offset: 32,
                capacity: 16,
                length: 8
            }
        );
    }

    #[test]
    fn bech32_addresses_round_trip_and_reject_foreign_prefixes() {
        let env = CosmWasmEnv::default();
        let alice = env.address("alice").unwrap();
        assert!(alice.starts_with("cosmwasm1"));
        assert_eq!(env.validate(&alice), Ok(()));
        let canonical = env.canonicalize(&alice).unwrap();
        assert_eq!(canonical.len(), 32);
        assert_eq!(env.humanize(&canonical).unwrap(), alice);
        assert_eq!(
            env.validate(&alice.to_uppercase()),
            Err("Invalid address: not normalized".to_owned())
        );
        let other = CosmWasmEnv {
            bech32_prefix: "juno".to_owned(),
            ..CosmWasmEnv::default()
        };
        assert_eq!(
            other.validate(&alice),
            Err("Wrong bech32 prefix".to_owned())
        );
        assert_eq!(env.validate(""), Err("Input is empty".to_owned()));
        assert!(env.validate("cosmwasm1notbech32").is_err());
    }

    #[test]
    fn queries_answer_from_configured_state() {
        let mut env = CosmWasmEnv::default();
        env.balances.insert(
            "addr".to_owned(),
            vec![Coin {
                denom: "ucosm".to_owned(),
                amount: "77".to_owned(),
            }],
        );
        let answer = answer_query(
            &env,
            &json!({"bank": {"balance": {"address": "addr", "denom": "ucosm"}}}),
        )
        .unwrap();
        let inner = answer["ok"]["ok"].as_str().unwrap();
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(inner)
            .unwrap();
        assert_eq!(
            serde_json::from_slice::<Value>(&decoded).unwrap(),
            json!({"amount": {"denom": "ucosm", "amount": "77"}})
        );
        let none = answer_query(
            &env,
            &json!({"wasm": {"smart": {"contract_addr": "x", "msg": "e30="}}}),
        )
        .unwrap();
        assert_eq!(none, json!({"error": {"no_such_contract": {"addr": "x"}}}));
        // Raw queries: a configured key's bytes, an empty value for another
        // key of a configured contract, no such contract otherwise.
        env.raw_queries.push(RawQuery {
            contract: "token".to_owned(),
            key: b"config".to_vec(),
            value: br#"{"decimals":6}"#.to_vec(),
        });
        let raw = |contract: &str, key: &[u8]| {
            let key = base64::engine::general_purpose::STANDARD.encode(key);
            answer_query(
                &env,
                &json!({"wasm": {"raw": {"contract_addr": contract, "key": key}}}),
            )
        };
        let stored = base64::engine::general_purpose::STANDARD.encode(br#"{"decimals":6}"#);
        assert_eq!(raw("token", b"config"), Ok(json!({"ok": {"ok": stored}})));
        assert_eq!(raw("token", b"balance"), Ok(json!({"ok": {"ok": ""}})));
        // A smart query to a contract the scenario names, with a message no
        // entry answers, is not simulated rather than made up.
        assert_eq!(
            answer_query(
                &env,
                &json!({"wasm": {"smart": {"contract_addr": "token", "msg": "e30="}}}),
            ),
            Err("smart query {} to token: no [[cosmwasm.smart_query]] answers it".to_owned())
        );
        assert_eq!(
            raw("other", b"config"),
            Ok(json!({"error": {"no_such_contract": {"addr": "other"}}}))
        );
        assert_eq!(
            answer_query(
                &env,
                &json!({"wasm": {"raw": {"contract_addr": "token", "key": "%%"}}})
            ),
            Err("raw query without a base64 key".to_owned())
        );
        assert_eq!(
            answer_query(&env, &json!({"staking": {"all_validators": {}}})),
            Err("staking query".to_owned())
        );
    }

    #[test]
    fn contract_results_decode_or_name_the_problem() {
        let r = decode_result(
            "execute",
            br#"{"ok":{"messages":[],"attributes":[{"key":"action","value":"transfer"}],"events":[],"data":"aGk="}}"#,
        )
        .unwrap();
        assert_eq!(r.data, b"hi");
        assert_eq!(
            r.attributes,
            vec![("action".to_owned(), "transfer".to_owned())]
        );
        let e = decode_result("execute", br#"{"error":"Cannot Sub with 0 and 5"}"#).unwrap_err();
        assert_eq!(e.kind(), "contract-error");
        assert!(e.to_string().contains("Cannot Sub"));
        let bad = decode_result("query", b"{not json").unwrap_err();
        assert_eq!(bad.kind(), "invalid-contract-result");
        assert_eq!(
            decode_result("query", br#"{"ok":"e30="}"#).unwrap().data,
            b"{}"
        );
    }
}
