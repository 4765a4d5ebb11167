// atomic-publish: publish files atomically and verifiably.
//
// The native core (Rust, Node-API) does the file-system work and the hashing; this wrapper
// checks arguments, builds Node-shaped errors and gives the builder its JavaScript shape.

export { AtomicFile, type PublishResult } from './js/atomic-file.js'
export { AbortError, HashMismatchError, type PublishFsError } from './js/errors.js'
export { createHasher, hashFile, hashFileSync, type Hasher, xxh3_128 } from './js/hashing.js'
export type { BinaryData, PathLike } from './js/args.js'
export type { ByteSource } from './js/stream.js'
export type { PublishStream } from './js/write-stream.js'
export { sweepOrphans, type SweepOptions, type SweptPath, type SweepFailure, type SweepIncompleteError } from './js/sweep.js'
