//! The fuzz harness (fuzz/, a workspace of its own, as cargo-fuzz wants it)
//! builds its tests in the root's target directory with the root's dev
//! profile (.cargo/config.toml), so that CI's `cargo clippy` and
//! `cargo test` in fuzz/ reuse the crates the workspace compiled. That holds
//! only for crates resolved to the same version: a newer patch release of
//! one crate in fuzz/Cargo.lock (ruint, say) gives it, and every crate
//! above it, another fingerprint, and the harness compiles them again.

use semver::{Version, VersionReq};

/// `(name, version)` of every package in the Cargo.lock at `path` (relative
/// to the checkout).
fn packages(path: &str) -> Vec<(String, Version)> {
    let path = capheap_tests::repo_root().join(path);
    let text = std::fs::read_to_string(&path).unwrap();
    let lock: toml::Table = text.parse().unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let packages = lock["package"].as_array().expect("[[package]] entries");
    packages
        .iter()
        .map(|p| {
            let field = |key: &str| p[key].as_str().unwrap_or_else(|| panic!("{p:?}: {key}"));
            (field("name").to_owned(), field("version").parse().unwrap())
        })
        .collect()
}

/// Whether cargo could pick either release for the other's requirement
/// (a caret requirement: the same major number, `0.minor` or `0.0.patch`).
/// Pre-release and build tags are left out of the comparison.
fn same_series(a: &Version, b: &Version) -> bool {
    let plain = |v: &Version| Version::new(v.major, v.minor, v.patch);
    let caret = |v: &Version| VersionReq::parse(&format!("^{}", plain(v))).unwrap();
    caret(a).matches(&plain(b)) || caret(b).matches(&plain(a))
}

#[test]
fn releases_are_of_one_series_as_cargo_resolves_them() {
    let v = |s: &str| s.parse::<Version>().unwrap();
    assert!(same_series(&v("1.17.2"), &v("1.21.1")));
    assert!(same_series(&v("1.21.1"), &v("1.17.2")));
    assert!(same_series(&v("0.228.0"), &v("0.228.4")));
    assert!(!same_series(&v("0.22.1"), &v("0.23.1")));
    assert!(!same_series(&v("0.0.3"), &v("0.0.4")));
    assert!(!same_series(&v("1.0.0"), &v("2.0.0")));
    assert!(same_series(&v("0.14.7+deprecated"), &v("0.14.9")));
    assert!(same_series(&v("2.0.0-rc.1"), &v("2.3.0")));
}

#[test]
fn the_fuzz_harness_resolves_what_it_shares_with_the_workspace_alike() {
    let (root, fuzz) = (packages("Cargo.lock"), packages("fuzz/Cargo.lock"));
    assert!(root.iter().any(|(n, _)| n == "wasmi"), "{root:?}");
    assert!(fuzz.iter().any(|(n, _)| n == "libfuzzer-sys"), "{fuzz:?}");
    let differ: Vec<String> = fuzz
        .iter()
        .flat_map(|(name, version)| {
            root.iter()
                .filter(move |(n, v)| n == name && v != version && same_series(v, version))
                .map(move |(_, v)| {
                    format!("{name} {version} (the workspace has {v}): cd fuzz && cargo update -p {name}@{version} --precise {v}")
                })
        })
        .collect();
    assert!(
        differ.is_empty(),
        "fuzz/Cargo.lock resolves crates of the workspace to other releases, which the \
         fuzz harness then compiles again:\n{}",
        differ.join("\n")
    );
}
