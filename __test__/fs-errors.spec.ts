// File-system failures look like Node's, name the caller's path (never the scratch), and
// leave the target as it was with no scratch behind.

import test from 'ava'
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { getSystemErrorMap } from 'node:util'
import { AtomicFile, type PublishFsError } from 'atomic-publish'
import { freshDir, mountsTmpfs, needs, posixOnly, scratchIn, snapshot, xorshiftBytes } from './helpers.js'

const mounting = needs([], { also: mountsTmpfs() })

/** libuv's errno for `code` on this platform, as Node's own errors carry it (-21 on Linux, -4068 on Windows). */
function uvErrno(code: string): number | undefined {
  return [...getSystemErrorMap()].find(([, [name]]) => name === code)?.[0]
}

test('publishing onto a directory is EISDIR on open, like fs.writeFile', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'd')
  mkdirSync(target)
  const before = snapshot(dir)
  const err = (await t.throwsAsync(new AtomicFile(target).write('x'))) as PublishFsError
  t.like(err, { code: 'EISDIR', syscall: 'open', path: target, published: false })
  t.is(err.errno as number | undefined, uvErrno('EISDIR'))
  t.is(err.message, `EISDIR: illegal operation on a directory, open '${target}'`)
  t.throws(() => new AtomicFile(target).writeSync('x'), { code: 'EISDIR' })
  t.deepEqual(snapshot(dir), before)
})

needs([], { also: posixOnly('ENOTDIR for a path through a file') })('a file where a parent directory should be is ENOTDIR', async (t) => {
  const dir = freshDir()
  writeFileSync(join(dir, 'plain'), 'keep')
  const before = snapshot(dir)
  const target = join(dir, 'plain', 'child')
  const err = (await t.throwsAsync(new AtomicFile(target).write('x'))) as PublishFsError
  t.like(err, { code: 'ENOTDIR', path: target, published: false })
  t.deepEqual(snapshot(dir), before)
})

mounting('a full disk (1 MiB tmpfs) is ENOSPC, never a truncated publish, and space coming back works', async (t) => {
  const mnt = freshDir('ap-tiny-')
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt])
  try {
    const target = join(mnt, 'data.bin')
    const old = xorshiftBytes(400 * 1024, 1)
    writeFileSync(target, old)
    const big = xorshiftBytes(800 * 1024, 2)
    const err = (await t.throwsAsync(new AtomicFile(target).write(big))) as PublishFsError
    t.like(err, { code: 'ENOSPC', syscall: 'write', path: target, published: false })
    t.is(err.message, `ENOSPC: no space left on device, write '${target}'`)
    t.deepEqual(readFileSync(target), old, 'the old bytes stay whole')
    t.deepEqual(scratchIn(mnt), [])
    t.throws(() => new AtomicFile(target).writeSync(big), { code: 'ENOSPC' })
    t.deepEqual(readFileSync(target), old)
    t.deepEqual(scratchIn(mnt), [])
    const fresh = xorshiftBytes(300 * 1024, 3)
    await new AtomicFile(target).write(fresh)
    t.deepEqual(readFileSync(target), fresh, 'a publish that fits succeeds right after')
  } finally {
    execFileSync('umount', [mnt])
  }
})

mounting('a read-only file system is EROFS and changes nothing', async (t) => {
  const dir = freshDir()
  const ro = join(dir, 'ro')
  mkdirSync(ro)
  writeFileSync(join(ro, 'target'), 'old')
  execFileSync('mount', ['--bind', ro, ro])
  try {
    execFileSync('mount', ['-o', 'remount,ro,bind', ro])
    const before = snapshot(ro)
    const err = (await t.throwsAsync(new AtomicFile(join(ro, 'target')).write('new'))) as PublishFsError
    t.like(err, { code: 'EROFS', syscall: 'open', path: join(ro, 'target'), published: false })
    t.deepEqual(snapshot(ro), before)
  } finally {
    execFileSync('umount', [ro])
  }
})
