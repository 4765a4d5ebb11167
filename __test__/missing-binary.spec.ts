// A missing or broken prebuilt binary: loading the package fails with one first line that names
// the platform, the architecture and the C library, the exact package, the command that fixes it
// and whether the platform is supported, and no cause names a package that is never published.
// The package is staged as an install would lay it out (package.json `files`, its dependencies,
// no binary), with the platform package left out, broken, or present.

import test from 'ava'
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { libcFrom, libcOfProcess } from '../js/libc.js'
import { keyOfMachine, keyOfTriple, missingBinaryMessage, type LoadContext } from '../js/missing-binary.js'
import { freshDir, needs, notUnderWine } from './helpers.js'

// These copy the addon the build put in the checkout under its platform package's name; under
// Wine the build on trial is the windows-gnu stand-in, named only by NAPI_RS_NATIVE_LIBRARY_PATH.
const withBuiltAddon = needs([], { also: notUnderWine('the win32-x64-msvc addon in the checkout') })

const ROOT = join(__dirname, '..', '..')
const pkg = require(join(ROOT, 'package.json')) as { version: string; files: string[]; dependencies?: Record<string, string>; napi: { binaryName: string; packageName: string; targets: string[] } }
const libc = libcOfProcess()
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

/** Stage the platform package with `binary` as its `.node` file (null: no file), at `version`. */
function stagePlatformPackage(project: string, binary: string | Buffer | null, version = pkg.version): void {
  const dir = join(project, 'node_modules', ...platformPackage.split('/'))
  mkdirSync(dir, { recursive: true })
  const file = `${pkg.napi.binaryName}.${key}.node`
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: platformPackage, version, main: file }))
  if (typeof binary === 'string') cpSync(binary, join(dir, file))
  else if (binary !== null) writeFileSync(join(dir, file), binary)
}

interface Loaded {
  ok: boolean
  message?: string
  code?: string
  causes?: string[]
  /** The child's exit status: 0 when the failure was caught and nothing else went wrong. */
  status?: number | null
}

/** Settings of napi-rs loaders, left out of the children unless a test sets them. */
const LOADER_ENV = ['NAPI_RS_NATIVE_LIBRARY_PATH', 'NAPI_RS_FORCE_WASI', 'NAPI_RS_WASI_FLAVOR', 'NAPI_RS_ENFORCE_VERSION_CHECK']

/** Load the staged package from CommonJS or ESM in a child, and report what it threw. */
function load(project: string, how: 'require' | 'import', env: NodeJS.ProcessEnv = {}, nodeArgs: string[] = []): Loaded {
  const body = how === 'require' ? `require('atomic-publish')` : `await import('atomic-publish')`
  const script = `try { const m = ${body}; if (typeof m.AtomicFile !== 'function') throw new Error('no AtomicFile'); console.log(JSON.stringify({ ok: true })) }
catch (e) { const causes = []; for (let c = e.cause; c; c = c.cause) causes.push(String(c.message)); console.log(JSON.stringify({ ok: false, message: e.message, code: e.code, causes })) }`
  const childEnv = { ...process.env }
  for (const name of LOADER_ENV) delete childEnv[name]
  Object.assign(childEnv, env)
  const run = spawnSync(process.execPath, [...nodeArgs, '--input-type=module', '-e', how === 'require' ? `import { createRequire } from 'node:module'; const require = createRequire(process.cwd() + '/'); ${script}` : script], { cwd: project, env: childEnv, encoding: 'utf8' })
  // The line the catch printed says what was thrown; the exit status, that nothing escaped it.
  const line = run.stdout.split('\n')[0]
  if (!line) throw new Error(`the loader child printed nothing (exit ${run.status}): ${run.stderr}`)
  const loaded = JSON.parse(line) as Loaded
  if (run.status !== 0) throw new Error(`the loader child's catch ran, but it exited with ${run.status}: ${run.stderr}`)
  return loaded
}

