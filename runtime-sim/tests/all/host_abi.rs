//! The `capheap` host ABI, custom host functions and the unknown-import
//! policy.

use capheap_sim::{
    HostContext, HostCosts, HostFnError, SimError, Simulator, UnknownImports, Val, ValType,
};

const ABI: &str = r#"(module
  (import "capheap" "input" (func $input (result i64)))
  (import "capheap" "input_len" (func $input_len (result i32)))
  (import "capheap" "output" (func $output (param i32 i32)))
  (import "capheap" "storage_read" (func $sread (param i32 i32) (result i64)))
  (import "capheap" "storage_write" (func $swrite (param i32 i32 i32 i32) (result i32)))
  (import "capheap" "storage_remove" (func $sremove (param i32 i32) (result i32)))
  (import "capheap" "log" (func $log (param i32 i32)))
  (import "capheap" "abort" (func $abort (param i32 i32 i32)))
  (memory (export "memory") 1)
  (global $top (mut i32) (i32.const 1024))
  (data (i32.const 16) "key")
  (data (i32.const 32) "hello log")
  (data (i32.const 48) "boom")
  (func (export "capheap_alloc") (param $len i32) (result i32) (local $p i32)
    (local.set $p (global.get $top))
    (global.set $top (i32.add (global.get $top) (local.get $len)))
    (local.get $p))
  (func (export "echo") (local $r i64)
    (local.set $r (call $input))
    (call $output (i32.wrap_i64 (i64.shr_u (local.get $r) (i64.const 32)))
                  (i32.wrap_i64 (local.get $r))))
  (func (export "len") (result i32) (call $input_len))
  (func (export "set") (param i32 i32) (result i32)
    (call $swrite (i32.const 16) (i32.const 3) (local.get 0) (local.get 1)))
  (func (export "has") (result i32)
    (i64.ne (call $sread (i32.const 16) (i32.const 3)) (i64.const -1)))
  (func (export "get") (result i64) (call $sread (i32.const 16) (i32.const 3)))
  (func (export "remove") (result i32) (call $sremove (i32.const 16) (i32.const 3)))
  (func (export "log") (call $log (i32.const 32) (i32.const 9)))
  (func (export "abort") (call $abort (i32.const 7) (i32.const 48) (i32.const 4)))
  (func (export "bad_log") (call $log (i32.const 65530) (i32.const 100))))"#;

const COSTS: HostCosts = HostCosts {
    base: 100,
    per_byte: 2,
};

fn abi_instance() -> capheap_sim::Instance {
    Simulator::builder()
        .host_costs(COSTS)
        .build()
        .unwrap()
        .load(&wat::parse_str(ABI).unwrap())
        .unwrap()
        .instantiate()
        .unwrap()
}

#[test]
fn input_and_output() {
    let mut instance = abi_instance();
    let outcome = instance.call("echo", b"abc").unwrap();
    assert_eq!(outcome.output, b"abc");
    // input: base + 3 bytes; output: base + 3 bytes.
    assert_eq!(outcome.fuel.host, 2 * (100 + 3 * 2));
    assert_eq!(instance.call("len", b"12345").unwrap().returned, Some(5));
    assert_eq!(instance.call("echo", b"").unwrap().output, b"");
}

#[test]
fn storage_read_write_remove() {
    let mut instance = abi_instance();
    let empty_root = instance.storage_root();
    assert_eq!(instance.call("has", &[]).unwrap().returned, Some(0));
    assert_eq!(instance.call("set", b"v1").unwrap().returned, Some(0));
    let set = instance.call("set", b"value2").unwrap();
    assert_eq!(set.returned, Some(1), "replaced");
    assert_eq!(instance.storage().get(b"key"), Some(&b"value2"[..]));
    assert_ne!(set.storage_root, empty_root);
    assert_eq!(set.storage_root, instance.storage_root());
    assert_eq!(instance.call("has", &[]).unwrap().returned, Some(1));
    let get = instance.call("get", &[]).unwrap();
    assert_eq!(get.output, b"value2");
    // storage_read moves key and value; the returned region is output.
    assert_eq!(get.fuel.host, (100 + 2 * (3 + 6)) + (100 + 2 * 6));
    assert_eq!(instance.call("remove", &[]).unwrap().returned, Some(1));
    assert_eq!(instance.call("remove", &[]).unwrap().returned, Some(0));
    assert_eq!(instance.storage_root(), empty_root);
}

#[test]
fn storage_survives_reset_but_memory_does_not() {
    let mut instance = abi_instance();
    instance.call("set", b"kept").unwrap();
    instance.write(2048, b"scratch").unwrap();
    instance.reset().unwrap();
    assert_eq!(instance.read(2048, 7).unwrap(), [0; 7]);
    assert_eq!(instance.call("get", &[]).unwrap().output, b"kept");
}

#[test]
fn log_and_abort() {
    let mut instance = abi_instance();
    let outcome = instance.call("log", &[]).unwrap();
    assert_eq!(outcome.logs, ["hello log"]);
    assert_eq!(outcome.fuel.host, 100 + 9 * 2);
    assert_eq!(
        instance.call("abort", &[]).unwrap_err(),
        SimError::Abort {
            code: 7,
            message: "boom".into()
        }
    );
}

#[test]
fn host_access_outside_memory_is_a_typed_error() {
    let err = abi_instance().call("bad_log", &[]).unwrap_err();
    assert!(
        matches!(&err, SimError::Host { function, message } if function == "capheap.log" && message.contains("outside linear memory")),
        "{err}"
    );
}

