//! `capheap-sim replay`: the determinism check, scenario by scenario.

use std::path::PathBuf;

use capheap_sim::{ReplayOptions, ReplayReport, SnapshotPoint};
use clap::Args;

use super::load::{Loaded, scenario};
use super::progress::bar;
use super::{CliResult, Failure, SimArgs};

/// Arguments of `replay`.
#[derive(Args)]
pub struct ReplayArgs {
    /// Scenario files (TOML).
    #[arg(required = true)]
    scenarios: Vec<PathBuf>,
    /// Fresh-instance runs per scenario, the reference included
    /// (default: the file's `replays`).
    #[arg(long)]
    runs: Option<usize>,
    /// Host seed of each run, comma-separated (custom host functions read it;
    /// varying it models a host input that differs between replays).
    #[arg(long, value_delimiter = ',')]
    seeds: Vec<u64>,
    /// Take the snapshot after this call (0-based) instead of the middle one.
    #[arg(long, conflicts_with = "no_snapshot")]
    snapshot_after: Option<usize>,
    /// Skip the replay from a restored snapshot.
    #[arg(long)]
    no_snapshot: bool,
    /// Print the reports as JSON.
    #[arg(long)]
    json: bool,
    /// No progress display.
    #[arg(long, short)]
    quiet: bool,
    #[command(flatten)]
    sim: SimArgs,
}

/// Replay options for `loaded`, from the file and the command line.
pub fn options(
    loaded: &Loaded,
    runs: Option<usize>,
    seeds: &[u64],
    snapshot: SnapshotPoint,
) -> ReplayOptions {
    ReplayOptions {
        runs: runs.unwrap_or(loaded.file.replays as usize),
        seeds: seeds.to_vec(),
        snapshot,
    }
}

/// One scenario replayed, with its expectation misses.
#[derive(serde::Serialize)]
pub struct ScenarioReplay {
    /// Scenario name.
    pub name: String,
    /// The replay report.
    pub report: ReplayReport,
    /// Expectation misses of the reference run.
    pub misses: Vec<String>,
}

/// Replays every scenario, with a progress bar on a terminal.
pub fn replay_all(
    paths: &[PathBuf],
    sim: &SimArgs,
    runs: Option<usize>,
    seeds: &[u64],
    snapshot: SnapshotPoint,
    quiet: bool,
) -> Result<Vec<(Loaded, ScenarioReplay)>, Failure> {
    super::existing(paths)?;
    let progress = bar(paths.len() as u64, quiet);
    let mut out = Vec::new();
    for path in paths {
        progress.set_message(super::display(path));
        let loaded = scenario(path, sim, quiet)?;
        if let Some((first, _)) = out
            .iter()
            .find(|(l, _): &&(Loaded, ScenarioReplay)| l.file.name == loaded.file.name)
        {
            return Err(Failure::Error(format!(
                "two scenarios are named `{}` ({} and {}): names key gas snapshots and timelines, so they must differ",
                loaded.file.name,
                super::display(&first.path),
                super::display(path)
            )));
        }
        let opts = options(&loaded, runs, seeds, snapshot);
        let report = loaded.contract.replay(&loaded.file.scenario(), &opts)?;
        let misses = loaded.file.misses(&report.calls);
        let name = loaded.file.name.clone();
        out.push((
            loaded,
            ScenarioReplay {
                name,
                report,
                misses,
            },
        ));
        progress.inc(1);
    }
    progress.finish_and_clear();
    Ok(out)
}

/// The determinism verdict of one scenario, as lines.
pub fn verdict(s: &ScenarioReplay) -> Vec<String> {
    let r = &s.report;
    let snapshot = r.snapshot.as_ref().map_or_else(String::new, |snap| {
        format!(
            " + replay from a {}-byte snapshot after call #{}",
            snap.bytes, snap.after_call
        )
    });
    let mut lines = Vec::new();
    if r.deterministic {
        let root = r
            .calls
            .last()
            .and_then(|c| c.outcome.memory_root)
            .map_or_else(String::new, |d| {
                format!(", final memory root {}", &d.to_hex()[..16])
            });
        lines.push(format!(
            "{}: deterministic: {} calls x {} runs{snapshot} agree on output, fuel, pages, memory and storage roots{root}",
            s.name,
            r.calls.len(),
            r.runs
        ));
    } else {
        lines.push(format!(
            "{}: NONDETERMINISTIC ({} runs{snapshot})",
            s.name, r.runs
        ));
        for d in r
            .divergences
            .iter()
            .chain(r.snapshot.iter().filter_map(|s| s.divergence.as_ref()))
        {
            lines.extend(d.lines().into_iter().map(|l| format!("  {l}")));
        }
    }
    for miss in &s.misses {
        lines.push(format!("  expectation: {miss}"));
    }
    lines
}

/// Whether the scenario passed: deterministic and as expected.
pub fn passed(s: &ScenarioReplay) -> bool {
    s.report.deterministic && s.misses.is_empty()
}

/// Success when every scenario passed, else findings naming the failures.
pub fn outcome<'a>(replays: impl IntoIterator<Item = &'a ScenarioReplay>) -> CliResult {
    let failed: Vec<&str> = replays
        .into_iter()
        .filter(|s| !passed(s))
        .map(|s| s.name.as_str())
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Failure::Findings(format!(
            "{} failed: {}",
            failed.len(),
            failed.join(", ")
        )))
    }
}

/// Replays; exit 3 when any scenario diverges or misses an expectation.
pub fn run(args: ReplayArgs) -> CliResult {
    let snapshot = match (args.no_snapshot, args.snapshot_after) {
        (true, _) => SnapshotPoint::Off,
        (false, Some(n)) => SnapshotPoint::AfterCall(n),
        (false, None) => SnapshotPoint::Middle,
    };
    let results = replay_all(
        &args.scenarios,
        &args.sim,
        args.runs,
        &args.seeds,
        snapshot,
        args.quiet || args.json,
    )?;
    let replays: Vec<&ScenarioReplay> = results.iter().map(|(_, s)| s).collect();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&replays)?);
    } else {
        for s in &replays {
            for line in verdict(s) {
                println!("{line}");
            }
        }
    }
    outcome(replays)
}
