// SIGKILL mid-publish (guarantees 1 and 4): the target is always a whole version, never an
// older one, and every scratch a kill leaves is found by sweepOrphans. A naive in-place writer
// run through the same harness tears, which shows the check can fail.

import test, { type ExecutionContext } from 'ava'
import { type CrashSummary, runCrashes } from './reliability/crash.js'

/** What every SIGKILL round must leave: whole, never older files, every orphan swept. */
function assertUndamaged(t: ExecutionContext, s: CrashSummary, midway: string): void {
  t.log(`rounds ${s.rounds}, killed ${midway} ${s.killedMidPublish}, torn ${s.torn}, backwards ${s.backwards}, orphans swept ${s.orphansSwept}`)
  t.is(s.torn, 0)
  t.is(s.backwards, 0)
  t.is(s.scratchLeftAfterSweep, 0)
  t.true(s.killedMidPublish > 0, `some kills landed ${midway}`)
}

/** Whether a kill lands mid-publish is up to timing: more rounds until one has (bounded). */
const someKillLanded = { until: (s: CrashSummary) => s.killedMidPublish > 0, maxRounds: 500 }

test.serial('50 rounds of SIGKILL at random moments: no torn target, every orphan swept', async (t) => {
  assertUndamaged(t, await runCrashes(50, { seed: 42, ...someKillLanded }), 'mid-publish')
})

test.serial('30 rounds of SIGKILL during bursts of batched writes to 12 files: each file whole, none older, every orphan swept', async (t) => {
  assertUndamaged(t, await runCrashes(30, { mode: 'burst', seed: 9, ...someKillLanded }), 'mid-burst')
})

test.serial('the same harness catches a naive in-place writer tearing the file', async (t) => {
  const s = await runCrashes(25, { mode: 'naive', seed: 7, until: (s) => s.torn > 0, maxRounds: 250 })
  t.log(`naive writer: ${s.torn} torn targets in ${s.rounds} rounds`)
  t.true(s.torn > 0)
})
