// The command line in a shell pipeline: an empty standard input is not a publish,
// a closed stdout ends the command quietly, and --mtime takes ISO 8601 or nanoseconds only.

import test from 'ava'
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { freshDir, needs, posixOnly } from './helpers.js'

const CLI = join(__dirname, '..', '..', 'cli.js')

function run(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { input: Buffer.from(input ?? '') })
  return { code: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() }
}

test('write refuses an empty standard input (a failed producer) and leaves the target', (t) => {
  const dir = freshDir()
  const target = join(dir, 'config.json')
  writeFileSync(target, '{"x": 1}')
  const r = run(['write', target], '')
  t.not(r.code, 0, 'an empty input is refused')
  t.is(r.stderr.trim().split('\n').length, 1, `one clear line: ${r.stderr}`)
  t.is(readFileSync(target, 'utf8'), '{"x": 1}')
})

test('write --allow-empty publishes an empty input', (t) => {
  const dir = freshDir()
  const target = join(dir, 'empty')
  const r = run(['write', target, '--allow-empty'], '')
  t.is(r.code, 0, r.stderr)
  t.is(statSync(target).size, 0)
})

needs([], { also: posixOnly('shell pipelines (bash, head)') })('hash into a closed pipe (| head -c1) ends quietly, with no stack trace', (t) => {
  const dir = freshDir()
  const file = join(dir, 'f')
  writeFileSync(file, 'data')
  // Enough lines to overflow the pipe once head has gone.
  const files = Array(4000).fill(file)
  const r = spawnSync('bash', ['-c', `"${process.execPath}" "${CLI}" hash "$@" | head -c1 >/dev/null`, 'bash', ...files], { encoding: 'utf8' })
  t.is(r.stderr, '', 'nothing on stderr')
})

for (const value of ['1.5', 'foo 2001', '2020/01/02']) {
  test(`--mtime '${value}' is bad usage (exit 2), not whatever Date.parse makes of it`, (t) => {
    const dir = freshDir()
    const r = run(['write', join(dir, 't'), '--mtime', value], 'data')
    t.is(r.code, 2, `exit ${r.code}: ${r.stderr}`)
    t.false(existsSync(join(dir, 't')))
  })
}
