// Coalescing: writes queued behind others to one target are superseded by newer ones and never
// written, yet each keeps its own hash check, its own abort, and — if the write that overtook
// it fails — its chance to be published after all.

import test from 'ava'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { AbortError, AtomicFile, HashMismatchError, xxh3_128 } from 'atomic-publish'
import { freshDir, scratchIn } from './helpers.js'

/** Two large writes keep the target busy, so the calls after them wait and coalesce. */
function busy(target: string): Array<Promise<unknown>> {
  return [new AtomicFile(target).write(Buffer.alloc(16 << 20, 1)), new AtomicFile(target).write(Buffer.alloc(16 << 20, 2))]
}

test('queued writes are superseded by the newest, which resolves them with their own bytes and hash', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'f')
  const first = busy(target)
  const waiting = ['a', 'bb', 'ccc'].map((s) => new AtomicFile(target).write(s))
  const last = new AtomicFile(target).write('the last call')
  const results = await Promise.all(waiting)
  for (const [i, r] of results.entries()) {
    const data = ['a', 'bb', 'ccc'][i]
    t.deepEqual(r, { path: target, bytes: data.length, hash: xxh3_128(data), superseded: true })
  }
  t.false((await last).superseded === true)
  await Promise.all(first)
  t.is(readFileSync(target, 'utf8'), 'the last call')
  t.deepEqual(scratchIn(dir), [])
})

test('a superseded write still gets its own hash check', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'f')
  const first = busy(target)
  const wrong = new AtomicFile(target).withHash('1').write('checked even though never written')
  const last = new AtomicFile(target).write('last')
  const err = await t.throwsAsync(wrong, { instanceOf: HashMismatchError })
  t.is(err.actual, xxh3_128('checked even though never written'))
  await Promise.all([last, ...first])
  t.is(readFileSync(target, 'utf8'), 'last')
})

test('when the write that overtook others fails, the newest of them is published after all', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'f')
  const first = busy(target)
  const older = new AtomicFile(target).write('older, valid')
  const newer = new AtomicFile(target).write('newer, valid')
  const failing = new AtomicFile(target).withHash('1').write('newest, but wrong')
  await t.throwsAsync(failing, { instanceOf: HashMismatchError })
  t.true((await older).superseded, 'older is overtaken by newer')
  t.false((await newer).superseded === true, 'newer was written')
  await Promise.all(first)
  t.is(readFileSync(target, 'utf8'), 'newer, valid')
})

test('a superseded write whose signal aborts rejects with an AbortError', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'f')
  const first = busy(target)
  const controller = new AbortController()
  const aborted = new AtomicFile(target).withSignal(controller.signal).write('aborted')
  const last = new AtomicFile(target).write('last')
  controller.abort('changed my mind')
  const err = await t.throwsAsync(aborted, { instanceOf: AbortError })
  t.is(err.cause, 'changed my mind')
  await Promise.all([last, ...first])
  t.is(readFileSync(target, 'utf8'), 'last')
})

test('writes to different targets never wait for each other', async (t) => {
  const dir = freshDir()
  const results = await Promise.all(Array.from({ length: 50 }, (_, i) => new AtomicFile(join(dir, `f${i}`)).write(`file ${i}`)))
  t.true(results.every((r) => r.superseded !== true))
  t.is(readFileSync(join(dir, 'f49'), 'utf8'), 'file 49')
})
