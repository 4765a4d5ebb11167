// No leak in the native layer: RSS and open descriptors flat across many publishes. Run
// alone: with other test files beside it on 2 cores, RSS moved by 14 MiB without a leak.

import test from 'ava'
import { runSoak } from '../reliability/soak.js'

const MiB = 1 << 20

test.serial('20 000 small publishes and 200 streams: RSS and open descriptors stay flat', (t) => {
  const s = runSoak(20_000, 200)
  t.log(`RSS ${(s.rssStart / MiB).toFixed(0)} → ${(s.rssMiddle / MiB).toFixed(0)} → ${(s.rssEnd / MiB).toFixed(0)} MiB; descriptors ${s.fdsStart} → ${s.fdsEnd}`)
  t.is(s.fdsEnd, s.fdsStart, 'no descriptor leaked')
  // Compared from the middle, once allocators have settled: a leak keeps growing there.
  t.true(s.rssEnd - s.rssMiddle < 8 * MiB, `RSS grew by ${((s.rssEnd - s.rssMiddle) / MiB).toFixed(1)} MiB in the second half`)
})
