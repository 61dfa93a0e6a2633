//! `check`: a static report on a module against a simulator's configuration,
//! in the spirit of `cosmwasm-check`.
//!
//! Findings carry a [`Level`]; [`CheckReport::passes`] tells whether a
//! report is clean at a `--deny` level. The module is parsed with every
//! wasm feature decodable, so the report can name what the simulator's wasmi
//! would reject (SIMD, atomics, memory64, ...) instead of only failing.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use wasmparser::{ExternalKind, FuncType, Operator, Parser, Payload};

use crate::deploy::{self, Deployment};
use crate::engine::{Simulator, UnknownImports};
use crate::host::{ALLOC_EXPORT, Abi, HOST_ABI_VERSION, cosmwasm, stylus};
use crate::instrument::{self, ModuleInfo, RESERVED_MODULE, RESERVED_PREFIX};
use crate::memroot::Digest;
use crate::stats::STATS_EXPORT;

/// Severity of a finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Worth knowing.
    Info,
    /// Likely a problem on some chain, or for the simulator's guarantees.
    Warn,
    /// The simulator refuses the module, or it breaks a cap.
    Error,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        })
    }
}

impl FromStr for Level {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "info" => Ok(Level::Info),
            "warn" | "warning" => Ok(Level::Warn),
            "error" => Ok(Level::Error),
            _ => Err(format!("unknown level `{s}` (info, warn, error)")),
        }
    }
}

/// One finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Severity.
    pub level: Level,
    /// Stable kebab-case identifier (`float-nan`, `unknown-import`, ...).
    pub code: &'static str,
    /// Human-readable detail.
    pub message: String,
}

/// Who provides an import.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Provider {
    /// The host environment of the module's ABI.
    HostAbi,
    /// The module's ABI declares it but the simulator does not model it:
    /// calling it ends the call with `not-simulated`.
    NotSimulated,
    /// A custom host function of the simulator.
    Custom,
    /// The simulator's reserved module (refused).
    Reserved,
    /// Nobody.
    Unknown,
}

/// An import of the module.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    /// Module.
    pub module: String,
    /// Name.
    pub name: String,
    /// `func`, `memory`, `global`, `table` or `tag`.
    pub kind: &'static str,
    /// Signature of a function import.
    pub signature: Option<String>,
    /// Who provides it.
    pub provider: Provider,
}

/// An export of the module.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExportSummary {
    /// Name.
    pub name: String,
    /// `func`, `memory`, `global`, `table` or `tag`.
    pub kind: &'static str,
    /// Signature of a function export.
    pub signature: Option<String>,
    /// Whether the simulator can call it as an entry point of the module's
    /// ABI (call convention v0, `user_entrypoint`, CosmWasm entry points).
    pub callable: bool,
}

/// Memory 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct MemorySummary {
    /// Initial pages.
    pub initial: u64,
    /// Declared maximum pages.
    pub maximum: Option<u64>,
    /// The simulator's page cap.
    pub cap: u32,
    /// 64-bit memory.
    pub memory64: bool,
    /// Shared memory.
    pub shared: bool,
    /// Imported rather than defined.
    pub imported: bool,
}

/// Operator counts over all function bodies.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct OperatorCounts {
    /// All operators.
    pub total: u64,
    /// Operators touching `f32`/`f64` (loads, stores, arithmetic, conversions).
    pub float: u64,
    /// Float operators whose NaN results are nondeterministic across engines
    /// (arithmetic, min/max, rounding, sqrt, promote/demote).
    pub float_nan: u64,
    /// SIMD (`v128`) operators.
    pub simd: u64,
    /// Atomic (threads) operators.
    pub atomic: u64,
    /// `memory.grow` sites (all rerouted to the growth hook).
    pub memory_grow: u64,
    /// `table.set/grow/fill/copy/init` and `elem.drop`.
    pub table_mutation: u64,
    /// Operators of the bulk memory proposal (`memory.copy`, `memory.fill`,
    /// `memory.init`, `data.drop`, `table.copy`, `table.init`, `elem.drop`):
    /// rustc 1.87 and later emit `memory.copy` and `memory.fill` for
    /// wasm32-unknown-unknown by default.
    pub bulk_memory: u64,
    /// Operators of the reference types proposal (`ref.*`, `table.get`,
    /// `table.set`, `table.size`, `table.grow`, `table.fill`, typed
    /// `select`).
    pub reference_types: u64,
}

/// The static report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CheckReport {
    /// Module size in bytes.
    pub size: usize,
    /// The simulator's size cap.
    pub max_wasm_size: usize,
    /// SHA-256 of the module.
    pub code_hash: Digest,
    /// The host ABI imports and exports were checked against.
    pub abi: Abi,
    /// Why that ABI (set explicitly, or what detected it).
    pub abi_reason: String,
    /// The version of capheap's host ABI (under [`Abi::Capheap`]).
    pub host_abi_version: u32,
    /// Defined functions.
    pub functions: u32,
    /// Memory 0, if any.
    pub memory: Option<MemorySummary>,
    /// Imports.
    pub imports: Vec<ImportSummary>,
    /// Exports.
    pub exports: Vec<ExportSummary>,
    /// Operator counts.
    pub operators: OperatorCounts,
    /// What the ABI's chain stores, what that costs and its limits
    /// (`None` for capheap's own ABI, or a module that cannot be read).
    pub deploy: Option<Deployment>,
    /// Findings, most severe first (then in discovery order).
    pub findings: Vec<Finding>,
}

impl CheckReport {
    /// The most severe finding's level.
    ///
    /// ```
    /// use capheap_sim::{Level, Simulator};
    ///
    /// let report = Simulator::new().check(b"not wasm");
    /// assert_eq!(report.max_level(), Some(Level::Error));
    /// ```
    pub fn max_level(&self) -> Option<Level> {
        self.findings.iter().map(|f| f.level).max()
    }

