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
import { toError } from './errors.js'

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

  /** A publish to `target`; nothing on disk is touched until a terminal method runs. */
  constructor(target: PathLike) {
    this.#target = toTargetPath(target)
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

  /** Publish `data` (a string as UTF-8); the I/O and hashing run on the thread pool. */
  async write(data: BinaryData): Promise<PublishResult> {
    const bytes = toBytes(data)
    return this.#settle(await native.publishBytes(this.#target, bytes, { ...this.#config }))
  }

  /** Publish `data` on the calling thread. */
  writeSync(data: BinaryData): PublishResult {
    const bytes = toBytes(data)
    return this.#settle(native.publishBytesSync(this.#target, bytes, this.#config))
  }

  /** Publish a copy of the file `src`; the copy runs on the thread pool. */
  async copyFrom(src: PathLike): Promise<PublishResult> {
    const source = toPathString(src, 'src')
    return this.#settle(await native.copyFile(source, this.#target, { ...this.#config }), source)
  }

  /** Publish a copy of the file `src` on the calling thread. */
  copyFromSync(src: PathLike): PublishResult {
    const source = toPathString(src, 'src')
    return this.#settle(native.copyFileSync(source, this.#target, this.#config), source)
  }

  #settle(outcome: NativeOutcome, source?: string): PublishResult {
    if (outcome.failure) throw toError(outcome.failure, this.#target, source)
    const result: PublishResult = { path: this.#target, bytes: outcome.bytes }
    if (outcome.hash != null) result.hash = outcome.hash
    return result
  }
}
