// ESM entry of atomic-publish/compat: the CommonJS build under atomically's named exports and
// write-file-atomic's default export.
import cjs from './compat.js'

export default cjs
export const { writeFile, writeFileSync, readFile, readFileSync, sync } = cjs
