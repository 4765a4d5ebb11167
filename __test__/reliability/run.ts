// `npm run test:reliability`: the heavy versions of the reliability checks, one summary line
// each, and a non-zero exit if any guarantee was broken. Scale with RELIABILITY_SCALE (1 = the
// full run below; 0.1 for a quick look).

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runCrashes } from './crash.js'
import { runDirCrashes } from './dir-crash.js'
import { runDirScale } from './dir-scale.js'
import { hasLibfiu, runFaults } from './faults.js'
import { runFuzz } from './fuzz.js'
import { canCutPower, cutPower, type FileSystem, type Mode } from './powercut.js'
import { runSoak, sustainedGrowth } from './soak.js'
import { checkPublishes, traceCommand } from './trace.js'
import { readVersionsWhileCommitting } from '../versioned-readers.js'

const SCALE = Number(process.env.RELIABILITY_SCALE ?? 1)
const n = (full: number) => Math.max(1, Math.round(full * SCALE))
const MiB = 1 << 20
let failed = false

function report(name: string, ok: boolean, figures: string, started: number): void {
  if (!ok) failed = true
  const seconds = ((performance.now() - started) / 1000).toFixed(1)
  console.log(`${ok ? 'PASS' : 'FAIL'}  ${name}: ${figures} (${seconds} s)`)
}

