// The pump behind stream(): pull chunks from any byte source and push them to the native sink,
// at most two in flight (one being written, one queued). Awaiting the older one before reading
// on is the backpressure: a fast source is paused, never buffered. Only the source's own end
// leads to a commit; an error or a bad chunk aborts the sink, which removes the scratch,
// before the promise settles; an accepted abort settles it at once, the clean-up following.
//
// What is pushed is the package's own copy (guarantee 12). While a push is under way, small
// chunks are gathered (up to GATHER_BYTES) instead of each making its own pool round trip;
// once the sink is idle, what is gathered goes at once, so a slow source loses no time. Large
// chunks are copied a piece at a time, just before each piece is pushed. The private buffers
// are reused once their push has settled (the pool reads them only while it runs): a fresh
// buffer per chunk cost a page fault per 4 KiB on the first write and a GC every few MiB,
// which made a stream from a file (a fresh chunk each time) trail one from a generator.

import type { ByteSource } from './types.js'
import { types } from 'node:util'
import type { NativeFailure, NativeOutcome, NativeSink } from '../binding.js'
import type { Call } from './call.js'
import { inNativeOrder } from './native-order.js'
import { invalidArgType } from './errors.js'
import { byteLengthOf } from './args.js'
import { bufferChanged } from './owned-bytes.js'
import type { ProgressReporter } from './progress.js'

const IN_FLIGHT = 2
/** Small chunks are gathered up to this size before one push. */
const GATHER_BYTES = 256 << 10
/** Large chunks are copied and pushed in pieces of at most this size. */
const PIECE_BYTES = 4 << 20
/** Private buffers kept for reuse: one per push in flight, and the one being filled. */
const SPARE_BUFFERS = IN_FLIGHT + 1

export type { ByteSource }

interface WebReader {
  read(): Promise<{ done: boolean; value?: unknown }>
  cancel(reason?: unknown): Promise<void>
}

/** An async iterator over `source`, or ERR_INVALID_ARG_TYPE. */
export function iterate(source: unknown): AsyncIterator<unknown> {
  if (source !== null && typeof source === 'object') {
    const iterable = source as Partial<AsyncIterable<unknown>> & { getReader?: () => WebReader }
    const asyncIterator = iterable[Symbol.asyncIterator]
    if (typeof asyncIterator === 'function') return asyncIterator.call(iterable)
    if (typeof iterable.getReader === 'function') return readerIterator(iterable.getReader())
  }
  throw invalidArgType('source', 'a Readable, an AsyncIterable, or a ReadableStream', source)
}

/** For web streams that predate async iteration. */
function readerIterator(reader: WebReader): AsyncIterator<unknown> {
  return {
    next: async () => {
      const { done, value } = await reader.read()
      return done ? { done: true, value: undefined } : { done: false, value }
    },
    return: async () => {
      await reader.cancel()
      return { done: true, value: undefined }
    },
  }
}

function toChunk(value: unknown): Uint8Array {
  if (types.isUint8Array(value)) return value
  if (typeof value === 'string') return Buffer.from(value, 'utf8')
  throw invalidArgType('chunk', 'of type string or an instance of Uint8Array', value)
}

/** Copy `chunk` into `into` at `at`; a chunk detached meanwhile is ERR_INVALID_STATE. */
function copyInto(into: Uint8Array, chunk: Uint8Array, at: number): void {
  try {
    into.set(chunk, at)
  } catch {
    throw bufferChanged()
  }
}

/** Collects small chunks into private buffers, and cuts large ones into private pieces. */
export class Gatherer {
  #buffer: Buffer | undefined
  #filled = 0
  /** Private buffers whose pushes have settled, ready to be filled again. */
  readonly #spares: ArrayBuffer[] = []

  get size(): number {
    return this.#filled
  }

  /** A private copy of a small `chunk`, made now. */
  copyOf(chunk: Uint8Array): Uint8Array {
    const size = byteLengthOf(chunk)
    const copy = this.#privateBuffer(size)
    copyInto(copy, chunk, 0)
    // A chunk detached between reading its size and the copy would leave the copy short.
    if (byteLengthOf(chunk) !== size) throw bufferChanged()
    return copy
  }

