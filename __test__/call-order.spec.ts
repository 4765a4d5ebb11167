// Guarantees 7 and 13 together: sync and async calls to one target take their place in one
// call order, and no two results are ever impossible in that order. A sync call that would
// have to wait for earlier async calls fails with ERR_ORDER_PENDING instead of overtaking them.

import test from 'ava'
import fc from 'fast-check'
import { once } from 'node:events'
import { readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { AtomicFile, type PublishResult } from 'atomic-publish'
import { writeFileSync as compatWriteFileSync } from 'atomic-publish/compat'
import { cleanedUp, freshDir, needs, posix, roundsHere, scratchIn } from './helpers.js'
import { type CallShape, impossibleInCallOrder, type Observed, observe } from './order-model.js'

const ROUNDS = roundsHere(1000)
/** Rounds with a 9 MiB call behind or ahead of the others, and those that hold a publish open. */
const SLOW_ROUNDS = roundsHere(100)
const ABORT_ROUNDS = roundsHere(50)
const PROPERTY_RUNS = roundsHere(300)

function readOrNone(path: string): string | undefined {
  try {
    return readFileSync(path, 'latin1')
  } catch {
    return undefined
  }
}

/** A sync call's outcome as a settled promise would report it. */
function settledSync<T>(call: () => T): PromiseSettledResult<T> {
  try {
    return { status: 'fulfilled', value: call() }
  } catch (reason) {
    return { status: 'rejected', reason }
  }
}

/** Rounds run this many at a time, each on its own fresh name. */
const ROUNDS_IN_FLIGHT = 8

/** One call of a round: what it is, and how to make it on a builder for the round's target. */
interface Step {
  shape: CallShape
  call: (file: AtomicFile) => unknown
}

function step(content: Buffer | string, flags: Partial<CallShape>, call: Step['call']): Step {
  const text = typeof content === 'string' ? content : content.toString('latin1')
  return { shape: { exclusive: false, sync: false, badHash: false, abort: 'none', content: text, ...flags }, call }
}

/** The outcome of a call made now: a sync one runs at once, its result or error kept. */
function madeNow(sync: boolean, call: () => unknown): Promise<unknown> {
  if (!sync) return Promise.resolve(call())
  const now = settledSync(call)
  const result = now.status === 'fulfilled' ? Promise.resolve(now.value) : Promise.reject(now.reason)
  result.catch(() => {})
  return result
}

/**
 * Make `steps` one after another on a fresh name, `rounds` times (a few rounds at a time), and
 * check every round against call order. The results seen, counted; a failure names its round.
 */
async function roundsInCallOrder(rounds: number, steps: Step[]): Promise<{ tally: Record<string, number>; failure?: string }> {
  const dir = freshDir()
  const tally: Record<string, number> = {}
  const round = async (n: number): Promise<string | undefined> => {
    const target = join(dir, `fresh-${n}`)
    const made = steps.map(({ shape, call }) => madeNow(shape.sync, () => call(new AtomicFile(target).withDurability('none'))))
    const results = (await Promise.allSettled(made)).map((s) => observe(s as PromiseSettledResult<{ superseded?: true }>))
    tally[results.join(' + ')] = (tally[results.join(' + ')] ?? 0) + 1
    const why = impossibleInCallOrder(steps.map((s) => s.shape), results, undefined, readOrNone(target))
    rmSync(target, { force: true })
    return why && `round ${n}: ${results.join(' + ')}: ${why}`
  }
  for (let n = 0; n < rounds; n += ROUNDS_IN_FLIGHT) {
    const batch = Array.from({ length: Math.min(ROUNDS_IN_FLIGHT, rounds - n) }, (_, i) => round(n + i))
    const failure = (await Promise.all(batch)).find((why) => why !== undefined)
    if (failure) return { tally, failure }
  }
  const left = scratchIn(dir)
  return { tally, failure: left.length > 0 ? `scratch files left: ${left.join(', ')}` : undefined }
}

for (const [label, size] of [['9 MiB', 9 << 20], ['10 bytes', 10]] as const) {
  test(`write(A) of ${label}, then a no-overwrite writeSync(B) of a fresh name: B never succeeds beside A, ${ROUNDS} rounds`, async (t) => {
    const a = Buffer.alloc(size, 'A')
    const { tally, failure } = await roundsInCallOrder(ROUNDS, [
      step(a, {}, (f) => f.write(a)),
      step('B', { exclusive: true, sync: true }, (f) => f.withOverwrite(false).writeSync('B')),
    ])
    t.log(tally)
    t.is(failure, undefined)
  })
}

test('a no-overwrite writeSync behind a pending write: ERR_ORDER_PENDING naming the target, nothing on disk changes', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'f')
  const pending = new AtomicFile(target).write(Buffer.alloc(4 << 20, 'A'))
  const err = t.throws(() => new AtomicFile(target).withOverwrite(false).writeSync('B'))
  t.like(err as object, { code: 'ERR_ORDER_PENDING', path: target })
  t.regex(err!.message, /^ERR_ORDER_PENDING: .*nothing was published to '.*[\\/]f'$/)
  t.deepEqual(scratchIn(dir), [])
  await pending
  t.is(readFileSync(target, 'latin1')[0], 'A')
  // Once nothing is pending, the same call gets its own answer.
  t.throws(() => new AtomicFile(target).withOverwrite(false).writeSync('B'), { code: 'EEXIST' })
})

