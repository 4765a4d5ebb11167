// `npm run bench`: every bench, one after another. `npm run bench -- --check`: the quick
// rows only, checked against their floors (bench/check.mjs). `npm run bench -- --write-doc`:
// every bench, and docs/performance.md written from their tables with the machine, the date
// and the versions they ran with (BENCH_* variables, such as BENCH_REPS=1 for a shorter run,
// are passed on and named in the page).

import { execFileSync, spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describeRun, performancePage } from './doc.mjs'

const BENCHES = ['small-publish', 'ceiling', 'stream', 'hash', 'copy', 'hardening', 'directory']
const script = (name) => fileURLToPath(new URL(`${name}.mjs`, import.meta.url))
const run = (name) => execFileSync(process.execPath, [script(name)], { stdio: 'inherit' })

/** Runs one bench with Markdown tables, echoing its output, and resolves with that output. */
function runCapturing(name) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script(name)], { env: { ...process.env, BENCH_MARKDOWN: '1' }, stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (chunk) => {
      out += chunk
      process.stdout.write(chunk)
    })
    child.on('error', reject)
    child.on('close', (status) => (status === 0 ? resolve(out) : reject(Object.assign(new Error(`bench ${name} failed`), { status }))))
  })
}

try {
  if (process.argv.includes('--check')) run('check')
  else if (process.argv.includes('--write-doc')) {
    const started = new Date()
    const machine = describeRun()
    const outputs = []
    for (const name of BENCHES) outputs.push({ name, output: await runCapturing(name) })
    const page = performancePage({ machine, started, finished: new Date(), outputs })
    const target = fileURLToPath(new URL('../docs/performance.md', import.meta.url))
    writeFileSync(target, page)
    console.log(`wrote ${target}`)
  } else for (const name of BENCHES) run(name)
} catch (error) {
  console.error(error.message)
  process.exitCode = typeof error.status === 'number' ? error.status : 1
}
