// Checks of the directory check itself: hand-made states on disk whose verdict is known, so a
// check that stops seeing a mix, a lost tree or a stray leftover fails the suite.

import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { dirViolations } from './check-dir.js'
import { NEW_TREE, OLD_TREE, OLD_VERSION, type TreeFiles } from './dir-trees.js'
import { type CrashState } from './enumerate.js'
import { planWorkloads, type Workload } from './plan.js'
import { writeTree } from './record.js'
import { Tree } from './tree.js'

const state = (afterReturn: boolean): CrashState => ({ tree: new Tree(1), afterReturn, beforeReturn: !afterReturn })

/** Each check that does not hold, described. */
export function dirCheckerChecks(): string[] {
  const work = mkdtempSync(join(tmpdir(), 'ap-dir-check-'))
  const failures: string[] = []
  const plan = planWorkloads(join(work, 'plan'))
  const find = (id: string): Workload => plan.find((w) => w.id === id) as Workload
  let n = 0
  /** Build `make` in a fresh root, check it as a state of workload `id`; `want` is a violation's beginning, or '' for none. */
  const expect = (what: string, id: string, afterReturn: boolean, make: (root: string) => void, want: string): void => {
    const root = join(work, `case${n++}`)
    mkdirSync(root)
    make(root)
    const found = dirViolations({ ...find(id), root, target: join(root, 'target') }, root, state(afterReturn))
    const ok = want === '' ? found.length === 0 : found.some((v) => v.startsWith(want))
    if (!ok) failures.push(`${what}: expected ${want || 'no violation'}, got ${found.join('; ') || 'none'}`)
  }
  const tree = (files: TreeFiles) => (root: string) => writeTree(join(root, 'target'), files)
  const mixed: TreeFiles = [...OLD_TREE.filter(([rel]) => rel !== 'b.txt'), ['d.txt', NEW_TREE[1][1]]]
  try {
    expect('the old tree', 'dir-plain.file.old', false, tree(OLD_TREE), '')
    expect('the new tree', 'dir-plain.full.old', true, tree(NEW_TREE), '')
    expect('a mix of both trees', 'dir-plain.file.old', false, tree(mixed), 'target mixed')
    expect('the new tree with one file empty', 'dir-plain.file.old', false, tree(NEW_TREE.map(([rel, b]) => [rel, rel === 'a.txt' ? Buffer.alloc(0) : b])), 'target mixed')
    expect('no target where there was one', 'dir-plain.file.old', false, () => undefined, 'target missing')
    expect("the old tree after a 'full' commit returned", 'dir-plain.full.old', true, tree(OLD_TREE), 'new tree lost')
    expect('a leftover not named for sweepOrphans', 'dir-plain.full.old', true, (root) => { tree(NEW_TREE)(root); mkdirSync(join(root, 'target.old')) }, 'leftover not named')
    expect('a stage left beside the old tree', 'dir-plain.file.old', false, (root) => { tree(OLD_TREE)(root); writeTree(join(root, 'target.oxentmp.a1B2c3'), NEW_TREE.slice(1)) }, '')
    expect('a link naming no version', 'dir-versioned.file.linked', false, (root) => symlinkSync(OLD_VERSION, join(root, 'target')), 'target dangling link')
    expect('a link naming no version where there was no target', 'dir-versioned.file.absent', false, (root) => symlinkSync(OLD_VERSION, join(root, 'target')), 'target dangling link')
    expect('a link to an old version', 'dir-versioned.file.linked', false, (root) => { writeTree(join(root, OLD_VERSION), OLD_TREE); symlinkSync(OLD_VERSION, join(root, 'target')) }, '')
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
  return failures
}
