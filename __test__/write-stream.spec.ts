// createWriteStream(): a Writable for pipeline() that publishes only on an explicit end,
// emits 'finish' once the publish is done, and keeps the native queue bounded.

import test from 'ava'
import { once } from 'node:events'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { get } from 'node:http'
import { join } from 'node:path'
import { Readable, Transform, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGzip, gunzipSync } from 'node:zlib'
import { AbortError, AtomicFile, HashMismatchError, xxh3_128 } from 'atomic-publish'
import { cleanedUp, dirWithOldTarget, freshDir, namesIn, needs, posixOnly, scratchIn, snapshot, xorshiftBytes } from './helpers.js'

const PAYLOAD = xorshiftBytes(300_000)

function chunked(data: Buffer, size: number): Readable {
  const parts: Buffer[] = []
  for (let i = 0; i < data.length; i += size) parts.push(data.subarray(i, i + size))
  return Readable.from(parts)
}

/**
 * Resolves once `stream` has emitted 'close'. pipeline() settles on the first error in any of
 * its streams, which may be before the sink has finished removing its scratch; 'close' (and
 * 'error') come only after.
 */
function closed(stream: Writable): Promise<void> {
  return stream.closed ? Promise.resolve() : new Promise((resolve) => stream.once('close', () => resolve()))
}

/** A Readable that yields `first`, then waits until `release()` before it yields `rest`. */
function heldAfterFirst(first: Buffer, rest: Buffer): { source: Readable; release: () => void } {
  let release = (): void => {}
  const gate = new Promise<void>((r) => (release = r))
  const source = Readable.from(
    (async function* () {
      yield first
      await gate
      yield rest
    })(),
  )
  return { source, release }
}

test('pipeline through gzip publishes the compressed bytes; at finish the file and result are there', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'data.gz')
  const sink = new AtomicFile(target).createWriteStream()
  let seenAtFinish: Buffer | undefined
  sink.on('finish', () => {
    seenAtFinish = readFileSync(target)
    t.truthy(sink.result, 'result is set before finish is emitted')
  })
  await pipeline(chunked(PAYLOAD, 10_000), createGzip(), sink)
  t.deepEqual(gunzipSync(readFileSync(target)), PAYLOAD)
  t.deepEqual(seenAtFinish, readFileSync(target))
  const published = readFileSync(target)
  t.deepEqual(sink.result, { path: target, bytes: published.length, hash: xxh3_128(published) })
  t.deepEqual(namesIn(dir), ['data.gz'])
})

test('pipeline from an HTTP response body publishes exactly the body', async (t) => {
  const server = createServer((_req, res) => {
    let i = 0
    const step = (): void => {
      if (i >= PAYLOAD.length) return void res.end()
      const next = PAYLOAD.subarray(i, i + 32_768)
      i += next.length
      if (res.write(next)) setImmediate(step)
      else res.once('drain', step)
    }
    step()
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => server.close())
  const { port } = server.address() as AddressInfo
  const dir = freshDir()
  const target = join(dir, 'download.bin')
  const response = await new Promise<import('node:http').IncomingMessage>((resolve, reject) =>
    get(`http://127.0.0.1:${port}/`, resolve).on('error', reject),
  )
  const sink = new AtomicFile(target).withHash(xxh3_128(PAYLOAD)).createWriteStream()
  await pipeline(response, sink)
  t.deepEqual(readFileSync(target), PAYLOAD)
  t.is(sink.result?.bytes, PAYLOAD.length)
  t.deepEqual(namesIn(dir), ['download.bin'])
})

test('a failing transform in the pipeline publishes nothing and leaves no scratch', async (t) => {
  const { dir, target, before } = dirWithOldTarget()
  const boom = new Error('transform failed')
  let seen = 0
  const failing = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      seen += chunk.length
      if (seen > 100_000) cb(boom)
      else cb(null, chunk)
    },
  })
  const sink = new AtomicFile(target).createWriteStream()
  const err = await t.throwsAsync(pipeline(chunked(PAYLOAD, 10_000), failing, sink))
  t.is(err, boom)
  t.true(sink.destroyed)
  await closed(sink)
  t.is(sink.result, undefined)
  t.deepEqual(scratchIn(dir), [])
  t.deepEqual(snapshot(dir), before)
  t.is(readFileSync(target, 'utf8'), 'old')
})

test('withHash: a mismatch fails the pipeline with HashMismatchError and publishes nothing', async (t) => {
  const { dir, before } = dirWithOldTarget()
  const sink = new AtomicFile(join(dir, 'blob.bin')).withHash(xxh3_128('something else')).createWriteStream()
  let finished = false
  sink.on('finish', () => (finished = true))
  const err = await t.throwsAsync(pipeline(chunked(PAYLOAD, 50_000), sink), { instanceOf: HashMismatchError })
  await closed(sink)
  t.like(err as object, { code: 'ERR_HASH_MISMATCH', expected: xxh3_128('something else'), actual: xxh3_128(PAYLOAD) })
  t.false(finished)
  t.deepEqual(scratchIn(dir), [])
  t.deepEqual(snapshot(dir), before)
})

