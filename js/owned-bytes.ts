// The bytes a publish hashes and writes are a copy the package owns, or bytes only the kernel
// reads (guarantee 12). The caller's buffer may be changed, transferred, shrunk or shared with
// other threads the moment the call returns; the thread pool never reads it in user space.
// Small data is copied at the call. Large data goes to the kernel as it is where the platform
// allows (src/unread.rs: the file is then hashed from what it received), else it is copied in
// slices between turns of the event loop, so the copy never blocks it for long.

import { types } from 'node:util'
import { byteLengthOf } from './args.js'

/** Above this, the copy is made in slices of this size, one per turn of the event loop. */
const COPY_SLICE = 8 << 20

/** A buffer with its own ArrayBuffer, which no one else can detach or see (never the pool). */
function privateBuffer(size: number): Buffer {
  return Buffer.allocUnsafeSlow(size)
}

/** The caller's buffer shrank or was detached while it was being copied. */
export function bufferChanged(): Error {
  const err = new Error(
    'The data buffer was detached or resized while it was being read; nothing was published',
  ) as Error & { code: string }
  err.code = 'ERR_INVALID_STATE'
  return err
}

/** A private copy of `data` made now (a string is encoded as UTF-8). */
export function ownBytesNow(data: string | Uint8Array): Uint8Array {
  if (typeof data === 'string') {
    const out = privateBuffer(Buffer.byteLength(data, 'utf8'))
    out.write(data, 'utf8')
    return out
  }
  const out = privateBuffer(byteLengthOf(data))
  // A view already detached has no bytes (and `set` would throw).
  if (out.length > 0) out.set(data)
  return out
}

/**
 * A private copy of `data`: made now when small, else slice by slice, yielding to the event
 * loop in between (a promise then, which rejects with ERR_INVALID_STATE if the buffer is
 * detached or shrunk midway).
 */
export function ownBytes(data: string | Uint8Array): Uint8Array | Promise<Uint8Array> {
  if (typeof data === 'string' || byteLengthOf(data) <= COPY_SLICE) return ownBytesNow(data)
  return copyInSlices(data)
}

async function copyInSlices(data: Uint8Array): Promise<Uint8Array> {
  const size = byteLengthOf(data)
  const out = privateBuffer(size)
  for (let at = 0; at < size; at += COPY_SLICE) {
    if (byteLengthOf(data) !== size) throw bufferChanged()
    out.set(data.subarray(at, Math.min(at + COPY_SLICE, size)), at)
    await new Promise<void>((resolve) => setImmediate(resolve))
  }
  return out
}

/** `data` as a view the sync terminals may read in place: a copy only if other threads can write it. */
export function readableNow(data: Uint8Array): Uint8Array {
  // util.types, not instanceof: a SharedArrayBuffer from another realm (vm) is shared too.
  return types.isSharedArrayBuffer(data.buffer) ? ownBytesNow(data) : data
}
