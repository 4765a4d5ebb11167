// The command line, driven as a user would: pipes, files, exit codes, bad usage, --help.

import test from 'ava'
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { freshDir, hashReferenceName, namesIn, needs, posixOnly, referenceHash, referenceHashLines, xorshiftBytes } from './helpers.js'

const CLI = join(__dirname, '..', '..', 'cli.js')

function run(args: string[], input?: string | Buffer) {
  const r = spawnSync(process.execPath, [CLI, ...args], { input: typeof input === 'string' ? Buffer.from(input) : input })
  return { code: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() }
}

test('write: standard input to an atomic, verified publish', async (t) => {
  const dir = freshDir()
  const target = join(dir, 'out', 'data.bin')
  const data = xorshiftBytes(300_000)
  const ok = run(['write', target], data)
  t.is(ok.code, 0, ok.stderr)
  t.true(readFileSync(target).equals(data))
  const hash = await referenceHash(target)
  t.is(run(['write', target, '--hash', hash.toUpperCase()], data).code, 0)
  const bad = run(['write', target, '--hash', 'deadbeef'], Buffer.from('other bytes'))
  t.is(bad.code, 1)
  t.is(bad.stderr.trim().split('\n').length, 1, 'one clear line on stderr')
  t.regex(bad.stderr, /^atomic-publish: XXH3-128 of the data is [0-9a-f]{32}, expected 0+deadbeef/)
  t.true(readFileSync(target).equals(data), 'a mismatch publishes nothing')
  t.deepEqual(namesIn(join(dir, 'out')), ['data.bin'])
})

needs([], { also: posixOnly('file modes (Windows has a read-only bit)') })('write: --mtime (ISO and ns), --mode and --no-fsync', (t) => {
  const dir = freshDir()
  t.is(run(['write', join(dir, 'a'), '--mtime', '2024-05-06T07:08:09.123Z', '--mode', '640'], 'a').code, 0)
  t.is(statSync(join(dir, 'a')).mtimeMs, Date.parse('2024-05-06T07:08:09.123Z'))
  t.is(statSync(join(dir, 'a')).mode & 0o7777, 0o640)
  t.is(run(['write', join(dir, 'b'), '--mtime', '1700000000123456789', '--no-fsync'], 'b').code, 0)
  t.is(statSync(join(dir, 'b'), { bigint: true }).mtimeNs, 1_700_000_000_123_456_789n)
})

test('cp: copies a file into place, verified with --hash', async (t) => {
  const dir = freshDir()
  writeFileSync(join(dir, 'src'), 'copy me')
  const hash = await referenceHash(join(dir, 'src'))
  t.is(run(['cp', join(dir, 'src'), join(dir, 'dst'), '--hash', hash]).code, 0)
  t.is(readFileSync(join(dir, 'dst'), 'utf8'), 'copy me')
  const missing = run(['cp', join(dir, 'nope'), join(dir, 'dst2')])
  t.is(missing.code, 1)
  t.is(missing.stderr, `atomic-publish: ENOENT: no such file or directory, open '${join(dir, 'nope')}'\n`)
})

test('hash: output byte-identical to xxhsum -H2, files and stdin', async (t) => {
  t.log(`reference: ${hashReferenceName}`)
  const dir = freshDir()
  const files = [0, 1, 17, 241, 70_000].map((n) => {
    const f = join(dir, `f${n}.bin`)
    writeFileSync(f, xorshiftBytes(n, n + 1))
    return f
  })
  const ours = run(['hash', ...files])
  t.is(ours.code, 0)
  t.is(ours.stdout, await referenceHashLines(files))
  const piped = run(['hash', '-'], 'from a pipe')
  t.is(piped.stdout, await referenceHashLines(['-'], 'from a pipe'))
  const partial = run(['hash', files[0], join(dir, 'missing'), files[1]])
  t.is(partial.code, 1, 'an unreadable file fails the run')
  t.is(partial.stdout.split('\n').filter(Boolean).length, 2, 'the other files are still hashed')
  t.regex(partial.stderr, /ENOENT/)
})

