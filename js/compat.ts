// The compatibility entry: write-file-atomic 7's and atomically 2's calls and options, mapped
// onto AtomicFile. Compat never touches a file itself; every publish is the package's own.
// How each option maps is listed in the README ("Migrating from write-file-atomic / atomically").

import { readFileSync as fsReadFileSync } from 'node:fs'
import { readFile as fsReadFile } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { AtomicFile } from './atomic-file.js'
import { invalidArgType, invalidArgValue } from './errors.js'
import { type CompatSettings, compatSettings } from './internal.js'

export type Encoding = BufferEncoding
export type Disposer = () => void
export type Callback = (error?: NodeJS.ErrnoException | null) => void

/** Every option write-file-atomic 7 and atomically 2 accept. */
export interface WriteOptions {
  /** Owner of the file; default: the replaced file's; `false`: this process's. */
  chown?: { uid: number; gid: number } | false
  /** For string data; ignored for bytes. Default 'utf8'. */
  encoding?: Encoding | null
  /** `false`: no fsync at all (atomic for readers and process crashes, not for power cuts). */
  fsync?: boolean
  /** `false`: do not wait for the fsync; mapped to no fsync (nothing durable on return). */
  fsyncWait?: boolean
  /**
   * Permission bits, exactly (as chmod), except 0o666 and 0, which are masked by the umask as
   * atomically masks them; default: the replaced file's; `false`: 0o666 & ~umask.
   */
  mode?: number | string | false
  /** Awaited before the write; its disposer is called after it (async only). */
  schedule?: (filePath: string) => Promise<Disposer> | Disposer
  /** Milliseconds to keep retrying EPERM/EBUSY/EACCES/EMFILE/ENFILE/EAGAIN; 0 or -1: none. */
  timeout?: number
  /** Accepted and ignored: scratch files are always `<name>.oxentmp.<random>` (for sweepOrphans). */
  tmpCreate?: (filePath: string) => string
  /** atomically's name: called with the scratch path once it exists; a throw aborts the write. */
  tmpCreated?: (tmpPath: string) => unknown
  /** write-file-atomic's name: as tmpCreated, and awaited in the async call. */
  tmpfileCreated?: (tmpPath: string) => unknown
  /** `false`: a failed write leaves its scratch file (for inspection, or sweepOrphans later). */
  tmpPurge?: boolean
}

export interface ReadOptions {
  encoding?: Encoding | null
  /** Accepted, as atomically does, and ignored: reading does not create files. */
  mode?: string | number | false
  /** Milliseconds to keep retrying EMFILE/ENFILE/EAGAIN/EBUSY/EACCES/EPERM. */
  timeout?: number
}

export type Data = string | NodeJS.ArrayBufferView | ArrayBuffer | Readable | null | undefined | { toString(): string }

/** What a new file is opened with before the umask, by fs.writeFile and both peers. */
const NEW_FILE_MODE = 0o666
const RETRIABLE = new Set(['EMFILE', 'ENFILE', 'EAGAIN', 'EBUSY', 'EACCES', 'EPERM'])
/** atomically's defaults for reads. */
const READ_TIMEOUT_ASYNC_MS = 7500
const READ_TIMEOUT_SYNC_MS = 1000
const READ_RETRY_INTERVAL_MS = 200

function toOptions(options: unknown): WriteOptions {
  if (options == null) return {}
  if (typeof options === 'string') return { encoding: options as Encoding }
  if (typeof options !== 'object') throw invalidArgType('options', 'of type string or object', options)
  return options as WriteOptions
}

/** Permission bits from a number or an octal string, as Node's fs accepts them. */
function toModeBits(mode: number | string): number {
  if (typeof mode === 'string') {
    if (!/^[0-7]+$/.test(mode)) throw invalidArgValue('mode', mode, 'must be a 32-bit unsigned integer or an octal string')
    return Number.parseInt(mode, 8) & 0o7777
  }
  if (typeof mode !== 'number' || !Number.isInteger(mode) || mode < 0 || mode > 0xffffffff) {
    throw invalidArgValue('mode', mode, 'must be a 32-bit unsigned integer or an octal string')
  }
  // A mode copied from fs.stat carries the file type bits, which chmod ignores too.
  return mode & 0o7777
}

