//! [`Instance`]: a live contract instance; calls its entry points under its
//! ABI's call convention (capheap's call convention v0 here, Stylus and
//! CosmWasm in the submodules, as cosmwasm-vm keeps its `calls.rs` apart
//! from its imports).

mod cosmwasm;
mod stylus;

pub(crate) use stylus::{parse_address, parse_u256};

use capheap::stats::Stats;
use std::sync::Arc;

use wasmi::{Func, Store, TrapCode, Val, ValType};

use crate::contract::Contract;
use crate::error::{Result, SimError};
use crate::host::{ALLOC_EXPORT, Abi, CallEnv, CallState, HostState, HostTrap, export_func};
use crate::instrument::MEMORY_EXPORT;
use crate::limits::Limit;
use crate::memroot::{Digest, MemoryRoot, PageCache};
use crate::outcome::{CallOutcome, ChainOutcome, FuelBreakdown, Refusals, StartOutcome};
use crate::stats::{STATS_EXPORT, STATS_FUEL};
use crate::storage::Storage;

/// A live instance of a [`Contract`]: its memory, globals, storage and
/// pricing high-water mark persist across calls.
pub struct Instance {
    contract: Contract,
    store: Store<HostState>,
    instance: wasmi::Instance,
    fuel_limit: u64,
    roots: PageCache,
    call_env: CallEnv,
    /// What the start function did.
    start: StartOutcome,
    /// The state before the current call, for rolling a failed one back.
    saved: Saved,
    /// Whether an entry point ran since instantiation (chain ABIs start each
    /// call on a fresh instance).
    used: bool,
}

impl std::fmt::Debug for Instance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Instance")
            .field("pages", &self.pages())
            .field("fuel_limit", &self.fuel_limit)
            .field("seed", &self.seed())
            .finish_non_exhaustive()
    }
}

pub(crate) use crate::error::signature;

/// What a failed call must not change, saved before it.
#[derive(Default)]
struct Saved {
    memory: Vec<u8>,
    globals: Vec<Val>,
    storage: Storage,
    high_water_pages: u32,
}

/// What the export returned, before output is resolved.
enum Returned {
    Nothing,
    Value(i32),
    Region(i64),
    /// A chain ABI's call: its return value, output and report.
    Chain {
        value: Option<i64>,
        output: Vec<u8>,
        chain: ChainOutcome,
    },
}

impl Instance {
    pub(crate) fn new(
        contract: Contract,
        store: Store<HostState>,
        instance: wasmi::Instance,
    ) -> Self {
        let fuel_limit = contract.inner.sim.config.fuel_limit;
        Instance {
            contract,
            store,
            instance,
            fuel_limit,
            roots: PageCache::new(),
            call_env: CallEnv::default(),
            start: StartOutcome::default(),
            saved: Saved::default(),
            used: false,
        }
    }

