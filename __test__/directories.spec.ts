// AtomicDir and publishDir: a whole tree published at once, or nothing.

import { spawn, spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AtomicDir, publishDir, sweepOrphans, xxh3_128 } from 'atomic-publish'
import { directorySwap, freshDir, killAfterRandomLines, namesIn, needs, treeOf } from './helpers.js'

const ROOT = join(__dirname, '..', '..')
const swapping = needs([], { also: directorySwap })

swapping('a tree is published whole, with a manifest of every file, and nothing is left beside it', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'site')
  const source = join(dir, 'app.js')
  writeFileSync(source, 'app')
  const manifest = await publishDir(target, async (stage) => {
    await stage.file('index.html').write('<h1>')
    await stage.file('assets/js/app.js').withHash(xxh3_128('app')).copyFrom(source)
    await stage.file('secret').withMode(0o600).withMtime(new Date('2001-02-03T04:05:06Z')).write(Buffer.from('s'))
  })
  t.deepEqual(treeOf(target), ['assets/js/app.js=app', 'index.html=<h1>', 'secret=s'])
  t.deepEqual(namesIn(dir).sort(), ['app.js', 'site'])
  t.deepEqual(manifest.files.map((f) => [f.path, f.bytes]), [['assets/js/app.js', 3], ['index.html', 4], ['secret', 1]])
  t.is(manifest.files[1].hash, xxh3_128('<h1>'))
  t.is(manifest.bytes, 8)
  t.is(manifest.fileCount, 3)
  t.is(statSync(join(target, 'secret')).mode & 0o777, 0o600)
  t.is(statSync(join(target, 'secret')).mtime.toISOString(), '2001-02-03T04:05:06.000Z')
})

swapping('a second publish replaces the whole tree; the old one goes', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'site')
  await publishDir(target, async (stage) => { await stage.file('old/a').write('1') })
  await publishDir(target, async (stage) => { await stage.file('new').write('2') })
  t.deepEqual(treeOf(target), ['new=2'])
  t.deepEqual(namesIn(dir), ['site'])
})

swapping('withOverwrite(false): of 24 racers creating one tree exactly one wins, the rest get EEXIST and leave nothing', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'once')
  const results = await Promise.allSettled(
    Array.from({ length: 24 }, (_, i) =>
      publishDir(target, async (stage) => { await stage.file('who').write(String(i)) }, (d) => d.withOverwrite(false)),
    ),
  )
  const won = results.filter((r) => r.status === 'fulfilled')
  t.is(won.length, 1)
  for (const r of results) if (r.status === 'rejected') t.is((r.reason as { code: string }).code, 'EEXIST')
  const winner = results.findIndex((r) => r.status === 'fulfilled')
  t.deepEqual(treeOf(target), [`who=${winner}`])
  t.deepEqual(namesIn(dir), ['once'])
})

swapping('an abort at every step leaves the target as it was and nothing beside it', async (t) => {
  const dir = freshDir()
  const target = join(dir, 't')
  await publishDir(target, async (stage) => { await stage.file('keep').write('old') })
  const unchanged = () => {
    t.deepEqual(treeOf(target), ['keep=old'])
    t.deepEqual(namesIn(dir), ['t'])
  }
  // Before anything is staged: nothing is made at all.
  await new AtomicDir(target).abort()
  unchanged()
  // After staging.
  const staged = new AtomicDir(target)
  await staged.file('a').write('new')
  await staged.abort()
  unchanged()
  await t.throwsAsync(staged.commit(), { code: 'ABORT_ERR' })
  await t.throwsAsync(staged.file('b').write('x'), { code: 'ABORT_ERR' })
  unchanged()
  // While staging calls are under way.
  const busy = new AtomicDir(target)
  const writes = Array.from({ length: 50 }, (_, i) => busy.file(`f${i}`).write('x'.repeat(4096)))
  await busy.abort()
  for (const w of await Promise.allSettled(writes)) {
    if (w.status === 'rejected') t.is((w.reason as { code: string }).code, 'ABORT_ERR')
  }
  unchanged()
  // Through a signal, before the commit.
  const controller = new AbortController()
  const signalled = new AtomicDir(target).withSignal(controller.signal)
  await signalled.file('a').write('new')
  controller.abort()
  await t.throwsAsync(signalled.commit(), { code: 'ABORT_ERR' })
  unchanged()
  // A signal already fired: nothing is made.
  await t.throwsAsync(new AtomicDir(target).withSignal(controller.signal).file('a').write('x'), { code: 'ABORT_ERR' })
  unchanged()
  // The scoped form: a throwing callback drops the stage.
  await t.throwsAsync(publishDir(target, async (stage) => {
    await stage.file('a').write('new')
    throw new Error('changed my mind')
  }), { message: 'changed my mind' })
  unchanged()
  // A signal fired while the commit runs: either the commit won (the new tree) or the abort
  // did (the old tree); never a mix, never a leftover.
  const racing = new AbortController()
  const late = new AtomicDir(target).withSignal(racing.signal)
  await late.file('keep').write('new')
  const commit = late.commit()
  racing.abort()
  const outcome = await commit.then(() => 'committed', (e: { code: string }) => e.code)
  t.true(['committed', 'ABORT_ERR'].includes(outcome), outcome)
  t.deepEqual(treeOf(target), [`keep=${outcome === 'committed' ? 'new' : 'old'}`])
  t.deepEqual(namesIn(dir), ['t'])
})

