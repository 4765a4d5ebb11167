// sweepOrphans against a directory that changes under it (guarantee 4, the Orphans section):
// things swapped under a scratch name, FIFOs, links, and live writers racing the sweep.

import test from 'ava'
import { execFile, execFileSync } from 'node:child_process'
import { existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AtomicFile, sweepOrphans } from 'atomic-publish'
import { freshDir, namesIn, needs, notUnderWine, posix } from './helpers.js'

const LONG_AGO = new Date('2001-01-01T00:00:00Z')
// (Git for Windows has an mkfifo, whose FIFOs only its own programs see: POSIX too.)
const fifoTest = needs(['mkfifo'], { also: posix })

interface SweeperReport {
  sweeps: number
  rejections: string[]
  removed: string[]
}

/** Run `script` in a child; a child still running `ms` after its start is killed, as hung. */
function child<T>(script: string, args: string[], ms: number, env: NodeJS.ProcessEnv = {}): Promise<T | 'hung'> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [join(__dirname, 'fixtures', script), ...args], { timeout: ms, killSignal: 'SIGKILL', env: { ...process.env, ...env } }, (err, stdout) => {
      if (err && (err as { killed?: boolean }).killed) resolve('hung')
      else if (err) reject(err)
      else resolve(JSON.parse(stdout) as T)
    })
  })
}

/** Sweeps for `ms`, and at least `minSweeps` times however long that takes (within `limit`). */
function sweeper(dir: string, ms: number, olderThanMs: number, limit: number, minSweeps = 1): Promise<SweeperReport | 'hung'> {
  return child<SweeperReport>('sweeper.js', [dir, String(ms), String(olderThanMs)], limit, { SWEEPER_MIN_SWEEPS: String(minSweeps) })
}

fifoTest('a FIFO named like a scratch never blocks the sweep, and stays', async (t) => {
  const dir = freshDir()
  const fifo = join(dir, 'pipe.oxentmp.AbCdE6gH9k')
  execFileSync('mkfifo', [fifo])
  utimesSync(fifo, LONG_AGO, LONG_AGO)
  // A sweep blocked opening the FIFO would never settle; 30 s is for a loaded machine's start-up.
  const report = await sweeper(dir, 0, 0, 30_000)
  t.not(report, 'hung', 'the sweep settles')
  t.deepEqual(report !== 'hung' && report.removed, [])
  t.true(lstatSync(fifo).isFIFO())
})

needs([], { also: posix })('a symlink named like a scratch is neither followed nor removed, nor is what it points at', async (t) => {
  const dir = freshDir()
  const outside = freshDir()
  const pointee = join(outside, 'target.oxentmp.Zz9Zz9Zz9Z')
  writeFileSync(pointee, 'not ours')
  utimesSync(pointee, LONG_AGO, LONG_AGO)
  const link = join(dir, 'link.oxentmp.AbCdE6gH9k')
  symlinkSync(pointee, link)
  t.deepEqual(await sweepOrphans(dir, { olderThanMs: 0, recursive: true }), [])
  t.true(lstatSync(link).isSymbolicLink())
  t.is(readFileSync(pointee, 'utf8'), 'not ours')
})

// Windows makes no stages (directory publishes are refused there), so its sweep leaves every
// scratch-named directory alone.
const stagesSwept = process.platform !== 'win32'

test(`an old directory named like a scratch is ${stagesSwept ? 'an orphaned stage and goes whole' : 'left alone, as Windows makes no stages'}; a young one stays`, async (t) => {
  const dir = freshDir()
  const sub = join(dir, 'sub.oxentmp.AbCdE6gH9k')
  mkdirSync(join(sub, 'inner'), { recursive: true })
  writeFileSync(join(sub, 'inner', 'f'), 'x')
  utimesSync(sub, LONG_AGO, LONG_AGO)
  const young = join(dir, 'young.oxentmp.Yy1Yy1Yy1Y')
  mkdirSync(young)
  const orphan = join(dir, 'real.oxentmp.Qq1Qq1Qq1Q')
  writeFileSync(orphan, 'x')
  utimesSync(orphan, LONG_AGO, LONG_AGO)
  t.deepEqual((await sweepOrphans(dir)).sort(), stagesSwept ? [orphan, sub] : [orphan])
  t.is(existsSync(sub), !stagesSwept)
  t.true(lstatSync(young).isDirectory())
})