    /// Whether no finding is at or above `deny`.
    ///
    /// ```
    /// use capheap_sim::{Level, Simulator};
    ///
    /// let wasm = wat::parse_str(r#"(module (memory (export "memory") 1) (func (export "f")))"#)?;
    /// let report = Simulator::new().check(&wasm);
    /// assert!(report.passes(Level::Error));
    /// assert!(!Simulator::new().check(b"not wasm").passes(Level::Error));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn passes(&self, deny: Level) -> bool {
        self.max_level().is_none_or(|level| level < deny)
    }

    fn push(&mut self, level: Level, code: &'static str, message: impl Into<String>) {
        self.findings.push(Finding {
            level,
            code,
            message: message.into(),
        });
    }
}

fn signature(ty: &FuncType) -> String {
    let list = |tys: &[wasmparser::ValType]| {
        tys.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!("({}) -> ({})", list(ty.params()), list(ty.results()))
}

fn kind_name(kind: ExternalKind) -> &'static str {
    match kind {
        ExternalKind::Func => "func",
        ExternalKind::Table => "table",
        ExternalKind::Memory => "memory",
        ExternalKind::Global => "global",
        ExternalKind::Tag => "tag",
    }
}

/// Whether `Instance::call` accepts a function of this type.
fn callable(ty: &FuncType) -> bool {
    use wasmparser::ValType::{I32, I64};
    matches!(ty.params(), [] | [I32, I32]) && matches!(ty.results(), [] | [I32] | [I64])
}

impl Simulator {
    /// Static report on `wasm` against this simulator's configuration
    /// (never fails: a broken module is an error-level finding).
    ///
    /// ```
    /// use capheap_sim::{Level, Simulator};
    ///
    /// let wasm = wat::parse_str(
    ///     r#"(module (memory (export "memory") 1) (func (export "__capheap_sim_x")))"#,
    /// )?;
    /// let report = Simulator::new().check(&wasm);
    /// // Exports under the simulator's reserved prefix are refused.
    /// assert!(report.findings.iter().any(|f| f.code == "reserved-export" && f.level == Level::Error));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn check(&self, wasm: &[u8]) -> CheckReport {
        check(self, wasm)
    }
}

fn check(sim: &Simulator, wasm: &[u8]) -> CheckReport {
    let limits = sim.limits();
    let mut report = CheckReport {
        size: wasm.len(),
        max_wasm_size: limits.max_wasm_size,
        code_hash: Digest::of(wasm),
        abi: sim.abi().unwrap_or_default(),
        abi_reason: "set explicitly".to_owned(),
        host_abi_version: HOST_ABI_VERSION,
        functions: 0,
        memory: None,
        imports: Vec::new(),
        exports: Vec::new(),
        operators: OperatorCounts::default(),
        deploy: None,
        findings: Vec::new(),
    };
    if wasm.len() > limits.max_wasm_size {
        report.push(
            Level::Error,
            "wasm-size",
            format!(
                "{} bytes exceed the cap of {}",
                wasm.len(),
                limits.max_wasm_size
            ),
        );
    }
    if wasm.get(..4) != Some(b"\0asm") {
        report.push(
            Level::Error,
            "not-wasm",
            "missing the `\\0asm` magic number",
        );
        return finish(report);
    }
    let info = match instrument::scan(wasm) {
        Ok(info) => info,
        Err(e) => {
            report.push(Level::Error, "malformed", e);
            return finish(report);
        }
    };
    let code = match scan_code(wasm, info.func_imports) {
        Ok(code) => {
            report.operators = code.operators;
            Some(code)
        }
        Err(e) => {
            report.push(Level::Error, "malformed", e);
            None
        }
    };
    let no_plain = std::collections::BTreeMap::new();
    let plain_i64 = code.as_ref().map_or(&no_plain, |c| &c.plain_i64);
    if let Err(e) = wasmi::Module::validate(&sim.engine, wasm) {
        report.push(
            Level::Error,
            "rejected",
            format!("the simulator's wasmi rejects it: {e}"),
        );
    }
    report.functions = (info.func_types.len() as u32).saturating_sub(info.func_imports);
    if sim.abi().is_none() {
        (report.abi, report.abi_reason) = Abi::detect(&info);
    }
    check_memory(sim, &info, &mut report);
    check_tables(sim, &info, &mut report);
    check_imports(sim, &info, &mut report);
    match report.abi {
        Abi::Capheap => check_exports(&info, plain_i64, &mut report),
        Abi::Stylus => {
            check_stylus(&info, &mut report);
            check_stylus_activation(wasm, &info, code.as_ref(), &mut report);
        }
        Abi::CosmWasm => {
            check_cosmwasm(&info, &mut report);
            check_cosmwasm_vm(&info, code.as_ref(), &mut report);
        }
    }
    // The module cargo-stylus would send, processed once for both the
    // feature checks and the deployment figures. Not for a module over the
    // size cap (already an error): its text form is several times its size.
    let sent = (report.abi == Abi::Stylus && wasm.len() <= limits.max_wasm_size)
        .then(|| deploy::stylus_module(wasm).map_err(|e| e.to_string()));
    if let Some(code) = &code {
        check_chain_features(wasm, code, sent.as_ref(), &mut report);
    }
    check_operators(sim, &info, &mut report);
    check_deployment(wasm, sent.as_ref(), &mut report);
    finish(report)
}

/// The chain's size limits: the module a Stylus or CosmWasm chain would
/// store, against its limits (`deploy`). `sent` is the module cargo-stylus
/// sends, for a Stylus module under the size cap.
fn check_deployment(wasm: &[u8], sent: Option<&Result<Vec<u8>, String>>, report: &mut CheckReport) {
    let d = match (report.abi, sent) {
        (Abi::Stylus, Some(Ok(module))) => deploy::stylus_deployment(module),
        // Over the size cap: that error stands, there is nothing to size.
        (Abi::Stylus, None) => return,
        (Abi::Stylus, Some(Err(e))) => {
            report.push(Level::Error, "malformed", e.clone());
            return;
        }
        (abi, _) => match deploy::deployment(abi, wasm) {
            Ok(Some(d)) => d,
            Ok(None) => return,
            Err(e) => {
                report.push(Level::Error, "malformed", e.to_string());
                return;
            }
        },
    };
    report.deploy = Some(d);
    let chain = report.abi;
    if let Some(limit) = d.stored_limit
        && d.stored_bytes > limit
    {
        report.push(
            Level::Error,
            "deploy-code-size",
            format!(
                "{chain} stores {} bytes ({}), over its limit of {limit}",
                d.stored_bytes,
                d.stored_as()
            ),
        );
    }
    if d.module_bytes > d.module_limit {
        report.push(
            Level::Error,
            "deploy-wasm-size",
            format!(
                "{chain} refuses a module of {} bytes: its limit is {}",
                d.module_bytes, d.module_limit
            ),
        );
    }
}