  /** What is gathered so far, as one piece (empty if nothing is). */
  take(): Uint8Array {
    const piece = (this.#buffer ?? Buffer.alloc(0)).subarray(0, this.#filled)
    this.#buffer = undefined
    this.#filled = 0
    return piece
  }

  /**
   * The private pieces ready to push after `chunk`. A small chunk is copied before anything is
   * handed on (the caller may change it while a push is awaited); a large one piece by piece.
   */
  *add(chunk: Uint8Array): Generator<Uint8Array> {
    const size = byteLengthOf(chunk)
    if (size < GATHER_BYTES) {
      const full = this.#filled + size > GATHER_BYTES ? this.take() : undefined
      this.#buffer ??= this.#privateBuffer(GATHER_BYTES)
      copyInto(this.#buffer, chunk, this.#filled)
      this.#filled += size
      if (full) yield full
      if (this.#filled === GATHER_BYTES) yield this.take()
      return
    }
    if (this.#filled > 0) yield this.take()
    // Each piece is copied only when the one before it has been handed on, so the caller's
    // chunk may change under us: a piece is what it held when that piece was copied.
    for (let at = 0; at < size; at += PIECE_BYTES) {
      if (byteLengthOf(chunk) !== size) throw bufferChanged()
      const end = Math.min(at + PIECE_BYTES, size)
      const piece = this.#privateBuffer(end - at)
      copyInto(piece, chunk.subarray(at, end), 0)
      yield piece
    }
  }

  /** `piece`'s push has settled: nothing reads its buffer any more, so it may be filled again. */
  recycle(piece: Uint8Array): void {
    const buffer = piece.buffer
    if (buffer.byteLength === 0 || buffer instanceof SharedArrayBuffer) return
    if (this.#spares.length === SPARE_BUFFERS) this.#spares.shift()
    this.#spares.push(buffer)
  }

  /** A private buffer of exactly `size` bytes: a view of a spare one if one is large enough. */
  #privateBuffer(size: number): Buffer {
    const i = this.#spares.findIndex((spare) => spare.byteLength >= size)
    if (i === -1) return Buffer.allocUnsafeSlow(size)
    const [spare] = this.#spares.splice(i, 1)
    return Buffer.from(spare as ArrayBuffer, 0, size)
  }
}

/**
 * The clean-up of a publish that failed after an accepted abort, which settled before its
 * scratch was gone: keyed by the error it settled with, so that a write stream's 'close' can
 * wait for it (as fs.WriteStream's 'close' comes once its file is closed).
 */
const pendingCleanUps = new WeakMap<object, Promise<unknown>>()

/** Settles once the scratch of the publish that failed with `err` is gone (at once if it was). */
export function cleanedUp(err: unknown): Promise<unknown> {
  return (typeof err === 'object' && err !== null && pendingCleanUps.get(err)) || Promise.resolve()
}

/** `err`, with `scratch` naming a scratch file its clean-up could not remove. */
function naming(scratch: string | null | undefined, err: unknown): unknown {
  if (scratch != null && typeof err === 'object' && err !== null && Object.isExtensible(err)) {
    ;(err as { scratch?: string }).scratch ??= scratch
  }
  return err
}

/** Raised inside the pump for a native failure; turned into a Node error by `fail`. */
class SinkFailure {
  constructor(readonly failure: NativeFailure) {}
}

export interface PumpOptions {
  call: Call
  progress?: ProgressReporter
  /** The error for a native failure. */
  fail: (failure: NativeFailure) => Error
}

export async function pump(source: AsyncIterator<unknown>, sink: NativeSink, options: PumpOptions): Promise<NativeOutcome> {
  const { call, progress } = options
  const inFlight: Promise<void>[] = []
  let last: Promise<void> = Promise.resolve()
  /** Pushes handed to the sink and not yet settled. */
  let busy = 0
  let committing = false
  const gathered = new Gatherer()
  const push = async (piece: Uint8Array): Promise<void> => {
    busy++
    const write = last
      .then(() => sink.push(piece))
      .finally(() => {
        busy--
        gathered.recycle(piece)
      })
      .then((outcome) => {
        if (outcome.failure) throw new SinkFailure(outcome.failure)
        progress?.update(outcome.bytes)
      })
    write.catch(() => {})
    last = write
    inFlight.push(write)
    if (inFlight.length >= IN_FLIGHT) await call.wait(inFlight.shift() as Promise<void>)
  }
  try {
    if (call.aborted) throw call.abortError()
    for (;;) {
      const step = await call.wait(source.next())
      if (step.done) break
      const chunk = toChunk(step.value)
      const length = byteLengthOf(chunk)
      if (length === 0) continue
      // The sink is idle and nothing waits: this chunk goes now, in a copy of its own size
      // (a gather buffer is only worth its size while pushes queue up).
      if (busy === 0 && gathered.size === 0 && length < GATHER_BYTES) {
        await push(gathered.copyOf(chunk))
        continue
      }
      for (const piece of gathered.add(chunk)) await push(piece)
      if (busy === 0 && gathered.size > 0) await push(gathered.take())
    }
    if (gathered.size > 0) await push(gathered.take())
    await call.wait(last)
    if (progress?.error) throw progress.error.thrown
    committing = true
    const outcome = await inNativeOrder(call, () => call.wait(sink.commit()))
    if (outcome.failure?.kind === 'aborted' && progress?.error) throw progress.error.thrown
    return outcome
  } catch (err) {
    // Let the chunk being written finish, then remove the scratch, and settle once it is gone,
    // naming it if it could not be removed. An accepted abort does not wait for a chunk of
    // its own still being written: it settles now and leaves the clean-up to the pool.
    const cleanUp = last
      .catch(() => {})
      .then(() => sink.abort())
      .catch(() => undefined)
    const ownWorkRunning = busy > 0 || committing
    const left = !call.aborted || !ownWorkRunning ? (await cleanUp)?.failure?.scratch : undefined
    // Stop the source as stream.pipeline would (destroy a Readable, cancel a web stream);
    // not awaited, since a source stuck in a read may never answer.
    Promise.resolve()
      .then(() => source.return?.())
      .catch(() => {})
    const settled = naming(left, settledError(err))
    if (typeof settled === 'object' && settled !== null) pendingCleanUps.set(settled, cleanUp)
    throw settled
  }

  function settledError(err: unknown): unknown {
    if (call.aborted) return progress?.error ? progress.error.thrown : call.abortError()
    if (err instanceof SinkFailure) {
      if (err.failure.kind === 'aborted') return progress?.error ? progress.error.thrown : call.abortError()
      return options.fail(err.failure)
    }
    return err
  }
}
