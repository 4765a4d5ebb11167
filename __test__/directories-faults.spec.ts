// AtomicDir at scale and under faults: many small writes gathered into batches, a full disk
// halfway through staging, and a caller (or a neighbour) doing hostile things to the stage.
// Whatever fails, the target is as it was and nothing is left beside it.

import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AtomicDir, publishDir, sweepOrphans, xxh3_128, type PublishFsError } from 'atomic-publish'
import { directorySwap, freshDir, mountsTmpfs, namesIn, needs, posixOnly, treeOf } from './helpers.js'

/** Tests that commit a tree. */
const swapping = needs([], { also: directorySwap })
/** Tests whose commits fail before any swap: staging alone, which every Unix has. */
const staging = needs([], { also: posixOnly('directory stages (Windows refuses directory publishes)') })
const tmpfsRoot = needs([], { serial: true, also: [directorySwap, mountsTmpfs()] })

/** The stage directory beside `target`, once the first staging call made it. */
const stageOf = (dir: string, name: string): string => join(dir, namesIn(dir).find((n) => n.startsWith(`${name}.oxentmp.`))!)

swapping('a mismatch among many gathered writes fails that write alone, and the commit publishes nothing', async (t) => {
  const dir = freshDir()
  const target = join(dir, 't')
  await publishDir(target, async (stage) => { await stage.file('keep').write('old') })
  const stage = new AtomicDir(target)
  const bad = 1234
  const results = await Promise.allSettled(Array.from({ length: 3000 }, (_, i) => {
    const file = stage.file(`d${i % 7}/f${i}`)
    return (i === bad ? file.withHash(xxh3_128('something else')) : file.withHash(xxh3_128(String(i)))).write(String(i))
  }))
  const rejected = results.flatMap((r, i) => (r.status === 'rejected' ? [[i, (r.reason as { code: string }).code]] : []))
  t.deepEqual(rejected, [[bad, 'ERR_HASH_MISMATCH']])
  const fine = results[7] as PromiseFulfilledResult<{ path: string; hash: string }>
  t.like(fine.value, { path: 'd0/f7', hash: xxh3_128('7') })
  await t.throwsAsync(stage.commit(), { code: 'ERR_HASH_MISMATCH' })
  t.deepEqual(treeOf(target), ['keep=old'])
  t.deepEqual(namesIn(dir), ['t'])
})

swapping('an abort while thousands of writes are queued: they reject, nothing is published or left', async (t) => {
  const dir = freshDir()
  const target = join(dir, 't')
  await publishDir(target, async (stage) => { await stage.file('keep').write('old') })
  const stage = new AtomicDir(target)
  const writes = Array.from({ length: 4000 }, (_, i) => stage.file(`d${i % 9}/f${i}`).write('x'))
  await writes[0]
  await stage.abort()
  const outcomes = await Promise.allSettled(writes)
  for (const o of outcomes) if (o.status === 'rejected') t.is((o.reason as { code: string }).code, 'ABORT_ERR')
  t.true(outcomes.some((o) => o.status === 'rejected'), 'the writes still queued were refused')
  await t.throwsAsync(stage.commit(), { code: 'ABORT_ERR' })
  t.deepEqual(treeOf(target), ['keep=old'])
  t.deepEqual(namesIn(dir), ['t'])
})

swapping('30 000 small files in 300 directories, gathered and committed whole', async (t) => {
  const dir = freshDir()
  const target = join(dir, 't')
  const count = 30_000
  const manifest = await publishDir(target, async (stage) => {
    let next = 0
    const lane = async (): Promise<void> => {
      while (next < count) {
        const i = next++
        await stage.file(`d${i % 300}/f${i}`).write(String(i))
      }
    }
    await Promise.all(Array.from({ length: 64 }, lane))
  }, (d) => d.withDurability('none'))
  t.is(manifest.fileCount, count)
  t.is(manifest.bytes, Array.from({ length: count }, (_, i) => String(i).length).reduce((a, b) => a + b))
  t.is(readdirSync(target).length, 300)
  t.is(readdirSync(join(target, 'd299')).length, 100)
  t.is(readFileSync(join(target, 'd123/f29823'), 'utf8'), '29823')
  t.deepEqual(namesIn(dir), ['t'])
})

/** A tmpfs of `options` mounted on a fresh directory for `run`, unmounted after. */
async function onTmpfs(options: string, run: (mnt: string) => Promise<void>): Promise<void> {
  const mnt = freshDir('ap-dir-tiny-')
  execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', mnt])
  try {
    await run(mnt)
  } finally {
    execFileSync('umount', [mnt])
  }
}

