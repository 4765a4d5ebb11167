// Process-wide concerns: removing in-flight scratch files when the process ends, and bounding
// how many streams hold a scratch file open at once.

import { onExit } from 'signal-exit'
import * as native from '../binding.js'

let exitHookInstalled = false

/**
 * On process.exit, an uncaught exception, SIGINT, SIGTERM or SIGHUP, remove the scratch files
 * of publishes still in flight. signal-exit re-raises a signal only when nobody else listens
 * for it, so the process ends exactly as it would have without this package; an application
 * that handles the signal itself keeps running, and its publishes with it.
 */
export function cleanUpOnExit(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  onExit(() => {
    native.removeInFlightScratch()
  })
}

/** A first-come, first-served counting semaphore. */
class Slots {
  #free: number
  readonly #waiting: Array<() => void> = []

  constructor(count: number) {
    this.#free = count
  }

  async acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free--
      return
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve))
  }

  release(): void {
    const next = this.#waiting.shift()
    if (next) next()
    else this.#free++
  }
}

/**
 * A stream holds its scratch file open from its first chunk to its end. Thousands of
 * concurrent streams would run the process out of descriptors (EMFILE) and fail publishes that
 * would succeed a moment later, so the ones past the budget wait their turn, sources paused.
 */
export const streamSlots = new Slots(native.openScratchBudget())
