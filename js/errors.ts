// Errors shaped the way Node shapes its own, built on the JS thread from the native layer's
// plain-data failures (a native rejection would lose `code`, `errno` and `syscall`).

import { getSystemErrorMap, inspect } from 'node:util'
import type { NativeFailure, NativeOutcome } from '../binding.js'
import { AbortError, HashMismatchError, type PublishFsError } from './error-types.js'

export { AbortError, HashMismatchError, type PublishFsError }

/** An outcome that failed before the native side touched the disk (no errno, no syscall). */
export function failedBeforeDisk(failure: Pick<NativeFailure, 'kind' | 'code'> & Partial<NativeFailure>): NativeOutcome {
  const base = { errno: 0, description: '', syscall: '', subject: 'target', published: false }
  return { bytes: 0, superseded: false, failure: { ...base, ...failure } }
}

/** A sync call refused because earlier calls to its target are still under way. */
export interface OrderPendingError extends Error {
  code: 'ERR_ORDER_PENDING'
  path: string
  published: false
}

/**
 * ERR_ORDER_PENDING: a sync call would overtake earlier async calls to `path` that it cannot
 * wait for (guarantee 7); nothing was done.
 */
export function orderPending(path: string): OrderPendingError {
  const err = new Error(
    `ERR_ORDER_PENDING: a synchronous publish cannot wait for the publishes to the same file called before it and still under way; nothing was published to '${path}'`,
  ) as OrderPendingError
  err.code = 'ERR_ORDER_PENDING'
  err.path = path
  err.published = false
  return err
}

/** Turn a native failure into the error the caller sees. `path` is what it concerns. */
export function toError(failure: NativeFailure, target: string, source?: string, abortReason?: unknown): Error {
  switch (failure.kind) {
    case 'hashMismatch':
      return withScratch(new HashMismatchError(target, failure.expected ?? '', failure.actual ?? ''), failure)
    case 'aborted':
      return withScratch(new AbortError(abortReason), failure)
    case 'orderPending':
      return orderPending(target)
    case 'invalidEntry':
      return invalidArgValue('path', failure.detail ?? '', 'must be a relative path of plain names')
    case 'outOfRange': {
      const err = outOfRange('mtime', 'a time this file system can store', failure.detail)
      err.message = `${failure.detail ?? 'The mtime cannot be stored'}; nothing was published to '${target}'`
      return err
    }
    default:
      return fsError(failure, target, source)
  }
}

/** A scratch the clean-up could not remove, named on the error for `sweepOrphans`. */
function withScratch<E extends Error>(err: E, failure: NativeFailure): E {
  if (failure.scratch != null) (err as E & { scratch?: string }).scratch = failure.scratch
  return err
}

function fsError(failure: NativeFailure, target: string, source?: string): PublishFsError {
  const bySource = failure.subject === 'source' && source !== undefined
  const path = bySource ? source : target
  // Node's own wording where it has one, so messages read exactly like fs's.
  const description = getSystemErrorMap().get(failure.errno)?.[1] ?? failure.description
  // A failed mkdir names the directory it could not create (in `detail`), as fs.mkdir would;
  // `path` is still the target.
  const mkdir = failure.syscall === 'mkdir' && failure.detail != null
  const detail = failure.detail != null && !mkdir ? ` (${failure.detail})` : ''
  const err = new Error(
    `${failure.code}: ${description}, ${failure.syscall} '${mkdir ? failure.detail : path}'${detail}`,
  ) as PublishFsError
  err.errno = failure.errno
  err.code = failure.code
  err.syscall = failure.syscall
  err.path = path
  if (bySource) err.dest = target
  err.published = failure.published
  if (failure.scratch != null) err.scratch = failure.scratch
  return err
}

interface CodedTypeError extends TypeError {
  code: string
}

function describeReceived(value: unknown): string {
  if (value === null || value === undefined) return `Received ${value}`
  if (typeof value === 'function') return `Received function ${value.name || '<anonymous>'}`
  if (typeof value === 'object') {
    const name = value.constructor?.name
    return name ? `Received an instance of ${name}` : `Received ${inspect(value, { depth: -1 })}`
  }
  let shown = inspect(value, { colors: false })
  if (shown.length > 28) shown = `${shown.slice(0, 25)}...`
  return `Received type ${typeof value} (${shown})`
}

/**
 * What `name` is, in Node's words: `options.mode` is a property, `--hash` a command-line
 * option, anything else an argument.
 */
function kindOf(name: string): string {
  return name.startsWith('--') ? 'option' : name.includes('.') ? 'property' : 'argument'
}

/** `ERR_INVALID_ARG_TYPE`, worded as Node words it. */
export function invalidArgType(name: string, expected: string, actual: unknown): TypeError {
  const err = new TypeError(
    `The "${name}" ${kindOf(name)} must be ${expected}. ${describeReceived(actual)}`,
  ) as CodedTypeError
  err.code = 'ERR_INVALID_ARG_TYPE'
  return err
}

/** `ERR_INVALID_ARG_VALUE`, worded as Node words it. */
export function invalidArgValue(name: string, value: unknown, reason: string): TypeError {
  let shown = inspect(value)
  if (shown.length > 128) shown = `${shown.slice(0, 128)}...`
  const err = new TypeError(
    `The ${kindOf(name)} '${name}' ${reason}. Received ${shown}`,
  ) as CodedTypeError
  err.code = 'ERR_INVALID_ARG_VALUE'
  return err
}

/** `ERR_OUT_OF_RANGE`, worded as Node words it. */
export function outOfRange(name: string, range: string, value: unknown): RangeError {
  const err = new RangeError(
    `The value of "${name}" is out of range. It must be ${range}. Received ${inspect(value)}`,
  ) as RangeError & { code: string }
  err.code = 'ERR_OUT_OF_RANGE'
  return err
}
