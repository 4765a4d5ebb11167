// Coalescing of queued writes to one target. While RUNNING_PER_TARGET publishes to a target
// are under way, a newer write() waits here instead of queueing on the thread pool, and a
// still newer one supersedes it: the superseded call is never written. It resolves (with
// `superseded: true`, its own byte count and its own hash) once the publish that overtook it
// has resolved — that is, once the later bytes are durable. Each call still gets its own hash
// check and its own abort. If the overtaking publish fails, the newest superseded call is
// published after all, so a failure never hides an earlier call's success.
//
// Order is not decided here: every call took its place in call order (its ticket) when it was
// made, and the native side commits by ticket, so coalescing only saves work.

import * as native from '../binding.js'
import type { NativeOutcome } from '../binding.js'
import { failedBeforeDisk } from './errors.js'

const RUNNING_PER_TARGET = 2
/** Larger superseded buffers are hashed on the thread pool, not the JS thread. */
const HASH_ON_JS_THREAD_UP_TO = 64 << 10

export interface WriteJob {
  bytes: Uint8Array
  /** The hash the caller expects (normalised), checked even when the write is superseded. */
  expected?: string
  /** Dispatch the publish to the native side. */
  start: () => Promise<NativeOutcome>
  /** Has the caller's signal aborted? */
  aborted: () => boolean
}

interface Entry {
  job: WriteJob
  settle: (outcome: NativeOutcome) => void
  fail: (error: unknown) => void
}

interface TargetQueue {
  running: number
  /** The newest waiting call, and the older waiting calls it supersedes. */
  waiting?: { head: Entry; superseded: Entry[] }
}

const queues = new Map<string, TargetQueue>()

/** Publish `job` at `target`, coalesced with other writes to the same target. */
export function coalescedWrite(target: string, job: WriteJob): Promise<NativeOutcome> {
  let queue = queues.get(target)
  if (!queue) queues.set(target, (queue = { running: 0 }))
  const q = queue
  return new Promise((settle, fail) => {
    const entry = { job, settle, fail }
    if (q.running < RUNNING_PER_TARGET && !q.waiting) dispatch(target, q, entry, [])
    else if (!q.waiting) q.waiting = { head: entry, superseded: [] }
    else q.waiting = { head: entry, superseded: [...q.waiting.superseded, q.waiting.head] }
  })
}

function dispatch(target: string, q: TargetQueue, entry: Entry, superseded: Entry[]): void {
  q.running++
  entry.job.start().then(
    (outcome) => {
      q.running--
      entry.settle(outcome)
      if (outcome.failure) publishNewest(target, q, superseded)
      else for (const older of superseded) void settleSuperseded(older)
      next(target, q)
    },
    (error: unknown) => {
      q.running--
      entry.fail(error)
      publishNewest(target, q, superseded)
      next(target, q)
    },
  )
}

/** The overtaking publish failed: publish the newest of the calls it had superseded. */
function publishNewest(target: string, q: TargetQueue, superseded: Entry[]): void {
  const newest = superseded.at(-1)
  if (newest) dispatch(target, q, newest, superseded.slice(0, -1))
}

function next(target: string, q: TargetQueue): void {
  if (q.waiting && q.running < RUNNING_PER_TARGET) {
    const { head, superseded } = q.waiting
    q.waiting = undefined
    dispatch(target, q, head, superseded)
  }
  if (q.running === 0 && !q.waiting) queues.delete(target)
}

async function settleSuperseded(entry: Entry): Promise<void> {
  const { bytes, expected, aborted } = entry.job
  try {
    const hash = bytes.byteLength <= HASH_ON_JS_THREAD_UP_TO ? native.xxh3_128(bytes) : await native.hashBytes(bytes)
    if (expected !== undefined && hash !== expected) {
      entry.settle(failedBeforeDisk({ kind: 'hashMismatch', code: 'ERR_HASH_MISMATCH', expected, actual: hash }))
    } else if (aborted()) {
      entry.settle(failedBeforeDisk({ kind: 'aborted', code: 'ABORT_ERR' }))
    } else {
      entry.settle({ bytes: bytes.byteLength, hash, superseded: true })
    }
  } catch (error) {
    entry.fail(error)
  }
}
