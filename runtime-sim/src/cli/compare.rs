//! `capheap-sim compare`: one scenario on two builds of a contract, side by
//! side.

use std::path::PathBuf;

use capheap_sim::Allocator;
use capheap_sim::report::compare::compare;
use capheap_sim::scenario_file::{ContractSource, ScenarioFile};
use clap::Args;

use super::load::build;
use super::{CliResult, Failure, SimArgs, path_failure};

/// Arguments of `compare`.
#[derive(Args)]
pub struct CompareArgs {
    /// The scenario file (its contract is a crate, or give two .wasm files).
    scenario: PathBuf,
    /// Build a: an allocator (`default`, `capheap`, `capheap-mini`) to build the scenario's
    /// crate with, or a .wasm file.
    #[arg(long, default_value = "default")]
    a: String,
    /// Build b: an allocator or a .wasm file.
    #[arg(long, default_value = "capheap")]
    b: String,
    /// Print the comparison as JSON.
    #[arg(long)]
    json: bool,
    /// Also draw the comparison (fuel and pages per call, both builds) as
    /// an SVG file.
    #[arg(long)]
    svg: Option<PathBuf>,
    /// No progress display.
    #[arg(long, short)]
    quiet: bool,
    #[command(flatten)]
    sim: SimArgs,
}

/// The wasm of one side: an allocator build of the scenario's crate, or a file.
fn side(file: &ScenarioFile, spec: &str, quiet: bool) -> Result<(String, Vec<u8>), Failure> {
    if let Ok(allocator) = spec.parse::<Allocator>() {
        let ContractSource::Crate(dir) = &file.contract else {
            return Err(Failure::Error(format!(
                "`{spec}` names an allocator, but the scenario's contract is a .wasm file: \
                 give .wasm files to --a and --b, or point the scenario at a crate"
            )));
        };
        return Ok((allocator.to_string(), build(dir, Some(allocator), quiet)?));
    }
    let path = PathBuf::from(spec);
    let wasm = super::read_wasm(&path)?;
    let label = path
        .file_stem()
        .map_or_else(|| spec.to_owned(), |s| s.to_string_lossy().into_owned());
    Ok((label, wasm))
}

/// Runs the scenario on both builds; prints the table (or JSON).
pub fn run(args: CompareArgs) -> CliResult {
    super::existing(std::slice::from_ref(&args.scenario))?;
    let file = ScenarioFile::load(&args.scenario)?;
    let (label_a, wasm_a) = side(&file, &args.a, args.quiet)?;
    let (label_b, wasm_b) = side(&file, &args.b, args.quiet)?;
    let (abi, reason) = args.sim.abi(Some(&file), &wasm_a)?;
    let contract_a = args.sim.simulator(Some(&file), &wasm_a)?.load(&wasm_a)?;
    let contract_b = args.sim.simulator(Some(&file), &wasm_b)?.load(&wasm_b)?;
    let scenario = file.scenario();
    let report = compare(
        &scenario,
        (&label_a, &contract_a, &wasm_a),
        (&label_b, &contract_b, &wasm_b),
    )?;
    if let Some(path) = &args.svg {
        let title = format!(
            "{}: {} vs {}, per call",
            file.name, report.a.label, report.b.label
        );
        std::fs::write(
            path,
            capheap_sim::report::compare_svg::render(&title, &report),
        )
        .map_err(path_failure(path))?;
        if !args.json {
            eprintln!("chart: {}", path.display());
        }
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "compare {} ({abi} ABI, {reason}; pricing {})",
            file.name,
            contract_a.simulator().pricing_label()
        );
        print!("{}", report.to_text());
    }
    let differ: Vec<String> = report
        .calls
        .iter()
        .filter(|c| !c.same_output)
        .map(|c| format!("#{}", c.index))
        .collect();
    if differ.is_empty() {
        Ok(())
    } else {
        Err(Failure::Findings(format!(
            "the builds disagree on the outcome of calls {}",
            differ.join(", ")
        )))
    }
}
