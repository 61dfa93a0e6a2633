//! `capheap-sim fuzz`: many calls on one instance with generated inputs,
//! watching memory after each. It reports unbounded growth (memory or live
//! bytes still rising over the last calls of a run, with the rate), cap hits,
//! traps and aborts, each with the inputs that caused it, shrinks the call
//! sequence to a small one and turns it into a scenario file that
//! `capheap-sim replay` runs. Deterministic for a seed: run `r` draws its
//! inputs from ChaCha8 stream `r` of that seed.
//!
//! A contract that grows memory by a page on every call, found, shrunk, and
//! written as a scenario file that reproduces it:
//!
//! ```
//! use capheap_sim::fuzzing::campaign::{Campaign, FuzzFinding, FuzzOptions, repro_scenario};
//! use capheap_sim::fuzzing::input::InputTemplate;
//! use capheap_sim::scenario_file::ScenarioFile;
//! use capheap_sim::Simulator;
//!
//! // capheap's ABI: the input is placed through `capheap_alloc`, then the
//! // entry point gets `(ptr, len)`.
//! let wasm = wat::parse_str(
//!     r#"(module (memory (export "memory") 1)
//!          (func (export "capheap_alloc") (param i32) (result i32) (i32.const 1024))
//!          (func (export "leak") (param i32 i32) (drop (memory.grow (i32.const 1)))))"#,
//! )?;
//! let contract = Simulator::new().load(&wasm)?;
//! let options = FuzzOptions { runs: 4, calls_per_run: 32, ..FuzzOptions::default() };
//! let campaign = Campaign::new(&contract, "leak", InputTemplate::Bytes { max_len: 16 }, options)?;
//! let report = campaign.run(|_calls_so_far| true)?;
//!
//! // Reported once, shrunk from the 32 calls of run 0.
//! assert_eq!(report.findings.len(), 1);
//! let finding = &report.findings[0];
//! let FuzzFinding::UnboundedGrowth { measure, bytes_per_call, run, calls, pages, .. } = finding else {
//!     panic!("expected unbounded growth, got {finding:?}");
//! };
//! assert_eq!((measure.as_str(), *bytes_per_call, *run), ("memory", 65536, 0));
//! assert!(calls.len() < 32);
//! assert_eq!(pages.last(), Some(&(calls.len() as u32 + 1)));
//!
//! // The reproduction is a scenario file whose every expectation holds.
//! let text = repro_scenario("leak", "leak.wasm", contract.abi(), "leak", &[], finding);
//! let file = ScenarioFile::parse(&text, "leak.toml".as_ref())?;
//! let replayed = contract.run_scenario(&file.scenario(), 0)?;
//! assert_eq!(replayed.calls.len(), calls.len());
//! assert!(file.misses(&replayed.calls).is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt::Write as _;

use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;
use serde::Serialize;

use super::input::{AddressPool, InputTemplate};
use crate::contract::Contract;
use crate::error::{Result, SimError};
use crate::host::CallEnv;
use crate::outcome::CallOutcome;

/// Most calls in one run.
pub const MAX_CALLS_PER_RUN: usize = 100_000;

/// Most calls one shrink may execute.
pub const SHRINK_BUDGET: u64 = 200_000;

/// How to fuzz.
#[derive(Clone, Debug)]
pub struct FuzzOptions {
    /// The seed of every input.
    pub seed: u64,
    /// Runs to make (each a fresh instance).
    pub runs: u64,
    /// Calls per run, on one instance.
    pub calls_per_run: usize,
    /// Growth in the last `window` calls of a run, with no plateau, is
    /// unbounded growth (at least 2; a run shorter than twice the window is
    /// judged on its second half).
    pub window: usize,
    /// Who makes the calls (chain ABIs): senders are drawn from
    /// `senders` when it is not empty, else the chain's default.
    pub senders: Vec<String>,
    /// Calls made at the start of every run, before the fuzzed ones (e.g. a
    /// token's instantiation and mint): not fuzzed, not counted, and written
    /// first into every reproduction.
    pub setup: Vec<crate::ScenarioCall>,
    /// Stop after this many findings (at least 1).
    pub max_findings: usize,
    /// Undo failed calls, as a chain reverts a failed transaction. With a
    /// simulator that keeps failed writes
    /// ([`SimulatorBuilder::keep_failed_writes`](crate::SimulatorBuilder::keep_failed_writes)),
    /// the campaign undoes them itself by re-running the run's successful
    /// calls on a fresh instance: free when calls succeed, which is why
    /// `capheap-sim fuzz` uses such a simulator.
    pub revert_failed: bool,
}

