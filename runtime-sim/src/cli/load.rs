//! Loading what the commands run: scenario files, their contracts (built
//! from source when they name a crate), and the simulator they ask for.

use std::path::Path;

use capheap_sim::scenario_file::{ContractSource, ScenarioFile};
use capheap_sim::{Allocator, BuildOptions, Contract, Simulator, build_contract};

use super::progress::spinner;
use super::{Failure, SimArgs};

/// A scenario file, ready to run.
pub struct Loaded {
    /// Where the file is.
    pub path: std::path::PathBuf,
    /// The file.
    pub file: ScenarioFile,
    /// The simulator its settings (and the command line) ask for.
    pub simulator: Simulator,
    /// The compiled contract.
    pub contract: Contract,
    /// The wasm it runs.
    pub wasm: Vec<u8>,
}

/// Reads `path`, builds or reads its contract, and compiles it.
pub fn scenario(path: &Path, sim: &SimArgs, quiet: bool) -> Result<Loaded, Failure> {
    let file = ScenarioFile::load(path)?;
    let wasm = match &file.contract {
        ContractSource::Wasm(wasm) => capheap_sim::limits::read_capped(
            wasm,
            capheap_sim::limits::DEFAULT_MAX_WASM_SIZE as u64,
        )
        .map_err(|e| {
            Failure::Error(format!(
                "{}: contract {}: {e}",
                path.display(),
                wasm.display()
            ))
        })?,
        ContractSource::Crate(dir) => build(dir, file.allocator, quiet)?,
    };
    let simulator = sim.simulator(Some(&file), &wasm)?;
    let contract = simulator.load(&wasm)?;
    Ok(Loaded {
        path: path.to_owned(),
        file,
        simulator,
        contract,
        wasm,
    })
}

/// Builds the contract crate in `dir` (through the allocator swap when
/// `allocator` is given), with a spinner on a terminal.
pub fn build(dir: &Path, allocator: Option<Allocator>, quiet: bool) -> Result<Vec<u8>, Failure> {
    let what = match allocator {
        Some(a) => format!("building {} on the {a} allocator", dir.display()),
        None => format!("building {}", dir.display()),
    };
    let progress = spinner(what, quiet);
    let opts = BuildOptions {
        allocator,
        ..BuildOptions::default()
    };
    let built = build_contract(dir, &opts);
    progress.finish_and_clear();
    Ok(built?.wasm)
}