test('an ordinary writeSync is never refused behind ordinary pending writes: it wins, they are superseded or replaced', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'f')
  const pending = [1, 2, 3].map((i) => new AtomicFile(target).write(Buffer.alloc(i << 20, String(i))))
  const last = new AtomicFile(target).writeSync('sync, last')
  t.falsy(last.superseded)
  await Promise.all(pending)
  t.is(readFileSync(target, 'utf8'), 'sync, last')
})

test('copyFromSync and writeSync behind a pending no-overwrite publish: ERR_ORDER_PENDING, and the publish keeps its answer', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'f')
  const source = join(dir, 'source')
  writeFileSync(source, 'copied')
  for (let round = 0; round < 50; round++) {
    rmSync(target, { force: true })
    const first = new AtomicFile(target).withOverwrite(false).write(Buffer.alloc(1 << 20, 'A'))
    t.throws(() => new AtomicFile(target).copyFromSync(source), { code: 'ERR_ORDER_PENDING' })
    t.throws(() => new AtomicFile(target).writeSync('B'), { code: 'ERR_ORDER_PENDING' })
    t.falsy((await first).superseded)
    t.is(readFileSync(target, 'latin1')[0], 'A')
  }
  t.deepEqual(scratchIn(dir), [])
})

test(`async, sync, async: write(A, no overwrite) of 9 MiB, writeSync(B), write(C) on a fresh name, ${SLOW_ROUNDS} rounds`, async (t) => {
  const a = Buffer.alloc(9 << 20, 'A')
  const { tally, failure } = await roundsInCallOrder(SLOW_ROUNDS, [
    step(a, { exclusive: true }, (f) => f.withOverwrite(false).write(a)),
    step('B', { sync: true }, (f) => f.writeSync('B')),
    step('C', { exclusive: true }, (f) => f.withOverwrite(false).write('C')),
  ])
  t.log(tally)
  t.is(failure, undefined)
})

test(`sync, then async, behind a pending write: write(P) of 9 MiB, no-overwrite writeSync(A), no-overwrite write(B), ${SLOW_ROUNDS} rounds`, async (t) => {
  const p = Buffer.alloc(9 << 20, 'P')
  const { tally, failure } = await roundsInCallOrder(SLOW_ROUNDS, [
    step(p, {}, (f) => f.write(p)),
    step('A', { exclusive: true, sync: true }, (f) => f.withOverwrite(false).writeSync('A')),
    step('B', { exclusive: true }, (f) => f.withOverwrite(false).write('B')),
  ])
  t.log(tally)
  t.is(failure, undefined)
})