impl Default for FuzzOptions {
    fn default() -> Self {
        FuzzOptions {
            seed: 0,
            runs: 100,
            calls_per_run: 64,
            window: 16,
            senders: Vec::new(),
            setup: Vec::new(),
            max_findings: 5,
            revert_failed: true,
        }
    }
}

/// One call of a finding's sequence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FuzzCall {
    /// The input.
    #[serde(with = "crate::hex::serde_bytes")]
    pub input: Vec<u8>,
    /// The sender, if the campaign chose one.
    pub sender: Option<String>,
}

/// What a campaign found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum FuzzFinding {
    /// Memory or live bytes kept rising over the last calls of a run.
    UnboundedGrowth {
        /// What rose: `live bytes` (the contract exports capheap's stats)
        /// or `memory` (bytes of linear memory).
        measure: String,
        /// Bytes per call over the window, rounded down.
        bytes_per_call: u64,
        /// The run it happened in.
        run: u64,
        /// The shrunk call sequence that still shows it.
        calls: Vec<FuzzCall>,
        /// Pages after each call of the shrunk sequence.
        pages: Vec<u32>,
        /// The measure after each call of the shrunk sequence (live bytes,
        /// or bytes of memory).
        footprints: Vec<u64>,
    },
    /// A call ended at a cap (pages, growth budget, capheap's heap cap).
    CapHit {
        /// The error or counter that showed it.
        what: String,
        /// The error the last call ended with, if it failed (a capheap heap
        /// may refuse an allocation as a value instead).
        error: Option<String>,
        /// The run.
        run: u64,
        /// The shrunk sequence ending with the call that hit it.
        calls: Vec<FuzzCall>,
    },
    /// A call trapped or aborted (a panic in the contract, typically).
    Trap {
        /// The error.
        error: String,
        /// The run.
        run: u64,
        /// The shrunk sequence ending with the trapping call.
        calls: Vec<FuzzCall>,
    },
}

impl FuzzFinding {
    /// The finding's calls.
    pub fn calls(&self) -> &[FuzzCall] {
        match self {
            FuzzFinding::UnboundedGrowth { calls, .. }
            | FuzzFinding::CapHit { calls, .. }
            | FuzzFinding::Trap { calls, .. } => calls,
        }
    }

    /// One line for a person.
    ///
    /// ```
    /// use capheap_sim::fuzzing::campaign::{FuzzCall, FuzzFinding};
    ///
    /// let call = FuzzCall { input: vec![1, 2], sender: None };
    /// let f = FuzzFinding::Trap { error: "wasm trap: unreachable".into(), run: 3, calls: vec![call] };
    /// assert_eq!(f.summary(), "trap: wasm trap: unreachable (run 3; 1 call reproduces it)");
    /// assert_eq!(f.calls()[0].input, [1, 2]);
    /// ```
    pub fn summary(&self) -> String {
        match self {
            FuzzFinding::UnboundedGrowth {
                measure,
                bytes_per_call,
                run,
                calls,
                ..
            } => format!(
                "unbounded growth: {measure} rising by {bytes_per_call} bytes per call (run {run}; {})",
                reproduced_by(calls.len())
            ),
            FuzzFinding::CapHit {
                what, run, calls, ..
            } => {
                format!(
                    "cap hit: {what} (run {run}; {})",
                    reproduced_by(calls.len())
                )
            }
            FuzzFinding::Trap { error, run, calls } => {
                format!("trap: {error} (run {run}; {})", reproduced_by(calls.len()))
            }
        }
    }
}

