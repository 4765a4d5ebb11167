// Streaming 1 GiB from a generator: atomic-publish (hash verified, and not) against a raw
// fs.createWriteStream + fsync and against fs-write-stream-atomic, plus `dd conv=fsync` as the
// disk's own figure. Each run is a child process, so its peak RSS is its own.
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

const MIB = Number(process.env.BENCH_MIB ?? 1024)
const REPS = Number(process.env.BENCH_REPS ?? 5)
const CHUNK = 1 << 20

async function* generator() {
  const chunk = Buffer.alloc(CHUNK, 0x61)
  for (let i = 0; i < MIB; i++) yield chunk
}

/** A source file for the "from a file" rows, made once by the parent. */
const SOURCE_FILE = join(tmpdir(), `ap-stream-bench-source-${MIB}`)

const contenders = {
  'atomic-publish stream, hash verified': async (target) => {
    const { AtomicFile, createHasher } = await import('atomic-publish')
    const hasher = createHasher()
    const chunk = Buffer.alloc(CHUNK, 0x61)
    for (let i = 0; i < MIB; i++) hasher.update(chunk)
    const expected = hasher.digest()
    const started = performance.now()
    await new AtomicFile(target).withHash(expected).stream(generator())
    return performance.now() - started
  },
  'atomic-publish stream, no expected hash': async (target) => {
    const { AtomicFile } = await import('atomic-publish')
    const started = performance.now()
    await new AtomicFile(target).stream(generator())
    return performance.now() - started
  },
  'fs.createWriteStream + fsync (not atomic)': async (target) => {
    const started = performance.now()
    await pipeline(Readable.from(generator()), (await import('node:fs')).createWriteStream(target))
    const fh = await open(target, 'r+')
    await fh.sync()
    await fh.close()
    return performance.now() - started
  },
  'atomic-publish stream from a file': async (target) => {
    const { AtomicFile } = await import('atomic-publish')
    const { createReadStream } = await import('node:fs')
    const started = performance.now()
    await new AtomicFile(target).stream(createReadStream(SOURCE_FILE, { highWaterMark: CHUNK }))
    return performance.now() - started
  },
  'fs.createWriteStream + fsync from a file': async (target) => {
    const { createReadStream, createWriteStream } = await import('node:fs')
    const started = performance.now()
    await pipeline(createReadStream(SOURCE_FILE, { highWaterMark: CHUNK }), createWriteStream(target))
    const fh = await open(target, 'r+')
    await fh.sync()
    await fh.close()
    return performance.now() - started
  },
  'fs-write-stream-atomic (no fsync)': async (target) => {
    const { default: writeStreamAtomic } = await import('fs-write-stream-atomic')
    const started = performance.now()
    await pipeline(Readable.from(generator()), writeStreamAtomic(target))
    return performance.now() - started
  },
}

async function child(name, target) {
  const ms = await contenders[name](target)
  console.log(JSON.stringify({ ms, maxRss: process.resourceUsage().maxRSS * 1024 }))
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
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
  const runs = {}
  for (let rep = 0; rep < REPS; rep++) {
    for (const name of [...Object.keys(contenders), 'dd conv=fsync (the disk)']) {
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
  }))
  rmSync(SOURCE_FILE, { force: true })
  console.log(`${MIB} MiB from a generator (or a file) in 1 MiB chunks, median of ${REPS} (node ${process.version})`)
  console.table(rows)
}

if (process.argv[2]) await child(process.argv[2], process.argv[3])
else await main()
