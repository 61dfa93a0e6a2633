//! `capheap-sim build`.

use std::path::PathBuf;

use capheap_sim::{BuildOptions, build_contract};
use clap::Args;

use super::CliResult;
use super::progress::spinner;

/// Arguments of `build`.
#[derive(Args)]
pub struct BuildArgs {
    /// The contract crate's directory.
    dir: PathBuf,
    /// Target directory (default: <workspace>/target/capheap-wasm).
    #[arg(long)]
    target_dir: Option<PathBuf>,
    /// Show cargo's output.
    #[arg(long, short)]
    verbose: bool,
}

/// Builds and prints the .wasm path (stdout) and a summary (stderr).
pub fn run(args: BuildArgs) -> CliResult {
    let opts = BuildOptions {
        target_dir: args.target_dir,
        verbose: args.verbose,
        ..BuildOptions::default()
    };
    let progress = spinner(format!("building {}", args.dir.display()), args.verbose);
    let built = build_contract(&args.dir, &opts);
    progress.finish_and_clear();
    let built = built?;
    println!("{}", built.wasm_path.display());
    eprintln!(
        "built {} ({} bytes) with {}",
        built.name,
        built.wasm.len(),
        built.toolchain
    );
    Ok(())
}
