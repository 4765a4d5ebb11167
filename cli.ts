#!/usr/bin/env node
// The command line: `atomic-publish write | cp | hash | sweep`. Exit 0 on success, 1 on an
// error (one clear line on stderr), 2 on bad usage.

import { statSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { SingleBar } from 'cli-progress'
import { AtomicFile, createHasher, hashFile, sweepOrphans } from './index.js'
import { parseDuration, parseMode, parseMtime } from './js/cli-args.js'

const PROGRESS_FROM_BYTES = 64 << 20

class UsageError extends Error {}

const HELP: Record<string, string> = {
  main: `Usage: atomic-publish <command> [options]

Publish files atomically and verifiably (write-temp-then-rename, fsync, XXH3-128).

Commands:
  write <target>        publish standard input at <target> (like sponge, but crash-safe)
  cp <src> <target>     publish a copy of <src> at <target>
  hash <file>...        XXH3-128 of files, printed exactly as \`xxhsum -H2\` prints them
  sweep <dir>           remove scratch files left behind by crashes

Run \`atomic-publish <command> --help\` for a command's options.`,
  write: `Usage: atomic-publish write <target> [--hash H] [--mtime ISO|NS] [--mode OCTAL] [--no-fsync]

Reads standard input to its end and publishes it at <target>. Nothing is published if the
input fails, or if --hash is given and the bytes do not match.

  --hash H        the XXH3-128 the bytes must have (1-32 hex digits)
  --mtime T       stamp this mtime: an ISO date, or nanoseconds since the epoch
  --mode OCTAL    exactly this mode (e.g. 644), not masked by the umask
  --no-fsync      atomic for readers, but not durable across a power cut`,
  cp: `Usage: atomic-publish cp <src> <target> [--hash H]

Publishes a copy of the file <src> at <target>.

  --hash H        the XXH3-128 the copy must have (1-32 hex digits)`,
  hash: `Usage: atomic-publish hash <file>...

Prints "<XXH3-128>  <file>" for each file, byte for byte as \`xxhsum -H2\` does.`,
  sweep: `Usage: atomic-publish sweep <dir> [--older-than 60s] [--recursive] [--dry-run]

Removes scratch files (<name>.oxentmp.<random>) older than --older-than and prints their paths.

  --older-than D  500ms, 60s, 5m, 2h, 1d, or a number of milliseconds (default 60s)
  --recursive     descend into subdirectories (never through symlinks)
  --dry-run       print what would be removed, remove nothing`,
}

/** A progress bar on stderr for large work, only when stderr is a terminal. */
function progressBar(total: number | undefined): { update(n: number): void; stop(): void } | undefined {
  if (!process.stderr.isTTY || (total !== undefined && total < PROGRESS_FROM_BYTES)) return undefined
  const bar = new SingleBar(
    {
      stream: process.stderr,
      format: total === undefined ? ' {value} bytes' : ' [{bar}] {percentage}% | {value}/{total} bytes',
      hideCursor: true,
      clearOnComplete: true,
    },
  )
  bar.start(total ?? 0, 0)
  return { update: (n) => bar.update(n), stop: () => bar.stop() }
}

/** Parse options, turning the parser's complaints into bad usage. */
function parsed<T>(parse: () => T): T {
  try {
    return parse()
  } catch (e) {
    throw new UsageError((e as Error).message)
  }
}

const help = { type: 'boolean', short: 'h' } as const

function expectPositionals(positionals: string[], count: number, command: string): void {
  if (positionals.length !== count) {
    throw new UsageError(`${command} takes ${count} argument${count > 1 ? 's' : ''}, got ${positionals.length}`)
  }
}

async function write(args: string[]): Promise<void> {
  const { values, positionals } = parsed(() =>
    parseArgs({
      args,
      allowPositionals: true,
      options: { help, hash: { type: 'string' }, mtime: { type: 'string' }, mode: { type: 'string' }, 'no-fsync': { type: 'boolean' } },
    }),
  )
  if (values.help) return void console.log(HELP.write)
  expectPositionals(positionals, 1, 'write')
  const file = new AtomicFile(positionals[0])
  if (values.hash !== undefined) file.withHash(values.hash)
  if (values.mtime !== undefined) file.withMtime(parseMtime(values.mtime))
  if (values.mode !== undefined) file.withMode(parseMode(values.mode))
  if (values['no-fsync']) file.withFsync(false)
  const bar = progressBar(undefined)
  if (bar) file.onProgress((n) => bar.update(n))
  try {
    await file.stream(process.stdin)
  } finally {
    bar?.stop()
  }
}

async function cp(args: string[]): Promise<void> {
  const { values, positionals } = parsed(() => parseArgs({ args, allowPositionals: true, options: { help, hash: { type: 'string' } } }))
  if (values.help) return void console.log(HELP.cp)
  expectPositionals(positionals, 2, 'cp')
  const [src, target] = positionals
  const file = new AtomicFile(target)
  if (values.hash !== undefined) file.withHash(values.hash)
  let size: number | undefined
  try {
    size = statSync(src).size
  } catch {
    // copyFrom reports the error in Node's words.
  }
  const bar = size !== undefined ? progressBar(size) : undefined
  if (bar) file.onProgress((n) => bar.update(n))
  try {
    await file.copyFrom(src)
  } finally {
    bar?.stop()
  }
}

async function hash(args: string[]): Promise<void> {
  const { values, positionals } = parsed(() => parseArgs({ args, allowPositionals: true, options: { help } }))
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
      process.stderr.write(`atomic-publish: ${(e as Error).message}\n`)
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
  const { values, positionals } = parsed(() =>
    parseArgs({
      args,
      allowPositionals: true,
      options: { help, 'older-than': { type: 'string' }, recursive: { type: 'boolean' }, 'dry-run': { type: 'boolean' } },
    }),
  )
  if (values.help) return void console.log(HELP.sweep)
  expectPositionals(positionals, 1, 'sweep')
  const olderThanMs = values['older-than'] === undefined ? 60_000 : parseDuration(values['older-than'])
  const removed = await sweepOrphans(positionals[0], {
    olderThanMs,
    recursive: values.recursive === true,
    dryRun: values['dry-run'] === true,
  })
  for (const path of removed) process.stdout.write(`${path}\n`)
}

const COMMANDS: Record<string, (args: string[]) => Promise<void>> = { write, cp, hash, sweep }

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    ;(command === undefined ? console.error : console.log)(HELP.main)
    return command === undefined ? 2 : 0
  }
  const known = Object.hasOwn(COMMANDS, command)
  try {
    if (!known) throw new UsageError(`unknown command '${command}'`)
    await COMMANDS[command](rest)
    return Number(process.exitCode ?? 0)
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_INVALID_ARG')) {
      process.stderr.write(`atomic-publish: ${(e as Error).message}\n`)
      process.stderr.write(`Run 'atomic-publish ${known ? `${command} ` : ''}--help' for usage.\n`)
      return 2
    }
    process.stderr.write(`atomic-publish: ${(e as Error).message}\n`)
    return 1
  }
}

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code
})
