//! The main job behind `capheap-sim demo`: why capheap exists, shown on the
//! contracts in a capheap checkout.
//!
//! [`run`] builds and simulates, in order:
//!
//! 1. **Real contracts** ([`REAL_CONTRACTS`]: cw20-base on CosmWasm and
//!    OpenZeppelin's Stylus ERC-20, from crates.io), each on the allocator it
//!    ships with and on capheap, through the build pipeline's allocator swap:
//!    fuel per call, growth priced by the chain's model, pages, and wasm bytes
//!    raw and gzipped ([`Comparison`]).
//! 2. **A leak stopped by its cap**: `contracts/leaky` keeps every input
//!    forever; its capheap cap of [`LEAKY_CAP_PAGES`] pages ends the run, and a
//!    fuzz campaign flags the growth with a shrunk reproduction that a replay
//!    reproduces.
//! 3. **Growth it cannot pay for, refused as a value**: `contracts/gas-aware`
//!    under Stylus pricing asks the host for the gas left before it grows, and
//!    returns an error code instead of running out of gas.
//! 4. **Determinism**: every example scenario and both real contracts on
//!    capheap, replayed on fresh instances and from a snapshot, memory roots
//!    compared.
//!
//! Every figure is deterministic (fuel, pages, bytes, roots): the same
//! toolchain and lock files give the same [`DemoReport`]. The report renders
//! as markdown ([`DemoReport::to_markdown`]), a terminal summary
//! ([`DemoReport::summary`]) and JSON (it is `Serialize`); its charts are SVG
//! ([`DemoReport::charts`]).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::fuzzing::campaign::{Campaign, FuzzFinding, FuzzOptions, repro_scenario};
use crate::fuzzing::input::InputTemplate;
use crate::pipeline::{Allocator, BuildError, BuildOptions, build_contract};
use crate::report::compare::{Comparison, compare};
use crate::report::compare_svg;
use crate::report::timeline_svg::{self, Timeline, TimelinePoint};
use crate::scenario_file::{ContractSource, ScenarioFile, ScenarioFileError, contract_path_from};
use crate::{Contract, ReplayOptions, Scenario, ScenarioCall, SimError, Simulator, SnapshotPoint};

/// A real ecosystem contract under `contracts/real/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RealContract {
    /// Its crate directory under `contracts/real/` and its scenario's name
    /// under `scenarios/chains/`.
    pub name: &'static str,
    /// The chain it is written for.
    pub chain: &'static str,
    /// What it is, with versions and its default allocator.
    pub what: &'static str,
}

/// The real contracts the demo and the real-contracts benchmark compare.
pub const REAL_CONTRACTS: &[RealContract] = &[
    RealContract {
        name: "cw20-base",
        chain: "CosmWasm",
        what: "cw20-base 2.0.0 on cosmwasm-std 2.3.6 (CosmWasm); default allocator: Rust's dlmalloc",
    },
    RealContract {
        name: "oz-erc20",
        chain: "Stylus",
        what: "OpenZeppelin's ERC-20, openzeppelin-stylus 0.3.0 on stylus-sdk 0.9.0 (Stylus), with OpenZeppelin's build flags (an 8 KiB stack: `contracts/real/oz-erc20/.cargo/config.toml`); default allocator: stylus-sdk's mini-alloc",
    },
];

/// The example scenarios replayed for the determinism verdict (the real
/// contracts' scenarios are replayed too, on their capheap builds).
pub const EXAMPLE_SCENARIOS: &[&str] = &["hello", "capped-heap", "gas-aware", "word-stats"];

/// `contracts/leaky`'s cap: `Config::DEFAULT.max_memory_pages(64)`.
pub const LEAKY_CAP_PAGES: u32 = 64;

/// Bytes `leaky` is asked to remember per call in the cap run.
pub const LEAKY_INPUT_BYTES: usize = 128 << 10;

/// Calls of the cap run: more than the cap lets through.
pub const LEAKY_CALLS: u32 = 32;

/// The fuzz campaign's seed, runs and calls per run.
pub const FUZZ_SEED: u64 = 0;
/// Runs of the fuzz campaign (each a fresh instance).
pub const FUZZ_RUNS: u64 = 8;
/// Calls per fuzz run.
pub const FUZZ_CALLS: usize = 64;

