// A missing or broken prebuilt binary: loading the package fails with one first line that names
// the platform, the architecture and the C library, the exact package, the command that fixes it
// and whether the platform is supported, and no cause names a package that is never published.
// The package is staged as an install would lay it out (package.json `files`, its dependencies,
// no binary), with the platform package left out, broken, or present.

import test from 'ava'
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { keyOfMachine, keyOfTriple, missingBinaryMessage, type LoadContext } from '../js/missing-binary.js'
import { freshDir, needs, notUnderWine } from './helpers.js'

// These copy the addon the build put in the checkout under its platform package's name; under
// Wine the build on trial is the windows-gnu stand-in, named only by NAPI_RS_NATIVE_LIBRARY_PATH.
const withBuiltAddon = needs([], { also: notUnderWine('the win32-x64-msvc addon in the checkout') })

const ROOT = join(__dirname, '..', '..')
const pkg = require(join(ROOT, 'package.json')) as { version: string; files: string[]; dependencies?: Record<string, string>; napi: { binaryName: string; packageName: string; targets: string[] } }
const libc = process.platform === 'linux' ? ((process.report.getReport() as { header: { glibcVersionRuntime?: string } }).header.glibcVersionRuntime ? 'glibc' : 'musl') : null
const key = keyOfMachine(process.platform, process.arch, libc)
const platformPackage = `${pkg.napi.packageName}-${key}`
const builtBinary = join(ROOT, `${pkg.napi.binaryName}.${key}.node`)

/** A project whose node_modules holds atomic-publish as npm installs it, without any binary. */
function stagedProject(): string {
  const project = freshDir('ap-missing-binary-')
  const installed = join(project, 'node_modules', 'atomic-publish')
  mkdirSync(installed, { recursive: true })
  for (const pattern of [...pkg.files, 'package.json']) {
    const dir = dirname(pattern)
    const names = pattern.includes('*') ? readdirSync(join(ROOT, dir)).filter((f) => f.endsWith(pattern.slice(pattern.indexOf('*') + 1))).map((f) => join(dir, f)) : [pattern]
    for (const name of names) if (existsSync(join(ROOT, name))) cpSync(join(ROOT, name), join(installed, name))
  }
  for (const dep of Object.keys(pkg.dependencies ?? {})) symlinkSync(join(ROOT, 'node_modules', dep), join(project, 'node_modules', dep), 'junction')
  return project
}

/** Stage the platform package with `binary` as its `.node` file. */
function stagePlatformPackage(project: string, binary: string | Buffer): void {
  const dir = join(project, 'node_modules', ...platformPackage.split('/'))
  mkdirSync(dir, { recursive: true })
  const file = `${pkg.napi.binaryName}.${key}.node`
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: platformPackage, version: pkg.version, main: file }))
  if (typeof binary === 'string') cpSync(binary, join(dir, file))
  else writeFileSync(join(dir, file), binary)
}

interface Loaded {
  ok: boolean
  message?: string
  code?: string
  causes?: string[]
}

/** Load the staged package from CommonJS or ESM in a child, and report what it threw. */
function load(project: string, how: 'require' | 'import', env: NodeJS.ProcessEnv = {}): Loaded {
  const body = how === 'require' ? `require('atomic-publish')` : `await import('atomic-publish')`
  const script = `try { const m = ${body}; if (typeof m.AtomicFile !== 'function') throw new Error('no AtomicFile'); console.log(JSON.stringify({ ok: true })) }
catch (e) { const causes = []; for (let c = e.cause; c; c = c.cause) causes.push(String(c.message)); console.log(JSON.stringify({ ok: false, message: e.message, code: e.code, causes })) }`
  const childEnv = { ...process.env, ...env }
  delete childEnv['NAPI_RS_NATIVE_LIBRARY_PATH']
  if (env['NAPI_RS_NATIVE_LIBRARY_PATH']) childEnv['NAPI_RS_NATIVE_LIBRARY_PATH'] = env['NAPI_RS_NATIVE_LIBRARY_PATH']
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', how === 'require' ? `import { createRequire } from 'node:module'; const require = createRequire(process.cwd() + '/'); ${script}` : script], { cwd: project, env: childEnv, encoding: 'utf8' })
  // (Node 20 also reports a CommonJS module's throw under `import` as uncaught after the catch
  // ran, so the exit status says nothing: the line the catch printed does.)
  const line = run.stdout.split('\n')[0]
  if (!line) throw new Error(`the loader child printed nothing: ${run.stderr}`)
  return JSON.parse(line) as Loaded
}

for (const how of ['require', 'import'] as const) {
  test(`${how}: without the platform package, one line names the machine, the package, the fix and that the platform is supported`, (t) => {
    const result = load(stagedProject(), how)
    t.false(result.ok)
    t.is(result.code, 'ERR_ATOMIC_PUBLISH_NO_BINARY')
    const first = result.message!.split('\n')[0]!
    const machine = `${process.platform} ${process.arch}${libc ? ` ${libc}` : ''}`
    t.true(first.startsWith(`atomic-publish: no prebuilt binary for ${machine}: the package ${platformPackage}@${pkg.version} is not installed`), first)
    t.true(first.includes(`fix: npm install ${platformPackage}@${pkg.version}`), first)
    t.true(first.includes('(this platform is supported)'), first)
    t.is(result.message, first, 'one line')
    // The cause is the failed require of that very package; nothing about WebAssembly.
    t.regex(result.causes![0]!, new RegExp(`Cannot find module '${platformPackage}'`))
    t.false([result.message!, ...result.causes!].some((m) => /wasm|wasi|npm has a bug/i.test(m)), result.causes!.join(' | '))
  })
}

