// XXH3-128 for callers: one shot, whole files, and incremental.

import { native } from './load-binding.js'
import type { NativeOutcome } from '../binding.js'
import { type BinaryData, type PathLike, toBytes, toNativePath } from './args.js'
import { toError } from './errors.js'

/** XXH3-128 of `data` (a string as UTF-8), as `xxhsum -H2` prints it. */
export function xxh3_128(data: BinaryData): string {
  return native.xxh3_128(typeof data === 'string' ? data : toBytes(data))
}

function digestOf(outcome: NativeOutcome, path: string): string {
  if (outcome.failure) throw toError(outcome.failure, path, path)
  return outcome.hash as string
}

/** XXH3-128 of a file's contents, read and hashed on the thread pool. */
export async function hashFile(path: PathLike): Promise<string> {
  const file = toNativePath(path, 'path')
  return digestOf(await native.hashFile(file.native), file.display)
}

/** XXH3-128 of a file's contents, on the calling thread. */
export function hashFileSync(path: PathLike): string {
  const file = toNativePath(path, 'path')
  return digestOf(native.hashFileSync(file.native), file.display)
}

/** An incremental XXH3-128: `update` as often as needed, `digest` at any point. */
export interface Hasher {
  update(data: BinaryData): this
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

export function createHasher(): Hasher {
  return new StreamingHasher()
}
