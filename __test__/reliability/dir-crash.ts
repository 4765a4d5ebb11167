// SIGKILL at random moments of directory commits: a child commits successive self-checking
// versions of a tree (fixtures/dir-crash-child.ts) and is killed 0–150 ms after it starts,
// round after round. After each kill the target must be one whole version (exactly the files
// its MANIFEST lists, each of that version and intact), never older than the last one seen,
// and a sweep must leave no scratch-named entry beside it. Shared by the ava test and the
// heavy run (1 000 rounds).

import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { sweepOrphans, xxh3_128 } from 'atomic-publish'
import { MANIFEST } from '../fixtures/dir-crash-child.js'

export type DirCrashLayout = 'plain' | 'versioned' | 'naive'

export interface DirCrashSummary {
  rounds: number
  /** Rounds after which a sweep found something: the kill landed inside a commit. */
  killedMidCommit: number
  /** Rounds after which the target was not one whole version. */
  mixed: number
  /** Rounds after which the target was missing, once a version had been seen. */
  missing: number
  backwards: number
  orphansSwept: number
  scratchLeftAfterSweep: number
  /** Versioned layout: versions beside the target beyond the 2 kept, after the sweep. */
  versionsBeyondKeep: number
  /** The first few problems, for the log. */
  problems: string[]
}

/** Every file under `root`, as paths relative to it with '/' separators. */
function filesUnder(root: string): string[] {
  const out: string[] = []
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name)
      if (statSync(path).isDirectory()) walk(path)
      else out.push(relative(root, path).split('\\').join('/'))
    }
  }
  walk(root)
  return out.sort()
}

/** The version the tree at `root` holds whole, or a reason it is not one whole version. */
export function wholeVersion(root: string): number | string {
  let manifest: string[]
  try {
    manifest = readFileSync(join(root, MANIFEST), 'utf8').split('\n').filter(Boolean)
  } catch (err) {
    return `no readable ${MANIFEST}: ${(err as NodeJS.ErrnoException).code}`
  }
  const n = Number(manifest[0])
  const listed = [...manifest.slice(1), MANIFEST].sort()
  const found = filesUnder(root)
  if (listed.join('\n') !== found.join('\n')) return `version ${n} lists [${listed.join(', ')}], the tree holds [${found.join(', ')}]`
  for (const path of manifest.slice(1)) {
    const bytes = readFileSync(join(root, path))
    const nl = bytes.indexOf(10)
    const [v, p, hash] = bytes.subarray(0, Math.max(nl, 0)).toString().split(' ')
    if (nl < 0 || Number(v) !== n || p !== path || xxh3_128(bytes.subarray(nl + 1)) !== hash) return `${path} is not version ${n}'s (header '${bytes.subarray(0, Math.max(nl, 0)).toString().slice(0, 60)}')`
  }
  return n
}

function killAfter(target: string, start: number, delayMs: number, layout: DirCrashLayout): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(__dirname, '..', 'fixtures', 'dir-crash-child.js'), target, String(start), layout], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    child.stdout.once('data', () => setTimeout(() => child.kill('SIGKILL'), delayMs))
    child.on('error', reject)
    child.on('close', () => resolve())
  })
}

/**
 * `until`: after `rounds`, more rounds (up to `maxRounds`) until it holds, so that a summary
 * that must show a kill inside a commit does not depend on how fast the machine is.
 */
export async function runDirCrashes(
  rounds: number,
  options: { layout: DirCrashLayout; seed?: number; until?: (s: DirCrashSummary) => boolean; maxRounds?: number },
): Promise<DirCrashSummary> {
  const dir = mkdtempSync(join(tmpdir(), 'ap-dir-crash-'))
  const target = join(dir, 'site')
  const s: DirCrashSummary = { rounds, killedMidCommit: 0, mixed: 0, missing: 0, backwards: 0, orphansSwept: 0, scratchLeftAfterSweep: 0, versionsBeyondKeep: 0, problems: [] }
  const problem = (what: string): void => {
    if (s.problems.length < 5) s.problems.push(`round ${s.rounds}: ${what}`)
  }
  let seen = 0
  let state = options.seed ?? 1
  const random = () => ((state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0) / 2 ** 32)
  try {
    const more = (round: number): boolean =>
      round < rounds || (options.until !== undefined && !options.until(s) && round < (options.maxRounds ?? rounds))
    for (let round = 0; more(round); round++) {
      s.rounds = round + 1
      await killAfter(target, seen, Math.floor(random() * 150), options.layout)
      if (!existsSync(target)) {
        if (seen > 0) {
          s.missing++
          problem('the target is missing')
        }
      } else {
        // The versioned layout's target is a link: pin one version through it, as readers do.
        const v = wholeVersion(realpathSync(target))
        if (typeof v === 'string') {
          s.mixed++
          problem(v)
          if (options.layout === 'naive') {
            // The control cannot recover by itself: start it over from nothing.
            rmSync(target, { recursive: true, force: true })
            seen = 0
          }
        } else if (v < seen) {
          s.backwards++
          problem(`version ${v} after version ${seen}`)
        } else seen = v
      }
      const swept = await sweepOrphans(dir, { olderThanMs: 0, keptVersions: 2 })
      if (swept.length > 0) s.killedMidCommit++
      s.orphansSwept += swept.length
      const left = readdirSync(dir).filter((name) => name.includes('.oxentmp.'))
      s.scratchLeftAfterSweep += left.length
      if (left.length > 0) problem(`left after the sweep: ${left.join(', ')}`)
      const versions = readdirSync(dir).filter((name) => name.startsWith('site.v'))
      if (versions.length > 2) {
        s.versionsBeyondKeep += versions.length - 2
        problem(`versions after the sweep: ${versions.join(', ')}`)
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  return s
}
