// Injected faults: every fault surfaces as a rejection or a thrown error with its code, never a
// crash, and leaves the target whole (old bytes, or new ones where the error says published)
// with no scratch. libfiu arms faults inside the running process; strace `-e inject` fails
// syscalls libfiu cannot single out (only the directory fsync).

import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { sweepOrphans } from 'atomic-publish'
import { freshDir, namesIn, needs, scratchIn } from './helpers.js'
import { hasLibfiu, runFaults } from './reliability/faults.js'

const withLibfiu = needs(['fiu-run'], { also: { ok: hasLibfiu(), what: 'libfiu' } })
const withStrace = needs(['strace'])
const TERMINALS = ['write', 'writeSync', 'stream', 'copyFrom', 'copyFromSync']

function injected(dir: string, terminal: string, straceArgs: string[]): Record<string, unknown> {
  const out = execFileSync('strace', ['-f', '-qq', '-o', '/dev/null', ...straceArgs, process.execPath, join(__dirname, 'fixtures', 'one-publish.js'), join(dir, 'target'), terminal, 'v2'], {
    encoding: 'utf8',
    env: { ...process.env, UV_USE_IO_URING: '0' },
  })
  return JSON.parse(out.trim().split('\n').at(-1) as string)
}

withLibfiu('libfiu: 48 rounds of faults in open, pwrite, short writes and fsync (seed 7)', (t) => {
  const summary = runFaults(48, 7)
  t.log(`rounds ${summary.rounds}, faults surfaced ${summary.faultsSurfaced}, published ${summary.published}, torn ${summary.torn}, scratch left ${summary.scratchLeft}, scratch reported by err.scratch ${summary.scratchReported}`)
  t.deepEqual(summary.problems, [])
  t.is(summary.torn, 0)
  t.is(summary.scratchLeft, 0)
  t.is(summary.wrongCode, 0)
  // The schedule is seeded: with seed 7, 24 of the 48 faults surface in every run, the others are
  // absorbed (a short write is retried). A fault armed `onetime` can still be spent by another
  // thread's call first, so the check is only that injection works at all, with room to spare.
  t.true(summary.faultsSurfaced >= summary.rounds / 4, `faults did fire: ${summary.faultsSurfaced} of ${summary.rounds}`)
})

withStrace('the directory fsync failing alone: the error says published, the new bytes are there', (t) => {
  for (const terminal of TERMINALS) {
    const dir = freshDir()
    writeFileSync(join(dir, 'target'), 'v1')
    const result = injected(dir, terminal, ['-P', dir, '-e', 'trace=fsync', '-e', 'inject=fsync:error=EIO'])
    t.like(result, { ok: false, code: 'EIO', syscall: 'fsync', published: true, path: join(dir, 'target') }, terminal)
    t.is(readFileSync(join(dir, 'target'), 'utf8'), 'v2', terminal)
    t.deepEqual(scratchIn(dir), [], terminal)
  }
})

withStrace('a failed rename whose clean-up unlink also fails: the rename error, with err.scratch for sweepOrphans', async (t) => {
  const dir = freshDir()
  writeFileSync(join(dir, 'target'), 'v1')
  const result = injected(dir, 'write', ['-e', 'trace=renameat,unlink', '-e', 'inject=renameat:error=EIO', '-e', 'inject=unlink:error=EIO'])
  t.like(result, { ok: false, code: 'EIO', syscall: 'rename', published: false })
  const scratch = result.scratch as string
  t.regex(scratch, /target\.oxentmp\.[A-Za-z0-9]{10}$/)
  t.true(existsSync(scratch), 'the scratch named is the one left')
  t.is(readFileSync(join(dir, 'target'), 'utf8'), 'v1')
  t.deepEqual(await sweepOrphans(dir, { olderThanMs: 0 }), [scratch])
  t.deepEqual(namesIn(dir), ['target'])
})

withStrace('first-call faults in every step of every terminal, one at a time', (t) => {
  const cases: Array<[string, string, string]> = [
    ['pwrite64', 'ENOSPC', 'write'],
    ['fsync', 'EIO', 'fsync'],
    ['renameat', 'EDQUOT', 'rename'],
  ]
  for (const terminal of ['write', 'writeSync', 'stream']) {
    for (const [call, code, syscall] of cases) {
      const dir = freshDir()
      writeFileSync(join(dir, 'target'), 'v1')
      const result = injected(dir, terminal, ['-e', `trace=${call}`, '-e', `inject=${call}:error=${code}`])
      t.like(result, { ok: false, code, syscall, published: false }, `${terminal}/${call}`)
      t.is(readFileSync(join(dir, 'target'), 'utf8'), 'v1')
      t.deepEqual(scratchIn(dir), [])
    }
  }
  const dir = freshDir()
  writeFileSync(join(dir, 'target'), 'v1')
  for (const terminal of ['copyFrom', 'copyFromSync']) {
    const result = injected(dir, terminal, ['-e', 'trace=copy_file_range', '-e', 'inject=copy_file_range:error=ENOSPC'])
    t.like(result, { ok: false, code: 'ENOSPC', published: false }, terminal)
    t.is(readFileSync(join(dir, 'target'), 'utf8'), 'v1')
    t.deepEqual(scratchIn(dir), [])
    unlinkSync(join(dir, 'target.src'))
  }
})
