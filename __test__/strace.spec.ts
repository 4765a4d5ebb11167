// Syscall order, checked with strace on every terminal (guarantees 1, 2 and 4), and a checker
// that is shown to reject broken writers.

import test from 'ava'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { checkConcurrentScratches, checkPublishes, parseTrace, traceCommand, uncoveredPublishes } from './reliability/trace.js'
import { freshDir, needs } from './helpers.js'

const withStrace = needs(['strace'])
const fixture = (name: string) => join(__dirname, 'fixtures', `${name}.js`)

for (const fsync of [true, false]) {
  withStrace(`every terminal follows the protocol with fsync ${fsync ? 'on' : 'off'}`, (t) => {
    const dir = freshDir()
    const calls = traceCommand([process.execPath, fixture('publish-each'), dir, fsync ? 'on' : 'off'], join(dir, 'trace.txt'))
    const publishes = checkPublishes(calls, fsync)
    const terminals = publishes.map((p) => p.target.split('/').at(-2)).sort()
    t.deepEqual(terminals, ['copyFrom', 'copyFromSync', 'copyFromVerified', 'stream', 'write', 'writeSync'])
    for (const p of publishes) t.deepEqual(p.problems, [], `${p.target}`)
  })
}

for (const level of ['full', 'file', 'none'] as const) {
  withStrace(`every terminal keeps exactly the steps of withDurability('${level}')`, (t) => {
    const dir = freshDir()
    const calls = traceCommand([process.execPath, fixture('publish-each'), dir, level], join(dir, 'trace.txt'))
    const publishes = checkPublishes(calls, level)
    t.is(publishes.length, 6)
    for (const p of publishes) t.deepEqual(p.problems, [], `${p.target}`)
  })
}

for (const level of ['full', 'file', 'none'] as const) {
  const promise = level === 'none' ? 'never hints writeback' : 'starts writeback of every 8 MiB while it is written, and still fsyncs after its last write'
  withStrace(`a 40 MiB stream, write and copyFrom at withDurability('${level}') ${promise}`, (t) => {
    const dir = freshDir()
    const calls = traceCommand([process.execPath, fixture('publish-long'), dir, level], join(dir, 'trace.txt'))
    for (const p of checkPublishes(calls, level)) t.deepEqual(p.problems, [], p.target)
    for (const terminal of ['stream', 'write', 'copyFrom']) {
      const inScratch = (c: { args: string }) => c.args.includes(`<${join(dir, terminal)}/`)
      const hints = calls.filter((c) => c.name === 'sync_file_range' && inScratch(c))
      if (level === 'none') {
        t.is(hints.length, 0, terminal)
        continue
      }
      const ranges = hints.map((c) => c.args.split(', ').slice(1, 3).map(Number))
      // Contiguous from the start, and nothing but the last few MiB left for the fsync.
      let end = 0
      for (const [offset, length] of ranges) {
        t.is(offset, end, `${terminal}: ${JSON.stringify(ranges)}`)
        end = offset + length
      }
      t.true(end >= 32 << 20, `${terminal}: hinted up to ${end}`)
      const fsync = calls.find((c) => c.name === 'fsync' && inScratch(c))
      t.truthy(fsync, `${terminal}: its scratch was fsynced`)
      t.true(hints.every((h) => h.index < fsync!.start), `${terminal}: every hint came before the fsync`)
    }
  })
}

withStrace('a call superseded by bytes of a weaker level resolves only once those bytes are fsynced', (t) => {
  const dir = freshDir()
  const target = join(dir, 'target')
  // Two run at once per target; the third ('file') waits and is superseded by the fourth.
  const levels = ['none', 'none', 'file', 'none']
  const calls = traceCommand([process.execPath, fixture('publish-mixed-levels'), target, ...levels], join(dir, 'trace.txt'))
  const stdout = calls.filter((c) => c.name === 'write' && c.args.startsWith('1<'))
  const results = JSON.parse(/\[\{.*\}\]/.exec(stdout.map((c) => c.args).join(''))?.[0]?.replaceAll('\\"', '"') ?? '[]') as Array<{ superseded: boolean }>
  t.true(results[2]?.superseded, 'the file-level call was superseded')
  const resolved = stdout.find((c) => c.args.includes('resolved 2 true'))
  t.truthy(resolved)
  const renamesOnto = calls.filter((c) => c.name.startsWith('rename') && c.result.startsWith('0') && c.args.endsWith(`"${target}"`) && c.index < resolved!.index)
  const winner = renamesOnto.at(-1)!
  const scratch = /"([^"]*\.oxentmp\.[^"]*)"/.exec(winner.args)?.[1] ?? '?'
  const synced = calls.some(
    (c) => c.name === 'fsync' && c.index < resolved!.start && ((c.args.includes(`<${scratch}>`) && c.index < winner.index) || (c.args.includes(`<${target}>`) && c.start > winner.index)),
  )
  t.true(synced, `the bytes that overtook it (${scratch}) were fsynced before it resolved`)
})