test(`sync, then async from inside it: a no-overwrite write() made while writeFileSync runs comes after it (EEXIST), ${SLOW_ROUNDS} rounds`, async (t) => {
  const dir = freshDir()
  for (let round = 0; round < SLOW_ROUNDS; round++) {
    const target = join(dir, `fresh-${round}`)
    let inner: Promise<PublishResult> | undefined
    compatWriteFileSync(target, Buffer.alloc(1 << 20, 'A'), {
      tmpfileCreated: () => {
        inner = new AtomicFile(target).withOverwrite(false).write('B')
        inner.catch(() => {})
      },
    })
    await t.throwsAsync(inner!, { code: 'EEXIST' }, `round ${round}`)
    t.is(readFileSync(target, 'latin1')[0], 'A')
    rmSync(target)
  }
  t.deepEqual(scratchIn(dir), [])
})

// Random runs of every terminal, sync and async, with and without overwrite, bad hashes and
// aborts, sometimes a turn of the event loop between calls: every run's results and final file
// must be those of its calls taking effect one by one in call order.
type Terminal = 'write' | 'writeSync' | 'stream' | 'createWriteStream' | 'copyFrom' | 'copyFromSync' | 'compat'
interface Op {
  terminal: Terminal
  exclusive: boolean
  size: number
  badHash: boolean
  abort: CallShape['abort']
  tickBefore: boolean
}

const opArb: fc.Arbitrary<Op> = fc.record({
  terminal: fc.constantFrom<Terminal>('write', 'writeSync', 'stream', 'createWriteStream', 'copyFrom', 'copyFromSync', 'compat'),
  exclusive: fc.boolean(),
  size: fc.constantFrom(10, 100 << 10, 3 << 20),
  badHash: fc.integer({ min: 0, max: 9 }).map((n) => n < 2),
  abort: fc.constantFrom<CallShape['abort']>('none', 'none', 'none', 'before', 'later'),
  tickBefore: fc.boolean(),
})

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

function start(op: Op, i: number, target: string, dir: string): { shape: CallShape; result: Promise<unknown> } {
  const sync = op.terminal === 'writeSync' || op.terminal === 'copyFromSync'
  const exclusive = op.exclusive && op.terminal !== 'compat'
  const abort = sync || op.terminal === 'compat' ? 'none' : op.abort
  const badHash = op.badHash && op.terminal !== 'compat'
  const content = `${i}:`.padEnd(op.size, String.fromCharCode(97 + (i % 26)))
  const shape: CallShape = { exclusive, sync, badHash, abort, content }
  const file = new AtomicFile(target).withDurability('none').withOverwrite(!exclusive)
  if (badHash) file.withHash('1')
  const controller = new AbortController()
  if (abort === 'before') controller.abort()
  if (abort !== 'none') file.withSignal(controller.signal)
  if (abort === 'later') setImmediate(() => controller.abort())
  const source = join(dir, `source-${i}`)
  if (op.terminal.startsWith('copy')) writeFileSync(source, content, 'latin1')
  const bytes = Buffer.from(content, 'latin1')
  const run = (): unknown => {
    switch (op.terminal) {
      case 'write':
        return file.write(bytes)
      case 'writeSync':
        return file.writeSync(bytes)
      case 'stream':
        return file.stream((async function* () { yield bytes.subarray(0, 5); yield bytes.subarray(5) })())
      case 'createWriteStream':
        return new Promise((resolve, reject) => {
          const sink = file.createWriteStream()
          sink.on('error', reject).on('finish', () => resolve(sink.result))
          sink.end(bytes)
        })
      case 'copyFrom':
        return file.copyFrom(source)
      case 'copyFromSync':
        return file.copyFromSync(source)
      case 'compat':
        // The compat entry's async writeFile takes its place at the call too; it resolves to nothing.
        return compatWriteFile(target, bytes)
    }
  }
  return { shape, result: madeNow(sync, run) }
}

