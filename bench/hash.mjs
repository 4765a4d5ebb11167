// XXH3-128 throughput: atomic-publish against @node-rs/xxhash, hash-wasm and xxhash-addon on
// 4 KiB, 1 MiB and 256 MiB buffers, a 1 GiB file against `xxhsum -H2`, and `xxhsum -b` as the
// native reference. GB/s are medians of several timed loops, all in the same run.
//
// xxhash-addon compiles C at install time, so it is not a dev dependency (a clone's `npm ci`
// stays quiet): the bench includes it when it is installed, and says how to add it otherwise.
//
//   npm run bench:hash
//   npm install --no-save xxhash-addon@^2.1.0 && npm run bench:hash   # with xxhash-addon
//   BENCH_FILE_MIB=256 BENCH_REPS=3 npm run bench:hash

import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { xxh3 as nodeRs } from '@node-rs/xxhash'
import { createXXHash128, xxhash128 as wasmHash } from 'hash-wasm'
import { hashFile, xxh3_128 } from 'atomic-publish'
import { median, printTable } from './report.mjs'

const REPS = Number(process.env.BENCH_REPS ?? 5)
const FILE_MIB = Number(process.env.BENCH_FILE_MIB ?? 1024)
const LOOP_MS = 250

// hash-wasm's one-shot is async and re-initialises per call; its reusable hasher is the fair
// synchronous comparison.
const wasm = await createXXHash128()
const xxhashAddon = await import('xxhash-addon').then(
  (module) => module.default,
  () => {
    console.log('xxhash-addon is not installed, so it is left out (`npm install --no-save xxhash-addon@^2.1.0` adds it)')
    return null
  },
)
const contenders = {
  'atomic-publish xxh3_128': (b) => xxh3_128(b),
  ...(xxhashAddon && { 'xxhash-addon XXHash128.hash': (b) => xxhashAddon.XXHash128.hash(b) }),
  'hash-wasm (reused hasher)': (b) => wasm.init().update(b).digest(),
  '@node-rs/xxhash xxh3.xxh128': (b) => nodeRs.xxh128(b),
}

function gbPerSecond(fn, buffer) {
  const rates = []
  for (let rep = 0; rep < REPS; rep++) {
    let bytes = 0
    const started = performance.now()
    let elapsed = 0
    while (elapsed < LOOP_MS) {
      fn(buffer)
      bytes += buffer.length
      elapsed = performance.now() - started
    }
    rates.push(bytes / 1e9 / (elapsed / 1000))
  }
  return median(rates)
}

// Agreement first: a fast wrong hash is worth nothing.
const probe = Buffer.alloc(1 << 20, 7)
const expected = xxh3_128(probe)
const addonDisagrees = xxhashAddon && xxhashAddon.XXHash128.hash(probe).toString('hex') !== expected
if (addonDisagrees || (await wasmHash(probe)) !== expected || nodeRs.xxh128(probe).toString(16).padStart(32, '0') !== expected) {
  throw new Error('the contenders disagree on XXH3-128')
}

const rows = []
for (const [label, size] of [['4 KiB', 4096], ['1 MiB', 1 << 20], ['256 MiB', 256 << 20]]) {
  const buffer = Buffer.alloc(size)
  for (let i = 0; i < size; i += 4096) buffer[i] = i & 255
  const results = Object.fromEntries(Object.entries(contenders).map(([name, fn]) => [name, gbPerSecond(fn, buffer)]))
  const reference = results['hash-wasm (reused hasher)']
  for (const [name, rate] of Object.entries(results)) {
    rows.push({ input: label, contender: name, 'GB/s': rate.toFixed(2), 'vs hash-wasm': `${(rate / reference).toFixed(2)}×` })
  }
}

// xxhsum's own benchmark (XXH128 on its 100 KB sample, in cache): the native ceiling.
const xxhsumBench = spawnSync('xxhsum', ['-b', '-H2'], { encoding: 'utf8' }).stderr
const xxhsumRates = [...xxhsumBench.matchAll(/XXH128\s*:\s*\d+ ->\s+\d+ it\/s \(\s*([\d.]+) MB\/s\)/g)].map((m) => Number(m[1]) / 1000)
rows.push({ input: '100 KB (cache)', contender: 'xxhsum -b (XXH128)', 'GB/s': Math.max(...xxhsumRates).toFixed(2), 'vs hash-wasm': '–' })

// A file: read and hashed, page cache warm.
const dir = mkdtempSync(join(tmpdir(), 'ap-hash-bench-'))
const file = join(dir, 'big')
const chunk = Buffer.alloc(1 << 20, 3)
writeFileSync(file, Buffer.concat(Array.from({ length: Math.min(FILE_MIB, 64) }, () => chunk)))
for (let i = 64; i < FILE_MIB; i += 64) writeFileSync(file, Buffer.concat(Array.from({ length: 64 }, () => chunk)), { flag: 'a' })
execFileSync('xxhsum', ['-H2', file], { stdio: 'ignore' }) // warm the cache
const fileRates = { 'atomic-publish hashFile': [], 'xxhsum -H2 <file>': [] }
for (let rep = 0; rep < Math.min(REPS, 3); rep++) {
  let started = performance.now()
  const ours = await hashFile(file)
  fileRates['atomic-publish hashFile'].push((FILE_MIB << 20) / 1e9 / ((performance.now() - started) / 1000))
  started = performance.now()
  const theirs = execFileSync('xxhsum', ['-H2', file], { encoding: 'utf8' }).split(/\s+/)[0]
  fileRates['xxhsum -H2 <file>'].push((FILE_MIB << 20) / 1e9 / ((performance.now() - started) / 1000))
  if (ours !== theirs) throw new Error('hashFile disagrees with xxhsum')
}
rmSync(dir, { recursive: true, force: true })
for (const [name, rates] of Object.entries(fileRates)) {
  rows.push({ input: `${FILE_MIB} MiB file (cached)`, contender: name, 'GB/s': median(rates).toFixed(2), 'vs hash-wasm': '–' })
}

printTable(`XXH3-128, median of ${REPS} loops of ${LOOP_MS} ms (node ${process.version})`, rows)
