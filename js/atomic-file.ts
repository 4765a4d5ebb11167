// The AtomicFile builder. Configuring it checks arguments and touches nothing on disk; the
// terminals hand one whole publish to the native core (on the thread pool for the async ones).

import { stat } from 'node:fs/promises'
import { native } from './load-binding.js'
import type { NativeControl, NativeOutcome, NativePublishConfig, NativeSink } from '../binding.js'
import {
  byteLengthOf,
  toBoolean,
  toDataInput,
  toDurability,
  toOwnerId,
  toHashText,
  toMode,
  toNativePath,
  toSplitTime,
  toTargetPath,
  type TargetPath,
} from './args.js'
import { AbortError, invalidArgType, toError } from './errors.js'
import { ProgressReporter } from './progress.js'
import { batchedWrite, laneFree, takeLane } from './batch.js'
import { Call } from './call.js'
import { coalescedWrite, idle, runAlone } from './coalesce.js'
import { enterTarget, enterTargetNow, enterTargetSync } from './target-order.js'
import { inNativeOrder } from './native-order.js'
import { cleanUpOnExit, streamSlots } from './lifecycle.js'
import { bufferChanged, ownBytes, ownBytesNow, readableNow } from './owned-bytes.js'
import { iterate, pump } from './stream.js'
import type { BinaryData, ByteSource, Durability, PathLike } from './types.js'
import { PublishStream } from './write-stream.js'
import { type CompatSettings, compatSettings } from './internal.js'

/** Up to this size, a lone write's bytes are copied natively at the call (see `#writeAlone`). */
const LONE_COPY_UP_TO = 64 << 10
/**
 * Larger writes are not copied first where the platform can write them from the caller's
 * memory: the copy of a fresh buffer cost more than the write itself (docs/guarantees.md, "The caller's memory").
 */
const UNREAD_ABOVE = 8 << 20

/** How often copyFrom's progress is read from the native side. */
const COPY_PROGRESS_POLL_MS = 100

/** What a publish resolved with. */
export interface PublishResult {
  /** The target as given, made absolute (`path.resolve`), links not followed. */
  path: string
  /** How many bytes were published. */
  bytes: number
  /** XXH3-128 of the published bytes, whenever they were hashed (see {@link CopyResult}). */
  hash?: string
  /**
   * Set when a later publish to the same target overtook this one before it was written: it
   * resolved once the later bytes were durable, and its own bytes were never written.
   */
  superseded?: true
}

/**
 * The result of `write`, `writeSync`, `stream` and `createWriteStream`: their bytes are always
 * hashed, so `hash` is always set.
 */
export interface WriteResult extends PublishResult {
  /** XXH3-128 of the published bytes, 32 lowercase hex digits as `xxhsum -H2` prints it. */
  hash: string
}

/**
 * The result of `copyFrom` and `copyFromSync`. `hash` is set when an expected hash was given;
 * without one, the copy may take the kernel's fast path (`copy_file_range`, reflink), which
 * never reads the bytes, and `hash` is then left out.
 */
export type CopyResult = PublishResult

/**
 * Called with the bytes written so far, growing, a few times a second, the total last;
 * `total` is the size to be written whenever it is known (a copy's source size, the length of
 * the data of a write; a stream's only at its last call, and not even there when that count was
 * already reported, since no count is reported twice).
 */
export type ProgressListener = (bytesWritten: number, total?: number) => void

/**
 * A publish to one target, configured by chained `with…` calls and run by one terminal
 * (`write`, `stream`, `copyFrom`, `createWriteStream`, `writeSync`, `copyFromSync`). The bytes
 * go to a scratch file beside the target (`<name>.oxentmp.<random>`), are fsynced and checked,
 * then renamed over the target: readers see the old file or the new one, never a part.
 *
 * Constructing and configuring touch nothing on disk; each setting is checked at once.
 *
 * @example
 * ```ts
 * import { AtomicFile } from 'atomic-publish'
 *
 * const result = await new AtomicFile('config.json')
 *   .withMode(0o600)
 *   .write(JSON.stringify(config))
 * console.log(result.hash) // XXH3-128 of what was published
 * ```
 */
