// The setting of every security spec: a privileged publisher (this process, root) and an
// unprivileged attacker (`nobody`) sharing a directory, with the kernel's protections as
// distributions ship them. Each spec sets fs.protected_* for its duration and puts the old
// values back afterwards, even when a test fails.

import test, { type ExecutionContext, type Implementation } from 'ava'
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { removeTree } from '../helpers.js'

export const NOBODY = 65534
const isRoot = process.getuid?.() === 0 && process.platform === 'linux'
const PROTECTIONS: Record<string, string> = {
  protected_symlinks: '1',
  protected_hardlinks: '1',
  protected_regular: '2',
  protected_fifos: '2',
}

/** A test that runs only as root on Linux; elsewhere skipped, saying why in its title. */
export function attack(title: string, impl: Implementation<[]>): void {
  if (isRoot) test.serial(title, impl)
  else test.skip(`${title} (skipped: needs root on Linux to act as nobody and set fs.protected_*)`, impl)
}

const saved: Record<string, string> = {}
const made: string[] = []
if (isRoot) {
  test.before('set the protections distributions ship', () => {
    for (const [name, value] of Object.entries(PROTECTIONS)) {
      const file = `/proc/sys/fs/${name}`
      saved[name] = readFileSync(file, 'utf8').trim()
      writeFileSync(file, value)
    }
  })
  test.after.always('put the protections back', () => {
    for (const [name, value] of Object.entries(saved)) writeFileSync(`/proc/sys/fs/${name}`, value)
    for (const dir of made.splice(0)) removeTree(dir)
  })
}

/** A fresh directory with `mode`, owned by root: 0o1777 is a shared one like /tmp. */
export function arena(mode = 0o1777): string {
  const dir = mkdtempSync(join(tmpdir(), 'ap-sec-'))
  chmodSync(dir, mode)
  made.push(dir)
  return dir
}

/** Stage `source` as a script `nobody` may read and run (the checkout may sit in a 0700 home). */
export function stage(name: string, source: string): string {
  const dir = arena(0o755)
  const file = join(dir, name)
  writeFileSync(file, source, { mode: 0o644 })
  return file
}

const asNobody = { uid: NOBODY, gid: NOBODY }

/** The system's Python, which nobody may run (a per-user install may sit in root's home). */
export const PYTHON = '/usr/bin/python3'

/** Run Node code as `nobody` (no supplementary groups: libuv drops them with the ids). */
export function nobodyRuns(code: string, ...args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ['-e', code, '--', ...args], { ...asNobody, encoding: 'utf8', timeout: 60_000 })
}

/** Run Node code as `nobody` and parse the JSON it prints. */
export function nobodySays<T>(code: string, ...args: string[]): T {
  const run = nobodyRuns(code, ...args)
  if (run.status !== 0) throw new Error(`attacker failed: ${run.stderr}`)
  return JSON.parse(run.stdout) as T
}

/** Start a staged script as `nobody` in the background; `stop()` ends it and gives its JSON output. */
export function nobodyStarts<T>(script: string, ...args: string[]): { stop: () => Promise<T> } {
  const interpreter = script.endsWith('.py') ? PYTHON : process.execPath
  const child = spawn(interpreter, [script, ...args], { ...asNobody, stdio: ['pipe', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s))
  const ended = new Promise<void>((resolve) => child.on('close', () => resolve()))
  return {
    stop: async () => {
      child.stdin.end('stop\n')
      await ended
      return JSON.parse(out) as T
    },
  }
}

/** An error's code, or 'ok' where the call succeeded. */
export async function outcome(run: () => unknown): Promise<string> {
  try {
    await run()
    return 'ok'
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? String(err)
  }
}

/** Say what each publisher did under one attack, for the record. */
export function record(t: ExecutionContext, attackName: string, outcomes: Record<string, string>): void {
  t.log(`${attackName}: ${Object.entries(outcomes).map(([who, what]) => `${who}: ${what}`).join(' | ')}`)
}

/** write-file-atomic 7, as its users call it. */
export const writeFileAtomic = require('write-file-atomic') as {
  (file: string, data: string | Buffer, options?: object): Promise<void>
  sync: (file: string, data: string | Buffer, options?: object) => void
}
