// XXH3-128 for callers: one shot, whole files, and incremental.

import { native } from './load-binding.js'
import type { NativeOutcome } from '../binding.js'
import { toBytes, toNativePath } from './args.js'
import type { BinaryData, PathLike } from './types.js'
import { toError } from './errors.js'

/**
 * XXH3-128 of `data` (a string as UTF-8), as `xxhsum -H2` prints it: 32 lowercase hex digits.
 *
 * @example
 * ```ts
 * const expected = xxh3_128(payload)
 * await new AtomicFile('out.bin').withHash(expected).write(payload)
 * ```
 * @throws `ERR_INVALID_ARG_TYPE` for data that is not a string, Buffer, TypedArray or DataView.
 */
export function xxh3_128(data: BinaryData): string {
  return native.xxh3_128(typeof data === 'string' ? data : toBytes(data))
}

function digestOf(outcome: NativeOutcome, path: string): string {
  if (outcome.failure) throw toError(outcome.failure, path, path)
  return outcome.hash as string
}

/**
 * XXH3-128 of a file's contents, read and hashed on the thread pool.
 *
 * @example
 * ```ts
 * console.log(await hashFile('release.tar.gz'))
 * ```
 * @throws (rejects) `ERR_INVALID_ARG_TYPE`/`ERR_INVALID_ARG_VALUE` for a bad path; a
 *   file-system error as `fs` reports it (`ENOENT`, `EISDIR`, `EACCES`, …).
 */
export async function hashFile(path: PathLike): Promise<string> {
  const file = toNativePath(path, 'path')
  return digestOf(await native.hashFile(file.native), file.display)
}

/**
 * XXH3-128 of a file's contents, on the calling thread.
 *
 * @example
 * ```ts
 * const digest = hashFileSync('release.tar.gz')
 * ```
 * @throws the errors `hashFile` rejects with.
 */
export function hashFileSync(path: PathLike): string {
  const file = toNativePath(path, 'path')
  return digestOf(native.hashFileSync(file.native), file.display)
}

/** An incremental XXH3-128: `update` as often as needed, `digest` at any point. */
export interface Hasher {
  /**
   * Add `data` (a string as UTF-8) to what is hashed.
   * @throws `ERR_INVALID_ARG_TYPE` for data that is not a string, Buffer, TypedArray or DataView.
   */
  update(data: BinaryData): this
  /** The XXH3-128 of everything added so far, as `xxh3_128` gives it; the hasher can go on. */
  digest(): string
}

class StreamingHasher implements Hasher {
  readonly #inner = new native.NativeHasher()

  update(data: BinaryData): this {
    this.#inner.update(typeof data === 'string' ? data : toBytes(data))
    return this
  }

  digest(): string {
    return this.#inner.digest()
  }
}

/**
 * A new incremental XXH3-128 hasher: the digest of several `update`s is the `xxh3_128` of
 * their bytes joined, so a stream can be hashed as it passes by.
 *
 * @example
 * ```ts
 * const hasher = createHasher()
 * for await (const chunk of createReadStream('big.iso')) hasher.update(chunk)
 * console.log(hasher.digest())
 * ```
 */
export function createHasher(): Hasher {
  return new StreamingHasher()
}