fn finish(mut report: CheckReport) -> CheckReport {
    // Stable sort: most severe first, discovery order within a level.
    report.findings.sort_by_key(|f| std::cmp::Reverse(f.level));
    report
}

fn check_memory(sim: &Simulator, info: &ModuleInfo, report: &mut CheckReport) {
    let cap = sim.limits().max_pages;
    let Some(memory) = info.memories.first().copied() else {
        report.push(Level::Info, "no-memory", "the module has no linear memory");
        return;
    };
    report.memory = Some(MemorySummary {
        initial: memory.initial,
        maximum: memory.maximum,
        cap,
        memory64: memory.memory64,
        shared: memory.shared,
        imported: memory.imported,
    });
    if info.memories.len() > 1 {
        report.push(
            Level::Error,
            "multi-memory",
            format!(
                "{} memories; the simulator supports one",
                info.memories.len()
            ),
        );
    }
    if memory.memory64 {
        report.push(Level::Error, "memory64", "64-bit memory is not supported");
    }
    if memory.shared {
        report.push(
            Level::Error,
            "shared-memory",
            "shared memory (threads) is not supported",
        );
    }
    if memory.imported {
        report.push(
            Level::Error,
            "memory-import",
            "the host provides no memory to import",
        );
    }
    if memory.initial > u64::from(cap) {
        report.push(
            Level::Error,
            "memory-initial-over-cap",
            format!(
                "initial memory {} pages exceeds the cap of {cap}",
                memory.initial
            ),
        );
    }
    match memory.maximum {
        None => report.push(
            Level::Info,
            "memory-unbounded",
            format!("no declared maximum: the simulator's cap of {cap} pages binds"),
        ),
        Some(max) if max > u64::from(cap) => report.push(
            Level::Warn,
            "memory-max-over-cap",
            format!("declared maximum {max} pages exceeds the cap of {cap}: growth fails at {cap}"),
        ),
        Some(_) => {}
    }
}

fn check_tables(sim: &Simulator, info: &ModuleInfo, report: &mut CheckReport) {
    let limits = sim.limits();
    if info.tables.len() > limits.max_tables as usize {
        report.push(
            Level::Error,
            "tables",
            format!(
                "{} tables exceed the cap of {}",
                info.tables.len(),
                limits.max_tables
            ),
        );
    }
    let cap = u64::from(limits.max_table_elements);
    for (i, (initial, maximum)) in info.tables.iter().enumerate() {
        if *initial > cap {
            report.push(
                Level::Error,
                "table-elements",
                format!("table {i} starts with {initial} elements, over the cap of {cap}"),
            );
        } else if maximum.is_none_or(|m| m > cap) {
            report.push(
                Level::Warn,
                "table-unbounded",
                format!(
                    "table {i} may grow past the simulator's cap of {cap} elements: `table.grow` fails there"
                ),
            );
        }
    }
}

fn check_imports(sim: &Simulator, info: &ModuleInfo, report: &mut CheckReport) {
    let abi = report.abi;
    let abi_name = match abi {
        Abi::Capheap => format!("capheap host ABI v{HOST_ABI_VERSION}"),
        other => format!("the {other} ABI"),
    };
    for import in &info.imports {
        let declared = abi.import(&import.module, &import.name);
        let provider = if import.module == RESERVED_MODULE {
            Provider::Reserved
        } else if let Some(f) = declared {
            if f.simulated {
                Provider::HostAbi
            } else {
                Provider::NotSimulated
            }
        } else if sim.has_host_func(&import.module, &import.name) {
            Provider::Custom
        } else {
            Provider::Unknown
        };
        let what = format!("`{}.{}`", import.module, import.name);
        match provider {
            Provider::Reserved => report.push(
                Level::Error,
                "reserved-import",
                format!("{what} imports from the simulator's reserved module"),
            ),
            _ if import.kind != "func" => report.push(
                Level::Error,
                "non-function-import",
                format!(
                    "{what} is a {} import; the host provides functions only",
                    import.kind
                ),
            ),
            Provider::HostAbi | Provider::NotSimulated => {
                let ty = declared.map(|f| f.func_type());
                let found = import.func.as_ref().map(signature);
                let expected = ty.map(|t| crate::error::signature(t.params(), t.results()));
                if found != expected {
                    report.push(
                        Level::Error,
                        "import-signature",
                        format!(
                            "{what} has signature {}; {abi_name} provides {}",
                            found.unwrap_or_default(),
                            expected.unwrap_or_default()
                        ),
                    );
                } else if provider == Provider::NotSimulated {
                    report.push(
                        Level::Warn,
                        "not-simulated",
                        format!(
                            "{what} is not simulated ({}): a call that reaches it ends with `not-simulated`",
                            declared.map_or("", |f| f.summary)
                        ),
                    );
                }
            }
            Provider::Custom => {}
            Provider::Unknown => {
                let (level, effect) = match sim.unknown_imports() {
                    UnknownImports::Reject => (Level::Error, "the simulator refuses the module"),
                    UnknownImports::Trap => (Level::Warn, "calling it traps"),
                };
                report.push(
                    level,
                    "unknown-import",
                    format!("{what} is not in {abi_name}: {effect}"),
                );
            }
        }
        report.imports.push(ImportSummary {
            module: import.module.clone(),
            name: import.name.clone(),
            kind: import.kind,
            signature: import.func.as_ref().map(signature),
            provider,
        });
    }
}

