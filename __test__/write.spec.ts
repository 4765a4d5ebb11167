// write / writeSync: the behaviours of liboxen's `AtomicFile`, ported, and the result shape.

import test from 'ava'
import { readFileSync, writeFileSync, existsSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { AtomicFile, HashMismatchError, xxh3_128 } from 'atomic-publish'
import { freshDir, namesIn, snapshot, xorshiftBytes } from './helpers.js'

const FOX = 'the quick brown fox jumps over the lazy dog'
const BOGUS = 'deadbeefdeadbeefdeadbeefdeadbeef'

test('test_atomic_file_new_makes_no_filesystem_changes', (t) => {
  const dir = freshDir()
  const target = join(dir, 'sub', 'never_created')
  new AtomicFile(target).withHash(BOGUS).withMtime(new Date(1_700_000_000_000)).withMode(0o600).withFsync(false)
  t.deepEqual(namesIn(dir), [])
})

test('test_atomic_write_round_trip', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'file.txt')
  const result = await new AtomicFile(target).write('hello world')
  t.is(readFileSync(target, 'utf8'), 'hello world')
  t.deepEqual(result, { path: target, bytes: 11, hash: xxh3_128('hello world') })
})

test('test_atomic_write_overwrites_existing', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'file.txt')
  writeFileSync(target, 'old contents')
  await new AtomicFile(target).write('new contents')
  t.is(readFileSync(target, 'utf8'), 'new contents')
  t.deepEqual(namesIn(dir), ['file.txt'])
})

test('test_atomic_write_creates_parent_dir', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'nested', 'deeper', 'file.txt')
  await new AtomicFile(target).write('x')
  t.is(readFileSync(target, 'utf8'), 'x')
})

test('test_atomic_write_empty_contents', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'file.txt')
  const result = await new AtomicFile(target).write(Buffer.alloc(0))
  t.is(readFileSync(target).length, 0)
  t.is(result.bytes, 0)
  t.is(result.hash, '99aa06d3014798d86001c324468d497f')
})

test('test_atomic_write_verified_commits_on_match', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'blob.bin')
  const result = await new AtomicFile(target).withHash(xxh3_128(FOX)).write(FOX)
  t.is(readFileSync(target, 'utf8'), FOX)
  t.is(result.hash, 'e9a1932627d7f46d15c21eead63fa21f')
  t.deepEqual(namesIn(dir), ['blob.bin'])
})

test('test_atomic_write_verified_aborts_on_mismatch', async (t) => {
  const dir = freshDir()
  writeFileSync(join(dir, 'blob.bin'), 'old')
  const before = snapshot(dir)
  for (const target of [join(dir, 'blob.bin'), join(dir, 'missing-parent', 'blob.bin')]) {
    const err = await t.throwsAsync(new AtomicFile(target).withHash(BOGUS).write(FOX), {
      instanceOf: HashMismatchError,
    })
    t.is(err.code, 'ERR_HASH_MISMATCH')
    t.is(err.path, target)
    t.is(err.expected, BOGUS)
    t.is(err.actual, xxh3_128(FOX))
    t.false(err.published)
  }
  t.deepEqual(snapshot(dir), before, 'a mismatched write touches nothing, not even parents')
})

test('writeSync publishes the same way and verifies before touching the disk', (t) => {
  const dir = freshDir()
  const target = join(dir, 'a', 'sync.txt')
  const result = new AtomicFile(target).withHash(xxh3_128(FOX)).writeSync(FOX)
  t.deepEqual(result, { path: target, bytes: FOX.length, hash: xxh3_128(FOX) })
  t.is(readFileSync(target, 'utf8'), FOX)
  const before = snapshot(dir)
  t.throws(() => new AtomicFile(join(dir, 'b', 'x')).withHash(BOGUS).writeSync(FOX), {
    instanceOf: HashMismatchError,
  })
  t.deepEqual(snapshot(dir), before)
})

