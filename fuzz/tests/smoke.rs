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

#[test]
fn host_modules_load_call_their_host_and_agree() {
    use capheap_fuzz::sim::{abi_entries, host_module, sim_host};
    use capheap_sim::{Abi, Simulator};
    // Fixed pseudo-random bytes (SplitMix64): the same modules every run.
    let bytes = |seed: u64| -> Vec<u8> {
        let mut x = seed;
        (0..4096)
            .map(|_| {
                x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
                let mut z = x;
                z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
                (z ^ (z >> 31)) as u8
            })
            .collect()
    };
    for abi in Abi::ALL {
        let (mut loaded, mut with_host_calls) = (0, 0);
        for seed in 0..24 {
            let data = bytes(seed);
            let Ok(wasm) = host_module(abi, &mut arbitrary::Unstructured::new(&data)) else {
                continue;
            };
            let sim = Simulator::builder().abi(abi).build().unwrap();
            if let Ok(contract) = sim.load(&wasm) {
                loaded += 1;
                let report = sim.check(&wasm);
                // Every entry point the check calls is there, with its signature.
                for (entry, _) in abi_entries(abi) {
                    assert!(
                        report.exports.iter().any(|e| e.name == *entry),
                        "{abi}: no `{entry}`"
                    );
                }
                assert_eq!(contract.abi(), abi);
                with_host_calls += usize::from(!report.imports.is_empty());
            }
            sim_host(abi, &wasm);
        }
        assert!(loaded >= 12, "{abi}: only {loaded} of 24 modules loaded");
        assert!(
            with_host_calls >= 6,
            "{abi}: only {with_host_calls} modules import a host function"
        );
    }
}

#[test]
fn finished_modules_export_memory_and_place_data_through_a_bump_allocator() {
    use capheap_fuzz::sim::finish_module;
    use capheap_sim::{Abi, Simulator};
    let word = |instance: &capheap_sim::Instance, at: u64| {
        u32::from_le_bytes(instance.read(at, 4).unwrap().try_into().unwrap())
    };
    // A fresh instance of the module `text`, finished for `abi`.
    let finished = |abi: Abi, text: &str| {
        let wasm = finish_module(abi, &wat::parse_str(text).unwrap()).unwrap();
        let sim = Simulator::builder().abi(abi).build().unwrap();
        sim.load(&wasm).unwrap().instantiate().unwrap()
    };
    // capheap's ABI: no memory pages and a trapping `capheap_alloc` before;
    // after, the input lands 12 bytes into the first block (at 64).
    let mut instance = finished(
        Abi::Capheap,
        r#"(module (memory 0)
             (func (export "capheap_alloc") (param i32) (result i32) unreachable)
             (func (export "run") (param i32 i32) (i32.store (i32.const 0x1000) (local.get 0))))"#,
    );
    instance.call("run", b"input").unwrap();
    assert_eq!(word(&instance, 0x1000), 76);
    assert_eq!(instance.read(76, 5).unwrap(), b"input");
    assert_eq!(word(&instance, 0), 76 + 5, "the bump moved past the block");

    // CosmWasm: `allocate` hands out Regions; the message's Region says
    // where the message is and how long.
    let mut instance = finished(
        Abi::CosmWasm,
        r#"(module (memory 0)
             (func (export "interface_version_8"))
             (func (export "allocate") (param i32) (result i32) unreachable)
             (func (export "deallocate") (param i32))
             (func (export "instantiate") (param i32 i32 i32) (result i32)
               (i32.store (i32.const 0x8000) (local.get 2)) (i32.const 0))
             (func (export "execute") (param i32 i32 i32) (result i32) unreachable)
             (func (export "query") (param i32 i32) (result i32) unreachable))"#,
    );
    let msg = br#"{"count":1}"#;
    // The contract returns no result Region: an error, after the message was placed.
    assert!(instance.call("instantiate", msg).is_err());
    let region = u64::from(word(&instance, 0x8000));
    let (offset, capacity, length) = (
        word(&instance, region),
        word(&instance, region + 4),
        word(&instance, region + 8),
    );
    assert_eq!(u64::from(offset), region + 12);
    assert_eq!((capacity, length), (msg.len() as u32, msg.len() as u32));
    assert_eq!(
        instance.read(u64::from(offset), msg.len() as u64).unwrap(),
        msg
    );
}
