// The declarations of index.cjs (require): the same names as index.d.ts, described as CommonJS.
import compat = require('atomic-publish/compat')
export declare const readFile: typeof compat.readFile
export declare const readFileSync: typeof compat.readFileSync
export declare const writeFile: typeof compat.writeFile
export declare const writeFileSync: typeof compat.writeFileSync
export type Callback = compat.Callback
export type Data = compat.Data
export type Disposer = compat.Disposer
export type Encoding = compat.Encoding
export type ReadOptions = compat.ReadOptions
export type WriteOptions = compat.WriteOptions