/// "1 call reproduces it", "8 calls reproduce it".
fn reproduced_by(calls: usize) -> String {
    match calls {
        1 => "1 call reproduces it".to_owned(),
        n => format!("{n} calls reproduce it"),
    }
}

/// What a campaign did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FuzzReport {
    /// The seed.
    pub seed: u64,
    /// Runs made.
    pub runs: u64,
    /// Calls made (shrinking not counted).
    pub calls: u64,
    /// Calls that failed (rejected inputs included).
    pub failed_calls: u64,
    /// Most pages after any call.
    pub max_pages: u32,
    /// What was found, in order.
    pub findings: Vec<FuzzFinding>,
}

/// Memory footprint after a call: capheap's live bytes when the contract
/// reports them, else bytes of linear memory.
fn footprint(outcome: &CallOutcome) -> (u64, &'static str) {
    match &outcome.stats {
        Some(stats) => (stats.live_bytes, "live bytes"),
        None => (
            u64::from(outcome.pages_after) * crate::limits::PAGE_SIZE,
            "memory",
        ),
    }
}

/// Whether a series rose over its last `window` values with no plateau: the
/// last value above the one `window` back, and rising in at least half of
/// the steps.
fn rising(series: &[u64], window: usize) -> Option<u64> {
    let n = series.len();
    if window < 2 || n <= window {
        return None;
    }
    let tail = &series[n - window - 1..];
    let steps = tail.windows(2).filter(|w| w[1] > w[0]).count();
    let (first, last) = (tail[0], tail[window]);
    (last > first && steps * 2 >= window).then(|| (last - first) / window as u64)
}

fn cap_hit(outcome: &CallOutcome, before: Option<u64>) -> Option<String> {
    if let Some(e) = &outcome.error {
        match e {
            SimError::LimitExceeded { limit, .. }
                if *limit == crate::limits::Limit::MemoryPages =>
            {
                return Some(e.to_string());
            }
            SimError::GrowthOutOfFuel { .. } => return Some(e.to_string()),
            _ => {}
        }
    }
    let failed = outcome.stats.map(|s| s.failed_cap + s.failed_budget)?;
    (failed > before.unwrap_or(0))
        .then(|| format!("the heap refused an allocation at its cap ({failed} so far)"))
}

fn trap(outcome: &CallOutcome) -> Option<String> {
    let e = outcome.error.as_ref()?;
    matches!(
        e.kind(),
        "trap" | "abort" | "limit-exceeded" | "host" | "bad-region" | "invalid-contract-result"
    )
    .then(|| e.to_string())
}

/// A campaign over one contract and entry point.
pub struct Campaign<'a> {
    contract: &'a Contract,
    entry: String,
    template: InputTemplate,
    pool: AddressPool,
    options: FuzzOptions,
    /// Calls the shrink in progress may still execute.
    shrink_budget: std::cell::Cell<u64>,
}