    /// The contract this is an instance of.
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
    /// let instance = contract.instantiate()?;
    /// assert_eq!(instance.contract().code_hash(), contract.code_hash());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn contract(&self) -> &Contract {
        &self.contract
    }

    /// Sets the fuel limit of each later call; above the simulator's
    /// [`Limits::max_fuel_per_call`](crate::Limits) it is refused.
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
    /// let mut instance = Simulator::new().load(&wasm)?.instantiate()?;
    /// instance.set_fuel_limit(5)?;
    /// // Five units do not pay for the call.
    /// assert!(instance.call("bump", &[]).is_err());
    /// // More than the simulator's cap is refused.
    /// assert!(instance.set_fuel_limit(u64::MAX).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_fuel_limit(&mut self, limit: u64) -> Result<()> {
        let max = self.contract.inner.sim.config.limits.max_fuel_per_call;
        if limit > max {
            return Err(SimError::LimitExceeded {
                limit: Limit::FuelPerCall,
                max,
                value: Some(limit),
            });
        }
        self.fuel_limit = limit;
        Ok(())
    }

    /// The fuel limit of each call.
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
    /// let sim = Simulator::builder().fuel_limit(50_000).build()?;
    /// let instance = sim.load(&wasm)?.instantiate()?;
    /// assert_eq!(instance.fuel_limit(), 50_000);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fuel_limit(&self) -> u64 {
        self.fuel_limit
    }

    /// Saves what a failed call must not change: memory (into a buffer
    /// kept between calls, so saving is one copy and no allocation),
    /// mutable globals, storage and the pricing high-water mark.
    fn save_for_rollback(&mut self) {
        let mut saved = std::mem::take(&mut self.saved);
        saved.memory.clear();
        saved.memory.extend_from_slice(self.memory());
        saved.globals = self.mutable_globals().into_iter().map(|(_, v)| v).collect();
        saved.storage = self.storage().clone();
        saved.high_water_pages = self.high_water_pages();
        self.saved = saved;
    }

    /// Puts back what [`save_for_rollback`](Self::save_for_rollback) saved.
    /// Memory cannot shrink, so a call that grew it is undone on a fresh
    /// instantiation.
    fn roll_back(&mut self) -> Result<()> {
        let saved = std::mem::take(&mut self.saved);
        if saved.memory.len() != self.memory().len() {
            self.reset()?;
            let saved_pages = (saved.memory.len() as u64 / crate::limits::PAGE_SIZE) as u32;
            let pages = self.pages();
            if saved_pages > pages {
                self.grow_unmetered(saved_pages - pages)?;
            }
        }
        if !saved.memory.is_empty() {
            self.memory_mut()?.copy_from_slice(&saved.memory);
        }
        for ((global, _), value) in self.mutable_globals().into_iter().zip(&saved.globals) {
            global
                .set(&mut self.store, value.clone())
                .map_err(|e| SimError::host("rollback", e.to_string()))?;
        }
        let state = self.store.data_mut();
        state.storage = saved.storage.clone();
        state.high_water_pages = saved.high_water_pages;
        self.saved = saved;
        Ok(())
    }

    /// What the module's start function did when this instance (or its last
    /// [`reset`](Self::reset)) was created: fuel and growth.
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
    /// // This module has no start function: it cost nothing.
    /// let instance = Simulator::new().load(&wasm)?.instantiate()?;
    /// assert_eq!(instance.start_outcome().fuel, 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn start_outcome(&self) -> &StartOutcome {
        &self.start
    }

    /// Sets who makes the following calls and what they send (the chain
    /// ABIs' `msg_sender`/`msg_value`, `info.sender`/`info.funds`).
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
    /// use capheap_sim::CallEnv;
    /// let mut instance = Simulator::new().load(&wasm)?.instantiate()?;
    /// let env = CallEnv { sender: Some("0x00000000000000000000000000000000000000aa".into()), ..CallEnv::default() };
    /// instance.set_call_env(env.clone());
    /// assert_eq!(instance.call_env(), &env);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_call_env(&mut self, env: CallEnv) {
        self.call_env = env;
    }

    /// Records that memory is no longer the module's initial memory (chain
    /// ABIs then start the next call on a fresh instance).
    pub(crate) fn mark_used(&mut self) {
        self.used = true;
    }

    /// The current call context.
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
    /// use capheap_sim::CallEnv;
    /// let instance = Simulator::new().load(&wasm)?.instantiate()?;
    /// assert_eq!(instance.call_env(), &CallEnv::default());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn call_env(&self) -> &CallEnv {
        &self.call_env
    }

    /// The seed custom host functions see.
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
    /// assert_eq!(contract.instantiate()?.seed(), 0);
    /// assert_eq!(contract.instantiate_seeded(7)?.seed(), 7);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn seed(&self) -> u64 {
        self.store.data().seed
    }

    /// Sets the seed custom host functions see.
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
    /// let mut instance = Simulator::new().load(&wasm)?.instantiate()?;
    /// instance.set_seed(99);
    /// assert_eq!(instance.seed(), 99);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_seed(&mut self, seed: u64) {
        self.store.data_mut().seed = seed;
    }

    /// Current size of linear memory in pages (0 without a memory).
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
    /// let mut instance = Simulator::new().load(&wasm)?.instantiate()?;
    /// assert_eq!(instance.pages(), 1);
    /// instance.call("grow", &[])?;
    /// assert_eq!(instance.pages(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn pages(&self) -> u32 {
        self.store.data().memory.map_or(0, |m| {
            u32::try_from(m.size(&self.store)).unwrap_or(u32::MAX)
        })
    }

    /// The whole linear memory (empty without a memory).
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
    /// let mut instance = Simulator::new().load(&wasm)?.instantiate()?;
    /// instance.call("bump", &[])?;
    /// assert_eq!(instance.memory().len(), 65_536);
    /// assert_eq!(instance.memory()[1024], 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn memory(&self) -> &[u8] {
        match self.store.data().memory {
            Some(m) => m.data(&self.store),
            None => &[],
        }
    }

    pub(crate) fn memory_mut(&mut self) -> Result<&mut [u8]> {
        let memory = self.store.data().memory.ok_or(SimError::NoMemory)?;
        Ok(memory.data_mut(&mut self.store))
    }

    pub(crate) fn grow_unmetered(&mut self, pages: u32) -> Result<()> {
        let memory = self.store.data().memory.ok_or(SimError::NoMemory)?;
        memory
            .grow(&mut self.store, u64::from(pages))
            .map_err(|e| SimError::Instantiate(e.to_string()))?;
        Ok(())
    }

    pub(crate) fn parts(&self) -> (&Store<HostState>, &wasmi::Instance) {
        (&self.store, &self.instance)
    }

    pub(crate) fn parts_mut(&mut self) -> (&mut Store<HostState>, &wasmi::Instance) {
        (&mut self.store, &self.instance)
    }

    /// Reads `len` bytes at `ptr`.
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
    /// let mut instance = Simulator::new().load(&wasm)?.instantiate()?;
    /// instance.call("bump", &[])?;
    /// assert_eq!(instance.read(1024, 4)?, 1u32.to_le_bytes());
    /// // Out of bounds: an error.
    /// assert!(instance.read(65_534, 4).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read(&self, ptr: u64, len: u64) -> Result<Vec<u8>> {
        let data = self.memory();
        let out_of_bounds = || SimError::RegionOutOfBounds {
            ptr,
            len,
            memory_len: data.len(),
        };
        let start = usize::try_from(ptr).map_err(|_| out_of_bounds())?;
        let end = usize::try_from(len)
            .ok()
            .and_then(|len| start.checked_add(len))
            .ok_or_else(out_of_bounds)?;
        data.get(start..end)
            .map(<[u8]>::to_vec)
            .ok_or_else(out_of_bounds)
    }

    /// Writes `bytes` at `ptr`.
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
    /// let mut instance = Simulator::new().load(&wasm)?.instantiate()?;
    /// instance.write(0, b"hello")?;
    /// assert_eq!(instance.read(0, 5)?, b"hello");
    /// assert!(instance.write(65_535, b"xy").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write(&mut self, ptr: u64, bytes: &[u8]) -> Result<()> {
        let data = self.memory_mut()?;
        let memory_len = data.len();
        let out_of_bounds = || SimError::RegionOutOfBounds {
            ptr,
            len: bytes.len() as u64,
            memory_len,
        };
        let start = usize::try_from(ptr).map_err(|_| out_of_bounds())?;
        let end = start.checked_add(bytes.len()).ok_or_else(out_of_bounds)?;
        data.get_mut(start..end)
            .ok_or_else(out_of_bounds)?
            .copy_from_slice(bytes);
        Ok(())
    }

    /// Root and page digests of linear memory now.
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
    /// let (mut a, mut b) = (contract.instantiate()?, contract.instantiate()?);
    /// a.call("bump", &[])?;
    /// assert_ne!(a.memory_root().root, b.memory_root().root);
    /// b.call("bump", &[])?;
    /// // The same calls leave the same memory, byte for byte.
    /// assert_eq!(a.memory_root(), b.memory_root());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn memory_root(&self) -> MemoryRoot {
        MemoryRoot::of(self.memory())
    }

    /// Contract storage.
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
    /// let instance = Simulator::new().load(&wasm)?.instantiate()?;
    /// assert!(instance.storage().is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn storage(&self) -> &Storage {
        &self.store.data().storage
    }

    /// Contract storage, mutably (e.g. to seed a scenario).
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
    /// let mut instance = Simulator::new().load(&wasm)?.instantiate()?;
    /// instance.storage_mut().insert(b"owner".to_vec(), b"alice".to_vec());
    /// assert_eq!(instance.storage().get(b"owner"), Some(&b"alice"[..]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn storage_mut(&mut self) -> &mut Storage {
        &mut self.store.data_mut().storage
    }

    /// Root of storage now.
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
    /// let mut a = contract.instantiate()?;
    /// let empty = a.storage_root();
    /// a.storage_mut().insert(b"k".to_vec(), b"v".to_vec());
    /// assert_ne!(a.storage_root(), empty);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn storage_root(&self) -> Digest {
        self.storage().root()
    }

    /// The pricing high-water mark: the most pages this instance (and the
    /// instances it was [`reset`](Self::reset) from) ever had.
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
    /// let mut instance = Simulator::new().load(&wasm)?.instantiate()?;
    /// instance.call("grow", &[])?;
    /// // A new transaction starts at the module's 1 page, but the mark stays.
    /// instance.reset()?;
    /// assert_eq!((instance.pages(), instance.high_water_pages()), (1, 2));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn high_water_pages(&self) -> u32 {
        self.store.data().high_water_pages
    }

    pub(crate) fn set_high_water_pages(&mut self, pages: u32) {
        self.store.data_mut().high_water_pages = pages;
    }

    /// Starts a new "transaction": a fresh instantiation (memory, globals and
    /// tables from the module) that keeps storage, the pricing high-water
    /// mark, the seed and the fuel limit — how chains run successive calls.
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
    /// let mut instance = Simulator::new().load(&wasm)?.instantiate()?;
    /// instance.storage_mut().insert(b"k".to_vec(), b"v".to_vec());
    /// assert_eq!(instance.call("bump", &[])?.returned, Some(1));
    /// instance.reset()?;
    /// // Globals and memory are fresh; storage is kept.
    /// assert_eq!(instance.call("bump", &[])?.returned, Some(1));
    /// assert_eq!(instance.storage().len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reset(&mut self) -> Result<()> {
        let storage = self.storage().clone();
        let (store, instance, start) = self.contract.new_store(
            storage,
            self.high_water_pages(),
            self.seed(),
            self.fuel_limit,
        )?;
        self.store = store;
        self.instance = instance;
        self.start = start;
        Ok(())
    }

    /// Calls `export` under call convention v0 and returns its outcome, or
    /// the error that ended it.
    ///
    /// - `() -> ...`: the export fetches the input with `capheap.input`; a
    ///   non-empty `input` is an error unless the module imports
    ///   `capheap.input` or `capheap.input_len` (it would be ignored).
    /// - `(i32 ptr, i32 len) -> ...`: the input is placed in memory through
    ///   `capheap_alloc(len)` and passed as `(ptr, len)`.
    /// - `... -> ()`: no output; `... -> i32`: a plain return value;
    ///   `... -> i64`: a region `(ptr << 32) | len` whose bytes are the
    ///   output. `capheap.output` overrides the returned region.
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
    /// let mut instance = Simulator::new().load(&wasm)?.instantiate()?;
    /// let outcome = instance.call("grow", &[])?;
    /// assert_eq!(outcome.returned, Some(1));
    /// assert_eq!((outcome.pages_before, outcome.pages_after), (1, 2));
    /// assert!(instance.call("no_such_export", &[]).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn call(&mut self, export: &str, input: &[u8]) -> Result<CallOutcome> {
        self.execute(export, input).into_result()
    }

    /// Like [`call`](Self::call) but always returns the outcome, with
    /// [`CallOutcome::error`] set when the call failed (fuel, pages, roots
    /// and logs describe the state it left).
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
    /// let mut instance = Simulator::new().load(&wasm)?.instantiate()?;
    /// let outcome = instance.execute("no_such_export", &[]);
    /// assert!(outcome.error.is_some());
    /// assert_eq!(instance.execute("bump", &[]).returned, Some(1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn execute(&mut self, export: &str, input: &[u8]) -> CallOutcome {
        let abi = self.contract.abi();
        let chain_abi = abi != Abi::Capheap;
        // Chains run each call on a fresh instance over persistent storage.
        let fresh = if chain_abi && self.used {
            self.reset()
        } else {
            Ok(())
        };
        self.used = true;
        // A failed call is reverted, as a chain reverts a transaction. Chain
        // ABIs start each call on a fresh instance, so storage is all there
        // is to put back; under capheap's ABI memory and globals persist, so
        // the whole instance is saved (unless the simulator keeps failed
        // writes, `SimulatorBuilder::keep_failed_writes`).
        let saved_storage = chain_abi.then(|| self.storage().clone());
        let rollback = !chain_abi && !self.contract.inner.sim.config.keep_failed_writes;
        if rollback {
            self.save_for_rollback();
        }
        let pages_before = self.pages();
        let limit = self.fuel_limit;
        self.store.data_mut().call = CallState {
            input: input.to_vec(),
            fuel_limit: limit,
            ..CallState::default()
        };
        let result = match (fresh, self.store.set_fuel(limit)) {
            (Err(e), _) => Err(e),
            (Ok(()), Ok(())) => match abi {
                Abi::Capheap => self.run_export(export, input),
                Abi::Stylus => self.run_stylus(export, input),
                Abi::CosmWasm => self.run_cosmwasm(export, input),
            },
            (Ok(()), Err(e)) => Err(SimError::host("fuel", e.to_string())),
        };
        let left = self.store.get_fuel().unwrap_or(0);
        let call = std::mem::take(&mut self.store.data_mut().call);
        let total = limit.saturating_sub(left);
        let fuel = FuelBreakdown {
            total,
            execution: total
                .saturating_sub(call.growth_fuel)
                .saturating_sub(call.host_fuel),
            growth: call.growth_fuel,
            host: call.host_fuel,
            limit,
        };
        let mut chain = None;
        let (returned, output, error) = match result {
            Err(e) => (None, Vec::new(), Some(e)),
            Ok(Returned::Chain {
                value,
                output,
                chain: report,
            }) => {
                chain = Some(report);
                (value, output, None)
            }
            Ok(returned) => {
                let value = match returned {
                    Returned::Nothing => None,
                    Returned::Value(v) => Some(i64::from(v)),
                    Returned::Region(v) => Some(v),
                    Returned::Chain { value, .. } => value,
                };
                match (call.output, returned) {
                    (Some(output), _) => (value, output, None),
                    (None, Returned::Region(packed)) => {
                        let packed = packed as u64;
                        match self.read(packed >> 32, packed & 0xffff_ffff) {
                            Ok(bytes) => (value, bytes, None),
                            Err(SimError::RegionOutOfBounds {
                                ptr,
                                len,
                                memory_len,
                            }) => {
                                let bad = SimError::BadReturn {
                                    export: export.to_owned(),
                                    returned: packed as i64,
                                    ptr,
                                    len,
                                    memory_len,
                                };
                                (value, Vec::new(), Some(bad))
                            }
                            Err(e) => (value, Vec::new(), Some(e)),
                        }
                    }
                    (None, _) => (value, Vec::new(), None),
                }
            }
        };
        if let (Some(_), Some(saved)) = (&error, saved_storage) {
            self.store.data_mut().storage = saved;
        }
        // A failed call is undone below, its allocator's counters with it:
        // read them first, so that what it refused (a cap, a budget) is still
        // counted. The rollback puts back whatever the read touched.
        let read_stats = self.contract.inner.sim.config.read_stats;
        let failed_stats = if error.is_some() && rollback && read_stats {
            self.stats().ok().flatten()
        } else {
            None
        };
        let error = match error {
            Some(e) if rollback => match self.roll_back() {
                Ok(()) => Some(e),
                Err(undo) => Some(SimError::host(
                    "rollback",
                    format!("cannot undo the failed call ({e}): {undo}"),
                )),
            },
            other => other,
        };
        let (stats, stats_error) = if read_stats {
            match self.stats() {
                Ok(stats) => (stats, None),
                Err(e) => (None, Some(e)),
            }
        } else {
            (None, None)
        };
        let base = std::mem::replace(&mut self.store.data_mut().stats_base, stats);
        let refused = match (failed_stats.or(stats), base) {
            (Some(now), Some(before)) => Some(Refusals::between(&before, &now)),
            _ => None,
        };
        let (memory_root, page_digests) = if self.contract.inner.sim.config.memory_roots {
            let memory = match self.store.data().memory {
                Some(m) => m.data(&self.store),
                None => &[],
            };
            let root = self.roots.root(memory);
            (Some(root.root), root.page_digests)
        } else {
            (None, Vec::new())
        };
        let pages_after = self.pages();
        CallOutcome {
            export: export.to_owned(),
            output,
            returned,
            fuel,
            pages_before,
            pages_after,
            peak_pages: pages_after.max(pages_before),
            high_water_pages: self.high_water_pages(),
            growth: call.growth,
            memory_root,
            page_digests,
            storage_root: self.storage_root(),
            logs: call.logs,
            stats,
            stats_error,
            refused,
            chain,
            error,
        }
    }

    fn run_export(&mut self, export: &str, input: &[u8]) -> Result<Returned> {
        let func = export_func(&self.instance, &self.store, export)?;
        let ty = func.ty(&self.store);
        let bad_signature = || SimError::WrongSignature {
            export: export.to_owned(),
            found: signature(ty.params(), ty.results()),
            expected: "() or (i32 ptr, i32 len) -> (), (i32) or (i64 region)".to_owned(),
        };
        let takes_input = match ty.params() {
            [] => false,
            [ValType::I32, ValType::I32] => true,
            _ => return Err(bad_signature()),
        };
        let mut out = match ty.results() {
            [] => vec![],
            [ValType::I32] => vec![Val::I32(0)],
            [ValType::I64] => vec![Val::I64(0)],
            _ => return Err(bad_signature()),
        };
        if !takes_input
            && !input.is_empty()
            && !crate::host::capheap::imports_input(&self.contract.inner.info)
        {
            return Err(SimError::WrongSignature {
                export: export.to_owned(),
                found: signature(ty.params(), ty.results()),
                expected: "(i32 ptr, i32 len) to take an input".to_owned(),
            });
        }
        let args = if takes_input {
            // Bytes moved this way cost what `capheap.input` charges.
            self.charge_host(input.len())?;
            let ptr = self.place_input(input)?;
            vec![Val::I32(ptr as i32), Val::I32(input.len() as i32)]
        } else {
            Vec::new()
        };
        self.invoke(export, func, &args, &mut out)?;
        Ok(match out.first() {
            Some(Val::I32(v)) => Returned::Value(*v),
            Some(Val::I64(v)) => {
                // A returned region is output: it costs what `capheap.output`
                // charges (unless `capheap.output` already set the output).
                if self.store.data().call.output.is_none() {
                    self.charge_host((*v as u64 & 0xffff_ffff) as usize)?;
                }
                Returned::Region(*v)
            }
            _ => Returned::Nothing,
        })
    }

    /// Charges what a host ABI call moving `bytes` costs
    /// ([`HostCosts`](crate::HostCosts)), as host fuel.
    fn charge_host(&mut self, bytes: usize) -> Result<()> {
        let costs = self.contract.inner.sim.config.host_costs;
        let fuel = costs
            .per_byte
            .saturating_mul(bytes as u64)
            .saturating_add(costs.base);
        let left = self.store.get_fuel().unwrap_or(0);
        let limit = self.store.data().call.fuel_limit;
        let rest = left
            .checked_sub(fuel)
            .ok_or(SimError::OutOfFuel { limit })?;
        self.store
            .set_fuel(rest)
            .map_err(|e| SimError::host("fuel", e.to_string()))?;
        let call = &mut self.store.data_mut().call;
        call.host_fuel = call.host_fuel.saturating_add(fuel);
        Ok(())
    }

    /// Calls `func`, mapping wasmi's error to a [`SimError`].
    fn invoke(&mut self, export: &str, func: Func, args: &[Val], out: &mut [Val]) -> Result<()> {
        func.call(&mut self.store, args, out).map_err(|e| {
            if let Some(trap) = e.downcast_ref::<HostTrap>() {
                return trap.0.clone();
            }
            let limits = &self.contract.inner.sim.config.limits;
            match e.as_trap_code() {
                Some(TrapCode::OutOfFuel) => SimError::OutOfFuel {
                    limit: self.store.data().call.fuel_limit,
                },
                Some(TrapCode::StackOverflow) => SimError::LimitExceeded {
                    limit: Limit::CallStack,
                    max: limits.max_call_depth as u64,
                    value: None,
                },
                _ => SimError::Trap {
                    export: export.to_owned(),
                    message: e.to_string(),
                },
            }
        })
    }

    /// Places `input` through the contract's `capheap_alloc` export.
    fn place_input(&mut self, input: &[u8]) -> Result<u32> {
        let len =
            i32::try_from(input.len()).map_err(|_| SimError::InputTooLarge { len: input.len() })?;
        let alloc = export_func(&self.instance, &self.store, ALLOC_EXPORT)?;
        let ty = alloc.ty(&self.store);
        if ty.params() != [ValType::I32] || ty.results() != [ValType::I32] {
            return Err(SimError::WrongSignature {
                export: ALLOC_EXPORT.to_owned(),
                found: signature(ty.params(), ty.results()),
                expected: "(i32) -> (i32)".to_owned(),
            });
        }
        let mut ptr = [Val::I32(0)];
        self.invoke(ALLOC_EXPORT, alloc, &[Val::I32(len)], &mut ptr)?;
        let ptr = ptr[0].i32().unwrap_or(0) as u32;
        if ptr == 0 {
            return Err(SimError::InputAllocFailed { len: input.len() });
        }
        self.write(u64::from(ptr), input)?;
        Ok(ptr)
    }

    /// The module's mutable globals and their values now.
    fn mutable_globals(&self) -> Vec<(wasmi::Global, Val)> {
        self.contract
            .inner
            .info
            .mutable_globals
            .iter()
            .filter_map(|&(index, _)| {
                let global = self
                    .instance
                    .get_global(&self.store, &crate::instrument::global_export(index))?;
                Some((global, global.get(&self.store)))
            })
            .collect()
    }

    /// The contract's allocator statistics through its `capheap_stats`
    /// export (`Ok(None)` when it has none). Runs on a budget of its own
    /// ([`STATS_FUEL`]), not charged to any call, and leaves no trace a chain
    /// would see: `memory.grow` fails, host writes (storage, logs, output)
    /// end the read with an error, and every mutable global is restored
    /// afterwards. The bytes it writes into memory (its stats buffer) stay,
    /// so roots are taken after it.
    ///
    /// ```
    /// use capheap_sim::Simulator;
    ///
    /// let wasm = wat::parse_str(r#"(module (memory (export "memory") 1) (func (export "f")))"#)?;
    /// let mut instance = Simulator::new().load(&wasm)?.instantiate()?;
    /// // No `capheap_stats` export: no statistics, and no error.
    /// assert_eq!(instance.stats()?, None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stats(&mut self) -> Result<Option<Stats>> {
        let Some(func) = self.instance.get_func(&self.store, STATS_EXPORT) else {
            return Ok(None);
        };
        let ty = func.ty(&self.store);
        if !ty.params().is_empty() || ty.results() != [ValType::I64] {
            return Err(SimError::WrongSignature {
                export: STATS_EXPORT.to_owned(),
                found: signature(ty.params(), ty.results()),
                expected: "() -> (i64 region)".to_owned(),
            });
        }
        self.store.data_mut().call = CallState {
            fuel_limit: STATS_FUEL,
            ..CallState::default()
        };
        self.store
            .set_fuel(STATS_FUEL)
            .map_err(|e| SimError::host("fuel", e.to_string()))?;
        // Reading statistics must leave no trace: growth and host writes are
        // refused, and the globals (the allocator's state) are put back.
        let globals = self.mutable_globals();
        self.store.data_mut().reading_stats = true;
        let mut out = [Val::I64(0)];
        let called = self.invoke(STATS_EXPORT, func, &[], &mut out);
        self.store.data_mut().reading_stats = false;
        self.store.data_mut().call = CallState::default();
        for (global, value) in globals {
            global
                .set(&mut self.store, value)
                .map_err(|e| SimError::host(STATS_EXPORT, e.to_string()))?;
        }
        called?;
        let packed = out[0].i64().unwrap_or(0) as u64;
        let bytes = self.read(packed >> 32, packed & 0xffff_ffff)?;
        Stats::decode(&bytes).map(Some).map_err(|e| SimError::Trap {
            export: STATS_EXPORT.to_owned(),
            message: format!("undecodable stats: {e}"),
        })
    }
}

