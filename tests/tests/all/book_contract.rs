//! The book's complete contract (`docs/src/linking.md`) is
//! `contracts/word-count`, verbatim, and does what the page says it does.

use capheap_sim::{GrowthResult, PagePricing, Simulator};
use capheap_tests::{build, repo_root};

/// A code block as the book shows it: without the lines mdbook hides
/// (`# ...`, which only `mdbook test` compiles).
fn shown(block: &str) -> String {
    block
        .lines()
        .filter(|l| *l != "#" && !l.starts_with("# "))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn the_linking_chapter_shows_the_contract_verbatim() {
    let page = std::fs::read_to_string(repo_root().join("docs/src/linking.md")).unwrap();
    let lib = std::fs::read_to_string(repo_root().join("contracts/word-count/src/lib.rs")).unwrap();
    let block = page
        .split("## `src/lib.rs`\n\n```rust\n")
        .nth(1)
        .and_then(|rest| rest.split("```\n").next())
        .expect("linking.md has the src/lib.rs block");
    assert_eq!(
        shown(block),
        lib,
        "docs/src/linking.md's src/lib.rs differs from contracts/word-count/src/lib.rs"
    );
}

#[test]
fn the_linking_chapter_figures_are_what_the_simulator_prints() {
    let built = build("word-count");
    let sim = Simulator::builder()
        .pricing(PagePricing::STYLUS)
        .build()
        .unwrap();
    let contract = sim.load(&built.wasm).unwrap();

    // A small input: the number of distinct words.
    let mut instance = contract.instantiate().unwrap();
    let out = instance.call("process", b"a b a c d").unwrap();
    assert_eq!(out.returned, Some(4));

    // 3 MB: the host's input allocation grows 45 pages (Stylus price
    // 49,300), then the scratch buffer hits the 64-page cap: -1, no trap.
    let mut instance = contract.instantiate().unwrap();
    let out = instance.call("process", &vec![b'x'; 3_000_000]).unwrap();
    assert_eq!(out.returned, Some(-1));
    let stats = out.stats.unwrap();
    assert_eq!(
        (
            stats.pages_grown,
            stats.growth_price_charged,
            stats.failed_cap
        ),
        (45, 49_300, 1)
    );
    assert_eq!(out.fuel.growth, 49_300);
    assert!(
        out.growth
            .iter()
            .all(|g| matches!(g.result, GrowthResult::Grown))
    );
    assert_eq!(out.pages_after, 17 + 45);
}

/// The host ABI chapter's example export is `contracts/hello`'s, verbatim:
/// it cannot compile natively (`capheap::abi` is wasm32-only), so the book
/// shows code that the wasm build of `hello` compiles.
#[test]
fn the_host_abi_chapter_shows_hellos_reverse_verbatim() {
    let page = std::fs::read_to_string(repo_root().join("docs/src/host-abi.md")).unwrap();
    let hello = std::fs::read_to_string(repo_root().join("contracts/hello/src/lib.rs")).unwrap();
    let block = page
        .split("```rust,ignore\n")
        .nth(1)
        .and_then(|rest| rest.split("```\n").next())
        .expect("host-abi.md has the example export");
    assert!(block.contains("fn reverse()"), "{block}");
    assert!(
        hello.contains(&shown(block)),
        "docs/src/host-abi.md's example is not in contracts/hello/src/lib.rs:\n{block}"
    );
}
