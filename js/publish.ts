// The one-call forms: every builder setting as an option. Each option is checked under its own
// name (`options.mode`) and then applied through the builder's own method, so a call and the
// equivalent chain take one code path.

import { types } from 'node:util'
import { AtomicFile, type CopyResult, type ProgressListener, type WriteResult } from './atomic-file.js'
import { toBoolean, toDurability, toHashText, toMode, toOwnerId, toSplitTime } from './args.js'
import { invalidArgType, invalidArgValue } from './errors.js'
import type { BinaryData, Durability, PathLike } from './types.js'
import type { PublishStream } from './write-stream.js'

/** The owner `publish` gives the file, as `fs.chown` takes it: -1 keeps that id as it is. */
export interface PublishOwner {
  uid: number
  gid: number
}

/**
 * Every setting of the `AtomicFile` builder, as one object for `publish`, `publishSync`,
 * `publishCopy`, `publishCopySync` and `publishStream`. A key set to `undefined` is as if
 * absent, so settings can be passed through from configuration as they are; an unknown key,
 * set directly or inherited, is refused.
 */
export interface PublishOptions {
  /**
   * The XXH3-128 the published bytes must have: 1–32 hex digits or the 128-bit value
   * (`withHash`). Bytes that hash otherwise are not published (`ERR_HASH_MISMATCH`).
   * @default no check
   */
  hash?: string | bigint
  /**
   * The mtime to stamp: a Date, milliseconds since the epoch, or nanoseconds as a bigint
   * (`withMtime`).
   * @default the time of the write
   */
  mtime?: Date | number | bigint
  /**
   * Exactly these permission bits, not masked by the umask (`withMode`).
   * @default a replaced file's mode; for a new file 0o666 masked by the umask
   */
  mode?: number
  /**
   * The owner to give the file before the rename (`withOwner`).
   * @default the owner of the replaced file where it can be kept, else the process's
   */
  owner?: PublishOwner
  /**
   * What a resolved publish survives (`withDurability`).
   * @default `'full'`
   */
  durability?: Durability
  /**
   * `false`: publish only where no target exists; otherwise reject with EEXIST and change
   * nothing (`withOverwrite`).
   * @default `true`
   */
  overwrite?: boolean
  /**
   * Cancels the publish up to its rename (`withSignal`); not for the sync forms.
   * @default none
   */
  signal?: AbortSignal
  /**
   * Called with the bytes written and, when known, the total (`onProgress`).
   * @default none
   */
  onProgress?: ProgressListener
}

const OPTION_KEYS: ReadonlySet<string> = new Set<keyof PublishOptions>(['hash', 'mtime', 'mode', 'owner', 'durability', 'overwrite', 'signal', 'onProgress'])

/**
 * A builder for `target` with `options` applied. Each option is checked under its option name
 * first, then handed to the builder method that owns the setting; nothing touches the disk.
 */
function configured(target: PathLike, options: unknown, sync: boolean): AtomicFile {
  const file = new AtomicFile(target)
  if (options === undefined) return file
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalidArgType('options', 'of type object', options)
  }
  const given = options as Record<string, unknown>
  // Every enumerable key, inherited ones too: the options are read as Node reads them (through
  // the prototype), so an unknown key there is refused as one set directly would be.
  for (const key in given) {
    if (!OPTION_KEYS.has(key)) throw invalidArgValue('options', key, `has an unknown key (known: ${[...OPTION_KEYS].join(', ')})`)
  }
  const { hash, mtime, mode, owner, durability, overwrite, signal, onProgress } = given
  if (hash !== undefined) file.withHash(toHashText(hash, 'options.hash'))
  if (mtime !== undefined) {
    // Read once (a Date's getTime may be replaced) and handed on as the exact nanoseconds read.
    const { secs, nanos } = toSplitTime(mtime, 'options.mtime')
    file.withMtime(BigInt(secs) * 1_000_000_000n + BigInt(nanos))
  }
  if (mode !== undefined) file.withMode(toMode(mode, 'options.mode'))
  if (owner !== undefined) {
    const { uid, gid } = toOwner(owner)
    file.withOwner(uid, gid)
  }
  if (durability !== undefined) file.withDurability(toDurability(durability, 'options.durability'))
  if (overwrite !== undefined) file.withOverwrite(toBoolean(overwrite, 'options.overwrite'))
  if (signal !== undefined) {
    try {
      file.withSignal(signal as AbortSignal)
    } catch {
      throw invalidArgType('options.signal', 'an instance of AbortSignal', signal)
    }
    // Nothing can cancel a synchronous call: a signal given to one would be a false promise.
    if (sync) throw invalidArgValue('options.signal', signal, 'cannot cancel a synchronous publish')
  }
  if (onProgress !== undefined) {
    if (typeof onProgress !== 'function') throw invalidArgType('options.onProgress', 'of type function', onProgress)
    file.onProgress(onProgress as ProgressListener)
  }
  return file
}

function toOwner(value: unknown): PublishOwner {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidArgType('options.owner', 'of type object', value)
  }
  for (const key in value) {
    if (key !== 'uid' && key !== 'gid') throw invalidArgValue('options.owner', key, 'has an unknown key (known: uid, gid)')
  }
  const { uid, gid } = value as Record<string, unknown>
  return { uid: toOwnerId(uid, 'options.owner.uid'), gid: toOwnerId(gid, 'options.owner.gid') }
}

