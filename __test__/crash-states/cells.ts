// One cell of the table: one workload under one model, every distinct crash state
// materialised and checked. Verdicts of equal trees are shared between models.

import { enumerate } from './enumerate.js'
import { materialise, outcome, violations } from './check.js'
import { type Model } from './models.js'
import { type Parsed } from './parse.js'
import { isDirEntry, type Workload } from './plan.js'
import { dirOutcome, dirViolations } from './check-dir.js'
import { type Tree } from './tree.js'

export interface CellResult {
  workload: Workload
  model: string
  states: number
  violations: number
  capped: number
  /** One example per kind of violation. */
  examples: string[]
  ops: number
  /** The outcomes of the states a crash after the call returned can leave (see `outcome`). */
  afterReturn: Set<string>
}

const cache = new Map<string, { found: string[]; seen: string }>()

export function check(w: Workload, start: Tree, parsed: Parsed, model: Model, scratchDir: string, newBytes: Buffer): CellResult {
  const { states, capped } = enumerate(start, parsed.ops, parsed.returnedAt, model)
  let bad = 0
  const examples = new Set<string>()
  const afterReturn = new Set<string>()
  for (const [key, state] of states) {
    const ck = `${w.id}\n${state.afterReturn}\n${key}`
    let checked = cache.get(ck)
    if (!checked) {
      materialise(state, scratchDir, newBytes)
      checked = isDirEntry(w.entry)
        ? { found: dirViolations(w, scratchDir, state), seen: dirOutcome(w, scratchDir) }
        : { found: violations(w, scratchDir, state, newBytes), seen: outcome(w, scratchDir, newBytes) }
      cache.set(ck, checked)
    }
    const { found, seen } = checked
    if (state.afterReturn) afterReturn.add(seen)
    if (found.length > 0) {
      bad++
      for (const v of found) examples.add(v.replace(/\(\d+ bytes\)/, '').replace(/ \(.*\)$/, '').replace(/: .*$/, ''))
    }
  }
  return { workload: w, model: model.name, states: states.size, violations: bad, capped, examples: [...examples], ops: parsed.ops.length, afterReturn }
}

/** Distinct trees checked on disk (each materialised once). */
export const materialisedCount = (): number => cache.size
