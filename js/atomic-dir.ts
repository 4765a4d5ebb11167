// AtomicDir: a whole directory published at once. Configuring touches nothing on disk; the
// first staging call makes the stage beside the target, and `commit` swaps it in.

import { native } from './load-binding.js'
import type { NativeDirOutcome, NativeDirStage, NativeEntryConfig, NativeOutcome } from '../binding.js'
import { toBoolean, toBytes, toKeptVersions, toDurability, toHashText, toMode, toNativePath, toSplitTime, toTargetPath, type TargetPath } from './args.js'
import { AbortError, invalidArgType, invalidArgValue, toError } from './errors.js'
import { StageWrites } from './dir-batch.js'
import { cleanUpOnExit } from './lifecycle.js'
import { iterate } from './stream.js'
import { Writable } from 'node:stream'
import type { BinaryData, ByteSource, Durability, PathLike } from './types.js'

/** One file of a published tree. */
export interface DirManifestFile {
  /** Relative to the target, `/`-separated, as it was staged. */
  path: string
  /** The exact bytes of `path`, only where they are not UTF-8 (`path` then shows U+FFFD). */
  pathBytes?: Buffer
  /** Its size in bytes. */
  bytes: number
  /** XXH3-128 of its bytes, 32 lowercase hex digits. */
  hash: string
}

/** What `AtomicDir.commit` resolved with: every file of the published tree, and the totals. */
export interface DirManifest {
  /** The target as given, made absolute. */
  path: string
  /** Every file, in the byte order of their paths. */
  files: DirManifestFile[]
  /** How many files. */
  fileCount: number
  /** Their bytes, summed. */
  bytes: number
  /**
   * Entries of the old tree the removal after the swap could not remove (they are left under
   * a scratch name, for `sweepOrphans`), and in the versioned layout those of versions beyond
   * `keep` it could not remove. Always empty with `withBackgroundRemoval(true)`.
   */
  oldTreeLeft: string[]
}

/** What staging one file resolved with. */
export interface StagedFileResult {
  /** The path relative to the target. */
  path: string
  bytes: number
  /** XXH3-128 of the staged bytes. */
  hash: string
}

/**
 * Where a published tree lives: `'plain'`, the target is the tree; `'versioned'`, the target
 * is a symbolic link to a version tree beside it. See {@link AtomicDir.withLayout}.
 */
export type DirLayout = 'plain' | 'versioned'

/** The options of {@link AtomicDir.withLayout}. */
export interface DirLayoutOptions {
  /**
   * `'versioned'` only: how many versions stay, the current one among them; older ones are
   * removed after each commit. An integer from 1 to 4294967295.
   * @default `3`
   */
  keep?: number
}

/** The versions the versioned layout keeps unless told: the current one and two before it. */
const DEFAULT_KEPT_VERSIONS = 3

/** Called with the bytes staged so far, after each staged file. */
export type DirProgressListener = (bytesStaged: number) => void

/** `..`, `.`, empty components, an absolute path or a NUL: refused before anything is made. */
function toEntryPath(value: unknown): string | Buffer {
  const path = toNativePath(value, 'path')
  const text = path.display
  const why = text.startsWith('/') || (process.platform === 'win32' && /^([a-zA-Z]:|\\)/.test(text))
    ? 'must be relative'
    : text.split('/').some((part) => part === '' || part === '.' || part === '..')
      ? "must not have empty, '.' or '..' components"
      : undefined
  if (why) throw invalidArgValue('path', text, why)
  return path.native
}

/**
 * A publish of a whole directory tree: files are staged into a scratch directory beside the
 * target (`<name>.oxentmp.<random>`, owner-only and locked against `sweepOrphans` while it is
 * filled), made durable, then swapped with the target in one step of the kernel
 * (`renameat2(RENAME_EXCHANGE)` on Linux, `renamex_np(RENAME_SWAP)` on macOS). Readers that
 * open the target see the whole old tree or the whole new one, never a mix; see
 * docs/directories.md for how a reader pins one version while it walks.
 *
 * The name mirrors `AtomicFile`: the same `with…` settings, and a staged file has the same
 * terminals (`write`, `stream`, `createWriteStream`, `copyFrom`) and settings (`withHash`,
 * `withMtime`, `withMode`).
 * Constructing and configuring touch nothing on disk; the first staging call makes the stage.
 * Windows has no atomic exchange of directories: there every staging call and `commit` reject
 * with `ENOTSUP` and nothing is made.
 *
 * @example
 * ```ts
 * import { AtomicDir } from 'atomic-publish'
 *
 * const site = new AtomicDir('/var/www/site')
 * await site.file('index.html').write(html)
 * await site.file('assets/app.js').copyFrom('build/app.js')
 * const manifest = await site.commit()
 * ```
 */
