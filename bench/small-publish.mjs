// Small publishes per second: atomic-publish against write-file-atomic, atomically,
// fast-write-atomic and a hand-written fs.promises publish, all in the same run.
// Sizes 1 KiB and 64 KiB; durability 'full', 'file' and 'none'; sequential, 64 in flight to
// distinct files, and 64 in flight to one file. Medians of several repetitions (contenders
// interleaved), with the event loop's delay (p99 / max) beside each async row.
//
// Each contender runs at the levels it has: the peers fsync the file and never the directory
// ('file'; 'none' with fsync: false), so at 'full' only atomic-publish and the hand-written
// publish run, and their ratio is to write-file-atomic at 'file' in the same size and mode.
//
//   npm run bench:small                           # 3 repetitions of 600 publishes per cell
//   BENCH_OPS=200 BENCH_REPS=1 npm run bench:small
//   BENCH_SIZES=1024 BENCH_LEVELS=file BENCH_MODES=sequential BENCH_MARKDOWN=1 npm run bench:small

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
const LEVELS = (process.env.BENCH_LEVELS ?? 'full,file,none').split(',')
const IN_FLIGHT = 64
const BASELINE = 'write-file-atomic (async)'

let handWrittenCounter = 0
/** The protocol by hand with fs.promises: open, write, fsync, close, rename, dir fsync. */
async function handWritten(target, data, level) {
  const scratch = `${target}.tmp-${process.pid}-${handWrittenCounter++}`
  const fh = await open(scratch, 'wx')
  await fh.writeFile(data)
  if (level !== 'none') await fh.sync()
  await fh.close()
  await rename(scratch, target)
  if (level === 'full') {
    const dir = await open(dirname(target), 'r')
    await dir.sync()
    await dir.close()
  }
}

const PEER_LEVELS = ['file', 'none']
const ALL_LEVELS = ['full', 'file', 'none']

/** name → { run(target, data, level), levels, sync?: true } */
const contenders = {
  'atomic-publish write': { levels: ALL_LEVELS, run: (t, d, l) => new AtomicFile(t).withDurability(l).write(d) },
  'atomic-publish writeSync': { levels: ALL_LEVELS, sync: true, run: (t, d, l) => new AtomicFile(t).withDurability(l).writeSync(d) },
  [BASELINE]: { levels: PEER_LEVELS, run: (t, d, l) => writeFileAtomic(t, d, { fsync: l !== 'none' }) },
  'write-file-atomic (sync)': { levels: PEER_LEVELS, sync: true, run: (t, d, l) => writeFileAtomic.sync(t, d, { fsync: l !== 'none' }) },
  atomically: { levels: PEER_LEVELS, run: (t, d, l) => atomicallyWrite(t, d, { fsync: l !== 'none' }) },
  'atomically (sync)': { levels: PEER_LEVELS, sync: true, run: (t, d, l) => atomicallyWriteSync(t, d, { fsync: l !== 'none' }) },
  // Always fsyncs the file, never the directory.
  'fast-write-atomic': { levels: ['file'], run: (t, d) => fastWriteAtomic.promise(t, d) },
  'hand-written fs.promises': { levels: ALL_LEVELS, run: handWritten },
}

const ALL_MODES = ['sequential', `${IN_FLIGHT} in flight`, `${IN_FLIGHT} in flight, one file`]
const MODES = process.env.BENCH_MODES ? ALL_MODES.filter((m) => process.env.BENCH_MODES.split(',').some((w) => m.startsWith(w))) : ALL_MODES

async function runOnce(contender, mode, data, level) {
  const dir = mkdtempSync(join(tmpdir(), 'ap-bench-'))
  const target = mode.endsWith('one file') ? () => join(dir, 'one') : (i) => join(dir, `f${i % 64}`)
  const { result: seconds, p99, max } = await withLoopDelay(async () => {
    const started = process.hrtime.bigint()
    if (mode === 'sequential') {
      for (let i = 0; i < OPS; i++) await contender.run(target(i), data, level)
    } else {
      let next = 0
      const lane = async () => {
        while (next < OPS) await contender.run(target(next++), data, level)
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
  /** write-file-atomic's median per mode at 'file', the ratio's base at 'full'. */
  const fileBaseline = {}
  // 'full' last, so the baseline it is compared with was measured in this run.
  for (const level of [...LEVELS].sort((a, b) => (a === 'full') - (b === 'full'))) {
    for (const mode of MODES) {
      const results = {}
      for (let rep = 0; rep < REPS; rep++) {
        // Interleave contenders so drift in the machine's load hits them all alike.
        for (const [name, contender] of Object.entries(contenders)) {
          // Sync calls cannot overlap: they have no in-flight rows.
          if (contender.sync && mode !== 'sequential') continue
          if (!contender.levels.includes(level)) continue
          ;(results[name] ??= []).push(await runOnce(contender, mode, data, level))
        }
      }
      if (results[BASELINE] && level === 'file') fileBaseline[mode] = median(results[BASELINE].map((r) => r.rate))
      const baseline = results[BASELINE] ? median(results[BASELINE].map((r) => r.rate)) : fileBaseline[mode]
      for (const [name, runs] of Object.entries(results)) {
        const rates = runs.map((r) => r.rate)
        rows.push({
          size: size >= 1024 ? `${size / 1024} KiB` : `${size} B`,
          durability: level,
          mode,
          contender: name,
          'per s': Math.round(median(rates)),
          'min–max': `${Math.round(Math.min(...rates))}–${Math.round(Math.max(...rates))}`,
          'vs write-file-atomic': baseline ? `${(median(rates) / baseline).toFixed(2)}×` : '–',
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
