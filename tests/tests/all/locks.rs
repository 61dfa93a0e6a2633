//! The fuzz harness (fuzz/, a workspace of its own, as cargo-fuzz wants it)
//! builds its tests in the root's target directory with the root's dev
//! profile (.cargo/config.toml), so that CI's `cargo clippy` and
//! `cargo test` in fuzz/ reuse the crates the workspace compiled. That holds
//! only for crates resolved to the same version: a newer patch release of
//! one crate in fuzz/Cargo.lock (ruint, say) gives it, and every crate
//! above it, another fingerprint, and the harness compiles them again.

use std::path::Path;

/// `(name, version)` of every package in the Cargo.lock `text`.
fn packages(text: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut name = None;
    for line in text.lines() {
        if let Some(n) = line.strip_prefix("name = \"") {
            name = n.strip_suffix('"');
        } else if let Some(v) = line.strip_prefix("version = \"")
            && let (Some(n), Some(v)) = (name.take(), v.strip_suffix('"'))
        {
            out.push((n, v));
        }
    }
    out
}

/// The semver-compatible series of `version`, within which cargo picks one
/// release: its major number, `0.minor`, or `0.0.patch`.
fn series(version: &str) -> Vec<&str> {
    let core = version.split(['-', '+']).next().unwrap_or(version);
    let parts: Vec<&str> = core.split('.').collect();
    let significant = parts
        .iter()
        .position(|p| *p != "0")
        .unwrap_or(parts.len() - 1);
    parts[..=significant].to_vec()
}

fn lock(path: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    std::fs::read_to_string(root.join(path)).unwrap()
}

#[test]
fn a_version_series_is_its_first_nonzero_number() {
    assert_eq!(series("1.17.2"), ["1"]);
    assert_eq!(series("0.228.0"), ["0", "228"]);
    assert_eq!(series("0.0.3"), ["0", "0", "3"]);
    assert_eq!(series("0.14.7+deprecated"), ["0", "14"]);
    assert_eq!(series("2.0.0-rc.1"), ["2"]);
    assert_ne!(series("0.22.1"), series("0.23.1"));
}

#[test]
fn the_fuzz_harness_resolves_what_it_shares_with_the_workspace_alike() {
    let (root, fuzz) = (lock("Cargo.lock"), lock("fuzz/Cargo.lock"));
    let root = packages(&root);
    let fuzz = packages(&fuzz);
    assert!(root.iter().any(|&(n, _)| n == "wasmi"), "{root:?}");
    assert!(fuzz.iter().any(|&(n, _)| n == "libfuzzer-sys"), "{fuzz:?}");
    let differ: Vec<String> = fuzz
        .iter()
        .flat_map(|&(name, version)| {
            root.iter()
                .filter(move |&&(n, v)| n == name && v != version && series(v) == series(version))
                .map(move |&(_, v)| {
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
