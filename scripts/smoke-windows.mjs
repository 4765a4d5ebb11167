// The Windows part of scripts/smoke.mjs: what Windows does differently from Unix, checked on
// Windows itself or under Wine (scripts/run-wine.sh). Each check names what it shows.

import { chmodSync, closeSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { spawn, spawnSync } from 'node:child_process'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { AtomicFile, sweepOrphans } from '../index.mjs'

/** Scratch files left in `dir`. */
function scratches(dir) {
  return readdirSync(dir).filter((f) => f.includes('.oxentmp.'))
}

/** The first `n` bytes that the open `fd` reads from the start, as text. */
function readFd(fd, n) {
  const buf = Buffer.alloc(n)
  return buf.subarray(0, readSync(fd, buf, 0, n, 0)).toString()
}

/**
 * A child Node process running `code` (with `arg` as process.argv[1]) that prints "ready",
 * then on each line on its standard input does its work and prints "done:" and the result.
 */
async function nodeChild(code, arg) {
  const child = spawn(process.execPath, ['-e', code, arg], { stdio: ['pipe', 'pipe', 'inherit'] })
  let out = ''
  const waiting = []
  child.stdout.on('data', (d) => {
    out += d
    for (const w of waiting.splice(0)) w()
  })
  const after = (want) =>
    new Promise((resolve, reject) => {
      const look = () => (out.includes(want) ? resolve(out.slice(out.indexOf(want) + want.length)) : waiting.push(look))
      child.on('error', reject)
      child.on('exit', (c) => reject(new Error(`child exited (${c}) before "${want}": ${out}`)))
      look()
    })
  await after('ready')
  return {
    end: () => child.kill(),
    async ask() {
      out = ''
      child.stdin.write('go\n')
      return (await after('done:')).trim()
    },
  }
}

/**
 * A child Node process that opens `file` as Node opens files (libuv shares read, write and
 * delete) and, when asked, reads it through that same descriptor.
 */
async function nodeHolding(file) {
  const child = await nodeChild(
    `const fs = require('node:fs')
    const fd = fs.openSync(process.argv[1], 'r')
    console.log('ready')
    process.stdin.on('data', () => {
      const buf = Buffer.alloc(64)
      console.log('done:' + buf.subarray(0, fs.readSync(fd, buf, 0, 64, 0)).toString())
    })`,
    file,
  )
  return { end: child.end, readThroughItsDescriptor: child.ask }
}

/** A child Node process that, when asked, sweeps `dir` with `olderThanMs: 0` (this package). */
async function nodeSweeping(dir) {
  // The entry this module imported (resolved, so that it also names an installed package).
  const index = import.meta.resolve('../index.mjs')
  const child = await nodeChild(
    `import(${JSON.stringify(index)}).then(({ sweepOrphans }) => {
      console.log('ready')
      process.stdin.on('data', async () => {
        const removed = await sweepOrphans(process.argv[1], { olderThanMs: 0 })
        console.log('done:' + JSON.stringify(removed))
      })
    })`,
    dir,
  )
  return { end: child.end, sweep: child.ask }
}

/** The same failure, as Node reports it: code, errno and syscall. */
const shape = (e) => `${e.code} ${e.errno} ${e.syscall}`

export async function windowsChecks({ check, skipped, assert, caught, dir, holdOpen, underWine }) {
  // Windows 10 1607 and later replace a file that others hold open (with delete sharing, as
  // Node opens files) through FileRenameInfoEx with POSIX semantics. Wine 8 refuses that class
  // (ERROR_INVALID_PARAMETER) and its FileRenameInfo fails with ERROR_ACCESS_DENIED while the
  // target is open: there the fallback is what runs, and is checked instead.
  if (!underWine) {
    await check('a target another process holds open (as Node opens files) is replaced; its handle still reads the old bytes', async () => {
      const target = join(dir, 'held-by-node')
      writeFileSync(target, 'old bytes')
      const other = await nodeHolding(target)
      try {
        await new AtomicFile(target).write('new bytes')
        assert(readFileSync(target, 'utf8') === 'new bytes', 'a new open reads the new bytes')
        const seen = await other.readThroughItsDescriptor()
        assert(seen === 'old bytes', `the other process's handle read ${JSON.stringify(seen)}`)
        assert(scratches(dir).length === 0, 'no scratch')
      } finally {
        other.end()
      }
    })
    await check('a target this process holds open is replaced by writeSync too; the descriptor reads the old bytes', () => {
      const target = join(dir, 'held-here')
      writeFileSync(target, 'old')
      const fd = openSync(target, 'r')
      try {
        new AtomicFile(target).writeSync('new')
        assert(readFileSync(target, 'utf8') === 'new', 'new bytes by name')
        assert(readFd(fd, 16) === 'old', 'old bytes through the open descriptor')
      } finally {
        closeSync(fd)
      }
    })
  } else {
    await check('under Wine, which lacks FileRenameInfoEx: a target another process holds open fails after the wait as Node\'s own rename fails, and is left as it was', async () => {
      const target = join(dir, 'held-by-node')
      writeFileSync(target, 'old bytes')
      writeFileSync(join(dir, 'held-by-node.node'), 'new bytes')
      const other = await nodeHolding(target)
      try {
        const ours = await caught(() => new AtomicFile(target).write('new bytes'))
        const node = await caught(() => renameSync(join(dir, 'held-by-node.node'), target))
        assert(shape(ours) === shape(node), `${shape(ours)}: ${ours.message}; Node's rename: ${shape(node)}`)
        assert(readFileSync(target, 'utf8') === 'old bytes', 'target changed')
        const seen = await other.readThroughItsDescriptor()
        assert(seen === 'old bytes', `the other process's handle read ${JSON.stringify(seen)}`)
        assert(scratches(dir).length === 0, `scratch left: ${scratches(dir)}`)
      } finally {
        other.end()
        rmSync(join(dir, 'held-by-node.node'), { force: true })
      }
    })
  }
  await check('withOverwrite(false) publishes onto a free name by handle, and refuses an existing one with EEXIST', async () => {
    const target = join(dir, 'exclusive')
    await new AtomicFile(target).withOverwrite(false).write('first')
    const e = await caught(() => new AtomicFile(target).withOverwrite(false).write('second'))
    assert(e.code === 'EEXIST', `${e.code}: ${e.message}`)
    assert(readFileSync(target, 'utf8') === 'first' && scratches(dir).length === 0, 'first bytes, no scratch')
  })
  await check('a read-only target is replaced, as a rename replaces it on Unix', async () => {
    const target = join(dir, 'read-only')
    writeFileSync(target, 'old')
    chmodSync(target, 0o444)
    await new AtomicFile(target).write('new')
    assert(readFileSync(target, 'utf8') === 'new', 'bytes')
  })

  // While the rename waits for a target held without delete sharing, the scratch stays open
  // and locked: a sweep in another process, removing any unlocked scratch at once, must leave
  // it alone. (A sweep in this process would not touch it anyway: it knows its own.)
  if (holdOpen) {
    await check('a sweep in another process while the rename waits for a held target leaves the scratch; the publish then succeeds', async () => {
      const sub = join(dir, 'sweep-while-held')
      rmSync(sub, { recursive: true, force: true })
      await new AtomicFile(join(sub, 'placeholder')).write('x')
      const target = join(sub, 'target')
      writeFileSync(target, 'old')
      const sweeper = await nodeSweeping(sub)
      try {
        const hold = await holdOpen(target, 400)
        let settled = false
        // An mtime in the past makes the scratch old enough for the sweep by the time its rename
        // waits (it is stamped before the rename): only its lock keeps it.
        const publish = new AtomicFile(target)
          .withMtime(new Date(0))
          .write('new')
          .then(() => null, (e) => e)
          .finally(() => (settled = true))
        while (scratches(sub).length === 0 && !settled) await new Promise((r) => setTimeout(r, 5))
        const removed = await sweeper.sweep()
        await hold.exited
        const failed = await publish
        assert(removed === '[]', `the other process's sweep removed ${removed}`)
        assert(failed === null, `the publish failed: ${failed?.message}`)
        assert(readFileSync(target, 'utf8') === 'new', 'published after the hold')
      } finally {
        sweeper.end()
      }
    })
  }

  // Guarantee 10: a FILETIME holds 1601-01-01 (exclusive) to 30828-09-14.
  for (const [what, mtime] of [
    ['before 1601', new Date(Date.UTC(1500, 0, 1))],
    ['exactly 1601-01-01', new Date(Date.UTC(1601, 0, 1))],
    ['after 30828', 910_692_730_086n * 1_000_000_000n],
  ]) {
    await check(`an mtime ${what} is ERR_OUT_OF_RANGE, and nothing is written`, async () => {
      const target = join(dir, 'mtime-out')
      for (const call of [() => new AtomicFile(target).withMtime(mtime).write('x'), () => new AtomicFile(target).withMtime(mtime).writeSync('x')]) {
        const e = await caught(call)
        assert(e.code === 'ERR_OUT_OF_RANGE', `${e.code}: ${e.message}`)
        assert(!/panic/i.test(e.message), e.message)
      }
      assert(!readdirSync(dir).includes('mtime-out') && scratches(dir).length === 0, 'nothing on disk')
    })
  }
  await check('an mtime one second after 1601-01-01 is stamped exactly, or refused where the disk cannot hold it (ext4 under Wine), never clamped', async () => {
    const target = join(dir, 'mtime-1601')
    const ms = Date.UTC(1601, 0, 1, 0, 0, 1)
    const e = await caught(() => new AtomicFile(target).withMtime(new Date(ms)).write('x')).catch(() => null)
    if (e === null) {
      assert(statSync(target).mtimeMs === ms, `mtimeMs ${statSync(target).mtimeMs}, expected ${ms}`)
    } else {
      assert(e.code === 'ERR_OUT_OF_RANGE' && !readdirSync(dir).includes('mtime-1601'), `${e.code}: ${e.message}`)
    }
  })

  // What a replace keeps (guarantee 9): the DACL, hidden and system attributes.
  await check('a replaced file keeps its hidden attribute', async () => {
    const target = join(dir, 'hidden')
    writeFileSync(target, 'old')
    const attrib = (...args) => spawnSync('attrib', [...args, target], { encoding: 'utf8' })
    assert(attrib('+h').status === 0, 'attrib +h')
    // "A   H        C:\\dir\\hidden": the letters before the path.
    const flags = () => attrib().stdout.split(target)[0]
    assert(/H/.test(flags()), `hidden before: ${flags()}`)
    await new AtomicFile(target).write('new')
    assert(readFileSync(target, 'utf8') === 'new' && /H/.test(flags()), `hidden after: ${flags()}`)
  })
  const icacls = (...args) => spawnSync('icacls', args, { encoding: 'utf8' })
  const aclOf = (file) => icacls(file).stdout.replace(file, '').trim()
  const probe = join(dir, 'acl-probe')
  writeFileSync(probe, '')
  if (!aclOf(probe)) {
    skipped('a replaced file keeps a narrowed DACL: icacls prints no ACL here (Wine has only a stub of it); runs on Windows in CI')
  } else {
    await check('a replaced file keeps a DACL its owner narrowed, and never gets the directory\'s wider one', async () => {
      const target = join(dir, 'secret')
      writeFileSync(target, 'old')
      const me = process.env.USERNAME
      const narrowed = icacls(target, '/inheritance:r', '/grant:r', `${me}:F`)
      assert(narrowed.status === 0, `icacls: ${narrowed.stdout}${narrowed.stderr}`)
      const before = aclOf(target)
      assert(before !== aclOf(probe), `the narrowed ACL is the directory's: ${before}`)
      await new AtomicFile(target).write('new')
      assert(readFileSync(target, 'utf8') === 'new', 'bytes')
      assert(aclOf(target) === before, `after: ${aclOf(target)}; before: ${before}`)
    })
  }

  // Devices: NUL, CON, COM ports and pipes are not regular files, whatever std's is_file says.
  await check('NUL as a target is refused (EINVAL, as a FIFO target on Unix), and no scratch is made', async () => {
    const e = await caught(() => new AtomicFile(join(dir, 'NUL')).write('x'))
    assert(e.code === 'EINVAL' && /device/.test(e.message), `${e.code}: ${e.message}`)
    assert(scratches(dir).length === 0, 'no scratch')
  })
  await check('NUL as a copyFrom source is refused (EINVAL) before it is read', async () => {
    const target = join(dir, 'from-nul')
    const e = await caught(() => new AtomicFile(target).copyFrom('NUL'))
    assert(e.code === 'EINVAL' && /device/.test(e.message), `${e.code}: ${e.message}`)
    assert(!readdirSync(dir).includes('from-nul'), 'nothing published')
  })
  await check('a named pipe as a target and as a copyFrom source is refused (EINVAL)', async () => {
    const pipe = `\\\\.\\pipe\\atomic-publish-smoke-${process.pid}`
    // The server ends every connection after a while, so a read that was not refused ends too.
    const server = createServer((socket) => setTimeout(() => socket.end(), 2000))
    await new Promise((resolve, reject) => server.listen(pipe, resolve).on('error', reject))
    try {
      const asTarget = await caught(() => new AtomicFile(pipe).write('x'))
      assert(asTarget.code === 'EINVAL' && /pipe/.test(asTarget.message), `target: ${asTarget.code}: ${asTarget.message}`)
      const target = join(dir, 'from-pipe')
      const asSource = await caught(() => new AtomicFile(target).copyFrom(pipe))
      assert(asSource.code === 'EINVAL' && /pipe/.test(asSource.message), `source: ${asSource.code}: ${asSource.message}`)
      assert(!readdirSync(dir).includes('from-pipe') && scratches(dir).length === 0, 'nothing on disk')
    } finally {
      server.close()
    }
  })

  // Node's fs keeps a lone surrogate in a Windows name (WTF-8); the native side cannot.
  await check('a target with a lone surrogate is refused (ERR_INVALID_ARG_VALUE) rather than another file written', async () => {
    const e = await caught(() => new AtomicFile(join(dir, 'lone-\uD800-surrogate')).write('x'))
    assert(e.code === 'ERR_INVALID_ARG_VALUE', `${e.code}: ${e.message}`)
    assert(!readdirSync(dir).some((f) => f.startsWith('lone-')), `written: ${readdirSync(dir)}`)
  })
}
