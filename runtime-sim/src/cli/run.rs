//! `capheap-sim run`: one call, with its full outcome.

use std::path::PathBuf;

use capheap_sim::{CallOutcome, ChainOutcome, Snapshot};
use clap::Args;

use super::args::ChainCallArgs;
use super::{CliResult, Failure, SimArgs};

/// Arguments of `run`.
#[derive(Args)]
pub struct RunArgs {
    /// The contract: a `.wasm` file, or a crate directory (built first).
    wasm: PathBuf,
    /// The export to call (Stylus: `user_entrypoint`, the default).
    #[arg(long)]
    call: Option<String>,
    /// Call input: hex bytes (`0x` optional) or `@file`.
    #[arg(long, default_value = "")]
    input: String,
    /// Instance state file: restored before the call when it exists, saved
    /// after it, so successive runs continue one instance.
    #[arg(long)]
    state: Option<PathBuf>,
    /// Print the outcome as JSON.
    #[arg(long)]
    json: bool,
    /// No progress spinner while building a crate.
    #[arg(long, short)]
    quiet: bool,
    #[command(flatten)]
    chain: ChainCallArgs,
    #[command(flatten)]
    sim: SimArgs,
}

/// Calls the export; prints the outcome. A call that fails (trap, revert,
/// contract error, cap, fuel) is printed like any other and exits 3, with
/// or without `--json`; exit 1 means the call could not be made at all.
pub fn run(args: RunArgs) -> CliResult {
    let wasm = if args.wasm.is_dir() {
        super::load::build(&args.wasm, None, args.quiet)?
    } else {
        super::read_wasm(&args.wasm)?
    };
    let (abi, reason) = args.sim.abi(None, &wasm)?;
    let input = args.chain.input(abi, &args.input)?;
    let simulator = args.sim.simulator(None, &wasm)?;
    let contract = simulator.load(&wasm)?;
    let mut instance = match &args.state {
        Some(path) if path.exists() => contract.restore(&Snapshot::load(path)?)?,
        _ => contract.instantiate()?,
    };
    instance.set_call_env(args.chain.env());
    let export = args.chain.export(abi, args.call.as_deref())?;
    let outcome = instance.execute(&export, &input);
    if let Some(e) = outcome.error.as_ref().filter(|e| !e.is_call_failure()) {
        // The call could not be made: a usage error, not a finding.
        return Err(Failure::Error(e.to_string()));
    }
    if let (Some(path), None) = (&args.state, &outcome.error) {
        instance.snapshot()?.save(path)?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&outcome)?);
        return match outcome.error {
            Some(e) => Err(Failure::Findings(format!("the call failed: {e}"))),
            None => Ok(()),
        };
    }
    println!("abi:      {abi} ({reason})");
    let start = instance.start_outcome();
    if start.fuel > 0 {
        println!(
            "start:    fuel {} (page growth {}) in the start function, before the call",
            start.fuel, start.growth_fuel
        );
    }
    print_outcome(&outcome);
    if let Some(e) = &outcome.error {
        println!("error:    {e}");
        return Err(Failure::Findings(format!("the call failed: {e}")));
    }
    if let Some(types) = &args.chain.returns {
        let values = capheap_sim::calldata::decode_returns(types, &outcome.output)?;
        println!("returns:  {}", values.join(", "));
    }
    Ok(())
}

/// The human-readable outcome.
fn print_outcome(o: &CallOutcome) {
    println!("export:   {}", o.export);
    match o.returned {
        Some(value) if o.output.is_empty() => println!("returned: {value}"),
        Some(packed) => println!(
            "region:   {:#x}+{}",
            (packed as u64) >> 32,
            packed as u64 & 0xffff_ffff
        ),
        None => {}
    }
    println!("output:   0x{}", capheap_sim::hex::encode(&o.output));
    if let Ok(text) = std::str::from_utf8(&o.output)
        && !text.is_empty()
        && text.chars().all(|c| !c.is_control() || c == '\n')
    {
        println!("text:     {}", text.escape_debug());
    }
    println!(
        "fuel:     {} (execution {}, page growth {}, host {})",
        o.fuel.total, o.fuel.execution, o.fuel.growth, o.fuel.host
    );
    println!(
        "pages:    {} -> {} (high-water {})",
        o.pages_before, o.pages_after, o.high_water_pages
    );
    for g in &o.growth {
        println!(
            "growth:   {} + {} pages: {:?}, price {}",
            g.current_pages,
            g.delta_pages,
            g.result,
            g.price
                .map_or_else(|| "unpriceable".to_owned(), |p| p.to_string())
        );
    }
    if let Some(root) = &o.memory_root {
        println!("memory:   {}", root.to_hex());
    }
    println!("storage:  {}", o.storage_root.to_hex());
    for line in &o.logs {
        println!("log:      {line}");
    }
    if let Some(e) = &o.stats_error {
        println!("stats:    not read: {e}");
    }
    match &o.chain {
        Some(ChainOutcome::Stylus { status, logs }) => {
            println!("status:   {status}");
            for log in logs {
                let topics: Vec<String> = log.topics.iter().map(|t| t.to_string()).collect();
                println!(
                    "evm log:  topics [{}] data 0x{}",
                    topics.join(", "),
                    capheap_sim::hex::encode(&log.data)
                );
            }
        }
        Some(ChainOutcome::CosmWasm { response }) => {
            for (key, value) in &response.attributes {
                println!("attr:     {key} = {value}");
            }
            for (ty, attributes) in &response.events {
                let attrs: Vec<String> =
                    attributes.iter().map(|(k, v)| format!("{k}={v}")).collect();
                println!("event:    {ty} {}", attrs.join(" "));
            }
            for message in &response.messages {
                println!("submsg:   {message}");
            }
        }
        None => {}
    }
    if let Some(s) = &o.stats {
        println!(
            "heap:     {} live bytes, {} heap bytes, {} pages grown, {} growth charged, {} cap failures",
            s.live_bytes, s.heap_bytes, s.pages_grown, s.growth_price_charged, s.failed_cap
        );
    }
}