test('withSignal: an abort mid-way rejects with AbortError and publishes nothing', async (t) => {
  const { dir, target, before } = dirWithOldTarget()
  const controller = new AbortController()
  const { source, release } = heldAfterFirst(PAYLOAD.subarray(0, 1000), PAYLOAD.subarray(1000))
  const sink = new AtomicFile(target).withSignal(controller.signal).createWriteStream()
  const done = pipeline(source, sink)
  // Wait until the first chunk has reached the scratch file, then abort.
  while (scratchIn(dir).length === 0 || statSync(join(dir, scratchIn(dir)[0])).size === 0) {
    await new Promise((r) => setTimeout(r, 2))
  }
  controller.abort('enough')
  release()
  const err = await t.throwsAsync(done, { instanceOf: AbortError })
  await closed(sink)
  // An accepted abort settles at once; its clean-up follows on the thread pool.
  await cleanedUp(dir)
  t.like(err as object, { name: 'AbortError', code: 'ABORT_ERR', cause: 'enough' })
  t.deepEqual(scratchIn(dir), [])
  t.deepEqual(snapshot(dir), before)
})

test('an already aborted signal errors the stream before anything is written', async (t) => {
  const { dir, target, before } = dirWithOldTarget()
  const sink = new AtomicFile(target).withSignal(AbortSignal.abort('no')).createWriteStream()
  const [err] = (await once(sink, 'error')) as [Error]
  await closed(sink)
  t.true(err instanceof AbortError)
  t.is((err as Error & { cause?: unknown }).cause, 'no')
  t.deepEqual(scratchIn(dir), [])
  t.deepEqual(snapshot(dir), before)
})

test('destroy(), with or without an error, publishes nothing and removes the scratch', async (t) => {
  for (const reason of [undefined, new Error('caller gave up')]) {
    const { dir, target, before } = dirWithOldTarget()
    const sink = new AtomicFile(target).createWriteStream()
    sink.write(PAYLOAD.subarray(0, 100_000))
    sink.write(PAYLOAD.subarray(100_000))
    await new Promise((r) => setTimeout(r, 20))
    const errors: unknown[] = []
    sink.on('error', (e) => errors.push(e))
    sink.destroy(reason)
    await closed(sink)
    t.deepEqual(errors, reason ? [reason] : [])
    t.is(sink.result, undefined)
    t.deepEqual(scratchIn(dir), [])
    t.deepEqual(snapshot(dir), before, String(reason))
  }
})

test('destroy() after end() but before finish still publishes nothing', async (t) => {
  const { dir, target, before } = dirWithOldTarget()
  const sink = new AtomicFile(target).createWriteStream()
  let finished = false
  sink.on('finish', () => (finished = true))
  sink.end(PAYLOAD)
  sink.destroy()
  await closed(sink)
  await cleanedUp(dir)
  t.false(finished)
  t.deepEqual(scratchIn(dir), [])
  t.deepEqual(snapshot(dir), before)
})

test('a stream that is written but never ended publishes nothing', async (t) => {
  const { dir, target } = dirWithOldTarget()
  const sink = new AtomicFile(target).createWriteStream()
  sink.write(PAYLOAD)
  // However long the pool takes to write them, the bytes land in a scratch and stay there.
  const written = (): boolean => scratchIn(dir).some((name) => statSync(join(dir, name)).size === PAYLOAD.length)
  while (!written()) await new Promise((r) => setTimeout(r, 5))
  await new Promise((r) => setTimeout(r, 100))
  t.is(readFileSync(target, 'utf8'), 'old')
  t.is(scratchIn(dir).length, 1, 'the bytes so far sit in one scratch file')
  sink.destroy()
  await closed(sink)
  t.deepEqual(namesIn(dir), ['blob.bin'])
})

test('write() returns false while the native queue is full, and a producer that waits for drain stays bounded', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'big')
  const chunk = Buffer.alloc(1 << 20, 7)
  const sink = new AtomicFile(target).createWriteStream()
  // Written all at once, the stream asks the producer to stop within a few chunks.
  let accepted = 0
  while (sink.write(chunk)) accepted++
  t.true(accepted <= 2, `${accepted} chunks accepted before write() returned false`)
  await once(sink, 'drain')
  let produced = (accepted + 1) * chunk.length
  let worstLead = 0
  for (let i = 0; i < 40; i++) {
    const scratch = scratchIn(dir)[0]
    const onDisk = scratch ? statSync(join(dir, scratch)).size : 0
    worstLead = Math.max(worstLead, produced - onDisk)
    produced += chunk.length
    if (!sink.write(chunk)) await once(sink, 'drain')
  }
  sink.end()
  await once(sink, 'finish')
  t.log(`most bytes written but not yet on disk: ${worstLead / (1 << 20)} MiB`)
  // Two chunks in the native queue and one waiting for it, at most.
  t.true(worstLead <= 3 * chunk.length, `the producer ran ${worstLead} bytes ahead`)
  t.is(statSync(target).size, produced)
})

