// Child for the loop-image spot checks: one writeSync of the suite's new bytes, then (with
// `fsync-dir`) another process's view of a directory fsync: the journal commit it forces.
// Usage: node image-publish.js <target> <level> <size> [fsync-dir]

import { closeSync, fsyncSync, openSync } from 'node:fs'
import { dirname } from 'node:path'
import { AtomicFile } from 'atomic-publish'
import { newContent, type Level } from './plan.js'

const [target, level, size, then] = process.argv.slice(2)
new AtomicFile(target).withDurability(level as Level).writeSync(newContent(Number(size)))
if (then === 'fsync-dir') {
  const fd = openSync(dirname(target), 'r')
  fsyncSync(fd)
  closeSync(fd)
}
