// withOverwrite(false) (guarantee 13): publish only where no target exists; EEXIST and nothing
// changed otherwise; of many racing for one name, in one process or many, exactly one wins,
// and none is coalesced or superseded; among ordinary publishes it keeps its place in call
// order (guarantee 7).

import test from 'ava'
import { execFile } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { AtomicFile } from 'atomic-publish'
import { dirWithOldTarget, freshDir, namesIn, scratchIn, snapshot } from './helpers.js'

const run = promisify(execFile)
const fixture = (name: string) => join(__dirname, 'fixtures', `${name}.js`)

type Terminal = (file: AtomicFile, dir: string) => Promise<unknown>

const TERMINALS: Record<string, Terminal> = {
  write: (f) => f.write('new'),
  writeSync: async (f) => f.writeSync('new'),
  stream: (f) => f.stream((async function* () { yield 'new' })()),
  createWriteStream: (f) =>
    new Promise((resolve, reject) => {
      const sink = f.createWriteStream()
      sink.on('error', reject).on('finish', () => resolve(sink.result))
      sink.end('new')
    }),
  // The source, `..source`, is written by the test beforehand.
  copyFrom: (f, dir) => f.copyFrom(join(dir, '..source')),
  copyFromSync: async (f, dir) => f.copyFromSync(join(dir, '..source')),
}

for (const [name, terminal] of Object.entries(TERMINALS)) {
  test(`${name}: onto an existing file, EEXIST and nothing changes; where none is, it publishes`, async (t) => {
    const { dir, target } = dirWithOldTarget()
    if (name.startsWith('copy')) writeFileSync(join(dir, '..source'), 'new')
    const before = snapshot(dir)
    const err = await t.throwsAsync(terminal(new AtomicFile(target).withOverwrite(false), dir))
    t.like(err as object, { code: 'EEXIST', path: target, published: false })
    t.regex(err!.message, /^EEXIST: file already exists, rename '/)
    t.deepEqual(snapshot(dir), before)
    const fresh = join(dir, 'fresh')
    await terminal(new AtomicFile(fresh).withOverwrite(false), dir)
    t.is(readFileSync(fresh, 'utf8'), 'new')
    t.deepEqual(scratchIn(dir), [])
  })
}

test('a file that appears while the publish is under way is not replaced: EEXIST at the rename, no scratch', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'late')
  let release = (): void => {}
  const gate = new Promise<void>((r) => (release = r))
  const publish = new AtomicFile(target).withOverwrite(false).stream(
    (async function* () {
      yield 'first half, '
      await gate
      yield 'second half'
    })(),
  )
  while (scratchIn(dir).length === 0) await new Promise((r) => setTimeout(r, 2))
  writeFileSync(target, 'someone else')
  release()
  const err = await t.throwsAsync(publish)
  t.like(err as object, { code: 'EEXIST', syscall: 'rename' })
  t.is(readFileSync(target, 'utf8'), 'someone else')
  t.deepEqual(namesIn(dir), ['late'])
})

test('many racing publishes in one process: exactly one wins, the others get EEXIST (a sync one that cannot wait: ERR_ORDER_PENDING), none superseded', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'blob')
  const isSync = (i: number): boolean => i % 3 === 2
  const settled = await Promise.allSettled(
    Array.from({ length: 24 }, (_, i) => {
      const file = new AtomicFile(target).withOverwrite(false)
      return isSync(i) ? Promise.resolve().then(() => file.writeSync(`v${i}`)) : file.write(`v${i}`)
    }),
  )
  const won = settled.flatMap((s, i) => (s.status === 'fulfilled' ? [{ i, result: s.value }] : []))
  const codes = (sync: boolean): string[] =>
    settled.flatMap((s, i) => (s.status === 'rejected' && isSync(i) === sync ? [(s.reason as { code: string }).code] : []))
  t.is(won.length, 1, JSON.stringify(won))
  t.false('superseded' in won[0].result)
  t.deepEqual([...new Set(codes(false))], ['EEXIST'])
  t.deepEqual([...new Set(codes(true))].filter((code) => code !== 'EEXIST'), ['ERR_ORDER_PENDING'])
  t.is(readFileSync(target, 'utf8'), `v${won[0].i}`)
  t.deepEqual(namesIn(dir), ['blob'])
})

