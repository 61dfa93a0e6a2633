//! `capheap_sim::fuzzing::check_call` on real contracts: a contract that
//! frees what it allocates reaches a steady state for every input; one that
//! keeps memory per call is reported.

use capheap_sim::fuzzing::{Bounds, Finding, check_call};
use capheap_tests::load;

#[test]
fn hello_is_steady_for_every_input_shape() {
    let contract = load("hello");
    let bounds = Bounds {
        max_pages: 64,
        repeats: 5,
        warmup: 1,
    };
    let inputs: [&[u8]; 5] = [b"", b"x", &[0xff; 100], &[7; 65_536], &[1; 300_000]];
    for input in inputs {
        for export in ["reverse", "checksum"] {
            assert_eq!(
                check_call(&contract, export, input, &bounds),
                Ok(()),
                "{export} with {} bytes",
                input.len()
            );
        }
    }
}

#[test]
fn a_contract_that_keeps_memory_per_call_is_found() {
    let contract = load("capped-heap");
    let finding = check_call(
        &contract,
        "hold",
        &4096u32.to_le_bytes(),
        &Bounds::default(),
    )
    .unwrap_err();
    assert!(
        matches!(finding, Finding::Leaks { call: 1, .. }),
        "hold keeps every block: {finding}"
    );
    assert!(finding.to_string().contains("a leak"), "{finding}");
}

#[test]
fn a_too_small_page_bound_is_reported() {
    let contract = load("hello");
    let bounds = Bounds {
        max_pages: 4,
        ..Bounds::default()
    };
    let finding = check_call(&contract, "reverse", b"abc", &bounds).unwrap_err();
    assert!(
        matches!(
            finding,
            Finding::TooManyPages {
                call: 0,
                max: 4,
                ..
            }
        ),
        "{finding}"
    );
}

#[test]
fn a_misnamed_export_is_not_silently_fuzzed() {
    let contract = load("hello");
    let finding = check_call(&contract, "revers", b"abc", &Bounds::default()).unwrap_err();
    assert!(matches!(finding, Finding::Unusable { .. }), "{finding}");
}
