# Sourced by scripts/build-targets.sh and scripts/run-wine.sh. napi-build insists on finding
# libnode.dll for windows-gnu although napi-sys resolves every Node-API function from the host
# process at run time (its default `dyn-symbols` feature), so nothing is imported from it: an
# empty DLL satisfies the link. libnode_stub TARGET_DIR makes it once and prints its folder.
libnode_stub() {
  local dir=$1/libnode-stub
  if [ ! -f "$dir/libnode.dll" ]; then
    mkdir -p "$dir"
    echo 'void atomic_publish_libnode_stub(void) {}' >"$dir/stub.c"
    x86_64-w64-mingw32-gcc -shared -o "$dir/libnode.dll" "$dir/stub.c"
  fi
  realpath "$dir"
}
