// Exit and signals: in-flight scratch files are removed on process.exit, an uncaught
// exception, SIGINT, SIGTERM and SIGHUP, and the process still ends as it would have; an
// application that handles the signal itself keeps running.

import test from 'ava'
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { freshDir, namesIn, needs, posixOnly } from './helpers.js'

/** Signal handlers run only where signals are POSIX ones. */
const withSignals = needs([], { also: posixOnly('signals (on Windows kill() ends a process at once, no handler runs)') })

/**
 * process.removeAllListeners() ends by replacing the whole listener table, so the 'exit'
 * listener cannot put itself back; only Unix has a C exit handler behind it.
 */
const cExitHandler = posixOnly("C exit handler behind the 'exit' listener (on Windows that listener is the only hook)")

interface Ended {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
}

function runChild(mode: string, dir: string, signal?: NodeJS.Signals): Promise<Ended> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(__dirname, 'fixtures', 'exit-child.js'), dir, mode], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`child (${mode}) did not end; stdout: ${stdout}`))
    }, 20_000)
    child.stdout.on('data', (d: Buffer) => {
      stdout += d
      if (signal && d.toString().includes('ready')) child.kill(signal)
    })
    child.on('close', (code, sig) => {
      clearTimeout(timer)
      resolve({ code, signal: sig, stdout })
    })
  })
}

test('process.exit with a stream in flight: no scratch left, the exit code kept', async (t) => {
  const dir = freshDir()
  const ended = await runChild('exit', dir)
  t.true(ended.stdout.includes('ready'), 'the scratch existed first')
  t.is(ended.code, 3)
  t.deepEqual(namesIn(dir), [])
})

for (const mode of ['exit-removed', 'all-removed'] as const) {
  const how = mode === 'exit-removed' ? "process.removeAllListeners('exit')" : 'process.removeAllListeners()'
  needs([], { also: mode === 'all-removed' ? cExitHandler : [] })(`the exit clean-up stays after ${how}: process.exit leaves no scratch, the exit code kept`, async (t) => {
    const dir = freshDir()
    const ended = await runChild(mode, dir)
    t.true(ended.stdout.includes('ready'), 'the scratch existed first')
    t.is(ended.code, 3)
    t.deepEqual(namesIn(dir), [])
  })
}

test("an 'exit' handler that runs after the clean-up may still publish synchronously, and the exit code is kept", async (t) => {
  const dir = freshDir()
  const ended = await runChild('save', dir)
  t.true(ended.stdout.includes('saved'), ended.stdout)
  t.is(ended.code, 3)
  t.deepEqual(namesIn(dir), ['saved'])
  t.is(readFileSync(join(dir, 'saved'), 'utf8'), 'state saved at exit')
})

test('an uncaught exception with a stream in flight: no scratch left, the process still fails', async (t) => {
  const dir = freshDir()
  const ended = await runChild('throw', dir)
  t.true(ended.stdout.includes('ready'))
  t.is(ended.code, 1)
  t.deepEqual(namesIn(dir), [])
})

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  withSignals(`${signal} with a stream in flight: no scratch left, the process dies of ${signal}`, async (t) => {
    const dir = freshDir()
    const ended = await runChild('signal', dir, signal)
    t.true(ended.stdout.includes('ready'))
    t.is(ended.signal, signal)
    t.deepEqual(namesIn(dir), [])
  })
}

withSignals('an application that handles SIGINT itself keeps running, and its publish completes', async (t) => {
  const dir = freshDir()
  const ended = await runChild('handled', dir, 'SIGINT')
  t.true(ended.stdout.includes('handled SIGINT'))
  t.true(ended.stdout.includes('published'))
  t.is(ended.code, 0)
  t.deepEqual(namesIn(dir), ['target'])
})

withSignals('an application that stops handling SIGINT gives it back its default: the process dies of it, no scratch left', async (t) => {
  const dir = freshDir()
  const ended = await runChild('unhandled', dir, 'SIGINT')
  t.false(ended.stdout.includes('handled SIGINT'))
  t.is(ended.signal, 'SIGINT')
  t.deepEqual(namesIn(dir), [])
})

for (const mode of ['remove-all', 'remove-ours'] as const) {
  const how = mode === 'remove-all' ? 'process.removeAllListeners(signal)' : "removeListener on each of the signal's listeners"
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    withSignals(`an application that takes every ${signal} listener away (${how}): the clean-up comes back, no scratch left, the process dies of ${signal}`, async (t) => {
      const dir = freshDir()
      const ended = await runChild(mode, dir, signal)
      t.true(ended.stdout.includes('ready'))
      t.is(ended.signal, signal)
      t.deepEqual(namesIn(dir), [])
    })
  }
}
