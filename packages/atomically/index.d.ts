export { readFile, readFileSync, writeFile, writeFileSync } from 'atomic-publish/compat'
export type { Callback, Data, Disposer, Encoding, ReadOptions, WriteOptions } from 'atomic-publish/compat'
