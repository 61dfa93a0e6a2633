//! The contract build pipeline: reproducible output, skipped rebuilds, and an
//! error that names the fix when no wasm toolchain exists.

use std::path::Path;

use capheap_sim::pipeline::{
    BuildError, BuildOptions, INSTALL_HINT, build_contract, detect_toolchain,
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
