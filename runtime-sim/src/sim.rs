//! The simulator core: compile a contract once, instantiate it per run, call
//! exports under fuel metering.
//!
//! wasmi runs with fuel metering on and [`CompilationMode::Eager`]: the lazy
//! default charges translation fuel on a function's first call only, so the
//! same call would cost different fuel on a fresh instance and on a warm one.

use wasmi::{CompilationMode, Config, Engine, Linker, Memory, Module, Store, Val, ValType};

use crate::error::{Result, SimError};

/// The wasm page size in bytes.
pub const PAGE_SIZE: u64 = 65_536;

/// Default fuel limit of one call.
pub const DEFAULT_FUEL_LIMIT: u64 = 10_000_000_000;

/// Export through which the host places call input in contract memory.
pub const ALLOC_EXPORT: &str = "capheap_alloc";

/// The wasmi configuration every simulation uses.
pub fn engine_config() -> Config {
    let mut config = Config::default();
    config
        .consume_fuel(true)
        .compilation_mode(CompilationMode::Eager);
    config
}

/// A validated, compiled contract; instantiate it as often as needed.
#[derive(Clone)]
pub struct Contract {
    engine: Engine,
    module: Module,
}

impl std::fmt::Debug for Contract {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Contract").finish_non_exhaustive()
    }
}

impl Contract {
    /// Validates and compiles `wasm`.
    pub fn from_bytes(wasm: &[u8]) -> Result<Self> {
        if wasm.get(..4) != Some(b"\0asm") {
            return Err(SimError::NotWasm(
                "missing the `\\0asm` magic number".to_owned(),
            ));
        }
        let engine = Engine::new(&engine_config());
        let module =
            Module::new(&engine, wasm).map_err(|e| SimError::InvalidWasm(e.to_string()))?;
        Ok(Contract { engine, module })
    }

    /// Reads and compiles a `.wasm` file.
    pub fn from_file(path: &std::path::Path) -> Result<Self> {
        let wasm = std::fs::read(path).map_err(|source| SimError::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::from_bytes(&wasm)
    }

    /// A fresh instance with its own memory.
    pub fn instantiate(&self) -> Result<Instance> {
        let mut store = Store::new(&self.engine, ());
        let linker = Linker::<()>::new(&self.engine);
        // Instantiation (data segments, start function) runs without a fuel
        // budget of its own; calls are metered.
        store
            .set_fuel(u64::MAX)
            .map_err(|e| SimError::Instantiate(e.to_string()))?;
        let instance = linker
            .instantiate_and_start(&mut store, &self.module)
            .map_err(|e| SimError::Instantiate(e.to_string()))?;
        let memory = instance
            .get_memory(&store, "memory")
            .ok_or(SimError::NoMemory)?;
        Ok(Instance {
            store,
            instance,
            memory,
            fuel_limit: DEFAULT_FUEL_LIMIT,
        })
    }
}

/// What one call did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallOutcome {
    /// Bytes of the returned region (empty when the export returns nothing).
    pub output: Vec<u8>,
    /// The raw return value, if the export returns one.
    pub returned: Option<i64>,
    /// Fuel consumed by the call (input placement included).
    pub fuel: u64,
    /// Pages of linear memory before the call.
    pub pages_before: u64,
    /// Pages of linear memory after the call.
    pub pages_after: u64,
}

/// A live instance of a [`Contract`].
pub struct Instance {
    store: Store<()>,
    instance: wasmi::Instance,
    memory: Memory,
    fuel_limit: u64,
}

impl std::fmt::Debug for Instance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Instance")
            .field("pages", &self.pages())
            .field("fuel_limit", &self.fuel_limit)
            .finish_non_exhaustive()
    }
}

