// The command line inside real shell pipelines: producers that fail or die, readers that go
// away early, and every error path ending in one line on stderr, never a stack trace.

import test from 'ava'
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { xxh3_128 } from 'atomic-publish'
import { freshDir, hasCommand, namesIn, needs, posixOnly } from './helpers.js'

/** Every test here runs a bash pipeline, and reads exit statuses of SIGPIPE. */
const inShell = needs(['bash'], { also: posixOnly('shell pipelines (bash, SIGPIPE)') })

const CLI = join(__dirname, '..', '..', 'cli.js')
const NODE = process.execPath
/** SIGPIPE's status as a shell reports it: xxhsum and coreutils die of the signal on EPIPE. */
const KILLED_BY_SIGPIPE = 128 + 13

/** Run a bash script with `$NODE` and `$CLI` set; status, stdout and stderr. */
function sh(script: string, cwd?: string) {
  const r = spawnSync('bash', ['-c', script], { cwd, env: { ...process.env, NODE, CLI } })
  return { code: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() }
}

const NO_TRACE = /Unhandled 'error' event|node:internal|\n\s+at |Error: .*\n.*\n/

inShell('write refuses an empty standard input: exit 1, one line, the old target and its directory untouched', (t) => {
  const dir = freshDir()
  writeFileSync(join(dir, 't'), 'old')
  const r = sh('false | "$NODE" "$CLI" write t', dir)
  t.is(r.code, 1)
  t.is(r.stderr, "atomic-publish: standard input was empty; nothing was published to 't' (pass --allow-empty to publish an empty file)\n")
  t.is(readFileSync(join(dir, 't'), 'utf8'), 'old')
  t.deepEqual(namesIn(dir), ['t'], 'no scratch file')
  const fresh = sh('true | "$NODE" "$CLI" write new/dir/t', dir)
  t.is(fresh.code, 1)
  t.deepEqual(namesIn(dir), ['t'], 'not even the missing directories were created')
})

inShell('cp from a pipe that gives nothing (<(false)) is refused like an empty stdin; --allow-empty publishes it; a full pipe is copied', (t) => {
  const dir = freshDir()
  writeFileSync(join(dir, 't'), 'old')
  const r = sh('"$NODE" "$CLI" cp <(false) t', dir)
  t.is(r.code, 1, r.stderr)
  t.regex(r.stderr, /^atomic-publish: the piped source gave nothing; nothing was published to 't' \(pass --allow-empty to publish an empty file\)\n$/)
  t.is(readFileSync(join(dir, 't'), 'utf8'), 'old')
  t.deepEqual(namesIn(dir), ['t'], 'no scratch file')
  t.is(sh('"$NODE" "$CLI" cp <(false) t --allow-empty', dir).code, 0)
  t.is(readFileSync(join(dir, 't'), 'utf8'), '')
  const full = sh('"$NODE" "$CLI" cp <(printf "from a pipe") t', dir)
  t.is(full.code, 0, full.stderr)
  t.is(readFileSync(join(dir, 't'), 'utf8'), 'from a pipe')
})

inShell('write --allow-empty publishes an empty file', (t) => {
  const dir = freshDir()
  writeFileSync(join(dir, 't'), 'old')
  const r = sh('false | "$NODE" "$CLI" write t --allow-empty', dir)
  t.is(r.code, 0, r.stderr)
  t.is(readFileSync(join(dir, 't'), 'utf8'), '')
  t.deepEqual(namesIn(dir), ['t'])
})

inShell('a killed producer publishes its prefix; pipefail reports it; --hash of the full content refuses it', (t) => {
  const dir = freshDir()
  writeFileSync(join(dir, 't'), 'old')
  // The producer prints part of its output, then dies: the pipe just ends, as it would at the end.
  const producer = "(printf 'first half,'; kill -9 $BASHPID; printf 'second half')"
  const plain = sh(`set -o pipefail; ${producer} | "$NODE" "$CLI" write t`, dir)
  t.is(plain.code, 128 + 9, 'pipefail makes the pipeline report the producer that died')
  t.is(readFileSync(join(dir, 't'), 'utf8'), 'first half,', 'but the prefix was published: a pipe cannot tell')

  writeFileSync(join(dir, 't'), 'old')
  const full = xxh3_128('first half,second half')
  const guarded = sh(`${producer} | "$NODE" "$CLI" write t --hash ${full}`, dir)
  t.is(guarded.code, 1)
  t.regex(guarded.stderr, new RegExp(`^atomic-publish: XXH3-128 of the data is [0-9a-f]{32}, expected ${full}; nothing was published`))
  t.is(guarded.stderr.split('\n').length, 2, 'one line')
  t.is(readFileSync(join(dir, 't'), 'utf8'), 'old', 'the defence: a truncated input is refused')
  t.deepEqual(namesIn(dir), ['t'])
})

/** Enough `hash` output (well over a pipe's 64 KiB) that a reader who leaves early is noticed. */
function manyFiles(dir: string): string {
  writeFileSync(join(dir, 'f'), 'x')
  return Array.from({ length: 3000 }, () => 'f').join(' ')
}

