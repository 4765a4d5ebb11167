// SIGKILL at random moments of directory commits (both layouts, plain ones partly incremental):
// the target is always one whole version, never an older one, and a sweep leaves no scratch
// beside it. A naive writer that rewrites the tree in place, run through the same harness, is
// caught, which shows the check can fail. The heavy run (`npm run test:reliability`) does 1 000
// rounds of the plain layout and 300 of the versioned one.

import test, { type ExecutionContext } from 'ava'
import { type DirCrashSummary, runDirCrashes } from './reliability/dir-crash.js'
import { directorySwap, needs } from './helpers.js'

function assertWhole(t: ExecutionContext, s: DirCrashSummary): void {
  t.log(`rounds ${s.rounds}, killed mid-commit ${s.killedMidCommit}, mixed ${s.mixed}, missing ${s.missing}, backwards ${s.backwards}, orphans swept ${s.orphansSwept}`)
  for (const p of s.problems) t.log(p)
  t.is(s.mixed, 0)
  t.is(s.missing, 0)
  t.is(s.backwards, 0)
  t.is(s.scratchLeftAfterSweep, 0)
  t.is(s.versionsBeyondKeep, 0)
  t.true(s.killedMidCommit > 0, 'some kills landed inside a commit')
}

/** Whether a kill lands inside a commit is up to timing: more rounds until one has (bounded). */
const someKillLanded = { until: (s: DirCrashSummary) => s.killedMidCommit > 0, maxRounds: 300 }

needs([], { serial: true, also: directorySwap })('20 rounds of SIGKILL during plain directory commits, some incremental: one whole version each time, every orphan swept', async (t) => {
  assertWhole(t, await runDirCrashes(20, { layout: 'plain', seed: 31, ...someKillLanded }))
})

needs([], { serial: true, also: directorySwap })('20 rounds of SIGKILL during versioned directory commits: the link names one whole version each time, every orphan swept', async (t) => {
  assertWhole(t, await runDirCrashes(20, { layout: 'versioned', seed: 32, ...someKillLanded }))
})

needs([], { serial: true, also: directorySwap })('the same harness catches a naive writer that rewrites the tree in place', async (t) => {
  const s = await runDirCrashes(5, { layout: 'naive', seed: 33, until: (s) => s.mixed + s.missing > 0, maxRounds: 300 })
  t.log(`naive writer: ${s.mixed} mixed and ${s.missing} missing targets in ${s.rounds} rounds; ${s.problems[0] ?? ''}`)
  t.true(s.mixed + s.missing > 0)
})
