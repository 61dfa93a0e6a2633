//! `capheap-sim report | replay | snapshot | check` end to end, on small wat
//! contracts and scenario files in a temporary directory.

use std::path::PathBuf;

use assert_cmd::Command;

const CONTRACT: &str = r#"(module
  (memory (export "memory") 1 64)
  (global $top (mut i32) (i32.const 1024))
  (func (export "capheap_alloc") (param $len i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $top))
    (global.set $top (i32.add (global.get $top) (local.get $len)))
    (local.get $p))
  (func (export "echo") (param i32 i32) (result i64)
    (i64.or (i64.shl (i64.extend_i32_u (local.get 0)) (i64.const 32))
            (i64.extend_i32_u (local.get 1))))
  (func (export "grow") (result i32) (memory.grow (i32.const 1)))
  (func (export "boom") (unreachable)))"#;

struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("c.wasm"), wat::parse_str(CONTRACT).unwrap()).unwrap();
        Fixture { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes a scenario file with `body` after the contract line.
    fn scenario(&self, name: &str, body: &str) -> String {
        let path = self.path(name);
        std::fs::write(&path, format!("contract = \"c.wasm\"\n{body}")).unwrap();
        path.to_str().unwrap().to_owned()
    }

    fn wasm(&self) -> String {
        self.path("c.wasm").to_str().unwrap().to_owned()
    }
}

const GROWING: &str = r#"
pricing = "flat:1000"
[[call]]
export = "echo"
input = "hi"
expect = { output = "hi" }
[[call]]
export = "grow"
repeat = 3
expect = { pages_after = 4 }
"#;