export class AtomicFile {
  readonly #path: TargetPath
  /** The target as text, for results and messages. */
  readonly #target: string
  #config: NativePublishConfig = { durability: 'full', overwrite: true }
  #signal: AbortSignal | undefined
  #onProgress: ProgressListener | undefined
  #onScratch: ((path: string) => unknown) | undefined
  #startAfter: Promise<unknown> | undefined

  /**
   * A publish to `target`; nothing on disk is touched until a terminal method runs.
   *
   * @param target - the file to publish: a path, a `file:` URL, or a Buffer of the name's bytes.
   * @throws `ERR_INVALID_ARG_TYPE` when `target` is not a string, Buffer or URL;
   *   `ERR_INVALID_ARG_VALUE` when it is empty, holds a NUL byte or names no file (`dir/`, `.`).
   */
  constructor(target: PathLike) {
    this.#path = toTargetPath(target)
    this.#target = this.#path.display
    cleanUpOnExit()
  }

  /**
   * The XXH3-128 the published bytes must have: 1–32 hex digits (either case) or the 128-bit
   * value as a bigint. Bytes that hash otherwise are not published: the terminal rejects with
   * a `HashMismatchError` (`ERR_HASH_MISMATCH`) and the target is left as it was.
   *
   * @example
   * ```ts
   * await new AtomicFile('app.tar').withHash('0f4b…e1').copyFrom('download.part')
   * ```
   * @throws `ERR_INVALID_ARG_TYPE` for another type; `ERR_INVALID_ARG_VALUE` for text that is
   *   not 1–32 hex digits or a bigint outside 0 to 2^128-1.
   */
  withHash(expected: string | bigint): this {
    this.#config.expectedHash = toHashText(expected)
    return this
  }

  /**
   * The mtime to stamp on the scratch before the rename: a Date, milliseconds since the epoch,
   * or exact nanoseconds since the epoch as a bigint.
   *
   * @example
   * ```ts
   * new AtomicFile('out.bin').withMtime(new Date('2024-01-02T03:04:05Z'))
   * ```
   * @throws `ERR_INVALID_ARG_TYPE` for another type; `ERR_INVALID_ARG_VALUE` for NaN or a time
   *   a Date cannot hold.
   */
  withMtime(time: Date | number | bigint): this {
    const { secs, nanos } = toSplitTime(time)
    this.#config.mtimeSecs = secs
    this.#config.mtimeNanos = nanos
    return this
  }

  /**
   * Exactly these permission bits (not masked by the umask). Without it, a replaced file keeps
   * its mode and a new file gets `0o666` masked by the umask, as `fs.writeFile` gives it.
   *
   * @example
   * ```ts
   * new AtomicFile('secret.key').withMode(0o600)
   * ```
   * @throws `ERR_INVALID_ARG_TYPE` for a non-number; `ERR_INVALID_ARG_VALUE` for a value that
   *   is not an integer from 0 to 0o7777.
   */
  withMode(mode: number): this {
    this.#config.mode = toMode(mode)
    return this
  }

  /**
   * `true` is `withDurability('full')`, `false` is `withDurability('none')`.
   *
   * @default `true`
   * @example
   * ```ts
   * new AtomicFile('cache.json').withFsync(false)
   * ```
   * @throws `ERR_INVALID_ARG_TYPE` for a non-boolean.
   */
  withFsync(enabled: boolean): this {
    this.#config.durability = toBoolean(enabled, 'enabled') ? 'full' : 'none'
    return this
  }

