// ESM entry of atomic-publish/compat/write-file-atomic: the CommonJS build as the default
// export, with `sync` also named, as write-file-atomic's CommonJS exports appear to ESM;
// compiled with its declarations (compat-write-file-atomic.d.mts).

import writeFileAtomic from './compat-write-file-atomic.js'

export default writeFileAtomic
export const { sync } = writeFileAtomic
export type WriteOptions = writeFileAtomic.WriteOptions
export type Encoding = writeFileAtomic.Encoding
export type Data = writeFileAtomic.Data
export type Callback = writeFileAtomic.Callback
