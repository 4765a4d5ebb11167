// Copying 1 GiB into place: atomic-publish copyFrom (a kernel copy; with withHash, the copy
// read back from the page cache and hashed before the rename) against fs.promises.copyFile +
// fsync + rename + directory fsync, in the same run, the order rotated every repetition, with
// the event loop's delay (p99 / max) beside each. Target: copyFrom + withHash ≥ 0.9×.
//
//   npm run bench:copy
//   BENCH_MIB=256 BENCH_REPS=1 npm run bench:copy

import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { copyFile, open, rename } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AtomicFile, hashFile } from 'atomic-publish'
import { loopColumn, median, printTable, withLoopDelay } from './report.mjs'

const MIB = Number(process.env.BENCH_MIB ?? 1024)
const REPS = Number(process.env.BENCH_REPS ?? 5)

const dir = mkdtempSync(join(tmpdir(), 'ap-copy-bench-'))
const source = join(dir, 'source')
const chunk = Buffer.alloc(64 << 20, 0x5a)
writeFileSync(source, '')
for (let i = 0; i < MIB; i += 64) writeFileSync(source, chunk, { flag: 'a' })
const expected = await hashFile(source)

async function fsCopy(target) {
  const scratch = `${target}.tmp`
  await copyFile(source, scratch)
  const fh = await open(scratch, 'r+')
  await fh.sync()
  await fh.close()
  await rename(scratch, target)
  const d = await open(dir, 'r')
  await d.sync()
  await d.close()
}

const contenders = {
  'atomic-publish copyFrom (kernel copy)': (t) => new AtomicFile(t).copyFrom(source),
  'atomic-publish copyFrom + withHash': (t) => new AtomicFile(t).withHash(expected).copyFrom(source),
  'fs.promises.copyFile + fsync + rename': fsCopy,
}

const runs = {}
for (let rep = 0; rep < REPS; rep++) {
  const order = Object.entries(contenders)
  for (let k = 0; k < order.length; k++) {
    const [name, run] = order[(k + rep) % order.length]
    const target = join(dir, 'target')
    execFileSync('sync')
    const started = performance.now()
    const { p99, max } = await withLoopDelay(() => run(target))
    const rate = (MIB * 2 ** 20) / 1e6 / ((performance.now() - started) / 1000)
    ;(runs[name] ??= []).push({ rate, p99, max })
    rmSync(target)
  }
}
rmSync(dir, { recursive: true, force: true })
const rates = (name) => runs[name].map((r) => r.rate)
const baseline = median(rates('fs.promises.copyFile + fsync + rename'))
printTable(
  `Copy ${MIB} MiB into place, median of ${REPS} (node ${process.version})`,
  Object.keys(runs).map((name) => ({
    contender: name,
    'MB/s (median)': Math.round(median(rates(name))),
    'min–max': `${Math.round(Math.min(...rates(name)))}–${Math.round(Math.max(...rates(name)))}`,
    'vs copyFile': `${(median(rates(name)) / baseline).toFixed(2)}×`,
    'loop p99 / max ms': loopColumn(runs[name]),
  })),
)
