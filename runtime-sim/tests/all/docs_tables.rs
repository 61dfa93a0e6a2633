//! The book's import tables are the simulator's own tables, verbatim: a
//! chapter cannot drift from what the simulator provides.

use capheap_sim::Abi;

pub(crate) fn chapter(name: &str) -> String {
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

/// Numbers and digests replaced by placeholders: what a real run must
/// match whatever compiler built the contract (its fuel and sizes move with
/// the compiler; the book says which one produced its figures).
pub(crate) fn shape(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_hexdigit() {
            let mut word = String::from(c);
            while let Some(&d) = chars.peek().filter(|d| d.is_ascii_alphanumeric()) {
                word.push(d);
                chars.next();
            }
            if word.len() >= 16 && word.chars().all(|d| d.is_ascii_hexdigit()) {
                out.push('H');
            } else if word.chars().all(|d| d.is_ascii_digit()) {
                out.push('N');
            } else {
                out.push_str(&word);
            }
        } else {
            out.push(c);
        }
    }
    // Column widths follow the numbers: collapse runs of spaces and dashes.
    let mut squeezed = String::new();
    for c in out.chars() {
        if (c == ' ' || c == '-') && squeezed.ends_with(c) {
            continue;
        }
        squeezed.push(c);
    }
    squeezed
}

/// The sample report in `cli.md` is a real run of the command it names
/// (the contract is built from `contracts/capped-heap`, cached): the same
/// lines, rows and wording, numbers aside.
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
        shape(block),
        shape(&real),
        "docs/src/cli.md's sample report differs from a real run; paste this:\n{real}"
    );
}

/// The quick start's sample output is a real run of `capheap-sim demo -q`
/// in the repository: the same lines and wording, numbers aside.
#[test]
fn the_quick_start_sample_is_a_real_demo_run() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let out = assert_cmd::Command::cargo_bin("capheap-sim")
        .unwrap()
        .current_dir(root)
        .args(["demo", "-q"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let real = String::from_utf8(out.stdout).unwrap();
    let text = chapter("quick-start.md");
    let block = text
        .split("`capheap-sim demo -q`")
        .nth(1)
        .and_then(|rest| rest.split("```text\n").nth(1))
        .and_then(|rest| rest.split("```").next())
        .expect("quick-start.md names the command and shows its output");
    assert_eq!(
        shape(block),
        shape(&real),
        "docs/src/quick-start.md's sample differs from a real run; paste this:\n{real}"
    );
}
