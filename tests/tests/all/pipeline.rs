//! The contract build pipeline: reproducible output, skipped rebuilds, and an
//! error that names the fix when no wasm toolchain exists.

use std::path::Path;

use capheap_sim::pipeline::{
    BuildError, BuildOptions, INSTALL_HINT, build_contract, detect_toolchain,
    location_dependent_crates,
};
use capheap_tests::{build, contract_dir};

#[test]
fn rebuild_into_a_fresh_target_dir_is_byte_identical() {
    let first = build("hello");
    let fresh = tempfile::tempdir().unwrap();
    let opts = BuildOptions {
        target_dir: Some(fresh.path().to_owned()),
        ..BuildOptions::default()
    };
    let second = build_contract(&contract_dir("hello"), &opts).unwrap();
    assert_ne!(first.wasm_path, second.wasm_path);
    assert!(second.wasm_path.starts_with(fresh.path()));
    assert_eq!(
        first.wasm, second.wasm,
        "two builds of one source must be byte-identical"
    );
}

#[test]
fn second_build_reuses_the_artifact() {
    let first = build("hello");
    let modified = std::fs::metadata(&first.wasm_path)
        .unwrap()
        .modified()
        .unwrap();
    let second = build("hello");
    assert_eq!(first.wasm, second.wasm);
    assert_eq!(
        std::fs::metadata(&second.wasm_path)
            .unwrap()
            .modified()
            .unwrap(),
        modified,
        "nothing changed, so cargo must not relink the contract"
    );
}

/// A fake `rustc` that answers `--print` like a compiler without wasm32 std and
/// without library source.
fn fake_rustc(dir: &Path) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let sysroot = dir.join("sysroot");
    std::fs::create_dir_all(sysroot.join("lib")).unwrap();
    let script = dir.join("rustc");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\ncase \"$*\" in\n  *target-libdir*) echo {0}/lib ;;\n  *sysroot*) echo {0} ;;\n  *) exit 1 ;;\nesac\n",
            sysroot.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    script
}

#[test]
fn missing_toolchain_error_names_both_fixes() {
    let dir = tempfile::tempdir().unwrap();
    let rustc = fake_rustc(dir.path());
    let opts = BuildOptions {
        rustc: rustc.clone(),
        build_std_rustc: rustc,
        ..BuildOptions::default()
    };
    let err = build_contract(&contract_dir("hello"), &opts).unwrap_err();
    assert!(matches!(err, BuildError::NoWasmToolchain { .. }), "{err}");
    let message = err.to_string();
    assert!(
        message.contains("rustup target add wasm32-unknown-unknown"),
        "{message}"
    );
    assert!(
        message.contains("apt-get install rustc-web rust-web-src"),
        "{message}"
    );
    assert!(
        message.contains("has no wasm32-unknown-unknown standard library"),
        "{message}"
    );
    assert!(message.contains("has no library source"), "{message}");
    assert!(message.contains(INSTALL_HINT));
}

#[test]
fn a_rustc_that_does_not_exist_is_reported() {
    let opts = BuildOptions {
        rustc: "/nonexistent/rustc".into(),
        build_std_rustc: "/nonexistent/rustc-web".into(),
        ..BuildOptions::default()
    };
    let message = detect_toolchain(&opts).unwrap_err().to_string();
    assert!(
        message.contains("/nonexistent/rustc cannot run"),
        "{message}"
    );
    assert!(
        message.contains("/nonexistent/rustc-web cannot run"),
        "{message}"
    );
}

/// The -Zbuild-std route with Debian's `rustc-web`, which ships no linker:
/// every contract of this repository with a scenario, and cw20-base on
/// capheap through the allocator swap (`-Zbuild-std=std,panic_abort`),
/// builds, links with Debian's `wasm-ld-<LLVM major>`, meets its scenario's
/// expectations, and returns what the build on the installed target returns,
/// call by call. (Fuel differs: the standard library is compiled with the
/// contract's profile and by another compiler.) cw20-base also needs
/// `ALLOW_UNDEFINED` from rustc 1.96 on, which Debian's compiler is. One
/// real contract, not all: each compiles its whole dependency tree and the
/// standard library again with this compiler (minutes on two cores), and a
/// second one would test the same route.
#[test]
#[ignore = "needs Debian's rustc-web, rust-web-src and lld-<N>: \
            `bash scripts/setup-wasm-toolchain.sh --build-std` installs them; .ci/run runs this"]