impl<'a> Campaign<'a> {
    /// A campaign calling `entry` of `contract` with inputs from `template`.
    /// Options out of range and a template that cannot produce inputs (a bad
    /// Solidity signature) are errors here, before any call.
    ///
    /// ```
    /// # use capheap_sim::fuzzing::campaign::{Campaign, FuzzOptions};
    /// # use capheap_sim::fuzzing::input::InputTemplate;
    /// # let wasm = wat::parse_str(
    /// #     r#"(module (memory (export "memory") 1)
    /// #          (func (export "capheap_alloc") (param i32) (result i32) (i32.const 1024))
    /// #          (func (export "leak") (param i32 i32) (drop (memory.grow (i32.const 1)))))"#,
    /// # )?;
    /// # let contract = capheap_sim::Simulator::new().load(&wasm)?;
    /// let template = InputTemplate::Bytes { max_len: 8 };
    /// let zero = FuzzOptions { calls_per_run: 0, ..FuzzOptions::default() };
    /// let Err(err) = Campaign::new(&contract, "leak", template.clone(), zero) else { panic!() };
    /// assert_eq!(err.to_string(), "invalid configuration: calls per run must be 1 to 100000, not 0");
    ///
    /// let blind = FuzzOptions { window: 1, ..FuzzOptions::default() };
    /// assert!(Campaign::new(&contract, "leak", template.clone(), blind).is_err());
    ///
    /// let bad_sig = InputTemplate::Solidity { sig: "transfer(address,uint257)".into() };
    /// assert!(Campaign::new(&contract, "leak", bad_sig, FuzzOptions::default()).is_err());
    /// assert!(Campaign::new(&contract, "leak", template, FuzzOptions::default()).is_ok());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(
        contract: &'a Contract,
        entry: &str,
        template: InputTemplate,
        options: FuzzOptions,
    ) -> Result<Self> {
        template.validate()?;
        if options.calls_per_run == 0 || options.calls_per_run > MAX_CALLS_PER_RUN {
            return Err(SimError::Config(format!(
                "calls per run must be 1 to {MAX_CALLS_PER_RUN}, not {}",
                options.calls_per_run
            )));
        }
        // A window below 2 calls could never show a rise, and no findings
        // allowed would stop after the first run: both would fuzz in vain
        // without saying so.
        if options.window < 2 {
            return Err(SimError::Config(format!(
                "the growth window must be at least 2 calls, not {}",
                options.window
            )));
        }
        if options.max_findings == 0 {
            return Err(SimError::Config(
                "max findings must be at least 1".to_owned(),
            ));
        }
        let sim = contract.simulator();
        let cosmwasm = sim.cosmwasm_env();
        let bech32 = (0..4)
            .map(|i| cosmwasm.address(&format!("user{i}")))
            .collect::<Result<Vec<_>>>()?;
        let evm = (1..=4u8)
            .map(alloy_primitives::Address::repeat_byte)
            .collect();
        Ok(Campaign {
            contract,
            entry: entry.to_owned(),
            template,
            pool: AddressPool { evm, bech32 },
            options,
            shrink_budget: std::cell::Cell::new(SHRINK_BUDGET),
        })
    }

    /// The options.
    pub fn options(&self) -> &FuzzOptions {
        &self.options
    }

    /// The addresses inputs and senders are drawn from.
    pub fn pool(&self) -> &AddressPool {
        &self.pool
    }

    fn rng(&self, run: u64) -> ChaCha8Rng {
        let mut rng = ChaCha8Rng::seed_from_u64(self.options.seed);
        rng.set_stream(run);
        rng
    }

    /// The calls of run `run`: the same for the same seed and run, on any
    /// machine (ChaCha8 stream `run` of the seed).
    ///
    /// ```
    /// # use capheap_sim::fuzzing::campaign::{Campaign, FuzzOptions};
    /// # use capheap_sim::fuzzing::input::InputTemplate;
    /// # let wasm = wat::parse_str(
    /// #     r#"(module (memory (export "memory") 1)
    /// #          (func (export "capheap_alloc") (param i32) (result i32) (i32.const 1024))
    /// #          (func (export "leak") (param i32 i32) (drop (memory.grow (i32.const 1)))))"#,
    /// # )?;
    /// # let contract = capheap_sim::Simulator::new().load(&wasm)?;
    /// let options = FuzzOptions { seed: 7, calls_per_run: 5, ..FuzzOptions::default() };
    /// let campaign = Campaign::new(&contract, "leak", InputTemplate::Bytes { max_len: 8 }, options)?;
    /// let run3 = campaign.calls_of(3)?;
    /// assert_eq!(run3.len(), 5);
    /// assert!(run3.iter().all(|c| c.input.len() <= 8 && c.sender.is_none()));
    /// assert_eq!(run3, campaign.calls_of(3)?);
    /// assert_ne!(run3, campaign.calls_of(4)?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn calls_of(&self, run: u64) -> Result<Vec<FuzzCall>> {
        let mut rng = self.rng(run);
        (0..self.options.calls_per_run)
            .map(|_| {
                let input = self.template.generate(&mut rng, &self.pool)?;
                let sender = (!self.options.senders.is_empty()).then(|| {
                    let i =
                        rand_core::RngCore::next_u64(&mut rng) % self.options.senders.len() as u64;
                    self.options.senders[i as usize].clone()
                });
                Ok(FuzzCall { input, sender })
            })
            .collect()
    }

    /// Runs `calls` on a fresh instance (after the options' setup calls),
    /// one outcome per call.
    ///
    /// ```
    /// # use capheap_sim::fuzzing::campaign::{Campaign, FuzzOptions};
    /// # use capheap_sim::fuzzing::input::InputTemplate;
    /// # let wasm = wat::parse_str(
    /// #     r#"(module (memory (export "memory") 1)
    /// #          (func (export "capheap_alloc") (param i32) (result i32) (i32.const 1024))
    /// #          (func (export "leak") (param i32 i32) (drop (memory.grow (i32.const 1)))))"#,
    /// # )?;
    /// # let contract = capheap_sim::Simulator::new().load(&wasm)?;
    /// let campaign = Campaign::new(&contract, "leak", InputTemplate::Bytes { max_len: 8 }, FuzzOptions::default())?;
    /// let calls = campaign.calls_of(0)?;
    /// let outcomes = campaign.execute(&calls[..3])?;
    /// let pages: Vec<u32> = outcomes.iter().map(|o| o.pages_after).collect();
    /// assert_eq!(pages, [2, 3, 4]);
    /// // A fresh instance each time: the same calls, the same pages.
    /// assert_eq!(campaign.execute(&calls[..3])?[2].pages_after, 4);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn execute(&self, calls: &[FuzzCall]) -> Result<Vec<CallOutcome>> {
        let replay_to_revert = self.options.revert_failed
            && self.contract.simulator().keeps_failed_writes()
            && self.contract.abi() == crate::Abi::Capheap;
        let one = |instance: &mut crate::Instance, call: &FuzzCall| {
            instance.set_call_env(CallEnv {
                sender: call.sender.clone(),
                ..CallEnv::default()
            });
            instance.execute(&self.entry, &call.input)
        };
        let fresh = || -> Result<crate::Instance> {
            let mut instance = self.contract.instantiate()?;
            for setup in &self.options.setup {
                instance.set_call_env(setup.env.clone());
                for _ in 0..setup.repeat {
                    instance.execute(&setup.export, &setup.input);
                }
            }
            Ok(instance)
        };
        let mut instance = fresh()?;
        let mut succeeded: Vec<&FuzzCall> = Vec::new();
        let mut outcomes = Vec::with_capacity(calls.len());
        for call in calls {
            let outcome = one(&mut instance, call);
            if outcome.is_ok() {
                succeeded.push(call);
            } else if replay_to_revert {
                // Undo the failed call: the run's successful calls again, on
                // a fresh instance (deterministic, so the same state).
                instance = fresh()?;
                for earlier in &succeeded {
                    one(&mut instance, earlier);
                }
            }
            outcomes.push(outcome);
        }
        Ok(outcomes)
    }

    /// Runs the campaign; `progress` is told the calls made so far after
    /// each run and may stop it early (return `false`). The module docs show
    /// a finding and its reproduction.
    ///
    /// ```
    /// # use capheap_sim::fuzzing::campaign::{Campaign, FuzzOptions};
    /// # use capheap_sim::fuzzing::input::InputTemplate;
    /// # let wasm = wat::parse_str(
    /// #     r#"(module (memory (export "memory") 1)
    /// #          (func (export "capheap_alloc") (param i32) (result i32) (i32.const 1024))
    /// #          (func (export "leak") (param i32 i32) (drop (memory.grow (i32.const 1)))))"#,
    /// # )?;
    /// # let contract = capheap_sim::Simulator::new().load(&wasm)?;
    /// let options = FuzzOptions { runs: 10, calls_per_run: 4, ..FuzzOptions::default() };
    /// let campaign = Campaign::new(&contract, "leak", InputTemplate::Bytes { max_len: 8 }, options)?;
    /// // Stop after the second run.
    /// let report = campaign.run(|calls_so_far| calls_so_far < 8)?;
    /// assert_eq!((report.runs, report.calls, report.failed_calls), (2, 8, 0));
    /// // Four calls of a fresh instance grow it from 1 page to 5.
    /// assert_eq!(report.max_pages, 5);
    /// // The leak is reported once, from run 0, not again for run 1.
    /// assert_eq!(report.findings.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn run(&self, mut progress: impl FnMut(u64) -> bool) -> Result<FuzzReport> {
        let mut report = FuzzReport {
            seed: self.options.seed,
            runs: 0,
            calls: 0,
            failed_calls: 0,
            max_pages: 0,
            findings: Vec::new(),
        };
        // Each kind of finding is reported once (the first, shrunk), so a leak
        // does not fill the report run after run.
        let mut seen_traps = std::collections::BTreeSet::new();
        let mut seen_cap_hit = false;
        let mut seen_growth = false;
        for run in 0..self.options.runs {
            let calls = self.calls_of(run)?;
            let outcomes = self.execute(&calls)?;
            if let Some(e) = outcomes.first().and_then(|o| o.error.as_ref())
                && matches!(
                    e.kind(),
                    "missing-export" | "not-a-function" | "wrong-signature"
                )
            {
                return Err(e.clone());
            }
            report.runs += 1;
            report.calls += outcomes.len() as u64;
            report.failed_calls += outcomes.iter().filter(|o| !o.is_ok()).count() as u64;
            report.max_pages = outcomes
                .iter()
                .map(|o| o.pages_after)
                .fold(report.max_pages, u32::max);
            let mut failed_before = None;
            for (i, outcome) in outcomes.iter().enumerate() {
                if let Some(what) = cap_hit(outcome, failed_before) {
                    if !seen_cap_hit {
                        seen_cap_hit = true;
                        let calls =
                            self.shrink_ending(&calls[..=i], |o| cap_hit(o, None).is_some())?;
                        let error = self
                            .execute(&calls)?
                            .last()
                            .and_then(|o| o.error.as_ref().map(ToString::to_string));
                        report.findings.push(FuzzFinding::CapHit {
                            what,
                            error,
                            run,
                            calls,
                        });
                    }
                    // Past the cap, failures are the cap's, not new findings.
                    break;
                }
                failed_before = outcome.stats.map(|s| s.failed_cap + s.failed_budget);
                if let Some(error) = trap(outcome) {
                    let kind = outcome
                        .error
                        .as_ref()
                        .map(SimError::kind)
                        .unwrap_or_default();
                    // One finding per kind of trap: numbers (sizes, addresses)
                    // do not make a new one.
                    let key: String = format!("{kind}:{error}")
                        .chars()
                        .filter(|c| !c.is_ascii_digit())
                        .collect();
                    if seen_traps.insert(key) {
                        let calls = self.shrink_ending(&calls[..=i], |o| {
                            o.error.as_ref().is_some_and(|e| e.kind() == kind)
                        })?;
                        report
                            .findings
                            .push(FuzzFinding::Trap { error, run, calls });
                    }
                }
            }
            let series: Vec<u64> = outcomes.iter().map(|o| footprint(o).0).collect();
            if let Some(rate) = rising(&series, self.options.window.min(calls.len() / 2))
                && !seen_growth
            {
                seen_growth = true;
                let measure = outcomes
                    .last()
                    .map_or("memory", |o| footprint(o).1)
                    .to_owned();
                let calls = self.shrink_growth(&calls)?;
                let shrunk = self.execute(&calls)?;
                report.findings.push(FuzzFinding::UnboundedGrowth {
                    measure,
                    bytes_per_call: rate,
                    run,
                    calls,
                    pages: shrunk.iter().map(|o| o.pages_after).collect(),
                    footprints: shrunk.iter().map(|o| footprint(o).0).collect(),
                });
            }
            if report.findings.len() >= self.options.max_findings || !progress(report.calls) {
                break;
            }
        }
        Ok(report)
    }

    /// Runs `seq` for shrinking, within the shrinking budget (`None` once
    /// it is spent).
    fn try_run(&self, seq: &[FuzzCall]) -> Result<Option<Vec<CallOutcome>>> {
        let left = self.shrink_budget.get();
        if left < seq.len() as u64 {
            return Ok(None);
        }
        self.shrink_budget.set(left - seq.len() as u64);
        self.execute(seq).map(Some)
    }

    /// Shrinks `calls` (whose last call shows `bad`): the last call alone;
    /// else its largest input repeated as few times as still shows it (how
    /// a leak reaches a cap); else dropping earlier calls, chunk by chunk,
    /// within the shrinking budget.
    fn shrink_ending(
        &self,
        calls: &[FuzzCall],
        bad: impl Fn(&CallOutcome) -> bool,
    ) -> Result<Vec<FuzzCall>> {
        self.shrink_budget.set(SHRINK_BUDGET);
        let holds = |seq: &[FuzzCall]| -> Result<Option<bool>> {
            Ok(self.try_run(seq)?.map(|o| o.last().is_some_and(&bad)))
        };
        let Some(last) = calls.last() else {
            return Ok(Vec::new());
        };
        if holds(std::slice::from_ref(last))? == Some(true) {
            return Ok(vec![last.clone()]);
        }
        if let Some(largest) = calls.iter().max_by_key(|c| c.input.len()) {
            let (mut lo, mut hi) = (1usize, calls.len().max(1));
            if holds(&vec![largest.clone(); hi])? == Some(true) {
                while lo < hi {
                    let mid = lo + (hi - lo) / 2;
                    match holds(&vec![largest.clone(); mid])? {
                        Some(true) => hi = mid,
                        Some(false) => lo = mid + 1,
                        None => break,
                    }
                }
                return Ok(vec![largest.clone(); hi]);
            }
        }
        let mut seq = calls.to_vec();
        let mut chunk = seq.len() / 2;
        while chunk >= 1 {
            let mut start = 0;
            while start + chunk < seq.len() {
                let mut candidate = seq.clone();
                candidate.drain(start..start + chunk);
                match holds(&candidate)? {
                    Some(true) => seq = candidate,
                    Some(false) => start += chunk,
                    None => return Ok(seq),
                }
            }
            chunk /= 2;
        }
        Ok(seq)
    }

    /// Shrinks a growing sequence: one input repeated if that still grows,
    /// else fewer calls (at least 4), within the shrinking budget.
    fn shrink_growth(&self, calls: &[FuzzCall]) -> Result<Vec<FuzzCall>> {
        const MIN: usize = 4;
        self.shrink_budget.set(SHRINK_BUDGET);
        let grows = |seq: &[FuzzCall]| -> Result<Option<bool>> {
            Ok(self.try_run(seq)?.map(|outcomes| {
                let series: Vec<u64> = outcomes.iter().map(|o| footprint(o).0).collect();
                rising(&series, series.len().saturating_sub(1)).is_some()
            }))
        };
        for call in calls.iter().take(16) {
            let repeated = vec![call.clone(); MIN * 2];
            if grows(&repeated)? == Some(true) {
                return Ok(repeated);
            }
        }
        let mut seq = calls.to_vec();
        let mut chunk = seq.len() / 2;
        while chunk >= 1 {
            let mut start = 0;
            while start + chunk <= seq.len() && seq.len() - chunk >= MIN {
                let mut candidate = seq.clone();
                candidate.drain(start..start + chunk);
                match grows(&candidate)? {
                    Some(true) => seq = candidate,
                    Some(false) => start += chunk,
                    None => return Ok(seq),
                }
            }
            chunk /= 2;
        }
        Ok(seq)
    }
}