/// Finds functions whose `i64` result is visibly not an output region: a
/// return or the body's end right after `i64.extend_i32_*` (a widened
/// 32-bit number: the region would start at address 0) or after an
/// `i64.const` whose region would run past 4 GiB (such as -1). Fed one
/// function body's operators at a time.
#[derive(Default)]
struct PlainI64 {
    /// Why the value on top of the stack is not a region, if it is not.
    last: Option<String>,
    /// Open blocks in the current body.
    depth: u32,
}

impl PlainI64 {
    /// Sees `op` of function `index`; records the function in `found`.
    fn see(
        &mut self,
        op: &Operator<'_>,
        index: u32,
        found: &mut std::collections::BTreeMap<u32, String>,
    ) {
        let returning = match op {
            Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => {
                self.depth += 1;
                false
            }
            Operator::End if self.depth == 0 => true,
            Operator::End => {
                self.depth -= 1;
                false
            }
            Operator::Return => true,
            _ => false,
        };
        if returning && let Some(reason) = self.last.take() {
            found.entry(index).or_insert(reason);
        }
        self.last = match *op {
            Operator::I64ExtendI32U | Operator::I64ExtendI32S => Some("a widened i32".to_owned()),
            Operator::I64Const { value }
                if ((value as u64) >> 32) + (value as u64 & 0xffff_ffff) > 1 << 32 =>
            {
                Some(format!("the constant {value}"))
            }
            _ => None,
        };
    }
}

fn check_exports(
    info: &ModuleInfo,
    plain_i64: &std::collections::BTreeMap<u32, String>,
    report: &mut CheckReport,
) {
    let mut takes_input = false;
    let mut has_alloc = false;
    for export in &info.exports {
        let ty = (export.kind == ExternalKind::Func)
            .then(|| info.func_type(export.index))
            .flatten();
        let is_callable = ty.is_some_and(callable);
        if let Some(ty) = ty {
            takes_input |= ty.params().len() == 2 && is_callable;
        }
        reject_reserved(&export.name, report);
        let sig = ty.map(signature);
        if export.name == ALLOC_EXPORT {
            has_alloc = true;
            if sig.as_deref() != Some("(i32) -> (i32)") {
                report.push(
                    Level::Error,
                    "alloc-signature",
                    format!(
                        "`{ALLOC_EXPORT}` must be (i32) -> (i32), found {}",
                        sig.clone().unwrap_or_default()
                    ),
                );
            }
        } else if export.name == STATS_EXPORT && sig.as_deref() != Some("() -> (i64)") {
            report.push(
                Level::Warn,
                "stats-signature",
                format!(
                    "`{STATS_EXPORT}` must be () -> (i64), found {}",
                    sig.clone().unwrap_or_default()
                ),
            );
        } else if let (true, Some(reason)) = (
            is_callable && ty.is_some_and(|t| t.results() == [wasmparser::ValType::I64]),
            plain_i64.get(&export.index),
        ) {
            report.push(
                Level::Warn,
                "i64-not-a-region",
                format!(
                    "`{}` returns {reason} as its i64, which the call convention reads as the \
                     output region (ptr << 32 | len); return a region of the output bytes, or an \
                     i32 for a plain value",
                    export.name
                ),
            );
        } else if ty.is_some() && !is_callable {
            report.push(
                Level::Info,
                "uncallable-export",
                format!(
                    "`{}` {} does not fit call convention v0",
                    export.name,
                    sig.clone().unwrap_or_default()
                ),
            );
        }
        report.exports.push(ExportSummary {
            name: export.name.clone(),
            kind: kind_name(export.kind),
            signature: sig,
            callable: is_callable,
        });
    }
    if takes_input && !has_alloc {
        report.push(
            Level::Warn,
            "missing-alloc",
            format!("exports take (ptr, len) input but there is no `{ALLOC_EXPORT}` to place it"),
        );
    }
}

/// A function export's signature, if `export` is a function.
fn func_sig(info: &ModuleInfo, export: &instrument::ExportInfo) -> Option<String> {
    (export.kind == ExternalKind::Func)
        .then(|| info.func_type(export.index))
        .flatten()
        .map(signature)
}

/// Lists exports with `callable` decided by `entry`, and flags reserved names.
/// An export named with the simulator's reserved prefix is an error: the
/// instrumentation adds its own exports under that prefix.
fn reject_reserved(name: &str, report: &mut CheckReport) {
    if name.starts_with(RESERVED_PREFIX) {
        report.push(
            Level::Error,
            "reserved-export",
            format!("`{name}` uses the reserved prefix `{RESERVED_PREFIX}`"),
        );
    }
}

fn summarise_exports(
    info: &ModuleInfo,
    report: &mut CheckReport,
    entry: impl Fn(&str, Option<&str>) -> bool,
) {
    for export in &info.exports {
        reject_reserved(&export.name, report);
        let sig = func_sig(info, export);
        report.exports.push(ExportSummary {
            name: export.name.clone(),
            kind: kind_name(export.kind),
            callable: entry(&export.name, sig.as_deref()),
            signature: sig,
        });
    }
}

/// Requires export `name` with signature `expected`.
fn require_export(
    info: &ModuleInfo,
    report: &mut CheckReport,
    name: &str,
    expected: &[&str],
    code: &'static str,
) {
    match info.exports.iter().find(|e| e.name == name) {
        None => report.push(
            Level::Error,
            code,
            format!("no `{name}` export: the chain cannot call the contract"),
        ),
        Some(export) => {
            let sig = func_sig(info, export).unwrap_or_else(|| kind_name(export.kind).to_owned());
            if !expected.contains(&sig.as_str()) {
                report.push(
                    Level::Error,
                    code,
                    format!("`{name}` must be {}, found {sig}", expected.join(" or ")),
                );
            }
        }
    }
}

