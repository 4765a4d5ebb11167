// Guarantee 11 against waits that ignore an abort: an abort is honoured at any moment up to the
// rename (during the scratch's fsync, in every queue) and rejects at once with an AbortError,
// never a hash mismatch; clean-up follows and leaves no scratch. Each scenario runs in a child
// (fixtures/edges-child.ts) with its own 4-thread pool.

import test from 'ava'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, readdirSync, readFileSync, renameSync } from 'node:fs'
import { basename, join } from 'node:path'
import { AtomicFile } from 'atomic-publish'
import { freshDir, gnuLinux, needs, posix, posixOnly, roomFor, runChild, scratchIn } from './helpers.js'

interface Settled {
  ok: boolean
  name?: string
  code?: string
  message?: string
  scratch?: string
}

/**
 * How long after abort() a 768 MiB write may take to settle. An accepted abort rejects on the
 * JavaScript side without waiting for the pool, so only the event loop's delay counts, which
 * scheduling does not stretch to seconds; an abort ignored would last the rest of the write.
 */
const LARGE_SETTLE_MS = 5000

function child<T>(scenario: string, opts: { shell?: string; prefix?: string[] } = {}) {
  const run = runChild<T & { setupFailed?: string }>('edges-child', [scenario, freshDir()], { nodeArgs: ['--expose-gc'], env: { UV_THREADPOOL_SIZE: '4' }, ...opts })
  return run
}

function assertAborted(t: import('ava').ExecutionContext, result: Settled, what: string): void {
  t.like(result, { ok: false, name: 'AbortError', code: 'ABORT_ERR' }, `${what}: ${result.code} ${result.message}`)
}

// strace holds every fsync 1 s on entry, so abort() at 300 ms lands while the scratch is fsynced.
const DELAY_FSYNC = ['strace', '-f', '-qq', '-o', '/dev/null', '-e', 'trace=fsync,fdatasync', '-e', 'inject=fsync,fdatasync:delay_enter=1000000']
const withStrace = needs(['strace'])

withStrace('an abort while the scratch is fsynced rejects with AbortError and publishes nothing', (t) => {
  const run = child<{ result: Settled; ms: number; content: string; left: number }>('abort-during-fsync', { prefix: DELAY_FSYNC })
  t.is(run.status, 0, run.stderr.slice(-400))
  const out = run.out!
  t.log(`settled after ${out.ms.toFixed(0)} ms: ${JSON.stringify(out.result)}`)
  t.true(out.result.ok === false || out.ms > 900, 'the fsync delay was in force (a resolved call took over 900 ms)')
  assertAborted(t, out.result, 'abort at 300 ms of a 1 s fsync')
  t.is(out.content, 'old', 'the target is unchanged')
  t.is(out.left, 0, 'no scratch remains')
})

withStrace('an abort while a batch of small writes is fsynced rejects every write with AbortError and publishes none', (t) => {
  const run = child<{ results: Settled[]; ms: number; contents: string[]; left: number }>('abort-during-fsync-batch', { prefix: DELAY_FSYNC })
  t.is(run.status, 0, run.stderr.slice(-400))
  const out = run.out!
  t.log(`settled after ${out.ms.toFixed(0)} ms`)
  t.true(out.results.some((r) => !r.ok) || out.ms > 900, 'the fsync delay was in force (resolved calls took over 900 ms)')
  out.results.forEach((r, i) => assertAborted(t, r, `write ${i}`))
  t.deepEqual(out.contents, Array(out.contents.length).fill('old'), 'every target is unchanged')
  t.is(out.left, 0)
})

type Waited = { after: number; early: Settled | 'pending'; result: Settled; left: number; content?: string; published?: boolean }

function assertRejectedAtOnce(t: import('ava').ExecutionContext, run: ReturnType<typeof child<Waited>>, what: string): void {
  t.is(run.signal, null, run.stderr.slice(-400))
  t.is(run.status, 0, run.stderr.slice(-400))
  const out = run.out!
  t.is(out.setupFailed, undefined)
  t.log(`${what}: settled ${out.after.toFixed(0)} ms after abort()${out.early === 'pending' ? ' (still pending at the cap)' : ''}`)
  assertAborted(t, out.result, what)
  // What it waited for was held until it settled: only the abort could have settled it.
  t.not(out.early, 'pending', `${what}: still pending ${out.after.toFixed(0)} ms after the abort, its wait held`)
  t.is(out.left, 0, 'no scratch remains after clean-up')
}