function toBuilder(filename: unknown, options: WriteOptions, sync: boolean): AtomicFile {
  const file = new AtomicFile(filename as string)
  const settings: CompatSettings = { attributesBestEffort: true }
  if (options.fsync === false || options.fsyncWait === false) file.withDurability('none')
  if (options.mode === false) settings.maskedMode = NEW_FILE_MODE
  else if (options.mode != null) {
    // atomically opens the temp file with the mode (so the umask applies) and chmods it only
    // when it is not 0o666: conf's default configFileMode, 0o666, must end up 0o644 under the
    // usual umask, never world-writable. A mode of 0 counts as not given, as there. Its test
    // compares numbers, so an octal string (even '666' or '0') is always set exactly.
    const bits = toModeBits(options.mode)
    if (typeof options.mode === 'number' && (bits === 0 || bits === NEW_FILE_MODE)) settings.maskedMode = NEW_FILE_MODE
    else file.withMode(bits)
  }
  if (options.chown === false) settings.processOwner = true
  else if (options.chown != null) {
    if (typeof options.chown !== 'object') throw invalidArgType('options.chown', 'of type object', options.chown)
    file.withOwner(options.chown.uid, options.chown.gid)
  }
  if (options.timeout != null) {
    if (typeof options.timeout !== 'number' || Number.isNaN(options.timeout)) {
      throw invalidArgType('options.timeout', 'of type number', options.timeout)
    }
    settings.retryBudgetMs = Math.max(0, Math.min(options.timeout, 2 ** 31 - 1))
  }
  if (options.tmpPurge === false) settings.keepScratchOnFailure = true
  const awaited = checkHook(options.tmpfileCreated, 'options.tmpfileCreated')
  const notAwaited = checkHook(options.tmpCreated, 'options.tmpCreated')
  if (awaited || notAwaited) {
    // write-file-atomic awaits tmpfileCreated in its async call; atomically only calls
    // tmpCreated. Either one throwing aborts the write; neither is awaited in a sync call.
    settings.onScratch = sync
      ? (path) => {
          notAwaited?.(path)
          awaited?.(path)
        }
      : async (path) => {
          notAwaited?.(path)
          await awaited?.(path)
        }
  }
  return file[compatSettings](settings)
}

function checkHook(hook: unknown, name: string): ((path: string) => unknown) | undefined {
  if (hook == null) return undefined
  if (typeof hook !== 'function') throw invalidArgType(name, 'of type function', hook)
  return hook as (path: string) => unknown
}

/** The bytes to publish, as write-file-atomic reads `data` (a superset of what atomically takes). */
function toBytes(data: unknown, options: WriteOptions): Uint8Array {
  if (data == null) return new Uint8Array(0)
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  return Buffer.from(String(data), options.encoding ?? 'utf8')
}

async function publish(filename: unknown, data: unknown, rawOptions: unknown): Promise<void> {
  const options = toOptions(rawOptions)
  const file = toBuilder(filename, options, false)
  let dispose: Disposer | undefined
  if (options.schedule != null) {
    if (typeof options.schedule !== 'function') throw invalidArgType('options.schedule', 'of type function', options.schedule)
    dispose = await options.schedule(String(filename))
  }
  try {
    if (data instanceof Readable) await file.stream(data)
    else await file.write(toBytes(data, options))
  } finally {
    if (typeof dispose === 'function') dispose()
  }
}

/**
 * `writeFile(filename, data, [options], [callback])`: publish `data` atomically. Returns a
 * promise; with a callback, the callback gets the error (or nothing) and the promise resolves.
 */
export function writeFile(filename: string, data: Data, options?: WriteOptions | Encoding | Callback | null, callback?: Callback): Promise<void> {
  if (typeof options === 'function') {
    callback = options
    options = undefined
  }
  const promise = publish(filename, data, options)
  if (callback == null) return promise
  if (typeof callback !== 'function') throw invalidArgType('callback', 'of type function', callback)
  const cb = callback
  return promise.then(
    () => cb(),
    (err: NodeJS.ErrnoException) => cb(err),
  )
}

/** `writeFileSync(filename, data, [options])`: publish `data` atomically on the calling thread. */
export function writeFileSync(filename: string, data: Data, options?: WriteOptions | Encoding | null): void {
  const settings = toOptions(options)
  if (data instanceof Readable) throw invalidArgType('data', 'of type string or an instance of Buffer or Uint8Array', data)
  toBuilder(filename, settings, true).writeSync(toBytes(data, settings))
}

function readOptions(options: unknown, syncDefault: boolean): { encoding: Encoding | null; timeout: number } {
  const o: ReadOptions = typeof options === 'string' ? { encoding: options as Encoding } : ((options ?? {}) as ReadOptions)
  const timeout = o.timeout ?? (syncDefault ? READ_TIMEOUT_SYNC_MS : READ_TIMEOUT_ASYNC_MS)
  return { encoding: o.encoding ?? null, timeout }
}

function retriable(err: unknown): boolean {
  return RETRIABLE.has((err as NodeJS.ErrnoException | undefined)?.code ?? '')
}

/** atomically's `readFile`: fs.readFile, retried on transient errors until `timeout` ms. */
export async function readFile(filePath: string, options?: ReadOptions | Encoding): Promise<string | Buffer> {
  const { encoding, timeout } = readOptions(options, false)
  const deadline = Date.now() + timeout
  for (;;) {
    try {
      return await fsReadFile(filePath, { encoding })
    } catch (err) {
      if (!retriable(err) || Date.now() >= deadline) throw err
      await new Promise((r) => setTimeout(r, Math.min(READ_RETRY_INTERVAL_MS, Math.max(1, deadline - Date.now()))))
    }
  }
}

/** atomically's `readFileSync`: fs.readFileSync, retried on transient errors until `timeout` ms. */
export function readFileSync(filePath: string, options?: ReadOptions | Encoding): string | Buffer {
  const { encoding, timeout } = readOptions(options, true)
  const deadline = Date.now() + timeout
  const pause = new Int32Array(new SharedArrayBuffer(4))
  for (;;) {
    try {
      return fsReadFileSync(filePath, { encoding })
    } catch (err) {
      if (!retriable(err) || Date.now() >= deadline) throw err
      Atomics.wait(pause, 0, 0, 10)
    }
  }
}
