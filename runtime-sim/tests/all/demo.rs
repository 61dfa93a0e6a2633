//! `capheap-sim demo`, the main job: on this checkout's real and example
//! contracts it shows what capheap promises, writes a report a browser opens
//! from the file system, and gives the same figures on every run.

use std::sync::OnceLock;

use assert_cmd::Command;
use capheap_sim::demo::{self, DemoReport};

use crate::repo;

/// `capheap-sim demo -q --out <demo::REPORT_DIR>`, run from the checkout
/// (the command's default directory, so that what it prints is what the
/// quick start shows): its standard output. Run once for every test that
/// reads what the command prints or writes: a run builds and runs every
/// contract, most of a minute in a debug build.
pub(crate) fn command_run() -> &'static str {
    static RUN: OnceLock<String> = OnceLock::new();
    RUN.get_or_init(|| {
        let run = Command::cargo_bin("capheap-sim")
            .unwrap()
            .current_dir(repo())
            .args(["demo", "-q", "--out", demo::REPORT_DIR])
            .output()
            .unwrap();
        let stdout = String::from_utf8(run.stdout).unwrap();
        assert_eq!(
            run.status.code(),
            Some(0),
            "{stdout}{}",
            String::from_utf8_lossy(&run.stderr)
        );
        stdout
    })
}

fn run_demo() -> DemoReport {
    let mut steps = Vec::new();
    let out = repo().join(demo::REPORT_DIR);
    let report = demo::run(&repo(), &out, &mut |s| steps.push(s.to_owned())).unwrap();
    assert_eq!(steps.len() as u64, demo::STEPS, "{steps:#?}");
    report
}

#[test]
fn the_demo_shows_each_promise_on_real_contracts_and_repeats_exactly() {
    let report = run_demo();
    assert!(report.problems().is_empty(), "{:?}", report.problems());

    // Both real contracts, both allocators, every call agreeing on outcome.
    let names: Vec<&str> = report.real.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["cw20-base", "oz-erc20"]);
    for r in &report.real {
        let c = &r.comparison;
        assert_eq!(
            (c.a.label.as_str(), c.b.label.as_str()),
            ("default", "capheap")
        );
        assert!(c.calls.len() >= 10, "{}: {} calls", r.name, c.calls.len());
        assert!(c.calls.iter().all(|call| call.same_output), "{}", r.name);
        assert!(c.a.gzip_bytes < c.a.wasm_bytes && c.b.gzip_bytes < c.b.wasm_bytes);
        assert!(c.a.fuel > 0 && c.b.fuel > 0);
        // The minimal heap: the same outcomes, on the same default build.
        let m = &r.mini;
        assert_eq!(
            (m.a.label.as_str(), m.b.label.as_str()),
            ("default", "capheap-mini")
        );
        assert_eq!(m.a, c.a, "{}: the same default build", r.name);
        assert!(m.calls.iter().all(|call| call.same_output), "{}", r.name);
        assert!(
            m.b.wasm_bytes < c.b.wasm_bytes,
            "{}: capheap-mini is the smaller capheap",
            r.name
        );
    }
    let cw20 = &report.real[0].comparison;
    assert!(cw20.b.fuel < cw20.a.fuel, "capheap is cheaper on cw20-base");
    assert_eq!(report.real[1].pricing, "stylus");

    // The leak: pages rise until the cap refuses, never past it; every call
    // after the stop fails; the refusal is counted on the stopping call.
    let leak = &report.leak;
    let stop = leak.stopped_at.expect("the cap stops the leak");
    assert!(stop >= 10 && stop < leak.calls.len(), "stopped at {stop}");
    assert!(leak.calls.iter().all(|c| c.pages <= leak.cap_pages));
    assert!(leak.calls[..stop].iter().all(|c| c.error.is_none()));
    assert!(leak.calls[stop..].iter().all(|c| c.error.is_some()));
    assert!(leak.calls[stop].cap_refusals >= 1, "{:?}", leak.calls[stop]);
    let live: Vec<u64> = leak.calls[..stop]
        .iter()
        .map(|c| c.live_bytes.unwrap())
        .collect();
    assert!(
        live.windows(2)
            .all(|w| w[1] >= w[0] + demo::LEAKY_INPUT_BYTES as u64)
    );
    let fuzz = &leak.fuzz;
    assert!(
        fuzz.finding
            .as_deref()
            .is_some_and(|f| f.starts_with("unbounded growth: live bytes rising")),
        "{:?}",
        fuzz.finding
    );
    assert!(fuzz.reproduced);
    // Named from the report's directory, so the report is the same
    // wherever the checkout lives (the replay below resolves it).
    assert!(
        fuzz.repro
            .contains("\ncontract = \"../../contracts/leaky\"\n"),
        "{}",
        fuzz.repro
    );
    assert!(fuzz.repro_calls >= 2 && fuzz.repro_calls as u64 <= fuzz.calls);
    assert_eq!(
        fuzz.repro.matches("[[call]]").count(),
        fuzz.repro_calls,
        "{}",
        fuzz.repro
    );

    // Growth it cannot pay for: refused as the value 3, nothing grown.
    let budget = &report.budget;
    assert_eq!(budget.pricing, "stylus");
    let returned: Vec<Option<i64>> = budget.calls.iter().map(|c| c.returned).collect();
    assert_eq!(returned, [Some(0), Some(3)]);
    let refused = &budget.calls[1];
    assert_eq!(refused.pages.0, refused.pages.1, "nothing grown");
    assert_eq!(refused.fuel.1, 0, "nothing charged for pages");
    assert!(refused.fuel.0 < budget.fuel_per_call);
    assert!(budget.calls[0].pages.1 > budget.calls[0].pages.0);
    assert_eq!(budget.gas_hook_refusals, 1);

    // Determinism: every example scenario and both real contracts.
    let scenarios: Vec<&str> = report
        .determinism
        .iter()
        .map(|d| d.scenario.as_str())
        .collect();
    assert_eq!(
        scenarios,
        [
            "cw20-base (capheap)",
            "oz-erc20 (capheap)",
            "hello",
            "capped-heap",
            "gas-aware",
            "word-stats"
        ]
    );
    for d in &report.determinism {
        assert!(d.deterministic && d.runs >= 2, "{d:?}");
        assert!(d.snapshot.is_some(), "{d:?}");
        assert_eq!(d.root.len(), 16, "{d:?}");
    }

    // The markdown holds every section and links every chart.
    let md = report.to_markdown();
    for heading in [
        "## At a glance",
        "## 1. Real contracts",
        "### cw20-base (CosmWasm)",
        "### oz-erc20 (Stylus)",
        "## 2. A leak stopped by its cap",
        "## 3. Growth it cannot pay for",
        "## 4. Determinism",
    ] {
        assert!(md.contains(heading), "{heading}");
    }
    let charts: Vec<&str> = report.charts.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(charts, ["cw20-base.svg", "oz-erc20.svg", "leaky.svg"]);
    for (name, svg) in &report.charts {
        assert!(md.contains(&format!("]({name})")), "{name} is linked");
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    }

    // Every figure is deterministic: a second run, the command's in another
    // process, wrote the same report.
    command_run();
    let written =
        std::fs::read_to_string(repo().join(demo::REPORT_DIR).join("report.json")).unwrap();
    assert_eq!(
        written,
        serde_json::to_string_pretty(&report).unwrap() + "\n"
    );
}

