// atomic-publish: publish files atomically and verifiably.
//
// The native core (Rust, Node-API) does the file-system work and the hashing; this wrapper
// checks arguments, builds Node-shaped errors and gives the builder its JavaScript shape.

export { AtomicDir, type DirManifest, type DirManifestFile, type DirLayout, type DirLayoutOptions, type DirProgressListener, publishDir, StagedFile, type StagedFileResult } from './js/atomic-dir.js'
export { AtomicFile, type CopyResult, type ProgressListener, type PublishResult, type WriteResult } from './js/atomic-file.js'
export { publish, publishCopy, publishCopySync, type PublishOptions, type PublishOwner, publishStream, publishSync } from './js/publish.js'
export { AbortError, HashMismatchError, type PublishFsError } from './js/error-types.js'
export { createHasher, hashFile, hashFileSync, type Hasher, xxh3_128 } from './js/hashing.js'
export type { BinaryData, ByteSource, Durability, PathLike } from './js/types.js'
export type { PublishStream } from './js/write-stream.js'
export { sweepOrphans, type SweepOptions, type SweptPath, type SweepFailure, type SweepIncompleteError } from './js/sweep.js'