/// Runs the CLI: (exit code, stdout, stderr).
fn sim(args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("capheap-sim")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn report_prints_gas_and_a_deterministic_verdict() {
    let f = Fixture::new();
    // `grow` runs 3 times: pages 1 -> 2 -> 3 -> 4, but the last call expects 4
    // after each repetition, so only the third repetition meets it.
    let s = f.scenario(
        "s.toml",
        &GROWING.replace("expect = { pages_after = 4 }", ""),
    );
    let svg_dir = f.path("svg");
    let (code, out, err) = sim(&["report", &s, "--svg-dir", svg_dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("== s: "), "{out}");
    assert!(out.contains("pricing flat:1000"), "{out}");
    let grow_row = out.lines().find(|l| l.starts_with("| grow")).unwrap();
    let cells: Vec<&str> = grow_row.split('|').map(str::trim).collect();
    assert_eq!(cells[2], "3", "calls: {grow_row}");
    assert_eq!(cells[6], "3000", "growth fuel: 3 pages at 1000: {grow_row}");
    assert_eq!(cells[7], "3", "pages grown: {grow_row}");
    assert_eq!(cells[8], "4", "max pages: {grow_row}");
    assert!(
        out.contains("s: deterministic: 4 calls x 3 runs + replay from a"),
        "{out}"
    );
    let svg = std::fs::read_to_string(svg_dir.join("s.svg")).unwrap();
    assert!(svg.contains("#3 grow: 4 pages"), "{svg}");
}

#[test]
fn report_json_is_machine_readable() {
    let f = Fixture::new();
    let s = f.scenario(
        "s.toml",
        &GROWING.replace("expect = { pages_after = 4 }", ""),
    );
    let (code, out, _) = sim(&["report", &s, "--json"]);
    assert_eq!(code, 0);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    let scenario = &json[0];
    assert_eq!(scenario["name"], "s");
    assert_eq!(scenario["replay"]["report"]["deterministic"], true);
    let gas = scenario["gas"].as_array().unwrap();
    let grow = gas.iter().find(|r| r["export"] == "grow").unwrap();
    assert_eq!(grow["growth_fuel"], 3000);
}

#[test]
fn a_failed_expectation_exits_3_and_names_the_call() {
    let f = Fixture::new();
    let s = f.scenario("s.toml", GROWING);
    let (code, out, err) = sim(&["report", "-q", &s]);
    assert_eq!(code, 3, "{out}{err}");
    assert!(
        out.contains(
            "expectation: call #1 (grow, step 2 rep 1): 2 pages after the call, expected 4"
        ),
        "{out}"
    );
    assert!(
        out.contains("expectation: call #2 (grow, step 2 rep 2): 3 pages"),
        "{out}"
    );
    assert!(
        !out.contains("call #3 (grow"),
        "the third repetition meets it: {out}"
    );
    assert!(err.contains("fail: 1 failed: s"), "{err}");
}

#[test]
fn an_unexpected_trap_fails_and_an_expected_one_passes() {
    let f = Fixture::new();
    let bad = f.scenario("bad.toml", "[[call]]\nexport = \"boom\"\n");
    let (code, out, _) = sim(&["replay", &bad]);
    assert_eq!(code, 3);
    assert!(
        out.contains("call #0 (boom, step 1 rep 1): failed: trap"),
        "{out}"
    );
    let good = f.scenario(
        "good.toml",
        "[[call]]\nexport = \"boom\"\nexpect = { error = \"trap\" }\n",
    );
    let (code, out, err) = sim(&["replay", &good]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("good: deterministic"), "{out}");
}

#[test]
fn pricing_and_caps_from_the_command_line_override_the_file() {
    let f = Fixture::new();
    let s = f.scenario(
        "s.toml",
        &GROWING.replace("expect = { pages_after = 4 }", ""),
    );
    let (code, out, _) = sim(&["report", "-q", &s, "--pricing", "free"]);
    assert_eq!(code, 0);
    assert!(
        out.lines()
            .any(|l| l.starts_with("| grow") && l.contains("|           0 |")),
        "{out}"
    );
    // A 2-page cap: the 2nd and 3rd growths fail (memory.grow returns -1).
    let (code, out, _) = sim(&["report", "-q", &s, "--max-pages", "2"]);
    assert_eq!(code, 0, "{out}");
    let grow_row = out.lines().find(|l| l.starts_with("| grow")).unwrap();
    // The fixture has no capheap statistics: no refusal counts.
    assert!(
        grow_row.ends_with("|           1 |         2 |            - |               - |"),
        "{grow_row}"
    );
}

#[test]
fn gas_snapshot_write_check_diff_and_tolerance() {
    let f = Fixture::new();
    let s = f.scenario(
        "s.toml",
        &GROWING.replace("expect = { pages_after = 4 }", ""),
    );
    let snap = f.path(".gas-snapshot");
    let snap = snap.to_str().unwrap();
    // Nothing recorded yet: the error says how to record it.
    let (code, _, err) = sim(&["snapshot", "-q", &s, "--file", snap, "--check"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("no gas snapshot there yet; record one first with `capheap-sim snapshot <scenarios> --write --file"),
        "{err}"
    );
    let (code, _, err) = sim(&["snapshot", "-q", &s, "--file", snap, "--write"]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(snap).unwrap();
    assert!(text.contains("s::0:echo (fuel: "), "{text}");
    assert!(text.contains("s::1:grow (fuel: "), "{text}");
    let (code, out, _) = sim(&["snapshot", "-q", &s, "--file", snap, "--check"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("2 entries match"), "{out}");

    // Pricing up from 1000 to 1100 per page: +300 fuel on the growth entry.
    let (code, out, err) = sim(&[
        "snapshot",
        "-q",
        &s,
        "--file",
        snap,
        "--check",
        "--pricing",
        "flat:1100",
    ]);
    assert_eq!(code, 3, "{out}{err}");
    assert!(out.contains("s::1:grow: "), "{out}");
    assert!(
        err.contains("1 of 2 entries changed beyond the tolerance of 0.00%"),
        "{err}"
    );
    let (code, _, _) = sim(&[
        "snapshot",
        "-q",
        &s,
        "--file",
        snap,
        "--check",
        "--pricing",
        "flat:1100",
        "--tolerance",
        "50",
    ]);
    assert_eq!(code, 0, "a 50% tolerance absorbs it");
    let (code, out, _) = sim(&[
        "snapshot",
        "-q",
        &s,
        "--file",
        snap,
        "--diff",
        "--pricing",
        "flat:1100",
    ]);
    assert_eq!(code, 0);
    assert!(
        out.contains("s::0:echo: ") && out.contains("(+0.00%)"),
        "{out}"
    );
    assert!(out.lines().any(|l| l.starts_with("total: ")), "{out}");
}

#[test]
fn a_corrupt_gas_snapshot_is_a_clear_error() {
    let f = Fixture::new();
    let s = f.scenario("s.toml", "[[call]]\nexport = \"grow\"\n");
    let snap = f.path("bad-snapshot");
    std::fs::write(&snap, "s::0:grow (fuel: lots)\n").unwrap();
    let (code, _, err) = sim(&[
        "snapshot",
        "-q",
        &s,
        "--file",
        snap.to_str().unwrap(),
        "--check",
    ]);
    assert_eq!(code, 1);
    assert!(
        err.contains("line 1: expected `<name> (fuel: <n>)`"),
        "{err}"
    );
}

#[test]
fn bad_scenario_files_and_arguments() {
    let f = Fixture::new();
    let typo = f.scenario("typo.toml", "[[call]]\nexprt = \"grow\"\n");
    let (code, _, err) = sim(&["report", &typo]);
    assert_eq!(code, 1);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("typo.toml") && err.contains("exprt"), "{err}");
    let (code, _, err) = sim(&["report", "/nonexistent/s.toml"]);
    assert_eq!(code, 1);
    assert!(err.contains("/nonexistent/s.toml: no such file"), "{err}");
    let (code, _, err) = sim(&["report", &typo, "--pricing", "gold"]);
    assert_eq!(code, 2, "bad arguments are usage errors");
    assert!(err.contains("pricing `gold`"), "{err}");
    let (code, _, err) = sim(&["snapshot", &typo, "--tolerance", "1.234"]);
    assert_eq!(code, 2);
    assert!(err.contains("tolerance"), "{err}");
    let missing_wasm = f.path("missing.toml");
    std::fs::write(
        &missing_wasm,
        "contract = \"nope.wasm\"\n[[call]]\nexport = \"f\"\n",
    )
    .unwrap();
    let (code, _, err) = sim(&["report", missing_wasm.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("nope.wasm"), "{err}");
}

#[test]
fn check_reports_and_deny_levels() {
    let f = Fixture::new();
    let floats = f.path("floats.wasm");
    std::fs::write(
        &floats,
        wat::parse_str(
            r#"(module (memory (export "memory") 1)
                 (func (export "f") (param f32 f32) (result f32) (f32.div (local.get 0) (local.get 1))))"#,
        )
        .unwrap(),
    )
    .unwrap();
    let floats = floats.to_str().unwrap();
    let (code, out, _) = sim(&["check", &f.wasm()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("export:    echo func"), "{out}");
    assert!(out.contains("memory.grow 1"), "{out}");
    let (code, out, _) = sim(&["check", floats]);
    assert_eq!(
        code, 0,
        "floats are a warning, below the default --deny error: {out}"
    );
    assert!(out.contains("warn"), "{out}");
    let (code, _, err) = sim(&["check", floats, "--deny", "warn"]);
    assert_eq!(code, 3);
    assert!(err.contains("findings at --deny warn"), "{err}");
    let (code, out, _) = sim(&["check", floats, "--json"]);
    assert_eq!(code, 0);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(json[0]["report"]["operators"]["float"].as_u64().unwrap() >= 1);
    let (code, _, err) = sim(&["check", floats, "--deny", "fatal"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn run_state_files_continue_one_instance() {
    let f = Fixture::new();
    let state = f.path("state.snap");
    let state = state.to_str().unwrap();
    for expected in ["returned: 1", "returned: 2", "returned: 3"] {
        let (code, out, err) = sim(&["run", &f.wasm(), "--call", "grow", "--state", state]);
        assert_eq!(code, 0, "{err}");
        assert!(out.contains(expected), "{out}");
    }
    let mut bytes = std::fs::read(state).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(state, &bytes).unwrap();
    let (code, _, err) = sim(&["run", &f.wasm(), "--call", "grow", "--state", state]);
    assert_eq!(code, 1);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("snapshot"), "{err}");
}

#[test]
fn returned_values_are_checked() {
    let f = Fixture::new();
    let ok = f.scenario(
        "ok.toml",
        "[[call]]\nexport = \"grow\"\nexpect = { returned = 1 }\n",
    );
    let (code, out, err) = sim(&["replay", "-q", &ok]);
    assert_eq!(code, 0, "{out}{err}");
    let bad = f.scenario(
        "bad.toml",
        "[[call]]\nexport = \"grow\"\nexpect = { returned = 7 }\n",
    );
    let (code, out, _) = sim(&["replay", "-q", &bad]);
    assert_eq!(code, 3);
    assert!(
        out.contains("call #0 (grow, step 1 rep 1): returned 1, expected 7"),
        "{out}"
    );
}

#[test]
fn two_scenarios_with_one_name_and_zero_runs_are_refused() {
    let f = Fixture::new();
    let a = f.scenario("a.toml", &format!("name = \"same\"\n{GROWING}"));
    let b = f.scenario("b.toml", &format!("name = \"same\"\n{GROWING}"));
    let (code, _, err) = sim(&["snapshot", "-q", &a, &b, "--write", "--file", &f.wasm()]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("two scenarios are named `same`"), "{err}");
    let (code, _, err) = sim(&["replay", "-q", "--runs", "0", &a]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("at least 1 run"), "{err}");
}

#[test]
fn a_closed_pipe_ends_the_command_quietly() {
    use std::io::Read as _;
    use std::process::Stdio;
    let f = Fixture::new();
    let scenario = f.scenario("s.toml", GROWING);
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("capheap-sim"))
        .args(["report", "-q", &scenario])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read nothing and close the pipe at once, as `| head -0` would.
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(!err.contains("panicked"), "{err}");
    assert_ne!(status.code(), Some(101), "{err}");
}
