//! The real ecosystem contracts under `contracts/real/`, built with either
//! allocator through the pipeline's allocator swap.

use capheap_sim::{Allocator, BuildError, BuildOptions, BuiltContract, build_contract};

/// Builds `contracts/real/<name>` on `allocator` (cached: a second build is
/// a no-op).
pub fn try_build_real(name: &str, allocator: Allocator) -> Result<BuiltContract, BuildError> {
    let dir = crate::repo_root().join("contracts/real").join(name);
    let opts = BuildOptions {
        allocator: Some(allocator),
        ..BuildOptions::default()
    };
    build_contract(&dir, &opts)
}

/// [`try_build_real`] for tests: panics with the pipeline's error.
pub fn build_real(name: &str, allocator: Allocator) -> BuiltContract {
    try_build_real(name, allocator)
        .unwrap_or_else(|e| panic!("building contracts/real/{name} on {allocator}: {e}"))
}
