// The override packages' entries against the real peers (devDependencies): for every input below,
// atomic-publish/compat/write-file-atomic does what write-file-atomic 7 does and
// atomic-publish/compat/atomically what atomically 2 does: the same bytes, the same mode, or a
// refusal that leaves the target as it was. Where a peer refuses by crashing on its own code (a
// bare TypeError), the entry refuses with ERR_INVALID_ARG_TYPE; where a peer leaves its temp file
// behind, the entry leaves nothing.

import test from 'ava'
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { join } from 'node:path'
import compat = require('atomic-publish/compat')
import writeFileAtomicEntry = require('atomic-publish/compat/write-file-atomic')
import * as atomicallyEntry from 'atomic-publish/compat/atomically'
import { freshDir, needs, posix, posixOnly, roundsHere, sampledHere } from './helpers.js'

type Write = (file: string, data: unknown, options?: unknown) => Promise<unknown>
type WriteSync = (file: string, data: unknown, options?: unknown) => unknown
interface Writer {
  write: Write
  writeSync: WriteSync
}

const wfaPeer = require('write-file-atomic') as ((file: string, data: unknown, options?: unknown, callback?: unknown) => Promise<unknown>) & { sync: WriteSync }
const writers = async (): Promise<Record<string, Writer>> => {
  const atomicallyPeer = (await import('atomically')) as unknown as { writeFile: Write; writeFileSync: WriteSync }
  return {
    'write-file-atomic': { write: wfaPeer, writeSync: wfaPeer.sync },
    'compat/write-file-atomic': { write: writeFileAtomicEntry as Write, writeSync: writeFileAtomicEntry.sync as WriteSync },
    atomically: { write: atomicallyPeer.writeFile, writeSync: atomicallyPeer.writeFileSync },
    'compat/atomically': { write: atomicallyEntry.writeFile as Write, writeSync: atomicallyEntry.writeFileSync as WriteSync },
  }
}

interface Case {
  name: string
  data: unknown
  options: unknown
  /** A path under a directory that does not exist. */
  deep?: boolean
}

function cases(): Case[] {
  const list: Case[] = []
  const data: Array<[string, unknown]> = [
    ['a string', 'héllo'],
    ['a Buffer', Buffer.from('raw')],
    ['a Uint16Array (length counts elements)', new Uint16Array([0x4142, 0x4344, 0x4546])],
    ['a Float64Array', new Float64Array([1])],
    ['a DataView of part of a buffer', new DataView(new Uint8Array([9, 8, 7, 6]).buffer, 1, 2)],
    ['a Uint8Array of part of a buffer', new Uint8Array(new Uint8Array([9, 8, 7, 6]).buffer, 1, 2)],
    ['an ArrayBuffer', new Uint8Array([65, 66]).buffer],
    ['a SharedArrayBuffer', new SharedArrayBuffer(2)],
    ['null', null],
    ['undefined', undefined],
    ['a number', 42],
    ['a bigint', 5n],
    ['a boolean', true],
    ['an object with toString', { toString: () => 'custom' }],
    ['a plain object', { a: 1 }],
    ['an array', [1, 2]],
    ['a symbol', Symbol('s')],
    ['an empty string', ''],
  ]
  for (const [name, value] of data) list.push({ name: `data: ${name}`, data: value, options: undefined })
  const encodings: Array<[unknown, string]> = [
    ['hex', 'abc'], ['hex', 'a'], ['hex', 'zz'], ['hex', 'abzz'], ['hex', 'ab'], ['Hex', 'abc'], ['HEX', 'ab'], ['hex', ''],
    ['UTF-8', 'é'], ['foo', 'é'], ['buffer', 'é'], ['base64', '!!!'], ['base64url', 'aGk_'], ['latin1', 'é'],
    ['ucs2', 'ab'], ['UCS-2', 'ab'], ['utf-16le', 'ab'], ['ascii', 'é'], ['', 'é'], [5, 'é'], [{}, 'é'], [null, 'é'], [true, 'é'],
  ]
  for (const [encoding, text] of encodings) {
    list.push({ name: `encoding ${String(encoding)} in options, ${JSON.stringify(text)}`, data: text, options: { encoding } })
    if (typeof encoding === 'string') list.push({ name: `encoding ${encoding} as options, ${JSON.stringify(text)}`, data: text, options: encoding })
  }
  list.push({ name: 'hex with bytes', data: Buffer.from('x'), options: 'hex' })
  list.push({ name: 'hex with a number', data: 123, options: 'hex' })
  for (const options of [5, 0, true, false, null, NaN, 1n, Symbol('o'), []]) {
    list.push({ name: `options: ${typeof options === 'symbol' ? 'a symbol' : String(options)} (${typeof options})`, data: 'v', options })
  }
  for (const mode of [0o640, 0o666, 0, false, '640', '666', '0', 0o100604, 0o4755, -1, 1.5, 'zz', NaN, true, null, 2 ** 32, '0o640', 0o777, '']) {
    list.push({ name: `mode: ${typeof mode === 'number' ? `0o${mode.toString(8)}` : JSON.stringify(mode)}`, data: 'v', options: { mode } })
  }
  list.push({ name: 'fsync: false', data: 'v', options: { fsync: false } })
  list.push({ name: 'chown: false', data: 'v', options: { chown: false } })
  list.push({ name: 'chown: null', data: 'v', options: { chown: null } })
  list.push({ name: 'chown: 0', data: 'v', options: { chown: 0 } })
  list.push({ name: 'tmpfileCreated: not a function', data: 'v', options: { tmpfileCreated: 5 } })
  list.push({ name: 'tmpfileCreated: falsy', data: 'v', options: { tmpfileCreated: 0 } })
  list.push({ name: 'tmpCreated: not a function', data: 'v', options: { tmpCreated: 5 } })
  list.push({ name: 'tmpCreated: falsy', data: 'v', options: { tmpCreated: '' } })
  list.push({ name: 'timeout: a string', data: 'v', options: { timeout: 'x' } })
  list.push({ name: 'a missing parent directory', data: 'v', options: undefined, deep: true })
  return list
}

