//! The Stylus and CosmWasm host environments on small hand-written modules:
//! entry points, state and rollback, exact Stylus memory pricing, and a
//! typed error naming the import or field for every bad input.

use capheap::meter::{GrowthRequest, PagePricing};
use capheap_sim::{
    Abi, CallEnv, ChainOutcome, GrowthResult, SimError, Simulator, calldata,
    scenario_file::ScenarioFile,
};

/// A CosmWasm module: a bump `allocate` that hands out Regions (the `n`th
/// call returns 0 when `fail_at` is `n`), `interface_version_8`, and an
/// `execute`/`query` whose bodies are given (WAT, with `$out` returning a
/// Region holding the data segment at 1024 of `out_len` bytes).
fn cosmwasm(execute: &str, query: &str, fail_at: i32, out: &str) -> Vec<u8> {
    let out_len = out.len();
    let out = out.replace('"', "\\\"");
    wat::parse_str(format!(
        r#"(module
          (import "env" "db_read" (func $db_read (param i32) (result i32)))
          (import "env" "db_write" (func $db_write (param i32 i32)))
          (memory (export "memory") 2)
          (global $next (mut i32) (i32.const 4096))
          (global $calls (mut i32) (i32.const 0))
          (data (i32.const 1024) "{out}")
          ;; Region at 2048 -> (1024, {out_len}, {out_len}); key Region at 2060 -> (1500, 3, 3)
          (data (i32.const 1500) "key")
          (func $init
            (i32.store (i32.const 2048) (i32.const 1024))
            (i32.store (i32.const 2052) (i32.const {out_len}))
            (i32.store (i32.const 2056) (i32.const {out_len}))
            (i32.store (i32.const 2060) (i32.const 1500))
            (i32.store (i32.const 2064) (i32.const 3))
            (i32.store (i32.const 2068) (i32.const 3)))
          (start $init)
          (func (export "interface_version_8"))
          (func (export "allocate") (param $len i32) (result i32)
            (local $r i32)
            (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
            (if (i32.eq (global.get $calls) (i32.const {fail_at})) (then (return (i32.const 0))))
            (local.set $r (global.get $next))
            (i32.store (local.get $r) (i32.add (local.get $r) (i32.const 12)))
            (i32.store offset=4 (local.get $r) (local.get $len))
            (i32.store offset=8 (local.get $r) (i32.const 0))
            (global.set $next (i32.add (global.get $next) (i32.add (local.get $len) (i32.const 16))))
            (local.get $r))
          (func (export "deallocate") (param i32))
          (func (export "execute") (param i32 i32 i32) (result i32) {execute})
          (func (export "query") (param i32 i32) (result i32) {query}))"#
    ))
    .expect("valid wat")
}

const OK: &str =
    r#"{"ok":{"messages":[],"attributes":[{"key":"k","value":"v"}],"events":[],"data":null}}"#;

fn cosmwasm_sim() -> Simulator {
    Simulator::builder().build().unwrap()
}