export class AtomicDir {
  readonly #path: TargetPath
  #durability: Durability = 'full'
  #overwrite = true
  #backgroundRemoval = false
  #fromCurrent = false
  #keptVersions: number | undefined
  #signal: AbortSignal | undefined
  #onProgress: DirProgressListener | undefined
  #native: NativeDirStage | undefined
  #writes: StageWrites | undefined
  #begun: Promise<void> | undefined
  #pending = new Set<Promise<unknown>>()
  #failure: unknown
  #settled: 'committed' | 'aborted' | undefined
  #aborting: Promise<void> | undefined

  /**
   * A directory publish to `target`; nothing on disk is touched until a file is staged or
   * `commit` runs.
   *
   * @throws `ERR_INVALID_ARG_TYPE` / `ERR_INVALID_ARG_VALUE` as for `AtomicFile`.
   */
  constructor(target: PathLike) {
    this.#path = toTargetPath(target)
    cleanUpOnExit()
  }

  #configurable(): void {
    if (this.#native) {
      const err = new Error('ERR_INVALID_STATE: settings must come before the first staged file') as Error & { code: string }
      err.code = 'ERR_INVALID_STATE'
      throw err
    }
  }

  /**
   * What a resolved commit survives, as for a file. `'full'`: every staged file and directory
   * is fsynced before the swap and the parent after it, so the new tree survives a power cut.
   * `'file'`: the same without the parent's fsync, except before the old tree (or, in the
   * versioned layout, anything) is removed after the swap: after a power cut the target is the
   * whole old tree or the whole new one. `'none'`: no fsync; atomic for readers and for a crash of
   * the process.
   *
   * @default `'full'`
   */
  withDurability(level: Durability): this {
    this.#configurable()
    this.#durability = toDurability(level)
    return this
  }

  /**
   * `false`: publish only where nothing is at the target yet; otherwise `commit` rejects with
   * `EEXIST` and nothing changes. Of many racers, exactly one wins.
   *
   * @default `true`
   */
  withOverwrite(enabled: boolean): this {
    this.#configurable()
    this.#overwrite = toBoolean(enabled, 'enabled')
    return this
  }

  /**
   * `true`: `commit` resolves once the new tree is published and durable, and the old tree
   * (under a scratch name since the swap) is removed on a thread of its own afterwards. Named
   * for what it changes: by default the commit waits for that removal, so nothing is left
   * when it resolves.
   *
   * @default `false`
   */
  withBackgroundRemoval(enabled: boolean): this {
    this.#configurable()
    this.#backgroundRemoval = toBoolean(enabled, 'enabled')
    return this
  }

  /**
   * Where the tree lives. Named `withLayout` because it changes what the target *is*, not how
   * one commit behaves; the words are those of `docs/directories.md`.
   *
   * - `'plain'` (the default): the target is the tree itself, exchanged whole at each commit.
   *   A reader pins one version by opening the directory once and walking it by descriptor
   *   (`openat`), which Node cannot do.
   * - `'versioned'`: the target is a symbolic link to an immutable tree beside it,
   *   `<name>.v<UTC time>Z.<random>` (the names sort by time; the random part and an
   *   exclusive rename keep two commits apart). A commit stages and seals a new version as the
   *   plain layout does, renames it to its version name, and swaps a new link in at the target
   *   in one step of the kernel; at `'file'` and `'full'` the parent is fsynced before that
   *   swap, and after it as the durability level says. A reader, Node's
   *   included, pins one version with `fs.realpath(target)` once and reads under the path it
   *   gets. After each commit only the newest `keep` versions stay (the current one always
   *   among them); a reader still walking an older one may meet `ENOENT`.
   *
   * A plain directory at the target is converted by the first versioned commit (the link
   * takes its place in one step and the old tree is removed). A link this layout did not
   * make, or a file, at the target is refused with `ENOTDIR` and left as it is. Nothing
   * outside the target's parent is touched, and no link is followed.
   *
   * @throws `ERR_INVALID_ARG_VALUE` for another layout, or `keep` with `'plain'`;
   *   `ERR_OUT_OF_RANGE` for a `keep` that is not an integer from 1 to 4294967295.
   * @default `'plain'`
   */
  withLayout(layout: DirLayout, options?: DirLayoutOptions): this {
    this.#configurable()
    if (layout !== 'plain' && layout !== 'versioned') throw invalidArgValue('layout', layout, "must be 'plain' or 'versioned'")
    if (options !== undefined && (options === null || typeof options !== 'object')) throw invalidArgType('options', 'of type object', options)
    const keep = options?.keep
    if (layout === 'plain') {
      if (keep !== undefined) throw invalidArgValue('options.keep', keep, "applies to the 'versioned' layout only")
      this.#keptVersions = undefined
    } else {
      this.#keptVersions = keep === undefined ? DEFAULT_KEPT_VERSIONS : toKeptVersions(keep, 'options.keep')
    }
    return this
  }

  /**
   * Start the stage as hard links to the current tree's files (and its directories): staging
   * then only replaces what changed, and files not staged again are published as they are.
   * Safe because a staged file is always created anew, never written through a link. A
   * missing target starts empty; a link or special file in the current tree is refused.
   */
  fromCurrent(): this {
    this.#configurable()
    this.#fromCurrent = true
    return this
  }

  /** An AbortSignal: once it fires, staging stops and `commit` rejects with an `AbortError`. */
  withSignal(signal: AbortSignal): this {
    this.#configurable()
    if (!(signal instanceof AbortSignal)) throw invalidArgType('signal', 'an instance of AbortSignal', signal)
    this.#signal = signal
    return this
  }

  /** Hear the bytes staged so far, after each staged file. */
  onProgress(listener: DirProgressListener): this {
    if (typeof listener !== 'function') throw invalidArgType('listener', 'of type function', listener)
    this.#onProgress = listener
    return this
  }

  /**
   * The file at `path` (relative to the target, `/`-separated) in the new tree: a builder with
   * `withHash`, `withMtime`, `withMode` and the terminals `write`, `stream`,
   * `createWriteStream` and `copyFrom`.
   * Subdirectories are made as needed.
   *
   * @throws `ERR_INVALID_ARG_VALUE` for an absolute path or one with empty, `.` or `..`
   *   components (nothing is normalised away).
   */
  file(path: string | Buffer): StagedFile {
    return new StagedFile(this, toEntryPath(path), typeof path === 'string' ? path : path.toString())
  }

  /** The native stage, made at the first call. */
  async #stage(): Promise<NativeDirStage> {
    if (this.#settled) throw this.#settled === 'aborted' ? new AbortError(this.#signal?.reason) : closed()
    if (this.#signal?.aborted) throw new AbortError(this.#signal.reason)
    if (!this.#native) {
      const stage = new native.NativeDirStage(this.#path.native, {
        durability: this.#durability,
        overwrite: this.#overwrite,
        backgroundRemoval: this.#backgroundRemoval,
        fromCurrent: this.#fromCurrent,
        ...(this.#keptVersions === undefined ? {} : { keptVersions: this.#keptVersions }),
      })
      this.#native = stage
      this.#writes = new StageWrites(stage)
      // The stage stops at once and goes: a commit after this rejects with the AbortError.
      // A commit under way stops before its swap if it can.
      this.#signal?.addEventListener('abort', () => {
        stage.cancel()
        void this.abort().catch(() => undefined)
      }, { once: true })
      this.#begun = stage.begin().then((outcome) => this.#check(outcome) && undefined)
    }
    await this.#begun
    return this.#native
  }

  #check(outcome: NativeOutcome, source?: string): NativeOutcome {
    if (outcome.failure) throw toError(outcome.failure, this.#path.display, source, this.#signal?.reason)
    return outcome
  }

  /**
   * Make the directory at `path` (and those above it) in the new tree, so that an empty
   * directory is published too; files make their directories without it. Named after
   * `fs.mkdir` with `recursive: true`, which it behaves like.
   *
   * @throws `ERR_INVALID_ARG_VALUE` for a path `file` would refuse.
   */
  mkdir(path: string | Buffer): Promise<void> {
    const native = toEntryPath(path)
    const display = typeof path === 'string' ? path : path.toString()
    return this._stageOne((stage) => stage.makeDir(native), display).then(() => undefined)
  }

  /**
   * Stage `bytes` at `path`, gathered with other small writes of this stage into one native
   * call while the thread pool is busy.
   * @internal
   */
  _write(path: string | Buffer, bytes: Uint8Array, config: NativeEntryConfig, display: string): Promise<StagedFileResult> {
    return this._stageOne(() => this.#writes!.write(path, bytes, config), display)
  }

  /**
   * Run one staging call, tracked so that `commit` and `abort` wait for it.
   * @internal
   */
  async _stageOne(run: (stage: NativeDirStage) => Promise<NativeOutcome>, path: string, source?: string): Promise<StagedFileResult> {
    const staged = (async () => {
      const stage = await this.#stage()
      const outcome = this.#check(await run(stage), source)
      this.#onProgress?.(stage.stagedBytes())
      return { path, bytes: outcome.bytes, hash: outcome.hash ?? '' }
    })()
    this.#pending.add(staged)
    try {
      return await staged
    } catch (err) {
      // Bad input, a mismatch, a failed source: the commit will refuse, nothing is published.
      this.#failure ??= err
      throw err
    } finally {
      this.#pending.delete(staged)
    }
  }

  async #settle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending])
  }

  /**
   * Publish the staged tree: every staged file and directory made durable (as
   * `withDurability` says), then swapped with the target in one step, then the old tree
   * removed. Waits for staging calls still under way. If any staging call failed, nothing is
   * published: the stage is dropped and that call's error is this one's.
   *
   * @returns the manifest: every file with its size and XXH3-128, and the totals.
   */
  async commit(): Promise<DirManifest> {
    await this.#settle()
    const stage = await this.#stage().catch(async (err: unknown) => {
      await this.abort()
      throw err
    })
    if (this.#failure !== undefined) {
      await this.abort()
      throw this.#failure
    }
    this.#settled = 'committed'
    const outcome: NativeDirOutcome = await stage.commit()
    if (outcome.failure) throw toError(outcome.failure, this.#path.display, undefined, this.#signal?.reason)
    return {
      path: this.#path.display,
      files: outcome.files.map((f) => ({
        path: f.path,
        ...(f.pathBytes ? { pathBytes: f.pathBytes } : {}),
        bytes: f.size,
        hash: f.hash,
      })),
      fileCount: outcome.files.length,
      bytes: outcome.totalBytes,
      oldTreeLeft: outcome.oldTreeLeft,
    }
  }

  /**
   * Drop the stage: nothing is published and nothing is left beside the target. Staging calls
   * under way stop and reject with an `AbortError`. A no-op once committed or aborted.
   */
  abort(): Promise<void> {
    if (this.#settled === 'committed') return Promise.resolve()
    // One removal, however many callers: each resolves once the stage is gone.
    this.#aborting ??= this.#dropStage()
    return this.#aborting
  }

  async #dropStage(): Promise<void> {
    this.#settled = 'aborted'
    const stage = this.#native
    if (!stage) return
    stage.cancel()
    await this.#settle()
    await this.#begun?.catch(() => undefined)
    const outcome = await stage.abort()
    if (outcome.failure?.scratch != null) {
      throw toError(outcome.failure, this.#path.display)
    }
  }
}

