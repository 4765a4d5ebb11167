// The one-call forms: publish, publishSync, publishCopy, publishCopySync and publishStream
// give the builder's results, take every builder setting as an option, and refuse a bad
// options object as strictly as the builder refuses a bad argument, with nothing on disk
// changed.

import test from 'ava'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { AtomicFile, publish, publishCopy, publishCopySync, publishStream, publishSync, xxh3_128 } from 'atomic-publish'
import { dirWithOldTarget, freshDir, namesIn, needs, posixOnly, snapshot, xorshiftBytes } from './helpers.js'

const FOX = 'the quick brown fox jumps over the lazy dog'

test('publish resolves as the builder chain does, hash always set', async (t) => {
  const dir = freshDir()
  const viaCall = await publish(join(dir, 'a'), FOX)
  const viaChain = await new AtomicFile(join(dir, 'b')).write(FOX)
  t.deepEqual(viaCall, { ...viaChain, path: join(dir, 'a') })
  t.is(viaCall.hash, xxh3_128(FOX))
  t.is(readFileSync(join(dir, 'a'), 'utf8'), FOX)
})

test('publish and publishSync take strings, Buffers, typed arrays, DataViews and ArrayBuffers', async (t) => {
  const dir = freshDir()
  const bytes = xorshiftBytes(1000)
  const arrayBuffer: ArrayBuffer = new Uint8Array(bytes).buffer
  const inputs = [bytes, new Uint16Array(arrayBuffer.slice(0)), new DataView(arrayBuffer.slice(0)), arrayBuffer]
  for (const [i, data] of inputs.entries()) {
    const asyncResult = await publish(join(dir, `async${i}`), data)
    const syncResult = publishSync(join(dir, `sync${i}`), data)
    t.is(asyncResult.hash, xxh3_128(bytes), `async input ${i}`)
    t.is(syncResult.hash, xxh3_128(bytes), `sync input ${i}`)
    t.deepEqual(readFileSync(join(dir, `sync${i}`)), bytes)
  }
})

needs([], { also: posixOnly('file modes (Windows has a read-only bit)') })('every option takes effect: hash, mtime, mode, owner, durability, overwrite', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'f')
  const uid = process.getuid?.() ?? -1
  const gid = process.getgid?.() ?? -1
  const options = { hash: xxh3_128(FOX), mtime: 1_700_000_000_123n * 1_000_000n, mode: 0o640, owner: { uid, gid }, durability: 'file', overwrite: true } as const
  await publish(target, FOX, options)
  const stat = statSync(target, { bigint: true })
  t.is(stat.mtimeNs, 1_700_000_000_123n * 1_000_000n)
  t.is(Number(stat.mode) & 0o7777, 0o640)
  const synced = join(dir, 'g')
  publishSync(synced, FOX, options)
  t.is(statSync(synced).mode & 0o7777, 0o640)
  t.is(statSync(synced, { bigint: true }).mtimeNs, 1_700_000_000_123n * 1_000_000n)
  // overwrite: false refuses an existing target, in both forms, and leaves it as it was.
  const before = snapshot(dir)
  await t.throwsAsync(publish(target, 'other', { overwrite: false }), { code: 'EEXIST' })
  t.throws(() => publishSync(target, 'other', { overwrite: false }), { code: 'EEXIST' })
  t.deepEqual(snapshot(dir), before)
})

test('options.hash that does not match publishes nothing', async (t) => {
  const { dir, before, target } = dirWithOldTarget()
  const bogus = 'deadbeefdeadbeefdeadbeefdeadbeef'
  await t.throwsAsync(publish(target, FOX, { hash: bogus }), { code: 'ERR_HASH_MISMATCH' })
  t.throws(() => publishSync(target, FOX, { hash: bogus }), { code: 'ERR_HASH_MISMATCH' })
  await t.throwsAsync(publishCopy(target, __filename, { hash: bogus }), { code: 'ERR_HASH_MISMATCH' })
  t.deepEqual(snapshot(dir), before)
})

test('options.signal: an aborted signal rejects before the disk is touched', async (t) => {
  const { dir, before, target } = dirWithOldTarget()
  const reason = new Error('stop')
  const err = await t.throwsAsync(publish(target, FOX, { signal: AbortSignal.abort(reason) }), { code: 'ABORT_ERR' })
  t.is(err?.cause, reason)
  await t.throwsAsync(publishCopy(target, __filename, { signal: AbortSignal.abort() }), { code: 'ABORT_ERR' })
  t.deepEqual(snapshot(dir), before)
})

