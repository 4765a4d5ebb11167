// ESM entry of atomic-publish/compat/write-file-atomic: the CommonJS build as the default
// export, with `sync` also named, as write-file-atomic's CommonJS exports appear to ESM;
// compiled with its declarations (compat-write-file-atomic.d.mts). Loaded with `require` so
// that a failed load rejects the import instead of ending the process (see index.mts).

import { createRequire } from 'node:module'
import type Cjs from './compat-write-file-atomic.js'

const writeFileAtomic: typeof Cjs = createRequire(import.meta.url)('./compat-write-file-atomic.js')
// The default export's types, as `writeFileAtomic.WriteOptions` and so on, like the CommonJS one.
declare namespace writeFileAtomic {
  type WriteOptions = Cjs.WriteOptions
  type Encoding = Cjs.Encoding
  type Data = Cjs.Data
  type Callback = Cjs.Callback
}

export default writeFileAtomic
export const { sync } = writeFileAtomic
export type WriteOptions = Cjs.WriteOptions
export type Encoding = Cjs.Encoding
export type Data = Cjs.Data
export type Callback = Cjs.Callback