/// Stylus: the entry point, and the activation rules that concern memory
/// (initial pages within the page limit; `pay_for_memory_grow` imported
/// where memory can grow).
fn check_stylus(info: &ModuleInfo, report: &mut CheckReport) {
    const ENTRY_SIG: &str = "(i32) -> (i32)";
    summarise_exports(info, report, |name, sig| {
        name == stylus::ENTRY_EXPORT && sig == Some(ENTRY_SIG)
    });
    require_export(
        info,
        report,
        stylus::ENTRY_EXPORT,
        &[ENTRY_SIG],
        "stylus-entrypoint",
    );
    if let Some(memory) = info.memories.first()
        && memory.initial > u64::from(stylus::PAGE_LIMIT)
    {
        report.push(
            Level::Error,
            "stylus-page-limit",
            format!(
                "initial memory of {} pages exceeds Stylus's page limit of {}: activation fails",
                memory.initial,
                stylus::PAGE_LIMIT
            ),
        );
    }
    let pays = info
        .imports
        .iter()
        .any(|i| i.module == stylus::MODULE && i.name == "pay_for_memory_grow");
    if report.operators.memory_grow > 0 && !pays {
        report.push(
            Level::Error,
            "stylus-pay-for-memory-grow",
            format!(
                "{} `memory.grow` sites but no `{}.pay_for_memory_grow` import: Stylus activation requires it where memory can grow",
                report.operators.memory_grow,
                stylus::MODULE
            ),
        );
    }
}

/// CosmWasm 2.x: `interface_version_8`, `allocate`/`deallocate`, and the
/// entry points' signatures.
fn check_cosmwasm(info: &ModuleInfo, report: &mut CheckReport) {
    let entry_sig = |name: &str| -> &'static [&'static str] {
        if cosmwasm::ENTRY_POINTS_WITH_INFO.contains(&name) {
            &["(i32, i32, i32) -> (i32)"]
        } else if name == "migrate" {
            &["(i32, i32) -> (i32)", "(i32, i32, i32) -> (i32)"]
        } else {
            &["(i32, i32) -> (i32)"]
        }
    };
    summarise_exports(info, report, |name, sig| {
        cosmwasm::ENTRY_POINTS.contains(&name) && sig.is_some_and(|s| entry_sig(name).contains(&s))
    });
    let versions: Vec<&str> = info
        .exports
        .iter()
        .filter_map(|e| e.name.strip_prefix("interface_version_"))
        .collect();
    match versions.as_slice() {
        ["8"] => {}
        [] => report.push(
            Level::Error,
            "cosmwasm-interface",
            format!("no `{}` export", cosmwasm::INTERFACE_EXPORT),
        ),
        other => report.push(
            Level::Error,
            "cosmwasm-interface",
            format!(
                "interface version {} is not CosmWasm 2.x's 8",
                other.join(", ")
            ),
        ),
    }
    require_export(
        info,
        report,
        cosmwasm::ALLOCATE_EXPORT,
        &["(i32) -> (i32)"],
        "cosmwasm-allocate",
    );
    require_export(
        info,
        report,
        cosmwasm::DEALLOCATE_EXPORT,
        &["(i32) -> ()"],
        "cosmwasm-allocate",
    );
    for export in &info.exports {
        if cosmwasm::ENTRY_POINTS.contains(&export.name.as_str()) {
            require_export(
                info,
                report,
                &export.name,
                entry_sig(&export.name),
                "cosmwasm-entry-point",
            );
        }
    }
    if !info
        .exports
        .iter()
        .any(|e| cosmwasm::ENTRY_POINTS.contains(&e.name.as_str()))
    {
        report.push(
            Level::Warn,
            "cosmwasm-entry-point",
            format!(
                "no entry point ({}); a crate that only re-exports a library's \
                 entry points (`pub use lib::entry;`) exports none: write \
                 `#[entry_point]` functions that call the library's",
                cosmwasm::ENTRY_POINTS.join(", ")
            ),
        );
    }
}

/// Counts of a module's sections that nitro's activation bounds and
/// [`ModuleInfo`] does not keep.
#[derive(Default)]
struct SectionCounts {
    data_segments: u64,
    element_segments: u64,
    element_entries: u64,
    /// Defined globals (the imported ones are [`ModuleInfo::global_imports`]).
    globals: u64,
    /// Length of the module name in the `name` section.
    module_name: u64,
}

fn count_sections(wasm: &[u8]) -> Result<SectionCounts, String> {
    use wasmparser::{ElementItems, KnownCustom, Name};
    let mut counts = SectionCounts::default();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(|e| e.to_string())? {
            Payload::DataSection(r) => counts.data_segments = u64::from(r.count()),
            Payload::ElementSection(r) => {
                counts.element_segments = u64::from(r.count());
                for element in r {
                    let entries = match element.map_err(|e| e.to_string())?.items {
                        ElementItems::Functions(f) => f.count(),
                        ElementItems::Expressions(_, e) => e.count(),
                    };
                    counts.element_entries =
                        counts.element_entries.saturating_add(u64::from(entries));
                }
            }
            Payload::GlobalSection(r) => counts.globals = u64::from(r.count()),
            Payload::CustomSection(c) => {
                if let KnownCustom::Name(names) = c.as_known() {
                    for name in names {
                        // A malformed name section is not nitro's concern
                        // here: it keeps only the module name.
                        if let Ok(Name::Module { name, .. }) = name {
                            counts.module_name = name.len() as u64;
                        }
                    }
                }
            }
            _ => {}
        }
    }
    Ok(counts)
}

