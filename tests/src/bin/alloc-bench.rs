//! `alloc-bench`: builds `contracts/alloc-bench` once per allocator, measures
//! every variant in the simulator, and writes `docs/src/benchmarks.md`.
//!
//! ```text
//! cargo run --release -p capheap-tests --bin alloc-bench [-- --n N] [--calls N] [--out PATH | --stdout]
//! ```
//!
//! The page is written only from a complete run: when a variant does not
//! build, or a workload traps or returns a wrong checksum (the numbers of a
//! broken allocator mean nothing), it names each failure, leaves the page as
//! it was, and exits non-zero. `--stdout` prints the incomplete page all the
//! same (and still exits non-zero). With no wasm32 toolchain it stops at the
//! first build.

extern crate alloc;

#[path = "../bench/mod.rs"]
mod bench;

use std::path::PathBuf;
use std::process::ExitCode;

use bench::report::{Env, Measured, OptionResult, VariantResult, failures, render};
use bench::{
    CAPHEAP_OPTIONS, Sequence, VARIANTS, WINDOWS_FEATURE, build_variant, build_windows, code_size,
    entry_fuel, function_sizes, heap_base, large_windows, locked_version, per_call,
    per_call_growth, run_workload, simulator, tool_version, variant_named,
};
use capheap_sim::{BuildError, BuildOptions, BuiltContract, Simulator};
use capheap_tests::repo_root;

/// Default workload size.
const DEFAULT_N: u32 = 2000;
/// Default allocations in the small-object per-call sequence.
const DEFAULT_CALLS: u32 = 2000;
/// Allocations in the large-buffer per-call sequence.
const LARGE_CALLS: u32 = 500;
/// Rounds of the `vec_push` replay.
const GROWTH_ROUNDS: u32 = 500;
/// Calls of the steady-state run.
const STEADY_CALLS: u32 = 40;
/// Operations per steady-state call.
const STEADY_OPS: u32 = 500;

/// Measure one build of `alloc-bench` that must report allocator `id`.
fn measure(
    sim: &Simulator,
    built: &BuiltContract,
    name: &str,
    id: u32,
    args: &Args,
) -> Result<Measured, String> {
    let contract = sim.load(&built.wasm).map_err(|e| e.to_string())?;
    let mut fresh = contract.instantiate().map_err(|e| e.to_string())?;
    let initial_pages = u64::from(fresh.pages());
    let reported = fresh
        .call("allocator_id", &[])
        .map_err(|e| e.to_string())?
        .returned;
    if reported != Some(i64::from(id)) {
        return Err(format!(
            "the `{name}` build reports allocator_id {reported:?}, not {id}: the feature was not honoured"
        ));
    }
    eprintln!("alloc-bench: measuring {name}");
    let workloads = bench::workloads::WORKLOADS
        .iter()
        .map(|(name, _)| run_workload(&contract, name, args.n))
        .collect();
    Ok(Measured {
        size: code_size(&built.wasm)?,
        functions: function_sizes(&built.wasm)?,
        initial_pages,
        heap_base: heap_base(&built.wasm),
        entry: entry_fuel(&built.wasm)?,
        workloads,
        per_call: per_call(&contract, Sequence::small(args.calls)),
        per_call_large: per_call(&contract, Sequence::large(LARGE_CALLS)),
        per_call_growth: per_call_growth(&contract, GROWTH_ROUNDS),
        steady: bench::steady(&contract, STEADY_CALLS, STEADY_OPS),
    })
}

/// How a build that failed is reported in the page and the failure list.
fn unbuilt(e: BuildError) -> String {
    format!("did not build: {e}")
}

struct Args {
    n: u32,
    calls: u32,
    out: Option<PathBuf>,
}

/// The usage line `--help` prints.
const USAGE: &str = "usage: alloc-bench [--n N] [--calls N] [--out PATH | --stdout]";