function closed(): Error {
  const err = new Error('ERR_INVALID_STATE: this directory publish has already committed') as Error & { code: string }
  err.code = 'ERR_INVALID_STATE'
  return err
}

/** One file of a stage: settings, then one terminal. */
export class StagedFile {
  readonly #dir: AtomicDir
  readonly #path: string | Buffer
  readonly #display: string
  #config: NativeEntryConfig = {}

  /** @internal made by `AtomicDir.file`. */
  constructor(dir: AtomicDir, path: string | Buffer, display: string) {
    this.#dir = dir
    this.#path = path
    this.#display = display
  }

  /**
   * The XXH3-128 the file's bytes must have. A mismatch rejects this call with
   * `ERR_HASH_MISMATCH`, and the whole tree is not published.
   */
  withHash(expected: string | bigint): this {
    this.#config.expectedHash = toHashText(expected)
    return this
  }

  /** The mtime to stamp once the bytes are written, as `AtomicFile.withMtime`. */
  withMtime(time: Date | number | bigint): this {
    const { secs, nanos } = toSplitTime(time)
    this.#config.mtimeSecs = secs
    this.#config.mtimeNanos = nanos
    return this
  }

  /** Exactly these permission bits; without, `0o666` less the umask. */
  withMode(mode: number): this {
    this.#config.mode = toMode(mode)
    return this
  }

