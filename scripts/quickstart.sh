#!/usr/bin/env bash
# The main job: set up the wasm toolchain, build the example contracts,
# simulate their scenarios and print the gas and determinism report.
# Memory timelines (SVG) land in target/timelines/.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-wasm-toolchain.sh
cargo build --release --quiet -p capheap-sim
exec target/release/capheap-sim report scenarios/*.toml --svg-dir target/timelines "$@"
