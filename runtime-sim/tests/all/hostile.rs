//! Hostile modules: each one used to crash the process, exhaust host memory
//! or escape a cap. Every case here ends in a typed error, and the process
//! lives on.

use capheap_sim::{Limit, Limits, SimError, Simulator};

fn limit_of(err: &SimError) -> Option<Limit> {
    match err {
        SimError::LimitExceeded { limit, .. } => Some(*limit),
        _ => None,
    }
}

#[test]
fn host_reentrancy_is_bounded_instead_of_overflowing_the_stack() {
    // capheap_alloc reads storage; the host places the value through
    // capheap_alloc, which reads storage again, ...
    let wasm = wat::parse_str(
        r#"(module
          (import "capheap" "storage_read" (func $read (param i32 i32) (result i64)))
          (memory (export "memory") 1)
          (data (i32.const 0) "k")
          (func (export "capheap_alloc") (param i32) (result i32)
            (drop (call $read (i32.const 0) (i32.const 1)))
            (i32.const 64))
          (func (export "go") (drop (call $read (i32.const 0) (i32.const 1)))))"#,
    )
    .unwrap();
    let mut instance = Simulator::new().load(&wasm).unwrap().instantiate().unwrap();
    instance
        .storage_mut()
        .insert(b"k".to_vec(), b"value".to_vec());
    let err = instance.execute("go", &[]).error.unwrap();
    assert_eq!(limit_of(&err), Some(Limit::HostNesting), "{err}");
    // The instance is still usable.
    instance.storage_mut().remove(b"k");
    assert_eq!(instance.execute("go", &[]).error, None);
}

#[test]
fn tables_are_capped_at_load_and_on_growth() {
    let many = (0..100).map(|_| "(table 10 funcref)").collect::<String>();
    let wasm = wat::parse_str(format!("(module {many})")).unwrap();
    let err = Simulator::new().load(&wasm).unwrap_err();
    assert_eq!(limit_of(&err), Some(Limit::Tables), "{err}");

    let huge = wat::parse_str("(module (table 10000000 funcref))").unwrap();
    let err = Simulator::new().load(&huge).unwrap_err();
    assert_eq!(limit_of(&err), Some(Limit::TableElements), "{err}");

    let grows = wat::parse_str(
        r#"(module (table $t 1 funcref)
             (func (export "small") (result i32) (table.grow $t (ref.null func) (i32.const 10)))
             (func (export "big") (result i32) (table.grow $t (ref.null func) (i32.const 5000))))"#,
    )
    .unwrap();
    let sim = Simulator::builder()
        .limits(Limits {
            max_table_elements: 1000,
            ..Limits::default()
        })
        .build()
        .unwrap();
    let mut instance = sim.load(&grows).unwrap().instantiate().unwrap();
    assert_eq!(instance.call("small", &[]).unwrap().returned, Some(1));
    // Past the cap `table.grow` fails as the spec says: -1, no trap.
    assert_eq!(instance.call("big", &[]).unwrap().returned, Some(-1));
    let check = Simulator::new().check(&huge);
    assert!(
        check.findings.iter().any(|f| f.code == "table-elements"),
        "{:?}",
        check.findings
    );
}

#[test]
fn logs_and_storage_cannot_buy_unbounded_host_memory() {
    let wasm = wat::parse_str(
        r#"(module
          (import "capheap" "log" (func $log (param i32 i32)))
          (import "capheap" "storage_write" (func $write (param i32 i32 i32 i32) (result i32)))
          (memory (export "memory") 40)
          (func (export "spam")
            (local $i i32)
            (loop $l
              (call $log (i32.const 0) (i32.const 65536))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $l (i32.lt_u (local.get $i) (i32.const 100)))))
          (func (export "big") (drop (call $write (i32.const 0) (i32.const 4) (i32.const 0) (i32.const 200000))))
          (func (export "fill")
            (local $i i32)
            (loop $l
              (i32.store (i32.const 0) (local.get $i))
              (drop (call $write (i32.const 0) (i32.const 4) (i32.const 16) (i32.const 100000)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $l (i32.lt_u (local.get $i) (i32.const 1000))))))"#,
    )
    .unwrap();
    let sim = Simulator::builder()
        .limits(Limits {
            max_storage_bytes: 1 << 20,
            ..Limits::default()
        })
        .build()
        .unwrap();
    let mut instance = sim.load(&wasm).unwrap().instantiate().unwrap();
    let outcome = instance.execute("spam", &[]);
    assert_eq!(
        limit_of(outcome.error.as_ref().unwrap()),
        Some(Limit::LogBytes)
    );
    assert!(
        outcome.logs.len() <= 16,
        "{} lines kept",
        outcome.logs.len()
    );
    let err = instance.execute("big", &[]).error.unwrap();
    assert_eq!(limit_of(&err), Some(Limit::StorageValue), "{err}");
    let err = instance.execute("fill", &[]).error.unwrap();
    assert_eq!(limit_of(&err), Some(Limit::StorageBytes), "{err}");
    assert!(instance.storage().bytes() <= 1 << 20);
}

