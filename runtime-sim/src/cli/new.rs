//! `capheap-sim new`: a contract crate that links capheap, with a scenario,
//! ready for `build`, `run`, `report` and `fuzz`.

use std::path::{Path, PathBuf};

use capheap_sim::Abi;
use clap::Args;

use super::{CliResult, Failure, path_failure};

/// The repository `cargo install --git` and the book name.
const REPOSITORY: &str = env!("CARGO_PKG_REPOSITORY");

/// Arguments of `new`.
#[derive(Args)]
pub struct NewArgs {
    /// The directory to create (must not exist, or be empty).
    dir: PathBuf,
    /// Depend on the capheap SDK at this path (default: the SDK this
    /// capheap-sim was built from, when it is still there; else the git
    /// repository).
    #[arg(long, conflicts_with = "capheap_git")]
    capheap_path: Option<PathBuf>,
    /// Depend on the capheap SDK (and capheap-sim, for the tests) from this
    /// git repository.
    #[arg(long)]
    capheap_git: Option<String>,
    /// The chain the contract is for: `capheap` (capheap's own host ABI, no
    /// other dependency), `stylus` (stylus-sdk 0.10) or `cosmwasm`
    /// (cosmwasm-std 2.3).
    #[arg(long, default_value = "capheap")]
    abi: Abi,
}

/// Writes the crate and says what to do next.
pub fn run(args: NewArgs) -> CliResult {
    if args.dir.exists()
        && std::fs::read_dir(&args.dir)
            .map_err(path_failure(&args.dir))?
            .next()
            .is_some()
    {
        return Err(Failure::Error(format!(
            "{}: exists and is not empty; `new` only writes into a new or empty directory",
            args.dir.display()
        )));
    }
    let name = crate_name(&args.dir)?;
    let (capheap, capheap_sim) = match (&args.capheap_path, &args.capheap_git) {
        (Some(path), _) => checkout_dependencies(path)?,
        (None, Some(git)) => git_dependencies(git),
        (None, None) => match capheap_sim::pipeline::default_capheap_path() {
            Some(path) => checkout_dependencies(&path)?,
            None => git_dependencies(REPOSITORY),
        },
    };
    let template = Template::of(args.abi);
    let files = [
        (
            "Cargo.toml",
            cargo_toml(
                &name,
                &capheap,
                &capheap_sim,
                template.dependencies,
                template.wasm_toolchain,
            ),
        ),
        ("src/lib.rs", template.lib_rs.to_owned()),
        (
            "scenario.toml",
            format!("name = {}\n{}", toml_string(&name), template.scenario),
        ),
        ("tests/sim.rs", template.test_rs.to_owned()),
        (".gitignore", "target/\n".to_owned()),
    ];
    let config = template
        .cargo_config
        .map(|text| (".cargo/config.toml", text.to_owned()));
    for (path, text) in files.iter().chain(&config) {
        let path = args.dir.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(path_failure(parent))?;
        }
        std::fs::write(&path, text).map_err(path_failure(&path))?;
    }
    let dir = args.dir.display();
    println!(
        "created {name} in {dir} ({} ABI): Cargo.toml, src/lib.rs, scenario.toml, tests/sim.rs{}",
        args.abi,
        if config.is_some() {
            ", .cargo/config.toml"
        } else {
            ""
        }
    );
    println!("next:");
    if let Some(t) = template.wasm_toolchain {
        println!(
            "  rustup toolchain install {t} --target wasm32-unknown-unknown   # the wasm's Rust (Cargo.toml says why)"
        );
    }
    println!("  capheap-sim build {dir}");
    println!("  capheap-sim run {dir} {}", template.run_args);
    println!("  capheap-sim report {dir}/scenario.toml");
    println!(
        "  capheap-sim fuzz {dir}/scenario.toml {} --time 10",
        template.fuzz_args
    );
    println!("  cd {dir} && cargo test   # builds the wasm and runs it in the simulator");
    Ok(())
}

/// The crate name: the directory's last component, as cargo would accept it.
fn crate_name(dir: &Path) -> Result<String, Failure> {
    let stem = dir
        .file_name()
        .and_then(|s| s.to_str())
        .ok_or_else(|| Failure::Error(format!("{}: not a directory name", dir.display())))?;
    let valid = !stem.is_empty()
        && stem.len() <= 64
        && stem.starts_with(|c: char| c.is_ascii_alphabetic())
        && stem
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !valid {
        return Err(Failure::Error(format!(
            "`{stem}` is not a crate name: start with a letter, then letters, digits, `-` or `_`"
        )));
    }
    Ok(stem.to_owned())
}

