//! Scenarios: sequences of calls, run on one instance.

use serde::{Deserialize, Serialize};

use crate::contract::Contract;
use crate::error::Result;
use crate::host::CallEnv;
use crate::instance::Instance;
use crate::outcome::CallOutcome;

/// How the calls of a scenario share state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Isolation {
    /// One instance for the whole scenario: memory, globals, storage and the
    /// pricing high-water mark persist across calls.
    #[default]
    Persistent,
    /// A fresh instantiation before every call after the first (see
    /// [`Instance::reset`]): only storage and the pricing high-water mark
    /// persist, as across the transactions of a chain. This is what makes
    /// Stylus's "pages ever opened" rule visible across calls.
    FreshPerCall,
}

/// One call of a scenario, possibly repeated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScenarioCall {
    /// The export to call.
    pub export: String,
    /// The input bytes (hex in serde formats).
    #[serde(with = "crate::hex::serde_bytes", default)]
    pub input: Vec<u8>,
    /// How many times to make the call (default 1; 0 skips it).
    #[serde(default = "one")]
    pub repeat: u32,
    /// Who makes the call and what it sends (chain ABIs).
    #[serde(default, skip_serializing_if = "CallEnv::is_empty")]
    pub env: CallEnv,
    /// What reports call it (default: the export). Chain calls all enter
    /// through one export, so scenario files name them by function
    /// (`transfer`) or by message (`execute:transfer`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

fn one() -> u32 {
    1
}

impl ScenarioCall {
    /// A call of `export` with `input`, made once.
    ///
    /// ```
    /// use capheap_sim::{Scenario, ScenarioCall};
    ///
    /// let call = ScenarioCall::new("transfer", b"to=bob".to_vec());
    /// assert_eq!(call.name(), "transfer");
    /// assert_eq!(Scenario::new().call(call).len(), 1);
    /// ```
    pub fn new(export: impl Into<String>, input: impl Into<Vec<u8>>) -> Self {
        ScenarioCall {
            export: export.into(),
            input: input.into(),
            repeat: 1,
            env: CallEnv::default(),
            label: None,
        }
    }

    /// Makes the call `times` times.
    ///
    /// ```
    /// use capheap_sim::{Scenario, ScenarioCall, Simulator};
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
    /// assert_eq!(scenario.len(), 3);
    /// let run = Simulator::new().load(&wasm)?.run_scenario(&scenario, 0)?;
    /// assert_eq!(run.calls[2].outcome.returned, Some(3));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn repeat(mut self, times: u32) -> Self {
        self.repeat = times;
        self
    }

    /// Sets who makes the call and what it sends (chain ABIs).
    ///
    /// ```
    /// use capheap_sim::{CallEnv, Scenario, ScenarioCall};
    ///
    /// let env = CallEnv { value: Some("1000".into()), ..CallEnv::default() };
    /// let call = ScenarioCall::new("deposit", []).env(env);
    /// assert_eq!(Scenario::new().call(call).len(), 1);
    /// ```
    pub fn env(mut self, env: CallEnv) -> Self {
        self.env = env;
        self
    }

    /// Sets the name reports give the call.
    ///
    /// ```
    /// use capheap_sim::ScenarioCall;
    ///
    /// let call = ScenarioCall::new("execute", []).label("mint");
    /// assert_eq!(call.name(), "mint");
    /// ```
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Sets or clears the name reports give the call.
    ///
    /// ```
    /// use capheap_sim::ScenarioCall;
    ///
    /// let call = ScenarioCall::new("execute", []).label("mint").with_label(None);
    /// assert_eq!(call.name(), "execute");
    /// ```
    pub fn with_label(mut self, label: Option<String>) -> Self {
        self.label = label;
        self
    }

    /// The name reports give the call: its label, else the export.
    ///
    /// ```
    /// use capheap_sim::ScenarioCall;
    ///
    /// assert_eq!(ScenarioCall::new("bump", []).name(), "bump");
    /// assert_eq!(ScenarioCall::new("bump", []).label("first").name(), "first");
    /// ```
    pub fn name(&self) -> &str {
        self.label.as_deref().unwrap_or(&self.export)
    }
}

/// A sequence of calls.
///
/// ```
/// use capheap_sim::{Isolation, Scenario, ScenarioCall};
///
/// let scenario = Scenario::new()
///     .call(ScenarioCall::new("set", b"key".to_vec()))
///     .call(ScenarioCall::new("get", b"key".to_vec()).repeat(3))
///     .isolation(Isolation::FreshPerCall);
/// assert_eq!(scenario.len(), 4);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scenario {
    /// How calls share state.
    #[serde(default)]
    pub isolation: Isolation,
    /// The calls, in order.
    pub calls: Vec<ScenarioCall>,
}

/// One executed call of a scenario (repeats expanded).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Step<'a> {
    pub index: usize,
    pub step: usize,
    pub iteration: u32,
    pub call: &'a ScenarioCall,
}

