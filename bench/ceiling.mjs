// How close the Node API gets to the core's own ceiling: the same protocol run from Rust
// threads with no Node at all (examples/ceiling.rs), interleaved in one run with
// atomic-publish `write` from Node. 1 KiB publishes onto 64 targets in a fresh directory.
//
//   npm run bench:ceiling                   # fsync on, 3 repetitions of 1200 publishes
//   BENCH_FSYNC=off BENCH_REPS=5 npm run bench:ceiling
//   BENCH_DIR=/dev/shm BENCH_FSYNC=off npm run bench:ceiling   # no disk: the per-call cost alone
//   BENCH_DURABILITY=file npm run bench:ceiling   # 'file', with fast-write-atomic beside the core
//
// At 'file' the fastest peer, fast-write-atomic, makes the same disk work per publish (create,
// write, fsync, rename): the core's own sequential loop over it bounds what any Node binding
// of the protocol can reach over that peer.
//
// The handed-off row is the core again, each publish handed to one worker thread and awaited
// from the main thread (two cross-thread wake-ups per publish, as through libuv's pool, and no
// JavaScript): what separates it from the one-thread loop is the round trip alone.
//
// Needs cargo (it builds the example in release mode once).

import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { AtomicFile } from 'atomic-publish'
import fastWriteAtomic from 'fast-write-atomic'
import { median, printTable } from './report.mjs'

const OPS = Number(process.env.BENCH_OPS ?? 1200)
const REPS = Number(process.env.BENCH_REPS ?? 3)
const FSYNC = (process.env.BENCH_FSYNC ?? 'on') === 'on'
const LEVEL = process.env.BENCH_DURABILITY ?? (FSYNC ? 'full' : 'none')
const SIZE = 1024
const IN_FLIGHT = 64

execFileSync('cargo', ['build', '--quiet', '--release', '--example', 'ceiling'], { stdio: 'inherit' })
const ceiling = fileURLToPath(new URL('../target/release/examples/ceiling', import.meta.url))

/** Rust threads, each publishing `batch` at a time. */
const core = (threads, batch) => (dir) =>
  Number(execFileSync(ceiling, [dir, String(threads), String(batch), String(OPS), String(SIZE), LEVEL], { encoding: 'utf8' }))

const data = Buffer.alloc(SIZE, 0x61)
const fromNode = (inFlight) => async (dir) => {
  let next = 0
  const started = performance.now()
  const lane = async () => {
    while (next < OPS) await new AtomicFile(join(dir, `f${next++ % 64}`)).withDurability(LEVEL).write(data)
  }
  await Promise.all(Array.from({ length: inFlight }, lane))
  return OPS / ((performance.now() - started) / 1000)
}

const fastWriteAtomicLoop = async (dir) => {
  const started = performance.now()
  for (let i = 0; i < OPS; i++) await fastWriteAtomic.promise(join(dir, `f${i % 64}`), data)
  return OPS / ((performance.now() - started) / 1000)
}

const rows = [
  ['sequential', 'core: 1 Rust thread, one publish after another', core(1, 1)],
  ['sequential', 'core: each publish handed to a worker thread and awaited (no Node)', core('handoff', 1)],
  ['sequential', 'Node: await write() in a loop', fromNode(1)],
  ...(LEVEL === 'file' ? [['sequential', 'fast-write-atomic: await in a loop (same disk work)', fastWriteAtomicLoop]] : []),
  ['concurrent', 'core: 4 Rust threads, unbatched', core(4, 1)],
  ['concurrent', 'core: 4 Rust threads, batches of 16', core(4, 16)],
  [`concurrent`, `Node: ${IN_FLIGHT} write() in flight (4 pool threads, batched)`, fromNode(IN_FLIGHT)],
]

const results = rows.map(() => [])
for (let rep = 0; rep < REPS; rep++) {
  for (const [i, [, , run]] of rows.entries()) {
    const dir = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'ap-ceiling-'))
    results[i].push(await run(dir))
    rmSync(dir, { recursive: true, force: true })
  }
}

const table = rows.map(([group, name], i) => {
  const base = median(results[rows.findIndex(([g]) => g === group)])
  return {
    group,
    contender: name,
    'per s': Math.round(median(results[i])),
    'min–max': `${Math.round(Math.min(...results[i]))}–${Math.round(Math.max(...results[i]))}`,
    'µs per call': (1e6 / median(results[i])).toFixed(1),
    'vs the core, unbatched': `${(median(results[i]) / base).toFixed(2)}×`,
  }
})
printTable(`The core's ceiling beside Node, ${SIZE} B, durability '${LEVEL}', ${OPS} per run, median of ${REPS}`, table)
if (LEVEL === 'file') {
  const peer = median(results[3])
  console.log(`fast-write-atomic ${Math.round(peer)}/s: atomic-publish from Node ${(median(results[2]) / peer).toFixed(2)}×, the core with no Node at all ${(median(results[0]) / peer).toFixed(2)}×`)
}
