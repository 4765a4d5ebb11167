// sweepOrphans: remove scratch files that a SIGKILL or a power cut left behind.

import { native } from './load-binding.js'
import { resolveNativePath, toBoolean, toKeptVersions, toNativePath } from './args.js'
import type { PathLike } from './types.js'
import { invalidArgType, invalidArgValue, outOfRange, toError } from './errors.js'

/** The longest age that means anything: the span a Date can hold, in milliseconds. */
const MAX_AGE_MS = 8.64e15 * 2

/** The options of {@link sweepOrphans}. */
export interface SweepOptions {
  /**
   * Only scratch files at least this old (by mtime) are taken; younger ones may be live.
   * @default `60_000`
   */
  olderThanMs?: number
  /**
   * Descend into subdirectories (never through symlinks).
   * @default `false`
   */
  recursive?: boolean
  /**
   * List what would be removed, remove nothing.
   * @default `false`
   */
  dryRun?: boolean
  /**
   * Also remove the versions of every target of the versioned layout in `dir` (see
   * `AtomicDir.withLayout`) beyond the newest `keptVersions`, the one the target names always
   * kept, and never one a commit still holds. Give the `keep` its publisher uses. Without it,
   * versions are left alone (a stale scratch link of a versioned commit is removed either way).
   * An integer from 1 to 4294967295.
   */
  keptVersions?: number
  /**
   * How paths come back, as `fs.readdir`'s option: text in this encoding (default `'utf8'`; a
   * name that is not UTF-8 comes back with U+FFFD in place of its stray bytes, as `fs` gives
   * it), or `'buffer'` for the exact bytes of every path.
   * @default `'utf8'`
   */
  encoding?: BufferEncoding | 'buffer' | null
}

/** A path as a sweep returns it: a string, or with `encoding: 'buffer'` a Buffer of its exact bytes. */
export type SweptPath = string | Buffer

/** One subdirectory the sweep could not enter, or one entry it could not open or remove. */
export interface SweepFailure extends Error {
  code: string
  errno: number
  syscall: string
  /** In the encoding the sweep was asked for. */
  path: SweptPath
}

/**
 * A sweep that went through everything it could reach but not everything under `dir`:
 * `removed` lists what it removed all the same, `errors` what it could not enter or remove,
 * their paths in the encoding the sweep was asked for.
 */
export interface SweepIncompleteError extends AggregateError {
  code: 'ERR_SWEEP_INCOMPLETE'
  path: SweptPath
  removed: SweptPath[]
  errors: SweepFailure[]
}

const shown = (path: string | Buffer): string => (typeof path === 'string' ? path : path.toString('utf8'))

/** A path from the native sweep (text where it is UTF-8, else its bytes) in `encoding`. */
function encoded(path: string | Buffer, encoding: BufferEncoding | 'buffer'): SweptPath {
  if (typeof path === 'string') {
    if (encoding === 'utf8' || encoding === 'utf-8') return path
    return encoding === 'buffer' ? Buffer.from(path, 'utf8') : Buffer.from(path, 'utf8').toString(encoding)
  }
  return encoding === 'buffer' ? path : path.toString(encoding)
}

function toEncoding(value: unknown): BufferEncoding | 'buffer' {
  if (!value) return 'utf8' // as fs: no encoding, or any falsy one, is the default
  if (typeof value === 'string' && (value === 'buffer' || Buffer.isEncoding(value))) return value as BufferEncoding | 'buffer'
  throw invalidArgValue('encoding', value, 'is invalid encoding')
}

/**
 * Remove scratch files (`<name>.oxentmp.<random>`) under `dir` whose mtime is at least
 * `olderThanMs` old, never one that a publish, in this process or another, still holds, and
 * return their paths (as strings; with `encoding: 'buffer'`, as Buffers of their exact bytes).
 * A subdirectory that cannot be entered, or a scratch that cannot be removed, does not stop
 * the sweep: it goes on with the rest, then rejects with a {@link SweepIncompleteError} that
 * lists both what it removed and what failed. Only a `dir` that cannot be read at all rejects
 * with its own error (ENOENT when it is missing). However deep the tree, a recursive sweep
 * keeps a bounded number of directories open and about 200 bytes a level.
 *
 * @example
 * ```ts
 * import { sweepOrphans } from 'atomic-publish'
 *
 * const removed = await sweepOrphans('/var/lib/app', { olderThanMs: 3_600_000, recursive: true })
 * ```
 * @throws (rejects) `ERR_INVALID_ARG_TYPE`/`ERR_INVALID_ARG_VALUE`/`ERR_OUT_OF_RANGE` for bad
 *   arguments; `ERR_SWEEP_INCOMPLETE` ({@link SweepIncompleteError}) when part of the tree
 *   failed; the error of a `dir` that cannot be read (`ENOENT`, `ENOTDIR`, `EACCES`).
 */
export function sweepOrphans(dir: PathLike, options?: SweepOptions & { encoding?: BufferEncoding | null }): Promise<string[]>
export function sweepOrphans(dir: PathLike, options: SweepOptions & { encoding: 'buffer' }): Promise<Buffer[]>
export function sweepOrphans(dir: PathLike, options?: SweepOptions): Promise<string[] | Buffer[]>
export async function sweepOrphans(dir: PathLike, options: SweepOptions = {}): Promise<string[] | Buffer[]> {
  const path = resolveNativePath(toNativePath(dir, 'dir'))
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options)
  const olderThanMs = options.olderThanMs ?? 60_000
  if (typeof olderThanMs !== 'number') throw invalidArgType('options.olderThanMs', 'of type number', olderThanMs)
  if (!(olderThanMs >= 0 && olderThanMs <= MAX_AGE_MS)) {
    throw outOfRange('options.olderThanMs', `>= 0 and <= ${MAX_AGE_MS}`, olderThanMs)
  }
  const encoding = toEncoding(options.encoding)
  const outcome = await native.sweep(path.native, {
    olderThanMs,
    recursive: toBoolean(options.recursive ?? false, 'options.recursive'),
    dryRun: toBoolean(options.dryRun ?? false, 'options.dryRun'),
    ...(options.keptVersions === undefined ? {} : { keptVersions: toKeptVersions(options.keptVersions, 'options.keptVersions') }),
  })
  if (outcome.failure) throw toError(outcome.failure, path.display)
  // One encoding for the whole array, so its type is string[] or Buffer[], never a mix.
  const removed = outcome.removed.map((p) => encoded(p, encoding)) as string[] | Buffer[]
  if (outcome.failures.length === 0) return removed
  const errors = outcome.failures.map(({ path: failed, failure }) => {
    const err = toError(failure, shown(failed)) as SweepFailure
    err.path = encoded(failed, encoding)
    return err
  })
  const what = errors.length === 1 ? '1 entry' : `${errors.length} entries`
  const err = new AggregateError(errors, `sweepOrphans: ${what} under '${path.display}' could not be swept; removed ${outcome.removed.length}`) as SweepIncompleteError
  err.code = 'ERR_SWEEP_INCOMPLETE'
  err.path = path.native
  err.removed = removed
  throw err
}
