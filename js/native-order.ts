// The native side's part of call order (src/order.rs): a call that reaches its file through
// another spelling (a symlink, a symlinked directory), or whose file another thread is
// publishing to, is ordered there, where the file is known. `target-order.ts` orders the calls
// to one path as written, before they start; this orders what it cannot see. A call the
// native side holds back (an earlier call to its file, whose answer it could change or that
// could change its own, is still under way) has created nothing and kept its place: it is
// submitted again here, after a pause that doubles up to a bound. The wait is a timer on this
// thread, never a pool thread, and an accepted abort ends it at once.

import type { NativeOutcome } from '../binding.js'
import type { Call } from './call.js'

const FIRST_PAUSE_MS = 1
const LONGEST_PAUSE_MS = 50

/** `submit`'s outcome, once the native side has let it take its turn. */
export async function inNativeOrder(call: Call, submit: () => Promise<NativeOutcome>): Promise<NativeOutcome> {
  for (let pause = FIRST_PAUSE_MS; ; pause = Math.min(pause * 2, LONGEST_PAUSE_MS)) {
    const outcome = await submit()
    if (outcome.failure?.kind !== 'orderPending') return outcome
    await call.wait(new Promise<void>((resolve) => setTimeout(resolve, pause)))
  }
}
