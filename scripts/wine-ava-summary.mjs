// The summary of an ava TAP report from `run-wine.sh --ava`: per spec file, the tests that ran,
// passed, failed and were skipped; every failure; each skip reason with how many tests gave it.
//
//   node scripts/wine-ava-summary.mjs REPORT.tap [SECONDS]

import { readFileSync } from 'node:fs'

const [file, seconds] = process.argv.slice(2)
const lines = readFileSync(file, 'utf8').split(/\r?\n/)
const perFile = new Map()
const failures = []
const reasons = new Map()
let current = '(hooks)'
for (const line of lines) {
  const file = /^# spec (\S+)$/.exec(line)
  if (file) current = file[1]
  const m = /^(ok|not ok)(?: \d+)? - (?:(\S+) › )?(.*)$/.exec(line)
  if (!m) continue
  const [, result, spec = current, rest] = m
  const counts = perFile.get(spec) ?? { pass: 0, fail: 0, skip: 0 }
  perFile.set(spec, counts)
  if (/ # SKIP$/.test(rest)) {
    counts.skip++
    const reason = /\[skipped: needs (.*)\] # SKIP$/.exec(rest)?.[1] ?? 'skipped without a reason in its title'
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1)
  } else if (result === 'ok') counts.pass++
  else {
    counts.fail++
    failures.push(`${spec} › ${rest}`)
  }
}
const total = { pass: 0, fail: 0, skip: 0 }
console.log('\nspec                      ran  pass  fail  skip')
for (const [spec, c] of [...perFile].sort()) {
  for (const k of Object.keys(total)) total[k] += c[k]
  console.log(`${spec.padEnd(24)} ${String(c.pass + c.fail).padStart(4)} ${String(c.pass).padStart(5)} ${String(c.fail).padStart(5)} ${String(c.skip).padStart(5)}`)
}
console.log(`${'total'.padEnd(24)} ${String(total.pass + total.fail).padStart(4)} ${String(total.pass).padStart(5)} ${String(total.fail).padStart(5)} ${String(total.skip).padStart(5)}`)
if (failures.length > 0) console.log(`\nfailed:\n${failures.map((f) => `  ${f}`).join('\n')}`)
console.log('\nskipped, by reason:')
for (const [reason, n] of [...reasons].sort((a, b) => b[1] - a[1])) console.log(`  ${String(n).padStart(4)}  ${reason}`)
const unfinished = lines.some((l) => /^1\.\.\d+$/.test(l)) ? '' : ' (the report is incomplete: ava did not finish)'
console.log(`\nunder Wine: ${total.pass + total.fail} tests ran, ${total.pass} passed, ${total.fail} failed, ${total.skip} skipped${seconds ? `, in ${Math.round(seconds / 60)} min` : ''}${unfinished}`)
