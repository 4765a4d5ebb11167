// atomically 2's named exports and behaviour, from atomic-publish's compatibility entry.
export { readFile, readFileSync, writeFile, writeFileSync } from 'atomic-publish/compat/atomically'
