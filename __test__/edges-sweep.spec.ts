// The Orphans section against other processes and odd trees: a sweep racing the creation of
// live scratch files with olderThanMs 0, a recursive sweep that meets a directory
// it cannot enter or a tree deeper than PATH_MAX.

import test from 'ava'
import { execFileSync, spawn } from 'node:child_process'
import { chownSync } from 'node:fs'
import { join } from 'node:path'
import { sweepOrphans } from 'atomic-publish'
import { freshDir, isRoot, needs, otherUserReachesTmp, posixOnly, runChild } from './helpers.js'

test('a sweep with olderThanMs 0 racing another process publishing never takes a live scratch', async (t) => {
  const dir = freshDir()
  const child = spawn(process.execPath, [join(__dirname, 'fixtures', 'edges-input-child.js'), 'publish-loop', dir], { stdio: ['ignore', 'pipe', 'inherit'] })
  let stdout = ''
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
  // 'close', not 'exit': 'exit' can come before the last of stdout has been read.
  const exited = new Promise<number | null>((r) => child.once('close', r))
  let running = true
  void exited.then(() => (running = false))
  let sweeps = 0
  let swept = 0
  while (running) {
    swept += (await sweepOrphans(dir, { olderThanMs: 0 })).length
    sweeps++
  }
  t.is(await exited, 0)
  const out = JSON.parse(stdout.trim().split('\n').at(-1)!) as { published: number; failures: Record<string, number>; examples: string[] }
  t.log(`${out.published} publishes against ${sweeps} sweeps (${swept} files swept); failures: ${JSON.stringify(out.failures)} ${out.examples.join('; ')}`)
  t.true(out.published > 100, 'the race ran')
  t.deepEqual(out.failures, {}, 'no publish lost its scratch to the sweeper')
})

const nonRoot = needs(isRoot ? ['runuser'] : [], { also: [otherUserReachesTmp, posixOnly('directory permissions (chmod 000)')] })
nonRoot('a recursive sweep that cannot enter one subdirectory sweeps the rest, and its failure names that subdirectory', (t) => {
  const dir = freshDir()
  const user = isRoot ? 'nobody' : undefined
  if (user) chownSync(dir, Number(execFileSync('id', ['-u', user], { encoding: 'utf8' })), Number(execFileSync('id', ['-g', user], { encoding: 'utf8' })))
  const run = runChild<{ outcome: string; code?: string; orphanLeft: boolean; errorPath?: string }>('edges-input-child', ['sweep-unenterable', dir], { user })
  t.is(run.status, 0, run.stderr.slice(-400))
  const out = run.out!
  t.log(JSON.stringify(out))
  t.false(out.orphanLeft, 'the orphan in the directory it could enter was swept')
  if (out.outcome !== 'resolved') t.is(out.errorPath, join(dir, 'a-locked'), 'the failure names the subdirectory, not the top')
})

needs(['bash', 'find', 'touch'], { also: posixOnly('paths longer than PATH_MAX (MAX_PATH on Windows)') })('a recursive sweep reaches an orphan deeper than PATH_MAX', async (t) => {
  const dir = freshDir()
  const part = 'd'.repeat(200)
  // 30 levels of 201 bytes: about 6 KiB, past PATH_MAX (4 KiB); built relative, as no path could.
  execFileSync('bash', ['-c', `cd "$1" && for i in $(seq 30); do mkdir ${part} && cd ${part}; done && echo orphan > x.txt.oxentmp.abc123DEF4 && touch -d '1 hour ago' x.txt.oxentmp.abc123DEF4`, 'bash', dir])
  const found = () => execFileSync('find', [dir, '-name', '*.oxentmp.*'], { encoding: 'utf8' }).trim()
  t.not(found(), '', 'the deep orphan is there')
  await t.notThrowsAsync(sweepOrphans(dir, { olderThanMs: 1000, recursive: true }))
  t.is(found(), '', 'and it was swept')
  execFileSync('rm', ['-rf', dir])
})