interface Outcome {
  result: string
  content: string | null
  mode: string | null
  leftovers: string[]
}

let runs = 0

async function run(writer: Writer, c: Case, existing: boolean, sync: boolean, root: string): Promise<Outcome> {
  const dir = join(root, String(++runs))
  mkdirSync(dir, { recursive: true })
  const target = c.deep ? join(dir, 'missing', 't') : join(dir, 't')
  if (existing && !c.deep) {
    writeFileSync(target, 'old')
    chmodSync(target, 0o600)
  }
  // Each writer gets its own copy: write-file-atomic assigns to the options object.
  const options = c.options !== null && typeof c.options === 'object' && !Array.isArray(c.options) ? { ...c.options } : c.options
  let result = 'ok'
  try {
    if (sync) writer.writeSync(target, c.data, options)
    else await writer.write(target, c.data, options)
  } catch (e) {
    const err = e as NodeJS.ErrnoException
    result = `refused ${err.code ?? err.constructor.name}`
  }
  let content: string | null = null
  let mode: string | null = null
  try {
    content = readFileSync(target).toString('hex')
    mode = (statSync(target).mode & 0o7777).toString(8)
  } catch {
    // No target: content and mode stay null.
  }
  return { result, content, mode, leftovers: readdirSync(dir).filter((name) => name !== 't') }
}

/** How many inputs each peer is compared on: each over a new file and an old one, sync and async. */
const INPUTS = sampledHere(cases()).length

for (const peer of ['write-file-atomic', 'atomically'] as const) {
  test(`compat/${peer} writes what ${peer} writes, and refuses where it refuses: ${INPUTS} inputs, ${INPUTS * 4} ways`, async (t) => {
    const all = await writers()
    const root = freshDir()
    const mine = all[`compat/${peer}`]
    let compared = 0
    // Fresh inputs for each test: the two run at once.
    for (const c of sampledHere(cases())) {
      for (const existing of [false, true]) {
        for (const sync of [false, true]) {
          const label = `${c.name}, ${existing ? 'over a 0o600 file' : 'new file'}, ${sync ? 'sync' : 'async'}`
          const theirs = await run(all[peer], c, existing, sync, join(root, peer))
          const ours = await run(mine, c, existing, sync, join(root, `compat-${peer}`))
          // A peer's crash on its own code (no error code) is a refusal with Node's code here.
          const expected = theirs.result === 'refused TypeError' ? 'refused ERR_INVALID_ARG_TYPE' : theirs.result
          t.is(ours.result, expected, label)
          t.is(ours.content, theirs.content, `${label}: bytes`)
          t.is(ours.mode, theirs.mode, `${label}: mode`)
          // The peer may leave its temp file (a missing parent created by atomically is no leftover).
          t.deepEqual(ours.leftovers, c.deep && ours.result === 'ok' ? ['missing'] : [], `${label}: nothing left beside the target`)
          compared++
        }
      }
    }
    t.true(compared >= roundsHere(400), `${compared} comparisons`)
  })
}