/// Why the demo could not run.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The root is not a capheap checkout.
    #[error(
        "{} is not a capheap checkout (no {missing}): the demo runs the contracts and scenarios of the repository; run it from a clone, or pass --root <clone>",
        root.display()
    )]
    NotACheckout {
        /// The root given.
        root: PathBuf,
        /// What it lacks.
        missing: String,
    },
    /// A contract did not build.
    #[error("building {what}: {source}")]
    Build {
        /// Which build.
        what: String,
        /// The pipeline's error.
        #[source]
        source: BuildError,
    },
    /// A scenario file is invalid.
    #[error(transparent)]
    Scenario(#[from] ScenarioFileError),
    /// Simulation failed (not a failed call: those are results).
    #[error("{what}: {source}")]
    Sim {
        /// What was running.
        what: String,
        /// The simulator's error.
        #[source]
        source: SimError,
    },
}

type DemoResult<T> = Result<T, DemoError>;

fn sim_err(what: impl Into<String>) -> impl FnOnce(SimError) -> DemoError {
    let what = what.into();
    move |source| DemoError::Sim { what, source }
}

/// One real contract on both allocators.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RealResult {
    /// `cw20-base` or `oz-erc20`.
    pub name: String,
    /// Its chain.
    pub chain: String,
    /// What it is.
    pub what: String,
    /// The scenario file, relative to the root.
    pub scenario: String,
    /// The pricing schedule it ran under.
    pub pricing: String,
    /// Side by side: `default` (a) and `capheap` (b).
    pub comparison: Comparison,
    /// Side by side: `default` (a) and capheap's minimal heap,
    /// `capheap-mini` (b).
    pub mini: Comparison,
    /// The chart's file name.
    pub chart: String,
}

/// One call of the cap run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CapCall {
    /// Position in the run.
    pub index: usize,
    /// Pages after the call.
    pub pages: u32,
    /// Live heap bytes after the call (capheap's stats).
    pub live_bytes: Option<u64>,
    /// Allocations the heap refused at its cap during the call.
    pub cap_refusals: u64,
    /// The error the call ended with.
    pub error: Option<String>,
}

/// The leak, its cap and the fuzz campaign that flags it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LeakResult {
    /// The contract's cap in pages.
    pub cap_pages: u32,
    /// Bytes remembered per call.
    pub input_bytes: usize,
    /// Every call of the cap run.
    pub calls: Vec<CapCall>,
    /// The first call that failed: where the cap stopped the leak.
    pub stopped_at: Option<usize>,
    /// The timeline chart's file name.
    pub chart: String,
    /// The fuzz campaign.
    pub fuzz: FuzzResult,
}

/// `capheap-sim fuzz contracts/leaky --entry remember`, in short.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FuzzResult {
    /// Its seed.
    pub seed: u64,
    /// Runs made.
    pub runs: u64,
    /// Calls made.
    pub calls: u64,
    /// The finding, one line (`None`: nothing found).
    pub finding: Option<String>,
    /// Calls of the shrunk reproduction.
    pub repro_calls: usize,
    /// The reproduction scenario's file name.
    pub repro_file: String,
    /// The reproduction scenario (TOML).
    pub repro: String,
    /// Whether running the reproduction on a fresh instance gives the
    /// finding's footprint after every call again.
    pub reproduced: bool,
}

/// One call of the gas-hook run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BudgetCall {
    /// Bytes the call asked the heap for.
    pub request_bytes: u32,
    /// What the contract returned (`0` done, `3` refused by the gas hook).
    pub returned: Option<i64>,
    /// Pages before and after.
    pub pages: (u32, u32),
    /// Fuel of the call, and of which growth.
    pub fuel: (u64, u64),
    /// The error, if the call failed (it must not).
    pub error: Option<String>,
}

impl BudgetCall {
    /// What the call came to, for a person.
    pub fn outcome(&self) -> String {
        match (self.returned, &self.error) {
            (_, Some(e)) => format!("failed: {e}"),
            (Some(0), None) => "0 (done)".to_owned(),
            (Some(3), None) => "3 (refused by the gas hook, as a value)".to_owned(),
            (Some(r), None) => format!("{r} (an error code)"),
            (None, None) => "nothing returned".to_owned(),
        }
    }
}

/// `contracts/gas-aware` under Stylus pricing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BudgetResult {
    /// The pricing schedule.
    pub pricing: String,
    /// Fuel each call may use.
    pub fuel_per_call: u64,
    /// The `reserve` calls.
    pub calls: Vec<BudgetCall>,
    /// Growths the contract's gas hook refused (its stats).
    pub gas_hook_refusals: u64,
}

/// One scenario's determinism verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeterminismRow {
    /// The scenario (real contracts: `<name> (capheap)`).
    pub scenario: String,
    /// Calls per run.
    pub calls: usize,
    /// Fresh-instance runs.
    pub runs: usize,
    /// The call after which the snapshot was taken, and its size in bytes.
    pub snapshot: Option<(usize, usize)>,
    /// Whether every run and the snapshot replay agreed.
    pub deterministic: bool,
    /// The final memory root, hex (first 16 digits).
    pub root: String,
}

