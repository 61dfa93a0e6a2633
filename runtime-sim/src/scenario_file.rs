//! Scenario files: a contract and the calls to make on it, in TOML.
//!
//! ```toml
//! name = "hello"                  # default: the file's stem
//! contract = "../contracts/hello" # a crate directory (built first) or a .wasm file,
//!                                 # relative to this file
//! replays = 3                     # fresh-instance replays for the determinism check
//! pricing = "stylus"              # page pricing: free | flat:<per_page> | evm[:<word_gas>:<divisor>]
//!                                 #   | stylus[:<free_pages>:<page_gas>] | near[:<base>:<per_page>]
//! fuel_per_call = 10_000_000      # optional limits
//! max_pages = 256
//!
//! [[call]]
//! export = "reverse"
//! input = "capheap"               # UTF-8; or input_hex = "00ff", or input_file = "data.bin"
//! repeat = 2                      # default 1
//! expect = { output = "paehpac" } # optional: output, output_hex, error, max_fuel, pages_after,
//!                                 #   returned, returns, live_bytes
//! ```
//!
//! Chain ABIs (see `docs/src/stylus.md` and `docs/src/cosmwasm.md`):
//!
//! ```toml
//! abi = "stylus"                  # capheap | stylus | cosmwasm (default: detected)
//! allocator = "capheap"           # build the crate through the allocator swap
//! [stylus]                        # or [cosmwasm]: the chain environment
//! block_number = 100
//! code = { "0x00000000000000000000000000000000000000e2" = "0x60806040" } # other accounts' code
//!
//! [[stylus.contract_call]]        # a call the program makes to another contract, and its answer
//! to = "0x00000000000000000000000000000000000000e2"
//! sig = "balanceOf(address)"      # or calldata = "0x70a08231..."
//! args = ["0x00000000000000000000000000000000000000a1"]
//! returns = "uint256"             # and values; or output = "0x..." (default: empty)
//! values = ["1000"]
//! reverts = false                 # true: the output is revert data
//!
//! [[call]]                        # Stylus: a Solidity signature and arguments
//! sig = "transfer(address,uint256)"
//! args = ["0x00000000000000000000000000000000000000b0", "100"]
//! returns = "bool"                # decode the return data
//! sender = "0x00000000000000000000000000000000000000a1"
//! expect = { returns = ["true"] }
//!
//! [[cosmwasm.raw_query]]         # CosmWasm: another contract's stored key (query_wasm_raw)
//! contract = "cosmwasm1..."
//! key = "config"                  # or key_hex = "0x..."
//! value = { owner = "cosmwasm1..." } # stored as JSON; or value_hex = "0x..."
//!
//! [[call]]                        # CosmWasm: an entry point and its message in TOML
//! export = "execute"
//! msg = { transfer = { recipient = "cosmwasm1...", amount = "100" } }
//! sender = "cosmwasm1..."
//! funds = [{ denom = "ucosm", amount = "5" }]
//! ```

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use capheap::PagePricing;
use serde::Deserialize;

use crate::host::Abi;
use crate::host::cosmwasm::CosmWasmEnv;
use crate::host::stylus::StylusEnv;

/// Errors reading a scenario file.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioFileError {
    /// The file cannot be read.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The TOML does not match the schema.
    #[error("{}: {message}", .path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// Where (`line L, column C: `, 1-based, when toml knows) and toml's
        /// description, on one line.
        message: String,
    },
    /// A value is invalid.
    #[error("{}: {message}", .path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong, naming the call.
        message: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: Option<String>,
    contract: PathBuf,
    #[serde(default = "default_replays")]
    replays: u32,
    pricing: Option<String>,
    fuel_per_call: Option<u64>,
    max_pages: Option<u32>,
    abi: Option<String>,
    allocator: Option<String>,
    stylus: Option<RawStylusEnv>,
    cosmwasm: Option<RawCosmWasmEnv>,
    #[serde(default)]
    call: Vec<RawCall>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStylusEnv {
    contract_address: Option<String>,
    sender: Option<String>,
    tx_origin: Option<String>,
    chain_id: Option<u64>,
    block_number: Option<u64>,
    block_timestamp: Option<u64>,
    basefee: Option<String>,
    coinbase: Option<String>,
    gas_limit: Option<u64>,
    gas_price: Option<String>,
    ink_price: Option<u32>,
    #[serde(default)]
    balances: BTreeMap<String, String>,
    #[serde(default)]
    contract_call: Vec<RawContractCall>,
    #[serde(default)]
    code: BTreeMap<String, String>,
}

/// `[[stylus.contract_call]]`: a call to another contract and its answer.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawContractCall {
    to: String,
    sig: Option<String>,
    #[serde(default)]
    args: Vec<toml::Value>,
    calldata: Option<String>,
    returns: Option<String>,
    #[serde(default)]
    values: Vec<toml::Value>,
    output: Option<String>,
    #[serde(default)]
    reverts: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCosmWasmEnv {
    chain_id: Option<String>,
    bech32_prefix: Option<String>,
    contract_address: Option<String>,
    sender: Option<String>,
    block_height: Option<u64>,
    block_time_nanos: Option<u64>,
    #[serde(default)]
    balances: BTreeMap<String, Vec<crate::Coin>>,
    #[serde(default)]
    smart_query: Vec<RawSmartQuery>,
    #[serde(default)]
    raw_query: Vec<RawRawQuery>,
}

/// `[[cosmwasm.raw_query]]`: a key of another contract's storage and its
/// value.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRawQuery {
    contract: String,
    key: Option<String>,
    key_hex: Option<String>,
    value: Option<toml::Value>,
    value_hex: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSmartQuery {
    contract: String,
    msg: toml::Value,
    response: toml::Value,
}