/// The SDK and simulator dependencies of a checkout whose SDK is at `sdk`:
/// `{ path = "<absolute path>" }` each (capheap-sim beside the SDK, as in the
/// repository; from git when it is not there).
fn checkout_dependencies(sdk: &Path) -> Result<(String, String), Failure> {
    let sdk = path_dependency(sdk)?;
    let sim = path_dependency(&sdk.0.join("../runtime-sim"))
        .map_or_else(|_| git_dependencies(REPOSITORY).1, |sim| sim.1);
    Ok((sdk.1, sim))
}

/// Both dependencies from a git repository.
fn git_dependencies(url: &str) -> (String, String) {
    let git = toml_string(url);
    (
        format!("{{ git = {git} }}"),
        format!("{{ git = {git}, default-features = false }}"),
    )
}

/// `{ path = "<absolute path>" }` for a crate directory that exists (for
/// capheap-sim, without its command line), with the absolute path.
fn path_dependency(path: &Path) -> Result<(PathBuf, String), Failure> {
    let abs = std::fs::canonicalize(path)
        .map_err(|e| Failure::Error(format!("capheap SDK at {}: {e}", path.display())))?;
    if !abs.join("Cargo.toml").is_file() {
        return Err(Failure::Error(format!(
            "{}: no Cargo.toml: not the capheap SDK",
            abs.display()
        )));
    }
    let text = abs
        .to_str()
        .ok_or_else(|| Failure::Error(format!("{}: not UTF-8", abs.display())))?;
    let extra = if abs.ends_with("runtime-sim") {
        ", default-features = false"
    } else {
        ""
    };
    Ok((
        abs.clone(),
        format!("{{ path = {}{extra} }}", toml_string(text)),
    ))
}

