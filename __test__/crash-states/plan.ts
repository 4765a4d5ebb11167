// What the suite records: every entry point at every durability level from every starting
// state, and the negative controls. Pure data, shared by the recorder, the traced child and
// the checker.

import { join } from 'node:path'

export type Level = 'full' | 'file' | 'none'
/** 'linked': the target is a link of the versioned layout to an old version. */
export type Start = 'old' | 'absent' | 'empty' | 'new-parent' | 'linked'
export const ENTRIES = ['write-1k', 'write-9m', 'writeSync', 'stream', 'createWriteStream', 'copyFrom', 'copyFromSync'] as const
export const CONTROLS = ['control-writeFileSync', 'control-wfa-nofsync', 'control-unsynced-build'] as const
/** Directory commits (`AtomicDir`): one per layout, and the plain layout started from the current tree (`fromCurrent`). */
export const DIR_ENTRIES = ['dir-plain', 'dir-versioned', 'dir-incremental'] as const
/** Directory publishes done the naive way: `rm -rf` then a copy; a rename into place whose entries were never fsynced. */
export const DIR_CONTROLS = ['control-dir-rm-copy', 'control-dir-unsynced-rename'] as const
export type DirEntry = (typeof DIR_ENTRIES)[number] | (typeof DIR_CONTROLS)[number]
export type Entry = (typeof ENTRIES)[number] | (typeof CONTROLS)[number] | DirEntry
export const LEVELS: Level[] = ['full', 'file', 'none']
export const STARTS: Start[] = ['old', 'absent', 'empty', 'new-parent']
export const isDirEntry = (entry: Entry): entry is DirEntry => entry.startsWith('dir-') || entry.startsWith('control-dir-')
/** The directory workloads' starting states: an old tree, none, and (versioned) a link to an old version. */
export const DIR_STARTS: Record<(typeof DIR_ENTRIES)[number], Start[]> = {
  'dir-plain': ['old', 'absent'],
  'dir-versioned': ['old', 'absent', 'linked'],
  'dir-incremental': ['old'],
}
/** The largest file of a directory workload's new tree; every new file is a prefix of these bytes. */
export const DIR_SOURCE_SIZE = 2000

export interface Workload {
  id: string
  entry: Entry
  level: Level
  start: Start
  /** The workload's own tree: everything the call may touch lies under it. */
  root: string
  target: string
  /** copyFrom's source, outside the tree (its bytes are the new content). */
  source: string
  begin: string
  returned: string
  newSize: number
  /** A scratch without a name is expected (large write, a level that fsyncs). */
  unnamed: boolean
  /** Our own writer: its leftovers must be named for sweepOrphans. */
  ours: boolean
}

const KiB = 1024
/** Above the 8 MiB from which `write` takes the unnamed scratch; 1 KiB; elsewhere 10 KiB, three blocks. */
export const sizeOf = (entry: Entry): number => (isDirEntry(entry) ? DIR_SOURCE_SIZE : entry === 'write-9m' ? 9 * KiB * KiB + 123 : entry === 'write-1k' ? KiB : 10 * KiB + 7)

/** Deterministic bytes, different for the old and the new version and in every word. */
export function pattern(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length)
  let x = seed >>> 0 || 1
  for (let i = 0; i < length; i += 4) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    out.writeUInt32LE(x, i < length - 3 ? i : length - 4)
  }
  return out
}
export const OLD = pattern(3000, 0x01d)
export const newContent = (size: number): Buffer => pattern(size, 0x2e3)

/** The controls run at the levels where they claim something; their writers know no 'full'. */
const controlLevels: Record<(typeof CONTROLS)[number], Level[]> = {
  'control-writeFileSync': ['none'],
  'control-wfa-nofsync': ['none'],
  'control-unsynced-build': ['full', 'file'],
}

export function planWorkloads(work: string): Workload[] {
  const out: Workload[] = []
  const add = (entry: Entry, level: Level, start: Start): void => {
    const id = `${entry}.${level}.${start}`
    const base = join(work, id)
    const root = join(base, 'root')
    const target = isDirEntry(entry) ? join(root, 'target') : start === 'new-parent' ? join(root, 'made', 'target.bin') : join(root, 'target.bin')
    const ours = !entry.startsWith('control-') || entry === 'control-unsynced-build'
    out.push({
      id, entry, level, start, root, target,
      source: join(base, 'source.bin'),
      begin: join(base, 'begin'),
      returned: join(base, 'returned'),
      newSize: sizeOf(entry),
      // Also where the call makes the parent: the scratch waits unnamed above it (src/unread.rs).
      unnamed: entry === 'write-9m' && level !== 'none',
      ours,
    })
  }
  for (const entry of ENTRIES) for (const level of LEVELS) for (const start of STARTS) add(entry, level, start)
  for (const entry of CONTROLS) for (const level of controlLevels[entry]) for (const start of ['old', 'absent'] as Start[]) add(entry, level, start)
  for (const entry of DIR_ENTRIES) for (const level of LEVELS) for (const start of DIR_STARTS[entry]) add(entry, level, start)
  // The rm-and-copy claims nothing ('none'); the unsynced rename fsyncs its files and the parent, as 'full' would.
  add('control-dir-rm-copy', 'none', 'old')
  add('control-dir-unsynced-rename', 'full', 'absent')
  return out
}
