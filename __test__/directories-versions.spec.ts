// The versioned directory layout: the target a link to an immutable `<name>.v<version>` tree,
// replaced atomically; Node readers pin one version through `fs.realpath`.

import { spawnSync } from 'node:child_process'
import { lstatSync, lutimesSync, mkdirSync, readFileSync, readlinkSync, realpathSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { AtomicDir, publishDir, sweepOrphans } from 'atomic-publish'
import { directorySwap, freshDir, killAfterRandomLines, namesIn, needs, posixOnly, treeOf } from './helpers.js'
import { readVersionsWhileCommitting, VERSION_FILES } from './versioned-readers.js'

const ROOT = join(__dirname, '..', '..')
const FIXTURE = join(__dirname, 'fixtures', 'dir-versioned.js')
/** Tests that commit a version. */
const swapping = needs([], { also: directorySwap })
const swappingSerial = needs([], { serial: true, also: directorySwap })

/** Commits under `npm test`; `npm run test:reliability` runs 1 000. */
const COMMITS = 200

const versionShape = (name: string) => new RegExp(`^${name}\\.v\\d{8}T\\d{6}\\.\\d{9}Z\\.[A-Za-z0-9]{6}$`)

/** The versions of `name` in `dir`, sorted (oldest first). */
function versionsIn(dir: string, name: string): string[] {
  return namesIn(dir).filter((n) => versionShape(name).test(n))
}

function publishVersion(target: string, marker: string, keep = 3): ReturnType<typeof publishDir> {
  return publishDir(target, async (dir) => {
    await dir.file('a').write(marker)
    await dir.file('sub/b').write(marker)
  }, (dir) => dir.withLayout('versioned', { keep }))
}

swappingSerial(`Node readers pinning through fs.realpath during ${COMMITS} commits never see two versions, and lose a walk only once its version is no longer kept`, async (t) => {
  const dir = freshDir()
  const target = join(dir, 'site')
  const report = await readVersionsWhileCommitting(FIXTURE, target, COMMITS, 3)
  t.log(report)
  t.is(report.commits, COMMITS)
  t.true(report.walks > 0)
  t.is(report.mixed, 0)
  t.is(report.lostWhileKept, 0)
  t.is(report.short, 0)
  // Retention: exactly the 3 newest versions stay, the target naming the newest.
  const versions = versionsIn(dir, 'site')
  t.is(versions.length, 3)
  t.is(readlinkSync(target), versions[2])
  t.deepEqual(namesIn(dir), ['site', ...versions])
  t.is(treeOf(target).length, VERSION_FILES)
})

swapping('each commit makes a new version, the target a relative link to it; exactly the newest N stay', async (t) => {
  for (const keep of [1, 2, 4]) {
    const dir = freshDir()
    const target = join(dir, 'site')
    const linked: string[] = []
    for (let v = 0; v < 6; v++) {
      const manifest = await publishVersion(target, `v${v}`, keep)
      t.is(manifest.fileCount, 2)
      t.true(lstatSync(target).isSymbolicLink())
      linked.push(readlinkSync(target))
      t.regex(linked[v], versionShape('site'))
      t.deepEqual(treeOf(target), [`a=v${v}`, `sub/b=v${v}`])
    }
    t.deepEqual(versionsIn(dir, 'site'), linked.slice(6 - keep), `keep ${keep}`)
    t.deepEqual(namesIn(dir), ['site', ...linked.slice(6 - keep)].sort())
    // A kept older version still holds its own bytes.
    if (keep > 1) t.deepEqual(treeOf(join(dir, linked[4])), ['a=v4', 'sub/b=v4'])
  }
})

swapping('a pinned version is immutable: fs.realpath once, then reads under it see that version whatever is committed', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'site')
  await publishVersion(target, 'one')
  const pinned = realpathSync(target)
  await publishVersion(target, 'two')
  t.is(readFileSync(join(pinned, 'a'), 'utf8'), 'one')
  t.is(readFileSync(join(target, 'a'), 'utf8'), 'two')
  t.is(basename(pinned), versionsIn(dir, 'site')[0])
})

