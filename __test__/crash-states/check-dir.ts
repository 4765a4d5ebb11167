// The check of a directory workload's crash state, from what is on disk: the target (the
// directory, or the directory its link names in the versioned layout) holds the whole old
// tree or the whole new one, name for name and byte for byte, or is absent where there was
// none; at 'full' every state after the commit returned holds the new tree; every other entry
// beside it has a name `sweepOrphans` takes (a stage, a scratch link, a version).

import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { basename, join, relative } from 'node:path'
import { scratchName } from './check.js'
import { type CrashState } from './enumerate.js'
import { newTreeOf, OLD_TREE, type TreeFiles } from './dir-trees.js'
import { type Workload } from './plan.js'

/** A version of the versioned layout: `<name>.v<UTC time to the nanosecond>Z.<6 letters and digits>`. */
const versionName = (target: string): RegExp => new RegExp(`^${basename(target)}\\.v\\d{8}T\\d{6}\\.\\d{9}Z\\.[A-Za-z0-9]{6}$`)

/** Every entry under `dir`, `path/` for a directory, `path=<hex>` for a file, `path->text` for a link. */
function listing(dir: string): string[] {
  const out: string[] = []
  const visit = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name)
      const st = lstatSync(p)
      const rel = relative(dir, p)
      if (st.isSymbolicLink()) out.push(`${rel}->${readlinkSync(p)}`)
      else if (st.isDirectory()) {
        out.push(`${rel}/`)
        visit(p)
      } else out.push(`${rel}=${readFileSync(p).toString('hex')}`)
    }
  }
  visit(dir)
  return out
}

function expected(files: TreeFiles): string {
  const out = new Set<string>()
  for (const [rel, bytes] of files) {
    const parts = rel.split('/')
    for (let i = 1; i < parts.length; i++) out.add(`${parts.slice(0, i).join('/')}/`)
    out.add(`${rel}=${bytes.toString('hex')}`)
  }
  return [...out].sort().join('\n')
}
const OLD = expected(OLD_TREE)

/** What the target shows: 'old', 'new', 'missing', 'mixed' (anything else), or a bad link. */
export function dirOutcome(w: Workload, dir: string): string {
  const target = join(dir, relative(w.root, w.target))
  let tree = target
  if (!existsSync(target)) {
    try {
      return lstatSync(target).isSymbolicLink() ? 'dangling link' : 'missing'
    } catch {
      return 'missing'
    }
  }
  if (lstatSync(target).isSymbolicLink()) {
    const text = readlinkSync(target)
    if (!versionName(w.target).test(text)) return `link to a name not a version (${text})`
    tree = join(dir, text)
  }
  if (!lstatSync(tree).isDirectory()) return 'not a directory'
  const found = listing(tree).sort().join('\n')
  return found === expected(newTreeOf(w.entry)) ? 'new' : found === OLD ? 'old' : 'mixed'
}

export function dirViolations(w: Workload, dir: string, state: CrashState): string[] {
  const out: string[] = []
  const seen = dirOutcome(w, dir)
  // A link naming nothing is never right, even where there was no target: the next commit
  // would refuse it as a foreign link, and no sweep repairs it.
  if (seen === 'dangling link') out.push(`target ${seen}`)
  else if (seen === 'missing') {
    if (w.start !== 'absent') out.push(`target ${seen}`)
  } else if (seen !== 'old' && seen !== 'new') out.push(`target ${seen}`)
  else if (seen === 'old' && w.start === 'absent') out.push('target old where there was none')
  if (w.level === 'full' && state.afterReturn && seen !== 'new') out.push('new tree lost after the commit returned')
  if (w.ours) {
    const scratch = scratchName(w.target)
    const version = versionName(w.target)
    const target = basename(w.target)
    for (const name of readdirSync(join(dir, relative(w.root, w.target), '..'))) {
      if (name === target || scratch.test(name)) continue
      if (w.entry === 'dir-versioned' && version.test(name)) continue
      out.push(`leftover not named for sweepOrphans: ${name}`)
    }
  }
  return out
}
