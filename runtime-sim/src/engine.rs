//! [`Simulator`]: the configured engine (pricing, caps, host functions) that
//! loads contracts.

use std::sync::Arc;

use capheap::meter::PagePricing;
use wasmi::{CompilationMode, Config, Engine, Val, ValType};

use crate::error::{Result, SimError};
pub use crate::host::UnknownImports;
use crate::host::cosmwasm::CosmWasmEnv;
use crate::host::stylus::StylusEnv;
use crate::host::{Abi, HostContext, HostCosts, HostFnError, HostFuncDef, SimConfig};
use crate::instrument::RESERVED_MODULE;
use crate::limits::{Limit, Limits, MIN_STACK_HEIGHT, PageCapPolicy, WASM32_MAX_PAGES};

/// A configured simulator: wasmi engine, page pricing, caps, host functions.
/// Cheap to clone; contracts loaded by it share its engine.
///
/// ```
/// use capheap::meter::PagePricing;
/// use capheap_sim::Simulator;
///
/// let sim = Simulator::builder()
///     .pricing(PagePricing::Flat { per_page: 1_000 })
///     .max_pages(16)
///     .build()?;
/// let wasm = wat::parse_str(
///     r#"(module (memory 1)
///          (func (export "grow") (result i32) (memory.grow (i32.const 2))))"#,
/// )?;
/// let outcome = sim.load(&wasm)?.instantiate()?.call("grow", &[])?;
/// assert_eq!(outcome.returned, Some(1));
/// assert_eq!(outcome.fuel.growth, 2_000);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Simulator {
    pub(crate) engine: Engine,
    pub(crate) config: Arc<SimConfig>,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator")
            .field("pricing", &self.config.pricing.to_string())
            .field("limits", &self.config.limits)
            .finish_non_exhaustive()
    }
}

impl Default for Simulator {
    fn default() -> Self {
        Simulator::new()
    }
}

impl Simulator {
    /// A simulator with the defaults: free growth, [`Limits::default`],
    /// [`HostCosts::default`], unknown imports rejected.
    ///
    /// ```
    /// use capheap_sim::{Limits, Simulator};
    ///
    /// let sim = Simulator::new();
    /// assert_eq!(sim.pricing_label(), "free");
    /// assert_eq!(*sim.limits(), Limits::default());
    /// ```
    pub fn new() -> Simulator {
        let builder = SimulatorBuilder::default();
        let engine = Engine::new(&wasmi_config(&builder.limits, builder.floats));
        Simulator {
            engine,
            config: Arc::new(builder.into_config()),
        }
    }

    /// Starts configuring a simulator.
    ///
    /// ```
    /// use capheap::PagePricing;
    /// use capheap_sim::Simulator;
    ///
    /// let sim = Simulator::builder()
    ///     .pricing(PagePricing::STYLUS)
    ///     .max_pages(128)
    ///     .fuel_limit(1_000_000)
    ///     .build()?;
    /// assert_eq!(sim.fuel_limit(), 1_000_000);
    /// # Ok::<(), capheap_sim::SimError>(())
    /// ```
    pub fn builder() -> SimulatorBuilder {
        SimulatorBuilder::default()
    }

    /// The page pricing schedule.
    ///
    /// ```
    /// use capheap::PagePricing;
    /// use capheap_sim::Simulator;
    ///
    /// let sim = Simulator::builder().pricing(PagePricing::EVM).build()?;
    /// assert_eq!(sim.pricing(), PagePricing::EVM);
    /// # Ok::<(), capheap_sim::SimError>(())
    /// ```
    pub fn pricing(&self) -> PagePricing {
        self.config.pricing
    }

    /// The pricing schedule in its text form (`PagePricing`'s `Display`), for reports.
    ///
    /// ```
    /// use capheap::PagePricing;
    /// use capheap_sim::Simulator;
    ///
    /// let sim = Simulator::builder().pricing(PagePricing::Flat { per_page: 500 }).build()?;
    /// assert_eq!(sim.pricing_label(), "flat:500");
    /// # Ok::<(), capheap_sim::SimError>(())
    /// ```
    pub fn pricing_label(&self) -> String {
        self.config.pricing.to_string()
    }

