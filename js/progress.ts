// Progress for stream() and copyFrom(): byte counts that only grow, delivered on the JS thread
// at most every PROGRESS_INTERVAL_MS (and never twice for the same count), with the total as
// the last call.

const PROGRESS_INTERVAL_MS = 100

export type ProgressCallback = (bytesWritten: number) => void

export class ProgressReporter {
  #last = -1
  #lastAt = Number.NEGATIVE_INFINITY
  /** What the callback threw, if it did: the publish is then cancelled. */
  error: { thrown: unknown } | undefined

  constructor(
    private readonly callback: ProgressCallback,
    private readonly onError: () => void,
  ) {}

  /** A new count; reported now unless one was reported moments ago. */
  update(bytes: number): void {
    const now = performance.now()
    if (bytes <= this.#last || now - this.#lastAt < PROGRESS_INTERVAL_MS) return
    this.#lastAt = now
    this.#emit(bytes)
  }

  /** The total, always reported last (unless it was the last count reported). */
  finish(total: number): void {
    if (total !== this.#last) this.#emit(total)
  }

  #emit(bytes: number): void {
    if (this.error) return
    this.#last = bytes
    try {
      this.callback(bytes)
    } catch (thrown) {
      this.error = { thrown }
      this.onError()
    }
  }
}