inShell('hash into a reader that leaves early (| head -c1) ends quietly, with the status xxhsum has', (t) => {
  const dir = freshDir()
  const files = manyFiles(dir)
  const ours = sh(`"$NODE" "$CLI" hash ${files} 2>err | head -c1; echo "\${PIPESTATUS[0]}"`, dir)
  t.is(ours.stdout, `${xxh3_128('x')[0]}${KILLED_BY_SIGPIPE}\n`, 'the first byte, then the status of a process killed by SIGPIPE')
  t.is(readFileSync(join(dir, 'err'), 'utf8'), '', 'nothing on stderr')
  if (!hasCommand('xxhsum')) return void t.log('xxhsum is not installed: its status was not compared')
  const theirs = sh(`xxhsum -H2 ${files} 2>/dev/null | head -c1; echo "\${PIPESTATUS[0]}"`, dir)
  t.is(ours.stdout.slice(1), theirs.stdout.slice(1), 'the same status as xxhsum')
})

inShell('sweep into a reader that leaves early ends quietly', (t) => {
  const dir = freshDir()
  mkdirSync(join(dir, 'd'))
  const old = 'touch -d 2001-01-01'
  const names = Array.from({ length: 2000 }, (_, i) => `d/f${i}.oxentmp.${String(i).padStart(10, 'a')}`)
  t.is(sh(`touch ${names.join(' ')} && ${old} ${names.join(' ')}`, dir).code, 0)
  const r = sh(`"$NODE" "$CLI" sweep "${join(dir, 'd')}" 2>err | head -c1 >/dev/null; echo "\${PIPESTATUS[0]}"`, dir)
  t.is(r.stdout, `${KILLED_BY_SIGPIPE}\n`)
  t.is(readFileSync(join(dir, 'err'), 'utf8'), '')
})

inShell('a closed stderr never stops the work nor crashes: every file is still hashed, exit 1 for the missing ones', (t) => {
  const dir = freshDir()
  writeFileSync(join(dir, 'f'), 'x')
  // Alternate readable and missing files; the error lines go to a reader that leaves at once.
  const args = Array.from({ length: 3000 }, (_, i) => (i % 2 ? 'f' : `missing-${i}`)).join(' ')
  const r = sh(`"$NODE" "$CLI" hash ${args} 2>&1 >out | head -c1 >/dev/null; echo "\${PIPESTATUS[0]}"`, dir)
  t.is(r.stdout, '1\n')
  const lines = readFileSync(join(dir, 'out'), 'utf8').split('\n').filter(Boolean)
  t.is(lines.length, 1500, 'the run went on to the end')
})

inShell('a closed stderr leaves the error for the exit status: a refused write still exits 1', (t) => {
  const dir = freshDir()
  writeFileSync(join(dir, 't'), 'old')
  const r = sh('printf data | "$NODE" "$CLI" write t --hash 1 2>&1 >/dev/null | true; echo "${PIPESTATUS[1]}"', dir)
  t.is(r.stdout, '1\n')
  t.is(readFileSync(join(dir, 't'), 'utf8'), 'old')
  t.deepEqual(namesIn(dir), ['t'])
})

inShell('every error path: one line on stderr, exit 1 at run time or 2 for bad usage, never a stack trace', (t) => {
  const dir = freshDir()
  writeFileSync(join(dir, 'file'), 'x')
  mkdirSync(join(dir, 'adir'))
  const cases: Array<[string, number]> = [
    ['printf x | "$NODE" "$CLI" write adir', 1],
    ['printf x | "$NODE" "$CLI" write file/below', 1],
    ['"$NODE" "$CLI" write t < adir', 1],
    ['"$NODE" "$CLI" cp missing t', 1],
    ['"$NODE" "$CLI" cp adir t', 1],
    ["\"$NODE\" \"$CLI\" cp $'new\\nline' t", 1],
    ['"$NODE" "$CLI" hash adir', 1],
    ['"$NODE" "$CLI" sweep missing', 1],
    ['"$NODE" "$CLI" sweep file', 1],
    ['"$NODE" "$CLI"', 2],
    ['"$NODE" "$CLI" bogus', 2],
    ['"$NODE" "$CLI" write', 2],
    ['"$NODE" "$CLI" write t --frobnicate < file', 2],
    ['"$NODE" "$CLI" write t --mode', 2],
    ['"$NODE" "$CLI" cp a', 2],
    ['"$NODE" "$CLI" hash', 2],
    ['"$NODE" "$CLI" sweep . --older-than 5x', 2],
    ['"$NODE" "$CLI" sweep . --dry-run=yes', 2],
  ]
  for (const [script, code] of cases) {
    const r = sh(script, dir)
    t.is(r.code, code, `${script}: ${r.stderr}`)
    t.regex(r.stderr, /^atomic-publish: [^\n]+\n$/, `${script}: exactly one line`)
    t.notRegex(r.stderr, NO_TRACE, script)
  }
  t.deepEqual(namesIn(dir).sort(), ['adir', 'file'], 'nothing published, no scratch left')
})
