// atomic-publish/compat: write-file-atomic's and atomically's calls and options, checked where
// possible against the real peers (devDependencies) doing the same thing.

import test from 'ava'
import { spawnSync } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import compat = require('atomic-publish/compat')
import { fixtureForOtherUser, freshDir, isRoot, namesIn, needs, otherUserReachesTmp, posix, posixOnly, scratchIn } from './helpers.js'

/** write-file-atomic ships no types; this is the part of its shape the tests use. */
const writeFileAtomic = require('write-file-atomic') as (file: string, data: unknown, options?: unknown) => Promise<void>

const UMASK = process.umask()
const modeOf = (path: string): number => statSync(path).mode & 0o7777

type Atomically = typeof import('atomically', { with: { 'resolution-mode': 'import' } })
const atomically = (): Promise<Atomically> => import('atomically')

test('CommonJS: the default export is writeFile with .sync, plus atomically’s named functions', (t) => {
  t.is(typeof compat, 'function')
  t.is(compat.writeFile, compat)
  t.is(compat.sync, compat.writeFileSync)
  for (const name of ['sync', 'writeFile', 'writeFileSync', 'readFile', 'readFileSync'] as const) t.is(typeof compat[name], 'function', name)
})

test('ESM: the same functions under the default export and the names', async (t) => {
  const esm = (await import('atomic-publish/compat' as string)) as Record<string, unknown> & { default: typeof compat }
  t.is(esm.default, compat)
  t.is(esm.writeFile, compat)
  t.is(esm.writeFileSync, compat.writeFileSync)
  t.is(esm.sync, compat.writeFileSync)
  t.is(esm.readFile, compat.readFile)
  t.is(esm.readFileSync, compat.readFileSync)
})

needs([], { also: posixOnly('file modes (Windows has a read-only bit)') })('promise and callback forms, as both peers', async (t) => {
  const dir = freshDir()
  t.is(await compat(join(dir, 'a'), 'promise'), undefined)
  const viaCallback = await new Promise<unknown[]>((resolve) => void compat(join(dir, 'b'), 'cb', (...args: unknown[]) => resolve(args)))
  t.deepEqual(viaCallback, [])
  const withOptions = await new Promise<unknown[]>((resolve) => void compat(join(dir, 'c'), 'cb', { mode: 0o600 }, (...args: unknown[]) => resolve(args)))
  t.deepEqual(withOptions, [])
  t.is(readFileSync(join(dir, 'b'), 'utf8'), 'cb')
  t.is(modeOf(join(dir, 'c')), 0o600)
  // An error goes to the callback; the promise then resolves (nothing left unhandled).
  writeFileSync(join(dir, 'file'), '')
  let received: NodeJS.ErrnoException | undefined
  await compat(join(dir, 'file', 'below'), 'x', (err) => (received = err ?? undefined))
  t.is(received?.code, 'ENOTDIR')
  await t.throwsAsync(compat(join(dir, 'file', 'below'), 'x'), { code: 'ENOTDIR' })
  t.throws(() => compat.sync(join(dir, 'file', 'below'), 'x'), { code: 'ENOTDIR' })
})

test('data: strings in any encoding, every ArrayBufferView, null and undefined, other values through String()', async (t) => {
  const dir = freshDir()
  // write-file-atomic writes `data.length` bytes of a view, which is wrong for any view whose
  // elements are not bytes: those cases are checked against the expected bytes only.
  const elementsNotBytes = new Set(['Float64Array', 'DataView of part of a buffer'])
  const cases: Array<[string, unknown, unknown, Buffer]> = [
    ['utf8 string', 'héllo', undefined, Buffer.from('héllo')],
    ['encoding as a string option', '68656c6c6f', 'hex', Buffer.from('hello')],
    ['encoding in options', 'aGVsbG8=', { encoding: 'base64' }, Buffer.from('hello')],
    ['encoding null means utf8', 'ü', { encoding: null }, Buffer.from('ü')],
    ['Buffer ignores the encoding', Buffer.from('raw'), 'hex', Buffer.from('raw')],
    ['Uint8Array', new Uint8Array([1, 2, 3]), undefined, Buffer.from([1, 2, 3])],
    ['Float64Array', new Float64Array([1]), undefined, Buffer.from(new Float64Array([1]).buffer)],
    ['DataView of part of a buffer', new DataView(new Uint8Array([9, 8, 7, 6]).buffer, 1, 2), undefined, Buffer.from([8, 7])],
    ['null', null, undefined, Buffer.alloc(0)],
    ['undefined', undefined, undefined, Buffer.alloc(0)],
    ['a number', 42, undefined, Buffer.from('42')],
  ]
  for (const [name, data, options, expected] of cases) {
    const a = join(dir, `${name}.async`)
    const s = join(dir, `${name}.sync`)
    const w = join(dir, `${name}.wfa`)
    await compat(a, data as string, options as compat.WriteOptions)
    compat.sync(s, data as string, options as compat.WriteOptions)
    t.deepEqual(readFileSync(a), expected, name)
    t.deepEqual(readFileSync(s), expected, name)
    if (elementsNotBytes.has(name)) continue
    await writeFileAtomic(w, data as string, options)
    t.deepEqual(readFileSync(w), expected, `${name}: write-file-atomic agrees`)
  }
  const streamed = join(dir, 'readable')
  await compat(streamed, Readable.from([Buffer.from('from a '), Buffer.from('Readable')]))
  t.is(readFileSync(streamed, 'utf8'), 'from a Readable')
})

