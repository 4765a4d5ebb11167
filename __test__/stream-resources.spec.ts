// What a stream costs: memory that does not grow with its size (guarantee 5), an event loop
// left free (guarantee 6), and nothing left behind by a stream nobody ends (guarantee 11).
// Measured in child processes so other tests do not disturb the figures.

import test from 'ava'
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { AtomicFile, createHasher } from 'atomic-publish'
import { freshDir, namesIn } from './helpers.js'

const MiB = 1 << 20
const fixture = (name: string) => join(__dirname, 'fixtures', `${name}.js`)

function peakRss(bytes: number): number {
  const dir = freshDir()
  const out = execFileSync(process.execPath, [fixture('stream-rss'), join(dir, 'big'), String(bytes)], { encoding: 'utf8' })
  execFileSync('rm', ['-rf', dir])
  return JSON.parse(out).maxRss
}

test.serial('peak RSS streaming 3 GiB stays within 96 MiB of streaming 256 MiB, and under 400 MiB', (t) => {
  const small = peakRss(256 * MiB)
  const large = peakRss(3072 * MiB)
  t.log(`peak RSS: 256 MiB stream ${(small / MiB).toFixed(0)} MiB, 3 GiB stream ${(large / MiB).toFixed(0)} MiB`)
  t.true(large - small < 96 * MiB, `grew by ${((large - small) / MiB).toFixed(0)} MiB`)
  t.true(large < 400 * MiB)
})

test.serial('a verified 768 MiB stream leaves the event loop free', async (t) => {
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

test.serial('a stream that is garbage-collected without an end removes its scratch', (t) => {
  const dir = freshDir()
  const out = execFileSync(process.execPath, ['--expose-gc', fixture('stream-gc'), dir], { encoding: 'utf8' })
  const { during, after } = JSON.parse(out)
  t.is(during, 1, 'the scratch existed while the stream was alive')
  t.is(after, 0, 'collecting the abandoned stream removed its scratch')
  t.deepEqual(namesIn(dir), [], 'and nothing was published')
})
