// atomically 2's named exports, from atomic-publish's compatibility entry.
export { readFile, readFileSync, writeFile, writeFileSync } from 'atomic-publish/compat'