needs([], { also: posixOnly('file modes (Windows has a read-only bit)') })('the differences, named: mode 0o666, unknown encodings, options as a number, ArrayBuffer', async (t) => {
  const dir = freshDir()
  const umask = process.umask()
  const modeOf = (path: string) => statSync(path).mode & 0o7777
  const wfa = join(dir, 'wfa')
  const atomically = join(dir, 'atomically')
  await writeFileAtomicEntry(wfa, 'x', { mode: 0o666 })
  await atomicallyEntry.writeFile(atomically, 'x', { mode: 0o666 })
  t.is(modeOf(wfa), 0o666, 'write-file-atomic sets 0o666 exactly')
  t.is(modeOf(atomically), 0o666 & ~umask, 'atomically masks 0o666 by the umask')

  for (const write of [writeFileAtomicEntry.sync, atomicallyEntry.writeFileSync, compat.sync]) {
    write(wfa, 'é', 'no-such-encoding' as BufferEncoding)
    t.deepEqual(readFileSync(wfa), Buffer.from('é'), 'an unknown encoding is read as UTF-8, as fs.write reads it')
    write(wfa, 'by number', 5 as never)
    t.is(readFileSync(wfa, 'utf8'), 'by number', 'options given as a number are no options')
  }

  const bytes = new Uint8Array([65, 66]).buffer
  await writeFileAtomicEntry(wfa, bytes)
  t.is(readFileSync(wfa, 'utf8'), '[object ArrayBuffer]', 'write-file-atomic writes String(data)')
  writeFileSync(atomically, 'old')
  await t.throwsAsync(atomicallyEntry.writeFile(atomically, bytes as never), { code: 'ERR_INVALID_ARG_TYPE' })
  t.throws(() => atomicallyEntry.writeFileSync(atomically, bytes as never), { code: 'ERR_INVALID_ARG_TYPE' })
  t.is(readFileSync(atomically, 'utf8'), 'old', 'atomically refuses an ArrayBuffer and leaves the target')
  await compat(join(dir, 'default'), bytes)
  t.is(readFileSync(join(dir, 'default'), 'utf8'), 'AB', "compat's own rule publishes an ArrayBuffer's bytes")
})

test("odd-length hex ('abc', 'a') is refused with ERR_INVALID_ARG_VALUE by every entry; the target stays, no scratch", async (t) => {
  const dir = freshDir()
  const target = join(dir, 't')
  writeFileSync(target, 'old')
  const entries: Array<[string, Write, WriteSync]> = [
    ['compat', compat as Write, compat.sync as WriteSync],
    ['compat/write-file-atomic', writeFileAtomicEntry as Write, writeFileAtomicEntry.sync as WriteSync],
    ['compat/atomically', atomicallyEntry.writeFile as Write, atomicallyEntry.writeFileSync as WriteSync],
  ]
  for (const [name, write, writeSync] of entries) {
    for (const text of ['abc', 'a']) {
      for (const options of ['hex', { encoding: 'hex' }, { encoding: 'HEX' }]) {
        await t.throwsAsync(write(target, text, options), { code: 'ERR_INVALID_ARG_VALUE' }, `${name} ${text}`)
        t.throws(() => writeSync(target, text, options), { code: 'ERR_INVALID_ARG_VALUE' }, `${name} ${text} sync`)
      }
    }
    t.is(readFileSync(target, 'utf8'), 'old', name)
    t.deepEqual(readdirSync(dir), ['t'], name)
  }
  await compat(target, 'abcd', 'hex')
  t.deepEqual(readFileSync(target), Buffer.from([0xab, 0xcd]), 'even-length hex still publishes')
})