const ASYNC_TERMINALS = ['write', 'stream', 'createWriteStream', 'copyFrom'] as const

test('a no-overwrite publish keeps its place in call order among ordinary ones: called first onto no file it wins, and the later ordinary call replaces it', async (t) => {
  const dir = freshDir()
  writeFileSync(join(dir, '..source'), 'new')
  for (let round = 0; round < 12; round++) {
    for (const name of ASYNC_TERMINALS) {
      const target = join(dir, `${name}-${round}`)
      const exclusive = TERMINALS[name]!(new AtomicFile(target).withOverwrite(false), dir)
      const ordinary = new AtomicFile(target).write('ordinary')
      const [first, second] = await Promise.allSettled([exclusive, ordinary])
      t.is(first.status, 'fulfilled', `${name}, round ${round}: ${first.status === 'rejected' ? (first.reason as Error).message : ''}`)
      if (first.status === 'fulfilled') t.false('superseded' in (first.value as object), `${name}: it really renamed`)
      t.is(second.status, 'fulfilled')
      t.is(readFileSync(target, 'utf8'), 'ordinary', `${name}: the last call’s bytes are there`)
    }
  }
  t.deepEqual(scratchIn(dir), [])
})

test('a no-overwrite publish called after an ordinary one onto no file gets EEXIST, and the ordinary one is not superseded', async (t) => {
  const dir = freshDir()
  writeFileSync(join(dir, '..source'), 'new')
  for (let round = 0; round < 12; round++) {
    for (const name of ASYNC_TERMINALS) {
      const target = join(dir, `${name}-${round}`)
      const ordinary = new AtomicFile(target).write('ordinary')
      const exclusive = TERMINALS[name]!(new AtomicFile(target).withOverwrite(false), dir)
      const [first, second] = await Promise.allSettled([ordinary, exclusive])
      t.is(first.status, 'fulfilled')
      if (first.status === 'fulfilled') t.false('superseded' in first.value, `${name}: the ordinary call published its own bytes`)
      t.is(second.status === 'rejected' && (second.reason as { code?: string }).code, 'EEXIST', `${name}, round ${round}`)
      t.is(readFileSync(target, 'utf8'), 'ordinary')
    }
  }
  t.deepEqual(scratchIn(dir), [])
})

test('an aborted no-overwrite publish waiting for its turn frees the target for the calls after it', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'blob')
  let release = (): void => {}
  const gate = new Promise<void>((r) => (release = r))
  const slow = new AtomicFile(target).stream((async function* () {
    yield 'first '
    await gate
    yield 'stream'
  })())
  const controller = new AbortController()
  const exclusive = new AtomicFile(target).withOverwrite(false).withSignal(controller.signal).write('exclusive')
  const later = new AtomicFile(target).write('later')
  controller.abort()
  await t.throwsAsync(exclusive, { name: 'AbortError' })
  release()
  await slow
  const result = await later
  t.false('superseded' in result)
  t.is(readFileSync(target, 'utf8'), 'later')
  t.deepEqual(scratchIn(dir), [])
})

test('many racing publishes across processes: exactly one wins', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'blob')
  const startAt = Date.now() + 1500
  const children = Array.from({ length: 8 }, (_, i) => run(process.execPath, [fixture('exclusive-publish'), target, `child ${i}`, String(startAt)]))
  const outputs = (await Promise.all(children)).map(({ stdout }) => JSON.parse(stdout) as { ok: boolean; code?: string; superseded?: boolean })
  const winners = outputs.flatMap((o, i) => (o.ok ? [i] : []))
  t.is(winners.length, 1, JSON.stringify(outputs))
  t.false(outputs[winners[0]].superseded)
  t.deepEqual([...new Set(outputs.filter((o) => !o.ok).map((o) => o.code))], ['EEXIST'])
  t.is(readFileSync(target, 'utf8'), `child ${winners[0]}`)
  t.deepEqual(namesIn(dir), ['blob'])
})

test('withOverwrite takes a boolean only', (t) => {
  const file = new AtomicFile(join(freshDir(), 'x'))
  for (const bad of ['false', 0, null, undefined]) {
    t.throws(() => file.withOverwrite(bad as unknown as boolean), { code: 'ERR_INVALID_ARG_TYPE' })
  }
})
