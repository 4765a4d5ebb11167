// Each JavaScript environment has its own clean-up: worker threads started and ended again and
// again in one process (terminated, by process.exit(), by running out of work) each remove
// their own scratch as they end, and never the main thread's.

import test from 'ava'
import { freshDir, runChild } from './helpers.js'

interface Out {
  problems: string[]
  main: string
  left: string[]
}

test("30 worker environments, each ending with a stream in flight, remove their own scratch and never the main thread's", (t) => {
  const dir = freshDir()
  const run = runChild<Out>('environments-child', [dir, '30'], { timeout: 10 * 60_000 })
  t.is(run.status, 0, run.stderr)
  t.deepEqual(run.out?.problems, [])
  t.is(run.out?.main, 'main first, main second')
  t.deepEqual(run.out?.left, [])
})