impl Contract {
    /// A fresh instance with its own memory and empty storage (seed 0).
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
    /// let (mut a, mut b) = (contract.instantiate()?, contract.instantiate()?);
    /// a.call("bump", &[])?;
    /// // Instances share nothing.
    /// assert_eq!(b.call("bump", &[])?.returned, Some(1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn instantiate(&self) -> Result<Instance> {
        self.instantiate_seeded(0)
    }

    /// A fresh instance whose custom host functions see `seed`
    /// ([`HostContext::seed`](crate::HostContext::seed)).
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
    /// let instance = Simulator::new().load(&wasm)?.instantiate_seeded(1234)?;
    /// assert_eq!(instance.seed(), 1234);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn instantiate_seeded(&self, seed: u64) -> Result<Instance> {
        self.instantiate_with(Storage::new(), 0, seed)
    }

    /// A fresh instance with the given storage, pricing high-water mark and
    /// seed. The start function (if any) runs under the simulator's per-call
    /// fuel limit; [`Instance::start_outcome`] reports it.
    pub(crate) fn instantiate_with(
        &self,
        storage: Storage,
        high_water_pages: u32,
        seed: u64,
    ) -> Result<Instance> {
        let budget = self.inner.sim.config.fuel_limit;
        let (store, instance, start) = self.new_store(storage, high_water_pages, seed, budget)?;
        let mut instance = Instance::new(self.clone(), store, instance);
        instance.start = start;
        Ok(instance)
    }

    pub(crate) fn new_store(
        &self,
        storage: Storage,
        high_water_pages: u32,
        seed: u64,
        budget: u64,
    ) -> Result<(Store<HostState>, wasmi::Instance, StartOutcome)> {
        let sim = &self.inner.sim;
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
            host_nesting: 0,
            reading_stats: false,
            stats_base: Some(Stats::default()),
            store_limits: wasmi::StoreLimitsBuilder::new()
                .table_elements(sim.config.limits.max_table_elements as usize)
                .tables(sim.config.limits.max_tables as usize)
                .memories(1)
                .instances(1)
                .build(),
        };
        let mut store = Store::new(&sim.engine, state);
        store.limiter(|state| &mut state.store_limits);
        store
            .set_fuel(budget)
            .map_err(|e| SimError::Instantiate(e.to_string()))?;
        let instance = self
            .inner
            .linker
            .instantiate_and_start(&mut store, &self.inner.module)
            .map_err(|e| {
                if let Some(trap) = e.downcast_ref::<crate::host::HostTrap>() {
                    return trap.0.clone();
                }
                match e.as_trap_code() {
                    Some(TrapCode::OutOfFuel) => SimError::OutOfFuel { limit: budget },
                    Some(TrapCode::StackOverflow) => SimError::LimitExceeded {
                        limit: Limit::CallStack,
                        max: sim.config.limits.max_call_depth as u64,
                        value: None,
                    },
                    _ => SimError::Instantiate(e.to_string()),
                }
            })?;
        let memory = instance.get_memory(&store, MEMORY_EXPORT);
        let pages = memory.map_or(0, |m| u32::try_from(m.size(&store)).unwrap_or(u32::MAX));
        let left = store.get_fuel().unwrap_or(0);
        let state = store.data_mut();
        state.memory = memory;
        state.high_water_pages = state.high_water_pages.max(pages);
        let call = std::mem::take(&mut state.call);
        let start = StartOutcome {
            fuel: budget.saturating_sub(left),
            growth_fuel: call.growth_fuel,
            growth: call.growth,
        };
        Ok((store, instance, start))
    }
}
