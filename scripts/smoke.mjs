// A smoke test of the whole API, for any runtime and platform: `<runtime> scripts/smoke.mjs`.
// Prints one line per check and "smoke: N passed, 0 failed" (exit 1 on any failure). Set
// NAPI_RS_NATIVE_LIBRARY_PATH to test one particular `.node` file (as scripts/run-*.sh do).

import { mkdtempSync, openSync, readdirSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { getSystemErrorName } from 'node:util'
import { spawn } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AbortError, AtomicDir, AtomicFile, createHasher, HashMismatchError, hashFile, hashFileSync, sweepOrphans, xxh3_128 } from '../index.mjs'

const dir = mkdtempSync(join(tmpdir(), 'ap-smoke-'))
let passed = 0
let failed = 0
let skipped = 0
async function check(name, fn) {
  try {
    await fn()
    passed++
    console.log(`ok   ${name}`)
  } catch (e) {
    failed++
    console.log(`FAIL ${name}: ${e?.stack ?? e}`)
  }
}
function skip(why) {
  skipped++
  console.log(`skip ${why}`)
}
function assert(cond, what) {
  if (!cond) throw new Error(what)
}

await check('xxh3_128 vector', () => assert(xxh3_128('hello world') === 'df8d09e93f874900a99b8775cc15b6c7', 'hello world'))
await check('write, verified', async () => {
  const r = await new AtomicFile(join(dir, 'a')).withHash(xxh3_128('one')).write('one')
  assert(r.bytes === 3 && readFileSync(join(dir, 'a'), 'utf8') === 'one', JSON.stringify(r))
})
await check('writeSync with mtime and mode', () => {
  new AtomicFile(join(dir, 'b')).withMtime(1_700_000_000_123_456_789n).withMode(0o640).writeSync('two')
  assert(readFileSync(join(dir, 'b'), 'utf8') === 'two', 'bytes')
})
await check('stream', async () => {
  const r = await new AtomicFile(join(dir, 'c')).stream((async function* () { yield 'th'; yield new Uint8Array([114, 101, 101]) })())
  assert(readFileSync(join(dir, 'c'), 'utf8') === 'three' && r.hash === xxh3_128('three'), 'stream bytes')
})
await check('copyFrom and copyFromSync', async () => {
  await new AtomicFile(join(dir, 'd')).copyFrom(join(dir, 'a'))
  new AtomicFile(join(dir, 'e')).copyFromSync(join(dir, 'c'))
  assert(readFileSync(join(dir, 'd'), 'utf8') === 'one' && readFileSync(join(dir, 'e'), 'utf8') === 'three', 'copies')
})
await check('hashFile, hashFileSync, createHasher', async () => {
  const h = await hashFile(join(dir, 'c'))
  assert(h === hashFileSync(join(dir, 'c')) && h === createHasher().update('th').update('ree').digest(), 'hashes')
})
await check('hash mismatch publishes nothing', async () => {
  try {
    await new AtomicFile(join(dir, 'a')).withHash('1').write('other')
    throw new Error('no error')
  } catch (e) {
    assert(e instanceof HashMismatchError && e.code === 'ERR_HASH_MISMATCH', String(e))
  }
  assert(readFileSync(join(dir, 'a'), 'utf8') === 'one', 'unchanged')
})
// The addon's error must be the one Node's fs gives for the same failure: the same code and
// errno (the libuv number, which differs by OS) and message as this runtime's own fs error, and
// Node's syscall name (Deno names some differently, e.g. readdir for scandir).
async function sameErrorAsNode(syscall, addonCall, fsCall) {
  const [ours, fs] = [await caught(addonCall), await caught(fsCall)]
  const expected = { code: fs.code, errno: fs.errno, syscall, message: fs.message.replace(`, ${fs.syscall} `, `, ${syscall} `) }
  for (const key of Object.keys(expected)) {
    assert(ours[key] === expected[key], `${key}: ${JSON.stringify(ours[key])}, expected ${JSON.stringify(expected[key])}`)
  }
  assert(isErrnoOf(ours.errno, ours.code), `errno ${ours.errno} is not ${ours.code}`)
}
/** Whether `errno` is libuv's (negative) number for `code` on this platform, as in Node's errors. */
function isErrnoOf(errno, code) {
  return Number.isInteger(errno) && errno < 0 && getSystemErrorName(errno) === code
}
async function caught(fn) {
  try {
    await fn()
  } catch (e) {
    return e
  }
  throw new Error('no error')
}
await check('missing source: the same ENOENT as Node', () =>
  sameErrorAsNode('open', () => new AtomicFile(join(dir, 'x')).copyFrom(join(dir, 'missing')), () => openSync(join(dir, 'missing'))))
await check('missing directory: the same ENOENT as Node', () =>
  sameErrorAsNode('scandir', () => sweepOrphans(join(dir, 'missing-dir')), () => readdirSync(join(dir, 'missing-dir'))))
