// Coalescing of queued writes to one target. While RUNNING_PER_TARGET publishes to a target
// are under way, a newer write() waits here instead of queueing on the thread pool, and a
// still newer one supersedes it: the superseded call is never written. It resolves (with
// `superseded: true`, its own byte count and its own hash) once the publish that overtook it
// has resolved, and that publish is made at least as durable as the most durable call it
// stands for. Each call still gets its own hash check and its own abort. If the overtaking
// publish fails or is aborted, the newest call it stood for is published after all, so a
// failure never hides an earlier call's success.
//
// Order is not decided here: every call took its place in call order (its ticket) when it was
// made, and the native side commits by ticket, so coalescing only saves work. Each call costs
// O(1) here: waiting calls are pushed, never copied.

import { native } from './load-binding.js'
import type { NativeOutcome } from '../binding.js'
import type { Durability } from './args.js'
import { failedBeforeDisk } from './errors.js'

const RUNNING_PER_TARGET = 2
/** Larger superseded buffers are hashed on the thread pool, not the JS thread. */
const HASH_ON_JS_THREAD_UP_TO = 64 << 10

export interface WriteJob {
  /** The call's own copy of its bytes (made when first asked for, if not already). */
  bytes: () => Uint8Array | Promise<Uint8Array>
  /** The hash the caller expects (normalised), checked even when the write is superseded. */
  expected?: string
  /** How durable the call asked its bytes to be. */
  durability: Durability
  /** Dispatch the publish to the native side at this level. */
  start: (durability: Durability) => Promise<NativeOutcome>
  /** Was the call's abort accepted? */
  aborted: () => boolean
}

interface Entry {
  job: WriteJob
  settle: (outcome: NativeOutcome) => void
  fail: (error: unknown) => void
}

interface TargetQueue {
  running: number
  /** The newest waiting call, and the older waiting calls it supersedes (oldest first). */
  head?: Entry
  superseded: Entry[]
}

const queues = new Map<string, TargetQueue>()

/** Publish `job` at `target`, coalesced with other writes to the same target. */
export function coalescedWrite(target: string, job: WriteJob): Promise<NativeOutcome> {
  let queue = queues.get(target)
  if (!queue) queues.set(target, (queue = { running: 0, superseded: [] }))
  const q = queue
  return new Promise((settle, fail) => {
    const entry = { job, settle, fail }
    if (q.running < RUNNING_PER_TARGET && !q.head) dispatch(target, q, entry, [])
    else {
      if (q.head) q.superseded.push(q.head)
      q.head = entry
    }
  })
}

const LEVELS: readonly Durability[] = ['none', 'file', 'full']

/** The most durable level among `chosen` and the calls it stands for: they resolve on its bytes. */
function strongest(chosen: Entry, superseded: Entry[]): Durability {
  let at = LEVELS.indexOf(chosen.job.durability)
  for (const older of superseded) at = Math.max(at, LEVELS.indexOf(older.job.durability))
  return LEVELS[at]!
}

/** Would a write to `target` be dispatched at once (nothing of it waits here)? */
export function idle(target: string): boolean {
  const q = queues.get(target)
  return !q || (q.running < RUNNING_PER_TARGET && !q.head)
}

/**
 * Count a write dispatched at once without a queue entry (a lone write, see
 * AtomicFile#writeAlone) as running on `target`; only when `idle(target)`. Call the returned
 * function once it has settled.
 */
export function runAlone(target: string): () => void {
  let q = queues.get(target)
  if (!q) queues.set(target, (q = { running: 0, superseded: [] }))
  const queue = q
  queue.running++
  return () => {
    queue.running--
    next(target, queue)
  }
}

const abortedOutcome = (): NativeOutcome => failedBeforeDisk({ kind: 'aborted', code: 'ABORT_ERR' })

function dispatch(target: string, q: TargetQueue, first: Entry, superseded: Entry[]): void {
  // An aborted call is never dispatched: the newest call it stood for goes instead.
  let entry: Entry | undefined = first
  while (entry.job.aborted()) {
    entry.settle(abortedOutcome())
    entry = superseded.pop()
    if (!entry) {
      if (q.running === 0 && !q.head) queues.delete(target)
      return
    }
  }
  const chosen = entry
  q.running++
  chosen.job.start(strongest(chosen, superseded)).then(
    (outcome) => {
      q.running--
      chosen.settle(outcome)
      if (outcome.failure) publishNewest(target, q, superseded)
      else for (const older of superseded) void settleSuperseded(older)
      next(target, q)
    },
    (error: unknown) => {
      q.running--
      chosen.fail(error)
      publishNewest(target, q, superseded)
      next(target, q)
    },
  )
}

/** The overtaking publish failed: publish the newest of the calls it had superseded. */
function publishNewest(target: string, q: TargetQueue, superseded: Entry[]): void {
  const newest = superseded.pop()
  if (newest) dispatch(target, q, newest, superseded)
}

function next(target: string, q: TargetQueue): void {
  if (q.head && q.running < RUNNING_PER_TARGET) {
    const { head, superseded } = q
    q.head = undefined
    q.superseded = []
    dispatch(target, q, head, superseded)
  }
  if (q.running === 0 && !q.head) queues.delete(target)
}

async function settleSuperseded(entry: Entry): Promise<void> {
  const { expected, aborted } = entry.job
  try {
    if (aborted()) return entry.settle(abortedOutcome())
    const bytes = await entry.job.bytes()
    const hash = bytes.byteLength <= HASH_ON_JS_THREAD_UP_TO ? native.xxh3_128(bytes) : await native.hashBytes(bytes)
    if (expected !== undefined && hash !== expected) {
      entry.settle(failedBeforeDisk({ kind: 'hashMismatch', code: 'ERR_HASH_MISMATCH', expected, actual: hash }))
    } else {
      entry.settle({ bytes: bytes.byteLength, hash, superseded: true })
    }
  } catch (error) {
    entry.fail(error)
  }
}
