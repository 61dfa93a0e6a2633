#!/usr/bin/env bash
# The main job: set up the wasm toolchain, build capheap-sim, and run its
# demo: real CosmWasm and Stylus contracts on their own allocator and on
# capheap, a leak stopped by its cap and found by the fuzzer, growth refused
# as a value, and the determinism verdict. The report lands in
# target/capheap-report/index.html (open it in a browser).
#
# The first run builds the real contracts from crates.io (a few minutes on
# two cores, with a progress display on a terminal); later runs reuse them.
# Arguments go to `capheap-sim demo` (e.g. --quiet, --json, --out <dir>).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-wasm-toolchain.sh
bash scripts/pinned-toolchains.sh
cargo build --release --quiet -p capheap-sim
exec target/release/capheap-sim demo "$@"
