#!/usr/bin/env bash
# `npm run build:targets [-- TARGET...]`: for every target in package.json `napi.targets` (or
# the ones named), run clippy -D warnings, link a `.node` wherever this Linux machine has a
# linker for it, and check that each linked file exports `napi_register_module_v1`, the symbol
# Node-API looks up to load an addon. Also links x86_64-pc-windows-gnu, the Windows build that
# can run under Wine here (scripts/run-wine.sh), and checks two targets that are not shipped
# (docs/platforms.md says why): x86_64-unknown-freebsd (clippy and a link) and
# aarch64-linux-android (clippy). Exits non-zero if any step fails.
#
# Installs what is missing (rustup targets, Debian's cross linkers, zig and cargo-zigbuild
# from PyPI) unless BUILD_TARGETS_NO_INSTALL=1. Links use the fast `check-link` profile (no
# LTO): they prove that the code links and exports, not what the release binary weighs.
# Linked files land in target/link-check/atomic-publish.<platform>.node.
#
# Where a target is linked, clippy runs inside that build (clippy-driver as the workspace's
# compiler, as `cargo clippy` itself sets it up): the dependencies are compiled once, not once
# to check and again to link.
set -euo pipefail
cd "$(dirname "$0")/.."

STAND_INS=(x86_64-pc-windows-gnu)
UNSHIPPED=(x86_64-unknown-freebsd aarch64-linux-android)
if [ $# -gt 0 ]; then
  TARGETS=("$@")
else
  # Read first, so that set -e sees a failure (a process substitution would hide it).
  listed=$(node -p "require('./package.json').napi.targets.join('\n')")
  mapfile -t TARGETS <<<"$listed"
  expected=$(node -p "require('./package.json').napi.targets.length")
  [ ${#TARGETS[@]} -eq "$expected" ] || { echo "expected the $expected targets of package.json, read ${#TARGETS[@]}" >&2; exit 1; }
  TARGETS+=("${STAND_INS[@]}" "${UNSHIPPED[@]}")
fi
# BUILD_TARGETS_SKIP="T …": targets checked elsewhere in the same run (CI's host build is
# linked by `npm ci` and linted by `npm run lint`).
if [ -n "${BUILD_TARGETS_SKIP:-}" ]; then
  kept=()
  for t in "${TARGETS[@]}"; do [[ " $BUILD_TARGETS_SKIP " == *" $t "* ]] || kept+=("$t"); done
  TARGETS=("${kept[@]}")
fi
TARGET_DIR=${CARGO_TARGET_DIR:-target}
OUT=$TARGET_DIR/link-check
mkdir -p "$OUT"

# How each target links here: gcc = Debian's cross gcc, zig = cargo-zigbuild, mingw = Debian's
# mingw-w64, native = the host toolchain. The MSVC targets need Microsoft's import libraries
# and CRT (kernel32.lib, msvcrt.lib, vcruntime.lib, ucrt.lib), which only Visual Studio and
# the Windows SDK ship; cargo-xwin fetches them from Microsoft (tried: its first request, the
# Visual Studio channel manifest, does not resolve here). They are linted, not linked, and the
# workflows link them on Windows runners. Android needs the NDK's sysroot and linker, which
# come only from Google's own download site, out of reach here: it is linted, not linked.
linker_of() {
  case "$1" in
    x86_64-unknown-linux-gnu) echo native ;;
    aarch64-unknown-linux-gnu | armv7-unknown-linux-gnueabihf) echo gcc ;;
    *-linux-musl | *-apple-darwin | *-unknown-freebsd) echo zig ;;
    x86_64-pc-windows-gnu) echo mingw ;;
    *-pc-windows-msvc | *-linux-android) echo none ;;
  esac
}
platform_of() {
  case "$1" in
    x86_64-unknown-linux-gnu) echo linux-x64-gnu ;;
    x86_64-unknown-linux-musl) echo linux-x64-musl ;;
    aarch64-unknown-linux-gnu) echo linux-arm64-gnu ;;
    aarch64-unknown-linux-musl) echo linux-arm64-musl ;;
    armv7-unknown-linux-gnueabihf) echo linux-arm-gnueabihf ;;
    x86_64-apple-darwin) echo darwin-x64 ;;
    aarch64-apple-darwin) echo darwin-arm64 ;;
    x86_64-pc-windows-msvc) echo win32-x64-msvc ;;
    aarch64-pc-windows-msvc) echo win32-arm64-msvc ;;
    i686-pc-windows-msvc) echo win32-ia32-msvc ;;
    x86_64-pc-windows-gnu) echo win32-x64-gnu ;;
    x86_64-unknown-freebsd) echo freebsd-x64 ;;
    aarch64-linux-android) echo android-arm64 ;;
  esac
}