fn default_replays() -> u32 {
    3
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCall {
    export: Option<String>,
    input: Option<String>,
    sig: Option<String>,
    #[serde(default)]
    args: Vec<toml::Value>,
    returns: Option<String>,
    msg: Option<toml::Value>,
    sender: Option<String>,
    value: Option<toml::Value>,
    #[serde(default)]
    funds: Vec<crate::Coin>,
    input_hex: Option<String>,
    input_file: Option<PathBuf>,
    #[serde(default = "default_repeat")]
    repeat: u32,
    expect: Option<RawExpect>,
}

fn default_repeat() -> u32 {
    1
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExpect {
    output: Option<String>,
    output_hex: Option<String>,
    error: Option<String>,
    max_fuel: Option<u64>,
    pages_after: Option<u64>,
    returned: Option<i64>,
    returns: Option<Vec<toml::Value>>,
    live_bytes: Option<u64>,
}

/// Where the contract comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContractSource {
    /// A crate directory, built with the pipeline.
    Crate(PathBuf),
    /// A built `.wasm` file.
    Wasm(PathBuf),
}

/// What a call must produce.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expectation {
    /// Exact output bytes.
    pub output: Option<Vec<u8>>,
    /// The call must fail with an error whose kind (see
    /// [`crate::SimError`]'s `kind()`) or message contains this text.
    pub error: Option<String>,
    /// Fuel must not exceed this.
    pub max_fuel: Option<u64>,
    /// Pages after the call.
    pub pages_after: Option<u64>,
    /// The export's raw return value.
    pub returned: Option<i64>,
    /// The Stylus return data decoded with the call's `returns` types, one
    /// text value per type.
    pub returns: Option<Vec<String>>,
    /// capheap's live bytes after the call (the contract exports its stats).
    pub live_bytes: Option<u64>,
}

/// One call of a scenario, its input resolved to bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallSpec {
    /// Export to call.
    pub export: String,
    /// Input bytes.
    pub input: Vec<u8>,
    /// How many times in a row.
    pub repeat: u32,
    /// Who makes it and what it sends (chain ABIs).
    pub env: crate::CallEnv,
    /// Solidity types of the return data (`returns`), to decode it.
    pub returns: Option<String>,
    /// What reports call it: the Solidity function (`transfer`), the
    /// CosmWasm message (`execute:transfer`), else the export.
    pub label: Option<String>,
    /// What it must produce.
    pub expect: Expectation,
}

/// A scenario file, validated and resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct ScenarioFile {
    /// Scenario name (gas-snapshot entries are `<name>::<export>`).
    pub name: String,
    /// The contract.
    pub contract: ContractSource,
    /// Fresh-instance replays for the determinism check.
    pub replays: u32,
    /// Page pricing (`None`: the chain's default, else free).
    pub pricing: Option<PagePricing>,
    /// The host ABI (`None`: detected from the module).
    pub abi: Option<Abi>,
    /// Build the contract crate through the allocator swap with this allocator.
    pub allocator: Option<crate::Allocator>,
    /// The Stylus chain environment, if the file sets one.
    pub stylus: Option<StylusEnv>,
    /// The CosmWasm chain environment, if the file sets one.
    pub cosmwasm: Option<CosmWasmEnv>,
    /// Fuel limit per call.
    pub fuel_per_call: Option<u64>,
    /// Simulator page cap.
    pub max_pages: Option<u32>,
    /// The calls, in order.
    pub calls: Vec<CallSpec>,
}

/// Parses a pricing spec in [`PagePricing`]'s one text form: `free`,
/// `flat:<per_page>`, `evm[:<word_gas>:<divisor>]`,
/// `stylus[:<free_pages>:<page_gas>]`, `near[:<base>:<per_page>]`.
///
/// ```
/// use capheap::PagePricing;
/// use capheap_sim::scenario_file::parse_pricing;
///
/// assert_eq!(parse_pricing("flat:500"), Ok(PagePricing::Flat { per_page: 500 }));
/// assert_eq!(parse_pricing("stylus"), Ok(PagePricing::STYLUS));
/// assert!(parse_pricing("flat").is_err());
/// ```
pub fn parse_pricing(spec: &str) -> Result<PagePricing, String> {
    spec.parse().map_err(|e| format!("pricing `{spec}`: {e}"))
}

/// How a scenario file in `file_dir` names `contract`: relative to
/// `file_dir`, as scenario files resolve it, when the two share a directory
/// below the file system's root (a report and the checkout it was made in),
/// so that they can move together; absolute otherwise (a file in `/tmp` for
/// a contract in a home directory). Both are resolved first (symbolic links
/// included) where they exist, so the two sides of the path agree.
///
/// ```
/// use std::path::Path;
/// use capheap_sim::scenario_file::contract_path_from;
///
/// let named = contract_path_from(Path::new("/repo/target/report"), Path::new("/repo/contracts/leaky"));
/// assert_eq!(named, "../../contracts/leaky");
/// assert_eq!(contract_path_from(Path::new("/repo"), Path::new("/repo/a.wasm")), "a.wasm");
/// // Nothing shared but the root: absolute.
/// assert_eq!(contract_path_from(Path::new("/tmp/out"), Path::new("/repo/a.wasm")), "/repo/a.wasm");
/// ```
pub fn contract_path_from(file_dir: &Path, contract: &Path) -> String {
    let resolve = |p: &Path| {
        p.canonicalize()
            .or_else(|_| std::path::absolute(p))
            .unwrap_or_else(|_| p.to_owned())
    };
    let (contract, dir) = (resolve(contract), resolve(file_dir));
    let depth = dir
        .components()
        .filter(|c| matches!(c, Component::Normal(_)))
        .count();
    match pathdiff::diff_paths(&contract, &dir) {
        Some(rel) if rel.as_os_str().is_empty() => ".".to_owned(),
        // Climbing out of every directory of `file_dir` reaches the root.
        Some(rel)
            if rel
                .components()
                .take_while(|c| *c == Component::ParentDir)
                .count()
                < depth =>
        {
            rel.to_string_lossy().into_owned()
        }
        _ => contract.to_string_lossy().into_owned(),
    }
}