test('options.onProgress: a write reports its length as bytes and total; a copy its source size as total', async (t) => {
  const dir = freshDir()
  const seen: [number, number | undefined][] = []
  await publish(join(dir, 'w'), FOX, { onProgress: (bytes, total) => seen.push([bytes, total]) })
  t.deepEqual(seen, [[FOX.length, FOX.length]])
  seen.length = 0
  publishSync(join(dir, 's'), FOX, { onProgress: (bytes, total) => seen.push([bytes, total]) })
  t.deepEqual(seen, [[FOX.length, FOX.length]])

  const src = join(dir, 'src')
  const size = 8 << 20
  writeFileSync(src, xorshiftBytes(size))
  seen.length = 0
  const copied = await publishCopy(join(dir, 'c'), src, { onProgress: (bytes, total) => seen.push([bytes, total]) })
  t.is(copied.bytes, size)
  t.deepEqual(seen.at(-1), [size, size], 'the last call is the total')
  // Every call whose total is given gives the source's size, and counts grow.
  t.true(seen.every(([bytes, total], i) => (total === undefined || total === size) && (i === 0 || bytes > seen[i - 1][0])), JSON.stringify(seen))
  seen.length = 0
  publishCopySync(join(dir, 'cs'), src, { onProgress: (bytes, total) => seen.push([bytes, total]) })
  t.deepEqual(seen, [[size, size]])
})

needs([], { also: posixOnly('file modes (Windows has a read-only bit)') })('publishCopy and publishCopySync publish a copy; hash set when expected', async (t) => {
  const dir = freshDir()
  const src = join(dir, 'src')
  writeFileSync(src, FOX)
  const copied = await publishCopy(join(dir, 'a'), src, { mode: 0o600 })
  t.is(copied.bytes, FOX.length)
  t.is(statSync(join(dir, 'a')).mode & 0o777, 0o600)
  const checked = publishCopySync(join(dir, 'b'), src, { hash: xxh3_128(FOX) })
  t.is(checked.hash, xxh3_128(FOX))
  t.is(readFileSync(join(dir, 'b'), 'utf8'), FOX)
  const missing = await t.throwsAsync(publishCopy(join(dir, 'c'), join(dir, 'absent')), { code: 'ENOENT' })
  t.is((missing as Error & { path?: string }).path, join(dir, 'absent'))
})

needs([], { also: posixOnly('file modes (Windows has a read-only bit)') })('publishStream returns a Writable that publishes on end, with the result', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'streamed')
  const out = publishStream(target, { mode: 0o600, hash: xxh3_128('abcdef') })
  await pipeline(Readable.from([Buffer.from('abc'), Buffer.from('def')]), out)
  t.is(readFileSync(target, 'utf8'), 'abcdef')
  t.is(statSync(target).mode & 0o777, 0o600)
  t.deepEqual(out.result, { path: target, bytes: 6, hash: xxh3_128('abcdef') })
  const refused = publishStream(join(dir, 'bad'), { hash: xxh3_128('x') })
  await t.throwsAsync(pipeline(Readable.from([Buffer.from('y')]), refused), { code: 'ERR_HASH_MISMATCH' })
  t.deepEqual(namesIn(dir), ['streamed'])
})

/** Bad options, with the code and the name each must be refused under. */
const BAD_OPTIONS: [string, unknown, string, RegExp][] = [
  ['an unknown key', { hsah: 'ab' }, 'ERR_INVALID_ARG_VALUE', /'options' has an unknown key.*'hsah'/s],
  ['an inherited unknown key', Object.create({ hsah: 'ab' }), 'ERR_INVALID_ARG_VALUE', /'options' has an unknown key.*'hsah'/s],
  ['an owner with an inherited unknown key', { owner: Object.assign(Object.create({ user: 'x' }), { uid: 0, gid: 0 }) }, 'ERR_INVALID_ARG_VALUE', /'options\.owner'/],
  ['options not an object', 'fast', 'ERR_INVALID_ARG_TYPE', /"options" argument/],
  ['options null', null, 'ERR_INVALID_ARG_TYPE', /"options" argument/],
  ['hash of the wrong type', { hash: 12 }, 'ERR_INVALID_ARG_TYPE', /"options\.hash" property/],
  ['hash not hex', { hash: 'zz' }, 'ERR_INVALID_ARG_VALUE', /'options\.hash'/],
  ['hash too long', { hash: 'a'.repeat(33) }, 'ERR_INVALID_ARG_VALUE', /'options\.hash'/],
  ['hash beyond 128 bits', { hash: 1n << 128n }, 'ERR_INVALID_ARG_VALUE', /'options\.hash'/],
  ['mtime of the wrong type', { mtime: '2024-01-01' }, 'ERR_INVALID_ARG_TYPE', /"options\.mtime"/],
  ['mtime NaN', { mtime: Number.NaN }, 'ERR_INVALID_ARG_VALUE', /'options\.mtime'/],
  ['mode of the wrong type', { mode: '644' }, 'ERR_INVALID_ARG_TYPE', /"options\.mode"/],
  ['mode out of range', { mode: 0o10000 }, 'ERR_INVALID_ARG_VALUE', /'options\.mode'/],
  ['owner not an object', { owner: 1000 }, 'ERR_INVALID_ARG_TYPE', /"options\.owner"/],
  ['owner with an unknown key', { owner: { uid: 0, gid: 0, user: 'x' } }, 'ERR_INVALID_ARG_VALUE', /'options\.owner'/],
  ['owner uid missing', { owner: { gid: 0 } }, 'ERR_INVALID_ARG_TYPE', /"options\.owner\.uid"/],
  ['owner uid out of range', { owner: { uid: 2 ** 32, gid: 0 } }, 'ERR_OUT_OF_RANGE', /"options\.owner\.uid"/],
  ['owner gid not an integer', { owner: { uid: 0, gid: 1.5 } }, 'ERR_OUT_OF_RANGE', /"options\.owner\.gid"/],
  ['durability unknown', { durability: 'data' }, 'ERR_INVALID_ARG_VALUE', /'options\.durability'/],
  ['durability of the wrong type', { durability: true }, 'ERR_INVALID_ARG_TYPE', /"options\.durability"/],
  ['overwrite not boolean', { overwrite: 'no' }, 'ERR_INVALID_ARG_TYPE', /"options\.overwrite"/],
  ['signal not a signal', { signal: {} }, 'ERR_INVALID_ARG_TYPE', /"options\.signal"/],
  ['onProgress not a function', { onProgress: 1 }, 'ERR_INVALID_ARG_TYPE', /"options\.onProgress"/],
]

