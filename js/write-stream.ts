// createWriteStream(): a stream.Writable whose chunks become the source of one stream()
// publish, so it runs on the same native sink, pump, slots, order and signal handling as
// stream() itself. Only an explicit end() leads to a commit; 'finish' waits for the publish to
// be durable. destroy() before the rename, an error, or a stream that is never ended publishes
// nothing; a destroy() that comes after the rename leaves `result` set at 'close'.

import { Writable } from 'node:stream'
import type { WriteResult } from './atomic-file.js'
import { invalidArgType } from './errors.js'
import { cleanedUp } from './stream.js'

/**
 * Chunks held on the JS side count one each (object mode). With 2, `write()` returns `false`
 * once a chunk is waiting for the pump while it already has its two chunks in the native
 * queue: a producer that honours backpressure never gets further ahead than that.
 */
const HIGH_WATER_MARK = 2

/** Runs one stream() publish of `source`, cancelled by `signal`. */
export type StreamPublisher = (source: AsyncIterable<Uint8Array>, signal: AbortSignal) => Promise<WriteResult>

interface Offered {
  chunk: Uint8Array
  done: (err?: Error | null) => void
}

/**
 * The Writable's chunks as an async iterator for the pump. A chunk's write callback runs only
 * when the pump takes it, which is what holds the Writable back while the native queue is full.
 */
class ChunkChannel implements AsyncIterableIterator<Uint8Array> {
  /** Has the pump asked for a chunk yet? Before that, it has nothing on disk. */
  pulled = false
  #offered: Offered | undefined
  #waiter: { resolve: (r: IteratorResult<Uint8Array>) => void; reject: (e: unknown) => void } | undefined
  #ended = false
  #failure: { error: unknown } | undefined

  [Symbol.asyncIterator](): this {
    return this
  }

  next(): Promise<IteratorResult<Uint8Array>> {
    this.pulled = true
    if (this.#failure) return Promise.reject(this.#failure.error)
    const offered = this.#offered
    if (offered) {
      this.#offered = undefined
      offered.done()
      return Promise.resolve({ done: false, value: offered.chunk })
    }
    if (this.#ended) return Promise.resolve({ done: true, value: undefined })
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject }
    })
  }

  /**
   * The pump stopped early, since its publish failed or was aborted: release a writer waiting
   * on it without an error of its own, so that the stream's error is the publish's (an
   * AbortError, a file-system error), as the other terminals report it.
   */
  return(): Promise<IteratorResult<Uint8Array>> {
    if (!this.#failure && !this.#ended) {
      this.#failure = { error: new Error('the publish stopped before the stream ended') }
      const offered = this.#offered
      this.#offered = undefined
      offered?.done()
    }
    return Promise.resolve({ done: true, value: undefined })
  }

  offer(chunk: Uint8Array, done: Offered['done']): void {
    const waiter = this.#waiter
    if (waiter) {
      this.#waiter = undefined
      done()
      waiter.resolve({ done: false, value: chunk })
    } else {
      this.#offered = { chunk, done }
    }
  }

  /** The explicit end of the stream. */
  end(): void {
    this.#ended = true
    const waiter = this.#waiter
    this.#waiter = undefined
    waiter?.resolve({ done: true, value: undefined })
  }

  /** The stream was destroyed: the source fails, so the pump aborts and removes the scratch. */
  fail(error: unknown): void {
    if (this.#failure || this.#ended) return
    this.#failure = { error }
    const waiter = this.#waiter
    this.#waiter = undefined
    waiter?.reject(error)
    const offered = this.#offered
    this.#offered = undefined
    offered?.done(error instanceof Error ? error : null)
  }
}

/**
 * The Writable returned by `AtomicFile.createWriteStream()` and `publishStream()`: what is
 * written to it is published when it ends; `'finish'` comes once the publish is durable.
 *
 * @example
 * ```ts
 * const out = publishStream('data.ndjson')
 * await pipeline(source, out)
 * console.log(out.result?.hash)
 * ```
 */
export class PublishStream extends Writable {
  readonly #channel = new ChunkChannel()
  /** Cancels the publish on destroy(), also during the commit, up to the rename. */
  readonly #stop = new AbortController()
  readonly #publish: Promise<WriteResult>
  #result: WriteResult | undefined
  #settled = false
  /** What the publish failed with, if it did: the key to its pending clean-up. */
  #failure: unknown
  #finishing = false

  /** @internal Made by `createWriteStream()`, never by callers. */
  constructor(signal: AbortSignal | undefined, publish: StreamPublisher) {
    super({ objectMode: true, highWaterMark: HIGH_WATER_MARK })
    const stop = this.#stop
    const forward = (): void => stop.abort(signal?.reason)
    if (signal?.aborted) forward()
    else signal?.addEventListener('abort', forward, { once: true })
    this.#publish = publish(this.#channel, stop.signal).finally(() => {
      this.#settled = true
      signal?.removeEventListener('abort', forward)
    })
    this.#publish.then(
      (result) => {
        this.#result = result
      },
      (err: unknown) => {
        this.#failure = err
        // A failure while writes are still coming in (an abort, a native error): the stream
        // errors at once. During end(), _final reports it instead.
        if (!this.#finishing && !this.destroyed) this.destroy(err as Error)
      },
    )
  }

  /** The WriteResult, once 'finish' has been emitted (or at 'close' if the publish won a late destroy()). */
  get result(): WriteResult | undefined {
    return this.#result
  }

  override _write(chunk: unknown, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    let bytes: Uint8Array
    if (chunk instanceof Uint8Array) bytes = chunk
    else if (typeof chunk === 'string') bytes = Buffer.from(chunk, encoding)
    else return callback(invalidArgType('chunk', 'of type string or an instance of Buffer or Uint8Array', chunk))
    if (bytes.byteLength === 0) return callback()
    this.#channel.offer(bytes, callback)
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#finishing = true
    this.#channel.end()
    this.#publish.then(
      () => callback(),
      (err: unknown) => callback(err as Error),
    )
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // 'close' (and 'error') come only once the publish has settled and its scratch is gone, as
    // a Node user expects of fs.WriteStream's 'close'. The constructor's handlers run first, so
    // a publish whose rename won the race against this destroy() has set `result` by then: the
    // one way to see that bytes were published without 'finish'.
    const settle = (): void => callback(error)
    const afterPublish = (): void => void this.#publish.then(settle, (err: unknown) => cleanedUp(err).then(settle, settle))
    if (this.#settled) return afterPublish()
    const reason = error ?? new Error('the write stream was destroyed before it ended')
    if (this.#finishing || !this.#channel.pulled) {
      // Committing (cancel it before the rename), or not yet started (waiting for a stream
      // slot, nothing on disk): an abort settles the publish at once.
      this.#stop.abort(reason)
    } else {
      // Writing: the source fails, so the pump removes the scratch before it settles.
      this.#channel.fail(reason)
    }
    afterPublish()
  }
}
