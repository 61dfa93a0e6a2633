//! A contract crate's own `cargo test` in the simulator: build the crate to
//! wasm32, call it, and assert on outputs, fuel and pages, in the spirit of
//! cosmwasm-vm's `testing` module and Soroban's testutils.
//!
//! Add capheap-sim as a dev-dependency of the contract crate (without its
//! command line: `default-features = false`) and write tests against the
//! real wasm, the same bytes a chain would run:
//!
//! ```no_run
//! use capheap_sim::testing::TestContract;
//!
//! // Builds this crate to wasm32 (cached: a second build is a no-op) and
//! // loads it with the defaults of the chain its exports and imports name.
//! let contract = TestContract::build(env!("CARGO_MANIFEST_DIR"))?;
//! let mut instance = contract.instantiate()?;
//! let out = instance.call("reverse", b"abc")?;
//! assert_eq!(out.output, b"cba");
//! assert!(out.fuel.total < 100_000, "{} fuel", out.fuel.total);
//! assert_eq!(out.pages_after, out.pages_before, "nothing grown");
//!
//! // A scenario file: every `expect` holds, and replays (fresh instances and
//! // a snapshot) agree bit for bit.
//! TestContract::check_scenario(concat!(env!("CARGO_MANIFEST_DIR"), "/scenario.toml"))?;
//! # Ok::<(), capheap_sim::testing::TestError>(())
//! ```
//!
//! The build runs cargo on the crate with its own target directory
//! (`target/capheap-wasm`), so it does not wait on the `cargo test` that
//! runs it.

use std::path::{Path, PathBuf};

use crate::pipeline::{BuildError, BuildOptions, build_contract};
use crate::scenario_file::{ContractSource, ScenarioFile, ScenarioFileError};
use crate::{
    Contract, Instance, ReplayOptions, ReplayReport, SimError, SimulatorBuilder, SnapshotPoint,
};