  /** Stage `data` (a string is UTF-8); hashed on the thread pool, verified if a hash was set. */
  write(data: BinaryData): Promise<StagedFileResult> {
    const bytes = toBytes(data)
    const config = { ...this.#config }
    return this.#dir._write(this.#path, bytes, config, this.#display)
  }

  /**
   * Stage everything `source` yields (a Node Readable, an async iterable of chunks, or a web
   * ReadableStream; strings are UTF-8), written piece by piece on the thread pool and hashed
   * as it goes. A source that fails removes the file and fails the commit.
   */
  stream(source: ByteSource): Promise<StagedFileResult> {
    const chunks = iterate(source)
    const config = { ...this.#config }
    return this.#dir._stageOne(async (stage) => {
      const entry = stage.openEntry(this.#path, config)
      try {
        for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
          const pushed = await entry.push(toBytes(next.value, 'chunk'))
          if (pushed.failure) return pushed
        }
      } catch (err) {
        entry.discard()
        throw err
      }
      return entry.finish()
    }, this.#display)
  }

  /**
   * A Node Writable that stages what is written to it; the file is staged when the stream
   * finishes (`'finish'`), and `done` settles then with the result. Destroyed or failed, the
   * file is removed and the commit fails.
   */
  createWriteStream(): Writable & { done: Promise<StagedFileResult> } {
    const pieces: Array<{ chunk: Uint8Array; callback: (error?: Error | null) => void }> = []
    let wake: (() => void) | undefined
    let ended = false
    let failed: Error | undefined
    async function* fed(): AsyncGenerator<Uint8Array> {
      for (;;) {
        const piece = pieces.shift()
        if (piece) {
          yield piece.chunk
          piece.callback()
          continue
        }
        if (failed) throw failed
        if (ended) return
        await new Promise<void>((resolve) => (wake = resolve))
      }
    }
    const stream = new Writable({
      write(chunk: Uint8Array, _encoding, callback) {
        pieces.push({ chunk, callback })
        wake?.()
      },
      final(callback) {
        ended = true
        wake?.()
        done.then(() => callback(), callback)
      },
      destroy(error, callback) {
        failed = error ?? new AbortError()
        wake?.()
        callback(error)
      },
    }) as Writable & { done: Promise<StagedFileResult> }
    const done = this.stream(fed())
    done.catch((err: Error) => stream.destroy(err))
    stream.done = done
    return stream
  }

  /** Stage a copy of the file `source`. A missing source rejects and stages nothing. */
  copyFrom(source: PathLike): Promise<StagedFileResult> {
    const from = toNativePath(source, 'source')
    const config = { ...this.#config }
    return this.#dir._stageOne((stage) => stage.copyFile(this.#path, from.native, config), this.#display, from.display)
  }
}

/**
 * Publish a directory in one scoped call: `fill` stages files into the `AtomicDir`; when it
 * resolves the tree is committed, when it throws the stage is dropped and its error is this
 * one's. Named after `publish` (one file, one call) with `Dir` for the tree.
 *
 * @example
 * ```ts
 * const manifest = await publishDir('dist', async (dir) => {
 *   await dir.file('index.html').write(html)
 *   await dir.file('app.js').copyFrom('build/app.js')
 * })
 * ```
 */
export async function publishDir(
  target: PathLike,
  fill: (dir: AtomicDir) => unknown,
  configure?: (dir: AtomicDir) => AtomicDir,
): Promise<DirManifest> {
  if (typeof fill !== 'function') throw invalidArgType('fill', 'of type function', fill)
  const dir = configure ? configure(new AtomicDir(target)) : new AtomicDir(target)
  try {
    await fill(dir)
  } catch (err) {
    await dir.abort().catch(() => undefined)
    throw err
  }
  return dir.commit()
}