needs([], { also: posixOnly('file modes (Windows has a read-only bit)') })('mode: inherited by default, exact when given (number or octal string), 0o666 & ~umask for false and 0o666; as atomically', async (t) => {
  const dir = freshDir()
  const { writeFile: atomicallyWrite } = await atomically()
  const scenarios: Array<[string, number | undefined, compat.WriteOptions]> = [
    ['new file, no mode', undefined, {}],
    ['replaced 0o600 file, no mode', 0o600, {}],
    ['replaced 0o600 file, mode 0o640', 0o600, { mode: 0o640 }],
    ['new file, mode 0o751', undefined, { mode: 0o751 }],
    ['new file, mode as an octal string', undefined, { mode: '640' }],
    ['new file, mode as the octal string 666 (exact: only the numbers are masked)', undefined, { mode: '666' }],
    ['a mode from fs.stat, with the file type bits', undefined, { mode: 0o100604 }],
    ['replaced 0o600 file, mode false', 0o600, { mode: false }],
    ['replaced 0o600 file, mode 0o666 (conf’s default configFileMode)', 0o600, { mode: 0o666 }],
    ['new file, mode 0o777', undefined, { mode: 0o777 }],
    ['new file, mode 0', undefined, { mode: 0 }],
  ]
  for (const [name, existing, options] of scenarios) {
    const modes: number[] = []
    for (const writer of ['compat', 'compat.sync', 'atomically'] as const) {
      const target = join(dir, `${name} ${writer}`)
      if (existing !== undefined) {
        writeFileSync(target, 'old')
        chmodSync(target, existing)
      }
      if (writer === 'compat') await compat(target, 'new', options)
      else if (writer === 'compat.sync') compat.sync(target, 'new', options)
      else await atomicallyWrite(target, 'new', options as never)
      modes.push(modeOf(target))
    }
    t.is(modes[0], modes[2], `${name}: compat ${modes[0].toString(8)}, atomically ${modes[2].toString(8)}`)
    t.is(modes[1], modes[2], `${name}: compat.sync`)
  }
  t.is(modeOf(join(dir, 'new file, no mode compat')), 0o666 & ~UMASK)
  t.is(modeOf(join(dir, 'replaced 0o600 file, mode false compat')), 0o666 & ~UMASK)
  t.is(modeOf(join(dir, 'replaced 0o600 file, mode 0o666 (conf’s default configFileMode) compat')), 0o666 & ~UMASK)
  t.is(modeOf(join(dir, 'new file, mode 0o777 compat')), 0o777)
  t.throws(() => compat.sync(join(dir, 'bad'), 'x', { mode: '9z' }), { code: 'ERR_INVALID_ARG_VALUE' })
  t.false(existsSync(join(dir, 'bad')))
})

const rootOnly = needs([], { root: true })
const unprivilegedTest = needs([], { also: process.getuid === undefined ? { ok: false, what: 'POSIX user ids' } : otherUserReachesTmp })

rootOnly('chown: given ids are set before the rename; false keeps this process’s; default keeps the replaced file’s', async (t) => {
  const dir = freshDir()
  const given = join(dir, 'given')
  await compat(given, 'x', { chown: { uid: 4321, gid: 8765 } })
  t.like(statSync(given), { uid: 4321, gid: 8765 })
  compat.sync(given, 'y', {})
  t.like(statSync(given), { uid: 4321, gid: 8765 }, 'the replaced file’s owner is kept')
  compat.sync(given, 'z', { chown: false })
  t.like(statSync(given), { uid: 0, gid: 0 }, 'chown: false leaves the file to this process')
  const { writeFileSync: atomicallyWriteSync } = await atomically()
  const peer = join(dir, 'peer')
  writeFileSync(peer, 'old')
  chownSync(peer, 4321, 8765)
  atomicallyWriteSync(peer, 'new', { chown: false })
  t.like(statSync(peer), { uid: 0, gid: 0 }, 'atomically agrees')
})

