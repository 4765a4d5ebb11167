// Guarantees 7 and 13 for a call made before the earlier ones have found their file: other
// spellings of one target and other threads. An async call takes its place at the call, but
// learns its file only on the thread pool; a sync call made meanwhile for the same file must
// not overtake it where either answer depends on the other.

import test from 'ava'
import { once } from 'node:events'
import { readFile } from 'node:fs/promises'
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { AtomicFile } from 'atomic-publish'
import { aliasedDirWithFifo, freshDir, needs, posix, roundsHere, scratchIn } from './helpers.js'

const ROUNDS = roundsHere(100)

type Spelling = (dir: string) => { first: string; second: string }

const spellings: Record<string, Spelling> = {
  'd//f': (dir) => ({ first: join(dir, 'f'), second: `${dir}//f` }),
  'd/./f': (dir) => ({ first: join(dir, 'f'), second: `${dir}/./f` }),
  'd/x/../f': (dir) => {
    mkdirSync(join(dir, 'x'))
    return { first: join(dir, 'f'), second: `${dir}/x/../f` }
  },
  'a symlink, first': (dir) => {
    symlinkSync('f', join(dir, 'l'))
    return { first: join(dir, 'l'), second: join(dir, 'f') }
  },
  'a symlink, second': (dir) => {
    symlinkSync('f', join(dir, 'l'))
    return { first: join(dir, 'f'), second: join(dir, 'l') }
  },
}

function codeOf(call: () => unknown): string {
  try {
    call()
    return 'ok'
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? String(err)
  }
}

for (const [name, spell] of Object.entries(spellings)) {
  const register = needs([], { also: name.startsWith('a symlink') ? posix : [] })
  register(`write(A), then a no-overwrite writeSync(B) through ${name}: never both published, ${ROUNDS} rounds`, async (t) => {
    const base = freshDir()
    for (let round = 0; round < ROUNDS; round++) {
      const dir = join(base, `r${round}`)
      mkdirSync(dir)
      const { first, second } = spell(dir)
      const a = new AtomicFile(first).write('A')
      const b = codeOf(() => new AtomicFile(second).withOverwrite(false).writeSync('B'))
      const resultA = await a
      // B published first would leave A superseded by nothing it came before: impossible.
      t.true(b === 'ERR_ORDER_PENDING' || b === 'EEXIST', `round ${round}: B ${b}`)
      t.falsy(resultA.superseded, `round ${round}`)
      t.is(readFileSync(join(dir, 'f'), 'latin1'), 'A')
      t.deepEqual(scratchIn(dir), [])
    }
  })

  register(`a no-overwrite write(A), then an ordinary writeSync(B) through ${name}: never A EEXIST and B published, ${ROUNDS} rounds`, async (t) => {
    const base = freshDir()
    for (let round = 0; round < ROUNDS; round++) {
      const dir = join(base, `r${round}`)
      mkdirSync(dir)
      const { first, second } = spell(dir)
      const a = new AtomicFile(first).withOverwrite(false).write('A').then(
        () => 'ok',
        (err: NodeJS.ErrnoException) => err.code,
      )
      const b = codeOf(() => new AtomicFile(second).writeSync('B'))
      t.is(b, 'ERR_ORDER_PENDING', `round ${round}`)
      t.is(await a, 'ok', `round ${round}`)
      t.is(readFileSync(join(dir, 'f'), 'latin1'), 'A')
    }
  })
}

needs([], { also: posix })(`an ordinary writeSync behind ordinary writes through another spelling is still allowed: it wins, ${ROUNDS} rounds`, async (t) => {
  const base = freshDir()
  for (let round = 0; round < ROUNDS; round++) {
    const dir = join(base, `r${round}`)
    mkdirSync(dir)
    symlinkSync('f', join(dir, 'l'))
    const a = new AtomicFile(join(dir, 'f')).write('A')
    t.is(codeOf(() => new AtomicFile(join(dir, 'l')).writeSync('B')), 'ok', `round ${round}`)
    await a
    t.is(readFileSync(join(dir, 'f'), 'latin1'), 'B', `round ${round}`)
  }
})

