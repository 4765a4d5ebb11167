#!/usr/bin/env node
// The command line: `atomic-publish write | cp | dir | hash | sweep`. Exit 0 on success, 1 on an
// error (one clear line on stderr), 2 on bad usage; never a stack trace. A reader that leaves
// early (`| head`) ends the command as it ends xxhsum: killed by SIGPIPE, quietly.

import { createReadStream, fstatSync, readFileSync, statSync } from 'node:fs'
import { constants } from 'node:os'
import { isAbsolute, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { AtomicFile, createHasher, hashFile, sweepOrphans, type SweepIncompleteError, type SweptPath } from './index.js'
import { toHashText } from './js/args.js'
import { parseDuration, parseMode, parseMtime } from './js/cli-args.js'
import { ProgressLine } from './js/progress-line.js'
import { publishTreeCopy } from './js/cli-dir.js'

const PROGRESS_FROM_BYTES = 64 << 20

class UsageError extends Error {}

const HELP: Record<string, string> = {
  main: `Usage: atomic-publish <command> [options]

Publish files atomically and verifiably (write-temp-then-rename, fsync, XXH3-128).

Commands:
  write <target>        publish standard input at <target> (like sponge, but crash-safe)
  cp <src> <target>     publish a copy of <src> at <target>
  dir <src> <target>    publish a copy of the tree <src> at <target>, all at once
  hash <file>...        XXH3-128 of files, printed exactly as \`xxhsum -H2\` prints them
  sweep <dir>           remove scratch files left behind by crashes

Run \`atomic-publish <command> --help\` for a command's options, \`atomic-publish --version\`
(or -V) for the version.`,
  write: `Usage: atomic-publish write <target> [--hash H] [--mtime ISO|NS] [--mode OCTAL] [--no-fsync] [--allow-empty]

Reads standard input to its end and publishes it at <target>. An empty input is refused
(exit 1, the target left as it was) unless --allow-empty is given, and so are bytes that do
not match --hash.

A pipe cannot tell that its producer failed: a producer that dies after printing part of its
output publishes that part. Where a truncated input matters, give --hash (the defence), and
use \`set -o pipefail\` so that the script sees the failure.

  --hash H        the XXH3-128 the bytes must have (1-32 hex digits)
  --mtime T       stamp this mtime: an ISO 8601 date (2024-01-02, midnight UTC), a date-time
                  with Z or an offset, never without (2024-01-02T03:04:05.123456789+02:00,
                  kept to the nanosecond), or a whole number of nanoseconds since the epoch (so 2020 is
                  2020 ns: write the year as 2020-01-01)
  --mode OCTAL    exactly this mode, 0 to 7777 (e.g. 644), not masked by the umask
  --no-fsync      atomic for readers, but not durable across a power cut
  --allow-empty   publish an empty input as an empty file`,
  cp: `Usage: atomic-publish cp <src> <target> [--hash H] [--allow-empty]

Publishes a copy of the file <src> at <target>. A <src> that is a pipe (a shell's <(cmd)) and
gives nothing is refused, as an empty standard input is for write: its producer may have failed.

  --hash H        the XXH3-128 the copy must have (1-32 hex digits)
  --allow-empty   publish an empty file when a piped <src> gives nothing`,
  dir: `Usage: atomic-publish dir <src-dir> <target-dir> [--no-fsync] [--versioned [--keep N]]

Publishes a copy of the tree <src-dir> at <target-dir> in one step: readers of <target-dir> see
the whole old tree or the whole new one, never a mix (Linux and macOS; refused on Windows).
Files keep their modes; empty directories are copied; a symbolic link or special file in
<src-dir> is refused and nothing is published.

  --no-fsync      atomic for readers, but not durable across a power cut
  --versioned     make <target-dir> a symbolic link to a version tree <target-dir>.v<version>
                  beside it, replaced at each publish; readers pin one version with realpath
  --keep N        with --versioned: how many versions stay, the current one among them
                  (default 3)`,
  hash: `Usage: atomic-publish hash <file>...

Prints "<XXH3-128>  <file>" for each file, byte for byte as \`xxhsum -H2\` does.`,
  sweep: `Usage: atomic-publish sweep <dir> [--older-than 60s] [--recursive] [--dry-run]

Removes scratch files (<name>.oxentmp.<random>) older than --older-than and prints their paths.

  --older-than D  500ms, 60s, 5m, 2h, 1d (1.5h too), or a number of milliseconds; default 60s,
                  at most 100000000d (what a Date can span)
  --recursive     descend into subdirectories (never through symlinks)
  --dry-run       print what would be removed, remove nothing`,
}

/** A progress line on stderr for large work (pv's format), only when stderr is a terminal. */
function progressLine(total: number | undefined): ProgressLine | undefined {
  if (!process.stderr.isTTY || (total !== undefined && total < PROGRESS_FROM_BYTES)) return undefined
  return new ProgressLine(process.stderr, total)
}

/** The paths the user typed, to show them in messages as typed rather than made absolute. */
const typedPaths: string[] = []

/**
 * `message` with the absolute forms of the typed paths put back as typed: the API names a
 * target as `path.resolve` gives it, and a directory it could not create below the working
 * directory.
 */
function asTyped(message: string): string {
  const cwd = process.cwd()
  let shown = message
  for (const typed of typedPaths) {
    if (isAbsolute(typed)) continue
    const absolute = resolve(typed)
    if (absolute !== typed) shown = shown.split(`'${absolute}'`).join(`'${typed}'`)
    // A directory on the way to the target, as the native side names it: cwd + '/' + typed.
    const prefix = `${cwd}/`
    shown = shown.replace(/(mkdir )'([^']*)'/, (whole, verb: string, dir: string) =>
      dir.startsWith(prefix) && `${prefix}${typed}`.startsWith(`${dir}/`) ? `${verb}'${dir.slice(prefix.length)}'` : whole,
    )
  }
  return shown
}

