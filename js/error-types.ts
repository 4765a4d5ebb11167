// The errors a caller can tell apart by class or by shape. Kept apart from errors.ts, which
// builds them from the native layer's failures, so that the public declarations name no
// native type.

/**
 * A file-system error as Node's `fs` reports it, plus where the publish stood.
 *
 * @example
 * ```ts
 * try {
 *   await publish('/readonly/out', data)
 * } catch (err) {
 *   const e = err as PublishFsError
 *   console.log(e.code, e.syscall, e.path, e.published)
 * }
 * ```
 */
export interface PublishFsError extends Error {
  code: string
  errno: number
  syscall: string
  path: string
  dest?: string
  /** True only when the rename had happened: the new bytes are visible, maybe not durable. */
  published: boolean
  /** A scratch file that could not be removed, left for `sweepOrphans`. */
  scratch?: string
}

/**
 * The bytes would not have hashed to what the caller expected (`code` `ERR_HASH_MISMATCH`);
 * nothing was published and the target is as it was.
 *
 * @example
 * ```ts
 * try {
 *   await publish('app.tar', bytes, { hash: expected })
 * } catch (err) {
 *   if (err instanceof HashMismatchError) console.log(err.expected, err.actual)
 * }
 * ```
 */
export class HashMismatchError extends Error {
  override readonly name = 'HashMismatchError'
  readonly code = 'ERR_HASH_MISMATCH'
  readonly published = false
  constructor(
    readonly path: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`XXH3-128 of the data is ${actual}, expected ${expected}; nothing was published to '${path}'`)
  }
}

/**
 * A publish cancelled by its signal before the rename; nothing was published. Node's shape:
 * `name` 'AbortError', `code` 'ABORT_ERR', `cause` the signal's reason.
 *
 * @example
 * ```ts
 * const signal = AbortSignal.timeout(5_000)
 * await publish('big.bin', source, { signal }).catch((err) => {
 *   if (err instanceof AbortError) console.log('cancelled:', err.cause)
 * })
 * ```
 */
export class AbortError extends Error {
  override readonly name = 'AbortError'
  readonly code = 'ABORT_ERR'
  constructor(cause?: unknown) {
    super('The operation was aborted', { cause })
  }
}
