// stream(): every kind of source, the end-of-stream rule (guarantee 11), backpressure
// (guarantee 5) and the scratch while in flight (guarantee 4).

import test from 'ava'
import { createReadStream, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { AtomicFile, HashMismatchError, xxh3_128 } from 'atomic-publish'
import { dirWithOldTarget, freshDir, namesIn, scratchIn, snapshot, xorshiftBytes } from './helpers.js'

const PAYLOAD = xorshiftBytes(200_000)

async function* chunksOf(data: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size)
}

/** A generator that yields `first`, then fails with `error`. */
async function* failingAfter(first: Buffer, error: Error): AsyncGenerator<Buffer> {
  yield first
  await new Promise((r) => setTimeout(r, 5))
  throw error
}

test('test_atomic_stream_streams', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'blob.bin')
  const result = await new AtomicFile(target).stream(chunksOf(PAYLOAD, 7000))
  t.deepEqual(readFileSync(target), PAYLOAD)
  t.deepEqual(result, { path: target, bytes: PAYLOAD.length, hash: xxh3_128(PAYLOAD) })
  t.deepEqual(namesIn(dir), ['blob.bin'])
})

test('every source kind round-trips', async (t) => {
  const dir = freshDir()
  const src = join(dir, 'source.bin')
  writeFileSync(src, PAYLOAD)
  const text = 'héllo, ✓ world\n'.repeat(500)
  const webStream = (): ReadableStream<Uint8Array> =>
    new ReadableStream({
      start(controller) {
        for (let i = 0; i < PAYLOAD.length; i += 10_000) controller.enqueue(new Uint8Array(PAYLOAD.subarray(i, i + 10_000)))
        controller.close()
      },
    })
  const sources: Array<[string, () => Parameters<AtomicFile['stream']>[0], Buffer]> = [
    ['fs.ReadStream', () => createReadStream(src, { highWaterMark: 16_384 }), PAYLOAD],
    ['Readable.from(Buffers)', () => Readable.from([PAYLOAD.subarray(0, 5), PAYLOAD.subarray(5)]), PAYLOAD],
    ['Readable with an encoding (strings)', () => Readable.from([text]).setEncoding('utf8'), Buffer.from(text)],
    ['async generator of strings', () => chunksOf(Buffer.from(text), 333) as AsyncIterable<Uint8Array>, Buffer.from(text)],
    ['async iterable of mixed strings and bytes', () => (async function* () { yield 'abc'; yield new Uint8Array([100, 101]) })(), Buffer.from('abcde')],
    ['web ReadableStream', webStream, PAYLOAD],
    ['web stream read through getReader only', () => {
      const reader = webStream().getReader()
      return { getReader: () => reader } as unknown as ReadableStream<Uint8Array>
    }, PAYLOAD],
  ]
  for (const [name, make, expected] of sources) {
    const target = join(dir, name)
    const result = await new AtomicFile(target).stream(make())
    t.true(readFileSync(target).equals(expected), name)
    t.is(result.bytes, expected.length, name)
    t.is(result.hash, xxh3_128(expected), name)
  }
})

test('the hash and bytes do not depend on how the source is chunked', async (t) => {
  const dir = freshDir()
  const data = xorshiftBytes(5000)
  const chunkings: Array<[string, () => AsyncIterable<Uint8Array>]> = [
    ['1 byte', () => chunksOf(data, 1)],
    ['64 bytes', () => chunksOf(data, 64)],
    ['single', () => chunksOf(data, data.length)],
    ['empty and 1-byte chunks', () => (async function* () {
      yield Buffer.alloc(0)
      yield data.subarray(0, 1)
      yield Buffer.alloc(0)
      yield data.subarray(1)
      yield Buffer.alloc(0)
    })()],
  ]
  for (const [name, make] of chunkings) {
    const result = await new AtomicFile(join(dir, name)).stream(make())
    t.is(result.hash, xxh3_128(data), name)
    t.true(readFileSync(join(dir, name)).equals(data), name)
  }
  const empty = await new AtomicFile(join(dir, 'empty')).stream(chunksOf(Buffer.alloc(0), 1))
  t.deepEqual([empty.bytes, empty.hash], [0, xxh3_128('')])
})