test('chown: a missing uid or gid is refused before anything is written, as fs.chown refuses it', async (t) => {
  const dir = freshDir()
  await t.throwsAsync(compat(join(dir, 'a'), 'x', { chown: { uid: 1 } as never }), { code: 'ERR_INVALID_ARG_TYPE' })
  t.throws(() => compat.sync(join(dir, 'b'), 'x', { chown: { uid: 1, gid: 2 ** 40 } }), { code: 'ERR_OUT_OF_RANGE' })
  t.deepEqual(namesIn(dir), [])
})

/** Run a compat scenario as an unprivileged user (nobody, when the tests run as root). */
function unprivileged(t: import('ava').ExecutionContext, scenario: string): Record<string, unknown> {
  const dir = freshDir()
  const asNobody = isRoot ? { uid: 65534, gid: 65534 } : {}
  if (isRoot) chownSync(dir, 65534, 65534)
  const run = spawnSync(process.execPath, [fixtureForOtherUser('compat-unprivileged'), dir, scenario], { encoding: 'utf8', ...asNobody })
  t.is(run.status, 0, run.stderr)
  const result = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>
  t.deepEqual(scratchIn(dir), [], `${scenario} left a scratch`)
  return result
}

unprivilegedTest('chown: not root, a refused chown (EPERM) is ignored as both peers ignore it', (t) => {
  const result = unprivileged(t, 'chown-refused')
  t.like(result, { ok: true, afterAsync: 'async', content: 'sync' })
  t.deepEqual([result.uid, result.gid], result.me)
})

unprivilegedTest('timeout: a transient EACCES is retried within the budget', (t) => {
  const result = unprivileged(t, 'retry-budget')
  t.like(result, { ok: true, content: 'new' })
  t.true((result.waitedMs as number) >= 300, `waited ${String(result.waitedMs)} ms`)
})

unprivilegedTest('timeout 0: no retries, the EACCES is reported at once', (t) => {
  t.like(unprivileged(t, 'no-retry-budget'), { ok: false, code: 'EACCES' })
})

unprivilegedTest('readFile retries a transient EACCES within its timeout', (t) => {
  t.like(unprivileged(t, 'read-retry'), { ok: true, content: 'readable later' })
})

test('tmpfileCreated: called with the scratch beside the target before the rename, and awaited', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'target.json')
  const seen: Array<{ path: string; exists: boolean; targetThere: boolean }> = []
  let hookDone = false
  await compat(target, '{}', {
    tmpfileCreated: async (path) => {
      seen.push({ path, exists: existsSync(path), targetThere: existsSync(target) })
      await new Promise((r) => setTimeout(r, 50))
      hookDone = true
    },
  })
  t.true(hookDone, 'the publish waited for the hook')
  t.is(seen.length, 1)
  t.regex(seen[0].path, /[\\/]target\.json\.oxentmp\.[A-Za-z0-9]+$/)
  t.true(seen[0].path.startsWith(dir))
  t.like(seen[0], { exists: true, targetThere: false })
  t.deepEqual(namesIn(dir), ['target.json'])

  const syncSeen: string[] = []
  compat.sync(target, '[]', { tmpfileCreated: (p) => void syncSeen.push(p) })
  compat.sync(target, '[1]', { tmpCreated: (p) => void syncSeen.push(p) })
  t.is(syncSeen.length, 2)
  for (const p of syncSeen) t.regex(p, /\.oxentmp\./)
  t.is(readFileSync(target, 'utf8'), '[1]')
})

test('a scratch hook that throws or rejects aborts the write: target unchanged, no scratch', async (t) => {
  const dir = freshDir()
  const target = join(dir, 't')
  writeFileSync(target, 'old')
  const boom = new Error('hook says no')
  await t.throwsAsync(compat(target, 'new', { tmpfileCreated: async () => Promise.reject(boom) }), { is: boom })
  await t.throwsAsync(compat(target, 'new', { tmpCreated: () => { throw boom } }), { is: boom })
  t.throws(() => compat.sync(target, 'new', { tmpfileCreated: () => { throw boom } }), { is: boom })
  t.throws(() => compat.sync(target, 'new', { tmpCreated: () => { throw boom } }), { is: boom })
  t.is(readFileSync(target, 'utf8'), 'old')
  t.deepEqual(namesIn(dir), ['t'])
})

