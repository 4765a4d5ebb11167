// ESM entry of atomic-publish/compat/write-file-atomic: the CommonJS build as the default
// export, with `sync` also named, as write-file-atomic's CommonJS exports appear to ESM.
import cjs from './compat-write-file-atomic.js'

export default cjs
export const { sync } = cjs
