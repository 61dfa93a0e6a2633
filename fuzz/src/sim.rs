//! Checks of the simulator's input handling, for the `sim_module`,
//! `snapshot_decode` and `scenario_parse` targets: whatever the bytes, a
//! typed error or a result, never a panic, a hang or a cap crossed.

use capheap_sim::scenario_file::ScenarioFile;
use capheap_sim::{Limits, Simulator, Snapshot};

/// Fuel of each call of a fuzzed module: small, so an endless loop ends fast.
pub const MODULE_FUEL: u64 = 1_000_000;
/// Page cap of a fuzzed module.
pub const MODULE_PAGES: u32 = 16;

/// Loads, checks and runs a module (from wasm-smith, or any bytes): every
/// export called on two fresh instances, which must agree; pages never above
/// the cap.
pub fn sim_module(wasm: &[u8]) {
    let sim = Simulator::builder()
        .fuel_limit(MODULE_FUEL)
        .limits(Limits {
            max_pages: MODULE_PAGES,
            max_table_elements: 10_000,
            ..Limits::default()
        })
        .build()
        .expect("valid simulator");
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
