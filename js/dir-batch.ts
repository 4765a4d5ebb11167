// Gathering a stage's small writes into one native call. While as many staging jobs of this
// stage as the thread pool has threads are running, further small writes wait here, and the
// next job to finish sends them (up to MOST_PER_BATCH) as one pool job. With the pool not
// busy, a write is sent at once on its own: gathering adds no wait to a lone write. Each
// write of a batch succeeds or fails on its own (a hash mismatch fails that write, and the
// stage then refuses to commit); a stage that was cancelled refuses the writes still queued.

import type { NativeDirStage, NativeEntryConfig, NativeOutcome } from '../binding.js'
import { poolSize } from './batch.js'

/** Larger writes go on their own: they are bound by bandwidth, not by the call. */
const BATCH_UP_TO_BYTES = 64 << 10
/** Bounds the wait a batch adds to the first write in it. */
const MOST_PER_BATCH = 64

interface Queued {
  path: string | Buffer
  bytes: Uint8Array
  config: NativeEntryConfig
  settle: (outcome: NativeOutcome) => void
  fail: (error: unknown) => void
}

/** The small writes of one stage, sent alone or gathered. */
export class StageWrites {
  readonly #stage: NativeDirStage
  #running = 0
  #queue: Queued[] = []

  constructor(stage: NativeDirStage) {
    this.#stage = stage
  }

  write(path: string | Buffer, bytes: Uint8Array, config: NativeEntryConfig): Promise<NativeOutcome> {
    if (bytes.byteLength > BATCH_UP_TO_BYTES) return this.#stage.writeFile(path, bytes, config)
    if (this.#running < poolSize()) return this.#track(this.#stage.writeFile(path, bytes, config))
    return new Promise((settle, fail) => this.#queue.push({ path, bytes, config, settle, fail }))
  }

  #track<T>(job: Promise<T>): Promise<T> {
    this.#running++
    const done = (): void => {
      this.#running--
      this.#next()
    }
    job.then(done, done)
    return job
  }

  /** A job finished: send what waits, as one batch per free lane. */
  #next(): void {
    while (this.#running < poolSize() && this.#queue.length > 0) {
      const jobs = this.#queue.splice(0, MOST_PER_BATCH)
      let outcomes: Promise<NativeOutcome[]>
      try {
        outcomes = this.#stage.writeFiles(jobs.map((j) => j.path), jobs.map((j) => j.bytes), jobs.map((j) => j.config))
      } catch (error) {
        for (const job of jobs) job.fail(error)
        continue
      }
      this.#track(outcomes).then(
        (results) => jobs.forEach((job, i) => job.settle(results[i]!)),
        (error: unknown) => jobs.forEach((job) => job.fail(error)),
      )
    }
  }
}
