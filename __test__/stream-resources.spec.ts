// What a stream costs: memory that does not grow with its size (guarantee 5) and nothing left
// behind by a stream nobody ends (guarantee 11); the event loop (guarantee 6) is measured in
// isolated/event-loop.spec.ts.
// Measured in child processes so other tests do not disturb the figures.

import test from 'ava'
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { freshDir, namesIn, needs, removeTree, roomFor } from './helpers.js'

const MiB = 1 << 20
const fixture = (name: string) => join(__dirname, 'fixtures', `${name}.js`)

function peakRss(bytes: number): number {
  const dir = freshDir()
  const out = execFileSync(process.execPath, [fixture('stream-rss'), join(dir, 'big'), String(bytes)], { encoding: 'utf8' })
  removeTree(dir)
  return JSON.parse(out).maxRss
}

needs([], { serial: true, also: roomFor(3072 * MiB) })('peak RSS streaming 3 GiB stays within 96 MiB of streaming 256 MiB, and under 400 MiB', (t) => {
  const small = peakRss(256 * MiB)
  const large = peakRss(3072 * MiB)
  t.log(`peak RSS: 256 MiB stream ${(small / MiB).toFixed(0)} MiB, 3 GiB stream ${(large / MiB).toFixed(0)} MiB`)
  t.true(large - small < 96 * MiB, `grew by ${((large - small) / MiB).toFixed(0)} MiB`)
  t.true(large < 400 * MiB)
})

test.serial('a stream that is garbage-collected without an end removes its scratch', (t) => {
  const dir = freshDir()
  const out = execFileSync(process.execPath, ['--expose-gc', fixture('stream-gc'), dir], { encoding: 'utf8' })
  const { during, after } = JSON.parse(out)
  t.is(during, 1, 'the scratch existed while the stream was alive')
  t.is(after, 0, 'collecting the abandoned stream removed its scratch')
  t.deepEqual(namesIn(dir), [], 'and nothing was published')
})