install_missing() {
  local installed missing_targets=() apt=() t
  installed=$(rustup target list --installed)
  for t in "${TARGETS[@]}"; do grep -qx "$t" <<<"$installed" || missing_targets+=("$t"); done
  # One target per call: rustup rolls back the whole call when any component fails.
  for t in "${missing_targets[@]}"; do rustup target add "$t"; done

  local need_gcc=0 need_zig=0 need_mingw=0
  for t in "${TARGETS[@]}"; do
    case "$(linker_of "$t")" in
      gcc) need_gcc=1 ;; zig) need_zig=1 ;; mingw) need_mingw=1 ;;
    esac
  done
  [ $need_gcc = 1 ] && ! command -v aarch64-linux-gnu-gcc >/dev/null && apt+=(gcc-aarch64-linux-gnu)
  [ $need_gcc = 1 ] && ! command -v arm-linux-gnueabihf-gcc >/dev/null && apt+=(gcc-arm-linux-gnueabihf)
  [ $need_mingw = 1 ] && ! command -v x86_64-w64-mingw32-gcc >/dev/null && apt+=(gcc-mingw-w64-x86-64)
  command -v llvm-nm >/dev/null || apt+=(llvm)
  command -v file >/dev/null || apt+=(file)
  # zig and cargo-zigbuild come from PyPI: a bare Debian has python3 but not pip.
  [ $need_zig = 1 ] && ! python3 -m pip --version >/dev/null 2>&1 && apt+=(python3-pip)
  if [ ${#apt[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    for attempt in 1 2 3; do
      apt-get update -qq && apt-get install -y -qq "${apt[@]}" && break
      [ "$attempt" = 3 ] && exit 1
      sleep 10
    done
  fi
  if [ $need_zig = 1 ] && ! { command -v cargo-zigbuild >/dev/null && python3 -m ziglang version >/dev/null 2>&1; }; then
    # Both are prebuilt wheels on PyPI: nothing compiles. cargo-zigbuild finds zig through the
    # ziglang module when no `zig` is on PATH. (PIP_BREAK_SYSTEM_PACKAGES: a Debian python
    # refuses global installs otherwise; these two touch no Debian package.) The versions are
    # the ones the workflows pin (ZIG_VERSION, cargo-zigbuild@…).
    for attempt in 1 2 3; do
      PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install -q ziglang==0.17.1 cargo-zigbuild==0.24.1 && break
      [ "$attempt" = 3 ] && exit 1
      sleep 10
    done
  fi
}

source scripts/lib/libnode-stub.sh
source scripts/lib/clippy.sh

# The cdylib as cargo names it for the target's OS.
artifact_of() {
  local dir="$TARGET_DIR/$1/check-link"
  case "$1" in
    *-apple-darwin) echo "$dir/libatomic_publish.dylib" ;;
    *-windows-*) echo "$dir/atomic_publish.dll" ;;
    *) echo "$dir/libatomic_publish.so" ;;
  esac
}

# The environment cargo needs for a target, as NAME=value lines (for both clippy and the link:
# napi's build script needs LIBNODE_PATH even to check windows-gnu).
target_env() {
  case "$1" in
    aarch64-unknown-linux-gnu) echo CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc ;;
    armv7-unknown-linux-gnueabihf) echo CARGO_TARGET_ARMV7_UNKNOWN_LINUX_GNUEABIHF_LINKER=arm-linux-gnueabihf-gcc ;;
    x86_64-pc-windows-gnu)
      echo "LIBNODE_PATH=$(libnode_stub "$TARGET_DIR")"
      echo CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc ;;
  esac
}

# What clippy checks: the tests too (`--all-targets`) for one target of each OS whose test
# code differs from Linux's (the `cfg`s are per OS, not per architecture): Windows (the msvc
# build and its gnu stand-in, whose tests run under Wine), macOS and FreeBSD; the library alone
# for the others. The host's tests are checked by `npm run lint`.
clippy_scope() {
  case "$1" in
    x86_64-pc-windows-msvc | x86_64-pc-windows-gnu | x86_64-apple-darwin | x86_64-unknown-freebsd) echo --all-targets ;;
    *) echo --lib ;;
  esac
}

