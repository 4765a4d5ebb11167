// A model of guarantees 7 and 13 for checking what a run of calls to one target observed: is
// there a history, with the calls taking effect one after another in the order they were made,
// that gives every call the result it got and leaves the file as it was found?

/** What one call was, as far as its possible results go. */
export interface CallShape {
  /** `withOverwrite(false)`. */
  exclusive: boolean
  /** A synchronous terminal: the only kind that may answer ERR_ORDER_PENDING. */
  sync: boolean
  /** Its expected hash does not match its bytes. */
  badHash: boolean
  /** Its signal: aborted before the call, aborted some time after it, or none. */
  abort: 'none' | 'before' | 'later'
  /** What it publishes. */
  content: string
}

/** What a call's result, or its error, says happened. */
export type Observed = 'published' | 'superseded' | 'EEXIST' | 'ERR_HASH_MISMATCH' | 'ABORT_ERR' | 'ERR_ORDER_PENDING'

/** Classify a settled call; anything else is a failure of the run itself. */
export function observe(settled: PromiseSettledResult<{ superseded?: true } | undefined>): Observed | string {
  if (settled.status === 'fulfilled') return settled.value?.superseded ? 'superseded' : 'published'
  const code = (settled.reason as { code?: unknown }).code
  const known = ['EEXIST', 'ERR_HASH_MISMATCH', 'ABORT_ERR', 'ERR_ORDER_PENDING']
  return typeof code === 'string' && known.includes(code) ? code : `unexpected: ${String(settled.reason)}`
}

/**
 * Why `results` cannot come from `calls` taking effect in call order on a target that held
 * `initial` (undefined: no file), ending with `final` there; undefined when they can.
 */
export function impossibleInCallOrder(
  calls: CallShape[],
  results: Array<Observed | string>,
  initial: string | undefined,
  final: string | undefined,
): string | undefined {
  let content = initial
  /** A superseded call waiting for the later call that overtook it. */
  let overtakenBy: number | undefined
  for (const [i, call] of calls.entries()) {
    const result = results[i]
    const { content: _, ...flags } = call
    const at = `call ${i} (${JSON.stringify(flags)})`
    switch (result) {
      case 'published':
      case 'superseded':
        if (call.badHash || call.abort === 'before') return `${at} ${result} though it should have failed`
        if (call.exclusive && result === 'superseded') return `${at}: a no-overwrite publish was superseded`
        if (call.exclusive && content !== undefined) return `${at} published over a file that an earlier call left`
        content = call.content
        overtakenBy = result === 'superseded' ? i : undefined
        break
      case 'EEXIST':
        if (!call.exclusive) return `${at}: EEXIST without withOverwrite(false)`
        if (content === undefined) return `${at}: EEXIST though no earlier call left a file`
        break
      case 'ERR_HASH_MISMATCH':
        if (!call.badHash) return `${at}: a hash mismatch with the right hash`
        break
      case 'ABORT_ERR':
        if (call.abort === 'none') return `${at}: aborted without an abort`
        break
      case 'ERR_ORDER_PENDING':
        if (!call.sync) return `${at}: ERR_ORDER_PENDING from an async call`
        break
      default:
        return `${at}: ${result}`
    }
  }
  if (overtakenBy !== undefined) return `call ${overtakenBy} was superseded, but no later call published`
  if (content !== final) return `the file holds ${JSON.stringify(final)}, call order leaves ${JSON.stringify(content)}`
  return undefined
}
