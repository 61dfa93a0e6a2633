//! capheap's `Arena` used directly in a contract (contracts/word-stats):
//! per-call scratch with allocator-api2 collections inside it, reclaimed in
//! one step, capped, and steady across calls.

use capheap_sim::fuzzing::{Bounds, check_call};
use capheap_tests::load;

fn fields(output: &[u8]) -> [u32; 3] {
    assert_eq!(output.len(), 12);
    let f = |i: usize| u32::from_le_bytes(output[i * 4..i * 4 + 4].try_into().unwrap());
    [f(0), f(1), f(2)]
}

#[test]
fn counts_words_distinct_words_and_the_longest() {
    let contract = load("word-stats");
    let mut instance = contract.instantiate().unwrap();
    let out = instance
        .call("word_stats", b"the cat saw the other cat\n")
        .unwrap();
    assert_eq!(fields(&out.output), [6, 4, 5]);
    let out = instance.call("word_stats", b"").unwrap();
    assert_eq!(fields(&out.output), [0, 0, 0]);
    let stats = out.stats.unwrap();
    assert_eq!(
        stats.live_bytes, 0,
        "the input buffer is freed; scratch lives in the arena"
    );
}

#[test]
fn scratch_is_reused_so_memory_stops_growing() {
    let contract = load("word-stats");
    let text: Vec<u8> = (0..20_000u32)
        .flat_map(|i| format!("w{} ", i % 997).into_bytes())
        .collect();
    let mut instance = contract.instantiate().unwrap();
    let first = instance.call("word_stats", &text).unwrap();
    assert_eq!(fields(&first.output), [20_000, 997, 4]);
    let pages = instance.pages();
    for _ in 0..5 {
        let again = instance.call("word_stats", &text).unwrap();
        assert_eq!(again.output, first.output);
        assert_eq!(again.growth_pages(), 0, "the arena's pages are reused");
    }
    assert_eq!(instance.pages(), pages);
    assert_eq!(
        check_call(&contract, "word_stats", &text, &Bounds::default()),
        Ok(())
    );
}

#[test]
fn the_arena_cap_is_an_error_code_not_a_trap() {
    let contract = load("word-stats");
    let mut instance = contract.instantiate().unwrap();
    // 200,000 one-letter words need 1.6 MB of word slices: over the 1 MiB cap.
    let text = b"a ".repeat(200_000);
    let out = instance
        .call("word_stats", &text)
        .expect("a cap hit must not trap");
    assert_eq!(fields(&out.output)[0], u32::MAX);
    // And the contract still works afterwards.
    let out = instance.call("word_stats", b"still fine").unwrap();
    assert_eq!(fields(&out.output), [2, 2, 5]);
}