impl Scenario {
    /// An empty scenario.
    ///
    /// ```
    /// use capheap_sim::Scenario;
    ///
    /// assert!(Scenario::new().is_empty());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a call.
    ///
    /// ```
    /// use capheap_sim::{Scenario, ScenarioCall, Simulator};
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
    /// let scenario = Scenario::new()
    ///     .call(ScenarioCall::new("bump", []))
    ///     .call(ScenarioCall::new("grow", []));
    /// let run = Simulator::new().load(&wasm)?.run_scenario(&scenario, 0)?;
    /// assert_eq!(run.calls[1].outcome.pages_after, 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn call(mut self, call: ScenarioCall) -> Self {
        self.calls.push(call);
        self
    }

    /// Sets the isolation.
    ///
    /// ```
    /// use capheap_sim::{Isolation, Scenario, ScenarioCall, Simulator};
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
    /// let scenario = Scenario::new()
    ///     .call(ScenarioCall::new("bump", []).repeat(2))
    ///     .isolation(Isolation::FreshPerCall);
    /// let run = Simulator::new().load(&wasm)?.run_scenario(&scenario, 0)?;
    /// // Each call is a new transaction: the global starts from 0 again.
    /// assert_eq!(run.calls[1].outcome.returned, Some(1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn isolation(mut self, isolation: Isolation) -> Self {
        self.isolation = isolation;
        self
    }

    /// Number of calls with repeats expanded.
    ///
    /// ```
    /// use capheap_sim::{Scenario, ScenarioCall};
    ///
    /// let scenario = Scenario::new()
    ///     .call(ScenarioCall::new("a", []).repeat(4))
    ///     .call(ScenarioCall::new("b", []));
    /// assert_eq!(scenario.len(), 5);
    /// ```
    pub fn len(&self) -> usize {
        self.calls.iter().map(|c| c.repeat as usize).sum()
    }

    /// Whether the scenario makes no call.
    ///
    /// ```
    /// use capheap_sim::{Scenario, ScenarioCall};
    ///
    /// assert!(Scenario::new().is_empty());
    /// assert!(!Scenario::new().call(ScenarioCall::new("a", [])).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn steps(&self) -> impl Iterator<Item = Step<'_>> {
        self.calls
            .iter()
            .enumerate()
            .flat_map(|(step, call)| (0..call.repeat).map(move |iteration| (step, iteration, call)))
            .enumerate()
            .map(|(index, (step, iteration, call))| Step {
                index,
                step,
                iteration,
                call,
            })
    }
}

/// One call of a run, with where it sits in the scenario.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CallRecord {
    /// Position in the run (repeats expanded), from 0.
    pub index: usize,
    /// Index of the [`ScenarioCall`] it came from.
    pub step: usize,
    /// Which repetition of that call, from 0.
    pub iteration: u32,
    /// What reports call it ([`ScenarioCall::name`]).
    pub label: String,
    /// What the call did.
    pub outcome: CallOutcome,
}

/// One run of a scenario.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ScenarioRun {
    /// The seed the instance ran with.
    pub seed: u64,
    /// Every call, in order.
    pub calls: Vec<CallRecord>,
}

impl ScenarioRun {
    /// Total fuel of all calls.
    ///
    /// ```
    /// use capheap_sim::{Scenario, ScenarioCall, Simulator};
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
    /// let scenario = Scenario::new().call(ScenarioCall::new("bump", []).repeat(2));
    /// let run = Simulator::new().load(&wasm)?.run_scenario(&scenario, 0)?;
    /// let sum: u64 = run.calls.iter().map(|c| c.outcome.fuel.total).sum();
    /// assert_eq!(run.total_fuel(), sum);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn total_fuel(&self) -> u64 {
        self.calls.iter().map(|c| c.outcome.fuel.total).sum()
    }
}

/// Executes `step` on `instance`, resetting first under
/// [`Isolation::FreshPerCall`].
pub(crate) fn execute_step(
    instance: &mut Instance,
    isolation: Isolation,
    step: &Step<'_>,
    fresh: bool,
) -> Result<CallRecord> {
    if isolation == Isolation::FreshPerCall && !fresh {
        instance.reset()?;
    }
    instance.set_call_env(step.call.env.clone());
    let outcome = instance.execute(&step.call.export, &step.call.input);
    Ok(CallRecord {
        index: step.index,
        step: step.step,
        iteration: step.iteration,
        label: step.call.name().to_owned(),
        outcome,
    })
}

impl Contract {
    /// Runs `scenario` once on a fresh instance seeded with `seed`. Failed
    /// calls are recorded (their [`CallOutcome::error`] is set) and the
    /// scenario goes on; only a failed instantiation is an error.
    ///
    /// ```
    /// use capheap_sim::{Scenario, ScenarioCall, Simulator};
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
    /// let scenario = Scenario::new()
    ///     .call(ScenarioCall::new("missing", []))
    ///     .call(ScenarioCall::new("bump", []));
    /// let run = Simulator::new().load(&wasm)?.run_scenario(&scenario, 0)?;
    /// // A failed call is recorded, and the scenario goes on.
    /// assert!(run.calls[0].outcome.error.is_some());
    /// assert_eq!(run.calls[1].outcome.returned, Some(1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn run_scenario(&self, scenario: &Scenario, seed: u64) -> Result<ScenarioRun> {
        if scenario.len() > crate::limits::MAX_SCENARIO_CALLS {
            return Err(crate::SimError::LimitExceeded {
                limit: crate::limits::Limit::ScenarioCalls,
                max: crate::limits::MAX_SCENARIO_CALLS as u64,
                value: Some(scenario.len() as u64),
            });
        }
        let mut instance = self.instantiate_seeded(seed)?;
        let calls = scenario
            .steps()
            .map(|step| execute_step(&mut instance, scenario.isolation, &step, step.index == 0))
            .collect::<Result<Vec<_>>>()?;
        Ok(ScenarioRun { seed, calls })
    }
}
