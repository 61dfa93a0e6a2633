//! The determinism claims of docs/src/determinism.md, each by a test that
//! fails when the claim does not hold: the memory root's byte format against
//! a known-answer vector computed outside this code, canonical NaN bits, and
//! the fuzz harness's twin comparison firing on a host input that differs.

use capheap_sim::fuzzing::{Bounds, Finding, check_call};
use capheap_sim::{HostContext, HostFnError, MemoryRoot, Simulator, Val, ValType};

#[test]
fn memory_root_matches_its_documented_format() {
    // Computed with Python's hashlib from the documented format:
    // SHA-256("capheap-memroot-v1" ‖ 2u32 LE ‖ SHA-256(page 0) ‖ SHA-256(page 1))
    // for page 0 all zeros and page 1 zeros but byte 0 = 0x01, byte 65535 = 0xff.
    let mut memory = vec![0u8; 2 * 65_536];
    memory[65_536] = 0x01;
    memory[2 * 65_536 - 1] = 0xff;
    let root = MemoryRoot::of(&memory);
    assert_eq!(
        root.root.to_hex(),
        "4798c2fffa66b8e04dd6e6867c09b102788402447efbf3ca7d189ac4cd365693"
    );
    assert_eq!(
        root.page_digests[0].to_hex(),
        "de2f256064a0af797747c2b97505dc0b9f3df0de4f489eac731c23ae9ca9cc31"
    );
    assert_eq!(
        root.page_digests[1].to_hex(),
        "77f70b80b5d78f63489d779ed8427058a8096daefdcba7207c5e52db781e0365"
    );
    assert_eq!(
        MemoryRoot::of(&[]).root.to_hex(),
        "7649254c2dc75bf0187dcbf07f2a02f179c1525df29d32e5c6eef21c9bebac82"
    );
}

#[test]
fn nans_come_out_canonical() {
    let wasm = wat::parse_str(
        r#"(module
          (func (export "div") (result i32)
            (i32.reinterpret_f32 (f32.div (f32.const 0) (f32.const 0))))
          (func (export "payload") (result i32)
            (i32.reinterpret_f32 (f32.add (f32.const -nan:0x200001) (f32.const 1))))
          (func (export "sqrt") (result i32)
            (i32.wrap_i64 (i64.shr_u
              (i64.reinterpret_f64 (f64.sqrt (f64.const -1))) (i64.const 32)))))"#,
    )
    .unwrap();
    let mut instance = Simulator::new().load(&wasm).unwrap().instantiate().unwrap();
    for export in ["div", "payload"] {
        let bits = instance.call(export, &[]).unwrap().returned.unwrap() as u32;
        assert_eq!(
            bits, 0x7fc0_0000,
            "{export}: {bits:#x} is not the canonical f32 NaN"
        );
    }
    let high = instance.call("sqrt", &[]).unwrap().returned.unwrap() as u32;
    assert_eq!(high, 0x7ff8_0000, "sqrt: the f64 NaN is not canonical");
}

#[test]
fn the_twin_comparison_fires_on_a_host_input_that_differs() {
    // A host input that differs between nodes (the seed stands for it).
    let node_input =
        |cx: &mut HostContext<'_>, _: &[Val], out: &mut [Val]| -> Result<(), HostFnError> {
            out[0] = Val::I32(cx.seed() as i32);
            Ok(())
        };
    let sim = Simulator::builder()
        .host_func("env", "node_input", [], [ValType::I32], node_input)
        .build()
        .unwrap();
    let wasm = wat::parse_str(
        r#"(module
          (import "env" "node_input" (func $input (result i32)))
          (memory (export "memory") 1)
          (func (export "f") (i32.store (i32.const 0) (call $input))))"#,
    )
    .unwrap();
    let contract = sim.load(&wasm).unwrap();
    let finding = check_call(&contract, "f", &[], &Bounds::default()).unwrap_err();
    assert!(
        matches!(finding, Finding::Nondeterministic { .. }),
        "{finding}"
    );
    // The same contract storing a constant is clean.
    let constant = wat::parse_str(
        r#"(module
          (import "env" "node_input" (func $input (result i32)))
          (memory (export "memory") 1)
          (func (export "f") (drop (call $input)) (i32.store (i32.const 0) (i32.const 7))))"#,
    )
    .unwrap();
    let contract = sim.load(&constant).unwrap();
    assert_eq!(check_call(&contract, "f", &[], &Bounds::default()), Ok(()));
}
