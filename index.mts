// ESM entry. The package is built as CommonJS; this re-exports it under the same names, so the
// ESM declarations (index.d.mts) come from the same source as the ESM code and describe it.
// (Named, not `export *`: that would also export the CommonJS build's `__esModule` marker.)

export {
  AbortError,
  AtomicFile,
  createHasher,
  HashMismatchError,
  hashFile,
  hashFileSync,
  publish,
  publishCopy,
  publishCopySync,
  publishStream,
  publishSync,
  sweepOrphans,
  xxh3_128,
} from './index.js'
export type {
  BinaryData,
  ByteSource,
  CopyResult,
  Durability,
  Hasher,
  PathLike,
  ProgressListener,
  PublishFsError,
  PublishOptions,
  PublishOwner,
  PublishResult,
  PublishStream,
  SweepFailure,
  SweepIncompleteError,
  SweepOptions,
  SweptPath,
  WriteResult,
} from './index.js'
