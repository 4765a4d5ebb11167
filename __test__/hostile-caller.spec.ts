// Regressions for guarantee 12 and for path resolution, found by attacking them: each test
// reproduces a way a caller broke the contract before it was fixed.

import test from 'ava'
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runInNewContext } from 'node:vm'
import { AtomicFile, xxh3_128 } from 'atomic-publish'
import { freshDir, namesIn, needs, posix } from './helpers.js'

/** ES2024's resizable ArrayBuffer, which the project's TypeScript lib predates. */
type Resizable = new (length: number, options: { maxByteLength: number }) => ArrayBuffer & { resize(length: number): void }

test('a stream chunk shrunk while an earlier push is awaited is published as it was yielded', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'out.bin')
  const chunkSize = 200 << 10
  async function* source(): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < 6; i++) {
      const ab = new (ArrayBuffer as unknown as Resizable)(chunkSize, { maxByteLength: chunkSize })
      const chunk = new Uint8Array(ab).fill(0x43)
      // The program takes the buffer back a moment after handing it over.
      setImmediate(() => ab.resize(1))
      yield chunk
    }
  }
  const result = await new AtomicFile(target).stream(source())
  const disk = readFileSync(target)
  t.is(result.hash, xxh3_128(disk), 'result.hash names the bytes on disk')
  t.true(
    disk.every((b) => b === 0x43),
    'only bytes the caller wrote',
  )
  t.is(disk.length, 6 * chunkSize)
})

test('a stream chunk detached before it is read rejects with ERR_INVALID_STATE and publishes nothing', async (t) => {
  const dir = freshDir()
  async function* source(): AsyncGenerator<Uint8Array> {
    const chunk = new Uint8Array(16).fill(1)
    structuredClone(chunk.buffer, { transfer: [chunk.buffer] })
    yield new Uint8Array(8).fill(2)
    yield chunk.byteLength === 0 ? new Uint8Array(new ArrayBuffer(8)).subarray(0, 0) : chunk
    const big = new Uint8Array(8 << 20).fill(3)
    setImmediate(() => structuredClone(big.buffer, { transfer: [big.buffer] }))
    yield big
  }
  const err = await t.throwsAsync(new AtomicFile(join(dir, 'out')).stream(source()))
  t.is((err as { code?: string }).code, 'ERR_INVALID_STATE')
  t.deepEqual(namesIn(dir), [])
})

test('writeSync copies a SharedArrayBuffer from another realm before hashing it', (t) => {
  const dir = freshDir()
  const shared = runInNewContext('new SharedArrayBuffer(1 << 20)') as SharedArrayBuffer
  t.false(shared instanceof SharedArrayBuffer, 'the scenario: instanceof cannot see it')
  const view = new Uint8Array(shared).fill(0x61)
  const result = new AtomicFile(join(dir, 'out')).withHash(xxh3_128(view)).writeSync(view)
  t.is(result.hash, xxh3_128(readFileSync(join(dir, 'out'))))
})

needs([], { also: posix })('`..` after a symlinked directory lands where fs.writeFile lands', async (t) => {
  const dir = freshDir()
  mkdirSync(join(dir, 'real', 'sub'), { recursive: true })
  mkdirSync(join(dir, 'd'))
  symlinkSync(join(dir, 'real', 'sub'), join(dir, 'd', 'link'))
  // Spelled out: path.join would fold the `..` by text.
  const through = `${dir}/d/link/..`
  writeFileSync(`${through}/via-fs`, 'fs')
  t.deepEqual(namesIn(join(dir, 'real')), ['sub', 'via-fs'], 'the kernel resolves .. physically')
  await new AtomicFile(`${through}/via-ap`).write('ap')
  new AtomicFile(`${through}/via-ap-sync`).writeSync('ap')
  t.deepEqual(namesIn(join(dir, 'real')), ['sub', 'via-ap', 'via-ap-sync', 'via-fs'])
  t.deepEqual(namesIn(join(dir, 'd')), ['link'])
})

test('a Proxy of a Uint8Array, or an object that only inherits from one, is refused with ERR_INVALID_ARG_TYPE', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'never')
  for (const fake of [new Proxy(new Uint8Array(16), {}), Object.create(Uint8Array.prototype)]) {
    await t.throwsAsync(new AtomicFile(target).write(fake), { code: 'ERR_INVALID_ARG_TYPE' })
    t.throws(() => new AtomicFile(target).writeSync(fake), { code: 'ERR_INVALID_ARG_TYPE' })
  }
  t.deepEqual(namesIn(dir), [])
})

test('writes waiting for a no-overwrite publish to their target still take their bytes at the call', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'blob')
  // Small data: a copy at the call, whatever the buffer holds when its turn comes.
  const small = Buffer.alloc(1 << 20, 'a')
  const first = new AtomicFile(target).withOverwrite(false).write('first')
  const refilled = new AtomicFile(target).write(small)
  small.fill('z')
  await first
  t.is((await refilled).hash, xxh3_128(Buffer.alloc(1 << 20, 'a')))
  t.true(readFileSync(target).equals(Buffer.alloc(1 << 20, 'a')))
  // A length-tracking view shrunk to nothing while it waits: refused or whole, never empty.
  for (const size of [1000, 20 << 20]) {
    writeFileSync(target, 'old contents')
    const Resizable = ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer & { resize(n: number): void }
    const ab = new Resizable(size, { maxByteLength: size })
    const view = new Uint8Array(ab).fill(0x61)
    const blocked = new AtomicFile(target).withOverwrite(false).write('x')
    const shrunk = new AtomicFile(target).write(view)
    ab.resize(0)
    await t.throwsAsync(blocked, { code: 'EEXIST' })
    try {
      const result = await shrunk
      t.is(result.bytes, size, `${size}: published whole`)
      t.is(readFileSync(target).length, size)
    } catch (error) {
      t.is((error as { code?: string }).code, 'ERR_INVALID_STATE', `${size}`)
      t.is(readFileSync(target, 'utf8'), 'old contents')
    }
  }
})
