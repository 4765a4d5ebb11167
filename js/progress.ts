// Progress for stream() and copyFrom(): byte counts that only grow, delivered on the JS thread
// at most every PROGRESS_INTERVAL_MS (and never twice for the same count), with the total as
// the last call. The size to be written is passed along whenever it is known.

const PROGRESS_INTERVAL_MS = 100

export type ProgressCallback = (bytesWritten: number, total?: number) => void

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
  update(bytes: number, total?: number): void {
    const now = performance.now()
    if (bytes <= this.#last || now - this.#lastAt < PROGRESS_INTERVAL_MS) return
    this.#lastAt = now
    // A source that grew while it was copied has outgrown the size it had.
    this.#emit(bytes, total !== undefined && total >= bytes ? total : undefined)
  }

  /** The total, always reported last (unless it was the last count reported). */
  finish(total: number): void {
    if (total !== this.#last) this.#emit(total, total)
  }

  #emit(bytes: number, total: number | undefined): void {
    if (this.error) return
    this.#last = bytes
    try {
      this.callback(bytes, total)
    } catch (thrown) {
      this.error = { thrown }
      this.onError()
    }
  }
}