fn signature(params: &[ValType], results: &[ValType]) -> String {
    let list = |tys: &[ValType]| {
        tys.iter()
            .map(|t| format!("{t:?}").to_lowercase())
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!("({}) -> ({})", list(params), list(results))
}

impl Instance {
    /// Sets the fuel limit of each later call.
    pub fn set_fuel_limit(&mut self, limit: u64) {
        self.fuel_limit = limit;
    }

    /// Current size of linear memory in pages.
    pub fn pages(&self) -> u64 {
        self.memory.size(&self.store)
    }

    /// The whole linear memory.
    pub fn memory(&self) -> &[u8] {
        self.memory.data(&self.store)
    }

    /// Reads `len` bytes at `ptr`.
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
    pub fn write(&mut self, ptr: u64, bytes: &[u8]) -> Result<()> {
        let data = self.memory.data_mut(&mut self.store);
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

    fn func(&self, export: &str) -> Result<(wasmi::Func, wasmi::FuncType)> {
        let ext = self
            .instance
            .get_export(&self.store, export)
            .ok_or_else(|| SimError::MissingExport(export.to_owned()))?;
        let func = ext
            .into_func()
            .ok_or_else(|| SimError::NotAFunction(export.to_owned()))?;
        let ty = func.ty(&self.store);
        Ok((func, ty))
    }

    /// Calls `func` with raw values, charging fuel against `budget`.
    fn invoke(
        &mut self,
        export: &str,
        func: wasmi::Func,
        args: &[Val],
        results: &mut [Val],
        budget: u64,
    ) -> Result<u64> {
        self.store
            .set_fuel(budget)
            .map_err(|e| SimError::Instantiate(e.to_string()))?;
        let outcome = func.call(&mut self.store, args, results);
        let left = self.store.get_fuel().unwrap_or(0);
        let used = budget.saturating_sub(left);
        match outcome {
            Ok(()) => Ok(used),
            Err(e) if e.as_trap_code() == Some(wasmi::TrapCode::OutOfFuel) => {
                Err(SimError::OutOfFuel {
                    limit: self.fuel_limit,
                })
            }
            Err(e) => Err(SimError::Trap {
                export: export.to_owned(),
                message: e.to_string(),
            }),
        }
    }

    /// Places `input` in contract memory through its `capheap_alloc` export.
    fn place_input(&mut self, input: &[u8], budget: u64) -> Result<(i32, u64)> {
        let len =
            i32::try_from(input.len()).map_err(|_| SimError::InputTooLarge { len: input.len() })?;
        let (alloc, ty) = self.func(ALLOC_EXPORT)?;
        if ty.params() != [ValType::I32] || ty.results() != [ValType::I32] {
            return Err(SimError::WrongSignature {
                export: ALLOC_EXPORT.to_owned(),
                found: signature(ty.params(), ty.results()),
                expected: "(i32) -> (i32)".to_owned(),
            });
        }
        let mut ptr = [Val::I32(0)];
        let fuel = self.invoke(ALLOC_EXPORT, alloc, &[Val::I32(len)], &mut ptr, budget)?;
        let ptr = ptr[0].i32().unwrap_or(0);
        if ptr == 0 {
            return Err(SimError::InputAllocFailed { len: input.len() });
        }
        self.write(u64::from(ptr as u32), input)?;
        Ok((ptr, fuel))
    }

    /// Calls `export` under call convention v0.
    ///
    /// - `() -> ...`: no input (`input` must be empty).
    /// - `(i32 ptr, i32 len) -> ...`: the input is placed in memory through
    ///   `capheap_alloc(len)` and passed as `(ptr, len)`.
    /// - `... -> ()`: no output; `... -> i32`: a plain return value;
    ///   `... -> i64`: a region `(ptr << 32) | len` whose bytes are the output.
    pub fn call(&mut self, export: &str, input: &[u8]) -> Result<CallOutcome> {
        let (func, ty) = self.func(export)?;
        let params = ty.params();
        let results = ty.results();
        let takes_input = match params {
            [] => false,
            [ValType::I32, ValType::I32] => true,
            _ => return Err(self.bad_signature(export, &ty)),
        };
        if !takes_input && !input.is_empty() {
            return Err(SimError::WrongSignature {
                export: export.to_owned(),
                found: signature(params, results),
                expected: "(i32 ptr, i32 len) to take an input".to_owned(),
            });
        }
        let mut out = match results {
            [] => vec![],
            [ValType::I32] => vec![Val::I32(0)],
            [ValType::I64] => vec![Val::I64(0)],
            _ => return Err(self.bad_signature(export, &ty)),
        };
        let pages_before = self.pages();
        let mut fuel = 0;
        let mut args = Vec::new();
        if takes_input {
            let (ptr, used) = self.place_input(input, self.fuel_limit)?;
            fuel = used;
            args = vec![Val::I32(ptr), Val::I32(input.len() as i32)];
        }
        fuel += self.invoke(
            export,
            func,
            &args,
            &mut out,
            self.fuel_limit.saturating_sub(fuel),
        )?;
        let (returned, output) = match out.first() {
            None => (None, Vec::new()),
            Some(Val::I32(v)) => (Some(i64::from(*v)), Vec::new()),
            Some(Val::I64(v)) => {
                let packed = *v as u64;
                (Some(*v), self.read(packed >> 32, packed & 0xffff_ffff)?)
            }
            Some(_) => (None, Vec::new()),
        };
        Ok(CallOutcome {
            output,
            returned,
            fuel,
            pages_before,
            pages_after: self.pages(),
        })
    }

    fn bad_signature(&self, export: &str, ty: &wasmi::FuncType) -> SimError {
        SimError::WrongSignature {
            export: export.to_owned(),
            found: signature(ty.params(), ty.results()),
            expected: "() or (i32 ptr, i32 len) -> (), (i32) or (i64 region)".to_owned(),
        }
    }
}
