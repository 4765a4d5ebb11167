// Guarantee 15 and the Orphans section against absurd input: numbers no call can honour, names
// that are not UTF-8, scratch names of other writers, links and FIFOs named like scratch files,
// and times the file system cannot store (guarantee 10). Calls that could abort the process or
// block a pool thread forever run in a child (fixtures/edges-input-child.ts).

import test from 'ava'
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, lutimesSync, mkdirSync, readdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AtomicFile } from 'atomic-publish'
import { freshDir, loopDevices, mountsTmpfs, needs, notUnderWine, posix, posixOnly, runChild } from './helpers.js'

const REFUSED = ['ERR_OUT_OF_RANGE', 'ERR_INVALID_ARG_VALUE', 'ERR_INVALID_ARG_TYPE']
const CLI = join(__dirname, '..', '..', 'cli.js')

type Outcome = { outcome: 'threw' | 'rejected' | 'resolved'; code?: string; message?: string; setupFailed?: string }

function child<T extends Outcome>(scenario: string, dir: string, arg: string, timeout = 60_000) {
  return runChild<T>('edges-input-child', [scenario, dir, arg], { timeout })
}

function assertNoCrash(t: import('ava').ExecutionContext, run: ReturnType<typeof child>, what: string): Outcome {
  t.is(run.signal, null, `${what}: the process died of ${run.signal}: ${run.stderr.slice(-300)}`)
  t.is(run.status, 0, `${what}: ${run.stderr.slice(-300)}`)
  t.is(run.out?.setupFailed, undefined)
  return run.out ?? { outcome: 'threw' }
}

// olderThanMs: refused, or honoured exactly beside an hour-old orphan.
const SWEEP_AGES: Array<[string, 'kept' | 'removed' | 'refused']> = [
  ['1e300', 'kept'],
  ['Infinity', 'kept'],
  ['2**64', 'kept'],
  ['-1', 'removed'],
  ['0.5', 'removed'],
  ['NaN', 'refused'],
]
for (const [value, honoured] of SWEEP_AGES) {
  test(`sweepOrphans({ olderThanMs: ${value} }) is refused with a code${honoured === 'refused' ? '' : ` or honoured exactly (the hour-old orphan ${honoured})`}, never a crash`, (t) => {
    const run = child<Outcome & { orphanLeft: boolean }>('sweep-number', freshDir(), value)
    const out = assertNoCrash(t, run, value) as Outcome & { orphanLeft: boolean }
    t.log(JSON.stringify(out))
    if (out.outcome === 'resolved') {
      t.not(honoured, 'refused', `${value} cannot be honoured`)
      t.is(out.orphanLeft, honoured === 'kept')
    } else {
      t.true(REFUSED.includes(String(out.code)), `refused with ${out.code}`)
      t.true(out.orphanLeft, 'a refused sweep removes nothing')
    }
  })
}

test('cli sweep --older-than 99999999999999999999d exits 0 or 2, never by a signal', (t) => {
  const dir = freshDir()
  const r = spawnSync(process.execPath, [CLI, 'sweep', dir, '--older-than', '99999999999999999999d'], { encoding: 'utf8' })
  t.is(r.signal, null, r.stderr)
  t.true(r.status === 0 || r.status === 2, `exit ${r.status}: ${r.stderr}`)
})

for (const value of ['1e300', '2n**70n']) {
  test(`withMtime(${value}), outside what a Date can hold, is refused with a code and publishes nothing`, (t) => {
    const out = assertNoCrash(t, child('mtime', freshDir(), value), value) as Outcome & { content: string }
    t.log(JSON.stringify(out))
    t.not(out.outcome, 'resolved')
    t.true(REFUSED.includes(String(out.code)), `refused with ${out.code}`)
    t.is(out.content, 'old')
  })
}

for (const value of ['2**40', '1.5']) {
  test(`withMode(${value}) is refused with a code and publishes nothing`, (t) => {
    const out = assertNoCrash(t, child('mode', freshDir(), value), value) as Outcome & { content: string }
    t.not(out.outcome, 'resolved')
    t.true(REFUSED.includes(String(out.code)), `refused with ${out.code}`)
    t.is(out.content, 'old')
  })
}

