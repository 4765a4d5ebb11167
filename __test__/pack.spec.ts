// Shipping: the tarballs `npm run pack:local` writes install into an empty project with no
// Rust toolchain on PATH, and the package works from ESM, CommonJS, the CLI and TypeScript.

import test from 'ava'
import { execFileSync, spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { freshDir, needs, referenceHash, referenceHashLines } from './helpers.js'

const ROOT = join(__dirname, '..', '..')
// Only system directories and Node's own: no ~/.cargo/bin, so nothing could build Rust.
const NO_RUST_PATH = [join(process.execPath, '..'), '/usr/local/bin', '/usr/bin', '/bin'].join(':')

// Packed once for the file: both tests install the same tarballs (packing again in parallel
// would race on packed/).
const packing = { ok: process.platform !== 'win32', what: 'POSIX search PATH (/usr/bin, `:`), to install without Rust' }
test.before(() => {
  if (!packing.ok) return
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'pack-local.mjs'), '--no-build'], { cwd: ROOT, stdio: 'ignore' })
})

needs(['npm', 'tar'], { also: packing, serial: true })('the packed tarballs install without Rust and work from ESM, CommonJS, the CLI and strict TypeScript', async (t) => {
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
  for (const file of ['use.ts', 'wrong.ts', 'sweep-types.ts', 'publish-types.mts', 'esm-default.mts', 'esm-matches-cjs.mts']) {
    copyFileSync(join(ROOT, '__test__', 'consumer', file), join(project, 'src', file))
  }
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
  const compile = (file: string, ...flags: string[]) =>
    spawnSync(process.execPath, [tsc, '--strict', '--noEmit', '--module', 'node16', '--moduleResolution', 'node16', '--target', 'es2022', '--typeRoots', join(ROOT, 'node_modules', '@types'), '--types', 'node', ...flags, join('src', file)], { cwd: project, encoding: 'utf8' })
  const good = compile('use.ts')
  t.is(good.status, 0, good.stdout)
  const sweepTypes = compile('sweep-types.ts')
  t.is(sweepTypes.status, 0, sweepTypes.stdout)
  const bad = compile('wrong.ts')
  t.not(bad.status, 0)
  t.regex(bad.stdout, /wrong\.ts\(6,\d+\): error TS\d+/)
  // ESM consumers get the ESM declarations: the one-call forms type-check, a default import does not.
  const esm = compile('publish-types.mts', '--listFiles')
  t.is(esm.status, 0, esm.stdout)
  // The main entry's declarations reach nothing internal: no native binding, no internal module.
  const reached = esm.stdout.split('\n').filter((f) => f.includes('/node_modules/atomic-publish/'))
  t.true(reached.some((f) => f.endsWith('/index.d.mts')), esm.stdout)
  t.deepEqual(reached.filter((f) => /\/(binding|internal|errors|args|stream|load-binding)\.d\.ts$/.test(f)), [])
  const matches = compile('esm-matches-cjs.mts')
  t.is(matches.status, 0, matches.stdout)
  const defaultImport = compile('esm-default.mts')
  t.not(defaultImport.status, 0)
  t.regex(defaultImport.stdout, /esm-default\.mts\(5,\d+\): error TS1192/)
})

/** `name` as Node would find it from `dir`: in the nearest node_modules that holds it. */
function installedDir(name: string, from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name)
    if (existsSync(join(candidate, 'package.json'))) return candidate
    if (dirname(dir) === dir) throw new Error(`${name} is not installed under ${from}`)
  }
}

/**
 * Tarballs of the package's runtime dependencies, and of theirs, packed from this checkout's
 * node_modules: with them a project installs with an empty npm cache and no network.
 */
function packRuntimeDependencies(into: string): Map<string, string> {
  const packed = new Map<string, string>()
  const visit = (from: string) => {
    const manifest = JSON.parse(readFileSync(join(from, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> }
    for (const name of Object.keys(manifest.dependencies ?? {})) {
      if (packed.has(name)) continue
      const dir = installedDir(name, from)
      const file = execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', into, dir], { encoding: 'utf8' }).trim()
      packed.set(name, join(into, file))
      visit(dir)
    }
  }
  visit(ROOT)
  return packed
}

/** A package that depends on `peer` itself, as conf depends on atomically, packed. */
function dependentOf(peer: string, range: string, into: string): string {
  const dir = join(into, `needs-${peer}`)
  mkdirSync(dir)
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `needs-${peer}`, version: '1.0.0', main: 'index.js', dependencies: { [peer]: range } }))
  writeFileSync(join(dir, 'index.js'), `module.exports = { resolved: require.resolve(${JSON.stringify(peer)}), load: () => import(${JSON.stringify(peer)}) }\n`)
  return join(into, execFileSync('npm', ['pack', '--silent', '--pack-destination', into, dir], { encoding: 'utf8' }).trim())
}

