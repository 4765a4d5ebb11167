// The compatibility entries: write-file-atomic 7's and atomically 2's calls and options, mapped
// onto AtomicFile. Compat never touches a file itself; every publish is the package's own.
// `atomic-publish/compat` follows one documented rule where the peers differ; the override
// packages' entries follow their own peer (compat-peers.ts). How each option maps is listed in
// docs/migration.md.

import { readFileSync as fsReadFileSync, statSync } from 'node:fs'
import { readFile as fsReadFile, stat } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { Readable } from 'node:stream'
import { AtomicFile } from './atomic-file.js'
import { type Peer, knows, peerData, peerMode, peerOptions } from './compat-peers.js'
import { peerTarget } from './compat-target.js'
import { invalidArgType } from './errors.js'
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
   * atomically masks them; default: the replaced file's; `false`: 0o666 & ~umask. (The
   * override packages follow their own peer here.)
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

const RETRIABLE = new Set(['EMFILE', 'ENFILE', 'EAGAIN', 'EBUSY', 'EACCES', 'EPERM'])
/** atomically's defaults for reads. */
const READ_TIMEOUT_ASYNC_MS = 7500
const READ_TIMEOUT_SYNC_MS = 1000
const READ_RETRY_INTERVAL_MS = 200

/** A publish as the peer would make it, before anything touches the disk. */
interface Plan {
  file: AtomicFile
  /** Applied when the terminal is made (with compat's `startAfter`, if any). */
  settings: CompatSettings
  data: Uint8Array | Readable
  schedule?: (filePath: string) => Promise<Disposer> | Disposer
  refusedOverExisting?: Error
}

function plan(peer: Peer, filename: unknown, data: unknown, rawOptions: unknown, sync: boolean): Plan {
  const { options, refusedOverExisting } = peerOptions(peer, rawOptions, sync)
  const file = new AtomicFile(filename as string)
  const settings: CompatSettings = { attributesBestEffort: true }
  const atomicallyOptions = knows(peer, 'atomicallyOnly')
  if (options.fsync === false || (atomicallyOptions && options.fsyncWait === false)) file.withDurability('none')
  const mode = peerMode(peer, options.mode, sync)
  if (mode.kind === 'masked') settings.maskedMode = mode.bits
  else if (mode.kind === 'exact') file.withMode(mode.bits)
  setOwner(peer, file, settings, options.chown)
  if (atomicallyOptions) {
    const budget = retryBudget(peer, options.timeout)
    if (budget !== undefined) settings.retryBudgetMs = budget
    if (options.tmpPurge === false) settings.keepScratchOnFailure = true
  }
  const awaited = knows(peer, 'tmpfileCreated') ? checkHook(peer, options.tmpfileCreated, 'options.tmpfileCreated') : undefined
  const notAwaited = atomicallyOptions ? checkHook(peer, options.tmpCreated, 'options.tmpCreated') : undefined
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
  const schedule = atomicallyOptions && !sync ? checkHook(peer, options.schedule, 'options.schedule') : undefined
  return {
    file,
    settings,
    data: peerData(peer, data, options.encoding, sync),
    schedule: schedule as Plan['schedule'],
    refusedOverExisting,
  }
}

function setOwner(peer: Peer, file: AtomicFile, settings: CompatSettings, chown: unknown): void {
  if (chown == null) return
  // compat refuses what is not an object; the peers take any other falsy value as "no chown".
  if (chown === false || (peer !== 'compat' && !chown)) settings.processOwner = true
  else if (typeof chown !== 'object') throw invalidArgType('options.chown', 'of type object', chown)
  else {
    const { uid, gid } = chown as { uid: number; gid: number }
    file.withOwner(uid, gid)
  }
}

/** atomically's `timeout`; it does no arithmetic on a value that is not a number. */
function retryBudget(peer: Peer, timeout: unknown): number | undefined {
  if (timeout == null) return undefined
  if (typeof timeout !== 'number' || Number.isNaN(timeout)) {
    if (peer === 'compat') throw invalidArgType('options.timeout', 'of type number', timeout)
    return undefined
  }
  return Math.max(0, Math.min(timeout, 2 ** 31 - 1))
}

/** A hook option: compat refuses anything but a function; the peers skip a falsy one. */
function checkHook(peer: Peer, hook: unknown, name: string): ((path: string) => unknown) | undefined {
  if (hook == null || (peer !== 'compat' && !hook)) return undefined
  if (typeof hook !== 'function') throw invalidArgType(name, 'of type function', hook)
  return hook as (path: string) => unknown
}

/**
 * write-file-atomic opens its temp file beside the target, so a missing directory fails with
 * ENOENT; atomically and compat create it (as the package does).
 */
function parentOf(peer: Peer, filename: unknown): string | undefined {
  return peer === 'write-file-atomic' && typeof filename === 'string' ? dirname(filename) : undefined
}

function publish(peer: Peer, named: unknown, data: unknown, rawOptions: unknown): Promise<void> {
  try {
    const filename = peerTarget(peer, named, false)
    const planned = plan(peer, filename, data, rawOptions, false)
    return peer === 'compat' ? publishAtCall(planned, filename) : publishAsPeer(peer, planned, filename)
  } catch (err) {
    return Promise.reject(err)
  }
}