#[test]
fn bytes_through_call_convention_v0_cost_what_the_host_abi_charges() {
    let wasm = wat::parse_str(
        r#"(module
          (memory (export "memory") 1)
          (func (export "capheap_alloc") (param i32) (result i32) (i32.const 1024))
          (func (export "echo") (param i32 i32) (result i64)
            (i64.or (i64.shl (i64.extend_i32_u (local.get 0)) (i64.const 32))
                    (i64.extend_i32_u (local.get 1)))))"#,
    )
    .unwrap();
    let sim = Simulator::new();
    let costs = sim.host_costs();
    let mut instance = sim.load(&wasm).unwrap().instantiate().unwrap();
    let outcome = instance.call("echo", &[7; 1000]).unwrap();
    assert_eq!(outcome.output, [7; 1000]);
    // In (placed) and out (returned region): each a base plus per byte.
    assert_eq!(
        outcome.fuel.host,
        2 * costs.base + 2 * 1000 * costs.per_byte
    );
}

#[test]
fn a_tampered_snapshot_cannot_make_growth_free() {
    let wasm = wat::parse_str(
        r#"(module (memory (export "memory") 1)
             (func (export "grow") (result i32) (memory.grow (i32.const 1))))"#,
    )
    .unwrap();
    let contract = Simulator::new().load(&wasm).unwrap();
    let instance = contract.instantiate().unwrap();
    let mut bytes = instance.snapshot().unwrap().to_bytes();
    // Header (magic 8, version 4, length 8), code hash 32, pages 4, then the
    // high-water mark: set it to 65536 and seal the file again.
    bytes[56..60].copy_from_slice(&65_536u32.to_le_bytes());
    let body_end = bytes.len() - 32;
    let checksum: [u8; 32] = sha2::Digest::finalize(sha2::Digest::chain_update(
        <sha2::Sha256 as sha2::Digest>::new(),
        &bytes[..body_end],
    ))
    .into();
    bytes[body_end..].copy_from_slice(&checksum);
    let tampered = capheap_sim::Snapshot::from_bytes(&bytes).unwrap();
    assert_eq!(tampered.high_water_pages(), 65_536);
    let err = contract.restore(&tampered).unwrap_err();
    assert_eq!(limit_of(&err), Some(Limit::MemoryPages), "{err}");
}

