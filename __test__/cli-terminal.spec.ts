// What the command line shows a person: its version, a progress line in pv's format (human
// units, rate, ETA) on a terminal only, a hint when `write` waits on a terminal, flags named
// as flags, and paths as they were typed (the directory, when creating it fails).

import test from 'ava'
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { formatBytes, formatDuration, ProgressLine, renderProgress } from '../js/progress-line.js'
import { freshDir, isRoot, linuxOnly, namesIn, needs, xorshiftBytes } from './helpers.js'

const ROOT = join(__dirname, '..', '..')
const CLI = join(ROOT, 'cli.js')
const FAKE_TTY = join(__dirname, 'fixtures', 'fake-tty.js')

function run(args: string[], opts: { input?: string | Buffer; tty?: string; cwd?: string } = {}) {
  const nodeArgs = opts.tty ? ['--require', FAKE_TTY] : []
  const r = spawnSync(process.execPath, [...nodeArgs, CLI, ...args], {
    input: opts.input ?? '',
    cwd: opts.cwd,
    env: { ...process.env, FAKE_TTY: opts.tty ?? '' },
    timeout: 120_000,
  })
  return { code: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() }
}

test('--version and -V print the package version', (t) => {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }
  for (const flag of ['--version', '-V']) {
    const r = run([flag])
    t.is(r.code, 0, r.stderr)
    t.is(r.stdout, `${version}\n`, flag)
  }
})

test('progress renderer: binary units, one decimal below 100', (t) => {
  t.is(formatBytes(0), '0 B')
  t.is(formatBytes(1023), '1023 B')
  t.is(formatBytes(1023.6), '1.0 KiB', 'a fractional rate just under 1 KiB is not shown as 1024 B')
  t.is(formatBytes(1024), '1.0 KiB')
  t.is(formatBytes(1.2 * 2 ** 30), '1.2 GiB')
  t.is(formatBytes(312 * 2 ** 20), '312 MiB')
  t.is(formatBytes(99.96 * 2 ** 20), '100 MiB')
  t.is(formatBytes(1023.99 * 2 ** 10), '1.0 MiB')
  t.is(formatDuration(0.2), '0:01')
  t.is(formatDuration(61), '1:01')
  t.is(formatDuration(3600 + 62), '1:01:02')
})

test("progress renderer: pv's line, with rate and ETA from the counts and the time elapsed", (t) => {
  // 1.2 GiB of 1.5 GiB in 3.94 s: 312 MiB/s, and 0.3 GiB left at that rate is about 1 s.
  const total = 1.5 * 2 ** 30
  const bytes = 1.2 * 2 ** 30
  const elapsedMs = (bytes / (312 * 2 ** 20)) * 1000
  t.is(renderProgress({ bytes, total, elapsedMs }), '1.2 GiB / 1.5 GiB  312 MiB/s  ETA 0:01')
  t.is(renderProgress({ bytes: 5 << 20, elapsedMs: 1000 }), '5.0 MiB  5.0 MiB/s', 'no total: no ETA')
  t.is(renderProgress({ bytes: 0, total: 100, elapsedMs: 0 }), '0 B / 100 B  -- B/s  ETA -:--', 'no rate yet')
  t.is(renderProgress({ bytes: 100, total: 100, elapsedMs: 50 }), '100 B / 100 B  2.0 KiB/s  ETA 0:00')
})

test('progress line: redrawn in place on its stream, ended with a newline, with an injected clock', (t) => {
  const written: string[] = []
  let now = 1000
  const line = new ProgressLine({ write: (text: string) => written.push(text) }, 4 << 20, () => now)
  now += 1000
  line.update(1 << 20)
  now += 1000
  line.update(4 << 20)
  line.stop()
  t.deepEqual(written, ['\r1.0 MiB / 4.0 MiB  1.0 MiB/s  ETA 0:03\u001b[K', '\r4.0 MiB / 4.0 MiB  2.0 MiB/s  ETA 0:00\u001b[K', '\n'])
  const silent: string[] = []
  new ProgressLine({ write: (text: string) => silent.push(text) }, undefined).stop()
  t.deepEqual(silent, [], 'nothing drawn, nothing to end')
})