#[test]
fn cosmwasm_execute_writes_and_reports_its_response() {
    let wasm = cosmwasm(
        "(call $db_write (i32.const 2060) (i32.const 2048)) (i32.const 2048)",
        "(i32.const 2048)",
        -1,
        OK,
    );
    let contract = cosmwasm_sim().load(&wasm).unwrap();
    assert_eq!(contract.abi(), Abi::CosmWasm);
    let mut instance = contract.instantiate().unwrap();
    let outcome = instance.execute("execute", br#"{"go":{}}"#);
    assert_eq!(outcome.error, None);
    let Some(ChainOutcome::CosmWasm { response }) = &outcome.chain else {
        panic!("no CosmWasm outcome: {:?}", outcome.chain);
    };
    assert_eq!(response.attributes, [("k".to_owned(), "v".to_owned())]);
    assert_eq!(instance.storage().get(b"key"), Some(OK.as_bytes()));
}

#[test]
fn a_region_outside_memory_names_the_import() {
    let wasm = cosmwasm(
        "(drop (call $db_read (i32.const 0x1fff0))) (i32.const 2048)",
        "(i32.const 2048)",
        -1,
        OK,
    );
    let mut instance = cosmwasm_sim().load(&wasm).unwrap().instantiate().unwrap();
    let err = instance.execute("execute", b"{}").error.unwrap();
    assert!(
        matches!(&err, SimError::BadRegion { function, ptr: 0x1fff0, .. } if function == "env.db_read"),
        "{err}"
    );
}

#[test]
fn allocate_returning_zero_is_a_typed_error() {
    // The simulator's own placement: the first allocate (for `Env`) fails.
    let wasm = cosmwasm("(i32.const 2048)", "(i32.const 2048)", 1, OK);
    let mut instance = cosmwasm_sim().load(&wasm).unwrap().instantiate().unwrap();
    let err = instance.execute("execute", b"{}").error.unwrap();
    assert_eq!(err.kind(), "input-alloc-failed", "{err}");
    // Inside an import: env, info and msg take three allocations, db_read's
    // value the fourth.
    let wasm = cosmwasm(
        "(drop (call $db_read (i32.const 2060))) (i32.const 2048)",
        "(i32.const 2048)",
        4,
        OK,
    );
    let mut instance = cosmwasm_sim().load(&wasm).unwrap().instantiate().unwrap();
    instance
        .storage_mut()
        .insert(b"key".to_vec(), b"value".to_vec());
    let err = instance.execute("execute", b"{}").error.unwrap();
    assert!(
        matches!(&err, SimError::Host { function, message } if function == "env.db_read" && message.contains("`allocate(5)` returned 0")),
        "{err}"
    );
}

#[test]
fn invalid_json_from_the_contract_is_a_typed_error() {
    let wasm = cosmwasm("(i32.const 2048)", "(i32.const 2048)", -1, "not json");
    let mut instance = cosmwasm_sim().load(&wasm).unwrap().instantiate().unwrap();
    let err = instance.execute("execute", b"{}").error.unwrap();
    assert!(
        matches!(&err, SimError::InvalidContractResult { export, .. } if export == "execute"),
        "{err}"
    );
}

#[test]
fn a_refused_message_rolls_storage_back() {
    let refused = r#"{"error":"insufficient funds"}"#;
    let wasm = cosmwasm(
        "(call $db_write (i32.const 2060) (i32.const 2048)) (i32.const 2048)",
        "(i32.const 2048)",
        -1,
        refused,
    );
    let mut instance = cosmwasm_sim().load(&wasm).unwrap().instantiate().unwrap();
    let before = instance.storage_root();
    let outcome = instance.execute("execute", b"{}");
    let err = outcome.error.unwrap();
    assert!(
        matches!(&err, SimError::ContractError { message, .. } if message == "insufficient funds"),
        "{err}"
    );
    assert!(instance.storage().is_empty(), "the write was kept");
    assert_eq!(outcome.storage_root, before);
}

#[test]
fn queries_may_not_write_and_messages_must_be_json() {
    let wasm = cosmwasm(
        "(i32.const 2048)",
        "(call $db_write (i32.const 2060) (i32.const 2048)) (i32.const 2048)",
        -1,
        OK,
    );
    let mut instance = cosmwasm_sim().load(&wasm).unwrap().instantiate().unwrap();
    let err = instance.execute("query", b"{}").error.unwrap();
    assert!(
        matches!(&err, SimError::Host { function, message } if function == "env.db_write" && message.contains("read-only")),
        "{err}"
    );
    let err = instance.execute("execute", b"{not json").error.unwrap();
    assert!(
        matches!(&err, SimError::BadCallInput { field, .. } if field == "msg"),
        "{err}"
    );
    instance.set_call_env(CallEnv {
        sender: Some("cosmos1notours".to_owned()),
        ..CallEnv::default()
    });
    let err = instance.execute("execute", b"{}").error.unwrap();
    assert!(
        matches!(&err, SimError::BadCallInput { field, .. } if field == "sender"),
        "{err}"
    );
}

/// A Stylus module: `user_entrypoint` runs `body`; imports the hooks it uses.
fn stylus(pages: u32, body: &str) -> Vec<u8> {
    wat::parse_str(format!(
        r#"(module
          (import "vm_hooks" "read_args" (func $read_args (param i32)))
          (import "vm_hooks" "write_result" (func $write_result (param i32 i32)))
          (import "vm_hooks" "storage_cache_bytes32" (func $cache (param i32 i32)))
          (import "vm_hooks" "storage_flush_cache" (func $flush (param i32)))
          (import "vm_hooks" "emit_log" (func $emit_log (param i32 i32 i32)))
          (import "vm_hooks" "pay_for_memory_grow" (func $pay (param i32)))
          (import "vm_hooks" "create1" (func $create1 (param i32 i32 i32 i32 i32)))
          (memory (export "memory") {pages})
          (data (i32.const 0) "\01\02\03\04")
          (func (export "user_entrypoint") (param $len i32) (result i32) {body}))"#
    ))
    .expect("valid wat")
}

fn stylus_sim() -> Simulator {
    Simulator::builder()
        .chain_defaults(Abi::Stylus)
        .build()
        .unwrap()
}

