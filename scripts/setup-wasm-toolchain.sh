#!/usr/bin/env bash
# Makes sure this machine can build contracts to wasm32-unknown-unknown.
# Idempotent: does nothing where a wasm toolchain already works. Otherwise it
# tries `rustup target add wasm32-unknown-unknown`, then Debian's rustc-web
# packages (the -Zbuild-std route). Prints what it did; exits non-zero, saying
# what to install, when neither works.
set -euo pipefail

WASM=wasm32-unknown-unknown
DEBIAN_RUSTC=/usr/bin/rustc
APT_PACKAGES=(rustc-web rust-web-src rust-web-llvm lld-22)

say() { echo "setup-wasm-toolchain: $*"; }

# Same probes as capheap-sim's pipeline (runtime-sim/src/pipeline.rs).
target_installed() {
  local libdir
  libdir=$(rustc --print target-libdir --target "$WASM" 2>/dev/null) || return 1
  compgen -G "$libdir/libcore-*.rlib" >/dev/null
}
build_std_available() {
  [ -x "$DEBIAN_RUSTC" ] || return 1
  local sysroot
  sysroot=$("$DEBIAN_RUSTC" --print sysroot 2>/dev/null) || return 1
  [ -f "$sysroot/lib/rustlib/src/rust/library/core/Cargo.toml" ]
}
report() {
  if target_installed; then
    say "ok: $(rustc --version) has the $WASM target"
  elif build_std_available; then
    say "ok: $($DEBIAN_RUSTC --version) with library source (-Zbuild-std route)"
  else
    return 1
  fi
}

if report; then
  say "nothing to do"
  exit 0
fi

if command -v rustup >/dev/null 2>&1; then
  say "trying: rustup target add $WASM"
  if timeout 300 rustup target add "$WASM" && report; then
    exit 0
  fi
  say "rustup could not install the $WASM standard library"
fi

if command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
      say "need root for apt-get install ${APT_PACKAGES[*]}"; exit 1
    fi
  fi
  say "trying: apt-get install ${APT_PACKAGES[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${APT_PACKAGES[@]}"
  if report; then
    exit 0
  fi
fi

say "no wasm32 toolchain. Install one of:"
say "  rustup target add $WASM"
say "  apt-get install ${APT_PACKAGES[*]}   (Debian; capheap-sim then uses -Zbuild-std)"
exit 1
