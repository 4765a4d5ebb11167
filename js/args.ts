// Argument checks shared by the builder and the hashing functions. Each throws at once with a
// Node-style code and touches nothing on disk.

import { basename, isAbsolute, posix, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { types } from 'node:util'
import { invalidArgType, invalidArgValue, outOfRange } from './errors.js'

import type { BinaryData, Durability, PathLike } from './types.js'

export type { BinaryData, Durability, PathLike }

/** Latest and earliest instants a JS Date can hold, in milliseconds (ECMA-262 §21.4.1.22). */
const MAX_DATE_MS = 8.64e15
const NS_PER_MS = 1_000_000n
const MAX_HASH = (1n << 128n) - 1n

/**
 * A path as the native side takes it, and as messages show it. A Buffer names exactly its
 * bytes: one that is not UTF-8 crosses as bytes (POSIX file names are bytes), and is refused
 * where the platform's names are not bytes.
 */
export interface NativePath {
  native: string | Buffer
  /** For messages and results: the path as text (U+FFFD where the bytes are not UTF-8). */
  display: string
}

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** A path argument, checked for the things no file system accepts. */
export function toNativePath(value: unknown, name: string): NativePath {
  let text: string
  let bytes: Buffer | undefined
  if (typeof value === 'string') text = value
  else if (Buffer.isBuffer(value)) {
    text = value.toString('utf8')
    if (!Buffer.from(text, 'utf8').equals(value)) {
      if (process.platform === 'win32') {
        throw invalidArgValue(name, value, 'must be valid UTF-8 on Windows, whose file names are not bytes')
      }
      bytes = value
    }
  } else if (value instanceof URL) {
    if (value.protocol !== 'file:') {
      throw invalidArgValue(name, value.href, 'must be a URL with the file: scheme')
    }
    text = fileURLToPath(value)
  } else {
    throw invalidArgType(name, 'of type string or an instance of Buffer or URL', value)
  }
  if (text.length === 0) throw invalidArgValue(name, text, 'must not be empty')
  if (text.includes('\u0000')) {
    throw invalidArgValue(name, text, 'must be a string without null bytes')
  }
  // Windows names are UTF-16 and may hold a lone surrogate, which Node's fs passes on (WTF-8);
  // across to the native core it would become U+FFFD and name another file.
  if (process.platform === 'win32' && LONE_SURROGATE.test(text)) {
    throw invalidArgValue(name, text, 'must not hold a lone surrogate (half of a UTF-16 pair) on Windows')
  }
  return { native: bytes ?? text, display: text }
}

/** A path argument as text (a Buffer that is not UTF-8 is refused by `toNativePath` callers). */
export function toPathString(value: unknown, name: string): string {
  return toNativePath(value, name).display
}

/**
 * `path` made absolute. Messages and results show it as `path.resolve` does; the native side
 * gets it joined to the working directory but not normalised, because on POSIX the kernel
 * resolves `..` after a symlinked directory physically (`fs.writeFile('link/../f')` writes
 * beside the link's target), and so must we. Windows resolves `..` by text, as
 * `path.resolve` does.
 */
export function resolveNativePath(path: NativePath): NativePath {
  const display = resolve(path.display)
  if (process.platform === 'win32') return { native: display, display }
  if (typeof path.native === 'string') {
    const native = isAbsolute(path.native) ? path.native : `${process.cwd()}/${path.native}`
    return { native, display }
  }
  const relative = path.native[0] !== 0x2f
  const native = relative ? Buffer.concat([Buffer.from(`${process.cwd()}/`, 'utf8'), path.native]) : path.native
  return { native, display }
}

/** A publish target: a path that names a file (not `dir/`, `.` or `..`), made absolute. */
export interface TargetPath extends NativePath {
  /** One string per target, for maps: the path, or for bytes a form no string path can take. */
  key: string
}

export function toTargetPath(value: unknown): TargetPath {
  const given = toNativePath(value, 'target')
  const text = typeof given.native === 'string' ? given.native : given.native.toString('latin1')
  const last = basename(text)
  if (text.endsWith('/') || text.endsWith(sep) || last === '' || last === '.' || last === '..') {
    throw invalidArgValue('target', given.display, 'must name a file, not a directory')
  }
  const resolved = resolveNativePath(given)
  // One queue per file as far as the path's text tells: `//`, `.` and `..` are folded. Folding
  // `..` after a symlinked directory may merge two files into one queue, which only orders
  // them more than needed; spellings that text cannot tell (symlinks) are ordered natively.
  const key =
    typeof resolved.native === 'string'
      ? posix.normalize(resolved.native)
      : `\u0000${posix.normalize(resolved.native.toString('latin1'))}`
  return { ...resolved, key }
}

/** An expected XXH3-128: 1–32 hex digits in either case, or the value as a bigint. */
export function toHashText(value: unknown, name = 'expected'): string {
  if (typeof value === 'bigint') {
    if (value < 0n || value > MAX_HASH) {
      throw invalidArgValue(name, value, 'must be an unsigned 128-bit value')
    }
    return value.toString(16).padStart(32, '0')
  }
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string or bigint', value)
  if (!/^[0-9a-fA-F]{1,32}$/.test(value)) {
    throw invalidArgValue(name, value, 'must be 1 to 32 hexadecimal digits')
  }
  return value.toLowerCase().padStart(32, '0')
}

export interface SplitTime {
  secs: number
  nanos: number
}

/** A modification time as whole seconds and nanoseconds since the epoch, exactly. */
export function toSplitTime(value: unknown, name = 'mtime'): SplitTime {
  if (typeof value === 'bigint') {
    if (value > BigInt(MAX_DATE_MS) * NS_PER_MS || value < -BigInt(MAX_DATE_MS) * NS_PER_MS) {
      throw invalidArgValue(name, value, 'is outside what a Date can hold')
    }
    let secs = value / 1_000_000_000n
    let nanos = value % 1_000_000_000n
    if (nanos < 0n) {
      secs -= 1n
      nanos += 1_000_000_000n
    }
    return { secs: Number(secs), nanos: Number(nanos) }
  }
  let ms: number
  if (value instanceof Date) ms = value.getTime()
  else if (typeof value === 'number') ms = value
  else throw invalidArgType(name, 'an instance of Date or of type number or bigint', value)
  if (!Number.isFinite(ms) || Math.abs(ms) > MAX_DATE_MS) {
    throw invalidArgValue(name, value, 'must be a finite time a Date can hold')
  }
  const secs = Math.floor(ms / 1000)
  // Whole milliseconds stay exact; a fraction is rounded to the nearest nanosecond.
  const nanos = Math.min(Math.round((ms - secs * 1000) * 1e6), 999_999_999)
  return { secs, nanos }
}

export function toMode(value: unknown, name = 'mode'): number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value)
  if (!Number.isInteger(value) || value < 0 || value > 0o7777) {
    throw invalidArgValue(name, value, 'must be an integer from 0 to 0o7777')
  }
  return value
}

