//! Determinism replays: run a scenario N times on fresh instances and once
//! from a restored snapshot, and compare every call.
//!
//! Run 0 is the reference. Every other run, and the snapshot replay, is
//! compared call by call on output, return value, fuel breakdown, pages,
//! growth events, memory root, storage root, logs, stats and error. The first
//! divergence of each replay is reported with the call, both fuel figures
//! and, when memory differs, the first differing page (from the page
//! digests), byte offset and both bytes. To find the byte the reference run
//! is re-executed up to the divergent call (runs are deterministic by
//! construction unless a host input varies, and the reference's inputs are
//! fixed), so no memory copies are kept while replaying.
//!
//! A host function that returns the run's seed models a host input that
//! differs between nodes; the replay with another seed diverges, and says
//! where:
//!
//! ```
//! use capheap_sim::replay::ReplaySource;
//! use capheap_sim::{HostContext, ReplayOptions, Scenario, ScenarioCall, Simulator, Val, ValType, replay};
//!
//! let sim = Simulator::builder()
//!     .host_func("env", "oracle", [], [ValType::I32], |cx: &mut HostContext<'_>, _: &[Val], out: &mut [Val]| {
//!         out[0] = Val::I32(cx.seed() as i32);
//!         Ok(())
//!     })
//!     .build()?;
//! let wasm = wat::parse_str(
//!     r#"(module (import "env" "oracle" (func $oracle (result i32)))
//!          (memory (export "memory") 1)
//!          (func (export "tick") (i32.store (i32.const 1024) (call $oracle))))"#,
//! )?;
//! let contract = sim.load(&wasm)?;
//! let scenario = Scenario::new().call(ScenarioCall::new("tick", []).repeat(4));
//!
//! // Three runs with seed 0 and a replay from the snapshot after call #1: all agree.
//! let report = replay(&contract, &scenario, &ReplayOptions::default())?;
//! assert!(report.deterministic);
//! assert_eq!(report.snapshot.as_ref().map(|s| (s.after_call, s.calls)), Some((1, 2)));
//!
//! // Run 2 sees another oracle value.
//! let options = ReplayOptions { runs: 3, seeds: vec![0, 0, 9], ..ReplayOptions::default() };
//! let report = replay(&contract, &scenario, &options)?;
//! assert!(!report.deterministic);
//! let d = &report.divergences[0];
//! assert_eq!(d.source, ReplaySource::Run { index: 2, seed: 9 });
//! assert_eq!(d.lines(), [
//!     "run 2 (seed 9) diverged at call #0 (tick): memory root differs",
//!     "  fuel 4 (reference) vs 4; pages 1 vs 1",
//!     "  memory: first difference on page 0 at offset 0x400: 0x00 (reference) vs 0x09",
//! ]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use serde::Serialize;

use crate::contract::Contract;
use crate::error::{Result, SimError};
use crate::instance::Instance;
use crate::memroot::{Digest, MemoryRoot, first_difference};
use crate::outcome::CallOutcome;
use crate::scenario::{CallRecord, Scenario, Step, execute_step};
use crate::snapshot::Snapshot;

/// Where the snapshot replay starts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SnapshotPoint {
    /// No snapshot replay.
    Off,
    /// After the middle call (`(len - 1) / 2`).
    #[default]
    Middle,
    /// After call `n` (0-based, repeats expanded).
    AfterCall(usize),
}

/// How to replay.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReplayOptions {
    /// Runs on fresh instances, the reference included (at least 1).
    pub runs: usize,
    /// Seed of run `i` (missing entries are 0). Custom host functions read
    /// it with [`HostContext::seed`](crate::HostContext::seed): varying it
    /// models a host input that differs between replays.
    pub seeds: Vec<u64>,
    /// Where the snapshot replay starts.
    pub snapshot: SnapshotPoint,
}

impl Default for ReplayOptions {
    fn default() -> Self {
        ReplayOptions {
            runs: 3,
            seeds: Vec::new(),
            snapshot: SnapshotPoint::Middle,
        }
    }
}

impl ReplayOptions {
    /// The seed of run `run`.
    ///
    /// ```
    /// use capheap_sim::ReplayOptions;
    ///
    /// let options = ReplayOptions { seeds: vec![5, 6], ..ReplayOptions::default() };
    /// assert_eq!((options.seed(1), options.seed(2)), (6, 0));
    /// ```
    pub fn seed(&self, run: usize) -> u64 {
        self.seeds.get(run).copied().unwrap_or(0)
    }
}

/// Which replay diverged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum ReplaySource {
    /// Run `index` on a fresh instance.
    Run {
        /// The run.
        index: usize,
        /// Its seed.
        seed: u64,
    },
    /// The replay from the snapshot taken after `after_call`.
    Snapshot {
        /// The call after which the snapshot was taken.
        after_call: usize,
    },
}

