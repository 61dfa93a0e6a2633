//! The `capheap-sim` command line.

use std::path::PathBuf;
use std::process::ExitCode;

use capheap_sim::{BuildOptions, Contract, build_contract};
use clap::{Parser, Subcommand};

/// Simulate capheap contracts: build them to wasm, run them under fuel metering.
#[derive(Parser)]
#[command(name = "capheap-sim", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build a contract crate to wasm32 and print the .wasm path.
    Build {
        /// The contract crate's directory.
        dir: PathBuf,
        /// Target directory (default: <workspace>/target/capheap-wasm).
        #[arg(long)]
        target_dir: Option<PathBuf>,
        /// Show cargo's output.
        #[arg(long, short)]
        verbose: bool,
    },
    /// Call an export of a wasm contract on a fresh instance.
    Run {
        /// The .wasm file.
        wasm: PathBuf,
        /// The export to call.
        #[arg(long)]
        call: String,
        /// Call input: hex bytes (`0x` optional) or `@file`.
        #[arg(long, default_value = "")]
        input: String,
        /// Fuel limit of the call.
        #[arg(long, default_value_t = capheap_sim::DEFAULT_FUEL_LIMIT)]
        fuel: u64,
    },
}

/// Parses `--input`: hex, or `@path` for a file's bytes.
fn parse_input(arg: &str) -> Result<Vec<u8>, String> {
    if let Some(path) = arg.strip_prefix('@') {
        return std::fs::read(path).map_err(|e| format!("--input {arg}: {e}"));
    }
    let hex = arg.strip_prefix("0x").unwrap_or(arg);
    if !hex.len().is_multiple_of(2) {
        return Err(format!("--input {arg}: odd number of hex digits"));
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                .ok_or_else(|| format!("--input {arg}: not hex (use @file for a file)"))
        })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Build {
            dir,
            target_dir,
            verbose,
        } => {
            let opts = BuildOptions {
                target_dir,
                verbose,
                ..BuildOptions::default()
            };
            let built = build_contract(&dir, &opts).map_err(|e| e.to_string())?;
            println!("{}", built.wasm_path.display());
            eprintln!(
                "built {} ({} bytes) with {}",
                built.name,
                built.wasm.len(),
                built.toolchain
            );
        }
        Command::Run {
            wasm,
            call,
            input,
            fuel,
        } => {
            let input = parse_input(&input)?;
            let contract = Contract::from_file(&wasm).map_err(|e| e.to_string())?;
            let mut instance = contract.instantiate().map_err(|e| e.to_string())?;
            instance.set_fuel_limit(fuel).map_err(|e| e.to_string())?;
            let outcome = instance.call(&call, &input).map_err(|e| e.to_string())?;
            println!("export:   {call}");
            match outcome.returned {
                Some(value) if outcome.output.is_empty() => println!("returned: {value}"),
                Some(packed) => println!(
                    "region:   {:#x}+{}",
                    (packed as u64) >> 32,
                    packed as u64 & 0xffff_ffff
                ),
                None => {}
            }
            println!("output:   0x{}", hex(&outcome.output));
            println!("fuel:     {}", outcome.fuel.total);
            println!(
                "pages:    {} -> {}",
                outcome.pages_before, outcome.pages_after
            );
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {}", message.lines().next().unwrap_or(&message));
            for line in message.lines().skip(1) {
                eprintln!("  {line}");
            }
            ExitCode::FAILURE
        }
    }
}