/// A TOML basic string.
fn toml_string(s: &str) -> String {
    let mut out = String::from('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The Rust release the CosmWasm scaffold's wasm is built with
/// (`package.metadata.capheap-sim.wasm-toolchain`): cosmwasm-vm refuses the
/// bulk memory operators that rustc 1.87 and later emit for wasm32, so a
/// release up to 1.86; the SDK's own `rust-version`, which the repository's
/// cw20-base pins too (one toolchain to install).
pub const COSMWASM_WASM_TOOLCHAIN: &str = "1.85";

fn cargo_toml(
    name: &str,
    capheap: &str,
    capheap_sim: &str,
    chain: &str,
    wasm_toolchain: Option<&str>,
) -> String {
    let pin = wasm_toolchain.map_or_else(String::new, |t| {
        format!(
            r#"
# cosmwasm-vm refuses the bulk memory operators (memory.copy, memory.fill)
# that rustc 1.87 and later emit for wasm32: capheap-sim builds this crate's
# wasm with Rust {t} (`rustup toolchain install {t} --target
# wasm32-unknown-unknown`), its tests run on your default toolchain.
[package.metadata.capheap-sim]
wasm-toolchain = "{t}"
"#
        )
    });
    format!(
        r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2024"
publish = false
{pin}
# A contract is a cdylib (the wasm); the rlib lets capheap-sim's allocator
# swap link it. Its tests run the wasm in the simulator (tests/sim.rs).
[lib]
crate-type = ["cdylib", "rlib"]

[dependencies]
capheap = {capheap}
{chain}
# The contract test harness: builds this crate to wasm32 and runs it in the
# simulator, from `cargo test` (capheap_sim::testing).
[dev-dependencies]
capheap-sim = {capheap_sim}

# capheap-sim build forces the same profile through the environment.
[profile.release]
opt-level = "z"
lto = true
codegen-units = 1
panic = "abort"

# A workspace of its own, so a parent directory's workspace does not claim it.
[workspace]
"#
    )
}

/// What differs between the ABIs' scaffolds.
struct Template {
    /// Extra `[dependencies]` lines.
    dependencies: &'static str,
    lib_rs: &'static str,
    /// The scenario file after its `name`.
    scenario: &'static str,
    test_rs: &'static str,
    /// `capheap-sim run <dir> ...` for the next-steps hint.
    run_args: &'static str,
    /// `capheap-sim fuzz <scenario> ...`.
    fuzz_args: &'static str,
    /// `.cargo/config.toml`, if the chain's projects carry one.
    cargo_config: Option<&'static str>,
    /// The toolchain the wasm is built with, if the chain needs an older one
    /// than the tests.
    wasm_toolchain: Option<&'static str>,
}

impl Template {
    fn of(abi: Abi) -> Template {
        match abi {
            Abi::Capheap => Template {
                dependencies: "",
                lib_rs: LIB_RS,
                scenario: SCENARIO,
                test_rs: TEST_RS,
                run_args: "--call reverse --input 0x636170686561700a",
                fuzz_args: "--entry reverse",
                cargo_config: None,
                wasm_toolchain: None,
            },
            Abi::Stylus => Template {
                dependencies: STYLUS_DEPENDENCIES,
                lib_rs: STYLUS_LIB_RS,
                scenario: STYLUS_SCENARIO,
                test_rs: STYLUS_TEST_RS,
                run_args: "--sig 'add(uint256)' --arg 5",
                fuzz_args: "--sig 'add(uint256)'",
                cargo_config: Some(STYLUS_CARGO_CONFIG),
                wasm_toolchain: None,
            },
            Abi::CosmWasm => Template {
                dependencies: COSMWASM_DEPENDENCIES,
                lib_rs: COSMWASM_LIB_RS,
                scenario: COSMWASM_SCENARIO,
                test_rs: COSMWASM_TEST_RS,
                run_args: "--call instantiate --msg '{\"count\":1}'",
                fuzz_args: "--entry execute --msg '{\"add\":{\"by\":\"$u32\"}}'",
                cargo_config: None,
                wasm_toolchain: Some(COSMWASM_WASM_TOOLCHAIN),
            },
        }
    }
}

const LIB_RS: &str = r#"//! A contract on capheap: `reverse()` outputs its input reversed.
//!
//! The input comes from the host through `capheap::abi::input` and the
//! output goes back through `capheap::abi::output` (capheap's host ABI: see
//! the book's "Host ABI" chapter).
#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

use alloc::vec::Vec;

use capheap::{Config, Heap, PagePricing};

/// Every allocation goes through capheap: 32 pages (2 MiB) at most, growth
/// priced as on Stylus.
#[global_allocator]
static HEAP: Heap = Heap::new(Config {
    max_memory_pages: Some(32),
    pricing: PagePricing::STYLUS,
    ..Config::DEFAULT
});

capheap::export_host_abi!(HEAP);
capheap::export_stats!(HEAP);

#[cfg(target_arch = "wasm32")]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

/// The contract's logic, testable natively.
pub fn reversed(mut data: Vec<u8>) -> Vec<u8> {
    data.reverse();
    data
}

/// Outputs the input reversed. `capheap::abi::input` is the call input
/// the host placed with `capheap_alloc` (freed when it is dropped);
/// `capheap::abi::output` hands the result to the host.
#[cfg(target_arch = "wasm32")]
#[unsafe(no_mangle)]
pub extern "C" fn reverse() {
    let input = capheap::abi::input(&HEAP);
    capheap::abi::output(&reversed(input.to_vec()));
}

#[cfg(test)]
mod tests {
    #[test]
    fn reverses() {
        assert_eq!(super::reversed(b"capheap".to_vec()), b"paehpac");
    }
}
"#;

const SCENARIO: &str = r#"# Run with `capheap-sim report scenario.toml` (gas table and determinism
# verdict), `capheap-sim replay scenario.toml`, or fuzz the export with
# `capheap-sim fuzz scenario.toml --entry reverse`.
contract = "."
replays = 3
pricing = "stylus"

[[call]]
export = "reverse"
input = "capheap"
expect = { output = "paehpac" }

[[call]]
export = "reverse"
input_hex = "00010203"
repeat = 3
expect = { output_hex = "03020100" }

[[call]]
export = "capheap_stats"
"#;

const TEST_RS: &str = r##"//! The contract's wasm in the simulator, from `cargo test`: capheap-sim
//! builds this crate to wasm32 (cached: later builds are no-ops) and runs it
//! as a chain would, with fuel metering and priced growth.

use capheap_sim::testing::TestContract;

fn contract() -> TestContract {
    TestContract::build(env!("CARGO_MANIFEST_DIR")).expect("the crate builds to wasm and loads")
}

#[test]
fn reverse_outputs_its_input_reversed() {
    let mut instance = contract().instantiate().unwrap();
    let out = instance.call("reverse", b"capheap").unwrap();
    assert_eq!(out.output, b"paehpac");
    // Fuel and pages are deterministic: pin exact figures once they matter.
    assert!(out.fuel.total < 100_000, "{} fuel", out.fuel.total);
    assert_eq!(out.pages_after, out.pages_before, "a small input grows nothing");
}

#[test]
fn an_input_past_the_cap_fails_and_leaves_memory_as_it_was() {
    let mut instance = contract().instantiate().unwrap();
    let pages = instance.pages();
    // 4 MiB cannot fit under the 32-page (2 MiB) cap.
    assert!(instance.call("reverse", &vec![7u8; 4 << 20]).is_err());
    assert_eq!(instance.pages(), pages);
    let out = instance.call("reverse", b"ok").unwrap();
    assert_eq!(out.output, b"ko", "the next call works");
}

#[test]
fn the_scenario_holds_and_replays_bit_for_bit() {
    TestContract::check_scenario(concat!(env!("CARGO_MANIFEST_DIR"), "/scenario.toml")).unwrap();
}
"##;

const STYLUS_DEPENDENCIES: &str = r##"# stylus-sdk without its `mini-alloc` feature: capheap is the global allocator.
stylus-sdk = { version = "=0.10.10", default-features = false }
"##;

const STYLUS_LIB_RS: &str = r##"//! A Stylus contract on capheap: a counter with `count()` and
//! `add(uint256)`, written with stylus-sdk. capheap is its global allocator
//! instead of stylus-sdk's bump allocator (the `mini-alloc` feature is off
//! in Cargo.toml), capped and priced with Stylus's memory model.
#![cfg_attr(not(test), no_main)]
extern crate alloc;

use alloc::vec::Vec;

use capheap::{Config, Heap, PagePricing};
use stylus_sdk::alloy_primitives::U256;
use stylus_sdk::prelude::*;
use stylus_sdk::storage::StorageU256;

/// Every allocation goes through capheap: 64 pages (4 MiB) at most, below
/// Stylus's 128, so a runaway allocation is refused before the chain traps.
#[global_allocator]
static HEAP: Heap = Heap::new(Config {
    max_memory_pages: Some(64),
    pricing: PagePricing::STYLUS,
    ..Config::DEFAULT
});

/// The contract's storage.
#[entrypoint]
#[storage]
pub struct Counter {
    count: StorageU256,
}

#[public]
impl Counter {
    /// The count.
    pub fn count(&self) -> U256 {
        self.count.get()
    }

    /// Adds `by` to the count and returns the new count; reverts with
    /// `overflow` past 2^256 - 1.
    pub fn add(&mut self, by: U256) -> Result<U256, Vec<u8>> {
        let sum = self
            .count
            .get()
            .checked_add(by)
            .ok_or_else(|| b"overflow".to_vec())?;
        self.count.set(sum);
        Ok(sum)
    }
}
"##;

/// stylus-sdk-rs's own flags (its repository's `.cargo/config.toml`): a
/// 32 KiB stack instead of rustc's 1 MiB, so that the module starts with one
/// page, not 17 that Stylus charges on every call; reference types off
/// (ArbOS refuses them); bulk memory on (the cheap `memory.copy` and
/// `memory.fill`, which ArbOS runs).
const STYLUS_CARGO_CONFIG: &str = r#"# stylus-sdk-rs's own flags. A 32 KiB stack instead of rustc's 1 MiB: the
# module starts with one page of memory instead of 17, and Stylus charges
# for those pages on every call. Reference types off (ArbOS refuses them),
# bulk memory on (memory.copy and memory.fill, which ArbOS runs).
[target.wasm32-unknown-unknown]
rustflags = [
  "-C", "link-arg=-zstack-size=32768",
  "-C", "target-feature=-reference-types",
  "-C", "target-feature=+bulk-memory",
]
"#;

const STYLUS_SCENARIO: &str = r##"# Run with `capheap-sim report scenario.toml` (gas table and determinism
# verdict), or fuzz `add` with `capheap-sim fuzz scenario.toml --sig 'add(uint256)'`.
contract = "."
replays = 3

[[call]]
sig = "add(uint256)"
args = ["5"]
returns = "uint256"
expect = { returns = ["5"] }

[[call]]
sig = "add(uint256)"
args = ["10"]
returns = "uint256"
expect = { returns = ["15"] }

[[call]]
# 2^256 - 1 more overflows: the call reverts and the count stays
sig = "add(uint256)"
args = ["115792089237316195423570985008687907853269984665640564039457584007913129639935"]
expect = { error = "reverted" }

[[call]]
sig = "count()"
returns = "uint256"
expect = { returns = ["15"] }
"##;

const STYLUS_TEST_RS: &str = r##"//! The contract's wasm in the simulator, from `cargo test`: capheap-sim
//! builds this crate to wasm32 (cached) and calls it as Stylus would, with
//! ABI-encoded calldata and the Stylus memory model's prices.

use capheap_sim::calldata::{decode_returns, encode_call};
use capheap_sim::host::stylus::ENTRY_EXPORT;
use capheap_sim::testing::TestContract;
use capheap_sim::{CallOutcome, Instance, SimError};

fn call(instance: &mut Instance, sig: &str, args: &[&str]) -> Result<CallOutcome, SimError> {
    instance.call(ENTRY_EXPORT, &encode_call(sig, args)?)
}

fn count(instance: &mut Instance) -> Vec<String> {
    let out = call(instance, "count()", &[]).unwrap();
    decode_returns("uint256", &out.output).unwrap()
}

#[test]
fn add_returns_the_new_count() {
    let contract = TestContract::build(env!("CARGO_MANIFEST_DIR")).unwrap();
    let mut instance = contract.instantiate().unwrap();
    let out = call(&mut instance, "add(uint256)", &["5"]).unwrap();
    assert_eq!(decode_returns("uint256", &out.output).unwrap(), ["5"]);
    assert!(out.fuel.total < 1_000_000, "{} fuel", out.fuel.total);
    call(&mut instance, "add(uint256)", &["10"]).unwrap();
    assert_eq!(count(&mut instance), ["15"]);
}

#[test]
fn an_overflow_reverts_and_changes_nothing() {
    let contract = TestContract::build(env!("CARGO_MANIFEST_DIR")).unwrap();
    let mut instance = contract.instantiate().unwrap();
    call(&mut instance, "add(uint256)", &["1"]).unwrap();
    let max = "115792089237316195423570985008687907853269984665640564039457584007913129639935";
    let err = call(&mut instance, "add(uint256)", &[max]).unwrap_err();
    assert_eq!(err.kind(), "reverted", "{err}");
    assert_eq!(count(&mut instance), ["1"]);
}

#[test]
fn the_scenario_holds_and_replays_bit_for_bit() {
    TestContract::check_scenario(concat!(env!("CARGO_MANIFEST_DIR"), "/scenario.toml")).unwrap();
}
"##;

const COSMWASM_DEPENDENCIES: &str = r##"cosmwasm-std = "=2.3.6"
serde = { version = "1", default-features = false, features = ["derive"] }
"##;

const COSMWASM_LIB_RS: &str = r##"//! A CosmWasm contract on capheap: a counter (`instantiate {count}`,
//! `execute {add: {by}}`, `query {count: {}}`), written with cosmwasm-std.
//! capheap is its global allocator instead of Rust's default (dlmalloc):
//! cosmwasm-std's `allocate` and `deallocate` exports, and everything the
//! contract allocates, go through it.

use capheap::{Config, Heap};
use cosmwasm_std::{
    Binary, Deps, DepsMut, Env, MessageInfo, Response, StdError, StdResult, entry_point,
    to_json_binary,
};
use serde::{Deserialize, Serialize};

/// Every allocation goes through capheap, 64 pages (4 MiB) at most: a
/// runaway allocation is refused before the chain's memory limit.
#[global_allocator]
static HEAP: Heap = Heap::new(Config {
    max_memory_pages: Some(64),
    ..Config::DEFAULT
});

/// `instantiate`'s message.
#[derive(Serialize, Deserialize)]
pub struct InstantiateMsg {
    /// The starting count.
    pub count: u64,
}

/// `execute`'s messages.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExecuteMsg {
    /// Adds `by` to the count; fails on overflow.
    Add {
        /// The amount.
        by: u64,
    },
}

/// `query`'s messages.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueryMsg {
    /// The count.
    Count {},
}

