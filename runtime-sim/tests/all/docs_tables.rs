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

/// The sample report in `cli.md` is a real run of the command it names
/// (the contract is built from `contracts/capped-heap`, cached).
#[test]
fn the_cli_chapter_sample_report_is_a_real_run() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let out = assert_cmd::Command::cargo_bin("capheap-sim")
        .unwrap()
        .current_dir(root)
        .args(["report", "-q", "scenarios/capped-heap.toml"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let real = String::from_utf8(out.stdout).unwrap();
    let text = chapter("cli.md");
    let block = text
        .split("`capheap-sim report -q scenarios/capped-heap.toml`")
        .nth(1)
        .and_then(|rest| rest.split("```text\n").nth(1))
        .and_then(|rest| rest.split("```").next())
        .expect("cli.md names the command and shows its output");
    assert_eq!(
        block, real,
        "docs/src/cli.md's sample report differs from a real run; paste this:\n{real}"
    );
}
