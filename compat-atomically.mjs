// ESM entry of atomic-publish/compat/atomically: the CommonJS build under atomically's names.
import cjs from './compat-atomically.js'

export const { writeFile, writeFileSync, readFile, readFileSync } = cjs
