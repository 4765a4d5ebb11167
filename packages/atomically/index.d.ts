export { readFile, readFileSync, writeFile, writeFileSync } from 'atomic-publish/compat/atomically'
export type { Callback, Data, Disposer, Encoding, ReadOptions, WriteOptions } from 'atomic-publish/compat/atomically'
