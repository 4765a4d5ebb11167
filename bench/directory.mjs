// A whole tree against file by file: 10 000 files of 1 KiB published at 'full', as one
// directory (AtomicDir: the stage made durable at once, one swap), against write-file-atomic
// and this package's AtomicFile publishing each file on its own (64 in flight, into one
// directory). write-file-atomic fsyncs each file but never the directory: it runs at what
// this package calls 'file', and is the baseline all the same.
//
// Then an incremental publish: 3 files changed in a tree of BENCH_TREE_FILES files (10 000 by
// default; 100 000 for the figure in the docs), `fromCurrent()` at 'full' against what a user
// does without it: copy the tree (`fs.cp`), change the 3 files, swap it in with two renames,
// remove the old tree (no fsync at all).
//
//   npm run bench:directory
//   BENCH_FILES=2000 BENCH_REPS=1 npm run bench:directory
//   BENCH_TREE_FILES=100000 npm run bench:directory
//
// Trees are removed only at the end: a journal-less ext4 skips, one by one, the inodes freed
// in the last minutes whenever it allocates one, so a contender run right after another's
// tree was removed would pay for that removal.

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { cp, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import writeFileAtomic from 'write-file-atomic'
import { AtomicDir, AtomicFile } from 'atomic-publish'
import { median, printTable } from './report.mjs'

const FILES = Number(process.env.BENCH_FILES ?? 10_000)
const TREE_FILES = Number(process.env.BENCH_TREE_FILES ?? 10_000)
const REPS = Number(process.env.BENCH_REPS ?? 3)
const IN_FLIGHT = 64
const data = Buffer.alloc(1024, 'x')
const scratch = []
const freshDir = (prefix) => {
  const dir = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), prefix))
  scratch.push(dir)
  return dir
}

/** Run `one(i)` for `i` below `count`, `IN_FLIGHT` at a time. */
async function each(count, one) {
  let next = 0
  const lane = async () => {
    while (next < count) await one(next++)
  }
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane))
}

const CONTENDERS = {
  'AtomicDir (one tree)': async (dir) => {
    const tree = new AtomicDir(join(dir, 'tree')).withDurability('full')
    await each(FILES, (i) => tree.file(`d${i % 100}/f${i}`).write(data))
    await tree.commit()
  },
  'write-file-atomic (file by file)': async (dir) => {
    for (let d = 0; d < 100; d++) mkdirSync(join(dir, 'tree', `d${d}`), { recursive: true })
    await each(FILES, (i) => writeFileAtomic(join(dir, 'tree', `d${i % 100}`, `f${i}`), data, { fsync: true }))
  },
  'AtomicFile (file by file)': async (dir) => {
    await each(FILES, (i) => new AtomicFile(join(dir, 'tree', `d${i % 100}`, `f${i}`)).withDurability('full').write(data))
  },
}

/** The 3 files an incremental publish changes, different each round. */
const changed = (round) => [0, 1, 2].map((k) => `d${(k * 37) % 100}/f${k * 37 + 100 * (round % 50)}`)

const INCREMENTAL = {
  'AtomicDir fromCurrent (3 files)': async (target, round) => {
    const tree = new AtomicDir(target).withDurability('full').fromCurrent()
    await Promise.all(changed(round).map((path) => tree.file(path).write(`v${round}`)))
    await tree.commit()
  },
  'fs.cp, 3 writes, rename, rm': async (target, round) => {
    const next = `${target}.next`
    const old = `${target}.old`
    await cp(target, next, { recursive: true })
    await Promise.all(changed(round).map((path) => writeFile(join(next, path), `v${round}`)))
    await rename(target, old)
    await rename(next, target)
    await rm(old, { recursive: true })
  },
}

async function timed(run) {
  const start = process.hrtime.bigint()
  await run()
  return Number(process.hrtime.bigint() - start) / 1e9
}

try {
  const times = Object.fromEntries(Object.keys(CONTENDERS).map((name) => [name, []]))
  for (let rep = 0; rep < REPS; rep++) {
    // Interleaved, so that a change of load hits every contender alike.
    for (const [name, run] of Object.entries(CONTENDERS)) {
      const dir = freshDir('ap-bench-dir-')
      times[name].push(await timed(() => run(dir)))
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

  const target = join(freshDir('ap-bench-inc-'), 'tree')
  const setup = new AtomicDir(target).withDurability('none')
  await each(TREE_FILES, (i) => setup.file(`d${i % 100}/f${i}`).write(data))
  await setup.commit()
  const rounds = Object.fromEntries(Object.keys(INCREMENTAL).map((name) => [name, []]))
  for (let rep = 0; rep < REPS; rep++) {
    for (const [name, run] of Object.entries(INCREMENTAL)) rounds[name].push(await timed(() => run(target, rep)))
  }
  const copying = median(rounds['fs.cp, 3 writes, rename, rm'])
  printTable(
    `3 files changed in a tree of ${TREE_FILES} files (median of ${REPS})`,
    Object.entries(rounds).map(([name, t]) => ({
      contender: name,
      seconds: median(t).toFixed(2),
      'vs copying the tree': `${(copying / median(t)).toFixed(1)}×`,
    })),
  )
} finally {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true })
}