/** The `--hash` flag's value, checked under the flag's own name. */
function hashFlag(value: string): string {
  return toHashText(value, '--hash')
}

/** The package's version, from the package.json shipped beside this file. */
function version(): string {
  return (JSON.parse(readFileSync(join(__dirname, 'package.json'), 'utf8')) as { version: string }).version
}

/**
 * A failure of the work itself (the disk refused, a hash did not match), never bad usage even
 * when its code is one an argument check also uses (an mtime the file system cannot store).
 */
class WorkFailure {
  constructor(readonly failure: unknown) {}
}

async function doing<T>(work: Promise<T>): Promise<T> {
  try {
    return await work
  } catch (e) {
    throw new WorkFailure(e)
  }
}

/**
 * Parse options, turning the parser's complaints into bad usage. The parser echoes the option
 * names typed; one with a control character in it (a newline) would split or forge the report,
 * so the complaint is the one the same arguments give with their control characters escaped.
 */
function parsed<T>(args: string[], parse: (args: string[]) => T): T {
  try {
    return parse(args)
  } catch (e) {
    if (!args.some((arg) => CONTROL.test(arg))) throw new UsageError((e as Error).message)
    try {
      parse(args.map(escapeControls))
    } catch (escaped) {
      throw new UsageError((escaped as Error).message)
    }
    throw new UsageError(escapeControls((e as Error).message))
  }
}

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g