#[test]
fn replays_and_scenarios_are_bounded() {
    use capheap_sim::{ReplayOptions, Scenario, ScenarioCall};
    let wasm = wat::parse_str(r#"(module (func (export "f")))"#).unwrap();
    let contract = Simulator::new().load(&wasm).unwrap();
    let one = Scenario::new().call(ScenarioCall::new("f", []));
    let zero = ReplayOptions {
        runs: 0,
        ..ReplayOptions::default()
    };
    assert_eq!(contract.replay(&one, &zero).unwrap_err().kind(), "config");
    let endless = ReplayOptions {
        runs: 1 << 32,
        ..ReplayOptions::default()
    };
    let err = contract.replay(&one, &endless).unwrap_err();
    assert_eq!(limit_of(&err), Some(Limit::ReplayRuns), "{err}");
    let huge = Scenario::new().call(ScenarioCall::new("f", []).repeat(u32::MAX));
    let err = contract
        .replay(&huge, &ReplayOptions::default())
        .unwrap_err();
    assert_eq!(limit_of(&err), Some(Limit::ScenarioCalls), "{err}");
    let err = contract.run_scenario(&huge, 0).unwrap_err();
    assert_eq!(limit_of(&err), Some(Limit::ScenarioCalls), "{err}");
}

#[test]
fn endless_files_are_refused_after_a_bounded_read() {
    let zero = std::path::Path::new("/dev/zero");
    let err = Simulator::new().load_file(zero).unwrap_err();
    assert_eq!(limit_of(&err), Some(Limit::FileSize), "{err}");
    let err = capheap_sim::Snapshot::load(zero).unwrap_err();
    assert_eq!(limit_of(&err), Some(Limit::FileSize), "{err}");
    let err = capheap_sim::scenario_file::ScenarioFile::load(zero).unwrap_err();
    assert!(err.to_string().contains("at most"), "{err}");
}

#[test]
fn scenario_names_cannot_escape_a_directory_or_break_a_line() {
    use capheap_sim::scenario_file::ScenarioFile;
    let path = std::path::Path::new("s.toml");
    for bad in ["../../etc/x", "/tmp/abs", "a\nb", "..", "", "-rf"] {
        let text = format!(
            "name = \"{}\"\ncontract = \"c.wasm\"\n[[call]]\nexport = \"f\"\n",
            bad.escape_default()
        );
        let err = ScenarioFile::parse(&text, path).unwrap_err();
        assert!(
            err.to_string().contains("letters, digits"),
            "{bad:?}: {err}"
        );
    }
    let ok = ScenarioFile::parse(
        "name = \"cw20-base.v2_x\"\ncontract = \"c.wasm\"\n[[call]]\nexport = \"f\"\n",
        path,
    )
    .unwrap();
    assert_eq!(ok.name, "cw20-base.v2_x");
    let stem = ScenarioFile::parse(
        "contract = \"c.wasm\"\n[[call]]\nexport = \"f\"\n",
        std::path::Path::new("dir/odd name!.toml"),
    )
    .unwrap();
    assert_eq!(stem.name, "odd_name_");
    let huge = "contract = \"c.wasm\"\n[[call]]\nexport = \"f\"\nrepeat = 4294967295\n";
    let err = ScenarioFile::parse(huge, path).unwrap_err();
    assert!(err.to_string().contains("at most 1000000"), "{err}");
    let runs = "contract = \"c.wasm\"\nreplays = 4294967295\n[[call]]\nexport = \"f\"\n";
    assert!(
        ScenarioFile::parse(runs, path)
            .unwrap_err()
            .to_string()
            .contains("replays must be 1 to 1000")
    );
}

#[test]
fn reading_stats_leaves_no_trace() {
    // A `capheap_stats` that bumps a global, grows memory and writes storage.
    let wasm = wat::parse_str(
        r#"(module
          (import "capheap" "storage_write" (func $w (param i32 i32 i32 i32) (result i32)))
          (memory (export "memory") 1)
          (global $g (mut i32) (i32.const 0))
          (func (export "get") (result i32) (global.get $g))
          (func (export "capheap_stats") (result i64)
            (global.set $g (i32.add (global.get $g) (i32.const 1)))
            (drop (memory.grow (i32.const 5)))
            (drop (call $w (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 1)))
            (i64.const 0)))"#,
    )
    .unwrap();
    let mut instance = Simulator::new().load(&wasm).unwrap().instantiate().unwrap();
    for _ in 0..3 {
        let outcome = instance.call("get", &[]).unwrap();
        assert_eq!(
            outcome.returned,
            Some(0),
            "the stats read's global write stayed"
        );
        assert_eq!(outcome.pages_after, 1, "the stats read grew memory");
        assert!(outcome.growth.is_empty());
        assert_eq!(outcome.stats, None);
        // The refused write is reported with the call, naming the import.
        assert!(
            matches!(&outcome.stats_error, Some(SimError::Host { function, .. }) if function == "capheap.storage_write"),
            "{:?}",
            outcome.stats_error
        );
    }
    assert!(
        instance.storage().is_empty(),
        "the stats read wrote storage"
    );
    let err = instance.stats().unwrap_err();
    assert!(
        matches!(&err, SimError::Host { function, .. } if function == "capheap.storage_write"),
        "{err}"
    );
}

#[test]
fn stats_of_the_wrong_length_are_an_error_with_the_call_not_a_panic() {
    // `(ptr << 32) | len` with 10 bytes at 64: not the 136 of `Stats`.
    let wasm = wat::parse_str(
        r#"(module
          (memory (export "memory") 1)
          (func (export "f"))
          (func (export "capheap_stats") (result i64) (i64.const 0x40_0000000a)))"#,
    )
    .unwrap();
    let mut instance = Simulator::new().load(&wasm).unwrap().instantiate().unwrap();
    let outcome = instance.call("f", &[]).unwrap();
    assert_eq!(outcome.stats, None);
    let err = outcome.stats_error.expect("the stats read fails");
    assert_eq!(
        err.to_string(),
        instance.stats().unwrap_err().to_string(),
        "the same error from `stats()`"
    );
    assert!(
        matches!(&err, SimError::Trap { export, message } if export == "capheap_stats"
            && message == "undecodable stats: encoded capheap stats are 136 bytes (17 little-endian u64), not 10"),
        "{err:?}"
    );
}

