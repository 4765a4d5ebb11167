// withOwner(uid, gid) (guarantee 9): the owner is set on the scratch before the rename, so
// the new bytes are never visible with another owner; a refusal publishes nothing; the ids
// are checked as fs.chown checks them.

import test from 'ava'
import { spawnSync } from 'node:child_process'
import { chownSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AtomicFile } from 'atomic-publish'
import { fixtureForOtherUser, freshDir, isRoot, namesIn, needs, otherUserReachesTmp } from './helpers.js'

const rootOnly = needs([], { root: true })
const asUnprivileged = needs([], { also: process.getuid === undefined ? { ok: false, what: 'POSIX user ids' } : otherUserReachesTmp })

rootOnly('as root, every terminal publishes with the owner asked for; -1 leaves that id', async (t) => {
  const dir = freshDir()
  writeFileSync(join(dir, 'source'), 'copied')
  const owned = (name: string): AtomicFile => new AtomicFile(join(dir, name)).withOwner(4321, 8765)
  await owned('write').write('x')
  owned('writeSync').writeSync('x')
  await owned('stream').stream((async function* () { yield 'x' })())
  await owned('copyFrom').copyFrom(join(dir, 'source'))
  owned('copyFromSync').copyFromSync(join(dir, 'source'))
  for (const name of ['write', 'writeSync', 'stream', 'copyFrom', 'copyFromSync']) {
    t.like(statSync(join(dir, name)), { uid: 4321, gid: 8765 }, name)
  }
  // Over a file owned by someone else, -1 keeps what the create gave (this process's).
  const partial = join(dir, 'partial')
  writeFileSync(partial, 'old')
  chownSync(partial, 1111, 2222)
  await new AtomicFile(partial).withOwner(-1, 8765).write('new')
  t.like(statSync(partial), { uid: 0, gid: 8765 })
})

asUnprivileged('a refused owner (EPERM) publishes nothing and leaves no scratch', (t) => {
  const dir = freshDir()
  if (isRoot) chownSync(dir, 65534, 65534)
  const run = spawnSync(process.execPath, [fixtureForOtherUser('owner-refused'), dir], { encoding: 'utf8', ...(isRoot ? { uid: 65534, gid: 65534 } : {}) })
  t.is(run.status, 0, run.stderr)
  const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
  t.deepEqual(
    lines,
    ['write', 'writeSync', 'stream'].map((name) => ({ name, ok: false, code: 'EPERM', syscall: 'fchown', content: 'old' })),
  )
  t.deepEqual(namesIn(dir), ['file'])
})

test('ids are checked as fs.chown checks them, before anything is touched', (t) => {
  const file = new AtomicFile(join(freshDir(), 'x'))
  for (const [uid, gid, code] of [
    ['0', 0, 'ERR_INVALID_ARG_TYPE'],
    [0, null, 'ERR_INVALID_ARG_TYPE'],
    [1.5, 0, 'ERR_OUT_OF_RANGE'],
    [0, -2, 'ERR_OUT_OF_RANGE'],
    [2 ** 32, 0, 'ERR_OUT_OF_RANGE'],
    [Number.NaN, 0, 'ERR_OUT_OF_RANGE'],
    [0, Number.POSITIVE_INFINITY, 'ERR_OUT_OF_RANGE'],
  ] as const) {
    t.throws(() => file.withOwner(uid as number, gid as number), { code }, `${String(uid)}, ${String(gid)}`)
    // fs.chown agrees on the code.
    t.throws(() => chownSync('/nonexistent', uid as number, gid as number), { code }, `fs.chown ${String(uid)}, ${String(gid)}`)
  }
  t.notThrows(() => file.withOwner(-1, 2 ** 32 - 1))
})
