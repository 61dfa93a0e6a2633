#!/usr/bin/env bash
# Installs, with the wasm32 target, every Rust toolchain a contract of this
# repository pins in a rust-toolchain.toml (rustup picks it when capheap-sim
# builds that contract: cw20-base pins the SDK's rust-version, 1.85, because
# cosmwasm-vm refuses the bulk memory operators rustc 1.87 and later emit).
# Idempotent; does nothing without rustup (the -Zbuild-std route ignores the
# pin).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "pinned-toolchains: $*"; }

if ! command -v rustup >/dev/null 2>&1; then
  say "no rustup: contracts build with the compiler at hand"
  exit 0
fi
for file in contracts/*/rust-toolchain.toml contracts/*/*/rust-toolchain.toml; do
  [ -f "$file" ] || continue
  channel=$(sed -n 's/^channel = "\(.*\)"$/\1/p' "$file")
  if [ -z "$channel" ]; then
    say "$file names no channel"
    exit 1
  fi
  say "$file pins $channel"
  rustup toolchain install "$channel" --profile minimal --target wasm32-unknown-unknown
done
