// sweepOrphans (guarantee 4): exactly the scratch shape, never a young one, never a live one.

import test from 'ava'
import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AtomicFile, sweepOrphans } from 'atomic-publish'
import { fixtureForOtherUser, freshDir, isRoot, namesIn, needs, notUnderWine, otherUserReachesTmp, posixOnly, runChild, scratchIn, setprivSwitchesUser, snapshot } from './helpers.js'

const ROOT = join(__dirname, '..', '..')
const LONG_AGO = new Date('2001-01-01T00:00:00Z')

interface SweeperReport {
  removed: string[]
  rejections: string[]
  failures: { path: string; code: string; syscall: string }[]
}

/**
 * A recursive sweep of `dir` in a child, as a user whom modes stop: root enters any
 * directory, so as root the sweep runs as nobody, in a directory nobody owns (a test calling
 * it needs `setprivSwitchesUser()`).
 */
function sweepAsNobody(dir: string, encoding = 'utf8'): SweeperReport {
  const asNobody = isRoot ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : []
  if (isRoot) execFileSync('chown', ['-R', '65534:65534', dir])
  const [command, ...args] = [...asNobody, process.execPath, fixtureForOtherUser('sweeper'), dir, '0', '60000', 'recursive', encoding]
  return JSON.parse(execFileSync(command, args, { encoding: 'utf8' })) as SweeperReport
}

function orphan<P extends string | Buffer>(path: P): P {
  writeFileSync(path, 'left by a crash')
  utimesSync(path, LONG_AGO, LONG_AGO)
  return path
}

test('old scratch files of every writer go (1–64 letters and digits); young ones and look-alikes stay (flat)', async (t) => {
  const dir = freshDir()
  const old = ['data.json.oxentmp.Ab3dE6gH9k', 'data.json.oxentmp.Ab3dE6', 'a.oxentmp.x', `b.oxentmp.${'Z9'.repeat(32)}`].map((n) => orphan(join(dir, n)))
  writeFileSync(join(dir, 'young.json.oxentmp.Zz0Zz0Zz0Z'), 'a live writer, maybe')
  const lookAlikes = [`data.json.oxentmp.${'a'.repeat(65)}`, 'data.json.oxentmp.Ab3dE-gH9k', 'data.json.oxentmp.', 'data.json.oxentmp', '.oxentmp.Ab3dE6gH9k', 'data.json.oxentmp.Ab3d\u00e9', 'data.json']
  for (const lookAlike of lookAlikes) orphan(join(dir, lookAlike))
  mkdirSync(join(dir, 'sub'))
  const nested = orphan(join(dir, 'sub', 'x.oxentmp.0000000000'))
  t.deepEqual((await sweepOrphans(dir)).sort(), old.sort())
  t.false(old.some((p) => existsSync(p)))
  t.true(existsSync(nested), 'flat does not descend')
  t.deepEqual(namesIn(dir), ['sub', 'young.json.oxentmp.Zz0Zz0Zz0Z', ...lookAlikes].sort())
})

needs([], { also: [otherUserReachesTmp, setprivSwitchesUser(), posixOnly('file names as bytes (Windows names are UTF-16)')] })('paths come back as fs.readdir gives names: strings by default, exact bytes with encoding buffer', async (t) => {
  const dir = freshDir()
  const name = Buffer.concat([Buffer.from('n'), Buffer.from([0xe9]), Buffer.from('.txt.oxentmp.Ab3dE6')])
  const notUtf8 = () => orphan(Buffer.concat([Buffer.from(`${dir}/`), name]))
  const plain = () => orphan(join(dir, 'caf\u00e9.oxentmp.Ab3dE6'))
  notUtf8()
  plain()
  // The default: every path a string, a stray byte as U+FFFD exactly where fs.readdir puts it.
  const asText = await sweepOrphans(dir, { dryRun: true })
  t.deepEqual(asText.sort(), readdirSync(dir).map((n) => join(dir, n)).sort())
  t.true(asText.every((p) => typeof p === 'string'))
  t.deepEqual(await sweepOrphans(dir, { dryRun: true, encoding: 'latin1' }).then((p) => p.sort()), readdirSync(dir, 'latin1').map((n) => `${dir}/${n}`).sort())
  // encoding 'buffer': every path a Buffer of its exact bytes, UTF-8 or not; those are removed.
  const expected = readdirSync(dir, { encoding: 'buffer' }).map((n) => Buffer.concat([Buffer.from(`${dir}/`), n]))
  const asBytes = await sweepOrphans(dir, { encoding: 'buffer' })
  t.true(asBytes.every((p) => Buffer.isBuffer(p)))
  t.deepEqual(asBytes.map((p) => p.toString('hex')).sort(), expected.map((p) => p.toString('hex')).sort())
  t.deepEqual(namesIn(dir), [])
  // An incomplete sweep's removed paths and failures follow the encoding too.
  notUtf8()
  mkdirSync(join(dir, 'locked'))
  const shut = Buffer.concat([Buffer.from(`${dir}/locked/`), name])
  writeFileSync(shut, 'x')
  chmodSync(join(dir, 'locked'), 0)
  const report = sweepAsNobody(dir, 'buffer')
  chmodSync(join(dir, 'locked'), 0o700)
  const hex = (path: Buffer) => `hex:${path.toString('hex')}`
  t.deepEqual(report.removed, [hex(Buffer.concat([Buffer.from(`${dir}/`), name]))])
  t.deepEqual(report.failures, [{ path: hex(Buffer.from(join(dir, 'locked'))), code: 'EACCES', syscall: 'scandir' }])
  t.true(existsSync(shut))
})