/** A typed name as it can be shown on one line: control characters as `\n`, `\t`, `\xHH`. */
function escapeControls(text: string): string {
  const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' }
  return text.replace(CONTROLS, (c) => named[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
}

const help = { type: 'boolean', short: 'h' } as const

function expectPositionals(positionals: string[], count: number, command: string): void {
  if (positionals.length !== count) {
    throw new UsageError(`${command} takes ${count} argument${count > 1 ? 's' : ''}, got ${positionals.length}`)
  }
}

async function write(args: string[]): Promise<void> {
  const { values, positionals } = parsed(args, (args) =>
    parseArgs({
      args,
      allowPositionals: true,
      options: {
        help,
        hash: { type: 'string' },
        mtime: { type: 'string' },
        mode: { type: 'string' },
        'no-fsync': { type: 'boolean' },
        'allow-empty': { type: 'boolean' },
      },
    }),
  )
  if (values.help) return void console.log(HELP.write)
  expectPositionals(positionals, 1, 'write')
  const target = positionals[0]
  typedPaths.push(target)
  const file = new AtomicFile(target)
  if (values.hash !== undefined) file.withHash(hashFlag(values.hash))
  if (values.mtime !== undefined) file.withMtime(parseMtime(values.mtime))
  if (values.mode !== undefined) file.withMode(parseMode(values.mode))
  if (values['no-fsync']) file.withFsync(false)
  if (fstatSync(0).isDirectory()) throw new Error(`standard input is a directory; nothing was published to '${target}'`)
  // Someone at a terminal who forgot the pipe would otherwise see the command hang.
  if (process.stdin.isTTY) say(`reading standard input from the terminal; end it with Ctrl-D, or pipe the data in (… | atomic-publish write ${escapeControls(target)})`)
  const input = await refusingEmpty(process.stdin, target, values['allow-empty'] === true)
  const bar = progressLine(undefined)
  if (bar) file.onProgress((n, total) => bar.update(n, total))
  try {
    const { bytes } = await doing(file.stream(input))
    // The size is known once the input has ended: the last line shows it as the total.
    bar?.update(bytes, bytes)
  } finally {
    bar?.stop()
  }
}

/**
 * An input's chunks, with its first chunk already read: an input with none is refused here,
 * before anything touches the disk. A producer that fails before printing anything (`jq` on a
 * syntax error) must not publish an empty file; a pipe cannot tell us it failed.
 */
async function refusingEmpty(input: NodeJS.ReadableStream, target: string, allowEmpty: boolean): Promise<AsyncIterable<Buffer>> {
  const chunks = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>
  let first = await chunks.next()
  while (!first.done && first.value.length === 0) first = await chunks.next()
  if (first.done && !allowEmpty) {
    const what = input === process.stdin ? 'standard input was empty' : 'the piped source gave nothing'
    throw new Error(`${what}; nothing was published to '${target}' (pass --allow-empty to publish an empty file)`)
  }
  return (async function* () {
    if (first.done) return
    yield first.value
    yield* { [Symbol.asyncIterator]: () => chunks }
  })()
}

async function cp(args: string[]): Promise<void> {
  const { values, positionals } = parsed(args, (args) =>
    parseArgs({ args, allowPositionals: true, options: { help, hash: { type: 'string' }, 'allow-empty': { type: 'boolean' } } }),
  )
  if (values.help) return void console.log(HELP.cp)
  expectPositionals(positionals, 2, 'cp')
  const [src, target] = positionals
  typedPaths.push(src, target)
  const file = new AtomicFile(target)
  if (values.hash !== undefined) file.withHash(hashFlag(values.hash))
  let size: number | undefined
  let piped = false
  try {
    const stat = statSync(src)
    piped = stat.isFIFO()
    size = piped ? undefined : stat.size
  } catch {
    // copyFrom reports the error in Node's words.
  }
  if (piped) {
    // A pipe cannot say its producer failed: an empty one is refused, as standard input is.
    const input = await refusingEmpty(createReadStream(src), target, values['allow-empty'] === true)
    return void (await doing(file.stream(input)))
  }
  const bar = size !== undefined ? progressLine(size) : undefined
  if (bar) file.onProgress((n, total) => bar.update(n, total))
  try {
    await doing(file.copyFrom(src))
  } finally {
    bar?.stop()
  }
}

async function hash(args: string[]): Promise<void> {
  const { values, positionals } = parsed(args, (args) => parseArgs({ args, allowPositionals: true, options: { help } }))
  if (values.help) return void console.log(HELP.hash)
  if (positionals.length === 0) throw new UsageError('hash needs at least one file')
  let failed = false
  for (const file of positionals) {
    try {
      const digest = file === '-' ? await hashStdin() : await hashFile(file)
      process.stdout.write(`${digest}  ${file === '-' ? 'stdin' : file}\n`)
    } catch (e) {
      // xxhsum reports an unreadable file and goes on with the others.
      failed = true
      say(messageOf(e))
    }
  }
  if (failed) process.exitCode = 1
}

async function hashStdin(): Promise<string> {
  const hasher = createHasher()
  for await (const chunk of process.stdin) hasher.update(chunk as Buffer)
  return hasher.digest()
}

async function sweep(args: string[]): Promise<void> {
  const { values, positionals } = parsed(args, (args) =>
    parseArgs({
      args,
      allowPositionals: true,
      options: { help, 'older-than': { type: 'string' }, recursive: { type: 'boolean' }, 'dry-run': { type: 'boolean' } },
    }),
  )
  if (values.help) return void console.log(HELP.sweep)
  expectPositionals(positionals, 1, 'sweep')
  const olderThanMs = values['older-than'] === undefined ? 60_000 : parseDuration(values['older-than'])
  typedPaths.push(positionals[0])
  let removed: SweptPath[]
  let incomplete: SweepIncompleteError | undefined
  try {
    removed = await sweepOrphans(positionals[0], {
      olderThanMs,
      recursive: values.recursive === true,
      dryRun: values['dry-run'] === true,
      encoding: 'buffer',
    })
  } catch (e) {
    if ((e as { code?: unknown }).code !== 'ERR_SWEEP_INCOMPLETE') throw e
    incomplete = e as SweepIncompleteError
    removed = incomplete.removed
  }
  // One path a line, as `find` prints them: each as its exact bytes, UTF-8 or not.
  for (const path of removed) process.stdout.write(typeof path === 'string' ? `${path}\n` : Buffer.concat([path, Buffer.from('\n')]))
  // What could not be swept, one line each (as `find` goes on past a directory it cannot read).
  for (const failure of incomplete?.errors ?? []) say(messageOf(failure))
  if (incomplete) process.exitCode = 1
}

async function dir(args: string[]): Promise<void> {
  const { values, positionals } = parsed(args, (args) =>
    parseArgs({ args, allowPositionals: true, options: { help, 'no-fsync': { type: 'boolean' }, versioned: { type: 'boolean' }, keep: { type: 'string' } } }),
  )
  if (values.help) return void console.log(HELP.dir)
  expectPositionals(positionals, 2, 'dir')
  const [src, target] = positionals
  typedPaths.push(src, target)
  if (values.keep !== undefined && values.versioned !== true) throw new UsageError('--keep applies with --versioned only')
  const keep = values.keep === undefined ? undefined : Number(values.keep)
  if (keep !== undefined && !(/^[0-9]+$/.test(values.keep!) && keep >= 1 && keep <= 0xffff_ffff)) {
    throw new UsageError(`--keep must be a whole number from 1 to 4294967295, not '${values.keep}'`)
  }
  await doing(publishTreeCopy(src, target, values['no-fsync'] === true ? 'none' : 'full', values.versioned === true ? (keep ?? 3) : undefined))
}

const COMMANDS: Record<string, (args: string[]) => Promise<void>> = { write, cp, dir, hash, sweep }

/** One line on stderr, unless stderr is gone: then the exit status alone tells. */
function say(message: string): void {
  if (!stderrClosed) process.stderr.write(`atomic-publish: ${message}\n`)
}

let stderrClosed = false

/**
 * An error's message on one line: a newline in a file name must not split the report. The
 * option parser's own complaints are several real lines (the last says how to pass a value
 * that starts with a dash), written as they are.
 */
function messageOf(e: unknown): string {
  if (e instanceof WorkFailure) return messageOf(e.failure)
  if (e instanceof UsageError) return e.message
  const message = asTyped(e instanceof Error ? e.message : String(e))
  return message.replace(/\r/g, '\\r').replace(/\n/g, '\\n')
}

function isUsageError(e: unknown): boolean {
  if (e instanceof WorkFailure) return false
  const code = (e as { code?: unknown } | null)?.code
  return e instanceof UsageError || code === 'ERR_INVALID_ARG_VALUE' || code === 'ERR_INVALID_ARG_TYPE' || code === 'ERR_OUT_OF_RANGE'
}

/** End as a process killed by SIGPIPE does, as xxhsum and coreutils do when their reader leaves. */
function dieOfSigpipe(): void {
  // Node ignores SIGPIPE; once the last listener is removed, libuv restores the default action.
  const ignore = () => {}
  process.on('SIGPIPE', ignore).off('SIGPIPE', ignore)
  process.kill(process.pid, 'SIGPIPE')
  process.exit(128 + constants.signals.SIGPIPE)
}

/**
 * A closed stdout ends the command quietly (its reader has all it wanted); another stdout
 * error is reported. A closed stderr only loses messages: the work goes on, and the exit
 * status still says whether it succeeded. Anything thrown outside `main` is still one line.
 */
function guardStdio(): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') dieOfSigpipe()
    say(`${messageOf(e)} (standard output)`)
    process.exit(1)
  })
  process.stderr.on('error', () => {
    stderrClosed = true
  })
  const lastResort = (e: unknown) => {
    say(messageOf(e))
    process.exit(isUsageError(e) ? 2 : 1)
  }
  process.on('uncaughtException', lastResort)
  process.on('unhandledRejection', lastResort)
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  if (command === '--help' || command === '-h' || command === 'help') {
    console.log(HELP.main)
    return 0
  }
  if (command === '--version' || command === '-V') {
    console.log(version())
    return 0
  }
  if (command === undefined) {
    say("a command is needed: write, cp, dir, hash or sweep (see 'atomic-publish --help')")
    return 2
  }
  const known = Object.hasOwn(COMMANDS, command)
  try {
    if (!known) throw new UsageError(`unknown command '${escapeControls(command)}'`)
    await COMMANDS[command](rest)
    return Number(process.exitCode ?? 0)
  } catch (e) {
    if (isUsageError(e)) {
      say(`${messageOf(e)} (see 'atomic-publish ${known ? `${command} ` : ''}--help')`)
      return 2
    }
    say(messageOf(e))
    return 1
  }
}

guardStdio()
void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code
})
