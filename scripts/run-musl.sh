#!/usr/bin/env bash
# `npm run test:musl`: the linux-x64-musl addon in a musl process. Bun's musl build (npm
# @oven/bun-linux-x64-musl) loads it and runs scripts/smoke.mjs: publish and verify files,
# and compare the error for a missing file and a missing directory with the runtime's own fs.
#
# The musl process is made of Debian 13's musl, and libstdc++ built for musl from a PyPI wheel
# (see musl_runtime in scripts/lib/fetch.sh for why). The addon itself needs only libc and
# libgcc_s. The script checks that no glibc library is mapped into the process.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/fetch.sh

BUN=$(npm_runtime bun-musl @oven/bun-linux-x64-musl@1.4.5)/bin/bun
LIBS=$(musl_runtime x86_64)
MUSL=$LIBS/ld-musl

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