test('a platform package whose binary is broken says it is installed but does not load, and why', (t) => {
  const project = stagedProject()
  stagePlatformPackage(project, Buffer.from('not a shared object'))
  const result = load(project, 'require')
  t.false(result.ok)
  t.is(result.code, 'ERR_ATOMIC_PUBLISH_NO_BINARY')
  t.true(result.message!.startsWith(`atomic-publish: the prebuilt binary for ${process.platform} ${process.arch}`), result.message)
  t.true(result.message!.includes(`(${platformPackage}@${pkg.version}) is installed but does not load: `), result.message)
  t.true(result.message!.includes(`fix: reinstall it (npm install ${platformPackage}@${pkg.version})`), result.message)
  t.false(result.causes!.some((m) => /wasm|wasi/i.test(m)), result.causes!.join(' | '))
})

test('NAPI_RS_NATIVE_LIBRARY_PATH naming a file that does not load is reported as such', (t) => {
  const project = stagedProject()
  const result = load(project, 'require', { NAPI_RS_NATIVE_LIBRARY_PATH: join(project, 'nowhere.node') })
  t.false(result.ok)
  t.true(result.message!.startsWith(`atomic-publish: the native binary NAPI_RS_NATIVE_LIBRARY_PATH names (${join(project, 'nowhere.node')}) does not load`), result.message)
})

withBuiltAddon('a relative NAPI_RS_NATIVE_LIBRARY_PATH is diagnosed from where the loader resolves it, so a good one loads', (t) => {
  const project = stagedProject()
  cpSync(builtBinary, join(project, 'node_modules', 'atomic-publish', 'custom.node'))
  t.deepEqual(load(project, 'require', { NAPI_RS_NATIVE_LIBRARY_PATH: './custom.node' }), { ok: true })
  writeFileSync(join(project, 'node_modules', 'atomic-publish', 'broken.node'), 'not a shared object')
  const broken = load(project, 'require', { NAPI_RS_NATIVE_LIBRARY_PATH: './broken.node' })
  t.regex(broken.message!, /^atomic-publish: the native binary NAPI_RS_NATIVE_LIBRARY_PATH names \(\.\/broken\.node\) does not load on /)
  t.notRegex(broken.message!, /Cannot find module/, 'the file the loader tried is the one diagnosed')
})

withBuiltAddon('the same staging with the platform package present loads the package (the staging itself is sound)', (t) => {
  t.true(existsSync(builtBinary), `run npm run build first: ${builtBinary}`)
  const project = stagedProject()
  stagePlatformPackage(project, builtBinary)
  t.deepEqual(load(project, 'require'), { ok: true })
  t.deepEqual(load(project, 'import'), { ok: true })
})

const context = (over: Partial<LoadContext>): LoadContext => ({ platform: 'linux', arch: 'x64', libc: 'glibc', version: '1.2.3', targets: pkg.napi.targets, packageName: '@atomic-publish/binding', ...over })

test('an unsupported platform is said to be unsupported, with the package it would need and how to build one', (t) => {
  const message = missingBinaryMessage(context({ platform: 'aix', arch: 'ppc64', libc: null }))
  const [first, second] = message.split('\n')
  t.is(first, 'atomic-publish: no prebuilt binary for aix ppc64: this platform is not supported (@atomic-publish/binding-aix-ppc64@1.2.3 is not published); fix: build the addon from source (`npx napi build --platform --release` in a clone of the repository) and set NAPI_RS_NATIVE_LIBRARY_PATH to the .node file')
  t.true(second!.startsWith('Prebuilt platforms: linux-x64-gnu, '), second)
  t.false(message.includes('wasm'))
})

test('musl, 32-bit ARM and 32-bit Windows are keyed as napi-rs names their packages', (t) => {
  t.is(keyOfMachine('linux', 'x64', 'musl'), 'linux-x64-musl')
  t.is(keyOfMachine('linux', 'arm', 'glibc'), 'linux-arm-gnueabihf')
  t.is(keyOfMachine('win32', 'ia32', null), 'win32-ia32-msvc')
  t.is(keyOfMachine('darwin', 'arm64', null), 'darwin-arm64')
  t.is(keyOfTriple('armv7-unknown-linux-gnueabihf'), 'linux-arm-gnueabihf')
  t.is(keyOfTriple('i686-pc-windows-msvc'), 'win32-ia32-msvc')
  t.is(keyOfTriple('aarch64-linux-android'), 'android-arm64')
  t.is(keyOfTriple('x86_64-unknown-freebsd'), 'freebsd-x64')
  t.true(missingBinaryMessage(context({ platform: 'linux', arch: 'x64', libc: 'musl' })).includes('@atomic-publish/binding-linux-x64-musl@1.2.3 is not installed'))
})

test('every target in package.json maps to the npm/ package napi-rs made for it', (t) => {
  const keys = pkg.napi.targets.map(keyOfTriple)
  t.deepEqual(keys.filter((k) => k === null), [])
  t.deepEqual([...keys].sort(), readdirSync(join(ROOT, 'npm')).sort())
})