/// Everything the demo found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DemoReport {
    /// The rustc that built the contracts.
    pub toolchain: String,
    /// The real contracts, side by side.
    pub real: Vec<RealResult>,
    /// The leak and its cap.
    pub leak: LeakResult,
    /// The refused growth.
    pub budget: BudgetResult,
    /// The determinism verdicts.
    pub determinism: Vec<DeterminismRow>,
    /// The charts: file name and SVG text.
    #[serde(skip)]
    pub charts: Vec<(String, String)>,
}

/// Steps [`run`] reports through its progress callback.
pub const STEPS: u64 = (REAL_CONTRACTS.len() * 4 + EXAMPLE_SCENARIOS.len() + 3) as u64;

/// Where `capheap-sim demo` writes its report unless told otherwise,
/// relative to the checkout.
pub const REPORT_DIR: &str = "target/capheap-report";

/// The checkout `start` is in: `start` itself or the nearest directory
/// above it that passes [`check_root`] (`None` outside any checkout).
///
/// ```
/// use std::path::Path;
/// use capheap_sim::demo::find_root;
///
/// // This crate's source sits in `runtime-sim/` of a checkout.
/// let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
/// let checkout = crate_dir.parent().unwrap();
/// assert_eq!(find_root(&crate_dir.join("src")).as_deref(), Some(checkout));
/// assert_eq!(find_root(checkout).as_deref(), Some(checkout));
/// assert_eq!(find_root(Path::new("/")), None);
/// ```
pub fn find_root(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|dir| check_root(dir).is_ok())
        .map(Path::to_path_buf)
}

/// Checks that `root` is a capheap checkout.
pub fn check_root(root: &Path) -> DemoResult<()> {
    let needed = ["contracts/real", "contracts/leaky", "scenarios/chains"]
        .into_iter()
        .chain(["scenarios/gas-aware.toml"]);
    for rel in needed {
        if !root.join(rel).exists() {
            return Err(DemoError::NotACheckout {
                root: root.to_owned(),
                missing: rel.to_owned(),
            });
        }
    }
    Ok(())
}

/// Runs the demo in the checkout at `root`; `progress` hears of each of the
/// [`STEPS`] steps as it starts. `out` is the directory the report will be
/// written to (usually `root.join(REPORT_DIR)`): the fuzzer's shrunk
/// reproduction names the contract relative to it, so the report does not
/// depend on where the checkout lives.
pub fn run(root: &Path, out: &Path, progress: &mut dyn FnMut(&str)) -> DemoResult<DemoReport> {
    check_root(root)?;
    let mut charts = Vec::new();
    let mut determinism = Vec::new();
    let mut real = Vec::new();
    let mut toolchain = String::new();
    for spec in REAL_CONTRACTS {
        let dir = root.join("contracts/real").join(spec.name);
        let mut build = |allocator: Allocator| {
            progress(&format!(
                "building {} on the {allocator} allocator (cached after the first time)",
                spec.name
            ));
            let opts = BuildOptions {
                allocator: Some(allocator),
                ..BuildOptions::default()
            };
            build_contract(&dir, &opts).map_err(|source| DemoError::Build {
                what: format!("contracts/real/{} on {allocator}", spec.name),
                source,
            })
        };
        let a = build(Allocator::Default)?;
        let b = build(Allocator::Capheap)?;
        let m = build(Allocator::CapheapMini)?;
        toolchain = b.toolchain.version();
        progress(&format!("{}: the scenario on every build", spec.name));
        let scenario_rel = format!("scenarios/chains/{}.toml", spec.name);
        let file = ScenarioFile::load(&root.join(&scenario_rel))?;
        let sim = file
            .simulator_builder(&a.wasm, None)
            .build()
            .map_err(sim_err(spec.name))?;
        let load = |wasm: &[u8]| sim.load(wasm).map_err(sim_err(spec.name));
        let (ca, cb, cm) = (load(&a.wasm)?, load(&b.wasm)?, load(&m.wasm)?);
        let scenario = file.scenario();
        let comparison = compare(
            &scenario,
            ("default", &ca, &a.wasm),
            ("capheap", &cb, &b.wasm),
        )
        .map_err(sim_err(spec.name))?;
        let mini = compare(
            &scenario,
            ("default", &ca, &a.wasm),
            ("capheap-mini", &cm, &m.wasm),
        )
        .map_err(sim_err(spec.name))?;
        let chart = format!("{}.svg", spec.name);
        charts.push((
            chart.clone(),
            compare_svg::render(
                &format!("{}: default allocator vs capheap, per call", spec.name),
                &comparison,
            ),
        ));
        determinism.push(replayed(
            &format!("{} (capheap)", spec.name),
            &cb,
            &scenario,
            file.replays,
        )?);
        real.push(RealResult {
            name: spec.name.to_owned(),
            chain: spec.chain.to_owned(),
            what: spec.what.to_owned(),
            scenario: scenario_rel,
            pricing: sim.pricing_label(),
            comparison,
            mini,
            chart,
        });
    }
    let leak = leak(root, out, progress, &mut charts)?;
    let budget = budget(root, progress)?;
    for name in EXAMPLE_SCENARIOS {
        progress(&format!("replaying scenarios/{name}.toml"));
        let file = ScenarioFile::load(&root.join(format!("scenarios/{name}.toml")))?;
        let contract = scenario_contract(&file)?;
        determinism.push(replayed(
            &file.name,
            &contract,
            &file.scenario(),
            file.replays,
        )?);
    }
    Ok(DemoReport {
        toolchain,
        real,
        leak,
        budget,
        determinism,
        charts,
    })
}

