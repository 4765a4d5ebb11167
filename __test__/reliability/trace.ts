// Syscall-order checking with strace: run a command under `strace -f -y`, merge the calls
// that threads interleave (`<unfinished ...>` / `<... resumed>`), and check each publish
// against the protocol: the directory opened once (O_DIRECTORY), scratch created
// O_CREAT|O_EXCL beside its target, fsynced after its last write and before the rename, renamed
// onto the target, then the directory fsynced. Calls relative to a directory descriptor
// (`openat(5</d>, "name")`) are read as the absolute paths they name. At each durability level exactly its steps: 'full' all of them, 'file' the
// scratch's fsync and no directory fsync, 'none' (fsync off) no fsync at all.

import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { basename, dirname } from 'node:path'

const TRACED = 'openat,open,creat,linkat,write,pwrite64,pwritev,pwritev2,writev,copy_file_range,sendfile,fsync,fdatasync,sync_file_range,rename,renameat,renameat2,close,unlink,unlinkat'

export interface Call {
  /** Where the call completed, and where it began (earlier when strace split it). */
  index: number
  start: number
  pid: string
  name: string
  args: string
  result: string
}

/** Run `command` under strace; returns the merged calls in order of completion. */
export function traceCommand(command: string[], traceFile: string, env: NodeJS.ProcessEnv = {}): Call[] {
  execFileSync('strace', ['-f', '-y', '-qq', '-s', '512', '-o', traceFile, '-e', `trace=${TRACED}`, ...command], {
    env: { ...process.env, UV_USE_IO_URING: '0', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  return nameUnnamedScratches(parseTrace(readFileSync(traceFile, 'utf8')))
}

/**
 * A scratch made without a name (O_TMPFILE, then linked) shows behind its descriptor as
 * `<dir>/#<inode> (deleted)`, even once linked. Give every call on it the name it was linked
 * under, so the rules below see one scratch. Each O_TMPFILE open starts one such file; an
 * inode number freed and reused later starts another.
 */
export function nameUnnamedScratches(calls: Call[]): Call[] {
  const instances: Array<{ shown: string; from: number; to: number; name?: string }> = []
  const byFd = new Map<string, (typeof instances)[number]>()
  for (const c of calls) {
    const opened = /^open(at)?$/.test(c.name) && c.args.includes('O_TMPFILE') ? /^(\d+)<([^>]*)>/.exec(c.result) : null
    if (opened) {
      for (const earlier of instances) if (earlier.shown === opened[2] && earlier.to === Number.POSITIVE_INFINITY) earlier.to = c.index
      const instance = { shown: opened[2], from: c.index, to: Number.POSITIVE_INFINITY }
      instances.push(instance)
      byFd.set(opened[1], instance)
    }
    const linked = c.name === 'linkat' && c.result.startsWith('0') ? /"\/proc\/self\/fd\/(\d+)".*"([^"]*\.oxentmp\.[^"]*)"/.exec(c.args) : null
    const instance = linked && byFd.get(linked[1])
    if (instance) instance.name = linked[2]
  }
  const named = instances.filter((i) => i.name !== undefined)
  if (named.length === 0) return calls
  return calls.map((c) => {
    let { args, result } = c
    for (const i of named) {
      if (c.index < i.from || c.index >= i.to) continue
      args = args.split(`<${i.shown}>`).join(`<${i.name}>`)
      result = result.split(`<${i.shown}>`).join(`<${i.name}>`)
    }
    return args === c.args && result === c.result ? c : { ...c, args, result }
  })
}

export function parseTrace(text: string): Call[] {
  const pending = new Map<string, { line: string; start: number }>()
  const calls: Call[] = []
  let position = 0
  for (const raw of text.split('\n')) {
    position++
    const m = /^(\d+)\s+(.*)$/.exec(raw)
    if (!m) continue
    const [, pid, rest] = m
    let line = rest
    let start = position
    if (line.endsWith('<unfinished ...>')) {
      pending.set(pid, { line: line.slice(0, -'<unfinished ...>'.length).trimEnd(), start: position })
      continue
    }
    const resumed = /^<\.\.\. (\w+) resumed>(.*)$/.exec(line)
    if (resumed) {
      const begun = pending.get(pid)
      line = (begun?.line ?? `${resumed[1]}(`) + resumed[2]
      start = begun?.start ?? position
      pending.delete(pid)
    }
    const call = /^(\w+)\((.*)\)\s+=\s+(.*)$/.exec(line)
    if (call) calls.push({ index: position, start, pid, name: call[1], args: /at2?$/.test(call[1]) ? absolute(call[2]) : call[2], result: call[3] })
  }
  return calls
}

/**
 * A `*at` call's (openat, renameat, linkat…) arguments with each directory descriptor and relative name read as the path
 * they name: `5</d>, "f"` becomes `AT_FDCWD, "/d/f"` (strace -y shows the descriptor's path).
 */
export function absolute(args: string): string {
  return args.replace(/\d+<([^>]*)>, "([^"/][^"]*)"/g, (_, dir: string, name: string) => `AT_FDCWD, "${dir}/${name}"`)
}

/** The path strace -y shows behind a descriptor argument or result: `5</a/b>` → `/a/b`. */
function fdPaths(text: string): string[] {
  return [...text.matchAll(/\d+<([^>]*)>/g)].map((m) => m[1])
}

export interface PublishTrace {
  scratch: string
  target: string
  problems: string[]
}

interface ScratchTrace {
  create: Call
  scratch: string
  target: string
  rename?: Call
  problems: string[]
}

/**
 * The rules each scratch must keep on its own, however publishes interleave: created with
 * O_EXCL beside its target (or made without a name and linked there, which never replaces a
 * file either), renamed onto it, and (with fsync) fsynced after its last write and before the
 * rename, never after. The writes of an unnamed scratch come before its link, so they are
 * looked for from its O_TMPFILE open.
 */
function checkScratches(calls: Call[], fsync: boolean): ScratchTrace[] {
  const creates = calls.filter(
    (c) => (/^open(at)?$/.test(c.name) && c.args.includes('.oxentmp.') && c.args.includes('O_CREAT')) || (c.name === 'linkat' && c.args.includes('.oxentmp.')),
  )
  return creates.map((create) => {
    const scratch = /"([^"]*\.oxentmp\.[^"]*)"/.exec(create.args)?.[1] ?? '?'
    const target = `${dirname(scratch)}/${basename(scratch).replace(/\.oxentmp\.[^.]*$/, '')}`
    const problems: string[] = []
    if (create.name !== 'linkat' && !create.args.includes('O_EXCL')) problems.push('scratch not created with O_EXCL')
    if (create.result.startsWith('-1')) problems.push(`scratch create failed: ${create.result}`)
    const on = (c: Call, path: string) => fdPaths(c.args).includes(path)
    const writes = calls.filter((c) => /write|copy_file_range|sendfile/.test(c.name) && on(c, scratch))
    const lastWrite = writes.at(-1)?.index ?? create.index
    const rename = calls.find((c) => c.name.startsWith('rename') && c.args.includes(`"${scratch}"`))
    const fileSyncs = calls.filter((c) => /^f(data)?sync$/.test(c.name) && (on(c, scratch) || (rename && c.index > rename.index && on(c, target))))
    if (!rename) problems.push('never renamed')
    else {
      if (!rename.args.endsWith(`"${target}"`)) problems.push(`renamed onto ${rename.args}, not ${target}`)
      if (!rename.result.startsWith('0')) problems.push(`rename failed: ${rename.result}`)
    }
    if (fsync) {
      const beforeRename = fileSyncs.find((c) => c.index > lastWrite && (!rename || c.index < rename.index))
      if (!beforeRename) problems.push('scratch not fsynced after its last write and before the rename')
      if (fileSyncs.some((c) => rename && c.index > rename.index)) problems.push('file fsynced after the rename')
    } else if (fileSyncs.length > 0) problems.push('fsync off, but the scratch was fsynced')
    return { create, scratch, target, rename, problems }
  })
}

export type Level = 'full' | 'file' | 'none'

/**
 * Check every publish (every scratch created) in `calls`, made one after another, against
 * durability `level` (`true` is 'full', `false` is 'none').
 */
export function checkPublishes(calls: Call[], level: Level | boolean): PublishTrace[] {
  const durability = level === true ? 'full' : level === false ? 'none' : level
  const scratches = checkScratches(calls, durability !== 'none')
  return scratches.map(({ create, scratch, target, rename, problems }) => {
    const dir = dirname(target)
    const nextCreate = scratches.find((s) => s.create.index > create.index)?.create.index ?? Number.POSITIVE_INFINITY
    const dirSyncs = rename ? calls.filter((c) => c.name === 'fsync' && c.index > rename.index && c.index < nextCreate && fdPaths(c.args).includes(dir)) : []
    if (durability === 'full') {
      // The directory is opened once, before the scratch is made relative to it, and never
      // again by path: what is fsynced is the directory the publish resolved.
      const dirOpen = calls.find((c) => /^open(at)?$/.test(c.name) && c.index < create.index && c.args.includes('O_DIRECTORY') && fdPaths(c.result).includes(dir))
      if (!dirOpen) problems.push('directory not opened (O_DIRECTORY) before the scratch')
      if (dirSyncs.length === 0) problems.push('directory not fsynced after the rename')
    } else if (dirSyncs.length > 0) problems.push(`durability '${durability}', but the directory was fsynced`)
    return { scratch, target, problems }
  })
}

/** The per-scratch rules for publishes that ran concurrently (see `uncoveredPublishes`). */
export const checkConcurrentScratches = (calls: Call[]): PublishTrace[] => checkScratches(calls, true)

/**
 * For publishes that ran concurrently into one directory, sharing directory fsyncs: each one
 * must have been covered by a directory fsync that *began* after its rename and *ended* before
 * the publish resolved (the child writes `resolved <target>` to stdout when it does).
 * Returns the targets that were not covered.
 */
export function uncoveredPublishes(calls: Call[], dir: string): string[] {
  const renames = calls.filter((c) => c.name.startsWith('rename') && c.args.includes('.oxentmp.') && c.result.startsWith('0'))
  const dirSyncs = calls.filter((c) => c.name === 'fsync' && fdPaths(c.args).includes(dir))
  const uncovered: string[] = []
  for (const rename of renames) {
    const target = /"([^"]*)"\s*$/.exec(rename.args)?.[1] ?? '?'
    const resolved = calls.find((c) => c.name === 'write' && c.args.includes(`resolved ${target}\\n`))
    const covered = resolved && dirSyncs.some((f) => f.start > rename.index && f.index < resolved.start && f.result.startsWith('0'))
    if (!covered) uncovered.push(target)
  }
  return uncovered
}
