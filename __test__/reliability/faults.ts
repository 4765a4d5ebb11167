// Injected I/O faults with libfiu: run the fault child under `fiu-run -x` and collect its
// summary. Shared by the CI test (a few dozen rounds) and the heavy run (hundreds per seed).

import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface FaultSummary {
  rounds: number
  faultsSurfaced: number
  published: number
  torn: number
  scratchLeft: number
  scratchReported: number
  wrongCode: number
  problems: string[]
}

export function hasLibfiu(): boolean {
  try {
    execFileSync('fiu-run', ['-h'], { stdio: 'ignore' })
    return true
  } catch (e) {
    // fiu-run -h exits non-zero but exists.
    return (e as { code?: string }).code !== 'ENOENT'
  }
}

export function runFaults(rounds: number, seed: number): FaultSummary {
  const dir = mkdtempSync(join(tmpdir(), 'ap-fiu-'))
  const base = join(dir, 'ctrl')
  const work = join(dir, 'work')
  execFileSync('mkdir', [work])
  try {
    const out = execFileSync('fiu-run', ['-x', '-f', base, process.execPath, join(__dirname, '..', 'fixtures', 'fiu-child.js'), work, String(rounds), String(seed), base], {
      encoding: 'utf8',
      env: { ...process.env, UV_USE_IO_URING: '0' },
      timeout: 600_000,
    })
    return JSON.parse(out.trim().split('\n').at(-1) as string)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
