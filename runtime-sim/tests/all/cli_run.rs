//! `capheap-sim run`: output on success, one clear line and a non-zero exit on
//! every bad input.

use assert_cmd::Command;

const CONTRACT: &str = r#"(module
  (memory (export "memory") 1)
  (global $top (mut i32) (i32.const 1024))
  (func (export "capheap_alloc") (param $len i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $top))
    (global.set $top (i32.add (global.get $top) (local.get $len)))
    (local.get $p))
  ;; echo(ptr, len) returns the input region unchanged.
  (func (export "echo") (param i32 i32) (result i64)
    (i64.or (i64.shl (i64.extend_i32_u (local.get 0)) (i64.const 32))
            (i64.extend_i32_u (local.get 1))))
  (func (export "grow") (result i32) (memory.grow (i32.const 2)))
  (func (export "two_floats") (param f32 f32))
  (func (export "boom") (unreachable))
  ;; A plain count returned as i64: not a region.
  (func (export "minus_one") (param i32 i32) (result i64) (i64.const -1))
  (global (export "not_a_function") i32 (i32.const 0)))"#;

fn contract_file() -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::with_suffix(".wasm").unwrap();
    std::fs::write(file.path(), wat::parse_str(CONTRACT).unwrap()).unwrap();
    file
}

fn sim() -> Command {
    Command::cargo_bin("capheap-sim").unwrap()
}

/// Runs and returns (success, stdout, stderr).
fn run(args: &[&str]) -> (bool, String, String) {
    let out = sim().args(args).output().unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn assert_one_line_error(args: &[&str], needle: &str) {
    let (ok, stdout, stderr) = run(args);
    assert!(!ok, "must fail: {args:?}");
    assert!(stdout.is_empty(), "{stdout}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(stderr.contains(needle), "{stderr} lacks {needle}");
}

#[test]
fn echo_prints_output_fuel_and_pages() {
    let wasm = contract_file();
    let path = wasm.path().to_str().unwrap();
    let (ok, stdout, stderr) = run(&["run", path, "--call", "echo", "--input", "0xcafe"]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("output:   0xcafe"), "{stdout}");
    assert!(stdout.contains("pages:    1 -> 1"), "{stdout}");
    let fuel: u64 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("fuel:"))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap()
        .parse()
        .unwrap();
    assert!(fuel > 0);
}

#[test]
fn input_from_a_file() {
    let wasm = contract_file();
    let input = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(input.path(), b"abc").unwrap();
    let arg = format!("@{}", input.path().display());
    let (ok, stdout, _) = run(&[
        "run",
        wasm.path().to_str().unwrap(),
        "--call",
        "echo",
        "--input",
        &arg,
    ]);
    assert!(ok);
    assert!(stdout.contains("output:   0x616263"), "{stdout}");
}

#[test]
fn growth_shows_in_pages() {
    let wasm = contract_file();
    let (ok, stdout, _) = run(&["run", wasm.path().to_str().unwrap(), "--call", "grow"]);
    assert!(ok);
    assert!(stdout.contains("returned: 1"), "{stdout}");
    assert!(stdout.contains("pages:    1 -> 3"), "{stdout}");
}

#[test]
fn a_failed_call_exits_3_with_or_without_json() {
    let wasm = contract_file();
    let path = wasm.path().to_str().unwrap();
    let out = sim()
        .args(["run", path, "--call", "boom"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("export:   boom"), "{stdout}");
    assert!(stdout.contains("error:    "), "{stdout}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.starts_with("fail: the call failed: "), "{stderr}");
    let out = sim()
        .args(["run", path, "--call", "boom", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["error"]["type"], "trap", "{json}");
    // A call that cannot be made is exit 1, in both modes.
    for json in [false, true] {
        let mut cmd = sim();
        cmd.args(["run", path, "--call", "nope"]);
        if json {
            cmd.arg("--json");
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(1), "json {json}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn an_i64_that_is_not_a_region_is_explained() {
    let wasm = contract_file();
    let path = wasm.path().to_str().unwrap();
    let out = sim()
        .args(["run", path, "--call", "minus_one"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains(
            "error:    `minus_one` returned -1 (an i64), which capheap's call convention reads as the output region"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("or an i32 for a plain value"), "{stdout}");
}

#[test]
fn a_file_that_is_not_wasm() {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), "definitely not wasm").unwrap();
    assert_one_line_error(
        &["run", file.path().to_str().unwrap(), "--call", "x"],
        "not a wasm module",
    );
}

#[test]
fn a_truncated_module() {
    let file = tempfile::NamedTempFile::new().unwrap();
    let wasm = wat::parse_str(CONTRACT).unwrap();
    std::fs::write(file.path(), &wasm[..wasm.len() / 2]).unwrap();
    assert_one_line_error(
        &["run", file.path().to_str().unwrap(), "--call", "echo"],
        "invalid wasm module",
    );
}

#[test]
fn a_missing_file() {
    assert_one_line_error(
        &["run", "/nonexistent/contract.wasm", "--call", "x"],
        "/nonexistent/contract.wasm",
    );
}

#[test]
fn a_missing_export() {
    let wasm = contract_file();
    assert_one_line_error(
        &["run", wasm.path().to_str().unwrap(), "--call", "nope"],
        "no export named `nope`",
    );
}

#[test]
fn an_export_that_is_not_a_function() {
    let wasm = contract_file();
    assert_one_line_error(
        &[
            "run",
            wasm.path().to_str().unwrap(),
            "--call",
            "not_a_function",
        ],
        "is not a function",
    );
}

#[test]
fn a_wrong_signature() {
    let wasm = contract_file();
    assert_one_line_error(
        &["run", wasm.path().to_str().unwrap(), "--call", "two_floats"],
        "has signature (f32, f32) -> ()",
    );
}

#[test]
fn input_for_an_export_that_takes_none() {
    let wasm = contract_file();
    assert_one_line_error(
        &[
            "run",
            wasm.path().to_str().unwrap(),
            "--call",
            "grow",
            "--input",
            "00",
        ],
        "to take an input",
    );
}

#[test]
fn bad_hex_input() {
    let wasm = contract_file();
    assert_one_line_error(
        &[
            "run",
            wasm.path().to_str().unwrap(),
            "--call",
            "echo",
            "--input",
            "xyz1",
        ],
        "not hex",
    );
    assert_one_line_error(
        &[
            "run",
            wasm.path().to_str().unwrap(),
            "--call",
            "echo",
            "--input",
            "abc",
        ],
        "odd number of hex digits",
    );
}

#[test]
fn unknown_subcommand_is_a_usage_error() {
    let (ok, _, stderr) = run(&["frobnicate"]);
    assert!(!ok);
    assert!(stderr.contains("unrecognized subcommand"), "{stderr}");
}