#[test]
fn stylus_charges_initial_pages_then_growth_exactly() {
    let wasm = stylus(20, "(drop (memory.grow (i32.const 3))) (i32.const 0)");
    let contract = stylus_sim().load(&wasm).unwrap();
    assert_eq!(contract.abi(), Abi::Stylus);
    let mut instance = contract.instantiate().unwrap();
    for _ in 0..2 {
        // Every call is a fresh transaction: the same charges each time.
        let outcome = instance.execute("user_entrypoint", &[]);
        assert_eq!(outcome.error, None);
        let entry = PagePricing::STYLUS
            .price(GrowthRequest {
                current_pages: 0,
                high_water_pages: 0,
                delta_pages: 20,
            })
            .unwrap();
        let grow = PagePricing::STYLUS
            .price(GrowthRequest {
                current_pages: 20,
                high_water_pages: 20,
                delta_pages: 3,
            })
            .unwrap();
        // Nitro's model by hand: 2 free pages, 1000 gas a page, plus the
        // exponent table's difference (exp(0) = 1, exp(20) = 14, exp(23) = 22):
        // entry 18 * 1000 + (14 - 1), growth 3 * 1000 + (22 - 14).
        assert_eq!((entry, grow), (18_013, 3_008));
        assert_eq!(outcome.growth[0].result, GrowthResult::EntryCharge);
        assert_eq!(outcome.growth[1].result, GrowthResult::Grown);
        assert_eq!(outcome.fuel.growth, entry + grow);
        assert_eq!((outcome.pages_before, outcome.pages_after), (20, 23));
    }
}

#[test]
fn stylus_growth_past_the_page_limit_fails() {
    let wasm = stylus(120, "(memory.grow (i32.const 9))");
    let mut instance = stylus_sim().load(&wasm).unwrap().instantiate().unwrap();
    let outcome = instance.execute("user_entrypoint", &[]);
    // `memory.grow` returned -1: the status is not 0, so the call reverted.
    assert_eq!(outcome.growth.last().unwrap().result, GrowthResult::PageCap);
    assert_eq!(outcome.error.unwrap().kind(), "reverted");
    let too_big = stylus(129, "(i32.const 0)");
    assert_eq!(
        stylus_sim().load(&too_big).unwrap_err().kind(),
        "limit-exceeded"
    );
}

#[test]
fn a_stylus_revert_rolls_back_storage_and_drops_logs() {
    let body = "(call $cache (i32.const 0) (i32.const 0)) (call $flush (i32.const 0))
                (call $emit_log (i32.const 0) (i32.const 32) (i32.const 1))
                (call $write_result (i32.const 0) (i32.const 4))
                (call $read_args (i32.const 100))
                (i32.load8_u (i32.const 100))";
    let wasm = stylus(1, body);
    let mut instance = stylus_sim().load(&wasm).unwrap().instantiate().unwrap();
    let ok = instance.execute("user_entrypoint", &[0]);
    assert_eq!(ok.error, None);
    let Some(ChainOutcome::Stylus { status: 0, logs }) = &ok.chain else {
        panic!("{:?}", ok.chain);
    };
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0].topics[0].as_slice()[..4], [1, 2, 3, 4]);
    assert_eq!(ok.output, [1, 2, 3, 4]);
    assert_eq!(instance.storage().len(), 1);
    let mut slot = [0u8; 32];
    slot[..4].copy_from_slice(&[1, 2, 3, 4]);
    assert_eq!(instance.storage().get(&slot), Some(slot.as_slice()));
    let root = instance.storage_root();
    // Status 1: reverted with the result as revert data; the write is undone.
    let mut fresh = stylus_sim().load(&wasm).unwrap().instantiate().unwrap();
    let reverted = fresh.execute("user_entrypoint", &[1]);
    assert_eq!(
        reverted.error,
        Some(SimError::Reverted {
            data: vec![1, 2, 3, 4]
        })
    );
    assert!(fresh.storage().is_empty());
    assert_eq!(reverted.chain, None);
    assert_ne!(reverted.storage_root, root);
}

