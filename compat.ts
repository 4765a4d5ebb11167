// atomic-publish/compat: drop-in replacements for write-file-atomic and atomically.
//
//   const writeFileAtomic = require('atomic-publish/compat')      // write-file-atomic's shape
//   writeFileAtomic(file, data, options, callback); writeFileAtomic.sync(file, data, options)
//   import { writeFile, writeFileSync, readFile, readFileSync } from 'atomic-publish/compat'
//
// Every write is a full atomic-publish publish; see docs/migration.md for how each option maps.

import * as impl from './js/compat.js'

/** write-file-atomic's default export: `writeFile`, with `.sync`. */
function writeFile(
  filename: string,
  data: impl.Data,
  options?: impl.WriteOptions | impl.Encoding | impl.Callback | null,
  callback?: impl.Callback,
): Promise<void> {
  return impl.writeFile(filename, data, options, callback)
}

const self = writeFile

namespace writeFile {
  export type WriteOptions = impl.WriteOptions
  export type ReadOptions = impl.ReadOptions
  export type Encoding = impl.Encoding
  export type Data = impl.Data
  export type Callback = impl.Callback
  export type Disposer = impl.Disposer
  export const sync = impl.writeFileSync
  export const writeFileSync = impl.writeFileSync
  export const readFile = impl.readFile
  export const readFileSync = impl.readFileSync
  /** atomically's named export: the same function. */
  export const writeFile = self
}

// The function itself, so `require('atomic-publish/compat')` is write-file-atomic's shape.
export = writeFile
