//! `contracts/hello` under the simulator's determinism tooling: replays on
//! fresh instances and from snapshots agree, growth is charged by the
//! schedule, stats are read, and `check` finds nothing wrong.

use capheap_sim::{
    GrowthRequest, GrowthResult, Isolation, Level, PagePricing, ReplayOptions, Scenario,
    ScenarioCall, Simulator, SnapshotPoint,
};
use capheap_tests::build;

fn scenario() -> Scenario {
    let big: Vec<u8> = (0..=255u8).cycle().take(300_000).collect();
    Scenario::new()
        .call(ScenarioCall::new("reverse", b"capheap".to_vec()))
        .call(ScenarioCall::new("checksum", big.clone()).repeat(2))
        .call(ScenarioCall::new("reverse", big).repeat(3))
        .call(ScenarioCall::new("reverse", b"end".to_vec()))
}

fn load(pricing: PagePricing) -> capheap_sim::Contract {
    Simulator::builder()
        .pricing(pricing)
        .build()
        .unwrap()
        .load(&build("hello").wasm)
        .unwrap()
}

#[test]
fn hello_replays_agree_on_fresh_instances_and_from_snapshots() {
    for isolation in [Isolation::Persistent, Isolation::FreshPerCall] {
        let contract = load(PagePricing::STYLUS);
        let options = ReplayOptions {
            runs: 4,
            seeds: vec![],
            snapshot: SnapshotPoint::AfterCall(3),
        };
        let report = contract
            .replay(&scenario().isolation(isolation), &options)
            .unwrap();
        assert!(
            report.deterministic,
            "{isolation:?}: {:#?}",
            report.divergences
        );
        assert_eq!(report.calls.len(), 7);
        let snapshot = report.snapshot.as_ref().unwrap();
        assert_eq!((snapshot.after_call, snapshot.calls), (3, 3));
        assert!(snapshot.divergence.is_none());
        for call in &report.calls {
            let o = &call.outcome;
            assert!(o.is_ok(), "{:?}", o.error);
            assert!(o.memory_root.is_some());
            let stats = o.stats.expect("hello exports capheap_stats");
            assert!(stats.allocs > 0);
        }
        // The 300 kB inputs make memory grow: the timeline has something to show.
        let peak = report
            .calls
            .iter()
            .map(|c| c.outcome.pages_after)
            .max()
            .unwrap();
        assert!(peak > report.calls[0].outcome.pages_before);
        assert!(report.calls.iter().any(|c| c.outcome.fuel.growth > 0));
        assert_eq!(report.calls[0].outcome.output, b"paehpac");
    }
}

#[test]
fn growth_fuel_is_the_schedule_price_of_every_growth() {
    for pricing in [
        PagePricing::EVM,
        PagePricing::STYLUS,
        PagePricing::NEAR,
        PagePricing::Flat { per_page: 9 },
    ] {
        let run = load(pricing).run_scenario(&scenario(), 0).unwrap();
        let mut grown = 0;
        for call in &run.calls {
            let o = &call.outcome;
            assert!(o.is_ok(), "{:?}", o.error);
            let mut expected = 0;
            for g in o.growth.iter().filter(|g| g.result == GrowthResult::Grown) {
                let price = pricing.price(GrowthRequest {
                    current_pages: g.current_pages,
                    high_water_pages: g.high_water_pages,
                    delta_pages: g.delta_pages,
                });
                assert_eq!(g.price, price);
                expected += price.unwrap();
                grown += g.delta_pages;
            }
            assert_eq!(o.fuel.growth, expected);
            assert_eq!(o.fuel.total, o.fuel.execution + o.fuel.growth + o.fuel.host);
        }
        assert!(grown > 0, "the scenario grows memory");
    }
}

#[test]
fn hello_snapshot_round_trip() {
    let contract = load(PagePricing::EVM);
    let mut original = contract.instantiate().unwrap();
    for call in scenario().calls.iter().take(3) {
        original.call(&call.export, &call.input).unwrap();
    }
    let bytes = original.snapshot().unwrap().to_bytes();
    let snapshot = capheap_sim::Snapshot::from_bytes(&bytes).unwrap();
    let mut restored = contract.restore(&snapshot).unwrap();
    assert_eq!(restored.memory_root(), original.memory_root());
    assert_eq!(restored.storage_root(), original.storage_root());
    let a = original.call("reverse", b"after the snapshot").unwrap();
    let b = restored.call("reverse", b"after the snapshot").unwrap();
    assert_eq!(a, b);
    assert_eq!(b.output, b"tohspans eht retfa");
}

#[test]
fn hello_passes_check() {
    let wasm = build("hello").wasm;
    let report = Simulator::new().check(&wasm);
    assert!(report.passes(Level::Error), "{:#?}", report.findings);
    assert!(report.exports.iter().any(|e| e.name == "capheap_stats"));
}
