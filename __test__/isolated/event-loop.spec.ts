// The async terminals leave the JS thread free (guarantee 6), measured two ways while a large
// verified publish runs: the worst gap of a 2 ms timer, against the publish's own duration (a
// block of the file I/O spans most of it), and the CPU time the JS thread itself spent, against
// what the same publish costs it when done synchronously (the real block). CPU time does not
// grow when the machine is busy, and the gap is a ratio of two durations that a busy machine
// stretches alike, so neither check depends on the machine being idle. This file still runs
// on its own after the main suite (`npm run test:isolated`, ava.isolated.config.mjs).

import test from 'ava'
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { AtomicFile, createHasher, xxh3_128 } from 'atomic-publish'
import { freshDir, needs, roomFor, xorshiftBytes } from '../helpers.js'

const MiB = 1 << 20
const LARGE = 256 * MiB

/** CPU time (ms) the JS thread has run so far: the kernel's count for the main thread alone. */
const mainThreadSchedstat = `/proc/self/task/${process.pid}/schedstat`
const jsThreadCpuMs = (): number => Number(readFileSync(mainThreadSchedstat, 'utf8').split(' ')[0]) / 1e6
const withThreadCpu = needs([], { serial: true, also: { ok: existsSync(mainThreadSchedstat), what: 'per-thread CPU times (/proc/self/task/<tid>/schedstat)' } })

/** The worst gap (ms) of a 2 ms timer while `work` runs, its duration, and the JS thread's CPU time. */
async function watchLoop<T>(work: () => Promise<T>): Promise<{ value: T; worstGap: number; took: number; cpuMs: number }> {
  let last = performance.now()
  let worstGap = 0
  const timer = setInterval(() => {
    const now = performance.now()
    worstGap = Math.max(worstGap, now - last)
    last = now
  }, 2)
  const cpuBefore = jsThreadCpuMs()
  const started = performance.now()
  last = started
  const value = await work()
  // The gap up to completion counts too.
  worstGap = Math.max(worstGap, performance.now() - last)
  const took = performance.now() - started
  clearInterval(timer)
  return { value, worstGap, took, cpuMs: jsThreadCpuMs() - cpuBefore }
}

withThreadCpu('a verified 256 MiB write leaves the event loop free while it publishes', async (t) => {
  const dir = freshDir()
  const data = Buffer.alloc(LARGE, 0x5a)
  xorshiftBytes(1 << 20).copy(data, 12_345)
  const expected = xxh3_128(data)
  const blocked = await watchLoop(async () => new AtomicFile(join(dir, 'blocking.bin')).withHash(expected).writeSync(data))
  const free = await watchLoop(() => new AtomicFile(join(dir, 'large.bin')).withHash(expected).write(data))
  t.log(`writeSync: ${blocked.took.toFixed(0)} ms, JS thread CPU ${blocked.cpuMs.toFixed(1)} ms; write: ${free.took.toFixed(0)} ms, worst timer gap ${free.worstGap.toFixed(1)} ms, JS thread CPU ${free.cpuMs.toFixed(1)} ms`)
  t.is(free.value.hash, expected)
  t.is(free.value.bytes, LARGE)
  t.true(blocked.worstGap > blocked.took / 2, 'the measure sees a real block (writeSync)')
  t.true(free.worstGap < free.took / 4, `the loop stalled for ${free.worstGap.toFixed(1)} ms of ${free.took.toFixed(0)} ms`)
  t.true(free.cpuMs < blocked.cpuMs / 4, `the JS thread ran ${free.cpuMs.toFixed(1)} ms, the blocking call ${blocked.cpuMs.toFixed(1)} ms`)
})

needs([], { serial: true, also: roomFor(768 * MiB) })('a verified 768 MiB stream leaves the event loop free', async (t) => {
  const dir = freshDir()
  const chunk = Buffer.alloc(MiB, 0x42)
  const chunks = 768
  const hasher = createHasher()
  for (let i = 0; i < chunks; i++) hasher.update(chunk)
  const expected = hasher.digest()
  async function* source(): AsyncGenerator<Buffer> {
    for (let i = 0; i < chunks; i++) yield chunk
  }
  const { value: result, worstGap, took } = await watchLoop(() => new AtomicFile(join(dir, 'big')).withHash(expected).stream(source()))
  execFileSync('rm', ['-rf', dir])
  t.log(`768 MiB verified stream: ${took.toFixed(0)} ms, worst timer gap ${worstGap.toFixed(1)} ms`)
  t.is(result.hash, expected)
  t.true(worstGap < took / 4, `the loop stalled for ${worstGap.toFixed(1)} ms of ${took.toFixed(0)} ms`)
})