async function main(): Promise<void> {
  let t = performance.now()
  {
    let checked = 0
    let problems = 0
    for (let run = 0; run < n(20); run++) {
      for (const fsync of [true, false]) {
        const dir = mkdtempSync(join(tmpdir(), 'ap-strace-'))
        const calls = traceCommand([process.execPath, join(__dirname, '..', 'fixtures', 'publish-each.js'), dir, fsync ? 'on' : 'off'], join(dir, 'trace.txt'))
        for (const p of checkPublishes(calls, fsync)) {
          checked++
          problems += p.problems.length
        }
        rmSync(dir, { recursive: true, force: true })
      }
    }
    report('syscall order (strace)', problems === 0 && checked === n(20) * 12, `publishes checked ${checked}, order violations ${problems}`, t)
  }

  t = performance.now()
  {
    const s = await runCrashes(n(1000), { seed: 2026 })
    report('SIGKILL loop', s.torn === 0 && s.backwards === 0 && s.scratchLeftAfterSweep === 0, `rounds ${s.rounds}, killed mid-publish ${s.killedMidPublish}, torn ${s.torn}, backwards ${s.backwards}, orphans swept ${s.orphansSwept}, scratch left 0`, t)
  }

  t = performance.now()
  {
    const s = await runCrashes(n(300), { mode: 'burst', seed: 2027 })
    report('SIGKILL during batched bursts (12 files)', s.torn === 0 && s.backwards === 0 && s.scratchLeftAfterSweep === 0, `rounds ${s.rounds}, killed mid-burst ${s.killedMidPublish}, torn ${s.torn}, backwards ${s.backwards}, orphans swept ${s.orphansSwept}, scratch left ${s.scratchLeftAfterSweep}`, t)
  }

  for (const [layout, rounds, seed] of [['plain', 1000, 2028], ['versioned', 300, 2029]] as const) {
    t = performance.now()
    const s = await runDirCrashes(n(rounds), { layout, seed })
    for (const p of s.problems) console.log(`      ${p}`)
    const ok = s.mixed + s.missing + s.backwards + s.scratchLeftAfterSweep + s.versionsBeyondKeep === 0
    report(`SIGKILL during ${layout} directory commits`, ok, `rounds ${s.rounds}, killed mid-commit ${s.killedMidCommit}, mixed ${s.mixed}, missing ${s.missing}, backwards ${s.backwards}, orphans swept ${s.orphansSwept}, scratch left ${s.scratchLeftAfterSweep}, versions beyond keep ${s.versionsBeyondKeep}`, t)
  }

  t = performance.now()
  if (hasLibfiu()) {
    const totals = { rounds: 0, faults: 0, torn: 0, left: 0, reported: 0, wrong: 0 }
    for (const seed of [11, 12, 13, 14, 15]) {
      const s = runFaults(n(300), seed)
      totals.rounds += s.rounds
      totals.faults += s.faultsSurfaced
      totals.torn += s.torn
      totals.left += s.scratchLeft
      totals.reported += s.scratchReported
      totals.wrong += s.wrongCode
      for (const p of s.problems) console.log(`      ${p}`)
    }
    report('injected faults (libfiu)', totals.torn + totals.left + totals.wrong === 0, `rounds ${totals.rounds}, faults injected and surfaced ${totals.faults}, wrong codes ${totals.wrong}, torn ${totals.torn}, scratch left ${totals.left} (${totals.reported} named by err.scratch after a failed unlink)`, t)
  } else console.log('SKIP  injected faults (libfiu): fiu-run is not installed')

  t = performance.now()
  {
    const cells: string[] = []
    let ok = true
    for (const fs of ['ext4', 'xfs', 'btrfs'] as FileSystem[]) {
      if (!canCutPower(fs)) {
        cells.push(`${fs} skipped (needs root and mkfs.${fs})`)
        continue
      }
      for (const mode of ['protocol', 'concurrent', 'file', 'nofsync', 'no-dir-fsync'] as Mode[]) {
        const seen = new Map<string, number>()
        for (let i = 0; i < n(5); i++) {
          const r = cutPower(fs, mode)
          const key = `${r.found}${r.orphans ? '+orphan' : ''}`
          seen.set(key, (seen.get(key) ?? 0) + 1)
          if ((mode === 'protocol' || mode === 'concurrent') && r.found !== 'v2') ok = false
          if (mode === 'file' && r.found !== 'v1' && r.found !== 'v2') ok = false
        }
        cells.push(`${fs}/${mode} ${[...seen].map(([k, v]) => `${k}×${v}`).join(' ')}`)
      }
    }
    report('power cut (loop images)', ok, cells.join('; '), t)
  }

  t = performance.now()
  {
    const dir = mkdtempSync(join(tmpdir(), 'ap-fuzz-'))
    let ok = true
    let figures = ''
    try {
      const s = await runFuzz(dir, n(3000), 424_242)
      figures = `runs ${s.runs}, published ${s.published}, documented errors ${s.documentedErrors}, crashes 0`
    } catch (e) {
      ok = false
      figures = String(e).split('\n').slice(0, 6).join(' | ')
    }
    rmSync(dir, { recursive: true, force: true })
    report('fuzz (fast-check)', ok, figures, t)
  }

  t = performance.now()
  {
    const s = runSoak(n(100_000), n(1000))
    const ok = s.fdsEnd === s.fdsStart && sustainedGrowth(s) < 4 * MiB
    const mib = (b: number) => (b / MiB).toFixed(0)
    report('soak', ok, `publishes ${s.publishes}, streams ${s.streams}, RSS start/middle/end ${mib(s.rssStart)}/${mib(s.rssMiddle)}/${mib(s.rssEnd)} MiB, open descriptors ${s.fdsStart} → ${s.fdsEnd}`, t)
  }

  t = performance.now()
  if (process.platform === 'linux' || process.platform === 'darwin') {
    const dir = mkdtempSync(join(tmpdir(), 'ap-versions-'))
    let ok = false
    let figures = ''
    try {
      const fixture = join(__dirname, '..', 'fixtures', 'dir-versioned.js')
      const r = await readVersionsWhileCommitting(fixture, join(dir, 'site'), n(1000), 3)
      ok = r.commits === n(1000) && r.walks > 0 && r.mixed === 0 && r.lostWhileKept === 0 && r.short === 0
      figures = `commits ${r.commits}, pinned walks ${r.walks}, mixed ${r.mixed}, lost while kept ${r.lostWhileKept + r.short}, lost after leaving the kept 3 ${r.lost}`
    } catch (e) {
      figures = String(e).split('\n').slice(0, 6).join(' | ')
    }
    rmSync(dir, { recursive: true, force: true })
    report('versioned directory, Node readers pinning by realpath', ok, figures, t)
  } else console.log('SKIP  versioned directory readers: directories are published on Linux and macOS only')

  t = performance.now()
  {
    const s = await runDirScale(n(100_000))
    const ok = s.manifestFiles === s.files && s.onDisk === s.files && s.wrongContent === 0 && s.relinked === 1 && s.leftBeside === 0 && s.fdsEnd === s.fdsStart
    report('directory of many entries', ok, `files ${s.files}, in the manifest ${s.manifestFiles}, on disk ${s.onDisk}, wrong ${s.wrongContent}, unchanged file kept by fromCurrent ${s.relinked === 1}, left beside ${s.leftBeside}, open descriptors ${s.fdsStart} → ${s.fdsEnd}`, t)
  }

  process.exitCode = failed ? 1 : 0
}

void main()
