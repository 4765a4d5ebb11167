// sweepOrphans: remove scratch files that a SIGKILL or a power cut left behind.

import { resolve } from 'node:path'
import * as native from '../binding.js'
import { type PathLike, toBoolean, toPathString } from './args.js'
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
 * Remove scratch files (`<name>.oxentmp.<random>`) under `dir` whose mtime is at least
 * `olderThanMs` old, never one of this process's in-flight publishes, and return their paths.
 */
export async function sweepOrphans(dir: PathLike, options: SweepOptions = {}): Promise<string[]> {
  const path = resolve(toPathString(dir, 'dir'))
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options)
  const olderThanMs = options.olderThanMs ?? 60_000
  if (typeof olderThanMs !== 'number') throw invalidArgType('options.olderThanMs', 'of type number', olderThanMs)
  if (!(olderThanMs >= 0 && olderThanMs <= MAX_AGE_MS)) {
    throw outOfRange('options.olderThanMs', `>= 0 and <= ${MAX_AGE_MS}`, olderThanMs)
  }
  const outcome = await native.sweep(path, {
    olderThanMs,
    recursive: toBoolean(options.recursive ?? false, 'options.recursive'),
    dryRun: toBoolean(options.dryRun ?? false, 'options.dryRun'),
  })
  if (outcome.failure) throw toError(outcome.failure, path)
  return outcome.removed
}