/** The terminal for `planned`, made now: its place in the target's call order is taken now. */
function start({ file, data, settings }: Plan, startAfter?: Promise<unknown>): Promise<unknown> {
  file[compatSettings](startAfter ? { ...settings, startAfter } : settings)
  return data instanceof Readable ? file.stream(data) : file.write(data)
}

/**
 * compat's own rule: the call takes its place in call order when it is made (guarantee 7), and
 * starts once the caller's `schedule` has resolved. A sync call made meanwhile comes after it.
 */
async function publishAtCall(planned: Plan, filename: unknown): Promise<void> {
  const { schedule } = planned
  let dispose: unknown
  const scheduled = schedule
    ? (async () => {
        dispose = await schedule(String(filename))
      })()
    : undefined
  try {
    await start(planned, scheduled)
  } finally {
    if (typeof dispose === 'function') dispose()
  }
}

/**
 * Per override entry and target (as its peer keys them): the latest async call's entry into
 * the package's call order, which the next one waits for.
 */
const peerEntries = new Map<string, Promise<void>>()

/**
 * An override package's async call, ordered as its peer orders it. Both peers begin a write
 * only after the code that called them has run to completion (their first step is
 * asynchronous): a sync call made in the same turn lands first, and the async one, renamed
 * later, replaces it. Among themselves their async calls take effect in call order (a queue
 * per target; atomically's taken once the caller's `schedule` has resolved). So the call
 * takes its place in the package's call order then, not at the call.
 */
async function publishAsPeer(peer: Peer, planned: Plan, filename: unknown): Promise<void> {
  const { schedule, refusedOverExisting } = planned
  const dispose = schedule ? await schedule(String(filename)) : undefined
  try {
    const key = `${peer}:${peer === 'write-file-atomic' ? resolve(String(filename)) : String(filename)}`
    const previous = peerEntries.get(key)
    let entered = (): void => {}
    const mine = new Promise<void>((r) => (entered = r))
    peerEntries.set(key, mine)
    try {
      const parent = parentOf(peer, filename)
      // The peer's own first steps: write-file-atomic opens its scratch beside the target (so
      // a missing directory is ENOENT) and may refuse options it cannot assign to.
      const checked = (async () => {
        if (parent !== undefined) await stat(parent)
        if (refusedOverExisting && (await stat(filename as string).then(() => true, () => false))) throw refusedOverExisting
      })()
      await Promise.all([previous, checked, nextTurn()])
      const publishing = start(planned)
      entered()
      await publishing
    } finally {
      // A call refused before its turn still lets the next one in only after the one before it.
      await previous
      entered()
      if (peerEntries.get(key) === mine) peerEntries.delete(key)
    }
  } finally {
    if (typeof dispose === 'function') dispose()
  }
}

/** Resolves once the code running now, and the promise reactions it queued, have finished. */
function nextTurn(): Promise<void> {
  return new Promise((r) => setImmediate(r))
}

function publishSync(peer: Peer, named: unknown, data: unknown, rawOptions: unknown): void {
  const filename = peerTarget(peer, named, true)
  const { file, settings, data: bytes } = plan(peer, filename, data, rawOptions, true)
  const parent = parentOf(peer, filename)
  if (parent !== undefined) statSync(parent)
  file[compatSettings](settings).writeSync(bytes as Uint8Array)
}

/** The write functions of one peer (or of compat's own rule). */
export function writersFor(peer: Peer): { writeFile: typeof writeFile; writeFileSync: typeof writeFileSync } {
  return {
    writeFile(filename, data, options, callback) {
      if (typeof options === 'function') [options, callback] = [undefined, options]
      // compat refuses a callback that is no function before anything is written;
      // write-file-atomic writes, then rejects on calling it; atomically never calls it.
      if (peer === 'compat' && callback != null && typeof callback !== 'function') throw notACallback(callback)
      const promise = publish(peer, filename, data, options)
      if (!callback || (peer === 'atomically' && typeof callback !== 'function')) return promise
      return promise.then(
        () => (typeof callback === 'function' ? callback() : Promise.reject(notACallback(callback))),
        (err: NodeJS.ErrnoException) => (typeof callback === 'function' ? callback(err) : Promise.reject(notACallback(callback))),
      )
    },
    writeFileSync(filename, data, options) {
      publishSync(peer, filename, data, options)
    },
  }
}

function notACallback(callback: unknown): TypeError {
  return invalidArgType('callback', 'of type function', callback)
}

/**
 * `writeFile(filename, data, [options], [callback])`: publish `data` atomically. Returns a
 * promise; with a callback, the callback gets the error (or nothing) and the promise resolves.
 */
export function writeFile(filename: string, data: Data, options?: WriteOptions | Encoding | Callback | null, callback?: Callback): Promise<void> {
  return compatWriters.writeFile(filename, data, options, callback)
}

/** `writeFileSync(filename, data, [options])`: publish `data` atomically on the calling thread. */
export function writeFileSync(filename: string, data: Data, options?: WriteOptions | Encoding | null): void {
  compatWriters.writeFileSync(filename, data, options)
}

const compatWriters = writersFor('compat')

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
