//! `Simulator::check`: findings with levels, a structured report.

use capheap_sim::{Level, Simulator, UnknownImports, check::Provider};

fn check(src: &str) -> capheap_sim::CheckReport {
    Simulator::new().check(&wat::parse_str(src).unwrap())
}

fn codes(report: &capheap_sim::CheckReport) -> Vec<(&'static str, Level)> {
    report.findings.iter().map(|f| (f.code, f.level)).collect()
}

#[test]
fn a_clean_contract() {
    let report = check(
        r#"(module
          (import "capheap" "log" (func (param i32 i32)))
          (memory (export "memory") 1 16)
          (func (export "capheap_alloc") (param i32) (result i32) (i32.const 8))
          (func (export "run") (param i32 i32) (result i64) (i64.const 0)))"#,
    );
    assert!(report.findings.is_empty(), "{:?}", report.findings);
    assert!(report.passes(Level::Info));
    assert_eq!(report.functions, 2);
    assert_eq!(report.imports[0].provider, Provider::HostAbi);
    let callable: Vec<_> = report
        .exports
        .iter()
        .map(|e| (e.name.as_str(), e.callable))
        .collect();
    assert_eq!(
        callable,
        [("memory", false), ("capheap_alloc", false), ("run", true)]
    );
    let memory = report.memory.unwrap();
    assert_eq!(
        (memory.initial, memory.maximum, memory.cap),
        (1, Some(16), 1024)
    );
    assert_eq!(report.host_abi_version, 1);
}

#[test]
fn floats() {
    let report = check(
        r#"(module (func (export "f") (result i32)
              (f64.add (f64.const 1) (f64.const 2)) (f64.const 0) f64.lt))"#,
    );
    assert_eq!(
        codes(&report),
        [
            ("float-nan", Level::Warn),
            ("no-memory", Level::Info),
            ("float", Level::Info)
        ]
    );
    assert_eq!((report.operators.float, report.operators.float_nan), (5, 1));
    assert!(!report.passes(Level::Warn));
    assert!(report.passes(Level::Error));
    let strict = Simulator::builder().floats(false).build().unwrap();
    let report =
        strict.check(&wat::parse_str("(module (func (result f32) (f32.const 1)))").unwrap());
    assert!(codes(&report).contains(&("float", Level::Error)));
    assert!(codes(&report).contains(&("rejected", Level::Error)));
}

#[test]
fn disabled_features_are_named() {
    let simd = check("(module (func (result v128) (v128.const i32x4 0 0 0 0)))");
    assert!(codes(&simd).contains(&("simd", Level::Error)));
    assert!(codes(&simd).contains(&("rejected", Level::Error)));
    assert_eq!(simd.operators.simd, 1);
    let threads =
        check("(module (memory 1 1 shared) (func (drop (i32.atomic.load (i32.const 0)))))");
    assert!(codes(&threads).contains(&("atomics", Level::Error)));
    assert!(codes(&threads).contains(&("shared-memory", Level::Error)));
    let memory64 = check("(module (memory i64 1))");
    assert!(codes(&memory64).contains(&("memory64", Level::Error)));
}

#[test]
fn memory_against_the_cap() {
    let sim = Simulator::builder().max_pages(8).build().unwrap();
    let over = sim.check(&wat::parse_str("(module (memory 9))").unwrap());
    assert!(codes(&over).contains(&("memory-initial-over-cap", Level::Error)));
    assert!(codes(&over).contains(&("memory-unbounded", Level::Info)));
    let max = sim.check(&wat::parse_str("(module (memory 1 100))").unwrap());
    assert_eq!(codes(&max), [("memory-max-over-cap", Level::Warn)]);
}