/// The arguments, or `None` for `--help`.
fn parse_args() -> Result<Option<Args>, String> {
    let mut args = Args {
        n: DEFAULT_N,
        calls: DEFAULT_CALLS,
        out: Some(repo_root().join("docs").join("src").join("benchmarks.md")),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |flag: &str| it.next().ok_or_else(|| format!("{flag} needs a value"));
        match a.as_str() {
            "--n" => args.n = value("--n")?.parse().map_err(|e| format!("--n: {e}"))?,
            "--calls" => {
                args.calls = value("--calls")?
                    .parse()
                    .map_err(|e| format!("--calls: {e}"))?;
            }
            "--out" => args.out = Some(PathBuf::from(value("--out")?)),
            "--stdout" => args.out = None,
            "-h" | "--help" => return Ok(None),
            other => return Err(format!("unknown argument {other:?} (try --help)")),
        }
    }
    Ok(Some(args))
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(Some(a)) => a,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("alloc-bench: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let expected: Vec<u32> = bench::workloads::WORKLOADS
        .iter()
        .map(|(_, f)| f(args.n))
        .collect();

    let sim = match simulator() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("alloc-bench: cannot configure the simulator: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut results = Vec::new();
    let mut routes: Vec<String> = Vec::new();
    let mut rustc = None;
    for variant in VARIANTS {
        eprintln!("alloc-bench: building {}", variant.name);
        let built = match build_variant(variant.name) {
            Ok(b) => b,
            // Every other build would fail the same way.
            Err(e @ BuildError::NoWasmToolchain { .. }) => {
                eprintln!("alloc-bench: {e}");
                eprintln!("alloc-bench: nothing measured; no page written");
                return ExitCode::FAILURE;
            }
            Err(e) => {
                eprintln!(
                    "alloc-bench: {} did not build (why: at the end)",
                    variant.name
                );
                let e = unbuilt(e);
                results.push(VariantResult {
                    variant,
                    measured: Err(e.clone()),
                    windows: Err(e),
                });
                continue;
            }
        };
        let route = built.toolchain.to_string();
        if !routes.contains(&route) {
            routes.push(route);
        }
        rustc.get_or_insert_with(|| tool_version(built.toolchain.rustc()));
        let measured = measure(&sim, &built, variant.name, variant.id, &args);
        eprintln!(
            "alloc-bench: building {} with {WINDOWS_FEATURE}",
            variant.name
        );
        let windows = build_windows(variant.name).and_then(|built| {
            let contract = sim.load(&built.wasm).map_err(|e| e.to_string())?;
            large_windows(&contract, args.n)
        });
        results.push(VariantResult {
            variant,
            measured,
            windows,
        });
    }
    let mut options = Vec::new();
    for option in CAPHEAP_OPTIONS {
        // An option's build reports the allocator it changes an option of.
        let base_id = variant_named(option.base).map_or(0, |v| v.id);
        eprintln!("alloc-bench: building {}", option.name);
        let measured = build_variant(option.name)
            .map_err(unbuilt)
            .and_then(|built| measure(&sim, &built, option.name, base_id, &args));
        options.push(OptionResult { option, measured });
    }

    let contracts_lock = repo_root().join("contracts").join("Cargo.lock");
    let mut command = "cargo run --release -p capheap-tests --bin alloc-bench".to_owned();
    if args.n != DEFAULT_N || args.calls != DEFAULT_CALLS {
        command.push_str(&format!(" -- --n {} --calls {}", args.n, args.calls));
    }
    let env = Env {
        command,
        rustc: rustc.unwrap_or_else(|| "? (no variant built)".to_owned()),
        cargo: tool_version(&BuildOptions::default().cargo),
        wasmi: locked_version(&repo_root().join("Cargo.lock"), "wasmi"),
        route: if routes.is_empty() {
            "? (no variant built)".to_owned()
        } else {
            routes.join("; ")
        },
        crates: ["dlmalloc", "talc", "rlsf", "lol_alloc", "wee_alloc"]
            .iter()
            .map(|c| (c.to_string(), locked_version(&contracts_lock, c)))
            .collect(),
        n: args.n,
        calls: args.calls,
        large_calls: LARGE_CALLS,
        growth_rounds: GROWTH_ROUNDS,
        steady_calls: STEADY_CALLS,
        steady_ops: STEADY_OPS,
    };
    let page = render(&env, &results, &options, &expected);
    let failed = failures(&results, &options, &expected);
    for f in &failed {
        eprintln!("alloc-bench: {f}");
    }
    match &args.out {
        // An incomplete page would replace figures that were measured.
        Some(path) if !failed.is_empty() => eprintln!(
            "alloc-bench: {} failure(s) (above): {} left as it was (`--stdout` prints this run's page)",
            failed.len(),
            path.display()
        ),
        Some(path) => {
            if let Err(e) = std::fs::write(path, &page) {
                eprintln!("alloc-bench: writing {}: {e}", path.display());
                return ExitCode::FAILURE;
            }
            eprintln!("alloc-bench: wrote {}", path.display());
        }
        None => print!("{page}"),
    }
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