fn the_build_std_route_builds_the_contracts_and_they_behave_alike() {
    use capheap_sim::pipeline::DEBIAN_RUSTC;
    use capheap_sim::scenario_file::{ContractSource, ScenarioFile};
    use capheap_sim::{Allocator, Toolchain};

    let target = tempfile::tempdir().unwrap();
    // Debian's compiler has no wasm32 standard library, so probing it first
    // falls through to the build-std route.
    let opts = BuildOptions {
        rustc: DEBIAN_RUSTC.into(),
        target_dir: Some(target.path().to_owned()),
        ..BuildOptions::default()
    };
    let route = detect_toolchain(&opts).unwrap();
    let Toolchain::BuildStd {
        rustc,
        linker: Some(linker),
    } = &route
    else {
        panic!("expected the build-std route with a linker of its own, got {route}");
    };
    assert_eq!(rustc, Path::new(DEBIAN_RUSTC));
    let linker_name = linker.file_name().unwrap().to_string_lossy();
    assert!(linker_name.starts_with("wasm-ld"), "{}", linker.display());
    let ours = ["hello", "capped-heap", "gas-aware", "word-stats"].map(|s| (s, None));
    let real = [("chains/cw20-base", Some(Allocator::Capheap))];
    for (scenario, allocator) in ours.into_iter().chain(real) {
        let path = capheap_tests::repo_root()
            .join("scenarios")
            .join(format!("{scenario}.toml"));
        let file = ScenarioFile::load(&path).unwrap();
        let ContractSource::Crate(dir) = &file.contract else {
            panic!("{scenario}: the scenario names a crate");
        };
        let built = build_contract(
            dir,
            &BuildOptions {
                allocator,
                ..opts.clone()
            },
        )
        .unwrap_or_else(|e| panic!("{scenario}: {e}"));
        assert_eq!(built.toolchain, route);
        assert!(built.wasm_path.starts_with(target.path()));
        let name = dir.file_name().unwrap().to_str().unwrap();
        let installed = match allocator {
            None => build(name),
            Some(allocator) => capheap_tests::real::build_real(name, allocator),
        };
        assert_ne!(
            built.wasm, installed.wasm,
            "{scenario}: two compilers gave the same bytes"
        );
        let run = |wasm: &[u8]| {
            file.simulator_builder(wasm, None)
                .build()
                .unwrap()
                .load(wasm)
                .unwrap()
                .run_scenario(&file.scenario(), 0)
                .unwrap()
        };
        let (std_run, target_run) = (run(&built.wasm), run(&installed.wasm));
        assert_eq!(
            file.misses(&std_run.calls),
            Vec::<String>::new(),
            "{scenario}"
        );
        assert_eq!(std_run.calls.len(), target_run.calls.len());
        // What a call answers and leaves in storage, less what depends on
        // where the linker put the heap: capped-heap's `ok <address>` reply,
        // and the pointer of a region a call returns (only a call without
        // output or chain response returns its result as the value).
        let answer = |o: &capheap_sim::CallOutcome| {
            let output = if o.output.starts_with(b"ok ") {
                b"ok".to_vec()
            } else {
                o.output.clone()
            };
            let value = (o.output.is_empty() && o.chain.is_none()).then_some(o.returned);
            (
                output,
                value,
                o.chain.clone(),
                o.storage_root,
                o.error.is_some(),
            )
        };
        for (a, b) in std_run.calls.iter().zip(&target_run.calls) {
            assert_eq!(
                answer(&a.outcome),
                answer(&b.outcome),
                "{scenario}: call {} ({})",
                a.index,
                a.label
            );
        }
    }
}

#[test]
fn a_directory_without_a_crate_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let err = build_contract(dir.path(), &BuildOptions::default()).unwrap_err();
    assert!(matches!(err, BuildError::NotACrate(_)), "{err}");
}