test('an encoding that is not one is refused before anything is touched', async (t) => {
  const dir = freshDir()
  const path = orphan(join(dir, 'x.oxentmp.Ab3dE6'))
  for (const encoding of ['bytes', 'Buffer', 42, {}]) {
    await t.throwsAsync(sweepOrphans(dir, { encoding } as never), { code: 'ERR_INVALID_ARG_VALUE', message: /encoding/ })
  }
  t.true(existsSync(path))
})

needs([], { also: notUnderWine('directory junctions') })('a strict TypeScript consumer gets string[] by default and Buffer[] with encoding buffer', (t) => {
  const project = freshDir('ap-sweep-types-')
  mkdirSync(join(project, 'node_modules'))
  symlinkSync(ROOT, join(project, 'node_modules', 'atomic-publish'), 'junction')
  writeFileSync(join(project, 'package.json'), '{ "name": "consumer", "private": true, "type": "commonjs" }')
  copyFileSync(join(ROOT, '__test__', 'consumer', 'sweep-types.ts'), join(project, 'sweep-types.ts'))
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
  const r = spawnSync(process.execPath, [tsc, '--strict', '--noEmit', '--module', 'node16', '--moduleResolution', 'node16', '--target', 'es2022', '--typeRoots', join(ROOT, 'node_modules', '@types'), '--types', 'node', 'sweep-types.ts'], { cwd: project, encoding: 'utf8' })
  t.is(r.status, 0, r.stdout)
})

needs([], { also: posixOnly('paths longer than PATH_MAX (MAX_PATH on Windows)') })('a tree deeper than PATH_MAX is swept to the bottom', async (t) => {
  const dir = freshDir()
  const levels = 40 // 40 × 201 bytes: twice PATH_MAX
  const tree = (mode: string): string => execFileSync(process.execPath, [join(__dirname, 'fixtures', 'deep-tree.js'), mode, dir, String(levels)], { encoding: 'utf8' })
  tree('build')
  try {
    const removed = await sweepOrphans(dir, { recursive: true })
    t.is(removed.length, 1)
    const [path] = removed as string[]
    t.true(path.endsWith(`/${'d'.repeat(200)}/bottom.json.oxentmp.AbCdE6`))
    t.true(path.length > 4096, `${path.length}`)
    t.deepEqual(JSON.parse(tree('check')), { exists: false })
  } finally {
    tree('remove')
  }
})

needs([], { also: posixOnly('descriptor limits (ulimit -n)') })('a tree 5 000 levels deep is swept whole by a process allowed 32 descriptors (Node itself holds about 20)', (t) => {
  const dir = freshDir()
  const levels = 5000
  const tree = (mode: string) => execFileSync(process.execPath, [join(__dirname, 'fixtures', 'nested-tree.js'), mode, dir, String(levels)])
  tree('build')
  try {
    const run = runChild<SweeperReport>('sweeper', [dir, '0', '60000', 'recursive'], { shell: 'ulimit -n 32' })
    t.deepEqual(run.out?.failures, [], run.stderr)
    t.deepEqual(run.out?.removed, [`${dir}${'/d'.repeat(levels)}/bottom.oxentmp.AbCdE6`])
  } finally {
    tree('remove')
  }
})