/** The builder, or a rejection: the async forms report bad arguments as a rejected promise. */
function settled<T>(run: () => Promise<T>): Promise<T> {
  try {
    return run()
  } catch (error) {
    return Promise.reject(error)
  }
}

/**
 * Publish `data` at `target` in one call: `new AtomicFile(target)`, each option applied as its
 * `with…` method, then `write(data)`.
 *
 * @param target - the file to publish: a path, a `file:` URL, or a Buffer of the name's bytes.
 * @param data - the bytes; a string is written as UTF-8.
 * @param options - the builder's settings, see {@link PublishOptions}.
 * @example
 * ```ts
 * import { publish } from 'atomic-publish'
 *
 * const { hash } = await publish('settings.json', JSON.stringify(settings), { mode: 0o600 })
 * ```
 * @throws (rejects; nothing on disk changes) `ERR_INVALID_ARG_TYPE` for an argument or option
 *   of the wrong type, `ERR_INVALID_ARG_VALUE` for a bad value or an unknown option key,
 *   `ERR_OUT_OF_RANGE` for an owner id out of range; then as `AtomicFile.write`:
 *   `ERR_HASH_MISMATCH`, `ABORT_ERR`, or a file-system error (`EACCES`, `ENOSPC`, `EEXIST`, …).
 */
export function publish(target: PathLike, data: BinaryData | ArrayBuffer, options?: PublishOptions): Promise<WriteResult> {
  return settled(() => configured(target, options, false).write(bytesOf(data)))
}

/**
 * `publish` on the calling thread: `new AtomicFile(target)`, the options applied, then
 * `writeSync(data)`. The options have no `signal` (refused with `ERR_INVALID_ARG_VALUE` if
 * given anyway): nothing can cancel a synchronous call.
 *
 * @example
 * ```ts
 * import { publishSync } from 'atomic-publish'
 *
 * publishSync('pid', String(process.pid), { durability: 'none' })
 * ```
 * @throws the errors `publish` rejects with (not `ABORT_ERR`), and `ERR_ORDER_PENDING` when
 *   earlier async publishes to the same file are still under way.
 */
export function publishSync(target: PathLike, data: BinaryData | ArrayBuffer, options?: Omit<PublishOptions, 'signal'>): WriteResult {
  return configured(target, options, true).writeSync(bytesOf(data))
}

/**
 * Publish a copy of the file `source` at `target` in one call (`copyFrom`). The result's
 * `hash` is set when `options.hash` is given.
 *
 * @example
 * ```ts
 * import { publishCopy } from 'atomic-publish'
 *
 * await publishCopy('dist/app.js', 'build/app.js', { onProgress: (bytes, total) => console.log(bytes, total) })
 * ```
 * @throws (rejects; nothing on disk changes) the argument errors of `publish`; then as
 *   `AtomicFile.copyFrom` (an error about the source has it in `path`, the target in `dest`).
 */
export function publishCopy(target: PathLike, source: PathLike, options?: PublishOptions): Promise<CopyResult> {
  return settled(() => configured(target, options, false).copyFrom(source))
}

/**
 * `publishCopy` on the calling thread (`copyFromSync`); as for `publishSync`, the options have
 * no `signal`.
 *
 * @example
 * ```ts
 * import { publishCopySync } from 'atomic-publish'
 *
 * publishCopySync('backup.db', 'live.db', { mode: 0o600 })
 * ```
 * @throws the errors `publishCopy` rejects with (not `ABORT_ERR`), and `ERR_ORDER_PENDING`.
 */
export function publishCopySync(target: PathLike, source: PathLike, options?: Omit<PublishOptions, 'signal'>): CopyResult {
  return configured(target, options, true).copyFromSync(source)
}

/**
 * A Writable that publishes what is written to it at `target` when it ends
 * (`createWriteStream`): `'finish'` comes once the publish is durable, with the WriteResult
 * in `result`; an error, `destroy()` or a missing `end()` publishes nothing.
 *
 * @example
 * ```ts
 * import { pipeline } from 'node:stream/promises'
 * import { publishStream } from 'atomic-publish'
 *
 * const out = publishStream('page.html', { hash: expected })
 * await pipeline(response.body, out)
 * console.log(out.result?.bytes)
 * ```
 * @throws (at once; nothing on disk changes) the argument errors of `publish`. The publish's
 *   own errors reach the stream's `'error'` event.
 */
export function publishStream(target: PathLike, options?: PublishOptions): PublishStream {
  return configured(target, options, false).createWriteStream()
}

/** An ArrayBuffer is published as its bytes; anything else as the builder takes it. */
function bytesOf(data: BinaryData | ArrayBuffer): BinaryData {
  if (!types.isAnyArrayBuffer(data)) return data
  try {
    return new Uint8Array(data)
  } catch {
    // Only a detached (transferred) buffer cannot be viewed: V8's own TypeError has no code.
    throw invalidArgValue('data', data, 'is a detached ArrayBuffer')
  }
}