/// Which allocator a build of `contracts/alloc-bench` links, as its
/// `allocator_id()` export reports it (bump 1, talc 4).
fn allocator_id(opts: &BuildOptions) -> Result<i64, BuildError> {
    let built = build_contract(&contract_dir("alloc-bench"), opts)?;
    let contract = capheap_sim::Contract::from_bytes(&built.wasm).unwrap();
    let outcome = contract
        .instantiate()
        .unwrap()
        .call("allocator_id", &[])
        .unwrap();
    Ok(outcome.returned.unwrap())
}

#[test]
fn cargo_features_are_honoured() {
    let target = |name: &str| {
        capheap_tests::repo_root()
            .join("contracts/target/alloc-bench")
            .join(name)
    };
    // Default features: alloc-bench's default is the bump allocator.
    let default = BuildOptions {
        target_dir: Some(target("default")),
        ..BuildOptions::default()
    };
    assert_eq!(allocator_id(&default).unwrap(), 1);
    // --no-default-features --features talc: talc, and only talc.
    let talc = BuildOptions {
        target_dir: Some(target("talc")),
        no_default_features: true,
        features: vec!["talc".to_owned()],
        ..BuildOptions::default()
    };
    assert_eq!(allocator_id(&talc).unwrap(), 4);
    // --features talc alone keeps the default `bump` on as well, which
    // alloc-bench refuses at compile time: the default features were passed.
    let both = BuildOptions {
        no_default_features: false,
        ..talc
    };
    let err = allocator_id(&both).unwrap_err();
    assert!(
        matches!(&err, BuildError::CargoFailed { stderr, .. } if stderr.contains("exactly one allocator feature")),
        "{err}"
    );
}

/// Whether `needle` occurs in `haystack` (the wasm name section keeps
/// crate paths in function names).
fn mentions(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[test]
fn the_allocator_swap_really_swaps_and_leaves_the_crate_alone() {
    use capheap_sim::Allocator;
    use capheap_tests::real::build_real;
    let real = capheap_tests::repo_root().join("contracts/real");
    let lock = std::fs::read(real.join("Cargo.lock")).unwrap();
    // CosmWasm: Rust's dlmalloc, or capheap as #[global_allocator].
    let default = build_real("cw20-base", Allocator::Default);
    let capheap = build_real("cw20-base", Allocator::Capheap);
    assert!(mentions(&default.wasm, "dlmalloc") && !mentions(&default.wasm, "capheap"));
    assert!(mentions(&capheap.wasm, "capheap") && !mentions(&capheap.wasm, "dlmalloc"));
    assert_eq!(default.name, "real-cw20-base");
    // Stylus: stylus-sdk's mini-alloc, or the patched mini-alloc backed by capheap.
    let default = build_real("oz-erc20", Allocator::Default);
    let capheap = build_real("oz-erc20", Allocator::Capheap);
    assert!(mentions(&default.wasm, "mini_alloc") && !mentions(&default.wasm, "capheap"));
    assert!(mentions(&capheap.wasm, "capheap"));
    // Nothing of the contract's workspace changed: its lock pins the versions.
    assert_eq!(std::fs::read(real.join("Cargo.lock")).unwrap(), lock);
    // A second build reuses the artifact.
    let modified = |p: &Path| std::fs::metadata(p).unwrap().modified().unwrap();
    let before = modified(&capheap.wasm_path);
    let again = build_real("oz-erc20", Allocator::Capheap);
    assert_eq!(again.wasm, capheap.wasm);
    assert_eq!(
        modified(&again.wasm_path),
        before,
        "the second build relinked"
    );
}

#[test]
fn the_allocator_swap_needs_an_rlib() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    std::fs::write(
        dir.path().join("Cargo.toml"),
        "[package]\nname = \"only-cdylib\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\
         [lib]\ncrate-type = [\"cdylib\"]\n[workspace]\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("src/lib.rs"), "#![no_std]\n").unwrap();
    let opts = BuildOptions {
        allocator: Some(capheap_sim::Allocator::Capheap),
        target_dir: Some(dir.path().join("target")),
        ..BuildOptions::default()
    };
    let err = build_contract(dir.path(), &opts).unwrap_err();
    assert!(matches!(err, BuildError::AllocatorSwap { .. }), "{err}");
    assert!(
        err.to_string().contains("add \"rlib\" to `crate-type`"),
        "{err}"
    );
}

/// Writes a `cdylib` + `rlib` contract crate named `moved-contract` at `dir`
/// whose one export, `export`, allocates (so the allocator is linked).
fn allocating_contract(dir: &Path, export: &str) {
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"moved-contract\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\
         [lib]\ncrate-type = [\"cdylib\", \"rlib\"]\n[workspace]\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("src/lib.rs"),
        format!(
            "#[no_mangle]\npub extern \"C\" fn {export}(n: u32) -> u32 {{\n    \
                 let v: Vec<u32> = (0..n).collect();\n    \
                 sum(&v)\n}}\n\
             #[inline(never)]\nfn sum(v: &[u32]) -> u32 {{\n    v.iter().sum()\n}}\n"
        ),
    )
    .unwrap();
}