/// A scenario file that replays `finding` on the contract at `contract`
/// (a path as the file should name it): its calls as `input_hex`, and an
/// expectation that reproduces the finding (the last call's pages for
/// growth, the error kind for a trap or cap hit).
pub fn repro_scenario(
    name: &str,
    contract: &str,
    abi: crate::Abi,
    entry: &str,
    setup: &[crate::ScenarioCall],
    finding: &FuzzFinding,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Written by `capheap-sim fuzz`: {}",
        finding.summary()
    );
    let _ = writeln!(out, "# `capheap-sim replay <this file>` reproduces it.");
    let _ = writeln!(out, "name = {}", toml::Value::String(name.to_owned()));
    let _ = writeln!(
        out,
        "contract = {}",
        toml::Value::String(contract.to_owned())
    );
    let _ = writeln!(out, "abi = \"{abi}\"");
    for call in setup {
        let _ = writeln!(
            out,
            "\n[[call]]  # setup\nexport = {}",
            toml::Value::String(call.export.clone())
        );
        let _ = writeln!(out, "input_hex = \"{}\"", crate::hex::encode(&call.input));
        if let Some(sender) = &call.env.sender {
            let _ = writeln!(out, "sender = {}", toml::Value::String(sender.clone()));
        }
        if call.repeat > 1 {
            let _ = writeln!(out, "repeat = {}", call.repeat);
        }
    }
    let calls = finding.calls();
    // Consecutive identical calls become one `[[call]]` with `repeat`,
    // except where the finding puts an expectation on each call.
    let per_call = matches!(finding, FuzzFinding::UnboundedGrowth { .. });
    let mut i = 0;
    while i < calls.len() {
        let last_index = calls.len() - 1;
        let mut run = 1;
        while !per_call && i + run < last_index && calls[i + run] == calls[i] {
            run += 1;
        }
        let call = &calls[i];
        let _ = writeln!(
            out,
            "\n[[call]]\nexport = {}",
            toml::Value::String(entry.to_owned())
        );
        let _ = writeln!(out, "input_hex = \"{}\"", crate::hex::encode(&call.input));
        if let Some(sender) = &call.sender {
            let _ = writeln!(out, "sender = {}", toml::Value::String(sender.clone()));
        }
        if run > 1 {
            let _ = writeln!(out, "repeat = {run}");
        }
        match finding {
            FuzzFinding::UnboundedGrowth {
                measure,
                pages,
                footprints,
                ..
            } => {
                if let (Some(p), Some(f)) = (pages.get(i), footprints.get(i)) {
                    if measure == "live bytes" {
                        let _ = writeln!(out, "expect = {{ pages_after = {p}, live_bytes = {f} }}");
                    } else {
                        let _ = writeln!(out, "expect = {{ pages_after = {p} }}");
                    }
                }
            }
            FuzzFinding::Trap { error, .. }
            | FuzzFinding::CapHit {
                error: Some(error), ..
            } if i == last_index => {
                let _ = writeln!(
                    out,
                    "expect = {{ error = {} }}",
                    toml::Value::String(error.clone())
                );
            }
            _ => {}
        }
        i += run;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rising_needs_a_trend_not_a_step() {
        assert_eq!(rising(&[0, 1, 2, 3, 4, 5, 6, 7, 8], 4), Some(1));
        // One jump, then flat: a bigger input, not a leak.
        assert_eq!(rising(&[0, 0, 0, 0, 9, 9, 9, 9, 9], 4), None);
        assert_eq!(rising(&[5, 5, 5, 5, 5], 4), None);
        assert_eq!(rising(&[1, 2], 4), None);
    }
}
