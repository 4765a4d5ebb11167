// Materialise each crash state as a real directory tree, then check it from what is on disk:
// the target holds the old bytes or the new (or is absent where there was none); at 'full'
// every state after the call returned holds the new; any scratch left is one sweepOrphans
// takes; a large write's named scratch is never half-written.

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { basename, join, relative } from 'node:path'
import { type CrashState } from './enumerate.js'
import { OLD, type Workload } from './plan.js'
import { bytesOf } from './tree.js'

/** sweepOrphans' pattern: `<basename>.oxentmp.<1 to 64 letters and digits>`. */
export const scratchName = (target: string): RegExp => new RegExp(`^${basename(target).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.oxentmp\\.[A-Za-z0-9]{1,64}$`)

export function materialise(state: CrashState, into: string, source: Buffer): void {
  rmSync(into, { recursive: true, force: true })
  mkdirSync(into)
  for (const { rel, node } of state.tree.walk()) {
    if (node.kind === 'dir') mkdirSync(join(into, rel))
    else if (node.kind === 'link') symlinkSync(node.target, join(into, rel))
    else writeFileSync(join(into, rel), bytesOf(node, source))
  }
}

export function oldBytes(w: Workload): Buffer | undefined {
  return w.start === 'old' ? OLD : w.start === 'empty' ? Buffer.alloc(0) : undefined
}

/** What is wrong with the tree at `dir` (a materialised state of `w`); empty if nothing. */
export function violations(w: Workload, dir: string, state: CrashState, newBytes: Buffer): string[] {
  const out: string[] = []
  const targetRel = relative(w.root, w.target)
  const target = join(dir, targetRel)
  const old = oldBytes(w)
  const found = existsSync(target) ? readFileSync(target) : undefined
  const is = (b: Buffer | undefined): boolean => found !== undefined && b !== undefined && found.equals(b)
  if (found === undefined) {
    if (old !== undefined) out.push('target missing')
  } else if (!is(old) && !is(newBytes)) out.push(found.length === 0 ? 'target empty' : `target torn (${found.length} bytes)`)
  if (w.level === 'full' && state.afterReturn && !is(newBytes)) out.push('new bytes lost after the call returned')
  if (w.ours) {
    const pattern = scratchName(w.target)
    const walk = (d: string): void => {
      for (const name of readdirSync(d)) {
        const p = join(d, name)
        if (p === target) continue
        if (statSync(p).isDirectory()) walk(p)
        else if (!pattern.test(name)) out.push(`leftover not named for sweepOrphans: ${relative(dir, p)}`)
        else if (w.unnamed && !readFileSync(p).equals(newBytes)) out.push(`a large write's named scratch is not complete: ${relative(dir, p)}`)
      }
    }
    walk(dir)
  }
  return out
}

/** What a state shows, coarsely, for comparing with a real image: the target's bytes and whether a scratch is left. */
export function outcome(w: Workload, dir: string, newBytes: Buffer): string {
  const target = join(dir, relative(w.root, w.target))
  const old = oldBytes(w)
  let what = 'missing'
  if (existsSync(target)) {
    const found = readFileSync(target)
    what = found.equals(newBytes) ? 'new' : old && found.equals(old) ? 'old' : found.length === 0 ? 'empty' : 'torn'
  }
  const parent = join(target, '..')
  const scratch = existsSync(parent) && readdirSync(parent).some((n) => n.includes('.oxentmp.'))
  return scratch ? `${what} + scratch` : what
}

