// `npm run release:rehearse [-- --artifacts DIR] [--fast]`: the release workflow's publish steps,
// run against a throwaway registry (Verdaccio on 127.0.0.1), then installs from it as users do.
//
//  1. A copy of the repository gets the binaries (scripts/rehearse/artifacts.mjs says which are
//     stand-ins) through `napi artifacts`, and the set is counted, as in release.yml.
//  2. Every tarball (platform packages, main package, both overrides shims) passes publint
//     --strict and, where it ships types, arethetypeswrong, before anything is published.
//  3. `npm publish` (prepublishOnly: built-files check, then `napi prepublish` publishes the
//     platform packages), then the shims, as release.yml does. Provenance needs GitHub's OIDC
//     token, so only the workflow adds `--provenance`.
//  4. Fresh projects install it with npm, pnpm and yarn and run scripts/smoke.mjs against the
//     installed package; conf runs on the atomically shim through `overrides`; an install with
//     --omit=optional must fail with the one-line missing-binary error, and its fix must work.
//  5. Unless --fast: the npm install's smoke test on Node 18, 20, 22 and 24 (from npm), the
//     linux-x64-musl package installed with --libc=musl, in Bun's musl build (run-musl.sh's),
//     the linux-arm64-gnu and -musl packages installed with --cpu=arm64 on the emulated arm64
//     machine (run-arm64.sh --installed), and the win32-x64-msvc package installed with
//     --os=win32 in Node for Windows under Wine (run-wine.sh --installed).
//
// Everything lives in one temporary folder, removed at the end (REHEARSE_KEEP=1 keeps it).

import { execFileSync, spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gatherArtifacts } from './rehearse/artifacts.mjs'
import { startRegistry } from './rehearse/registry.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const args = process.argv.slice(2)
const fast = args.includes('--fast')
const givenArtifacts = args.includes('--artifacts') ? resolve(args[args.indexOf('--artifacts') + 1]) : undefined
const started = Date.now()
const log = (msg) => console.log(`[rehearse ${((Date.now() - started) / 1000).toFixed(0).padStart(3)}s] ${msg}`)

// The tools, pinned, in .runtimes/ (not in the lockfile: only the rehearsal needs them).
const TOOLS = ['verdaccio@6.8.0', 'publint@0.3.25', '@arethetypeswrong/cli@0.18.5', 'pnpm@10.34.8', 'yarn@1.22.22']
const toolsDir = join(root, '.runtimes', 'release-tools')
const bin = (name) => join(toolsDir, 'node_modules', '.bin', name)
if (!TOOLS.every((t) => existsSync(join(toolsDir, 'node_modules', t.slice(0, t.lastIndexOf('@')), 'package.json')))) {
  mkdirSync(toolsDir, { recursive: true })
  writeFileSync(join(toolsDir, 'package.json'), '{ "private": true }\n')
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--silent', ...TOOLS], { cwd: toolsDir, stdio: 'inherit' })
}

const work = mkdtempSync(join(process.env.TMPDIR ?? tmpdir(), 'ap-rehearse-'))
const shims = readdirSync(join(root, 'packages'))
const ownPackages = [pkg.name, `${pkg.napi.packageName}-*`, ...shims.map((d) => JSON.parse(readFileSync(join(root, 'packages', d, 'package.json'), 'utf8')).name)]
mkdirSync(join(work, 'registry'))
const registry = await startRegistry(join(toolsDir, 'node_modules', 'verdaccio', 'bin', 'verdaccio'), join(work, 'registry'), ownPackages)
log(`verdaccio at ${registry.url}, state in ${join(work, 'registry')}`)
// Every npm, pnpm and yarn below (and napi prepublish's own `npm publish`) talks to it only.
const env = { ...process.env, NPM_CONFIG_USERCONFIG: registry.npmrc, npm_config_registry: registry.url, YARN_REGISTRY: registry.url, npm_config_cache: join(work, 'npm-cache'), YARN_CACHE_FOLDER: join(work, 'yarn-cache'), npm_config_audit: 'false', npm_config_fund: 'false', NPM_CONFIG_PROVENANCE: 'false' }
for (const name of ['GITHUB_REPOSITORY', 'GITHUB_TOKEN', 'NODE_AUTH_TOKEN', 'NAPI_RS_NATIVE_LIBRARY_PATH']) delete env[name]
const run = (cmd, argv, cwd, extra = {}) => execFileSync(cmd, argv, { cwd, env: { ...env, ...extra }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })

const results = []
const check = (name, ok, detail = '') => {
  results.push({ name, ok })
  log(`${ok ? 'PASS' : 'FAIL'}  ${name}${detail ? `: ${detail}` : ''}`)
}