swapping('one hash mismatch publishes nothing, and so does any failed staging call', async (t) => {
  const dir = freshDir()
  const target = join(dir, 't')
  await publishDir(target, async (stage) => { await stage.file('keep').write('old') })
  const mismatch = new AtomicDir(target)
  await mismatch.file('good').write('fine')
  await t.throwsAsync(mismatch.file('bad').withHash(xxh3_128('other')).write('bytes'), { code: 'ERR_HASH_MISMATCH' })
  await t.throwsAsync(mismatch.commit(), { code: 'ERR_HASH_MISMATCH' })
  const missing = new AtomicDir(target)
  await t.throwsAsync(missing.file('copy').copyFrom(join(dir, 'no-such-file')), { code: 'ENOENT' })
  await t.throwsAsync(missing.commit(), { code: 'ENOENT' })
  t.deepEqual(treeOf(target), ['keep=old'])
  t.deepEqual(namesIn(dir), ['t'])
})

swapping('hostile staged paths are refused before anything is made', async (t) => {
  const dir = freshDir()
  const target = join(dir, 't')
  const stage = new AtomicDir(target)
  for (const bad of ['../escape', '/etc/passwd', 'a/../../b', 'a//b', './a', 'a/', '']) {
    t.throws(() => stage.file(bad), { code: 'ERR_INVALID_ARG_VALUE' }, JSON.stringify(bad))
  }
  t.throws(() => stage.file(Buffer.from('../\xffx', 'latin1')), { code: 'ERR_INVALID_ARG_VALUE' })
  t.throws(() => stage.file(Buffer.from('a\0b')), { code: 'ERR_INVALID_ARG_VALUE' })
  t.deepEqual(namesIn(dir), [])
})

swapping('a link planted in the stage is never followed: nothing outside is written, nothing is published', async (t) => {
  const dir = freshDir()
  const outside = join(dir, 'outside')
  mkdirSync(outside)
  const target = join(dir, 't')
  const stage = new AtomicDir(target)
  await stage.file('first').write('1')
  const [stageName] = namesIn(dir).filter((n) => n.startsWith('t.oxentmp.'))
  symlinkSync(outside, join(dir, stageName, 'evil'))
  const err = await t.throwsAsync(stage.file('evil/x').write('x'))
  t.true(['ELOOP', 'ENOTDIR'].includes(String((err as NodeJS.ErrnoException).code)), String(err))
  await t.throwsAsync(stage.commit())
  t.deepEqual(namesIn(outside), [])
  t.deepEqual(namesIn(dir), ['outside'])
})

swapping('names that are not UTF-8 are staged and reported by their exact bytes', async (t) => {
  const dir = freshDir()
  const target = join(dir, 't')
  const name = Buffer.from('caf\xe9', 'latin1')
  const manifest = await publishDir(target, async (stage) => { await stage.file(Buffer.concat([Buffer.from('d/'), name])).write('x') })
  t.deepEqual(manifest.files[0].pathBytes, Buffer.concat([Buffer.from('d/'), name]))
  t.deepEqual(readdirSync(join(target, 'd'), { encoding: 'buffer' }), [name])
})

