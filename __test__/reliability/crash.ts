// SIGKILL at random moments: a child publishes successive self-checking versions and is
// killed 0–120 ms after it starts, round after round. After each kill the target must be a
// whole version, never older than the last one seen, and sweepOrphans must find every scratch
// the kill left. Shared by the CI test (50 rounds) and the heavy run (1000).

import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sweepOrphans, xxh3_128 } from 'atomic-publish'
import { burstTargets } from '../fixtures/crash-child.js'

export interface CrashSummary {
  rounds: number
  killedMidPublish: number
  torn: number
  backwards: number
  orphansSwept: number
  scratchLeftAfterSweep: number
}

/** The version number in `bytes`, or null when they are not one whole version. */
function parse(bytes: Buffer): number | null {
  const nl = bytes.indexOf(10)
  if (nl < 0) return null
  const [n, hash] = bytes.subarray(0, nl).toString().split(' ')
  return xxh3_128(bytes.subarray(nl + 1)) === hash ? Number(n) : null
}

type Mode = 'naive' | 'burst' | undefined

function killAfter(target: string, start: number, delayMs: number, mode: Mode): Promise<void> {
  return new Promise((resolve, reject) => {
    const args = [join(__dirname, '..', 'fixtures', 'crash-child.js'), target, String(start)]
    const child = spawn(process.execPath, mode ? [...args, mode] : args, { stdio: ['ignore', 'pipe', 'inherit'] })
    child.stdout.once('data', () => setTimeout(() => child.kill('SIGKILL'), delayMs))
    child.on('error', reject)
    child.on('close', () => resolve())
  })
}

/**
 * `burst`: every version goes to 12 targets at once (batched writes), and each of them is
 * checked the same way. `until`: after `rounds`, more rounds (up to `maxRounds`) until it holds,
 * so that a summary that must show some interleaving (a kill mid-publish) does not depend on
 * how fast the machine is.
 */
export async function runCrashes(
  rounds: number,
  options: { mode?: Mode; seed?: number; until?: (s: CrashSummary) => boolean; maxRounds?: number } = {},
): Promise<CrashSummary> {
  const dir = mkdtempSync(join(tmpdir(), 'ap-crash-'))
  const target = join(dir, 'target')
  const checked = options.mode === 'burst' ? burstTargets(target) : [target]
  const summary: CrashSummary = { rounds, killedMidPublish: 0, torn: 0, backwards: 0, orphansSwept: 0, scratchLeftAfterSweep: 0 }
  const seen = new Map(checked.map((t) => [t, 0]))
  let state = options.seed ?? 1
  const random = () => ((state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0) / 2 ** 32)
  try {
    const more = (round: number): boolean =>
      round < rounds || (options.until !== undefined && !options.until(summary) && round < (options.maxRounds ?? rounds))
    for (let round = 0; more(round); round++) {
      summary.rounds = round + 1
      // Versions only grow: start the child past every version any target has shown.
      await killAfter(target, Math.max(...seen.values()), Math.floor(random() * 120), options.mode)
      for (const file of checked) {
        if (!existsSync(file)) continue
        const n = parse(readFileSync(file))
        if (n === null) summary.torn++
        else if (n < (seen.get(file) ?? 0)) summary.backwards++
        else seen.set(file, n)
      }
      const orphans = await sweepOrphans(dir, { olderThanMs: 0 })
      if (orphans.length > 0) summary.killedMidPublish++
      summary.orphansSwept += orphans.length
      summary.scratchLeftAfterSweep += readdirSync(dir).filter((name) => name.includes('.oxentmp.')).length
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  return summary
}
