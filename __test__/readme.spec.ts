// The README's examples run as written. Every ```js block is saved as an ES module and run, in
// order, in one empty directory with the package resolvable by name; a block preceded by the
// line `<!-- readme: not run -->` is left out (an example that needs the reader's own values).

import test from 'ava'
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { freshDir, needs, notUnderWine } from './helpers.js'

const ROOT = join(__dirname, '..', '..')
const NOT_RUN = '<!-- readme: not run -->'

/** The README's ```js blocks, each with whether it is marked as not run. */
function jsBlocks(markdown: string): { code: string; run: boolean }[] {
  return [...markdown.matchAll(/^(.*)\n```js\n([\s\S]*?)^```$/gm)].map((m) => ({ code: m[2]!, run: m[1]!.trim() !== NOT_RUN }))
}

// The package is linked into node_modules by a directory junction, which Wine cannot make.
needs([], { also: notUnderWine('directory junctions') })('the README examples run and print what their comments say', (t) => {
  const blocks = jsBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8'))
  const run = blocks.filter((b) => b.run)
  t.true(run.length >= 2, 'the quick start and the migration example run')
  const dir = freshDir('ap-readme-')
  // The package by its name, as an installed dependency would be.
  mkdirSync(join(dir, 'node_modules'))
  symlinkSync(ROOT, join(dir, 'node_modules', 'atomic-publish'), 'junction')
  let out = ''
  run.forEach((block, i) => {
    writeFileSync(join(dir, `example-${i}.mjs`), block.code)
    out += execFileSync(process.execPath, [`example-${i}.mjs`], { cwd: dir, encoding: 'utf8' })
  })
  t.regex(out, /bytes: 16/)
  t.regex(out, /refused: [0-9a-f]{32} != [0-9a-f]{32}/)
  t.regex(out, /streamed 16/)
  t.regex(out, /df8d09e93f874900a99b8775cc15b6c7/)
  t.is(out.match(/^true$/gm)?.length, 2)
  t.regex(out, /^\[\]$/m)
  t.is(readFileSync(join(dir, 'cache', 'weights.bin'), 'utf8'), 'pretend these are model weights')
  // The migration example, through the compatibility entry.
  t.is(readFileSync(join(dir, 'config.json'), 'utf8'), '{}')
  t.is(readFileSync(join(dir, 'other.json'), 'utf8'), '[]')
})

test('only a block marked as not run is left out', (t) => {
  const blocks = jsBlocks(`text\n\n\`\`\`js\nrun(1)\n\`\`\`\n\n${NOT_RUN}\n\`\`\`js\nskip()\n\`\`\`\nmore\n\`\`\`js\nrun(2)\n\`\`\`\n`)
  t.deepEqual(blocks, [
    { code: 'run(1)\n', run: true },
    { code: 'skip()\n', run: false },
    { code: 'run(2)\n', run: true },
  ])
})