/// A field of a [`CallOutcome`] that differed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Field {
    /// Output bytes.
    Output,
    /// Raw return value.
    Returned,
    /// Fuel breakdown.
    Fuel,
    /// Pages before or after, or the high-water mark.
    Pages,
    /// Growth events.
    Growth,
    /// Memory root.
    MemoryRoot,
    /// Storage root.
    StorageRoot,
    /// Logs.
    Logs,
    /// Allocator stats.
    Stats,
    /// Error.
    Error,
}

impl std::fmt::Display for Field {
    /// The field as a person reads it (`memory root`), as
    /// [`Divergence::lines`] names it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Field::Output => "output",
            Field::Returned => "return value",
            Field::Fuel => "fuel",
            Field::Pages => "pages",
            Field::Growth => "growth",
            Field::MemoryRoot => "memory root",
            Field::StorageRoot => "storage root",
            Field::Logs => "logs",
            Field::Stats => "stats",
            Field::Error => "error",
        })
    }
}

/// Where memory diverged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MemoryDivergence {
    /// First page whose digest differs.
    pub page: u32,
    /// First differing byte offset in linear memory (`None` if the reference
    /// memory could not be reproduced).
    pub offset: Option<u64>,
    /// The reference's byte there (`None`: past its memory's end).
    pub expected: Option<u8>,
    /// The replay's byte there (`None`: past its memory's end).
    pub actual: Option<u8>,
    /// A remark when the location is incomplete.
    pub note: Option<String>,
}

/// The first call at which a replay differed from the reference.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Divergence {
    /// Which replay.
    pub source: ReplaySource,
    /// The call (repeats expanded).
    pub call_index: usize,
    /// Its scenario call and repetition.
    pub step: usize,
    /// Repetition of that scenario call.
    pub iteration: u32,
    /// The export.
    pub export: String,
    /// What differed.
    pub fields: Vec<Field>,
    /// The reference's total fuel.
    pub expected_fuel: u64,
    /// The replay's total fuel.
    pub actual_fuel: u64,
    /// The reference's pages after the call.
    pub expected_pages: u32,
    /// The replay's pages after the call.
    pub actual_pages: u32,
    /// The reference's memory root.
    pub expected_memory_root: Option<Digest>,
    /// The replay's memory root.
    pub actual_memory_root: Option<Digest>,
    /// Where memory differs, when it does.
    pub memory: Option<MemoryDivergence>,
    /// The reference's error.
    pub expected_error: Option<SimError>,
    /// The replay's error.
    pub actual_error: Option<SimError>,
}

/// The snapshot replay.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SnapshotReplay {
    /// The call after which the snapshot was taken.
    pub after_call: usize,
    /// Size of the snapshot file form in bytes.
    pub bytes: usize,
    /// Calls replayed from it.
    pub calls: usize,
    /// Its first divergence from the reference, if any.
    pub divergence: Option<Divergence>,
}

impl Divergence {
    /// The divergence as lines for a person: where, what differs, and the
    /// first differing byte of memory.
    pub fn lines(&self) -> Vec<String> {
        let d = self;
        let source = match d.source {
            ReplaySource::Run { index, seed } => format!("run {index} (seed {seed})"),
            ReplaySource::Snapshot { after_call } => {
                format!("the replay from the snapshot after call #{after_call}")
            }
        };
        let fields: Vec<String> = d.fields.iter().map(ToString::to_string).collect();
        let verb = if fields.len() == 1 {
            "differs"
        } else {
            "differ"
        };
        let mut lines = vec![format!(
            "{source} diverged at call #{} ({}): {} {verb}",
            d.call_index,
            d.export,
            fields.join(", ")
        )];
        lines.push(format!(
            "  fuel {} (reference) vs {}; pages {} vs {}",
            d.expected_fuel, d.actual_fuel, d.expected_pages, d.actual_pages
        ));
        if let Some(m) = &d.memory {
            let byte = |b: Option<u8>| b.map_or_else(|| "none".to_owned(), |b| format!("{b:#04x}"));
            match m.offset {
                Some(offset) => lines.push(format!(
                    "  memory: first difference on page {} at offset {offset:#x}: {} (reference) vs {}",
                    m.page,
                    byte(m.expected),
                    byte(m.actual)
                )),
                None => lines.push(format!("  memory: first difference on page {}", m.page)),
            }
            if let Some(note) = &m.note {
                lines.push(format!("  note: {note}"));
            }
        }
        if d.expected_error != d.actual_error {
            let err = |e: &Option<crate::SimError>| {
                e.as_ref()
                    .map_or_else(|| "ok".to_owned(), ToString::to_string)
            };
            lines.push(format!(
                "  outcome: {} (reference) vs {}",
                err(&d.expected_error),
                err(&d.actual_error)
            ));
        }
        lines
    }
}

