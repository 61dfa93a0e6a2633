//! `contracts/alloc-bench` built with the capheap allocator and with the bump
//! floor, every workload run in the simulator: real Rust collections
//! (`Box`, `Vec`, `BTreeMap`, `String`) on top of the allocator in wasm must
//! compute exactly what the same code computes on the host.
//!
//! No timing and no fuel threshold here: fuel is only compared across
//! identical runs, which must replay exactly.

#[path = "../../../contracts/alloc-bench/src/workloads.rs"]
mod workloads;

use capheap_sim::{BuildOptions, Contract, build_contract};
use capheap_tests::{contract_dir, repo_root, u32_args};

/// Builds `alloc-bench` with allocator feature `variant` only, into the same
/// per-variant target directory the benchmark runner uses.
fn build_variant(variant: &str) -> Contract {
    build_with(variant, &[variant], variant)
}

/// Builds `alloc-bench` with `features` (and not the default) into
/// `contracts/target/alloc-bench/<dir>`.
fn build_with(variant: &str, features: &[&str], dir: &str) -> Contract {
    let opts = BuildOptions {
        target_dir: Some(repo_root().join("contracts/target/alloc-bench").join(dir)),
        no_default_features: true,
        features: features.iter().map(|f| f.to_string()).collect(),
        ..BuildOptions::default()
    };
    let built = build_contract(&contract_dir("alloc-bench"), &opts)
        .unwrap_or_else(|e| panic!("building alloc-bench with `{variant}`: {e}"));
    Contract::from_bytes(&built.wasm).unwrap()
}

#[test]
fn the_large_window_exports_compute_the_host_checksums_under_capheap() {
    // The benchmark runner's `large-windows` build of the capheap variant.
    let contract = build_with("capheap", &["capheap", "large-windows"], "capheap+windows");
    // The plain build does not have them: its code size is the one reported.
    let plain = build_variant("capheap");
    for window in workloads::LARGE_WINDOWS {
        let export = format!("large_buffers_w{window}");
        assert!(
            plain.instantiate().unwrap().call(&export, &[]).is_err(),
            "{export} is in the plain build"
        );
        for n in [0u32, 1, 300] {
            let expected = workloads::large_buffers_window(window, n).unwrap();
            let out = contract
                .instantiate()
                .unwrap()
                .call(&export, &n.to_le_bytes())
                .unwrap_or_else(|e| panic!("{export}({n}): {e}"));
            assert_eq!(
                out.returned.map(|v| v as u32),
                Some(expected),
                "{export}({n}): wrong checksum"
            );
        }
    }
    // Window 4 is `large_buffers` itself; the host copies agree.
    assert_eq!(
        workloads::large_buffers_window(workloads::LARGE_WINDOW, 300),
        Some(workloads::large_buffers(300))
    );
    assert_eq!(workloads::large_buffers_window(5, 300), None);
    // Every buffer is checked once (when freed or at the end), so the sum
    // does not depend on the window: a buffer another allocation overwrote
    // is what changes it.
    assert_eq!(
        workloads::large_buffers_window(4, 300),
        workloads::large_buffers_window(256, 300)
    );
}

#[test]
fn workloads_compute_the_host_checksums_under_capheap_and_bump() {
    // Independent of the shared source: workload (1) sums 2 * (i mod 256).
    let n = 300u32;
    let closed_form = (0..n).fold(0u32, |s, i| s.wrapping_add(2 * (i % 256)));
    assert_eq!(workloads::alloc_free(n), closed_form);

    // `MiniHeap`'s smallest configuration (every realloc moves) reports
    // `MiniHeap`'s id: the benchmark measures it against `capheap-mini`.
    for (variant, id) in [("bump", 1), ("capheap", 2), ("capheap-mini-moving", 8)] {
        let contract = build_variant(variant);
        let reported = contract
            .instantiate()
            .unwrap()
            .call("allocator_id", &[])
            .unwrap()
            .returned;
        assert_eq!(reported, Some(id), "{variant}: wrong allocator linked");
        if variant != "bump" {
            assert_realloc_at_top(&contract, variant, variant == "capheap");
        }
        for n in [0u32, 1, n] {
            for (name, workload) in workloads::WORKLOADS {
                let expected = workload(n);
                let input = n.to_le_bytes();
                let first = contract
                    .instantiate()
                    .unwrap()
                    .call(name, &input)
                    .unwrap_or_else(|e| panic!("{variant} {name}({n}): {e}"));
                assert_eq!(
                    first.returned.map(|v| v as u32),
                    Some(expected),
                    "{variant} {name}({n}): wrong checksum"
                );
                let again = contract.instantiate().unwrap().call(name, &input).unwrap();
                assert_eq!(
                    first, again,
                    "{variant} {name}({n}): a fresh instance must replay exactly"
                );
            }
        }
    }
}

/// The first block of a fresh instance lies at the heap's top: growing it
/// from 1,024 to 2,048 bytes stays in place when in-place realloc is on
/// (`Heap`'s default) and moves when it is off (`capheap-mini-moving`,
/// `Config::realloc_in_place(false)`): the feature did what it says, which
/// the allocator id alone cannot show.
fn assert_realloc_at_top(contract: &Contract, variant: &str, in_place: bool) {
    let mut instance = contract.instantiate().unwrap();
    let p = instance
        .call("one_alloc", &1024u32.to_le_bytes())
        .unwrap()
        .returned
        .unwrap();
    assert_ne!(p, 0, "{variant}: one_alloc(1024) failed");
    let q = instance
        .call("one_realloc", &u32_args(&[p as u32, 1024, 2048]))
        .unwrap()
        .returned
        .unwrap();
    assert_ne!(q, 0, "{variant}: one_realloc to 2048 failed");
    assert_eq!(
        q == p,
        in_place,
        "{variant}: realloc of the top block from {p:#x} returned {q:#x}"
    );
}