withStrace('the checker rejects each level’s publishes held to a stronger level', (t) => {
  const dir = freshDir()
  for (const level of ['none', 'file']) mkdirSync(join(dir, level))
  const none = traceCommand([process.execPath, fixture('publish-each'), join(dir, 'none'), 'none'], join(dir, 'none.txt'))
  for (const p of checkPublishes(none, 'file')) t.true(p.problems.includes('scratch not fsynced after its last write and before the rename'), p.target)
  const file = traceCommand([process.execPath, fixture('publish-each'), join(dir, 'file'), 'file'], join(dir, 'file.txt'))
  for (const p of checkPublishes(file, 'full')) t.true(p.problems.includes('directory not fsynced after the rename'), p.target)
  for (const p of checkPublishes(file, 'none')) t.true(p.problems.includes('fsync off, but the scratch was fsynced'), p.target)
})

withStrace('the checker rejects a writer with no directory fsync and one that fsyncs after the rename', (t) => {
  const dir = freshDir()
  const expected: Record<string, string> = {
    'no-dir-fsync': 'directory not fsynced after the rename',
    'fsync-after-rename': 'scratch not fsynced after its last write and before the rename',
  }
  for (const [mode, problem] of Object.entries(expected)) {
    const calls = traceCommand([process.execPath, fixture('broken-writer'), join(dir, mode), mode], join(dir, `${mode}.txt`))
    const [publish] = checkPublishes(calls, true)
    t.true(publish.problems.includes(problem), `${mode}: ${publish.problems.join('; ')}`)
  }
})

withStrace('32 concurrent publishes into one directory: each scratch fsynced before its rename, each publish covered by a directory fsync that began after its rename and ended before it resolved, and batches sharing those fsyncs', (t) => {
  const dir = freshDir()
  const calls = traceCommand([process.execPath, fixture('publish-concurrent'), dir, '32'], join(dir, 'trace.txt'), { UV_THREADPOOL_SIZE: '4' })
  const renames = calls.filter((c) => c.name.startsWith('rename') && c.args.includes('.oxentmp.'))
  const dirSyncs = calls.filter((c) => c.name === 'fsync' && c.args.includes(`<${dir}>`))
  t.log(`${renames.length} renames shared ${dirSyncs.length} directory fsyncs`)
  t.is(renames.length, 32)
  for (const p of checkConcurrentScratches(calls)) t.deepEqual(p.problems, [], p.target)
  t.deepEqual(uncoveredPublishes(calls, dir), [])
  // Four pool threads: the first four writes run alone (up to one fsync each), the other 28
  // wait and run as two batches of at most 16, one directory fsync per batch.
  t.true(dirSyncs.length <= 6, `${dirSyncs.length} directory fsyncs`)
  // Writeback is started early for the 28 batched scratches, never for the 4 that ran alone.
  t.is(calls.filter((c) => c.name === 'sync_file_range' && c.args.includes('.oxentmp.')).length, 28)
})

test('the coverage check rejects a publish that resolved before any directory fsync began after its rename', (t) => {
  const trace = [
    '10 rename("/d/t.oxentmp.AAAAAAAAAA", "/d/t") = 0',
    '11 fsync(5</d>) <unfinished ...>',
    '10 write(1, "resolved /d/t\\n", 14) = 14',
    '11 <... fsync resumed>) = 0',
  ].join('\n')
  t.deepEqual(uncoveredPublishes(parseTrace(trace), '/d'), ['/d/t'])
  const good = trace.replace('10 write(1', '12 write(1').split('\n')
  t.deepEqual(uncoveredPublishes(parseTrace([good[0], good[1], good[3], good[2]].join('\n')), '/d'), [])
})
