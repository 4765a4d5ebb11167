// Another local user against a recursive sweep: `nobody` builds a tree 20 500 levels deep in
// a shared sticky directory, and root sweeps that directory. One open directory per level
// would take hundreds of MiB and then fail with EMFILE; the sweep must finish the whole tree
// with its memory and descriptors bounded, taking only the scratch file at the bottom.

import test from 'ava'
import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { removeTree, runChild, setprivSwitchesUser } from '../helpers.js'

const NOBODY = 65534
const LEVELS = 20_500
const isRootOnLinux = process.platform === 'linux' && process.getuid?.() === 0
const PROTECTIONS: Record<string, string> = { protected_symlinks: '1', protected_hardlinks: '1', protected_regular: '2', protected_fifos: '2' }
const TREE_BUILDER = join(__dirname, '..', 'fixtures', 'nested-tree.js')

interface SweeperReport {
  removed: string[]
  rejections: string[]
  failures: { path: string; code: string; syscall: string }[]
  maxRssKiB: number
}

const saved: Record<string, string> = {}
const made: string[] = []
const trees: string[] = []

if (isRootOnLinux) {
  test.before('set the protections distributions ship', () => {
    for (const [name, value] of Object.entries(PROTECTIONS)) {
      const file = `/proc/sys/fs/${name}`
      saved[name] = readFileSync(file, 'utf8').trim()
      writeFileSync(file, value)
    }
  })
  test.after.always('put the protections back; remove the trees', () => {
    for (const [name, value] of Object.entries(saved)) writeFileSync(`/proc/sys/fs/${name}`, value)
    // Deeper than PATH_MAX: removed one relative step at a time, then the rest as usual.
    for (const dir of trees) execFileSync(process.execPath, [TREE_BUILDER, 'remove', dir, String(LEVELS)])
    for (const dir of made) removeTree(dir)
  })
}

/** A fresh directory with `mode` (0o1777: shared, as /tmp is). */
function arena(mode: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'ap-sec-sweep-'))
  chmodSync(dir, mode)
  made.push(dir)
  return dir
}

/** A sweep of `dir` as root in a child allowed 64 descriptors; its report and peak RSS. */
function sweepAsRoot(dir: string): SweeperReport {
  const run = runChild<SweeperReport>('sweeper', [dir, '0', '60000', 'recursive'], { shell: 'ulimit -n 64', timeout: 240_000 })
  if (!run.out) throw new Error(`the sweep ended with ${run.signal ?? run.status}: ${run.stderr}`)
  return run.out
}

const title = `nobody's ${LEVELS.toLocaleString('en')}-level tree in a shared directory: root's recursive sweep finishes it in bounded memory and descriptors`
if (!isRootOnLinux) test.skip(`${title} (skipped: needs root on Linux to act as nobody and set fs.protected_*)`, () => {})
else if (!setprivSwitchesUser().ok) test.skip(`${title} (skipped: needs ${setprivSwitchesUser().what})`, () => {})
else {
  test.serial(title, (t) => {
    const shared = arena(0o1777)
    // The builder, staged where nobody can read it (the checkout may sit in a 0700 home).
    const staged = join(arena(0o755), 'nested-tree.js')
    copyFileSync(TREE_BUILDER, staged)
    chmodSync(staged, 0o644)
    const baseline = sweepAsRoot(arena(0o1777)).maxRssKiB

    const top = join(shared, 'deep')
    execFileSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'mkdir', top])
    trees.push(top)
    const built = spawnSync(process.execPath, [staged, 'build', top, String(LEVELS)], { uid: NOBODY, gid: NOBODY, encoding: 'utf8', timeout: 240_000 })
    t.is(built.status, 0, built.stderr)
    t.log(`nobody built ${LEVELS} levels in ${(JSON.parse(built.stdout) as { ms: number }).ms} ms`)

    const report = sweepAsRoot(shared)
    const grewMiB = (report.maxRssKiB - baseline) / 1024
    t.log(`peak RSS ${(report.maxRssKiB / 1024).toFixed(1)} MiB (an empty directory: ${(baseline / 1024).toFixed(1)} MiB), within 64 descriptors`)
    t.deepEqual(report.failures, [], 'every level was swept (one descriptor per level ends in EMFILE)')
    t.deepEqual(report.rejections, [])
    t.deepEqual(report.removed, [`${top}${'/d'.repeat(LEVELS)}/bottom.oxentmp.AbCdE6`])
    // One open stream per level took 594 MiB here; a level costs the sweep a few dozen bytes.
    t.true(grewMiB < 32, `the sweep grew by ${grewMiB.toFixed(1)} MiB`)
  })
}
