#!/usr/bin/env bash
# Installs, with the wasm32 target, every Rust toolchain a contract of this
# repository pins in a rust-toolchain.toml (rustup picks it when capheap-sim
# builds that contract: cw20-base pins the SDK's rust-version, 1.85, because
# cosmwasm-vm refuses the bulk memory operators rustc 1.87 and later emit),
# and the one `capheap-sim new --abi cosmwasm` names for its wasm.
# Idempotent; does nothing without rustup (the -Zbuild-std route ignores the
# pin).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "pinned-toolchains: $*"; }

if ! command -v rustup >/dev/null 2>&1; then
  say "no rustup: contracts build with the compiler at hand"
  exit 0
fi
install() {
  rustup toolchain install "$1" --profile minimal --target wasm32-unknown-unknown
}
for file in contracts/*/rust-toolchain.toml contracts/*/*/rust-toolchain.toml; do
  [ -f "$file" ] || continue
  channel=$(sed -n 's/^channel = "\(.*\)"$/\1/p' "$file")
  if [ -z "$channel" ]; then
    say "$file names no channel"
    exit 1
  fi
  say "$file pins $channel"
  install "$channel"
done
# `capheap-sim new --abi cosmwasm` pins its wasm to the SDK's rust-version
# (package.metadata.capheap-sim.wasm-toolchain), and the tests scaffold one.
sdk=$(sed -n 's/^rust-version = "\(.*\)"$/\1/p' sdk/Cargo.toml)
if [ -z "$sdk" ]; then
  say "sdk/Cargo.toml states no rust-version"
  exit 1
fi
say "the CosmWasm scaffold's wasm toolchain is the SDK's rust-version, $sdk"
install "$sdk"
