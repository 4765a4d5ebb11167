// atomic-publish/compat/atomically: atomically 2's named exports and its behaviour where it
// differs from write-file-atomic (mode, encodings, option shapes, data types); the entry of
// @atomic-publish/atomically. Every write is a full publish.

import * as impl from './js/compat.js'

export type { Callback, Data, Disposer, Encoding, ReadOptions, WriteOptions } from './js/compat.js'

const writers = impl.writersFor('atomically')

export const writeFile: typeof impl.writeFile = writers.writeFile
export const writeFileSync: typeof impl.writeFileSync = writers.writeFileSync
export const readFile = impl.readFile
export const readFileSync = impl.readFileSync