  /**
   * What a resolved publish survives. `'full'`: a power cut (the scratch is fsynced
   * before the rename, the directory after it). `'file'`: the scratch is fsynced, the directory
   * is not: after a power cut the target holds the old bytes or the new, never a torn file.
   * `'none'`: no fsync; atomic for readers and for a crash of the process.
   *
   * @default `'full'`
   * @example
   * ```ts
   * new AtomicFile('state.json').withDurability('file')
   * ```
   * @throws `ERR_INVALID_ARG_TYPE` for a non-string; `ERR_INVALID_ARG_VALUE` for another string.
   */
  withDurability(level: 'full' | 'file' | 'none'): this {
    this.#config.durability = toDurability(level)
    return this
  }

  /**
   * `false`: publish only where no target exists at the moment of the rename; otherwise reject
   * with EEXIST and change nothing. Such publishes are never coalesced or superseded: each one
   * really tries, and of several racing for one name exactly one wins. An async one takes
   * effect in call order among the process's calls to its file, however spelled (a symlink,
   * a symlinked directory) and from whichever thread: it waits for the earlier ones, and the
   * later ones wait for it.
   *
   * @default `true`
   * @example
   * ```ts
   * await new AtomicFile('lock').withOverwrite(false).write(String(process.pid))
   * ```
   * @throws `ERR_INVALID_ARG_TYPE` for a non-boolean.
   */
  withOverwrite(allowed: boolean): this {
    this.#config.overwrite = toBoolean(allowed, 'allowed')
    return this
  }

  /**
   * The owner to give the scratch before the rename, checked as `fs.chown` checks it (-1 keeps
   * that id as it is). A refusal (EPERM) publishes nothing.
   *
   * @example
   * ```ts
   * new AtomicFile('/srv/www/index.html').withOwner(33, 33)
   * ```
   * @throws `ERR_INVALID_ARG_TYPE` for a non-number; `ERR_OUT_OF_RANGE` for a value that is not
   *   an integer from -1 to 2^32-1.
   */
  withOwner(uid: number, gid: number): this {
    this.#config.owner = { uid: toOwnerId(uid, 'uid'), gid: toOwnerId(gid, 'gid') }
    return this
  }

