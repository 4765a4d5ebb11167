// The command line's option grammars: --mtime (ISO 8601 or nanoseconds), --older-than, --mode,
// --hash. Every bad or out-of-range value is bad usage (exit 2, one line), never a crash.

import test from 'ava'
import { spawnSync } from 'node:child_process'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseDuration, parseMode, parseMtime } from '../js/cli-args.js'
import { freshDir, namesIn, needs, posixOnly } from './helpers.js'

const CLI = join(__dirname, '..', '..', 'cli.js')
const NS = 1_000_000n

function run(args: string[], input = 'new') {
  const r = spawnSync(process.execPath, [CLI, ...args], { input })
  return { code: r.status, signal: r.signal, stdout: r.stdout.toString(), stderr: r.stderr.toString() }
}

test('--mtime: a date alone is midnight UTC', (t) => {
  t.is(parseMtime('2024-01-02'), BigInt(Date.UTC(2024, 0, 2)) * NS)
  t.is(parseMtime('2024-02-29'), BigInt(Date.UTC(2024, 1, 29)) * NS)
  t.is(parseMtime('0001-01-01'), BigInt(new Date('0001-01-01T00:00:00Z').getTime()) * NS)
})

test('--mtime: a date-time with Z or an offset, its fraction kept to the nanosecond', (t) => {
  t.is(parseMtime('2024-01-02T03:04:05Z'), BigInt(Date.UTC(2024, 0, 2, 3, 4, 5)) * NS)
  t.is(parseMtime('2024-01-02T03:04Z'), BigInt(Date.UTC(2024, 0, 2, 3, 4)) * NS)
  t.is(parseMtime('2024-01-02T03:04:05.123456789+02:00'), BigInt(Date.UTC(2024, 0, 2, 1, 4, 5)) * NS + 123_456_789n)
  t.is(parseMtime('2024-01-02T03:04:05.5-01:30'), BigInt(Date.UTC(2024, 0, 2, 4, 34, 5)) * NS + 500_000_000n)
  t.is(parseMtime('1969-12-31T23:59:59.999999999Z'), -1n)
})

test('--mtime: a plain integer is nanoseconds since the epoch, exactly, even when it looks like a year', (t) => {
  t.is(parseMtime('1700000000123456789'), 1_700_000_000_123_456_789n)
  t.is(parseMtime('0'), 0n)
  t.is(parseMtime('2020'), 2020n, 'a year alone is not an ISO date here: write 2020-01-01')
})

test('--mtime: anything else is refused, whatever Date.parse would make of it', (t) => {
  for (const text of [
    '1.5',
    'foo 2001',
    'yesterday',
    '',
    ' 2024-01-02',
    '2024-1-2',
    '2024-02-30',
    '2023-02-29',
    '2024-13-01',
    '2024-01-02T03:04:05',
    '2024-01-02 03:04:05Z',
    '2024-01-02T24:00:00Z',
    '2024-01-02T03:60:00Z',
    '2024-01-02T03:04:60Z',
    '2024-01-02T03:04:05.Z',
    '2024-01-02T03:04:05.1234567890Z',
    '2024-01-02T03:04:05+24:00',
    '2024-01-02T03:04:05+0200',
    'Tue, 02 Jan 2024 03:04:05 GMT',
    '1e9',
    '0x10',
  ]) {
    const err = t.throws(() => parseMtime(text), undefined, JSON.stringify(text))
    t.is((err as { code?: string }).code, 'ERR_INVALID_ARG_VALUE', JSON.stringify(text))
  }
})

test('--mtime: nanoseconds beyond what a Date can hold are out of range', (t) => {
  const max = 8_640_000_000_000_000n * NS
  t.is(parseMtime(String(max)), max)
  for (const text of [String(max + 1n), '9'.repeat(400)]) {
    const err = t.throws(() => parseMtime(text))
    t.is((err as { code?: string }).code, 'ERR_OUT_OF_RANGE', text.slice(0, 20))
  }
})