needs(['npm'], { also: packing, serial: true })("the migration guide's overrides recipe for a project that also depends on atomically and write-file-atomic itself ($name form), installed offline from local tarballs", (t) => {
  const tarballs = readdirSync(join(ROOT, 'packed')).filter((f) => f.endsWith('.tgz'))
  const packedFile = (prefix: string) => join(ROOT, 'packed', tarballs.find((f) => f.startsWith(prefix)) as string)
  const work = freshDir('ap-overrides-')
  const deps = join(work, 'deps')
  mkdirSync(deps)
  const runtime = packRuntimeDependencies(deps)
  const project = join(work, 'project')
  mkdirSync(project)
  const dependencies: Record<string, string> = {
    'atomic-publish': `file:${packedFile('atomic-publish-0')}`,
    [`@atomic-publish/binding-${tarballs.find((f) => f.includes('binding'))?.replace(/^atomic-publish-binding-|-\d.*$/g, '')}`]: `file:${packedFile('atomic-publish-binding-')}`,
    // The direct dependencies on the peers are the override packages themselves (from npm,
    // "npm:@atomic-publish/atomically@^1"), and the overrides point at them with "$name".
    atomically: `file:${packedFile('atomic-publish-atomically-')}`,
    'write-file-atomic': `file:${packedFile('atomic-publish-write-file-atomic-')}`,
    'needs-atomically': `file:${dependentOf('atomically', '^2.1.1', deps)}`,
    'needs-write-file-atomic': `file:${dependentOf('write-file-atomic', '^7.0.0', deps)}`,
  }
  const overrides: Record<string, string> = { atomically: '$atomically', 'write-file-atomic': '$write-file-atomic' }
  // The runtime dependencies from local tarballs too, so that nothing is fetched.
  for (const [name, file] of runtime) {
    dependencies[name] = `file:${file}`
    overrides[name] = `$${name}`
  }
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'direct-dependent', version: '1.0.0', private: true, dependencies, overrides }, null, 2))
  const install = spawnSync('npm', ['install', '--offline', '--cache', join(work, 'empty-npm-cache'), '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: project, encoding: 'utf8' })
  t.is(install.status, 0, install.stderr)

  const target = join(project, 'out')
  writeFileSync(join(project, 'check.cjs'), `const { readFileSync, statSync } = require('fs')
const nameOf = (entry) => JSON.parse(readFileSync(entry.slice(0, entry.lastIndexOf('/node_modules/') + 14) + entry.slice(entry.lastIndexOf('/node_modules/') + 14).split('/')[0] + '/package.json', 'utf8')).name
const viaAtomically = require('needs-atomically'), viaWfa = require('needs-write-file-atomic')
const out = { own: [nameOf(require.resolve('atomically')), nameOf(require.resolve('write-file-atomic'))], theirs: [nameOf(viaAtomically.resolved), nameOf(viaWfa.resolved)] }
const mode = () => (statSync(${JSON.stringify(target)}).mode & 0o777).toString(8)
viaWfa.load().then(async (wfa) => {
  await wfa.default(${JSON.stringify(target)}, 'by write-file-atomic', { mode: 0o666 })
  out.wfa = [readFileSync(${JSON.stringify(target)}, 'utf8'), mode()]
  const atomically = await viaAtomically.load()
  await atomically.writeFile(${JSON.stringify(target)}, 'by atomically', { mode: 0o666 })
  out.atomically = [readFileSync(${JSON.stringify(target)}, 'utf8'), mode()]
  console.log(JSON.stringify(out))
})
`)
  const run = spawnSync(process.execPath, ['check.cjs'], { cwd: project, encoding: 'utf8' })
  t.is(run.status, 0, run.stderr)
  const out = JSON.parse(run.stdout) as { own: string[]; theirs: string[]; wfa: string[]; atomically: string[] }
  const ours = ['@atomic-publish/atomically', '@atomic-publish/write-file-atomic']
  t.deepEqual(out.own, ours, "the project's own imports")
  t.deepEqual(out.theirs, ours, "its dependencies' imports")
  // ESM importers get write-file-atomic's named `sync` too, as from the peer.
  writeFileSync(join(project, 'named.mjs'), "import { sync } from 'write-file-atomic'\nimport * as atomically from 'atomically'\nconsole.log(typeof sync, Object.keys(atomically).sort().join())\n")
  const named = spawnSync(process.execPath, ['named.mjs'], { cwd: project, encoding: 'utf8' })
  t.is(named.stdout.trim(), 'function readFile,readFileSync,writeFile,writeFileSync', named.stderr)
  // Each behaves as its own peer: write-file-atomic sets 0o666 exactly, atomically masks it.
  t.deepEqual(out.wfa, ['by write-file-atomic', '666'])
  t.deepEqual(out.atomically, ['by atomically', (0o666 & ~process.umask()).toString(8)])
})
