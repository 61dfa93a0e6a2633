//! Checks of the simulator's input handling, for the `sim_module`,
//! `sim_host`, `snapshot_decode` and `scenario_parse` targets: whatever the bytes, a
//! typed error or a result, never a panic, a hang or a cap crossed.

use capheap_sim::host::{AbiType, capheap, cosmwasm, stylus};
use capheap_sim::scenario_file::ScenarioFile;
use capheap_sim::{Abi, Limits, Simulator, SimulatorBuilder, Snapshot};

/// Fuel of each call of a fuzzed module: small, so an endless loop ends fast.
pub const MODULE_FUEL: u64 = 1_000_000;
/// Page cap of a fuzzed module.
pub const MODULE_PAGES: u32 = 16;

/// `builder` with the fuzz targets' caps: [`MODULE_FUEL`] per call,
/// [`MODULE_PAGES`] pages, 10,000 table elements.
fn capped(builder: SimulatorBuilder) -> Simulator {
    builder
        .fuel_limit(MODULE_FUEL)
        .limits(Limits {
            max_pages: MODULE_PAGES,
            max_table_elements: 10_000,
            ..Limits::default()
        })
        .build()
        .expect("valid simulator")
}

/// What every generated module may use: one 32-bit memory of at most
/// [`MODULE_PAGES`] pages, at most two tables, and no SIMD, threads,
/// exceptions, GC, reference types or tail calls (the simulator refuses
/// those proposals at load).
fn smith_config() -> wasm_smith::Config {
    wasm_smith::Config {
        max_memories: 1,
        max_memory32_bytes: u64::from(MODULE_PAGES) << 16,
        memory64_enabled: false,
        simd_enabled: false,
        relaxed_simd_enabled: false,
        threads_enabled: false,
        exceptions_enabled: false,
        gc_enabled: false,
        reference_types_enabled: false,
        tail_call_enabled: false,
        max_tables: 2,
        ..wasm_smith::Config::default()
    }
}

/// A wasm-smith module that imports nothing and exports everything, for
/// [`sim_module`].
pub fn plain_module(u: &mut arbitrary::Unstructured<'_>) -> arbitrary::Result<Vec<u8>> {
    let config = wasm_smith::Config {
        max_imports: 0,
        export_everything: true,
        ..smith_config()
    };
    Ok(wasm_smith::Module::new(config, u)?.to_bytes())
}

/// Loads, checks and runs a module (from wasm-smith, or any bytes): every
/// export called on two fresh instances, which must agree; pages never above
/// the cap.
pub fn sim_module(wasm: &[u8]) {
    let sim = capped(Simulator::builder());
    // `check` never fails; it must not panic either.
    let report = sim.check(wasm);
    let Ok(contract) = sim.load(wasm) else {
        return;
    };
    let exports: Vec<String> = report
        .exports
        .iter()
        .filter(|e| e.kind == "func")
        .map(|e| e.name.clone())
        .take(8)
        .collect();
    let run = || -> Option<Vec<(Option<&'static str>, u64, u32)>> {
        let mut instance = contract.instantiate().ok()?;
        Some(
            exports
                .iter()
                .map(|export| {
                    let outcome = instance.execute(export, &[]);
                    assert!(outcome.pages_after <= MODULE_PAGES, "pages past the cap");
                    assert!(outcome.fuel.total <= MODULE_FUEL, "fuel past the limit");
                    (
                        outcome.error.as_ref().map(|e| e.kind()),
                        outcome.fuel.total,
                        outcome.pages_after,
                    )
                })
                .collect(),
        )
    };
    assert_eq!(run(), run(), "two runs of one module disagree");
}

/// Decodes a snapshot; one that decodes encodes back to the same bytes.
pub fn snapshot_decode(bytes: &[u8]) {
    if let Ok(snapshot) = Snapshot::from_bytes(bytes) {
        assert_eq!(
            snapshot.to_bytes(),
            bytes,
            "a decoded snapshot re-encodes differently"
        );
    }
}

/// Parses a scenario file.
pub fn scenario_parse(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    if let Ok(file) = ScenarioFile::parse(&text, std::path::Path::new("/fuzz/scenario.toml")) {
        assert!(
            !file.calls.is_empty(),
            "a scenario without calls was accepted"
        );
        assert!(capheap_sim::scenario_file::is_valid_name(&file.name));
        let _ = file.scenario();
    }
}

/// The host functions of `abi`, as a module that imports them all: what
/// wasm-smith may import (`available_imports`).
pub fn abi_imports(abi: Abi) -> Vec<u8> {
    let ty = |t: &AbiType| match t {
        AbiType::I32 => "i32",
        AbiType::I64 => "i64",
        AbiType::F32 => "f32",
        AbiType::F64 => "f64",
    };
    let mut text = String::from("(module");
    for f in abi.imports() {
        let params: Vec<&str> = f.params.iter().map(ty).collect();
        let results: Vec<&str> = f.results.iter().map(ty).collect();
        text.push_str(&format!(
            "\n  (import {:?} {:?} (func (param {}) (result {})))",
            f.module,
            f.name,
            params.join(" "),
            results.join(" ")
        ));
    }
    text.push(')');
    wat::parse_str(&text).expect("the ABI table is valid wasm")
}

