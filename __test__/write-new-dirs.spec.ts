// A large write (above 8 MiB, handed to the native side unread) into directories that do not
// exist yet: its bytes are checked before any directory is made, so a mismatch leaves nothing;
// the directories it makes are those `fs.mkdir` would make; publishes racing into one new
// directory all land there.

import test from 'ava'
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { publish, xxh3_128 } from 'atomic-publish'
import { freshDir, namesIn, needs, roomFor, scratchIn, snapshot, xorshiftBytes } from './helpers.js'

const LARGE = 9 << 20

test('a large write whose hash does not match leaves no directory it would have made, and no scratch', async (t) => {
  const dir = freshDir()
  const data = xorshiftBytes(LARGE)
  const before = snapshot(dir)
  await t.throwsAsync(publish(join(dir, 'a', 'b', 'blob'), data, { hash: xxh3_128('other bytes') }), { code: 'ERR_HASH_MISMATCH' })
  t.deepEqual(snapshot(dir), before)
})

test('a large write into missing directories makes them with the modes fs gives', async (t) => {
  const dir = freshDir()
  const data = xorshiftBytes(LARGE)
  const target = join(dir, 'a', 'b', 'blob')
  const result = await publish(target, data, { hash: xxh3_128(data) })
  t.is(result.hash, xxh3_128(data))
  t.true(readFileSync(target).equals(data))
  t.deepEqual(namesIn(join(dir, 'a', 'b')), ['blob'])
  mkdirSync(join(dir, 'fs', 'b'), { recursive: true })
  writeFileSync(join(dir, 'fs', 'b', 'blob'), 'x')
  const mode = (...p: string[]): string => (statSync(join(dir, ...p)).mode & 0o7777).toString(8)
  t.is(mode('a'), mode('fs'))
  t.is(mode('a', 'b'), mode('fs', 'b'))
  t.is(mode('a', 'b', 'blob'), mode('fs', 'b', 'blob'))
})

const WRITERS = 24

needs([], { also: roomFor(WRITERS * LARGE) })(`${WRITERS} concurrent large writes into one missing directory all succeed`, async (t) => {
  const dir = freshDir()
  const data = xorshiftBytes(LARGE)
  const made = join(dir, 'new')
  const results = await Promise.allSettled(Array.from({ length: WRITERS }, (_, i) => publish(join(made, `blob${i}`), data)))
  const failed = results.flatMap((r) => (r.status === 'rejected' ? [String((r.reason as Error).stack)] : []))
  t.deepEqual(failed, [])
  t.is(namesIn(made).length, WRITERS)
  t.deepEqual(scratchIn(made), [])
  for (let i = 0; i < WRITERS; i++) t.true(readFileSync(join(made, `blob${i}`)).equals(data), `blob${i}`)
})