try {
  // 1. The repository as the publish job has it: the tracked files plus the built JavaScript.
  const repo = join(work, 'repo')
  const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' }).split('\0').filter(Boolean)
  for (const file of tracked) if (existsSync(join(root, file))) cpSync(join(root, file), join(repo, file), { recursive: true })
  for (const file of readdirSync(root).filter((f) => /\.(js|mjs|d\.ts|d\.mts)$/.test(f))) cpSync(join(root, file), join(repo, file))
  for (const file of readdirSync(join(root, 'js')).filter((f) => /\.(js|d\.ts)$/.test(f))) cpSync(join(root, 'js', file), join(repo, 'js', file))
  symlinkSync(join(root, 'node_modules'), join(repo, 'node_modules'))
  // napi prepublish reads the last commit: the copy is a repository of its own.
  run('git', ['init', '-q'], repo)
  run('git', ['add', '-A'], repo)
  run('git', ['-c', 'user.name=rehearsal', '-c', 'user.email=rehearsal@localhost', 'commit', '-qm', `v${pkg.version}`], repo)
  const gathered = gatherArtifacts(root, pkg, join(repo, 'artifacts'), givenArtifacts)
  for (const { target, note } of gathered) log(`  binary ${target}: ${note}`)
  run('npx', ['napi', 'artifacts', '--output-dir', 'artifacts', '--npm-dir', 'npm'], repo)
  const binaries = readdirSync(join(repo, 'npm')).filter((d) => existsSync(join(repo, 'npm', d, `${pkg.napi.binaryName}.${d}.node`)))
  check(`napi artifacts placed every binary (${binaries.length} of ${pkg.napi.targets.length})`, binaries.length === pkg.napi.targets.length)

  // 2. Every tarball is linted before anything is published.
  const tarballs = join(work, 'tarballs')
  mkdirSync(tarballs)
  const packDirs = [...readdirSync(join(repo, 'npm')).map((d) => join(repo, 'npm', d)), repo, ...shims.map((d) => join(repo, 'packages', d))]
  for (const dir of packDirs) {
    const file = join(tarballs, run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', tarballs], dir).trim().split('\n').pop())
    const name = file.slice(tarballs.length + 1)
    const publint = spawnSync(bin('publint'), ['run', '--strict', file], { encoding: 'utf8' })
    check(`publint --strict ${name}`, publint.status === 0 && !/Warnings:|Errors:|Suggestions:/.test(publint.stdout), publint.status === 0 ? '' : publint.stdout.slice(-600))
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
    if (manifest.types || manifest.exports) {
      const attw = spawnSync(bin('attw'), ['--pack', file, '--format', 'ascii'], { encoding: 'utf8' })
      check(`arethetypeswrong ${name}`, attw.status === 0, attw.status === 0 ? '' : attw.stdout.slice(-800))
    }
  }
  if (results.some((r) => !r.ok)) throw new Error('a tarball failed its checks: nothing was published')

  // 3. The publish step of release.yml, the same script; then again, as a re-run of a job that
  // failed after publishing would: it must skip everything and succeed.
  run('bash', ['scripts/publish-release.sh'], repo)
  const rerun = spawnSync('bash', ['scripts/publish-release.sh'], { cwd: repo, env, encoding: 'utf8' })
  const skipped = (rerun.stdout.match(/is already published/g) ?? []).length
  check(`a re-run of the publish step skips all ${1 + shims.length} packages and succeeds`, rerun.status === 0 && skipped === 1 + shims.length, rerun.stdout + rerun.stderr.slice(-600))
  const names = [...readdirSync(join(repo, 'npm')).map((d) => `${pkg.napi.packageName}-${d}`), pkg.name, ...ownPackages.slice(2)]
  const missing = names.filter((name) => spawnSync('npm', ['view', name, 'version'], { cwd: work, env }).status !== 0)
  check(`the registry holds every package (${names.length - missing.length} of ${names.length})`, missing.length === 0, missing.join(', '))
  check('the main package names each platform package as an exact optional dependency', pkg.napi.targets.length === Object.values(JSON.parse(run('npm', ['view', `${pkg.name}@${pkg.version}`, 'optionalDependencies', '--json'], work))).filter((v) => v === pkg.version).length)

  // The main tarball as published (napi prepublish added its optionalDependencies) is linted too.
  const fromRegistry = join(tarballs, 'published')
  mkdirSync(fromRegistry)
  const published = join(fromRegistry, run('npm', ['pack', `${pkg.name}@${pkg.version}`, '--silent', '--pack-destination', fromRegistry], work).trim().split('\n').pop())
  const publintPublished = spawnSync(bin('publint'), ['run', '--strict', published], { encoding: 'utf8' })
  check(`publint --strict on ${pkg.name}@${pkg.version} as published`, publintPublished.status === 0 && !/Warnings:|Errors:|Suggestions:/.test(publintPublished.stdout), publintPublished.stdout.slice(-600))
  const attwPublished = spawnSync(bin('attw'), ['--pack', published, '--format', 'ascii'], { encoding: 'utf8' })
  check(`arethetypeswrong on ${pkg.name}@${pkg.version} as published`, attwPublished.status === 0, attwPublished.stdout.slice(-800))

  // 4. Installs, as users make them.
  // The smoke test and the Windows part it imports, taking the package as installed.
  const smokeFiles = ['smoke.mjs', 'smoke-windows.mjs'].map((name) => [name, readFileSync(join(root, 'scripts', name), 'utf8').replaceAll("'../index.mjs'", "'atomic-publish'")])
  const project = (name, manifest = {}) => {
    const dir = join(work, 'installs', name)
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `rehearse-${name}`, version: '1.0.0', private: true, ...manifest }))
    for (const [name, source] of smokeFiles) writeFileSync(join(dir, name), source)
    return dir
  }
  const smoke = (label, dir, cmd = process.execPath, extra = {}, pre = []) => {
    const r = spawnSync(cmd, [...pre, 'smoke.mjs'], { cwd: dir, env: { ...env, ...extra }, encoding: 'utf8', timeout: 600_000 })
    check(`smoke: ${label}`, r.status === 0, (r.stdout.match(/smoke: .*/) ?? [r.stderr.slice(-600)])[0])
  }
  const spec = `${pkg.name}@${pkg.version}`
  const viaNpm = project('npm')
  run('npm', ['install', spec], viaNpm)
  smoke(`npm install, Node ${process.version}`, viaNpm)
  const viaPnpm = project('pnpm')
  run(bin('pnpm'), ['add', spec, '--store-dir', join(work, 'pnpm-store')], viaPnpm)
  smoke('pnpm add', viaPnpm)
  const viaYarn = project('yarn')
  run(bin('yarn'), ['add', spec, '--registry', registry.url, '--non-interactive'], viaYarn)
  smoke('yarn add (classic)', viaYarn)

  // conf writes through atomically; `overrides` puts the shim in its place.
  const viaConf = project('conf-overrides', { type: 'module', dependencies: { conf: '^13.1.0' }, overrides: { atomically: 'npm:@atomic-publish/atomically@^1' } })
  run('npm', ['install'], viaConf)
  writeFileSync(join(viaConf, 'conf.mjs'), `import Conf from 'conf'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
const require = createRequire(import.meta.url)
const shim = JSON.parse(readFileSync(require.resolve('conf').replace(/dist.*$/, '') + '../atomically/package.json', 'utf8')).name
const conf = new Conf({ projectName: 'rehearsal', cwd: process.cwd() })
conf.set('answer', 42)
console.log(shim, JSON.parse(readFileSync(conf.path, 'utf8')).answer)`)
  const confOut = spawnSync(process.execPath, ['conf.mjs'], { cwd: viaConf, encoding: 'utf8' })
  check('conf stores its settings through the atomically shim (overrides)', confOut.stdout.trim() === '@atomic-publish/atomically 42', confOut.stdout + confOut.stderr.slice(-400))

  // --omit=optional: the one-line error, then the fix it names.
  const omitted = project('omit-optional')
  run('npm', ['install', spec, '--omit=optional'], omitted)
  const load = () => spawnSync(process.execPath, ['-e', "require('atomic-publish'); console.log('loaded')"], { cwd: omitted, encoding: 'utf8' })
  const failed = load()
  const line = (failed.stderr.match(/^Error: (atomic-publish: .*)$/m) ?? [])[1] ?? ''
  const platformPackage = `${pkg.napi.packageName}-linux-x64-gnu@${pkg.version}`
  check('--omit=optional fails with the one-line missing-binary error', failed.status !== 0 && line.includes(`the package ${platformPackage} is not installed`) && !/wasm/.test(failed.stderr), line || failed.stderr.slice(-400))
  run('npm', ['install', platformPackage], omitted)
  check(`its fix (npm install ${platformPackage}) makes it load`, load().stdout.trim() === 'loaded')

  // 5. Other runtimes on the npm install.
  if (!fast) {
    for (const major of [18, 20, 22, 24]) {
      const dir = join(root, '.runtimes', `node${major}`)
      if (!existsSync(join(dir, 'node_modules', '.bin', 'node'))) {
        mkdirSync(dir, { recursive: true })
        writeFileSync(join(dir, 'package.json'), '{ "private": true }\n')
        execFileSync('npm', ['install', '--no-audit', '--no-fund', '--silent', `node@${major}`], { cwd: dir, stdio: 'ignore' })
      }
      const node = join(dir, 'node_modules', '.bin', 'node')
      smoke(`npm install, Node ${execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()}`, viaNpm, node)
    }
    // musl: the package as npm installs it for a musl machine, in Bun's musl build.
    const musl = project('musl')
    run('npm', ['install', spec, '--os=linux', '--cpu=x64', '--libc=musl'], musl)
    const addon = join(musl, 'node_modules', ...`${pkg.napi.packageName}-linux-x64-musl`.split('/'), `${pkg.napi.binaryName}.linux-x64-musl.node`)
    check('npm --libc=musl installs the linux-x64-musl package', existsSync(addon))
    const runtime = execFileSync('bash', ['-c', 'source scripts/lib/fetch.sh; echo "$(npm_runtime bun-musl @oven/bun-linux-x64-musl@1.4.5)/bin/bun"; musl_runtime x86_64'], { cwd: root, encoding: 'utf8' }).trim().split('\n')
    const [bun, libs] = runtime.slice(-2)
    // The loader cannot tell musl from the host's /usr/bin/ldd here: it is pointed at the addon.
    smoke('Bun (musl build) on musl, the installed linux-x64-musl package', musl, join(libs, 'ld-musl'), { LD_LIBRARY_PATH: libs, NAPI_RS_NATIVE_LIBRARY_PATH: addon }, [bun])

    // arm64 and Windows: the packages as npm installs them for those machines, smoke-tested on
    // the emulated arm64 machine and under Wine (run-arm64.sh and run-wine.sh, --installed).
    const addonOf = (dir, key) => join(dir, 'node_modules', ...`${pkg.napi.packageName}-${key}`.split('/'), `${pkg.napi.binaryName}.${key}.node`)
    const foreign = (script, argv) => {
      const own = { ...process.env }
      delete own.NAPI_RS_NATIVE_LIBRARY_PATH
      return spawnSync('bash', [join(root, 'scripts', script), '--installed', ...argv], { cwd: root, env: own, encoding: 'utf8', timeout: 1_800_000 })
    }
    const arm64 = project('arm64')
    run('npm', ['install', spec, '--os=linux', '--cpu=arm64', '--libc=glibc'], arm64)
    const arm64Musl = project('arm64-musl')
    run('npm', ['install', spec, '--os=linux', '--cpu=arm64', '--libc=musl'], arm64Musl)
    check('npm --cpu=arm64 installs the linux-arm64-gnu package, and with --libc=musl the linux-arm64-musl one', existsSync(addonOf(arm64, 'linux-arm64-gnu')) && existsSync(addonOf(arm64Musl, 'linux-arm64-musl')))
    const vm = foreign('run-arm64.sh', [arm64, addonOf(arm64Musl, 'linux-arm64-musl')])
    const vmResults = (vm.stdout.match(/^smoke: .*$/gm) ?? []).join('; ')
    check('smoke on the emulated arm64 machine: the installed linux-arm64-gnu package in Node, linux-arm64-musl in Bun', vm.status === 0, vmResults || vm.stderr.slice(-600))
    const windows = project('win32')
    run('npm', ['install', spec, '--os=win32', '--cpu=x64'], windows)
    check('npm --os=win32 --cpu=x64 installs the win32-x64-msvc package', existsSync(addonOf(windows, 'win32-x64-msvc')))
    const wine = foreign('run-wine.sh', [windows])
    check('smoke under Wine: the installed win32-x64-msvc package (the windows-gnu stand-in) in Node for Windows', wine.status === 0, (wine.stdout.match(/smoke: .*/) ?? [(wine.stdout + wine.stderr).slice(-600)])[0])
  }
} catch (err) {
  check('the rehearsal ran to its end', false, err.stderr ? `${err.message}\n${err.stderr.slice(-1500)}` : err.stack)
} finally {
  await registry.stop()
  if (process.env.REHEARSE_KEEP !== '1') rmSync(work, { recursive: true, force: true })
}
const failures = results.filter((r) => !r.ok).length
log(`${results.length - failures} of ${results.length} checks passed${fast ? ' (--fast: other runtimes skipped)' : ''}`)
process.exitCode = failures ? 1 : 0
