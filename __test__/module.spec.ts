// The package loads from ESM and from CommonJS with the same exports.

import test from 'ava'

const EXPORTS = ['AbortError', 'AtomicDir', 'AtomicFile', 'HashMismatchError', 'StagedFile', 'createHasher', 'hashFile', 'hashFileSync', 'publish', 'publishCopy', 'publishCopySync', 'publishDir', 'publishStream', 'publishSync', 'sweepOrphans', 'xxh3_128']

test('ESM and CommonJS expose the same API', async (t) => {
  const cjs = require('atomic-publish') as Record<string, unknown>
  const esm = (await import('atomic-publish')) as Record<string, unknown>
  t.deepEqual(Object.keys(cjs).sort(), EXPORTS)
  t.deepEqual(Object.keys(esm).filter((k) => k !== 'default').sort(), EXPORTS)
  for (const name of EXPORTS) t.is(esm[name], cjs[name], name)
})
