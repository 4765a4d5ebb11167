// `atomic-publish dir <src-dir> <target-dir>`: publish a copy of a whole tree at once.

import { lstat, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { AtomicDir, type DirManifest } from './atomic-dir.js'

/** Staging calls in flight at once: enough to keep the thread pool busy, few enough to bound memory. */
const IN_FLIGHT = 32

/**
 * Publish a copy of the tree `src` at `target` (with `keepVersions`, in the versioned layout,
 * keeping that many versions): its files (bytes and modes) and directories,
 * empty ones too. A link or special file in `src` is refused before anything is published:
 * a staged tree holds files and directories only, and following a link could copy what it
 * points to from outside the tree.
 */
export async function publishTreeCopy(src: string, target: string, durability: 'full' | 'none', keepVersions?: number): Promise<DirManifest> {
  const dir = new AtomicDir(target).withDurability(durability)
  if (keepVersions !== undefined) dir.withLayout('versioned', { keep: keepVersions })
  const inFlight = new Set<Promise<void>>()
  let failed: { error: unknown } | undefined
  // Each call's failure is kept (the first one is the command's), never left unhandled.
  const track = async (work: Promise<unknown>): Promise<void> => {
    const settled: Promise<void> = work
      .then(
        () => undefined,
        (error: unknown) => void (failed ??= { error }),
      )
      .finally(() => inFlight.delete(settled))
    inFlight.add(settled)
    if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight)
    if (failed) throw failed.error
  }
  try {
    const todo = ['']
    while (todo.length > 0) {
      const below = todo.pop()!
      const entries = await readdir(join(src, below), { withFileTypes: true })
      if (below !== '' && entries.length === 0) await track(dir.mkdir(below))
      for (const entry of entries) {
        const rel = below === '' ? entry.name : `${below}/${entry.name}`
        if (entry.isDirectory()) todo.push(rel)
        else if (entry.isFile()) {
          const { mode } = await lstat(join(src, rel))
          await track(dir.file(rel).withMode(mode & 0o7777).copyFrom(join(src, rel)))
        } else {
          const err = new Error(`'${join(src, rel)}' is not a regular file or a directory; a published tree holds only those`) as Error & { code: string }
          err.code = 'ENOTSUP'
          throw err
        }
      }
    }
    await Promise.all(inFlight)
    if (failed) throw failed.error
  } catch (err) {
    await dir.abort().catch(() => undefined)
    throw err
  }
  return dir.commit()
}
