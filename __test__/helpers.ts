// Shared fixtures: scratch directories, directory snapshots, deterministic payloads.

import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, lstatSync, readlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Is `cmd` on the PATH? Tests that need a tool are skipped, and say so, where it is missing. */
export function hasCommand(cmd: string): boolean {
  try {
    execFileSync('which', [cmd], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** A fresh empty directory for one test. */
export function freshDir(prefix = 'ap-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

/**
 * A fresh directory holding `name` with the bytes `old`, and a snapshot of it: the setup of
 * every test that checks a failed publish left the target as it was.
 */
export function dirWithOldTarget(name = 'blob.bin'): { dir: string; target: string; before: string[] } {
  const dir = freshDir()
  const target = join(dir, name)
  writeFileSync(target, 'old')
  return { dir, target, before: snapshot(dir) }
}

/** Every entry under `dir` (recursively) with its type, mode, size, mtime and content. */
export function snapshot(dir: string): string[] {
  const out: string[] = []
  const walk = (d: string, rel: string): void => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name)
      const st = lstatSync(path, { bigint: true })
      const key = `${rel}${name} mode=${st.mode.toString(8)} mtime=${st.mtimeNs}`
      if (st.isDirectory()) {
        out.push(`${key} dir`)
        walk(path, `${rel}${name}/`)
      } else if (st.isSymbolicLink()) {
        out.push(`${key} -> ${readlinkSync(path)}`)
      } else {
        out.push(`${key} ${readFileSync(path).toString('base64')}`)
      }
    }
  }
  walk(dir, '')
  return out
}

/** The names in `dir`, sorted. */
export function namesIn(dir: string): string[] {
  return readdirSync(dir).sort()
}

/** Scratch files left in `dir`. */
export function scratchIn(dir: string): string[] {
  return namesIn(dir).filter((n) => n.includes('.oxentmp.'))
}

/** The xorshift32 byte stream: deterministic, incompressible, cheap to make. */
export function xorshiftBytes(length: number, seed = 0x12345678): Buffer {
  const out = Buffer.allocUnsafe(Math.ceil(length / 4) * 4)
  let s = seed >>> 0
  for (let i = 0; i < out.length; i += 4) {
    s ^= s << 13
    s >>>= 0
    s ^= s >>> 17
    s ^= s << 5
    s >>>= 0
    out.writeUInt32LE(s, i)
  }
  return out.subarray(0, length)
}

/** What `xxhsum -H2` prints for a file, as the reference implementation of the text form. */
export function xxhsumH2(file: string): string {
  const line = execFileSync('xxhsum', ['-H2', file], { encoding: 'utf8' })
  return line.split(/\s+/)[0]
}

export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0

/**
 * Wait until no scratch file is left under `dir` (up to `ms`). An accepted abort settles a
 * call at once and its clean-up follows on the thread pool, so tests of what an abort leaves
 * on disk look after the clean-up has had its moment.
 */
export async function cleanedUp(dir: string, ms = 5000): Promise<void> {
  const until = Date.now() + ms
  while (scratchIn(dir).length > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10))
}