    /// The caps.
    ///
    /// ```
    /// use capheap_sim::Simulator;
    ///
    /// let sim = Simulator::builder().max_pages(64).build()?;
    /// assert_eq!(sim.limits().max_pages, 64);
    /// # Ok::<(), capheap_sim::SimError>(())
    /// ```
    pub fn limits(&self) -> &Limits {
        &self.config.limits
    }

    /// The default fuel limit of a call.
    ///
    /// ```
    /// use capheap_sim::Simulator;
    ///
    /// let sim = Simulator::new();
    /// // By default a call may use all the fuel the cap allows.
    /// assert_eq!(sim.fuel_limit(), sim.limits().max_fuel_per_call);
    /// ```
    pub fn fuel_limit(&self) -> u64 {
        self.config.fuel_limit
    }

    /// The host ABI fuel costs.
    ///
    /// ```
    /// use capheap_sim::{HostCosts, Simulator};
    ///
    /// let sim = Simulator::builder().host_costs(HostCosts { base: 50, per_byte: 2 }).build()?;
    /// assert_eq!(sim.host_costs().per_byte, 2);
    /// # Ok::<(), capheap_sim::SimError>(())
    /// ```
    pub fn host_costs(&self) -> HostCosts {
        self.config.host_costs
    }

    /// The ABI set with [`SimulatorBuilder::abi`] (`None`: detected per module).
    ///
    /// ```
    /// use capheap_sim::{Abi, Simulator};
    ///
    /// assert_eq!(Simulator::new().abi(), None);
    /// let sim = Simulator::builder().abi(Abi::CosmWasm).build()?;
    /// assert_eq!(sim.abi(), Some(Abi::CosmWasm));
    /// # Ok::<(), capheap_sim::SimError>(())
    /// ```
    pub fn abi(&self) -> Option<Abi> {
        self.config.abi
    }

    /// Whether failed calls keep their writes
    /// ([`SimulatorBuilder::keep_failed_writes`]).
    ///
    /// ```
    /// use capheap_sim::Simulator;
    ///
    /// assert!(!Simulator::new().keeps_failed_writes());
    /// ```
    pub fn keeps_failed_writes(&self) -> bool {
        self.config.keep_failed_writes
    }

    /// The Stylus chain environment.
    ///
    /// ```
    /// use capheap_sim::Simulator;
    ///
    /// // Defaults: Arbitrum Stylus's local dev chain id, a fixed sender.
    /// let env = Simulator::new().stylus_env().clone();
    /// assert_eq!(env.chain_id, 412_346);
    /// assert_eq!(env.default_sender.to_string(), "0xA1A1a1a1A1A1A1A1A1a1a1a1a1a1A1A1a1A1a1a1");
    /// ```
    pub fn stylus_env(&self) -> &StylusEnv {
        &self.config.stylus
    }

    /// The CosmWasm chain environment.
    ///
    /// ```
    /// use capheap_sim::Simulator;
    ///
    /// let sim = Simulator::new();
    /// assert_eq!(sim.cosmwasm_env().chain_id, "capheap-sim-1");
    /// // Addresses are valid bech32 under the environment's prefix.
    /// assert!(sim.cosmwasm_env().sender()?.starts_with("cosmwasm1"));
    /// # Ok::<(), capheap_sim::SimError>(())
    /// ```
    pub fn cosmwasm_env(&self) -> &CosmWasmEnv {
        &self.config.cosmwasm
    }

    /// The unknown-import policy.
    ///
    /// ```
    /// use capheap_sim::{Simulator, UnknownImports};
    ///
    /// assert_eq!(Simulator::new().unknown_imports(), UnknownImports::Reject);
    /// ```
    pub fn unknown_imports(&self) -> UnknownImports {
        self.config.unknown_imports
    }