/// The exports a contract of `abi` has (bodies are wasm-smith's), as a
/// module: what wasm-smith must export (`exports`). The memory export is
/// added afterwards ([`finish_module`]): wasm-smith cannot be asked for it.
pub fn abi_exports(abi: Abi) -> Vec<u8> {
    let text = match abi {
        Abi::Capheap => format!(
            r#"(module
                 (func (export "{}") (param i32) (result i32) unreachable)
                 (func (export "run") (param i32 i32) unreachable))"#,
            capheap::ALLOC_EXPORT
        ),
        Abi::Stylus => format!(
            r#"(module (func (export "{}") (param i32) (result i32) unreachable))"#,
            stylus::ENTRY_EXPORT
        ),
        Abi::CosmWasm => format!(
            r#"(module
                 (func (export "{}"))
                 (func (export "{}") (param i32) (result i32) unreachable)
                 (func (export "{}") (param i32) unreachable)
                 (func (export "instantiate") (param i32 i32 i32) (result i32) unreachable)
                 (func (export "execute") (param i32 i32 i32) (result i32) unreachable)
                 (func (export "query") (param i32 i32) (result i32) unreachable))"#,
            cosmwasm::INTERFACE_EXPORT,
            cosmwasm::ALLOCATE_EXPORT,
            cosmwasm::DEALLOCATE_EXPORT
        ),
    };
    wat::parse_str(text).expect("valid exports module")
}

/// The entry points [`sim_host`] calls for `abi`, with their input.
pub fn abi_entries(abi: Abi) -> &'static [(&'static str, &'static [u8])] {
    match abi {
        Abi::Capheap => &[("run", b"input")],
        Abi::Stylus => &[(stylus::ENTRY_EXPORT, b"\xa9\x05\x9c\xbb")],
        Abi::CosmWasm => &[
            ("instantiate", br#"{"count":1}"#),
            ("execute", br#"{"increment":{}}"#),
            ("query", br#"{"count":{}}"#),
        ],
    }
}

/// The allocator export the host calls to place data before an entry point
/// runs (`None`: the host places nothing through the contract).
fn placing_export(abi: Abi) -> Option<&'static str> {
    match abi {
        Abi::Capheap => Some(capheap::ALLOC_EXPORT),
        Abi::CosmWasm => Some(cosmwasm::ALLOCATE_EXPORT),
        Abi::Stylus => None,
    }
}

/// A bump allocator for the placing export: its state is the word at
/// address 0 (at least 64); each call takes `12 + len` bytes. CosmWasm's
/// `allocate` returns a Region (`offset, capacity, length`) written at the
/// start of them, capheap's `capheap_alloc` the bytes after it. Memory the
/// random code shrank or scribbled on makes it trap or hand out a bad
/// region: the host must cope with both.
fn bump_body(region: bool) -> wasm_encoder::Function {
    use wasm_encoder::{Function, Instruction as I, MemArg, ValType};
    let word = |offset| MemArg {
        offset,
        align: 2,
        memory_index: 0,
    };
    let mut f = Function::new([(1, ValType::I32)]);
    for op in [
        // r = max(mem[0], 64)
        I::I32Const(0),
        I::I32Load(word(0)),
        I::LocalTee(1),
        I::I32Const(64),
        I::LocalGet(1),
        I::I32Const(64),
        I::I32GtU,
        I::Select,
        I::LocalSet(1),
        // the Region at r: offset r + 12, capacity len, length 0
        I::LocalGet(1),
        I::LocalGet(1),
        I::I32Const(12),
        I::I32Add,
        I::I32Store(word(0)),
        I::LocalGet(1),
        I::LocalGet(0),
        I::I32Store(word(4)),
        I::LocalGet(1),
        I::I32Const(0),
        I::I32Store(word(8)),
        // mem[0] = r + 12 + len
        I::I32Const(0),
        I::LocalGet(1),
        I::I32Const(12),
        I::I32Add,
        I::LocalGet(0),
        I::I32Add,
        I::I32Store(word(0)),
        // the Region, or the bytes after it
        I::LocalGet(1),
    ] {
        f.instruction(&op);
    }
    if !region {
        f.instruction(&I::I32Const(12));
        f.instruction(&I::I32Add);
    }
    f.instruction(&I::End);
    f
}

/// `wasm` (from wasm-smith, with `abi`'s exports) made into a contract the
/// host can call: its memory 0 exported as `memory` (at least a page), and the export through
/// which the host places data given a working bump allocator (a random body
/// would trap before the entry point's code runs). Every other section is
/// copied byte for byte. `None` if `wasm` does not parse.
pub fn finish_module(abi: Abi, wasm: &[u8]) -> Option<Vec<u8>> {
    use wasm_encoder::reencode::{Reencode, RoundtripReencoder};
    use wasm_encoder::{CodeSection, ExportKind, ExportSection, MemorySection, Module, RawSection};
    use wasmparser::{ExternalKind, Parser, Payload, TypeRef};
    let mut module = Module::new();
    let mut imported_funcs = 0u32;
    let mut placer = None;
    let mut code: Option<(CodeSection, u32)> = None;
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.ok()?;
        if let Payload::ImportSection(reader) = &payload {
            for import in reader.clone() {
                imported_funcs += u32::from(matches!(import.ok()?.ty, TypeRef::Func(_)));
            }
        }
        match payload {
            Payload::ExportSection(reader) => {
                let mut exports = ExportSection::new();
                for export in reader {
                    let export = export.ok()?;
                    let kind = ExportKind::from(export.kind);
                    if export.kind == ExternalKind::Func && Some(export.name) == placing_export(abi)
                    {
                        placer = Some(export.index);
                    }
                    exports.export(export.name, kind, export.index);
                }
                exports.export("memory", ExportKind::Memory, 0);
                module.section(&exports);
            }
            Payload::MemorySection(reader) => {
                // At least one page, so that the placing export has room.
                let mut memories = MemorySection::new();
                for memory in reader {
                    let mut memory = RoundtripReencoder.memory_type(memory.ok()?);
                    memory.minimum = memory.minimum.max(1);
                    memory.maximum = memory.maximum.map(|m| m.max(memory.minimum));
                    memories.memory(memory);
                }
                module.section(&memories);
            }
            Payload::CodeSectionStart { count, .. } => {
                code = Some((CodeSection::new(), count));
            }
            Payload::CodeSectionEntry(body) => {
                let (section, left) = code.as_mut()?;
                let index = imported_funcs + (section.len());
                if Some(index) == placer {
                    section.function(&bump_body(abi == Abi::CosmWasm));
                } else {
                    section.raw(body.as_bytes());
                }
                *left -= 1;
                if *left == 0 {
                    module.section(&code.take()?.0);
                }
            }
            other => {
                if let Some((id, range)) = other.as_section() {
                    module.section(&RawSection {
                        id,
                        data: wasm.get(range)?,
                    });
                }
            }
        }
    }
    Some(module.finish())
}