for (const how of ['require', 'import'] as const) {
  test(`${how}: without the platform package, one line names the machine, the package, the fix and that the platform is supported`, (t) => {
    // load() also checks that the child exited with 0: under ESM too, the failure is catchable.
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

test('import of each compat entry without the platform package rejects with the one line, and the process goes on', (t) => {
  const project = stagedProject()
  const script = `for (const entry of ['atomic-publish/compat', 'atomic-publish/compat/write-file-atomic', 'atomic-publish/compat/atomically']) {
  try { await import(entry); console.log(entry, 'loaded') } catch (e) { console.log(entry, e.code) } }`
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: project, env: { ...process.env, NAPI_RS_NATIVE_LIBRARY_PATH: '' }, encoding: 'utf8' })
  t.is(run.stdout, ['atomic-publish/compat', 'atomic-publish/compat/write-file-atomic', 'atomic-publish/compat/atomically'].map((e) => `${e} ERR_ATOMIC_PUBLISH_NO_BINARY\n`).join(''), run.stderr)
  t.is(run.status, 0, run.stderr)
})

test('a platform package whose binary is broken says it is installed but does not load, and why', (t) => {
  const project = stagedProject()
  stagePlatformPackage(project, Buffer.from('not a shared object'))
  const result = load(project, 'require')
  t.false(result.ok)
  t.is(result.code, 'ERR_ATOMIC_PUBLISH_NO_BINARY')
  t.true(result.message!.startsWith(`atomic-publish: the prebuilt binary for ${process.platform} ${process.arch}`), result.message)
  t.true(result.message!.includes(`(${platformPackage}@${pkg.version}) is installed but does not load: `), result.message)
  // `npm install` alone keeps the broken package ("up to date"): the fix removes its folder first.
  t.true(result.message!.includes(`; fix: rm -rf node_modules/${platformPackage} && npm install (this platform is supported)`), result.message)
  t.false(result.causes!.some((m) => /wasm|wasi/i.test(m)), result.causes!.join(' | '))
})

test('a build of one\'s own beside the loader that does not load is named as that file, not as the platform package', (t) => {
  const project = stagedProject()
  const own = `node_modules/atomic-publish/${pkg.napi.binaryName}.${key}.node`
  writeFileSync(join(project, own), 'not a shared object')
  const result = load(project, 'require')
  t.is(result.code, 'ERR_ATOMIC_PUBLISH_NO_BINARY')
  t.true(result.message!.startsWith(`atomic-publish: the build at ${own}, which the loader tries first, does not load on ${process.platform} ${process.arch}`), result.message)
  t.true(result.message!.endsWith(`; fix: replace it with a ${key} build, or remove it to use ${platformPackage}@${pkg.version}`), result.message)
})

test('NAPI_RS_NATIVE_LIBRARY_PATH naming a file that does not load is reported as such', (t) => {
  const project = stagedProject()
  const result = load(project, 'require', { NAPI_RS_NATIVE_LIBRARY_PATH: join(project, 'nowhere.node') })
  t.false(result.ok)
  t.true(result.message!.startsWith(`atomic-publish: the native binary NAPI_RS_NATIVE_LIBRARY_PATH names (${join(project, 'nowhere.node')}) does not load`), result.message)
})

test('a platform package whose .node file is missing is said to be installed with its binary file missing, not uninstalled', (t) => {
  const project = stagedProject()
  stagePlatformPackage(project, null)
  const result = load(project, 'require')
  t.is(result.code, 'ERR_ATOMIC_PUBLISH_NO_BINARY')
  const file = `node_modules/${platformPackage}/${pkg.napi.binaryName}.${key}.node`
  t.true(result.message!.includes(`the package ${platformPackage}@${pkg.version} is installed but its binary file ${file} is missing`), result.message)
  t.false(result.message!.includes('is not installed'), result.message)
  // The folder the fix removes is the package's, as resolved from the project.
  const dir = /; fix: rm -rf (\S+) && npm install /.exec(result.message!)?.[1]
  t.is(dir, `node_modules/${platformPackage}`)
  t.true(existsSync(join(project, dir!, 'package.json')))
})

test('a broken platform package at another version says which version is installed and which is needed', (t) => {
  const project = stagedProject()
  stagePlatformPackage(project, Buffer.from('not a shared object'), '0.0.9')
  const result = load(project, 'require')
  t.is(result.code, 'ERR_ATOMIC_PUBLISH_NO_BINARY')
  t.true(result.message!.includes(`${platformPackage}@0.0.9 is installed, ${pkg.version} is needed (it does not load: `), result.message)
  t.true(result.message!.includes(`; fix: rm -rf node_modules/${platformPackage} && npm install`), result.message)
})

withBuiltAddon('a working platform package at another version loads by default and, under NAPI_RS_ENFORCE_VERSION_CHECK, is reported as that version', (t) => {
  const project = stagedProject()
  stagePlatformPackage(project, builtBinary, '0.0.9')
  // As the generated loader does by default: a mismatch alone does not stop the load.
  t.deepEqual(load(project, 'require'), { ok: true })
  for (const how of ['require', 'import'] as const) {
    const result = load(project, how, { NAPI_RS_ENFORCE_VERSION_CHECK: '1' })
    t.is(result.code, 'ERR_ATOMIC_PUBLISH_NO_BINARY', how)
    t.true(result.message!.startsWith(`atomic-publish: the prebuilt binary for ${process.platform} ${process.arch}`), result.message)
    t.true(result.message!.includes(`${platformPackage}@0.0.9 is installed, ${pkg.version} is needed; fix: rm -rf node_modules/${platformPackage} && npm install`), result.message)
    t.false(/npm has a bug|Cannot find native binding/.test(result.message!), result.message)
  }
})

withBuiltAddon('when the binary this machine needs loads on its own but the loader failed anyway, the one line says so and keeps the loader\'s error as the cause', (t) => {
  const project = stagedProject()
  stagePlatformPackage(project, builtBinary)
  const result = load(project, 'require', { NAPI_RS_FORCE_WASI: 'error' })
  t.is(result.code, 'ERR_ATOMIC_PUBLISH_NO_BINARY')
  t.is(result.message, `atomic-publish: the native binary did not load on ${process.platform} ${process.arch}${libc ? ` ${libc}` : ''}, although the one this machine needs (${key}, ${platformPackage}@${pkg.version}) loads on its own: the loader looked for something else (NAPI_RS_FORCE_WASI=error is set) and failed; fix: unset NAPI_RS_FORCE_WASI`)
  t.regex(result.causes![0]!, /WASI binding not found/)
})

// The loader reads /usr/bin/ldd before Node's report; a preload makes the file say musl, as on a
// host whose ldd is musl's while the process runs glibc's (or the other way round).
const onLinuxWithMusl = needs([], { also: [notUnderWine('Linux'), { ok: process.platform === 'linux' && pkg.napi.targets.some((tr) => keyOfTriple(tr) === keyOfMachine('linux', process.arch, 'musl')), what: 'Linux on an architecture with a musl build' }] })
onLinuxWithMusl('the C library is decided as the loader decides it (ldd first), so the package named is the one it looked for', (t) => {
  t.true(existsSync(builtBinary), `run npm run build first: ${builtBinary}`)
  const project = stagedProject()
  stagePlatformPackage(project, builtBinary)
  const preload = join(project, 'ldd-says-musl.cjs')
  writeFileSync(preload, `const fs = require('fs'); const read = fs.readFileSync; fs.readFileSync = function (path, ...rest) { return path === '/usr/bin/ldd' ? 'musl libc (x86_64)\\n' : read.call(this, path, ...rest) }\n`)
  const muslPackage = `${pkg.napi.packageName}-${keyOfMachine('linux', process.arch, 'musl')}`
  for (const how of ['require', 'import'] as const) {
    const result = load(project, how, {}, ['--require', preload])
    t.is(result.code, 'ERR_ATOMIC_PUBLISH_NO_BINARY', how)
    t.true(result.message!.startsWith(`atomic-publish: no prebuilt binary for linux ${process.arch} musl: the package ${muslPackage}@${pkg.version} is not installed`), result.message)
    t.regex(result.causes![0]!, new RegExp(`Cannot find module '${muslPackage}'`))
    t.false([result.message!, ...result.causes!].some((m) => /wasm|wasi|npm has a bug/i.test(m)), result.causes!.join(' | '))
  }
})

test('the C library: ldd\'s text decides first, then the report, then `ldd --version`', (t) => {
  const glibcReport = { header: { glibcVersionRuntime: '2.36' } }
  const muslReport = { header: {}, sharedObjects: ['/lib/ld-musl-x86_64.so.1'] }
  const nothing = () => null
  t.is(libcFrom({ lddScript: () => '#!/bin/sh\nexec /lib/ld-musl-x86_64.so.1 --list "$@"', report: () => glibcReport, lddVersion: nothing }), 'musl')
  t.is(libcFrom({ lddScript: () => '# This file is part of the GNU C Library.', report: () => muslReport, lddVersion: () => 'musl libc' }), 'glibc')
  t.is(libcFrom({ lddScript: nothing, report: () => muslReport, lddVersion: () => 'ldd (GNU libc) 2.36' }), 'musl')
  t.is(libcFrom({ lddScript: nothing, report: () => ({ header: {} }), lddVersion: () => 'musl libc' }), 'glibc')
  t.is(libcFrom({ lddScript: nothing, report: nothing, lddVersion: () => 'musl libc (x86_64)' }), 'musl')
  t.is(libcFrom({ lddScript: nothing, report: nothing, lddVersion: nothing }), 'glibc')
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

test('an unsupported platform is said to be unsupported, with the package it would need and where a build of one\'s own goes', (t) => {
  const slot = 'node_modules/atomic-publish/atomic-publish.linux-riscv64-gnu.node'
  const message = missingBinaryMessage(context({ platform: 'linux', arch: 'riscv64', libc: 'glibc', ownBuildPath: slot }))
  const [first, second] = message.split('\n')
  t.is(first, `atomic-publish: no prebuilt binary for linux riscv64 glibc: this platform is not supported (@atomic-publish/binding-linux-riscv64-gnu@1.2.3 is not published); fix: build the addon from source (\`npx napi build --platform --release\` in a clone of the repository) and copy the .node file to ${slot}, where the loader looks first`)
  t.true(second!.startsWith('Prebuilt platforms: linux-x64-gnu, '), second)
  t.false(message.includes('wasm'))
  // No advice to set NAPI_RS_NATIVE_LIBRARY_PATH: every napi-rs loader in the process reads it.
  t.false(message.includes('NAPI_RS_NATIVE_LIBRARY_PATH'))
  const noEntry = missingBinaryMessage(context({ platform: 'aix', arch: 'ppc64', libc: null, ownBuildPath: null })).split('\n')[0]
  t.is(noEntry, 'atomic-publish: no prebuilt binary for aix ppc64: this platform is not supported (@atomic-publish/binding-aix-ppc64@1.2.3 is not published); fix: none without a change to the package: its loader has no entry for aix-ppc64, so it cannot load a build of your own either')
})

test('binding.js looks first for a build of one\'s own beside it, on a platform with no prebuilt binary too', (t) => {
  const loader = readFileSync(join(ROOT, 'binding.js'), 'utf8')
  const body = loader.slice(loader.indexOf('function requireNative'))
  const own = `require('./${pkg.napi.binaryName}.linux-riscv64-gnu.node')`
  t.true(body.includes(own), 'an entry for linux riscv64')
  t.true(body.indexOf(own) < body.indexOf(`require('${pkg.napi.packageName}-linux-riscv64-gnu')`), 'before the package')
  t.false(body.includes(`require('./${pkg.napi.binaryName}.aix-ppc64.node')`))
  t.false(pkg.napi.targets.some((tr) => keyOfTriple(tr) === 'linux-riscv64-gnu'), 'linux riscv64 has no prebuilt binary')
})

test('the command that replaces an installed package names its folder, quoted for the shell where needed, and in words on Windows', (t) => {
  const broken = { installedButFailed: 'file too short', installedVersion: '1.2.3' }
  t.true(missingBinaryMessage(context({ ...broken, packageDir: '/srv/my app/node_modules/@atomic-publish/binding-linux-x64-gnu' })).includes("; fix: rm -rf '/srv/my app/node_modules/@atomic-publish/binding-linux-x64-gnu' && npm install (this platform is supported)"))
  t.true(missingBinaryMessage(context({ ...broken })).includes('; fix: rm -rf node_modules/@atomic-publish/binding-linux-x64-gnu && npm install'), 'the usual folder when none was resolved')
  const windows = missingBinaryMessage(context({ ...broken, platform: 'win32', libc: null, packageDir: 'node_modules\\@atomic-publish\\binding-win32-x64-msvc' }))
  t.true(windows.includes('; fix: delete the folder node_modules\\@atomic-publish\\binding-win32-x64-msvc, then run npm install'), windows)
  const older = missingBinaryMessage(context({ installedVersion: '1.2.0', packageDir: 'node_modules/@atomic-publish/binding-linux-x64-gnu', loadsAlone: true }))
  t.is(older, 'atomic-publish: the prebuilt binary for linux x64 glibc is at another version: @atomic-publish/binding-linux-x64-gnu@1.2.0 is installed, 1.2.3 is needed; fix: rm -rf node_modules/@atomic-publish/binding-linux-x64-gnu && npm install (this platform is supported)')
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
