//! `capheap-sim build`.

use std::path::PathBuf;

use capheap_sim::pipeline::location_dependent_crates;
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
/// `--quiet`), with a note naming the crates whose location the wasm
/// depends on, if any.
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
        "built {}{} ({} bytes) with {}{}",
        built.name,
        args.allocator
            .map(|a| format!(" on the {a} allocator"))
            .unwrap_or_default(),
        built.wasm.len(),
        built.toolchain,
        built
            .rustc_version()
            .map(|v| format!(" (rustc {v})"))
            .unwrap_or_default()
    );
    // A note, not a verdict: the build succeeded, so a query that fails
    // here leaves the summary as it is.
    if let Ok(crates) = location_dependent_crates(&args.dir, &opts)
        && !crates.is_empty()
    {
        let list: Vec<String> = crates.iter().map(|c| c.display().to_string()).collect();
        eprintln!(
            "note: the wasm depends on where {} live{} (cargo names a crate outside the \
             contract's workspace by its absolute path; see \"Building contracts\" in the \
             book): {}",
            if crates.len() == 1 {
                "this crate"
            } else {
                "these crates"
            },
            if crates.len() == 1 { "s" } else { "" },
            list.join(", ")
        );
    }
    Ok(())
}
