//! The real ecosystem contracts under `contracts/real/`, built with either
//! allocator through the pipeline's allocator swap.

use capheap_sim::{Allocator, BuildOptions, BuiltContract, build_contract};

/// Builds `contracts/real/<name>` on `allocator` (cached: a second build is
/// a no-op), panicking with the pipeline's error.
pub fn build_real(name: &str, allocator: Allocator) -> BuiltContract {
    let dir = crate::repo_root().join("contracts/real").join(name);
    let opts = BuildOptions {
        allocator: Some(allocator),
        ..BuildOptions::default()
    };
    build_contract(&dir, &opts)
        .unwrap_or_else(|e| panic!("building contracts/real/{name} on {allocator}: {e}"))
}