test('--older-than: units and plain milliseconds', (t) => {
  t.is(parseDuration('500ms'), 500)
  t.is(parseDuration('60s'), 60_000)
  t.is(parseDuration('5m'), 300_000)
  t.is(parseDuration('2h'), 7_200_000)
  t.is(parseDuration('1d'), 86_400_000)
  t.is(parseDuration('1.5s'), 1500)
  t.is(parseDuration('0'), 0)
  t.is(parseDuration('100000000d'), 8.64e15, 'the largest span a Date can express')
  for (const text of ['', '5 minutes', '-1s', '1e400', '1e3', 's', '5x', '.5s', 'Infinity', 'NaN']) {
    const err = t.throws(() => parseDuration(text), undefined, text)
    t.is((err as { code?: string }).code, 'ERR_INVALID_ARG_VALUE', text)
  }
  for (const text of ['100000001d', '8640000000000001', '99999999999999999999d', `${'9'.repeat(400)}ms`]) {
    const err = t.throws(() => parseDuration(text), undefined, text)
    t.is((err as { code?: string }).code, 'ERR_OUT_OF_RANGE', text.slice(0, 30))
  }
})

test('--mode: octal 0 to 7777 only', (t) => {
  t.is(parseMode('644'), 0o644)
  t.is(parseMode('0644'), 0o644)
  t.is(parseMode('0o4755'), 0o4755)
  t.is(parseMode('7777'), 0o7777)
  t.is(parseMode('0'), 0)
  for (const text of ['', '8', '-1', '10000', '77777', '1e3', '0x1ff', '0o', 'rw-r--r--', '6 44']) {
    const err = t.throws(() => parseMode(text), undefined, text)
    t.is((err as { code?: string }).code, 'ERR_INVALID_ARG_VALUE', text)
  }
})

needs([], { also: posixOnly('nanosecond file times (Windows keeps 100 ns)') })('the CLI stamps an ISO --mtime to the nanosecond', (t) => {
  const dir = freshDir()
  const target = join(dir, 'a')
  const r = run(['write', target, '--mtime', '2024-01-02T03:04:05.123456789+02:00'])
  t.is(r.code, 0, r.stderr)
  t.is(statSync(target, { bigint: true }).mtimeNs, BigInt(Date.UTC(2024, 0, 2, 1, 4, 5)) * NS + 123_456_789n)
})

test('the CLI: an --mtime the file system cannot store is a failure (exit 1), not bad usage, and publishes nothing', (t) => {
  const dir = freshDir()
  const target = join(dir, 't')
  writeFileSync(target, 'old')
  // 2500 is valid ISO 8601; whether it can be stored is the file system's answer (ext4: no).
  const r = run(['write', target, '--mtime', '2500-01-01T00:00:00Z'], 'new')
  if (r.code === 0) {
    t.is(statSync(target, { bigint: true }).mtimeNs, BigInt(Date.UTC(2500, 0, 1)) * NS, 'stored exactly where it is stored')
    return
  }
  t.is(r.code, 1, r.stderr)
  t.regex(r.stderr, /cannot store/)
  t.notRegex(r.stderr, /--help/)
  t.is(readFileSync(target, 'utf8'), 'old')
  t.deepEqual(namesIn(dir), ['t'])
})

test('the CLI: every bad or out-of-range option value is bad usage, one line, nothing on disk changed', (t) => {
  const dir = freshDir()
  const target = join(dir, 't')
  writeFileSync(target, 'old')
  const cases: string[][] = [
    ['--mtime', '1.5'],
    ['--mtime', 'foo 2001'],
    ['--mtime', '2024-01-02T03:04:05'],
    ['--mtime', '9'.repeat(30)],
    ['--mode', '8'],
    ['--mode', '77777'],
    ['--mode', '1e3'],
    ['--hash', ''],
    ['--hash', 'g'],
    ['--hash', '0'.repeat(33)],
  ]
  for (const option of cases) {
    const r = run(['write', target, ...option])
    const label = option.join(' ').slice(0, 40)
    t.is(r.code, 2, `${label}: ${r.stderr}`)
    t.is(r.signal, null, label)
    t.regex(r.stderr, /^atomic-publish: .*'atomic-publish write --help'.*\n$/, label)
    t.is(r.stderr.split('\n').length, 2, `${label}: one line`)
  }
  t.is(readFileSync(target, 'utf8'), 'old')
  t.deepEqual(namesIn(dir), ['t'])
})