/// Nitro's activation limits on a Stylus module ([`stylus::activation_limits`])
/// and its ban on start functions.
fn check_stylus_activation(
    wasm: &[u8],
    info: &ModuleInfo,
    code: Option<&CodeScan>,
    report: &mut CheckReport,
) {
    use stylus::activation_limits as limit;
    let sections = match count_sections(wasm) {
        Ok(s) => s,
        Err(e) => {
            report.push(Level::Error, "malformed", e);
            return;
        }
    };
    let defined = info
        .func_types
        .len()
        .saturating_sub(info.func_imports as usize) as u64;
    let table_entries = info
        .tables
        .iter()
        .fold(0u64, |sum, (initial, _)| sum.saturating_add(*initial));
    let longest_export = info
        .exports
        .iter()
        .map(|e| e.name.len() as u64)
        .max()
        .unwrap_or(0);
    let mut bounds = vec![
        (
            "data segments",
            sections.data_segments,
            limit::DATA_SEGMENTS,
        ),
        (
            "element segments",
            sections.element_segments,
            limit::ELEMENT_SEGMENTS,
        ),
        ("exports", info.exports.len() as u64, limit::EXPORTS),
        ("functions", defined, limit::FUNCTIONS),
        (
            "globals",
            sections
                .globals
                .saturating_add(u64::from(info.global_imports)),
            limit::GLOBALS,
        ),
        ("imports", info.imports.len() as u64, limit::IMPORTS),
        ("table entries", table_entries, limit::TABLE_ENTRIES),
        (
            "element entries",
            sections.element_entries,
            limit::ELEMENT_ENTRIES,
        ),
        ("bytes of an export name", longest_export, limit::NAME_BYTES),
        (
            "bytes of the module name",
            sections.module_name,
            limit::NAME_BYTES,
        ),
    ];
    if let Some(code) = code {
        bounds.push((
            "locals in a function",
            code.max_locals,
            limit::FUNCTION_LOCALS,
        ));
        bounds.push((
            "operators in a function",
            code.max_operators,
            limit::FUNCTION_OPERATORS,
        ));
    }
    for (what, count, max) in bounds {
        if count > max {
            report.push(
                Level::Error,
                "stylus-activation-limit",
                format!("{count} {what}: Stylus activation allows {max}"),
            );
        }
    }
    if info.start.is_some() {
        report.push(
            Level::Error,
            "stylus-start-function",
            "a start function: Stylus activation refuses modules with one",
        );
    }
}

/// cosmwasm-vm's static validation, which a chain runs when the code is
/// stored: its default limits on memory, tables, imports and functions
/// ([`cosmwasm::vm_limits`]), and the capabilities the contract requires.
fn check_cosmwasm_vm(info: &ModuleInfo, code: Option<&CodeScan>, report: &mut CheckReport) {
    use cosmwasm::vm_limits as limit;
    let mut refuse = |what: String| report.push(Level::Error, "cosmwasm-vm-limit", what);
    if let Some(memory) = info.memories.first() {
        if memory.initial > limit::INITIAL_MEMORY_PAGES {
            refuse(format!(
                "initial memory of {} pages: cosmwasm-vm allows {}",
                memory.initial,
                limit::INITIAL_MEMORY_PAGES
            ));
        }
        if let Some(max) = memory.maximum {
            refuse(format!(
                "memory declares a maximum ({max} pages): cosmwasm-vm requires none (the host sets it)"
            ));
        }
    }
    match info.tables.as_slice() {
        [] => {}
        [(_, None)] => refuse("the table has no maximum: cosmwasm-vm requires one".to_owned()),
        [(_, Some(max))] if *max > limit::TABLE_SIZE_ELEMENTS => refuse(format!(
            "the table's maximum of {max} elements is over cosmwasm-vm's {}",
            limit::TABLE_SIZE_ELEMENTS
        )),
        [_] => {}
        more => refuse(format!("{} tables: cosmwasm-vm allows one", more.len())),
    }
    if info.imports.len() > limit::IMPORTS {
        refuse(format!(
            "{} imports: cosmwasm-vm allows {}",
            info.imports.len(),
            limit::IMPORTS
        ));
    }
    let defined = info
        .func_types
        .len()
        .saturating_sub(info.func_imports as usize);
    if defined > limit::FUNCTIONS {
        refuse(format!(
            "{defined} functions: cosmwasm-vm allows {}",
            limit::FUNCTIONS
        ));
    }
    let types = info.types.iter().flatten();
    let max_params = types.clone().map(|t| t.params().len()).max().unwrap_or(0);
    let max_results = types.map(|t| t.results().len()).max().unwrap_or(0);
    if max_params > limit::FUNCTION_PARAMS {
        refuse(format!(
            "a function type with {max_params} parameters: cosmwasm-vm allows {}",
            limit::FUNCTION_PARAMS
        ));
    }
    if max_results > limit::FUNCTION_RESULTS {
        refuse(format!(
            "a function type with {max_results} results: cosmwasm-vm allows {}",
            limit::FUNCTION_RESULTS
        ));
    }
    let total_params: usize = (info.func_imports..)
        .take(defined)
        .filter_map(|i| info.func_type(i))
        .map(|t| t.params().len())
        .sum();
    if total_params > limit::TOTAL_FUNCTION_PARAMS {
        refuse(format!(
            "{total_params} parameters over all functions: cosmwasm-vm allows {}",
            limit::TOTAL_FUNCTION_PARAMS
        ));
    }
    if let Some(code) = code {
        if code.max_locals > limit::FUNCTION_LOCALS as u64 {
            refuse(format!(
                "a function with {} locals: cosmwasm-vm allows {} (since 3.0.9)",
                code.max_locals,
                limit::FUNCTION_LOCALS
            ));
        }
        if code.total_locals > limit::TOTAL_FUNCTION_LOCALS as u64 {
            refuse(format!(
                "{} locals over all functions: cosmwasm-vm allows {} (since 3.0.9)",
                code.total_locals,
                limit::TOTAL_FUNCTION_LOCALS
            ));
        }
    }
    let required: Vec<&str> = info
        .exports
        .iter()
        .filter_map(|e| e.name.strip_prefix("requires_"))
        .filter(|c| !c.is_empty())
        .collect();
    if !required.is_empty() {
        report.push(
            Level::Info,
            "cosmwasm-capabilities",
            format!(
                "requires capabilities {}: a chain without one refuses the code",
                required.join(", ")
            ),
        );
    }
    for unknown in required
        .iter()
        .filter(|c| !cosmwasm::BUILT_IN_CAPABILITIES.contains(c))
    {
        report.push(
            Level::Warn,
            "cosmwasm-capabilities",
            format!("capability `{unknown}` is not built into cosmwasm-vm: only a chain that defines it stores the code"),
        );
    }
}

