// The traced child's directory workloads: a commit of `AtomicDir` in either layout, and the
// naive controls, each publishing NEW_TREE at the workload's target.

import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { AtomicDir } from 'atomic-publish'
import { INCREMENTAL_STAGED, NEW_TREE } from './dir-trees.js'
import { type Workload } from './plan.js'

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r')
  fsyncSync(fd)
  closeSync(fd)
}

export async function runDir(w: Workload, mark: () => void): Promise<void> {
  if (w.entry === 'dir-plain' || w.entry === 'dir-versioned' || w.entry === 'dir-incremental') {
    const dir = new AtomicDir(w.target).withDurability(w.level)
    if (w.entry === 'dir-versioned') dir.withLayout('versioned')
    if (w.entry === 'dir-incremental') dir.fromCurrent()
    mark()
    for (const [rel, bytes] of w.entry === 'dir-incremental' ? INCREMENTAL_STAGED : NEW_TREE) await dir.file(rel).write(bytes)
    await dir.commit()
    return
  }
  mark()
  if (w.entry === 'control-dir-rm-copy') {
    rmSync(w.target, { recursive: true, force: true })
    for (const [rel, bytes] of NEW_TREE) {
      mkdirSync(dirname(join(w.target, rel)), { recursive: true })
      writeFileSync(join(w.target, rel), bytes)
    }
    return
  }
  // control-dir-unsynced-rename: every file fsynced, no directory of the stage, then renamed
  // into place and the parent fsynced.
  const stage = `${w.target}.oxentmp.control0`
  for (const [rel, bytes] of NEW_TREE) {
    mkdirSync(dirname(join(stage, rel)), { recursive: true })
    const fd = openSync(join(stage, rel), 'wx')
    writeSync(fd, bytes)
    fsyncSync(fd)
    closeSync(fd)
  }
  renameSync(stage, w.target)
  fsyncPath(dirname(w.target))
}