#[test]
fn imports_outside_the_host_abi() {
    let src = r#"(module
        (import "env" "now" (func (result i64)))
        (import "capheap" "log" (func (param i32)))
        (import "capheap_sim" "memory_grow" (func (param i32) (result i32)))
        (import "env" "g" (global i32)))"#;
    let report = check(src);
    let found = codes(&report);
    for expected in [
        ("unknown-import", Level::Error),
        ("import-signature", Level::Error),
        ("reserved-import", Level::Error),
        ("non-function-import", Level::Error),
    ] {
        assert!(found.contains(&expected), "{expected:?} in {found:?}");
    }
    let lenient = Simulator::builder()
        .unknown_imports(UnknownImports::Trap)
        .build()
        .unwrap();
    let report = lenient
        .check(&wat::parse_str(r#"(module (import "env" "now" (func (result i64))))"#).unwrap());
    assert_eq!(
        codes(&report),
        [("unknown-import", Level::Warn), ("no-memory", Level::Info)]
    );
    assert_eq!(report.imports[0].provider, Provider::Unknown);
}

#[test]
fn exports_start_and_tables() {
    let src = r#"(module
        (memory 1)
        (table 1 funcref)
        (func $s)
        (start $s)
        (func (export "take") (param i32 i32))
        (func (export "odd") (param f32))
        (func (export "capheap_stats") (result i32) (i32.const 0))
        (func (export "__capheap_sim_x"))
        (func (export "mutate") (table.set (i32.const 0) (ref.null func)))
        (func (export "grow") (result i32) (memory.grow (i32.const 1))))"#;
    let report = check(src);
    let found = codes(&report);
    for expected in [
        ("reserved-export", Level::Error),
        ("start-function", Level::Warn),
        ("missing-alloc", Level::Warn),
        ("stats-signature", Level::Warn),
        ("uncallable-export", Level::Info),
        ("table-mutation", Level::Info),
        ("memory-grow", Level::Info),
    ] {
        assert!(found.contains(&expected), "{expected:?} in {found:?}");
    }
    // Most severe first.
    assert_eq!(report.max_level(), Some(Level::Error));
    assert_eq!(report.findings[0].level, Level::Error);
}

#[test]
fn broken_input_is_a_finding_not_a_panic() {
    let sim = Simulator::new();
    assert_eq!(codes(&sim.check(b"hello")), [("not-wasm", Level::Error)]);
    let wasm = wat::parse_str("(module (func (export \"f\")))").unwrap();
    let report = sim.check(&wasm[..wasm.len() - 2]);
    assert!(codes(&report).contains(&("malformed", Level::Error)));
    let big = Simulator::builder().max_wasm_size(8).build().unwrap();
    assert!(codes(&big.check(&wasm)).contains(&("wasm-size", Level::Error)));
}

#[test]
fn levels_parse_and_report_serialises() {
    assert_eq!("warn".parse::<Level>(), Ok(Level::Warn));
    assert_eq!("ERROR".parse::<Level>(), Ok(Level::Error));
    assert!("loud".parse::<Level>().is_err());
    let json = serde_json::to_value(check("(module (memory 1))")).unwrap();
    assert_eq!(json["memory"]["initial"], 1);
    assert_eq!(json["findings"][0]["level"], "info");
    assert_eq!(json["code_hash"].as_str().unwrap().len(), 64);
}

#[test]
fn an_i64_that_is_not_a_region_is_a_warning() {
    let report = check(
        r#"(module
          (memory (export "memory") 1)
          (func (export "capheap_alloc") (param i32) (result i32) (i32.const 8))
          ;; A count widened to i64: read as the region 0+count.
          (func (export "count") (param i32 i32) (result i64)
            (i64.extend_i32_u (local.get 0)))
          ;; -1 on an early return: a region past 4 GiB.
          (func (export "fails") (result i64)
            (if (i32.const 1) (then (return (i64.const -1))))
            (i64.const 0))
          ;; A real region: (ptr << 32) | len.
          (func (export "region") (param i32 i32) (result i64)
            (i64.or (i64.shl (i64.extend_i32_u (local.get 0)) (i64.const 32))
                    (i64.extend_i32_u (local.get 1)))))"#,
    );
    let warnings: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.code == "i64-not-a-region")
        .map(|f| f.message.as_str())
        .collect();
    assert_eq!(warnings.len(), 2, "{:?}", report.findings);
    assert!(
        warnings[0].starts_with("`count` returns a widened i32 as its i64"),
        "{warnings:?}"
    );
    assert!(
        warnings[1].starts_with("`fails` returns the constant -1 as its i64"),
        "{warnings:?}"
    );
}

/// A Stylus module with `len` bytes of incompressible data (a fixed-seed
/// xorshift stream) in a passive segment.
fn stylus_with_data(len: usize) -> String {
    let mut x = 0x2545_F491u32;
    let data: String = (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            format!("\\{:02x}", x as u8)
        })
        .collect();
    format!(
        r#"(module
          (import "vm_hooks" "read_args" (func (param i32)))
          (memory (export "memory") 1)
          (data "{data}")
          (func (export "user_entrypoint") (param i32) (result i32) (i32.const 0)))"#
    )
}

