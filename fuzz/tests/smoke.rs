//! The harness itself on fixed inputs (runs with plain `cargo test` in fuzz/).

use capheap_fuzz::{Input, Op, run, run_mini};

#[test]
fn a_mixed_sequence_passes_every_check_and_replays() {
    let mut ops = Vec::new();
    for i in 0..400u16 {
        ops.push(Op::Alloc {
            size: i % 300 + 1,
            large: i % 37 == 0,
            align_log2: (i % 7) as u8,
        });
        if i % 3 == 0 {
            ops.push(Op::Free { idx: i * 7 });
        }
        if i % 5 == 0 {
            ops.push(Op::Realloc {
                idx: i,
                size: i % 900,
                large: i % 11 == 0,
            });
        }
    }
    // With in-place realloc (the default) and with every realloc moving.
    for moving_realloc in [false, true] {
        let input = Input {
            max_pages: 16,
            heap_cap_kib: Some(512),
            moving_realloc,
            ops: ops.clone(),
        };
        let first = run(&input);
        assert!(first.results.iter().any(|r| r.is_ok()));
        assert_eq!(first, run(&input));
        // The minimal heap passes the same checks on the same operations.
        let mini = run_mini(&input);
        assert!(mini.results.iter().any(|r| r.is_ok()));
        assert_eq!(mini, run_mini(&input));
    }
}

#[test]
fn caps_refuse_without_growth() {
    let ops = vec![
        Op::Alloc {
            size: 60_000,
            large: true,
            align_log2: 3
        };
        3
    ];
    let trace = run(&Input {
        max_pages: 4,
        heap_cap_kib: None,
        moving_realloc: false,
        ops,
    });
    assert!(
        trace.results.iter().all(|r| r.is_err()),
        "{:?}",
        trace.results
    );
    assert!(trace.pages <= 4);
    assert_eq!(trace.stats.failed_cap, 3);
}

#[test]
fn hostile_modules_end_in_errors_within_the_caps() {
    use capheap_fuzz::sim::sim_module;
    let modules = [
        // An endless loop: out of fuel.
        "(module (func (export \"spin\") (loop $l (br $l))))",
        // Growth past the cap: refused.
        "(module (memory 1) (func (export \"grow\") (drop (memory.grow (i32.const 100)))))",
        // A table grown far: refused past the cap.
        "(module (table 1 funcref) (func (export \"t\") (drop (table.grow (ref.null func) (i32.const 1000000)))))",
        // Deep recursion: the call stack cap.
        "(module (func $f (export \"f\") (call $f)))",
    ];
    for text in modules {
        sim_module(&wat::parse_str(text).unwrap());
    }
    // Not wasm at all, and truncated wasm: refused at load.
    sim_module(b"not wasm");
    sim_module(&wat::parse_str(modules[0]).unwrap()[..10]);
}

#[test]
fn snapshots_and_scenarios_from_bytes() {
    use capheap_fuzz::sim::{scenario_parse, snapshot_decode};
    let wasm =
        wat::parse_str("(module (memory (export \"memory\") 1) (func (export \"f\")))").unwrap();
    let contract = capheap_sim::Simulator::new().load(&wasm).unwrap();
    let bytes = contract
        .instantiate()
        .unwrap()
        .snapshot()
        .unwrap()
        .to_bytes();
    snapshot_decode(&bytes);
    for cut in [0, 7, 20, bytes.len() / 2, bytes.len() - 1] {
        snapshot_decode(&bytes[..cut]);
    }
    snapshot_decode(&[0xff; 64]);
    scenario_parse(b"contract = \"a.wasm\"\n[[call]]\nexport = \"f\"\nrepeat = 3\n");
    scenario_parse(b"contract = 7\n[[call]]\n");
    scenario_parse(&[0xc3, 0x28, b'[', b'[']);
}

#[test]
fn arena_and_pool_operations_hold_their_invariants() {
    use capheap_fuzz::arena::{ArenaOp, arena_pool};
    let mut ops = Vec::new();
    for i in 0..300u16 {
        ops.push(ArenaOp::Alloc {
            size: i % 200,
            align_log2: (i % 9) as u8,
        });
        match i % 17 {
            0 => ops.push(ArenaOp::Checkpoint),
            5 => ops.push(ArenaOp::ResetTo { idx: i as u8 }),
            11 => ops.push(ArenaOp::PoolAlloc(u64::from(i))),
            13 => ops.push(ArenaOp::PoolFree { idx: i as u8 }),
            16 if i % 3 == 0 => ops.push(ArenaOp::Reset),
            _ => {}
        }
    }
    arena_pool(&ops);
}
