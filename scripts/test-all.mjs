// `npm test`: every part of the suite runs, even after one fails, so a failure in one never
// hides the others' results; a summary with each part's result and duration comes last, and
// the exit status is 1 if any part failed.
//
//   node scripts/test-all.mjs                 # cargo, ava, isolated
//   node scripts/test-all.mjs ava isolated    # only the parts named

import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const bin = (name) => join(root, 'node_modules', '.bin', name)

// Each part: the commands it runs, one after the other (a later one only if the earlier passed).
const PARTS = {
  cargo: [['cargo', 'test', '--quiet']],
  // The isolated part needs the compiled tests too: each part compiles them itself, so that it
  // can run alone.
  ava: [[bin('tsc'), '-p', '__test__'], [bin('ava')]],
  isolated: [[bin('tsc'), '-p', '__test__'], [bin('ava'), '--config', 'ava.isolated.config.mjs']],
}

const asked = process.argv.slice(2)
const unknown = asked.filter((name) => !(name in PARTS))
if (unknown.length > 0) {
  console.error(`unknown part: ${unknown.join(', ')} (parts: ${Object.keys(PARTS).join(', ')})`)
  process.exit(2)
}

const minutes = (ms) => `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`
const results = []
const started = Date.now()
for (const name of asked.length > 0 ? asked : Object.keys(PARTS)) {
  const partStarted = Date.now()
  let failed
  for (const [command, ...args] of PARTS[name]) {
    console.log(`\n== ${name}: ${[command.startsWith(root) ? command.slice(root.length + 1) : command, ...args].join(' ')}`)
    const run = spawnSync(command, args, { cwd: root, stdio: 'inherit' })
    if (run.error) failed = `${command}: ${run.error.message}`
    else if (run.status !== 0) failed = run.signal ? `killed by ${run.signal}` : `exit ${run.status}`
    if (failed) break
  }
  results.push({ name, failed, ms: Date.now() - partStarted })
}

console.log('\n== npm test summary')
for (const { name, failed, ms } of results) console.log(`${failed ? 'FAIL' : 'ok  '}  ${name.padEnd(9)} ${minutes(ms)}${failed ? `  (${failed})` : ''}`)
console.log(`total ${minutes(Date.now() - started)}`)
process.exit(results.some((r) => r.failed) ? 1 : 0)