test('the CLI: absurd --older-than values are refused with exit 2, never an abort', (t) => {
  const dir = freshDir()
  for (const value of ['99999999999999999999d', '1e400', '100000001d', '=-5s']) {
    const r = run(['sweep', dir, ...(value.startsWith('=') ? [`--older-than${value}`] : ['--older-than', value])])
    t.is(r.signal, null, value)
    t.is(r.code, 2, `${value}: ${r.stderr}`)
    t.is(r.stderr.split('\n').length, 2, `${value}: one line`)
    t.regex(r.stderr, /--older-than/, value)
  }
  const r = run(['sweep', dir, '--older-than', '100000000d'])
  t.is(r.code, 0, r.stderr)
})

test('the CLI: a value that starts with a dash, given apart, is bad usage told in real lines', (t) => {
  const dir = freshDir()
  const target = join(dir, 't')
  writeFileSync(target, 'old')
  const cases: [string[], string][] = [
    [['write', target, '--mtime', '-1'], '--mtime'],
    [['sweep', dir, '--older-than', '-1s'], '--older-than'],
  ]
  for (const [args, option] of cases) {
    const r = run(args)
    t.is(r.code, 2, r.stderr)
    t.false(r.stderr.includes('\\n'), `no escaped newline: ${r.stderr}`)
    const lines = r.stderr.split('\n')
    t.is(lines.pop(), '', 'ends with a newline')
    t.true(lines.length >= 2, `several real lines: ${r.stderr}`)
    t.regex(lines[0], new RegExp(`^atomic-publish: .*'${option}'`))
    // The parser's advice on how to pass such a value is one line of its own.
    t.true(lines.some((line) => line.includes(`'${option}=-XYZ'`)), r.stderr)
  }
  t.is(readFileSync(target, 'utf8'), 'old')
  t.deepEqual(namesIn(dir), ['t'])
})

test('--mtime: a negative number of nanoseconds is refused, as `--mtime -1` is; a date before 1970 is ISO', (t) => {
  for (const text of ['-1', '-0', String(-8_640_000_000_000_000n * NS)]) {
    const err = t.throws(() => parseMtime(text), undefined, text)
    t.is((err as { code?: string }).code, 'ERR_INVALID_ARG_VALUE', text)
  }
  t.is(parseMtime('1969-12-31T23:59:59.999999999Z'), -1n)
  const dir = freshDir()
  const target = join(dir, 't')
  writeFileSync(target, 'old')
  for (const args of [['--mtime=-1'], ['--mtime', '-1']]) {
    const r = run(['write', target, ...args], 'new')
    t.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
    t.regex(r.stderr, /--mtime/)
  }
  t.is(readFileSync(target, 'utf8'), 'old')
  t.deepEqual(namesIn(dir), ['t'])
})

test('the CLI: a typed command or option name with control characters is echoed escaped, on one line', (t) => {
  const dir = freshDir()
  const target = join(dir, 't')
  writeFileSync(target, 'old')
  const cases: [string[], string][] = [
    [['bo\ngus'], "unknown command 'bo\\ngus'"],
    [['write', target, '--a\nb'], "'--a\\nb'"],
    [['write', target, '--a\rforged=1'], "'--a\\rforged'"],
    [['sweep', dir, '--x\u001b[2J'], "'--x\\x1b[2J'"],
    [['hash', '-\n'], "Unknown option '-\\'"],
  ]
  for (const [args, shown] of cases) {
    const r = run(args)
    t.is(r.code, 2, r.stderr)
    t.true(r.stderr.includes(shown), `${JSON.stringify(args)}: ${r.stderr}`)
    t.false(/[\r\u001b]/.test(r.stderr), `no raw control character: ${JSON.stringify(r.stderr)}`)
    for (const line of r.stderr.split('\n').slice(0, -1)) t.false(/gus|^b'|forged=/.test(line.slice(0, 4)), `no line starts with the typed tail: ${line}`)
    t.is(r.stderr.split('\n')[0].startsWith('atomic-publish: '), true)
  }
  t.is(readFileSync(target, 'utf8'), 'old')
})