export function toBoolean(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') throw invalidArgType(name, 'of type boolean', value)
  return value
}

/** Data to publish, checked: a string as it is, anything else as a view of the caller's memory. */
export function toDataInput(value: unknown): string | Uint8Array {
  return typeof value === 'string' ? value : toBytes(value)
}

/** An accessor of `proto` as the engine defines it, whatever an object redefines on itself. */
function intrinsic<T>(proto: object, name: string): (this: T) => unknown {
  return Object.getOwnPropertyDescriptor(proto, name)!.get as (this: T) => unknown
}
const TypedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object
const typedArrayByteLength = intrinsic(TypedArrayPrototype, 'byteLength')
const typedArrayView = [intrinsic(TypedArrayPrototype, 'buffer'), intrinsic(TypedArrayPrototype, 'byteOffset'), typedArrayByteLength]
const dataViewView = [intrinsic(DataView.prototype, 'buffer'), intrinsic(DataView.prototype, 'byteOffset'), intrinsic(DataView.prototype, 'byteLength')]

/**
 * The byte length of a typed array as the engine knows it (0 once detached). Never the
 * object's own `byteLength`, which a caller can redefine to hide a detach.
 */
export function byteLengthOf(view: Uint8Array): number {
  return typedArrayByteLength.call(view) as number
}

/**
 * Bytes to publish or hash, as a view of the caller's memory (a string is encoded as UTF-8).
 * Told apart by the engine's own checks and read through the engine's own accessors: a Proxy
 * or an object that merely inherits from Uint8Array is refused, and redefined `byteLength`s
 * are not believed.
 */
export function toBytes(value: unknown, name = 'data'): Uint8Array {
  if (typeof value === 'string') return Buffer.from(value, 'utf8')
  if (types.isUint8Array(value)) return value
  const view = types.isTypedArray(value) ? typedArrayView : types.isDataView(value) ? dataViewView : undefined
  if (!view) throw invalidArgType(name, 'of type string or an instance of Buffer, TypedArray, or DataView', value)
  const [buffer, offset, length] = view.map((get) => get.call(value))
  return new Uint8Array(buffer as ArrayBuffer, offset as number, length as number)
}

export function toDurability(value: unknown, name = 'level'): Durability {
  if (value === 'full' || value === 'file' || value === 'none') return value
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string', value)
  throw invalidArgValue(name, value, "must be one of 'full', 'file' or 'none'")
}

/** Largest user or group id, as `fs.chown` bounds it. */
const MAX_ID = 2 ** 32 - 1

/** A uid or gid checked as `fs.chown` checks it: an integer from -1 (leave as is) to 2^32-1. */
export function toOwnerId(value: unknown, name: string): number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value)
  if (!Number.isInteger(value)) throw outOfRange(name, 'an integer', value)
  if (value < -1 || value > MAX_ID) throw outOfRange(name, `>= -1 && <= ${MAX_ID}`, value)
  return value
}

/** A count of versions to keep, for the versioned directory layout: an integer from 1 to 2³²−1. */
export function toKeptVersions(value: unknown, name: string): number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value)
  if (!Number.isInteger(value) || value < 1 || value > 0xffff_ffff) throw outOfRange(name, 'an integer >= 1 and <= 4294967295', value)
  return value
}