/// The answer to `Count {}`.
#[derive(Serialize, Deserialize)]
pub struct CountResponse {
    /// The count.
    pub count: u64,
}

const COUNT: &[u8] = b"count";

fn load(deps: Deps) -> StdResult<u64> {
    let bytes = deps.storage.get(COUNT).unwrap_or_default();
    let bytes: [u8; 8] = bytes
        .try_into()
        .map_err(|_| StdError::generic_err("no count stored"))?;
    Ok(u64::from_be_bytes(bytes))
}

/// Stores the starting count.
#[entry_point]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    _info: MessageInfo,
    msg: InstantiateMsg,
) -> StdResult<Response> {
    deps.storage.set(COUNT, &msg.count.to_be_bytes());
    Ok(Response::new().add_attribute("count", msg.count.to_string()))
}

/// Adds to the count.
#[entry_point]
pub fn execute(
    deps: DepsMut,
    _env: Env,
    _info: MessageInfo,
    msg: ExecuteMsg,
) -> StdResult<Response> {
    match msg {
        ExecuteMsg::Add { by } => {
            let count = load(deps.as_ref())?
                .checked_add(by)
                .ok_or_else(|| StdError::generic_err("overflow"))?;
            deps.storage.set(COUNT, &count.to_be_bytes());
            Ok(Response::new().add_attribute("count", count.to_string()))
        }
    }
}

