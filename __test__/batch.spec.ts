// Batching of small writes (src/batch.rs, js/batch.ts): while the thread pool is busy with
// writes, further small writes are published together as one task. Each must still behave
// exactly like a publish of its own: its own bytes, hash, error, abort and order.

import test from 'ava'
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AbortError, AtomicFile, HashMismatchError, xxh3_128 } from 'atomic-publish'
import { freshDir, namesIn, needs, scratchIn } from './helpers.js'

const withStrace = needs(['strace'])

/** More writes than the pool has threads, so most of them wait and run in batches. */
const BURST = 40

test('a burst of small writes publishes each with its own bytes and hash', async (t) => {
  const dir = freshDir()
  const payloads = Array.from({ length: BURST }, (_, i) => Buffer.alloc(100 + i, i))
  const results = await Promise.all(payloads.map((data, i) => new AtomicFile(join(dir, `f${i}`)).write(data)))
  results.forEach((result, i) => {
    t.deepEqual(readFileSync(join(dir, `f${i}`)), payloads[i])
    t.is(result.bytes, payloads[i].length)
    t.is(result.hash, xxh3_128(payloads[i]))
    t.is(result.superseded, undefined)
  })
  t.is(namesIn(dir).length, BURST)
})

test('in a burst, a write that fails fails alone and leaves its target as it was', async (t) => {
  const dir = freshDir()
  writeFileSync(join(dir, 'f10'), 'old')
  writeFileSync(join(dir, 'blocker'), 'a file, not a directory')
  const calls = Array.from({ length: BURST }, (_, i) => {
    if (i === 10) return new AtomicFile(join(dir, 'f10')).withHash('1234').write('new')
    if (i === 20) return new AtomicFile(join(dir, 'blocker', 'f20')).write('new')
    return new AtomicFile(join(dir, `f${i}`)).write(`new ${i}`)
  })
  const settled = await Promise.allSettled(calls)
  settled.forEach((s, i) => {
    if (i === 10) t.true(s.status === 'rejected' && s.reason instanceof HashMismatchError)
    else if (i === 20) t.like(s.status === 'rejected' && s.reason, { code: 'ENOTDIR', path: join(dir, 'blocker', 'f20') })
    else t.is(s.status, 'fulfilled', `f${i}`)
  })
  t.is(readFileSync(join(dir, 'f10'), 'utf8'), 'old')
  t.is(readFileSync(join(dir, 'f39'), 'utf8'), 'new 39')
  t.deepEqual(scratchIn(dir), [])
})

test('a write aborted while it waits for a batch rejects at once, publishes nothing, and its batch-mates publish', async (t) => {
  const dir = freshDir()
  const controller = new AbortController()
  const settledOrder: number[] = []
  const calls = Array.from({ length: BURST }, (_, i) => {
    const file = new AtomicFile(join(dir, `f${i}`))
    const call = (i === 30 ? file.withSignal(controller.signal) : file).write(`new ${i}`)
    call.then(
      () => settledOrder.push(i),
      () => settledOrder.push(i),
    )
    return call
  })
  // The pool is busy with the first few writes: f30 is still waiting when this aborts.
  controller.abort(new Error('changed my mind'))
  const settled = await Promise.allSettled(calls)
  const aborted = settled[30]
  t.true(aborted.status === 'rejected' && aborted.reason instanceof AbortError)
  t.is(aborted.status === 'rejected' && (aborted.reason as AbortError).cause instanceof Error, true)
  t.is(settledOrder[0], 30, 'the aborted write did not wait for a lane')
  t.false(namesIn(dir).includes('f30'))
  t.is(settled.filter((s) => s.status === 'fulfilled').length, BURST - 1)
  t.deepEqual(scratchIn(dir), [])
})

test('the last call wins among writes to one target spread over a burst', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'one')
  const calls = Array.from({ length: BURST }, (_, i) => new AtomicFile(i % 3 === 0 ? target : join(dir, `f${i}`)).write(`v${i}`))
  await Promise.all(calls)
  const last = [...Array(BURST).keys()].filter((i) => i % 3 === 0).at(-1)
  t.is(readFileSync(target, 'utf8'), `v${last}`)
  t.deepEqual(scratchIn(dir), [])
})

/** Run the burst fixture in a child with one pool thread, under strace with `inject`. */
function burstWithFault(dir: string, count: number, strace: string[]): Array<Record<string, unknown>> {
  for (let i = 0; i < count; i++) writeFileSync(join(dir, `t${i}`), 'old')
  const out = execFileSync('strace', ['-f', '-qq', '-o', '/dev/null', ...strace, process.execPath, join(__dirname, 'fixtures', 'publish-burst.js'), dir, String(count)], {
    encoding: 'utf8',
    // One pool thread: the first write runs alone, the rest as one batch on that thread, so
    // strace's per-thread call count picks a write inside the batch.
    env: { ...process.env, UV_USE_IO_URING: '0', UV_THREADPOOL_SIZE: '1' },
  })
  return JSON.parse(out.trim().split('\n').at(-1) as string)
}

/** [syscall, errno, which call on the pool thread fails, the syscall the error names] */
const faults: Array<[string, string, number, string]> = [
  ['pwrite64', 'ENOSPC', 5, 'write'],
  ['fsync', 'EIO', 6, 'fsync'],
  ['renameat', 'EDQUOT', 4, 'rename'],
]
for (const [call, code, nth, syscall] of faults) {
  withStrace(`a ${call} failing inside a batch fails that write alone, with ${code}, and leaves its target as it was`, (t) => {
    const dir = freshDir()
    const results = burstWithFault(dir, 8, ['-e', `trace=${call}`, '-e', `inject=${call}:error=${code}:when=${nth}`])
    const failed = results.filter((r) => !r.ok)
    t.is(failed.length, 1, JSON.stringify(results))
    t.like(failed[0], { code, syscall, published: false })
    t.not(failed[0].target, join(dir, 't0'), 'the failure is inside the batch, not the lone first write')
    for (const r of results) t.is(readFileSync(r.target as string, 'utf8'), r.ok ? `new ${(r.target as string).slice(-1)}` : 'old')
    t.deepEqual(scratchIn(dir), [])
  })
}

withStrace("a batch's directory fsync failing fails every write it covered, as published", (t) => {
  const dir = freshDir()
  // -P: only calls on the directory itself; its 2nd fsync is the batch's.
  const results = burstWithFault(dir, 8, ['-P', dir, '-e', 'trace=fsync', '-e', 'inject=fsync:error=EIO:when=2'])
  t.like(results[0], { ok: true })
  for (const r of results.slice(1)) t.like(r, { ok: false, code: 'EIO', syscall: 'fsync', published: true })
  results.forEach((r, i) => t.is(readFileSync(r.target as string, 'utf8'), `new ${i}`))
  t.deepEqual(scratchIn(dir), [])
})
