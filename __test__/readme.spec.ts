// The README's examples run as written: the first ```js block under "## Examples" is saved as
// an ES module in an empty directory and run with the package resolvable by name.

import test from 'ava'
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { freshDir } from './helpers.js'

const ROOT = join(__dirname, '..', '..')

test('the README examples run and print what their comments say', (t) => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const section = readme.slice(readme.indexOf('## Examples'))
  const code = /```js\n([\s\S]*?)```/.exec(section)?.[1]
  t.truthy(code)
  const dir = freshDir('ap-readme-')
  // The package by its name, as an installed dependency would be.
  mkdirSync(join(dir, 'node_modules'))
  symlinkSync(ROOT, join(dir, 'node_modules', 'atomic-publish'))
  writeFileSync(join(dir, 'examples.mjs'), code!)
  const out = execFileSync(process.execPath, ['examples.mjs'], { cwd: dir, encoding: 'utf8' })
  t.regex(out, /bytes: 16/)
  t.regex(out, /refused: [0-9a-f]{32} != [0-9a-f]{32}/)
  t.regex(out, /streamed 16/)
  t.regex(out, /df8d09e93f874900a99b8775cc15b6c7/)
  t.is(out.match(/^true$/gm)?.length, 2)
  t.regex(out, /^\[\]$/m)
  t.is(readFileSync(join(dir, 'cache', 'weights.bin'), 'utf8'), 'pretend these are model weights')
})
