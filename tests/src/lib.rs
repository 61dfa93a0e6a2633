//! End-to-end test support: builds the workspace's contracts to wasm32 with
//! capheap-sim's pipeline and loads them into the simulator.

use std::path::PathBuf;

use capheap_sim::{BuildOptions, BuiltContract, Contract, build_contract};

pub mod real;

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_owned()
}

/// The directory of contract `name` (`contracts/<name>`).
pub fn contract_dir(name: &str) -> PathBuf {
    repo_root().join("contracts").join(name)
}

/// The input of an export taking `u32` arguments: each argument's 4
/// little-endian bytes, in order (the layout the workspace's contracts read).
///
/// ```
/// assert_eq!(capheap_tests::u32_args(&[1, 0x0302]), [1, 0, 0, 0, 2, 3, 0, 0]);
/// ```
pub fn u32_args(args: &[u32]) -> Vec<u8> {
    args.iter().flat_map(|a| a.to_le_bytes()).collect()
}

/// Builds `contracts/<name>` to wasm32 into the shared contracts target
/// directory (a second build is a no-op), panicking with the pipeline's error.
pub fn build(name: &str) -> BuiltContract {
    build_contract(&contract_dir(name), &BuildOptions::default())
        .unwrap_or_else(|e| panic!("building contracts/{name}: {e}"))
}

/// Builds `contracts/<name>` and compiles it for the simulator.
pub fn load(name: &str) -> Contract {
    let built = build(name);
    Contract::from_bytes(&built.wasm)
        .unwrap_or_else(|e| panic!("loading {}: {e}", built.wasm_path.display()))
}

/// Builds `contracts/<name>` and compiles it with `simulator`.
pub fn load_with(name: &str, simulator: &capheap_sim::Simulator) -> Contract {
    let built = build(name);
    simulator
        .load(&built.wasm)
        .unwrap_or_else(|e| panic!("loading {}: {e}", built.wasm_path.display()))
}
