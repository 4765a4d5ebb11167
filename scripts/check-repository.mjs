// `node scripts/check-repository.mjs <repository URL>`: before a release publishes anything,
// check that every manifest it publishes (the package, npm/*, packages/*) names that repository.
// npm refuses a provenance statement whose repository differs from the one the workflow ran in
// (E422), and the first refusal would come after the platform packages were already out.

import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const expected = process.argv[2]
if (!expected) {
  console.error('usage: node scripts/check-repository.mjs <repository URL, e.g. https://github.com/owner/name>')
  process.exit(2)
}

/** The form npm compares: no `git+`, no `.git`, no trailing slash, case-folded host and path. */
const normal = (url) => url.replace(/^git\+/, '').replace(/\.git$/, '').replace(/\/+$/, '').toLowerCase()

const manifests = [
  'package.json',
  ...readdirSync(join(root, 'npm')).map((d) => `npm/${d}/package.json`),
  ...readdirSync(join(root, 'packages')).map((d) => `packages/${d}/package.json`),
]
const wrong = []
for (const file of manifests) {
  const url = JSON.parse(readFileSync(join(root, file), 'utf8')).repository?.url
  if (typeof url !== 'string' || normal(url) !== normal(expected)) wrong.push(`${file}: ${url ?? 'no repository.url'}`)
}
if (wrong.length > 0) {
  console.error(`These manifests do not name ${expected}, so npm would refuse their provenance:\n  ${wrong.join('\n  ')}`)
  process.exit(1)
}
console.log(`all ${manifests.length} manifests name ${expected}`)
