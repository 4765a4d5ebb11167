// Streaming 1 GiB from a generator and from a file: atomic-publish (hash verified, and not)
// against a raw fs.createWriteStream + fsync and against fs-write-stream-atomic, plus
// `dd conv=fsync` as the disk's own figure. Each run is a child process, so its peak RSS is its
// own; the event loop's delay (p99 / max) is sampled while it streams.
//
//   npm run bench:stream           # 5 repetitions of 1 GiB
//   BENCH_MIB=256 BENCH_REPS=1 npm run bench:stream

import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { fileURLToPath } from 'node:url'
import { loopColumn, median, printTable, withLoopDelay } from './report.mjs'

const MIB = Number(process.env.BENCH_MIB ?? 1024)
const REPS = Number(process.env.BENCH_REPS ?? 5)
const CHUNK = 1 << 20

async function* generator() {
  const chunk = Buffer.alloc(CHUNK, 0x61)
  for (let i = 0; i < MIB; i++) yield chunk
}

/** The XXH3-128 of MIB chunks of `byte`: what the generator (0x61) or the file (0x62) holds. */
async function contentHash(byte) {
  const { createHasher } = await import('atomic-publish')
  const hasher = createHasher()
  const chunk = Buffer.alloc(CHUNK, byte)
  for (let i = 0; i < MIB; i++) hasher.update(chunk)
  return hasher.digest()
}

/** How long `work` takes, with the event loop's delay sampled while it runs (and only then). */
async function timed(work) {
  const started = performance.now()
  const { p99, max } = await withLoopDelay(work)
  return { ms: performance.now() - started, p99, max }
}

/** fsync a file written by a plain write stream. */
async function fsyncFile(target) {
  const fh = await open(target, 'r+')
  await fh.sync()
  await fh.close()
}

/** A source file for the "from a file" rows, made once by the parent. */
const SOURCE_FILE = join(tmpdir(), `ap-stream-bench-source-${MIB}`)

// Each contender loads its modules and computes any expected hash before `timed` starts.
const contenders = {
  'atomic-publish stream, hash verified': async (target) => {
    const { AtomicFile } = await import('atomic-publish')
    const expected = await contentHash(0x61)
    return timed(() => new AtomicFile(target).withHash(expected).stream(generator()))
  },
  'atomic-publish stream, no expected hash': async (target) => {
    const { AtomicFile } = await import('atomic-publish')
    return timed(() => new AtomicFile(target).stream(generator()))
  },
  'fs.createWriteStream + fsync (not atomic)': async (target) => {
    const { createWriteStream } = await import('node:fs')
    return timed(async () => {
      await pipeline(Readable.from(generator()), createWriteStream(target))
      await fsyncFile(target)
    })
  },
  'atomic-publish stream from a file': async (target) => {
    const { AtomicFile } = await import('atomic-publish')
    const { createReadStream } = await import('node:fs')
    return timed(() => new AtomicFile(target).stream(createReadStream(SOURCE_FILE, { highWaterMark: CHUNK })))
  },
  'atomic-publish stream from a file, hash verified': async (target) => {
    const { AtomicFile } = await import('atomic-publish')
    const { createReadStream } = await import('node:fs')
    const expected = await contentHash(0x62)
    return timed(() => new AtomicFile(target).withHash(expected).stream(createReadStream(SOURCE_FILE, { highWaterMark: CHUNK })))
  },
  'fs.createWriteStream + fsync from a file': async (target) => {
    const { createReadStream, createWriteStream } = await import('node:fs')
    return timed(async () => {
      await pipeline(createReadStream(SOURCE_FILE, { highWaterMark: CHUNK }), createWriteStream(target))
      await fsyncFile(target)
    })
  },
  'fs-write-stream-atomic (no fsync)': async (target) => {
    const { default: writeStreamAtomic } = await import('fs-write-stream-atomic')
    return timed(() => pipeline(Readable.from(generator()), writeStreamAtomic(target)))
  },
}

async function child(name, target) {
  const { ms, p99, max } = await contenders[name](target)
  console.log(JSON.stringify({ ms, p99, max, maxRss: process.resourceUsage().maxRSS * 1024 }))
}

function dd(target) {
  const started = performance.now()
  execFileSync('dd', ['if=/dev/zero', `of=${target}`, 'bs=1M', `count=${MIB}`, 'conv=fsync'], { stdio: 'ignore' })
  return { ms: performance.now() - started, maxRss: 0 }
}

async function main() {
  const chunk = Buffer.alloc(64 << 20, 0x62)
  writeFileSync(SOURCE_FILE, '')
  for (let i = 0; i < MIB; i += 64) writeFileSync(SOURCE_FILE, chunk, { flag: 'a' })
  const runs = {}
  for (let rep = 0; rep < REPS; rep++) {
    // The order is rotated every repetition: a run that follows the deletion of the previous
    // 1 GiB output meets a busy disk (the root file system discards), whichever it is.
    const names = [...Object.keys(contenders), 'dd conv=fsync (the disk)']
    for (const name of names.map((_, k) => names[(k + rep) % names.length])) {
      const dir = mkdtempSync(join(tmpdir(), 'ap-stream-bench-'))
      const target = join(dir, 'out')
      execFileSync('sync')
      const result = name.startsWith('dd')
        ? dd(target)
        : JSON.parse(execFileSync(process.execPath, [fileURLToPath(import.meta.url), name, target], { encoding: 'utf8' }))
      rmSync(dir, { recursive: true, force: true })
      ;(runs[name] ??= []).push(result)
    }
  }
  const rate = (r) => (MIB * CHUNK) / 1e6 / (r.ms / 1000)
  const baseline = median(runs['fs.createWriteStream + fsync (not atomic)'].map(rate))
  const rows = Object.entries(runs).map(([name, rs]) => ({
    contender: name,
    'MB/s (median)': Math.round(median(rs.map(rate))),
    'min–max': `${Math.round(Math.min(...rs.map(rate)))}–${Math.round(Math.max(...rs.map(rate)))}`,
    'vs createWriteStream': `${(median(rs.map(rate)) / baseline).toFixed(2)}×`,
    'peak RSS MiB': name.startsWith('dd') ? '–' : Math.round(median(rs.map((r) => r.maxRss)) / 2 ** 20),
    'loop p99 / max ms': name.startsWith('dd') ? '–' : loopColumn(rs),
  }))
  rmSync(SOURCE_FILE, { force: true })
  printTable(`${MIB} MiB from a generator (or a file) in 1 MiB chunks, median of ${REPS} (node ${process.version})`, rows)
}

if (process.argv[2]) await child(process.argv[2], process.argv[3])
else await main()
