// What hardening costs, and what it must never cost: a large verified write, which never reads
// the caller's buffer in user space (guarantee 12; on Linux the kernel writes it and the file
// is hashed as read back), against fs.promises.writeFile + fsync; the per-call
// cost of 100 000 write() calls to one target and of 100 000 writeSync() to distinct targets
// while a stream is in flight (both must stay flat); a stream of 100 000 one-byte chunks
// against fs.createWriteStream.
//
//   npm run bench:hardening
//   BENCH_MIB=64 BENCH_CALLS=20000 BENCH_REPS=1 npm run bench:hardening

import { createWriteStream, mkdtempSync, rmSync } from 'node:fs'
import { open, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { finished } from 'node:stream/promises'
import { AtomicFile, xxh3_128 } from 'atomic-publish'
import { loopColumn, median, printTable, withLoopDelay } from './report.mjs'

const MIB = Number(process.env.BENCH_MIB ?? 256)
const CALLS = Number(process.env.BENCH_CALLS ?? 100_000)
const REPS = Number(process.env.BENCH_REPS ?? 3)
const TINY_CHUNKS = 100_000

const dir = mkdtempSync(join(tmpdir(), 'ap-bench-hard-'))
const ms = (from) => performance.now() - from

async function largeVerifiedWrite() {
  const data = Buffer.alloc(MIB << 20, 0x5a)
  const expected = xxh3_128(data)
  const contenders = {
    'atomic-publish write + withHash': (t) => new AtomicFile(t).withHash(expected).write(data),
    'fs.promises.writeFile + fsync': async (t) => {
      await writeFile(t, data)
      const fh = await open(t, 'r+')
      await fh.sync()
      await fh.close()
    },
  }
  const runs = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]))
  for (let rep = 0; rep < REPS; rep++) {
    for (const [name, run] of Object.entries(contenders)) {
      const target = join(dir, `large-${rep}-${name.length}`)
      const started = performance.now()
      const { p99, max } = await withLoopDelay(() => run(target))
      runs[name].push({ ms: ms(started), p99, max })
      rmSync(target)
    }
  }
  const base = median(runs['fs.promises.writeFile + fsync'].map((r) => r.ms))
  printTable(
    `${MIB} MiB verified write, ${REPS} interleaved runs (median)`,
    Object.entries(runs).map(([name, r]) => ({
      contender: name,
      'MiB/s': ((MIB * 1000) / median(r.map((x) => x.ms))).toFixed(0),
      'vs writeFile+fsync': (base / median(r.map((x) => x.ms))).toFixed(2),
      'loop p99 / max ms': loopColumn(r),
    })),
  )
}

/** µs per call over the first and the last tenth of `count` calls made by `call(i)`. */
function perCallCost(count, call) {
  const tenth = Math.max(1, Math.floor(count / 10))
  let first = 0
  let last = 0
  const started = performance.now()
  for (let i = 0; i < count; i++) {
    const at = performance.now()
    call(i)
    const took = performance.now() - at
    if (i < tenth) first += took
    if (i >= count - tenth) last += took
  }
  return { total: ms(started), first: (first * 1000) / tenth, last: (last * 1000) / tenth }
}

async function scale() {
  const rows = []
  const oneTarget = join(dir, 'one-target')
  const pending = []
  const issued = perCallCost(CALLS, (i) => pending.push(new AtomicFile(oneTarget).withFsync(false).write(`v${i}`)))
  const settled = performance.now()
  const results = await Promise.all(pending)
  rows.push({
    row: `${CALLS} write() to one target`,
    'issue ms': issued.total.toFixed(0),
    'µs/call first 10%': issued.first.toFixed(1),
    'µs/call last 10%': issued.last.toFixed(1),
    'settle ms': ms(settled).toFixed(0),
    superseded: results.filter((r) => r.superseded).length,
  })

  let streaming = true
  async function* trickle() {
    while (streaming) {
      await new Promise((r) => setTimeout(r, 5))
      yield Buffer.alloc(16, 1)
    }
  }
  const stream = new AtomicFile(join(dir, 'long-stream')).withFsync(false).stream(trickle())
  const distinct = perCallCost(CALLS, (i) => new AtomicFile(join(dir, 'many', `f${i}`)).withFsync(false).writeSync('x'))
  streaming = false
  await stream
  rows.push({
    row: `${CALLS} writeSync() to distinct targets, a stream in flight`,
    'issue ms': distinct.total.toFixed(0),
    'µs/call first 10%': distinct.first.toFixed(1),
    'µs/call last 10%': distinct.last.toFixed(1),
    'settle ms': '',
    superseded: '',
  })
  printTable('Per-call cost at scale (flat: the last 10% cost what the first did)', rows)
}

async function tinyChunks() {
  async function* bytes() {
    for (let i = 0; i < TINY_CHUNKS; i++) yield Buffer.of(i & 0xff)
  }
  const contenders = {
    'atomic-publish stream': (t) => new AtomicFile(t).withFsync(false).stream(bytes()),
    'fs.createWriteStream': async (t) => {
      const out = createWriteStream(t)
      for await (const b of bytes()) if (!out.write(b)) await new Promise((r) => out.once('drain', r))
      out.end()
      await finished(out)
    },
  }
  const runs = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]))
  for (let rep = 0; rep < REPS; rep++) {
    for (const [name, run] of Object.entries(contenders)) {
      const started = performance.now()
      await run(join(dir, `tiny-${rep}-${name.length}`))
      runs[name].push(ms(started))
    }
  }
  printTable(
    `${TINY_CHUNKS} one-byte chunks, no fsync, ${REPS} interleaved runs (median)`,
    Object.entries(runs).map(([name, r]) => ({ contender: name, ms: median(r).toFixed(0) })),
  )
}

try {
  await largeVerifiedWrite()
  await scale()
  await tinyChunks()
} finally {
  rmSync(dir, { recursive: true, force: true })
}
