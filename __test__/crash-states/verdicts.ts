// Verdicts: the table of states and violations, compared with the verdicts kept in the
// repository (expected-verdicts.json), and with the rules that hold whatever the file says.

import { readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { type CellResult, materialisedCount } from './cells.js'
import { MAX_FREE } from './enumerate.js'
import { MODELS } from './models.js'
import { BLOCK, MAX_PIECES_PER_WRITE } from './ops.js'
import { CONTROLS, DIR_CONTROLS, DIR_ENTRIES, ENTRIES, LEVELS, STARTS, type Entry, type Level } from './plan.js'

const REPO = join(__dirname, '..', '..', '..')
export const EXPECTED_FILE = join(REPO, '__test__', 'crash-states', 'expected-verdicts.json')
type Verdict = 'ok' | 'violations'
/**
 * Where each naive directory publish must be caught: `rm -rf` and a copy leaves no tree or a
 * partial one under every model; a rename into place whose directories were never fsynced
 * (its files and the parent were) can lose entries wherever a file's fsync does not commit
 * every name change before it (btrfs, weak).
 */
const DIR_CONTROL_MODELS: Record<(typeof DIR_CONTROLS)[number], string[]> = {
  'control-dir-rm-copy': ['in-order', 'ext4', 'xfs', 'btrfs', 'weak', 'alice'],
  'control-dir-unsynced-rename': ['btrfs', 'weak'],
}
type Expected = Record<string, Record<string, Verdict>>

const cellKey = (r: CellResult): string => `${r.workload.entry} ${r.workload.level} ${r.workload.start}`
const verdictOf = (r: CellResult): Verdict => (r.violations > 0 ? 'violations' : 'ok')

function sum(results: CellResult[], entry: Entry, level: Level, model: string): { states: number; violations: number } | undefined {
  const cells = results.filter((r) => r.workload.entry === entry && r.workload.level === level && r.model === model)
  if (cells.length === 0) return undefined
  return { states: cells.reduce((a, r) => a + r.states, 0), violations: cells.reduce((a, r) => a + r.violations, 0) }
}

/** Markdown: rows entry × level, a column per model, each cell `states / violations`. */
export function table(results: CellResult[], entries: readonly Entry[]): string {
  const lines = [`| entry point | level | ${MODELS.map((m) => m.name).join(' | ')} |`, `|---|---|${MODELS.map(() => '---:').join('|')}|`]
  for (const entry of entries) for (const level of LEVELS) {
    const cells = MODELS.map((m) => sum(results, entry, level, m.name))
    if (cells.every((c) => c === undefined)) continue
    lines.push(`| \`${entry}\` | \`'${level}'\` | ${cells.map((c) => (c ? (c.violations ? `${c.states} / **${c.violations}**` : `${c.states} / 0`) : '–')).join(' | ')} |`)
  }
  return lines.join('\n')
}

export function printTable(results: CellResult[]): void {
  console.log('states enumerated / violations, summed over the starting states (old target, none, empty, parent made by the call)\n')
  console.log(table(results, ENTRIES))
  console.log('\nnegative controls (must show violations under ext4, xfs and weak)\n')
  console.log(table(results, CONTROLS))
  console.log('\ndirectory commits, summed over the starting states (an old tree, none, and for the versioned layout a link to an old version)\n')
  console.log(table(results, DIR_ENTRIES))
  console.log('\nnaive directory publishes (must show violations under the models named in DIR_CONTROL_MODELS)\n')
  console.log(table(results, DIR_CONTROLS))
  for (const r of results) if (r.violations > 0) console.log(`  ${cellKey(r)} ${r.model}: ${r.violations}/${r.states} (${r.examples.join('; ')})`)
  const capped = results.reduce((a, r) => a + r.capped, 0)
  console.log(`\ndistinct states materialised and checked: ${materialisedCount()}; cells ${results.length}; crash points whose writes were merged to stay within ${MAX_FREE} free pieces: ${capped}`)
}

/** Differences from the kept verdicts, and from the rules; true if there are none. */
export function compareVerdicts(results: CellResult[], partial: boolean): boolean {
  const expected = JSON.parse(readFileSync(EXPECTED_FILE, 'utf8')) as Expected
  const problems: string[] = []
  for (const r of results) {
    const want = expected[cellKey(r)]?.[r.model]
    if (want !== verdictOf(r)) problems.push(`${cellKey(r)} under ${r.model}: expected ${want ?? 'no verdict'}, got ${verdictOf(r)} (${r.violations}/${r.states})`)
    // Whatever the file says: every level that fsyncs is safe under every model but ALICE's.
    if (r.workload.ours && !r.workload.entry.startsWith('control-') && r.workload.level !== 'none' && r.model !== 'alice' && r.violations > 0) {
      problems.push(`${cellKey(r)} under ${r.model}: ${r.violations} violations at a level that fsyncs`)
    }
  }
  if (!partial) {
    for (const c of CONTROLS) for (const m of ['ext4', 'xfs', 'weak']) {
      if (!results.some((r) => r.workload.entry === c && r.model === m && r.violations > 0)) problems.push(`control ${c} not caught under ${m}`)
    }
    for (const c of DIR_CONTROLS) for (const m of DIR_CONTROL_MODELS[c]) {
      if (!results.some((r) => r.workload.entry === c && r.model === m && r.violations > 0)) problems.push(`control ${c} not caught under ${m}`)
    }
    const seen = new Set(results.map((r) => `${cellKey(r)}|${r.model}`))
    for (const [k, byModel] of Object.entries(expected)) for (const m of Object.keys(byModel)) if (!seen.has(`${k}|${m}`)) problems.push(`${k} under ${m}: expected but not run`)
    problems.push(...durabilityTableDisagreements(results))
  }
  for (const p of problems) console.log(`MISMATCH  ${p}`)
  if (process.argv.includes('--write-expected')) {
    const out: Expected = {}
    for (const r of results) (out[cellKey(r)] ??= {})[r.model] = verdictOf(r)
    writeFileSync(EXPECTED_FILE, `${JSON.stringify(out, null, 1)}\n`)
    console.log(`wrote ${EXPECTED_FILE}: check every change before committing it`)
  }
  return problems.length === 0
}

/** The durability table (docs/durability.md) must name every model under which 'none' loses the bytes. */
function durabilityTableDisagreements(results: CellResult[]): string[] {
  const readme = readFileSync(join(REPO, 'docs', 'durability.md'), 'utf8')
  const row = readme.split('\n').find((l) => l.startsWith("| `'none'` |")) ?? ''
  const out: string[] = []
  for (const m of ['xfs', 'btrfs']) {
    const fails = results.some((r) => r.model === m && r.workload.level === 'none' && r.workload.ours && (ENTRIES as readonly Entry[]).includes(r.workload.entry) && r.violations > 0)
    if (fails && !row.includes(m)) out.push(`'none' loses bytes under ${m}, and the durability row of docs/durability.md does not say so`)
    if (!fails && row.includes(`on ${m}`)) out.push(`docs/durability.md says 'none' may lose bytes on ${m}, and the ${m} model finds no such state`)
  }
  return out
}

export function writeDoc(results: CellResult[]): void {
  const doc = join(REPO, 'docs', 'crash-states.md')
  mkdirSync(join(REPO, 'docs'), { recursive: true })
  const models = MODELS.map((m) => `- **${m.name}**: ${m.title}. Order: ${m.order}; a file fsync forces ${m.fileSync}; a directory fsync forces ${m.dirSync}${m.renameOverForcesData ? '; a rename over a file carries its data' : ''}${m.renameAtomic ? '' : '; rename not atomic'}${m.unnamedSyncForcesData ? '' : '; an fsync of a file not yet linked forces nothing (its data commits with the journal only)'}.`).join('\n')
  const text = readFileSync(join(REPO, '__test__', 'crash-states', 'doc-template.md'), 'utf8')
    .replace('{{MODELS}}', models)
    .replace('{{TABLE}}', table(results, ENTRIES))
    .replace('{{CONTROLS}}', table(results, CONTROLS))
    .replace('{{DIR_TABLE}}', table(results, DIR_ENTRIES))
    .replace('{{DIR_CONTROLS}}', table(results, DIR_CONTROLS))
    .replace('{{DISTINCT}}', String(materialisedCount()))
    .replace('{{CELLS}}', String(results.length))
    .replace('{{STARTS}}', STARTS.join(', '))
    .replace('{{BLOCK}}', String(BLOCK))
    .replace('{{PIECES}}', String(MAX_PIECES_PER_WRITE))
    .replace('{{MAX_FREE}}', String(MAX_FREE))
  writeFileSync(doc, text)
  console.log(`wrote ${doc}`)
}
