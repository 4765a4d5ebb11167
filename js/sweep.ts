// sweepOrphans: remove scratch files that a SIGKILL or a power cut left behind.

import { native } from './load-binding.js'
import { type PathLike, resolveNativePath, toBoolean, toNativePath } from './args.js'
import { invalidArgType, outOfRange, toError } from './errors.js'

/** The longest age that means anything: the span a Date can hold, in milliseconds. */
const MAX_AGE_MS = 8.64e15 * 2

export interface SweepOptions {
  /** Only scratch files at least this old (by mtime) are taken; younger ones may be live. Default 60 000. */
  olderThanMs?: number
  /** Descend into subdirectories (never through symlinks). Default false. */
  recursive?: boolean
  /** List what would be removed, remove nothing. Default false. */
  dryRun?: boolean
}

/**
 * A path as the sweep found it: a string where it is UTF-8, otherwise a Buffer of its exact
 * bytes (as `fs.readdir` with `encoding: 'buffer'` gives), which every `fs` call accepts.
 */
export type SweptPath = string | Buffer

/** One subdirectory the sweep could not enter, or one entry it could not open or remove. */
export interface SweepFailure extends Error {
  code: string
  errno: number
  syscall: string
  path: SweptPath
}

/**
 * A sweep that went through everything it could reach but not everything under `dir`:
 * `removed` lists what it removed all the same, `errors` what it could not enter or remove.
 */
export interface SweepIncompleteError extends AggregateError {
  code: 'ERR_SWEEP_INCOMPLETE'
  path: SweptPath
  removed: SweptPath[]
  errors: SweepFailure[]
}

const shown = (path: SweptPath): string => (typeof path === 'string' ? path : path.toString('utf8'))

/**
 * Remove scratch files (`<name>.oxentmp.<random>`) under `dir` whose mtime is at least
 * `olderThanMs` old, never one that a publish, in this process or another, still holds, and
 * return their paths. A subdirectory that cannot be entered, or a scratch that cannot be
 * removed, does not stop the sweep: it goes on with the rest, then rejects with a
 * {@link SweepIncompleteError} that lists both what it removed and what failed. Only a `dir`
 * that cannot be read at all rejects with its own error (ENOENT when it is missing).
 */
export async function sweepOrphans(dir: PathLike, options: SweepOptions = {}): Promise<SweptPath[]> {
  const path = resolveNativePath(toNativePath(dir, 'dir'))
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options)
  const olderThanMs = options.olderThanMs ?? 60_000
  if (typeof olderThanMs !== 'number') throw invalidArgType('options.olderThanMs', 'of type number', olderThanMs)
  if (!(olderThanMs >= 0 && olderThanMs <= MAX_AGE_MS)) {
    throw outOfRange('options.olderThanMs', `>= 0 and <= ${MAX_AGE_MS}`, olderThanMs)
  }
  const outcome = await native.sweep(path.native, {
    olderThanMs,
    recursive: toBoolean(options.recursive ?? false, 'options.recursive'),
    dryRun: toBoolean(options.dryRun ?? false, 'options.dryRun'),
  })
  if (outcome.failure) throw toError(outcome.failure, path.display)
  if (outcome.failures.length === 0) return outcome.removed
  const errors = outcome.failures.map(({ path: failed, failure }) => {
    const err = toError(failure, shown(failed)) as SweepFailure
    err.path = failed
    return err
  })
  const what = errors.length === 1 ? '1 entry' : `${errors.length} entries`
  const err = new AggregateError(errors, `sweepOrphans: ${what} under '${path.display}' could not be swept; removed ${outcome.removed.length}`) as SweepIncompleteError
  err.code = 'ERR_SWEEP_INCOMPLETE'
  err.path = path.native
  err.removed = outcome.removed
  throw err
}