test('a callback that is no function: compat refuses before writing, write-file-atomic writes then rejects, atomically ignores it', async (t) => {
  const dir = freshDir()
  const notAFunction = 5 as never
  t.throws(() => compat(join(dir, 'compat'), 'x', {}, notAFunction), { code: 'ERR_INVALID_ARG_TYPE' })
  await t.throwsAsync(writeFileAtomicEntry(join(dir, 'wfa'), 'x', {}, notAFunction), { code: 'ERR_INVALID_ARG_TYPE' })
  await atomicallyEntry.writeFile(join(dir, 'atomically'), 'x', {}, notAFunction)
  t.deepEqual(readdirSync(dir).sort(), ['atomically', 'wfa'])
  // The peers agree (write-file-atomic's rejection is its own TypeError).
  await t.throwsAsync(wfaPeer(join(dir, 'peer-wfa'), 'x', {}, notAFunction as never) as Promise<unknown>)
  const atomicallyPeer = (await import('atomically')) as unknown as { writeFile: (...args: unknown[]) => Promise<void> }
  await atomicallyPeer.writeFile(join(dir, 'peer-atomically'), 'x', {}, notAFunction)
  t.deepEqual(readdirSync(dir).sort(), ['atomically', 'peer-atomically', 'peer-wfa', 'wfa'])
})

test('ESM: the entries have their peer’s names (write-file-atomic: default and sync; atomically: four functions)', async (t) => {
  const wfa = (await import('atomic-publish/compat/write-file-atomic' as string)) as Record<string, unknown>
  t.deepEqual(Object.keys(wfa).sort(), ['default', 'sync'])
  t.is(wfa.default, writeFileAtomicEntry)
  t.is(wfa.sync, writeFileAtomicEntry.sync)
  const atomically = (await import('atomic-publish/compat/atomically' as string)) as Record<string, unknown>
  t.deepEqual(Object.keys(atomically).sort(), ['readFile', 'readFileSync', 'writeFile', 'writeFileSync'])
  t.is(atomically.writeFile, atomicallyEntry.writeFile)
})

needs([], { also: posixOnly('owners (write-file-atomic looks up the owner to assign only where there are uids)') })('options write-file-atomic cannot assign mode or chown to (frozen, sealed, getter-only, read-only): refused over an existing target, as the peer refuses', async (t) => {
  const dir = freshDir()
  const shapes: Record<string, () => object> = {
    frozen: () => Object.freeze({ encoding: 'utf8' }),
    sealed: () => Object.seal({}),
    'not extensible': () => Object.preventExtensions({}),
    'frozen with a mode': () => Object.freeze({ mode: 0o600 }),
    'getter-only mode': () => ({ get mode() { return undefined } }),
    'read-only mode': () => Object.defineProperty({}, 'mode', { value: undefined, writable: false }),
    'read-only mode, inherited': () => Object.create(Object.defineProperty({}, 'mode', { value: undefined, writable: false })),
  }
  for (const [name, shape] of Object.entries(shapes)) {
    for (const [side, write] of [['peer', wfaPeer], ['entry', writeFileAtomicEntry as Write]] as const) {
      const target = join(dir, `${name}-${side}`)
      writeFileSync(target, 'OLD')
      await t.throwsAsync(write(target, 'NEW', shape()), undefined, `${name}: ${side} refuses`)
      t.is(readFileSync(target, 'utf8'), 'OLD', `${name}: ${side} leaves the target`)
    }
    const viaCallback = join(dir, `${name}-callback`)
    writeFileSync(viaCallback, 'OLD')
    const err = await new Promise((done) => (writeFileAtomicEntry as (...a: unknown[]) => unknown)(viaCallback, 'NEW', shape(), done))
    t.is((err as NodeJS.ErrnoException | undefined)?.code, 'ERR_INVALID_ARG_VALUE', `${name}: the callback gets the refusal`)
    t.is(readFileSync(viaCallback, 'utf8'), 'OLD')
    const fresh = join(dir, `${name}-new`)
    await writeFileAtomicEntry(fresh, 'NEW', shape() as never)
    t.is(readFileSync(fresh, 'utf8'), 'NEW', `${name}: a new target is written, as the peer writes it`)
  }
  const plain = join(dir, 'plain')
  writeFileSync(plain, 'OLD')
  await writeFileAtomicEntry(plain, 'NEW', Object.freeze({ mode: 0o600, chown: false }) as never)
  t.is(readFileSync(plain, 'utf8'), 'NEW', 'frozen options with mode and chown set need no assignment')
  t.deepEqual(readdirSync(dir).filter((n) => n.includes('.oxentmp.')), [])
})