for (const [what, options, code, message] of BAD_OPTIONS) {
  test(`strict options: ${what} is refused by every form with ${code}, nothing on disk changed`, async (t) => {
    const { dir, before, target } = dirWithOldTarget()
    const src = join(dir, 'blob.bin')
    const bad = options as never
    await t.throwsAsync(publish(target, FOX, bad), { code, message })
    await t.throwsAsync(publishCopy(target, src, bad), { code, message })
    t.throws(() => publishSync(target, FOX, bad), { code, message })
    t.throws(() => publishCopySync(target, src, bad), { code, message })
    t.throws(() => publishStream(target, bad), { code, message })
    t.deepEqual(snapshot(dir), before)
  })
}

test('strict options: the async forms reject (never throw) on bad arguments', async (t) => {
  const dir = freshDir()
  let rejected = publish(join(dir, 'x'), FOX, { mode: -1 })
  t.true(rejected instanceof Promise)
  await t.throwsAsync(rejected, { code: 'ERR_INVALID_ARG_VALUE' })
  rejected = publish('', FOX)
  await t.throwsAsync(rejected, { code: 'ERR_INVALID_ARG_VALUE' })
  await t.throwsAsync(publish(join(dir, 'x'), 42 as never), { code: 'ERR_INVALID_ARG_TYPE' })
  t.deepEqual(namesIn(dir), [])
})

test('a detached ArrayBuffer is refused with ERR_INVALID_ARG_VALUE by publish and publishSync, nothing on disk changed', async (t) => {
  const { dir, before, target } = dirWithOldTarget()
  const detached = new ArrayBuffer(8)
  structuredClone(detached, { transfer: [detached] })
  await t.throwsAsync(publish(target, detached), { code: 'ERR_INVALID_ARG_VALUE', message: /"?'?data'?"?.*detached/ })
  t.throws(() => publishSync(target, detached), { code: 'ERR_INVALID_ARG_VALUE', message: /"?'?data'?"?.*detached/ })
  t.deepEqual(snapshot(dir), before)
})

test('options.mtime is read once: a Date that changes between reads is judged and stamped as first read', async (t) => {
  const { dir, before, target } = dirWithOldTarget()
  let reads = 0
  const fickle = new Date(0)
  fickle.getTime = () => (reads++ === 0 ? Number.NaN : 1_000)
  await t.throwsAsync(publish(target, FOX, { mtime: fickle }), { code: 'ERR_INVALID_ARG_VALUE', message: /'options\.mtime'/ })
  t.deepEqual(snapshot(dir), before)
  reads = 0
  const shifting = new Date(0)
  shifting.getTime = () => (reads++ === 0 ? 1_700_000_000_123 : Number.NaN)
  await publish(target, FOX, { mtime: shifting })
  t.is(statSync(target).mtimeMs, 1_700_000_000_123)
})

needs([], { also: posixOnly('file modes (Windows has a read-only bit)') })('inherited option keys are read as Node reads options: a known one takes effect', async (t) => {
  const dir = freshDir()
  const defaults = { mode: 0o640 }
  await publish(join(dir, 'a'), FOX, Object.create(defaults))
  t.is(statSync(join(dir, 'a')).mode & 0o7777, 0o640)
})

test('strict options: keys set to undefined count as absent; a signal is refused by the sync forms', async (t) => {
  const dir = freshDir()
  const result = await publish(join(dir, 'a'), FOX, { hash: undefined, mode: undefined, signal: undefined, onProgress: undefined })
  t.is(result.bytes, FOX.length)
  const signal = new AbortController().signal
  // The types leave `signal` out of the sync forms' options; a JavaScript caller may pass it anyway.
  t.throws(() => publishSync(join(dir, 'b'), FOX, { signal } as never), { code: 'ERR_INVALID_ARG_VALUE', message: /'options\.signal'.*synchronous/ })
  t.throws(() => publishCopySync(join(dir, 'b'), join(dir, 'a'), { signal } as never), { code: 'ERR_INVALID_ARG_VALUE' })
  t.deepEqual(namesIn(dir), ['a'])
})
