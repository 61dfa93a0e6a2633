//! The capheap SDK linked into real contracts, built to wasm32 and run in the
//! simulator: a cap hit is an error value (not a trap), and the stats export
//! is read back and decoded.

use capheap::Stats;
use capheap_sim::Instance;
use capheap_tests::load;

/// Must match `HEAP_CAP` in contracts/capped-heap.
const HEAP_CAP: u64 = 256 * 1024;

fn hold(instance: &mut Instance, bytes: u32) -> String {
    let outcome = instance
        .call("hold", &bytes.to_le_bytes())
        .expect("`hold` reports failures as values, it never traps");
    String::from_utf8(outcome.output).unwrap()
}

fn stats(instance: &mut Instance) -> Stats {
    let outcome = instance.call(capheap::STATS_EXPORT, &[]).unwrap();
    assert_eq!(outcome.output.len(), Stats::ENCODED_LEN);
    Stats::decode(&outcome.output).unwrap()
}

#[test]
fn a_cap_hit_is_an_error_value_and_stats_decode() {
    let contract = load("capped-heap");
    let mut instance = contract.instantiate().unwrap();

    let reply = hold(&mut instance, 100_000);
    assert!(reply.starts_with("ok "), "{reply}");
    let before = stats(&mut instance);
    assert!(before.live_bytes >= 100_000, "{before:?}");
    assert!(before.live_bytes <= HEAP_CAP);
    assert_eq!(before.failed_cap, 0);

    // 100,000 + 200,000 bytes cross the 256 KiB heap cap: refused as a value,
    // and nothing grows.
    let pages = instance.pages();
    let outcome = instance.call("hold", &200_000u32.to_le_bytes()).unwrap();
    // The simulator counts the refusal on the call that made it.
    assert_eq!(
        outcome.refused,
        Some(capheap_sim::Refusals { cap: 1, budget: 0 })
    );
    let reply = String::from_utf8(outcome.output).unwrap();
    assert!(reply.starts_with("err "), "{reply}");
    assert!(reply.contains("cap exceeded"), "{reply}");
    assert!(reply.contains(&format!("limit {HEAP_CAP}")), "{reply}");
    assert_eq!(
        instance.pages(),
        pages,
        "a refused request must not grow memory"
    );
    let after = stats(&mut instance);
    assert_eq!(after.failed_cap, 1);
    assert_eq!(after.live_bytes, before.live_bytes);
    assert_eq!(after.pages_grown, before.pages_grown);

    // The contract keeps working below the cap; nothing refused this time.
    let outcome = instance.call("hold", &50_000u32.to_le_bytes()).unwrap();
    assert_eq!(
        outcome.refused,
        Some(capheap_sim::Refusals { cap: 0, budget: 0 })
    );
    let reply = String::from_utf8(outcome.output).unwrap();
    assert!(reply.starts_with("ok "), "{reply}");

    // Releasing everything brings live bytes back to zero.
    let freed = instance.call("release", &[]).unwrap();
    assert_eq!(freed.returned, Some(2));
    let released = stats(&mut instance);
    assert_eq!(released.live_bytes, 0);
    assert_eq!(
        released.frees, released.allocs,
        "every successful allocation was freed"
    );
    assert!(released.peak_live_bytes >= 150_000);
}

#[test]
fn the_memory_cap_holds_across_many_calls() {
    let contract = load("capped-heap");
    let mut instance = contract.instantiate().unwrap();
    let mut refused = 0;
    for _ in 0..40 {
        if hold(&mut instance, 60_000).starts_with("err ") {
            refused += 1;
        }
        assert!(
            instance.pages() <= 32,
            "32-page cap crossed: {}",
            instance.pages()
        );
    }
    let s = stats(&mut instance);
    assert_eq!(s.failed_cap, refused);
    assert!(
        refused >= 35,
        "only 4 blocks of 60,000 fit under 256 KiB; refused {refused}"
    );
    assert!(s.live_bytes <= HEAP_CAP);
}

#[test]
fn hello_frees_everything_and_reuses_memory_across_calls() {
    let contract = load("hello");
    let mut instance = contract.instantiate().unwrap();
    let out = instance.call("reverse", b"capheap").unwrap();
    assert_eq!(out.output, b"paehpac");
    let first = stats(&mut instance);
    // One allocation (the input buffer, which `reverse` reverses in place),
    // freed at the end of the call: nothing is live.
    assert_eq!(
        (first.allocs, first.frees, first.live_bytes),
        (1, 1, 0),
        "{first:?}"
    );
    let pages = instance.pages();
    for _ in 0..20 {
        instance.call("reverse", &[9u8; 10_000]).unwrap();
    }
    let later = stats(&mut instance);
    assert_eq!(later.live_bytes, 0);
    assert_eq!((later.allocs, later.frees), (21, 21));
    // Freed memory is reused: the footprint never exceeds the size below which
    // an empty heap need not reset, plus one input.
    let bound = capheap::layout::RESET_MIN as u64 + 10_000 + 64;
    assert!(
        later.heap_bytes <= bound,
        "footprint {} > {bound}",
        later.heap_bytes
    );
    assert!(
        instance.pages() <= pages + 1,
        "repeated calls must reuse memory"
    );
    assert_eq!(later.failed_cap + later.failed_oom + later.failed_budget, 0);
}

#[test]
fn same_calls_same_addresses_and_stats() {
    let contract = load("capped-heap");
    let run = || {
        let mut instance = contract.instantiate().unwrap();
        let replies: Vec<String> = [4096, 70_000, 300_000, 12]
            .into_iter()
            .map(|n| hold(&mut instance, n))
            .collect();
        (replies, stats(&mut instance), instance.memory().to_vec())
    };
    let first = run();
    let second = run();
    assert_eq!(first.0, second.0, "addresses must be deterministic");
    assert_eq!(first.1, second.1);
    assert!(first.2 == second.2, "linear memory must be bit-identical");
}
