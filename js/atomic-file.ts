// The AtomicFile builder. Configuring it checks arguments and touches nothing on disk; the
// terminals hand one whole publish to the native core (on the thread pool for the async ones).

import * as native from '../binding.js'
import type { NativeOutcome, NativePublishConfig } from '../binding.js'
import {
  type BinaryData,
  type PathLike,
  toBoolean,
  toBytes,
  toHashText,
  toMode,
  toPathString,
  toSplitTime,
  toTargetPath,
} from './args.js'
import { AbortError, invalidArgType, toError } from './errors.js'
import { type ProgressCallback, ProgressReporter } from './progress.js'
import { batchedWrite } from './batch.js'
import { coalescedWrite } from './coalesce.js'
import { cleanUpOnExit, streamSlots } from './lifecycle.js'
import { type ByteSource, iterate, pump } from './stream.js'

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
  readonly #target: string
  #config: NativePublishConfig = { fsync: true }
  #signal: AbortSignal | undefined
  #onProgress: ProgressCallback | undefined

  /** A publish to `target`; nothing on disk is touched until a terminal method runs. */
  constructor(target: PathLike) {
    this.#target = toTargetPath(target)
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

  /** `false`: atomic for readers and process crashes, but not durable across a power cut. */
  withFsync(enabled: boolean): this {
    this.#config.fsync = toBoolean(enabled, 'enabled')
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

  /** Publish `data` (a string as UTF-8); the I/O and hashing run on the thread pool. */
  async write(data: BinaryData): Promise<PublishResult> {
    const bytes = toBytes(data)
    const expected = this.#config.expectedHash
    const signal = this.#signal
    return this.#run((config, control) =>
      coalescedWrite(this.#target, {
        bytes,
        expected,
        start: () => batchedWrite(this.#target, bytes, config, control, signal),
        aborted: () => signal?.aborted === true,
      }),
    )
  }

  /**
   * Publish everything `source` yields, up to its end: a Node Readable, any async iterable of
   * Uint8Array or string (UTF-8), or a web ReadableStream. At most two chunks are in flight;
   * the source is paused meanwhile. A source that fails, is destroyed, or is aborted publishes
   * nothing, and the promise rejects with the source's own error (or an AbortError).
   */
  async stream(source: ByteSource): Promise<PublishResult> {
    const iterator = iterate(source)
    const signal = this.#signal
    if (signal?.aborted) {
      Promise.resolve(iterator.return?.()).catch(() => {})
      throw new AbortError(signal.reason)
    }
    const control = new native.NativeControl()
    const progress = this.#reporter(control)
    // The call's place in order is taken now, before waiting for a slot.
    const sink = new native.NativeSink(this.#target, { ...this.#config }, control)
    await streamSlots.acquire()
    try {
      const outcome = await pump(iterator, sink, {
        signal,
        progress,
        cancel: () => control.cancel(),
        aborted: () => new AbortError(signal?.reason),
        fail: (failure) => toError(failure, this.#target, undefined, signal?.reason),
      })
      const result = this.#settle(outcome, undefined, signal)
      progress?.finish(result.bytes)
      return result
    } finally {
      streamSlots.release()
    }
  }

  /** Publish `data` on the calling thread. */
  writeSync(data: BinaryData): PublishResult {
    const bytes = toBytes(data)
    return this.#settle(native.publishBytesSync(this.#target, bytes, this.#config))
  }

  /** Publish a copy of the file `src`; the copy runs on the thread pool. */
  async copyFrom(src: PathLike): Promise<PublishResult> {
    const source = toPathString(src, 'src')
    return this.#run((config, control) => native.copyFile(source, this.#target, config, control), source, true)
  }

  /** Publish a copy of the file `src` on the calling thread. */
  copyFromSync(src: PathLike): PublishResult {
    const source = toPathString(src, 'src')
    return this.#settle(native.copyFileSync(source, this.#target, this.#config), source)
  }

  /** One native task with this builder's signal and, for copies, polled progress. */
  async #run(
    start: (config: NativePublishConfig, control: native.NativeControl) => Promise<NativeOutcome>,
    source?: string,
    reportsProgress = false,
  ): Promise<PublishResult> {
    const signal = this.#signal
    if (signal?.aborted) throw new AbortError(signal.reason)
    const control = new native.NativeControl()
    const cancel = (): void => control.cancel()
    signal?.addEventListener('abort', cancel, { once: true })
    const progress = reportsProgress ? this.#reporter(control) : undefined
    const poll = progress && setInterval(() => progress.update(control.bytesWritten()), COPY_PROGRESS_POLL_MS)
    try {
      const outcome = await start({ ...this.#config }, control)
      if (outcome.failure?.kind === 'aborted' && progress?.error) throw progress.error.thrown
      const result = this.#settle(outcome, source, signal)
      progress?.finish(result.bytes)
      return result
    } finally {
      if (poll) clearInterval(poll)
      signal?.removeEventListener('abort', cancel)
    }
  }

  #reporter(control: native.NativeControl): ProgressReporter | undefined {
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

function isAbortSignal(value: unknown): value is AbortSignal {
  return (
    value instanceof AbortSignal ||
    (typeof value === 'object' &&
      value !== null &&
      typeof (value as AbortSignal).aborted === 'boolean' &&
      typeof (value as AbortSignal).addEventListener === 'function')
  )
}
