// `npm run test:crash-states`: record, parse, self-check, enumerate under every model, check
// every distinct state on a real tree, compare with the expected verdicts, run the controls and
// the loop-image spot checks. Flags: --write-doc (regenerate docs/crash-states.md).

import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { check, type CellResult } from './cells.js'
import { MODELS } from './models.js'
import { describe } from './ops.js'
import { parseWorkloads } from './parse.js'
import { newContent, planWorkloads, type Workload } from './plan.js'
import { prepare, record } from './record.js'
import { selfCheck } from './selfcheck.js'
import { treeFromDisk, type Tree } from './tree.js'
import { compareVerdicts, printTable, writeDoc } from './verdicts.js'
import { buildUnsynced } from './controls.js'
import { spotChecks } from './loop-images.js'
import { modelChecks, parserChecks } from './model-checks.js'
import { dirCheckerChecks } from './check-dir-checks.js'

function hasStrace(): boolean {
  try {
    execFileSync('strace', ['-V'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

async function main(): Promise<void> {
  const started = performance.now()
  if (!hasStrace()) {
    console.log('SKIP  crash states: strace is not installed (apt-get install strace)')
    return
  }
  const work = mkdtempSync(join(tmpdir(), 'ap-crash-states-'))
  let failed = false
  for (const f of [...modelChecks(), ...parserChecks(), ...dirCheckerChecks()]) {
    console.log(`MODEL CHECK FAILED  ${f}`)
    failed = true
  }
  try {
    const unsynced = buildUnsynced()
    const plan = planWorkloads(join(work, 'w'))
    const only = process.env.CRASH_STATES_ONLY
    const chosen = only ? plan.filter((w) => w.id.includes(only)) : plan
    const text = record(join(work, 'w'), chosen, unsynced)
    const starts = new Map<string, Tree>()
    for (const w of chosen) starts.set(w.id, startTree(w, work))
    const parsed = parseWorkloads(text, chosen, starts)
    const results: CellResult[] = []
    const scratch = join(work, 'state')
    for (const w of chosen) {
      const p = parsed.get(w.id)
      if (!p) throw new Error(`${w.id}: not parsed`)
      if (process.env.CRASH_STATES_DEBUG) console.log(w.id, `returned after ${p.returnedAt}`, p.ops.map(describe))
      selfCheck(w, starts.get(w.id) as Tree, p)
      for (const model of MODELS) results.push(check(w, starts.get(w.id) as Tree, p, model, scratch, newContent(w.newSize)))
    }
    if (process.env.CRASH_STATES_DEBUG) for (const r of results) console.log(`${r.workload.id} ${r.model}: ${r.states} states, ${r.violations} violations`)
    printTable(results)
    if (!compareVerdicts(results, only !== undefined)) failed = true
    if (process.argv.includes('--write-doc')) writeDoc(results)
    if (only) console.log('SKIP  loop-image spot checks: CRASH_STATES_ONLY picks a subset')
    else if (!spotChecks(work, results)) failed = true
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
  console.log(`${failed ? 'FAIL' : 'PASS'}  crash states (${((performance.now() - started) / 1000).toFixed(1)} s)`)
  process.exitCode = failed ? 1 : 0
}

/** The starting tree of `w`, rebuilt from the plan on a copy (the real one is traced). */
function startTree(w: Workload, work: string): Tree {
  const copy = { ...w, root: join(work, 'start', w.id, 'root'), source: join(work, 'start', w.id, 'source.bin') }
  copy.target = copy.root + w.target.slice(w.root.length)
  prepare(copy)
  return treeFromDisk(copy.root)
}

main().catch((e) => {
  console.error(e)
  process.exitCode = 1
})