/// Whether `name` is safe as a file name and a gas-snapshot key: 1 to 100
/// of `[A-Za-z0-9._-]`, not `.` or `..`, no leading `-`.
///
/// ```
/// use capheap_sim::scenario_file::is_valid_name;
///
/// assert!(is_valid_name("erc20-transfer_1"));
/// assert!(!is_valid_name("../escape"));
/// assert!(!is_valid_name(""));
/// ```
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && name != "."
        && name != ".."
        && !name.starts_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// A valid name from the file's stem (other characters become `_`).
fn name_from_stem(path: &Path) -> String {
    let stem: String = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    if is_valid_name(&stem) {
        stem
    } else {
        "scenario".to_owned()
    }
}

/// A TOML value as call text: strings as they are, numbers and booleans
/// printed, arrays as `[a, b]`.
fn toml_text(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) => s.clone(),
        toml::Value::Array(items) => {
            format!(
                "[{}]",
                items.iter().map(toml_text).collect::<Vec<_>>().join(", ")
            )
        }
        other => other.to_string(),
    }
}

fn stylus_env(raw: RawStylusEnv) -> Result<StylusEnv, String> {
    use crate::instance::{parse_address, parse_u256};
    let e = |err: crate::SimError| format!("[stylus] {err}");
    let mut env = StylusEnv::default();
    let address =
        |field: &str, v: &Option<String>| v.as_deref().map(|t| parse_address(field, t)).transpose();
    let uint =
        |field: &str, v: &Option<String>| v.as_deref().map(|t| parse_u256(field, t)).transpose();
    if let Some(a) = address("contract_address", &raw.contract_address).map_err(e)? {
        env.contract_address = a;
    }
    if let Some(a) = address("sender", &raw.sender).map_err(e)? {
        env.default_sender = a;
    }
    env.tx_origin = address("tx_origin", &raw.tx_origin).map_err(e)?;
    if let Some(a) = address("coinbase", &raw.coinbase).map_err(e)? {
        env.coinbase = a;
    }
    if let Some(v) = uint("basefee", &raw.basefee).map_err(e)? {
        env.basefee = v;
    }
    if let Some(v) = uint("gas_price", &raw.gas_price).map_err(e)? {
        env.gas_price = v;
    }
    env.chain_id = raw.chain_id.unwrap_or(env.chain_id);
    env.block_number = raw.block_number.unwrap_or(env.block_number);
    env.block_timestamp = raw.block_timestamp.unwrap_or(env.block_timestamp);
    env.gas_limit = raw.gas_limit.unwrap_or(env.gas_limit);
    env.ink_price = raw.ink_price.unwrap_or(env.ink_price);
    for (account, balance) in &raw.balances {
        let account = parse_address("balances", account).map_err(e)?;
        env.balances
            .insert(account, parse_u256("balances", balance).map_err(e)?);
    }
    for (account, code) in &raw.code {
        let account = parse_address("code", account).map_err(e)?;
        let code = crate::hex::decode(code).map_err(|why| format!("[stylus] code: {why}"))?;
        env.code.insert(account, code);
    }
    for (i, call) in raw.contract_call.iter().enumerate() {
        let call = contract_call(call)
            .map_err(|why| format!("[[stylus.contract_call]] {}: {why}", i + 1))?;
        env.contract_calls.push(call);
    }
    Ok(env)
}

/// One `[[stylus.contract_call]]`: the calldata from `sig` and `args` or
/// from `calldata` (hex), the answer from `returns` and `values` or from
/// `output` (hex), or empty.
fn contract_call(raw: &RawContractCall) -> Result<crate::host::stylus::ContractCall, String> {
    use crate::calldata::{encode_call, encode_values};
    let text = |values: &[toml::Value]| values.iter().map(toml_text).collect::<Vec<_>>();
    let to = crate::instance::parse_address("to", &raw.to).map_err(|e| e.to_string())?;
    let calldata = match (&raw.sig, &raw.calldata) {
        (Some(_), Some(_)) => return Err("both `sig` and `calldata`: give one".to_owned()),
        (Some(sig), None) => encode_call(sig, &text(&raw.args)).map_err(|e| e.to_string())?,
        (None, _) if !raw.args.is_empty() => {
            return Err("`args` go with `sig`, which names their types".to_owned());
        }
        (None, Some(hex)) => crate::hex::decode(hex).map_err(|why| format!("calldata: {why}"))?,
        (None, None) => return Err("missing `sig` (or `calldata`)".to_owned()),
    };
    let output = match (&raw.returns, &raw.output) {
        (Some(_), Some(_)) => return Err("both `returns` and `output`: give one".to_owned()),
        (Some(returns), None) => {
            encode_values(returns, &text(&raw.values)).map_err(|e| e.to_string())?
        }
        (None, _) if !raw.values.is_empty() => {
            return Err("`values` go with `returns`, which names their types".to_owned());
        }
        (None, Some(hex)) => crate::hex::decode(hex).map_err(|why| format!("output: {why}"))?,
        (None, None) => Vec::new(),
    };
    Ok(crate::host::stylus::ContractCall {
        to,
        calldata,
        output,
        reverts: raw.reverts,
    })
}

