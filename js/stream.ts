// The pump behind stream(): pull chunks from any byte source and push them to the native sink,
// at most two in flight (one being written, one queued). Awaiting the older one before reading
// on is the backpressure: a fast source is paused, never buffered. Only the source's own end
// leads to a commit; an error, an abort or a bad chunk aborts the sink, which removes the
// scratch, before the promise settles.

import type { NativeFailure, NativeOutcome, NativeSink } from '../binding.js'
import { invalidArgType } from './errors.js'
import type { ProgressReporter } from './progress.js'

const IN_FLIGHT = 2

export type ByteSource =
  | NodeJS.ReadableStream
  | AsyncIterable<Uint8Array | string>
  | ReadableStream<Uint8Array>

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
  if (value instanceof Uint8Array) return value
  if (typeof value === 'string') return Buffer.from(value, 'utf8')
  throw invalidArgType('chunk', 'of type string or an instance of Uint8Array', value)
}

/** Raised inside the pump for a native failure; turned into a Node error by `fail`. */
class SinkFailure {
  constructor(readonly failure: NativeFailure) {}
}

export interface PumpOptions {
  signal?: AbortSignal
  progress?: ProgressReporter
  /** Cancel the native side (between chunks and before the rename). */
  cancel: () => void
  /** The error for an abort of the signal. */
  aborted: () => Error
  /** The error for a native failure. */
  fail: (failure: NativeFailure) => Error
}

export async function pump(source: AsyncIterator<unknown>, sink: NativeSink, options: PumpOptions): Promise<NativeOutcome> {
  const { signal, progress } = options
  let stopAbortWait = (): void => {}
  const abortedWait = new Promise<never>((_, reject) => {
    if (!signal) return
    const onAbort = (): void => {
      options.cancel()
      reject(options.aborted())
    }
    signal.addEventListener('abort', onAbort, { once: true })
    stopAbortWait = () => signal.removeEventListener('abort', onAbort)
  })
  abortedWait.catch(() => {})
  const orAbort = <T>(p: Promise<T>): Promise<T> => (signal ? Promise.race([p, abortedWait]) : p)

  const inFlight: Promise<void>[] = []
  let last: Promise<void> = Promise.resolve()
  try {
    // An abort that came while the stream waited for its turn has no event left to fire.
    if (signal?.aborted) {
      options.cancel()
      throw options.aborted()
    }
    for (;;) {
      const step = await orAbort(source.next())
      if (step.done) break
      const chunk = toChunk(step.value)
      if (chunk.byteLength === 0) continue
      const write = last
        .then(() => sink.push(chunk))
        .then((outcome) => {
          if (outcome.failure) throw new SinkFailure(outcome.failure)
          progress?.update(outcome.bytes)
        })
      write.catch(() => {})
      last = write
      inFlight.push(write)
      if (inFlight.length >= IN_FLIGHT) await orAbort(inFlight.shift() as Promise<void>)
    }
    await orAbort(last)
    if (progress?.error) throw progress.error.thrown
    const outcome = await sink.commit()
    if (outcome.failure?.kind === 'aborted' && progress?.error) throw progress.error.thrown
    return outcome
  } catch (err) {
    // Let the chunk being written finish, then remove the scratch; only then settle.
    await last.catch(() => {})
    await sink.abort()
    // Stop the source as stream.pipeline would (destroy a Readable, cancel a web stream);
    // not awaited, since a source stuck in a read may never answer.
    Promise.resolve()
      .then(() => source.return?.())
      .catch(() => {})
    if (err instanceof SinkFailure) {
      if (err.failure.kind === 'aborted') throw progress?.error ? progress.error.thrown : options.aborted()
      throw options.fail(err.failure)
    }
    throw err
  } finally {
    stopAbortWait()
  }
}
