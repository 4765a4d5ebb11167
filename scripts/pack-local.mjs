// `npm run pack:local`: build the release addon and write installable tarballs to packed/ —
// the main package (JavaScript, types, CLI; no Rust), this platform's binary package and the
// overrides shims (packages/*) — the way a release would publish them (`napi prepublish` adds the platform packages as exact
// optionalDependencies at publish time; here the staged package.json gets them the same way).

import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const run = (cmd, args, cwd = root) => execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' })
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const packed = join(root, 'packed')
rmSync(packed, { recursive: true, force: true })
mkdirSync(packed)

if (!process.argv.includes('--no-build')) run('npm', ['run', 'build'])

// This platform's binary goes into its npm/<platform> package.
const binary = readdirSync(root).find((f) => f.startsWith(`${pkg.napi.binaryName}.`) && f.endsWith('.node'))
if (!binary) throw new Error('no built addon found; run npm run build')
const platform = binary.slice(pkg.napi.binaryName.length + 1, -'.node'.length)
const platformDir = join(root, 'npm', platform)
cpSync(join(root, binary), join(platformDir, binary))
const platformPkg = JSON.parse(readFileSync(join(platformDir, 'package.json'), 'utf8'))
run('npm', ['pack', '--pack-destination', packed], platformDir)
rmSync(join(platformDir, binary))

/** The files a `files` entry names: a path, or `dir/*.ext` (the only shapes package.json uses). */
function expand(pattern) {
  if (!pattern.includes('*')) return existsSync(join(root, pattern)) ? [pattern] : []
  const dir = dirname(pattern)
  const re = new RegExp(`^${pattern.slice(dir.length + 1).replace(/[.]/g, '\\.').replace('*', '.*')}$`)
  return readdirSync(join(root, dir)).filter((f) => re.test(f)).map((f) => join(dir, f))
}

// The main package, staged with only what `files` ships plus the release-time fields.
const stage = join(packed, 'stage')
mkdirSync(stage)
for (const pattern of [...pkg.files, 'README.md', 'LICENSE']) {
  for (const file of expand(pattern)) cpSync(join(root, file), join(stage, file), { recursive: true })
}
const staged = { ...pkg }
delete staged.devDependencies
delete staged.scripts
delete staged.ava
staged.optionalDependencies = Object.fromEntries(
  readdirSync(join(root, 'npm')).map((dir) => [`${pkg.napi.packageName}-${dir}`, pkg.version]),
)
writeFileSync(join(stage, 'package.json'), `${JSON.stringify(staged, null, 2)}\n`)
run('npm', ['pack', '--pack-destination', packed], stage)
rmSync(stage, { recursive: true, force: true })

// The overrides shims, as the release publishes them.
for (const shim of readdirSync(join(root, 'packages'))) run('npm', ['pack', '--pack-destination', packed], join(root, 'packages', shim))

console.log(`packed/ holds:\n${readdirSync(packed).map((f) => `  ${f}`).join('\n')}\n(${platformPkg.name} for ${platform})`)
