// atomic-publish/compat/write-file-atomic: write-file-atomic 7's shape (a function with .sync)
// and its behaviour where it differs from atomically (mode, encodings, option shapes, data
// types); the entry of @atomic-publish/write-file-atomic. Every write is a full publish.

import * as impl from './js/compat.js'

const writers = impl.writersFor('write-file-atomic')

/** write-file-atomic's default export: `writeFile`, with `.sync`. */
function writeFileAtomic(
  filename: string,
  data: impl.Data,
  options?: impl.WriteOptions | impl.Encoding | impl.Callback | null,
  callback?: impl.Callback,
): Promise<void> {
  return writers.writeFile(filename, data, options, callback)
}

namespace writeFileAtomic {
  export type WriteOptions = impl.WriteOptions
  export type Encoding = impl.Encoding
  export type Data = impl.Data
  export type Callback = impl.Callback
  export const sync = writers.writeFileSync
}

export = writeFileAtomic