#[test]
fn stylus_code_is_checked_as_the_chain_stores_it() {
    // Under EIP-170's 24,576 bytes once compressed: deployable.
    let small = check(&stylus_with_data(20_000));
    let d = small
        .deploy
        .expect("a Stylus module has deployment figures");
    assert!(d.stored_bytes > 20_000 && d.stored_bytes <= 24_576, "{d:?}");
    assert!(d.fits());
    assert!(small.passes(Level::Error), "{:?}", small.findings);
    // Over it: refused by the chain, so an error here.
    let big = check(&stylus_with_data(25_000));
    let d = big.deploy.unwrap();
    assert!(d.stored_bytes > 24_576, "{d:?}");
    assert!(
        codes(&big).contains(&("deploy-code-size", Level::Error)),
        "{:?}",
        big.findings
    );
    let message = &big.findings[0].message;
    assert!(message.starts_with("stylus stores "), "{message}");
    assert!(message.ends_with("over its limit of 24576"), "{message}");
    // capheap's own ABI is no chain: no figures, no finding.
    let own = check(r#"(module (memory (export "memory") 1))"#);
    assert!(own.deploy.is_none());
    let json = serde_json::to_value(&big).unwrap();
    assert_eq!(json["deploy"]["abi"], "stylus");
    assert_eq!(json["deploy"]["stored_limit"], 24_576);
}

#[test]
fn a_stylus_module_over_the_size_cap_is_not_processed_for_the_chain() {
    let wasm = wat::parse_str(stylus_with_data(2_000)).unwrap();
    // Under the cap: processed as cargo-stylus sends it, and sized.
    let at = Simulator::builder()
        .max_wasm_size(wasm.len())
        .build()
        .unwrap()
        .check(&wasm);
    assert!(at.deploy.is_some(), "{:?}", at.findings);
    assert!(at.passes(Level::Error), "{:?}", at.findings);
    // One byte over: the size error, and no text round trip of a module the
    // simulator refuses (its text form would be several times its size), so
    // no deployment figures and no finding from them.
    let over = Simulator::builder()
        .max_wasm_size(wasm.len() - 1)
        .build()
        .unwrap()
        .check(&wasm);
    assert!(over.deploy.is_none());
    assert_eq!(
        codes(&over)
            .into_iter()
            .filter(|(_, level)| *level == Level::Error)
            .collect::<Vec<_>>(),
        [("wasm-size", Level::Error)]
    );
}

/// A CosmWasm module with the required exports, plus `extra` module fields.
fn cosmwasm(extra: &str) -> capheap_sim::CheckReport {
    cosmwasm_with("", extra)
}

/// [`cosmwasm`] with `imports` first.
fn cosmwasm_with(imports: &str, extra: &str) -> capheap_sim::CheckReport {
    check(&format!(
        r#"(module
          {imports}
          (func (export "interface_version_8"))
          (func (export "allocate") (param i32) (result i32) (i32.const 0))
          (func (export "deallocate") (param i32))
          (func (export "query") (param i32 i32) (result i32) (i32.const 0))
          {extra})"#
    ))
}

#[test]
fn a_cosmwasm_module_without_entry_points_is_told_how_to_export_them() {
    // What a crate whose only code is `pub use cw721_base::entry;` builds
    // to: cosmwasm-std's exports and no entry point.
    let report = check(
        r#"(module
          (func (export "interface_version_8"))
          (func (export "allocate") (param i32) (result i32) (i32.const 0))
          (func (export "deallocate") (param i32))
          (memory (export "memory") 1))"#,
    );
    let found: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.code == "cosmwasm-entry-point")
        .map(|f| (f.level, f.message.as_str()))
        .collect();
    assert_eq!(
        found,
        [(
            Level::Warn,
            "no entry point (instantiate, execute, query, migrate, sudo, reply); a crate \
             that only re-exports a library's entry points (`pub use lib::entry;`) exports \
             none: write `#[entry_point]` functions that call the library's"
        )]
    );
    // With one, nothing is said.
    assert!(
        cosmwasm("")
            .findings
            .iter()
            .all(|f| f.code != "cosmwasm-entry-point")
    );
}

fn vm_refusals(report: &capheap_sim::CheckReport) -> Vec<&str> {
    report
        .findings
        .iter()
        .filter(|f| f.code == "cosmwasm-vm-limit")
        .inspect(|f| assert_eq!(f.level, Level::Error))
        .map(|f| f.message.as_str())
        .collect()
}