for (const [what, options, size] of [
  ['bytes', 'size=1m', 48 * 1024],
  ['inodes', 'size=8m,nr_inodes=64', 100],
] as const) {
  tmpfsRoot(`a full disk halfway through staging (out of ${what}): ENOSPC, nothing published, nothing left`, async (t) => {
    await onTmpfs(options, async (mnt) => {
      const target = join(mnt, 'site')
      await publishDir(target, async (stage) => { await stage.file('keep').write('old') })
      // Commit and abort alike: the target as it was, no stage beside it.
      for (const end of ['commit', 'abort'] as const) {
        const stage = new AtomicDir(target)
        const results = await Promise.allSettled(Array.from({ length: 80 }, (_, i) => stage.file(`d${i % 4}/f${i}`).write(Buffer.alloc(size, i))))
        const codes = new Set(results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as PublishFsError).code] : [])))
        t.deepEqual([...codes], ['ENOSPC'], end)
        t.true(results.some((r) => r.status === 'fulfilled'), 'the first files fit')
        if (end === 'commit') await t.throwsAsync(stage.commit(), { code: 'ENOSPC' })
        else await stage.abort()
        t.deepEqual(treeOf(target), ['keep=old'], end)
        t.deepEqual(namesIn(mnt), ['site'], end)
      }
      // The space is back: a publish that fits goes through.
      await publishDir(target, async (stage) => { await stage.file('new').write('fits') })
      t.deepEqual(treeOf(target), ['new=fits'])
    })
  })
}

staging('a link planted at a file name in the stage is never written through', async (t) => {
  const dir = freshDir()
  const outside = join(dir, 'outside')
  writeFileSync(outside, 'precious')
  const target = join(dir, 't')
  const stage = new AtomicDir(target)
  await stage.file('first').write('1')
  symlinkSync(outside, join(stageOf(dir, 't'), 'evil'))
  await t.throwsAsync(stage.file('evil').write('x'), { code: 'EEXIST' })
  await t.throwsAsync(stage.commit(), { code: 'EEXIST' })
  t.is(readFileSync(outside, 'utf8'), 'precious')
  t.deepEqual(namesIn(dir), ['outside'])
})

swapping('a stage directory swapped for a link after use: nothing goes through the link, nothing is published', async (t) => {
  for (const durability of ['full', 'none'] as const) {
    const dir = freshDir()
    const outside = join(dir, 'outside')
    mkdirSync(outside)
    const target = join(dir, 't')
    await publishDir(target, async (stage) => { await stage.file('keep').write('old') })
    const stage = new AtomicDir(target).withDurability(durability)
    await stage.file('a/one').write('1')
    const staged = stageOf(dir, 't')
    // The directory moves within the stage (it is still the stage's), a link takes its name.
    renameSync(join(staged, 'a'), join(staged, 'moved'))
    symlinkSync(outside, join(staged, 'a'))
    await stage.file('a/two').write('2').catch(() => undefined)
    await stage.file('b/three').write('3')
    const err = await t.throwsAsync(stage.commit())
    t.true(['ELOOP', 'ENOTDIR'].includes(String((err as NodeJS.ErrnoException).code)), `${durability}: ${String(err)}`)
    t.deepEqual(namesIn(outside), [], 'nothing was made through the link')
    t.deepEqual(treeOf(target), ['keep=old'])
    t.deepEqual(namesIn(dir), ['outside', 't'])
  }
})

swapping('a link in the current tree is refused by fromCurrent; nothing is published or left', async (t) => {
  const dir = freshDir()
  const target = join(dir, 't')
  await publishDir(target, async (stage) => { await stage.file('d/keep').write('old') })
  writeFileSync(join(dir, 'secret'), 's')
  symlinkSync(join(dir, 'secret'), join(target, 'd', 'link'))
  const err = await t.throwsAsync(publishDir(target, async (stage) => { await stage.file('x').write('x') }, (d) => d.fromCurrent()))
  t.truthy((err as { code?: string }).code, String(err))
  t.deepEqual(readdirSync(join(target, 'd')).sort(), ['keep', 'link'])
  t.is(readFileSync(join(dir, 'secret'), 'utf8'), 's')
  t.deepEqual(namesIn(dir), ['secret', 't'])
})

staging('a staged path through a staged file is ENOTDIR and fails the commit', async (t) => {
  const dir = freshDir()
  const target = join(dir, 't')
  const stage = new AtomicDir(target)
  await stage.file('a').write('file')
  await t.throwsAsync(stage.file('a/b').write('x'), { code: 'ENOTDIR' })
  await t.throwsAsync(stage.commit(), { code: 'ENOTDIR' })
  t.deepEqual(namesIn(dir), [])
})

swapping('directories and files not named in UTF-8 survive an incremental publish by their exact bytes', async (t) => {
  const dir = freshDir()
  const target = join(dir, 't')
  const sub = Buffer.from('r\xe9pertoire', 'latin1')
  const name = Buffer.from('\xff\xfe', 'latin1')
  const path = Buffer.concat([sub, Buffer.from('/'), name])
  await publishDir(target, async (stage) => { await stage.file(path).write('first') })
  const manifest = await publishDir(target, async (stage) => { await stage.file('added').write('a') }, (d) => d.fromCurrent())
  t.deepEqual(manifest.files.map((f) => f.pathBytes ?? Buffer.from(f.path)), [Buffer.from('added'), path])
  t.is(manifest.files[1].hash, xxh3_128('first'))
  const subs = readdirSync(target, { encoding: 'buffer' }).filter((n) => !n.equals(Buffer.from('added')))
  t.deepEqual(subs, [sub])
  t.deepEqual(readdirSync(Buffer.concat([Buffer.from(target + '/'), sub]), { encoding: 'buffer' }), [name])
  t.is(statSync(Buffer.concat([Buffer.from(target + '/'), path])).size, 5)
})

