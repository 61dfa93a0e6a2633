//! `capheap-sim new`: the scaffold builds, runs, reports, fuzzes and passes
//! its own unit test at once, outside the repository.

use assert_cmd::Command;

fn sim() -> Command {
    Command::cargo_bin("capheap-sim").unwrap()
}

fn ok(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn a_new_contract_works_with_every_command() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("my-contract");
    let d = dir.to_str().unwrap();
    let created = ok(sim().args(["new", d]));
    assert!(created.contains("created my-contract in"), "{created}");
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    assert!(manifest.contains("capheap = { path = \""), "{manifest}");

    let built = sim().args(["build", d]).output().unwrap();
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let run = ok(sim().args(["run", d, "--call", "reverse", "--input", "0x616263", "-q"]));
    assert!(run.contains("output:   0x636261"), "{run}");
    let scenario = dir.join("scenario.toml");
    let s = scenario.to_str().unwrap();
    let report = ok(sim().args(["report", "-q", s]));
    assert!(report.starts_with("== my-contract: "), "{report}");
    assert!(report.contains("| reverse |"), "{report}");
    assert!(report.contains("my-contract: deterministic"), "{report}");
    let fuzz = ok(sim().args(["fuzz", s, "--entry", "reverse", "--runs", "20", "-q"]));
    assert!(fuzz.contains("clean"), "{fuzz}");

    // Its own unit test, natively, with capheap as the test's allocator.
    let test = std::process::Command::new(env!("CARGO"))
        .args(["test", "-q"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(
        test.status.success(),
        "{}",
        String::from_utf8_lossy(&test.stderr)
    );
}

#[test]
fn new_refuses_a_full_directory_and_a_bad_name() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("keep.txt"), "mine").unwrap();
    let out = sim()
        .args(["new", tmp.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not empty"));
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("keep.txt")).unwrap(),
        "mine"
    );
    let bad = tmp.path().join("9lives");
    let out = sim().args(["new", bad.to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a crate name"));
    assert!(!bad.exists());
}