#[test]
fn the_start_function_runs_under_the_call_fuel_limit_and_is_reported() {
    use capheap::meter::PagePricing;
    let endless = wat::parse_str("(module (func $s (loop $l (br $l))) (start $s))").unwrap();
    let sim = Simulator::builder().fuel_limit(1_000_000).build().unwrap();
    let err = sim.load(&endless).unwrap().instantiate().unwrap_err();
    assert_eq!(err, SimError::OutOfFuel { limit: 1_000_000 });

    let grows = wat::parse_str(
        r#"(module (memory (export "memory") 1)
             (func $s (drop (memory.grow (i32.const 2)))) (start $s)
             (func (export "f")))"#,
    )
    .unwrap();
    let sim = Simulator::builder()
        .pricing(PagePricing::Flat { per_page: 700 })
        .build()
        .unwrap();
    let instance = sim.load(&grows).unwrap().instantiate().unwrap();
    let start = instance.start_outcome();
    assert_eq!(start.growth_fuel, 1_400);
    assert_eq!(start.growth.len(), 1);
    assert!(start.fuel > start.growth_fuel);
    assert_eq!(instance.pages(), 3);
}

#[test]
fn a_failed_call_is_rolled_back_like_a_reverted_transaction() {
    let wasm = wat::parse_str(
        r#"(module
          (import "capheap" "storage_write" (func $w (param i32 i32 i32 i32) (result i32)))
          (memory (export "memory") 1)
          (global $n (mut i32) (i32.const 0))
          (func (export "ok") (i32.store (i32.const 100) (i32.const 7)))
          (func (export "fail")
            (global.set $n (i32.const 9))
            (i32.store (i32.const 100) (i32.const 5))
            (drop (memory.grow (i32.const 3)))
            (drop (call $w (i32.const 100) (i32.const 4) (i32.const 100) (i32.const 4)))
            (unreachable))
          (func (export "n") (result i32) (global.get $n)))"#,
    )
    .unwrap();
    let mut instance = Simulator::new().load(&wasm).unwrap().instantiate().unwrap();
    let ok = instance.call("ok", &[]).unwrap();
    let failed = instance.execute("fail", &[]);
    assert_eq!(failed.error.as_ref().map(SimError::kind), Some("trap"));
    assert_eq!(failed.pages_after, 1, "growth survived the failure");
    assert_eq!(failed.memory_root, ok.memory_root, "memory writes survived");
    assert_eq!(
        failed.storage_root, ok.storage_root,
        "storage writes survived"
    );
    assert_eq!(
        instance.call("n", &[]).unwrap().returned,
        Some(0),
        "global survived"
    );
    assert!(
        failed.fuel.total > 0,
        "the failed call's fuel is still spent"
    );

    let keep = Simulator::builder()
        .keep_failed_writes(true)
        .build()
        .unwrap();
    let mut kept = keep.load(&wasm).unwrap().instantiate().unwrap();
    let failed = kept.execute("fail", &[]);
    assert_eq!(failed.pages_after, 4);
    assert_eq!(kept.call("n", &[]).unwrap().returned, Some(9));
    assert_eq!(kept.storage().len(), 1);
}

#[test]
fn stylus_growth_past_128_pages_names_the_page_limit() {
    use capheap::meter::PagePricing;
    let wasm = wat::parse_str(
        r#"(module (memory (export "memory") 120)
             (func (export "grow") (result i32) (memory.grow (i32.const 20))))"#,
    )
    .unwrap();
    // Even with a larger simulator cap, the Stylus model stops at 128 pages.
    let sim = Simulator::builder()
        .pricing(PagePricing::STYLUS)
        .max_pages(1024)
        .page_cap_policy(capheap_sim::PageCapPolicy::Trap)
        .build()
        .unwrap();
    let mut instance = sim.load(&wasm).unwrap().instantiate().unwrap();
    let err = instance.execute("grow", &[]).error.unwrap();
    assert_eq!(
        err,
        SimError::LimitExceeded {
            limit: Limit::MemoryPages,
            max: 128,
            value: Some(140)
        }
    );
}