/** Commit a small tree at `target` in a child traced by strace with `straceArgs` (faults injected). */
function commitInjected(target: string, layout: string, level: string, straceArgs: string[]): Record<string, unknown> {
  const out = execFileSync('strace', ['-f', '-qq', '-o', '/dev/null', ...straceArgs, process.execPath, join(__dirname, 'fixtures', 'one-dir-commit.js'), target, layout, level], {
    encoding: 'utf8',
    env: { ...process.env, UV_USE_IO_URING: '0' },
  })
  return JSON.parse(out.trim().split('\n').at(-1) as string)
}

// The parent's fsync after the swap is what makes the swap durable; removing the old tree
// before it is must never happen, or a power cut could keep the old tree at the target with
// its files gone.
needs(['strace'], { also: { ok: process.platform === 'linux', what: 'Linux (strace)' } })('the parent fsync after a swap failing: the new tree is published, the old one is left whole under the scratch name err.scratch gives, and sweepOrphans takes it', async (t) => {
  for (const level of ['full', 'file']) {
    const dir = freshDir()
    const target = join(dir, 'site')
    mkdirSync(join(target, 'sub'), { recursive: true })
    writeFileSync(join(target, 'a.txt'), 'old a')
    writeFileSync(join(target, 'old.txt'), 'old only')
    writeFileSync(join(target, 'sub', 'b.txt'), 'old b')
    // -P: only the fsync of the parent directory itself fails.
    const result = commitInjected(target, 'plain', level, ['-P', dir, '-e', 'trace=fsync', '-e', 'inject=fsync:error=EIO'])
    t.like(result, { ok: false, code: 'EIO', syscall: 'fsync', published: true }, level)
    t.is(readFileSync(join(target, 'a.txt'), 'utf8'), 'new a', level)
    const scratch = result.scratch as string
    t.regex(scratch, /site\.oxentmp\.[A-Za-z0-9]+$/, level)
    t.is(readFileSync(join(scratch, 'old.txt'), 'utf8'), 'old only', `${level}: the old tree is whole`)
    t.is(readFileSync(join(scratch, 'sub', 'b.txt'), 'utf8'), 'old b', level)
    t.deepEqual(await sweepOrphans(dir, { olderThanMs: 0 }), [scratch], level)
    t.deepEqual(namesIn(dir), ['site'], level)
  }
})

// In the versioned layout the parent is fsynced before the link swap (the new version's name
// and its link must be durable first). That fsync failing publishes nothing, and the error
// names the fsync, not a rename.
needs(['strace'], { also: { ok: process.platform === 'linux', what: 'Linux (strace)' } })('versioned: the parent fsync before the link swap failing publishes nothing, leaves nothing, and says fsync', async (t) => {
  for (const level of ['full', 'file']) {
    const dir = freshDir()
    const target = join(dir, 'site')
    await publishDir(target, async (stage) => void (await stage.file('a.txt').write('old a')), (d) => d.withLayout('versioned'))
    const before = namesIn(dir)
    const result = commitInjected(target, 'versioned', level, ['-P', dir, '-e', 'trace=fsync', '-e', 'inject=fsync:error=EIO'])
    t.like(result, { ok: false, code: 'EIO', syscall: 'fsync' }, level)
    t.not(result.published, true, level)
    t.is(readFileSync(join(target, 'a.txt'), 'utf8'), 'old a', level)
    t.deepEqual(namesIn(dir), before, `${level}: no new version and no scratch left`)
  }
})

// A double fault: the fsync before the link swap fails, then so does the rename that would put
// the version back under the stage's name. The version is removed under its own name: no
// version that no link names is left unreported.
needs(['strace'], { also: { ok: process.platform === 'linux', what: 'Linux (strace)' } })('versioned: the fsync before the link swap and the rename back both failing leave no version behind', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'site')
  await publishDir(target, async (stage) => void (await stage.file('a.txt').write('old a')), (d) => d.withLayout('versioned'))
  const before = namesIn(dir)
  // -P: the parent's own fsync, and the renames in it: the 1st names the version, the 2nd
  // would name the stage again.
  const result = commitInjected(target, 'versioned', 'full', ['-P', dir, '-e', 'trace=fsync,renameat2', '-e', 'inject=fsync:error=EIO', '-e', 'inject=renameat2:error=EIO:when=2'])
  t.like(result, { ok: false, code: 'EIO', syscall: 'fsync' })
  t.is(readFileSync(join(target, 'a.txt'), 'utf8'), 'old a')
  t.deepEqual(namesIn(dir), before)
})
