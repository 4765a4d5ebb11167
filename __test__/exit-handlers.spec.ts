// Other code's exit handlers still run, and the process ends as it would have without the
// package: handlers registered through signal-exit 3 (plain and `alwaysLast`), signal-exit 4,
// when-exit and process.on('exit'), before or after the package loads, for every way a process
// ends; and the package's own clean-up still leaves no scratch.

import test from 'ava'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { freshDir, namesIn, needs, posixOnly } from './helpers.js'

/** Signal handlers run only where signals are POSIX ones. */
const signals = posixOnly('signals (on Windows kill() ends a process at once, no handler runs)')

interface Ended {
  code: number | null
  signal: NodeJS.Signals | null
  handlers: string[]
}

function runChild(script: string, args: string[]): Promise<Ended> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(__dirname, 'fixtures', script), ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d))
    let stdout = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${script} ${args.join(' ')} did not end; stdout: ${stdout}; stderr: ${stderr}`))
    }, 60_000)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const handlers = stdout.split('\n').filter((l) => l !== '' && l !== 'ready')
      resolve({ code, signal, handlers: handlers.sort() })
    })
  })
}

test("nyc's sequence: write-file-atomic's replacement loaded first, then signal-exit 3 with alwaysLast, then a write; the handler runs", async (t) => {
  const dir = freshDir()
  const ended = await runChild('nyc-sequence.js', [join(dir, 'file')])
  t.is(ended.code, 0)
  t.deepEqual(ended.handlers, ['coverage written'])
  t.deepEqual(namesIn(dir), ['file'])
})

for (const ending of ['exit', 'natural', 'throw', 'SIGINT', 'SIGTERM', 'SIGHUP']) {
  for (const order of ['before', 'between', 'after']) {
    const when = { before: 'before the package loads', between: 'between its load and its first publish', after: 'after its first publish' }[order]
    const register = needs([], { also: ending.startsWith('SIG') ? signals : [] })
    register(`${ending}, handlers registered ${when}: the same handlers run and the process ends the same way as without it`, async (t) => {
      const withDir = freshDir()
      const [withIt, without] = await Promise.all([
        runChild('exit-handlers-child.js', ['with', order, ending, withDir]),
        runChild('exit-handlers-child.js', ['without', order, ending, freshDir()]),
      ])
      t.is(without.handlers.length > 0, true, 'the baseline ran handlers')
      t.deepEqual(withIt, without)
      t.deepEqual(namesIn(withDir), [], 'the scratch in flight was removed')
    })
  }
}
