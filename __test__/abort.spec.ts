// withSignal on every async terminal: an aborted signal rejects before the disk is touched,
// an abort mid-way removes the scratch and rejects with an AbortError, an abort after the
// rename changes nothing.

import test from 'ava'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AbortError, AtomicFile, xxh3_128 } from 'atomic-publish'
import { cleanedUp, dirWithOldTarget, freshDir, namesIn, needs, roomFor, scratchIn, snapshot, xorshiftBytes } from './helpers.js'

function assertAbortError(t: import('ava').ExecutionContext, err: unknown, reason: unknown): void {
  t.true(err instanceof AbortError)
  t.like(err as object, { name: 'AbortError', code: 'ABORT_ERR' })
  t.is((err as Error).cause, reason)
}

test('an already aborted signal rejects every terminal before touching the disk', async (t) => {
  const dir = freshDir()
  writeFileSync(join(dir, 'src'), 'source')
  const before = snapshot(dir)
  const reason = new Error('cancelled by the user')
  const signal = AbortSignal.abort(reason)
  const target = join(dir, 'sub', 'target')
  let pulled = 0
  const source = (async function* () {
    pulled++
    yield Buffer.from('x')
  })()
  for (const run of [
    () => new AtomicFile(target).withSignal(signal).write('x'),
    () => new AtomicFile(target).withSignal(signal).copyFrom(join(dir, 'src')),
    () => new AtomicFile(target).withSignal(signal).stream(source),
  ]) {
    assertAbortError(t, await t.throwsAsync(run()), reason)
  }
  t.is(pulled, 0, 'the source was never read')
  t.deepEqual(snapshot(dir), before)
})

test('an abort while the source waits stops the stream at once and removes the scratch', async (t) => {
  const { dir, target, before } = dirWithOldTarget('blob')
  const controller = new AbortController()
  let finished = false
  const stuck = (async function* () {
    try {
      yield Buffer.alloc(1 << 20, 1)
      await new Promise(() => {})
    } finally {
      finished = true
    }
  })()
  const publish = new AtomicFile(target).withSignal(controller.signal).stream(stuck)
  setTimeout(() => controller.abort(), 50)
  const err = await t.throwsAsync(publish)
  assertAbortError(t, err, controller.signal.reason)
  await cleanedUp(dir)
  t.deepEqual(snapshot(dir), before)
  t.false(finished, 'a generator stuck in an await cannot be closed; it is simply dropped')
})

test('an abort mid-stream of a fast source removes the scratch', async (t) => {
  const dir = freshDir()
  const controller = new AbortController()
  const chunk = Buffer.alloc(1 << 20, 2)
  let n = 0
  const endless = (async function* () {
    for (;;) {
      if (++n === 20) controller.abort('enough')
      yield chunk
    }
  })()
  const err = await t.throwsAsync(new AtomicFile(join(dir, 'x')).withSignal(controller.signal).stream(endless))
  assertAbortError(t, err, 'enough')
  await cleanedUp(dir)
  t.deepEqual(namesIn(dir), [])
})

needs([], { serial: true, also: roomFor(1024 << 20) })('an abort mid-copy removes the scratch and leaves the target as it was, with and without a hash', async (t) => {
  const dir = freshDir()
  const src = join(dir, 'src')
  const data = Buffer.alloc(512 << 20, 1)
  writeFileSync(src, data)
  for (const verified of [false, true]) {
    // The abort races the copy: it comes as soon as the scratch shows, and a fast machine may
    // still finish the copy and rename first. Each round's outcome must be one an abort allows
    // (rejected and nothing changed, or published whole and nothing left); rounds go on until
    // one abort landed mid-copy, or the bound (a copy this machine never lets an abort reach).
    let landed = 0
    let rounds = 0
    while (landed === 0 && rounds < 20) {
      rounds++
      writeFileSync(join(dir, 'dst'), 'old')
      const controller = new AbortController()
      let file = new AtomicFile(join(dir, 'dst')).withSignal(controller.signal)
      if (verified) file = file.withHash(xxh3_128(data))
      let settled = false
      const publish = file.copyFrom(src).finally(() => (settled = true))
      while (!settled && scratchIn(dir).length === 0) await new Promise((r) => setImmediate(r))
      controller.abort('stop')
      const outcome = await publish.then(
        (result) => ({ result }),
        (err: unknown) => ({ err }),
      )
      await cleanedUp(dir)
      t.deepEqual(namesIn(dir), ['dst', 'src'], `round ${rounds}: no scratch left`)
      if ('err' in outcome) {
        landed++
        assertAbortError(t, outcome.err, 'stop')
        t.is(readFileSync(join(dir, 'dst'), 'utf8'), 'old', `round ${rounds}: aborted, the target as it was`)
      } else {
        t.is(outcome.result.bytes, data.length)
        t.is(statSync(join(dir, 'dst')).size, data.length, `round ${rounds}: published, the whole copy`)
      }
    }
    t.log(`${verified ? 'verified' : 'plain'} copy: ${landed} abort(s) landed mid-copy in ${rounds} round(s)`)
  }
})

test('an abort after the publish resolved changes nothing', async (t) => {
  const dir = freshDir()
  const controller = new AbortController()
  const result = await new AtomicFile(join(dir, 'f')).withSignal(controller.signal).write('kept')
  controller.abort()
  t.is(result.bytes, 4)
  t.is(readFileSync(join(dir, 'f'), 'utf8'), 'kept')
})

test('copyFrom progress grows and ends with the total', async (t) => {
  const dir = freshDir()
  const src = join(dir, 'src')
  writeFileSync(src, xorshiftBytes(64 << 20))
  const seen: number[] = []
  const result = await new AtomicFile(join(dir, 'dst')).onProgress((n) => seen.push(n)).copyFrom(src)
  t.true(seen.length >= 1)
  t.true(seen.every((n, i) => i === 0 || n > seen[i - 1]))
  t.is(seen.at(-1), result.bytes)
  t.is(result.bytes, 64 << 20)
})

test('withSignal and onProgress reject the wrong types at once', (t) => {
  const file = new AtomicFile('/nonexistent/never')
  t.throws(() => file.withSignal({} as AbortSignal), { code: 'ERR_INVALID_ARG_TYPE' })
  t.throws(() => file.onProgress('x' as unknown as () => void), { code: 'ERR_INVALID_ARG_TYPE' })
})

test.serial('an abort while a stream waits for a descriptor slot is honoured when its turn comes', async (t) => {
  const dir = freshDir()
  // Hold every slot with streams that wait on a gate, then queue one more and abort it.
  let release = (): void => {}
  const gate = new Promise<void>((r) => (release = r))
  const holders = Array.from({ length: 1100 }, (_, i) =>
    new AtomicFile(join(dir, `h${i}`)).stream((async function* () {
      yield Buffer.from('x')
      await gate
    })()),
  )
  const controller = new AbortController()
  let pulled = 0
  const queued = new AtomicFile(join(dir, 'queued')).withSignal(controller.signal).stream((async function* () {
    pulled++
    yield Buffer.from('never')
  })())
  controller.abort('too late')
  release()
  assertAbortError(t, await t.throwsAsync(queued), 'too late')
  await Promise.all(holders)
  t.is(pulled, 0, 'the aborted stream never read its source')
  t.false(namesIn(dir).includes('queued'))
})