swapping('10 000 entries in one tree', async (t) => {
  const dir = freshDir()
  const target = join(dir, 't')
  const manifest = await publishDir(target, async (stage) => {
    await Promise.all(Array.from({ length: 10_000 }, (_, i) => stage.file(`d${i % 10}/f${i}`).write(String(i))))
  }, (d) => d.withDurability('none'))
  t.is(manifest.fileCount, 10_000)
  t.is(readdirSync(join(target, 'd7')).length, 1000)
  t.is(readFileSync(join(target, 'd3/f9993'), 'utf8'), '9993')
  t.deepEqual(namesIn(dir), ['t'])
})

swapping('fromCurrent: unchanged files are the same files, changed ones are new, the old tree kept its bytes', async (t) => {
  const dir = freshDir()
  const target = join(dir, 't')
  await publishDir(target, async (stage) => {
    await stage.file('same').write('s')
    await stage.file('d/change').write('old')
  })
  const sameIno = statSync(join(target, 'same')).ino
  const manifest = await publishDir(target, async (stage) => {
    await stage.file('d/change').write('new')
  }, (d) => d.fromCurrent())
  t.deepEqual(treeOf(target), ['d/change=new', 'same=s'])
  t.is(statSync(join(target, 'same')).ino, sameIno)
  t.deepEqual(manifest.files.map((f) => f.hash), [xxh3_128('new'), xxh3_128('s')])
  t.deepEqual(namesIn(dir), ['t'])
})

swapping('a file where the tree goes is refused (ENOTDIR) and kept', async (t) => {
  const dir = freshDir()
  const target = join(dir, 't')
  writeFileSync(target, 'file')
  await t.throwsAsync(publishDir(target, async (stage) => { await stage.file('a').write('x') }), { code: 'ENOTDIR' })
  t.is(readFileSync(target, 'utf8'), 'file')
  t.deepEqual(namesIn(dir), ['t'])
})

swapping('sweepOrphans removes an orphaned stage whole, never through its links, and never a live one', async (t) => {
  const dir = freshDir()
  const outside = join(dir, 'outside')
  mkdirSync(outside)
  writeFileSync(join(outside, 'precious'), 'p')
  const orphan = join(dir, 'site.oxentmp.Ab3dE6Gh9K')
  mkdirSync(join(orphan, 'a'), { recursive: true })
  writeFileSync(join(orphan, 'a', 'f'), 'x')
  symlinkSync(outside, join(orphan, 'a', 'out'))
  const live = new AtomicDir(join(dir, 'live'))
  await live.file('x').write('x')
  const removed = await sweepOrphans(dir, { olderThanMs: 0 })
  t.deepEqual(removed, [orphan])
  t.is(readFileSync(join(outside, 'precious'), 'utf8'), 'p')
  await live.commit()
  t.deepEqual(namesIn(dir).sort(), ['live', 'outside'])
})