/// Answers `Count {}`.
#[entry_point]
pub fn query(deps: Deps, _env: Env, msg: QueryMsg) -> StdResult<Binary> {
    match msg {
        QueryMsg::Count {} => to_json_binary(&CountResponse { count: load(deps)? }),
    }
}
"##;

const COSMWASM_SCENARIO: &str = r##"# Run with `capheap-sim report scenario.toml` (gas table and determinism
# verdict), or fuzz `execute` with
# `capheap-sim fuzz scenario.toml --entry execute --msg '{"add":{"by":"$u32"}}'`.
contract = "."
replays = 3

[[call]]
export = "instantiate"
msg = { count = 1 }

[[call]]
export = "execute"
msg = { add = { by = 2 } }
repeat = 3

[[call]]
export = "query"
msg = { count = {} }
expect = { output = '{"count":7}' }

[[call]]
export = "execute"
msg = { add = { by = 9223372036854775807 } }

[[call]]
# a second 2^63 - 1 overflows: the contract refuses, the count stays
export = "execute"
msg = { add = { by = 9223372036854775807 } }
expect = { error = "contract-error" }

[[call]]
export = "query"
msg = { count = {} }
expect = { output = '{"count":9223372036854775814}' }
"##;

const COSMWASM_TEST_RS: &str = r##"//! The contract's wasm in the simulator, from `cargo test`: capheap-sim
//! builds this crate to wasm32 (cached) and calls its entry points as
//! wasmd would, with JSON messages.

