//! Every command that runs contracts, on the real contracts (cw20-base and
//! OpenZeppelin's Stylus ERC-20 built from crates.io by the allocator swap),
//! without `--abi`: the ABI is detected; and OpenZeppelin's ERC-721, whose
//! safe transfers call the receiving contract.

use std::path::Path;

use assert_cmd::Command;
use capheap_sim::{Allocator, BuildOptions, build_contract};

use crate::repo;

/// Builds `contracts/real/<name>` on `allocator` (cached) and returns the wasm path.
fn real(name: &str, allocator: Allocator) -> String {
    let opts = BuildOptions {
        allocator: Some(allocator),
        ..BuildOptions::default()
    };
    let built = build_contract(&repo().join("contracts/real").join(name), &opts)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    built.wasm_path.to_str().unwrap().to_owned()
}

fn sim() -> Command {
    Command::cargo_bin("capheap-sim").unwrap()
}

/// How many calls a scenario file lists (its `[[call]]` tables, repeats
/// expanded).
fn json_calls(scenario: &str) -> usize {
    capheap_sim::scenario_file::ScenarioFile::load(Path::new(scenario))
        .unwrap()
        .scenario()
        .calls
        .iter()
        .map(|c| c.repeat as usize)
        .sum()
}

fn stdout(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn check_and_run_detect_the_abi() {
    let erc20 = real("oz-erc20", Allocator::Capheap);
    let cw20 = real("cw20-base", Allocator::Capheap);
    let report = stdout(sim().args(["check", &erc20, &cw20]));
    assert!(
        report.contains("abi:       stylus (exports `user_entrypoint`)"),
        "{report}"
    );
    assert!(
        report.contains("abi:       cosmwasm (exports `interface_version_8`)"),
        "{report}"
    );
    assert!(!report.contains("missing-alloc"), "{report}");
    assert!(
        report.contains("export:    user_entrypoint func (i32) -> (i32)\n"),
        "{report}"
    );
    assert!(
        report.contains("export:    query func (i32, i32) -> (i32)\n"),
        "{report}"
    );
    // What each chain stores and charges for the code.
    let deploy_line = |abi: &str| -> Vec<u64> {
        let line = report
            .lines()
            .find(|l| l.starts_with(&format!("deploy:    {abi} stores ")))
            .unwrap_or_else(|| panic!("no {abi} deploy line in {report}"));
        line.split(|c: char| !c.is_ascii_digit())
            .filter(|w| !w.is_empty())
            .map(|w| w.parse().unwrap())
            .collect()
    };
    let erc20_len = std::fs::metadata(&erc20).unwrap().len();
    // stored, brotli quality 11, the prefix's 4 bytes, limit, module,
    // module limit, gas.
    let [stored, 11, 4, 24576, module, 131072, gas] = deploy_line("stylus")[..] else {
        panic!("{report}")
    };
    assert!(module < erc20_len, "custom sections are stripped: {report}");
    assert!(
        stored < module / 2,
        "brotli compresses the module: {report}"
    );
    assert_eq!(gas, 200 * stored, "the EVM code deposit");
    let cw20_len = std::fs::metadata(&cw20).unwrap().len();
    // stored (gzip -9), module, module limit, gas.
    let [stored, 9, module, 819200, gas] = deploy_line("cosmwasm")[..] else {
        panic!("{report}")
    };
    assert_eq!(module, cw20_len, "wasmd keeps the module whole");
    assert!(stored < module / 2, "{report}");
    assert_eq!(gas, 3 * cw20_len, "wasmd's compile cost");
    assert!(!report.contains("deploy-code-size") && !report.contains("deploy-wasm-size"));

    let out = stdout(sim().args([
        "run",
        &erc20,
        "--sig",
        "totalSupply()",
        "--returns",
        "uint256",
    ]));
    assert!(
        out.starts_with("abi:      stylus (exports `user_entrypoint`)\n"),
        "{out}"
    );
    assert!(out.contains("status:   0\n"), "{out}");
    assert!(out.contains("returns:  0\n"), "{out}");
    // OpenZeppelin's 8 KiB stack (its `.cargo/config.toml`): one page.
    assert!(out.contains("growth:   0 + 1 pages: EntryCharge"), "{out}");

    let out = stdout(sim().args([
        "run",
        &cw20,
        "--call",
        "instantiate",
        "--msg",
        r#"{"name":"Token","symbol":"TOK","decimals":6,"initial_balances":[]}"#,
    ]));
    assert!(
        out.starts_with("abi:      cosmwasm (exports `interface_version_8`)\n"),
        "{out}"
    );
    assert!(
        out.contains("attr:     action = instantiate") || out.contains("output:   0x\n"),
        "{out}"
    );

    // A refused instantiation is a failed call: the outcome is printed with
    // the contract's error, and the exit code is 3, with or without --json.
    let refused = [
        "run",
        &cw20,
        "--call",
        "instantiate",
        "--msg",
        r#"{"name":"T"}"#,
    ];
    let out = sim().args(refused).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with("fail: the call failed: `instantiate` returned an"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    let printed = String::from_utf8(out.stdout).unwrap();
    assert!(
        printed.contains("error:    `instantiate` returned an"),
        "{printed}"
    );
    assert!(printed.contains("fuel:     "), "{printed}");
    let out = sim().args(refused).arg("--json").output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["error"]["type"], "contract-error", "{json}");
}

#[test]
fn run_builds_a_crate_directory() {
    let dir = repo().join("contracts/hello");
    let out = sim()
        .args([
            "run",
            dir.to_str().unwrap(),
            "--call",
            "reverse",
            "--input",
            "0x616263",
            "-q",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("output:   0x636261"), "{stdout}");
}

#[test]
fn replay_report_snapshot_and_compare_on_the_chain_scenarios() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["cw20-base", "oz-erc20"] {
        let scenario = repo().join("scenarios/chains").join(format!("{name}.toml"));
        let scenario = scenario.to_str().unwrap();
        let out = stdout(sim().args(["replay", "-q", scenario]));
        assert!(out.starts_with(&format!("{name}: deterministic")), "{out}");
        let out = stdout(sim().args(["report", "-q", scenario]));
        assert!(out.contains("deterministic"), "{out}");
        // The title says what the chain stores and charges for the code.
        let stored = if name == "oz-erc20" {
            " stored (brotli-11 behind the 4-byte prefix, "
        } else {
            " stored (gzip -9 upload, "
        };
        assert!(out.lines().next().unwrap().contains(stored), "{out}");
        let json: serde_json::Value =
            serde_json::from_str(&stdout(sim().args(["report", "-q", "--json", scenario])))
                .unwrap();
        assert!(
            json[0]["deploy"]["stored_bytes"].as_u64().unwrap() > 0,
            "{json}"
        );
        let gas = dir.path().join(format!("{name}.gas-snapshot"));
        let gas = gas.to_str().unwrap();
        stdout(sim().args(["snapshot", "-q", scenario, "--write", "--file", gas]));
        stdout(sim().args(["snapshot", "-q", scenario, "--check", "--file", gas]));
        let text = std::fs::read_to_string(gas).unwrap();
        let transfer = if name == "cw20-base" {
            "2:execute:transfer"
        } else {
            "1:transfer"
        };
        assert!(
            text.contains(&format!("{name}::{transfer} (fuel: ")),
            "{text}"
        );

        let chart = tempfile::NamedTempFile::with_suffix(".svg").unwrap();
        let chart_path = chart.path().to_str().unwrap();
        let out = stdout(sim().args(["compare", "-q", scenario, "--svg", chart_path]));
        let svg = std::fs::read_to_string(chart.path()).unwrap();
        let calls = json_calls(scenario);
        assert_eq!(svg.matches(r#"class="fuel""#).count(), 2 * calls, "{svg}");
        assert!(svg.contains("default vs capheap, per call"), "{svg}");
        assert!(out.contains("a: default"), "{out}");
        assert!(out.contains("b: capheap"), "{out}");
        assert!(out.contains("wasm bytes (gzip -9)"), "{out}");
        // What the chain stores and charges for the code, on both builds.
        let (size_row, gas_row) = if name == "oz-erc20" {
            (
                Some("deployed code bytes (brotli)"),
                "code deposit, EVM gas",
            )
        } else {
            (None, "compile cost, SDK gas")
        };
        assert_eq!(
            out.contains("deployed code bytes (brotli)"),
            size_row.is_some(),
            "{out}"
        );
        assert!(out.contains(gas_row), "{out}");
        // The numbers line up: every totals line (after the title) is as
        // long as the column header, whatever the longest row name.
        let totals: Vec<&str> = out.lines().skip(1).take_while(|l| !l.is_empty()).collect();
        assert!(totals.len() > 5, "{out}");
        assert!(totals.iter().all(|l| l.len() == totals[0].len()), "{out}");
        let json: serde_json::Value =
            serde_json::from_str(&stdout(sim().args(["compare", "-q", "--json", scenario])))
                .unwrap();
        assert_eq!(json["a"]["label"], "default");
        for side in ["a", "b"] {
            let d = &json[side]["deploy"];
            let gas_per_byte = if name == "oz-erc20" { 200 } else { 3 };
            let charged = if name == "oz-erc20" {
                d["stored_bytes"].as_u64().unwrap()
            } else {
                d["module_bytes"].as_u64().unwrap()
            };
            assert_eq!(
                d["deploy_gas"].as_u64(),
                Some(gas_per_byte * charged),
                "{d}"
            );
        }
        assert!(
            json["calls"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["same_output"] == true)
        );
    }
}

#[test]
fn oz_erc721_safe_transfers_call_a_receiver_only_when_it_has_code() {
    // OpenZeppelin's ERC-721 as published: `safeTransferFrom` to a wallet
    // (no code) makes no call, to a receiver contract calls its
    // `onERC721Received`, answered from the scenario; a wrong answer
    // reverts with ERC721InvalidReceiver. The scenario states each result.
    let scenario = repo().join("scenarios/chains/oz-erc721.toml");
    let out = stdout(sim().args(["report", "-q", scenario.to_str().unwrap()]));
    assert!(
        out.contains("oz-erc721: deterministic: 14 calls x 3 runs"),
        "{out}"
    );
    // Without the accepting receiver's answer, the call to it is named, not
    // taken for a success: the transfer to 0xc1 did call it.
    let text = std::fs::read_to_string(&scenario).unwrap();
    let first = text.find("[[stylus.contract_call]]").unwrap();
    let second = first + 1 + text[first + 1..].find("[[stylus.contract_call]]").unwrap();
    let without = format!("{}{}", &text[..first], &text[second..]).replace(
        "../../contracts/real/oz-erc721",
        repo().join("contracts/real/oz-erc721").to_str().unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("oz-erc721.toml");
    std::fs::write(&file, without).unwrap();
    let out = sim()
        .args(["report", "-q", file.to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains(
            "call #4 (safeTransferFrom, step 5 rep 1): failed: not simulated: \
             vm_hooks.call_contract (to 0x00000000000000000000000000000000000000C1, \
             selector 0x150b7a02"
        ),
        "{text}"
    );
}
