// `npm run test:runtimes`: install other runtimes from the npm registry into .runtimes/ and run
// the smoke test of the whole API under each. RUNTIMES=node22,bun trims the list.
//
// Each runtime gets its own folder, since one project cannot hold two versions of `node`.

import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const RUNTIMES = {
  node20: { pkg: 'node@20', bin: 'node', args: [] },
  node22: { pkg: 'node@22', bin: 'node', args: [] },
  node24: { pkg: 'node@24', bin: 'node', args: [] },
  bun: { pkg: 'bun', bin: 'bun', args: [] },
  // Deno loads Node-API addons only with its FFI permission.
  deno: { pkg: 'deno', bin: 'deno', args: ['run', '--allow-all'] },
}
// On Windows npm and the installed runtimes' .bin entries are .cmd scripts, which only a shell runs.
const onWindows = process.platform === 'win32'
const wanted = (process.env.RUNTIMES ?? Object.keys(RUNTIMES).join(',')).split(',').filter(Boolean)

let failed = 0
for (const name of wanted) {
  const runtime = RUNTIMES[name]
  if (!runtime) throw new Error(`unknown runtime '${name}' (known: ${Object.keys(RUNTIMES).join(', ')})`)
  const dir = join(root, '.runtimes', name)
  const bin = join(dir, 'node_modules', '.bin', runtime.bin + (onWindows ? '.cmd' : ''))
  if (!existsSync(bin)) {
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'package.json'), '{ "private": true }\n')
    execFileSync('npm', ['install', '--no-audit', '--no-fund', runtime.pkg], { cwd: dir, stdio: 'ignore', shell: onWindows })
  }
  const version = execFileSync(bin, ['--version'], { encoding: 'utf8', shell: onWindows }).split('\n')[0].trim()
  const smoke = spawnSync(bin, [...runtime.args, join(root, 'scripts', 'smoke.mjs')], { encoding: 'utf8', shell: onWindows })
  const summary = (smoke.stdout.match(/smoke: .*/) ?? ['smoke: did not finish'])[0]
  const ok = smoke.status === 0
  if (!ok) {
    failed++
    process.stdout.write(smoke.stdout + smoke.stderr)
  }
  console.log(`${ok ? 'PASS' : 'FAIL'}  ${name} (${version}): ${summary}`)
}
process.exitCode = failed ? 1 : 0
