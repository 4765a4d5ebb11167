// How Node's fs reads the arguments both peers hand it: `fs.open(path, 'w', mode)` and
// `fs.write(fd, data, ...)`. Compat computes from them the exact bytes and mode the peer's own
// calls would produce, and refuses with Node's own error codes where those calls refuse.

import { invalidArgType, invalidArgValue, outOfRange } from './errors.js'

const UINT32_MAX = 0xffff_ffff

/** The mode `fs.open` accepts (a uint32 or an octal string), or Node's error for it. */
export function fileMode(value: unknown): number {
  if (typeof value === 'string') {
    if (!/^[0-7]+$/.test(value)) throw invalidArgValue('mode', value, 'must be a 32-bit unsigned integer or an octal string')
    return Number.parseInt(value, 8)
  }
  if (typeof value !== 'number') throw invalidArgType('mode', 'of type number', value)
  if (!Number.isInteger(value)) throw outOfRange('mode', 'an integer', value)
  if (value < 0 || value > UINT32_MAX) throw outOfRange('mode', `>= 0 && <= ${UINT32_MAX}`, value)
  return value
}

/**
 * The bytes `fs.write(fd, text, position, encoding)` writes. Node refuses an odd-length hex
 * string (it would drop the last digit); any other encoding name it does not know, or one that
 * is not a string, is read as UTF-8 by its native layer.
 */
export function stringBytes(text: string, encoding: unknown): Buffer {
  const known = typeof encoding === 'string' && Buffer.isEncoding(encoding)
  if (known && encoding.toLowerCase() === 'hex' && text.length % 2 !== 0) {
    throw invalidArgValue('encoding', encoding, `is invalid for data of length ${text.length}`)
  }
  return Buffer.from(text, known ? encoding : 'utf8')
}

/**
 * The bytes `fs.write(fd, view, 0, view.length, 0)` writes, as both peers call it: `length` is
 * the view's element count, so a view whose elements are wider than a byte is cut short, and a
 * DataView (no `length`) is written whole.
 */
export function viewBytes(view: ArrayBufferView): Uint8Array {
  const length: unknown = (view as { length?: unknown }).length
  if (typeof length !== 'number') return new Uint8Array(view.buffer, view.byteOffset, view.byteLength)
  if (!Number.isInteger(length)) throw outOfRange('length', 'an integer', length)
  if (length < 0 || length > view.byteLength) throw outOfRange('length', `>= 0 && <= ${view.byteLength}`, length)
  return new Uint8Array(view.buffer, view.byteOffset, length)
}

/** What `fs.write` says of data that is neither a string nor an ArrayBufferView. */
export function notWritable(data: unknown): TypeError {
  return invalidArgType('buffer', 'of type string or an instance of Buffer, TypedArray, or DataView', data)
}
