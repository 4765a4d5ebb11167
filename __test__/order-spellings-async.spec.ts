// Guarantees 7 and 13 for async calls that reach one file through different spellings (a
// symlink, a symlinked directory) or from different threads: the JavaScript side orders calls
// by the path as written, so only the native side, which knows the file, can order these.
// Each pair is called in one tick, A then B; the results must be those of A then B taking
// effect one at a time, whichever finishes first on the thread pool.

import test from 'ava'
import { once } from 'node:events'
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { Worker } from 'node:worker_threads'
import { AtomicFile } from 'atomic-publish'
import { aliasedDirWithFifo, freshDir, linuxOnly, needs, posix, roundsHere, runChild, scratchIn } from './helpers.js'

const SIZES = [10, 9 << 20]
const ROUNDS = roundsHere(150)
/** Streams and copies are slower per round; fewer rounds still mix their timings well. */
const MIXED_ROUNDS = roundsHere(30)
/** A 9 MiB A is slow to write, so it loses every race it can lose: a tenth of the rounds. */
const roundsFor = (size: number, rounds: number): number => (size > 1024 ? Math.ceil(rounds / 10) : rounds)

type Terminal = 'write' | 'stream' | 'createWriteStream' | 'copyFrom'

/** Publish `bytes` at `target` by `how`; its result as a code ('ok', 'EEXIST', …). */
function publish(how: Terminal, target: string, bytes: Buffer, exclusive: boolean, scratchDir: string): Promise<string> {
  const file = new AtomicFile(target).withOverwrite(!exclusive).withDurability('none')
  let done: Promise<unknown>
  if (how === 'write') done = file.write(bytes)
  else if (how === 'stream') done = file.stream(Readable.from([bytes.subarray(0, 5), bytes.subarray(5)]))
  else if (how === 'createWriteStream') done = pipeline(Readable.from([bytes]), file.createWriteStream())
  else {
    const source = join(scratchDir, `source-${Math.random().toString(36).slice(2)}`)
    writeFileSync(source, bytes)
    done = file.copyFrom(source)
  }
  return done.then(
    (result) => ((result as { superseded?: boolean } | undefined)?.superseded ? 'superseded' : 'ok'),
    (err: NodeJS.ErrnoException) => err.code ?? String(err),
  )
}

/** Two names for one file `f` in a fresh directory: as called first and second. */
type Spelling = (dir: string) => { first: string; second: string; file: string }

const spellings: Record<string, Spelling> = {
  'a symlinked file': (dir) => {
    symlinkSync('f', join(dir, 'l'))
    return { first: join(dir, 'f'), second: join(dir, 'l'), file: join(dir, 'f') }
  },
  'a symlinked directory': (dir) => {
    mkdirSync(join(dir, 'real'))
    symlinkSync('real', join(dir, 'link'))
    return { first: join(dir, 'link', 'f'), second: join(dir, 'real', 'f'), file: join(dir, 'real', 'f') }
  },
}

const pairs: [Terminal, Terminal, number][] = [
  ['write', 'write', ROUNDS],
  ['stream', 'copyFrom', MIXED_ROUNDS],
  ['copyFrom', 'createWriteStream', MIXED_ROUNDS],
  ['createWriteStream', 'write', MIXED_ROUNDS],
]

const bytesOf = (letter: string, size: number): Buffer => Buffer.alloc(size, letter)

for (const [name, spell] of Object.entries(spellings)) {
  for (const [howA, howB, pairRounds] of pairs) {
    for (const size of SIZES) {
      const rounds = roundsFor(size, pairRounds)
      const register = needs([], { also: posix })
      // Which of the pair is no-overwrite, and the one outcome call order allows.
      const cases = [
        { exclusiveA: true, expected: 'A ok, B ok, file B', title: `no-overwrite ${howA}(A, ${size} B) then ${howB}(B) through ${name}: A publishes, then B replaces it, ${rounds} rounds` },
        { exclusiveA: false, expected: 'A ok, B EEXIST, file A', title: `${howA}(A, ${size} B) then no-overwrite ${howB}(B) through ${name}: A publishes, B gets EEXIST, ${rounds} rounds` },
      ]
      for (const { exclusiveA, expected, title } of cases) {
        register(title, async (t) => {
          const base = freshDir()
          const wrong: string[] = []
          for (let round = 0; round < rounds; round++) {
            const dir = join(base, `r${round}`)
            mkdirSync(dir)
            const { first, second, file } = spell(dir)
            const a = publish(howA, first, bytesOf('A', size), exclusiveA, base)
            const b = publish(howB, second, bytesOf('B', 10), !exclusiveA, base)
            const results = `A ${await a}, B ${await b}, file ${readFileSync(file, 'latin1').slice(0, 1)}`
            if (results !== expected) wrong.push(`round ${round}: ${results}`)
            t.deepEqual(scratchIn(dir), [])
          }
          t.deepEqual(wrong, [])
        })
      }
    }
  }
}

/** A worker that publishes what it is sent, as B, and answers with its result. */
function publisher(): Worker {
  return new Worker(
    `const { parentPort, workerData } = require('node:worker_threads')
     const { AtomicFile } = require(workerData.entry)
     parentPort.on('message', ({ target, exclusive }) => {
       new AtomicFile(target).withOverwrite(!exclusive).withDurability('none').write('B'.repeat(10)).then(
         (r) => parentPort.postMessage(r.superseded ? 'superseded' : 'ok'),
         (err) => parentPort.postMessage(err.code),
       )
     })`,
    { eval: true, workerData: { entry: require.resolve('atomic-publish') } },
  )
}