#[test]
fn the_command_writes_a_report_a_browser_opens_and_its_repro_replays() {
    let stdout = command_run();
    let out = repo().join(demo::REPORT_DIR);
    assert!(stdout.contains("cw20-base capheap"), "{stdout}");
    assert!(
        stdout.contains("refused by the gas hook, as a value"),
        "{stdout}"
    );
    assert!(
        stdout.contains("determinism: 6 of 6 scenarios agree"),
        "{stdout}"
    );
    // `--out` as given (relative), the path shown as given.
    assert!(
        stdout.contains(&format!("report: {}/index.html", demo::REPORT_DIR)),
        "{stdout}"
    );
    let index = out.join("index.html");

    let html = std::fs::read_to_string(&index).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    for chart in ["cw20-base.svg", "oz-erc20.svg", "leaky.svg"] {
        assert!(html.contains(&format!("<img src=\"{chart}\"")), "{chart}");
        let svg = std::fs::read_to_string(out.join(chart)).unwrap();
        assert!(svg.starts_with("<svg"), "{chart}");
    }
    assert!(html.contains("<table>") && html.contains("<details>"));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no fetched assets"
    );

    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(json["real"][0]["name"], "cw20-base");
    assert!(json["real"][0]["comparison"]["b"]["fuel"].as_u64().unwrap() > 0);
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.starts_with("# capheap demo"));

    // The fuzz finding's reproduction, written beside the report, replays.
    let repro = out.join(json["leak"]["fuzz"]["repro_file"].as_str().unwrap());
    let replay = Command::cargo_bin("capheap-sim")
        .unwrap()
        .args(["replay", "-q"])
        .arg(&repro)
        .output()
        .unwrap();
    let text = String::from_utf8(replay.stdout).unwrap();
    assert_eq!(replay.status.code(), Some(0), "{text}");
    assert!(text.contains("deterministic"), "{text}");
}

#[test]
fn outside_a_checkout_the_command_says_what_it_needs() {
    let dir = tempfile::tempdir().unwrap();
    let run = Command::cargo_bin("capheap-sim")
        .unwrap()
        .args(["demo", "-q", "--root"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    let stderr = String::from_utf8(run.stderr).unwrap();
    assert!(
        stderr.contains("is not a capheap checkout (no contracts/real)"),
        "{stderr}"
    );
    assert!(stderr.contains("--root"), "{stderr}");
}
