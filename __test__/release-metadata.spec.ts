// What a release needs from the manifests before it can publish: every package names the
// repository (npm's provenance refuses a package without it), is public, and the main package
// builds nothing inside `npm publish` (the platform packages are already out by then).

import test from 'ava'
import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { freshDir } from './helpers.js'

const ROOT = join(__dirname, '..', '..')
const REPO = 'https://github.com/atomic-publish/atomic-publish'
const read = (file: string) => JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as Record<string, any>
const manifests = ['package.json', ...readdirSync(join(ROOT, 'npm')).map((d) => `npm/${d}/package.json`), ...readdirSync(join(ROOT, 'packages')).map((d) => `packages/${d}/package.json`)]

for (const file of manifests) {
  test(`${file} names the repository, homepage and bug tracker, and publishes as public`, (t) => {
    const pkg = read(file)
    t.is(pkg['repository']?.url, `git+${REPO}.git`)
    t.is(pkg['homepage'], `${REPO}#readme`)
    t.is(pkg['bugs']?.url, `${REPO}/issues`)
    t.is(pkg['publishConfig']?.access, 'public')
    t.is(pkg['license'], 'MIT')
  })
}

test('every target in package.json has its platform package under npm/', (t) => {
  const pkg = read('package.json')
  const dirs = readdirSync(join(ROOT, 'npm'))
  t.is(dirs.length, pkg['napi'].targets.length)
  for (const dir of dirs) {
    const platform = read(`npm/${dir}/package.json`)
    t.is(platform['name'], `${pkg['napi'].packageName}-${dir}`)
    t.is(platform['version'], pkg['version'], `${dir} is versioned with the main package`)
    t.deepEqual(platform['files'], [`${pkg['napi'].binaryName}.${dir}.node`])
  }
})

const prepare = (env: NodeJS.ProcessEnv, args: string[] = []) =>
  spawnSync(process.execPath, [join(ROOT, 'scripts', 'prepare.mjs'), ...args], { cwd: ROOT, env: { ...process.env, ...env, PATH: '/nonexistent' }, encoding: 'utf8' })

test('prepare builds after an install but not inside npm publish', (t) => {
  t.is(read('package.json')['scripts'].prepare, 'node scripts/prepare.mjs')
  // With no npm on PATH, a build attempt fails: under publish, none is made.
  const publishing = prepare({ npm_command: 'publish' })
  t.is(publishing.status, 0, publishing.stderr)
  t.regex(publishing.stderr, /publishing the files already built/)
  const installing = prepare({ npm_command: 'ci' })
  t.not(installing.status, 0, 'after `npm ci` it runs the build (here: npm is not found)')
})

test('prepublishOnly refuses to publish before anything is published when a shipped file is not built', (t) => {
  t.regex(read('package.json')['scripts'].prepublishOnly, /^node scripts\/prepare\.mjs --check-built && napi prepublish/)
  const built = prepare({}, ['--check-built'])
  t.is(built.status, 0, built.stderr)
  // The same script in a tree where nothing was built.
  const bare = freshDir('ap-unbuilt-')
  mkdirSync(join(bare, 'scripts'))
  copyFileSync(join(ROOT, 'scripts', 'prepare.mjs'), join(bare, 'scripts', 'prepare.mjs'))
  copyFileSync(join(ROOT, 'package.json'), join(bare, 'package.json'))
  const unbuilt = spawnSync(process.execPath, [join(bare, 'scripts', 'prepare.mjs'), '--check-built'], { encoding: 'utf8' })
  t.is(unbuilt.status, 1)
  t.regex(unbuilt.stderr, /^not built: index\.js, index\.mjs, .*binding\.js.*; run `npm run build`/)
})

test('each platform package README says what the package is, and names only packages that exist', (t) => {
  const pkg = read('package.json')
  for (const dir of readdirSync(join(ROOT, 'npm'))) {
    const readme = readFileSync(join(ROOT, 'npm', dir, 'README.md'), 'utf8')
    const name = `${pkg['napi'].packageName}-${dir}`
    t.true(readme.startsWith(`# \`${name}\`\n`), `${dir}: titled with its own name`)
    t.regex(readme, /prebuilt binary of \[atomic-publish\]/, dir)
    t.regex(readme, /installed automatically/, dir)
    // Every @atomic-publish/… name it gives is its own package's.
    for (const [mentioned] of readme.matchAll(/@atomic-publish\/[\w-]+/g)) t.is(mentioned, name, `${dir} names ${mentioned}`)
  }
})

test('the release checks, before publishing anything, that every manifest names the repository it runs in', (t) => {
  const check = (url: string) => spawnSync(process.execPath, [join(ROOT, 'scripts', 'check-repository.mjs'), url], { encoding: 'utf8' })
  const same = check(REPO)
  t.is(same.status, 0, same.stderr)
  t.is(check(`${REPO.toUpperCase()}/`).status, 0, 'host and path compare case-folded')
  const fork = check('https://github.com/someone-else/atomic-publish')
  t.is(fork.status, 1)
  t.regex(fork.stderr, /package\.json: git\+https:\/\/github\.com\/atomic-publish\/atomic-publish\.git/)
  t.regex(fork.stderr, /packages\/atomically\/package\.json/)
})

test('the release workflow publishes only from a tag equal to the version, and makes the GitHub release last', (t) => {
  const workflow = readFileSync(join(ROOT, '.github', 'workflows', 'release.yml'), 'utf8')
  const pkg = read('package.json')
  // napi prepublish would otherwise make the GitHub release before any package is published.
  t.regex(pkg['scripts'].prepublishOnly, /napi prepublish .*--no-gh-release/)
  const publish = workflow.slice(workflow.indexOf('\n  publish:'), workflow.indexOf('\n  github-release:'))
  t.regex(publish, /if: startsWith\(github\.ref, 'refs\/tags\/v'\)/)
  t.regex(publish, /test "v\$version" = "\$GITHUB_REF_NAME"/)
  t.true(publish.indexOf('check-repository.mjs') < publish.indexOf('publish-release.sh'))
  t.notRegex(publish, /contents: write/)
  t.regex(workflow.slice(workflow.indexOf('\n  github-release:')), /needs: publish[\s\S]*gh release create/)
})
