// A short tour of the main job: publish a file atomically, verified by its XXH3-128, and show
// what happens when the bytes are not the ones expected. Run with `npm run demo`.

import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AtomicFile, HashMismatchError, xxh3_128 } from 'atomic-publish'

const dir = mkdtempSync(join(tmpdir(), 'atomic-publish-demo-'))
const target = join(dir, 'config', 'settings.json')
const body = JSON.stringify({ theme: 'dark', fontSize: 14 }, null, 2)
const expected = xxh3_128(body)

const result = await new AtomicFile(target)
  .withHash(expected)
  .withMtime(1_700_000_000_123_456_789n)
  .write(body)
console.log('published:', result)
console.log('on disk:  ', readFileSync(target, 'utf8').length, 'bytes, mtimeNs', statSync(target, { bigint: true }).mtimeNs)

try {
  await new AtomicFile(target).withHash(expected).write(`${body}\n// tampered`)
} catch (err) {
  if (!(err instanceof HashMismatchError)) throw err
  console.log('refused:  ', err.code, '- expected', err.expected, 'got', err.actual)
}
console.log('still:    ', xxh3_128(readFileSync(target)) === expected ? 'the verified bytes' : 'SOMETHING ELSE')
console.log('dir:      ', readdirSync(join(dir, 'config')), '(no scratch left)')
