//! `capheap-sim build`.

use std::path::PathBuf;

use capheap_sim::{Allocator, BuildOptions, build_contract};
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
    #[arg(long, short, conflicts_with = "quiet")]
    verbose: bool,
    /// No progress display and no summary: only the .wasm path.
    #[arg(long, short)]
    quiet: bool,
    /// Build through a generated wrapper with this global allocator:
    /// `default` (the one the contract ships), `capheap` (`capheap::Heap`)
    /// or `capheap-mini` (`capheap::mini::MiniHeap`). The contract's
    /// files are not edited; it must be an rlib too.
    #[arg(long)]
    allocator: Option<Allocator>,
    /// The capheap SDK to link with `--allocator capheap` (default: the one
    /// this capheap-sim was built from).
    #[arg(long)]
    capheap_path: Option<PathBuf>,
}

/// Builds and prints the .wasm path (stdout) and a summary (stderr, unless
/// `--quiet`).
pub fn run(args: BuildArgs) -> CliResult {
    let opts = BuildOptions {
        target_dir: args.target_dir,
        verbose: args.verbose,
        allocator: args.allocator,
        capheap_path: args.capheap_path,
        ..BuildOptions::default()
    };
    let progress = spinner(
        format!("building {}", args.dir.display()),
        args.verbose || args.quiet,
    );
    let built = build_contract(&args.dir, &opts);
    progress.finish_and_clear();
    let built = built?;
    println!("{}", built.wasm_path.display());
    if args.quiet {
        return Ok(());
    }
    eprintln!(
        "built {}{} ({} bytes) with {}",
        built.name,
        args.allocator
            .map(|a| format!(" on the {a} allocator"))
            .unwrap_or_default(),
        built.wasm.len(),
        built.toolchain
    );
    Ok(())
}
