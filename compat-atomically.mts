// ESM entry of atomic-publish/compat/atomically: the CommonJS build under atomically's names;
// compiled with its declarations (compat-atomically.d.mts). Loaded with `require` so that a
// failed load rejects the import instead of ending the process (see index.mts).

import { createRequire } from 'node:module'
import type * as Cjs from './compat-atomically.js'

const cjs: typeof Cjs = createRequire(import.meta.url)('./compat-atomically.js')

export const writeFile: typeof Cjs.writeFile = cjs.writeFile
export const writeFileSync: typeof Cjs.writeFileSync = cjs.writeFileSync
export const readFile: typeof Cjs.readFile = cjs.readFile
export const readFileSync: typeof Cjs.readFileSync = cjs.readFileSync
export type { Callback, Data, Disposer, Encoding, ReadOptions, WriteOptions } from './compat-atomically.js'