test('test_atomic_stream_cleans_up_on_read_failure: the source’s own error, nothing published', async (t) => {
  const { dir, target, before } = dirWithOldTarget('blob.bin')
  const boom = new Error('simulated read failure')
  const err = await t.throwsAsync(new AtomicFile(target).stream(failingAfter(Buffer.from('some-bytes'), boom)))
  t.is(err, boom, 'rejects with the very error object the source threw')
  const streamErr = new Error('readable failed')
  const readable = new Readable({ read() {} })
  readable.push('partial')
  setTimeout(() => readable.destroy(streamErr), 10)
  t.is(await t.throwsAsync(new AtomicFile(target).stream(readable)), streamErr)
  t.deepEqual(snapshot(dir), before)
})

test('a destroyed stream (no error, no end) publishes nothing', async (t) => {
  const { dir, target, before } = dirWithOldTarget('blob.bin')
  const readable = new Readable({ read() {} })
  readable.push(Buffer.alloc(100_000, 7))
  setTimeout(() => readable.destroy(), 20)
  const err = await t.throwsAsync(new AtomicFile(target).stream(readable))
  t.is((err as Error & { code?: string }).code, 'ERR_STREAM_PREMATURE_CLOSE')
  t.deepEqual(snapshot(dir), before)
})

test('test_atomic_stream_async_verified_commits_on_match', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'blob.bin')
  await new AtomicFile(target).withHash(xxh3_128(PAYLOAD)).stream(chunksOf(PAYLOAD, 4096))
  t.deepEqual(readFileSync(target), PAYLOAD)
  t.deepEqual(namesIn(dir), ['blob.bin'])
})

test('test_atomic_stream_async_verified_aborts_on_mismatch', async (t) => {
  const { dir, target, before } = dirWithOldTarget('blob.bin')
  const err = await t.throwsAsync(new AtomicFile(target).withHash('deadbeef').stream(chunksOf(PAYLOAD, 4096)), {
    instanceOf: HashMismatchError,
  })
  t.like(err, { path: target, expected: '000000000000000000000000deadbeef', actual: xxh3_128(PAYLOAD) })
  t.deepEqual(snapshot(dir), before)
})

test('test_atomic_stream_async_with_mtime_round_trip', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'blob.bin')
  const asked = 1_700_000_000_123_456_789n
  await new AtomicFile(target).withMtime(asked).stream(chunksOf(PAYLOAD, 10_000))
  // Windows keeps file times in 100 ns units: the time is cut to that, not rounded.
  t.is(statSync(target, { bigint: true }).mtimeNs, process.platform === 'win32' ? asked - (asked % 100n) : asked)
})

test('test_atomic_stream_async_with_mtime_cleans_up_on_read_failure', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'blob.bin')
  await t.throwsAsync(new AtomicFile(target).withMtime(1n).stream(failingAfter(Buffer.from('partial'), new Error('x'))))
  t.deepEqual(namesIn(dir), [])
})

test('while a stream is in flight, exactly one scratch sits beside the target and the target is not there', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'blob.bin')
  let release = (): void => {}
  const gate = new Promise<void>((r) => (release = r))
  const source = (async function* () {
    yield Buffer.from('first half, ')
    await gate
    yield Buffer.from('second half')
  })()
  const publish = new AtomicFile(target).stream(source)
  // Wait until the first chunk is down.
  while (scratchIn(dir).length === 0) await new Promise((r) => setTimeout(r, 5))
  const names = namesIn(dir)
  t.is(names.length, 1, names.join(', '))
  t.regex(names[0], /^blob\.bin\.oxentmp\.[A-Za-z0-9]{10}$/)
  release()
  await publish
  t.deepEqual(namesIn(dir), ['blob.bin'])
  t.is(readFileSync(target, 'utf8'), 'first half, second half')
})

