//! [`Contract`]: a module validated, instrumented and compiled once, then
//! instantiated per run, replay or restore.

use std::path::Path;
use std::sync::Arc;

use wasmi::{Linker, Module, Store};

use crate::engine::Simulator;
use crate::error::{Result, SimError};
use crate::host::{Abi, CallState, HostState};
use crate::instance::Instance;
use crate::instrument::{self, MEMORY_EXPORT, ModuleInfo};
use crate::limits::Limit;
use crate::memroot::Digest;
use crate::storage::Storage;

/// A validated, instrumented, compiled contract; instantiate it as often as
/// needed. Cheap to clone.
#[derive(Clone)]
pub struct Contract {
    pub(crate) inner: Arc<ContractInner>,
}

pub(crate) struct ContractInner {
    pub sim: Simulator,
    pub module: Module,
    pub linker: Linker<HostState>,
    pub info: ModuleInfo,
    pub code_hash: Digest,
    pub size: usize,
    pub abi: Abi,
    pub abi_reason: String,
}

impl std::fmt::Debug for Contract {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Contract")
            .field("code_hash", &self.inner.code_hash)
            .field("size", &self.inner.size)
            .field("grow_sites", &self.inner.info.grow_sites)
            .finish_non_exhaustive()
    }
}

impl Contract {
    /// Loads `wasm` with a default [`Simulator`].
    pub fn from_bytes(wasm: &[u8]) -> Result<Self> {
        Simulator::new().load(wasm)
    }

    /// Loads a `.wasm` file with a default [`Simulator`].
    pub fn from_file(path: &Path) -> Result<Self> {
        Simulator::new().load_file(path)
    }

    pub(crate) fn load(sim: &Simulator, wasm: &[u8]) -> Result<Self> {
        let limits = &sim.config.limits;
        if wasm.len() > limits.max_wasm_size {
            return Err(SimError::LimitExceeded {
                limit: Limit::WasmSize,
                max: limits.max_wasm_size as u64,
                value: Some(wasm.len() as u64),
            });
        }
        if wasm.get(..4) != Some(b"\0asm") {
            return Err(SimError::NotWasm(
                "missing the `\\0asm` magic number".to_owned(),
            ));
        }
        // Validate the original, so errors speak of the contract's module.
        Module::validate(&sim.engine, wasm).map_err(|e| SimError::InvalidWasm(e.to_string()))?;
        let info = instrument::scan(wasm).map_err(SimError::InvalidWasm)?;
        instrument::check_reserved(&info)?;
        if let Some(memory) = info.memories.first()
            && memory.initial > u64::from(limits.max_pages)
        {
            return Err(SimError::LimitExceeded {
                limit: Limit::MemoryPages,
                max: u64::from(limits.max_pages),
                value: Some(memory.initial),
            });
        }
        let (abi, abi_reason) = match sim.config.abi {
            Some(abi) => (abi, "set explicitly".to_owned()),
            None => Abi::detect(&info),
        };
        let linker = crate::host::linker(&sim.engine, &sim.config, &info, abi)?;
        let rewritten = instrument::rewrite(wasm, &info)?;
        let module = Module::new(&sim.engine, &rewritten)
            .map_err(|e| SimError::Instrument(e.to_string()))?;
        Ok(Contract {
            inner: Arc::new(ContractInner {
                sim: sim.clone(),
                module,
                linker,
                info,
                code_hash: Digest::of(wasm),
                size: wasm.len(),
                abi,
                abi_reason,
            }),
        })
    }

    /// SHA-256 of the original module bytes (snapshots record it).
    pub fn code_hash(&self) -> Digest {
        self.inner.code_hash
    }

    /// The host ABI the contract runs under: set on the simulator, or
    /// detected from its imports and exports.
    ///
    /// ```
    /// use capheap_sim::{Abi, Contract};
    ///
    /// let stylus = wat::parse_str(
    ///     r#"(module (memory (export "memory") 1)
    ///          (func (export "user_entrypoint") (param i32) (result i32) (i32.const 0)))"#,
    /// )?;
    /// let contract = Contract::from_bytes(&stylus)?;
    /// assert_eq!(contract.abi(), Abi::Stylus);
    /// assert_eq!(contract.abi_reason(), "exports `user_entrypoint`");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn abi(&self) -> Abi {
        self.inner.abi
    }

    /// Why [`abi`](Self::abi) is what it is (`exports \`user_entrypoint\``, ...).
    pub fn abi_reason(&self) -> &str {
        &self.inner.abi_reason
    }

    /// Size of the original module in bytes.
    pub fn size(&self) -> usize {
        self.inner.size
    }

    /// Number of `memory.grow` instructions routed through the growth hook.
    pub fn grow_sites(&self) -> u32 {
        self.inner.info.grow_sites
    }

    /// The simulator that loaded it.
    pub fn simulator(&self) -> &Simulator {
        &self.inner.sim
    }

    /// A fresh instance with its own memory and empty storage (seed 0).
    pub fn instantiate(&self) -> Result<Instance> {
        self.instantiate_seeded(0)
    }

    /// A fresh instance whose custom host functions see `seed`
    /// ([`HostContext::seed`](crate::HostContext::seed)).
    pub fn instantiate_seeded(&self, seed: u64) -> Result<Instance> {
        self.instantiate_with(Storage::new(), 0, seed)
    }

    /// A fresh instance with the given storage, pricing high-water mark and
    /// seed. The start function (if any) runs with the per-call fuel cap as
    /// its budget; its fuel is not reported.
    pub(crate) fn instantiate_with(
        &self,
        storage: Storage,
        high_water_pages: u32,
        seed: u64,
    ) -> Result<Instance> {
        let (store, instance) = self.new_store(storage, high_water_pages, seed)?;
        Ok(Instance::new(self.clone(), store, instance))
    }

    pub(crate) fn new_store(
        &self,
        storage: Storage,
        high_water_pages: u32,
        seed: u64,
    ) -> Result<(Store<HostState>, wasmi::Instance)> {
        let sim = &self.inner.sim;
        let budget = sim.config.limits.max_fuel_per_call;
        let state = HostState {
            config: Arc::clone(&sim.config),
            memory: None,
            storage,
            high_water_pages,
            seed,
            call: CallState {
                fuel_limit: budget,
                ..CallState::default()
            },
        };
        let mut store = Store::new(&sim.engine, state);
        store
            .set_fuel(budget)
            .map_err(|e| SimError::Instantiate(e.to_string()))?;
        let instance = self
            .inner
            .linker
            .instantiate_and_start(&mut store, &self.inner.module)
            .map_err(|e| match e.downcast_ref::<crate::host::HostTrap>() {
                Some(trap) => SimError::Instantiate(trap.0.to_string()),
                None => SimError::Instantiate(e.to_string()),
            })?;
        let memory = instance.get_memory(&store, MEMORY_EXPORT);
        let pages = memory.map_or(0, |m| u32::try_from(m.size(&store)).unwrap_or(u32::MAX));
        let state = store.data_mut();
        state.memory = memory;
        state.high_water_pages = state.high_water_pages.max(pages);
        state.call = CallState::default();
        Ok((store, instance))
    }
}
