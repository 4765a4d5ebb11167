// Soak: many publishes and streams in one child process; RSS and descriptors must stay flat.

import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface SoakSummary {
  publishes: number
  streams: number
  rssStart: number
  rssEnd: number
  fdsStart: number
  fdsEnd: number
}

export function runSoak(publishes: number, streams: number): SoakSummary {
  const dir = mkdtempSync(join(tmpdir(), 'ap-soak-'))
  try {
    const out = execFileSync(process.execPath, ['--expose-gc', join(__dirname, '..', 'fixtures', 'soak-child.js'), dir, String(publishes), String(streams)], {
      encoding: 'utf8',
      timeout: 900_000,
    })
    return JSON.parse(out)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
