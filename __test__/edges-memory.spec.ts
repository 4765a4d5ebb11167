// Guarantees 12 and 14 against a hostile caller: buffers detached, shrunk, shared or rewritten
// after they were passed; worker threads that end or are terminated while publishes run; and a
// signalled stream that must not keep its chunks alive. Crash-prone scenarios run in a child
// (fixtures/edges-child.ts) so that a SIGSEGV is a failed test.

import test from 'ava'
import { statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AtomicFile, hashFile, xxh3_128 } from 'atomic-publish'
import { freshDir, needs, posixOnly, runChild, scratchIn } from './helpers.js'

const MiB = 1 << 20

interface Settled {
  ok: boolean
  hash?: string
  bytes?: number
  name?: string
  code?: string
  message?: string
}

function child<T>(scenario: string, dir = freshDir()) {
  return runChild<T & { setupFailed?: string }>('edges-child', [scenario, dir], { nodeArgs: ['--expose-gc'], env: { UV_THREADPOOL_SIZE: '4' } })
}

type Detached = { result: Settled; expected: string; onDisk: string | null; size: number | null; setupFailed?: string }

function assertPublishedOrRefused(t: import('ava').ExecutionContext, run: ReturnType<typeof child<Detached>>): void {
  t.is(run.signal, null, `the process died of ${run.signal}: ${run.stderr.slice(-400)}`)
  t.is(run.status, 0, run.stderr.slice(-400))
  const out = run.out as Detached
  t.is(out.setupFailed, undefined)
  t.log(JSON.stringify(out.result))
  if (out.result.ok) {
    t.is(out.result.hash, out.expected, 'a resolved call published the bytes it was given')
    t.is(out.onDisk ?? undefined, out.result.hash, 'the file holds what result.hash names')
  } else {
    t.regex(String(out.result.code), /^(E[A-Z]+|ERR_[A-Z_]+)$/, `a clear error with a code: ${out.result.message}`)
    t.is(out.onDisk, null, 'a refused call publishes nothing')
  }
}

/** The scenarios that hold the thread pool busy with copies of FIFOs while a write waits. */
const poolHeld = needs([], { also: posixOnly('FIFOs (copies of FIFOs hold the thread pool)') })

poolHeld('a buffer whose ArrayBuffer is transferred and collected while its write waits for a pool thread never crashes the process', (t) => {
  assertPublishedOrRefused(t, child<Detached>('transfer'))
})

poolHeld('a resizable ArrayBuffer shrunk to 0 while its write waits for a pool thread never crashes the process', (t) => {
  assertPublishedOrRefused(t, child<Detached>('resize'))
})

poolHeld('a large buffer transferred and collected while its write waits, its memory given to other bytes: those are never published', (t) => {
  const run = child<Detached>('transfer-and-reuse')
  assertPublishedOrRefused(t, run)
  if (run.out && !run.out.result.ok) t.is(run.out.result.code, 'ERR_INVALID_STATE', 'the error says the buffer was taken away')
})

poolHeld('the same, with byteLength redefined on the view to hide the detach: the engine’s length is the one believed', (t) => {
  const run = child<Detached>('transfer-and-reuse-hiding-the-detach')
  assertPublishedOrRefused(t, run)
  if (run.out && !run.out.result.ok) t.is(run.out.result.code, 'ERR_INVALID_STATE')
})

test('a large write queued behind two others to its target, its buffer detached after the call: refused, never an empty file', (t) => {
  const run = child<Detached & { left: number }>('detach-queued-behind-target')
  assertPublishedOrRefused(t, run)
  const out = run.out!
  if (!out.result.ok) t.is(out.result.code, 'ERR_INVALID_STATE')
  t.is(out.size, 32 * MiB, 'the target holds a whole earlier version, not a truncated one')
  t.is(out.left, 0, 'no scratch left')
})

test('a SharedArrayBuffer view rewritten by another thread right after write(): the file holds exactly the bytes result.hash names', (t) => {
  const run = child<{ result: Settled; onDisk: string | null }>('shared')
  t.is(run.signal, null, run.stderr.slice(-400))
  t.is(run.status, 0, run.stderr.slice(-400))
  const out = run.out!
  t.log(JSON.stringify(out))
  if (out.result.ok) t.is(out.onDisk ?? undefined, out.result.hash, 'result.hash describes the bytes renamed into place')
  else t.regex(String(out.result.code), /^(E[A-Z]+|ERR_[A-Z_]+)$/)
})