const EDGE_TIMES = [
  'Date(2446-05-10T22:38:55.999Z)',
  'Date(1901-12-13T20:45:52.500Z)',
  'Date(1901-12-13T20:45:51.500Z)',
  '-(2n**31n)*10n**9n-1n',
  'Date(2446-05-10T22:38:52.999Z)',
  'Date(1901-12-13T20:45:55.500Z)',
]
// The edges of ext4's range: under Wine, a time before 1970 or after 2038 reads back through
// Wine's own 32-bit conversion, wrapped or clamped, so these probe Wine rather than the file system.
const underWineToo = (value: string): ReturnType<typeof needs> => (EDGE_TIMES.includes(value) ? needs([], { also: notUnderWine('a time before 1970 or after 2038 reads back wrapped or clamped') }) : test)
for (const value of ['Date(1800)', 'Date(2500)', ...EDGE_TIMES]) {
  underWineToo(value)(`withMtime(${value}): refused with ERR_OUT_OF_RANGE where the file system cannot store it, else stored exactly`, (t) => {
    const out = assertNoCrash(t, child('mtime', freshDir(), value), value) as Outcome & { content: string; mtimeNs: string; askedNs: string }
    t.log(JSON.stringify(out))
    if (out.outcome === 'resolved') {
      t.is(out.content, 'new')
      t.is(out.mtimeNs, out.askedNs, 'a resolved publish stamped exactly the time asked for, not a clamped one')
    } else {
      t.is(out.code, 'ERR_OUT_OF_RANGE')
      t.is(out.content, 'old', 'nothing published')
    }
  })
}

needs([], { also: posixOnly('file names as bytes (Windows names are UTF-16)') })('a Buffer target that is not UTF-8 replaces exactly the file of those bytes and creates no other', async (t) => {
  const dir = freshDir()
  const name = Buffer.from([0x6e, 0xe9, 0x2e, 0x74, 0x78, 0x74]) // "n\xe9.txt", Latin-1
  const target = Buffer.concat([Buffer.from(`${dir}/`), name])
  writeFileSync(target, 'old')
  await new AtomicFile(target).write('new async')
  t.is(readFileSync(target, 'utf8'), 'new async')
  new AtomicFile(target).writeSync('new sync')
  t.is(readFileSync(target, 'utf8'), 'new sync')
  t.deepEqual(readdirSync(dir, { encoding: 'buffer' }).map((n) => n.toString('hex')), [name.toString('hex')])
})

const HOUR_AGO = (Date.now() - 3_600_000) / 1000

/** A directory holding `names` (Buffers or strings) as hour-old files, swept in a child. */
function sweepOf(setup: (dir: string) => void): { dir: string; before: string[]; after: string[]; out: Outcome; ms: number; signal: string | null } {
  const dir = freshDir()
  setup(dir)
  const list = () => readdirSync(dir, { encoding: 'buffer' }).map((n) => n.toString('latin1')).sort()
  const before = list()
  const started = performance.now()
  // A sweep blocked on a FIFO never settles; 60 s is for a loaded machine's start-up.
  const run = child('sweep', dir, '1000', 60_000)
  return { dir, before, after: list(), out: run.out ?? { outcome: 'threw' }, ms: performance.now() - started, signal: run.signal }
}

function oldFile(path: string | Buffer, content = 'orphan'): void {
  writeFileSync(path, content)
  utimesSync(path, HOUR_AGO, HOUR_AGO)
}

test("sweepOrphans removes scratch names of 6 (liboxen's own), 1 and 64 letters and digits", (t) => {
  const names = ['a.txt.oxentmp.AbC123', 'b.txt.oxentmp.Z', `c.txt.oxentmp.${'x9'.repeat(32)}`]
  const r = sweepOf((dir) => names.forEach((n) => oldFile(join(dir, n))))
  t.is(r.out.outcome, 'resolved', `${r.out.code} ${r.out.message}`)
  t.deepEqual(r.after, [], `left: ${r.after.join(', ')}`)
})

needs([], { also: posixOnly('file names as bytes (Windows names are UTF-16)') })('sweepOrphans removes scratch names that are not UTF-8', (t) => {
  const r = sweepOf((dir) => oldFile(Buffer.concat([Buffer.from(`${dir}/`), Buffer.from([0x6e, 0xe9]), Buffer.from('.txt.oxentmp.AbC123')])))
  t.is(r.out.outcome, 'resolved', `${r.out.code} ${r.out.message}`)
  t.deepEqual(r.after, [], `left: ${r.after.join(', ')}`)
})

test('sweepOrphans leaves names with 65 characters or anything but letters and digits after .oxentmp.', (t) => {
  const names = [`d.txt.oxentmp.${'a'.repeat(65)}`, 'e.txt.oxentmp.abc-12', 'f.txt.oxentmp.abc_12', 'g.txt.oxentmp.', 'h.txt.oxentmp.abc.12']
  const r = sweepOf((dir) => names.forEach((n) => oldFile(join(dir, n))))
  t.is(r.out.outcome, 'resolved', `${r.out.code} ${r.out.message}`)
  t.deepEqual(r.after, [...names].sort())
})

