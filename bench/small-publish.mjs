// Small publishes (1 KiB, fsync on) per second: atomic-publish against write-file-atomic and a
// hand-written fs.promises publish, measured in the same run. Medians of several repetitions,
// with the event loop's delay (p99 / max) beside each async row.
//
//   npm run bench            # defaults: 3 repetitions of 1000 publishes per row
//   BENCH_OPS=300 BENCH_REPS=5 npm run bench

import { mkdtempSync, rmSync } from 'node:fs'
import { open, rename } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import writeFileAtomic from 'write-file-atomic'
import { AtomicFile } from 'atomic-publish'

const OPS = Number(process.env.BENCH_OPS ?? 1000)
const REPS = Number(process.env.BENCH_REPS ?? 3)
const IN_FLIGHT = 64
const payload = Buffer.alloc(1024, 0x61)

/** The protocol by hand with fs.promises: open, write, fsync, close, rename, dir fsync. */
async function handWritten(target) {
  const scratch = `${target}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`
  const fh = await open(scratch, 'wx')
  await fh.writeFile(payload)
  await fh.sync()
  await fh.close()
  await rename(scratch, target)
  const dir = await open(join(target, '..'), 'r')
  await dir.sync()
  await dir.close()
}

const contenders = {
  'atomic-publish write': (t) => new AtomicFile(t).write(payload),
  'atomic-publish writeSync': (t) => new AtomicFile(t).writeSync(payload),
  'write-file-atomic (async)': (t) => writeFileAtomic(t, payload),
  'write-file-atomic (sync)': (t) => writeFileAtomic.sync(t, payload),
  'hand-written fs.promises': handWritten,
}

const SYNC = new Set(['atomic-publish writeSync', 'write-file-atomic (sync)'])

async function runOnce(publish, mode) {
  const dir = mkdtempSync(join(tmpdir(), 'ap-bench-'))
  const target = (i) => join(dir, `f${i % 64}`)
  const delay = monitorEventLoopDelay({ resolution: 1 })
  delay.enable()
  const started = process.hrtime.bigint()
  if (mode === 'sequential') {
    for (let i = 0; i < OPS; i++) await publish(target(i))
  } else {
    let next = 0
    const lane = async () => {
      while (next < OPS) await publish(target(next++))
    }
    await Promise.all(Array.from({ length: IN_FLIGHT }, lane))
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  delay.disable()
  rmSync(dir, { recursive: true, force: true })
  return { rate: OPS / seconds, p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

const rows = []
for (const mode of ['sequential', `${IN_FLIGHT} in flight`]) {
  const results = {}
  for (let rep = 0; rep < REPS; rep++) {
    // Interleave contenders so drift in the machine's load hits them all alike.
    for (const [name, publish] of Object.entries(contenders)) {
      // Sync calls cannot overlap: they have no in-flight row.
      if (mode !== 'sequential' && SYNC.has(name)) continue
      ;(results[name] ??= []).push(await runOnce(publish, mode === 'sequential' ? mode : 'parallel'))
    }
  }
  const baseline = median(results['write-file-atomic (async)'].map((r) => r.rate))
  for (const [name, runs] of Object.entries(results)) {
    const rates = runs.map((r) => r.rate)
    rows.push({
      mode,
      contender: name,
      'publishes/s (median)': Math.round(median(rates)),
      'min–max': `${Math.round(Math.min(...rates))}–${Math.round(Math.max(...rates))}`,
      'vs write-file-atomic': `${(median(rates) / baseline).toFixed(2)}×`,
      // A sync call holds the loop for its whole duration; the monitor cannot sample that.
      'loop p99 / max ms': SYNC.has(name)
        ? 'blocks the loop'
        : `${median(runs.map((r) => r.p99)).toFixed(1)} / ${median(runs.map((r) => r.max)).toFixed(1)}`,
    })
  }
}

console.log(`1 KiB publishes, fsync on, ${OPS} per run, median of ${REPS} (node ${process.version})`)
console.table(rows)
