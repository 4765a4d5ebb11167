// XXH3-128 against the reference: every size class of the algorithm, compared with what
// `xxhsum -H2` prints for the same bytes, through every entry point (hash-wasm stands in for
// xxhsum on machines without it).

import test from 'ava'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AtomicFile, createHasher, hashFile, hashFileSync, xxh3_128 } from 'atomic-publish'
import { freshDir, hashReferenceName, referenceHash, xorshiftBytes } from './helpers.js'

// One or more sizes from each of XXH3's code paths: 0, 1–3, 4–8, 9–16, 17–128, 129–240,
// 241+ (stripes, then blocks of 1 KiB), and multi-MiB.
const SIZES = [0, 1, 2, 3, 4, 6, 8, 9, 12, 16, 17, 64, 128, 129, 200, 240, 241, 1024, 1025, 65_536, 3 * 1024 * 1024 + 7]

test('one-shot, file and incremental hashes equal xxhsum -H2 on every size class', async (t) => {
  t.log(`reference: ${hashReferenceName}`)
  const dir = freshDir()
  for (const size of SIZES) {
    const data = xorshiftBytes(size, 0x1234567 + size)
    const file = join(dir, `in-${size}`)
    writeFileSync(file, data)
    const reference = await referenceHash(file)
    t.regex(reference, /^[0-9a-f]{32}$/)
    t.is(xxh3_128(data), reference, `xxh3_128 at ${size}`)
    t.is(hashFileSync(file), reference, `hashFileSync at ${size}`)
    t.is(await hashFile(file), reference, `hashFile at ${size}`)
    for (const chunk of [1, 7, 256, 4096]) {
      if (chunk > 1 && chunk >= size) continue
      const hasher = createHasher()
      for (let i = 0; i < size; i += chunk) hasher.update(data.subarray(i, i + chunk))
      t.is(hasher.digest(), reference, `createHasher at ${size} in chunks of ${chunk}`)
    }
  }
})

test('the published hash of write is the one xxhsum computes of the file', async (t) => {
  const dir = freshDir()
  const data = xorshiftBytes(5 * 1024 * 1024 + 3)
  const result = await new AtomicFile(join(dir, 'p')).write(data)
  t.is(result.hash, await referenceHash(join(dir, 'p')))
})

// Prefixes of the xorshift32 stream seeded 0x12345678 (as in src/hash.rs's tests), hashed by
// xxhsum -H2, xxhash-addon, hash-wasm and Python's xxhash alike.
const XORSHIFT_VECTORS: Array<[number, string]> = [
  [0, '99aa06d3014798d86001c324468d497f'],
  [1, '71d3b97d97ee075540f22ce7ca17bd07'],
  [3, 'aab5792c47c36f139d91f56e4e9d97ba'],
  [4, '91ecd7a974c06cbd67c39d42b3ec7c88'],
  [8, '986cb6a51ca3c7ed00b3a237ac066002'],
  [9, '536c54eaaadefb01e600238e6009681a'],
  [16, '5182d4f6ff741c01925d7b2502ce1910'],
  [17, 'e32140781ea3dca9164ab05d2ca80ba8'],
  [128, '59c7e54459c9f3f7fc4d10b33d284fe9'],
  [129, '635f3cd0f1b84e6a538905077cabc77a'],
  [240, '8b25c67c93d2efd32eba166d74d6c889'],
  [241, '2dec667056912bee28a37ff8cfb3e707'],
  [1024, 'ef44629e7c7ba3befe7b075a62e7f6cd'],
  [1025, '88654a2836eb03b118a966aaa3803ccd'],
  [65536, '0f5a75f63bdc670e79341e42cbbb0844'],
  [1048576, '4089ee3b5656e5502b1f68b67c42f330'],
]

test('the published test vectors of shared research', (t) => {
  for (const [length, expected] of XORSHIFT_VECTORS) t.is(xxh3_128(xorshiftBytes(length)), expected, `${length} bytes`)
})

test('known vectors: the fox sentence and the empty input', (t) => {
  t.is(xxh3_128('the quick brown fox jumps over the lazy dog'), 'e9a1932627d7f46d15c21eead63fa21f')
  t.is(xxh3_128(''), '99aa06d3014798d86001c324468d497f')
  t.is(xxh3_128('hello world'), 'df8d09e93f874900a99b8775cc15b6c7')
})

test('strings hash as UTF-8 and typed arrays as their own bytes', (t) => {
  t.is(xxh3_128('ünïcødé ✓'), xxh3_128(Buffer.from('ünïcødé ✓', 'utf8')))
  const floats = new Float32Array([1, 2, 3])
  t.is(xxh3_128(floats), xxh3_128(Buffer.from(floats.buffer)))
  const view = new DataView(floats.buffer, 4, 4)
  t.is(xxh3_128(view), xxh3_128(Buffer.from(floats.buffer, 4, 4)))
})

test('createHasher chains, digests mid-way and keeps going', (t) => {
  const hasher = createHasher()
  t.is(hasher.update('hello').update(' '), hasher)
  t.is(hasher.digest(), xxh3_128('hello '))
  hasher.update(Buffer.from('world'))
  t.is(hasher.digest(), xxh3_128('hello world'))
})

test('withHash accepts the hash as a bigint, in upper case, or without leading zeros', async (t) => {
  const dir = freshDir()
  const hex = xxh3_128('payload')
  await new AtomicFile(join(dir, 'a')).withHash(BigInt(`0x${hex}`)).write('payload')
  await new AtomicFile(join(dir, 'b')).withHash(hex.toUpperCase()).write('payload')
  // A digest with leading zeros may be given without them.
  const data = Array.from({ length: 5000 }, (_, i) => `v${i}`).find((d) => xxh3_128(d).startsWith('0'))
  t.truthy(data)
  const short = xxh3_128(data!).replace(/^0+/, '')
  await new AtomicFile(join(dir, 'c')).withHash(short).write(data!)
  t.pass()
})

test('hashFile reports missing files and directories the way fs does', async (t) => {
  const dir = freshDir()
  const missing = join(dir, 'missing')
  const err = await t.throwsAsync(hashFile(missing))
  // libuv's errno, as fs gives it: -2 on Unix, -4058 on Windows.
  const fsErrno = (t.throws(() => readFileSync(missing)) as NodeJS.ErrnoException).errno
  t.like(err, { code: 'ENOENT', errno: fsErrno, syscall: 'open', path: missing })
  t.is(err.message, `ENOENT: no such file or directory, open '${missing}'`)
  t.throws(() => hashFileSync(dir), { code: 'EISDIR' })
})
