//! The load-time rewrite: every `memory.grow` goes through the growth hook,
//! function indices shift consistently, reserved names are refused.

use capheap_sim::{PagePricing, SimError, Simulator};

/// Imports shift every defined function's index: calls, `call_indirect`
/// through element segments, `ref.func`, exports and the start function must
/// all still reach the right function.
const INDEXED: &str = r#"(module
  (import "capheap" "input_len" (func $input_len (result i32)))
  (import "capheap" "gas_left" (func $gas (result i64)))
  (type $t (func (result i32)))
  (memory (export "memory") 1)
  (table 3 funcref)
  (elem (i32.const 0) $a $b $grow)
  (elem declare func $a)
  (global $g (mut i32) (i32.const 0))
  (start $init)
  (func $init (global.set $g (i32.const 40)))
  (func $a (result i32) (i32.const 1))
  (func $b (result i32) (i32.add (global.get $g) (i32.const 2)))
  (func $grow (result i32) (memory.grow (i32.const 1)))
  (func (export "dispatch0") (result i32) (call_indirect (type $t) (i32.const 0)))
  (func (export "dispatch1") (result i32) (call_indirect (type $t) (i32.const 1)))
  (func (export "dispatch2") (result i32) (call_indirect (type $t) (i32.const 2)))
  (func (export "direct") (result i32) (call $b))
  (func (export "via_ref") (result i32)
    (table.set (i32.const 1) (ref.func $a))
    (call_indirect (type $t) (i32.const 1)))
  (func (export "len") (result i32) (call $input_len))
  (export "b" (func $b)))"#;

fn sim() -> Simulator {
    Simulator::builder()
        .pricing(PagePricing::Flat { per_page: 3 })
        .build()
        .unwrap()
}

#[test]
fn indices_are_remapped_everywhere() {
    let contract = sim().load(&wat::parse_str(INDEXED).unwrap()).unwrap();
    assert_eq!(contract.grow_sites(), 1);
    let mut instance = contract.instantiate().unwrap();
    let mut call = |e: &str, input: &[u8]| instance.call(e, input).unwrap();
    assert_eq!(call("dispatch0", &[]).returned, Some(1));
    assert_eq!(call("dispatch1", &[]).returned, Some(42), "start ran");
    assert_eq!(call("direct", &[]).returned, Some(42));
    assert_eq!(call("b", &[]).returned, Some(42));
    assert_eq!(call("len", b"four").returned, Some(4));
    // memory.grow reached through call_indirect is still charged.
    let grown = call("dispatch2", &[]);
    assert_eq!(
        (grown.returned, grown.pages_after, grown.fuel.growth),
        (Some(1), 2, 3)
    );
    assert_eq!(call("via_ref", &[]).returned, Some(1));
    assert_eq!(
        call("dispatch1", &[]).returned,
        Some(1),
        "table.set took effect"
    );
}

#[test]
fn modules_without_optional_sections() {
    // No types, imports or exports at all: the rewrite adds what it needs.
    for src in [
        "(module)",
        "(module (memory 2))",
        "(module (func $f (memory.grow (i32.const 0)) drop) (memory 1))",
    ] {
        let contract = Simulator::new()
            .load(&wat::parse_str(src).unwrap())
            .unwrap();
        let instance = contract.instantiate().unwrap();
        let pages = if src.contains("memory 2") {
            2
        } else if src.contains("memory 1") {
            1
        } else {
            0
        };
        assert_eq!(instance.pages(), pages, "{src}");
        assert_eq!(instance.memory_root().pages, pages);
    }
}

#[test]
fn a_contract_cannot_import_the_growth_hook() {
    let src = r#"(module
        (import "capheap_sim" "memory_grow" (func $g (param i32) (result i32)))
        (memory 1)
        (func (export "sneaky") (result i32) (call $g (i32.const 1))))"#;
    assert_eq!(
        Simulator::new()
            .load(&wat::parse_str(src).unwrap())
            .unwrap_err(),
        SimError::ReservedImport {
            module: "capheap_sim".into(),
            name: "memory_grow".into()
        }
    );
}

#[test]
fn a_contract_cannot_export_reserved_names() {
    let src = r#"(module (memory 1) (export "__capheap_sim_memory" (memory 0)))"#;
    assert!(matches!(
        Simulator::new().load(&wat::parse_str(src).unwrap()).unwrap_err(),
        SimError::ReservedExport { name, .. } if name == "__capheap_sim_memory"
    ));
}

#[test]
fn memory_need_not_be_exported() {
    let src = r#"(module (memory 1)
        (func (export "grow") (result i32) (memory.grow (i32.const 2))))"#;
    let mut instance = sim()
        .load(&wat::parse_str(src).unwrap())
        .unwrap()
        .instantiate()
        .unwrap();
    let outcome = instance.call("grow", &[]).unwrap();
    assert_eq!((outcome.pages_after, outcome.fuel.growth), (3, 6));
    assert_eq!(instance.memory().len(), 3 * 65536);
}

#[test]
fn growth_in_the_start_function_is_metered_too() {
    let src = r#"(module (memory 1)
        (func $start (drop (memory.grow (i32.const 2))))
        (start $start)
        (func (export "pages") (result i32) (memory.size)))"#;
    let mut instance = sim()
        .load(&wat::parse_str(src).unwrap())
        .unwrap()
        .instantiate()
        .unwrap();
    assert_eq!(instance.call("pages", &[]).unwrap().returned, Some(3));
    assert_eq!(instance.high_water_pages(), 3);
}

#[test]
fn malformed_modules_are_typed_errors() {
    let wasm = wat::parse_str(INDEXED).unwrap();
    for cut in [9, wasm.len() / 3, wasm.len() - 1] {
        let err = Simulator::new().load(&wasm[..cut]).unwrap_err();
        assert!(matches!(err, SimError::InvalidWasm(_)), "{cut}: {err}");
    }
    assert!(matches!(
        Simulator::new().load(b"nope").unwrap_err(),
        SimError::NotWasm(_)
    ));
    assert!(matches!(
        Simulator::new().load(&[]).unwrap_err(),
        SimError::NotWasm(_)
    ));
    // Garbage after a valid header, byte by byte: never a panic.
    let mut bytes = wasm.clone();
    for i in 8..bytes.len() {
        bytes[i] ^= 0x5a;
        let _ = Simulator::new().load(&bytes);
        bytes[i] ^= 0x5a;
    }
}

#[test]
fn disabled_features_are_refused() {
    for src in [
        "(module (func (result v128) (v128.const i32x4 0 0 0 0)))",
        "(module (memory i64 1))",
        "(module (memory 1 1 shared))",
        "(module (memory 1) (memory 1))",
    ] {
        let err = Simulator::new()
            .load(&wat::parse_str(src).unwrap())
            .unwrap_err();
        assert!(matches!(err, SimError::InvalidWasm(_)), "{src}: {err}");
    }
    let floats = "(module (func (result f64) (f64.add (f64.const 1) (f64.const 2))))";
    let wasm = wat::parse_str(floats).unwrap();
    assert!(Simulator::new().load(&wasm).is_ok());
    assert!(matches!(
        Simulator::builder()
            .floats(false)
            .build()
            .unwrap()
            .load(&wasm)
            .unwrap_err(),
        SimError::InvalidWasm(_)
    ));
}