await check('abort', async () => {
  try {
    await new AtomicFile(join(dir, 'y')).withSignal(AbortSignal.abort('r')).write('x')
    throw new Error('no error')
  } catch (e) {
    assert(e instanceof AbortError && e.code === 'ABORT_ERR' && e.cause === 'r', String(e))
  }
})
await check('argument errors', () => {
  try {
    new AtomicFile('')
    throw new Error('no error')
  } catch (e) {
    assert(e.code === 'ERR_INVALID_ARG_VALUE', String(e))
  }
})
await check('sweepOrphans', async () => {
  writeFileSync(join(dir, 'z.oxentmp.AAAAAAAAAA'), 'orphan')
  utimesSync(join(dir, 'z.oxentmp.AAAAAAAAAA'), new Date(0), new Date(0))
  const removed = await sweepOrphans(dir)
  assert(removed.length === 1, JSON.stringify(removed))
})

// Windows: renaming onto a file that another process holds open without delete sharing (a
// virus scanner, an indexer) fails until it lets go. A short hold is waited out; a long one
// fails with the error Node's own rename gives there, leaving the target and no scratch file. SMOKE_HOLD_OPEN names
// hold-open.exe (scripts/windows/hold-open.c), which holds a file the way those programs do.
async function holdOpen(exe, file, ms) {
  const child = spawn(exe, [file, String(ms)], { stdio: ['ignore', 'pipe', 'inherit'] })
  const exited = new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`hold-open exited with ${code}`))))
  })
  await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => String(d).includes('held') && resolve())
    exited.then(() => reject(new Error('hold-open ended before it held the file')), reject)
  })
  return { exited }
}
if (process.platform === 'win32' && !process.env.SMOKE_HOLD_OPEN) {
  skipped++
  console.log('skip held target: SMOKE_HOLD_OPEN is not set (path of hold-open.exe, built from scripts/windows/hold-open.c)')
} else if (process.platform === 'win32') {
  await check('target held open for 300 ms: the publish waits and replaces it', async () => {
    const target = join(dir, 'held')
    writeFileSync(target, 'old')
    const hold = await holdOpen(process.env.SMOKE_HOLD_OPEN, target, 300)
    const r = await new AtomicFile(target).withHash(xxh3_128('new')).write('new')
    await hold.exited
    assert(r.bytes === 3 && readFileSync(target, 'utf8') === 'new', 'bytes after the wait')
  })
  await check('target held open for 5 s: the same error as Node\'s rename, target and directory as they were', async () => {
    const target = join(dir, 'held-long')
    writeFileSync(target, 'old')
    writeFileSync(join(dir, 'held-long.node'), 'new')
    const hold = await holdOpen(process.env.SMOKE_HOLD_OPEN, target, 5000)
    const ours = await caught(() => new AtomicFile(target).write('new'))
    const node = await caught(() => renameSync(join(dir, 'held-long.node'), target))
    await hold.exited
    rmSync(join(dir, 'held-long.node'))
    const shape = (e) => `${e.code} ${e.errno} ${e.syscall}`
    assert(shape(ours) === shape(node), `${shape(ours)}: ${ours.message}; Node's rename: ${shape(node)}`)
    assert(readFileSync(target, 'utf8') === 'old', 'target changed')
    const left = readdirSync(dir).filter((f) => f.includes('.oxentmp.'))
    assert(left.length === 0, `scratch left: ${left}`)
  })
}

await check(process.platform === 'win32' ? 'a directory publish is refused with ENOTSUP and makes nothing' : 'a directory publish swaps in a whole tree', async () => {
  const target = join(dir, 'tree')
  const tree = new AtomicDir(target)
  if (process.platform === 'win32') {
    const err = await caught(() => tree.file('a/b').write('x'))
    assert(err.code === 'ENOTSUP', `${err.code}: ${err.message}`)
    await tree.abort()
    assert(!readdirSync(dir).some((f) => f.startsWith('tree')), `made: ${readdirSync(dir)}`)
    return
  }
  await tree.file('a/b').write('x')
  const manifest = await tree.commit()
  assert(manifest.fileCount === 1 && readFileSync(join(target, 'a', 'b'), 'utf8') === 'x', 'tree published')
})
if (process.platform === 'win32') {
  const { windowsChecks } = await import('./smoke-windows.mjs')
  const exe = process.env.SMOKE_HOLD_OPEN
  const underWine = process.env.SMOKE_UNDER_WINE === '1'
  await windowsChecks({ check, skipped: skip, assert, caught, dir, underWine, holdOpen: exe ? (file, ms) => holdOpen(exe, file, ms) : null })
}

rmSync(dir, { recursive: true, force: true })
console.log(`smoke: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
process.exitCode = failed ? 1 : 0
