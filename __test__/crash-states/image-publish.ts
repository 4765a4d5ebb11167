// Child for the loop-image spot checks: one writeSync of the suite's new bytes, then (with
// `fsync-dir`) another process's view of a directory fsync: the journal commit it forces.
// With `--dir`, one commit of the directory workloads' new tree in the plain layout instead.
// Usage: node image-publish.js <target> <level> <size> [fsync-dir] | node image-publish.js --dir <target> <level>

import { closeSync, fsyncSync, openSync } from 'node:fs'
import { dirname } from 'node:path'
import { AtomicDir, AtomicFile } from 'atomic-publish'
import { NEW_TREE } from './dir-trees.js'
import { newContent, type Level } from './plan.js'

async function main(): Promise<void> {
  if (process.argv[2] === '--dir') {
    const [target, level] = process.argv.slice(3)
    const dir = new AtomicDir(target).withDurability(level as Level)
    for (const [rel, bytes] of NEW_TREE) await dir.file(rel).write(bytes)
    await dir.commit()
    return
  }
  const [target, level, size, then] = process.argv.slice(2)
  new AtomicFile(target).withDurability(level as Level).writeSync(newContent(Number(size)))
  if (then === 'fsync-dir') {
    const fd = openSync(dirname(target), 'r')
    fsyncSync(fd)
    closeSync(fd)
  }
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
