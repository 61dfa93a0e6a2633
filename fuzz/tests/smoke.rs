//! The harness itself on fixed inputs (runs with plain `cargo test` in fuzz/).

use capheap_fuzz::{Input, Op, run};

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
    let input = Input {
        max_pages: 16,
        heap_cap_kib: Some(512),
        ops,
    };
    let first = run(&input);
    assert!(first.results.iter().any(|r| r.is_ok()));
    assert_eq!(first, run(&input));
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
