// Process-wide concerns: removing in-flight scratch files when the process ends, and bounding
// how many streams hold a scratch file open at once.

import { isMainThread } from 'node:worker_threads'
import { native } from './load-binding.js'
import { Fifo } from './fifo.js'
import { onProcessEnd } from './process-end.js'

let exitHookInstalled = false

/**
 * Each environment (the main thread, each worker) registers itself, so that when it ends its
 * own in-flight scratch files are removed, natively, and no other's (guarantee 14).
 *
 * The main thread also removes them all on process.exit, an uncaught exception, SIGINT,
 * SIGTERM or SIGHUP, and from then on no publish creates one (see `process-end.ts` for how
 * the process still ends as it would have, and an application that handles the signal itself
 * keeps running, its publishes with it). That hook belongs to the main thread: a worker's
 * 'exit' is not the process's. Where only workers load the package, no JavaScript listener
 * hears a signal at all, so a worker's load installs a native handler for the three signals
 * instead (Unix; it steps aside for any JavaScript listener, as the stand-ins do).
 */
export function cleanUpOnExit(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  native.registerEnvironment()
  if (!isMainThread) return native.guardSignalsNatively()
  native.mainThreadListens()
  onProcessEnd(() => {
    native.removeInFlightScratch()
  })
}

/** A first-come, first-served counting semaphore whose waiters may be abandoned. */
class Slots {
  #free: number
  readonly #waiting = new Fifo<{ grant: () => void; abandoned: () => boolean }>()

  constructor(count: number) {
    this.#free = count
  }

  /** A slot; `abandoned` tells that the waiter no longer wants it (its call was aborted). */
  async acquire(abandoned: () => boolean = () => false): Promise<void> {
    if (this.#free > 0) {
      this.#free--
      return
    }
    await new Promise<void>((grant) => this.#waiting.push({ grant, abandoned }))
    // Granted to a waiter that gave up meanwhile: pass it on.
    if (abandoned()) this.release()
  }

  release(): void {
    const next = this.#waiting.shift((w) => w.abandoned())
    if (next) next.grant()
    else this.#free++
  }
}

/**
 * A stream holds its scratch file open from its first chunk to its end. Thousands of
 * concurrent streams would run the process out of descriptors (EMFILE) and fail publishes that
 * would succeed a moment later, so the ones past the budget wait their turn, sources paused.
 */
export const streamSlots = new Slots(native.openScratchBudget())
