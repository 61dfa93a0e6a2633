//! `capheap-sim new`: the scaffold builds, runs, reports, fuzzes and passes
//! its own unit test at once, outside the repository.

use assert_cmd::Command;

use crate::repo;

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

/// The chapter on chain contracts shows the Stylus and CosmWasm scaffolds'
/// files verbatim, and their reports as a real run prints them (numbers
/// aside).
fn book_shows(abi: &str, dir: &std::path::Path, report: &str) {
    let title = match abi {
        "stylus" => "Stylus",
        "cosmwasm" => "CosmWasm",
        _ => return,
    };
    let text = crate::docs_tables::chapter("chain-contracts.md");
    let block = |heading: &str| {
        text.split(&format!("### {title}: {heading}\n\n```"))
            .nth(1)
            .and_then(|rest| rest.split_once('\n'))
            .and_then(|(_, rest)| rest.split("```\n").next())
            .unwrap_or_else(|| panic!("chain-contracts.md has no `{title}: {heading}` block"))
            .to_owned()
    };
    let files = ["src/lib.rs", "scenario.toml"]
        .into_iter()
        .chain((abi == "stylus").then_some("tests/sim.rs"))
        .chain((abi == "stylus").then_some(".cargo/config.toml"));
    for file in files {
        let written = std::fs::read_to_string(dir.join(file)).unwrap();
        assert_eq!(
            block(&format!("`{file}`")),
            written,
            "docs/src/chain-contracts.md's {title} {file} differs from what `new` writes"
        );
    }
    assert_eq!(
        crate::docs_tables::shape(&block("`capheap-sim report -q my-contract/scenario.toml`")),
        crate::docs_tables::shape(report),
        "docs/src/chain-contracts.md's {title} report differs from a real run; paste this:\n{report}"
    );
}

