# with_clippy CMD...: run CMD so that every cargo build in it lints the workspace's own crates
# with clippy -D warnings while compiling them (clippy-driver as the workspace's compiler, its
# arguments passed the way `cargo clippy` passes them). The dependencies are then compiled once,
# for the build, instead of once more for a separate check.
with_clippy() {
  RUSTC_WORKSPACE_WRAPPER="$(rustup which clippy-driver 2>/dev/null || command -v clippy-driver)" \
    CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__" "$@"
}
