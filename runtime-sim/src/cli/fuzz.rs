//! `capheap-sim fuzz`: generated inputs, many calls per instance, findings
//! with shrunk reproductions written as scenario files.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use capheap_sim::fuzzing::campaign::{Campaign, FuzzOptions, repro_scenario};
use capheap_sim::fuzzing::input::InputTemplate;
use capheap_sim::scenario_file::{ContractSource, ScenarioFile, contract_path_from};
use clap::Args;

use super::load::build;
use super::progress::bar;
use super::{CliResult, Failure, SimArgs, path_failure};

/// Arguments of `fuzz`.
#[derive(Args)]
pub struct FuzzArgs {
    /// A .wasm file, a contract crate directory, or a scenario file (its
    /// contract, ABI and chain settings are used, and its calls run first in
    /// every run, to set the state up).
    target: PathBuf,
    /// The export to call (Stylus: `user_entrypoint`, the default).
    #[arg(long)]
    entry: Option<String>,
    /// Seed of every input: the same seed makes the same calls.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Runs, each a fresh instance.
    #[arg(long, default_value_t = 200)]
    runs: u64,
    /// Stop after this many seconds even if runs remain.
    #[arg(long)]
    time: Option<u64>,
    /// Calls per run, on one instance.
    #[arg(long, default_value_t = 64)]
    calls: usize,
    /// Growth over this many last calls of a run, with no plateau, is
    /// unbounded growth.
    #[arg(long, default_value_t = 16)]
    window: usize,
    /// Inputs: random bytes of at most this length (the default template).
    #[arg(long, default_value_t = 256)]
    max_len: usize,
    /// Inputs: borsh fields, e.g. `u32,string,bytes` (capheap's ABI).
    #[arg(long, conflicts_with_all = ["sig", "msg"])]
    borsh: Option<String>,
    /// Inputs: a Solidity call with random arguments, e.g.
    /// `transfer(address,uint256)` (Stylus).
    #[arg(long, conflicts_with = "msg")]
    sig: Option<String>,
    /// Inputs: a JSON message whose "$addr", "$u128", "$u64", "$u32",
    /// "$string", "$base64" and "$bool" values are random (CosmWasm).
    #[arg(long)]
    msg: Option<String>,
    /// Senders to draw from (repeat the flag; chain ABIs).
    #[arg(long = "sender")]
    senders: Vec<String>,
    /// Keep a failed call's writes instead of undoing them (growth a failed
    /// call leaves behind then counts).
    #[arg(long)]
    keep_failed_writes: bool,
    /// Where reproduction scenarios go (default target/capheap-fuzz/<name>).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// No progress display.
    #[arg(long, short)]
    quiet: bool,
    #[command(flatten)]
    sim: SimArgs,
}

/// What to fuzz: the wasm, the path a scenario should name, its name, and
/// the scenario file it came from.
fn target(args: &FuzzArgs) -> Result<(Vec<u8>, PathBuf, String, Option<ScenarioFile>), Failure> {
    let path = &args.target;
    super::existing(std::slice::from_ref(path))?;
    let absolute = path.canonicalize().map_err(path_failure(path))?;
    let stem = |p: &Path| {
        p.file_stem().map_or_else(
            || "contract".to_owned(),
            |s| s.to_string_lossy().into_owned(),
        )
    };
    if path.is_dir() {
        let wasm = build(path, None, args.quiet)?;
        return Ok((wasm, absolute.clone(), stem(&absolute), None));
    }
    if path.extension().is_some_and(|e| e == "toml") {
        let file = ScenarioFile::load(path)?;
        let (wasm, source) = match &file.contract {
            ContractSource::Wasm(w) => (super::read_wasm(w)?, w.clone()),
            ContractSource::Crate(dir) => (build(dir, file.allocator, args.quiet)?, dir.clone()),
        };
        let source = source.canonicalize().unwrap_or(source);
        return Ok((wasm, source, file.name.clone(), Some(file)));
    }
    Ok((
        super::read_wasm(path)?,
        absolute.clone(),
        stem(&absolute),
        None,
    ))
}