let compatWriteFile: (target: string, data: Buffer) => Promise<unknown>

test.before(async () => {
  const compat = await import('atomic-publish/compat')
  compatWriteFile = (target, data) => compat.writeFile(target, data, { fsync: false })
})

test(`every mix of terminals, overwrite or not, bad hashes and aborts: results possible in call order (fast-check, ${PROPERTY_RUNS} runs)`, async (t) => {
  const dir = freshDir()
  let run = 0
  const report = await fc.check(
    fc.asyncProperty(fc.boolean(), fc.array(opArb, { minLength: 2, maxLength: 6 }), async (existing, ops) => {
      const target = join(dir, `t-${run++}`)
      const initial = existing ? 'initial' : undefined
      if (initial !== undefined) writeFileSync(target, initial)
      const shapes: CallShape[] = []
      const results: Array<Promise<unknown>> = []
      for (const [i, op] of ops.entries()) {
        if (op.tickBefore) await tick()
        const started = start(op, i, target, dir)
        shapes.push(started.shape)
        results.push(started.result)
      }
      const settled = await Promise.allSettled(results)
      const observed = settled.map((s) => observe(s as PromiseSettledResult<{ superseded?: true } | undefined>)) as Observed[]
      const why = impossibleInCallOrder(shapes, observed, initial, readOrNone(target))
      if (why) throw new Error(`${observed.join(' + ')}: ${why}`)
    }),
    { numRuns: PROPERTY_RUNS },
  )
  if (report.failed) return t.fail(`${JSON.stringify(report.counterexample)}\n${String(report.errorInstance)}`)
  // An accepted abort rejects at once; its scratch is removed just after, on the pool.
  await cleanedUp(dir)
  t.deepEqual(scratchIn(dir), [])
})

/** An async publish of `first` then `rest` to `target`, held open until `release()`. */
function heldStream(file: AtomicFile, first: string, rest: string): { done: Promise<PublishResult>; release: () => void } {
  let release = (): void => {}
  const gate = new Promise<void>((resolve) => (release = resolve))
  const done = file.stream(
    (async function* () {
      yield first
      await gate
      yield rest
    })(),
  )
  return { done, release }
}

async function untilScratchIn(dir: string): Promise<void> {
  while (scratchIn(dir).length === 0) await new Promise((r) => setTimeout(r, 2))
}

needs([], { also: posix })('the same file through a symlink is the same target for a sync call: ERR_ORDER_PENDING behind a publish under way to the file it names', async (t) => {
  const dir = freshDir()
  const real = join(dir, 'real')
  const link = join(dir, 'link')
  symlinkSync('real', link)
  for (const [earlierExclusive, syncExclusive] of [[false, true], [true, false], [true, true]]) {
    rmSync(real, { force: true })
    const held = heldStream(new AtomicFile(real).withOverwrite(!earlierExclusive), 'held, ', 'published')
    await untilScratchIn(dir)
    const err = t.throws(() => new AtomicFile(link).withOverwrite(!syncExclusive).writeSync('B'))
    t.like(err as object, { code: 'ERR_ORDER_PENDING', path: link }, `${earlierExclusive} then ${syncExclusive}`)
    held.release()
    t.falsy((await held.done).superseded)
    t.is(readFileSync(real, 'utf8'), 'held, published')
  }
  // With nothing under way, the call gets its own answer.
  t.throws(() => new AtomicFile(link).withOverwrite(false).writeSync('B'), { code: 'EEXIST' })
  t.deepEqual(scratchIn(dir), [])
})

