//! Determinism replays: deterministic scenarios agree on every run and from
//! a snapshot; a host input that varies per run is caught and located to
//! the call, page and byte.

use capheap_sim::{
    HostContext, HostFnError, Isolation, PagePricing, ReplayOptions, Scenario, ScenarioCall,
    Simulator, SnapshotPoint, Val, ValType,
    replay::{Field, ReplaySource},
};

const CONTRACT: &str = r#"(module
  (import "capheap" "storage_write" (func $swrite (param i32 i32 i32 i32) (result i32)))
  (import "capheap" "log" (func $log (param i32 i32)))
  (import "env" "entropy" (func $entropy (result i64)))
  (memory (export "memory") 1)
  (global $top (mut i32) (i32.const 1024))
  (data (i32.const 16) "key")
  (func (export "capheap_alloc") (param $len i32) (result i32) (local $p i32)
    (local.set $p (global.get $top))
    (global.set $top (i32.add (global.get $top) (local.get $len)))
    (local.get $p))
  (func (export "put") (param i32 i32)
    (drop (call $swrite (i32.const 16) (i32.const 3) (local.get 0) (local.get 1)))
    (call $log (local.get 0) (local.get 1)))
  (func (export "grow") (result i32) (memory.grow (i32.const 3)))
  ;; Writes the host's entropy at 3 * 65536 + 1234 and spins that many times.
  (func (export "stamp") (local $n i64)
    (local.set $n (call $entropy))
    (i64.store (i32.const 197842) (local.get $n))
    (block (loop
      (br_if 1 (i64.eqz (local.get $n)))
      (local.set $n (i64.sub (local.get $n) (i64.const 1)))
      (br 0)))))"#;

/// A host function returning the replay's seed: the deliberate
/// nondeterminism the detector must catch.
fn entropy(cx: &mut HostContext<'_>, _: &[Val], out: &mut [Val]) -> Result<(), HostFnError> {
    out[0] = Val::I64(cx.seed() as i64);
    Ok(())
}

fn contract() -> capheap_sim::Contract {
    Simulator::builder()
        .pricing(PagePricing::STYLUS)
        .host_func("env", "entropy", [], [ValType::I64], entropy)
        .build()
        .unwrap()
        .load(&wat::parse_str(CONTRACT).unwrap())
        .unwrap()
}

fn scenario() -> Scenario {
    Scenario::new()
        .call(ScenarioCall::new("put", b"one".to_vec()))
        .call(ScenarioCall::new("grow", []))
        .call(ScenarioCall::new("put", b"two".to_vec()).repeat(2))
        .call(ScenarioCall::new("stamp", []))
        .call(ScenarioCall::new("put", b"three".to_vec()))
}

#[test]
fn a_deterministic_scenario_replays_exactly() {
    for isolation in [Isolation::Persistent, Isolation::FreshPerCall] {
        let scenario = scenario().isolation(isolation);
        let report = contract()
            .replay(
                &scenario,
                &ReplayOptions {
                    runs: 4,
                    ..ReplayOptions::default()
                },
            )
            .unwrap();
        assert!(
            report.deterministic,
            "{isolation:?}: {:?}",
            report.divergences
        );
        assert_eq!(report.runs, 4);
        assert_eq!(report.calls.len(), 6);
        assert_eq!(report.pricing, "stylus");
        let snapshot = report.snapshot.as_ref().unwrap();
        assert_eq!((snapshot.after_call, snapshot.calls), (2, 3));
        assert!(snapshot.divergence.is_none());
        let records: Vec<_> = report
            .calls
            .iter()
            .map(|c| (c.index, c.step, c.iteration))
            .collect();
        assert_eq!(
            records,
            [
                (0, 0, 0),
                (1, 1, 0),
                (2, 2, 0),
                (3, 2, 1),
                (4, 3, 0),
                (5, 4, 0)
            ]
        );
        assert!(report.calls.iter().all(|c| c.outcome.memory_root.is_some()));
        assert_eq!(report.calls[5].outcome.logs, ["three"]);
        // The report is JSON for the CLI.
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["calls"][1]["outcome"]["pages_after"], 4);
    }
}