  /**
   * For the compatibility entry only: the peers' options that are no public feature.
   * @internal
   */
  [compatSettings](settings: CompatSettings): this {
    const { onScratch, startAfter, ...native } = settings
    Object.assign(this.#config, native)
    this.#onScratch = onScratch
    this.#startAfter = startAfter
    return this
  }

  /**
   * Cancel async terminals with this signal: one already aborted rejects before the disk is
   * touched; an abort before the rename removes the scratch and rejects with an `AbortError`
   * (`ABORT_ERR`); an abort after the rename changes nothing.
   *
   * @example
   * ```ts
   * await new AtomicFile('big.bin').withSignal(AbortSignal.timeout(10_000)).stream(source)
   * ```
   * @throws `ERR_INVALID_ARG_TYPE` for anything but an AbortSignal.
   */
  withSignal(signal: AbortSignal): this {
    if (!isAbortSignal(signal)) throw invalidArgType('signal', 'an instance of AbortSignal', signal)
    this.#signal = signal
    return this
  }

  /**
   * Byte counts as the publish writes them: growing, a few per second, the total last (for
   * `write`, `writeSync` and `copyFromSync`, the total alone). `total` is passed whenever the
   * size is known: a copy's source size, a write's data length, a stream's at its last call
   * (unless that count was already reported: no count is reported twice).
   * A callback that throws during a stream or a copy cancels it, which then rejects with what
   * it threw; the single call after a write comes once the write is done.
   *
   * @example
   * ```ts
   * await new AtomicFile('copy.iso')
   *   .onProgress((bytes, total) => console.log(`${bytes} of ${total ?? '?'}`))
   *   .copyFrom('image.iso')
   * ```
   * @throws `ERR_INVALID_ARG_TYPE` for a non-function.
   */
  onProgress(callback: ProgressListener): this {
    if (typeof callback !== 'function') throw invalidArgType('callback', 'of type function', callback)
    this.#onProgress = callback
    return this
  }

  /**
   * Publish `data` (a string as UTF-8); the I/O and hashing run on the thread pool, on a copy
   * of `data` taken at the call (large data: in slices, the first at the call).
   *
   * @example
   * ```ts
   * const { hash } = await new AtomicFile('report.csv').write(csv)
   * ```
   * @throws (rejects) `ERR_INVALID_ARG_TYPE` for data of another type; `ERR_HASH_MISMATCH`;
   *   `ABORT_ERR`; a file-system error as `fs` reports it (`ENOENT`, `EACCES`, `ENOSPC`,
   *   `EEXIST` without overwrite, …) with `published` telling whether the rename happened.
   */
  write(data: BinaryData): Promise<WriteResult> {
    let input: string | Uint8Array
    try {
      input = toDataInput(data)
    } catch (error) {
      return Promise.reject(error)
    }
    let written: Promise<PublishResult> | undefined
    if (!this.#signal && !this.#onScratch && !this.#startAfter && typeof input !== 'string' && byteLengthOf(input) <= LONE_COPY_UP_TO) {
      written = this.#writeAlone(input)
    }
    written ??= this.#writeQueued(input)
    return this.#onProgress ? written.then((result) => this.#reportDone<WriteResult>(result)) : (written as Promise<WriteResult>)
  }

  /** A terminal that reports no progress as it goes reports its total once, when done. */
  #reportDone<R extends PublishResult>(result: PublishResult): R {
    new ProgressReporter(this.#onProgress!, () => {}).finish(result.bytes)
    return result as R
  }

  /**
   * A small write without a signal that nothing waits before (no write to the same target
   * queued, a pool lane free) goes to the pool at once, as one native call that copies its
   * bytes and takes its place in call order now: it needs no abort handle, no JS copy of its
   * bytes and no queue entry, and settles in one promise reaction. It still counts as running
   * for coalescing and batching, so the writes after it queue as before. `undefined` when
   * the write must take the queued path.
   */
  #writeAlone(bytes: Uint8Array): Promise<PublishResult> | undefined {
    const key = this.#path.key
    if (!idle(key) || !laneFree()) return undefined
    const leaveGate = enterTargetNow(key, !this.#config.overwrite)
    if (!leaveGate) return undefined
    let outcome: Promise<NativeOutcome> | null
    try {
      outcome = native.publishCopy(this.#path.native, bytes, this.#config)
    } catch (error) {
      leaveGate()
      return Promise.reject(error)
    }
    // Another call the native side orders could hold it back (native-order.ts): queued.
    if (!outcome) {
      leaveGate()
      return undefined
    }
    const leaveTarget = runAlone(key)
    const leaveLane = takeLane()
    const leave = (): void => {
      leaveTarget()
      leaveLane()
      leaveGate()
    }
    return outcome.then(
      (result) => {
        leave()
        return this.#settle(result)
      },
      (error: unknown) => {
        leave()
        throw error
      },
    )
  }

  async #writeQueued(input: string | Uint8Array): Promise<PublishResult> {
    const signal = this.#signal
    if (this.#onScratch) return this.#stream(once(ownBytesNow(input)), signal)
    if (signal?.aborted) throw new AbortError(signal.reason)
    const call = new Call(signal, !this.#config.overwrite, this.#path.native)
    const config = { ...this.#config }
    const target = this.#path.native
    // Large data goes to the native side as it is: only the kernel reads it, and the file is
    // hashed from what it received (src/unread.rs). Where that cannot be done, and for
    // smaller data, the call's own copy is written, made now, at the call (owned-bytes.ts).
    // A buffer detached or shrunk since the call has lost the bytes it was called with; its
    // length is the engine's, which the caller cannot redefine.
    const size = typeof input === 'string' ? 0 : byteLengthOf(input)
    const changed = (): boolean => typeof input !== 'string' && byteLengthOf(input) !== size
    const unread = typeof input !== 'string' && size > UNREAD_ABOVE ? input : undefined
    let owned: Uint8Array | Promise<Uint8Array> | undefined
    const ownedBytes = (): Uint8Array | Promise<Uint8Array> => {
      if (owned === undefined) {
        owned = changed() ? Promise.reject(bufferChanged()) : ownBytes(input)
        // Awaited later, if at all (a superseded or aborted call may never need it).
        if (owned instanceof Promise) owned.catch(() => {})
      }
      return owned
    }
    if (!unread) ownedBytes()
    const place = enterTarget(this.#path.key, !config.overwrite)
    try {
      if (this.#startAfter) await call.wait(this.#startAfter)
      if (place.ready) await call.wait(place.ready)
      const startOnce = async (durability: string): Promise<NativeOutcome> => {
        const settings = { ...config, durability }
        if (unread) {
          if (changed()) throw bufferChanged()
          const outcome = await this.#writeUnread(unread, settings, call, changed)
          if (outcome) return outcome
        }
        return batchedWrite(target, await ownedBytes(), settings, call)
      }
      const start = (durability: string): Promise<NativeOutcome> => inNativeOrder(call, () => startOnce(durability))
      // A publish that may not replace a file must really try its own rename: never coalesced.
      const outcome = await call.wait(
        config.overwrite
          ? coalescedWrite(this.#path.key, {
              bytes: ownedBytes,
              expected: config.expectedHash,
              durability: config.durability as Durability,
              start,
              aborted: () => call.aborted,
            })
          : start(config.durability),
      )
      return this.#settle(outcome, undefined, signal)
    } finally {
      call.done()
      place.leave()
    }
  }

  /**
   * A large write straight from the caller's memory (see src/node/unread.rs): its bytes are
   * written and checked unseen, then published only if the buffer was neither detached nor
   * shrunk meanwhile, since freed memory may have been given to another allocation whose
   * bytes the kernel read. `undefined` where it cannot be done here (nothing was done).
   */
  async #writeUnread(data: Uint8Array, settings: NativePublishConfig, call: Call, changed: () => boolean): Promise<NativeOutcome | undefined> {
    const job = new native.NativeUnreadWrite(this.#path.native, data, settings, call.control)
    const filled = await job.fill()
    if (!filled) return undefined
    // EFAULT, or a mismatch, from memory that was taken away: say what happened to it.
    if (filled.failure) {
      if (changed()) throw bufferChanged()
      return filled
    }
    const intact = !changed()
    const outcome = await job.finish(intact)
    if (!intact) throw bufferChanged()
    return outcome
  }

  /**
   * Publish everything `source` yields, up to its end: a Node Readable, any async iterable of
   * Uint8Array or string (UTF-8), or a web ReadableStream. At most two chunks are in flight;
   * the source is paused meanwhile. A source that fails, is destroyed, or is aborted publishes
   * nothing, and the promise rejects with the source's own error (or an AbortError).
   *
   * @example
   * ```ts
   * import { createReadStream } from 'node:fs'
   * await new AtomicFile('copy.log').stream(createReadStream('app.log'))
   * ```
   * @throws (rejects) `ERR_INVALID_ARG_TYPE` for a source of another kind; the source's own
   *   error; `ERR_HASH_MISMATCH`; `ABORT_ERR`; a file-system error as for `write`.
   */
  async stream(source: ByteSource): Promise<WriteResult> {
    return this.#stream(source, this.#signal)
  }

  /**
   * A Writable for `pipeline()` and `.pipe()`: what is written to it is published when it ends,
   * through the same path as `stream()`. 'finish' comes once the publish is durable, with the
   * WriteResult in `result`; an error, `destroy()` or a missing `end()` publishes nothing.
   *
   * @example
   * ```ts
   * import { pipeline } from 'node:stream/promises'
   * await pipeline(response.body, new AtomicFile('page.html').createWriteStream())
   * ```
   */
  createWriteStream(): PublishStream {
    return new PublishStream(this.#signal, (source, signal) => this.#stream(source, signal))
  }

  async #stream(source: ByteSource, signal: AbortSignal | undefined): Promise<WriteResult> {
    const iterator = iterate(source)
    if (signal?.aborted) {
      Promise.resolve(iterator.return?.()).catch(() => {})
      throw new AbortError(signal.reason)
    }
    // The call's place in order is taken now, before waiting for a slot.
    const call = new Call(signal, !this.#config.overwrite, this.#path.native)
    const progress = this.#reporter(call.control)
    const sink = new native.NativeSink(this.#path.native, { ...this.#config }, call.control)
    const place = enterTarget(this.#path.key, !this.#config.overwrite)
    // Until the pump reads it, a Node stream that errors while the call waits its turn would
    // throw its 'error' as uncaught; the error stays on the stream, and the first read reports it.
    const releaseErrors = holdSourceErrors(source)
    let slot = false
    try {
      if (this.#startAfter) await call.wait(this.#startAfter)
      if (place.ready) await call.wait(place.ready)
      // Its turn among calls to its file by other spellings is taken before a slot: one held
      // back while holding a slot could wait for a call that is waiting for that slot.
      const started = await inNativeOrder(call, () => call.wait(sink.start()))
      if (started.failure) return this.#settle(started, undefined, signal) as WriteResult
      await call.wait(streamSlots.acquire(() => call.aborted))
      slot = true
      const refused = await call.wait(this.#announceScratch(sink))
      if (refused) return this.#settle(refused, undefined, signal) as WriteResult
      const outcome = await pump(iterator, sink, {
        call,
        progress,
        fail: (failure) => toError(failure, this.#target, undefined, signal?.reason),
      })
      const result = this.#settle(outcome, undefined, signal) as WriteResult
      progress?.finish(result.bytes)
      return result
    } catch (err) {
      if (!slot) Promise.resolve(iterator.return?.()).catch(() => {})
      throw err
    } finally {
      releaseErrors()
      call.done()
      place.leave()
      // A slot granted after the abort was accepted is handed on by the slots themselves.
      if (slot) streamSlots.release()
    }
  }

  /**
   * With a scratch hook (compat's tmpfileCreated), create the scratch and await the hook with
   * its path before any byte is written. The failed outcome if the scratch could not be made;
   * a hook that throws or rejects removes the scratch and rejects the publish with its error.
   */
  async #announceScratch(sink: NativeSink): Promise<NativeOutcome | undefined> {
    const hook = this.#onScratch
    if (!hook) return undefined
    const begun = await sink.begin()
    if (begun.failure) return begun
    try {
      await hook(sink.scratchPath() ?? '')
    } catch (err) {
      await sink.abort()
      throw err
    }
    return undefined
  }

  /**
   * Publish `data` on the calling thread. Where it would overtake earlier async calls to the
   * target that it cannot wait for, it throws ERR_ORDER_PENDING and does nothing.
   *
   * @example
   * ```ts
   * new AtomicFile('pid').writeSync(String(process.pid))
   * ```
   * @throws the errors `write` rejects with (not `ABORT_ERR`: no signal applies), and
   *   `ERR_ORDER_PENDING`.
   */
  writeSync(data: BinaryData): WriteResult {
    const input = toDataInput(data)
    const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : readableNow(input)
    const result = this.#inPlace(() => native.publishBytesSync(this.#path.native, bytes, this.#config, this.#onScratch))
    return this.#onProgress ? this.#reportDone<WriteResult>(result) : (result as WriteResult)
  }

  /**
   * Publish a copy of the file `src` (a regular file or a FIFO); the copy runs on the thread
   * pool. `hash` is set on the result when an expected hash was given (see {@link CopyResult}).
   *
   * @example
   * ```ts
   * await new AtomicFile('dist/app.js').copyFrom('build/app.js')
   * ```
   * @throws (rejects) `ERR_INVALID_ARG_TYPE`/`ERR_INVALID_ARG_VALUE` for a bad `src`; errors
   *   about the source carry its path in `path` and the target in `dest`; otherwise as `write`.
   */
  async copyFrom(src: PathLike): Promise<CopyResult> {
    const source = toNativePath(src, 'src')
    const signal = this.#signal
    if (signal?.aborted) throw new AbortError(signal.reason)
    const call = new Call(signal, !this.#config.overwrite, this.#path.native)
    const progress = this.#reporter(call.control)
    // The source's size, read beside the copy, is the total the progress reports. No count is
    // reported before that read settles: a count reported without its total could be the last.
    let total: number | undefined
    let sized = false
    if (progress) {
      stat(source.native).then(
        (s) => void ((total = s.isFile() ? s.size : undefined), (sized = true)),
        () => void (sized = true),
      )
    }
    const poll = progress && setInterval(() => sized && progress.update(call.control.bytesWritten(), total), COPY_PROGRESS_POLL_MS)
    const place = enterTarget(this.#path.key, !this.#config.overwrite)
    try {
      if (place.ready) await call.wait(place.ready)
      const outcome = await inNativeOrder(call, () => call.wait(native.copyFile(source.native, this.#path.native, { ...this.#config }, call.control)))
      if (outcome.failure?.kind === 'aborted' && progress?.error) throw progress.error.thrown
      const result = this.#settle(outcome, source.display, signal)
      progress?.finish(result.bytes)
      return result
    } finally {
      if (poll) clearInterval(poll)
      call.done()
      place.leave()
    }
  }

  /**
   * Publish a copy of the file `src` on the calling thread.
   *
   * @example
   * ```ts
   * new AtomicFile('backup.db').copyFromSync('live.db')
   * ```
   * @throws the errors `copyFrom` rejects with (not `ABORT_ERR`), and `ERR_ORDER_PENDING` as
   *   `writeSync`.
   */
  copyFromSync(src: PathLike): CopyResult {
    const source = toNativePath(src, 'src')
    const result = this.#inPlace(() => native.copyFileSync(source.native, this.#path.native, this.#config), source.display)
    return this.#onProgress ? this.#reportDone(result) : result
  }

  /** Run a sync publish at its place in the target's call order, held while it runs. */
  #inPlace(publish: () => NativeOutcome, source?: string): PublishResult {
    const leave = enterTargetSync(this.#path.key, !this.#config.overwrite, this.#target)
    try {
      return this.#settle(publish(), source)
    } finally {
      leave()
    }
  }

  #reporter(control: NativeControl): ProgressReporter | undefined {
    return this.#onProgress && new ProgressReporter(this.#onProgress, () => control.cancel())
  }

  /** The result, or the error, of one call; `signal` is the one that call was made with. */
  #settle(outcome: NativeOutcome, source?: string, signal?: AbortSignal): PublishResult {
    if (outcome.failure) throw toError(outcome.failure, this.#target, source, signal?.reason)
    const result: PublishResult = { path: this.#target, bytes: outcome.bytes }
    if (outcome.hash != null) result.hash = outcome.hash
    if (outcome.superseded) result.superseded = true
    return result
  }
}

/** A one-chunk source. */
async function* once(data: Uint8Array): AsyncGenerator<Uint8Array> {
  yield data
}

function isAbortSignal(value: unknown): value is AbortSignal {
  return (
    value instanceof AbortSignal ||
    (typeof value === 'object' &&
      value !== null &&
      typeof (value as AbortSignal).aborted === 'boolean' &&
      typeof (value as AbortSignal).addEventListener === 'function')
  )
}

/** Listen for a Node stream's 'error' (doing nothing with it) until the returned function is called. */
function holdSourceErrors(source: ByteSource): () => void {
  const emitter = source as { on?: unknown; removeListener?: unknown }
  if (typeof emitter.on !== 'function' || typeof emitter.removeListener !== 'function') return () => {}
  const stream = source as unknown as NodeJS.EventEmitter
  const ignore = (): void => {}
  stream.on('error', ignore)
  return () => stream.removeListener('error', ignore)
}
