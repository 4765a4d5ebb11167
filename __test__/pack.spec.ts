// Shipping: the tarballs `npm run pack:local` writes install into an empty project with no
// Rust toolchain on PATH, and the package works from ESM, CommonJS, the CLI and TypeScript.

import test from 'ava'
import { execFileSync, spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { freshDir, referenceHash, referenceHashLines } from './helpers.js'

const ROOT = join(__dirname, '..', '..')
// Only system directories and Node's own: no ~/.cargo/bin, so nothing could build Rust.
const NO_RUST_PATH = [join(process.execPath, '..'), '/usr/local/bin', '/usr/bin', '/bin'].join(':')

test.serial('the packed tarballs install without Rust and work from ESM, CommonJS, the CLI and strict TypeScript', async (t) => {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'pack-local.mjs'), '--no-build'], { cwd: ROOT, stdio: 'ignore' })
  const tarballs = readdirSync(join(ROOT, 'packed')).filter((f) => f.endsWith('.tgz'))
  const main = tarballs.find((f) => f.startsWith('atomic-publish-0'))
  const binary = tarballs.find((f) => f.includes('binding'))
  t.truthy(main)
  t.truthy(binary)

  const shipped = execFileSync('tar', ['tzf', join(ROOT, 'packed', main!)], { encoding: 'utf8' }).split('\n')
  t.deepEqual(shipped.filter((f) => /\.rs$|Cargo\.|\/src\/|\/target\/|\.node$/.test(f)), [], 'no Rust build tree, no binary in the main package')

  const project = freshDir('ap-consumer-')
  writeFileSync(join(project, 'package.json'), '{ "name": "consumer", "version": "1.0.0", "private": true }')
  const env = { ...process.env, PATH: NO_RUST_PATH }
  t.not(spawnSync('cargo', ['--version'], { env }).status, 0, 'cargo is not reachable')
  execFileSync('npm', ['install', '--no-audit', '--no-fund', join(ROOT, 'packed', main!), join(ROOT, 'packed', binary!)], { cwd: project, env, stdio: 'ignore' })

  const target = join(project, 'published.txt')
  writeFileSync(join(project, 'use.cjs'), `const { AtomicFile, xxh3_128 } = require('atomic-publish')
new AtomicFile(${JSON.stringify(target)}).withHash(xxh3_128('from cjs')).write('from cjs').then((r) => console.log(r.hash))`)
  writeFileSync(join(project, 'use.mjs'), `import { AtomicFile, hashFileSync } from 'atomic-publish'
const r = new AtomicFile(${JSON.stringify(target)}).writeSync('from esm')
console.log(r.hash === hashFileSync(${JSON.stringify(target)}))`)
  t.is(execFileSync(process.execPath, ['use.cjs'], { cwd: project, env, encoding: 'utf8' }).trim(), await referenceHash(target))
  t.is(execFileSync(process.execPath, ['use.mjs'], { cwd: project, env, encoding: 'utf8' }).trim(), 'true')
  // The compatibility entry, in both module systems, from the installed tarball.
  writeFileSync(join(project, 'compat.cjs'), `const writeFileAtomic = require('atomic-publish/compat')
writeFileAtomic.sync(${JSON.stringify(target)}, 'compat cjs', { mode: 0o600 })
writeFileAtomic(${JSON.stringify(target)}, 'compat cjs async').then(() => console.log(require('fs').readFileSync(${JSON.stringify(target)}, 'utf8')))`)
  writeFileSync(join(project, 'compat.mjs'), `import writeFileAtomic, { writeFileSync, readFileSync } from 'atomic-publish/compat'
writeFileSync(${JSON.stringify(target)}, 'compat esm')
console.log(readFileSync(${JSON.stringify(target)}, 'utf8'), writeFileAtomic.sync === writeFileSync)`)
  t.is(execFileSync(process.execPath, ['compat.cjs'], { cwd: project, env, encoding: 'utf8' }).trim(), 'compat cjs async')
  t.is(execFileSync(process.execPath, ['compat.mjs'], { cwd: project, env, encoding: 'utf8' }).trim(), 'compat esm true')
  // The overrides shims, installed from their own tarballs under the names they replace.
  const shims = tarballs.filter((f) => f.startsWith('atomic-publish-atomically-') || f.startsWith('atomic-publish-write-file-atomic-'))
  t.is(shims.length, 2, `both shims are packed: ${tarballs.join(', ')}`)
  execFileSync('npm', ['install', '--no-audit', '--no-fund', ...shims.map((f) => join(ROOT, 'packed', f))], { cwd: project, env, stdio: 'ignore' })
  writeFileSync(join(project, 'shims.cjs'), `const wfa = require('@atomic-publish/write-file-atomic')
const { writeFile, readFileSync } = require('@atomic-publish/atomically')
wfa.sync(${JSON.stringify(target)}, 'via shim')
const first = readFileSync(${JSON.stringify(target)}, 'utf8')
writeFile(${JSON.stringify(target)}, 'via atomically shim').then(() => console.log(first, readFileSync(${JSON.stringify(target)}, 'utf8')))`)
  t.is(execFileSync(process.execPath, ['shims.cjs'], { cwd: project, env, encoding: 'utf8' }).trim(), 'via shim via atomically shim')
  const cli = execFileSync(join(project, 'node_modules', '.bin', 'atomic-publish'), ['hash', target], { env, encoding: 'utf8' })
  t.is(cli, await referenceHashLines([target]))

  // Types: a consumer compiles under strict against the shipped index.d.ts; a wrong argument
  // type is refused (the @ts-expect-error lines would fail the compile if it were not).
  mkdirSync(join(project, 'src'))
  copyFileSync(join(ROOT, '__test__', 'consumer', 'use.ts'), join(project, 'src', 'use.ts'))
  copyFileSync(join(ROOT, '__test__', 'consumer', 'wrong.ts'), join(project, 'src', 'wrong.ts'))
  copyFileSync(join(ROOT, '__test__', 'consumer', 'sweep-types.ts'), join(project, 'src', 'sweep-types.ts'))
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
  const compile = (file: string) =>
    spawnSync(process.execPath, [tsc, '--strict', '--noEmit', '--module', 'node16', '--moduleResolution', 'node16', '--target', 'es2022', '--typeRoots', join(ROOT, 'node_modules', '@types'), '--types', 'node', join('src', file)], { cwd: project, encoding: 'utf8' })
  const good = compile('use.ts')
  t.is(good.status, 0, good.stdout)
  const sweepTypes = compile('sweep-types.ts')
  t.is(sweepTypes.status, 0, sweepTypes.stdout)
  const bad = compile('wrong.ts')
  t.not(bad.status, 0)
  t.regex(bad.stdout, /wrong\.ts\(6,\d+\): error TS\d+/)
})
