#!/usr/bin/env bash
# `npm run test:musl`: the linux-x64-musl addon in a musl process. Bun's musl build (npm
# @oven/bun-linux-x64-musl) loads it and runs scripts/smoke.mjs: publish and verify files,
# and compare the error for a missing file and a missing directory with the runtime's own fs.
#
# What the musl process is made of, all from the registries:
# - musl's loader from Debian 13 (trixie): Debian 12's musl 1.2.3 cannot run Bun, because
#   the musl libstdc++ below uses RELR relocations, which musl reads only from 1.2.4 on;
# - libstdc++ and libgcc_s built for musl, taken from numpy's musllinux wheel on PyPI (Debian
#   has no musl libstdc++, and Bun needs one); the addon itself needs only libc and libgcc_s.
# The script checks that no glibc library is mapped into the process.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/fetch.sh

BUN=$(npm_runtime bun-musl @oven/bun-linux-x64-musl@1.4.5)/bin/bun
MUSL=$(debs_root musl-trixie trixie amd64 musl)/usr/lib/x86_64-linux-musl/libc.so
LIBS=$RUNTIMES_DIR/musl-libstdcxx
if [ ! -f "$LIBS/libstdc++.so.6" ]; then
  mkdir -p "$LIBS/wheel"
  retry python3 -m pip download -q --no-deps --only-binary=:all: --platform musllinux_1_2_x86_64 \
    --python-version 3.12 numpy==2.5.5 -d "$LIBS/wheel"
  (cd "$LIBS/wheel" && python3 -m zipfile -e numpy-*.whl unpacked)
  # auditwheel renamed them with a hash; the loader looks them up by their usual names too.
  cp "$LIBS"/wheel/unpacked/numpy.libs/libgcc_s-*.so.1 "$LIBS/"
  cp "$LIBS"/wheel/unpacked/numpy.libs/libgcc_s-*.so.1 "$LIBS/libgcc_s.so.1"
  cp "$LIBS"/wheel/unpacked/numpy.libs/libstdc++-*.so.6* "$LIBS/libstdc++.so.6"
  rm -rf "$LIBS/wheel"
fi

ADDON=$PWD/target/link-check/atomic-publish.linux-x64-musl.node
bash scripts/build-targets.sh x86_64-unknown-linux-musl >/dev/null
[ -f index.mjs ] || npm run build:ts

run() { LD_LIBRARY_PATH=$LIBS NAPI_RS_NATIVE_LIBRARY_PATH=$ADDON "$MUSL" "$BUN" "$@"; }
echo "bun $(run --version) on musl $("$MUSL" 2>&1 | sed -n 's/^Version //p')"
maps=$(run -e "require(process.env.NAPI_RS_NATIVE_LIBRARY_PATH); process.stdout.write(require('fs').readFileSync('/proc/self/maps', 'utf8'))")
grep -q "atomic-publish.linux-x64-musl.node" <<<"$maps" || { echo "the addon is not mapped" >&2; exit 1; }
if grep -E 'libc\.so\.6|ld-linux' <<<"$maps"; then echo "glibc is mapped into the musl process" >&2; exit 1; fi
echo "the addon is loaded into a process with musl and no glibc"
run scripts/smoke.mjs