/// Builds a contract crate with its own allocator.
fn built(dir: &Path, what: &str) -> DemoResult<Vec<u8>> {
    build_contract(dir, &BuildOptions::default())
        .map(|b| b.wasm)
        .map_err(|source| DemoError::Build {
            what: what.to_owned(),
            source,
        })
}

/// The contract a scenario file names, compiled under the file's settings.
fn scenario_contract(file: &ScenarioFile) -> DemoResult<Contract> {
    let wasm = match &file.contract {
        ContractSource::Crate(dir) => built(dir, &dir.display().to_string())?,
        ContractSource::Wasm(path) => {
            crate::limits::read_capped(path, crate::limits::DEFAULT_MAX_WASM_SIZE as u64)
                .map_err(sim_err(path.display().to_string()))?
        }
    };
    file.simulator_builder(&wasm, None)
        .build()
        .and_then(|sim| sim.load(&wasm))
        .map_err(sim_err(&file.name))
}

/// Replays `scenario` `runs` times and from a snapshot after its middle call.
fn replayed(
    name: &str,
    contract: &Contract,
    scenario: &Scenario,
    runs: u32,
) -> DemoResult<DeterminismRow> {
    let options = ReplayOptions {
        runs: runs as usize,
        seeds: Vec::new(),
        snapshot: SnapshotPoint::Middle,
    };
    let report = contract.replay(scenario, &options).map_err(sim_err(name))?;
    Ok(DeterminismRow {
        scenario: name.to_owned(),
        calls: report.calls.len(),
        runs: report.runs,
        snapshot: report.snapshot.as_ref().map(|s| (s.after_call, s.bytes)),
        deterministic: report.deterministic,
        root: report
            .calls
            .last()
            .and_then(|c| c.outcome.memory_root)
            .map_or_else(|| "-".to_owned(), |d| d.to_hex()[..16].to_owned()),
    })
}

/// The cap run and the fuzz campaign on `contracts/leaky`; the campaign's
/// reproduction is for `out`.
fn leak(
    root: &Path,
    out: &Path,
    progress: &mut dyn FnMut(&str),
    charts: &mut Vec<(String, String)>,
) -> DemoResult<LeakResult> {
    progress("leaky: remembering 128 KiB per call until the cap stops it");
    let dir = root.join("contracts/leaky");
    let wasm = built(&dir, "contracts/leaky")?;
    let contract = Simulator::new().load(&wasm).map_err(sim_err("leaky"))?;
    let scenario = Scenario::new()
        .call(ScenarioCall::new("remember", vec![0x5a; LEAKY_INPUT_BYTES]).repeat(LEAKY_CALLS));
    let run = contract
        .run_scenario(&scenario, 0)
        .map_err(sim_err("leaky"))?;
    let calls: Vec<CapCall> = run
        .calls
        .iter()
        .map(|c| CapCall {
            index: c.index,
            pages: c.outcome.pages_after,
            live_bytes: c.outcome.stats.map(|s| s.live_bytes),
            cap_refusals: c.outcome.refused.map_or(0, |r| r.cap),
            error: c.outcome.error.as_ref().map(ToString::to_string),
        })
        .collect();
    let chart = "leaky.svg".to_owned();
    charts.push((
        chart.clone(),
        timeline_svg::render(&Timeline {
            title: "leaky: memory after each call, 128 KiB remembered per call",
            points: &TimelinePoint::from_calls(&run.calls),
            initial_pages: run
                .calls
                .first()
                .map_or(0, |c| u64::from(c.outcome.pages_before)),
            cap_pages: Some(u64::from(LEAKY_CAP_PAGES)),
        }),
    ));
    progress("leaky: fuzzing `remember` for unbounded growth");
    let fuzz = fuzz_leaky(&dir, out, &wasm)?;
    Ok(LeakResult {
        cap_pages: LEAKY_CAP_PAGES,
        input_bytes: LEAKY_INPUT_BYTES,
        stopped_at: calls.iter().find(|c| c.error.is_some()).map(|c| c.index),
        calls,
        chart,
        fuzz,
    })
}