/// Scaffolds a contract for `abi` outside the repository and runs every
/// command on it, then its own `cargo test` (which builds the wasm and runs
/// it in the simulator through `capheap_sim::testing`). `run_args` call it
/// once; `expect_run` is in that call's output. Returns the temporary
/// directory (kept while it lives) and the crate's directory in it.
fn works_with_every_command(
    abi: &str,
    run_args: &[&str],
    expect_run: &str,
    fuzz_args: &[&str],
) -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("my-contract");
    let d = dir.to_str().unwrap();
    let created = ok(sim().args(["new", d, "--abi", abi]));
    assert!(
        created.contains(&format!("created my-contract in {d} ({abi} ABI)")),
        "{created}"
    );
    // The scaffold resolves its dependencies as this workspace did: a copy
    // of the workspace's Cargo.lock (cargo drops what the scaffold does not
    // use and adds what it alone needs). So its own tests, below, find
    // capheap-sim's dependencies compiled; a fresh resolve would take the
    // registry's newest versions and compile that tree again.
    std::fs::copy(repo().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    assert!(manifest.contains("capheap = { path = \""), "{manifest}");
    assert!(
        manifest.contains("capheap-sim = { path = \"")
            && manifest.contains("default-features = false"),
        "{manifest}"
    );

    // The scaffold takes capheap by its absolute path, outside its own
    // workspace: the build says its wasm depends on where the SDK lives.
    let build = sim().args(["build", d]).output().unwrap();
    let stderr = String::from_utf8_lossy(&build.stderr);
    assert!(build.status.success(), "{stderr}");
    let sdk = capheap_sim::pipeline::default_capheap_path().unwrap();
    assert!(
        stderr.contains(&format!(
            "note: the wasm depends on where this crate lives (cargo names a crate outside \
             the contract's workspace by its absolute path; see \"Building contracts\" in \
             the book): {}",
            sdk.canonicalize().unwrap().display()
        )),
        "{stderr}"
    );
    // Every scaffold's wasm is one its chain would store: `check` finds no
    // error (for CosmWasm: no bulk memory, hence the pinned wasm toolchain).
    let wasm = String::from_utf8_lossy(&build.stdout).trim().to_owned();
    ok(sim().args(["check", &wasm, "--deny", "error"]));
    if abi == "cosmwasm" {
        let pinned = capheap_sim::pipeline::wasm_toolchain(&dir.join("Cargo.toml"))
            .unwrap()
            .expect("the CosmWasm scaffold names its wasm toolchain");
        assert_eq!(pinned, sdk_rust_version(), "the SDK's rust-version");
        assert!(
            stderr.contains(&format!(" (rustc {pinned}.")),
            "not built with the pinned {pinned}: {stderr}"
        );
    }
    let run = ok(sim().args(["run", d, "-q"]).args(run_args));
    assert!(run.contains(&format!("abi:      {abi}")), "{run}");
    // A Stylus scaffold carries stylus-sdk-rs's 32 KiB stack: it starts
    // with one page, which Stylus does not charge for; the others keep
    // rustc's 1 MiB stack (17 pages; CosmWasm does not price pages).
    let start_pages = if abi == "stylus" { 1 } else { 17 };
    assert!(
        run.contains(&format!("pages:    {start_pages} ")),
        "{abi} scaffold should start with {start_pages} pages: {run}"
    );
    assert!(run.contains(expect_run), "{run}");
    let scenario = dir.join("scenario.toml");
    let s = scenario.to_str().unwrap();
    let report = ok(sim().args(["report", "-q", s]));
    assert!(report.starts_with("== my-contract: "), "{report}");
    assert!(report.contains("my-contract: deterministic"), "{report}");
    book_shows(abi, &dir, &report);
    let fuzz = ok(sim()
        .args(["fuzz", s, "--runs", "10", "-q"])
        .args(fuzz_args));
    assert!(fuzz.contains("clean"), "{fuzz}");

    // Its own tests, natively, in the target directory this test runs from
    // (cargo released it when the tests started) and with the checkout's
    // dev profile (.cargo/config.toml, which cargo does not read outside
    // the checkout): capheap-sim's dependencies are the workspace's, already
    // compiled; the scaffold's own and those of its chain's crate compile.
    let exe = std::env::current_exe().unwrap();
    let target = exe.ancestors().nth(3).expect("<target>/debug/deps/<test>");
    let test = std::process::Command::new(env!("CARGO"))
        .args(["test", "-q", "--config"])
        .arg(repo().join(".cargo/config.toml"))
        .env("CARGO_TARGET_DIR", target)
        .current_dir(&dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&test.stdout);
    assert!(
        test.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&test.stderr)
    );
    assert!(
        stdout.contains("test result: ok. 3 passed"),
        "the simulator tests ran: {stdout}"
    );
    (tmp, dir)
}

#[test]
fn a_new_capheap_contract_works_with_every_command() {
    works_with_every_command(
        "capheap",
        &["--call", "reverse", "--input", "0x616263"],
        "output:   0x636261",
        &["--entry", "reverse"],
    );
}

#[test]
fn a_new_stylus_contract_works_with_every_command() {
    let (_tmp, dir) = works_with_every_command(
        "stylus",
        &[
            "--sig",
            "add(uint256)",
            "--arg",
            "5",
            "--returns",
            "uint256",
        ],
        "returns:  5",
        &["--sig", "add(uint256)"],
    );
    // The same crate as a contract that calls another, written with
    // stylus-sdk's `sol_interface!` and `Call`, and `transfer_eth` to a
    // wallet (an account without code): the token it calls, and whether
    // accounts have code, come from `[[stylus.contract_call]]` and
    // `[stylus] code` (fixtures/token-caller/calls.toml states what each
    // call must return). A rebuild of the crate alone: its dependencies are
    // built.
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/all/fixtures/token-caller"
    );
    std::fs::copy(format!("{fixture}/lib.rs"), dir.join("src/lib.rs")).unwrap();
    std::fs::copy(format!("{fixture}/calls.toml"), dir.join("calls.toml")).unwrap();
    let report = ok(sim().args(["report", "-q", dir.join("calls.toml").to_str().unwrap()]));
    assert!(report.contains("calls: deterministic: 7 calls"), "{report}");
    for export in ["tokenBalance", "pay", "tip", "codeInfo"] {
        assert!(report.contains(&format!("| {export} ")), "{report}");
    }
}

