// `npm run docs:check`: the API reference in docs/api/ must be what TypeDoc makes of the doc
// comments as they are now. Regenerates into a temporary directory and compares file by file.

import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const committed = join(root, 'docs', 'api')

/** Every file under `dir`, as paths relative to it. */
function filesUnder(dir) {
  let found = []
  try {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name)
      if (statSync(path).isDirectory()) found = found.concat(filesUnder(path).map((f) => join(name, f)))
      else found.push(name)
    }
  } catch (error) {
    if (error.code !== 'ENOENT') throw error
  }
  return found.sort()
}

const fresh = mkdtempSync(join(tmpdir(), 'ap-docs-'))
try {
  const typedoc = join(root, 'node_modules', 'typedoc', 'bin', 'typedoc')
  execFileSync(process.execPath, [typedoc, '--out', fresh], { cwd: root, stdio: 'inherit' })
  const want = filesUnder(fresh)
  const have = filesUnder(committed)
  const differ = [
    ...want.filter((f) => !have.includes(f)).map((f) => `missing: docs/api/${f}`),
    ...have.filter((f) => !want.includes(f)).map((f) => `not generated any more: docs/api/${f}`),
    ...want
      .filter((f) => have.includes(f) && readFileSync(join(fresh, f), 'utf8') !== readFileSync(join(committed, f), 'utf8'))
      .map((f) => `differs: docs/api/${f}`),
  ]
  if (differ.length > 0) {
    console.error(`docs/api/ is stale (${relative(root, committed)}); run \`npm run docs\` and commit the result:\n  ${differ.join('\n  ')}`)
    process.exitCode = 1
  } else {
    console.log(`docs/api/ matches the doc comments (${want.length} files)`)
  }
} finally {
  rmSync(fresh, { recursive: true, force: true })
}