    /// Whether `module.name` is provided by a custom host function.
    ///
    /// ```
    /// use capheap_sim::{HostContext, Simulator, Val, ValType};
    ///
    /// let sim = Simulator::builder()
    ///     .host_func("env", "answer", [], [ValType::I32], |_: &mut HostContext<'_>, _, out: &mut [Val]| {
    ///         out[0] = Val::I32(42);
    ///         Ok(())
    ///     })
    ///     .build()?;
    /// assert!(sim.has_host_func("env", "answer"));
    /// assert!(!sim.has_host_func("env", "question"));
    /// # Ok::<(), capheap_sim::SimError>(())
    /// ```
    pub fn has_host_func(&self, module: &str, name: &str) -> bool {
        self.config
            .host_funcs
            .iter()
            .any(|h| h.module == module && h.name == name)
    }
}

/// The wasmi configuration: fuel metering, eager compilation (lazy
/// translation charges fuel on a function's first call only), one memory,
/// the stack caps. SIMD, relaxed SIMD and memory64 are compiled out (wasmi's
/// `simd` and `memory64` cargo features are off), wasmi has no threads, and
/// the `deterministic` cargo feature canonicalises NaNs.
fn wasmi_config(limits: &Limits, floats: bool) -> Config {
    let mut config = Config::default();
    config
        .consume_fuel(true)
        .compilation_mode(CompilationMode::Eager)
        .wasm_multi_memory(false)
        .wasm_custom_page_sizes(false)
        .wasm_wide_arithmetic(false)
        .floats(floats)
        .set_max_recursion_depth(limits.max_call_depth)
        .set_max_stack_height(limits.max_stack_height);
    config
}

/// Configures a [`Simulator`].
pub struct SimulatorBuilder {
    pricing: PagePricing,
    limits: Limits,
    host_costs: HostCosts,
    unknown_imports: UnknownImports,
    host_funcs: Vec<HostFuncDef>,
    fuel_limit: Option<u64>,
    memory_roots: bool,
    read_stats: bool,
    floats: bool,
    abi: Option<Abi>,
    keep_failed_writes: bool,
    stylus: StylusEnv,
    cosmwasm: CosmWasmEnv,
}

impl Default for SimulatorBuilder {
    fn default() -> Self {
        SimulatorBuilder {
            pricing: PagePricing::Free,
            limits: Limits::default(),
            host_costs: HostCosts::default(),
            unknown_imports: UnknownImports::Reject,
            host_funcs: Vec::new(),
            fuel_limit: None,
            memory_roots: true,
            read_stats: true,
            floats: true,
            abi: None,
            keep_failed_writes: false,
            stylus: StylusEnv::default(),
            cosmwasm: CosmWasmEnv::default(),
        }
    }
}