fn cosmwasm_env(raw: RawCosmWasmEnv) -> Result<CosmWasmEnv, String> {
    let mut env = CosmWasmEnv::default();
    if let Some(prefix) = raw.bech32_prefix {
        env.bech32_prefix = prefix;
    }
    env.address("check")
        .map_err(|e| format!("[cosmwasm] {e}"))?;
    let valid = |field: &str, address: &str| {
        env.validate(address)
            .map_err(|why| format!("[cosmwasm] {field} `{address}`: {why}"))
    };
    if let Some(a) = &raw.contract_address {
        valid("contract_address", a)?;
    }
    if let Some(a) = &raw.sender {
        valid("sender", a)?;
    }
    for (address, coins) in &raw.balances {
        valid("balances", address)?;
        for coin in coins {
            coin.amount.parse::<u128>().map_err(|_| {
                format!(
                    "[cosmwasm] balances of `{address}`: amount `{}` is not a Uint128",
                    coin.amount
                )
            })?;
        }
    }
    let json = |v: &toml::Value| {
        serde_json::to_value(v).map_err(|e| format!("[cosmwasm] smart_query: {e}"))
    };
    let smart_queries = raw
        .smart_query
        .iter()
        .map(|q| {
            Ok(crate::host::cosmwasm::SmartQuery {
                contract: q.contract.clone(),
                msg: json(&q.msg)?,
                response: json(&q.response)?,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let raw_queries = raw
        .raw_query
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let at = |why: String| format!("[[cosmwasm.raw_query]] {}: {why}", i + 1);
            valid("raw_query contract", &q.contract)?;
            let key = match (&q.key, &q.key_hex) {
                (Some(text), None) => text.as_bytes().to_vec(),
                (None, Some(hex)) => crate::hex::decode(hex).map_err(at)?,
                _ => return Err(at("give `key` (UTF-8) or `key_hex`, one of them".to_owned())),
            };
            let value = match (&q.value, &q.value_hex) {
                // cw-storage-plus stores values as JSON.
                (Some(v), None) => serde_json::to_vec(v).map_err(|e| at(e.to_string()))?,
                (None, Some(hex)) => crate::hex::decode(hex).map_err(at)?,
                _ => {
                    return Err(at(
                        "give `value` (stored as JSON) or `value_hex`, one of them".to_owned(),
                    ));
                }
            };
            Ok(crate::host::cosmwasm::RawQuery {
                contract: q.contract.clone(),
                key,
                value,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(CosmWasmEnv {
        chain_id: raw.chain_id.unwrap_or(env.chain_id.clone()),
        contract_address: raw.contract_address,
        default_sender: raw.sender,
        block_height: raw.block_height.unwrap_or(env.block_height),
        block_time_nanos: raw.block_time_nanos.unwrap_or(env.block_time_nanos),
        balances: raw.balances,
        smart_queries,
        raw_queries,
        bech32_prefix: env.bech32_prefix,
    })
}

impl ScenarioFile {
    /// The library [`Scenario`](crate::Scenario) these calls make.
    ///
    /// ```
    /// use std::path::Path;
    /// use capheap_sim::scenario_file::ScenarioFile;
    ///
    /// let file = ScenarioFile::parse(
    ///     r#"
    /// contract = "hello.wasm"
    /// [[call]]
    /// export = "reverse"
    /// input = "abc"
    /// repeat = 3
    /// "#,
    ///     Path::new("hello.toml"),
    /// )?;
    /// assert_eq!(file.scenario().len(), 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn scenario(&self) -> crate::Scenario {
        self.calls
            .iter()
            .fold(crate::Scenario::new(), |scenario, call| {
                scenario.call(
                    crate::ScenarioCall::new(&*call.export, call.input.clone())
                        .repeat(call.repeat)
                        .env(call.env.clone())
                        .with_label(call.label.clone()),
                )
            })
    }

    /// Every way the calls of `records` (a run of this file's
    /// [`scenario`](Self::scenario)) miss what the file expects of them, one
    /// line each. A call that fails without an `expect.error` is a miss too.
    ///
    /// ```
    /// use capheap_sim::scenario_file::ScenarioFile;
    /// use capheap_sim::Simulator;
    ///
    /// let wasm = wat::parse_str(r#"(module (memory (export "memory") 1)
    ///     (func (export "grow") (result i32) (memory.grow (i32.const 1))))"#)?;
    /// let text = "contract = \"c.wasm\"\n[[call]]\nexport = \"grow\"\nexpect = { pages_after = 3 }\n";
    /// let file = ScenarioFile::parse(text, "s.toml".as_ref())?;
    /// let run = Simulator::new().load(&wasm)?.run_scenario(&file.scenario(), 0)?;
    /// assert_eq!(file.misses(&run.calls), ["call #0 (grow, step 1 rep 1): 2 pages after the call, expected 3"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn misses(&self, records: &[crate::CallRecord]) -> Vec<String> {
        let mut out = Vec::new();
        for r in records {
            let Some(spec) = self.calls.get(r.step) else {
                continue;
            };
            let o = &r.outcome;
            let at = format!(
                "call #{} ({}, step {} rep {})",
                r.index,
                r.label,
                r.step + 1,
                r.iteration + 1
            );
            let e = &spec.expect;
            match (&o.error, &e.error) {
                (Some(err), None) => out.push(format!("{at}: failed: {err}")),
                (None, Some(want)) => out.push(format!(
                    "{at}: expected an error matching `{want}`, but it succeeded"
                )),
                (Some(err), Some(want)) => {
                    if err.kind() != want && !err.to_string().contains(want.as_str()) {
                        out.push(format!(
                            "{at}: expected an error matching `{want}`, got {}: {err}",
                            err.kind()
                        ));
                    }
                }
                (None, None) => {}
            }
            if let Some(want) = &e.output
                && o.error.is_none()
                && &o.output != want
            {
                out.push(format!(
                    "{at}: output {} differs from the expected {}",
                    shown(&o.output),
                    shown(want)
                ));
            }
            if let (Some(want), Some(types)) = (&e.returns, &spec.returns)
                && o.error.is_none()
            {
                // Values are compared, not text: a lowercase address
                // matches the checksummed one the decoder writes.
                match crate::calldata::returns_match(types, &o.output, want) {
                    Ok(true) => {}
                    Ok(false) => out.push(format!(
                        "{at}: returned ({}) but ({}) was expected",
                        crate::calldata::decode_returns(types, &o.output)
                            .map(|got| got.join(", "))
                            .unwrap_or_default(),
                        want.join(", ")
                    )),
                    Err(err) => out.push(format!("{at}: {err}")),
                }
            }
            if let Some(max) = e.max_fuel
                && o.fuel.total > max
            {
                out.push(format!(
                    "{at}: {} fuel exceeds max_fuel {max}",
                    o.fuel.total
                ));
            }
            if let Some(want) = e.returned
                && o.error.is_none()
                && o.returned != Some(want)
            {
                out.push(format!(
                    "{at}: returned {}, expected {want}",
                    o.returned
                        .map_or_else(|| "nothing".to_owned(), |v| v.to_string())
                ));
            }
            if let Some(want) = e.live_bytes {
                match o.stats {
                    Some(stats) if stats.live_bytes == want => {}
                    Some(stats) => out.push(format!(
                        "{at}: {} live bytes after the call, expected {want}",
                        stats.live_bytes
                    )),
                    None => out.push(format!(
                        "{at}: expect.live_bytes needs the contract's `capheap_stats` export"
                    )),
                }
            }
            if let Some(pages) = e.pages_after
                && u64::from(o.pages_after) != pages
            {
                out.push(format!(
                    "{at}: {} pages after the call, expected {pages}",
                    o.pages_after
                ));
            }
        }
        out
    }

    /// A simulator builder with this file's settings for `wasm`: the chain
    /// defaults of its ABI (`abi`, else the file's `abi`, else detected from
    /// the module), then the file's chain environment, pricing, page cap and
    /// fuel per call. Setters called afterwards override them.
    ///
    /// ```
    /// use capheap_sim::scenario_file::ScenarioFile;
    ///
    /// let text = "contract = \"c.wasm\"\npricing = \"flat:7\"\n[[call]]\nexport = \"go\"\n";
    /// let file = ScenarioFile::parse(text, "s.toml".as_ref())?;
    /// let wasm = wat::parse_str("(module (memory (export \"memory\") 1))")?;
    /// let sim = file.simulator_builder(&wasm, None).build()?;
    /// assert_eq!(sim.pricing_label(), "flat:7");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn simulator_builder(
        &self,
        wasm: &[u8],
        abi: Option<crate::Abi>,
    ) -> crate::SimulatorBuilder {
        let explicit = abi.or(self.abi);
        let chain = explicit.unwrap_or_else(|| {
            crate::Abi::detect_wasm(wasm).map_or(crate::Abi::Capheap, |(abi, _)| abi)
        });
        let mut builder = crate::Simulator::builder().chain_defaults(chain);
        // Set only when asked for, so that a detected ABI keeps its reason.
        if let Some(abi) = explicit {
            builder = builder.abi(abi);
        }
        if let Some(env) = &self.stylus {
            builder = builder.stylus_env(env.clone());
        }
        if let Some(env) = &self.cosmwasm {
            builder = builder.cosmwasm_env(env.clone());
        }
        if let Some(pricing) = self.pricing {
            builder = builder.pricing(pricing);
        }
        if let Some(pages) = self.max_pages {
            builder = builder.max_pages(pages);
        }
        if let Some(fuel) = self.fuel_per_call {
            builder = builder.fuel_limit(fuel);
        }
        builder
    }

    /// Reads and validates a scenario file. Relative paths in it are relative
    /// to the file's directory.
    ///
    /// ```
    /// use capheap_sim::scenario_file::ScenarioFile;
    ///
    /// let path = std::env::temp_dir().join("capheap-sim-doc-scenario.toml");
    /// std::fs::write(&path, "contract = \"c.wasm\"\nreplays = 5\n[[call]]\nexport = \"run\"\n")?;
    /// let file = ScenarioFile::load(&path)?;
    /// assert_eq!((file.name.as_str(), file.replays), ("capheap-sim-doc-scenario", 5));
    /// // A file that is not a scenario is a typed error naming the file.
    /// std::fs::write(&path, "replays = \"many\"")?;
    /// assert!(ScenarioFile::load(&path).unwrap_err().to_string().contains("capheap-sim-doc-scenario.toml"));
    /// std::fs::remove_file(&path)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn load(path: &Path) -> Result<Self, ScenarioFileError> {
        let invalid = |message: String| ScenarioFileError::Invalid {
            path: path.to_owned(),
            message,
        };
        let bytes = crate::limits::read_capped(path, crate::limits::MAX_SCENARIO_FILE).map_err(
            |e| match e {
                crate::SimError::Io { message, .. } => ScenarioFileError::Io {
                    path: path.to_owned(),
                    source: std::io::Error::other(message),
                },
                other => invalid(format!(
                    "{other}: a scenario file is at most {} bytes",
                    crate::limits::MAX_SCENARIO_FILE
                )),
            },
        )?;
        let text = String::from_utf8(bytes).map_err(|_| invalid("not UTF-8 text".to_owned()))?;
        Self::parse(&text, path)
    }

    /// Parses scenario text that was read from `path`.
    ///
    /// ```
    /// use std::path::Path;
    /// use capheap_sim::scenario_file::ScenarioFile;
    ///
    /// let file = ScenarioFile::parse(
    ///     "name = \"demo\"\ncontract = \"c.wasm\"\npricing = \"evm\"\n[[call]]\nexport = \"run\"\n",
    ///     Path::new("demo.toml"),
    /// )?;
    /// assert_eq!(file.pricing, Some(capheap::PagePricing::EVM));
    /// // Unknown keys are refused, not ignored.
    /// assert!(ScenarioFile::parse("contract = \"c.wasm\"\nreplay = 3\n", Path::new("x.toml")).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn parse(text: &str, path: &Path) -> Result<Self, ScenarioFileError> {
        let raw: RawScenario = toml::from_str(text).map_err(|e| ScenarioFileError::Syntax {
            path: path.to_owned(),
            message: syntax_message(text, &e),
        })?;
        let invalid = |message: String| ScenarioFileError::Invalid {
            path: path.to_owned(),
            message,
        };
        let base = path.parent().unwrap_or(Path::new("."));
        let contract_path = base.join(&raw.contract);
        let contract = if contract_path.extension().is_some_and(|e| e == "wasm") {
            ContractSource::Wasm(contract_path)
        } else {
            ContractSource::Crate(contract_path)
        };
        if raw.replays == 0 || raw.replays as usize > crate::limits::MAX_REPLAY_RUNS {
            return Err(invalid(format!(
                "replays must be 1 to {}, not {}",
                crate::limits::MAX_REPLAY_RUNS,
                raw.replays
            )));
        }
        if raw.call.is_empty() {
            return Err(invalid(
                "no [[call]]: a scenario needs at least one call".to_owned(),
            ));
        }
        let pricing = match &raw.pricing {
            Some(spec) => Some(parse_pricing(spec).map_err(invalid)?),
            None => None,
        };
        let abi = raw
            .abi
            .as_deref()
            .map(str::parse::<Abi>)
            .transpose()
            .map_err(|e| invalid(format!("abi: {e}")))?;
        let allocator = raw
            .allocator
            .as_deref()
            .map(str::parse::<crate::Allocator>)
            .transpose()
            .map_err(|e| invalid(format!("allocator: {e}")))?;
        let stylus = raw.stylus.map(stylus_env).transpose().map_err(invalid)?;
        let cosmwasm = raw
            .cosmwasm
            .map(cosmwasm_env)
            .transpose()
            .map_err(invalid)?;
        let mut calls = Vec::with_capacity(raw.call.len());
        let mut total_calls = 0usize;
        for (i, call) in raw.call.into_iter().enumerate() {
            let export = match (&call.export, &call.sig) {
                (Some(export), _) => export.clone(),
                (None, Some(_)) => crate::host::stylus::ENTRY_EXPORT.to_owned(),
                (None, None) => {
                    return Err(invalid(format!(
                        "call {}: missing `export` (or `sig` for a Stylus call)",
                        i + 1
                    )));
                }
            };
            let which = format!("call {} (`{export}`)", i + 1);
            if call.repeat == 0 {
                return Err(invalid(format!("{which}: repeat must be at least 1")));
            }
            total_calls = total_calls.saturating_add(call.repeat as usize);
            if total_calls > crate::limits::MAX_SCENARIO_CALLS {
                return Err(invalid(format!(
                    "{which}: the scenario would make {total_calls} calls (repeats expanded); at most {} are allowed",
                    crate::limits::MAX_SCENARIO_CALLS
                )));
            }
            let given = [
                call.input.is_some(),
                call.input_hex.is_some(),
                call.input_file.is_some(),
                call.sig.is_some(),
                call.msg.is_some(),
            ];
            if given.iter().filter(|g| **g).count() > 1 {
                return Err(invalid(format!(
                    "{which}: give at most one of input, input_hex, input_file, sig, msg"
                )));
            }
            if call.sig.is_none() && !call.args.is_empty() {
                return Err(invalid(format!("{which}: `args` needs a `sig`")));
            }
            let input = match (call.input, call.input_hex, call.input_file) {
                (None, None, None) => match (&call.sig, &call.msg) {
                    (Some(sig), _) => {
                        let args: Vec<String> = call.args.iter().map(toml_text).collect();
                        crate::calldata::encode_call(sig, &args)
                            .map_err(|e| invalid(format!("{which}: {e}")))?
                    }
                    (None, Some(msg)) => serde_json::to_vec(msg)
                        .map_err(|e| invalid(format!("{which}: msg: {e}")))?,
                    (None, None) => Vec::new(),
                },
                (Some(text), None, None) => text.into_bytes(),
                (None, Some(hex), None) => crate::hex::decode(&hex)
                    .map_err(|e| invalid(format!("{which}: input_hex {e}")))?,
                (None, None, Some(file)) => {
                    let file = base.join(file);
                    crate::limits::read_capped(&file, crate::limits::MAX_INPUT_FILE).map_err(
                        |e| invalid(format!("{which}: input_file {}: {e}", file.display())),
                    )?
                }
                _ => {
                    return Err(invalid(format!(
                        "{which}: give at most one of input, input_hex, input_file"
                    )));
                }
            };
            let expect = match call.expect {
                None => Expectation::default(),
                Some(e) => {
                    let output = match (e.output, e.output_hex) {
                        (None, None) => None,
                        (Some(text), None) => Some(text.into_bytes()),
                        (None, Some(hex)) => Some(
                            crate::hex::decode(&hex)
                                .map_err(|m| invalid(format!("{which}: expect.output_hex {m}")))?,
                        ),
                        _ => {
                            return Err(invalid(format!(
                                "{which}: give at most one of expect.output, expect.output_hex"
                            )));
                        }
                    };
                    if output.is_some() && e.error.is_some() {
                        return Err(invalid(format!(
                            "{which}: expect.output and expect.error exclude each other"
                        )));
                    }
                    let returns: Option<Vec<String>> =
                        e.returns.map(|v| v.iter().map(toml_text).collect());
                    match (&returns, &call.returns) {
                        (Some(_), None) => {
                            return Err(invalid(format!(
                                "{which}: expect.returns needs the call's `returns` types"
                            )));
                        }
                        // Each expected value must be one of its type: a typo
                        // is refused here, not reported as a mismatch later.
                        (Some(values), Some(types)) => {
                            crate::calldata::check_expected(types, values)
                                .map_err(|err| invalid(format!("{which}: {err}")))?;
                        }
                        _ => {}
                    }
                    Expectation {
                        output,
                        error: e.error,
                        max_fuel: e.max_fuel,
                        pages_after: e.pages_after,
                        returned: e.returned,
                        returns,
                        live_bytes: e.live_bytes,
                    }
                }
            };
            let label = match (&call.sig, &call.msg) {
                (Some(sig), _) => sig.split('(').next().map(str::to_owned),
                // An enum-style message, `{ transfer = { ... } }`, names itself.
                (None, Some(toml::Value::Table(t))) if t.len() == 1 => {
                    t.keys().next().map(|k| format!("{export}:{k}"))
                }
                _ => None,
            };
            calls.push(CallSpec {
                label,
                export,
                input,
                repeat: call.repeat,
                env: crate::CallEnv {
                    sender: call.sender,
                    value: call.value.as_ref().map(toml_text),
                    funds: call.funds,
                },
                returns: call.returns,
                expect,
            });
        }
        let name = match raw.name {
            Some(name) => {
                if !is_valid_name(&name) {
                    return Err(invalid(format!(
                        "name `{}`: use letters, digits, `.`, `_` and `-` only (it names files and gas-snapshot entries)",
                        name.escape_debug()
                    )));
                }
                name
            }
            None => name_from_stem(path),
        };
        Ok(ScenarioFile {
            name,
            contract,
            replays: raw.replays,
            pricing,
            abi,
            allocator,
            stylus,
            cosmwasm,
            fuel_per_call: raw.fuel_per_call,
            max_pages: raw.max_pages,
            calls,
        })
    }
}

/// Bytes as quoted text when they are printable UTF-8, else as hex.
fn shown(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) if !text.chars().any(char::is_control) => format!("{text:?}"),
        _ => format!("0x{}", crate::hex::encode(bytes)),
    }
}