/// A wasm-smith module written against `abi`: it may import any of the
/// ABI's host functions (and call them with arbitrary arguments), has the
/// ABI's entry points with arbitrary bodies, and exports its memory.
pub fn host_module(abi: Abi, u: &mut arbitrary::Unstructured<'_>) -> arbitrary::Result<Vec<u8>> {
    let config = wasm_smith::Config {
        available_imports: Some(abi_imports(abi)),
        exports: Some(abi_exports(abi)),
        max_imports: 64,
        min_memories: 1,
        ..smith_config()
    };
    let wasm = wasm_smith::Module::new(config, u)?.to_bytes();
    finish_module(abi, &wasm).ok_or(arbitrary::Error::IncorrectFormat)
}

/// Loads a module written against `abi`'s host functions (wasm-smith code
/// calling them with arbitrary arguments) and calls its entry points on two
/// fresh instances: a typed error or a result, never a panic; fuel and pages
/// within the caps; both runs agree on everything they report.
pub fn sim_host(abi: Abi, wasm: &[u8]) {
    let sim = capped(Simulator::builder().chain_defaults(abi).abi(abi));
    // The chain's rules and deployment figures: never a panic, and a chain
    // ABI has figures for every module that loads.
    let report = sim.check(wasm);
    let Ok(contract) = sim.load(wasm) else {
        return;
    };
    assert_eq!(
        report.deploy.is_some(),
        abi != Abi::Capheap,
        "deployment figures for {abi:?}"
    );
    let run = || -> Option<Vec<String>> {
        let mut instance = contract.instantiate().ok()?;
        Some(
            abi_entries(abi)
                .iter()
                .map(|(export, input)| {
                    let outcome = instance.execute(export, input);
                    assert!(outcome.pages_after <= MODULE_PAGES, "pages past the cap");
                    assert!(outcome.fuel.total <= MODULE_FUEL, "fuel past the limit");
                    format!(
                        "{:?} {:?} {} {} {:?} {:?}",
                        outcome.error.as_ref().map(ToString::to_string),
                        outcome.output,
                        outcome.fuel.total,
                        outcome.pages_after,
                        outcome.memory_root,
                        outcome.storage_root,
                    )
                })
                .collect(),
        )
    };
    assert_eq!(run(), run(), "two runs of one module disagree");
}
