// ESM entry of atomic-publish/compat/atomically: the CommonJS build under atomically's names;
// compiled with its declarations (compat-atomically.d.mts).

export { writeFile, writeFileSync, readFile, readFileSync } from './compat-atomically.js'
export type { Callback, Data, Disposer, Encoding, ReadOptions, WriteOptions } from './compat-atomically.js'