#[test]
fn input_to_an_export_without_a_way_to_read_it_is_refused() {
    let src = r#"(module (memory 1) (func (export "f")))"#;
    let mut instance = Simulator::new()
        .load(&wat::parse_str(src).unwrap())
        .unwrap()
        .instantiate()
        .unwrap();
    assert!(matches!(
        instance.call("f", b"x").unwrap_err(),
        SimError::WrongSignature { .. }
    ));
    assert!(instance.call("f", b"").is_ok());
}

const UNKNOWN: &str = r#"(module
  (import "env" "mystery" (func $m (result i32)))
  (memory 1)
  (func (export "call_it") (result i32) (call $m))
  (func (export "fine") (result i32) (i32.const 5)))"#;

#[test]
fn unknown_imports_rejected_at_load() {
    let wasm = wat::parse_str(UNKNOWN).unwrap();
    assert_eq!(
        Simulator::new().load(&wasm).unwrap_err(),
        SimError::UnknownImport {
            module: "env".into(),
            name: "mystery".into(),
            kind: "func".into()
        }
    );
    // An unknown name in the host module is unknown too.
    let src = r#"(module (import "capheap" "nope" (func)))"#;
    assert!(matches!(
        Simulator::new().load(&wat::parse_str(src).unwrap()).unwrap_err(),
        SimError::UnknownImport { name, .. } if name == "nope"
    ));
}

#[test]
fn unknown_imports_trap_when_called() {
    let sim = Simulator::builder()
        .unknown_imports(UnknownImports::Trap)
        .build()
        .unwrap();
    let mut instance = sim
        .load(&wat::parse_str(UNKNOWN).unwrap())
        .unwrap()
        .instantiate()
        .unwrap();
    assert_eq!(instance.call("fine", &[]).unwrap().returned, Some(5));
    assert_eq!(
        instance.call("call_it", &[]).unwrap_err(),
        SimError::UnknownImportCalled {
            module: "env".into(),
            name: "mystery".into()
        }
    );
}

#[test]
fn non_function_imports_are_always_refused() {
    let sim = Simulator::builder()
        .unknown_imports(UnknownImports::Trap)
        .build()
        .unwrap();
    for (src, kind) in [
        (r#"(module (import "env" "g" (global i32)))"#, "global"),
        (r#"(module (import "env" "mem" (memory 1)))"#, "memory"),
        (r#"(module (import "env" "t" (table 1 funcref)))"#, "table"),
    ] {
        assert!(
            matches!(sim.load(&wat::parse_str(src).unwrap()).unwrap_err(),
                SimError::UnknownImport { kind: k, .. } if k == kind),
            "{src}"
        );
    }
}

#[test]
fn abi_imports_with_the_wrong_signature() {
    let src = r#"(module (import "capheap" "log" (func (param i32))))"#;
    assert_eq!(
        Simulator::new()
            .load(&wat::parse_str(src).unwrap())
            .unwrap_err(),
        SimError::ImportSignature {
            module: "capheap".into(),
            name: "log".into(),
            found: "(i32) -> ()".into(),
            expected: "(i32, i32) -> ()".into()
        }
    );
}

fn doubler(cx: &mut HostContext<'_>, args: &[Val], out: &mut [Val]) -> Result<(), HostFnError> {
    cx.charge(40)?;
    let x = args[0].i32().unwrap_or(0);
    if x < 0 {
        return Err(HostFnError::new("negative input"));
    }
    cx.log(format!("doubled {x}"))?;
    out[0] = Val::I32(x * 2);
    Ok(())
}

#[test]
fn custom_host_functions() {
    let sim = Simulator::builder()
        .host_func("env", "double", [ValType::I32], [ValType::I32], doubler)
        .build()
        .unwrap();
    let src = r#"(module (import "env" "double" (func $d (param i32) (result i32)))
        (func (export "six") (result i32) (call $d (i32.const 3)))
        (func (export "bad") (result i32) (call $d (i32.const -1))))"#;
    let mut instance = sim
        .load(&wat::parse_str(src).unwrap())
        .unwrap()
        .instantiate()
        .unwrap();
    let six = instance.call("six", &[]).unwrap();
    assert_eq!((six.returned, six.fuel.host), (Some(6), 40));
    assert_eq!(six.logs, ["doubled 3"]);
    assert_eq!(
        instance.call("bad", &[]).unwrap_err(),
        SimError::Host {
            function: "env.double".into(),
            message: "negative input".into()
        }
    );
    // A module importing it with another type is refused.
    let other = r#"(module (import "env" "double" (func (param i64) (result i64))))"#;
    assert!(matches!(
        sim.load(&wat::parse_str(other).unwrap()).unwrap_err(),
        SimError::ImportSignature { .. }
    ));
}

#[test]
fn host_function_registration_errors() {
    let f = |_: &mut HostContext<'_>, _: &[Val], _: &mut [Val]| Ok(());
    let twice = Simulator::builder()
        .host_func("env", "f", [], [], f)
        .host_func("env", "f", [], [], f)
        .build()
        .unwrap_err();
    assert!(matches!(twice, SimError::DuplicateHostFunction { .. }));
    let shadow = Simulator::builder()
        .host_func("capheap", "log", [], [], f)
        .build()
        .unwrap_err();
    assert!(matches!(shadow, SimError::DuplicateHostFunction { .. }));
    let reserved = Simulator::builder()
        .host_func("capheap_sim", "x", [], [], f)
        .build()
        .unwrap_err();
    assert!(matches!(reserved, SimError::ReservedImport { .. }));
}

#[test]
fn errors_serialise_with_their_kind() {
    let err = SimError::Abort {
        code: 1,
        message: "m".into(),
    };
    let json = serde_json::to_value(&err).unwrap();
    assert_eq!(json["type"], err.kind());
    assert_eq!(json["detail"]["code"], 1);
    let json = serde_json::to_value(SimError::NotWasm("x".into())).unwrap();
    assert_eq!(json["type"], "not-wasm");
}
