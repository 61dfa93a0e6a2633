//! Loading what the commands run: scenario files, their contracts (built
//! from source when they name a crate), and the simulator they ask for.

use std::path::Path;

use capheap_sim::scenario_file::{ContractSource, ScenarioFile};
use capheap_sim::{BuildOptions, Contract, Simulator, build_contract};

use super::progress::spinner;
use super::{Failure, SimArgs};

/// A scenario file, ready to run.
pub struct Loaded {
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
        ContractSource::Wasm(wasm) => std::fs::read(wasm).map_err(|e| {
            Failure::Error(format!(
                "{}: contract {}: {e}",
                path.display(),
                wasm.display()
            ))
        })?,
        ContractSource::Crate(dir) => build(dir, quiet)?,
    };
    let simulator = sim.simulator(Some(&file))?;
    let contract = simulator.load(&wasm)?;
    Ok(Loaded {
        file,
        simulator,
        contract,
        wasm,
    })
}

/// Builds the contract crate in `dir`, with a spinner on a terminal.
pub fn build(dir: &Path, quiet: bool) -> Result<Vec<u8>, Failure> {
    let progress = spinner(format!("building {}", dir.display()), quiet);
    let built = build_contract(dir, &BuildOptions::default());
    progress.finish_and_clear();
    Ok(built?.wasm)
}
