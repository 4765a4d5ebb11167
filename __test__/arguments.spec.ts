// Bad input: every builder and terminal rejects it at once with a Node-style code, and
// nothing on disk changes.

import test from 'ava'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AtomicFile, createHasher, hashFile, hashFileSync, xxh3_128 } from 'atomic-publish'
import { freshDir, snapshot } from './helpers.js'

type Code = 'ERR_INVALID_ARG_TYPE' | 'ERR_INVALID_ARG_VALUE'
type CodedError = Error & { code?: string }

// The casts below are the point: these are calls TypeScript would refuse.
const loose = (f: unknown) => f as (...args: unknown[]) => unknown

function rejectsAtOnce(t: import('ava').ExecutionContext, code: Code, call: () => unknown, label: string) {
  const err = t.throws<CodedError>(call, { instanceOf: TypeError }, label)
  t.is(err?.code, code, label)
}

test('bad targets throw from the constructor', (t) => {
  const dir = freshDir()
  const before = snapshot(dir)
  const make = loose((x: unknown) => new AtomicFile(x as string))
  const cases: Array<[unknown, Code]> = [
    [42, 'ERR_INVALID_ARG_TYPE'],
    [null, 'ERR_INVALID_ARG_TYPE'],
    [undefined, 'ERR_INVALID_ARG_TYPE'],
    [{ path: 'x' }, 'ERR_INVALID_ARG_TYPE'],
    ['', 'ERR_INVALID_ARG_VALUE'],
    [join(dir, 'a\u0000b'), 'ERR_INVALID_ARG_VALUE'],
    [`${dir}/sub/`, 'ERR_INVALID_ARG_VALUE'],
    [`${dir}/.`, 'ERR_INVALID_ARG_VALUE'],
    [`${dir}/..`, 'ERR_INVALID_ARG_VALUE'],
    ['/', 'ERR_INVALID_ARG_VALUE'],
    [new URL('https://example.com/x'), 'ERR_INVALID_ARG_VALUE'],
  ]
  for (const [value, code] of cases) rejectsAtOnce(t, code, () => make(value), `target ${String(value)}`)
  t.deepEqual(snapshot(dir), before)
})

test('bad builder arguments throw at once and touch nothing', (t) => {
  const dir = freshDir()
  writeFileSync(join(dir, 'existing'), 'old')
  const before = snapshot(dir)
  const file = new AtomicFile(join(dir, 'existing'))
  const cases: Array<[string, unknown, Code]> = [
    ['withHash', 42, 'ERR_INVALID_ARG_TYPE'],
    ['withHash', null, 'ERR_INVALID_ARG_TYPE'],
    ['withHash', '', 'ERR_INVALID_ARG_VALUE'],
    ['withHash', 'g'.repeat(32), 'ERR_INVALID_ARG_VALUE'],
    ['withHash', '0'.repeat(33), 'ERR_INVALID_ARG_VALUE'],
    ['withHash', '0x1234', 'ERR_INVALID_ARG_VALUE'],
    ['withHash', ' abc', 'ERR_INVALID_ARG_VALUE'],
    ['withHash', -1n, 'ERR_INVALID_ARG_VALUE'],
    ['withHash', 1n << 128n, 'ERR_INVALID_ARG_VALUE'],
    ['withMtime', '2024-01-01', 'ERR_INVALID_ARG_TYPE'],
    ['withMtime', null, 'ERR_INVALID_ARG_TYPE'],
    ['withMtime', Number.NaN, 'ERR_INVALID_ARG_VALUE'],
    ['withMtime', Number.POSITIVE_INFINITY, 'ERR_INVALID_ARG_VALUE'],
    ['withMtime', 8.64e15 + 1, 'ERR_INVALID_ARG_VALUE'],
    ['withMtime', new Date(Number.NaN), 'ERR_INVALID_ARG_VALUE'],
    ['withMtime', 8_640_000_000_000_000_000_001n, 'ERR_INVALID_ARG_VALUE'],
    ['withMode', '755', 'ERR_INVALID_ARG_TYPE'],
    ['withMode', -1, 'ERR_INVALID_ARG_VALUE'],
    ['withMode', 0o10000, 'ERR_INVALID_ARG_VALUE'],
    ['withMode', 1.5, 'ERR_INVALID_ARG_VALUE'],
    ['withMode', Number.NaN, 'ERR_INVALID_ARG_VALUE'],
    ['withFsync', 'yes', 'ERR_INVALID_ARG_TYPE'],
    ['withFsync', 1, 'ERR_INVALID_ARG_TYPE'],
  ]
  for (const [method, value, code] of cases) {
    const call = loose((file as unknown as Record<string, (v: unknown) => unknown>)[method].bind(file))
    rejectsAtOnce(t, code, () => call(value), `${method}(${String(value)})`)
  }
  t.deepEqual(snapshot(dir), before)
})