/** A racer swaps `kinds` under one scratch name while a sweeper sweeps, both for `ms`. */
async function race(kinds: string[], olderThanMs: number): Promise<{ sweeper: SweeperReport | 'hung'; racer: { swaps: number; vanished: Record<string, number> } | 'hung'; pointee: string }> {
  const dir = freshDir()
  const pointee = join(freshDir(), 'pointee.oxentmp.Pp0Pp0Pp0P')
  writeFileSync(pointee, 'outside')
  utimesSync(pointee, LONG_AGO, LONG_AGO)
  const ms = 1500
  // Each child runs for `ms`; one still running 30 s later is stuck, not slow (a loaded
  // 2-core machine has taken over 5 s just to start and wind down the racer).
  const hung = ms + 30_000
  const [sweeperReport, racer] = await Promise.all([
    sweeper(dir, ms, olderThanMs, hung, 11),
    child<{ swaps: number; vanished: Record<string, number> }>('swap-racer.js', [dir, 'raced.json.oxentmp.AbCdE6gH9k', String(ms), kinds.join(','), pointee], hung),
  ])
  return { sweeper: sweeperReport, racer, pointee }
}

fifoTest('sweeps racing a file, FIFO, symlink and directory swapped under one name never hang, reject, or remove anything but a regular file or an orphaned stage directory', async (t) => {
  const { sweeper: s, racer, pointee } = await race(['old-file', 'fifo', 'old-file', 'symlink', 'old-file', 'dir'], 0)
  t.not(s, 'hung', 'every sweep settles')
  t.not(racer, 'hung')
  if (s === 'hung' || racer === 'hung') return
  t.log(`${s.sweeps} sweeps, ${racer.swaps} swaps, vanished ${JSON.stringify(racer.vanished)}`)
  t.true(s.sweeps > 10, `${s.sweeps} sweeps`)
  t.deepEqual(s.rejections, [])
  // A directory under a scratch name, unlocked and not live, is an orphaned stage.
  t.deepEqual(Object.keys(racer.vanished).filter((kind) => kind !== 'old-file' && kind !== 'dir'), [], 'only regular files and stages were swept')
  t.true(existsSync(pointee), 'a link is never followed')
})

// A symlink joins the race where making one needs no privilege (not on Windows).
const withSymlink = posix.ok
// The racer unlinks its last file while a sweep may hold it open, then renames the next onto
// that name: Windows frees the name at once (POSIX delete), Wine only when the sweep closes it.
needs([], { also: notUnderWine('a name deleted while another process holds it open stays taken: Wine lacks POSIX delete') })(`sweeps racing a young and an old file${withSymlink ? ' and a symlink' : ''} swapped under one name never remove the young one`, async (t) => {
  const { sweeper: s, racer } = await race(['old-file', 'young-file', ...(withSymlink ? ['symlink'] : [])], 3_600_000)
  t.not(s, 'hung')
  t.not(racer, 'hung')
  if (s === 'hung' || racer === 'hung') return
  t.log(`${s.sweeps} sweeps, ${racer.swaps} swaps, vanished ${JSON.stringify(racer.vanished)}`)
  t.deepEqual(s.rejections, [])
  t.false('young-file' in racer.vanished, 'a young file is never taken')
  t.false('symlink' in racer.vanished)
})

test('thousands of publishes all succeed while another process sweeps their directory with olderThanMs 0', async (t) => {
  const dir = freshDir()
  const ms = 5000
  const sweeping = sweeper(dir, ms, 0, ms + 30_000)
  let sweeperDone = false
  void sweeping.finally(() => (sweeperDone = true))
  let published = 0
  const failures: string[] = []
  // At least 1 000 publishes however slow the machine, and more while the sweeper sweeps.
  while (published < 1000 || (published < 3000 && !sweeperDone)) {
    const calls = Array.from({ length: 16 }, (_, i) => {
      const n = published + i
      return new AtomicFile(join(dir, `f${n % 500}`)).withFsync(false).write(`v${n}`)
        .then(() => undefined, (e: NodeJS.ErrnoException) => void failures.push(`${e.code} ${e.syscall}`))
    })
    await Promise.all(calls)
    published += calls.length
  }
  const report = await sweeping
  t.not(report, 'hung')
  // A sweeper may take a scratch between its create and its writer's lock; the writer then
  // gives that one up and starts over with another name, so the publish still succeeds.
  t.log(`${published} publishes, ${report !== 'hung' ? `${report.sweeps} sweeps took ${report.removed.length} unclaimed scratch files` : '?'}`)
  t.deepEqual(failures.slice(0, 5), [], `${failures.length} of ${published} failed`)
  t.true(namesIn(dir).every((n) => !n.includes('.oxentmp.')))
})