swapping('a plain directory target is converted by the first versioned commit; a foreign link or a file is refused with ENOTDIR and left alone', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'site')
  await publishDir(target, async (d) => { await d.file('a').write('plain') })
  await publishVersion(target, 'v1')
  t.true(lstatSync(target).isSymbolicLink())
  t.deepEqual(treeOf(target), ['a=v1', 'sub/b=v1'])
  t.is(namesIn(dir).length, 2)
  // A plain-layout publish onto a versioned target is refused as today (a link is not a tree).
  await t.throwsAsync(publishDir(target, async (d) => { await d.file('a').write('x') }), { code: 'ENOTDIR' })

  const outside = join(dir, 'outside')
  mkdirSync(outside)
  writeFileSync(join(outside, 'precious'), 'p')
  const foreign = join(dir, 'foreign')
  symlinkSync('outside', foreign)
  await t.throwsAsync(publishVersion(foreign, 'x'), { code: 'ENOTDIR', message: /not a directory.*versioned layout/ })
  t.is(readlinkSync(foreign), 'outside')
  t.deepEqual(namesIn(outside), ['precious'])
  const file = join(dir, 'file')
  writeFileSync(file, 'f')
  await t.throwsAsync(publishVersion(file, 'x'), { code: 'ENOTDIR' })
  t.is(readFileSync(file, 'utf8'), 'f')
  t.deepEqual(namesIn(dir).filter((n) => n.includes('.oxentmp.')), [])
})

swapping('withOverwrite(false): of 24 racers creating one versioned target exactly one wins, the rest get EEXIST and leave nothing', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'once')
  const results = await Promise.allSettled(
    Array.from({ length: 24 }, (_, i) =>
      publishDir(target, async (stage) => { await stage.file('who').write(String(i)) }, (d) => d.withLayout('versioned').withOverwrite(false)),
    ),
  )
  const won = results.filter((r) => r.status === 'fulfilled')
  t.is(won.length, 1)
  for (const r of results) if (r.status === 'rejected') t.is((r.reason as { code: string }).code, 'EEXIST')
  const winner = results.findIndex((r) => r.status === 'fulfilled')
  t.deepEqual(treeOf(target), [`who=${winner}`])
  t.deepEqual(namesIn(dir), ['once', ...versionsIn(dir, 'once')])
  t.is(versionsIn(dir, 'once').length, 1)
})

swapping('an abort at every step of a versioned publish leaves the target and its versions as they were', async (t) => {
  const dir = freshDir()
  const target = join(dir, 't')
  await publishVersion(target, 'old')
  const before = namesIn(dir)
  const unchanged = () => {
    t.deepEqual(treeOf(target), ['a=old', 'sub/b=old'])
    t.deepEqual(namesIn(dir), before)
  }
  const versioned = () => new AtomicDir(target).withLayout('versioned')
  await versioned().abort()
  unchanged()
  const staged = versioned()
  await staged.file('a').write('new')
  await staged.abort()
  unchanged()
  await t.throwsAsync(staged.commit(), { code: 'ABORT_ERR' })
  const busy = versioned()
  const writes = Array.from({ length: 50 }, (_, i) => busy.file(`f${i}`).write('x'.repeat(4096)))
  await busy.abort()
  for (const w of await Promise.allSettled(writes)) {
    if (w.status === 'rejected') t.is((w.reason as { code: string }).code, 'ABORT_ERR')
  }
  unchanged()
  const controller = new AbortController()
  const signalled = versioned().withSignal(controller.signal)
  await signalled.file('a').write('new')
  controller.abort()
  await t.throwsAsync(signalled.commit(), { code: 'ABORT_ERR' })
  unchanged()
  await t.throwsAsync(versioned().fromCurrent().withSignal(controller.signal).file('a').write('x'), { code: 'ABORT_ERR' })
  unchanged()
  const mismatch = versioned()
  await t.throwsAsync(mismatch.file('a').withHash('0'.repeat(32)).write('new'), { code: 'ERR_HASH_MISMATCH' })
  await t.throwsAsync(mismatch.commit(), { code: 'ERR_HASH_MISMATCH' })
  unchanged()
  await t.throwsAsync(publishDir(target, async (stage) => {
    await stage.file('a').write('new')
    throw new Error('changed my mind')
  }, (d) => d.withLayout('versioned')), { message: 'changed my mind' })
  unchanged()
})

