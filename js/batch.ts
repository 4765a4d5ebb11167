// Batching of small writes across targets. While as many write tasks as the thread pool has
// threads are running, further small writes wait here, and the next lane to come free takes
// them (up to MAX_BATCH) as one native task. That task fills every scratch before it fsyncs
// any and renames them all before one directory fsync, so a burst of writes pays a few
// journal commits instead of two each (see src/batch.rs). With the pool not busy, a write is
// dispatched at once on its own: batching adds no wait to a lone publish. A call whose abort
// was accepted while it waited here has already rejected (see call.ts); it is dropped when it
// reaches the front.

import { native } from './load-binding.js'
import type { NativeOutcome, NativePublishConfig } from '../binding.js'
import type { Call } from './call.js'
import { failedBeforeDisk } from './errors.js'
import { Fifo } from './fifo.js'

/** Writes larger than this are dispatched on their own: they are bound by bandwidth. */
const BATCH_UP_TO_BYTES = 64 << 10
/** Bounds the latency a batch adds to the first write in it. */
const MOST_PER_BATCH = 16

interface Queued {
  target: string | Buffer
  bytes: Uint8Array
  config: NativePublishConfig
  call: Call
  settle: (outcome: NativeOutcome) => void
  fail: (error: unknown) => void
}

/** libuv's pool size as libuv reads it: UV_THREADPOOL_SIZE, 1–1024, else 4. */
export function poolSize(): number {
  const n = Number.parseInt(process.env.UV_THREADPOOL_SIZE ?? '', 10)
  return Number.isFinite(n) && n > 0 ? Math.min(n, 1024) : 4
}

const lanes = poolSize()
/**
 * A batch holds every one of its scratch files open until its renames, so all lanes together
 * stay within the scratch-descriptor budget (a quarter of the limit). Under a low limit with
 * a large pool that means batches of one: never EMFILE from batching itself.
 */
const MAX_BATCH = Math.max(1, Math.min(MOST_PER_BATCH, Math.floor(native.openScratchBudget() / lanes)))
let running = 0
const queue = new Fifo<Queued>()

/** Publish `bytes` (the call's own copy) at `target`, on its own or in a batch. */
export function batchedWrite(
  target: string | Buffer,
  bytes: Uint8Array,
  config: NativePublishConfig,
  call: Call,
): Promise<NativeOutcome> {
  if (bytes.byteLength > BATCH_UP_TO_BYTES) return native.publishBytes(target, bytes, config, call.control)
  if (running < lanes) {
    const outcome = native.publishBytes(target, bytes, config, call.control)
    running++
    outcome.then(nextBatch, nextBatch)
    return outcome
  }
  return new Promise((settle, fail) => queue.push({ target, bytes, config, call, settle, fail }))
}

/** Would a small write be dispatched at once, on a lane of its own? */
export function laneFree(): boolean {
  return running < lanes
}

/**
 * Count a write dispatched on its own outside this queue (a lone write, see
 * AtomicFile#writeAlone) as running on a lane; only when `laneFree()`. Call the returned
 * function once it has settled.
 */
export function takeLane(): () => void {
  running++
  return nextBatch
}

const abandoned = (job: Queued): boolean => job.call.aborted
const dropAborted = (job: Queued): void => job.settle(failedBeforeDisk({ kind: 'aborted', code: 'ABORT_ERR' }))

/** A lane came free: start queued writes. */
function nextBatch(): void {
  running--
  // A batch that could not be dispatched takes no lane: keep going until one is running.
  while (running < lanes && queue.length > 0) {
    const jobs: Queued[] = []
    for (let job; jobs.length < MAX_BATCH && (job = queue.shift(abandoned, dropAborted)); ) jobs.push(job)
    if (jobs.length > 0) runBatch(jobs)
  }
}

function runBatch(jobs: Queued[]): void {
  const batch = new native.NativeBatch()
  const added: Queued[] = []
  for (const job of jobs) {
    try {
      batch.add(job.target, job.bytes, job.config, job.call.control)
      added.push(job)
    } catch (error) {
      job.fail(error)
    }
  }
  if (added.length === 0) return
  let outcomes: Promise<NativeOutcome[]>
  try {
    outcomes = batch.run()
  } catch (error) {
    for (const job of added) job.fail(error)
    return
  }
  running++
  outcomes.then(
    (results) => {
      nextBatch()
      added.forEach((job, i) => job.settle(results[i]!))
    },
    (error: unknown) => {
      nextBatch()
      for (const job of added) job.fail(error)
    },
  )
}
