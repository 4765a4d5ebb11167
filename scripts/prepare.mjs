// npm's `prepare` and `prepublishOnly`.
//
// `prepare` runs after `npm install` / `npm ci` in a clone, so a newcomer's `npm ci && npm run
// demo` finds the addon and the JavaScript built. npm also runs it inside `npm publish`, after
// `prepublishOnly` has already published the platform packages: a build failing there would leave
// a version half-published. So under `npm publish` it builds nothing: the release builds once,
// before, and publishes the files it built.
//
// `--check-built` (from `prepublishOnly`, before anything is published): refuse to publish unless
// every file package.json `files` ships is there.

import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))

/** The `files` entries (a path, or `dir/*.ext`) that match nothing in the tree. */
function missingFiles() {
  return pkg.files.filter((pattern) => {
    if (!pattern.includes('*')) return !existsSync(join(root, pattern))
    const dir = dirname(pattern)
    const suffix = pattern.slice(pattern.indexOf('*') + 1)
    return !existsSync(join(root, dir)) || !readdirSync(join(root, dir)).some((f) => f.endsWith(suffix))
  })
}

if (process.argv.includes('--check-built')) {
  const missing = missingFiles()
  if (missing.length > 0) {
    console.error(`not built: ${missing.join(', ')}; run \`npm run build\` (or build:ts with the addon in place) before publishing`)
    process.exit(1)
  }
} else if (process.env.npm_command === 'publish') {
  console.error('prepare: publishing the files already built (the release builds before npm publish)')
} else {
  execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' })
}
