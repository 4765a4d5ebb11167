// Where write-file-atomic 7 and atomically 2 disagree, each override package behaves as its own
// peer; the main compat entry has a documented rule of its own ('compat'). Everything here reads
// the caller's arguments only: what the peer would write, with which mode, or why it refuses.

import { Readable } from 'node:stream'
import { invalidArgType, invalidArgValue } from './errors.js'
import { fileMode, notWritable, stringBytes, viewBytes } from './fs-arguments.js'

export type Peer = 'compat' | 'write-file-atomic' | 'atomically'

/** The permission bits a publish ends with. */
export type ModeRule =
  | { kind: 'inherit' } // the replaced file's; 0o666 & ~umask for a new file
  | { kind: 'masked'; bits: number } // bits & ~umask, whatever the replaced file had
  | { kind: 'exact'; bits: number } // as chmod sets them

const NEW_FILE_MODE = 0o666
const INHERIT: ModeRule = { kind: 'inherit' }
const MASKED: ModeRule = { kind: 'masked', bits: NEW_FILE_MODE }

export interface PeerOptions {
  options: Record<string, unknown>
  /**
   * write-file-atomic's async call assigns to its options once the target exists, which throws
   * when they are a number or a boolean: it then refuses, and so does compat.
   */
  refusedOverExisting?: Error
}

/** The options as the peer reads them: an encoding name, an object, or nothing. */
export function peerOptions(peer: Peer, raw: unknown, sync: boolean): PeerOptions {
  if (raw === undefined) return { options: {} }
  if (typeof raw === 'string') return { options: { encoding: raw } }
  if (typeof raw === 'object' && raw !== null) {
    const options = raw as Record<string, unknown>
    if (peer !== 'write-file-atomic' || sync) return { options }
    return { options, refusedOverExisting: unassignable(options) }
  }
  const wrongType = invalidArgType('options', 'of type string or object', raw)
  if (raw === null) {
    // Both peers read a property of null options and throw (write-file-atomic's sync call does not).
    if (peer === 'compat' || (peer === 'write-file-atomic' && sync)) return { options: {} }
    throw wrongType
  }
  // A number, boolean, symbol or bigint: both peers find no option in it and write.
  if (peer === 'write-file-atomic' && !sync) return { options: {}, refusedOverExisting: wrongType }
  return { options: {} }
}

/**
 * write-file-atomic's async call fills in `options.mode` and `options.chown` from the replaced
 * file when either is unset, by assigning to the caller's object; on options that cannot take
 * the assignment (frozen, sealed, non-extensible, a getter-only or read-only property) it
 * throws before writing. Found without assigning anything.
 */
function unassignable(options: Record<string, unknown>): Error | undefined {
  if (options.mode && options.chown) return undefined
  const refusal = (key: string, why: string) => invalidArgValue('options', options, `cannot be assigned options.${key} (${why})`)
  const check = (key: string): Error | undefined => {
    for (let o: object | null = options; o !== null; o = Object.getPrototypeOf(o)) {
      const found = Object.getOwnPropertyDescriptor(o, key)
      if (!found) continue
      if (!('value' in found)) return found.set ? undefined : refusal(key, 'it has only a getter')
      if (!found.writable) return refusal(key, 'it is read-only')
      if (o === options) return undefined
      break
    }
    return Object.isExtensible(options) ? undefined : refusal(key, 'the object is not extensible')
  }
  if (options.mode == null) {
    const refused = check('mode')
    if (refused) return refused
  }
  return options.chown == null && process.getuid ? check('chown') : undefined
}

/** The mode rule for `options.mode`; a mode fs.open refuses is refused with its code. */
export function peerMode(peer: Peer, mode: unknown, sync: boolean): ModeRule {
  if (peer === 'write-file-atomic') {
    // Its sync call takes any falsy mode as none; its async call opens the scratch with the
    // mode (0 stays 0, false is refused by fs.open) and chmods only a truthy one.
    if (mode == null || (sync && !mode)) return INHERIT
    return { kind: 'exact', bits: fileMode(mode) & 0o7777 }
  }
  if (peer === 'atomically') {
    // atomically opens the scratch with `mode || 0o666` (so the umask applies) and chmods any
    // other truthy mode; only an absent mode copies the replaced file's.
    if (mode === undefined) return INHERIT
    if (!mode) return MASKED
    const bits = fileMode(mode)
    return mode === NEW_FILE_MODE ? MASKED : { kind: 'exact', bits: bits & 0o7777 }
  }
  // compat's own rule: atomically's, except that `null` counts as absent and any number
  // the peers could mean as "the default" (0, 0o666) is masked.
  if (mode == null) return INHERIT
  if (mode === false) return MASKED
  const bits = fileMode(mode) & 0o7777
  if (typeof mode === 'number' && (bits === 0 || bits === NEW_FILE_MODE)) return MASKED
  return { kind: 'exact', bits }
}

/** The bytes the peer writes for `data` (or the stream it pipes), or its refusal. */
export function peerData(peer: Peer, data: unknown, encoding: unknown, sync: boolean): Uint8Array | Readable {
  if (peer === 'write-file-atomic') {
    if (ArrayBuffer.isView(data)) return viewBytes(data)
    if (data == null) return new Uint8Array(0)
    return stringBytes(String(data), String(encoding || 'utf8'))
  }
  if (peer === 'atomically') {
    if (typeof data === 'string') return stringBytes(data, encoding || 'utf8')
    if (data instanceof Readable && !sync) return data
    if (data === undefined) return new Uint8Array(0)
    if (ArrayBuffer.isView(data)) return viewBytes(data)
    throw notWritable(data)
  }
  if (data instanceof Readable && !sync) return data
  if (data instanceof Readable) throw invalidArgType('data', 'of type string or an instance of Buffer or Uint8Array', data)
  if (data == null) return new Uint8Array(0)
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  return stringBytes(String(data), encoding ?? 'utf8')
}

/** The options a peer does not know are ignored by it, as the peer ignores them. */
export function knows(peer: Peer, option: 'tmpfileCreated' | 'atomicallyOnly'): boolean {
  if (peer === 'compat') return true
  return option === 'tmpfileCreated' ? peer === 'write-file-atomic' : peer === 'atomically'
}