test('bad data rejects write, throws from writeSync, and touches nothing', async (t) => {
  const dir = freshDir()
  writeFileSync(join(dir, 'existing'), 'old')
  const before = snapshot(dir)
  const file = new AtomicFile(join(dir, 'existing'))
  for (const bad of [42, null, undefined, {}, [1, 2], new ArrayBuffer(4), Symbol('s')]) {
    const err = await t.throwsAsync<CodedError>(loose(file.write.bind(file))(bad) as Promise<unknown>, { instanceOf: TypeError })
    t.is(err?.code, 'ERR_INVALID_ARG_TYPE')
    rejectsAtOnce(t, 'ERR_INVALID_ARG_TYPE', () => loose(file.writeSync.bind(file))(bad), `writeSync(${String(bad)})`)
  }
  t.deepEqual(snapshot(dir), before)
})

test('bad sources reject copyFrom, throw from copyFromSync, and touch nothing', async (t) => {
  const dir = freshDir()
  const before = snapshot(dir)
  const file = new AtomicFile(join(dir, 'dst'))
  for (const [bad, code] of [[42, 'ERR_INVALID_ARG_TYPE'], ['', 'ERR_INVALID_ARG_VALUE'], ['a\u0000', 'ERR_INVALID_ARG_VALUE']] as const) {
    const err = await t.throwsAsync<CodedError>(loose(file.copyFrom.bind(file))(bad) as Promise<unknown>)
    t.is(err?.code, code)
    rejectsAtOnce(t, code, () => loose(file.copyFromSync.bind(file))(bad), `copyFromSync(${String(bad)})`)
  }
  t.deepEqual(snapshot(dir), before)
})

test('the hashing functions reject bad input with Node codes', async (t) => {
  rejectsAtOnce(t, 'ERR_INVALID_ARG_TYPE', () => loose(xxh3_128)(42), 'xxh3_128(42)')
  rejectsAtOnce(t, 'ERR_INVALID_ARG_TYPE', () => loose(xxh3_128)(undefined), 'xxh3_128()')
  rejectsAtOnce(t, 'ERR_INVALID_ARG_TYPE', () => loose(hashFileSync)(null), 'hashFileSync(null)')
  rejectsAtOnce(t, 'ERR_INVALID_ARG_VALUE', () => loose(hashFileSync)(''), "hashFileSync('')")
  const err = await t.throwsAsync<CodedError>(loose(hashFile)(7) as Promise<unknown>)
  t.is(err?.code, 'ERR_INVALID_ARG_TYPE')
  const hasher = createHasher()
  rejectsAtOnce(t, 'ERR_INVALID_ARG_TYPE', () => loose(hasher.update.bind(hasher))({}), 'update({})')
})

test('argument errors read like Node’s own', (t) => {
  const err = t.throws(() => new AtomicFile(42 as unknown as string))
  t.is(err?.message, 'The "target" argument must be of type string or an instance of Buffer or URL. Received type number (42)')
})