/// A short fuzz campaign on `leaky::remember` (the crate at `dir`), its
/// finding shrunk, written as a scenario file to live in `out`, and replayed.
fn fuzz_leaky(dir: &Path, out: &Path, wasm: &[u8]) -> DemoResult<FuzzResult> {
    // As `capheap-sim fuzz` runs it: no memory roots (growth is measured with
    // pages and live bytes), failed calls undone by the campaign.
    let contract = Simulator::builder()
        .memory_roots(false)
        .keep_failed_writes(true)
        .build()
        .and_then(|sim| sim.load(wasm))
        .map_err(sim_err("leaky"))?;
    let options = FuzzOptions {
        seed: FUZZ_SEED,
        runs: FUZZ_RUNS,
        calls_per_run: FUZZ_CALLS,
        max_findings: 1,
        ..FuzzOptions::default()
    };
    let entry = "remember";
    let campaign = Campaign::new(
        &contract,
        entry,
        InputTemplate::Bytes { max_len: 256 },
        options,
    )
    .map_err(sim_err("fuzzing leaky"))?;
    let report = campaign.run(|_| true).map_err(sim_err("fuzzing leaky"))?;
    let repro_file = format!("leaky-{entry}-seed{FUZZ_SEED}.toml");
    let mut result = FuzzResult {
        seed: report.seed,
        runs: report.runs,
        calls: report.calls,
        finding: None,
        repro_calls: 0,
        repro_file: repro_file.clone(),
        repro: String::new(),
        reproduced: false,
    };
    let Some(finding) = report.findings.first() else {
        return Ok(result);
    };
    let repro = repro_scenario(
        repro_file.trim_end_matches(".toml"),
        &contract_path_from(out, dir),
        contract.abi(),
        entry,
        &campaign.options().setup,
        finding,
    );
    let file = ScenarioFile::parse(&repro, &out.join(&repro_file))?;
    let rerun = contract
        .run_scenario(&file.scenario(), 0)
        .map_err(sim_err("replaying the reproduction"))?;
    result.reproduced = match finding {
        FuzzFinding::UnboundedGrowth { footprints, .. } => {
            let live: Vec<u64> = rerun
                .calls
                .iter()
                .map(|c| c.outcome.stats.map_or(0, |s| s.live_bytes))
                .collect();
            !footprints.is_empty() && live.ends_with(footprints)
        }
        _ => rerun
            .calls
            .last()
            .is_some_and(|c| c.outcome.error.is_some()),
    };
    result.finding = Some(finding.summary());
    result.repro_calls = finding.calls().len();
    result.repro = repro;
    Ok(result)
}

/// `scenarios/gas-aware.toml`: growth the call can pay for, then growth it
/// cannot.
fn budget(root: &Path, progress: &mut dyn FnMut(&str)) -> DemoResult<BudgetResult> {
    progress("gas-aware: growth it cannot pay for, under Stylus pricing");
    let file = ScenarioFile::load(&root.join("scenarios/gas-aware.toml"))?;
    let contract = scenario_contract(&file)?;
    let run = contract
        .run_scenario(&file.scenario(), 0)
        .map_err(sim_err("gas-aware"))?;
    let calls = run
        .calls
        .iter()
        .filter(|c| c.label == "reserve")
        .map(|c| {
            let o = &c.outcome;
            BudgetCall {
                request_bytes: file
                    .calls
                    .get(c.step)
                    .and_then(|s| s.input.get(..4))
                    .and_then(|b| b.try_into().ok())
                    .map_or(0, u32::from_le_bytes),
                returned: o.returned,
                pages: (o.pages_before, o.pages_after),
                fuel: (o.fuel.total, o.fuel.growth),
                error: o.error.as_ref().map(ToString::to_string),
            }
        })
        .collect();
    Ok(BudgetResult {
        pricing: contract.simulator().pricing_label(),
        fuel_per_call: contract.simulator().fuel_limit(),
        calls,
        gas_hook_refusals: run
            .calls
            .iter()
            .rev()
            .find_map(|c| c.outcome.stats)
            .map_or(0, |s| s.failed_gas_hook),
    })
}