needs([], { also: [otherUserReachesTmp, setprivSwitchesUser(), posixOnly('directory permissions (a directory without x cannot be entered)')] })('a recursive sweep that cannot enter a subdirectory sweeps the rest and names it', async (t) => {
  const dir = freshDir()
  const top = orphan(join(dir, 'top.oxentmp.Ab3dE6'))
  mkdirSync(join(dir, 'open'))
  const inside = orphan(join(dir, 'open', 'in.oxentmp.Ab3dE6'))
  mkdirSync(join(dir, 'locked'))
  const shut = orphan(join(dir, 'locked', 'shut.oxentmp.Ab3dE6'))
  chmodSync(join(dir, 'locked'), 0)
  const report = sweepAsNobody(dir)
  chmodSync(join(dir, 'locked'), 0o700)
  t.deepEqual(report.removed.sort(), [inside, top].sort())
  t.deepEqual(report.failures, [{ path: join(dir, 'locked'), code: 'EACCES', syscall: 'scandir' }])
  t.true(existsSync(shut))
})

test('recursive descends; dryRun lists without removing; olderThanMs is honoured', async (t) => {
  const dir = freshDir()
  mkdirSync(join(dir, 'a', 'b'), { recursive: true })
  const top = orphan(join(dir, 'top.oxentmp.aaaaaaaaaa'))
  const deep = orphan(join(dir, 'a', 'b', 'deep.oxentmp.bbbbbbbbbb'))
  const before = snapshot(dir)
  t.deepEqual((await sweepOrphans(dir, { recursive: true, dryRun: true })).sort(), [deep, top].sort())
  t.deepEqual(snapshot(dir), before, 'a dry run changes nothing')
  const fresh = join(dir, 'fresh.oxentmp.cccccccccc')
  writeFileSync(fresh, 'x')
  t.deepEqual(await sweepOrphans(dir, { olderThanMs: 3_600_000, recursive: true }).then((p) => p.sort()), [deep, top].sort())
  t.deepEqual(await sweepOrphans(dir, { olderThanMs: 0 }), [fresh])
  t.deepEqual(namesIn(dir), ['a'])
})

test('the scratch of this process’s in-flight publish is never taken, whatever its age', async (t) => {
  const dir = freshDir()
  let release = (): void => {}
  const gate = new Promise<void>((r) => (release = r))
  const publish = new AtomicFile(join(dir, 'live')).stream((async function* () {
    yield Buffer.from('part one, ')
    await gate
    yield Buffer.from('part two')
  })())
  while (scratchIn(dir).length === 0) await new Promise((r) => setTimeout(r, 5))
  const [scratch] = scratchIn(dir)
  utimesSync(join(dir, scratch), LONG_AGO, LONG_AGO)
  t.deepEqual(await sweepOrphans(dir, { olderThanMs: 0 }), [])
  t.deepEqual(scratchIn(dir), [scratch])
  release()
  await publish
  t.deepEqual(namesIn(dir), ['live'])
})

test('a missing directory rejects with ENOENT; bad options are argument errors', async (t) => {
  const dir = freshDir()
  const missing = join(dir, 'missing')
  const err = await t.throwsAsync(sweepOrphans(missing))
  t.like(err, { code: 'ENOENT', syscall: 'scandir', path: missing })
  await t.throwsAsync(sweepOrphans(42 as unknown as string), { code: 'ERR_INVALID_ARG_TYPE' })
  for (const olderThanMs of [-1, Number.NaN, Number.POSITIVE_INFINITY, 1e300, 2 ** 64]) {
    await t.throwsAsync(sweepOrphans(dir, { olderThanMs }), { code: 'ERR_OUT_OF_RANGE' }, `${olderThanMs}`)
  }
  await t.throwsAsync(sweepOrphans(dir, { recursive: 'yes' as unknown as boolean }), { code: 'ERR_INVALID_ARG_TYPE' })
})

test('a live scratch of another process is never taken, even when its mtime looks old; once that process dies, it is', async (t) => {
  const dir = freshDir()
  const { spawn } = await import('node:child_process')
  const child = spawn(process.execPath, [join(__dirname, 'fixtures', 'exit-child.js'), dir, 'signal'], { stdio: ['ignore', 'pipe', 'inherit'] })
  await new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve()))
  const [scratch] = scratchIn(dir)
  // What a publish with an mtime in the past looks like between its stamp and its rename.
  utimesSync(join(dir, scratch), LONG_AGO, LONG_AGO)
  t.deepEqual(await sweepOrphans(dir, { olderThanMs: 0 }), [], 'the writer holds its lock: live')
  t.deepEqual(scratchIn(dir), [scratch])
  const died = new Promise((r) => child.on('close', r))
  child.kill('SIGKILL')
  await died
  t.deepEqual(await sweepOrphans(dir, { olderThanMs: 0 }), [join(dir, scratch)], 'a dead writer holds no lock')
  t.deepEqual(namesIn(dir), [])
})
