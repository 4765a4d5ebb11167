// `npm run bench`: every bench, one after another. `npm run bench -- --check`: the quick
// rows only, checked against their floors (bench/check.mjs).

import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const BENCHES = ['small-publish', 'ceiling', 'stream', 'hash', 'copy', 'hardening']
const run = (name) =>
  execFileSync(process.execPath, [fileURLToPath(new URL(`${name}.mjs`, import.meta.url))], { stdio: 'inherit' })

try {
  if (process.argv.includes('--check')) run('check')
  else for (const name of BENCHES) run(name)
} catch (error) {
  process.exitCode = typeof error.status === 'number' ? error.status : 1
}
