// The async terminals leave the JS thread free (guarantee 6), and what happens meanwhile on
// disk is a scratch named `<basename>.oxentmp.<random>` beside the target (guarantee 4).

import test from 'ava'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AtomicFile, xxh3_128 } from 'atomic-publish'
import { freshDir, namesIn, xorshiftBytes } from './helpers.js'

const LARGE = 256 * 1024 * 1024

test.serial('a verified 256 MiB write leaves the event loop free while it publishes', async (t) => {
  const dir = freshDir()
  const data = Buffer.alloc(LARGE, 0x5a)
  xorshiftBytes(1 << 20).copy(data, 12_345)
  const expected = xxh3_128(data)
  let last = performance.now()
  let worstGap = 0
  let ticks = 0
  const timer = setInterval(() => {
    const now = performance.now()
    worstGap = Math.max(worstGap, now - last)
    last = now
    ticks++
  }, 2)
  const started = performance.now()
  last = started
  const result = await new AtomicFile(join(dir, 'large.bin')).withHash(expected).write(data)
  // The gap up to completion counts too.
  worstGap = Math.max(worstGap, performance.now() - last)
  const took = performance.now() - started
  clearInterval(timer)
  t.log(`publish took ${took.toFixed(0)} ms; ${ticks} timer ticks; worst gap ${worstGap.toFixed(1)} ms`)
  t.is(result.hash, expected)
  t.is(result.bytes, LARGE)
  t.true(worstGap < 80, `the loop stalled for ${worstGap.toFixed(1)} ms`)
  t.true(took > 4 * worstGap, 'the publish lasted long enough for the measure to mean something')
})

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