/// Builds the crate at `dir` on capheap through the allocator swap, with
/// the SDK at `sdk` (`None`: this repository's).
fn build_on_capheap(
    dir: &Path,
    target_dir: &Path,
    sdk: Option<&Path>,
) -> capheap_sim::BuiltContract {
    let opts = BuildOptions {
        allocator: Some(capheap_sim::Allocator::Capheap),
        target_dir: Some(target_dir.to_owned()),
        capheap_path: sdk.map(Path::to_owned),
        ..BuildOptions::default()
    };
    build_contract(dir, &opts).unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
}

/// Sets the modification time of every file under `dir` to a day after
/// the epoch: older than any build output.
fn make_old(dir: &Path) {
    let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(86_400);
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            make_old(&path);
        } else {
            let file = std::fs::File::options().append(true).open(&path).unwrap();
            file.set_modified(old).unwrap();
        }
    }
}

/// A copy of the SDK in a workspace of its own at `dir` (its manifest
/// inherits the workspace's fields), exporting `marker` as well.
fn sdk_copy(dir: &Path, marker: &str) -> std::path::PathBuf {
    let repo = capheap_tests::repo_root();
    let root = std::fs::read_to_string(repo.join("Cargo.toml")).unwrap();
    let members = root.lines().find(|l| l.starts_with("members = ")).unwrap();
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        root.replace(members, "members = [\"sdk\"]"),
    )
    .unwrap();
    let sdk = dir.join("sdk");
    for file in ["Cargo.toml", "README.md"] {
        std::fs::create_dir_all(&sdk).unwrap();
        std::fs::copy(repo.join("sdk").join(file), sdk.join(file)).unwrap();
    }
    copy_tree(&repo.join("sdk/src"), &sdk.join("src"));
    let lib = sdk.join("src/lib.rs");
    let mut text = std::fs::read_to_string(&lib).unwrap();
    text.push_str(&format!(
        "\n/// Marks this copy.\n#[unsafe(no_mangle)]\npub extern \"C\" fn {marker}() -> u32 {{\n    7\n}}\n"
    ));
    std::fs::write(&lib, text).unwrap();
    sdk
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let dest = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_tree(&path, &dest);
        } else {
            std::fs::copy(&path, &dest).unwrap();
        }
    }
}

