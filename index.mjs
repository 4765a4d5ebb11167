// ESM entry: the package is built as CommonJS; this re-exports it under the same names.
import cjs from './index.js'

export const { AtomicFile, AbortError, HashMismatchError, createHasher, hashFile, hashFileSync, sweepOrphans, xxh3_128 } = cjs
