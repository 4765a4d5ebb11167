// Where an async compat call takes its place among other calls to its target. The main entry,
// atomic-publish/compat, follows the package's call order (guarantee 7): an async writeFile
// takes its place at the call, even while the caller's `schedule` is pending, so a sync call
// made after it wins. The override packages' entries end as their peers end: both peers start
// an async write only after the calling code has run to completion, so a writeFileSync made in
// the same turn is replaced by it; their async calls take effect in call order.

import test from 'ava'
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import compat = require('atomic-publish/compat')
import writeFileAtomicEntry = require('atomic-publish/compat/write-file-atomic')
import * as atomicallyEntry from 'atomic-publish/compat/atomically'
import { freshDir, roundsHere, scratchIn } from './helpers.js'

const ROUNDS = roundsHere(300)

type Write = (file: string, data: unknown, options?: unknown) => Promise<unknown>
type WriteSync = (file: string, data: unknown, options?: unknown) => unknown
interface Writer {
  write: Write
  writeSync: WriteSync
}

const wfaPeer = require('write-file-atomic') as Write & { sync: WriteSync }
async function peers(): Promise<Record<'write-file-atomic' | 'atomically', { peer: Writer; entry: Writer }>> {
  const atomicallyPeer = (await import('atomically')) as unknown as { writeFile: Write; writeFileSync: WriteSync }
  return {
    'write-file-atomic': {
      peer: { write: wfaPeer, writeSync: wfaPeer.sync },
      entry: { write: writeFileAtomicEntry as Write, writeSync: writeFileAtomicEntry.sync as WriteSync },
    },
    atomically: {
      peer: { write: atomicallyPeer.writeFile, writeSync: atomicallyPeer.writeFileSync },
      entry: { write: atomicallyEntry.writeFile as Write, writeSync: atomicallyEntry.writeFileSync as WriteSync },
    },
  }
}

/** A schedule that resolves a moment later, on a timer. */
const lateSchedule = async (): Promise<() => void> => {
  await new Promise((r) => setTimeout(r, 1))
  return () => {}
}

/**
 * `rounds` times on a fresh name: the calls `make` makes (in one turn), awaited; how often each
 * final content (and each error code) was seen, and any scratch left.
 */
async function tally(rounds: number, make: (target: string) => Array<Promise<unknown> | (() => unknown)>): Promise<{ seen: Record<string, number>; left: string[] }> {
  const dir = freshDir()
  const seen: Record<string, number> = {}
  for (let n = 0; n < rounds; n++) {
    const target = join(dir, `f${n}`)
    const outcomes: string[] = []
    const pending: Array<Promise<unknown>> = []
    for (const call of make(target)) {
      if (typeof call === 'function') {
        try {
          call()
        } catch (err) {
          outcomes.push(`sync ${(err as NodeJS.ErrnoException).code}`)
        }
      } else pending.push(call)
    }
    for (const s of await Promise.allSettled(pending)) if (s.status === 'rejected') outcomes.push(`async ${(s.reason as NodeJS.ErrnoException).code}`)
    const key = [readFileSync(target, 'utf8'), ...outcomes].join(' ')
    seen[key] = (seen[key] ?? 0) + 1
    rmSync(target, { force: true })
  }
  return { seen, left: scratchIn(dir) }
}

const NO_FSYNC = { fsync: false }

test(`compat: writeFile(A) then writeFileSync(B) in one turn ends as B, both succeeding, with and without a pending schedule (${ROUNDS} rounds each)`, async (t) => {
  for (const options of [NO_FSYNC, { ...NO_FSYNC, schedule: lateSchedule }]) {
    const { seen, left } = await tally(ROUNDS, (f) => [compat.writeFile(f, 'A', options), () => compat.writeFileSync(f, 'B', NO_FSYNC)])
    t.deepEqual(seen, { B: ROUNDS }, `schedule: ${'schedule' in options}`)
    t.deepEqual(left, [])
  }
})

test(`compat: async calls whose schedules resolve in reverse order still take effect in call order (${ROUNDS} rounds)`, async (t) => {
  const { seen, left } = await tally(ROUNDS, (f) => {
    let releaseFirst = (): void => {}
    const first = compat.writeFile(f, 'A', {
      ...NO_FSYNC,
      schedule: () => new Promise<() => void>((r) => (releaseFirst = () => r(() => {}))),
    })
    const second = compat.writeFile(f, 'B', NO_FSYNC)
    void second.then(releaseFirst)
    return [first, second]
  })
  t.deepEqual(seen, { B: ROUNDS })
  t.deepEqual(left, [])
})

type Sequence = (w: Writer) => (target: string) => Array<Promise<unknown> | (() => unknown)>
const SEQUENCES: Array<[string, Sequence, Array<'write-file-atomic' | 'atomically'>]> = [
  ['async(A) then sync(B) in one turn', (w) => (f) => [w.write(f, 'A', NO_FSYNC), () => w.writeSync(f, 'B', NO_FSYNC)], ['write-file-atomic', 'atomically']],
  ['async A, B, C', (w) => (f) => ['A', 'B', 'C'].map((v) => w.write(f, v, NO_FSYNC)), ['write-file-atomic', 'atomically']],
  ['async(A) with a schedule then sync(B) in one turn', (w) => (f) => [w.write(f, 'A', { ...NO_FSYNC, schedule: lateSchedule }), () => w.writeSync(f, 'B', NO_FSYNC)], ['atomically']],
]

for (const [what, sequence, names] of SEQUENCES) {
  for (const name of names) {
    test(`compat/${name} ends as ${name} ends: ${what} (${ROUNDS} rounds)`, async (t) => {
      const { peer, entry } = (await peers())[name]
      const theirs = await tally(ROUNDS, sequence(peer))
      const ours = await tally(ROUNDS, sequence(entry))
      t.log(`${name} ${JSON.stringify(theirs.seen)}, compat/${name} ${JSON.stringify(ours.seen)}`)
      // The comparison means something only where the peer itself is deterministic.
      t.is(Object.keys(theirs.seen).length, 1, `${name} itself varies`)
      t.deepEqual(ours.seen, theirs.seen)
      t.deepEqual(ours.left, [])
    })
  }
}