/** When to refill: after a delay (the 0–60 ms), or as soon as the scratch exists. */
type Moment = number | 'scratch appears' | 'scratch half written'

function refillAt(dir: string, moment: Moment, size: number, refill: () => void, done: () => boolean): void {
  if (typeof moment === 'number') {
    setTimeout(refill, moment)
    return
  }
  const watch = (): void => {
    if (done()) return
    const [name] = scratchIn(dir)
    let written = -1
    try {
      written = name ? statSync(join(dir, name)).size : -1
    } catch {}
    if (moment === 'scratch appears' ? written >= 0 : written >= size / 2) refill()
    else setImmediate(watch)
  }
  watch()
}

async function refilledRounds(t: import('ava').ExecutionContext, verified: boolean): Promise<void> {
  const dir = freshDir()
  const target = join(dir, 'target.bin')
  writeFileSync(target, 'old')
  const size = 128 * MiB
  for (const moment of [0, 30, 60, 'scratch appears', 'scratch half written'] as Moment[]) {
    const buf = Buffer.alloc(size, 'a')
    const expected = xxh3_128(buf)
    const before = await hashFile(target)
    let done = false
    const file = new AtomicFile(target)
    const pending = (verified ? file.withHash(expected) : file).write(buf).finally(() => (done = true))
    refillAt(dir, moment, size, () => buf.fill('b'), () => done)
    try {
      const result = await pending
      if (verified) t.is(result.hash, expected, `refill at ${moment}: resolved with the expected hash`)
      t.is((await hashFile(target)) as string | undefined, result.hash, `refill at ${moment}: the file on disk is what result.hash names`)
    } catch (e) {
      t.regex(String((e as { code?: string }).code), /^(E[A-Z]+|ERR_[A-Z_]+)$/, `refill at ${moment}`)
      t.is(await hashFile(target), before, `refill at ${moment}: a refused call leaves the target`)
    }
    t.deepEqual(scratchIn(dir), [])
  }
}

test('a 128 MiB verified write whose buffer is refilled while it runs: the file always holds the verified bytes', async (t) => {
  await refilledRounds(t, true)
})

test('a 128 MiB write whose buffer is refilled while it runs: result.hash always names the bytes on disk', async (t) => {
  await refilledRounds(t, false)
})

test("a worker that constructs an AtomicFile and ends, and one that is terminated, leave the main thread's stream to publish", (t) => {
  const run = child<{ result: Settled; content: string | null; left: string[] }>('worker-exit')
  t.is(run.signal, null, run.stderr.slice(-400))
  const out = run.out!
  t.is(out.setupFailed, undefined)
  t.true(out.result.ok, `the main publish failed: ${out.result.code} ${out.result.message}`)
  t.is(out.content, 'first half, second half')
  t.deepEqual(out.left, [])
})

test('a worker terminated mid-stream removes its own scratch', (t) => {
  const run = child<{ during: number; after: number; published: boolean }>('worker-terminated-mid-stream')
  t.is(run.signal, null, run.stderr.slice(-400))
  const out = run.out!
  t.is(out.setupFailed, undefined)
  t.is(out.during, 1, 'the worker had a scratch in flight')
  t.is(out.after, 0, 'and it is gone once the worker is terminated')
  t.false(out.published)
})

test('a stream with withSignal over 4000 × 64 KiB fresh chunks keeps under 16 MiB of ArrayBuffers reachable at its last chunk', (t) => {
  const run = child<{ without: number; withSignal: number }>('stream-signal-memory')
  t.is(run.status, 0, run.stderr.slice(-400))
  const out = run.out!
  t.log(`arrayBuffers after gc() at the last chunk: without a signal ${(out.without / MiB).toFixed(1)} MiB, with one ${(out.withSignal / MiB).toFixed(1)} MiB`)
  t.true(out.withSignal < 16 * MiB, `${(out.withSignal / MiB).toFixed(1)} MiB still reachable`)
})
