// One async call's handle on its publish: its place in call order (taken when the call is
// made), and the one abort mechanism every wait of the call goes through.
//
// An abort is a race with the rename, settled natively: `control.cancel()` is accepted only
// while the rename has not begun. An accepted abort rejects whatever the call is waiting for
// at once (a queue, a pool thread, a slot, an fsync); the native side then never renames and
// removes the scratch on its own. A refused one changes nothing: the publish completes.

import { native } from './load-binding.js'
import { AbortError } from './errors.js'

export class Call {
  readonly control: InstanceType<typeof native.NativeControl>
  /** The abort was accepted: this call will never publish. */
  aborted = false
  readonly #signal: AbortSignal | undefined
  /** Rejects the one wait in progress; waits of a call are sequential. */
  #rejectWait: ((error: unknown) => void) | undefined
  readonly #onAbort = (): void => {
    if (!this.control.cancel()) return
    this.aborted = true
    this.#rejectWait?.(this.abortError())
  }

  /** `exclusive`: a `withOverwrite(false)` call; `target` its path (for sync calls elsewhere). */
  constructor(signal: AbortSignal | undefined, exclusive: boolean, target: string | Buffer) {
    this.control = new native.NativeControl(exclusive, target)
    this.#signal = signal
    if (signal?.aborted) this.#onAbort()
    else signal?.addEventListener('abort', this.#onAbort, { once: true })
  }

  abortError(): AbortError {
    return new AbortError(this.#signal?.reason)
  }

  /**
   * `work`'s result, or an AbortError at once when the abort is accepted first. Only `work`
   * holds a reaction of this wait, so a long call with many waits never piles them up on
   * the signal.
   */
  wait<T>(work: Promise<T>): Promise<T> {
    if (this.aborted) {
      work.catch(() => {})
      return Promise.reject(this.abortError())
    }
    if (!this.#signal) return work
    return new Promise<T>((resolve, reject) => {
      this.#rejectWait = reject
      work.then(resolve, reject)
    })
  }

  /** The call has settled: stop listening, and give up its place in call order. */
  done(): void {
    this.#rejectWait = undefined
    this.#signal?.removeEventListener('abort', this.#onAbort)
    this.control.retire()
  }
}