/// Runs the campaign; exit 3 when it finds something.
pub fn run(args: FuzzArgs) -> CliResult {
    let (wasm, source, name, file) = target(&args)?;
    let (abi, _) = args.sim.abi(file.as_ref(), &wasm)?;
    // Growth is measured with pages and live bytes; memory roots are only
    // needed to compare replays, so the campaign does without them.
    let simulator = args
        .sim
        .builder(file.as_ref(), &wasm)?
        .memory_roots(false)
        // Failed calls are undone by the campaign itself (re-running the
        // run's successful calls), which costs nothing when calls succeed.
        .keep_failed_writes(true)
        .build()?;
    let contract = simulator.load(&wasm)?;
    let entry = match (&args.entry, abi) {
        (Some(e), _) => e.clone(),
        (None, capheap_sim::Abi::Stylus) => capheap_sim::host::stylus::ENTRY_EXPORT.to_owned(),
        (None, _) => return Err(Failure::Error("--entry <export> is required".to_owned())),
    };
    let template = match (&args.borsh, &args.sig, &args.msg) {
        (Some(fields), _, _) => InputTemplate::borsh(fields)?,
        (_, Some(sig), _) => InputTemplate::Solidity { sig: sig.clone() },
        (_, _, Some(msg)) => InputTemplate::Json(
            serde_json::from_str(msg)
                .map_err(|e| Failure::Error(format!("--msg is not JSON: {e}")))?,
        ),
        _ => InputTemplate::Bytes {
            max_len: args.max_len,
        },
    };
    let options = FuzzOptions {
        seed: args.seed,
        runs: args.runs,
        calls_per_run: args.calls,
        window: args.window,
        senders: args.senders.clone(),
        revert_failed: !args.keep_failed_writes,
        // A scenario's calls set the state up (a token's instantiation, a
        // mint) before every run.
        setup: file
            .as_ref()
            .map(|f| f.scenario().calls)
            .unwrap_or_default(),
        ..FuzzOptions::default()
    };
    let campaign = Campaign::new(&contract, &entry, template, options)?;
    let progress = bar(args.runs.saturating_mul(args.calls as u64), args.quiet);
    progress.set_message(format!("fuzzing {name}::{entry}"));
    let started = Instant::now();
    let deadline = args.time.map(Duration::from_secs);
    let report = campaign.run(|calls| {
        progress.set_position(calls);
        deadline.is_none_or(|d| started.elapsed() < d)
    })?;
    progress.finish_and_clear();
    let elapsed = started.elapsed();
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("target/capheap-fuzz").join(&name));
    let mut written = Vec::new();
    if !report.findings.is_empty() {
        std::fs::create_dir_all(&out_dir).map_err(path_failure(&out_dir))?;
    }
    // After the directory exists, so both sides of the path resolve.
    let contract_path = contract_path_from(&out_dir, &source);
    for (i, finding) in report.findings.iter().enumerate() {
        let file_name = format!("{name}-{entry}-seed{}-{i}", report.seed);
        let path = out_dir.join(format!("{file_name}.toml"));
        let text = repro_scenario(
            &file_name,
            &contract_path,
            abi,
            &entry,
            &campaign.options().setup,
            finding,
        );
        std::fs::write(&path, text).map_err(path_failure(&path))?;
        written.push(path);
    }
    if args.json {
        let json = serde_json::json!({ "report": report, "scenarios": written });
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        let per_second = (report.calls as u128 * 1000)
            .checked_div(elapsed.as_millis())
            .unwrap_or(0);
        println!(
            "fuzz {name}::{entry} ({abi} ABI), seed {}: {} runs, {} calls ({} failed), most pages {}, {per_second} calls/s",
            report.seed, report.runs, report.calls, report.failed_calls, report.max_pages
        );
        if report.findings.is_empty() {
            println!("clean: no unbounded growth, cap hit, trap or abort");
        }
        for (finding, path) in report.findings.iter().zip(&written) {
            println!("finding: {}", finding.summary());
            println!("  reproduce: capheap-sim replay {}", path.display());
        }
    }
    if report.findings.is_empty() {
        Ok(())
    } else {
        Err(Failure::Findings(format!(
            "{} finding(s)",
            report.findings.len()
        )))
    }
}