fn kib(bytes: u64) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else if bytes >= 1 << 10 && bytes.is_multiple_of(1 << 10) {
        format!("{} KiB", bytes >> 10)
    } else {
        format!("{bytes} B")
    }
}

impl DemoReport {
    /// Whether every result is what capheap promises: both builds of each
    /// real contract agree on every call, the cap stopped the leak, the fuzz
    /// campaign found and reproduced it, the gas hook refused as a value, and
    /// every replay agreed.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        for r in &self.real {
            for c in [&r.comparison, &r.mini] {
                let differ = c.calls.iter().filter(|c| !c.same_output).count();
                if differ > 0 {
                    out.push(format!(
                        "{}: the {} and {} builds disagree on {differ} call(s)",
                        r.name, c.a.label, c.b.label
                    ));
                }
            }
        }
        if self.leak.stopped_at.is_none() {
            out.push("leaky: the cap never stopped the leak".to_owned());
        }
        if self.leak.fuzz.finding.is_none() || !self.leak.fuzz.reproduced {
            out.push("leaky: the fuzz campaign did not find and reproduce the leak".to_owned());
        }
        if self.budget.gas_hook_refusals == 0 || self.budget.calls.iter().any(|c| c.error.is_some())
        {
            out.push("gas-aware: growth was not refused as a value".to_owned());
        }
        for d in self.determinism.iter().filter(|d| !d.deterministic) {
            out.push(format!("{}: replays diverged", d.scenario));
        }
        out
    }

    /// A terminal summary.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        let ratio = |a: u64, b: u64| {
            crate::report::compare::show_ratio(crate::report::compare::ratio_permille(a, b))
        };
        let _ = writeln!(
            out,
            "Real contracts, on the allocator they ship with, on capheap and on its minimal heap:"
        );
        let _ = writeln!(
            out,
            "  {:<24} {:>12} {:>12} {:>12} {:>10} {:>10} {:>10}",
            "", "fuel", "growth fuel", "peak pages", "wasm B", "gzip B", "stored B"
        );
        for r in &self.real {
            for side in [&r.comparison.a, &r.comparison.b, &r.mini.b] {
                let _ = writeln!(
                    out,
                    "  {:<24} {:>12} {:>12} {:>12} {:>10} {:>10} {:>10}",
                    format!("{} {}", r.name, side.label),
                    side.fuel,
                    side.growth_fuel,
                    side.peak_pages,
                    side.wasm_bytes,
                    side.gzip_bytes,
                    side.stored_bytes()
                );
            }
            for c in [&r.comparison, &r.mini] {
                let (a, b) = (&c.a, &c.b);
                let _ = writeln!(
                    out,
                    "  {:<24} {:>12} {:>12} {:>12} {:>10} {:>10} {:>10}",
                    format!("  {} / default", b.label),
                    ratio(a.fuel, b.fuel),
                    ratio(a.growth_fuel, b.growth_fuel),
                    ratio(u64::from(a.peak_pages), u64::from(b.peak_pages)),
                    ratio(a.wasm_bytes as u64, b.wasm_bytes as u64),
                    ratio(a.gzip_bytes as u64, b.gzip_bytes as u64),
                    ratio(a.stored_bytes(), b.stored_bytes())
                );
            }
        }
        let _ = writeln!(
            out,
            "  (stored B: the code the chain keeps, Stylus's brotli stream or CosmWasm's gzipped upload)"
        );
        let l = &self.leak;
        match l.stopped_at {
            Some(i) => {
                let _ = writeln!(
                    out,
                    "\nleaky: {} per call kept forever; its cap of {} pages stopped call #{i} (memory {} pages, never past the cap)",
                    kib(l.input_bytes as u64),
                    l.cap_pages,
                    l.calls.iter().map(|c| c.pages).max().unwrap_or(0)
                );
            }
            None => {
                let _ = writeln!(out, "\nleaky: the cap never stopped the leak");
            }
        }
        let f = &l.fuzz;
        let _ = writeln!(
            out,
            "leaky: fuzz (seed {}, {} calls): {}; {}",
            f.seed,
            f.calls,
            f.finding.as_deref().unwrap_or("nothing found"),
            if f.reproduced {
                "the shrunk reproduction reproduces it"
            } else {
                "NOT reproduced"
            }
        );
        let b = &self.budget;
        for c in &b.calls {
            let _ = writeln!(
                out,
                "gas-aware ({} pricing, {} fuel per call): reserve {} -> {}, pages {} -> {}, growth fuel {}",
                b.pricing,
                b.fuel_per_call,
                kib(u64::from(c.request_bytes)),
                c.outcome(),
                c.pages.0,
                c.pages.1,
                c.fuel.1
            );
        }
        let agreed = self.determinism.iter().filter(|d| d.deterministic).count();
        let _ = writeln!(
            out,
            "\ndeterminism: {agreed} of {} scenarios agree across fresh replays and a snapshot replay (memory roots equal)",
            self.determinism.len()
        );
        out
    }

    /// The headline figures as markdown: one row per real contract, one line
    /// per other result.
    fn at_a_glance(&self) -> String {
        let ratio = |a: u64, b: u64| {
            crate::report::compare::show_ratio(crate::report::compare::ratio_permille(a, b))
        };
        let mut out = String::from(
            "## At a glance\n\n\
             | contract | fuel, capheap / default | pages at most (default, capheap) | \
             code the chain stores, bytes (default, capheap, capheap-mini) |\n|---|--:|--:|--:|\n",
        );
        for r in &self.real {
            let (a, b) = (&r.comparison.a, &r.comparison.b);
            let _ = writeln!(
                out,
                "| {} ({}) | {} | {}, {} | {}, {}, {} |",
                r.name,
                r.chain,
                ratio(a.fuel, b.fuel),
                a.peak_pages,
                b.peak_pages,
                a.stored_bytes(),
                b.stored_bytes(),
                r.mini.b.stored_bytes()
            );
        }
        let l = &self.leak;
        let _ = writeln!(
            out,
            "\n- **A leak, capped**: `leaky` stops at call #{} at {} pages under its {}-page cap; \
             the fuzzer finds it in {} calls and shrinks it to {}.",
            l.stopped_at
                .map_or_else(|| "-".to_owned(), |i| i.to_string()),
            l.calls.iter().map(|c| c.pages).max().unwrap_or(0),
            l.cap_pages,
            l.fuzz.calls,
            l.fuzz.repro_calls
        );
        if let Some(refused) = self.budget.calls.iter().find(|c| c.returned == Some(3)) {
            let _ = writeln!(
                out,
                "- **Growth it cannot pay for**: `gas-aware` asks for {} under `{}` pricing with \
                 {} fuel, and gets the error code `3` back: {} pages grown, no trap.",
                kib(u64::from(refused.request_bytes)),
                self.budget.pricing,
                self.budget.fuel_per_call,
                refused.pages.1.saturating_sub(refused.pages.0)
            );
        }
        let agreed = self.determinism.iter().filter(|d| d.deterministic).count();
        let _ = writeln!(
            out,
            "- **Determinism**: {agreed} of {} scenarios give equal memory roots on every \
             replay and from a snapshot.\n",
            self.determinism.len()
        );
        out
    }

    /// The full report as markdown; charts are linked by file name.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# capheap demo\n\n\
             Written by `capheap-sim demo`. Contracts built with {}, `opt-level = \"z\"`, \
             LTO, one codegen unit. Every figure is deterministic: fuel is wasmi's, pages \
             and bytes are counts, so a rerun with the same toolchain and lock files gives \
             the same report.\n",
            self.toolchain
        );
        out.push_str(&self.at_a_glance());
        let _ = writeln!(
            out,
            "## 1. Real contracts: the allocator they ship with vs capheap\n\n\
             Two contracts nobody here wrote, built from crates.io (versions pinned by \
             `contracts/real/Cargo.lock`) three times: as published, with capheap as \
             `#[global_allocator]` through the build pipeline's allocator swap \
             (`capheap-sim build <crate> --allocator capheap`), and with capheap's minimal \
             heap (`--allocator capheap-mini`). Nothing else differs. \
             `capheap-sim compare <scenario>` prints the same tables.\n"
        );
        for r in &self.real {
            let _ = writeln!(
                out,
                "### {} ({})\n\n{}. Scenario `{}`: {} calls, pricing `{}`.\n\n\
                 ![{}: fuel and pages per call on both allocators]({})\n\n{}\n\
                 <details><summary>Every call</summary>\n\n{}\n</details>\n\n\
                 On capheap's minimal heap (`--allocator capheap-mini`, \
                 `capheap::mini::MiniHeap`: less code; large blocks freed below the top wait \
                 for the heap to empty), every call's outcome the same:\n\n{}\n",
                r.name,
                r.chain,
                r.what,
                r.scenario,
                r.comparison.calls.len(),
                r.pricing,
                r.name,
                r.chart,
                r.comparison.totals_markdown(),
                r.comparison.calls_markdown(),
                r.mini.totals_markdown()
            );
        }
        let l = &self.leak;
        let _ = writeln!(
            out,
            "## 2. A leak stopped by its cap, and found by the fuzzer\n\n\
             `contracts/leaky` keeps a copy of every input in a list nothing trims. Its \
             heap is capped at {} pages (`Config::DEFAULT.max_memory_pages({})`). Here it is \
             asked to remember {} per call, {} times:\n",
            l.cap_pages,
            l.cap_pages,
            kib(l.input_bytes as u64),
            l.calls.len()
        );
        let _ = writeln!(
            out,
            "![leaky: pages and live bytes per call]({})\n",
            l.chart
        );
        let _ = writeln!(
            out,
            "| # | pages after | live bytes | refused at the cap | outcome |\n|--:|--:|--:|--:|---|"
        );
        // Every call after the first failure fails the same way: show one.
        let shown = l.stopped_at.map_or(l.calls.len(), |i| i + 1);
        for c in &l.calls[..shown.min(l.calls.len())] {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                c.index,
                c.pages,
                c.live_bytes
                    .map_or_else(|| "-".to_owned(), |b| b.to_string()),
                c.cap_refusals,
                c.error
                    .as_deref()
                    .map_or_else(|| "ok".to_owned(), |e| format!("failed: {e}"))
            );
        }
        if let (Some(first), Some(last)) = (l.calls.get(shown), l.calls.last()) {
            let _ = writeln!(
                out,
                "| {}–{} | {} | | | the same, each call |",
                first.index, last.index, last.pages
            );
        }
        let f = &l.fuzz;
        let _ = writeln!(
            out,
            "\nThe memory never passes the cap. The allocation that would cross it is \
             refused (`AllocError::CapExceeded`, counted in the column above); `Vec` turns \
             a refused allocation into `handle_alloc_error`, which traps, so the call {} \
             fails and is undone like a reverted transaction, and so does every later one. \
             A heap without a cap grows until the chain's own limit ends the transaction, \
             at full price for every page.\n\n\
             `capheap-sim fuzz contracts/leaky --entry remember --seed {} --runs {} --calls {}` \
             finds it without being told, stopping at its first finding after {} calls: \
             **{}**. The shrunk reproduction, `{}` (written next to this report; \
             `capheap-sim replay` runs it), {} on a fresh instance:\n\n```toml\n{}```\n",
            l.stopped_at
                .map_or_else(|| "(none did)".to_owned(), |i| format!("#{i}")),
            f.seed,
            FUZZ_RUNS,
            FUZZ_CALLS,
            f.calls,
            f.finding.as_deref().unwrap_or("nothing found"),
            f.repro_file,
            if f.reproduced {
                "gives the same live bytes after every call"
            } else {
                "does NOT reproduce it"
            },
            f.repro
        );
        let b = &self.budget;
        let _ = writeln!(
            out,
            "## 3. Growth it cannot pay for, refused as a value\n\n\
             `contracts/gas-aware` links capheap with `PagePricing::STYLUS` and the host gas \
             hook: before each page it grows, it asks the host for the gas left and prices \
             the growth with Arbitrum Stylus's memory model, the same function the simulator \
             charges with. Scenario `scenarios/gas-aware.toml`, pricing `{}`, {} fuel per \
             call:\n\n\
             | request | returned | pages before | pages after | fuel | of which growth |\n\
             |--:|---|--:|--:|--:|--:|",
            b.pricing, b.fuel_per_call
        );
        for c in &b.calls {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                kib(u64::from(c.request_bytes)),
                c.outcome(),
                c.pages.0,
                c.pages.1,
                c.fuel.0,
                c.fuel.1
            );
        }
        let _ = writeln!(
            out,
            "\nThe refusal is `AllocError::GasHookRefused`, a value the contract answers \
             with (here the code `3`); nothing is grown and nothing is charged for pages, \
             and the contract's stats count {} gas-hook refusal(s). Without the hook the \
             same shortfall ends the call out of gas.\n",
            b.gas_hook_refusals
        );
        let _ = writeln!(
            out,
            "## 4. Determinism\n\n\
             Each scenario runs on fresh instances and once more from a snapshot taken \
             after its middle call; outputs, fuel, pages, and the memory and storage roots \
             must agree call by call (`capheap-sim replay <scenario>`).\n\n\
             | scenario | calls | runs | snapshot replay | verdict | final memory root |\n\
             |---|--:|--:|---|---|---|"
        );
        for d in &self.determinism {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | `{}` |",
                d.scenario,
                d.calls,
                d.runs,
                d.snapshot.map_or_else(
                    || "-".to_owned(),
                    |(after, bytes)| format!("after call #{after} ({bytes} B)")
                ),
                if d.deterministic {
                    "deterministic"
                } else {
                    "**diverged**"
                },
                d.root
            );
        }
        out
    }
}