/// The WebAssembly features the chain accepts: cosmwasm-vm's validator and
/// gatekeeper on the module as stored; ArbOS's validator and activation on
/// the module cargo-stylus sends ([`deploy::stylus_module`]). An operator of
/// a refused proposal is named with its count; any other refusal is the
/// validator's own message.
fn check_chain_features(
    wasm: &[u8],
    code: &CodeScan,
    sent: Option<&Result<Vec<u8>, String>>,
    report: &mut CheckReport,
) {
    let ops = |proposal: Proposal, keep: &dyn Fn(&str) -> bool| -> Option<String> {
        let listed: Vec<String> = code
            .proposal_ops
            .iter()
            .filter(|(name, (p, _))| *p == proposal && keep(name))
            .map(|(name, (_, n))| format!("{n} {name}"))
            .collect();
        (!listed.is_empty()).then(|| listed.join(", "))
    };
    let validate = |features: wasmparser::WasmFeatures, module: &[u8]| {
        wasmparser::Validator::new_with_features(features)
            .validate_all(module)
            .map(drop)
            .map_err(|e| e.to_string())
    };
    match report.abi {
        Abi::Capheap => {}
        Abi::CosmWasm => {
            let mut refused = false;
            if let Some(list) = ops(Proposal::BulkMemory, &|_| true) {
                refused = true;
                report.push(
                    Level::Error,
                    "chain-features",
                    format!(
                        "cosmwasm-vm refuses bulk memory operators ({list}); rustc 1.87 and later \
                         emit memory.copy and memory.fill for wasm32-unknown-unknown by default \
                         (LLVM 20): build with Rust 1.86 or earlier (capheap builds from 1.85)"
                    ),
                );
            }
            if let Some(list) = ops(Proposal::ReferenceTypes, &|_| true) {
                refused = true;
                report.push(
                    Level::Error,
                    "chain-features",
                    format!("cosmwasm-vm refuses reference types operators ({list})"),
                );
            }
            if !refused && let Err(e) = validate(cosmwasm::WASM_FEATURES, wasm) {
                report.push(
                    Level::Error,
                    "chain-features",
                    format!("cosmwasm-vm's validator refuses the module: {e}"),
                );
            }
        }
        Abi::Stylus => {
            let mut refused = false;
            let unsupported = |name: &str| !stylus::BULK_MEMORY_RUN.contains(&name);
            if let Some(list) = ops(Proposal::BulkMemory, &unsupported) {
                refused = true;
                report.push(
                    Level::Error,
                    "chain-features",
                    format!(
                        "ArbOS does not activate these bulk memory operators ({list}): of that \
                         proposal it runs memory.copy and memory.fill only"
                    ),
                );
            }
            if let Some(list) = ops(Proposal::ReferenceTypes, &|_| true) {
                refused = true;
                report.push(
                    Level::Error,
                    "chain-features",
                    format!("ArbOS refuses reference types operators ({list})"),
                );
            }
            // A module that cannot be printed and parsed back is reported by
            // the deployment figures (`malformed`); one over the size cap is
            // not processed (`wasm-size`).
            let (false, Some(Ok(sent))) = (refused, sent) else {
                return;
            };
            if let Err(e) = validate(stylus::WASM_FEATURES, sent) {
                report.push(
                    Level::Error,
                    "chain-features",
                    format!("ArbOS's validator refuses the module cargo-stylus sends: {e}"),
                );
            } else if let Err(e) = validate(stylus::WASM_FEATURES_ARBOS_60, sent) {
                report.push(
                    Level::Warn,
                    "chain-features",
                    format!(
                        "ArbOS 60 and later refuse the module cargo-stylus sends (they turn \
                         multi-value off): {e}"
                    ),
                );
            }
        }
    }
}

fn check_operators(sim: &Simulator, info: &ModuleInfo, report: &mut CheckReport) {
    let ops = report.operators;
    if ops.simd > 0 {
        report.push(
            Level::Error,
            "simd",
            format!("{} SIMD operators: SIMD is disabled", ops.simd),
        );
    }
    if ops.atomic > 0 {
        report.push(
            Level::Error,
            "atomics",
            format!("{} atomic operators: threads are disabled", ops.atomic),
        );
    }
    let floats_allowed = sim.config.floats;
    if ops.float_nan > 0 {
        report.push(
            if floats_allowed { Level::Warn } else { Level::Error },
            "float-nan",
            format!(
                "{} float operators can produce NaNs whose bits differ between engines (the simulator canonicalises them; chains without NaN canonicalisation may diverge)",
                ops.float_nan
            ),
        );
    }
    if ops.float > ops.float_nan {
        report.push(
            if floats_allowed {
                Level::Info
            } else {
                Level::Error
            },
            "float",
            format!(
                "{} other float operators (loads, stores, conversions, comparisons)",
                ops.float - ops.float_nan
            ),
        );
    }
    if let Some(start) = info.start {
        report.push(
            Level::Warn,
            "start-function",
            format!("start function {start} runs at every instantiation; many chains forbid it"),
        );
    }
    if ops.table_mutation > 0 {
        report.push(
            Level::Info,
            "table-mutation",
            format!(
                "{} table-mutating operators: snapshots do not save tables",
                ops.table_mutation
            ),
        );
    }
    if ops.memory_grow > 0 {
        report.push(
            Level::Info,
            "memory-grow",
            format!(
                "{} `memory.grow` sites, each charged by the page pricing schedule",
                ops.memory_grow
            ),
        );
    }
}

/// Whether an opcode (first byte, and the sub-opcode after 0xFC) touches floats.
fn is_float_opcode(byte: u8, op: &Operator<'_>) -> bool {
    matches!(byte, 0x2A | 0x2B | 0x38 | 0x39 | 0x43 | 0x44 | 0x5B..=0x66 | 0x8B..=0xA6 | 0xA8..=0xAB | 0xAE..=0xBF)
        || matches!(
            op,
            Operator::I32TruncSatF32S
                | Operator::I32TruncSatF32U
                | Operator::I32TruncSatF64S
                | Operator::I32TruncSatF64U
                | Operator::I64TruncSatF32S
                | Operator::I64TruncSatF32U
                | Operator::I64TruncSatF64S
                | Operator::I64TruncSatF64U
        )
}

