// Signals when only worker threads load the package (the main thread never requires it): the
// scratch files in flight are removed, the process still dies of the signal it was sent, and
// a main thread that handles SIGINT itself keeps running. Unix signals only.

import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { freshDir, namesIn, needs, posixOnly, removeTree } from './helpers.js'

const CHILD = join(__dirname, 'fixtures', 'worker-signal-child.js')
const unixTest = needs([], { also: posixOnly('signals (on Windows kill() ends a process at once, no handler runs)') })
const ROUNDS = 12

interface Ended {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** Run the child, send `signal` `delay` ms after it says "ready", and see how it ended. */
function runChild(dir: string, mode: string, signal: NodeJS.Signals, delay: number): Promise<Ended> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dir, mode], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    let sent = false
    child.stderr.on('data', (d: Buffer) => (stderr += d))
    child.stdout.on('data', (d: Buffer) => {
      stdout += d
      if (sent || !stdout.includes('ready')) return
      sent = true
      setTimeout(() => child.kill(signal), delay)
    })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`worker-signal child (${mode}, ${signal} after ${delay} ms) did not end; stdout: ${stdout}; stderr: ${stderr}`))
    }, 60_000)
    child.on('close', (code, sig) => {
      clearTimeout(timer)
      resolve({ code, signal: sig, stdout, stderr })
    })
  })
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  unixTest(`only workers load the package: ${ROUNDS} children sent ${signal} at a random moment leave no scratch, and die of it`, async (t) => {
    t.timeout(10 * 60_000)
    const problems: string[] = []
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < ROUNDS) {
        next++
        const dir = freshDir('ap-exit-workers-')
        const delay = Math.floor(Math.random() * 30)
        const ended = await runChild(dir, 'plain', signal, delay)
        const left = namesIn(dir).filter((n) => n.includes('.oxentmp.'))
        if (left.length > 0) problems.push(`${signal} after ${delay} ms left ${left.join(', ')}`)
        if (ended.signal !== signal) problems.push(`${signal} after ${delay} ms: ended ${ended.code} ${ended.signal}; ${ended.stderr.slice(0, 300)}`)
        removeTree(dir)
      }
    }
    await Promise.all([worker(), worker(), worker()])
    t.deepEqual(problems, [])
  })
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  unixTest(`only workers load the package, and the main thread's last listener for ${signal} was removed after they loaded it: children sent it leave no scratch, and die of it`, async (t) => {
    t.timeout(10 * 60_000)
    const problems: string[] = []
    for (let round = 0; round < 5; round++) {
      const dir = freshDir('ap-exit-workers-')
      const delay = Math.floor(Math.random() * 30)
      const ended = await runChild(dir, 'listened-then-removed', signal, delay)
      const left = namesIn(dir).filter((n) => n.includes('.oxentmp.'))
      if (left.length > 0) problems.push(`${signal} after ${delay} ms left ${left.join(', ')}`)
      if (ended.signal !== signal) problems.push(`${signal} after ${delay} ms: ended ${ended.code} ${ended.signal}; ${ended.stderr.slice(0, 300)}`)
      removeTree(dir)
    }
    t.deepEqual(problems, [])
  })
}

for (const [mode, what] of [
  ['removed-while-streaming', 'while their streams were in flight'],
  ['many-cycles', '100 times, each time before they published'],
] as const) {
  unixTest(`only workers load the package, and the main thread added and removed its signal listeners ${what}: SIGINT, SIGTERM and SIGHUP leave no scratch, and the process dies of each`, async (t) => {
    t.timeout(10 * 60_000)
    const problems: string[] = []
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      for (let round = 0; round < 2; round++) {
        const dir = freshDir('ap-exit-workers-')
        const ended = await runChild(dir, mode, signal, Math.floor(Math.random() * 30))
        const left = namesIn(dir).filter((n) => n.includes('.oxentmp.'))
        if (left.length > 0) problems.push(`${signal} left ${left.join(', ')}`)
        if (ended.signal !== signal) problems.push(`${signal}: ended ${ended.code} ${ended.signal}; ${ended.stderr.slice(0, 300)}`)
        removeTree(dir)
      }
    }
    t.deepEqual(problems, [])
  })
}

for (const mode of ['handled-before', 'handled-after']) {
  const when = mode === 'handled-before' ? 'before' : 'after'
  unixTest(`only workers load the package, and the main thread handles SIGINT itself (listening ${when} they load it): the process keeps running, and a later SIGTERM still ends it`, async (t) => {
    t.timeout(2 * 60_000)
    const dir = freshDir()
    const ended = await runChild(dir, mode, 'SIGINT', 0)
    t.true(ended.stdout.includes('handled SIGINT'), ended.stdout + ended.stderr)
    t.true(ended.stdout.includes('kept running'), ended.stdout + ended.stderr)
    // Then, with the workers gone, it sent itself SIGTERM, and died of it.
    t.is(ended.signal, 'SIGTERM')
    t.deepEqual(namesIn(dir).filter((n) => n.includes('.oxentmp.')), [])
    // Each worker finished the stream it had in flight before stopping.
    for (const w of ['w0-', 'w1-']) t.true(namesIn(dir).some((n) => n.startsWith(w)), `${w}* was published`)
  })
}
