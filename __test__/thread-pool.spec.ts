// While an async publish runs, what is on disk is a scratch named `<basename>.oxentmp.<random>`
// beside the target (guarantee 4); the event loop (guarantee 6) is measured in
// isolated/event-loop.spec.ts.

import test from 'ava'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AtomicFile } from 'atomic-publish'
import { freshDir, namesIn } from './helpers.js'

test.serial('while a publish is in flight, exactly one <basename>.oxentmp.<random> sits beside the target', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'blob.bin')
  writeFileSync(target, 'old')
  const seen = new Set<string>()
  let done = false
  const publish = new AtomicFile(target)
    .write(Buffer.alloc(64 * 1024 * 1024, 1))
    .finally(() => {
      done = true
    })
  while (!done) {
    // Read the target first: if the scratch is still there afterwards, the read came before
    // the rename and must have seen the old bytes.
    const content = readFileSync(target).subarray(0, 3).toString()
    const names = readdirSync(dir).filter((n) => n !== 'blob.bin')
    t.true(names.length <= 1, `more than one scratch: ${names.join(', ')}`)
    for (const n of names) seen.add(n)
    if (names.length === 1) t.is(content, 'old', 'target untouched while in flight')
    await new Promise((r) => setImmediate(r))
  }
  await publish
  t.true(seen.size >= 1, 'the scratch was seen while the publish ran')
  for (const name of seen) t.regex(name, /^blob\.bin\.oxentmp\.[A-Za-z0-9]{10}$/)
  t.deepEqual(namesIn(dir), ['blob.bin'])
})