test('sweep: --older-than, --recursive, --dry-run', (t) => {
  const dir = freshDir()
  mkdirSync(join(dir, 'sub'))
  const old = new Date('2001-01-01')
  for (const f of ['a.oxentmp.aaaaaaaaaa', 'sub/b.oxentmp.bbbbbbbbbb']) {
    writeFileSync(join(dir, f), 'x')
    utimesSync(join(dir, f), old, old)
  }
  writeFileSync(join(dir, 'young.oxentmp.cccccccccc'), 'x')
  const dry = run(['sweep', dir, '--recursive', '--dry-run'])
  t.is(dry.code, 0)
  t.deepEqual(dry.stdout.trim().split('\n').sort(), [join(dir, 'a.oxentmp.aaaaaaaaaa'), join(dir, 'sub', 'b.oxentmp.bbbbbbbbbb')])
  t.is(run(['sweep', dir]).stdout, `${join(dir, 'a.oxentmp.aaaaaaaaaa')}\n`)
  t.is(run(['sweep', dir, '--older-than', '0ms', '--recursive']).stdout.trim().split('\n').length, 2)
  t.deepEqual(namesIn(dir), ['sub'])
})

needs([], { also: posixOnly('file names as bytes (Windows names are UTF-16)') })('sweep prints a name that is not UTF-8 as its bytes, and liboxen\'s 6-character scratch', (t) => {
  const dir = freshDir()
  const old = new Date('2001-01-01')
  const bytes = Buffer.concat([Buffer.from(`${dir}/n`), Buffer.from([0xe9]), Buffer.from('.oxentmp.Ab3dE6')])
  const seed = join(dir, 'cfg.json.oxentmp.Zz9Zz9')
  for (const f of [bytes, seed]) {
    writeFileSync(f, 'x')
    utimesSync(f, old, old)
  }
  const r = spawnSync(process.execPath, [CLI, 'sweep', dir])
  t.is(r.status, 0, r.stderr.toString())
  const lines = r.stdout.toString('latin1').trim().split('\n').map((l) => Buffer.from(l, 'latin1')).sort(Buffer.compare)
  t.deepEqual(lines, [bytes, Buffer.from(seed)].sort(Buffer.compare))
  t.deepEqual(namesIn(dir), [])
})

test('bad usage exits 2 with a pointer to --help', (t) => {
  const cases: string[][] = [
    [],
    ['bogus'],
    ['write'],
    ['write', 'a', 'b'],
    ['write', 'x', '--mode', '999'],
    ['write', 'x', '--hash', 'not-hex'],
    ['write', 'x', '--mtime', 'yesterday'],
    ['write', 'x', '--frobnicate'],
    ['cp', 'only-one'],
    ['hash'],
    ['sweep', '/tmp', '--older-than', '5 minutes'],
  ]
  for (const args of cases) {
    const r = run(args, '')
    t.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
    t.regex(r.stderr, /atomic-publish/, args.join(' '))
  }
})

test('--help for every command', (t) => {
  for (const command of ['write', 'cp', 'hash', 'sweep']) {
    const r = run([command, '--help'])
    t.is(r.code, 0)
    t.true(r.stdout.startsWith(`Usage: atomic-publish ${command}`), command)
  }
  t.regex(run(['--help']).stdout, /Commands:/)
})

const withScript = needs(['script'])
withScript('a progress line on stderr when it is a real terminal (pty) and the work is large; none when piped', (t) => {
  const dir = freshDir()
  writeFileSync(join(dir, 'big'), Buffer.alloc(80 << 20, 1))
  // `script` runs the command on a pseudo-terminal, as a person at a shell would.
  const tty = execFileSync('script', ['-qec', `"${process.execPath}" "${CLI}" cp "${join(dir, 'big')}" "${join(dir, 'copy')}"`, '/dev/null'], { encoding: 'utf8' })
  t.regex(tty, /80\.0 MiB \/ 80\.0 MiB {2}\S+ \S+\/s {2}ETA 0:00/)
  const piped = run(['cp', join(dir, 'big'), join(dir, 'copy2')])
  t.is(piped.stderr, '')
})
