// Node readers of a versioned directory target, run beside a child that commits version after
// version: each reader pins a version with `fs.realpath` once and walks it. Shared by the ava
// spec (a few hundred commits) and `npm run test:reliability` (a thousand).

import { spawn } from 'node:child_process'
import { readdir, readFile, readlink, realpath } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

/** The files of each version (see fixtures/dir-versioned.ts). */
export const VERSION_FILES = 12

export interface ReaderReport {
  commits: number
  walks: number
  /** Walks that saw bytes of two versions, or a version other than the one pinned. */
  mixed: number
  /** Walks that ended early because their version was removed after leaving the kept ones. */
  lost: number
  /** ENOENT while the pinned version was still among the kept ones: a broken promise. */
  lostWhileKept: number
  /** Walks that finished with another file count than a version holds, their version kept. */
  short: number
}

/** Is `version` (a name) among the newest `keep` versions of `target` beside it right now? */
async function stillKept(parent: string, target: string, version: string, keep: number): Promise<boolean> {
  const shape = new RegExp(`^${target.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.v\\d{8}T\\d{6}\\.\\d{9}Z\\.[A-Za-z0-9]+$`)
  const versions = (await readdir(parent)).filter((n) => shape.test(n)).sort().reverse()
  const current = await readlink(join(parent, target))
  const kept = new Set([current, ...versions.filter((v) => v !== current).slice(0, keep - 1)])
  return kept.has(version)
}

/** Walk the pinned version `root`: every file's content, or ENOENT. */
async function walk(root: string): Promise<string[]> {
  const contents: string[] = []
  const todo = ['']
  while (todo.length > 0) {
    const below = todo.pop()!
    for (const entry of await readdir(join(root, below), { withFileTypes: true })) {
      const rel = join(below, entry.name)
      if (entry.isDirectory()) todo.push(rel)
      else contents.push(await readFile(join(root, rel), 'utf8'))
    }
  }
  return contents
}

/**
 * Commit `commits` versions of `target` in a child (keeping `keep`), while `readers` readers
 * walk pinned versions until the child is done.
 */
export async function readVersionsWhileCommitting(fixture: string, target: string, commits: number, keep: number, readers = 3): Promise<ReaderReport> {
  const report: ReaderReport = { commits: 0, walks: 0, mixed: 0, lost: 0, lostWhileKept: 0, short: 0 }
  const parent = dirname(target)
  const child = spawn(process.execPath, [fixture, target, String(commits), 'none', String(keep)], { stdio: ['ignore', 'pipe', 'inherit'] })
  let started!: () => void
  const first = new Promise<void>((resolve) => (started = resolve))
  child.stdout.on('data', (c: Buffer) => {
    report.commits += c.toString().split('\n').filter(Boolean).length
    started()
  })
  let running = true
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => {
    running = false
    started()
    resolve(code)
  }))
  await first
  const reader = async (): Promise<void> => {
    do {
      // `realpath` reads the link and then looks the version up: one so old that it was
      // removed in between was never pinned, and is counted as lost.
      const pinned = await realpath(target).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err
      })
      report.walks++
      if (pinned === undefined) {
        report.lost++
        continue
      }
      const version = basename(pinned)
      let contents: string[] | undefined
      try {
        contents = await walk(pinned)
        if (new Set(contents).size > 1) report.mixed++
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      }
      // A walk cut short (ENOENT, or a listing its removal had already thinned) is a broken
      // promise only if its version is still kept: checked after, when it can only rank lower.
      if (contents === undefined || contents.length !== VERSION_FILES) {
        if (await stillKept(parent, basename(target), version, keep)) {
          if (contents === undefined) report.lostWhileKept++
          else report.short++
        } else report.lost++
      }
    } while (running)
  }
  await Promise.all(Array.from({ length: readers }, reader))
  const code = await exited
  if (code !== 0) throw new Error(`the committing child exited with ${code}`)
  return report
}
