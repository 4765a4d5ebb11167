// ESM entry of atomic-publish/compat: the CommonJS build under atomically's named exports and
// write-file-atomic's default export; compiled with its declarations (compat.d.mts). Loaded
// with `require` so that a failed load rejects the import instead of ending the process (see
// index.mts).

import { createRequire } from 'node:module'
import type Cjs from './compat.js'

const compat: typeof Cjs = createRequire(import.meta.url)('./compat.js')
// The default export's types, as `compat.WriteOptions` and so on, like the CommonJS one.
declare namespace compat {
  type Callback = Cjs.Callback
  type Data = Cjs.Data
  type Disposer = Cjs.Disposer
  type Encoding = Cjs.Encoding
  type ReadOptions = Cjs.ReadOptions
  type WriteOptions = Cjs.WriteOptions
}

export default compat
export const { writeFile, writeFileSync, readFile, readFileSync, sync } = compat
export type Callback = Cjs.Callback
export type Data = Cjs.Data
export type Disposer = Cjs.Disposer
export type Encoding = Cjs.Encoding
export type ReadOptions = Cjs.ReadOptions
export type WriteOptions = Cjs.WriteOptions
