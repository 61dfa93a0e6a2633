#!/bin/bash -eu
# Builds capheap's fuzz targets for ClusterFuzzLite / OSS-Fuzz and copies
# them, with their seed corpora where there are any, to $OUT.
#
# Runs locally too, as far as it goes without the OSS-Fuzz image:
#   SRC=$PWD/.. OUT=/tmp/cflite-out bash .clusterfuzzlite/build.sh
# (needs nightly Rust and cargo-fuzz; see docs/src/fuzzing.md).
#
# `contract_calls` fuzzes a built contract (contracts/hello) that it finds
# through a path fixed at compile time; the OSS-Fuzz runner has no wasm32
# toolchain to build it and a different filesystem, so it is left out here
# and runs in .ci/run instead. The other targets need nothing but themselves.
SRC=${SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
OUT=${OUT:?set OUT to the directory that receives the fuzzers}
cd "$SRC/capheap/fuzz" 2>/dev/null || cd "$(dirname "$0")/../fuzz"

TARGETS=(heap_ops mini_ops heap_determinism sim_module sim_host snapshot_decode scenario_parse arena_pool)
mkdir -p "$OUT"
for target in "${TARGETS[@]}"; do
  cargo fuzz build -O "$target"
done
triple=$(rustc -vV | sed -n 's/^host: //p')
for target in "${TARGETS[@]}"; do
  cp "target/$triple/release/$target" "$OUT/"
  # The seed corpus: the local corpus and the inputs that once crashed the
  # target (fuzz/regressions/), so the regressions are always replayed.
  seeds=()
  for dir in "corpus/$target" "regressions/$target"; do
    if [ -d "$dir" ] && [ -n "$(ls -A "$dir")" ]; then
      seeds+=("$dir")
    fi
  done
  if [ ${#seeds[@]} -gt 0 ]; then
    zip -q -j -r "$OUT/${target}_seed_corpus.zip" "${seeds[@]}"
  fi
done
echo "built ${#TARGETS[@]} fuzzers into $OUT"