needs([], { also: posix })('sweepOrphans never follows a symlink named like a scratch: the link and its destination stay', (t) => {
  const elsewhere = freshDir()
  const victim = join(elsewhere, 'precious.txt.oxentmp.AbC123DEF4')
  oldFile(victim, 'precious')
  const r = sweepOf((dir) => {
    const link = join(dir, 'l.txt.oxentmp.AbC123DEF4')
    symlinkSync(victim, link)
    lutimesSync(link, HOUR_AGO, HOUR_AGO)
  })
  t.is(r.out.outcome, 'resolved', `${r.out.code} ${r.out.message}`)
  t.deepEqual(r.after, ['l.txt.oxentmp.AbC123DEF4'], 'the link is not a scratch file')
  t.is(readFileSync(victim, 'utf8'), 'precious', 'its destination is untouched')
})

needs(['mkfifo'], { also: posix })('a FIFO named like a scratch never blocks sweepOrphans and is left alone', (t) => {
  const r = sweepOf((dir) => {
    const fifo = join(dir, 'p.txt.oxentmp.AbC123DEF4')
    execFileSync('mkfifo', [fifo])
    utimesSync(fifo, HOUR_AGO, HOUR_AGO)
    oldFile(join(dir, 'q.txt.oxentmp.AbC123DEF4'))
  })
  t.log(`the sweep settled in ${r.ms.toFixed(0)} ms${r.signal ? ` (killed: ${r.signal})` : ''}`)
  t.is(r.signal, null, 'the sweep hung on the FIFO and was killed after 60 s')
  t.is(r.out.outcome, 'resolved', `${r.out.code} ${r.out.message}`)
  t.deepEqual(r.after, ['p.txt.oxentmp.AbC123DEF4'], 'the regular orphan is swept, the FIFO is not a scratch file')
  t.true(existsSync(join(r.dir, 'p.txt.oxentmp.AbC123DEF4')))
})

needs([], { also: posix })('sweeps racing a name swapped between files, a FIFO, a symlink and a directory never block or fail, and touch nothing outside the directory', (t) => {
  type Race = { sweeps: number; swaps: number; removed: number; failures: string[]; stashLeft: string[]; setupFailed?: string }
  const run = runChild<Race>('edges-input-child', ['sweep-race', freshDir()], { timeout: 90_000 })
  t.is(run.signal, null, 'a sweep blocked on a FIFO and the child was killed after 90 s')
  const out = run.out!
  t.is(out.setupFailed, undefined)
  t.log(`${out.sweeps} sweeps against ${out.swaps} swaps; ${out.removed} removals of an old regular file`)
  t.true(out.swaps > 20 && out.sweeps > 5, 'the race ran')
  t.deepEqual(out.failures, [], 'no sweep failed (a directory swapped in is not EISDIR for the sweep)')
  t.deepEqual(out.stashLeft, ['young', 'old', 'fifo'])
})

needs(['mkfs.ext4'], { also: [mountsTmpfs(), loopDevices] })('on a file system of whole seconds (ext4, 128-byte inodes), a fraction is rounded as that file system rounds every time, and only a time beyond its range is refused', (t) => {
  const dir = freshDir()
  const image = join(dir, 'seconds.img')
  const mnt = join(dir, 'mnt')
  mkdirSync(mnt)
  execFileSync('truncate', ['-s', '16M', image])
  execFileSync('mkfs.ext4', ['-q', '-I', '128', image], { stdio: 'ignore' })
  execFileSync('mount', ['-o', 'loop', image, mnt])
  try {
    const expect: Record<string, string | 'refused'> = {
      'Date(2038-01-19T03:14:06.5Z)': String(BigInt(Date.UTC(2038, 0, 19, 3, 14, 6)) * 1_000_000n),
      'Date(2038-01-19T03:14:07.5Z)': String(BigInt(Date.UTC(2038, 0, 19, 3, 14, 7)) * 1_000_000n),
      'Date(2038-01-19T03:14:09Z)': 'refused',
    }
    for (const [value, outcome] of Object.entries(expect)) {
      const work = join(mnt, value.replace(/\W/g, '_'))
      mkdirSync(work)
      const out = assertNoCrash(t, child('mtime', work, value), value) as Outcome & { content: string; mtimeNs: string }
      if (outcome === 'refused') {
        t.is(out.code, 'ERR_OUT_OF_RANGE', `${value}: ${JSON.stringify(out)}`)
        t.is(out.content, 'old', value)
      } else {
        t.is(out.outcome, 'resolved', `${value}: ${JSON.stringify(out)}`)
        t.is(out.mtimeNs, outcome, value)
      }
    }
  } finally {
    execFileSync('umount', [mnt])
  }
})