/// The result of [`replay`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReplayReport {
    /// The pricing schedule, in [`PagePricing`](capheap::PagePricing)'s text form.
    pub pricing: String,
    /// Runs made.
    pub runs: usize,
    /// Seed of each run.
    pub seeds: Vec<u64>,
    /// The reference run's calls: per-call fuel, pages, roots and stats, for
    /// gas reports and memory timelines.
    pub calls: Vec<CallRecord>,
    /// The first divergence of each run that diverged.
    pub divergences: Vec<Divergence>,
    /// The snapshot replay, unless turned off or the scenario is empty.
    pub snapshot: Option<SnapshotReplay>,
    /// No divergence anywhere.
    pub deterministic: bool,
}

/// Replays `scenario` on `contract`; see the module docs.
pub fn replay(
    contract: &Contract,
    scenario: &Scenario,
    options: &ReplayOptions,
) -> Result<ReplayReport> {
    let runs = options.runs;
    if runs == 0 {
        return Err(SimError::Config(
            "a replay needs at least 1 run (the reference)".to_owned(),
        ));
    }
    if runs > crate::limits::MAX_REPLAY_RUNS {
        return Err(SimError::LimitExceeded {
            limit: crate::limits::Limit::ReplayRuns,
            max: crate::limits::MAX_REPLAY_RUNS as u64,
            value: Some(runs as u64),
        });
    }
    if scenario.len() > crate::limits::MAX_SCENARIO_CALLS {
        return Err(SimError::LimitExceeded {
            limit: crate::limits::Limit::ScenarioCalls,
            max: crate::limits::MAX_SCENARIO_CALLS as u64,
            value: Some(scenario.len() as u64),
        });
    }
    let steps: Vec<Step<'_>> = scenario.steps().collect();
    let snapshot_after = match options.snapshot {
        _ if steps.is_empty() => None,
        SnapshotPoint::Off => None,
        SnapshotPoint::Middle => Some((steps.len() - 1) / 2),
        SnapshotPoint::AfterCall(n) => Some(n.min(steps.len() - 1)),
    };
    // The reference run, taking the snapshot on the way.
    let mut instance = contract.instantiate_seeded(options.seed(0))?;
    let mut reference = Vec::with_capacity(steps.len());
    let mut snapshot = None;
    for step in &steps {
        reference.push(execute_step(
            &mut instance,
            scenario.isolation,
            step,
            step.index == 0,
        )?);
        if snapshot_after == Some(step.index) {
            // Through the file form, so the format is exercised too.
            let bytes = instance.snapshot()?.to_bytes();
            snapshot = Some((step.index, Snapshot::from_bytes(&bytes)?, bytes.len()));
        }
    }
    drop(instance);
    let replayer = Replayer {
        contract,
        scenario,
        steps: &steps,
        reference: &reference,
        reference_seed: options.seed(0),
    };
    let mut divergences = Vec::new();
    for run in 1..runs {
        let seed = options.seed(run);
        let source = ReplaySource::Run { index: run, seed };
        let instance = contract.instantiate_seeded(seed)?;
        if let Some(d) = replayer.compare(source, instance, 0)? {
            divergences.push(d);
        }
    }
    let snapshot = match snapshot {
        None => None,
        Some((after_call, snapshot, bytes)) => {
            let mut instance = contract.restore(&snapshot)?;
            instance.set_seed(options.seed(0));
            let source = ReplaySource::Snapshot { after_call };
            Some(SnapshotReplay {
                after_call,
                bytes,
                calls: steps.len() - after_call - 1,
                divergence: replayer.compare(source, instance, after_call + 1)?,
            })
        }
    };
    let deterministic =
        divergences.is_empty() && snapshot.as_ref().is_none_or(|s| s.divergence.is_none());
    Ok(ReplayReport {
        pricing: contract.simulator().pricing().to_string(),
        runs,
        seeds: (0..runs).map(|r| options.seed(r)).collect(),
        calls: reference,
        divergences,
        snapshot,
        deterministic,
    })
}

