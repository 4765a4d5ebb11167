// While an async publish runs, what is on disk is a scratch named `<basename>.oxentmp.<random>`
// beside the target (guarantee 4); the event loop (guarantee 6) is measured in
// isolated/event-loop.spec.ts.

import test, { type ExecutionContext } from 'ava'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AtomicFile } from 'atomic-publish'
import { freshDir, namesIn } from './helpers.js'

/**
 * Look at `dir` once: at most one name beside the target, a scratch name, and the target still
 * old while it is there. The scratch name seen, if any.
 */
function look(t: ExecutionContext, dir: string): string | undefined {
  // Read the target first: if the scratch is still there afterwards, the read came before
  // the rename and must have seen the old bytes.
  const content = readFileSync(join(dir, 'blob.bin')).subarray(0, 3).toString()
  const names = readdirSync(dir).filter((n) => n !== 'blob.bin')
  t.true(names.length <= 1, `more than one scratch: ${names.join(', ')}`)
  for (const n of names) t.regex(n, /^blob\.bin\.oxentmp\.[A-Za-z0-9]{10}$/)
  if (names.length === 1) t.is(content, 'old', 'target untouched while in flight')
  return names[0]
}

test.serial('while a stream is in flight, exactly one <basename>.oxentmp.<random> sits beside the target', async (t) => {
  const dir = freshDir()
  writeFileSync(join(dir, 'blob.bin'), 'old')
  const seen = new Set<string>()
  let sawScratch = (): void => {}
  const scratchSeen = new Promise<void>((r) => (sawScratch = r))
  let done = false
  // The source holds back its second chunk until the scratch has been seen: the publish is
  // then in flight for as long as the test needs, however fast or slow the machine.
  const publish = new AtomicFile(join(dir, 'blob.bin'))
    .stream(
      (async function* () {
        yield Buffer.alloc(1 << 20, 1)
        await scratchSeen
        for (let i = 1; i < 64; i++) yield Buffer.alloc(1 << 20, 1)
      })(),
    )
    .finally(() => (done = true))
  while (!done) {
    const name = look(t, dir)
    if (name !== undefined) {
      seen.add(name)
      sawScratch()
    }
    await new Promise((r) => setImmediate(r))
  }
  const result = await publish
  t.is(result.bytes, 64 << 20)
  t.is(seen.size, 1, 'one scratch, seen while the publish ran')
  t.deepEqual(namesIn(dir), ['blob.bin'])
})

test.serial('while a large write is in flight, nothing but one <basename>.oxentmp.<random> ever sits beside the target', async (t) => {
  // A write this large fills an unnamed scratch first (named only once its bytes are checked,
  // just before the rename), so whether a look lands on the name is up to timing: only what
  // any look may see is asserted.
  const dir = freshDir()
  writeFileSync(join(dir, 'blob.bin'), 'old')
  let done = false
  const publish = new AtomicFile(join(dir, 'blob.bin'))
    .write(Buffer.alloc(64 << 20, 1))
    .finally(() => (done = true))
  let looks = 0
  while (!done) {
    look(t, dir)
    looks++
    await new Promise((r) => setImmediate(r))
  }
  await publish
  t.log(`${looks} looks while the write ran`)
  t.deepEqual(namesIn(dir), ['blob.bin'])
  t.is(readFileSync(join(dir, 'blob.bin')).length, 64 << 20)
})