needs(['python3'], { serial: true, also: directorySwap })(
  'a reader walking by directory descriptor (Python dir_fd) never sees two versions in one walk',
  async (t) => {
    const dir = freshDir()
    const target = join(dir, 'tree')
    const stop = join(dir, 'stop')
    const first = spawnSync(process.execPath, [join(__dirname, 'fixtures', 'dir-versions.js'), target, '1'], { encoding: 'utf8', timeout: 120_000 })
    t.is(first.status, 0, first.stderr)
    const reader = spawn('python3', [join(ROOT, '__test__', 'fixtures', 'dir-fd-reader.py'), target, stop], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    let ready: () => void
    const walking = new Promise<void>((resolve) => (ready = resolve))
    reader.stdout.on('data', (c: Buffer) => {
      out += c.toString()
      if (out.includes('ready')) ready()
    })
    const done = new Promise<number | null>((resolve) => reader.on('close', resolve))
    // The commits start once the reader has walked the first version.
    await walking
    const writer = spawnSync(process.execPath, [join(__dirname, 'fixtures', 'dir-versions.js'), target, '300'], { encoding: 'utf8', timeout: 600_000 })
    writeFileSync(stop, '')
    t.is(await done, 0)
    t.is(writer.status, 0, writer.stderr)
    const report = JSON.parse(out.trim().split('\n').at(-1) ?? '') as { walks: number; mixed: number; incomplete: number; removed: number }
    t.log(report)
    t.is(report.mixed, 0)
    t.is(report.incomplete, 0)
    t.true(report.walks > 0)
  },
)

needs([], { serial: true, also: directorySwap })('SIGKILL at random moments of a few hundred commits: the target is always one whole version, a sweep leaves nothing', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'tree')
  let commits = 0
  for (let round = 0; round < 12; round++) {
    // Killed after a random number of commits, and a random moment into the next one.
    commits += await killAfterRandomLines([join(__dirname, 'fixtures', 'dir-versions.js'), target, '0', 'full'], 30)
    const files = treeOf(target)
    t.is(files.length, 12)
    t.is(new Set(files.map((f) => f.split('=')[1])).size, 1, `round ${round}: ${files.join(' ')}`)
  }
  t.log(`${commits} commits over 12 kills`)
  // Orphans are left under scratch names only; a sweep (no age limit) removes them all.
  for (const name of namesIn(dir)) if (name !== 'tree') t.regex(name, /^tree\.oxentmp\.[A-Za-z0-9]+$/)
  for (const name of namesIn(dir)) if (name !== 'tree') utimesSync(join(dir, name), new Date(0), new Date(0))
  await sweepOrphans(dir, { olderThanMs: 0 })
  t.deepEqual(namesIn(dir), ['tree'])
})

swapping('atomic-publish dir copies a tree, modes and empty directories too; a link in the source publishes nothing', (t) => {
  const dir = freshDir()
  const src = join(dir, 'build')
  mkdirSync(join(src, 'assets', 'empty'), { recursive: true })
  writeFileSync(join(src, 'index.html'), '<h1>', { mode: 0o640 })
  writeFileSync(join(src, 'assets', 'app.js'), 'app')
  chmodSync(join(src, 'index.html'), 0o640)
  const target = join(dir, 'www', 'site')
  const cli = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'cli.js'), 'dir', ...args], { encoding: 'utf8', timeout: 120_000 })
  const ok = cli(src, target)
  t.is(ok.status, 0, ok.stderr)
  t.deepEqual(treeOf(target), ['assets/app.js=app', 'index.html=<h1>'])
  t.deepEqual(readdirSync(join(target, 'assets', 'empty')), [])
  t.is(statSync(join(target, 'index.html')).mode & 0o777, 0o640)
  symlinkSync('/etc/passwd', join(src, 'link'))
  writeFileSync(join(src, 'index.html'), 'changed')
  const refused = cli(src, target)
  t.is(refused.status, 1)
  t.regex(refused.stderr, /ENOTSUP|not a regular file/)
  t.deepEqual(treeOf(target), ['assets/app.js=app', 'index.html=<h1>'])
  t.deepEqual(namesIn(join(dir, 'www')), ['site'])
  t.is(cli(src).status, 2)
})

swapping('a staged file from a stream or a write stream; a failing source fails the commit and leaves nothing', async (t) => {
  const dir = freshDir()
  const target = join(dir, 't')
  const tree = new AtomicDir(target)
  const streamed = await tree.file('s/iter').withHash(xxh3_128('abcdef')).stream((async function* () {
    yield 'abc'
    yield Buffer.from('def')
  })())
  t.is(streamed.bytes, 6)
  const ws = tree.file('s/ws').createWriteStream()
  ws.write('hello ')
  ws.end('world')
  t.is((await ws.done).hash, xxh3_128('hello world'))
  const manifest = await tree.commit()
  t.deepEqual(treeOf(target), ['s/iter=abcdef', 's/ws=hello world'])
  t.is(manifest.bytes, 17)
  const failing = new AtomicDir(target)
  await t.throwsAsync(failing.file('x').stream((async function* () {
    yield 'part'
    throw new Error('source broke')
  })()), { message: 'source broke' })
  await t.throwsAsync(failing.commit(), { message: 'source broke' })
  t.deepEqual(treeOf(target), ['s/iter=abcdef', 's/ws=hello world'])
  t.deepEqual(namesIn(dir), ['t'])
})
