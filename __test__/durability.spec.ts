// withDurability (guarantee 2): the levels as arguments; what each level does on disk is
// checked with strace (strace.spec.ts) and power cuts (powercut.spec.ts).

import test from 'ava'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { AtomicFile } from 'atomic-publish'
import { freshDir, namesIn } from './helpers.js'

test('every level publishes through every terminal kind', async (t) => {
  const dir = freshDir()
  for (const level of ['full', 'file', 'none'] as const) {
    const file = (name: string): AtomicFile => new AtomicFile(join(dir, `${level}-${name}`)).withDurability(level)
    await file('write').write(level)
    file('writeSync').writeSync(level)
    await file('stream').stream((async function* () { yield level })())
    for (const name of ['write', 'writeSync', 'stream']) t.is(readFileSync(join(dir, `${level}-${name}`), 'utf8'), level)
  }
  t.is(namesIn(dir).length, 9)
})

test('withDurability takes one of the three levels; withFsync is full or none', (t) => {
  const file = new AtomicFile(join(freshDir(), 'x'))
  for (const bad of ['FULL', 'data', '']) t.throws(() => file.withDurability(bad as 'full'), { code: 'ERR_INVALID_ARG_VALUE' })
  for (const bad of [true, 1, null, undefined]) t.throws(() => file.withDurability(bad as unknown as 'full'), { code: 'ERR_INVALID_ARG_TYPE' })
  t.notThrows(() => file.withDurability('file').withFsync(true).withFsync(false))
})