test(`write(A) from the main thread, then a no-overwrite writeSync(B) from a worker: never both published, ${ROUNDS} rounds`, async (t) => {
  const dir = freshDir()
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads')
     const { AtomicFile } = require(workerData.entry)
     parentPort.on('message', (target) => {
       try {
         new AtomicFile(target).withOverwrite(false).writeSync('B')
         parentPort.postMessage('ok')
       } catch (err) {
         parentPort.postMessage(err.code)
       }
     })`,
    { eval: true, workerData: { entry: require.resolve('atomic-publish') } },
  )
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const target = join(dir, `f${round}`)
      const a = new AtomicFile(target).write('A'.repeat(1 << 16))
      const answer = once(worker, 'message')
      worker.postMessage(target)
      const [b] = (await answer) as [string]
      const resultA = await a
      // A comes first and always publishes: B can only find it there, or be refused.
      t.true(b === 'ERR_ORDER_PENDING' || b === 'EEXIST', `round ${round}: B ${b}`)
      t.falsy(resultA.superseded, `round ${round}`)
      t.is(readFileSync(target, 'latin1')[0], 'A')
    }
  } finally {
    await worker.terminate()
  }
})

test('a call that gave up while waiting its turn holds back no later call, sync or async', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'f')
  writeFileSync(target, 'old')
  for (let round = 0; round < 20; round++) {
    // An ordinary publish under way, a no-overwrite one waiting behind it, then withdrawn.
    const chunks = (async function* () {
      yield Buffer.from('held, ')
      await new Promise((r) => setTimeout(r, 20))
      yield Buffer.from('published')
    })()
    const held = new AtomicFile(target).stream(chunks)
    const controller = new AbortController()
    const waiting = new AtomicFile(target).withOverwrite(false).withSignal(controller.signal).write('W')
    controller.abort()
    await t.throwsAsync(waiting, { code: 'ABORT_ERR' })
    // Ordinary behind ordinary: may start at once, as if the withdrawn call had never been.
    t.is(codeOf(() => new AtomicFile(target).writeSync('B')), 'ok', `round ${round}`)
    await held
    t.is(readFileSync(target, 'latin1'), 'B')
  }
  t.deepEqual(scratchIn(dir), [])
})

test(`no-overwrite writeSync calls on another thread hold back no writeSync to another file, ${ROUNDS * 10} calls`, async (t) => {
  const dir = freshDir()
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads')
     const { join } = require('node:path')
     const { AtomicFile } = require(workerData.entry)
     let stop = false, i = 0
     parentPort.on('message', () => { stop = true })
     const spin = () => {
       for (let k = 0; k < 20 && !stop; k++) {
         try { new AtomicFile(join(workerData.dir, 'w' + (i++ % 16))).withOverwrite(false).writeSync('x') } catch {}
       }
       if (i === 20) parentPort.postMessage('spinning')
       if (stop) parentPort.postMessage('stopped')
       else setImmediate(spin)
     }
     spin()`,
    { eval: true, workerData: { entry: require.resolve('atomic-publish'), dir } },
  )
  try {
    await once(worker, 'message')
    const target = join(dir, 'mine')
    const refused: number[] = []
    for (let call = 0; call < ROUNDS * 10; call++) {
      if (codeOf(() => new AtomicFile(target).writeSync(String(call))) !== 'ok') refused.push(call)
    }
    t.deepEqual(refused, [])
    t.is(readFileSync(target, 'latin1'), String(ROUNDS * 10 - 1))
    worker.postMessage('stop')
    await once(worker, 'message')
  } finally {
    await worker.terminate()
  }
})

needs(['mkfifo', 'sh'], { also: posix })('copyFromSync(FIFO) that would overtake a stream through another spelling fails with ERR_ORDER_PENDING before it reads the FIFO', async (t) => {
  const dir = freshDir()
  const { fifo, writerDone } = aliasedDirWithFifo(dir)
  let release = (): void => {}
  const held = new Promise<void>((resolve) => (release = resolve))
  const stream = new AtomicFile(join(dir, 'alias', 'f')).stream(
    (async function* () {
      yield Buffer.from('A')
      await held
    })(),
  )
  t.throws(() => new AtomicFile(join(dir, 'real', 'f')).withOverwrite(false).copyFromSync(fifo), { code: 'ERR_ORDER_PENDING' })
  // The writer's data is still in the FIFO for whoever reads it next.
  t.is(await readFile(fifo, 'latin1'), 'FIFODATA')
  await writerDone
  release()
  await stream
  t.is(readFileSync(join(dir, 'real', 'f'), 'latin1'), 'A')
})
