// ESM entry of atomic-publish/compat: the CommonJS build under atomically's named exports and
// write-file-atomic's default export; compiled with its declarations (compat.d.mts).

import compat from './compat.js'

export default compat
export const { writeFile, writeFileSync, readFile, readFileSync, sync } = compat
export type Callback = compat.Callback
export type Data = compat.Data
export type Disposer = compat.Disposer
export type Encoding = compat.Encoding
export type ReadOptions = compat.ReadOptions
export type WriteOptions = compat.WriteOptions