test('backpressure: a source that never waits is paused, at most a few chunks ahead of the disk', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'big')
  const chunk = Buffer.alloc(1 << 20, 3)
  let produced = 0
  let worstLead = 0
  const source = (async function* () {
    for (let i = 0; i < 64; i++) {
      const scratch = readdirSync(dir).find((n) => n.includes('.oxentmp.'))
      const onDisk = scratch ? statSync(join(dir, scratch)).size : 0
      worstLead = Math.max(worstLead, produced - onDisk)
      produced += chunk.length
      yield chunk
    }
  })()
  await new AtomicFile(target).stream(source)
  t.log(`most bytes produced but not yet on disk: ${worstLead / (1 << 20)} MiB`)
  // One chunk being written, one queued: the producer never gets further ahead than that.
  t.true(worstLead <= 2 * chunk.length, `the source ran ${worstLead} bytes ahead`)
  t.is(statSync(target).size, 64 << 20)
})

test('bad sources and bad chunks reject with ERR_INVALID_ARG_TYPE and publish nothing', async (t) => {
  const dir = freshDir()
  writeFileSync(join(dir, 'f'), 'old')
  const before = snapshot(dir)
  const file = new AtomicFile(join(dir, 'f'))
  const asSource = (x: unknown) => x as Parameters<AtomicFile['stream']>[0]
  for (const bad of [42, 'a string', null, undefined, {}, [Buffer.from('x')], Buffer.from('x')]) {
    const err = await t.throwsAsync(file.stream(asSource(bad)), { instanceOf: TypeError })
    t.is((err as Error & { code?: string }).code, 'ERR_INVALID_ARG_TYPE', String(bad))
  }
  const badChunks = [
    (async function* () { yield Buffer.from('ok'); yield 42 })(),
    Readable.from([Buffer.from('ok'), { not: 'bytes' }]),
  ]
  for (const source of badChunks) {
    const err = await t.throwsAsync(file.stream(asSource(source)), { instanceOf: TypeError })
    t.is((err as Error & { code?: string }).code, 'ERR_INVALID_ARG_TYPE')
  }
  t.deepEqual(snapshot(dir), before)
})

test('onProgress: growing counts, at most one per chunk, the total last', async (t) => {
  const dir = freshDir()
  const seen: number[] = []
  const chunks = 40
  const slow = (async function* () {
    for (let i = 0; i < chunks; i++) {
      // Halfway, wait for a report of what is down so far, however slow the machine: the
      // report before the total is then certain, not a matter of timing.
      for (let waited = 0; i === chunks / 2 && seen.length === 0 && waited < 60_000; waited += 10) {
        await new Promise((r) => setTimeout(r, 10))
      }
      await new Promise((r) => setTimeout(r, 10))
      yield Buffer.alloc(1000, i)
    }
  })()
  const result = await new AtomicFile(join(dir, 'p')).onProgress((n) => seen.push(n)).stream(slow)
  t.true(seen.length >= 2 && seen.length <= chunks, `${seen.length} calls`)
  t.true(seen.every((n, i) => i === 0 || n > seen[i - 1]), 'strictly growing')
  t.is(seen.at(-1), result.bytes)
  t.is(result.bytes, chunks * 1000)
})

test('an exception in the progress callback aborts the stream with that exception', async (t) => {
  const dir = freshDir()
  const oops = new Error('callback failed')
  const err = await t.throwsAsync(
    new AtomicFile(join(dir, 'p'))
      .onProgress(() => {
        throw oops
      })
      .stream(chunksOf(PAYLOAD, 1000)),
  )
  t.is(err, oops)
  t.deepEqual(namesIn(dir), [])
})

test('a source that refills one buffer after every yield publishes what each yield held', async (t) => {
  // The package's own copies are reused once their push has settled; a copy reused early
  // would publish a later chunk's bytes in an earlier chunk's place.
  for (const size of [1 << 20, 64 << 10]) {
    const dir = freshDir()
    const target = join(dir, 'out.bin')
    const count = 24
    const expected = Buffer.concat(Array.from({ length: count }, (_, i) => Buffer.alloc(size, i + 1)))
    async function* refilled(): AsyncGenerator<Buffer> {
      const buffer = Buffer.alloc(size)
      for (let i = 0; i < count; i++) {
        buffer.fill(i + 1)
        yield buffer
      }
    }
    const result = await new AtomicFile(target).withHash(xxh3_128(expected)).stream(refilled())
    t.is(result.bytes, expected.length, `${size}-byte chunks`)
    t.true(readFileSync(target).equals(expected), `${size}-byte chunks`)
  }
})
