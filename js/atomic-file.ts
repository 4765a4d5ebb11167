// The AtomicFile builder. Configuring it checks arguments and touches nothing on disk; the
// terminals hand one whole publish to the native core (on the thread pool for the async ones).

import { native } from './load-binding.js'
import type { NativeControl, NativeOutcome, NativePublishConfig, NativeSink } from '../binding.js'
import {
  type BinaryData,
  byteLengthOf,
  type Durability,
  type PathLike,
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
import { type ProgressCallback, ProgressReporter } from './progress.js'
import { batchedWrite, laneFree, takeLane } from './batch.js'
import { Call } from './call.js'
import { coalescedWrite, idle, runAlone } from './coalesce.js'
import { enterTarget, enterTargetNow, enterTargetSync } from './target-order.js'
import { cleanUpOnExit, streamSlots } from './lifecycle.js'
import { bufferChanged, ownBytes, ownBytesNow, readableNow } from './owned-bytes.js'
import { type ByteSource, iterate, pump } from './stream.js'
import { PublishStream } from './write-stream.js'
import { type CompatSettings, compatSettings } from './internal.js'

/** Up to this size, a lone write's bytes are copied natively at the call (see `#writeAlone`). */
const LONE_COPY_UP_TO = 64 << 10
/**
 * Larger writes are not copied first where the platform can write them from the caller's
 * memory: the copy of a fresh buffer cost more than the write itself (README, "Caller's buffers").
 */
const UNREAD_ABOVE = 8 << 20

/** How often copyFrom's progress is read from the native side. */
const COPY_PROGRESS_POLL_MS = 100

export interface PublishResult {
  /** The target as given, made absolute (`path.resolve`), links not followed. */
  path: string
  /** How many bytes were published. */
  bytes: number
  /** XXH3-128 of the published bytes, whenever they were hashed. */
  hash?: string
  /** Set when a later publish to the same target overtook this one before it was written. */
  superseded?: true
}

export class AtomicFile {
  readonly #path: TargetPath
  /** The target as text, for results and messages. */
  readonly #target: string
  #config: NativePublishConfig = { durability: 'full', overwrite: true }
  #signal: AbortSignal | undefined
  #onProgress: ProgressCallback | undefined
  #onScratch: ((path: string) => unknown) | undefined
  #startAfter: Promise<unknown> | undefined

  /** A publish to `target`; nothing on disk is touched until a terminal method runs. */
  constructor(target: PathLike) {
    this.#path = toTargetPath(target)
    this.#target = this.#path.display
    cleanUpOnExit()
  }

  /** The XXH3-128 the published bytes must have: 1–32 hex digits or the 128-bit value. */
  withHash(expected: string | bigint): this {
    this.#config.expectedHash = toHashText(expected)
    return this
  }

  /** The mtime to stamp before the rename: a Date, ms since the epoch, or exact ns as a bigint. */
  withMtime(time: Date | number | bigint): this {
    const { secs, nanos } = toSplitTime(time)
    this.#config.mtimeSecs = secs
    this.#config.mtimeNanos = nanos
    return this
  }

  /** Exactly these permission bits (not masked by the umask), instead of the inherited ones. */
  withMode(mode: number): this {
    this.#config.mode = toMode(mode)
    return this
  }

  /** `true` is `withDurability('full')`, `false` is `withDurability('none')`. */
  withFsync(enabled: boolean): this {
    this.#config.durability = toBoolean(enabled, 'enabled') ? 'full' : 'none'
    return this
  }

  /**
   * What a resolved publish survives. `'full'` (default): a power cut (the scratch is fsynced
   * before the rename, the directory after it). `'file'`: the scratch is fsynced, the directory
   * is not: after a power cut the target holds the old bytes or the new, never a torn file.
   * `'none'`: no fsync; atomic for readers and for a crash of the process.
   */
  withDurability(level: 'full' | 'file' | 'none'): this {
    this.#config.durability = toDurability(level)
    return this
  }

  /**
   * `false`: publish only where no target exists at the moment of the rename; otherwise reject
   * with EEXIST and change nothing. Such publishes are never coalesced or superseded: each one
   * really tries, and of several racing for one name exactly one wins.
   */
  withOverwrite(allowed: boolean): this {
    this.#config.overwrite = toBoolean(allowed, 'allowed')
    return this
  }

  /**
   * The owner to give the scratch before the rename, checked as `fs.chown` checks it (-1 keeps
   * that id as it is). A refusal (EPERM) publishes nothing.
   */
  withOwner(uid: number, gid: number): this {
    this.#config.owner = { uid: toOwnerId(uid, 'uid'), gid: toOwnerId(gid, 'gid') }
    return this
  }

  /** For the compatibility entry only: the peers' options that are no public feature. */
  [compatSettings](settings: CompatSettings): this {
    const { onScratch, startAfter, ...native } = settings
    Object.assign(this.#config, native)
    this.#onScratch = onScratch
    this.#startAfter = startAfter
    return this
  }

  /**
   * Cancel async terminals with this signal: one already aborted rejects before the disk is
   * touched; an abort before the rename removes the scratch and rejects with an AbortError;
   * an abort after the rename changes nothing.
   */
  withSignal(signal: AbortSignal): this {
    if (!isAbortSignal(signal)) throw invalidArgType('signal', 'an instance of AbortSignal', signal)
    this.#signal = signal
    return this
  }

  /** Byte counts as `stream()` and `copyFrom()` write: growing, a few per second, the total last. */
  onProgress(callback: (bytesWritten: number) => void): this {
    if (typeof callback !== 'function') throw invalidArgType('callback', 'of type function', callback)
    this.#onProgress = callback
    return this
  }

  /**
   * Publish `data` (a string as UTF-8); the I/O and hashing run on the thread pool, on a copy
   * of `data` taken at the call (large data: in slices, the first at the call).
   */
  write(data: BinaryData): Promise<PublishResult> {
    let input: string | Uint8Array
    try {
      input = toDataInput(data)
    } catch (error) {
      return Promise.reject(error)
    }
    if (!this.#signal && !this.#onScratch && !this.#startAfter && typeof input !== 'string' && byteLengthOf(input) <= LONE_COPY_UP_TO) {
      const alone = this.#writeAlone(input)
      if (alone) return alone
    }
    return this.#writeQueued(input)
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
    let outcome: Promise<NativeOutcome>
    try {
      outcome = native.publishCopy(this.#path.native, bytes, this.#config)
    } catch (error) {
      leaveGate()
      return Promise.reject(error)
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
      const start = async (durability: string): Promise<NativeOutcome> => {
        const settings = { ...config, durability }
        if (unread) {
          if (changed()) throw bufferChanged()
          const outcome = await this.#writeUnread(unread, settings, call, changed)
          if (outcome) return outcome
        }
        return batchedWrite(target, await ownedBytes(), settings, call)
      }
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
   */
  async stream(source: ByteSource): Promise<PublishResult> {
    return this.#stream(source, this.#signal)
  }

  /**
   * A Writable for `pipeline()` and `.pipe()`: what is written to it is published when it ends,
   * through the same path as `stream()`. 'finish' comes once the publish is durable, with the
   * PublishResult in `result`; an error, `destroy()` or a missing `end()` publishes nothing.
   */
  createWriteStream(): PublishStream {
    return new PublishStream(this.#signal, (source, signal) => this.#stream(source, signal))
  }

  async #stream(source: ByteSource, signal: AbortSignal | undefined): Promise<PublishResult> {
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
    let slot = false
    try {
      if (this.#startAfter) await call.wait(this.#startAfter)
      if (place.ready) await call.wait(place.ready)
      await call.wait(streamSlots.acquire(() => call.aborted))
      slot = true
      const refused = await call.wait(this.#announceScratch(sink))
      if (refused) return this.#settle(refused, undefined, signal)
      const outcome = await pump(iterator, sink, {
        call,
        progress,
        fail: (failure) => toError(failure, this.#target, undefined, signal?.reason),
      })
      const result = this.#settle(outcome, undefined, signal)
      progress?.finish(result.bytes)
      return result
    } catch (err) {
      if (!slot) Promise.resolve(iterator.return?.()).catch(() => {})
      throw err
    } finally {
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
   */
  writeSync(data: BinaryData): PublishResult {
    const input = toDataInput(data)
    const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : readableNow(input)
    return this.#inPlace(() => native.publishBytesSync(this.#path.native, bytes, this.#config, this.#onScratch))
  }

  /** Publish a copy of the file `src`; the copy runs on the thread pool. */
  async copyFrom(src: PathLike): Promise<PublishResult> {
    const source = toNativePath(src, 'src')
    const signal = this.#signal
    if (signal?.aborted) throw new AbortError(signal.reason)
    const call = new Call(signal, !this.#config.overwrite, this.#path.native)
    const progress = this.#reporter(call.control)
    const poll = progress && setInterval(() => progress.update(call.control.bytesWritten()), COPY_PROGRESS_POLL_MS)
    const place = enterTarget(this.#path.key, !this.#config.overwrite)
    try {
      if (place.ready) await call.wait(place.ready)
      const outcome = await call.wait(native.copyFile(source.native, this.#path.native, { ...this.#config }, call.control))
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

  /** Publish a copy of the file `src` on the calling thread; ERR_ORDER_PENDING as writeSync. */
  copyFromSync(src: PathLike): PublishResult {
    const source = toNativePath(src, 'src')
    return this.#inPlace(() => native.copyFileSync(source.native, this.#path.native, this.#config), source.display)
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
