//! [`Contract`]: a module validated, instrumented and compiled once, then
//! instantiated per run, replay or restore.

use std::path::Path;
use std::sync::Arc;

use wasmi::{Linker, Module};

use crate::engine::Simulator;
use crate::error::{Result, SimError};
use crate::host::{Abi, HostState};
use crate::instrument::{self, ModuleInfo};
use crate::limits::Limit;
use crate::memroot::Digest;

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

impl Simulator {
    /// Validates, instruments and compiles `wasm`.
    ///
    /// ```
    /// use capheap_sim::Simulator;
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
    /// let contract = Simulator::new().load(&wasm)?;
    /// // Every `memory.grow` is routed through the simulator's growth hook.
    /// assert_eq!(contract.grow_sites(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn load(&self, wasm: &[u8]) -> Result<Contract> {
        Contract::load(self, wasm)
    }

    /// Reads and loads a `.wasm` file.
    ///
    /// ```
    /// use capheap_sim::Simulator;
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
    /// let path = std::env::temp_dir().join("capheap-sim-doc-load-file.wasm");
    /// std::fs::write(&path, &wasm)?;
    /// let contract = Simulator::new().load_file(&path)?;
    /// assert_eq!(contract.size(), wasm.len());
    /// // A missing file is an error that names it.
    /// assert!(Simulator::new().load_file(&path.with_extension("missing")).is_err());
    /// std::fs::remove_file(&path)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn load_file(&self, path: &Path) -> Result<Contract> {
        let wasm = crate::limits::read_capped(path, self.config.limits.max_wasm_size as u64)?;
        self.load(&wasm)
    }
}

impl Contract {
    /// Loads `wasm` with a default [`Simulator`].
    ///
    /// ```
    /// use capheap_sim::Contract;
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
    /// let contract = Contract::from_bytes(&wasm)?;
    /// assert_eq!(contract.instantiate()?.call("bump", &[])?.returned, Some(1));
    /// // Not wasm: a typed error, not a panic.
    /// assert!(Contract::from_bytes(b"not wasm").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_bytes(wasm: &[u8]) -> Result<Self> {
        Simulator::new().load(wasm)
    }

    /// Loads a `.wasm` file with a default [`Simulator`].
    ///
    /// ```
    /// use capheap_sim::Contract;
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
    /// let path = std::env::temp_dir().join("capheap-sim-doc-from-file.wasm");
    /// std::fs::write(&path, &wasm)?;
    /// let contract = Contract::from_file(&path)?;
    /// assert_eq!(contract.size(), wasm.len());
    /// std::fs::remove_file(&path)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
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
        if info.tables.len() > limits.max_tables as usize {
            return Err(SimError::LimitExceeded {
                limit: Limit::Tables,
                max: u64::from(limits.max_tables),
                value: Some(info.tables.len() as u64),
            });
        }
        if let Some(&(initial, _)) = info
            .tables
            .iter()
            .find(|(initial, _)| *initial > u64::from(limits.max_table_elements))
        {
            return Err(SimError::LimitExceeded {
                limit: Limit::TableElements,
                max: u64::from(limits.max_table_elements),
                value: Some(initial),
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
    ///
    /// ```
    /// use capheap_sim::Simulator;
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
    /// use sha2::{Digest as _, Sha256};
    /// let contract = Simulator::new().load(&wasm)?;
    /// let expected: [u8; 32] = Sha256::digest(&wasm).into();
    /// assert_eq!(contract.code_hash().0, expected);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
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
    ///
    /// ```
    /// use capheap_sim::Simulator;
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
    /// assert_eq!(Simulator::new().load(&wasm)?.size(), wasm.len());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn size(&self) -> usize {
        self.inner.size
    }

    /// Number of `memory.grow` instructions routed through the growth hook.
    ///
    /// ```
    /// use capheap_sim::Simulator;
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
    /// assert_eq!(Simulator::new().load(&wasm)?.grow_sites(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn grow_sites(&self) -> u32 {
        self.inner.info.grow_sites
    }

    /// The simulator that loaded it.
    ///
    /// ```
    /// use capheap_sim::Simulator;
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
    /// use capheap::PagePricing;
    /// let sim = Simulator::builder().pricing(PagePricing::NEAR).build()?;
    /// let contract = sim.load(&wasm)?;
    /// assert_eq!(contract.simulator().pricing(), PagePricing::NEAR);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn simulator(&self) -> &Simulator {
        &self.inner.sim
    }
}