test('a sync call from a worker thread behind a publish under way from the main thread: ERR_ORDER_PENDING', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'f')
  const held = heldStream(new AtomicFile(target), 'held, ', 'published')
  await untilScratchIn(dir)
  const worker = new Worker(
    `const { workerData, parentPort } = require('node:worker_threads')
     const { AtomicFile } = require(workerData.entry)
     try {
       new AtomicFile(workerData.target).withOverwrite(false).writeSync('B')
       parentPort.postMessage('published')
     } catch (err) {
       parentPort.postMessage(err.code)
     }`,
    { eval: true, workerData: { entry: require.resolve('atomic-publish'), target } },
  )
  // Listened for from the start: the worker may be gone by the time its answer is read.
  const exited = once(worker, 'exit')
  const answer = await new Promise<string>((resolve, reject) => {
    worker.once('message', resolve).once('error', reject)
    worker.once('exit', (code) => reject(new Error(`the worker exited (${code}) without an answer`)))
  })
  await exited
  t.is(answer, 'ERR_ORDER_PENDING')
  held.release()
  t.falsy((await held.done).superseded)
  t.is(readFileSync(target, 'utf8'), 'held, published')
})

needs([], { also: posix })('a sync call after every earlier call has settled is never refused, whatever those calls were and however they ended', async (t) => {
  const dir = freshDir()
  const source = join(dir, 'source')
  writeFileSync(source, 'copied')
  const big = Buffer.alloc(9 << 20, 'b')
  const terminals: Record<string, (f: AtomicFile) => Promise<unknown>> = {
    'small write': (f) => f.write('small'),
    '9 MiB write': (f) => f.write(big),
    stream: (f) => f.stream((async function* () { yield 'streamed' })()),
    createWriteStream: (f) =>
      new Promise((resolve, reject) => {
        const sink = f.createWriteStream()
        sink.on('error', reject).on('finish', resolve)
        sink.end('streamed')
      }),
    copyFrom: (f) => f.copyFrom(source),
  }
  const endings: Record<string, (f: AtomicFile) => AtomicFile> = {
    published: (f) => f,
    'a hash mismatch': (f) => f.withHash('1'),
    aborted: (f) => f.withSignal(AbortSignal.abort()),
    'no overwrite, EEXIST': (f) => f.withOverwrite(false),
  }
  for (const [name, terminal] of Object.entries(terminals)) {
    for (const [ending, configure] of Object.entries(endings)) {
      const target = join(dir, 'f')
      writeFileSync(target, 'old')
      await terminal(configure(new AtomicFile(target))).catch(() => {})
      // Through the same spelling and through a link: the JS order and the native one.
      rmSync(join(dir, 'link'), { force: true })
      symlinkSync('f', join(dir, 'link'))
      for (const spelling of [target, join(dir, 'link')]) {
        const err = t.throws(() => new AtomicFile(spelling).withOverwrite(false).writeSync('B'))
        t.is((err as { code?: string }).code, 'EEXIST', `${name}, ${ending}, then writeSync at ${spelling}`)
        t.notThrows(() => new AtomicFile(spelling).copyFromSync(source), `${name}, ${ending}, then copyFromSync`)
      }
    }
  }
  t.deepEqual(scratchIn(dir), [])
})

test(`a sync call right after an aborted publish has rejected is not refused while the abort is cleaned up, ${ABORT_ROUNDS} rounds`, async (t) => {
  const dir = freshDir()
  const target = join(dir, 'f')
  writeFileSync(target, 'old')
  for (let round = 0; round < ABORT_ROUNDS; round++) {
    const controller = new AbortController()
    const held = heldStream(new AtomicFile(target).withSignal(controller.signal), 'x'.repeat(1 << 20), 'rest')
    await untilScratchIn(dir)
    controller.abort()
    await t.throwsAsync(held.done, { code: 'ABORT_ERR' })
    t.throws(() => new AtomicFile(target).withOverwrite(false).writeSync('B'), { code: 'EEXIST' }, `round ${round}`)
    held.release()
  }
  await cleanedUp(dir)
  t.deepEqual(scratchIn(dir), [])
})