test('every kind of binary input publishes its exact bytes', async (t) => {
  const dir = freshDir()
  const bytes = xorshiftBytes(4099)
  const inputs: Array<[string, string | Buffer | NodeJS.TypedArray | DataView, Buffer]> = [
    ['string as UTF-8', 'héllo ✓', Buffer.from('héllo ✓', 'utf8')],
    ['Buffer', bytes, bytes],
    ['Uint8Array slice', new Uint8Array(bytes.buffer, bytes.byteOffset + 3, 1000), bytes.subarray(3, 1003)],
    ['Float64Array', new Float64Array([1.5, -2]), Buffer.from(new Float64Array([1.5, -2]).buffer)],
    ['DataView', new DataView(bytes.buffer, bytes.byteOffset + 8, 16), bytes.subarray(8, 24)],
  ]
  for (const [name, input, expected] of inputs) {
    const target = join(dir, name)
    const result = await new AtomicFile(target).write(input)
    t.deepEqual(readFileSync(target), expected, name)
    t.is(result.bytes, expected.length, name)
    t.is(result.hash, xxh3_128(expected), name)
  }
})

test('the result path is the target made absolute, links not followed', async (t) => {
  const dir = freshDir()
  const rel = relative(process.cwd(), join(dir, 'rel.txt'))
  const result = await new AtomicFile(rel).write('x')
  t.is(result.path, join(dir, 'rel.txt'))
  const viaUrl = await new AtomicFile(new URL(`file://${join(dir, 'url.txt')}`)).write('u')
  t.is(viaUrl.path, join(dir, 'url.txt'))
  const viaBuffer = new AtomicFile(Buffer.from(join(dir, 'buf.txt'))).writeSync('b')
  t.is(viaBuffer.path, join(dir, 'buf.txt'))
  t.deepEqual(namesIn(dir), ['buf.txt', 'rel.txt', 'url.txt'])
})

test('a builder can publish more than once, each time in full', async (t) => {
  const dir = freshDir()
  const file = new AtomicFile(join(dir, 'f'))
  await file.write('first')
  await file.write('second, longer')
  file.writeSync('3')
  t.is(readFileSync(join(dir, 'f'), 'utf8'), '3')
})

test('test_atomic_write_concurrent_writers', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'file.txt')
  await Promise.all(Array.from({ length: 32 }, (_, i) => new AtomicFile(target).write(`writer-${i}`)))
  t.regex(readFileSync(target, 'utf8'), /^writer-\d+$/)
  t.deepEqual(namesIn(dir), ['file.txt'])
})

test('withFsync(false) still publishes atomically', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'fast')
  await new AtomicFile(target).withFsync(false).write('quick')
  t.is(readFileSync(target, 'utf8'), 'quick')
  t.true(existsSync(target))
  t.is(statSync(target).size, 5)
})

test('a lone write publishes the bytes of the call, whatever the caller does with its buffer after', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'lone.bin')
  const data = Buffer.from(FOX)
  const pending = new AtomicFile(target).write(data)
  data.fill(0x21)
  const result = await pending
  t.is(readFileSync(target, 'utf8'), FOX)
  t.is(result.hash, xxh3_128(FOX))
  // A view over an ArrayBuffer that is transferred (detached) right after the call.
  const bytes = new Uint8Array(Buffer.from(FOX))
  const again = new AtomicFile(target).write(bytes)
  structuredClone(bytes.buffer, { transfer: [bytes.buffer] })
  t.is(bytes.byteLength, 0)
  t.is((await again).bytes, FOX.length)
  t.is(readFileSync(target, 'utf8'), FOX)
})

test('a large write with the wrong hash touches nothing on disk: no entry, no parent, not the directory’s times', async (t) => {
  // Above the size that is written straight from the caller's memory and checked on disk.
  const data = Buffer.alloc(24 << 20, 0x61)
  const dir = freshDir()
  writeFileSync(join(dir, 'blob.bin'), 'old')
  const before = snapshot(dir)
  const times = () => {
    const st = statSync(dir, { bigint: true })
    return [st.mtimeNs, st.ctimeNs]
  }
  const timesBefore = times()
  await new Promise((r) => setTimeout(r, 20))
  for (const target of [join(dir, 'blob.bin'), join(dir, 'missing-parent', 'blob.bin')]) {
    const err = await t.throwsAsync(new AtomicFile(target).withHash(BOGUS).write(data), { instanceOf: HashMismatchError })
    t.is(err.actual, xxh3_128(data))
  }
  t.deepEqual(snapshot(dir), before)
  t.deepEqual(times(), timesBefore, 'nothing was created and removed in the directory either')
  const ok = await new AtomicFile(join(dir, 'blob.bin')).withHash(xxh3_128(data)).write(data)
  t.is(ok.hash, xxh3_128(data))
  t.true(readFileSync(join(dir, 'blob.bin')).equals(data))
  t.deepEqual(namesIn(dir), ['blob.bin'])
})
