//! `capheap-sim run`: one call, with its full outcome.

use std::path::PathBuf;

use capheap_sim::{CallOutcome, Snapshot};
use clap::Args;

use super::args::parse_input;
use super::{CliResult, Failure, SimArgs};

/// Arguments of `run`.
#[derive(Args)]
pub struct RunArgs {
    /// The .wasm file.
    wasm: PathBuf,
    /// The export to call.
    #[arg(long)]
    call: String,
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
    #[command(flatten)]
    sim: SimArgs,
}

/// Calls the export; prints the outcome.
pub fn run(args: RunArgs) -> CliResult {
    let input = parse_input(&args.input)?;
    let simulator = args.sim.simulator(None)?;
    let contract = simulator.load_file(&args.wasm)?;
    let mut instance = match &args.state {
        Some(path) if path.exists() => contract.restore(&Snapshot::load(path)?)?,
        _ => contract.instantiate()?,
    };
    let outcome = instance.execute(&args.call, &input);
    if let (Some(path), None) = (&args.state, &outcome.error) {
        instance.snapshot()?.save(path)?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&outcome)?);
        return match outcome.error {
            Some(e) => Err(Failure::Findings(e.to_string())),
            None => Ok(()),
        };
    }
    if let Some(e) = outcome.error {
        return Err(Failure::Error(e.to_string()));
    }
    print_outcome(&outcome);
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
    if let Some(s) = &o.stats {
        println!(
            "heap:     {} live bytes, {} heap bytes, {} pages grown, {} growth charged, {} cap failures",
            s.live_bytes, s.heap_bytes, s.pages_grown, s.growth_price_charged, s.failed_cap
        );
    }
}