needs([], { also: posixOnly('directory stages (Windows refuses directory publishes)') })('withLayout checks its arguments, and only before the first staged file', async (t) => {
  const dir = freshDir()
  const target = join(dir, 't')
  t.throws(() => new AtomicDir(target).withLayout('other' as 'plain'), { code: 'ERR_INVALID_ARG_VALUE' })
  t.throws(() => new AtomicDir(target).withLayout('plain', { keep: 2 }), { code: 'ERR_INVALID_ARG_VALUE' })
  for (const keep of [0, 1.5, -1, 2 ** 32, Number.NaN]) {
    t.throws(() => new AtomicDir(target).withLayout('versioned', { keep }), { code: 'ERR_OUT_OF_RANGE' })
  }
  t.throws(() => new AtomicDir(target).withLayout('versioned', { keep: '2' as unknown as number }), { code: 'ERR_INVALID_ARG_TYPE' })
  const started = new AtomicDir(target)
  await started.file('a').write('x')
  t.throws(() => started.withLayout('versioned'), { code: 'ERR_INVALID_STATE' })
  await started.abort()
  await t.throwsAsync(sweepOrphans(dir, { keptVersions: 0 }), { code: 'ERR_OUT_OF_RANGE' })
  t.deepEqual(namesIn(dir), [])
})

swappingSerial('SIGKILL at random moments of versioned commits: the target is always a link to one whole version; a sweep leaves the kept versions only', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'tree')
  let commits = 0
  for (let round = 0; round < 12; round++) {
    commits += await killAfterRandomLines([FIXTURE, target, '0', 'full', '2'], 20)
    t.true(lstatSync(target).isSymbolicLink(), `round ${round}`)
    t.regex(readlinkSync(target), versionShape('tree'))
    const files = treeOf(target)
    t.is(files.length, VERSION_FILES)
    t.is(new Set(files.map((f) => f.split('=')[1])).size, 1, `round ${round}: ${files.join(' ')}`)
  }
  t.log(`${commits} commits over 12 kills`)
  // Left beside the target: versions, stages and links under scratch names, nothing else.
  for (const name of namesIn(dir)) {
    if (name !== 'tree' && !versionShape('tree').test(name)) t.regex(name, /^tree\.oxentmp\.[A-Za-z0-9]+$/)
  }
  for (const name of namesIn(dir).filter((n) => n.includes('.oxentmp.'))) {
    if (lstatSync(join(dir, name)).isSymbolicLink()) lutimesSync(join(dir, name), new Date(0), new Date(0))
    else utimesSync(join(dir, name), new Date(0), new Date(0))
  }
  const current = readlinkSync(target)
  await sweepOrphans(dir, { olderThanMs: 0, keptVersions: 2 })
  const versions = versionsIn(dir, 'tree')
  t.deepEqual(namesIn(dir), ['tree', ...versions])
  t.is(versions.length, 2)
  t.true(versions.includes(current))
  t.is(readlinkSync(target), current)
  t.is(treeOf(target).length, VERSION_FILES)
})

swapping('atomic-publish dir --versioned --keep N publishes versions; --keep alone is a usage error', (t) => {
  const dir = freshDir()
  const src = join(dir, 'build')
  mkdirSync(src)
  const target = join(dir, 'www')
  const cli = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'cli.js'), 'dir', ...args], { encoding: 'utf8', timeout: 120_000 })
  for (const v of ['1', '2', '3']) {
    writeFileSync(join(src, 'index.html'), v)
    const ok = cli(src, target, '--versioned', '--keep', '2')
    t.is(ok.status, 0, ok.stderr)
    t.deepEqual(treeOf(target), [`index.html=${v}`])
  }
  t.is(versionsIn(dir, 'www').length, 2)
  const alone = cli(src, target, '--keep', '2')
  t.is(alone.status, 2)
  t.regex(alone.stderr, /--keep applies with --versioned only/)
  t.is(cli(src, target, '--versioned', '--keep', '0').status, 2)
  t.deepEqual(treeOf(target), ['index.html=3'])
})

needs([], { also: { ok: process.platform === 'win32', what: 'Windows (the one platform that refuses directory publishes)' } })('Windows: a directory publish, plain or versioned, is refused with ENOTSUP and nothing is made', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'site')
  await t.throwsAsync(publishVersion(target, 'x'), { code: 'ENOTSUP' })
  await t.throwsAsync(publishDir(target, async (d) => { await d.file('a').write('x') }), { code: 'ENOTSUP' })
  await t.throwsAsync(new AtomicDir(target).withLayout('versioned').commit(), { code: 'ENOTSUP' })
  t.deepEqual(namesIn(dir), [])
})