#[test]
fn cosmwasm_modules_meet_the_vm_s_static_limits() {
    // Within every limit: nothing refused.
    let ok = cosmwasm(
        r#"(memory (export "memory") 512) (table 10 2500 funcref)
           (func (param i32 i32 i32) (local i64 i64) (local i32))"#,
    );
    assert!(vm_refusals(&ok).is_empty(), "{:?}", ok.findings);
    assert!(ok.passes(Level::Warn), "{:?}", ok.findings);

    // One over each.
    let memory = cosmwasm(r#"(memory (export "memory") 513 600)"#);
    assert_eq!(
        vm_refusals(&memory),
        [
            "initial memory of 513 pages: cosmwasm-vm allows 512",
            "memory declares a maximum (600 pages): cosmwasm-vm requires none (the host sets it)"
        ]
    );
    let unbounded = cosmwasm(r#"(memory (export "memory") 1) (table 1 funcref)"#);
    assert_eq!(
        vm_refusals(&unbounded),
        ["the table has no maximum: cosmwasm-vm requires one"]
    );
    let big = cosmwasm(r#"(memory (export "memory") 1) (table 1 2501 funcref)"#);
    assert_eq!(
        vm_refusals(&big),
        ["the table's maximum of 2501 elements is over cosmwasm-vm's 2500"]
    );
    let two = cosmwasm(r#"(memory (export "memory") 1) (table 1 1 funcref) (table 1 1 funcref)"#);
    assert_eq!(vm_refusals(&two), ["2 tables: cosmwasm-vm allows one"]);
    let imports: String = (0..101)
        .map(|i| format!(r#"(import "env" "debug" (func $d{i} (param i32)))"#))
        .collect();
    let many = cosmwasm_with(&imports, r#"(memory (export "memory") 1)"#);
    assert_eq!(vm_refusals(&many), ["101 imports: cosmwasm-vm allows 100"]);
    let results = cosmwasm(
        r#"(memory (export "memory") 1) (func (result i32 i32) (i32.const 0) (i32.const 0))"#,
    );
    assert_eq!(
        vm_refusals(&results),
        ["a function type with 2 results: cosmwasm-vm allows 1"]
    );
    let params = cosmwasm(&format!(
        r#"(memory (export "memory") 1) (func (param {}))"#,
        "i32 ".repeat(101)
    ));
    assert_eq!(
        vm_refusals(&params),
        ["a function type with 101 parameters: cosmwasm-vm allows 100"]
    );
    // Locals, per function and in total (parameters do not count).
    let locals = cosmwasm(&format!(
        r#"(memory (export "memory") 1) (func (param i32) (local {}))"#,
        "i64 ".repeat(101)
    ));
    assert_eq!(
        vm_refusals(&locals),
        ["a function with 101 locals: cosmwasm-vm allows 100 (since 3.0.9)"]
    );
    let spread: String = (0..101)
        .map(|_| format!("(func (local {}))", "i32 ".repeat(100)))
        .collect();
    let total = cosmwasm(&format!(r#"(memory (export "memory") 1) {spread}"#));
    assert_eq!(
        vm_refusals(&total),
        ["10100 locals over all functions: cosmwasm-vm allows 10000 (since 3.0.9)"]
    );
    // Capabilities: listed; one cosmwasm-vm does not know is a warning.
    let caps = cosmwasm(
        r#"(memory (export "memory") 1)
           (func (export "requires_iterator")) (func (export "requires_teleport"))"#,
    );
    let found: Vec<(&str, Level, &str)> = caps
        .findings
        .iter()
        .filter(|f| f.code == "cosmwasm-capabilities")
        .map(|f| (f.code, f.level, f.message.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (
                "cosmwasm-capabilities",
                Level::Warn,
                "capability `teleport` is not built into cosmwasm-vm: only a chain that defines it stores the code"
            ),
            (
                "cosmwasm-capabilities",
                Level::Info,
                "requires capabilities iterator, teleport: a chain without one refuses the code"
            ),
        ]
    );
}

/// A Stylus module (`user_entrypoint` and memory) plus `extra` fields.
fn stylus(extra: &str) -> capheap_sim::CheckReport {
    check(&format!(
        r#"(module
          (import "vm_hooks" "read_args" (func (param i32)))
          (memory (export "memory") 1)
          (func (export "user_entrypoint") (param i32) (result i32) (i32.const 0))
          {extra})"#
    ))
}

fn activation_refusals(report: &capheap_sim::CheckReport) -> Vec<&str> {
    report
        .findings
        .iter()
        .filter(|f| f.code.starts_with("stylus-activation") || f.code == "stylus-start-function")
        .inspect(|f| assert_eq!(f.level, Level::Error))
        .map(|f| f.message.as_str())
        .collect()
}

#[test]
fn stylus_modules_meet_nitro_s_activation_limits() {
    // At each limit: activation accepts it.
    let at = stylus(&format!(
        r#"(table 4096 funcref)
           (func (local {}))
           {}"#,
        "i32 ".repeat(348),
        (0..128)
            .map(|i| format!("(data (i32.const {i}) \"x\")"))
            .collect::<String>()
    ));
    assert!(activation_refusals(&at).is_empty(), "{:?}", at.findings);

    // One past each.
    let past = stylus(&format!(
        r#"(table 4097 funcref)
           (func (local {}))
           {}
           (global i32 (i32.const 0))
           (func $s) (start $s)
           (func (export "{}"))"#,
        "i32 ".repeat(349),
        (0..129)
            .map(|i| format!("(data (i32.const {i}) \"x\")"))
            .collect::<String>(),
        "e".repeat(513)
    ));
    assert_eq!(
        activation_refusals(&past),
        [
            "129 data segments: Stylus activation allows 128",
            "4097 table entries: Stylus activation allows 4096",
            "513 bytes of an export name: Stylus activation allows 512",
            "349 locals in a function: Stylus activation allows 348",
            "a start function: Stylus activation refuses modules with one",
        ]
    );
    // Element segments and their entries.
    let elems = stylus(&format!(
        r#"(table 1 funcref) (func $f) {}"#,
        (0..129)
            .map(|_| "(elem (i32.const 0) $f)")
            .collect::<String>()
    ));
    assert_eq!(
        activation_refusals(&elems),
        ["129 element segments: Stylus activation allows 128"]
    );
    let entries = stylus(&format!(
        r#"(table 1 funcref) (func $f) (elem (i32.const 0) {})"#,
        "$f ".repeat(4097)
    ));
    assert_eq!(
        activation_refusals(&entries),
        ["4097 element entries: Stylus activation allows 4096"]
    );
    // The module name in the `name` section.
    let named = check(&format!(
        r#"(module ${}
          (import "vm_hooks" "read_args" (func (param i32)))
          (memory (export "memory") 1)
          (func (export "user_entrypoint") (param i32) (result i32) (i32.const 0)))"#,
        "m".repeat(513)
    ));
    assert_eq!(
        activation_refusals(&named),
        ["513 bytes of the module name: Stylus activation allows 512"]
    );
}

#[test]
fn stylus_counts_functions_exports_globals_imports_and_operators() {
    let imports: String = (0..513)
        .map(|_| r#"(import "vm_hooks" "read_args" (func (param i32)))"#)
        .collect();
    let module = |imports: &str, extra: &str| {
        check(&format!(
            r#"(module {imports}
              (memory (export "memory") 1)
              (func (export "user_entrypoint") (param i32) (result i32) (i32.const 0))
              {extra})"#
        ))
    };
    // 4,096 functions, 1,024 exports, 32,768 globals, 513 imports and
    // 65,536 operators in a body: all allowed.
    let funcs = |n: usize| "(func)".repeat(n);
    let exports = |n: usize| {
        (0..n)
            .map(|i| format!(r#"(export "e{i}" (func 1))"#))
            .collect::<String>()
    };
    let globals = |n: usize| "(global i32 (i32.const 0))".repeat(n);
    // `nop`s plus the implicit `end`.
    let body = |n: usize| format!("(func {})", "nop ".repeat(n - 1));
    let at = module(
        &imports,
        &format!(
            "{}{}{}{}",
            funcs(4_096 - 2),
            exports(1_024 - 2),
            globals(32_768),
            body(65_536)
        ),
    );
    assert!(activation_refusals(&at).is_empty(), "{:?}", at.findings);
    let past = module(
        &format!(r#"{imports}(import "vm_hooks" "read_args" (func (param i32)))"#),
        &format!(
            "{}{}{}{}",
            funcs(4_097 - 2),
            exports(1_025 - 2),
            globals(32_769),
            body(65_537)
        ),
    );
    assert_eq!(
        activation_refusals(&past),
        [
            "1025 exports: Stylus activation allows 1024",
            "4097 functions: Stylus activation allows 4096",
            "32769 globals: Stylus activation allows 32768",
            "514 imports: Stylus activation allows 513",
            "65537 operators in a function: Stylus activation allows 65536",
        ]
    );
}

/// The `chain-features` findings of a report, each with its level.
fn feature_refusals(report: &capheap_sim::CheckReport) -> Vec<(Level, &str)> {
    report
        .findings
        .iter()
        .filter(|f| f.code == "chain-features")
        .map(|f| (f.level, f.message.as_str()))
        .collect()
}

#[test]
fn cosmwasm_refuses_bulk_memory_and_reference_types() {
    let memory = r#"(memory (export "memory") 1)"#;
    let clean = cosmwasm(&format!(
        "{memory} (func (result i32) (i32.extend8_s (i32.trunc_sat_f64_s (f64.const 1))))"
    ));
    assert!(feature_refusals(&clean).is_empty(), "{:?}", clean.findings);

    // What rustc 1.87 and later emit for copies and fills.
    let bulk = cosmwasm(&format!(
        "{memory} (func
           (memory.copy (i32.const 0) (i32.const 8) (i32.const 8))
           (memory.copy (i32.const 8) (i32.const 0) (i32.const 8))
           (memory.fill (i32.const 0) (i32.const 0) (i32.const 8)))"
    ));
    let refused = feature_refusals(&bulk);
    assert_eq!(refused.len(), 1, "{refused:?}");
    let (level, message) = refused[0];
    assert_eq!(level, Level::Error);
    assert!(
        message.starts_with(
            "cosmwasm-vm refuses bulk memory operators (2 memory.copy, 1 memory.fill)"
        ),
        "{message}"
    );
    assert!(message.contains("Rust 1.86 or earlier"), "{message}");
    assert_eq!(
        (bulk.operators.bulk_memory, bulk.operators.reference_types),
        (3, 0)
    );
    assert!(!bulk.passes(Level::Error));

    let refs = cosmwasm(&format!(
        "{memory} (table 1 1 funcref) (func (drop (ref.null func)) (drop (table.size 0)))"
    ));
    assert_eq!(
        feature_refusals(&refs),
        [(
            Level::Error,
            "cosmwasm-vm refuses reference types operators (1 ref.null, 1 table.size)"
        )]
    );

    // Anything else its validator refuses is its own message.
    let simd = cosmwasm(&format!("{memory} (func (drop (v128.const i64x2 0 0)))"));
    let refused = feature_refusals(&simd);
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(
        refused[0]
            .1
            .starts_with("cosmwasm-vm's validator refuses the module: SIMD support is not enabled"),
        "{refused:?}"
    );
}

#[test]
fn stylus_runs_copy_and_fill_and_refuses_the_rest() {
    let copies = stylus(
        "(func
           (memory.copy (i32.const 0) (i32.const 8) (i32.const 8))
           (memory.fill (i32.const 0) (i32.const 0) (i32.const 8)))",
    );
    assert!(
        feature_refusals(&copies).is_empty(),
        "{:?}",
        copies.findings
    );
    assert!(copies.passes(Level::Warn), "{:?}", copies.findings);

    let init = stylus(
        r#"(data $d "abc")
           (func (memory.init $d (i32.const 0) (i32.const 0) (i32.const 3)) (data.drop $d))"#,
    );
    assert_eq!(
        feature_refusals(&init),
        [(
            Level::Error,
            "ArbOS does not activate these bulk memory operators (1 data.drop, 1 memory.init): \
             of that proposal it runs memory.copy and memory.fill only"
        )]
    );

    let refs = stylus("(table 1 funcref) (func (drop (ref.is_null (ref.null func))))");
    assert_eq!(
        feature_refusals(&refs),
        [(
            Level::Error,
            "ArbOS refuses reference types operators (1 ref.is_null, 1 ref.null)"
        )]
    );

    // Multi-value: activated up to ArbOS 59, refused from ArbOS 60.
    let pair = stylus("(func (result i32 i32) (i32.const 0) (i32.const 1))");
    let refused = feature_refusals(&pair);
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0].0, Level::Warn);
    assert!(
        refused[0]
            .1
            .starts_with("ArbOS 60 and later refuse the module cargo-stylus sends"),
        "{refused:?}"
    );
}
