// Guarantee 7: publishes to one target commit in call order, the last call wins, whatever
// mix of calls and sizes; across processes every reader sees a whole version.

import test from 'ava'
import { execFile, spawn } from 'node:child_process'
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { AtomicFile, type PublishResult } from 'atomic-publish'
import { freshDir, namesIn, needs, notUnderWine, posix } from './helpers.js'

const fixture = (name: string) => join(__dirname, 'fixtures', `${name}.js`)

function payload(i: number): Buffer {
  // Earlier calls are much larger, so they would finish last without ordering.
  const size = i === 99 ? 10 : (100 - i) * 40_000
  return Buffer.alloc(size, `call ${i};`)
}

test('100 concurrent publishes of varied sizes to one target: the last call wins, five rounds', async (t) => {
  for (let round = 0; round < 5; round++) {
    const dir = freshDir()
    const target = join(dir, 'contested')
    const calls: Array<Promise<PublishResult> | PublishResult> = []
    for (let i = 0; i < 100; i++) {
      const file = new AtomicFile(target)
      if (i % 10 === 3) calls.push(file.writeSync(payload(i)))
      else if (i % 10 === 7) calls.push(file.stream((async function* () { yield payload(i) })()))
      else calls.push(file.write(payload(i)))
    }
    const results = await Promise.all(calls)
    t.true(readFileSync(target).equals(payload(99)), `round ${round}: the last call's bytes`)
    t.deepEqual(namesIn(dir), ['contested'])
    t.false(results[99].superseded === true, 'the last call is never superseded')
    if (round === 0) t.log(`${results.filter((r) => r.superseded).length} of 100 calls were superseded`)
  }
})

needs([], { also: posix })('two spellings of one file (a symlink and its target) are one target', async (t) => {
  const dir = freshDir()
  mkdirSync(join(dir, 'real'))
  writeFileSync(join(dir, 'real', 'f'), 'old')
  symlinkSync('real/f', join(dir, 'link'))
  const first = new AtomicFile(join(dir, 'real', 'f')).write(Buffer.alloc(8 << 20, 1))
  const second = new AtomicFile(join(dir, 'link')).write('via the link, last')
  await Promise.all([first, second])
  t.is(readFileSync(join(dir, 'real', 'f'), 'utf8'), 'via the link, last')
})

test('a superseded publish still gets its own hash check and error', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'f')
  const bad = new AtomicFile(target).withHash('1').write(Buffer.alloc(4 << 20))
  const good = new AtomicFile(target).write('last')
  await t.throwsAsync(bad, { code: 'ERR_HASH_MISMATCH' })
  await good
  t.is(readFileSync(target, 'utf8'), 'last')
})

needs([], { also: notUnderWine('a rename over a file another process reads: Wine lacks FileRenameInfoEx') })('two processes publishing 300 versions each while a third reads: every read is a whole version', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'shared')
  const stop = join(dir, 'stop')
  const run = promisify(execFile)
  const reader = spawn(process.execPath, [fixture('version-reader'), target, stop])
  let out = ''
  reader.stdout.on('data', (d) => (out += d))
  const readerDone = new Promise((r) => reader.on('close', r))
  // The writers start once the reader reads, however long a loaded machine takes to start it.
  await new Promise<void>((r) => reader.stdout.on('data', function started() {
    if (!out.includes('reading\n')) return
    reader.stdout.off('data', started)
    r()
  }))
  await Promise.all([
    run(process.execPath, [fixture('version-writer'), target, 'A', '300']),
    run(process.execPath, [fixture('version-writer'), target, 'B', '300']),
  ])
  writeFileSync(stop, '')
  await readerDone
  const { whole, torn, examples } = JSON.parse(out.trim().split('\n').at(-1) as string)
  t.log(`${whole} reads, all whole versions; torn: ${torn}`)
  t.is(torn, 0, `torn reads: ${examples.join(' | ')}`)
  t.true(whole > 0)
  t.regex(readFileSync(target).subarray(0, 6).toString(), /^[AB] 299 /, 'each writer ends on its own last version')
  t.deepEqual(namesIn(dir).filter((n) => n.includes('.oxentmp.')), [])
})
