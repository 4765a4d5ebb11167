// Running clean-up when the process ends, without changing how it ends or whose handlers run.
//
// No process method is patched and no library is relied on: an 'exit' listener covers
// process.exit, the end of the event loop and an uncaught exception, and every other
// 'exit' handler (plain, signal-exit 3 or 4, when-exit) runs as it would have. signal-exit 4
// patched process.emit, which cut out handlers registered with signal-exit 3 (nyc's coverage
// writer among them).
//
// A signal is harder: a listener changes what the signal does. So the package listens only
// while nobody else does, standing in for the default action: it cleans up, steps aside and
// re-raises, and the process dies of the signal as it would have. The moment any other
// listener is added (the application's own, or a library's that counts listeners before
// re-raising, as signal-exit and when-exit do), it steps aside, and comes back when the last
// one goes: a library that re-raises removes its listener first, so the re-raised signal
// finds the stand-in, which then cleans up and re-raises once more. The same holds when the
// application removes the stand-in itself.

import { constants } from 'node:os'

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

type Signal = (typeof SIGNALS)[number]

/** Run `cleanUp` when the process ends by exit, uncaught exception, SIGINT, SIGTERM or SIGHUP. */
export function onProcessEnd(cleanUp: () => void): void {
  process.on('exit', cleanUp)
  const standIns = new Map(SIGNALS.map((signal) => [signal as string | symbol, standInFor(signal, cleanUp)]))
  // One listener each for all three signals: several copies of the package must not add up
  // to Node's max-listeners warning.
  process.on('newListener', (event: string | symbol, listener: unknown) => {
    // 'newListener' comes before the listener is added: stepping aside now would leave the
    // signal without a listener for a moment, and Node would stop catching it.
    const standIn = standIns.get(event)
    if (standIn && listener !== standIn.listener) queueMicrotask(standIn.settle)
  })
  process.on('removeListener', (event: string | symbol, listener: unknown) => {
    // Any removal, the stand-in's own included (process.removeAllListeners(signal), say): it
    // comes back at once if nobody listens, before a signal could find none. Safe inside
    // removeAllListeners, whose loop runs over the listeners it found when it began.
    standIns.get(event)?.settle()
    // The exit clean-up stays too: an application clearing every listener
    // (process.removeAllListeners() or ('exit')) still expects no scratch files left.
    if (event === 'exit' && listener === cleanUp && !process.listeners('exit').includes(cleanUp)) {
      process.on('exit', cleanUp)
    }
  })
  for (const standIn of standIns.values()) standIn.settle()
}

interface StandIn {
  listener: () => void
  /** Listen exactly while no one else does. */
  settle: () => void
}

function standInFor(signal: Signal, cleanUp: () => void): StandIn {
  let dying = false
  const listener = (): void => {
    // Another listener got in, and settle() has not yet run: the signal is theirs.
    if (process.listenerCount(signal) > 1) return
    dying = true
    try {
      cleanUp()
    } finally {
      // Whatever the clean-up met, the signal's default action must still happen.
      process.removeListener(signal, listener)
      reRaise(signal)
    }
  }
  const settle = (): void => {
    const listeners = process.listeners(signal)
    const ours = listeners.includes(listener)
    if (ours && listeners.length > 1) process.removeListener(signal, listener)
    else if (!ours && listeners.length === 0 && !dying) process.on(signal, listener)
  }
  return { listener, settle }
}

/** With no listener left, the signal's default action ends the process. */
function reRaise(signal: Signal): void {
  try {
    process.kill(process.pid, signal)
  } catch {
    // A platform that cannot send it (SIGHUP on Windows): end with the shell's code for it.
    process.exit(128 + constants.signals[signal])
  }
}
