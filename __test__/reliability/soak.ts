// Soak: many publishes and streams in one child process; RSS and descriptors must stay flat
// (RSS is compared between the middle and the end, after allocators have warmed up).

import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface SoakSummary {
  publishes: number
  streams: number
  rssStart: number
  rssMiddle: number
  /** At three quarters of the work. */
  rssLate: number
  rssEnd: number
  fdsStart: number
  fdsEnd: number
}

export function runSoak(publishes: number, streams: number): SoakSummary {
  const dir = mkdtempSync(join(tmpdir(), 'ap-soak-'))
  try {
    // V8 grows its young generation in steps of megabytes as allocation pressure rises
    // (measured here: RSS +16 MiB jumps with heap use flat); pinning it small leaves the
    // native layer's own memory as what RSS measures.
    // glibc gives each thread that allocates its own arena (the pool's four, the read-back
    // hashers), and RSS then moves by whole arenas: 9–14 MiB steps were seen here with no leak
    // (80 000 publishes and 4 000 streams plateau). Two arenas keep the steps below what a
    // leak of a few hundred bytes per publish adds.
    const out = execFileSync(process.execPath, ['--expose-gc', '--max-semi-space-size=1', join(__dirname, '..', 'fixtures', 'soak-child.js'), dir, String(publishes), String(streams)], {
      encoding: 'utf8',
      timeout: 900_000,
      env: { ...process.env, MALLOC_ARENA_MAX: '2' },
    })
    return JSON.parse(out) as SoakSummary
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * How much RSS grew in *both* quarters of the second half (the smaller of the two growths): a
 * leak adds about the same in each, while allocators grow in one-off steps (a new arena, a V8
 * space; 13 MiB was seen once on a busy machine with no leak), which show in one quarter only.
 */
export function sustainedGrowth(s: SoakSummary): number {
  return Math.min(s.rssLate - s.rssMiddle, s.rssEnd - s.rssLate)
}
