// Small publishes per second: atomic-publish against write-file-atomic, atomically,
// fast-write-atomic and a hand-written fs.promises publish, all in the same run.
// Sizes 1 KiB and 64 KiB; fsync on and off; sequential, 64 in flight to distinct files, and
// 64 in flight to one file. Medians of several repetitions (contenders interleaved), with the
// event loop's delay (p99 / max) beside each async row.
//
//   npm run bench:small                           # 3 repetitions of 600 publishes per cell
//   BENCH_OPS=200 BENCH_REPS=1 npm run bench:small
//   BENCH_SIZES=1024 BENCH_FSYNC=on BENCH_MARKDOWN=1 npm run bench:small

import { mkdtempSync, rmSync } from 'node:fs'
import { open, rename } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { writeFile as atomicallyWrite, writeFileSync as atomicallyWriteSync } from 'atomically'
import fastWriteAtomic from 'fast-write-atomic'
import writeFileAtomic from 'write-file-atomic'
import { AtomicFile } from 'atomic-publish'
import { loopColumn, median, printTable, withLoopDelay } from './report.mjs'

const OPS = Number(process.env.BENCH_OPS ?? 600)
const REPS = Number(process.env.BENCH_REPS ?? 3)
const SIZES = (process.env.BENCH_SIZES ?? '1024,65536').split(',').map(Number)
const FSYNC = (process.env.BENCH_FSYNC ?? 'on,off').split(',').map((s) => s === 'on')
const IN_FLIGHT = 64
const BASELINE = 'write-file-atomic (async)'

let handWrittenCounter = 0
/** The protocol by hand with fs.promises: open, write, fsync, close, rename, dir fsync. */
async function handWritten(target, data, fsync) {
  const scratch = `${target}.tmp-${process.pid}-${handWrittenCounter++}`
  const fh = await open(scratch, 'wx')
  await fh.writeFile(data)
  if (fsync) await fh.sync()
  await fh.close()
  await rename(scratch, target)
  if (fsync) {
    const dir = await open(dirname(target), 'r')
    await dir.sync()
    await dir.close()
  }
}

/** name → { run(target, data, fsync), sync?: true, fsyncOnly?: true } */
const contenders = {
  'atomic-publish write': { run: (t, d, f) => new AtomicFile(t).withFsync(f).write(d) },
  'atomic-publish writeSync': { sync: true, run: (t, d, f) => new AtomicFile(t).withFsync(f).writeSync(d) },
  [BASELINE]: { run: (t, d, f) => writeFileAtomic(t, d, { fsync: f }) },
  'write-file-atomic (sync)': { sync: true, run: (t, d, f) => writeFileAtomic.sync(t, d, { fsync: f }) },
  atomically: { run: (t, d, f) => atomicallyWrite(t, d, { fsync: f }) },
  'atomically (sync)': { sync: true, run: (t, d, f) => atomicallyWriteSync(t, d, { fsync: f }) },
  'fast-write-atomic': { fsyncOnly: true, run: (t, d) => fastWriteAtomic.promise(t, d) },
  'hand-written fs.promises': { run: handWritten },
}

const MODES = ['sequential', `${IN_FLIGHT} in flight`, `${IN_FLIGHT} in flight, one file`]

async function runOnce(contender, mode, data, fsync) {
  const dir = mkdtempSync(join(tmpdir(), 'ap-bench-'))
  const target = mode.endsWith('one file') ? () => join(dir, 'one') : (i) => join(dir, `f${i % 64}`)
  const { result: seconds, p99, max } = await withLoopDelay(async () => {
    const started = process.hrtime.bigint()
    if (mode === 'sequential') {
      for (let i = 0; i < OPS; i++) await contender.run(target(i), data, fsync)
    } else {
      let next = 0
      const lane = async () => {
        while (next < OPS) await contender.run(target(next++), data, fsync)
      }
      await Promise.all(Array.from({ length: IN_FLIGHT }, lane))
    }
    return Number(process.hrtime.bigint() - started) / 1e9
  })
  rmSync(dir, { recursive: true, force: true })
  return { rate: OPS / seconds, p99, max }
}

const rows = []
for (const size of SIZES) {
  const data = Buffer.alloc(size, 0x61)
  for (const fsync of FSYNC) {
    for (const mode of MODES) {
      const results = {}
      for (let rep = 0; rep < REPS; rep++) {
        // Interleave contenders so drift in the machine's load hits them all alike.
        for (const [name, contender] of Object.entries(contenders)) {
          // Sync calls cannot overlap: they have no in-flight rows.
          if (contender.sync && mode !== 'sequential') continue
          if (contender.fsyncOnly && !fsync) continue
          ;(results[name] ??= []).push(await runOnce(contender, mode, data, fsync))
        }
      }
      const baseline = median(results[BASELINE].map((r) => r.rate))
      for (const [name, runs] of Object.entries(results)) {
        const rates = runs.map((r) => r.rate)
        rows.push({
          size: size >= 1024 ? `${size / 1024} KiB` : `${size} B`,
          fsync: fsync ? 'on' : 'off',
          mode,
          contender: name,
          'per s': Math.round(median(rates)),
          'min–max': `${Math.round(Math.min(...rates))}–${Math.round(Math.max(...rates))}`,
          'vs write-file-atomic': `${(median(rates) / baseline).toFixed(2)}×`,
          // A sync call holds the loop for its whole duration; the monitor cannot sample that.
          'loop p99 / max ms': contenders[name].sync
            ? 'blocks the loop'
            : loopColumn(runs),
        })
      }
    }
  }
}

printTable(`Small publishes, ${OPS} per run, median of ${REPS} (node ${process.version}, UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? 4})`, rows)
