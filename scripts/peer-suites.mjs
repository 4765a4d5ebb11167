// `node scripts/peer-suites.mjs [workdir]`: run write-file-atomic 7's and atomically 2's own
// test suites with the module they test resolved to the override packages, and list what fails.
// Not part of `npm test`: it clones both repositories and installs their dev dependencies.
//
// Each suite is checked out at the release the override packages stand in for, installed with
// the tarballs of `npm run pack:local` (packed here if packed/ is missing), and its entry is
// replaced by one line that requires the override package. Both suites expect a user that is
// not root: as root, they run as `nobody` (setpriv). Set PEER_SUITES_GIT_WRITE_FILE_ATOMIC or
// PEER_SUITES_GIT_ATOMICALLY to clone from a local mirror instead of GitHub.

import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const packed = join(root, 'packed')
const work = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'peer-suites-'))

const peers = [
  {
    name: 'write-file-atomic',
    git: process.env.PEER_SUITES_GIT_WRITE_FILE_ATOMIC ?? 'https://github.com/npm/write-file-atomic.git',
    tag: 'v7.0.1',
    shim: 'atomic-publish-write-file-atomic-',
    // The suite requires '..', whose main is lib/index.js.
    entry: ['lib/index.js', "module.exports = require('@atomic-publish/write-file-atomic')\n"],
    tests: ['test/basic.js', 'test/concurrency.js', 'test/integration.js'],
    tap: ['--no-coverage'],
  },
  {
    name: 'atomically',
    git: process.env.PEER_SUITES_GIT_ATOMICALLY ?? 'https://github.com/fabiospampinato/atomically.git',
    tag: 'v2.1.1',
    shim: 'atomic-publish-atomically-',
    // The suite loads test/atomically.cjs, which its `test:init` bundles from src/.
    entry: ['test/atomically.cjs', "module.exports = require('@atomic-publish/atomically')\n"],
    tests: ['test/basic.cjs', 'test/concurrency.cjs', 'test/integration.cjs'],
    tap: ['--disable-coverage'],
  },
]

const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' })

if (!existsSync(packed)) run(process.execPath, [join(root, 'scripts', 'pack-local.mjs'), '--no-build'], root)
const tarballs = readdirSync(packed).filter((f) => f.endsWith('.tgz'))
const tarball = (prefix) => join(packed, tarballs.find((f) => f.startsWith(prefix)))

const asRoot = process.getuid?.() === 0
const setpriv = asRoot && spawnSync('setpriv', ['--version']).status === 0
if (asRoot && !setpriv) console.warn('running as root without setpriv: tests that expect a user other than root will fail too')

for (const peer of peers) {
  const dir = join(work, peer.name)
  console.log(`\n== ${peer.name} ${peer.tag} (${dir})`)
  run('git', ['-c', 'advice.detachedHead=false', 'clone', '--quiet', '--depth', '1', '--branch', peer.tag, peer.git, dir], work)
  run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock', '--no-save', tarball('atomic-publish-0'), tarball('atomic-publish-binding-'), tarball(peer.shim)], dir)
  writeFileSync(join(dir, peer.entry[0]), peer.entry[1])
  if (setpriv) chmodTree(dir)
  const tap = (file, grep) => {
    const args = [join(dir, 'node_modules', '.bin', 'tap'), ...peer.tap, '-R', 'tap', ...(grep ? [`--grep=^${grep}$`] : []), file]
    const [cmd, ...rest] = setpriv ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', 'env', `HOME=${work}`, ...args] : args
    return spawnSync(cmd, rest, { cwd: dir, encoding: 'utf8', env: { ...process.env, TMPDIR: work } })
  }
  for (const file of peer.tests) {
    const result = tap(file)
    console.log(`-- ${file}: ${result.status === 0 ? 'passes' : 'fails'}`)
    const lines = failures(result.stdout)
    for (const line of lines) console.log(`   ${line}`)
    // A test that throws leaves the file's later tests unrun: each of them runs on its own.
    for (const line of lines) {
      const left = /^child test left in queue: (?:t\.test )?(.*)$/.exec(line)
      if (!left) continue
      const alone = tap(file, left[1].replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      console.log(`   -- "${left[1]}" alone: ${alone.status === 0 ? 'passes' : 'fails'}`)
      for (const failed of failures(alone.stdout)) console.log(`      ${failed}`)
    }
  }
}

/** The failed assertions of a TAP report, each under the names of the tests it is in. */
function failures(tap) {
  const path = []
  const out = []
  for (const line of tap.split('\n')) {
    const subtest = /^(\s*)# Subtest: (.*)$/.exec(line)
    if (subtest) {
      path.length = subtest[1].length / 4
      path.push(subtest[2])
      continue
    }
    const failed = /^(\s*)not ok \d+ - (.*?)(?: # time=.*)?$/.exec(line)
    if (!failed) continue
    const depth = failed[1].length / 4
    // A test's own summary line repeats the failures above it.
    if (path[depth] === failed[2]) continue
    out.push(`${path.slice(1, depth).join(' > ')}${depth > 1 ? ' > ' : ''}${failed[2]}`)
  }
  return out
}

function chmodTree(dir) {
  chmodSync(work, 0o777)
  run('chmod', ['-R', 'a+rwX', dir], work)
}