/// Why a contract test could not run, or what it found.
#[derive(Debug, thiserror::Error)]
pub enum TestError {
    /// The crate did not build.
    #[error("building {}: {source}", dir.display())]
    Build {
        /// The crate.
        dir: PathBuf,
        /// The pipeline's error.
        #[source]
        source: BuildError,
    },
    /// The scenario file is invalid.
    #[error(transparent)]
    Scenario(#[from] ScenarioFileError),
    /// The simulator refused the module or could not run it.
    #[error(transparent)]
    Sim(#[from] SimError),
    /// Calls missed the scenario's expectations.
    #[error("{}: {} expectation(s) missed:\n  {}", path.display(), misses.len(), misses.join("\n  "))]
    Missed {
        /// The scenario file.
        path: PathBuf,
        /// One line per miss.
        misses: Vec<String>,
    },
    /// Replays of the scenario disagreed.
    #[error("{}: not deterministic:\n  {}", path.display(), divergences.join("\n  "))]
    Diverged {
        /// The scenario file.
        path: PathBuf,
        /// One line per divergence.
        divergences: Vec<String>,
    },
}

/// A contract crate built to wasm32 and loaded into a simulator.
#[derive(Clone, Debug)]
pub struct TestContract {
    contract: Contract,
    wasm: Vec<u8>,
}

impl TestContract {
    /// Builds the crate in `dir` with its own allocator and loads it with the
    /// defaults of the chain its module targets (detected: capheap's ABI,
    /// Stylus or CosmWasm).
    pub fn build(dir: impl AsRef<Path>) -> Result<Self, TestError> {
        Self::build_with(dir, &BuildOptions::default(), |sim| sim)
    }

    /// Builds the crate in `dir` with `options` (e.g. another allocator
    /// through the allocator swap) and loads it into the simulator that
    /// `configure` makes of the chain defaults (pricing, caps, fuel, the
    /// chain's environment).
    ///
    /// ```no_run
    /// use capheap_sim::testing::TestContract;
    /// use capheap_sim::{Allocator, BuildOptions, PagePricing};
    ///
    /// let options = BuildOptions { allocator: Some(Allocator::Capheap), ..BuildOptions::default() };
    /// let contract = TestContract::build_with(env!("CARGO_MANIFEST_DIR"), &options, |sim| {
    ///     sim.pricing(PagePricing::STYLUS).fuel_limit(1_000_000)
    /// })?;
    /// # Ok::<(), capheap_sim::testing::TestError>(())
    /// ```
    pub fn build_with(
        dir: impl AsRef<Path>,
        options: &BuildOptions,
        configure: impl FnOnce(SimulatorBuilder) -> SimulatorBuilder,
    ) -> Result<Self, TestError> {
        let dir = dir.as_ref();
        let wasm = build_contract(dir, options)
            .map_err(|source| TestError::Build {
                dir: dir.to_owned(),
                source,
            })?
            .wasm;
        let abi = crate::Abi::detect_wasm(&wasm).map_or(crate::Abi::Capheap, |(abi, _)| abi);
        let simulator = configure(crate::Simulator::builder().chain_defaults(abi)).build()?;
        let contract = simulator.load(&wasm)?;
        Ok(TestContract { contract, wasm })
    }

    /// The contract of a scenario file (built when it names a crate), in a
    /// simulator with the file's settings.
    ///
    /// ```
    /// use capheap_sim::testing::TestContract;
    ///
    /// # let dir = std::env::temp_dir().join(format!("capheap-testing-{}-{}", std::process::id(), line!()));
    /// # std::fs::create_dir_all(&dir)?;
    /// // A scenario file may name a `.wasm` file (relative to the file) or a crate.
    /// let wasm = wat::parse_str(r#"(module (memory (export "memory") 1)
    ///     (func (export "grow") (result i32) (memory.grow (i32.const 1))))"#)?;
    /// std::fs::write(dir.join("grow.wasm"), &wasm)?;
    /// std::fs::write(dir.join("grow.toml"), "contract = \"grow.wasm\"\nmax_pages = 2\n[[call]]\nexport = \"grow\"\n")?;
    /// let contract = TestContract::from_scenario(dir.join("grow.toml"))?;
    /// assert_eq!(contract.wasm(), wasm);
    /// let mut instance = contract.instantiate()?;
    /// assert_eq!(instance.call("grow", &[])?.returned, Some(1));
    /// // The file's page cap holds.
    /// assert_eq!(instance.call("grow", &[])?.returned, Some(-1));
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_scenario(path: impl AsRef<Path>) -> Result<Self, TestError> {
        let (file, contract, wasm) = load_scenario(path.as_ref())?;
        drop(file);
        Ok(TestContract { contract, wasm })
    }

    /// Runs a scenario file: its calls on `replays` fresh instances and once
    /// from a snapshot after the middle call. Fails with every expectation
    /// the reference run missed, or with the divergences between replays.
    ///
    /// ```
    /// use capheap_sim::testing::{TestContract, TestError};
    ///
    /// # let dir = std::env::temp_dir().join(format!("capheap-testing-{}-{}", std::process::id(), line!()));
    /// # std::fs::create_dir_all(&dir)?;
    /// // A scenario file may name a `.wasm` file (relative to the file) or a crate.
    /// let wasm = wat::parse_str(r#"(module (memory (export "memory") 1)
    ///     (func (export "grow") (result i32) (memory.grow (i32.const 1))))"#)?;
    /// std::fs::write(dir.join("grow.wasm"), &wasm)?;
    /// let scenario = |expected: u32| format!(
    ///     "contract = \"grow.wasm\"\n[[call]]\nexport = \"grow\"\nrepeat = 2\n\n[[call]]\nexport = \"grow\"\nexpect = {{ pages_after = {expected} }}\n"
    /// );
    /// std::fs::write(dir.join("good.toml"), scenario(4))?;
    /// let report = TestContract::check_scenario(dir.join("good.toml"))?;
    /// assert!(report.deterministic);
    /// assert_eq!(report.calls.len(), 3);
    ///
    /// std::fs::write(dir.join("bad.toml"), scenario(3))?;
    /// let Err(TestError::Missed { misses, .. }) = TestContract::check_scenario(dir.join("bad.toml")) else {
    ///     panic!("a missed expectation must fail the check");
    /// };
    /// assert_eq!(misses, ["call #2 (grow, step 2 rep 1): 4 pages after the call, expected 3"]);
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn check_scenario(path: impl AsRef<Path>) -> Result<ReplayReport, TestError> {
        let path = path.as_ref();
        let (file, contract, _) = load_scenario(path)?;
        let options = ReplayOptions {
            runs: file.replays as usize,
            seeds: Vec::new(),
            snapshot: SnapshotPoint::Middle,
        };
        let report = contract.replay(&file.scenario(), &options)?;
        let misses = file.misses(&report.calls);
        if !misses.is_empty() {
            return Err(TestError::Missed {
                path: path.to_owned(),
                misses,
            });
        }
        if !report.deterministic {
            let divergences = report
                .divergences
                .iter()
                .chain(report.snapshot.iter().filter_map(|s| s.divergence.as_ref()))
                .flat_map(crate::Divergence::lines)
                .collect();
            return Err(TestError::Diverged {
                path: path.to_owned(),
                divergences,
            });
        }
        Ok(report)
    }

    /// A fresh instance (the module's start function has run).
    pub fn instantiate(&self) -> Result<Instance, SimError> {
        self.contract.instantiate()
    }

    /// The compiled contract: replays, scenarios, its simulator.
    pub fn contract(&self) -> &Contract {
        &self.contract
    }

    /// The wasm the crate built to.
    pub fn wasm(&self) -> &[u8] {
        &self.wasm
    }
}

/// A scenario file, its contract compiled under its settings, and the wasm.
fn load_scenario(path: &Path) -> Result<(ScenarioFile, Contract, Vec<u8>), TestError> {
    let file = ScenarioFile::load(path)?;
    let wasm = match &file.contract {
        ContractSource::Crate(dir) => {
            let options = BuildOptions {
                allocator: file.allocator,
                ..BuildOptions::default()
            };
            build_contract(dir, &options)
                .map_err(|source| TestError::Build {
                    dir: dir.clone(),
                    source,
                })?
                .wasm
        }
        ContractSource::Wasm(wasm) => {
            crate::limits::read_capped(wasm, crate::limits::DEFAULT_MAX_WASM_SIZE as u64)?
        }
    };
    let contract = file.simulator_builder(&wasm, None).build()?.load(&wasm)?;
    Ok((file, contract, wasm))
}