use capheap_sim::testing::TestContract;

#[test]
fn instantiate_add_and_query() {
    let contract = TestContract::build(env!("CARGO_MANIFEST_DIR")).unwrap();
    let mut instance = contract.instantiate().unwrap();
    instance.call("instantiate", br#"{"count":40}"#).unwrap();
    let out = instance.call("execute", br#"{"add":{"by":2}}"#).unwrap();
    assert!(out.fuel.total < 1_000_000, "{} fuel", out.fuel.total);
    let out = instance.call("query", br#"{"count":{}}"#).unwrap();
    assert_eq!(out.output, br#"{"count":42}"#);
}

#[test]
fn an_overflow_is_refused_and_changes_nothing() {
    let contract = TestContract::build(env!("CARGO_MANIFEST_DIR")).unwrap();
    let mut instance = contract.instantiate().unwrap();
    instance.call("instantiate", br#"{"count":1}"#).unwrap();
    let max = format!(r#"{{"add":{{"by":{}}}}}"#, u64::MAX);
    let err = instance.call("execute", max.as_bytes()).unwrap_err();
    assert_eq!(err.kind(), "contract-error", "{err}");
    let out = instance.call("query", br#"{"count":{}}"#).unwrap();
    assert_eq!(out.output, br#"{"count":1}"#);
}

#[test]
fn the_scenario_holds_and_replays_bit_for_bit() {
    TestContract::check_scenario(concat!(env!("CARGO_MANIFEST_DIR"), "/scenario.toml")).unwrap();
}
"##;
