//! Command-line front end: argument parsing, dispatch and exit codes.
//!
//! Exit codes (also in `docs/src/cli.md`):
//! - `0`: success.
//! - `1`: the tool could not do its job (unreadable or invalid file, build
//!   failure, invalid wasm, corrupt snapshot).
//! - `2`: bad command-line arguments (clap's usage errors).
//! - `3`: the job ran and found a problem: a replay diverged, an expectation
//!   failed, a call failed unexpectedly, the gas snapshot changed, or `check`
//!   found something at the `--deny` level.

mod args;
mod build;
mod check;
mod compare;
mod demo;
mod fuzz;
mod load;
mod new;
mod progress;
mod replay;
mod report;
mod run;
mod snapshot;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use args::SimArgs;

/// Exit code: the job ran and found a problem.
pub const EXIT_FINDINGS: u8 = 3;

/// Simulate capheap contracts: build them to wasm, run them under fuel
/// metering with priced page growth, and check that replays are bit-identical.
#[derive(Parser)]
#[command(name = "capheap-sim", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The main job: real contracts on their own allocator and on capheap, a
    /// leak stopped by its cap and found by the fuzzer, growth refused as a
    /// value, determinism; writes target/capheap-report/index.html.
    Demo(demo::DemoArgs),
    /// Build a contract crate to wasm32 and print the .wasm path.
    Build(build::BuildArgs),
    /// Call one export of a wasm contract.
    Run(run::RunArgs),
    /// Replay scenarios on fresh instances and from a snapshot; report any divergence.
    Replay(replay::ReplayArgs),
    /// Statically check a wasm module (floats, SIMD, threads, memory, imports, size).
    Check(check::CheckArgs),
    /// Gas and determinism report for scenarios.
    Report(report::ReportArgs),
    /// Write, check or diff a `.gas-snapshot` file of scenario fuel.
    Snapshot(snapshot::SnapshotArgs),
    /// Run one scenario on two builds of a contract (e.g. its default
    /// allocator and capheap) and print them side by side.
    Compare(compare::CompareArgs),
    /// Fuzz a contract for unbounded growth, cap hits and traps; write shrunk
    /// reproductions as scenario files.
    Fuzz(fuzz::FuzzArgs),
    /// Create a contract crate that links capheap, with a scenario file.
    New(new::NewArgs),
}

/// Why a command did not succeed.
#[derive(Debug)]
pub enum Failure {
    /// The tool could not do its job (exit 1).
    Error(String),
    /// The job ran and found problems (exit 3); the report is already printed.
    Findings(String),
}

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure::Error(e.to_string())
    }
}

/// Command result.
pub type CliResult = Result<(), Failure>;

/// Maps an error about `path` (reading, writing, parsing it) to the failure
/// that names the path: `.map_err(path_failure(&path))?`.
pub fn path_failure<E: std::fmt::Display>(path: &std::path::Path) -> impl FnOnce(E) -> Failure {
    let shown = path.display().to_string();
    move |e| Failure::Error(format!("{shown}: {e}"))
}

/// Where scenario files name their contract relative to.
pub fn display(path: &std::path::Path) -> String {
    path.display().to_string()
}

/// Paths given on the command line, checked to exist.
pub fn existing(paths: &[PathBuf]) -> Result<(), Failure> {
    for p in paths {
        if !p.exists() {
            return Err(Failure::Error(format!("{}: no such file", p.display())));
        }
    }
    Ok(())
}

/// Reads a `.wasm` file given on the command line.
pub fn read_wasm(path: &std::path::Path) -> Result<Vec<u8>, Failure> {
    capheap_sim::limits::read_capped(path, capheap_sim::limits::DEFAULT_MAX_WASM_SIZE as u64)
        .map_err(path_failure(path))
}

/// Runs the command line; the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(a) => demo::run(a),
        Command::Build(a) => build::run(a),
        Command::Run(a) => run::run(a),
        Command::Replay(a) => replay::run(a),
        Command::Check(a) => check::run(a),
        Command::Report(a) => report::run(a),
        Command::Snapshot(a) => snapshot::run(a),
        Command::Compare(a) => compare::run(a),
        Command::Fuzz(a) => fuzz::run(a),
        Command::New(a) => new::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Error(message)) => {
            let mut lines = message.lines();
            eprintln!("error: {}", lines.next().unwrap_or_default());
            for line in lines {
                eprintln!("  {line}");
            }
            ExitCode::FAILURE
        }
        Err(Failure::Findings(summary)) => {
            eprintln!("fail: {summary}");
            ExitCode::from(EXIT_FINDINGS)
        }
    }
}
