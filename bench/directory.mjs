// A whole tree against file by file: 10 000 files of 1 KiB published at 'full', as one
// directory (AtomicDir: the stage made durable at once, one swap), against write-file-atomic
// and this package's AtomicFile publishing each file on its own (64 in flight, into one
// directory). write-file-atomic fsyncs each file but never the directory: it runs at what
// this package calls 'file', and is the baseline all the same.
//
//   npm run bench:directory
//   BENCH_FILES=2000 BENCH_REPS=1 npm run bench:directory

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import writeFileAtomic from 'write-file-atomic'
import { AtomicDir, AtomicFile } from 'atomic-publish'
import { median, printTable } from './report.mjs'

const FILES = Number(process.env.BENCH_FILES ?? 10_000)
const REPS = Number(process.env.BENCH_REPS ?? 3)
const IN_FLIGHT = 64
const data = Buffer.alloc(1024, 'x')

/** Run `one(i)` for every file, `IN_FLIGHT` at a time. */
async function eachFile(one) {
  let next = 0
  const lane = async () => {
    while (next < FILES) await one(next++)
  }
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane))
}

const CONTENDERS = {
  'AtomicDir (one tree)': async (dir) => {
    const tree = new AtomicDir(join(dir, 'tree')).withDurability('full')
    await eachFile((i) => tree.file(`d${i % 100}/f${i}`).write(data))
    await tree.commit()
  },
  'write-file-atomic (file by file)': async (dir) => {
    for (let d = 0; d < 100; d++) mkdirSync(join(dir, 'tree', `d${d}`), { recursive: true })
    await eachFile((i) => writeFileAtomic(join(dir, 'tree', `d${i % 100}`, `f${i}`), data, { fsync: true }))
  },
  'AtomicFile (file by file)': async (dir) => {
    await eachFile((i) => new AtomicFile(join(dir, 'tree', `d${i % 100}`, `f${i}`)).withDurability('full').write(data))
  },
}

const times = Object.fromEntries(Object.keys(CONTENDERS).map((name) => [name, []]))
for (let rep = 0; rep < REPS; rep++) {
  // Interleaved, so that a change of load hits every contender alike.
  for (const [name, run] of Object.entries(CONTENDERS)) {
    const dir = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'ap-bench-dir-'))
    const start = process.hrtime.bigint()
    await run(dir)
    times[name].push(Number(process.hrtime.bigint() - start) / 1e9)
    rmSync(dir, { recursive: true, force: true })
  }
}
const baseline = median(times['write-file-atomic (file by file)'])
printTable(
  `${FILES} files of 1 KiB at 'full' (median of ${REPS})`,
  Object.entries(times).map(([name, t]) => ({
    contender: name,
    seconds: median(t).toFixed(2),
    'files/s': Math.round(FILES / median(t)),
    'vs write-file-atomic': `${(baseline / median(t)).toFixed(1)}×`,
  })),
)