/// Writes a crate `helper` at `dir/helper` and makes it a dependency of the
/// contract at `dir/contract` (`section`: `dependencies` or
/// `dev-dependencies`) by the path `../helper`, outside the contract's
/// workspace.
fn helper_beside(dir: &Path, section: &str) {
    let helper = dir.join("helper");
    std::fs::create_dir_all(helper.join("src")).unwrap();
    std::fs::write(
        helper.join("Cargo.toml"),
        "[package]\nname = \"helper\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    )
    .unwrap();
    std::fs::write(
        helper.join("src/lib.rs"),
        "pub fn twice(n: u32) -> u32 {\n    n.wrapping_mul(2)\n}\n",
    )
    .unwrap();
    let manifest = dir.join("contract/Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let dep = format!("[{section}]\nhelper = {{ path = \"../helper\" }}\n[workspace]");
    std::fs::write(&manifest, text.replace("[workspace]", &dep)).unwrap();
}

#[test]
fn the_allocator_swap_does_not_depend_on_where_the_contract_lives() {
    // The same crate in two directories: cargo hashes a path dependency's
    // location into its symbols unless the wrapper reaches it by a path
    // relative to itself, and the name section keeps those symbols. A
    // dev-dependency outside the workspace is not built: it changes nothing.
    let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    for dir in [one.path(), two.path()] {
        allocating_contract(&dir.join("contract"), "sum_to");
        helper_beside(dir, "dev-dependencies");
    }
    let opts = BuildOptions {
        allocator: Some(capheap_sim::Allocator::Capheap),
        ..BuildOptions::default()
    };
    let moving = location_dependent_crates(&one.path().join("contract"), &opts).unwrap();
    assert_eq!(moving, Vec::<std::path::PathBuf>::new());
    let built = |dir: &Path| build_on_capheap(&dir.join("contract"), &dir.join("target"), None);
    let (first, second) = (built(one.path()), built(two.path()));
    assert!(mentions(&first.wasm, "capheap") && mentions(&first.wasm, "sum_to"));
    assert!(
        mentions(&first.wasm, "moved_contract"),
        "no symbol of the contract crate"
    );
    assert!(
        first.wasm == second.wasm,
        "the wasm depends on the checkout path"
    );
}

#[test]
fn the_allocator_swap_rebuilds_when_its_links_point_elsewhere() {
    // One target directory: the wrapper's links move to another contract
    // of the same name, then to another SDK. Behind a link a crate keeps
    // its path, and the files behind it are older than the first build's
    // outputs: cargo, comparing modification times, would call that build
    // fresh.
    let dir = tempfile::tempdir().unwrap();
    let (first, second) = (dir.path().join("first"), dir.path().join("second"));
    allocating_contract(&second, "second_export");
    let sdk = sdk_copy(&dir.path().join("sdk-copy"), "sdk_copy_marker");
    make_old(&second);
    make_old(&dir.path().join("sdk-copy"));
    allocating_contract(&first, "first_export");
    let target = dir.path().join("target");
    let built = build_on_capheap(&first, &target, None);
    assert!(mentions(&built.wasm, "first_export"));
    let built = build_on_capheap(&second, &target, None);
    assert!(
        mentions(&built.wasm, "second_export") && !mentions(&built.wasm, "first_export"),
        "the build behind the moved contract link was taken as fresh"
    );
    assert!(!mentions(&built.wasm, "sdk_copy_marker"));
    let built = build_on_capheap(&second, &target, Some(&sdk));
    assert!(
        mentions(&built.wasm, "sdk_copy_marker"),
        "the build behind the moved SDK link was taken as fresh"
    );
}

#[test]
fn the_allocators_share_one_build_directory_and_keep_their_own_heaps() {
    // A Stylus-style contract: its global allocator is mini-alloc's, which
    // the swap replaces by a shim crate backed by `capheap::Heap` or
    // `capheap::mini::MiniHeap`. Every allocator builds in one directory
    // (so what they have in common compiles once); the two shims are
    // different crates there, so a build never takes the other heap's shim
    // as fresh: capheap, then capheap-mini, then capheap again gives
    // capheap's bytes again (with one shim path for both, cargo compared
    // the unchanged shim's modification time with the newer output of the
    // other heap's and linked MiniHeap into the capheap build).
    let dir = tempfile::tempdir().unwrap();
    let contract = dir.path().join("contract");
    allocating_contract(&contract, "sum_to");
    let manifest = contract.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let text = text.replace(
        "[workspace]",
        "[dependencies]\nmini-alloc = \"=0.9.2\"\n[workspace]",
    );
    std::fs::write(&manifest, text).unwrap();
    let lib = contract.join("src/lib.rs");
    let text = std::fs::read_to_string(&lib).unwrap();
    std::fs::write(
        &lib,
        format!(
            "#[global_allocator]\nstatic ALLOC: mini_alloc::MiniAlloc = mini_alloc::MiniAlloc::INIT;\n{text}"
        ),
    )
    .unwrap();
    let target = dir.path().join("target");
    let build = |allocator| {
        let opts = BuildOptions {
            allocator: Some(allocator),
            target_dir: Some(target.clone()),
            ..BuildOptions::default()
        };
        build_contract(&contract, &opts).unwrap_or_else(|e| panic!("{allocator}: {e}"))
    };
    use capheap_sim::Allocator;
    let heap = build(Allocator::Capheap);
    let mini = build(Allocator::CapheapMini);
    let heap_again = build(Allocator::Capheap);
    let default = build(Allocator::Default);
    for built in [&heap, &mini, &heap_again, &default] {
        assert!(built.wasm_path.starts_with(target.join("swap")));
        assert!(mentions(&built.wasm, "sum_to"));
    }
    // `capheap::mini`'s functions, by their mangled path.
    let mini_path = "7capheap4mini";
    assert!(mentions(&heap.wasm, "capheap") && !mentions(&heap.wasm, mini_path));
    assert!(mentions(&mini.wasm, mini_path));
    assert!(
        heap_again.wasm == heap.wasm,
        "the capheap build after capheap-mini's is not capheap's"
    );
    assert!(mentions(&default.wasm, "mini_alloc") && !mentions(&default.wasm, "capheap"));
}

#[test]
fn the_allocator_swap_builds_a_contract_with_path_dependencies_outside_its_workspace() {
    // `../helper` cannot be followed through a link (cargo resolves `..`
    // without following links): such a contract, and the SDK, are named by
    // their own paths, and the wasm depends on where all three live.
    let dir = tempfile::tempdir().unwrap();
    let contract = dir.path().join("contract");
    allocating_contract(&contract, "sum_to");
    helper_beside(dir.path(), "dependencies");
    let lib = contract.join("src/lib.rs");
    let text = std::fs::read_to_string(&lib).unwrap();
    std::fs::write(&lib, text.replace("sum(&v)", "helper::twice(sum(&v))")).unwrap();
    let built = build_on_capheap(&contract, &dir.path().join("target"), None);
    assert!(mentions(&built.wasm, "capheap") && mentions(&built.wasm, "sum_to"));

    let real = |p: &Path| p.canonicalize().unwrap();
    let plain = location_dependent_crates(&contract, &BuildOptions::default()).unwrap();
    assert_eq!(plain, [real(&dir.path().join("helper"))]);
    let swapped = BuildOptions {
        allocator: Some(capheap_sim::Allocator::Capheap),
        ..BuildOptions::default()
    };
    let sdk = capheap_sim::pipeline::default_capheap_path().unwrap();
    let mut expected = vec![
        real(&contract),
        real(&dir.path().join("helper")),
        real(&sdk),
    ];
    expected.sort();
    assert_eq!(
        location_dependent_crates(&contract, &swapped).unwrap(),
        expected
    );
}

#[test]
fn this_repositorys_contracts_do_not_depend_on_where_the_checkout_lives() {
    // They reach the SDK through `contracts/capheap-src`, a link inside their
    // workspace; `../sdk` would make every figure of the book depend on the
    // checkout's path.
    let repo = capheap_tests::repo_root();
    let mut checked = 0;
    for workspace in ["contracts", "contracts/real"] {
        for entry in std::fs::read_dir(repo.join(workspace)).unwrap() {
            let dir = entry.unwrap().path();
            // `real` is the other workspace; `capheap-src` the link.
            if !dir.join("Cargo.toml").is_file()
                || dir.ends_with("capheap-src")
                || dir.ends_with("real")
            {
                continue;
            }
            let allocators = if workspace == "contracts/real" {
                vec![None, Some(capheap_sim::Allocator::Capheap)]
            } else {
                vec![None]
            };
            for allocator in allocators {
                let opts = BuildOptions {
                    allocator,
                    ..BuildOptions::default()
                };
                let crates = location_dependent_crates(&dir, &opts).unwrap();
                assert!(
                    crates.is_empty(),
                    "{} on {allocator:?}: {crates:?}",
                    dir.display()
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 10, "only {checked} builds checked");
}
