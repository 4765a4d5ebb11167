// Fuzzed input (fast-check, fixed seed): random builder chains, argument types and values,
// payloads and chunkings. Documented error with the target untouched, or exact bytes and hash.

import test from 'ava'
import { freshDir, scratchIn } from './helpers.js'
import { runFuzz } from './reliability/fuzz.js'

test('300 random builder chains, payloads and chunkings (seed 20261124)', async (t) => {
  const dir = freshDir()
  const s = await runFuzz(dir, 300, 20_261_124)
  t.log(`runs ${s.runs}: published ${s.published}, documented errors ${s.documentedErrors}`)
  t.true(s.published > 30 && s.documentedErrors > 30, 'both outcomes were exercised')
  t.deepEqual(scratchIn(dir), [])
})
