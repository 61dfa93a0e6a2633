//! `capheap-sim fuzz`'s engine and command: a leak is flagged with a shrunk
//! reproduction that `replay` runs, a trap is shrunk to its one call, a
//! steady contract is clean, and a seed decides everything.

use std::path::Path;

use assert_cmd::Command;
use capheap_sim::fuzzing::campaign::{Campaign, FuzzFinding, FuzzOptions, repro_scenario};
use capheap_sim::fuzzing::input::InputTemplate;
use capheap_sim::{Abi, BuildOptions, Simulator, build_contract};

use crate::repo;

/// Grows memory by a page on every call with a non-empty input; traps on
/// input starting with 0x42 when `trap` is set.
fn module(leaks: bool, trap: bool) -> Vec<u8> {
    let grow = if leaks {
        "(if (local.get 1) (then (drop (memory.grow (i32.const 1)))))"
    } else {
        ""
    };
    let boom = if trap {
        "(if (i32.and (local.get 1) (i32.eq (i32.load8_u (local.get 0)) (i32.const 0x42))) (then (unreachable)))"
    } else {
        ""
    };
    wat::parse_str(format!(
        r#"(module (memory (export "memory") 1 64)
             (func (export "capheap_alloc") (param i32) (result i32) (i32.const 1024))
             (func (export "f") (param i32 i32) {boom} {grow}))"#
    ))
    .unwrap()
}

fn options() -> FuzzOptions {
    FuzzOptions {
        runs: 20,
        calls_per_run: 40,
        window: 8,
        ..FuzzOptions::default()
    }
}

#[test]
fn a_leak_is_flagged_shrunk_and_written_as_a_scenario() {
    let sim = Simulator::builder()
        .memory_roots(false)
        .keep_failed_writes(true)
        .build()
        .unwrap();
    let contract = sim.load(&module(true, false)).unwrap();
    let campaign = Campaign::new(
        &contract,
        "f",
        InputTemplate::Bytes { max_len: 64 },
        options(),
    )
    .unwrap();
    let report = campaign.run(|_| true).unwrap();
    let growth = report
        .findings
        .iter()
        .find(|f| matches!(f, FuzzFinding::UnboundedGrowth { .. }))
        .expect("the leak is found");
    let FuzzFinding::UnboundedGrowth {
        measure,
        bytes_per_call,
        calls,
        pages,
        ..
    } = growth
    else {
        unreachable!()
    };
    assert_eq!(measure, "memory");
    assert_eq!(*bytes_per_call, 65_536);
    assert_eq!(calls.len(), 8, "one input, repeated");
    assert!(calls.iter().all(|c| c == &calls[0]));
    assert_eq!(pages, &(2..10).collect::<Vec<u32>>());
    let text = repro_scenario("leak", "x.wasm", Abi::Capheap, "f", &[], growth);
    let file = capheap_sim::scenario_file::ScenarioFile::parse(&text, Path::new("r.toml")).unwrap();
    assert_eq!(file.calls.len(), 8);
    assert_eq!(file.calls[7].expect.pages_after, Some(9));
}

#[test]
fn a_trap_is_shrunk_to_the_call_that_traps() {
    let sim = Simulator::builder()
        .memory_roots(false)
        .keep_failed_writes(true)
        .build()
        .unwrap();
    let contract = sim.load(&module(false, true)).unwrap();
    let template = InputTemplate::Bytes { max_len: 4 };
    let mut opts = options();
    opts.runs = 400;
    let report = Campaign::new(&contract, "f", template, opts)
        .unwrap()
        .run(|_| true)
        .unwrap();
    let trap = report
        .findings
        .iter()
        .find_map(|f| match f {
            FuzzFinding::Trap { calls, error, .. } => Some((calls, error)),
            _ => None,
        })
        .expect("the trap on 0x42 is found");
    assert_eq!(trap.0.len(), 1, "shrunk to one call");
    assert_eq!(trap.0[0].input[0], 0x42);
    assert!(trap.1.contains("unreachable"), "{}", trap.1);
}

#[test]
fn a_steady_contract_is_clean_and_a_seed_decides_everything() {
    let sim = Simulator::builder()
        .memory_roots(false)
        .keep_failed_writes(true)
        .build()
        .unwrap();
    let contract = sim.load(&module(false, false)).unwrap();
    let run = |seed| {
        let opts = FuzzOptions { seed, ..options() };
        let campaign =
            Campaign::new(&contract, "f", InputTemplate::Bytes { max_len: 64 }, opts).unwrap();
        (
            campaign.calls_of(3).unwrap(),
            campaign.run(|_| true).unwrap(),
        )
    };
    let (calls, report) = run(7);
    assert!(report.findings.is_empty(), "{:?}", report.findings);
    assert_eq!(report.calls, 20 * 40);
    assert_eq!(run(7), (calls.clone(), report));
    assert_ne!(run(8).0, calls);
}

fn leaky() -> String {
    let dir = repo().join("contracts/leaky");
    build_contract(&dir, &BuildOptions::default()).unwrap();
    dir.to_str().unwrap().to_owned()
}

#[test]
fn the_command_flags_the_leaky_contract_and_replay_reproduces_it() {
    let contract = leaky();
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().to_str().unwrap();
    let run = Command::cargo_bin("capheap-sim")
        .unwrap()
        .args(["fuzz", &contract, "--entry", "remember", "-q", "--out", dir])
        .output()
        .unwrap();
    let stdout = String::from_utf8(run.stdout).unwrap();
    assert_eq!(run.status.code(), Some(3), "{stdout}");
    assert!(
        stdout.contains("unbounded growth: live bytes rising by"),
        "{stdout}"
    );
    let scenario = std::fs::read_dir(out.path())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let replay = Command::cargo_bin("capheap-sim")
        .unwrap()
        .args(["replay", "-q", scenario.to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8(replay.stdout).unwrap();
    assert_eq!(replay.status.code(), Some(0), "{text}");
    assert!(text.contains("deterministic"), "{text}");
    let scenario_text = std::fs::read_to_string(&scenario).unwrap();
    assert!(scenario_text.contains("live_bytes = "), "{scenario_text}");

    let clean = Command::cargo_bin("capheap-sim")
        .unwrap()
        .args([
            "fuzz", &contract, "--entry", "forget", "-q", "--out", dir, "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(clean.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&clean.stdout).unwrap();
    assert_eq!(json["report"]["findings"], serde_json::json!([]));
    assert_eq!(json["report"]["calls"], 200 * 64);
}

#[test]
fn the_command_fuzzes_a_wasm_file_outside_the_repository() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = dir.path().join("grows.wasm");
    std::fs::write(&wasm, module(true, false)).unwrap();
    let out = dir.path().join("findings");
    let run = Command::cargo_bin("capheap-sim")
        .unwrap()
        .current_dir(dir.path())
        .args([
            "fuzz",
            "grows.wasm",
            "--entry",
            "f",
            "--runs",
            "5",
            "-q",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8(run.stdout).unwrap();
    assert_eq!(run.status.code(), Some(3), "{stdout}");
    assert!(
        stdout.contains("unbounded growth: memory rising by"),
        "{stdout}"
    );
    let scenario = std::fs::read_dir(&out)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let replay = Command::cargo_bin("capheap-sim")
        .unwrap()
        .args(["replay", "-q", scenario.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(
        replay.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&replay.stdout)
    );
}