test('strings with an encoding, empty chunks and .pipe() all work', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'text')
  const sink = new AtomicFile(target).createWriteStream()
  sink.write('68c3a96c6c6f', 'hex')
  sink.write('')
  sink.write(Buffer.alloc(0))
  sink.end(', world')
  await once(sink, 'finish')
  t.is(readFileSync(target, 'utf8'), 'héllo, world')

  const piped = new AtomicFile(join(dir, 'piped')).createWriteStream()
  chunked(PAYLOAD, 4096).pipe(piped)
  await once(piped, 'finish')
  t.deepEqual(readFileSync(join(dir, 'piped')), PAYLOAD)
})

test('an empty stream publishes an empty file', async (t) => {
  const dir = freshDir()
  const sink = new AtomicFile(join(dir, 'empty')).createWriteStream()
  sink.end()
  await once(sink, 'finish')
  t.is(readFileSync(join(dir, 'empty')).length, 0)
  t.like(sink.result, { bytes: 0 })
})

test('a chunk that is not bytes errors with ERR_INVALID_ARG_TYPE and publishes nothing', async (t) => {
  const { dir, target, before } = dirWithOldTarget()
  const sink = new AtomicFile(target).createWriteStream()
  sink.write(Buffer.from('ok'))
  const failed = once(sink, 'error') as Promise<[Error & { code?: string }]>
  sink.write(42 as unknown as Buffer)
  const [err] = await failed
  t.is(err.code, 'ERR_INVALID_ARG_TYPE')
  await closed(sink)
  t.deepEqual(scratchIn(dir), [])
  t.deepEqual(snapshot(dir), before)
})

needs([], { also: posixOnly('ENOTDIR for a path through a file') })('file-system errors reach error as the same errors write() gives', async (t) => {
  const dir = freshDir()
  writeFileSync(join(dir, 'file'), 'x')
  const target = join(dir, 'file', 'below')
  const expected = await t.throwsAsync(new AtomicFile(target).write('data'))
  const sink = new AtomicFile(target).createWriteStream()
  const err = await t.throwsAsync(pipeline(Readable.from([Buffer.from('data')]), sink))
  await closed(sink)
  t.is(err?.constructor, expected?.constructor)
  t.like(err as object, { code: 'ENOTDIR', path: target, published: false })
  t.is(err?.message, expected?.message)
  t.deepEqual(namesIn(dir), ['file'])
})

test('the Writable is a real stream.Writable', (t) => {
  const sink = new AtomicFile(join(freshDir(), 'x')).createWriteStream()
  t.true(sink instanceof Writable)
  sink.destroy()
})

// As fs.createWriteStream's 'close' comes once its file is closed, a destroyed publish stream's
// 'close' comes once its scratch is gone, whatever it was doing: writing, committing, or
// already failed by an abort of its signal. Checked at the very moment of 'close', 40 rounds.
test("'close' after end() then destroy(): no scratch; the target is new exactly when result is set, old otherwise (40 rounds)", async (t) => {
  let published = 0
  let publishedWithoutFinish = 0
  for (let round = 0; round < 40; round++) {
    const { dir, target } = dirWithOldTarget()
    const abort = new AbortController()
    const sink = new AtomicFile(target).withSignal(abort.signal).createWriteStream()
    sink.on('error', () => {})
    let finished = false
    sink.on('finish', () => (finished = true))
    const atClose = new Promise<{ scratch: string[]; content: Buffer; result: unknown }>((resolve) =>
      sink.on('close', () => resolve({ scratch: scratchIn(dir), content: readFileSync(target), result: sink.result })),
    )
    for (let i = 0; i < 4; i++) sink.write(PAYLOAD.subarray(i * 75_000, (i + 1) * 75_000))
    sink.end()
    // Destroy at a moment that moves through the commit: at once, a few turns later, or
    // after the signal has already failed the publish.
    const when = round % 4
    if (when === 0) sink.destroy()
    else if (when === 3) {
      abort.abort()
      setTimeout(() => sink.destroy(), round % 3)
    } else setTimeout(() => sink.destroy(), round % 5)
    const { scratch, content, result } = await atClose
    t.deepEqual(scratch, [], `round ${round}: no scratch at 'close'`)
    if (result !== undefined) {
      // The rename came before the destroy(): published whole, and said so by `result`.
      published++
      if (!finished) publishedWithoutFinish++
      t.deepEqual(content, PAYLOAD, `round ${round}: result set, published whole`)
    } else {
      t.false(finished, `round ${round}: no 'finish' without a result`)
      t.is(content.toString(), 'old', `round ${round}: no result, target unchanged`)
    }
  }
  t.log(`${published} of 40 rounds published (${publishedWithoutFinish} without 'finish')`)
})
