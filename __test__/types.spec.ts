// The declarations as a strict TypeScript consumer sees them, compiled here against this
// checkout's own package (the name resolves to it through package.json `exports`, as from an
// install; pack.spec.ts compiles the same files against the packed tarball).

import test from 'ava'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'

const ROOT = join(__dirname, '..', '..')
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')

function compile(file: string): { status: number | null; stdout: string } {
  const flags = ['--strict', '--noEmit', '--module', 'node16', '--moduleResolution', 'node16', '--target', 'es2022', '--types', 'node']
  return spawnSync(process.execPath, [TSC, ...flags, join('__test__', 'consumer', file)], { cwd: ROOT, encoding: 'utf8', timeout: 240_000 })
}

test('ESM: the one-call forms and their options type-check; hash is a string where always set; wrong keys are refused', (t) => {
  const run = compile('publish-types.mts')
  t.is(run.status, 0, run.stdout)
})

test('CommonJS: the builder, the compat entry and the exact results type-check', (t) => {
  const run = compile('use.ts')
  t.is(run.status, 0, run.stdout)
})

test('ESM: every entry\'s declarations name what its CommonJS declarations name, with identical types', (t) => {
  const run = compile('esm-matches-cjs.mts')
  t.is(run.status, 0, run.stdout)
})

test('ESM: a default import of the package is a compile error (it has named exports only)', (t) => {
  const run = compile('esm-default.mts')
  t.not(run.status, 0)
  t.regex(run.stdout, /esm-default\.mts\(5,\d+\): error TS1192: .*has no default export/)
})