/// Float operators whose NaN results carry engine-dependent bits.
fn is_nan_producing(op: &Operator<'_>) -> bool {
    use Operator::*;
    matches!(
        op,
        F32Add
            | F32Sub
            | F32Mul
            | F32Div
            | F32Sqrt
            | F32Min
            | F32Max
            | F32Ceil
            | F32Floor
            | F32Trunc
            | F32Nearest
            | F64Add
            | F64Sub
            | F64Mul
            | F64Div
            | F64Sqrt
            | F64Min
            | F64Max
            | F64Ceil
            | F64Floor
            | F64Trunc
            | F64Nearest
            | F32DemoteF64
            | F64PromoteF32
    )
}

/// One pass over the code section: the operator counts, and the functions
/// whose `i64` result is visibly a plain number ([`PlainI64`]).
/// What `scan_code` reads of the function bodies.
struct CodeScan {
    operators: OperatorCounts,
    /// Functions whose `i64` result is visibly a plain number.
    plain_i64: std::collections::BTreeMap<u32, String>,
    /// Locals (parameters aside) of the function with the most.
    max_locals: u64,
    /// Locals of all defined functions.
    total_locals: u64,
    /// Operators of the longest function body.
    max_operators: u64,
    /// How often each operator of the bulk memory and reference types
    /// proposals occurs, by its text name, with its proposal.
    proposal_ops: std::collections::BTreeMap<&'static str, (Proposal, u64)>,
}

/// A WebAssembly proposal some chains refuse.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Proposal {
    BulkMemory,
    ReferenceTypes,
}

/// The proposal and text name of an operator of the bulk memory or
/// reference types proposal.
fn proposal_op(op: &Operator<'_>) -> Option<(Proposal, &'static str)> {
    use Proposal::{BulkMemory, ReferenceTypes};
    Some(match op {
        Operator::MemoryCopy { .. } => (BulkMemory, "memory.copy"),
        Operator::MemoryFill { .. } => (BulkMemory, "memory.fill"),
        Operator::MemoryInit { .. } => (BulkMemory, "memory.init"),
        Operator::DataDrop { .. } => (BulkMemory, "data.drop"),
        Operator::TableCopy { .. } => (BulkMemory, "table.copy"),
        Operator::TableInit { .. } => (BulkMemory, "table.init"),
        Operator::ElemDrop { .. } => (BulkMemory, "elem.drop"),
        Operator::RefNull { .. } => (ReferenceTypes, "ref.null"),
        Operator::RefIsNull => (ReferenceTypes, "ref.is_null"),
        Operator::RefFunc { .. } => (ReferenceTypes, "ref.func"),
        Operator::TypedSelect { .. } => (ReferenceTypes, "select (typed)"),
        Operator::TableGet { .. } => (ReferenceTypes, "table.get"),
        Operator::TableSet { .. } => (ReferenceTypes, "table.set"),
        Operator::TableSize { .. } => (ReferenceTypes, "table.size"),
        Operator::TableGrow { .. } => (ReferenceTypes, "table.grow"),
        Operator::TableFill { .. } => (ReferenceTypes, "table.fill"),
        _ => return None,
    })
}

fn scan_code(wasm: &[u8], func_imports: u32) -> Result<CodeScan, String> {
    let mut counts = OperatorCounts::default();
    let mut plain_i64 = std::collections::BTreeMap::new();
    let (mut max_locals, mut total_locals, mut max_operators) = (0u64, 0u64, 0u64);
    let mut index = func_imports;
    let mut proposal_ops = std::collections::BTreeMap::new();
    for payload in Parser::new(0).parse_all(wasm) {
        let Payload::CodeSectionEntry(body) = payload.map_err(|e| e.to_string())? else {
            continue;
        };
        let mut locals = 0u64;
        for group in body.get_locals_reader().map_err(|e| e.to_string())? {
            let (n, _) = group.map_err(|e| e.to_string())?;
            locals = locals.saturating_add(u64::from(n));
        }
        max_locals = max_locals.max(locals);
        total_locals = total_locals.saturating_add(locals);
        let mut reader = body.get_operators_reader().map_err(|e| e.to_string())?;
        let mut returns = PlainI64::default();
        let mut operators = 0u64;
        while !reader.eof() {
            operators += 1;
            let position = reader.original_position();
            let op = reader.read().map_err(|e| e.to_string())?;
            returns.see(&op, index, &mut plain_i64);
            let byte = wasm.get(position).copied().unwrap_or(0);
            counts.total += 1;
            match byte {
                0xFD => counts.simd += 1,
                0xFE => counts.atomic += 1,
                _ => {}
            }
            if is_float_opcode(byte, &op) {
                counts.float += 1;
            }
            if is_nan_producing(&op) {
                counts.float_nan += 1;
            }
            if let Some((proposal, name)) = proposal_op(&op) {
                match proposal {
                    Proposal::BulkMemory => counts.bulk_memory += 1,
                    Proposal::ReferenceTypes => counts.reference_types += 1,
                }
                proposal_ops.entry(name).or_insert((proposal, 0u64)).1 += 1;
            }
            match op {
                Operator::MemoryGrow { .. } => counts.memory_grow += 1,
                Operator::TableSet { .. }
                | Operator::TableGrow { .. }
                | Operator::TableFill { .. }
                | Operator::TableCopy { .. }
                | Operator::TableInit { .. }
                | Operator::ElemDrop { .. } => counts.table_mutation += 1,
                _ => {}
            }
        }
        max_operators = max_operators.max(operators);
        index = index.saturating_add(1);
    }
    Ok(CodeScan {
        operators: counts,
        plain_i64,
        max_locals,
        total_locals,
        max_operators,
        proposal_ops,
    })
}