/// toml's error on one line, prefixed with where it is: `line 2, column 1:
/// unknown field ...` (toml's own `Display` draws the line and a caret over
/// several lines, which a one-line error cannot hold).
fn syntax_message(text: &str, e: &toml::de::Error) -> String {
    let message = e.message().trim_end().replace('\n', " ");
    let Some(start) = e.span().map(|s| s.start.min(text.len())) else {
        return message;
    };
    // A span from toml starts on a char boundary; `get` keeps a bad one
    // from panicking (it then reports line 1, column 1).
    let before = text.get(..start).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    format!("line {line}, column {column}: {message}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ScenarioFile, ScenarioFileError> {
        ScenarioFile::parse(text, Path::new("/work/scenarios/demo.toml"))
    }

    #[test]
    fn a_full_scenario() {
        let s = parse(
            r#"
            contract = "../contracts/hello"
            replays = 5
            pricing = "stylus"
            fuel_per_call = 1_000_000
            max_pages = 64
            [[call]]
            export = "reverse"
            input = "abc"
            repeat = 2
            expect = { output = "cba", max_fuel = 5000 }
            [[call]]
            export = "checksum"
            input_hex = "0x00ff"
            expect = { output_hex = "01020304", pages_after = 18, returned = -3 }
            [[call]]
            export = "boom"
            expect = { error = "out-of-fuel" }
            "#,
        )
        .unwrap();
        assert_eq!(s.name, "demo");
        assert_eq!(
            s.contract,
            ContractSource::Crate("/work/scenarios/../contracts/hello".into())
        );
        assert_eq!((s.replays, s.pricing), (5, Some(PagePricing::STYLUS)));
        assert_eq!((s.fuel_per_call, s.max_pages), (Some(1_000_000), Some(64)));
        assert_eq!(s.calls.len(), 3);
        assert_eq!(s.calls[0].input, b"abc");
        assert_eq!(s.calls[0].repeat, 2);
        assert_eq!(s.calls[0].expect.output.as_deref(), Some(&b"cba"[..]));
        assert_eq!(s.calls[0].expect.max_fuel, Some(5000));
        assert_eq!(s.calls[1].input, [0x00, 0xff]);
        assert_eq!(
            s.calls[1].expect.output.as_deref(),
            Some(&[1u8, 2, 3, 4][..])
        );
        assert_eq!(s.calls[1].expect.returned, Some(-3));
        assert_eq!(s.calls[2].expect.error.as_deref(), Some("out-of-fuel"));
        assert!(s.calls[2].input.is_empty());
    }

    #[test]
    fn defaults_and_wasm_sources() {
        let s = parse("name = \"x\"\ncontract = \"a.wasm\"\n[[call]]\nexport = \"f\"").unwrap();
        assert_eq!(s.name, "x");
        assert_eq!(
            s.contract,
            ContractSource::Wasm("/work/scenarios/a.wasm".into())
        );
        assert_eq!((s.replays, s.pricing, s.calls[0].repeat), (3, None, 1));
    }

    #[test]
    fn contract_paths_are_named_from_the_files_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("checkout");
        let (contract, report) = (root.join("contracts/leaky"), root.join("target/report"));
        std::fs::create_dir_all(&contract).unwrap();
        std::fs::create_dir_all(&report).unwrap();
        assert_eq!(
            contract_path_from(&report, &contract),
            "../../contracts/leaky"
        );
        assert_eq!(contract_path_from(&contract, &contract), ".");
        // Resolved through a symbolic link on one side only, the path still
        // leads to the contract from where the file will be.
        #[cfg(unix)]
        {
            let link = tmp.path().join("link");
            std::os::unix::fs::symlink(&root, &link).unwrap();
            let named = contract_path_from(&link.join("target/report"), &contract);
            assert_eq!(named, "../../contracts/leaky");
            let deep = tmp.path().join("elsewhere/a");
            std::fs::create_dir_all(&deep).unwrap();
            let named = contract_path_from(&deep, &link.join("contracts/leaky"));
            assert_eq!(
                deep.join(&named).canonicalize().ok(),
                contract.canonicalize().ok(),
                "{named}"
            );
        }
        // A file written where it parses: the source it names is the crate.
        let text = format!(
            "contract = {}\n[[call]]\nexport = \"f\"\n",
            toml::Value::String(contract_path_from(&report, &contract))
        );
        let file = ScenarioFile::parse(&text, &report.join("r.toml")).unwrap();
        let ContractSource::Crate(named) = file.contract else {
            panic!("{:?}", file.contract)
        };
        assert_eq!(
            named.canonicalize().unwrap(),
            contract.canonicalize().unwrap()
        );
    }

    #[test]
    fn schema_errors_are_typed_and_located() {
        let err = parse("contract = \"a.wasm\"\nbogus = 1\n[[call]]\nexport = \"f\"").unwrap_err();
        assert!(matches!(err, ScenarioFileError::Syntax { .. }), "{err}");
        assert!(err.to_string().contains("bogus"), "{err}");
        // One line, located: the unknown key starts line 2.
        let text = err.to_string();
        assert!(!text.contains('\n'), "{text}");
        assert!(
            text.contains(": line 2, column 1: unknown field `bogus`"),
            "{text}"
        );
        // Columns count characters, not bytes: `x` is the 12th character
        // of `name = "é" x` (the 13th byte).
        let err = parse("contract = \"a.wasm\"\nname = \"é\" x").unwrap_err();
        assert!(err.to_string().contains(": line 2, column 12: "), "{err}");
        let err = parse("[[call]]\nexport = \"f\"").unwrap_err();
        assert!(err.to_string().contains("contract"), "{err}");
    }

    #[test]
    fn invalid_values_name_the_call() {
        let cases = [
            (
                "replays = 0\n[[call]]\nexport = \"f\"",
                "replays must be 1 to 1000",
            ),
            ("", "no [[call]]"),
            (
                "[[call]]\nexport = \"f\"\nrepeat = 0",
                "call 1 (`f`): repeat",
            ),
            (
                "[[call]]\nexport = \"f\"\ninput = \"a\"\ninput_hex = \"00\"",
                "at most one of input",
            ),
            ("[[call]]\nexport = \"f\"\ninput_hex = \"0g\"", "not hex"),
            (
                "[[call]]\nexport = \"f\"\ninput_file = \"/nonexistent\"",
                "input_file",
            ),
            (
                "[[call]]\nexport = \"f\"\nexpect = { output = \"a\", error = \"trap\" }",
                "exclude each other",
            ),
            (
                "pricing = \"gold\"\n[[call]]\nexport = \"f\"",
                "pricing `gold`",
            ),
        ];
        for (body, needle) in cases {
            let text = format!("contract = \"a.wasm\"\n{body}");
            let err = parse(&text).unwrap_err();
            assert!(
                matches!(err, ScenarioFileError::Invalid { .. }),
                "{body}: {err}"
            );
            assert!(err.to_string().contains(needle), "{body}: {err}");
        }
    }

    #[test]
    fn pricing_specs() {
        assert_eq!(parse_pricing("free"), Ok(PagePricing::FREE));
        assert_eq!(
            parse_pricing("flat:1_000"),
            Ok(PagePricing::Flat { per_page: 1000 })
        );
        assert_eq!(parse_pricing("evm"), Ok(PagePricing::EVM));
        assert_eq!(
            parse_pricing("evm:3:512"),
            Ok(PagePricing::EvmQuadratic {
                word_gas: 3,
                quad_divisor: 512
            })
        );
        assert_eq!(parse_pricing("stylus"), Ok(PagePricing::STYLUS));
        assert_eq!(
            parse_pricing("stylus:4:10"),
            Ok(PagePricing::Stylus {
                free_pages: 4,
                page_gas: 10
            })
        );
        assert_eq!(
            parse_pricing("near:1:2"),
            Ok(PagePricing::Near {
                base: 1,
                per_page: 2
            })
        );
        for bad in [
            "",
            "flat",
            "flat:x",
            "evm:3",
            "evm:3:0",
            "stylus:99999999999:1",
            "near:1",
            "gold",
        ] {
            assert!(parse_pricing(bad).is_err(), "{bad}");
        }
    }
}
