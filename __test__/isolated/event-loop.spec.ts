// The async terminals leave the JS thread free (guarantee 6), measured as the worst gap of a
// 2 ms timer while a large verified publish runs. The figure means something only when no other
// test file competes for the 2 cores, so this file runs on its own after the main suite
// (`npm run test:isolated`, ava.isolated.config.mjs), one test at a time.

import test from 'ava'
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { AtomicFile, createHasher, xxh3_128 } from 'atomic-publish'
import { freshDir, needs, roomFor, xorshiftBytes } from '../helpers.js'

const MiB = 1 << 20
const LARGE = 256 * MiB

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

needs([], { serial: true, also: roomFor(768 * MiB) })('a verified 768 MiB stream leaves the event loop free', async (t) => {
  const dir = freshDir()
  const chunk = Buffer.alloc(MiB, 0x42)
  const chunks = 768
  const hasher = createHasher()
  for (let i = 0; i < chunks; i++) hasher.update(chunk)
  const expected = hasher.digest()
  async function* source(): AsyncGenerator<Buffer> {
    for (let i = 0; i < chunks; i++) yield chunk
  }
  let last = performance.now()
  let worstGap = 0
  const timer = setInterval(() => {
    const now = performance.now()
    worstGap = Math.max(worstGap, now - last)
    last = now
  }, 2)
  const started = performance.now()
  last = started
  const result = await new AtomicFile(join(dir, 'big')).withHash(expected).stream(source())
  worstGap = Math.max(worstGap, performance.now() - last)
  const took = performance.now() - started
  clearInterval(timer)
  execFileSync('rm', ['-rf', dir])
  t.log(`768 MiB verified stream: ${took.toFixed(0)} ms, worst timer gap ${worstGap.toFixed(1)} ms`)
  t.is(result.hash, expected)
  t.true(worstGap < 80, `the loop stalled for ${worstGap.toFixed(1)} ms`)
})