needs([], { also: posixOnly('FIFOs (copies of FIFOs hold the thread pool)') })('a write waiting for a full pool rejects on abort(), the pool still held', (t) => {
  const run = child<Waited>('abort-waiting-for-pool')
  assertRejectedAtOnce(t, run, 'write waiting for a pool thread')
  t.is(run.out!.content, 'old')
})

needs([], { also: posixOnly('descriptor limits (ulimit -n)') })('a stream waiting for a stream slot rejects on abort(), every slot still held', (t) => {
  // 64 descriptors give 16 stream slots; 16 stalled streams take them all.
  const run = child<Waited>('abort-waiting-for-slot', { shell: 'ulimit -n 64' })
  assertRejectedAtOnce(t, run, 'stream waiting for a slot')
  t.false(run.out!.published)
})

needs([], { also: posix })('aborted copies of FIFOs whose writer never comes or stalls give their pool threads back, and the process exits on its own', (t) => {
  const run = child<{ results: Settled[]; later: Settled | 'pending'; laterMs: number; published: boolean[]; left: number }>('abort-fifo-copies-free-the-pool')
  t.is(run.status, 0, `the child ended by itself (status ${run.status}, signal ${run.signal}): ${run.stderr.slice(-400)}`)
  const out = run.out!
  out.results.forEach((r, i) => assertAborted(t, r, `copy ${i}`))
  t.like(out.later, { ok: true }, `a write after the aborts ran (${out.laterMs.toFixed(0)} ms)`)
  t.deepEqual(out.published, [false, false, false, false, false])
  t.is(out.left, 0, 'no scratch remains')
})

needs([], { also: posix })('process.exit while a copy and a hash wait for FIFO writers that never come ends the process at once', (t) => {
  const dir = freshDir()
  const started = performance.now()
  const run = runChild<{ exiting: boolean }>('edges-child', ['exit-while-waiting-on-fifos', dir], { env: { UV_THREADPOOL_SIZE: '4' }, timeout: 30_000 })
  const ms = performance.now() - started
  t.is(run.status, 0, `status ${run.status}, signal ${run.signal}: ${run.stderr.slice(-400)}`)
  t.true(run.out?.exiting)
  t.log(`the child ended ${ms.toFixed(0)} ms after it started`)
  t.deepEqual(readdirSync(dir).filter((n) => n.includes('.oxentmp.')), [])
})

needs([], { also: posix })('process.exit while copies read FIFOs that never end publishes nothing: no prefix, no empty file (20 rounds of 4 copies)', (t) => {
  for (let round = 0; round < 20; round++) {
    const dir = freshDir()
    const run = runChild<{ exiting: boolean; feeders: number[] }>('edges-child', ['exit-while-copying-fifos', dir], { timeout: 30_000 })
    for (const pid of run.out?.feeders ?? []) {
      try {
        process.kill(pid)
      } catch {}
    }
    t.is(run.status, 0, `round ${round}: status ${run.status}, signal ${run.signal}: ${run.stderr.slice(-300)}`)
    const changed = [0, 1, 2, 3].filter((i) => readFileSync(join(dir, `target-${i}`), 'utf8') !== 'old')
    t.deepEqual(changed, [], `round ${round}: targets replaced by an unfinished FIFO`)
  }
})

needs([], { also: posix })('copyFrom of a FIFO nobody writes to rejects on abort(), the FIFO still unopened, and publishes nothing', (t) => {
  const run = child<Waited>('abort-fifo-source')
  assertRejectedAtOnce(t, run, 'copyFrom blocked opening a FIFO')
  t.false(run.out!.published, 'bytes written to the FIFO after the abort are not published')
})

