// Guarantees 8, 9 and the error contract against a hostile file system: special files as
// targets and sources, set-id bits for callers without CAP_FSETID, clean-up unlinks that fail,
// superseded calls and durability, dangling links, and the syscall errors name.

import test from 'ava'
import { execFileSync } from 'node:child_process'
import { chownSync, createWriteStream, existsSync, lstatSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { AtomicFile } from 'atomic-publish'
import { freshDir, isRoot, needs, otherUserReachesTmp, posix, posixOnly, runChild, scratchIn, xorshiftBytes } from './helpers.js'
import { parseTrace } from './reliability/trace.js'

type Outcome = { outcome: 'threw' | 'rejected' | 'resolved'; code?: string; message?: string }
const CODE = /^(E[A-Z]+|ERR_[A-Z_]+)$/

function identity(path: string): string {
  const st = lstatSync(path)
  return `ino=${st.ino} mode=${st.mode.toString(8)} rdev=${st.rdev}`
}

/** write() and writeSync() to `target` (in a child, in case either blocks on it). */
function assertRefusedAndLeft(t: import('ava').ExecutionContext, dir: string, target: string, what: string): void {
  const before = identity(target)
  const run = runChild<{ async: Outcome; sync: Outcome }>('edges-input-child', ['write-to', dir, target], { timeout: 15_000 })
  t.is(run.signal, null, `${what}: the child was killed (blocked?) ${run.stderr.slice(-300)}`)
  const out = run.out!
  t.log(`${what}: ${JSON.stringify(out)}`)
  for (const [terminal, o] of Object.entries(out)) {
    t.not(o.outcome, 'resolved', `${what}: ${terminal} replaced it`)
    t.regex(String(o.code), CODE, `${what}: ${terminal} refused with a clear code`)
  }
  t.is(identity(target), before, `${what} is left as it was`)
  t.deepEqual(scratchIn(dir), [], 'no scratch')
}

needs(['mkfifo'], { also: posix })('a FIFO target is refused with a clear code and left as it is', (t) => {
  const dir = freshDir()
  execFileSync('mkfifo', [join(dir, 'app.log')])
  assertRefusedAndLeft(t, dir, join(dir, 'app.log'), 'FIFO')
})

needs(['mkfifo'], { also: posix })('a symlink to a FIFO is refused with a clear code; link and FIFO are left as they are', (t) => {
  const dir = freshDir()
  execFileSync('mkfifo', [join(dir, 'real.fifo')])
  symlinkSync(join(dir, 'real.fifo'), join(dir, 'app.log'))
  const fifo = identity(join(dir, 'real.fifo'))
  assertRefusedAndLeft(t, dir, join(dir, 'app.log'), 'symlink to a FIFO')
  t.is(identity(join(dir, 'real.fifo')), fifo)
})

needs([], { also: posix })('a socket target is refused with a clear code and left as it is', async (t) => {
  const dir = freshDir()
  const server = createServer()
  await new Promise<void>((r) => server.listen(join(dir, 'app.sock'), r))
  try {
    assertRefusedAndLeft(t, dir, join(dir, 'app.sock'), 'socket')
  } finally {
    server.close()
  }
})

needs(['mknod'], { root: true, also: posix })('a character device target (a copy of /dev/null) is refused with a clear code and left as it is', (t) => {
  const dir = freshDir()
  execFileSync('mknod', [join(dir, 'null'), 'c', '1', '3'])
  symlinkSync(join(dir, 'null'), join(dir, 'app.log'))
  assertRefusedAndLeft(t, dir, join(dir, 'null'), 'device')
  assertRefusedAndLeft(t, dir, join(dir, 'app.log'), 'symlink to a device')
})

// ulimit -f caps what a runaway copy can write (10 MiB), so a failing run cannot fill the disk.
for (const terminal of ['copy-from', 'copy-from-sync']) {
  needs([], { also: posix })(`${terminal === 'copy-from' ? 'copyFrom' : 'copyFromSync'}('/dev/zero') is refused before anything is written`, (t) => {
    const dir = freshDir()
    const run = runChild<Outcome & { ms?: number; published: boolean }>('edges-input-child', [terminal, dir, '/dev/zero'], { shell: 'ulimit -f 10240', timeout: 20_000 })
    t.is(run.signal, null, `the copy ran into the file size limit or was killed: ${run.signal}`)
    const out = run.out!
    t.log(JSON.stringify(out))
    t.not(out.outcome, 'resolved')
    t.regex(String(out.code), CODE)
    t.not(out.code, 'ABORT_ERR', 'refused by itself, not stopped by the safety abort')
    t.not(out.code, 'EFBIG', 'refused before writing, not stopped by the 10 MiB file size limit')
    t.false(out.published)
    t.deepEqual(scratchIn(dir), [], 'nothing was written')
  })
}

needs(['mkfifo'], { also: posix })('copyFrom of a FIFO with a writer publishes its whole content', async (t) => {
  const dir = freshDir()
  const fifo = join(dir, 'in.fifo')
  execFileSync('mkfifo', [fifo])
  const data = xorshiftBytes(3 * 1024 * 1024 + 5)
  const publish = new AtomicFile(join(dir, 'out')).copyFrom(fifo)
  createWriteStream(fifo).end(data)
  const result = await publish
  t.is(result.bytes, data.length)
  t.true(readFileSync(join(dir, 'out')).equals(data))
})

const asNobody = needs(['runuser'], { root: true, also: otherUserReachesTmp })
asNobody('as a user without CAP_FSETID, withMode(0o4755) gives 4755, and a replaced 4755 file keeps 4755', (t) => {
  const dir = freshDir()
  const nobody = Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }))
  chownSync(dir, nobody, nobody)
  const run = runChild<{ fresh: string; kept: string; content: string }>('edges-input-child', ['setuid', dir], { user: 'nobody' })
  t.is(run.status, 0, run.stderr.slice(-400))
  t.deepEqual(run.out, { fresh: '4755', kept: '4755', content: 'v2' })
})

