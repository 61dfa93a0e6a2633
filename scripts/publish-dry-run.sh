#!/usr/bin/env bash
# Check that both crates package and build from their packaged sources
# alone, as `cargo publish` would upload them: a dry run, nothing uploaded.
#
# A dry run of both crates builds capheap-sim against capheap from a
# temporary local registry, which cargo unpacks under
# $CARGO_HOME/registry/src/-<hash>/ and, on a later run, takes as it is when
# the version is the same: an earlier run's capheap source would be built
# instead of this checkout's. So those unpacked copies go first (only the
# temporary registries' directories start with `-`; crates.io's do not).
#
# The verification build shares the root's target directory and dev profile
# (.cargo/config.toml), so after `cargo test --workspace` only capheap and
# capheap-sim compile. Arguments go to `cargo publish` (e.g. --allow-dirty).
set -euo pipefail
cd "$(dirname "$0")/.."

registry_src="${CARGO_HOME:-$HOME/.cargo}/registry/src"
rm -rf "$registry_src"/-*/capheap-[0-9]* "$registry_src"/-*/capheap-sim-[0-9]*
exec cargo publish --dry-run -p capheap -p capheap-sim "$@"