impl std::fmt::Debug for SimulatorBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimulatorBuilder")
            .field("pricing", &self.pricing.to_string())
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl SimulatorBuilder {
    /// The page pricing schedule (default [`PagePricing::Free`]).
    ///
    /// ```
    /// use capheap::PagePricing;
    /// use capheap_sim::Simulator;
    ///
    /// let wasm = wat::parse_str(
    ///     r#"(module (memory 1) (func (export "grow") (result i32) (memory.grow (i32.const 3))))"#,
    /// )?;
    /// let sim = Simulator::builder().pricing(PagePricing::Flat { per_page: 700 }).build()?;
    /// let outcome = sim.load(&wasm)?.instantiate()?.call("grow", &[])?;
    /// assert_eq!(outcome.fuel.growth, 3 * 700);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn pricing(mut self, pricing: PagePricing) -> Self {
        self.pricing = pricing;
        self
    }

    /// All caps at once.
    ///
    /// ```
    /// use capheap_sim::{Limits, Simulator};
    ///
    /// let limits = Limits { max_pages: 32, max_tables: 1, ..Limits::default() };
    /// let sim = Simulator::builder().limits(limits).build()?;
    /// assert_eq!(*sim.limits(), limits);
    /// # Ok::<(), capheap_sim::SimError>(())
    /// ```
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Cap on pages of linear memory.
    ///
    /// ```
    /// use capheap_sim::Simulator;
    ///
    /// let wasm = wat::parse_str(
    ///     r#"(module (memory 1) (func (export "grow") (result i32) (memory.grow (i32.const 8))))"#,
    /// )?;
    /// let sim = Simulator::builder().max_pages(4).build()?;
    /// let outcome = sim.load(&wasm)?.instantiate()?.call("grow", &[])?;
    /// // Past the cap `memory.grow` fails as on a chain: it returns -1.
    /// assert_eq!(outcome.returned, Some(-1));
    /// assert_eq!(outcome.pages_after, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn max_pages(mut self, pages: u32) -> Self {
        self.limits.max_pages = pages;
        self
    }

    /// What growth past the page cap does.
    ///
    /// ```
    /// use capheap_sim::{PageCapPolicy, Simulator};
    ///
    /// let wasm = wat::parse_str(
    ///     r#"(module (memory 1) (func (export "grow") (result i32) (memory.grow (i32.const 8))))"#,
    /// )?;
    /// let sim = Simulator::builder().max_pages(4).page_cap_policy(PageCapPolicy::Trap).build()?;
    /// // With `Trap`, growth past the cap ends the call.
    /// assert!(sim.load(&wasm)?.instantiate()?.call("grow", &[]).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn page_cap_policy(mut self, policy: PageCapPolicy) -> Self {
        self.limits.page_cap_policy = policy;
        self
    }

    /// Cap on the fuel limit of a call.
    ///
    /// ```
    /// use capheap_sim::Simulator;
    ///
    /// let sim = Simulator::builder().max_fuel_per_call(5_000_000).build()?;
    /// assert_eq!(sim.limits().max_fuel_per_call, 5_000_000);
    /// // A larger limit than the cap is refused.
    /// assert!(Simulator::builder().max_fuel_per_call(10).fuel_limit(20).build().is_err());
    /// # Ok::<(), capheap_sim::SimError>(())
    /// ```
    pub fn max_fuel_per_call(mut self, fuel: u64) -> Self {
        self.limits.max_fuel_per_call = fuel;
        self
    }

    /// Cap on module size in bytes.
    ///
    /// ```
    /// use capheap_sim::Simulator;
    ///
    /// let sim = Simulator::builder().max_wasm_size(16).build()?;
    /// let wasm = wat::parse_str("(module (memory 1) (func (export \"f\")))").unwrap();
    /// // Refused before it is parsed.
    /// assert!(sim.load(&wasm).is_err());
    /// # Ok::<(), capheap_sim::SimError>(())
    /// ```
    pub fn max_wasm_size(mut self, bytes: usize) -> Self {
        self.limits.max_wasm_size = bytes;
        self
    }

    /// Cap on call depth.
    ///
    /// ```
    /// use capheap_sim::Simulator;
    ///
    /// let wasm = wat::parse_str(r#"(module (func $f (export "f") (call $f)))"#)?;
    /// let sim = Simulator::builder().max_call_depth(100).build()?;
    /// // Endless recursion ends in an error, not a crash.
    /// assert!(sim.load(&wasm)?.instantiate()?.call("f", &[]).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn max_call_depth(mut self, depth: usize) -> Self {
        self.limits.max_call_depth = depth;
        self
    }

    /// Cap on wasmi's value-stack height (slots).
    ///
    /// ```
    /// use capheap_sim::{limits::MIN_STACK_HEIGHT, Simulator};
    ///
    /// let sim = Simulator::builder().max_stack_height(MIN_STACK_HEIGHT).build()?;
    /// assert_eq!(sim.limits().max_stack_height, MIN_STACK_HEIGHT);
    /// # Ok::<(), capheap_sim::SimError>(())
    /// ```
    pub fn max_stack_height(mut self, height: usize) -> Self {
        self.limits.max_stack_height = height;
        self
    }

    /// Default fuel limit of each call (default: the cap).
    ///
    /// ```
    /// use capheap_sim::Simulator;
    ///
    /// let wasm = wat::parse_str(r#"(module (func (export "spin") (loop (br 0))))"#)?;
    /// let sim = Simulator::builder().fuel_limit(10_000).build()?;
    /// // An endless loop runs out of fuel.
    /// let outcome = sim.load(&wasm)?.instantiate()?.execute("spin", &[]);
    /// assert!(outcome.error.is_some());
    /// assert!(outcome.fuel.execution <= 10_000);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fuel_limit(mut self, fuel: u64) -> Self {
        self.fuel_limit = Some(fuel);
        self
    }

    /// The unknown-import policy (default [`UnknownImports::Reject`]).
    ///
    /// ```
    /// use capheap_sim::{Simulator, UnknownImports};
    ///
    /// let wasm = wat::parse_str(
    ///     r#"(module (import "env" "mystery" (func $m)) (func (export "f") (call $m)))"#,
    /// )?;
    /// assert!(Simulator::new().load(&wasm).is_err(), "rejected at load by default");
    /// let sim = Simulator::builder().unknown_imports(UnknownImports::Trap).build()?;
    /// // Loaded; calling the import traps.
    /// assert!(sim.load(&wasm)?.instantiate()?.call("f", &[]).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn unknown_imports(mut self, policy: UnknownImports) -> Self {
        self.unknown_imports = policy;
        self
    }

    /// Fuel costs of the host ABI.
    ///
    /// ```
    /// use capheap_sim::{HostCosts, Simulator};
    ///
    /// let sim = Simulator::builder().host_costs(HostCosts { base: 0, per_byte: 0 }).build()?;
    /// assert_eq!(sim.host_costs(), HostCosts { base: 0, per_byte: 0 });
    /// # Ok::<(), capheap_sim::SimError>(())
    /// ```
    pub fn host_costs(mut self, costs: HostCosts) -> Self {
        self.host_costs = costs;
        self
    }

    /// Hash memory after every call (default on). Off, outcomes carry no
    /// memory root and replays compare everything else.
    ///
    /// ```
    /// use capheap_sim::Simulator;
    ///
    /// let wasm = wat::parse_str(r#"(module (memory 1) (func (export "f")))"#)?;
    /// let sim = Simulator::builder().memory_roots(false).build()?;
    /// let outcome = sim.load(&wasm)?.instantiate()?.call("f", &[])?;
    /// assert_eq!(outcome.memory_root, None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn memory_roots(mut self, on: bool) -> Self {
        self.memory_roots = on;
        self
    }

    /// Read `capheap_stats` after every call when the contract exports it
    /// (default on).
    ///
    /// ```
    /// use capheap_sim::Simulator;
    ///
    /// let wasm = wat::parse_str(r#"(module (memory 1) (func (export "f")))"#)?;
    /// let sim = Simulator::builder().read_stats(false).build()?;
    /// // No `capheap_stats` export here anyway: no stats either way.
    /// let outcome = sim.load(&wasm)?.instantiate()?.call("f", &[])?;
    /// assert_eq!(outcome.stats, None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_stats(mut self, on: bool) -> Self {
        self.read_stats = on;
        self
    }

    /// Accept modules with floating-point instructions (default on; NaNs are
    /// canonicalised). Off, such modules fail to load.
    ///
    /// ```
    /// use capheap_sim::Simulator;
    ///
    /// let wasm = wat::parse_str(
    ///     r#"(module (func (export "f") (result f64) (f64.sqrt (f64.const 2))))"#,
    /// )?;
    /// assert!(Simulator::new().load(&wasm).is_ok());
    /// assert!(Simulator::builder().floats(false).build()?.load(&wasm).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn floats(mut self, on: bool) -> Self {
        self.floats = on;
        self
    }

    /// Adds a custom host function `module.name` of type
    /// `(params) -> (results)`.
    ///
    /// ```
    /// use capheap_sim::{HostContext, Simulator, Val, ValType};
    ///
    /// let sim = Simulator::builder()
    ///     .host_func("env", "seed", [], [ValType::I64], |cx: &mut HostContext<'_>, _, out: &mut [Val]| {
    ///         out[0] = Val::I64(cx.seed() as i64);
    ///         Ok(())
    ///     })
    ///     .build()?;
    /// let wasm = wat::parse_str(
    ///     r#"(module (import "env" "seed" (func $seed (result i64)))
    ///          (func (export "get") (result i32) (i32.wrap_i64 (call $seed))))"#,
    /// )?;
    /// let contract = sim.load(&wasm)?;
    /// let outcome = contract.instantiate_seeded(42)?.call("get", &[])?;
    /// assert_eq!(outcome.returned, Some(42));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn host_func<F>(
        mut self,
        module: &str,
        name: &str,
        params: impl IntoIterator<Item = ValType>,
        results: impl IntoIterator<Item = ValType>,
        func: F,
    ) -> Self
    where
        F: Fn(&mut HostContext<'_>, &[Val], &mut [Val]) -> Result<(), HostFnError>
            + Send
            + Sync
            + 'static,
    {
        self.host_funcs.push(HostFuncDef {
            module: module.to_owned(),
            name: name.to_owned(),
            ty: wasmi::FuncType::new(
                params.into_iter().collect::<Vec<_>>(),
                results.into_iter().collect::<Vec<_>>(),
            ),
            func: Arc::new(func),
        });
        self
    }

    /// The host ABI of every contract this simulator loads (default: detected
    /// per module from its imports and exports).
    ///
    /// ```
    /// use capheap_sim::{Abi, Simulator};
    ///
    /// let wasm = wat::parse_str(r#"(module (memory (export "memory") 1) (func (export "f")))"#)?;
    /// let sim = Simulator::builder().abi(Abi::Capheap).build()?;
    /// assert_eq!(sim.load(&wasm)?.abi(), Abi::Capheap);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn abi(mut self, abi: Abi) -> Self {
        self.abi = Some(abi);
        self
    }

    /// The chain's defaults for `abi`: for Stylus, the Stylus page pricing
    /// ([`PagePricing::STYLUS`]) and its 128-page limit; capheap's ABI and
    /// CosmWasm keep the builder's settings (CosmWasm does not price pages).
    /// Call it before the settings it should not override.
    ///
    /// ```
    /// use capheap::meter::PagePricing;
    /// use capheap_sim::{Abi, Simulator};
    ///
    /// let sim = Simulator::builder().chain_defaults(Abi::Stylus).build()?;
    /// assert_eq!(sim.pricing(), PagePricing::STYLUS);
    /// assert_eq!(sim.limits().max_pages, 128);
    /// # Ok::<(), capheap_sim::SimError>(())
    /// ```
    pub fn chain_defaults(mut self, abi: Abi) -> Self {
        if abi == Abi::Stylus {
            self.pricing = PagePricing::STYLUS;
            self.limits.max_pages = crate::host::stylus::PAGE_LIMIT;
        }
        self
    }

    /// Keep what a failed call wrote (memory, globals, storage) instead of
    /// rolling it back as chains revert a failed transaction (default off:
    /// failed calls leave no trace). Under capheap's ABI, rolling back saves
    /// the instance before every call, which costs a copy of its non-zero
    /// pages; chain ABIs always roll storage back.
    ///
    /// ```
    /// use capheap_sim::Simulator;
    ///
    /// let wasm = wat::parse_str(
    ///     r#"(module (memory (export "memory") 1) (global $n (mut i32) (i32.const 0))
    ///          (func (export "count") (result i32) (global.set $n (i32.add (global.get $n) (i32.const 1))) (global.get $n))
    ///          (func (export "fail") (global.set $n (i32.const 100)) (unreachable)))"#,
    /// )?;
    /// let mut reverted = Simulator::new().load(&wasm)?.instantiate()?;
    /// assert!(reverted.execute("fail", &[]).error.is_some());
    /// assert_eq!(reverted.call("count", &[])?.returned, Some(1)); // the failed write is gone
    ///
    /// let sim = Simulator::builder().keep_failed_writes(true).build()?;
    /// let mut kept = sim.load(&wasm)?.instantiate()?;
    /// assert!(kept.execute("fail", &[]).error.is_some());
    /// assert_eq!(kept.call("count", &[])?.returned, Some(101));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn keep_failed_writes(mut self, keep: bool) -> Self {
        self.keep_failed_writes = keep;
        self
    }

    /// The Stylus chain environment (block, transaction, balances).
    ///
    /// ```
    /// use capheap_sim::{Simulator, StylusEnv};
    ///
    /// let env = StylusEnv { chain_id: 42_161, ..StylusEnv::default() };
    /// let sim = Simulator::builder().stylus_env(env.clone()).build()?;
    /// assert_eq!(sim.stylus_env().chain_id, 42_161);
    /// # Ok::<(), capheap_sim::SimError>(())
    /// ```
    pub fn stylus_env(mut self, env: StylusEnv) -> Self {
        self.stylus = env;
        self
    }

    /// The CosmWasm chain environment (chain id, bech32 prefix, block, bank
    /// balances, smart queries).
    ///
    /// ```
    /// use capheap_sim::{CosmWasmEnv, Simulator};
    ///
    /// let env = CosmWasmEnv { chain_id: "juno-1".to_owned(), ..CosmWasmEnv::default() };
    /// let sim = Simulator::builder().cosmwasm_env(env).build()?;
    /// assert_eq!(sim.cosmwasm_env().chain_id, "juno-1");
    /// # Ok::<(), capheap_sim::SimError>(())
    /// ```
    pub fn cosmwasm_env(mut self, env: CosmWasmEnv) -> Self {
        self.cosmwasm = env;
        self
    }

    /// Checks the configuration and builds the simulator.
    ///
    /// ```
    /// use capheap_sim::Simulator;
    ///
    /// assert!(Simulator::builder().build().is_ok());
    /// // A configuration that contradicts itself is an error, not a panic.
    /// assert!(Simulator::builder().max_fuel_per_call(10).fuel_limit(20).build().is_err());
    /// ```
    pub fn build(self) -> Result<Simulator> {
        let limits = &self.limits;
        if limits.max_stack_height < MIN_STACK_HEIGHT {
            return Err(SimError::Config(format!(
                "max_stack_height {} is below wasmi's minimum {MIN_STACK_HEIGHT}",
                limits.max_stack_height
            )));
        }
        if limits.max_pages > WASM32_MAX_PAGES {
            return Err(SimError::Config(format!(
                "max_pages {} exceeds wasm32's {WASM32_MAX_PAGES}",
                limits.max_pages
            )));
        }
        if let Some(fuel) = self.fuel_limit
            && fuel > limits.max_fuel_per_call
        {
            return Err(SimError::LimitExceeded {
                limit: Limit::FuelPerCall,
                max: limits.max_fuel_per_call,
                value: Some(fuel),
            });
        }
        for (i, def) in self.host_funcs.iter().enumerate() {
            if def.module == RESERVED_MODULE {
                return Err(SimError::ReservedImport {
                    module: def.module.clone(),
                    name: def.name.clone(),
                });
            }
            let shadows_abi = Abi::ALL
                .iter()
                .any(|abi| abi.import(&def.module, &def.name).is_some());
            let twice = self.host_funcs[..i]
                .iter()
                .any(|d| d.module == def.module && d.name == def.name);
            if shadows_abi || twice {
                return Err(SimError::DuplicateHostFunction {
                    module: def.module.clone(),
                    name: def.name.clone(),
                });
            }
        }
        let engine = Engine::new(&wasmi_config(&self.limits, self.floats));
        Ok(Simulator {
            engine,
            config: Arc::new(self.into_config()),
        })
    }

    fn into_config(self) -> SimConfig {
        SimConfig {
            pricing: self.pricing,
            fuel_limit: self.fuel_limit.unwrap_or(self.limits.max_fuel_per_call),
            limits: self.limits,
            host_costs: self.host_costs,
            unknown_imports: self.unknown_imports,
            host_funcs: self.host_funcs,
            memory_roots: self.memory_roots,
            read_stats: self.read_stats,
            floats: self.floats,
            abi: self.abi,
            keep_failed_writes: self.keep_failed_writes,
            stylus: self.stylus,
            cosmwasm: self.cosmwasm,
        }
    }
}