#[test]
fn a_new_cosmwasm_contract_works_with_every_command() {
    let (_tmp, dir) = works_with_every_command(
        "cosmwasm",
        &["--call", "instantiate", "--msg", r#"{"count":1}"#],
        "attr:     count = 1",
        &["--entry", "execute", "--msg", r#"{"add":{"by":"$u32"}}"#],
    );
    // The same crate as a contract that reads the chain through
    // cosmwasm-std: a smart and a raw query of another contract and a bank
    // balance, answered from `[cosmwasm]`, and the crypto API (BLS12-381,
    // which needs cosmwasm-std's `cosmwasm_2_1`, and ed25519) on published
    // vectors; fixtures/chain-reader/chain.toml states what each call must
    // return.
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/all/fixtures/chain-reader"
    );
    std::fs::copy(format!("{fixture}/lib.rs"), dir.join("src/lib.rs")).unwrap();
    std::fs::copy(format!("{fixture}/chain.toml"), dir.join("chain.toml")).unwrap();
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    let std_dep = "cosmwasm-std = \"=2.3.6\"";
    assert!(manifest.contains(std_dep), "{manifest}");
    let manifest = manifest.replace(
        std_dep,
        "cosmwasm-std = { version = \"=2.3.6\", features = [\"cosmwasm_2_1\"] }",
    );
    std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    let report = ok(sim().args(["report", "-q", dir.join("chain.toml").to_str().unwrap()]));
    assert!(report.contains("chain: deterministic: 7 calls"), "{report}");
    for call in ["token", "hash_to_g1", "pairing", "aggregate", "ed25519"] {
        assert!(report.contains(&format!("| query:{call} ")), "{report}");
    }
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

/// The SDK's `rust-version` (sdk/Cargo.toml): the oldest Rust a contract
/// linking capheap builds on.
fn sdk_rust_version() -> String {
    let text = std::fs::read_to_string(repo().join("sdk/Cargo.toml")).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("rust-version = \""))
        .and_then(|rest| rest.strip_suffix('"'))
        .expect("sdk/Cargo.toml states its own rust-version")
        .to_owned()
}

/// A contract author whose toolchain is pinned at the SDK's `rust-version`
/// (edition 2024's first release) scaffolds, builds and reports a contract
/// with that toolchain's cargo and rustc: the SDK builds there, with every
/// feature, and the contract meets its scenario. Needs that toolchain with
/// the wasm32 target (`.ci/run` installs it from sdk/Cargo.toml).
#[test]
#[ignore = "needs the rustup toolchain named by sdk/Cargo.toml's rust-version, \
            with the wasm32-unknown-unknown target; .ci/run installs it and runs this"]
fn a_new_contract_builds_and_runs_on_the_sdks_rust_version() {
    let version = sdk_rust_version();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("my-contract");
    let d = dir.to_str().unwrap();
    ok(sim().args(["new", d]));
    let pinned = |args: &[&str]| {
        let mut cmd = Command::new("rustup");
        cmd.args(["run", &version])
            .arg(assert_cmd::cargo::cargo_bin("capheap-sim"))
            .args(args)
            // As from the author's shell: the outer `cargo test` names its
            // own cargo, and its `RUSTUP_TOOLCHAIN_SOURCE` (`default`),
            // which `rustup run` leaves in place, would mark the pinned
            // toolchain as leaked.
            .env_remove("CARGO")
            .env_remove("RUSTC")
            .env_remove("RUSTUP_TOOLCHAIN_SOURCE");
        cmd
    };
    let out = pinned(&["build", d]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    // The build names the compiler's version, read from the wasm.
    assert!(
        stderr.contains(&format!(" (rustc {version}.")),
        "not built by rustc {version}: {stderr}"
    );
    let scenario = dir.join("scenario.toml");
    let report = ok(&mut pinned(&["report", "-q", scenario.to_str().unwrap()]));
    assert!(report.contains("my-contract: deterministic"), "{report}");

    // The same toolchain pinned by the crate's rust-toolchain.toml, as
    // cargo-stylus requires and CosmWasm projects do: `build` runs where the
    // crate is, so rustup picks it without `rustup run`.
    std::fs::write(
        dir.join("rust-toolchain.toml"),
        format!("[toolchain]\nchannel = \"{version}\"\ntargets = [\"wasm32-unknown-unknown\"]\n"),
    )
    .unwrap();
    let out = sim()
        .args(["build", d, "--target-dir", "pinned-target"])
        .env_remove("RUSTC")
        .env_remove("CARGO")
        .env_remove("RUSTUP_TOOLCHAIN")
        .current_dir(tmp.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!(" (rustc {version}.")),
        "the crate's rust-toolchain.toml was not honoured: {stderr}"
    );
    // A relative --target-dir is the caller's, not the crate's.
    assert!(tmp.path().join("pinned-target").is_dir());
}

/// Initial pages of memory 0 of the module at `path`.
fn initial_pages(path: &str) -> u64 {
    let wasm = std::fs::read(path.trim()).unwrap();
    for payload in wasmparser::Parser::new(0).parse_all(&wasm) {
        if let Ok(wasmparser::Payload::MemorySection(reader)) = payload {
            return reader.into_iter().next().unwrap().unwrap().initial;
        }
    }
    panic!("{path}: no memory");
}

/// The contract's `.cargo/config.toml` flags reach rustc beside the
/// pipeline's, as a target's `rustflags` or as `build.rustflags`: a Stylus
/// project's `-zstack-size` shrinks the stack, and so the memory the
/// contract starts with (and pays for on every call).
#[test]
fn a_contract_s_cargo_config_rustflags_are_applied() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("small-stack");
    let d = dir.to_str().unwrap();
    ok(sim().args(["new", d]));
    let target = tmp.path().join("target");
    let t = target.to_str().unwrap();
    let default = initial_pages(&ok(sim().args(["build", d, "--target-dir", t, "-q"])));
    // rustc's default stack is 1 MiB: 16 pages, and the data above it.
    assert!(default > 16, "{default} pages");
    std::fs::create_dir_all(dir.join(".cargo")).unwrap();
    std::fs::write(
        dir.join(".cargo/config.toml"),
        "[target.wasm32-unknown-unknown]\nrustflags = [\"-C\", \"link-arg=-zstack-size=65536\"]\n",
    )
    .unwrap();
    let small = initial_pages(&ok(sim().args(["build", d, "--target-dir", t, "-q"])));
    assert!(small < 4, "a 64 KiB stack: {small} pages, not {default}");
    // The pipeline's own flags still apply: the scaffold links, and it
    // answers the same.
    let run = ok(sim().args(["run", d, "-q", "--call", "reverse", "--input", "0x616263"]));
    assert!(run.contains("output:   0x636261"), "{run}");

    // The same flag as `build.rustflags`, in the parent directory's config
    // (cargo reads every ancestor's): a target key of the pipeline's would
    // make cargo drop it, so the pipeline passes it on itself.
    std::fs::remove_dir_all(dir.join(".cargo")).unwrap();
    std::fs::create_dir_all(tmp.path().join(".cargo")).unwrap();
    std::fs::write(
        tmp.path().join(".cargo/config.toml"),
        "[build]\nrustflags = [\"-C\", \"link-arg=-zstack-size=131072\"]\n",
    )
    .unwrap();
    let built = ok(sim().args(["build", d, "--target-dir", t, "-q"]));
    let build_key = initial_pages(&built);
    assert!(
        build_key > small && build_key < 5,
        "a 128 KiB stack from build.rustflags: {build_key} pages (64 KiB: {small}, none: {default})"
    );
    let run = ok(sim().args([
        "run",
        built.trim(),
        "-q",
        "--call",
        "reverse",
        "--input",
        "0x616263",
    ]));
    assert!(run.contains("output:   0x636261"), "{run}");
}
