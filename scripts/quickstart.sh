#!/usr/bin/env bash
# The main job: set up the wasm toolchain, build the example contracts,
# simulate them and print the fuel and pages they cost.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-wasm-toolchain.sh
cargo build --release --quiet -p capheap-sim
SIM=target/release/capheap-sim

WASM=$("$SIM" build contracts/hello)
echo
echo "== hello: reverse(\"capheap\")"
"$SIM" run "$WASM" --call reverse --input "$(printf capheap | od -An -tx1 | tr -d ' \n')"
echo
echo "== hello: checksum(README.md)"
"$SIM" run "$WASM" --call checksum --input @README.md