needs([], { also: roomFor(3072 << 20) })('768 MiB writes aborted 250, 600, 1000 and 1500 ms in (hashing, writing, fsyncing) each settle within 5 s', (t) => {
  type Round = { delay: number; after: number; early: Settled | 'pending'; result: Settled; content: string }
  const run = child<{ rounds: Round[]; left: number }>('abort-large-write')
  t.is(run.status, 0, run.stderr.slice(-400))
  for (const r of run.out!.rounds) {
    t.log(`abort at ${r.delay} ms: settled ${r.after.toFixed(0)} ms later, ${r.result.ok ? 'resolved' : r.result.name}`)
    t.true(r.early !== 'pending' && r.after < LARGE_SETTLE_MS, `abort at ${r.delay} ms: settled ${r.after.toFixed(0)} ms after it`)
    // Resolving is right only for an abort that came after the rename, which a prompt settle shows.
    if (!r.result.ok) {
      assertAborted(t, r.result, `abort at ${r.delay} ms`)
      t.is(r.content, 'old')
    }
  }
  t.is(run.out!.left, 0)
})

needs([], { also: posix })('a verified copyFrom aborted mid-read reports the AbortError, never a hash mismatch', (t) => {
  const run = child<{ result: Settled; published: boolean; left: number }>('abort-verified-fifo-copy')
  t.is(run.status, 0, run.stderr.slice(-400))
  const out = run.out!
  assertAborted(t, out.result, 'verified copyFrom of a FIFO, aborted after half its content')
  t.false(out.published)
  t.is(out.left, 0)
})

for (const how of ['abort', 'source error'] as const) {
  // Windows refuses to rename a directory that holds an open file.
  needs([], { also: posix })(`a directory renamed mid-stream, then ${how === 'abort' ? 'an abort' : 'a failing source'}: no scratch is left in the renamed directory, or err.scratch names it`, async (t) => {
    const root = freshDir()
    const logs = join(root, 'logs')
    const controller = new AbortController()
    let fail = (_e: Error): void => {}
    const failed = new Promise<never>((_, reject) => (fail = reject))
    const source = (async function* () {
      yield Buffer.from('{"partial": ')
      await failed
    })()
    const pending = new AtomicFile(join(logs, 'app.json')).withSignal(controller.signal).stream(source)
    while (!existsSync(logs) || scratchIn(logs).length === 0) await new Promise((r) => setTimeout(r, 5))
    renameSync(logs, join(root, 'logs.1'))
    if (how === 'abort') controller.abort()
    else fail(new Error('the producer died'))
    const err = (await t.throwsAsync(pending)) as Error & { scratch?: string }
    for (let i = 0; i < 40 && scratchIn(join(root, 'logs.1')).length > 0 && !err.scratch; i++) await new Promise((r) => setTimeout(r, 50))
    const left = scratchIn(join(root, 'logs.1'))
    t.log(`left in logs.1: ${JSON.stringify(left)}; err.scratch: ${err.scratch}`)
    if (left.length > 0) {
      t.truthy(err.scratch, 'a scratch left behind is named by err.scratch')
      t.true(existsSync(err.scratch!) && left.includes(basename(err.scratch!)), `err.scratch names the file that is there: ${err.scratch}`)
    }
    t.false(existsSync(join(root, 'logs.1', 'app.json')))
    t.deepEqual(readdirSync(root).sort(), ['logs.1'], 'no logs directory re-created')
  })
}

needs([], { also: gnuLinux })('directories renamed while publishes create them: every scratch left behind is named by an err.scratch', async (t) => {
  const dir = freshDir()
  // Moves a/ away and back; when a publish has made a new a/ meanwhile, the old one stays aside.
  const mover = spawn('sh', ['-c', 'n=0; while :; do n=$((n+1)); mv -T a b 2>/dev/null; mv -T b a 2>/dev/null || mv -T b old$n 2>/dev/null; done'], { cwd: dir, stdio: 'ignore' })
  const named = new Set<string>()
  let failures = 0
  try {
    for (let i = 0; i < 3000; i++) {
      try {
        new AtomicFile(join(dir, 'a', 'f')).withFsync(false).writeSync(`x${i}`)
      } catch (e) {
        failures++
        const scratch = (e as { scratch?: string }).scratch
        if (scratch) named.add(basename(scratch))
      }
    }
  } finally {
    mover.kill()
    await once(mover, 'exit')
  }
  const left = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((p) => p.includes('.oxentmp.'))
  t.log(`${failures} failed publishes, ${named.size} scratch files named, ${left.length} left`)
  t.deepEqual(left.filter((p) => !named.has(basename(p))), [], 'no scratch left that no error names')
})
