// ESM entry. The package is built as CommonJS; this loads that build and gives its members the
// same names, so the ESM declarations (index.d.mts) come from the same source as the ESM code and
// describe it. The build is loaded with `require`, not imported: when a CommonJS module that ESM
// imports throws while loading (no native binary for this machine), Node 18 and 20 end the
// process even after the importer's catch ran (nodejs/node#51603); thrown here, it rejects the
// import like any error in an ES module. Each class is exported as a value and a type of one
// name, as a re-export would.

import { createRequire } from 'node:module'
import type * as Cjs from './index.js'

const cjs: typeof Cjs = createRequire(import.meta.url)('./index.js')

export const AbortError = cjs.AbortError
export type AbortError = Cjs.AbortError
export const AtomicDir = cjs.AtomicDir
export type AtomicDir = Cjs.AtomicDir
export const AtomicFile = cjs.AtomicFile
export type AtomicFile = Cjs.AtomicFile
export const createHasher = cjs.createHasher
export const HashMismatchError = cjs.HashMismatchError
export type HashMismatchError = Cjs.HashMismatchError
export const hashFile = cjs.hashFile
export const hashFileSync = cjs.hashFileSync
export const publish = cjs.publish
export const publishCopy = cjs.publishCopy
export const publishCopySync = cjs.publishCopySync
export const publishDir = cjs.publishDir
export const publishStream = cjs.publishStream
export const publishSync = cjs.publishSync
export const StagedFile = cjs.StagedFile
export type StagedFile = Cjs.StagedFile
export const sweepOrphans = cjs.sweepOrphans
export const xxh3_128 = cjs.xxh3_128
export type {
  BinaryData,
  ByteSource,
  CopyResult,
  DirManifest,
  DirManifestFile,
  DirLayout,
  DirLayoutOptions,
  DirProgressListener,
  Durability,
  Hasher,
  PathLike,
  ProgressListener,
  PublishFsError,
  PublishOptions,
  PublishOwner,
  PublishResult,
  PublishStream,
  StagedFileResult,
  SweepFailure,
  SweepIncompleteError,
  SweepOptions,
  SweptPath,
  WriteResult,
} from './index.js'
