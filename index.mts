// ESM entry. The package is built as CommonJS; this re-exports it under the same names, so the
// ESM declarations (index.d.mts) come from the same source as the ESM code and describe it.
// (Named, not `export *`: that would also export the CommonJS build's `__esModule` marker.)

export { AbortError, AtomicFile, createHasher, HashMismatchError, hashFile, hashFileSync, sweepOrphans, xxh3_128 } from './index.js'
export type { BinaryData, ByteSource, Hasher, PathLike, PublishFsError, PublishResult, PublishStream, SweepFailure, SweepIncompleteError, SweepOptions, SweptPath } from './index.js'
