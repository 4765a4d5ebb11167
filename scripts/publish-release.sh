#!/usr/bin/env bash
# The release's publish steps, run by release.yml's publish job and by the rehearsal against
# its own registry: the package (its prepublishOnly checks the built files, then napi
# prepublish publishes the platform packages first), then the overrides shims, which stand on
# it. Each skips a version the registry already holds, so a re-run after a failure part-way
# finishes the release instead of failing on the first package already out.
# Arguments go to each `npm publish` (release.yml passes --provenance).
set -euo pipefail
cd "$(dirname "$0")/.."

published() { npm view "$1" version >/dev/null 2>&1; }

for dir in . packages/*/; do
  name=$(node -p "require('./$dir/package.json').name")
  version=$(node -p "require('./$dir/package.json').version")
  if published "$name@$version"; then
    echo "$name@$version is already published"
  else
    (cd "$dir" && npm publish "$@")
  fi
done