impl Contract {
    /// [`replay`] of this contract.
    ///
    /// ```
    /// use capheap_sim::{ReplayOptions, Scenario, ScenarioCall, Simulator};
    ///
    /// let wasm = wat::parse_str(
    ///     r#"(module
    ///          (memory (export "memory") 1)
    ///          (global $n (mut i32) (i32.const 0))
    ///          (func (export "bump") (result i32)
    ///            (global.set $n (i32.add (global.get $n) (i32.const 1)))
    ///            (i32.store (i32.const 1024) (global.get $n))
    ///            (global.get $n))
    ///          (func (export "grow") (result i32) (memory.grow (i32.const 1))))"#,
    /// )?;
    /// let scenario = Scenario::new().call(ScenarioCall::new("bump", []).repeat(3));
    /// let report = Simulator::new().load(&wasm)?.replay(&scenario, &ReplayOptions::default())?;
    /// assert!(report.deterministic);
    /// assert_eq!(report.runs, 3);
    /// assert_eq!(report.calls.len(), 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn replay(&self, scenario: &Scenario, options: &ReplayOptions) -> Result<ReplayReport> {
        replay(self, scenario, options)
    }
}

struct Replayer<'a> {
    contract: &'a Contract,
    scenario: &'a Scenario,
    steps: &'a [Step<'a>],
    reference: &'a [CallRecord],
    reference_seed: u64,
}

impl Replayer<'_> {
    /// Runs steps `from..` on `instance` and returns the first divergence.
    fn compare(
        &self,
        source: ReplaySource,
        mut instance: Instance,
        from: usize,
    ) -> Result<Option<Divergence>> {
        for step in &self.steps[from..] {
            // A restored instance continues the reference's state, so it is
            // never "fresh"; a new run's first call is.
            let fresh = step.index == 0;
            let record = execute_step(&mut instance, self.scenario.isolation, step, fresh)?;
            let expected = &self.reference[step.index].outcome;
            let fields = differing_fields(expected, &record.outcome);
            if !fields.is_empty() {
                let memory = if fields.contains(&Field::MemoryRoot) {
                    self.locate(step.index, expected, &record.outcome, &instance)?
                } else {
                    None
                };
                let actual = record.outcome;
                return Ok(Some(Divergence {
                    source,
                    call_index: step.index,
                    step: step.step,
                    iteration: step.iteration,
                    export: step.call.export.clone(),
                    fields,
                    expected_fuel: expected.fuel.total,
                    actual_fuel: actual.fuel.total,
                    expected_pages: expected.pages_after,
                    actual_pages: actual.pages_after,
                    expected_memory_root: expected.memory_root,
                    actual_memory_root: actual.memory_root,
                    memory,
                    expected_error: expected.error.clone(),
                    actual_error: actual.error,
                }));
            }
        }
        Ok(None)
    }

    /// Locates a memory divergence at call `index`: the page from the page
    /// digests, the byte by re-running the reference up to that call.
    fn locate(
        &self,
        index: usize,
        expected: &CallOutcome,
        actual: &CallOutcome,
        instance: &Instance,
    ) -> Result<Option<MemoryDivergence>> {
        let as_root = |o: &CallOutcome| MemoryRoot {
            root: o.memory_root.unwrap_or_default(),
            pages: o.page_digests.len() as u32,
            page_digests: o.page_digests.clone(),
        };
        let Some(page) = as_root(expected).first_differing_page(&as_root(actual)) else {
            return Ok(None);
        };
        let mut reference = self.contract.instantiate_seeded(self.reference_seed)?;
        for step in &self.steps[..=index] {
            execute_step(
                &mut reference,
                self.scenario.isolation,
                step,
                step.index == 0,
            )?;
        }
        if reference.memory_root().root != expected.memory_root.unwrap_or_default() {
            return Ok(Some(MemoryDivergence {
                page,
                offset: None,
                expected: None,
                actual: None,
                note: Some("the reference run did not reproduce on re-execution".to_owned()),
            }));
        }
        let diff = first_difference(reference.memory(), instance.memory());
        Ok(Some(MemoryDivergence {
            page: diff.map_or(page, |d| d.page),
            offset: diff.map(|d| d.offset),
            expected: diff.and_then(|d| d.expected),
            actual: diff.and_then(|d| d.actual),
            note: None,
        }))
    }
}

/// The fields in which two outcomes differ.
fn differing_fields(a: &CallOutcome, b: &CallOutcome) -> Vec<Field> {
    let checks = [
        (Field::Output, a.output != b.output),
        (Field::Returned, a.returned != b.returned),
        (Field::Fuel, a.fuel != b.fuel),
        (
            Field::Pages,
            (a.pages_before, a.pages_after, a.high_water_pages)
                != (b.pages_before, b.pages_after, b.high_water_pages),
        ),
        (Field::Growth, a.growth != b.growth),
        (Field::MemoryRoot, a.memory_root != b.memory_root),
        (Field::StorageRoot, a.storage_root != b.storage_root),
        (Field::Logs, a.logs != b.logs),
        (Field::Stats, a.stats != b.stats),
        (Field::Error, a.error != b.error),
    ];
    checks
        .into_iter()
        .filter_map(|(field, differs)| differs.then_some(field))
        .collect()
}
