//! The book's import tables are the simulator's own tables, verbatim: a
//! chapter cannot drift from what the simulator provides.

use capheap_sim::Abi;

fn chapter(name: &str) -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/src/").to_owned() + name;
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn stylus_and_cosmwasm_chapters_embed_the_import_tables() {
    for (abi, file) in [(Abi::Stylus, "stylus.md"), (Abi::CosmWasm, "cosmwasm.md")] {
        let table = abi.imports_markdown();
        let text = chapter(file);
        assert!(
            text.contains(&table),
            "docs/src/{file} does not hold the current {abi} import table; paste this:\n{table}"
        );
    }
}
