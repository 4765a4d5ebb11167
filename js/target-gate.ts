// Call order around a no-overwrite publish (guarantees 7 and 13). Ordinary publishes to one
// target run side by side: the native side commits them by their place in call order, and a
// late one is superseded. A `withOverwrite(false)` publish cannot be ordered that way, since
// its answer (published, or EEXIST) depends on what the calls before it left at the target,
// and the calls after it depend on its answer. So, within this process, it waits until every
// earlier async publish to its target has settled, and every later one waits until it has.
// The wait is here, on the JS side, never on a pool thread: a pool full of waiting publishes
// could never run the ones they wait for.

import { Fifo } from './fifo.js'

interface Waiter {
  exclusive: boolean
  /** Given up (its call aborted) before its turn came. */
  left: boolean
  go: () => void
}

interface Gate {
  running: number
  /** The one running publish is a no-overwrite one. */
  exclusive: boolean
  waiting: Fifo<Waiter>
}

const gates = new Map<string, Gate>()

/** A publish's place at its target's gate: `leave()` once it has settled (or given up). */
export interface Place {
  /** Resolves when the publish may start; undefined when it may start at once. */
  ready: Promise<void> | undefined
  leave: () => void
}

const mayStart = (gate: Gate, exclusive: boolean): boolean => (exclusive ? gate.running === 0 : !gate.exclusive)

function gateOf(target: string): Gate {
  let gate = gates.get(target)
  if (!gate) gates.set(target, (gate = { running: 0, exclusive: false, waiting: new Fifo() }))
  return gate
}

function start(gate: Gate, exclusive: boolean): void {
  gate.running++
  gate.exclusive = exclusive
}

function finish(target: string, gate: Gate): void {
  gate.running--
  gate.exclusive = false
  for (let next; (next = gate.waiting.peek((w) => w.left)) && mayStart(gate, next.exclusive); ) {
    gate.waiting.shift()
    start(gate, next.exclusive)
    next.go()
  }
  if (gate.running === 0 && gate.waiting.length === 0) gates.delete(target)
}

/** Take a place at `target`'s gate, now, in call order. */
export function enterTarget(target: string, exclusive: boolean): Place {
  const gate = gateOf(target)
  if (gate.waiting.length === 0 && mayStart(gate, exclusive)) {
    start(gate, exclusive)
    return { ready: undefined, leave: once(() => finish(target, gate)) }
  }
  const waiter: Waiter = { exclusive, left: false, go: () => {} }
  let started = false
  const ready = new Promise<void>((go) => {
    waiter.go = () => {
      started = true
      go()
    }
  })
  gate.waiting.push(waiter)
  return {
    ready,
    leave: once(() => {
      if (started) finish(target, gate)
      else waiter.left = true
    }),
  }
}

/** A place at `target`'s gate if the publish may start at once, else none (nothing taken). */
export function enterTargetNow(target: string, exclusive: boolean): (() => void) | undefined {
  const gate = gates.get(target)
  if (gate && !(gate.waiting.length === 0 && mayStart(gate, exclusive))) return undefined
  return enterTarget(target, exclusive).leave
}

function once(fn: () => void): () => void {
  let done = false
  return () => {
    if (done) return
    done = true
    fn()
  }
}
