#!/usr/bin/env bash
# The book: render it (docs/book/index.html) and check that every Rust
# sample in it compiles, and runs unless marked no_run, against this
# checkout's capheap and capheap-sim. Needs mdbook 0.5.4:
#   cargo install mdbook --locked --version 0.5.4 --no-default-features --features search
#
# `mdbook test -L <dir>` needs exactly one candidate for each crate a
# sample names, and the workspace's target/debug/deps holds several builds
# of capheap (one per feature set its users ask for). So capheap-sim's
# library is built in the workspace's own target directory, reusing what
# was compiled there before, and exactly the files of that build are linked
# into target/mdbook/deps for mdbook. After `cargo test --workspace` and
# scripts/publish-dry-run.sh (CI's order) only capheap and capheap-sim
# compile again; after the tests alone, also the dependencies whose
# features differ when capheap-sim is built by itself (15 of them).
set -euo pipefail
cd "$(dirname "$0")/.."

deps=target/mdbook/deps
rm -rf "$deps"
mkdir -p "$deps"
# One JSON message per compiled (or fresh) crate; its libraries are its
# .rlib files and, for a proc macro, its .so.
cargo build -p capheap-sim --lib --message-format=json-render-diagnostics |
  grep '"reason":"compiler-artifact"' |
  grep -o '"filenames":\[[^]]*\]' |
  grep -o '"[^"]*\.\(rlib\|so\)"' |
  tr -d '"' |
  while IFS= read -r lib; do
    ln -f "$lib" "$deps/" 2>/dev/null || cp "$lib" "$deps/"
  done
mdbook build docs
mdbook test docs -L "$deps"