for (const size of SIZES) {
  const rounds = roundsFor(size, ROUNDS)
  for (const exclusiveA of [true, false]) {
    const expected = exclusiveA ? 'A ok, B ok, file B' : 'A ok, B EEXIST, file A'
    test(`${exclusiveA ? 'no-overwrite ' : ''}write(A, ${size} B) on the main thread, then ${exclusiveA ? '' : 'no-overwrite '}write(B) from a worker: ${expected}, ${rounds} rounds`, async (t) => {
      const dir = freshDir()
      const worker = publisher()
      const wrong: string[] = []
      try {
        for (let round = 0; round < rounds; round++) {
          const target = join(dir, `f${round}`)
          const a = publish('write', target, bytesOf('A', size), exclusiveA, dir)
          // Sent after A was called: B comes after A in call order.
          const answer = once(worker, 'message')
          worker.postMessage({ target, exclusive: !exclusiveA })
          const results = `A ${await a}, B ${((await answer) as [string])[0]}, file ${readFileSync(target, 'latin1').slice(0, 1)}`
          if (results !== expected) wrong.push(`round ${round}: ${results}`)
        }
      } finally {
        await worker.terminate()
      }
      t.deepEqual(wrong, [])
      t.deepEqual(scratchIn(dir), [])
    })
  }
}

needs([], { also: linuxOnly('(names compared exactly, outside casefold directories)') })(
  'on Linux, names differing only in case are two files: a no-overwrite write to one waits for nothing written to the other',
  async (t) => {
    const dir = freshDir()
    for (let round = 0; round < 20; round++) {
      const a = publish('write', join(dir, `f${round}`), bytesOf('A', 9 << 20), false, dir)
      const b = publish('write', join(dir, `F${round}`), bytesOf('B', 10), true, dir)
      t.deepEqual([await a, await b], ['ok', 'ok'])
      t.is(readFileSync(join(dir, `F${round}`), 'latin1'), 'B'.repeat(10))
    }
  },
)

// A symlink: on Windows only with privilege (and under Wine, symlinkSync reports success and makes nothing).
needs([], { also: posix })('a call held back by an earlier call through another spelling can still be aborted: it publishes nothing', async (t) => {
  const dir = freshDir()
  symlinkSync('f', join(dir, 'l'))
  // An ordinary stream under way on `f`, its end held until the abort below is settled.
  let release = (): void => {}
  const held = new Promise<void>((resolve) => (release = resolve))
  const chunks = (async function* () {
    yield Buffer.from('held')
    await held
  })()
  const stream = new AtomicFile(join(dir, 'f')).stream(chunks)
  const controller = new AbortController()
  const waiting = new AtomicFile(join(dir, 'l')).withOverwrite(false).withSignal(controller.signal).write('W')
  // Held back natively (the JS side sees another path): nothing settles it until the abort.
  setTimeout(() => controller.abort(), 50)
  await t.throwsAsync(waiting, { code: 'ABORT_ERR' })
  release()
  await stream
  t.is(readFileSync(join(dir, 'f'), 'latin1'), 'held')
  t.deepEqual(scratchIn(dir), [])
})

needs(['bash'], { also: posix })(
  'streams held back behind a no-overwrite stream through another spelling wait before they take a stream slot: more of them than slots never deadlock',
  (t) => {
    // `ulimit -n 64` leaves 16 stream slots; 40 streams through aliases would take them all
    // were they held back only at their commit, and the no-overwrite one they wait for
    // could then never start.
    const count = 40
    const run = runChild<{ stuck?: boolean; p: string; e: string; codes: string[]; held: string }>('order-slots', [freshDir(), String(count)], {
      shell: 'ulimit -n 64',
      timeout: 120_000,
    })
    t.is(run.signal, null, `the child was killed: ${run.stderr.slice(-400)}`)
    t.not(run.out?.stuck, true, 'the streams deadlocked')
    t.deepEqual(run.out, { p: 'ok', e: 'EEXIST', codes: ['ok'], held: `L${count}` }, run.stderr.slice(-400))
  },
)

for (const exclusive of [false, true]) {
  needs(['mkfifo', 'sh'], { also: posix })(
    `a ${exclusive ? 'no-overwrite ' : ''}copyFrom(FIFO) held back behind a no-overwrite stream through another spelling reads the FIFO only once it may go: its data is published`,
    async (t) => {
      const dir = freshDir()
      const { fifo, writerDone } = aliasedDirWithFifo(dir)
      let release = (): void => {}
      const held = new Promise<void>((resolve) => (release = resolve))
      const first = new AtomicFile(join(dir, 'alias', 'f')).withOverwrite(false).stream(
        (async function* () {
          yield Buffer.from('A')
          await held
          throw new Error('the first source failed')
        })(),
      )
      const copy = new AtomicFile(join(dir, 'real', 'f')).withOverwrite(!exclusive).copyFrom(fifo)
      // Long enough for a copy that opened its source early to have done so and been refused.
      setTimeout(release, 200)
      await t.throwsAsync(first, { message: 'the first source failed' })
      t.like(await copy, { bytes: 8 })
      t.is(readFileSync(join(dir, 'real', 'f'), 'latin1'), 'FIFODATA')
      await writerDone
      t.deepEqual(scratchIn(join(dir, 'real')), [])
    },
  )
}