test('tmpPurge: false leaves the scratch of a failed write; the default removes it', async (t) => {
  const dir = freshDir()
  const target = join(dir, 't')
  writeFileSync(target, 'old')
  const refuse = (): never => {
    throw new Error('no')
  }
  await t.throwsAsync(compat(target, 'new', { tmpCreated: refuse }))
  t.deepEqual(scratchIn(dir), [])
  await t.throwsAsync(compat(target, 'new', { tmpCreated: refuse, tmpPurge: false }))
  t.throws(() => compat.sync(target, 'newer', { tmpCreated: refuse, tmpPurge: false }))
  const kept = scratchIn(dir)
  t.is(kept.length, 2)
  t.is(readFileSync(target, 'utf8'), 'old')
})

test('schedule: awaited with the path before the write, its disposer called after', async (t) => {
  const dir = freshDir()
  const target = join(dir, 't')
  const events: string[] = []
  await compat(target, 'x', {
    schedule: async (path) => {
      events.push(`schedule ${path === target} exists=${existsSync(target)}`)
      await new Promise((r) => setTimeout(r, 20))
      return () => events.push(`dispose exists=${existsSync(target)}`)
    },
  })
  t.deepEqual(events, ['schedule true exists=false', 'dispose exists=true'])
})

test('tmpCreate is accepted and not used: scratch names stay sweepable', async (t) => {
  const dir = freshDir()
  const target = join(dir, 't')
  let called = false
  const seen: string[] = []
  await compat(target, 'x', { tmpCreate: (p) => ((called = true), `${p}.mine`), tmpfileCreated: (p) => void seen.push(p) })
  t.false(called)
  t.regex(seen[0], /\.oxentmp\./)
  t.is(readFileSync(target, 'utf8'), 'x')
})

needs([], { also: posix })('parents are created as atomically creates them; writes go through a symlink as both peers', async (t) => {
  const dir = freshDir()
  await compat(join(dir, 'a', 'b', 'c.json'), '{}')
  t.is(readFileSync(join(dir, 'a', 'b', 'c.json'), 'utf8'), '{}')
  mkdirSync(join(dir, 'real'))
  writeFileSync(join(dir, 'real', 'f'), 'old')
  const { symlinkSync, lstatSync } = await import('node:fs')
  symlinkSync(join(dir, 'real', 'f'), join(dir, 'link'))
  compat.sync(join(dir, 'link'), 'new')
  t.true(lstatSync(join(dir, 'link')).isSymbolicLink())
  t.is(readFileSync(join(dir, 'real', 'f'), 'utf8'), 'new')
})

test('the last of many concurrent writes to one file wins, as with the peers’ queues', async (t) => {
  const dir = freshDir()
  const target = join(dir, 't')
  await Promise.all(Array.from({ length: 20 }, (_, i) => compat(target, `v${i}`)))
  t.is(readFileSync(target, 'utf8'), 'v19')
  t.deepEqual(namesIn(dir), ['t'])
})

test('readFile and readFileSync as atomically exports them', async (t) => {
  const dir = freshDir()
  const f = join(dir, 'f')
  writeFileSync(f, 'héllo')
  const { readFile: peerRead, readFileSync: peerReadSync } = await atomically()
  t.deepEqual(await compat.readFile(f), await peerRead(f))
  t.is(await compat.readFile(f, 'utf8'), 'héllo')
  t.is(await compat.readFile(f, { encoding: 'latin1' }), await peerRead(f, { encoding: 'latin1' }))
  t.deepEqual(compat.readFileSync(f), peerReadSync(f))
  t.is(compat.readFileSync(f, { encoding: 'utf8', timeout: 0 }), 'héllo')
  // ENOENT is not retried: given a 60 s budget, a retrying read would fail only after 60 s; one
  // that is not retried fails at once (half the budget leaves a loaded machine its headroom).
  const started = Date.now()
  await t.throwsAsync(compat.readFile(join(dir, 'missing'), { timeout: 60_000 }), { code: 'ENOENT' })
  t.throws(() => compat.readFileSync(join(dir, 'missing'), { timeout: 60_000 }), { code: 'ENOENT' })
  t.true(Date.now() - started < 30_000, 'ENOENT is not retried')
})
