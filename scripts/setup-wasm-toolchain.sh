#!/usr/bin/env bash
# Makes sure this machine can build contracts to wasm32-unknown-unknown.
# Idempotent: does nothing where a wasm toolchain already works. Otherwise it
# tries `rustup target add wasm32-unknown-unknown`, then Debian's rustc-web
# packages (the -Zbuild-std route). Prints what it did; exits non-zero, saying
# what to install, when neither works.
#
#   --build-std   set up the -Zbuild-std route even where the target works
#                 (CI tests both routes)
set -euo pipefail

WASM=wasm32-unknown-unknown
DEBIAN_RUSTC=/usr/bin/rustc
# The compiler and its library source; the linker comes after (lld_package).
APT_PACKAGES=(rustc-web rust-web-src)

say() { echo "setup-wasm-toolchain: $*"; }

only_build_std=false
case "${1:-}" in
  "") ;;
  --build-std) only_build_std=true ;;
  *) say "unknown argument: $1 (the one option is --build-std)"; exit 2 ;;
esac

# Same probes as capheap-sim's pipeline (runtime-sim/src/pipeline/mod.rs).
target_installed() {
  local libdir
  libdir=$(rustc --print target-libdir --target "$WASM" 2>/dev/null) || return 1
  compgen -G "$libdir/libcore-*.rlib" >/dev/null
}
# The major version of the LLVM Debian's compiler was built with.
llvm_major() {
  "$DEBIAN_RUSTC" -vV 2>/dev/null | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p'
}
# Debian's rustc-web ships no linker: capheap-sim links with the sysroot's
# rust-lld, else wasm-ld-<LLVM major>, wasm-ld or rust-lld on PATH.
wasm_linker() {
  local sysroot=$1 major
  if compgen -G "$sysroot/lib/rustlib/*/bin/rust-lld" >/dev/null; then
    echo "rust-lld (in $sysroot)"; return 0
  fi
  major=$(llvm_major)
  for name in ${major:+wasm-ld-$major} wasm-ld rust-lld; do
    if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return 0; fi
  done
  return 1
}
build_std_available() {
  [ -x "$DEBIAN_RUSTC" ] || return 1
  local sysroot
  sysroot=$("$DEBIAN_RUSTC" --print sysroot 2>/dev/null) || return 1
  [ -f "$sysroot/lib/rustlib/src/rust/library/core/Cargo.toml" ] || return 1
  wasm_linker "$sysroot" >/dev/null
}
report_build_std() {
  build_std_available || return 1
  say "ok: $($DEBIAN_RUSTC --version) with library source (-Zbuild-std route), linked with $(wasm_linker "$("$DEBIAN_RUSTC" --print sysroot)")"
}
report() {
  if ! $only_build_std && target_installed; then
    say "ok: $(rustc --version) has the $WASM target"
  else
    report_build_std
  fi
}

apt_install() {
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo=sudo; else
      say "need root for apt-get install $*"; return 1
    fi
  fi
  say "trying: apt-get install $*"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@"
}

if report; then
  say "nothing to do"
  exit 0
fi

if ! $only_build_std && command -v rustup >/dev/null 2>&1; then
  say "trying: rustup target add $WASM"
  if timeout 300 rustup target add "$WASM" && report; then
    exit 0
  fi
  say "rustup could not install the $WASM standard library"
fi

if command -v apt-get >/dev/null 2>&1; then
  apt_install "${APT_PACKAGES[@]}"
  major=$(llvm_major)
  if [ -n "$major" ]; then
    apt_install "lld-$major"
  else
    apt_install lld
  fi
  if report_build_std; then
    exit 0
  fi
fi

say "no wasm32 toolchain. Install one of:"
say "  rustup target add $WASM"
say "  apt-get install ${APT_PACKAGES[*]} lld-<N>   (Debian; N the LLVM major version \`$DEBIAN_RUSTC -vV\` prints, 22 for rustc-web 1.96; capheap-sim then uses -Zbuild-std)"
exit 1