#[test]
fn the_detector_names_the_call_page_offset_bytes_and_fuel() {
    let options = ReplayOptions {
        runs: 3,
        seeds: vec![0, 0, 7],
        snapshot: SnapshotPoint::AfterCall(1),
    };
    let report = contract().replay(&scenario(), &options).unwrap();
    assert!(!report.deterministic);
    // Run 1 has the reference's seed and agrees; run 2 does not.
    assert_eq!(report.divergences.len(), 1);
    let d = &report.divergences[0];
    assert_eq!(d.source, ReplaySource::Run { index: 2, seed: 7 });
    assert_eq!(
        (d.call_index, d.step, d.iteration, d.export.as_str()),
        (4, 3, 0, "stamp")
    );
    assert!(d.fields.contains(&Field::MemoryRoot) && d.fields.contains(&Field::Fuel));
    assert!(d.actual_fuel > d.expected_fuel, "7 extra loop iterations");
    let memory = d.memory.as_ref().unwrap();
    assert_eq!(memory.page, 3);
    assert_eq!(memory.offset, Some(3 * 65536 + 1234));
    assert_eq!((memory.expected, memory.actual), (Some(0), Some(7)));
    assert!(memory.note.is_none());
    // What a person reads: every differing field by name, then the figures.
    let lines = d.lines();
    assert_eq!(
        lines[0],
        "run 2 (seed 7) diverged at call #4 (stamp): fuel, memory root differ"
    );
    assert_eq!(
        lines[2],
        "  memory: first difference on page 3 at offset 0x304d2: 0x00 (reference) vs 0x07"
    );
    // The snapshot replay runs with the reference's seed: no divergence.
    assert!(report.snapshot.unwrap().divergence.is_none());
}

/// Snapshots do not save tables (documented): a contract that mutates its
/// table diverges when replayed from a snapshot, and the replay says so.
#[test]
fn a_divergence_in_the_snapshot_replay_is_reported_as_such() {
    let src = r#"(module
      (type $t (func (result i32)))
      (table 1 funcref)
      (elem (i32.const 0) $one)
      (elem declare func $two)
      (memory 1)
      (func $one (result i32) (i32.const 1))
      (func $two (result i32) (i32.const 2))
      (func (export "swap") (table.set (i32.const 0) (ref.func $two)))
      (func (export "which") (result i32) (call_indirect (type $t) (i32.const 0))))"#;
    let contract = Simulator::new()
        .load(&wat::parse_str(src).unwrap())
        .unwrap();
    let scenario = Scenario::new()
        .call(ScenarioCall::new("swap", []))
        .call(ScenarioCall::new("which", []).repeat(2));
    let options = ReplayOptions {
        runs: 2,
        seeds: vec![],
        snapshot: SnapshotPoint::AfterCall(0),
    };
    let report = contract.replay(&scenario, &options).unwrap();
    assert!(report.divergences.is_empty(), "fresh runs agree");
    assert!(!report.deterministic);
    let d = report.snapshot.unwrap().divergence.unwrap();
    assert_eq!(d.source, ReplaySource::Snapshot { after_call: 0 });
    assert_eq!(
        (d.call_index, d.fields.as_slice()),
        (1, &[Field::Returned][..])
    );
    assert_eq!(report.calls[1].outcome.returned, Some(2));
}

#[test]
fn runs_and_empty_scenarios() {
    // Zero runs is a mistake, not one run in disguise.
    let zero = ReplayOptions {
        runs: 0,
        ..ReplayOptions::default()
    };
    assert_eq!(
        contract()
            .replay(&Scenario::new(), &zero)
            .unwrap_err()
            .kind(),
        "config"
    );
    let one = ReplayOptions {
        runs: 1,
        ..ReplayOptions::default()
    };
    let report = contract().replay(&Scenario::new(), &one).unwrap();
    assert_eq!(report.runs, 1);
    assert!(report.calls.is_empty() && report.snapshot.is_none() && report.deterministic);
    let run = contract().run_scenario(&scenario(), 0).unwrap();
    assert_eq!(run.calls.len(), 6);
    assert_eq!(
        run.total_fuel(),
        run.calls.iter().map(|c| c.outcome.fuel.total).sum::<u64>()
    );
}

#[test]
fn failing_calls_are_recorded_and_compared() {
    let scenario = Scenario::new()
        .call(ScenarioCall::new("missing", []))
        .call(ScenarioCall::new("grow", []));
    let report = contract()
        .replay(&scenario, &ReplayOptions::default())
        .unwrap();
    assert!(report.deterministic);
    assert_eq!(
        report.calls[0].outcome.error,
        Some(capheap_sim::SimError::MissingExport("missing".into()))
    );
    assert!(report.calls[1].outcome.is_ok());
}
