// The one call order per target (guarantees 7 and 13), for every terminal, sync and async.
//
// Each call takes its place here when it is made, keyed by its target: `enterTarget` for an
// async call, `enterTargetSync` for a sync one (and for a lone write, `enterTargetNow`). The
// place is held until the call has settled. Ordinary publishes to one target run side by side:
// the native side commits them by the ticket each took at the call, and an overtaken one is
// superseded. A `withOverwrite(false)` publish cannot be ordered that way, since its answer
// (published, or EEXIST) depends on what the calls before it left at the target, and the calls
// after it depend on its answer. So it waits until every earlier call to its target has
// settled, and every later one waits until it has.
//
// A sync call cannot wait: it takes its place only where it could start at once, that is
// where it would overtake no call whose answer it could change or that could change its own
// (ordinary calls behind ordinary calls; anything on a target with nothing pending). Otherwise
// it fails with ERR_ORDER_PENDING and touches nothing. A sync call holds its place while it
// runs, so a call made meanwhile (from a compat scratch hook) comes after it.
//
// Waits are here, on the JS side, never on a pool thread: a pool full of waiting publishes
// could never run the ones they wait for. Each call costs O(1): waiters are pushed, never
// searched, and one that gave up is dropped when it comes out.

import { orderPending } from './errors.js'
import { Fifo } from './fifo.js'

interface Waiter {
  exclusive: boolean
  /** Given up (its call aborted) before its turn came. */
  left: boolean
  go: () => void
}

interface Order {
  /** Calls under way (started, not yet settled). */
  running: number
  /** The one call under way is a no-overwrite one. */
  exclusive: boolean
  /** Calls that may not start yet, in call order (with some that gave up, skipped later). */
  waiting: Fifo<Waiter>
  /** How many in `waiting` have not given up: one that gave up holds back nothing. */
  live: number
}

const orders = new Map<string, Order>()

/** A call's place in its target's order: `leave()` once it has settled (or given up). */
export interface Place {
  /** Resolves when the call may start; undefined when it may start at once. */
  ready: Promise<void> | undefined
  leave: () => void
}

const mayStart = (order: Order, exclusive: boolean): boolean => (exclusive ? order.running === 0 : !order.exclusive)

/** May a call start at once, ahead of nothing that waits? */
const startsNow = (order: Order | undefined, exclusive: boolean): boolean =>
  !order || (order.live === 0 && mayStart(order, exclusive))

function orderOf(target: string): Order {
  let order = orders.get(target)
  if (!order) orders.set(target, (order = { running: 0, exclusive: false, waiting: new Fifo(), live: 0 }))
  return order
}

function start(order: Order, exclusive: boolean): void {
  order.running++
  order.exclusive = exclusive
}

function finish(target: string, order: Order): void {
  order.running--
  order.exclusive = false
  startWaiting(target, order)
}

/** Start the waiting calls that now may, in order; forget the target once nothing is left. */
function startWaiting(target: string, order: Order): void {
  for (let next; (next = order.waiting.peek((w) => w.left)) && mayStart(order, next.exclusive); ) {
    order.waiting.shift()
    order.live--
    start(order, next.exclusive)
    next.go()
  }
  if (order.running === 0 && order.live === 0 && orders.get(target) === order) orders.delete(target)
}

/** Take an async call's place at `target`, now, in call order. */
export function enterTarget(target: string, exclusive: boolean): Place {
  const order = orderOf(target)
  if (startsNow(order, exclusive)) {
    start(order, exclusive)
    return { ready: undefined, leave: once(() => finish(target, order)) }
  }
  const waiter: Waiter = { exclusive, left: false, go: () => {} }
  let started = false
  const ready = new Promise<void>((go) => {
    waiter.go = () => {
      started = true
      go()
    }
  })
  order.waiting.push(waiter)
  order.live++
  return {
    ready,
    leave: once(() => {
      if (started) return finish(target, order)
      // Given up at once: later calls (sync ones too) no longer wait for it.
      waiter.left = true
      order.live--
      startWaiting(target, order)
    }),
  }
}

/** A place at `target` if the call may start at once, else none (nothing taken). */
export function enterTargetNow(target: string, exclusive: boolean): (() => void) | undefined {
  if (!startsNow(orders.get(target), exclusive)) return undefined
  return enterTarget(target, exclusive).leave
}

/**
 * A sync call's place at `target` (the key; `path` names it in the error): taken where the
 * call may start at once, else ERR_ORDER_PENDING, with nothing taken or touched.
 */
export function enterTargetSync(target: string, exclusive: boolean, path: string): () => void {
  const leave = enterTargetNow(target, exclusive)
  if (!leave) throw orderPending(path)
  return leave
}

function once(fn: () => void): () => void {
  let done = false
  return () => {
    if (done) return
    done = true
    fn()
  }
}
