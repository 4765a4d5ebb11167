// Exit at any moment leaves no scratch: children keep publishes of every terminal in flight
// (write, a large unnamed write, stream, createWriteStream, copyFrom, compat, and the sync ones
// between them) and end 0-9 ms after starting them, by process.exit, an uncaught exception or
// a signal, wherever the pool threads have got to.

import test from 'ava'
import { spawn } from 'node:child_process'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { freshDir, namesIn, needs, posixOnly, removeTree, roundsHere } from './helpers.js'

/** Signal handlers run only where signals are POSIX ones. */
const withSignals = needs([], { also: posixOnly('signals (on Windows kill() ends a process at once, no handler runs)') })

const CHILD = join(__dirname, 'fixtures', 'exit-race-child.js')
const EXITS = roundsHere(1000)
/** The other endings run the same exit path from another entry: fewer children suffice. */
const CRASHES = roundsHere(20)
const SIGNALLED = roundsHere(20)

interface Ended {
  code: number | null
  signal: NodeJS.Signals | null
  stderr: string
}

function runChild(dir: string, delay: number, ending: string): Promise<Ended> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dir, String(delay), ending], { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`an exit-race child (${ending} at ${delay} ms) did not end`))
    }, 60_000)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stderr })
    })
  })
}

/** Run `count` children, several at once, each in a fresh directory; what went wrong. */
async function race(count: number, ending: string, expect: (e: Ended) => boolean): Promise<string[]> {
  const problems: string[] = []
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < count) {
      next++
      const dir = freshDir('ap-exit-race-')
      const delay = Math.floor(Math.random() * 10)
      const ended = await runChild(dir, delay, ending)
      const left = namesIn(dir).filter((n) => n.includes('.oxentmp.'))
      if (left.length > 0) problems.push(`${ending} at ${delay} ms left ${left.join(', ')}`)
      removeTree(dir)
      if (!expect(ended)) problems.push(`${ending} at ${delay} ms ended ${ended.code} ${ended.signal}: ${ended.stderr.slice(0, 300)}`)
    }
  }
  await Promise.all(Array.from({ length: availableParallelism() * 4 }, worker))
  return problems
}

test(`${EXITS} children calling process.exit() at a random moment leave no scratch, and exit 0`, async (t) => {
  // Each child has a minute to end; the whole run is slow only on a crowded machine, never stuck.
  t.timeout(45 * 60_000)
  t.deepEqual(await race(EXITS, 'exit', (e) => e.code === 0), [])
})

test(`${CRASHES} children dying of an uncaught exception at a random moment leave no scratch, and exit 1`, async (t) => {
  t.timeout(5 * 60_000)
  t.deepEqual(await race(CRASHES, 'throw', (e) => e.code === 1), [])
})

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  withSignals(`${SIGNALLED} children sent ${signal} at a random moment leave no scratch, and die of it`, async (t) => {
    t.timeout(5 * 60_000)
    t.deepEqual(await race(SIGNALLED, signal, (e) => e.signal === signal), [])
  })
}
