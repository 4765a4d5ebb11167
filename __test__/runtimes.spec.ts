// The whole API under other runtimes from the npm registry: Node 20, 22 and 24, Bun and Deno
// (scripts/test-runtimes.mjs installs them into .runtimes/ and runs scripts/smoke.mjs).

import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { needs } from './helpers.js'

// The runtimes are installed with npm, which Wine's PATH lacks.
needs(['npm'], { serial: true })('the smoke test passes on Node 20, 22 and 24, Bun and Deno', (t) => {
  const run = spawnSync(process.execPath, [join(__dirname, '..', '..', 'scripts', 'test-runtimes.mjs')], {
    encoding: 'utf8',
    env: { ...process.env, RUNTIMES: process.env.RUNTIMES ?? 'node20,node22,node24,bun,deno' },
    timeout: 600_000,
  })
  t.log(run.stdout.trim())
  t.is(run.status, 0, run.stdout + run.stderr)
  t.regex(run.stdout, /PASS {2}node22/)
})