#[test]
fn unsimulated_hooks_and_bad_log_topics_are_named() {
    let wasm = stylus(
        1,
        "(call $create1 (i32.const 0) (i32.const 4) (i32.const 0) (i32.const 100) (i32.const 200)) (i32.const 0)",
    );
    let mut instance = stylus_sim().load(&wasm).unwrap().instantiate().unwrap();
    let err = instance.execute("user_entrypoint", &[]).error.unwrap();
    assert_eq!(
        err,
        SimError::NotSimulated {
            function: "vm_hooks.create1".to_owned()
        }
    );
    assert_eq!(err.to_string(), "not simulated: vm_hooks.create1");
    let wasm = stylus(
        1,
        "(call $emit_log (i32.const 0) (i32.const 200) (i32.const 5)) (i32.const 0)",
    );
    let mut instance = stylus_sim().load(&wasm).unwrap().instantiate().unwrap();
    let err = instance.execute("user_entrypoint", &[]).error.unwrap();
    assert!(
        matches!(&err, SimError::Host { function, .. } if function == "vm_hooks.emit_log"),
        "{err}"
    );
}

#[test]
fn stylus_calls_need_the_entry_point_and_valid_senders() {
    let wasm = stylus(1, "(i32.const 0)");
    let mut instance = stylus_sim().load(&wasm).unwrap().instantiate().unwrap();
    assert_eq!(
        instance.execute("other", &[]).error.unwrap().kind(),
        "wrong-signature"
    );
    instance.set_call_env(CallEnv {
        sender: Some("0x12".to_owned()),
        ..CallEnv::default()
    });
    let err = instance.execute("user_entrypoint", &[]).error.unwrap();
    assert!(
        matches!(&err, SimError::BadCallInput { field, .. } if field == "sender"),
        "{err}"
    );
}

#[test]
fn calldata_that_does_not_match_its_signature_names_the_call() {
    let text = r#"
        contract = "x.wasm"
        [[call]]
        sig = "transfer(address,uint256)"
        args = ["0x00000000000000000000000000000000000000b0", "not a number"]
    "#;
    let err = ScenarioFile::parse(text, std::path::Path::new("s.toml")).unwrap_err();
    let message = err.to_string();
    assert!(message.contains("call 1 (`user_entrypoint`)"), "{message}");
    assert!(
        message.contains("argument 2 (`not a number`) is not of type uint256"),
        "{message}"
    );
    let ok = calldata::encode_call(
        "transfer(address,uint256)",
        &["0x00000000000000000000000000000000000000b0", "7"],
    )
    .unwrap();
    assert_eq!(ok.len(), 68);
}

#[test]
fn cosmwasm_raw_queries_are_configured_in_scenario_files() {
    let env = capheap_sim::CosmWasmEnv::default();
    let token = env.address("token").unwrap();
    let entry = |body: &str| {
        format!(
            "contract = \"x.wasm\"\n[[cosmwasm.raw_query]]\ncontract = \"{token}\"\n{body}\n[[call]]\nexport = \"query\"\nmsg = {{}}\n"
        )
    };
    let parse = |body: &str| ScenarioFile::parse(&entry(body), std::path::Path::new("s.toml"));
    let file = parse("key = \"config\"\nvalue = { owner = \"me\", n = 3 }").unwrap();
    let raw = &file.cosmwasm.as_ref().unwrap().raw_queries[0];
    assert_eq!(raw.contract, token);
    assert_eq!(raw.key, b"config");
    // Stored as JSON, as cw-storage-plus stores it (TOML keys in order).
    assert_eq!(raw.value, br#"{"n":3,"owner":"me"}"#);
    let file = parse("key_hex = \"0x0006636f6e666967\"\nvalue_hex = \"0x01ff\"").unwrap();
    let raw = &file.cosmwasm.as_ref().unwrap().raw_queries[0];
    assert_eq!(
        (raw.key.as_slice(), raw.value.as_slice()),
        (&b"\0\x06config"[..], &[1, 0xff][..])
    );
    for (body, expected) in [
        (
            "value = 1",
            "[[cosmwasm.raw_query]] 1: give `key` (UTF-8) or `key_hex`",
        ),
        (
            "key = \"a\"\nkey_hex = \"0x61\"\nvalue = 1",
            "[[cosmwasm.raw_query]] 1: give `key` (UTF-8) or `key_hex`",
        ),
        (
            "key = \"a\"",
            "give `value` (stored as JSON) or `value_hex`",
        ),
        (
            "key = \"a\"\nvalue_hex = \"0xz\"",
            "`0xz`: odd number of hex digits",
        ),
    ] {
        let message = parse(body).unwrap_err().to_string();
        assert!(message.contains(expected), "{body}: {message}");
    }
    let bad_address = entry("key = \"a\"\nvalue = 1").replace(&token, "cosmwasm1nope");
    let message = ScenarioFile::parse(&bad_address, std::path::Path::new("s.toml"))
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("raw_query contract `cosmwasm1nope`"),
        "{message}"
    );
}
