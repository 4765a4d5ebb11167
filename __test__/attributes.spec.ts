// What the published file carries besides its bytes: mtime (guarantee 10), mode and owner
// (guarantee 9), and what happens to symlinks (guarantee 8).

import test from 'ava'
import { chownSync, chmodSync, lstatSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync, utimesSync } from 'node:fs'
import { join } from 'node:path'
import { AtomicFile } from 'atomic-publish'
import { freshDir, namesIn, needs, notUnderWine, posix, posixOnly } from './helpers.js'

const rootOnly = needs([], { root: true })

needs([], { also: posixOnly('nanosecond file times (Windows keeps 100 ns)') })('a bigint mtime round-trips exactly through mtimeNs', async (t) => {
  const dir = freshDir()
  for (const ns of [1_700_000_000_123_456_789n, 1n, -1_500n, 0n]) {
    const target = join(dir, `f${ns}`)
    await new AtomicFile(target).withMtime(ns).write('x')
    t.is(statSync(target, { bigint: true }).mtimeNs, ns)
  }
})

needs([], { also: notUnderWine('a time before 1970 reads back wrapped') })('a Date or a number of ms round-trips exactly through mtimeMs, unlike fs.utimes', async (t) => {
  const dir = freshDir()
  const ms = 1_700_000_000_123
  await new AtomicFile(join(dir, 'date')).withMtime(new Date(ms)).write('x')
  new AtomicFile(join(dir, 'number')).withMtime(ms).writeSync('x')
  await new AtomicFile(join(dir, 'early')).withMtime(new Date(-1)).write('x')
  t.is(statSync(join(dir, 'date')).mtimeMs, ms)
  t.is(statSync(join(dir, 'number')).mtimeMs, ms)
  t.is(statSync(join(dir, 'early')).mtimeMs, -1)
  // The reason the contract promises this: fs.utimes goes through float seconds.
  writeFileSync(join(dir, 'utimes'), 'x')
  utimesSync(join(dir, 'utimes'), new Date(ms), new Date(ms))
  t.log(`fs.utimes gave mtimeNs ${statSync(join(dir, 'utimes'), { bigint: true }).mtimeNs} for ${ms} ms`)
})

needs([], { also: posixOnly('nanosecond file times (Windows keeps 100 ns)') })('the mtime is stamped on the scratch, so the target never shows a wrong one', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'stamped')
  writeFileSync(target, 'old')
  const ns = 1_000_000_000_000_000_007n
  await new AtomicFile(target).withMtime(ns).write(Buffer.alloc(1 << 20, 1))
  t.is(statSync(target, { bigint: true }).mtimeNs, ns)
})

test('a new file gets 0o666 masked by the umask', async (t) => {
  const dir = freshDir()
  await new AtomicFile(join(dir, 'new')).write('x')
  t.is(statSync(join(dir, 'new')).mode & 0o7777, 0o666 & ~process.umask())
})

needs([], { also: posixOnly('file modes (Windows has a read-only bit)') })('a replaced file keeps its mode', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'script.sh')
  writeFileSync(target, 'old')
  chmodSync(target, 0o751)
  await new AtomicFile(target).write('new')
  t.is(statSync(target).mode & 0o7777, 0o751)
})

needs([], { also: posixOnly('file modes (Windows has a read-only bit)') })('withMode gives exactly that mode, not masked by the umask', async (t) => {
  const dir = freshDir()
  await new AtomicFile(join(dir, 'open')).withMode(0o777).write('x')
  t.is(statSync(join(dir, 'open')).mode & 0o7777, 0o777)
  writeFileSync(join(dir, 'tight'), 'old')
  chmodSync(join(dir, 'tight'), 0o644)
  new AtomicFile(join(dir, 'tight')).withMode(0o600).writeSync('new')
  t.is(statSync(join(dir, 'tight')).mode & 0o7777, 0o600)
})

rootOnly('a replaced file keeps its owner where the process may set it', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'owned')
  writeFileSync(target, 'old')
  chownSync(target, 4242, 4343)
  await new AtomicFile(target).write('new')
  const st = statSync(target)
  t.deepEqual([st.uid, st.gid], [4242, 4343])
})

needs([], { also: posix })('a symlinked target keeps its link; the file behind it is replaced, its scratch beside it', async (t) => {
  const dir = freshDir()
  mkdirSync(join(dir, 'real'))
  writeFileSync(join(dir, 'real', 'config'), 'old')
  mkdirSync(join(dir, 'links'))
  symlinkSync('../real/config', join(dir, 'links', 'config'))
  const result = await new AtomicFile(join(dir, 'links', 'config')).write('new')
  t.true(lstatSync(join(dir, 'links', 'config')).isSymbolicLink())
  t.is(readFileSync(join(dir, 'real', 'config'), 'utf8'), 'new')
  t.is(result.path, join(dir, 'links', 'config'), 'the result names the target as given')
  t.deepEqual(namesIn(join(dir, 'links')), ['config'])
  t.deepEqual(namesIn(join(dir, 'real')), ['config'])
})

needs([], { also: posix })('a dangling symlink is written through, creating the file it names', async (t) => {
  const dir = freshDir()
  mkdirSync(join(dir, 'data'))
  symlinkSync('data/new.txt', join(dir, 'link'))
  new AtomicFile(join(dir, 'link')).writeSync('created')
  t.true(lstatSync(join(dir, 'link')).isSymbolicLink())
  t.is(readFileSync(join(dir, 'data', 'new.txt'), 'utf8'), 'created')
})

needs([], { also: posix })('a dangling symlink into a missing directory is ENOENT, as fs, and creates no directory', async (t) => {
  const dir = freshDir()
  symlinkSync('data/new.txt', join(dir, 'link'))
  const err = t.throws(() => new AtomicFile(join(dir, 'link')).writeSync('x'))
  t.like(err, { code: 'ENOENT', syscall: 'open' })
  t.throws(() => writeFileSync(join(dir, 'link'), 'x'), { code: 'ENOENT' }, 'what fs does')
  t.deepEqual(namesIn(dir), ['link'])
})