test('cp on a terminal shows the progress line in human units; piped, nothing', (t) => {
  const dir = freshDir()
  const size = 80 << 20
  writeFileSync(join(dir, 'big'), xorshiftBytes(size))
  const tty = run(['cp', join(dir, 'big'), join(dir, 'copy')], { tty: 'stderr' })
  t.is(tty.code, 0, tty.stderr)
  // The last line drawn is the total, whatever the machine's speed.
  t.regex(tty.stderr, /\r80\.0 MiB \/ 80\.0 MiB {2}(\d+(\.\d)? [KMGT]?i?B|-- B)\/s {2}ETA 0:00\u001b\[K\n$/)
  t.notRegex(tty.stderr, /\d{6,}/, 'no raw byte counts')
  const piped = run(['cp', join(dir, 'big'), join(dir, 'copy2')])
  t.is(piped.code, 0, piped.stderr)
  t.is(piped.stderr, '')
})

test('write on a terminal: a one-line hint when stdin is a terminal, the progress line on stderr', (t) => {
  const dir = freshDir()
  const target = join(dir, 'out')
  const r = run(['write', target], { input: 'hello', tty: 'stdin,stderr' })
  t.is(r.code, 0, r.stderr)
  t.is(readFileSync(target, 'utf8'), 'hello')
  const lines = r.stderr.split('\n')
  t.regex(lines[0], /^atomic-publish: reading standard input from the terminal; end it with Ctrl-D/)
  t.regex(r.stderr, /\r5 B \/ 5 B {2}.*ETA 0:00\u001b\[K\n$/)
  const piped = run(['write', join(dir, 'quiet')], { input: 'hello' })
  t.is(piped.stderr, '', 'no hint and no progress when nothing is a terminal')
})

test('errors name the flag the user typed: --hash, not the API argument', (t) => {
  const dir = freshDir()
  for (const args of [['write', join(dir, 'x'), '--hash', 'zz'], ['cp', join(dir, 'a'), join(dir, 'b'), '--hash', 'zz']]) {
    const r = run(args, { input: 'data' })
    t.is(r.code, 2, r.stderr)
    t.regex(r.stderr, /'--hash' must be 1 to 32 hexadecimal digits/)
    t.notRegex(r.stderr, /expected/)
  }
  t.deepEqual(namesIn(dir), [])
})

test('paths in errors as typed: a relative target is not made absolute', (t) => {
  const dir = freshDir()
  const r = run(['write', 'out', '--hash', '0123'], { input: 'data', cwd: dir })
  t.is(r.code, 1)
  t.regex(r.stderr, /nothing was published to 'out'\n$/)
  t.false(r.stderr.includes(dir), r.stderr)
  const missing = run(['cp', 'absent', 'copy'], { cwd: dir })
  t.is(missing.code, 1)
  t.regex(missing.stderr, /ENOENT.*'absent'/)
  t.false(missing.stderr.includes(dir), missing.stderr)
  t.deepEqual(namesIn(dir), [])
})

// Creating a directory under /proc fails for root too; under a read-only directory, only for
// a user the permissions bind.
const procDir = needs([], { also: linuxOnly('/proc, where no one may create a directory') })
procDir('a failed mkdir names the directory it tried to create, as typed', (t) => {
  const absolute = run(['write', '/proc/atomic-publish-absent/sub/t'], { input: 'data' })
  t.is(absolute.code, 1, absolute.stderr)
  t.regex(absolute.stderr, /mkdir '\/proc\/atomic-publish-absent'\n$/)
  const relative = run(['write', 'atomic-publish-absent/sub/t'], { input: 'data', cwd: '/proc' })
  t.is(relative.code, 1, relative.stderr)
  t.regex(relative.stderr, /mkdir 'atomic-publish-absent'\n$/)
  t.log(isRoot ? 'as root' : 'as a plain user')
})
