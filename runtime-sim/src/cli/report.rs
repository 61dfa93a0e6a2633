//! `capheap-sim report`: the main job. Per scenario: the gas report per
//! export, the determinism verdict, expectation misses, and optionally the
//! memory timeline as SVG.

use std::path::PathBuf;

use capheap_sim::deploy::{Deployment, deployment};
use capheap_sim::report::gas_table::{self, GasRow, GasSample};
use capheap_sim::report::timeline_svg::{self, TimelinePoint};
use capheap_sim::{CallRecord, SnapshotPoint};
use clap::Args;

use super::replay::{ScenarioReplay, outcome, replay_all, verdict};
use super::{CliResult, SimArgs, path_failure};

/// Arguments of `report`.
#[derive(Args)]
pub struct ReportArgs {
    /// Scenario files (TOML).
    #[arg(required = true)]
    scenarios: Vec<PathBuf>,
    /// Fresh-instance runs per scenario (default: the file's `replays`).
    #[arg(long)]
    runs: Option<usize>,
    /// Write `<name>.svg` memory timelines into this directory.
    #[arg(long)]
    svg_dir: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// No progress display.
    #[arg(long, short)]
    quiet: bool,
    #[command(flatten)]
    sim: SimArgs,
}

/// Gas samples of a run's calls.
pub fn samples(calls: &[CallRecord]) -> Vec<GasSample> {
    calls
        .iter()
        .map(|c| GasSample {
            export: c.label.clone(),
            fuel: c.outcome.fuel.total,
            growth_fuel: c.outcome.fuel.growth,
            pages_grown: c.outcome.growth_pages(),
            pages_after: u64::from(c.outcome.pages_after),
            refused: c.outcome.refused,
        })
        .collect()
}

/// What the contract's chain stores and charges for its code (a loaded
/// contract's sections parse, so only capheap's ABI gives `None`).
fn deployment_of(loaded: &super::load::Loaded) -> Option<Deployment> {
    deployment(loaded.contract.abi(), &loaded.wasm)
        .ok()
        .flatten()
}

#[derive(serde::Serialize)]
struct ScenarioJson<'a> {
    name: &'a str,
    wasm_bytes: usize,
    deploy: Option<Deployment>,
    pricing: String,
    gas: Vec<GasRow>,
    replay: &'a ScenarioReplay,
}

/// Runs the report; exit 3 when any scenario diverges or misses an expectation.
pub fn run(args: ReportArgs) -> CliResult {
    let results = replay_all(
        &args.scenarios,
        &args.sim,
        args.runs,
        &[],
        SnapshotPoint::Middle,
        args.quiet || args.json,
    )?;
    if let Some(dir) = &args.svg_dir {
        std::fs::create_dir_all(dir).map_err(path_failure(dir))?;
        for (loaded, s) in &results {
            let path = dir.join(format!("{}.svg", s.name));
            let points = TimelinePoint::from_calls(&s.report.calls);
            let title = format!("{}: memory after each call", s.name);
            let svg = timeline_svg::render(&timeline_svg::Timeline {
                title: &title,
                points: &points,
                initial_pages: s
                    .report
                    .calls
                    .first()
                    .map_or(0, |c| u64::from(c.outcome.pages_before)),
                cap_pages: Some(u64::from(loaded.simulator.limits().max_pages)),
            });
            std::fs::write(&path, svg).map_err(path_failure(&path))?;
        }
    }
    if args.json {
        let json: Vec<ScenarioJson> = results
            .iter()
            .map(|(loaded, s)| ScenarioJson {
                name: &s.name,
                wasm_bytes: loaded.wasm.len(),
                deploy: deployment_of(loaded),
                pricing: loaded.simulator.pricing_label(),
                gas: gas_table::summarize(&samples(&s.report.calls)),
                replay: s,
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        for (i, (loaded, s)) in results.iter().enumerate() {
            if i > 0 {
                println!();
            }
            let stored = deployment_of(loaded).map_or_else(String::new, |d| {
                format!(
                    ", {} stored ({}, {} {})",
                    d.stored_bytes,
                    d.stored_as(),
                    d.deploy_gas,
                    d.gas_unit()
                )
            });
            let title = format!(
                "== {}: {} bytes of wasm{stored}, {} ABI ({}), pricing {}, {} calls",
                s.name,
                loaded.wasm.len(),
                loaded.contract.abi(),
                loaded.contract.abi_reason(),
                loaded.simulator.pricing_label(),
                s.report.calls.len()
            );
            print!(
                "{}",
                gas_table::render(&title, &gas_table::summarize(&samples(&s.report.calls)))
            );
            for line in verdict(s) {
                println!("{line}");
            }
            if let Some(dir) = &args.svg_dir {
                println!(
                    "timeline: {}",
                    dir.join(format!("{}.svg", s.name)).display()
                );
            }
        }
    }
    outcome(results.iter().map(|(_, s)| s))
}
