// A smoke test of the whole API, for any runtime: `<runtime> scripts/smoke.mjs`. Prints one
// line per check and "smoke: N passed, 0 failed" (exit 1 on any failure).

import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AbortError, AtomicFile, createHasher, HashMismatchError, hashFile, hashFileSync, sweepOrphans, xxh3_128 } from '../index.mjs'

const dir = mkdtempSync(join(tmpdir(), 'ap-smoke-'))
let passed = 0
let failed = 0
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
await check('Node-shaped fs errors', async () => {
  try {
    await new AtomicFile(join(dir, 'x')).copyFrom(join(dir, 'missing'))
    throw new Error('no error')
  } catch (e) {
    assert(e.code === 'ENOENT' && e.syscall === 'open' && e.message.startsWith('ENOENT: no such file or directory'), String(e))
  }
})
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

rmSync(dir, { recursive: true, force: true })
console.log(`smoke: ${passed} passed, ${failed} failed`)
process.exitCode = failed ? 1 : 0
