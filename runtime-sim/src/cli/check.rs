//! `capheap-sim check`: a static report on a wasm module, like cosmwasm-check.

use std::path::PathBuf;

use capheap_sim::{CheckReport, Level};
use clap::Args;

use super::{CliResult, Failure, SimArgs};

/// Arguments of `check`.
#[derive(Args)]
pub struct CheckArgs {
    /// The .wasm files.
    #[arg(required = true)]
    wasm: Vec<PathBuf>,
    /// Exit with code 3 when a finding is at this level or above: info | warn | error.
    #[arg(long, default_value = "error")]
    deny: Level,
    /// Print the reports as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    sim: SimArgs,
}

fn print(path: &str, r: &CheckReport) {
    println!("== {path}");
    println!("abi:       {} ({})", r.abi, r.abi_reason);
    println!("size:      {} bytes (cap {})", r.size, r.max_wasm_size);
    if let Some(d) = &r.deploy {
        println!(
            "deploy:    {} stores {} bytes ({}{}); module {} bytes of {}; {} {}",
            r.abi,
            d.stored_bytes,
            d.stored_as(),
            d.stored_limit
                .map_or_else(String::new, |l| format!(", limit {l}")),
            d.module_bytes,
            d.module_limit,
            d.deploy_gas,
            d.gas_unit()
        );
    }
    println!("code hash: {}", r.code_hash.to_hex());
    println!("functions: {}", r.functions);
    match &r.memory {
        Some(m) => println!(
            "memory:    {} pages initial, maximum {}, simulator cap {}{}{}{}",
            m.initial,
            m.maximum
                .map_or_else(|| "none".to_owned(), |x| x.to_string()),
            m.cap,
            if m.memory64 { ", memory64" } else { "" },
            if m.shared { ", shared" } else { "" },
            if m.imported { ", imported" } else { "" },
        ),
        None => println!("memory:    none"),
    }
    let o = &r.operators;
    println!(
        "operators: {} (float {}, NaN-producing {}, SIMD {}, atomic {}, memory.grow {}, table mutation {})",
        o.total, o.float, o.float_nan, o.simd, o.atomic, o.memory_grow, o.table_mutation
    );
    for i in &r.imports {
        println!(
            "import:    {}.{} {} {} ({:?})",
            i.module,
            i.name,
            i.kind,
            i.signature.as_deref().unwrap_or(""),
            i.provider
        );
    }
    for e in &r.exports {
        println!(
            "export:    {} {} {}{}",
            e.name,
            e.kind,
            e.signature.as_deref().unwrap_or(""),
            if e.callable {
                ""
            } else {
                " (not an entry point)"
            }
        );
    }
    if r.findings.is_empty() {
        println!("findings:  none");
    }
    for f in &r.findings {
        println!("{:<5} [{}] {}", f.level, f.code, f.message);
    }
}

/// Checks each module; exit 3 when a finding reaches `--deny`.
pub fn run(args: CheckArgs) -> CliResult {
    super::existing(&args.wasm)?;
    let mut reports = Vec::new();
    for path in &args.wasm {
        let wasm = super::read_wasm(path)?;
        let (_, reason) = args.sim.abi(None, &wasm)?;
        let simulator = args.sim.simulator(None, &wasm)?;
        let mut report = simulator.check(&wasm);
        report.abi_reason = reason;
        reports.push((super::display(path), report));
    }
    if args.json {
        let json: Vec<serde_json::Value> = reports
            .iter()
            .map(|(path, r)| serde_json::json!({ "path": path, "report": r }))
            .collect();
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        for (path, r) in &reports {
            print(path, r);
        }
    }
    let denied: Vec<&str> = reports
        .iter()
        .filter(|(_, r)| !r.passes(args.deny))
        .map(|(p, _)| p.as_str())
        .collect();
    if denied.is_empty() {
        Ok(())
    } else {
        Err(Failure::Findings(format!(
            "findings at --deny {} in {}",
            args.deny,
            denied.join(", ")
        )))
    }
}