// The directory made read-only must bind: as root only for another user (runuser), else direct.
const unlinkCanFail = needs(isRoot ? ['runuser'] : [], { also: [otherUserReachesTmp, posixOnly('directory permissions (a read-only directory keeps its files)')] })
for (const how of ['abort', 'mismatch']) {
  unlinkCanFail(`err.scratch names the scratch left behind when its clean-up unlink fails after ${how === 'abort' ? 'an abort' : 'a hash mismatch'}`, (t) => {
    const dir = freshDir()
    const user = isRoot ? 'nobody' : undefined
    if (user) chownSync(dir, Number(execFileSync('id', ['-u', user], { encoding: 'utf8' })), Number(execFileSync('id', ['-g', user], { encoding: 'utf8' })))
    const run = runChild<{ result: { ok: boolean; name?: string; code?: string; scratch?: string }; left: string[] }>('edges-input-child', ['unlink-fails', dir, how], { user })
    t.is(run.status, 0, run.stderr.slice(-400))
    const out = run.out!
    t.log(JSON.stringify(out))
    t.false(out.result.ok)
    t.is(out.result.code, how === 'abort' ? 'ABORT_ERR' : 'ERR_HASH_MISMATCH', 'the original error is reported')
    t.is(out.left.length, 1, 'the unlink could not remove the scratch')
    t.is(out.result.scratch, out.left[0], 'err.scratch names it')
  })
}

needs(['strace'])('a superseded fsync-on write resolves only once the bytes then on the target were fsynced, even when a later fsync-off write put them there', (t) => {
  const dir = freshDir()
  const trace = join(dir, 'trace.txt')
  // Every fsync is held 300 ms, so the fsync-off write B always overtakes A (on a busy machine
  // A could otherwise finish first, and the scenario would not arise).
  const prefix = ['strace', '-f', '-y', '-qq', '-s', '4096', '-o', trace, '-e', 'trace=fsync,fdatasync,rename,renameat,renameat2,write', '-e', 'inject=fsync:delay_enter=300000']
  const run = runChild<{ superseded: boolean; content: string }>('edges-input-child', ['superseded-fsync', join(dir, 'work')], { prefix })
  t.is(run.status, 0, run.stderr.slice(-400))
  // Read as calls: under load, strace splits a call that another thread interleaves into
  // `<unfinished ...>` and `<... resumed>` lines, which parseTrace joins.
  const calls = parseTrace(readFileSync(trace, 'utf8'))
  const marker = calls.find((c) => c.name === 'write' && c.args.includes('"A-RESOLVED'))?.index ?? -1
  t.true(marker > 0, 'the trace holds the moment A resolved')
  const target = join(dir, 'work', 'target')
  const before = calls.filter((c) => c.index < marker)
  const renames = before.flatMap((c) => {
    const m = /^(?:AT_FDCWD, )?"([^"]+)", (?:AT_FDCWD, )?"([^"]+)"/.exec(c.args)
    return /^rename/.test(c.name) && m && m[2] === target && c.result === '0' ? [{ index: c.index, scratch: m[1] }] : []
  })
  t.true(renames.length > 0, 'something was renamed onto the target before A resolved')
  const last = renames.at(-1)!
  const synced = before.some((c) => /^f(data)?sync$/.test(c.name) && (c.args.includes(`<${last.scratch}>`) || (c.start > last.index && c.args.includes(`<${target}>`))))
  t.log(`A superseded: ${run.out?.superseded}; bytes on the target when A resolved came from ${last.scratch}`)
  t.true(run.out?.superseded, 'the scenario holds: A was overtaken by B')
  t.true(synced, 'the bytes on the target when A resolved had been fsynced')
})

needs([], { also: posix })('a dangling symlink whose destination directory is missing is ENOENT, and that directory is not created', async (t) => {
  const dir = freshDir()
  symlinkSync(join(dir, 'missing', 'sub', 'app.log'), join(dir, 'app.log'))
  await t.throwsAsync(new AtomicFile(join(dir, 'app.log')).write('x'), { code: 'ENOENT' })
  t.throws(() => new AtomicFile(join(dir, 'app.log')).writeSync('x'), { code: 'ENOENT' })
  t.false(existsSync(join(dir, 'missing')), 'the link destination directory was not created')
})

needs([], { also: posixOnly('ENOTDIR for a path through a file') })('ENOTDIR and ENAMETOOLONG carry syscall open, as Node fs says', async (t) => {
  const dir = freshDir()
  writeFileSync(join(dir, 'file.txt'), 'a file')
  const notDir = await t.throwsAsync(new AtomicFile(join(dir, 'file.txt', 'child')).write('x'))
  t.like(notDir, { code: 'ENOTDIR', syscall: 'open' })
  const tooLong = await t.throwsAsync(new AtomicFile(join(dir, 'x'.repeat(300))).write('x'))
  t.like(tooLong, { code: 'ENAMETOOLONG', syscall: 'open' })
})
