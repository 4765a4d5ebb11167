// The quick rows of every bench, each as a ratio to its baseline measured in the same run,
// checked against a floor written here. Exits 1 when a ratio falls below its floor. Run it
// before and after a performance change (`npm run bench:check`, or `npm run bench -- --check`);
// it is not part of `npm test`, since timings on a shared machine are noisy: a failure means
// "measure again, properly", not proof of a regression.
//
//   npm run bench:check
//   BENCH_REPS=5 npm run bench:check        # more repetitions when the machine is busy
//
// Contenders of a row alternate within each repetition (the order rotated every time), and a
// ratio is median / median over the repetitions. Needs cargo for the ceiling row.

import { execFileSync } from 'node:child_process'
import { createReadStream, createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { copyFile, open, rename } from 'node:fs/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { fileURLToPath } from 'node:url'
import writeFileAtomic from 'write-file-atomic'
import { AtomicFile, hashFile } from 'atomic-publish'
import { median, printTable } from './report.mjs'

const REPS = Number(process.env.BENCH_REPS ?? 3)
const SMALL_OPS = 400
const BIG_MIB = 256

const scratchDir = () => mkdtempSync(join(tmpdir(), 'ap-check-'))

/** Publishes per second of `publish(target)` onto 64 targets, `inFlight` at a time. */
function publishRate(publish, inFlight) {
  return async () => {
    const dir = scratchDir()
    let next = 0
    const started = performance.now()
    const lane = async () => {
      while (next < SMALL_OPS) await publish(join(dir, `f${next++ % 64}`))
    }
    await Promise.all(Array.from({ length: inFlight }, lane))
    const rate = SMALL_OPS / ((performance.now() - started) / 1000)
    rmSync(dir, { recursive: true, force: true })
    return rate
  }
}

/** MB/s of `work(target)` writing BIG_MIB MiB. */
function bigRate(work) {
  return async () => {
    const dir = scratchDir()
    execFileSync('sync')
    const started = performance.now()
    await work(join(dir, 'out'))
    const rate = (BIG_MIB * 2 ** 20) / 1e6 / ((performance.now() - started) / 1000)
    rmSync(dir, { recursive: true, force: true })
    return rate
  }
}

async function fsyncPath(path) {
  const fh = await open(path, 'r')
  await fh.sync()
  await fh.close()
}

const KIB = Buffer.alloc(1024, 0x61)
const wfa = (t) => writeFileAtomic(t, KIB, { fsync: true })
const ours = (t) => new AtomicFile(t).write(KIB)

const source = join(tmpdir(), `ap-check-source-${process.pid}`)
writeFileSync(source, Buffer.alloc(BIG_MIB << 20, 0x62))
const sourceHash = await hashFile(source)

execFileSync('cargo', ['build', '--quiet', '--release', '--example', 'ceiling'], { stdio: 'inherit' })
const ceiling = fileURLToPath(new URL('../target/release/examples/ceiling', import.meta.url))
const coreSequential = async () => {
  const dir = scratchDir()
  const rate = Number(execFileSync(ceiling, [dir, '1', '1', String(SMALL_OPS), '1024', 'on'], { encoding: 'utf8' }))
  rmSync(dir, { recursive: true, force: true })
  return rate
}

/** Each row: what is measured, against what, and the ratio it must keep. */
const rows = [
  {
    row: 'sequential 1 KiB fsync on: write() vs write-file-atomic',
    floor: 1.5,
    ours: publishRate(ours, 1),
    baseline: publishRate(wfa, 1),
  },
  {
    row: '64 in flight 1 KiB fsync on: write() vs write-file-atomic',
    floor: 1.3,
    ours: publishRate(ours, 64),
    baseline: publishRate(wfa, 64),
  },
  {
    row: "sequential 1 KiB fsync on: await write() vs the core's own loop",
    floor: 0.8,
    ours: publishRate(ours, 1),
    baseline: coreSequential,
  },
  {
    row: `copyFrom + withHash ${BIG_MIB} MiB vs copyFile + fsync + rename`,
    // 1.36x when writeback began during the copy (it was 0.75-0.97x before): the floor keeps that.
    floor: 1.1,
    ours: bigRate((t) => new AtomicFile(t).withHash(sourceHash).copyFrom(source)),
    baseline: bigRate(async (t) => {
      await copyFile(source, `${t}.tmp`)
      await fsyncPath(`${t}.tmp`)
      await rename(`${t}.tmp`, t)
      await fsyncPath(dirname(t))
    }),
  },
  {
    row: `stream from createReadStream ${BIG_MIB} MiB, hash verified, vs createWriteStream + fsync`,
    // 1.40x with writeback during the stream (0.85-0.90x before).
    floor: 1.1,
    ours: bigRate((t) => new AtomicFile(t).withHash(sourceHash).stream(createReadStream(source, { highWaterMark: 1 << 20 }))),
    baseline: bigRate(async (t) => {
      await pipeline(createReadStream(source, { highWaterMark: 1 << 20 }), createWriteStream(t))
      await fsyncPath(t)
    }),
  },
]

const load = loadavg()[0]
const results = []
for (const { row, floor, ours: runOurs, baseline } of rows) {
  const mine = []
  const theirs = []
  for (let rep = 0; rep < REPS; rep++) {
    const pair = rep % 2 === 0 ? [[runOurs, mine], [baseline, theirs]] : [[baseline, theirs], [runOurs, mine]]
    for (const [run, into] of pair) into.push(await run())
  }
  const ratio = median(mine) / median(theirs)
  const range = (xs) => `${Math.round(Math.min(...xs))}–${Math.round(Math.max(...xs))}`
  results.push({
    row,
    ours: `${Math.round(median(mine))} (${range(mine)})`,
    baseline: `${Math.round(median(theirs))} (${range(theirs)})`,
    ratio: `${ratio.toFixed(2)}×`,
    floor: `${floor}×`,
    verdict: ratio >= floor ? 'ok' : 'BELOW FLOOR',
  })
}
rmSync(source, { force: true })

printTable(
  `bench:check, median of ${REPS} (node ${process.version}, ${cpus().length} CPUs, load ${load.toFixed(1)} at the start)`,
  results,
)
const failed = results.filter((r) => r.verdict !== 'ok')
if (failed.length > 0) {
  console.error(`${failed.length} row(s) below their floor: measure again on a quiet machine before believing it.`)
  process.exitCode = 1
}