# Lint the library with clippy -D warnings while building it (the arguments reach
# clippy-driver the way `cargo clippy` passes them), and link it. (musl links libc
# dynamically: see .cargo/config.toml.)
lint_and_link() {
  local build=build
  [ "$(linker_of "$1")" = zig ] && build=zigbuild
  with_clippy env "${ENVS[@]}" cargo $build --quiet --lib --profile check-link --target "$1"
}

# The exported-symbol check, per object format: the dynamic symbol table (ELF), the exports
# trie that dyld resolves through (Mach-O, with its leading underscore), or the export table
# (PE). The listing is captured first: `grep -q` closing the pipe early would fail pipefail.
exports_register() {
  local file=$1 listing
  case "$file" in
    *darwin*) listing=$(llvm-objdump --macho --exports-trie "$file") || return 1
      grep -qE '^0x[0-9A-Fa-f]+ +_napi_register_module_v1$' <<<"$listing" ;;
    *win32*) listing=$(llvm-objdump -p "$file") || return 1
      sed -n '/^Export Table:/,/^$/p' <<<"$listing" | grep -qE '[[:space:]]napi_register_module_v1$' ;;
    *) listing=$(llvm-nm -D --defined-only "$file") || return 1
      grep -qE ' T napi_register_module_v1$' <<<"$listing" ;;
  esac
}

# The object format and architecture from the file's header, for the summary.
describe() {
  file -b "$1" | cut -d, -f1-2 | sed "s/,* *flags:.*//"
}

for t in "${TARGETS[@]}"; do
  [ -n "$(platform_of "$t")" ] || { echo "build:targets: unknown target $t" >&2; exit 2; }
done

# BUILD_TARGETS_LINK="T …": link only these (the builds a later step runs); the others are
# linted alone, which takes about half as long. Unset, every target with a linker here links.
links_here() {
  [ "$(linker_of "$1")" != none ] || return 1
  [ -z "${BUILD_TARGETS_LINK+set}" ] || [[ " $BUILD_TARGETS_LINK " == *" $1 "* ]]
}
[ "${BUILD_TARGETS_NO_INSTALL:-0}" = 1 ] || install_missing

declare -A RESULT
failed=0
start=$SECONDS
for t in "${TARGETS[@]}"; do
  echo "== $t"
  mapfile -t ENVS < <(target_env "$t")
  t0=$SECONDS
  # Clippy on its own: the library where nothing links, the tests where they differ per OS.
  lint=""
  if ! links_here "$t" || [ "$(clippy_scope "$t")" = --all-targets ]; then
    lint="clippy $(clippy_scope "$t") ok"
    if ! env "${ENVS[@]}" cargo clippy --quiet $(clippy_scope "$t") --target "$t" -- -D warnings; then
      lint="CLIPPY FAILED"
      failed=1
    fi
    lint+=" ($((SECONDS - t0))s); "
  fi
  if ! links_here "$t"; then
    case "$t" in
      *-linux-android) RESULT[$t]="${lint}not linked here (needs the Android NDK)" ;;
      *-pc-windows-msvc) RESULT[$t]="${lint}not linked here (needs the MSVC import libraries and CRT)" ;;
      *) RESULT[$t]="${lint}not linked in this run (BUILD_TARGETS_LINK)" ;;
    esac
    continue
  fi
  t0=$SECONDS
  node_file="$OUT/atomic-publish.$(platform_of "$t").node"
  rm -f "$node_file"
  if lint_and_link "$t" && cp "$(artifact_of "$t")" "$node_file"; then
    if exports_register "$node_file"; then
      RESULT[$t]="${lint}clippy --lib ok and linked with $(linker_of "$t") ($((SECONDS - t0))s): $(describe "$node_file"), exports napi_register_module_v1"
    else
      RESULT[$t]="${lint}linked, but NO napi_register_module_v1 EXPORT"
      failed=1
    fi
  else
    RESULT[$t]="${lint}CLIPPY OR LINK FAILED"
    failed=1
  fi
done

echo
echo "build:targets summary ($((SECONDS - start))s after installs)"
for t in "${TARGETS[@]}"; do printf '  %-28s %s\n' "$t" "${RESULT[$t]}"; done
exit $failed