test('Buffer and URL filenames: each entry writes where its peer writes and refuses (same code) where it refuses', async (t) => {
  const dir = freshDir()
  const all = await writers()
  const outcomes: Record<string, string> = {}
  for (const kind of ['write-file-atomic', 'atomically']) for (const sync of [false, true]) for (const form of ['Buffer', 'URL']) for (const exists of [false, true]) {
    for (const side of [kind, `compat/${kind}`]) {
      const path = join(dir, `${side.replace('/', '-')}-${sync}-${form}-${exists}`)
      if (exists) writeFileSync(path, 'OLD')
      const filename = form === 'Buffer' ? Buffer.from(path) : pathToFileURL(path)
      const w = all[side]
      let outcome: string
      try {
        if (sync) w.writeSync(filename as never, 'NEW')
        else await w.write(filename as never, 'NEW')
        outcome = 'wrote'
      } catch (e) {
        outcome = `refused ${(e as NodeJS.ErrnoException).code ?? 'TypeError'}`
      }
      outcome += ` -> ${existsSync(path) ? readFileSync(path, 'utf8') : '(none)'}`
      outcomes[`${side} ${sync ? 'sync' : 'async'} ${form} ${exists ? 'existing' : 'new'}`] = outcome
    }
  }
  for (const [label, outcome] of Object.entries(outcomes)) {
    if (!label.startsWith('compat/')) continue
    t.is(outcome, outcomes[label.slice('compat/'.length)], label)
  }
  t.deepEqual(readdirSync(dir).filter((n) => n.includes('.oxentmp.')), [])
})

needs([], { also: posix })('a dangling symlink target: the entries create nothing at its destination (the peers replace the link; the entries refuse with ENOENT)', async (t) => {
  const dir = freshDir()
  mkdirSync(join(dir, 'elsewhere'))
  const entries: Array<[string, Write, WriteSync]> = [
    ['compat/write-file-atomic', writeFileAtomicEntry as Write, writeFileAtomicEntry.sync as WriteSync],
    ['compat/atomically', atomicallyEntry.writeFile as Write, atomicallyEntry.writeFileSync as WriteSync],
  ]
  for (const [name, write, writeSync] of entries) {
    for (const [how, call] of [['async', (p: string) => write(p, 'NEW')], ['sync', async (p: string) => writeSync(p, 'NEW')]] as const) {
      for (const destination of [join(dir, 'elsewhere', `${name.replace('/', '-')}-${how}`), join(dir, 'missing-dir', 'x')]) {
        const link = join(dir, `${name.replace('/', '-')}-${how}-${destination.includes('missing') ? 'deep' : 'flat'}`)
        symlinkSync(destination, link)
        await t.throwsAsync(call(link), { code: 'ENOENT', message: /dangling symlink/ }, `${name} ${how}`)
        t.true(lstatSync(link).isSymbolicLink(), `${name} ${how}: the link stays`)
        t.false(existsSync(destination), `${name} ${how}: its destination is not created`)
      }
    }
  }
  t.false(existsSync(join(dir, 'missing-dir')))
  t.deepEqual(readdirSync(join(dir, 'elsewhere')), [])
  t.deepEqual(readdirSync(dir).filter((n) => n.includes('.oxentmp.')), [])
  const live = join(dir, 'live')
  writeFileSync(join(dir, 'elsewhere', 'real'), 'OLD')
  symlinkSync(join(dir, 'elsewhere', 'real'), live)
  await writeFileAtomicEntry(live, 'NEW')
  t.is(readFileSync(join(dir, 'elsewhere', 'real'), 'utf8'), 'NEW', 'a live link is still written through')
})
