// copyFrom / copyFromSync: liboxen's copy tests, ported, and verification of copies.

import test from 'ava'
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AtomicFile, HashMismatchError, type PublishFsError, xxh3_128 } from 'atomic-publish'
import { freshDir, namesIn, needs, posixOnly, snapshot, xorshiftBytes } from './helpers.js'

const FIXED_MTIME_NS = 1_700_000_000_123_456_789n

needs([], { also: posixOnly('nanosecond file times (Windows keeps 100 ns)') })('test_atomic_copy_with_mtime_round_trip', async (t) => {
  const dir = freshDir()
  const [src, dst] = [join(dir, 'src.bin'), join(dir, 'dst.bin')]
  const payload = xorshiftBytes(20_000)
  writeFileSync(src, payload)
  const result = await new AtomicFile(dst).withMtime(FIXED_MTIME_NS).copyFrom(src)
  t.deepEqual(readFileSync(dst), payload)
  t.is(statSync(dst, { bigint: true }).mtimeNs, FIXED_MTIME_NS)
  t.deepEqual(result, { path: dst, bytes: payload.length }, 'no hash without withHash: the kernel copied')
  t.deepEqual(namesIn(dir), ['dst.bin', 'src.bin'])
})

test('test_atomic_copy_with_mtime_overwrites_existing', async (t) => {
  const dir = freshDir()
  const [src, dst] = [join(dir, 'src.bin'), join(dir, 'dst.bin')]
  writeFileSync(src, 'new content')
  writeFileSync(dst, 'old content with different length')
  new AtomicFile(dst).withMtime(FIXED_MTIME_NS).copyFromSync(src)
  t.is(readFileSync(dst, 'utf8'), 'new content')
})

test('test_atomic_copy_with_mtime_missing_source_leaves_no_scratch', async (t) => {
  const dir = freshDir()
  const [src, dst] = [join(dir, 'does-not-exist.bin'), join(dir, 'sub', 'dst.bin')]
  const err = (await t.throwsAsync(new AtomicFile(dst).withMtime(FIXED_MTIME_NS).copyFrom(src))) as PublishFsError
  // Like fs.copyFile: the path is the source that failed, dest the target.
  t.like(err, { code: 'ENOENT', syscall: 'open', path: src, dest: dst, published: false })
  t.is(err.message, `ENOENT: no such file or directory, open '${src}'`)
  t.throws(() => new AtomicFile(dst).copyFromSync(src), { code: 'ENOENT' })
  t.deepEqual(namesIn(dir), [], 'not even the parent directory')
})

test('a verified copy reports its hash; a mismatch leaves the target as it was', async (t) => {
  const dir = freshDir()
  const [src, dst] = [join(dir, 'src.bin'), join(dir, 'dst.bin')]
  const payload = xorshiftBytes(3 * 1024 * 1024 + 11)
  writeFileSync(src, payload)
  const result = await new AtomicFile(dst).withHash(xxh3_128(payload)).copyFrom(src)
  t.deepEqual(result, { path: dst, bytes: payload.length, hash: xxh3_128(payload) })
  writeFileSync(dst, 'old')
  const before = snapshot(dir)
  const err = await t.throwsAsync(new AtomicFile(dst).withHash('1').copyFrom(src), { instanceOf: HashMismatchError })
  t.is(err.actual, xxh3_128(payload))
  t.throws(() => new AtomicFile(dst).withHash('1').copyFromSync(src), { instanceOf: HashMismatchError })
  t.deepEqual(snapshot(dir), before)
})

test('copying from a directory is EISDIR and leaves nothing', async (t) => {
  const dir = freshDir()
  mkdirSync(join(dir, 'srcdir'))
  const before = snapshot(dir)
  const err = (await t.throwsAsync(new AtomicFile(join(dir, 'dst')).copyFrom(join(dir, 'srcdir')))) as PublishFsError
  t.like(err, { code: 'EISDIR', path: join(dir, 'srcdir') })
  t.deepEqual(snapshot(dir), before)
})

test('a large copy keeps every byte, with and without a hash', async (t) => {
  const dir = freshDir()
  const src = join(dir, 'big')
  const payload = xorshiftBytes(24 * 1024 * 1024 + 5)
  writeFileSync(src, payload)
  await new AtomicFile(join(dir, 'plain')).copyFrom(src)
  await new AtomicFile(join(dir, 'verified')).withHash(xxh3_128(payload)).copyFrom(src)
  t.true(readFileSync(join(dir, 'plain')).equals(payload))
  t.true(readFileSync(join(dir, 'verified')).equals(payload))
})
